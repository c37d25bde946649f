"""Review 15's findings, by class: each test compares with f itself (values, errors) and with central
finite differences of f taken on arguments laid out as given (layout is what some of these read)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import adtransform as ad

W6 = np.arange(1.0, 7.0)
W12 = np.arange(1.0, 13.0)


def _fortran(values: np.ndarray) -> np.ndarray:
    return np.asfortranarray(values)


def _fortran_strided(values: np.ndarray) -> np.ndarray:
    """A view that is neither C- nor F-contiguous, its strides in Fortran order (every other column)."""
    base = np.zeros((values.shape[0], 2 * values.shape[1]), order="F")
    base[:, ::2] = values
    return base[:, ::2]


def _c_order(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values)


def _check(f: Callable[[Any], Any], build: Callable[[np.ndarray], Any], values: np.ndarray,
           h: float = 1e-6, rtol: float = 1e-6) -> None:
    """value_and_grad(f) at build(values): the value f gives, bit for bit, and the gradient of central
    differences over `values` (each perturbed argument built the same way, so it has the same layout)."""
    x = build(values)
    before = np.array(x, copy=True)
    value, grad = ad.value_and_grad(f)(x)
    assert np.array_equal(x, before)
    expected = f(build(values))
    assert np.asarray(value).dtype == np.asarray(expected).dtype
    assert np.array_equal(value, expected, equal_nan=True)
    reference = np.zeros(values.shape)
    for k in np.ndindex(values.shape):
        up, down = values.copy(), values.copy()
        up[k] += h
        down[k] -= h
        reference[k] = (float(f(build(up))) - float(f(build(down)))) / (2 * h)
    assert np.shape(grad) == values.shape
    np.testing.assert_allclose(grad, reference, rtol=rtol, atol=1e-6)


# --- 1. a layout-reading adjoint (ravel/reshape/flatten order 'A'/'K') reads the array, not a witness --------


def ravel_k_of_copy(x):
    y = np.abs(x).copy()
    return np.sum(y.ravel("K") * W6)


def ravel_k_of_plain_copy(x):
    y = x.copy()
    return np.sum(y.ravel("K") * W6)


def flatten_a_of_copy(x):
    y = (x * 1.0).copy()
    return np.sum(np.sin(y.flatten("A")) * W6)


def reshape_a_of_copy(x):
    y = (x * 2.0).copy()
    return np.sum(np.sin(np.reshape(y, (3, 2), order="A")) * W6.reshape(3, 2))


def reshape_method_k_of_ufunc(x):
    y = np.sin(x)
    return np.sum(np.cos(y.reshape(6, order="A")) * W6)


def ravel_a_of_ufunc(x):
    return np.sum(np.sin(x).ravel("A") * W12)


def ravel_k_of_ufunc(x):
    return np.sum(np.exp(x).ravel("K") * W12)


def full_like_layout(x):
    y = x.copy()
    z = np.full_like(y, 2.0) * y
    return np.sum(z.ravel("K") * W6)


LAYOUT_CASES = [
    (ravel_k_of_copy, _fortran, (2, 3)), (ravel_k_of_plain_copy, _fortran, (2, 3)),
    (flatten_a_of_copy, _fortran, (2, 3)), (reshape_a_of_copy, _fortran, (2, 3)),
    (reshape_method_k_of_ufunc, _fortran, (2, 3)), (ravel_k_of_copy, _c_order, (2, 3)),
    (ravel_a_of_ufunc, _fortran_strided, (3, 4)), (ravel_k_of_ufunc, _fortran_strided, (3, 4)),
    (full_like_layout, _fortran, (2, 3)),
]


@pytest.mark.parametrize("f, build, shape", LAYOUT_CASES,
                         ids=[f"{f.__name__}-{b.__name__}" for f, b, _ in LAYOUT_CASES])
def test_layout_read_by_the_adjoint_is_the_arrays(f, build, shape):
    _check(f, build, np.random.default_rng(1).normal(size=shape))


# --- 4. empty axes and empty index lists ---------------------------------------------------------------------


def std_axis0(x):
    return np.sum(np.std(x, axis=0))


def var_axis1(x):
    return np.sum(np.var(x, axis=1))


def var_keepdims(x):
    return np.sum(np.var(x, axis=(0, 1), keepdims=True))


def take_nothing(x):
    return np.sum(np.take(x, [], axis=1)) + np.sum(x * 2.0)


def take_nothing_flat(x):
    return np.sum(np.take(x, [])) + np.sum(np.sin(x))


@pytest.mark.parametrize("f, shape", [(std_axis0, (0, 3)), (var_axis1, (3, 0)), (var_keepdims, (0, 2)),
                                      (std_axis0, (0, 0))])
def test_var_std_of_an_empty_input(f, shape):
    x = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, grad = ad.value_and_grad(f)(x)
        expected = f(x)
    assert np.array_equal(value, expected, equal_nan=True)
    assert grad.shape == shape and grad.dtype == x.dtype


def var_too_few(x):
    return np.var(x, ddof=1)


def std_too_few(x):
    return np.sum(np.std(x, axis=0, ddof=2))


@pytest.mark.parametrize("f, x", [(var_too_few, np.array([1.5])), (std_too_few, np.array([[1.0, 2.0], [3.0, 5.0]]))])
def test_var_std_without_degrees_of_freedom(f, x):
    # NumPy divides by max(N - ddof, 0) = 0: inf or nan, with a warning; the gradient follows (inf/nan), no raise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, grad = ad.value_and_grad(f)(x)
        expected = f(x)
    assert np.array_equal(value, expected, equal_nan=True)
    assert grad.shape == x.shape and not np.isfinite(grad).any()


@pytest.mark.parametrize("f", [take_nothing, take_nothing_flat])
def test_take_of_no_indices(f):
    _check(f, _c_order, np.random.default_rng(2).normal(size=(2, 3)))
