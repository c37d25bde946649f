"""Activity and rank analyses on lowered IR."""

import math

import numpy as np

from adtransform.analysis import activity, rank
from adtransform.ir.nodes import Op
from adtransform.pipeline import primal_ir


def branchy(x, y, n):
    a = x * y          # varied and useful
    b = y * 2.0        # useful, not varied (y is not wrt)
    c = x * 3.0        # varied, not useful (unused)
    s = np.sign(x)     # blocks the derivative
    m = x.shape        # blocks the derivative
    return a + b + s


def _vars(fn):
    return {op.result.name: op.result for op in fn.body if op.result is not None} | {
        p.var.name: p.var for p in fn.params}


def test_activity_is_varied_and_useful():
    fn, _ = primal_ir(branchy)
    v = _vars(fn)
    act = activity.analyze(fn, [v["x"]])
    sums = [op.result for op in fn.body if isinstance(op, Op) and str(op.callee) == "+"]   # a + b, then + s
    assert len(sums) == 2
    assert {var for var in v.values() if act.is_active(var)} == {v["x"], v["a"], *sums}
    assert v["c"] in act.varied and v["c"] not in act.useful
    assert v["b"] in act.useful and v["b"] not in act.varied
    assert v["s"] not in act.varied and v["m"] not in act.varied


def scalars(x, W):
    a = math.sin(x)
    b = a * 2.0 + 1.0
    c = W * b
    d = np.sum(c)
    e = np.sum(c, axis=0)
    return d * x


def test_rank_forward_and_backward():
    fn, _ = primal_ir(scalars)
    v = _vars(fn)
    ranks = rank.analyze(fn, scalar_output=True)
    assert ranks[v["a"]] == 0          # math functions return scalars
    assert ranks[v["b"]] == 0          # elementwise of scalars
    assert ranks[v["c"]] is None       # W's rank is unknown
    assert ranks[v["d"]] == 0          # full reduction
    assert ranks[v["e"]] is None       # axis reduction of unknown rank
    assert ranks[v["x"]] == 0          # backward: d * x is the scalar output
    assert ranks[v["W"]] is None


def test_rank_without_scalar_output_assumption():
    fn, _ = primal_ir(scalars)
    v = _vars(fn)
    ranks = rank.analyze(fn, scalar_output=False)
    assert ranks[v["x"]] is None


def indexed(x, M, s, y, n):
    a = y[n]           # n is not known to be an integer: no assumption about y
    total = 0.0
    for i in range(3):
        total = total + x[i] * s + M[i, i + 1] + M[i, 0]
    return total + a


def test_rank_of_integer_indexing_and_the_hypothesis():
    fn, _ = primal_ir(indexed)
    x, M, s, y, n = fn.param_vars()
    assert rank.hypothesis(fn) == {x: 1, M: 2, s: 0, y: None, n: 0}
    ranks = rank.analyze(fn, scalar_output=False, scalar_params=True)
    by_name = {v.name: r for v, r in ranks.items() if hasattr(v, "name")}
    assert by_name["x_item"] == 0 and by_name["M_item"] == 0 and by_name["a"] is None
    assert rank.analyze(fn, scalar_output=False)[s] is None  # without the hypothesis nothing is known


def test_has_ranks():
    from adtransform.runtime import has_ranks
    assert has_ranks((1, 0, 0), np.zeros(3), 2.0, np.float32(1.0))
    assert not has_ranks((1, 0), np.zeros((3, 2)), 2.0)
    assert not has_ranks((0,), np.zeros(3))
    assert not has_ranks((1,), 2.0)
