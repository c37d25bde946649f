"""The table's vector-Jacobian check (vjp_check.py) derives the right function and rejects wrong products."""

from __future__ import annotations

import numpy as np
import pytest
import vjp_check
from vjp_check import check_vjp, derived_raw

import adtransform


def reduced_product(x, y):
    z = x * y
    return np.sum(np.sin(z[::-1] + x))


def weighted(x, w):
    return np.sum(x.T * w)


def reduced_with_keyword(x):
    return np.sum(np.sin(x), axis=0)


def test_derived_raw_is_the_body_before_the_reduction():
    raw = derived_raw(reduced_product)
    x, y = np.arange(3.0), np.arange(3.0) + 1.5
    np.testing.assert_array_equal(raw(x, y), (x * y)[::-1] + x)
    assert derived_raw(weighted) is None and derived_raw(reduced_with_keyword) is None


def test_derived_raw_is_differentiated_through_its_own_source():
    x, y = np.linspace(-1, 1, 4), np.linspace(0.5, 2, 4)
    _, pullback = adtransform.vjp(derived_raw(reduced_product), x, y)
    v = np.array([1.0, -2.0, 0.5, 3.0])
    gx, gy = pullback(v)
    np.testing.assert_allclose(gx, v[::-1] * y + v)
    np.testing.assert_allclose(gy, v[::-1] * x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_accepts_the_exact_product(dtype):
    x, y = np.linspace(-1, 1, 5).astype(dtype), np.linspace(0.5, 2, 5).astype(dtype)
    check_vjp(reduced_product, (x, y), (0, 1), None, "exact")


@pytest.mark.parametrize("wrong", ["scaled", "reversed", "one argument"])
def test_rejects_a_wrong_product(monkeypatch, wrong):
    def bad_vjp(fn, *args):
        out, pullback = adtransform.vjp(fn, *args)

        def bad(v):
            gx, gy = pullback(v)
            if wrong == "scaled":
                return gx * 1.001, gy
            if wrong == "reversed":
                return gx[::-1], gy
            return gx, np.zeros_like(gy)
        return out, bad

    monkeypatch.setattr(vjp_check, "_vjp", bad_vjp)
    x, y = np.linspace(-1, 1, 5), np.linspace(0.5, 2, 5)
    with pytest.raises(AssertionError, match="vector-Jacobian product"):
        check_vjp(reduced_product, (x, y), (0, 1), None, "wrong")


def test_rows_of_another_form_are_checked_through_the_gradient(monkeypatch):
    def bad_grad(fn, wrt):
        good = adtransform.grad(fn, wrt=wrt)
        return lambda *args: tuple(g * 1.001 for g in good(*args))

    x, w = np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(0.5, 2, 6).reshape(3, 2)
    check_vjp(weighted, (x, w), (0, 1), None, "weighted")
    monkeypatch.setattr(vjp_check, "_grad", bad_grad)
    with pytest.raises(AssertionError, match="vector-Jacobian product"):
        check_vjp(weighted, (x, w), (0, 1), None, "weighted")
