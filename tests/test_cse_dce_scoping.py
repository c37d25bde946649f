"""CSE's scoped table and DCE's one live set, on IR from tiny functions: what a branch computes
stays in the branch, and nested loops drop what nobody reads at every depth."""

import numpy as np

from adtransform.analysis import defuse
from adtransform.analysis.effects import is_pure
from adtransform.analysis.manager import PassContext
from adtransform.ir.nodes import If, Loop, Op, walk
from adtransform.optimize import cse, dce
from adtransform.pipeline import primal_ir


def _calls(fn, name):
    return [s for s in walk(fn.body) if isinstance(s, Op) and str(s.callee) == name]


def before_and_inside(x, c):
    a = np.sin(x)
    if c > 0:
        b = np.sin(x) + np.cos(x)
    else:
        b = np.cos(x)
    d = np.cos(x)
    return a + b + d


def test_cse_reuses_outer_values_in_a_branch_but_not_branch_values_after_it():
    fn, _ = primal_ir(before_and_inside)
    assert len(_calls(fn, "np.sin")) == 2 and len(_calls(fn, "np.cos")) == 3
    assert cse.transform(fn, PassContext.of(fn))
    assert len(_calls(fn, "np.sin")) == 1            # the branch reads the one before it
    # each branch computes its own cos, and the one after the `if` is computed again
    region, = [s for s in fn.body if isinstance(s, If)]
    assert len(_calls(fn, "np.cos")) == 3
    assert [len(_calls_in(region.then_body, "np.cos")), len(_calls_in(region.else_body, "np.cos"))] == [1, 1]
    assert not cse.transform(fn, PassContext.of(fn))


def _calls_in(body, name):
    return [s for s in walk(body) if isinstance(s, Op) and str(s.callee) == name]


def nested_dead(x, n):
    y = x * 1.0
    for i in range(n):
        for j in range(n):
            if j > 1:
                for k in range(n):
                    y = np.sin(y)
    return y


def _carried(fn):
    return sum(len(s.carried) for s in walk(fn.body) if isinstance(s, Loop))


def test_dce_leaves_only_read_values_in_nested_loops_and_branches():
    fn, _ = primal_ir(nested_dead)
    before = _carried(fn)
    assert dce.transform(fn, PassContext.of(fn))
    assert _carried(fn) < before                  # the outer loop no longer carries its own counter
    # The guarantee: every remaining pure operation's result is read (by an operation, a region
    # or the returns), at every depth.
    reads = defuse.analyze(fn).reads
    kept = [s for s in walk(fn.body) if isinstance(s, Op) and s.result is not None and is_pure(s)]
    assert kept and all(reads[s.result] > 0 for s in kept)
    assert len([s for s in walk(fn.body) if isinstance(s, Loop)]) == 3
    assert not dce.transform(fn, PassContext.of(fn))


def dead_copy_in_nested_loops(x, y, q):
    a = x * 1.0
    for row0 in q:
        t = q.copy()                 # dead: only the inner loop's carried `t` reads it, and nobody reads that
        for row1 in y:
            y = q.copy()
            a = a * row1
            t = q[0]
    return np.sum(a)


def test_dce_removes_everything_dead_in_one_run():
    """A second run has nothing left to do (the fixed point's other passes, CSE first, would otherwise
    reuse a value one run left behind, and the generated code would depend on the schedule)."""
    fn, _ = primal_ir(dead_copy_in_nested_loops)
    copies = len(_calls(fn, "copy"))
    assert dce.transform(fn, PassContext.of(fn))
    assert len(_calls(fn, "copy")) < copies
    assert not dce.transform(fn, PassContext.of(fn))
