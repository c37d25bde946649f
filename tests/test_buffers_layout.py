"""A result computed into a dead array's buffer has the layout NumPy's operator gives it: with
Fortran-ordered or strided inputs, `ravel('K')` and `np.sum` read the same order as in f, so
value_and_grad's value is f's exactly and the gradient is right (runtime/accumulate.py)."""

import itertools

import numpy as np
import pytest

import adtransform as ad
from adtransform.runtime.accumulate import add_into, mul_in, mul_into, sub_in, unary_into

W = np.arange(1.0, 7.0).reshape(2, 3)
V = np.arange(1.0, 7.0)


def product_after_update(x):
    y = x * 2.0
    y[0] += x[1]
    z = y * W
    return np.sum(z.ravel("K") * V)


def square_then_product(x):
    y = x * 2.0
    z = np.square(y)
    w = z * W
    return np.sum(w.ravel("K") * V)


def dead_host(x):
    t = np.sin(x) * 2.0
    s = np.sum(t)
    z = 3.0 * x
    return s + np.sum(z.ravel("K") * V)


def strided_update(x):
    y = np.exp(x)[:, ::2]
    y[0, 0] = 2.0
    z = np.tanh(y)
    return np.sum(z.ravel("A") * np.arange(1.0, 10.0))


def _fd(f, x, eps=1e-6):
    """Central differences keeping x's layout (f reads it: `ravel('K')`)."""
    g = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        up, down = x.copy(order="K"), x.copy(order="K")
        up[k] += eps
        down[k] -= eps
        g[k] = (f(up) - f(down)) / (2 * eps)
    return g


def _inputs(shape):
    base = np.random.default_rng(3).uniform(0.1, 0.9, size=shape)
    return [base.copy(), np.asfortranarray(base), base.T.copy().T]


@pytest.mark.parametrize("f, shape", [(product_after_update, (2, 3)), (square_then_product, (2, 3)),
                                      (dead_host, (2, 3)), (strided_update, (3, 6))],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_values_and_gradients_follow_the_layout(f, shape):
    for x in _inputs(shape):
        value, g = ad.value_and_grad(f)(x.copy(order="K"))
        assert value == f(x.copy(order="K"))
        np.testing.assert_allclose(g, _fd(f, x), rtol=1e-6, atol=1e-8)


LAYOUTS = {
    "C": lambda a: a.copy(), "F": np.asfortranarray, "T": lambda a: a.T.copy().T,
    "row": lambda a: a[:1].copy(), "vector": lambda a: a[0].copy(), "number": lambda a: 2.5,
}


@pytest.mark.parametrize("host, other", itertools.product(["C", "F", "T"], LAYOUTS))
def test_each_helper_gives_the_operators_layout(host, other):
    a = LAYOUTS[host](np.random.default_rng(0).random((3, 4)))
    b = LAYOUTS[other](np.random.default_rng(1).random((3, 4)))
    for helper, plain in ((mul_into, np.multiply), (add_into, np.add)):
        expected, got = plain(a, b), helper(a.copy(order="K"), b)
        assert got.strides == expected.strides and np.array_equal(got, expected)
    for buf in (np.empty((3, 4)), np.asfortranarray(np.empty((3, 4)))):
        for helper, plain in ((mul_in, np.multiply), (sub_in, np.subtract)):
            expected, got = plain(a, b), helper(buf.copy(order="K"), a, b)
            assert got.strides == expected.strides and np.array_equal(got, expected)
    expected, got = np.exp(a), unary_into(np.exp, a.copy(order="K"))
    assert got.strides == expected.strides


def test_a_strided_buffer_hosts_nothing():
    a = np.random.default_rng(0).random((3, 8))[:, ::2]
    assert unary_into(np.exp, a) is not a and mul_into(a, 2.0) is not a


def test_small_arrays_get_a_new_array_large_ones_are_written_in_place(monkeypatch):
    from adtransform.runtime import accumulate

    monkeypatch.setattr(accumulate, "IN_PLACE_FROM", 1 << 17)
    small, large = np.ones(1000), np.ones(1 << 14)
    assert mul_into(small, 2.0) is not small and mul_into(large, 2.0) is large
    assert unary_into(np.exp, small) is not small and unary_into(np.exp, large) is large
    np.testing.assert_array_equal(mul_in(np.empty(1000), small, 3.0), small * 3.0)
