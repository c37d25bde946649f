"""The items of a tuple a primitive returns (np.linalg.eigh, svd, qr: declared NEW_ITEMS with a tuple
result) are separate arrays: updating one in place leaves the others readable through the tuple; reading
the updated item through the tuple again, or a helper's tuple that may hold one array twice, stays refused."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad

S = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])
A = np.array([[1.0, 0.4, -0.3], [0.2, 2.0, 0.5], [-0.1, 0.3, 1.5], [0.6, -0.2, 0.1]])


def eigh_values_updated(a):
    t = np.linalg.eigh(a)
    w = t.eigenvalues
    w *= w
    return np.sum(w) + np.sum(t[1][:, 1] ** 4)


def svd_values_updated(a):
    t = np.linalg.svd(a, full_matrices=False)
    s = t[1]
    s **= 2
    return np.sum(s * np.arange(1.0, 4.0)) + np.sum(t.U[:, 0] ** 4) + np.sum(t[2][0] ** 4)


def qr_r_updated_in_loop(a):
    total = 0.0
    for i in range(2):
        t = np.linalg.qr(a * (i + 1.0))
        r = t.R
        r += 1.0
        total = total + np.sum(np.sin(r)) + np.sum(t.Q ** 3)
    return total


@pytest.mark.parametrize("fn, x", [(eigh_values_updated, S), (svd_values_updated, A), (qr_r_updated_in_loop, A)])
def test_other_items_of_a_primitive_tuple_readable(fn, x):
    np.testing.assert_allclose(ad.grad(fn)(x), numeric_grad(fn, (x,)), rtol=1e-6, atol=1e-8)


def same_item_read_again(a):
    t = np.linalg.eigh(a)
    w = t[0]
    w *= 2.0
    return np.sum(t[0] ** 2)


def same_field_read_again(a):
    t = np.linalg.eigh(a)
    w = t.eigenvalues
    w *= 2.0
    return np.sum(t.eigenvalues ** 2)


def array_result_row_read(a):
    t = np.linalg.svd(a, compute_uv=False)
    s = t[0:1]
    s *= 2.0
    return np.sum(t ** 2)


def pair(y):
    return (y, y)


def helper_tuple(x):
    a, b = pair(x * 2.0)
    a += 1.0
    return np.sum(b * x)


def helper_tuple_kept(x):
    t = pair(x * 2.0)
    a = t[0]
    a += 1.0
    return np.sum(t[1] * x)


@pytest.mark.parametrize("fn", [same_item_read_again, same_field_read_again, array_result_row_read,
                                helper_tuple, helper_tuple_kept])
def test_the_same_memory_read_again_refused_or_right(fn):
    x = S if fn.__name__.startswith(("same", "array")) else S[0]
    try:
        g = ad.grad(fn)(x)
    except ad.UnsupportedSyntaxError as err:
        assert "test_alias_tuple_results.py:" in str(err) and "may share memory" in str(err)
        return
    np.testing.assert_allclose(g, numeric_grad(fn, (x,)), rtol=1e-6, atol=1e-8)


def doubled_in_place(x):
    x *= 2.0
    return x


def caller_of_same_name(x):
    y = doubled_in_place(x[0:2])
    return np.sum(y) + np.sum(x)


def test_a_helpers_parameter_and_the_callers_variable_of_one_name_told_apart():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(caller_of_same_name)(S[0])
    text = str(info.value)
    line = doubled_in_place.__code__.co_firstlineno
    assert f"`x` (parameter of helper `doubled_in_place`, line {line}) may share memory with the caller's `x`" in text
    assert info.value.location.line == line + 1
