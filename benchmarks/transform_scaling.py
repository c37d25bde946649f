"""How adtransform's transform time grows with the size of the function it differentiates.

A script, not a test. It generates functions in three families, each a parameter sweep, and
measures the first call of `adtransform.grad(f)` (the whole transform: parse, analyses,
canonicalization, SSA, reverse mode, optimization, code generation and compile), split by stage:

* `lines`: straight-line functions of 10 to 3,000 statements mixing arithmetic, `np.tanh` /
  `np.exp` / `np.sum`, element reads `a[0]`, slices, `M.T`, and in-place updates (`a += 1.0`,
  `a[i] = ...`), so that the alias analysis, CSE and the in-place passes have work;
* `nesting`: loops nested 1 to 12 deep, a small body at each level;
* `branches`: 1 to 200 `if`/`else` in sequence, every fifth with an `if` nested in it.

Every generated function is transformed for real and its gradient checked once against central
finite differences along a random direction, so the benchmark never times a refusal or a wrong
answer. Each transform is timed twice: wall time (`perf_counter_ns`, the median of the repeats)
and the process's CPU time (`process_time_ns`, the least of the repeats). The transform is
single-threaded Python, so on a shared machine its CPU time is the stable statistic: growth
exponents and before/after ratios use it. Stage times are CPU time, exclusive (a stage called
inside another counts only for itself); what no named stage covers is `other`. Otherwise the
conventions of timing.py: machine facts header, `gc.collect()` before each transform.

    python benchmarks/transform_scaling.py                      # full sweep, a few minutes
    python benchmarks/transform_scaling.py --quick              # small sizes, one repeat
    python benchmarks/transform_scaling.py --families lines --json after.json
    python benchmarks/transform_scaling.py --compare benchmarks/transform_scaling_before.json
    python benchmarks/transform_scaling.py --profile 25         # cProfile of each family's largest case
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import json
import linecache
import math
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if ROOT not in sys.path:
    sys.path.insert(1, ROOT)  # the adtransform package lives at the root
TREE = os.environ.get("TRANSFORM_SCALING_TREE")  # a worker of --against: the checkout whose adtransform to time
if TREE:
    sys.path.insert(0, os.path.abspath(TREE))

import numpy as np  # noqa: E402
import timing  # noqa: E402

import adtransform  # noqa: E402

# ---------------------------------------------------------------------------
# The families: a generator of source text per parameter value
# ---------------------------------------------------------------------------

VEC = 8  # length of the vectors the generated functions compute with


def lines_source(n: int, seed: int = 0) -> str:
    """`f(x, M)`: `n` straight-line statements; each reads the previous result, so none is dead.

    Values stay bounded (tanh, exp of a negative square, small factors), so finite differences are
    meaningful at any length. `a` is a fresh local array updated in place now and then.
    """
    rng = random.Random(seed)
    body = ["a = x * 1.0", "v0 = np.tanh(M @ x)", "s0 = np.sum(x) * 0.1"]
    vecs, scalars = ["v0"], ["s0"]
    last = "v0"  # the previous statement's result: the next one reads it
    k = 0
    while len(body) < n:
        k += 1
        v, s = f"v{k}", f"s{k}"
        u = rng.choice(vecs[-6:])
        t = rng.choice(scalars[-6:])
        prev_vec = last if last.startswith("v") or last == "a" else vecs[-1]
        prev_sc = last if last.startswith("s") else scalars[-1]
        kind = rng.randrange(12)
        if kind == 0:
            stmt, out = f"{v} = {prev_vec} * 0.5 + {u} * 0.3", v
        elif kind == 1:
            stmt, out = f"{v} = np.tanh({prev_vec} * {u} + {t})", v
        elif kind == 2:
            stmt, out = f"{v} = np.exp(-{prev_vec} * {prev_vec}) - {u} * 0.2", v
        elif kind == 3:
            stmt, out = f"{s} = np.sum({prev_vec} * {u}) * 0.05", s
        elif kind == 4:
            i = rng.randrange(VEC)
            stmt, out = f"{s} = {prev_vec}[{i}] * 0.5 + {t} * 0.3", s
        elif kind == 5:
            lo = rng.randrange(VEC // 2)
            stmt, out = f"{s} = np.sum({prev_vec}[{lo}:{lo + 3}] * {u}[{lo + 1}:{lo + 4}]) * 0.2", s
        elif kind == 6:
            stmt, out = f"{v} = np.tanh(M.T @ {prev_vec}) * 0.5", v
        elif kind == 7:
            stmt, out = f"a += {prev_vec} * 0.1", "a"
        elif kind == 8:
            i = rng.randrange(VEC)
            stmt, out = f"a[{i}] = np.tanh({prev_sc} + a[{(i + 1) % VEC}])", "a"
        elif kind == 9:
            stmt, out = f"{v} = np.tanh(a * {prev_sc}) + {u} * 0.1", v
        elif kind == 10:
            stmt, out = f"{s} = np.tanh({prev_sc} * {t} + 0.1) * 0.9", s
        else:
            stmt, out = f"{v} = {prev_vec} * np.tanh({prev_sc})", v
        body.append(stmt)
        if out == v:
            vecs.append(v)
        elif out == s:
            scalars.append(s)
        last = out
    ret = f"np.sum({vecs[-1]} * a) + {scalars[-1]}"
    return _function("f", "x, M", body, ret)


def nesting_source(depth: int, seed: int = 0) -> str:
    """`f(x, M)`: `depth` nested two-trip loops, each level with a small body of its own."""
    body: list[str] = ["h = x * 1.0", "acc = 0.0"]
    for level in range(depth):
        pad = "    " * level
        body.append(f"{pad}for i{level} in range(2):")
        inner = "    " * (level + 1)
        if level % 3 == 0:
            body.append(f"{inner}h = np.tanh(h * 0.9 + 0.1)")
        elif level % 3 == 1:
            body.append(f"{inner}h = h * 0.5 + np.tanh(M @ h) * 0.4")
        else:
            body.append(f"{inner}acc = acc + np.sum(h) * 0.01")
    pad = "    " * depth
    body.append(f"{pad}h = np.tanh(h + acc * 0.1)")
    return _function("f", "x, M", body, "np.sum(h * h) + acc")


def branches_source(n: int, seed: int = 0) -> str:
    """`f(x, M)`: `n` if/else in sequence on data-dependent tests; every fifth holds a nested if."""
    rng = random.Random(seed)
    body = ["h = np.tanh(M @ x)", "acc = 0.0"]
    for k in range(n):
        i = rng.randrange(VEC)
        threshold = rng.choice((-0.3, 0.0, 0.2))
        body.append(f"if h[{i}] > {threshold}:")
        if k % 5 == 4:
            j = rng.randrange(VEC)
            body.append(f"    if h[{j}] < 0.5:")
            body.append("        h = np.tanh(h * 1.1)")
            body.append("    else:")
            body.append("        acc = acc + h[0] * 0.1")
        elif k % 2:
            body.append(f"    h = h * 0.9 + {0.01 * (k % 7):.2f}")
        else:
            body.append("    acc = acc + np.sum(h) * 0.05")
        body.append("else:")
        if k % 3:
            body.append("    h = np.tanh(h + 0.1)")
        else:
            body.append(f"    acc = acc * 0.9 + h[{i}]")
    return _function("f", "x, M", body, "np.sum(h * h) + acc")


def loop_branches_source(n: int, seed: int = 0) -> str:
    """The `branches` function with its if/else sequence inside a three-trip loop: the branches' values are
    recorded per iteration, so the passes about recording (`dead_records`) have work."""
    lines = branches_source(n, seed).splitlines()
    head, body, ret = lines[0], lines[1:-1], lines[-1]
    looped = [body[0], body[1], "    for t in range(3):"] + ["    " + line for line in body[2:]]
    looped.append("        h = np.tanh(h * 0.9 + x * 0.1)")
    return "\n".join([head, *looped, ret]) + "\n"


def _function(name: str, params: str, body: Sequence[str], ret: str) -> str:
    lines = [f"def {name}({params}):"]
    lines += [f"    {line}" for line in body]
    lines.append(f"    return {ret}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Family:
    name: str
    parameter: str  # what the sweep varies
    make: Callable[[int], str]
    sweep: tuple[int, ...]
    quick: tuple[int, ...]


FAMILIES = {
    "lines": Family("lines", "statements", lines_source, (10, 30, 100, 300, 1000, 3000), (10, 30, 100, 300)),
    "nesting": Family("nesting", "loop depth", nesting_source, (1, 2, 4, 8, 12), (1, 2, 4, 8)),
    "branches": Family("branches", "if/else", branches_source, (1, 10, 50, 100, 200), (1, 10, 50)),
    "loop_branches": Family("loop_branches", "if/else in a loop", loop_branches_source, (1, 10, 50, 100, 200),
                            (1, 10, 50)),
}

# ---------------------------------------------------------------------------
# Making a fresh function (new code object: the transform cache never hits)
# ---------------------------------------------------------------------------

_counter = 0


def make_function(src: str) -> types.FunctionType:
    """Compile `src` under a unique file name registered in linecache (adtransform reads the source)."""
    global _counter
    _counter += 1
    filename = f"<transform_scaling_{_counter}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace: dict = {"np": np}
    exec(compile(src, filename, "exec"), namespace)
    return namespace["f"]


def inputs(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(VEC), rng.standard_normal((VEC, VEC)) / math.sqrt(VEC)


def check_gradient(fn: types.FunctionType, g: Callable) -> float:
    """Compare `g(x, M)` with central finite differences of `fn` along a random direction; raise if off."""
    x, M = inputs()
    gx, gM = g(x, M)
    rng = np.random.default_rng(7)
    dx, dM = rng.standard_normal(x.shape), rng.standard_normal(M.shape)
    eps = 1e-6
    fd = (fn(x + eps * dx, M + eps * dM) - fn(x - eps * dx, M - eps * dM)) / (2 * eps)
    ad = float(np.sum(gx * dx) + np.sum(gM * dM))
    err = abs(fd - ad) / max(1.0, abs(fd))
    if not err < 1e-6:
        raise timing.BenchmarkAbort(f"gradient differs from finite differences: AD {ad!r}, FD {fd!r}")
    return err


# ---------------------------------------------------------------------------
# Stage timers: wrap the pipeline's stage functions wherever adtransform binds them
# ---------------------------------------------------------------------------

# Stage name -> candidate dotted paths of the function that does it (the first found is used; a
# stage whose function is gone is reported as absent, its time then falls into `other`).
STAGES: dict[str, tuple[str, ...]] = {
    "parse": ("adtransform.frontend.source.parse_function",),
    "fence": ("adtransform.frontend.fence.check",),
    "aliases": ("adtransform.analysis.aliases.refuse_aliased_updates",),
    "canonicalize": ("adtransform.pipeline.primal_ir",),  # exclusive: primal_ir minus the stages inside it
    "lower": ("adtransform.ir.lower.lower",),
    "verify": ("adtransform.ir.verify.verify",),
    "optimize_primal": ("adtransform.optimize.fixed_point.optimize_primal",
                        "adtransform.optimize.driver.optimize_primal", "adtransform.optimize.optimize_primal"),
    "reverse": ("adtransform.ad.reverse.reverse",),
    "specialize": ("adtransform.specialize.derive",),
    "optimize": ("adtransform.optimize.fixed_point.optimize", "adtransform.optimize.driver.optimize",
                 "adtransform.optimize.optimize"),
    "emit": ("adtransform.codegen.emit.emit",),
    "compile": ("adtransform.codegen.load.compile_source",),
}
STAGE_ORDER = (*STAGES, "other")


def _find(dotted: str) -> object | None:
    module_name, _, attr = dotted.rpartition(".")
    try:
        __import__(module_name)
    except ImportError:
        return None
    obj = getattr(sys.modules[module_name], attr, None)
    return obj if callable(obj) and not isinstance(obj, types.ModuleType) else None


class StageTimer:
    """Exclusive time per stage: wrappers replace every binding of a stage function in adtransform."""

    def __init__(self) -> None:
        self.exclusive: dict[str, float] = {}
        self._stack: list[list] = []  # [stage, start, time spent in nested stages]
        self._patched: list[tuple[object, str, object]] = []
        self.found: dict[str, str] = {}

    def __enter__(self) -> StageTimer:
        targets: dict[int, tuple[str, object]] = {}
        for stage, candidates in STAGES.items():
            for dotted in candidates:
                fn = _find(dotted)
                if fn is not None:
                    targets[id(fn)] = (stage, fn)
                    self.found[stage] = dotted
                    break
        wrappers = {key: self._wrap(stage, fn) for key, (stage, fn) in targets.items()}
        for module in list(sys.modules.values()):
            if not getattr(module, "__name__", "").startswith("adtransform"):
                continue
            for attr, value in list(vars(module).items()):
                if id(value) in wrappers and value is targets[id(value)][1]:
                    self._patched.append((module, attr, value))
                    setattr(module, attr, wrappers[id(value)])
        return self

    def __exit__(self, *exc: object) -> None:
        for module, attr, value in reversed(self._patched):
            setattr(module, attr, value)
        self._patched.clear()

    def _wrap(self, stage: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self._stack.append([stage, time.process_time_ns(), 0])
            try:
                return fn(*args, **kwargs)
            finally:
                name, start, nested = self._stack.pop()
                elapsed = time.process_time_ns() - start
                self.exclusive[name] = self.exclusive.get(name, 0) + elapsed - nested
                if self._stack:
                    self._stack[-1][2] += elapsed
        return timed

    def reset(self) -> None:
        self.exclusive = {}


@dataclass
class Point:
    family: str
    value: int
    statements: int  # lines of the generated function's body
    total_ms: list[float] = field(default_factory=list)  # wall time, one per repeat
    cpu_ms: list[float] = field(default_factory=list)  # CPU time, one per repeat
    stages_ms: dict[str, float] = field(default_factory=dict)  # CPU time, of the fastest repeat
    grad_error: float = 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.total_ms)

    @property
    def min_ms(self) -> float:
        return min(self.total_ms)

    @property
    def cpu_min_ms(self) -> float:
        return min(self.cpu_ms)


def transform_once(src: str, timer: StageTimer) -> tuple[float, float, dict[str, float], types.FunctionType,
                                                          Callable]:
    """One transform of a fresh function: (wall ms, CPU ms, exclusive CPU ms per stage, the function, its gradient)."""
    fn = make_function(src)
    timer.reset()
    gc.collect()
    c0, t0 = time.process_time_ns(), time.perf_counter_ns()
    g = adtransform.grad(fn, wrt=(0, 1))
    wall, cpu = time.perf_counter_ns() - t0, time.process_time_ns() - c0
    stages = {k: v / 1e6 for k, v in timer.exclusive.items()}
    stages["other"] = max(0.0, cpu / 1e6 - sum(stages.values()))
    return wall / 1e6, cpu / 1e6, stages, fn, g


class LocalRunner:
    """Transforms in this process, with this checkout's adtransform."""

    def __init__(self, timer: StageTimer) -> None:
        self.timer = timer
        self.label = os.path.dirname(os.path.dirname(os.path.abspath(adtransform.__file__)))

    def run(self, family: str, value: int, check: bool) -> tuple[float, float, dict[str, float], float]:
        wall, cpu, stages, fn, g = transform_once(FAMILIES[family].make(value), self.timer)
        return wall, cpu, stages, (check_gradient(fn, g) if check else 0.0)

    def close(self) -> None:
        pass


