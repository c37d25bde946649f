"""Long runs of test_random_api's oracle that collect every failure instead of stopping at the first.

    python tests/property/explore_random_api.py --examples 500 --seed 3 [--shrink] [--all-bugs]

Prints each failure class (the failure message's first line, names normalized) with its count and
the smallest program found for it (``--shrink``: statements dropped one at a time while the failure
keeps its class). ``--all-bugs`` clears KNOWN_BUGS first, to count the known classes too.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import re
import sys
import tempfile
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).parent))
_code = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--code=")), None)
sys.path.insert(0, _code or str(pathlib.Path(__file__).parents[2]))  # adtransform from this tree, or --code=DIR

import api_programs  # noqa: E402
import harness  # noqa: E402
import hypothesis  # noqa: E402
import test_random_api as T  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import HypothesisDeprecationWarning, UnsatisfiedAssumption  # noqa: E402

import adtransform  # noqa: E402


def key(message: str) -> str:
    first = message.strip().splitlines()[0]
    first = re.sub(r"/\S+\.py", "FILE", first)
    first = re.sub(r"\b[xyzwc]\b|\b[vyb]\d+\b", "N", first)
    first = re.sub(r"\d+", "#", first)
    return first[:160]


def outcome(program, directory):
    """None when the oracle holds (or the example is rejected), else the failure message."""
    try:
        with harness.loaded(program.source, directory, "explore") as (path, module):
            T.check(program, module, path, directory)
    except UnsatisfiedAssumption:
        return None
    except AssertionError as exc:
        return str(exc)
    except Exception as exc:
        return f"test crashed: {type(exc).__name__}: {exc}"
    return None


def shrink(program, message, directory):
    """Drop statements (and readout terms) while the failure keeps its class."""
    want = key(message)
    head, body = program.source.split("def f(", 1)
    sig, *lines = body.splitlines()
    ret = lines.pop()
    changed = True
    while changed:
        changed = False
        for i in range(len(lines)):
            trial = lines[:i] + lines[i + 1:]
            if lines[i].startswith("    for ") or (i and lines[i - 1].startswith("    for ")):
                continue
            cand = _with(program, head, sig, trial, ret)
            got = outcome(cand, directory)
            if got and key(got) == want:
                lines, changed = trial, True
                break
        terms = ret[len("    return "):].split(" + ")
        if len(terms) > 1:
            for i in range(len(terms)):
                r2 = "    return " + " + ".join(terms[:i] + terms[i + 1:])
                cand = _with(program, head, sig, lines, r2)
                got = outcome(cand, directory)
                if got and key(got) == want:
                    ret, changed = r2, True
                    break
    return _with(program, head, sig, lines, ret)


def _with(program, head, sig, lines, ret):
    source = head + "def f(" + sig + "\n" + "".join(f"{line}\n" for line in lines) + ret + "\n"
    return api_programs.ApiProgram(source, program.params, program.args, program.wrt, program.tags, program.rebind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shrink", action="store_true")
    ap.add_argument("--all-bugs", action="store_true")
    ap.add_argument("--show", type=int, default=1)
    ap.add_argument("--stats", action="store_true")
    ap.add_argument("--without", action="append", default=[],
                    help="remove the KNOWN_BUGS entries whose text starts with this (repeatable)")
    ap.add_argument("--code", help="the directory whose adtransform is tested (default: this tree)")
    ap.add_argument("--dump", help="pickle every program run, in order, to this file")
    opts = ap.parse_args()
    if opts.all_bugs:
        api_programs.KNOWN_BUGS.clear()
    for prefix in opts.without:
        for k in [k for k in api_programs.KNOWN_BUGS if k.startswith(prefix)]:
            del api_programs.KNOWN_BUGS[k]
    directory = pathlib.Path(tempfile.mkdtemp(prefix="explore_api_"))
    failures = collections.defaultdict(list)
    count = [0]
    seen = []

    @settings(max_examples=opts.examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
    @given(program=api_programs.api_programs())
    def run(program):
        count[0] += 1
        seen.append(program)
        msg = outcome(program, directory)
        if msg:
            failures[key(msg)].append((program, msg))

    warnings.simplefilter("ignore", HypothesisDeprecationWarning)
    hypothesis.seed(opts.seed)(run)()
    if opts.dump:
        import pickle
        with open(opts.dump, "wb") as fh:
            pickle.dump(seen, fh)
    tags = collections.Counter(t for p in seen for t in p.tags)
    if opts.stats:
        print(" ".join(f"{t}:{n}" for t, n in sorted(tags.items())))
        print("statements per program:", sum(p.source.count("\n    ") - 1 for p in seen) / max(1, len(seen)))
    print(f"adtransform from {adtransform.__file__}")
    print("KNOWN_BUGS on:", [k.split(" ")[0] for k in api_programs.KNOWN_BUGS])
    print(f"seed {opts.seed}: {count[0]} programs, {sum(map(len, failures.values()))} failures, "
          f"{len(failures)} classes")
    for k, items in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"\n=== {len(items)} x {k}")
        for program, msg in sorted(items, key=lambda it: len(it[0].source))[: opts.show]:
            if opts.shrink:
                program = shrink(program, msg, directory)
                msg = outcome(program, directory) or msg
            print(T.describe(program))
            print("tags:", sorted(program.tags))
            detail = msg.split("--- program")[0].strip()
            print("message:", detail[:1500])


if __name__ == "__main__":
    main()
