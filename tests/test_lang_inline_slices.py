"""Calls of the user's functions inside a slice's bounds (`x[::step()]`, `M[0:n(), ::s()]`) are inlined
like any other call (a slice is no gast expression, so the inliner once skipped them and the call was
left opaque, then refused where a global array is read). Evaluated once each, in Python's order."""

import numpy as np
from gradcheck import check_grad

A = np.array([1.0, 2.0, 3.0])


def _minus_one():
    return _one() * -1


def _one():
    return 1


def _mark(k):
    print("bound", k)
    return k


def step_from_a_helper(x):
    return np.sum(np.tanh(x[::_minus_one()]) * A)


def bounds_from_helpers(M):
    return np.sum(np.tanh(M[0:_one() + 2, ::_minus_one()]) * A)


def in_order(x):
    return np.sum(np.sin(x[_mark(0):_mark(3):_mark(1)]) * A)


def test_step_from_a_helper():
    check_grad(step_from_a_helper, (np.array([0.3, 0.7, 1.1]),))


def test_bounds_from_helpers():
    check_grad(bounds_from_helpers, (np.arange(12.0).reshape(4, 3) / 7.0,))


def test_each_bound_once_in_order(capsys):
    import adtransform as ad
    g = ad.grad(in_order)
    capsys.readouterr()
    out = g(np.array([0.3, 0.7, 1.1, 0.4]))
    assert capsys.readouterr().out.split() == ["bound", "0", "bound", "3", "bound", "1"]
    np.testing.assert_allclose(out, np.r_[np.cos([0.3, 0.7, 1.1]) * A, 0.0], rtol=1e-12)
