"""vjp of functions returning a structure the source shows without a display: a primitive's tuple
(`return np.linalg.eigh(A)`), a dict or list comprehension. Against central differences of the
cotangent-weighted sum, and against `grad` of that sum written out."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad

S = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])
CW = np.array([1.0, -0.5, 0.25])
CV = np.arange(9.0).reshape(3, 3) / 10


def eigh(a):
    return np.linalg.eigh(a)


def eigh_kept(a):
    t = np.linalg.eigh(a)
    return t


def eigh_weighted(a):
    w, v = np.linalg.eigh(a)
    return np.sum(CW * w) + np.sum(CV * v)


def slogdet(a):
    return np.linalg.slogdet(a * 2.0)


def singular_values(a):
    return np.linalg.svd(a, compute_uv=False)


def squares(x):
    return {k: x ** (i + 1) for i, k in enumerate(("a", "b"))}


def powers(x):
    return [np.sin(x) * i for i in range(3)]


@pytest.mark.parametrize("fn", [eigh, eigh_kept])
def test_primitive_tuple_returned(fn):
    out, pullback = ad.vjp(fn, S)
    assert type(out) is type(np.linalg.eigh(S)) and np.allclose(out[0], np.linalg.eigh(S)[0])
    (g,) = pullback((CW, np.zeros((3, 3))))  # (a plain tuple for the named tuple)
    np.testing.assert_allclose(g, numeric_grad(lambda a: np.sum(CW * np.linalg.eigh(a)[0]), (S,)),
                               rtol=1e-6, atol=1e-10)
    (g,) = pullback(type(out)(CW, CV))
    np.testing.assert_allclose(g, ad.grad(eigh_weighted)(S), rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="structure"):
        pullback((CW,))


def test_slogdet_returned():
    out, pullback = ad.vjp(slogdet, S)
    (g,) = pullback((0.0, 1.0))
    np.testing.assert_allclose(g, np.linalg.inv(S).T, rtol=1e-10)
    np.testing.assert_allclose(g, numeric_grad(lambda a: np.linalg.slogdet(a * 2.0)[1], (S,)), rtol=1e-6)


def test_tuple_primitive_returning_an_array():
    out, pullback = ad.vjp(singular_values, S)
    c = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(pullback(c)[0], numeric_grad(lambda a: np.sum(c * singular_values(a)), (S,)),
                               rtol=1e-6)


def test_comprehensions_returned():
    x = np.array([0.3, -1.2])
    out, pullback = ad.vjp(squares, x)
    assert list(out) == ["a", "b"]
    ca, cb = np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    np.testing.assert_allclose(pullback({"a": ca, "b": cb})[0], ca + 2 * cb * x, rtol=1e-12)
    out, pullback = ad.vjp(powers, x)
    cs = [np.ones(2), np.array([1.0, -2.0]), np.array([0.5, 3.0])]
    np.testing.assert_allclose(pullback(cs)[0], np.cos(x) * (cs[1] + 2 * cs[2]), rtol=1e-12)
