"""How many random in-place programs adtransform refuses, and why (a measurement, not a test).

Generates programs with the strategies of ``test_random_control_flow`` (``programs(inplace=True)`` and
``programs(inplace=True, writes=True)``), transforms each, and counts: accepted, refused as an in-place
update of an alias, refused for another reason. A refusal of an alias update is *needed* when NumPy's
in-place meaning gives another value than ``functional`` (each ``t op= e`` spelled ``t = t op e``) at
one of several random points; otherwise it is *possibly avoidable* (to judge by hand: a sample of them
is printed). Refusals are classified by the construct that is updated (a subscript write, an augmented
assignment to a name) and by what the updated and the stale names hold.

    PYTHONPATH=. python tests/property/measure_refusals.py [N] [--show K]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import numpy as np
import test_random_control_flow as rcf
from hypothesis import HealthCheck, Phase, given, settings

import adtransform as ad

POINTS = 6  # random argument points tried to see whether a refusal is needed
_STALE = re.compile(r"`(\w+)` may share memory with `(\w+)`")


def _needed(program, module):
    for seed in range(POINTS):
        for n in range(rcf.MAX_N + 1):
            args = harness.random_args(program, seed, n)
            try:
                if rcf._numpy_differs(module, args):
                    return True
            except Exception:  # a point where the program fails says nothing
                continue
    return False


def _kind(program, name):
    """What ``name`` holds in ``program``: a parameter's kind, or a guess from the generator's prefixes."""
    params = dict(zip(program.params, program.shapes))
    if name in params:
        return "float parameter" if params[name] == () else "array parameter"
    prefix = re.match(r"[a-z]+", name).group()
    return {"s": "scalar", "u": "scalar-or-vector", "v": "vector", "t": "vector alias", "p": "short alias",
            "y": "written array", "out": "filled array", "e": "loop element", "r": "while value"}.get(prefix, prefix)


def classify(program, exc):
    """A short category for a refusal."""
    lines = program.source.splitlines()
    line = lines[exc.location.line - 1].strip() if exc.location else "?"
    m = _STALE.search(str(exc))
    if not m:
        return f"{exc.construct}: {str(exc)[:60]}"
    updated, stale = m.groups()
    how = "subscript write" if re.match(rf"{updated}\[", line) else "augmented assignment"
    return f"{how} of {_kind(program, updated)} seen by {_kind(program, stale)}"


def measure(n_examples, writes, module_dir, show):
    counts = collections.Counter()
    categories = collections.Counter()
    samples = collections.defaultdict(list)

    @settings(max_examples=n_examples, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate),
              suppress_health_check=list(HealthCheck))
    @given(program=rcf.programs(inplace=True, writes=writes))
    def run(program):
        with harness.loaded(program.source, module_dir, "measure") as (_path, module):
            counts["programs"] += 1
            try:
                ad.grad(module.f, wrt=program.wrt)
            except ad.UnsupportedSyntaxError as exc:
                if exc.construct != rcf.ALIAS_UPDATE:
                    counts[f"refused: {exc.construct}"] += 1
                    return
                needed = "in-place" in program.tags and _needed(program, module)
                verdict = "needed" if needed else "possibly avoidable"
                counts[f"refused alias ({verdict})"] += 1
                category = f"{verdict}: {classify(program, exc)}"
                categories[category] += 1
                if len(samples[category]) < show:
                    samples[category].append(f"{exc}\n{program.source.split('def probe')[0]}")
            except ad.AdtransformError as exc:
                counts[f"refused: {type(exc).__name__}"] += 1
            else:
                counts["accepted"] += 1

    run()
    return counts, categories, samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--show", type=int, default=0, help="print this many programs per category")
    parser.add_argument("--writes", choices=("no", "yes", "both"), default="both")
    opts = parser.parse_args()
    np.seterr(all="ignore")
    with tempfile.TemporaryDirectory() as tmp:
        for writes in {"no": (False,), "yes": (True,), "both": (False, True)}[opts.writes]:
            counts, categories, samples = measure(opts.n, writes, Path(tmp), opts.show)
            title = "programs(inplace=True" + (", writes=True)" if writes else ")")
            print(f"== {title}")
            for key, value in sorted(counts.items()):
                print(f"  {key:60s} {value:5d}")
            print("  -- refusals of alias updates by category")
            for key, value in categories.most_common():
                print(f"  {key:90s} {value:5d}")
            for key, programs in samples.items():
                for text in programs:
                    print(f"\n---- {key}\n{text}")


if __name__ == "__main__":
    main()
