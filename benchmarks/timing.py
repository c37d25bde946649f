"""Shared timing methodology for the adtransform benchmark scripts.

Methodology (see benchmarks/README.md):

* Every benchmarked thing is a zero-argument callable, so every tool pays the
  same per-call harness overhead (one Python call of a closure); that overhead
  is measured by :func:`call_overhead_ns` and printed, never subtracted.
* One *sample* is ``n`` back-to-back calls timed with
  ``time.perf_counter_ns``; the sample's value is total / n (ns per call).
  ``n`` is calibrated per callable so a sample lasts about ``target_ms``.
* All callables of one comparison are measured in the same process, in
  round-robin: sample 1 of every callable, then sample 2 of every callable,
  ... with the order rotated each round, so slow drifts of the machine
  (frequency, other load) hit every callable alike.
* The statistic is the median of the samples; the spread is reported as the
  inter-quartile range relative to the median.
* The garbage collector stays enabled (allocation-heavy tools pay for the
  collections they cause), but ``gc.collect()`` runs before every sample so no
  callable pays for garbage left by another one.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ATOL",
    "RTOL",
    "BenchmarkAbort",
    "Result",
    "add_common_arguments",
    "as_tuple",
    "blas_info",
    "calibrate",
    "call_overhead_ns",
    "check_hand_against_fd",
    "compare_gradients",
    "format_ns",
    "interleaved",
    "load_average",
    "machine_facts",
    "print_table",
    "set_blas_threads",
    "setup",
    "time_sample",
    "wrt_tuple",
]


@dataclass
class Result:
    """Samples (ns per call) of one callable."""

    name: str
    inner: int  # calls per sample
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def iqr_rel(self) -> float:
        """Inter-quartile range divided by the median (0.02 == 2 %)."""
        if len(self.samples) < 2:
            return 0.0
        q = statistics.quantiles(self.samples, n=4, method="inclusive")
        return (q[2] - q[0]) / self.median


def time_sample(fn: Callable[[], object], n: int) -> float:
    """Return ns per call of ``n`` back-to-back calls of ``fn``."""
    rng = range(n)
    t0 = time.perf_counter_ns()
    for _ in rng:
        fn()
    t1 = time.perf_counter_ns()
    return (t1 - t0) / n


def calibrate(
    fn: Callable[[], object],
    target_ms: float = 20.0,
    warmup_calls: int = 3,
    max_inner: int = 10_000_000,
) -> int:
    """Number of calls of ``fn`` that take about ``target_ms`` milliseconds.

    Doubles ``n`` until one batch lasts at least a fifth of the target, then
    scales linearly; always at least 1.
    """
    for _ in range(warmup_calls):
        fn()
    target_ns = target_ms * 1e6
    n = 1
    while True:
        per_call = time_sample(fn, n)
        if per_call * n >= target_ns / 5 or n >= max_inner:
            break
        n *= 2
    return max(1, min(max_inner, round(target_ns / max(per_call, 1.0))))


def interleaved(
    callables: dict[str, Callable[[], object]],
    samples: int = 9,
    target_ms: float = 20.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Result]:
    """Time every callable ``samples`` times, round-robin, rotating the order.

    Returns ``{name: Result}`` in the insertion order of ``callables``.
    """
    names = list(callables)
    results: dict[str, Result] = {}
    for name in names:
        inner = calibrate(callables[name], target_ms)
        results[name] = Result(name, inner)
        if progress:
            progress(f"  calibrated {name}: {inner} calls/sample")
    for r in range(samples):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            res = results[name]
            gc.collect()
            res.samples.append(time_sample(callables[name], res.inner))
    return results


def call_overhead_ns(samples: int = 7, target_ms: float = 20.0) -> float:
    """Harness cost per call: the median ns per call of a no-op closure."""

    def noop():
        return None

    return interleaved({"noop": noop}, samples, target_ms)["noop"].median


def format_ns(ns: float) -> str:
    """Human-readable duration (µs with sensible precision)."""
    us = ns / 1e3
    if us < 10:
        return f"{us:.2f} µs"
    if us < 1000:
        return f"{us:.1f} µs"
    return f"{us / 1e3:.2f} ms"


# --------------------------------------------------------------------------
# Machine facts
# --------------------------------------------------------------------------

_ENV_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NVPL_BLAS_DEBUG_CPU_TYPE",
)


_OPENBLAS_SYMBOLS = (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", ""), ("scipy_openblas", ""))


def _numpy_openblas():
    """(ctypes library, symbol prefix, symbol suffix, file name) of numpy's bundled OpenBLAS, or None."""
    import ctypes
    import glob

    import numpy as np

    libdir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)  # already loaded by numpy: same handle
        except OSError:
            continue
        for prefix, suffix in _OPENBLAS_SYMBOLS:
            if hasattr(lib, f"{prefix}_get_num_threads{suffix}"):
                return lib, prefix, suffix, os.path.basename(path)
    return None


