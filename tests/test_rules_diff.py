"""Table rows for np.diff (rules/numpy_diff.py): n-th differences along an axis, `n=0`, more differences
than elements (an empty result), `prepend=`/`append=` (0-d, broadcast to one slice, or arrays, each
differentiated), lists of differentiated values, float32. Each row differentiates a weighted sum with a
weight that differs at each position of the result (an adjoint sending an element to the wrong place
fails)."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad
from rule_table import F32, F64, Rule, check_case, expand, real

import adtransform as ad


def S(name, x, w, dtype=F64):
    """One shape set: `x`'s shape and the result's (the weight's)."""
    return (name, [x, w], dtype)


def diff1(x, w):
    return np.sum(np.diff(x) * w)


def diff2(x, w):
    return np.sum(np.diff(x, 2) * w)


def diff3_axis0(x, w):
    return np.sum(np.diff(x, n=3, axis=0) * w)


def diff0(x, w):
    return np.sum(np.diff(x, 0) * w)


def diff_axis_neg2(x, w):
    return np.sum(np.diff(x, axis=-2) * w)


def diff_axis1(x, w):
    return np.sum(np.diff(x, axis=1) * w)


def diff_prepend0(x, w):
    return np.sum(np.diff(x, prepend=0.0) * w)


def diff_append_scalar(x, w):
    return np.sum(np.diff(x, n=2, axis=0, append=1.5) * w)


def diff_prepend_self(x, w):
    return np.sum(np.diff(x, prepend=x[..., :1] * 2.0, append=np.sin(x[..., -2:])) * w)


def diff_list(x, w):
    return np.sum(np.diff([x[0], x[1] ** 2, x[2]], axis=0) * w)


def diff_runtime_n(x, w):
    n = x.shape[-1] - 2
    return np.sum(np.diff(x, n) * w)


R = real
ROWS = [
    Rule("np.diff(x)", diff1, (R, R), [S("vec", (5,), (4,)), S("mat", (3, 4), (3, 3)), S("3d", (2, 3, 4), (2, 3, 3)),
                                       S("f32", (3, 4), (3, 3), F32), S("size1", (1,), (0,)),
                                       S("empty rows", (0, 3), (0, 2))], wrt=0),
    Rule("np.diff(x,2)", diff2, (R, R), [S("vec", (6,), (4,)), S("mat", (2, 5), (2, 3)), S("f32", (2, 5), (2, 3), F32),
                                         S("n=len", (2,), (0,)), S("n>len", (1,), (0,))], wrt=0),
    Rule("np.diff(x,n=3,axis=0)", diff3_axis0, (R, R), [S("mat", (5, 2), (2, 2)), S("3d", (4, 2, 3), (1, 2, 3))],
         wrt=0),
    Rule("np.diff(x,0)", diff0, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.diff(x,axis=-2)", diff_axis_neg2, (R, R), [S("3d", (2, 4, 3), (2, 3, 3)), S("mat", (3, 2), (2, 2))],
         wrt=0),
    Rule("np.diff(x,axis=1)", diff_axis1, (R, R), [S("3d", (2, 4, 3), (2, 3, 3))], wrt=0),
    Rule("np.diff(x,prepend=0.0)", diff_prepend0, (R, R), [S("vec", (4,), (4,)), S("mat", (2, 3), (2, 3)),
                                                         S("f32", (2, 3), (2, 3), F32)], wrt=0),
    Rule("np.diff(x,2,axis=0,append=1.5)", diff_append_scalar, (R, R), [S("mat", (3, 2), (2, 2))], wrt=0),
    Rule("np.diff(x,prepend=f(x),append=g(x))", diff_prepend_self, (R, R),
         [S("vec", (4,), (6,)), S("mat", (2, 3), (2, 5)), S("f32", (2, 3), (2, 5), F32)], wrt=0),
    Rule("np.diff([a,b,c],axis=0)", diff_list, (R, R), [S("mat", (3, 4), (2, 4)), S("f32", (3, 2), (2, 2), F32)],
         wrt=0),
    Rule("np.diff(x,n known at run time)", diff_runtime_n, (R, R), [S("mat", (2, 5), (2, 2))], wrt=0),
]

CASES = expand(ROWS)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def prepend_and_append_differentiated(x, p, q):
    return np.sum(np.sin(np.diff(x, n=2, axis=0, prepend=p, append=q)))


@pytest.mark.parametrize("p, q", [(0.7, -0.3),
                                  (np.array([[0.2, -0.5, 1.1]]), np.array([[0.4, 0.1, -0.8], [1.0, 0.3, 0.2]]))])
def test_prepend_and_append_gradients(p, q):
    x = np.random.default_rng(3).uniform(-1.0, 1.0, (3, 3))
    grads = check_grad(prepend_and_append_differentiated, (x, p, q), wrt=(0, 1, 2))
    assert np.shape(grads[1]) == np.shape(p) and np.shape(grads[2]) == np.shape(q)


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def reference(x):
        return anp.sum(anp.sin(anp.diff(x, 2, axis=0)) * anp.arange(1.0, 4.0)[:, None])

    def mine(x):
        return np.sum(np.sin(np.diff(x, 2, axis=0)) * np.arange(1.0, 4.0)[:, None])

    x = np.random.default_rng(5).uniform(-1.0, 1.0, (5, 2))
    np.testing.assert_allclose(ad.grad(mine)(x), autograd.grad(reference)(x), rtol=1e-12)


def test_is_a_view_fact():
    from adtransform.rules.registry import Returns, lookup_facts

    assert lookup_facts(np.diff).returns is Returns.VIEW  # (`np.diff(a, 0)` is `a` itself)