class WorkerRunner:
    """Transforms in a child process that imports the adtransform of another checkout (`--against`)."""

    def __init__(self, tree: str) -> None:
        # (no .pyc files written into the other checkout)
        env = dict(os.environ, TRANSFORM_SCALING_TREE=os.path.abspath(tree), PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tree)
        hello = self._read()
        self.label = os.path.dirname(os.path.dirname(hello["adtransform"]))
        self.stages_found = hello["stages_found"]
        if os.path.realpath(self.label) != os.path.realpath(tree):
            raise timing.BenchmarkAbort(f"the worker for {tree} imported adtransform from {self.label}")

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise timing.BenchmarkAbort(f"the worker for {self.proc.args} ended (exit {self.proc.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise timing.BenchmarkAbort(f"worker: {reply['error']}")
        return reply

    def run(self, family: str, value: int, check: bool) -> tuple[float, float, dict[str, float], float]:
        self.proc.stdin.write(json.dumps([family, value, check]) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        return reply["wall"], reply["cpu"], reply["stages"], reply["error_fd"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def worker() -> int:
    """`--worker`: answer one JSON request per line of stdin (family, value, check) with one JSON line."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    with StageTimer() as timer:
        out.write(json.dumps({"adtransform": os.path.abspath(adtransform.__file__),
                              "stages_found": timer.found}) + "\n")
        out.flush()
        runner = LocalRunner(timer)
        for family in FAMILIES.values():
            runner.run(family.name, family.quick[1], False)  # warm up
        for line in sys.stdin:
            family, value, check = json.loads(line)
            try:
                wall, cpu, stages, err = runner.run(family, value, check)
                reply = {"wall": wall, "cpu": cpu, "stages": stages, "error_fd": err}
            except BaseException as exc:  # reported to the parent, which stops
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    return 0


def measure(family: Family, value: int, repeats: int, runners: Sequence) -> list[Point]:
    """`repeats` transforms per runner, round-robin with the order rotated; the first of each is gradient-checked."""
    src = family.make(value)
    points = [Point(family.name, value, src.count("\n") - 1) for _ in runners]
    runs: list[list] = [[] for _ in runners]
    order = list(range(len(runners)))
    for r in range(repeats):
        for k in order[r % len(order):] + order[:r % len(order)]:
            wall, cpu, stages, err = runners[k].run(family.name, value, r == 0)
            if r == 0:
                points[k].grad_error = err
            runs[k].append((wall, cpu, stages))
    for point, rs in zip(points, runs):
        point.total_ms = [w for w, _, _ in rs]
        point.cpu_ms = [c for _, c, _ in rs]
        point.stages_ms = min(rs, key=lambda run: run[1])[2]
    return points


def repeats_for(ms: float, requested: int) -> int:
    """Fewer repeats of slow transforms: at most ~10 s per point beyond the first run."""
    return max(1, min(requested, int(10_000 / max(ms, 1.0)) + 1))


# ---------------------------------------------------------------------------
# Growth exponents and tables
# ---------------------------------------------------------------------------


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x (the growth exponent); nan with fewer than two points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return float("nan")
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else float("nan")


def exponents(points: Sequence[dict]) -> tuple[float, float]:
    """(exponent over the whole sweep, exponent over its three largest points), of the CPU time."""
    xs = [p["value"] for p in points]
    ys = [_cpu(p) for p in points]
    return slope(xs, ys), slope(xs[-3:], ys[-3:])


def _cpu(point: dict) -> float:
    """The statistic compared: the least CPU time of the repeats (wall time in files from before it was kept)."""
    return point.get("cpu_min_ms") or point.get("min_ms") or point["median_ms"]


def shown_stages(points: Sequence[dict]) -> list[str]:
    present = {s for p in points for s, ms in p["stages_ms"].items() if ms > 0}
    return [s for s in STAGE_ORDER if s in present]


def print_family(name: str, points: list[dict], out=sys.stdout) -> None:
    fam = FAMILIES.get(name)
    stages = shown_stages(points)
    print(f"\n### {name} ({fam.parameter if fam else 'parameter'})\n", file=out)
    print("| " + " | ".join(["n", "body lines", "wall ms", "CPU ms", *stages]) + " |", file=out)
    print("|" + " ---: |" * (4 + len(stages)), file=out)
    for p in points:
        cells = [str(p["value"]), str(p["statements"]), f"{p['median_ms']:.1f}", f"{_cpu(p):.1f}"]
        cells += [f"{p['stages_ms'].get(s, 0.0):.1f}" for s in stages]
        print("| " + " | ".join(cells) + " |", file=out)
    whole, tail = exponents(points)
    stage_exps = []
    for s in stages:
        ys = [p["stages_ms"].get(s, 0.0) for p in points]
        xs = [p["value"] for p in points]
        if min(ys[-3:]) > 1.0:
            stage_exps.append(f"{s} {slope(xs[-3:], ys[-3:]):.2f}")
    print(f"\ngrowth exponent (log-log slope of the transform's CPU time): {whole:.2f} over the sweep, "
          f"{tail:.2f} over the largest three", file=out)
    if stage_exps:
        print("per stage, largest three (stages above 1 ms): " + ", ".join(stage_exps), file=out)


def print_compare(old: dict, new: dict, out=sys.stdout) -> None:
    """Before/after per point, the ratio, and each family's growth exponents before and after."""
    print("\n## Before / after\n", file=out)
    for name, new_points in new["families"].items():
        old_points = {p["value"]: p for p in old["families"].get(name, [])}
        print(f"\n### {name}\n", file=out)
        print("| n | before CPU ms | after CPU ms | after/before (CPU) | after/before (wall) | largest stage before "
              "| largest stage after |", file=out)
        print("| ---: | ---: | ---: | ---: | ---: | --- | --- |", file=out)
        both_old, both_new = [], []
        for p in new_points:
            o = old_points.get(p["value"])
            top_new = max(p["stages_ms"].items(), key=lambda kv: kv[1])
            if o is None:
                print(f"| {p['value']} | | {_cpu(p):.1f} | | | | {top_new[0]} {top_new[1]:.0f} |", file=out)
                continue
            both_old.append(o)
            both_new.append(p)
            top_old = max(o["stages_ms"].items(), key=lambda kv: kv[1])
            print(f"| {p['value']} | {_cpu(o):.1f} | {_cpu(p):.1f} | {_cpu(p) / _cpu(o):.2f} | "
                  f"{p['median_ms'] / o['median_ms']:.2f} | "
                  f"{top_old[0]} {top_old[1]:.0f} | "
                  f"{top_new[0]} {top_new[1]:.0f} |", file=out)
        if both_old:
            (ow, ot), (nw, nt) = exponents(both_old), exponents(both_new)
            print(f"\ngrowth exponent before {ow:.2f} (largest three {ot:.2f}), "
                  f"after {nw:.2f} (largest three {nt:.2f})", file=out)
            stages = [s for s in STAGE_ORDER if any(s in p["stages_ms"] for p in both_old + both_new)]
            last_o, last_n = both_old[-1]["stages_ms"], both_new[-1]["stages_ms"]
            cells = [f"{s} {last_o.get(s, 0.0):.0f}->{last_n.get(s, 0.0):.0f}" for s in stages
                     if max(last_o.get(s, 0.0), last_n.get(s, 0.0)) >= 1.0]
            print(f"stages at n = {both_new[-1]['value']} (ms, before->after): " + ", ".join(cells), file=out)


# ---------------------------------------------------------------------------
# cProfile of the largest case
# ---------------------------------------------------------------------------


def profile(family: Family, value: int, top: int) -> dict[str, list[dict]]:
    """cProfile one transform: the `top` functions by own time, and adtransform's by cumulative time."""
    fn = make_function(family.make(value))
    prof = cProfile.Profile()
    prof.enable()
    adtransform.grad(fn, wrt=(0, 1))
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        ours = filename.startswith(ROOT)
        where = os.path.relpath(filename, ROOT) if ours else os.path.basename(filename)
        rows.append({"function": f"{where}:{line}({func})", "calls": ncalls, "ours": ours,
                     "own_ms": tottime * 1e3, "cumulative_ms": cumtime * 1e3})
    total = sum(r["own_ms"] for r in rows)
    for r in rows:
        r["own_share"] = r["own_ms"] / total
        r["cumulative_share"] = r["cumulative_ms"] / total
    by_own = sorted(rows, key=lambda r: -r["own_ms"])[:top]
    skip = ("(grad)", "(_differentiate)", "(_bound_gradient)", "(_transform_cached)", "(gradient)",
            "(_gradient)", "(transform_guarded)", "(_stages)")
    by_cumulative = sorted((r for r in rows if r["ours"] and not r["function"].endswith(skip)),
                           key=lambda r: -r["cumulative_ms"])[:top]
    return {"own": by_own, "cumulative": by_cumulative}


def print_profile(name: str, value: int, tables: dict[str, list[dict]], out=sys.stdout) -> None:
    """Shares are of the profiled run's total (cProfile inflates call-heavy code, so compare shares)."""
    titles = (("own", "all functions by own time"), ("cumulative", "adtransform's functions by cumulative time"))
    for key, title in titles:
        print(f"\n#### cProfile, {name} = {value}: {title}\n", file=out)
        print("| function | calls | own ms | own share | cumulative ms | cumulative share |", file=out)
        print("| --- | ---: | ---: | ---: | ---: | ---: |", file=out)
        for r in tables[key]:
            print(f"| `{r['function']}` | {r['calls']} | {r['own_ms']:.0f} | {100 * r['own_share']:.1f}% | "
                  f"{r['cumulative_ms']:.0f} | {100 * r['cumulative_share']:.1f}% |", file=out)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweeps, one repeat")
    parser.add_argument("--families", default=",".join(FAMILIES),
                        help=f"comma-separated subset of {','.join(FAMILIES)}")
    parser.add_argument("--repeats", type=int, default=3, help="transforms per point (fewer for slow points)")
    parser.add_argument("--max", type=int, default=None, help="leave out points with a parameter above this")
    parser.add_argument("--json", metavar="PATH", help="save the results here")
    parser.add_argument("--compare", metavar="OLD.json", help="print these earlier results beside the new ones")
    parser.add_argument("--against", metavar="TREE",
                        help="also time the adtransform of checkout TREE, interleaved, and print both side by side")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="cProfile the largest case of each family and print its top N functions")
    args = parser.parse_args(argv)
    if args.worker:
        return worker()

    names = [n.strip() for n in args.families.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        parser.error(f"unknown families {unknown}; choose from {list(FAMILIES)}")
    repeats = 1 if args.quick else args.repeats

    facts = timing.machine_facts(["adtransform"])
    for line in facts:
        print(f"# {line}")
    print(f"# transform time = first call of adtransform.grad(f, wrt=(0, 1)) on a fresh function, up to "
          f"{repeats} repeats: wall ms (median), CPU ms (least); stages: exclusive CPU ms of the fastest repeat")

    results: dict = {"machine": facts, "quick": args.quick, "families": {}, "profiles": {}}
    timer = StageTimer()
    with timer:
        found = ", ".join(f"{s}={p.rsplit('.', 2)[-2]}.{p.rsplit('.', 1)[-1]}" for s, p in timer.found.items())
        missing = [s for s in STAGES if s not in timer.found]
        print(f"# stages timed: {found}" + (f"; not found: {', '.join(missing)}" if missing else ""))
        results["stages_found"] = timer.found
        if args.against:
            # Both checkouts in child processes, interleaved point by point: load hits both alike.
            runners = [WorkerRunner(ROOT), WorkerRunner(args.against)]
            results["against"] = {"tree": runners[1].label, "stages_found": runners[1].stages_found,
                                  "families": {}}
            print(f"# this tree: {runners[0].label}; against: {runners[1].label} (interleaved, child processes)")
            for runner in runners:
                missing = [s for s in STAGES if s not in runner.stages_found]
                if missing:
                    print(f"# in {runner.label}, stages not found (their time is their caller's): {', '.join(missing)}")
        else:
            runners = [LocalRunner(timer)]
            for name in names:  # warm up: one-off costs (lazy imports, first-use caches) stay out of the sweep
                runners[0].run(name, FAMILIES[name].quick[1], False)
        try:
            for name in names:
                family = FAMILIES[name]
                sweep = family.quick if args.quick else family.sweep
                if args.max is not None:
                    sweep = tuple(v for v in sweep if v <= args.max)
                rows: list[list[dict]] = [[] for _ in runners]
                for value in sweep:
                    estimate = rows[0][-1]["cpu_min_ms"] * 3 if rows[0] else 1.0
                    points = measure(family, value, repeats_for(estimate, repeats), runners)
                    print(f"  {name} {value}: " + ", ".join(f"{p.cpu_min_ms:.1f} ms CPU, {p.median_ms:.1f} ms wall"
                                                          for p in points),
                          file=sys.stderr, flush=True)
                    for row_list, point in zip(rows, points):
                        row = vars(point).copy()
                        row.update(median_ms=point.median_ms, min_ms=point.min_ms, cpu_min_ms=point.cpu_min_ms)
                        row_list.append(row)
                results["families"][name] = rows[0]
                print_family(name, rows[0])
                if args.against:
                    results["against"]["families"][name] = rows[1]
        finally:
            for runner in runners:
                runner.close()
    if args.profile:
        for name in names:
            family = FAMILIES[name]
            points = results["families"][name]
            largest = points[-1]["value"]
            tables = profile(family, largest, args.profile)
            results["profiles"][name] = {"value": largest, **tables}
            print_profile(name, largest, tables)
    if args.against:
        print(f"\nbefore = {results['against']['tree']}, after = this tree", end="")
        print_compare(results["against"], results)
    if args.compare:
        with open(args.compare) as fh:
            print_compare(json.load(fh), results)
    print(f"\n# load average at end: {timing.load_average()}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
        print(f"# saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