def _openblas_ctypes() -> dict | None:
    """Query the OpenBLAS bundled with numpy directly (no threadpoolctl)."""
    import ctypes

    found = _numpy_openblas()
    if found is None:
        return None
    lib, prefix, suffix, name = found
    info = {"library": name}
    getn = getattr(lib, f"{prefix}_get_num_threads{suffix}")
    getn.restype = ctypes.c_int
    info["num_threads"] = getn()
    core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
    if core is not None:
        core.restype = ctypes.c_char_p
        info["corename"] = core().decode()
    cfg = getattr(lib, f"{prefix}_get_config{suffix}", None)
    if cfg is not None:
        cfg.restype = ctypes.c_char_p
        info["config"] = cfg().decode().strip()
    return info


def _numpy_blas_entry(entries: list[dict]) -> dict:
    """Among threadpoolctl's BLAS entries (torch brings MKL), the one numpy loaded."""
    import numpy as np

    root = os.path.dirname(os.path.dirname(np.__file__))
    for d in entries:
        path = d.get("filepath") or ""
        if path.startswith(os.path.join(root, "numpy.libs")) or path.startswith(os.path.dirname(np.__file__)):
            return d
    return entries[0]


def blas_info() -> dict:
    """BLAS facts for numpy: ``{"source", "num_threads", ...}``.

    Uses threadpoolctl when it is installed, else asks numpy's bundled
    OpenBLAS through ctypes, else reports the thread count as unknown.
    """
    import numpy as np  # noqa: F401  (make sure BLAS is loaded)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        blas = [d for d in threadpool_info() if d.get("user_api") == "blas"]
        if blas:
            d = _numpy_blas_entry(blas)
            return {
                "source": "threadpoolctl",
                "num_threads": d.get("num_threads"),
                "library": f"{d.get('internal_api')} {d.get('version')}",
                "corename": d.get("architecture"),
                "all": blas,
            }
    info = _openblas_ctypes()
    if info is not None:
        info["source"] = "ctypes (threadpoolctl not installed)"
        return info
    return {"source": "unknown (no threadpoolctl, no OpenBLAS found)", "num_threads": None}


_limiter = None  # keeps a threadpoolctl limit alive for the whole process


def set_blas_threads(n: int) -> bool:
    """Set numpy's BLAS thread count for the rest of the process; True when it worked.

    Uses threadpoolctl when installed, else numpy's bundled OpenBLAS via ctypes.
    """
    global _limiter
    import ctypes

    import numpy as np  # noqa: F401

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        _limiter = threadpool_limits(limits=n, user_api="blas")
        return True
    found = _numpy_openblas()
    if found is None:
        return False
    lib, prefix, suffix, _ = found
    setn = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
    if setn is None:
        return False
    setn.argtypes = [ctypes.c_int]
    setn(int(n))
    return True


