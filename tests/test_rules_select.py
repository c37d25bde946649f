"""Table rows for the rules of functions that pick elements by value or index (rules/numpy_select.py)
and of the constructors that take differentiated values (rules/sequences.py, rules/numpy.py): sort,
take, take_along_axis, choose, select, np.array / np.asarray of lists, np.full, np.linspace,
np.arange, np.where.

Rows differentiate a weighted sum with a weight `w` (not differentiated) that differs at each
position of the result. Ties of sort follow a documented convention, checked analytically; a few
rows are cross-checked against autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, Rule, check_case, distinct, expand, real

import adtransform as ad
from adtransform.errors import AdtransformError


def S(name, x, w, dtype=F64):
    return (name, [x, w], dtype)


def sort_default(x, w):
    return np.sum(np.sort(x) * w)


def sort_axis0(x, w):
    return np.sum(np.sort(x, axis=0) * w)


def sort_none(x, w):
    return np.sum(np.sort(x, axis=None) * w)


def sort_kind(x, w):
    return np.sum(np.sort(x, -2, kind="mergesort") * w)


def take_flat(x, w):
    return np.sum(np.take(x, [5, 0, 5, -1]) * w)


def take_axis(x, w):
    return np.sum(np.take(x, [0, 2, 2], axis=1) * w)


def take_negative_axis(x, w):
    return np.sum(np.take(x, np.array([[1, 0], [1, 1]]), axis=-2) * w)


def take_scalar_index(x, w):
    return np.sum(np.take(x, 1, axis=0) * w)


def take_wrap(x, w):
    return np.sum(np.take(x, [0, 4, -5, 7], axis=1, mode="wrap") * w)


def take_clip(x, w):
    return np.sum(np.take(x, [-3, 1, 9], mode="clip") * w)


def take_booleans(x, w):
    return np.sum(np.take(x, [True, False, True]) * w)


def take_method(x, w):
    return np.sum(x.take([3, 3, 1]) * w)


def take_along_sorted(x, w):
    return np.sum(np.take_along_axis(x, np.argsort(x, axis=1), axis=1) * w)


def take_along_axis0(x, w):
    return np.sum(np.take_along_axis(x, np.array([[0, 2, 2, 1]]), axis=0) * w)


def take_along_none(x, w):
    return np.sum(np.take_along_axis(x, np.array([1, 1, 7]), axis=None) * w)


def take_along_repeated(x, w):
    return np.sum(np.take_along_axis(x, np.array([[0, 0], [3, 3], [1, 2]]), 1) * w)


def choose_list(x, w):
    return np.sum(np.choose(np.array([0, 1, 1, 2]), [x[0], x[1] ** 2, x[2]]) * w)


def choose_broadcast(x, w):
    return np.sum(np.choose(np.array([[0], [1], [1]]), [x, 2.0]) * w)


def choose_array(x, w):
    return np.sum(np.choose(np.array([1, 0, 1, 1]), x) * w)


def choose_wrap(x, w):
    return np.sum(np.choose(np.array([2, -1, 3, 0]), [x[0], x[1]], mode="wrap") * w)


def choose_clip(x, w):
    return np.sum(np.choose(np.array([5, -1, 1, 0]), (x[0], x[1]), mode="clip") * w)


def select_default(x, w):
    return np.sum(np.select([x > 0.5, x < -0.5], [x ** 2, 3.0 * x], default=x[0]) * w)


def select_constant_default(x, w):
    return np.sum(np.select([x > 0.0, x > 0.5], [x, x * x]) * w)


def select_broadcast(x, w):
    return np.sum(np.select([x[0] > 0.0, x[1] > 0.0], [x, x[2]], -x) * w)


def array_nested(x, w):
    return np.sum(np.array([[x[0], x[1]], [x[2], 2.0]]) * w)


def array_of_rows(x, w):
    return np.sum(np.array([x, 2.0 * x, x ** 2]) * w)


def array_ndmin(x, w):
    return np.sum(np.array([x[0], x[1]], ndmin=3) * w)


def asarray_list(x, w):
    return np.sum(np.asarray([x[1], 3.0, x[0] * x[2]], dtype=np.float64) * w)


def array_of_array(x, w):
    return np.sum(np.array(x, copy=True) * w)


def full_array_fill(x, w):
    return np.sum(np.full((3, 4), x) * w)


def full_keyword(x, w):
    return np.sum(np.full(shape=(2, 3), fill_value=x) * w)


def linspace_arrays(x, w):
    return np.sum(np.linspace(x[0], x[1], 4, axis=1) * w)


def linspace_one(x, w):
    return np.sum(np.linspace(x[0], x[1], num=1) * w)


def arange_step(x, w):
    return np.sum(np.arange(x[0], x[0] + 3.5, step=0.5) * w)


def where_broadcast(x, w):
    return np.sum(np.where(x > 0.0, x, x[0]) * w)


def where_indices(x, w):
    return np.sum(x[np.where(x > 0.0)] ** 2) + np.sum(x * w)


R = real
ROWS = [
    Rule("np.sort(x)", sort_default, (distinct, R), [S("vec", (5,), (5,)), S("mat", (3, 4), (3, 4)),
                                                     S("3d", (2, 2, 3), (2, 2, 3)), S("f32", (3, 4), (3, 4), F32),
                                                     S("empty", (0,), (0,))], wrt=0),
    Rule("np.sort(x,axis=0)", sort_axis0, (distinct, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.sort(x,axis=None)", sort_none, (distinct, R), [S("mat", (3, 4), (12,))], wrt=0),
    Rule("np.sort(x,-2,kind)", sort_kind, (distinct, R), [S("3d", (2, 3, 2), (2, 3, 2))], wrt=0),
    Rule("np.take(x,[5,0,5,-1])", take_flat, (R, R), [S("mat", (3, 4), (4,)), S("f32", (2, 3), (4,), F32)], wrt=0),
    Rule("np.take(x,idx,axis=1)", take_axis, (R, R), [S("mat", (2, 3), (2, 3)), S("3d", (2, 4, 2), (2, 3, 2))],
         wrt=0),
    Rule("np.take(x,idx2d,axis=-2)", take_negative_axis, (R, R), [S("mat", (3, 4), (2, 2, 4))], wrt=0),
    Rule("np.take(x,1,axis=0)", take_scalar_index, (R, R), [S("mat", (3, 4), (4,))], wrt=0),
    Rule("np.take(mode='wrap')", take_wrap, (R, R), [S("mat", (2, 3), (2, 4))], wrt=0),
    Rule("np.take(mode='clip')", take_clip, (R, R), [S("vec", (5,), (3,))], wrt=0),
    Rule("np.take(x,[True,False,True])", take_booleans, (R, R), [S("vec", (3,), (3,))], wrt=0),
    Rule("x.take([3,3,1])", take_method, (R, R), [S("vec", (5,), (3,))], wrt=0),
    Rule("np.take_along_axis(argsort)", take_along_sorted, (distinct, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.take_along_axis(axis=0)", take_along_axis0, (R, R), [S("mat", (3, 4), (1, 4))], wrt=0),
    Rule("np.take_along_axis(axis=None)", take_along_none, (R, R), [S("mat", (2, 4), (3,))], wrt=0),
    Rule("np.take_along_axis(repeated)", take_along_repeated, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("np.choose(a,[...])", choose_list, (R, R), [S("mat", (3, 4), (4,)), S("f32", (3, 4), (4,), F32)], wrt=0),
    Rule("np.choose(broadcast)", choose_broadcast, (R, R), [S("mat", (3, 2), (3, 2))], wrt=0),
    Rule("np.choose(a,array)", choose_array, (R, R), [S("mat", (2, 4), (4,))], wrt=0),
    Rule("np.choose(mode='wrap')", choose_wrap, (R, R), [S("mat", (2, 4), (4,))], wrt=0),
    Rule("np.choose(mode='clip')", choose_clip, (R, R), [S("mat", (2, 4), (4,))], wrt=0),
    Rule("np.select(default=x[0])", select_default, (R, R), [S("vec", (6,), (6,)), S("f32", (6,), (6,), F32)],
         wrt=0),
    Rule("np.select(default=0)", select_constant_default, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.select(broadcast)", select_broadcast, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.array([[..],[..]])", array_nested, (R, R), [S("vec", (3,), (2, 2))], wrt=0),
    Rule("np.array([rows])", array_of_rows, (R, R), [S("vec", (4,), (3, 4)), S("f32", (4,), (3, 4), F32)], wrt=0),
    Rule("np.array(ndmin=3)", array_ndmin, (R, R), [S("vec", (3,), (1, 1, 2))], wrt=0),
    Rule("np.asarray([..],dtype)", asarray_list, (R, R), [S("vec", (3,), (3,))], wrt=0),
    Rule("np.array(x,copy=True)", array_of_array, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.full((3,4),x)", full_array_fill, (R, R), [S("row", (4,), (3, 4)), S("scalar", None, (3, 4)),
                                                       S("f32", (1, 4), (3, 4), F32)], wrt=0),
    Rule("np.full(shape=,fill_value=)", full_keyword, (R, R), [S("scalar", None, (2, 3))], wrt=0),
    Rule("np.linspace(a,b,axis=1)", linspace_arrays, (R, R), [S("mat", (2, 3), (3, 4))], wrt=0),
    Rule("np.linspace(num=1)", linspace_one, (R, R), [S("vec", (2,), (1,))], wrt=0),
    Rule("np.arange(a,b,step=)", arange_step, (R, R), [S("vec", (2,), (7,))], wrt=0),
    Rule("np.where(c,x,x[0])", where_broadcast, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("x[np.where(c)]", where_indices, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
]

CASES = expand(ROWS)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- ties of sort: a documented convention, checked analytically -------------------------------------


def test_tied_elements_take_the_places_of_a_stable_sort():
    """Equal elements keep their order (as JAX's sort): the first of two tied elements receives the
    adjoint of the first of their places."""
    x = np.array([1.0, 0.0, 1.0, -2.0, 0.0])
    w = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    g = ad.grad(sort_default)(x, w)
    # stable order: -2 (3), 0 (1), 0 (4), 1 (0), 1 (2)
    np.testing.assert_array_equal(g, [40.0, 20.0, 50.0, 10.0, 30.0])
    g = ad.grad(sort_axis0)(x[:, None] * np.ones((1, 2)), w[:, None] * np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(g, np.array([[40.0, 20.0, 50.0, 10.0, 30.0]]).T * [[1.0, -1.0]])


# --- cross-checks against autograd ---------------------------------------------------------------------


def autograd_sort_take(x):
    return np.sum(np.sort(x)[:3] ** 2) + np.sum(np.take(x, [0, 0, 3]) * np.array([1.0, 2.0, 3.0]))


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def reference(x):
        return anp.sum(anp.sort(x)[:3] ** 2) + anp.sum(x[np.array([0, 0, 3])] * anp.array([1.0, 2.0, 3.0]))

    x = distinct(np.random.default_rng(3), (6,))
    np.testing.assert_allclose(ad.grad(autograd_sort_take)(x), autograd.grad(reference)(x), rtol=1e-12)


# --- refusals ----------------------------------------------------------------------------------------------


def sort_order(x):
    return np.sum(np.sort(x, order="f"))


def take_out(x, buf):
    return np.sum(np.take(x, [0, 1], out=buf))


@pytest.mark.parametrize("fn, args, match", [
    (sort_order, (np.ones(3),), "order"),
    (take_out, (np.ones(3), np.zeros(2)), "out"),
])
def test_refusals_are_located(fn, args, match):
    with pytest.raises(AdtransformError, match=match) as info:
        ad.grad(fn)(*args)
    assert "test_rules_select.py" in str(info.value)

