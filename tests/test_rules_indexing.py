"""Table rows for reading array elements by subscript (`operator.getitem`, runtime/items.py): integers
(negative too), slices (negative steps), ellipsis, None, boolean masks (constant or computed from the
data), integer arrays with repeated indices (which accumulate, as `np.add.at`), advanced indices mixed
with slices (separated ones move their axis to the front), `np.ix_`, index arrays of several
dimensions; reads in loops, and reads of arrays written by subscript (the write side is
tests/test_subscript_writes.py).

Rows differentiate a weighted sum with a weight `w` (not differentiated) that differs at each
position of the result; a few are cross-checked against autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, Rule, check_case, expand, nonzero, real

import adtransform as ad


def S(name, x, w, dtype=F64):
    return (name, [x, w], dtype)


def integer(x, w):
    return np.sum(x[1] * w)


def negative_integer(x, w):
    return np.sum(x[-1, -2] * w)


def scalar_items(x, w):
    return x[0, 1] * x[2, 3] * w[0] + x[-1, 0] ** 2 * w[1]


def slice_negative_step(x, w):
    return np.sum(x[::-1, 3:0:-2] * w)


def slice_reversed_all(x, w):
    return np.sum(x[::-2] * w)


def ellipsis_last(x, w):
    return np.sum(x[..., 1] * w)


def ellipsis_middle(x, w):
    return np.sum(x[0, ..., ::-1] * w)


def newaxis(x, w):
    return np.sum(x[None, :, None, 1:] * w)


def newaxis_ellipsis(x, w):
    return np.sum(x[..., np.newaxis] * w)


def mask_constant(x, w):
    return np.sum(x[np.array([True, False, True])] * w)


def mask_from_data(x, w):
    return np.sum(x[x > 0.0] ** 2) + np.sum(x * w)


def mask_rows_from_data(x, w):
    return np.sum(x[x[:, 0] > 0.0] ** 3) + np.sum(x * w)


def mask_and_slice(x, w):
    return np.sum(x[np.array([True, False, True]), 1:] * w)


def mask_list(x, w):
    return np.sum(x[[True, True, False]] * w)


def fancy_repeated(x, w):
    return np.sum(x[np.array([0, 2, 2, 0, 2])] * w)


def fancy_list_negative(x, w):
    return np.sum(x[[-1, 0, -1]] * w)


def fancy_2d_index(x, w):
    return np.sum(x[np.array([[0, 1], [1, 1], [2, 0]])] * w)


def fancy_pairs(x, w):
    return np.sum(x[[0, 1, 1, 0], [3, 2, 2, 3]] * w)


def fancy_adjacent(x, w):
    return np.sum(x[:, np.array([0, 2, 2]), np.array([1, 1, 3])] * w)


def fancy_separated(x, w):
    # advanced indices separated by a slice: their axis moves to the front
    return np.sum(x[np.array([1, 1, 0]), :, np.array([3, 3, 0])] * w)


def fancy_separated_2d(x, w):
    return np.sum(x[np.array([[0, 1], [1, 1]]), 1:3, np.array([[3], [0]])] * w)


def fancy_and_int(x, w):
    return np.sum(x[1, :, [0, 0, 2]] * w)


def fancy_and_newaxis(x, w):
    return np.sum(x[None, [1, 1, 0], ..., None] * w)


def ix_grid(x, w):
    return np.sum(x[np.ix_([0, 2, 2], [1, 3])] * w)


def ix_with_mask(x, w):
    return np.sum(x[np.ix_(np.array([True, False, True]), [3, 0, 3])] * w)


def chained(x, w):
    return np.sum(x[1:][::-1][0] * w)


def transposed_fancy(x, w):
    return np.sum(x.T[[1, 1, 0]] * w)


def loop_items(x, w):
    total = 0.0
    for i in range(4):
        total = total + x[i] * w[i] + x[-i - 1] * x[i]
    return total


def loop_rows_and_slices(x, w):
    total = 0.0
    for i in range(2):
        total = total + np.sum(x[i, ::-1] * w[i]) + np.sum(x[i:i + 2, 1] ** 2)
    return total


def loop_fancy(x, w):
    total = 0.0
    idx = np.array([0, 0, 3])
    for i in range(3):
        total = total + x[i] * np.sum(x[idx] * w[i])
    return total


def after_writes(x, w):
    y = x * 1.0
    y[1:3] = 2.0 * x[0]
    y[-1] = x[1] ** 2
    return np.sum(y[[0, 0, 3, 1]] * w)


def flat_items(x, w):
    return x.flat[3] * w[0] + np.sum(x.flat[[0, 0, 5]] * w[1:])


def flat_of_transposed(x, w):
    return np.sum(x.T.flat[::-2] * w)


def flat_loop(x, w):
    total = 0.0
    for v in x.flat:
        total = total + v ** 3
    return total + np.sum(x * w)


R = real
ROWS = [
    Rule("x[1]", integer, (R, R), [S("vec", (4,), ()), S("mat", (3, 4), (4,)), S("3d", (3, 2, 2), (2, 2)),
                                   S("f32", (3, 4), (4,), F32)], wrt=0),
    Rule("x[-1,-2]", negative_integer, (R, R), [S("mat", (3, 4), ()), S("3d", (2, 3, 2), (2,))], wrt=0),
    Rule("x[i,j]*x[k,l]", scalar_items, (R, R), [S("mat", (3, 4), (2,)), S("f32", (3, 4), (2,), F32)], wrt=0),
    Rule("x[::-1,3:0:-2]", slice_negative_step, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("x[::-2]", slice_reversed_all, (R, R), [S("vec", (5,), (3,)), S("mat", (4, 2), (2, 2))], wrt=0),
    Rule("x[...,1]", ellipsis_last, (R, R), [S("3d", (2, 3, 2), (2, 3)), S("vec", (3,), ())], wrt=0),
    Rule("x[0,...,::-1]", ellipsis_middle, (R, R), [S("3d", (2, 3, 2), (3, 2))], wrt=0),
    Rule("x[None,:,None,1:]", newaxis, (R, R), [S("mat", (3, 4), (1, 3, 1, 3))], wrt=0),
    Rule("x[...,np.newaxis]", newaxis_ellipsis, (R, R), [S("mat", (3, 4), (3, 4, 1)), S("scalar0d", (), (1,))],
         wrt=0),
    Rule("x[mask]", mask_constant, (R, R), [S("vec", (3,), (2,)), S("mat", (3, 4), (2, 4)),
                                            S("f32", (3, 2), (2, 2), F32)], wrt=0),
    Rule("x[x>0]", mask_from_data, (nonzero, R), [S("vec", (6,), (6,)), S("mat", (3, 4), (3, 4)),
                                                  S("f32", (3, 4), (3, 4), F32)], wrt=0),
    Rule("x[x[:,0]>0]", mask_rows_from_data, (nonzero, R), [S("mat", (4, 3), (4, 3))], wrt=0),
    Rule("x[mask,1:]", mask_and_slice, (R, R), [S("mat", (3, 4), (2, 3))], wrt=0),
    Rule("x[[True,True,False]]", mask_list, (R, R), [S("vec", (3,), (2,))], wrt=0),
    Rule("x[idx repeated]", fancy_repeated, (R, R), [S("vec", (3,), (5,)), S("mat", (3, 2), (5, 2)),
                                                     S("f32", (3,), (5,), F32)], wrt=0),
    Rule("x[[-1,0,-1]]", fancy_list_negative, (R, R), [S("vec", (4,), (3,))], wrt=0),
    Rule("x[idx2d]", fancy_2d_index, (R, R), [S("vec", (3,), (3, 2)), S("mat", (3, 2), (3, 2, 2))], wrt=0),
    Rule("x[[..],[..]]", fancy_pairs, (R, R), [S("mat", (2, 4), (4,))], wrt=0),
    Rule("x[:,i,j]", fancy_adjacent, (R, R), [S("3d", (2, 3, 4), (2, 3))], wrt=0),
    Rule("x[i,:,j]", fancy_separated, (R, R), [S("3d", (2, 3, 4), (3, 3))], wrt=0),
    Rule("x[i2d,1:3,j2d]", fancy_separated_2d, (R, R), [S("3d", (2, 3, 4), (2, 2, 2))], wrt=0),
    Rule("x[1,:,[0,0,2]]", fancy_and_int, (R, R), [S("3d", (2, 3, 4), (3, 3))], wrt=0),
    Rule("x[None,[1,1,0],...,None]", fancy_and_newaxis, (R, R), [S("mat", (2, 3), (1, 3, 3, 1))], wrt=0),
    Rule("x[np.ix_(rows,cols)]", ix_grid, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("x[np.ix_(mask,cols)]", ix_with_mask, (R, R), [S("mat", (3, 4), (2, 3))], wrt=0),
    Rule("x[1:][::-1][0]", chained, (R, R), [S("mat", (4, 2), (2,))], wrt=0),
    Rule("x.T[[1,1,0]]", transposed_fancy, (R, R), [S("mat", (3, 2), (3, 3))], wrt=0),
    Rule("loop x[i],x[-i-1]", loop_items, (R, R), [S("vec", (5,), (4,)), S("f32", (4,), (4,), F32)], wrt=0),
    Rule("loop x[i,::-1],x[i:i+2,1]", loop_rows_and_slices, (R, R), [S("mat", (3, 4), (2, 4))], wrt=0),
    Rule("loop x[i],x[idx]", loop_fancy, (R, R), [S("vec", (4,), (3, 3))], wrt=0),
    Rule("x.flat[i],x.flat[idx]", flat_items, (R, R), [S("mat", (2, 3), (4,)), S("f32", (3, 2), (4,), F32)], wrt=0),
    Rule("x.T.flat[::-2]", flat_of_transposed, (R, R), [S("mat", (2, 3), (3,))], wrt=0),
    Rule("for v in x.flat", flat_loop, (R, R), [S("mat", (2, 3), (2, 3))], wrt=0),
    Rule("reads after writes", after_writes, (R, R), [S("vec", (4,), (4,))], wrt=0),
]

CASES = expand(ROWS)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def all_forms(x):
    i = np.array([2, 0, 2])
    a = np.sum(x[i, :, np.array([1, 1, 0])] ** 2)
    b = np.sum(x[x > 0.2] ** 3)
    c = np.sum(x[::-1, 1, ::-2] * x[0, 0, 0])
    return a + b + c + np.sum(x[..., None][1] ** 2)


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def reference(x):
        i = np.array([2, 0, 2])
        a = anp.sum(x[i, :, np.array([1, 1, 0])] ** 2)
        b = anp.sum(x[x > 0.2] ** 3)
        c = anp.sum(x[::-1, 1, ::-2] * x[0, 0, 0])
        return a + b + c + anp.sum(x[..., None][1] ** 2)

    x = np.random.default_rng(5).uniform(-1.0, 1.0, (3, 2, 4))
    np.testing.assert_allclose(ad.grad(all_forms)(x), autograd.grad(reference)(x), rtol=1e-12)