def load_average() -> str:
    """The 1/5/15-minute load averages, or '?' where the OS does not say."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return "?"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(extra_modules: Sequence[str] = ()) -> list[str]:
    """Lines describing the machine, interpreter, numpy/BLAS and env vars."""
    import numpy as np

    lines = [
        f"python {platform.python_version()} ({sys.implementation.name}) on {platform.system()} {platform.machine()}",
        f"cpu: {_cpu_model()}, os.cpu_count() = {os.cpu_count()}"
        + (f", affinity = {len(os.sched_getaffinity(0))} CPUs" if hasattr(os, "sched_getaffinity") else ""),
        f"numpy {np.__version__}",
    ]
    b = blas_info()
    desc = f"BLAS threads = {b.get('num_threads')} [via {b['source']}]"
    if b.get("library"):
        desc += f", library {b['library']}"
    if b.get("corename"):
        desc += f", core {b['corename']}"
    lines.append(desc)
    for mod in extra_modules:
        m = sys.modules.get(mod)
        if m is None:
            continue
        ver = getattr(m, "__version__", None)
        if ver is None:
            try:
                from importlib.metadata import PackageNotFoundError, version

                ver = version(mod)
            except (ImportError, PackageNotFoundError):
                ver = "(version unknown)"
        where = os.path.dirname(getattr(m, "__file__", None) or "?")
        lines.append(f"{mod} {ver} ({where})" if mod == "adtransform" else f"{mod} {ver}")
    env = ", ".join(f"{k}={os.environ[k]!r}" if k in os.environ else f"{k} unset" for k in _ENV_VARS)
    lines.append(f"env: {env}")
    lines.append(
        f"load average (1/5/15 min) at start: {load_average()} "
        "(near or above the CPU count means other processes compete for the CPUs)"
    )
    return lines


# ---------------------------------------------------------------------------
# Gradient checks and reports shared by the benchmark scripts
# ---------------------------------------------------------------------------

RTOL, ATOL = 1e-7, 1e-10  # gradient agreement between tools (float64 everywhere)
NOISY_IQR = 0.10  # warn when a tool's IQR/median exceeds this


class BenchmarkAbort(SystemExit):
    """A wrong gradient or a failing tool: the run stops with this message."""


def as_tuple(g, n):
    if n == 1 and not isinstance(g, (tuple, list)):
        return (g,)
    return tuple(g)


def wrt_tuple(wrt):
    return (wrt,) if isinstance(wrt, int) else tuple(wrt)


def _shift(args, idx, dirs, t):
    a = list(args)
    for i, d in zip(idx, dirs, strict=True):
        if np.ndim(args[i]):
            a[i] = np.asarray(args[i], dtype=np.float64) + t * d
        else:
            a[i] = float(args[i]) + t * float(d)
    return a


def check_hand_against_fd(prob):
    """Central finite differences of the primal must agree with the hand-written
    gradient: along a random direction (each entry scaled by its parameter's
    magnitude, so parameters of very different sizes are perturbed alike), and
    entry by entry for every parameter entry when there are at most 40."""
    f, args = prob["primal"], prob["args"]
    idx = wrt_tuple(prob["wrt"])
    eps = prob.get("fd_eps", 1e-6)
    hand = as_tuple(prob["hand"](), len(idx))
    rng = np.random.default_rng(123)
    scales = [np.maximum(np.abs(np.asarray(args[i], dtype=np.float64)), 1e-3) for i in idx]
    dirs = [rng.standard_normal(np.shape(args[i])) * s for i, s in zip(idx, scales, strict=True)]
    worst = 0.0

    def compare(what, dirs_):
        nonlocal worst
        fd = (f(*_shift(args, idx, dirs_, eps)) - f(*_shift(args, idx, dirs_, -eps))) / (2 * eps)
        an = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(hand, dirs_, strict=True))
        scale = max(abs(an), abs(fd), 1e-300)
        tol = 1e-5 * scale + 1e-9 * max(abs(float(f(*args))), 1.0)
        if abs(fd - an) > tol:
            raise BenchmarkAbort(
                f"ABORT [{prob['key']}]: hand-written gradient disagrees with central finite differences "
                f"({what}): analytic {an!r} vs FD {fd!r}"
            )
        worst = max(worst, abs(fd - an) / scale)

    compare("random direction", dirs)
    total = sum(int(np.size(args[i])) for i in idx)
    if total <= 40:
        for j, i in enumerate(idx):
            for flat in range(int(np.size(args[i]))):
                d = [np.zeros(np.shape(args[ii])) for ii in idx]
                if np.ndim(args[i]):
                    d[j].flat[flat] = scales[j].flat[flat]
                else:
                    d[j] = np.float64(scales[j])
                name = prob["names"][j] + (f"[{flat}]" if np.ndim(args[i]) else "")
                compare(f"entry {name}", d)
    return worst, total <= 40


def compare_gradients(prob, tool, got, want, rtol=RTOL, atol=ATOL):
    """Raise BenchmarkAbort unless `got` matches `want`; return the worst relative error."""
    n = len(want)
    got = as_tuple(got, n)
    if len(got) != n:
        raise BenchmarkAbort(f"ABORT [{prob['key']}]: {tool} returned {len(got)} gradients, expected {n}")
    worst = 0.0
    for name, g, h in zip(prob["names"], got, want, strict=True):
        g = np.asarray(g, dtype=np.float64)
        h = np.asarray(h, dtype=np.float64)
        if g.shape != h.shape:
            raise BenchmarkAbort(
                f"ABORT [{prob['key']}]: {tool} gradient for {name} has shape {g.shape}, reference has {h.shape}"
            )
        if not np.allclose(g, h, rtol=rtol, atol=atol):
            err = np.max(np.abs(g - h))
            raise BenchmarkAbort(
                f"ABORT [{prob['key']}]: {tool} gradient for {name} does not match the reference "
                f"(max abs diff {err:.3e}, rtol={rtol}, atol={atol})\n"
                f"  {tool}: {np.array2string(g.ravel()[:6], precision=12)} ...\n"
                f"  reference: {np.array2string(h.ravel()[:6], precision=12)} ..."
            )
        if h.size:
            worst = max(worst, float(np.max(np.abs(g - h) / np.maximum(np.abs(h), 1e-12))))
    return worst


def print_table(res: dict, names: Sequence[str]) -> dict:
    """The markdown table of one problem (ratios to the hand-written gradient and to the primal);
    returns each tool's median and, under "_noisy", the tools whose samples were noisy."""
    prim = res["primal"].median
    hand = res["hand-written"].median
    hand_min = res["hand-written"].minimum
    print(
        "| tool | median time | min time | IQR/median | calls/sample "
        "| / hand-written | / primal | / hand-written (min) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        if name not in res:
            print(f"| {name} | skipped | | | | | | |")
            continue
        r = res[name]
        print(
            f"| {name} | {format_ns(r.median)} | {format_ns(r.minimum)} "
            f"| {100 * r.iqr_rel:.1f}% | {r.inner} "
            f"| {r.median / hand:.2f}x | {r.median / prim:.2f}x | {r.minimum / hand_min:.2f}x |"
        )
    noisy = [f"{k} ({100 * v.iqr_rel:.0f}%)" for k, v in res.items() if v.iqr_rel > NOISY_IQR]
    if noisy:
        print(
            f"\nWARNING: noisy samples (IQR/median > {100 * NOISY_IQR:.0f}%): {', '.join(noisy)}; "
            "other load on the machine? Compare the min-based ratio, or rerun."
        )
    medians = {k: v.median for k, v in res.items()}
    medians["_noisy"] = {k for k, v in res.items() if v.iqr_rel > NOISY_IQR}
    return medians


def add_common_arguments(p) -> None:
    """--quick, --samples, --target-ms, --threads, -v (every script has them)."""
    p.add_argument("--quick", action="store_true", help="smoke run: 3 samples of ~5 ms per tool")
    p.add_argument("--samples", type=int, default=None, help="samples per tool (default 15, or 3 with --quick)")
    p.add_argument(
        "--target-ms", type=float, default=None, help="duration of one sample (default 20, or 5 with --quick)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="set numpy's BLAS threads (and torch's) to N; default: leave numpy's own count",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print calibration")


def setup(title: str, a, torch, modules: Sequence[str], import_error: str | None):
    """Fill the defaults of the common arguments, set the thread counts, print the machine facts;
    returns the progress logger (or None)."""
    if a.samples is None:
        a.samples = 3 if a.quick else 15
    if a.target_ms is None:
        a.target_ms = 5.0 if a.quick else 20.0
    threads_note = "numpy's default"
    if a.threads is not None:
        ok = set_blas_threads(a.threads)
        threads_note = f"set by --threads {a.threads}" if ok else f"--threads {a.threads} FAILED, numpy's default"
    nthreads = blas_info().get("num_threads")
    if nthreads:
        torch.set_num_threads(int(nthreads))
    print(f"## {title}\n")
    print("Machine facts:")
    for line in machine_facts(modules):
        print(f"- {line}")
    print(f"- BLAS thread count: {threads_note}")
    print(
        f"- torch.set_num_threads({nthreads}) -> torch intra-op threads = "
        f"{torch.get_num_threads()}, inter-op threads = {torch.get_num_interop_threads()}"
        if nthreads
        else f"- BLAS thread count unknown: torch left at {torch.get_num_threads()} threads"
    )
    overhead = call_overhead_ns(samples=min(a.samples, 7), target_ms=a.target_ms)
    print(
        f"- timing: median of {a.samples} interleaved samples per tool, ~{a.target_ms:g} ms "
        f"per sample, harness overhead {overhead:.0f} ns/call (not subtracted)"
    )
    if import_error is not None:
        print(f"- adtransform column SKIPPED: `import adtransform` failed: {import_error}")
    return (lambda s: print(s, file=sys.stderr)) if a.verbose else None


def import_adtransform():
    """`(module, None)`, or `(None, the error)` when the package does not import: the scripts then
    report the error in their table instead of failing before any baseline is timed."""
    try:
        # `from ... import grad` also turns a half-written package (a namespace package without
        # __init__.py, or one without `grad` yet) into ImportError.
        import adtransform
        from adtransform import grad  # noqa: F401

        return adtransform, None
    except ImportError as exc:  # only ImportError is tolerated
        return None, "".join(traceback.format_exception_only(type(exc), exc)).strip()

