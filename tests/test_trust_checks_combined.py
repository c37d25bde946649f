"""The argument checks made in one call per function (`ensure_all_differentiable`,
`ensure_arguments`), the faster `as_gradient` and the guard spread over several lines:
as strict as one check per parameter, whichever parameter is wrong, and wherever the rebinding is."""

import types

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad
from adtransform.runtime import as_gradient, ensure_all_differentiable, ensure_arguments

X = np.array([0.3, -0.5, 1.2])


def three(a, b, c, M, N, k):
    return np.sum(M * a) * b + np.sum(N * c) * k


def args():
    return [X.copy(), 0.7, np.array([1.5, 0.5, -0.25]), np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0]), 2.0]


def test_source_makes_one_call_per_kind_of_check():
    source = ad.grad(three, wrt=(0, 1, 2)).source
    assert "ensure_all_differentiable('a b c', a, b, c)" in source
    assert "ensure_arguments('M N k', M, N, k)" in source


@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize("bad, what", [(3, "integers"), (True, "booleans"), (np.array([1, 2, 3]), "integers"),
                                       ("x", "type str")])
def test_each_differentiated_parameter_is_refused_by_its_name(position, bad, what):
    values = args()
    values[position] = bad
    name = "abc"[position]
    with pytest.raises(ad.NonDifferentiableInputError, match=rf"`{name}`.*{what}"):
        ad.grad(three, wrt=(0, 1, 2))(*values)


@pytest.mark.parametrize("position", [3, 4, 5])
@pytest.mark.parametrize("bad, what", [(np.matrix(np.ones(3)), "numpy.matrix"),
                                       (np.ma.masked_array(np.ones(3), mask=[0, 1, 0]), "MaskedArray"),
                                       (np.ones(3) + 0j, "complex array"), (1j, "complex number")])
def test_each_other_argument_is_refused_by_its_name(position, bad, what):
    values = args()
    values[position] = bad
    name = "MNk"[position - 3]
    with pytest.raises(ad.UnsupportedArgumentError, match=rf"`{name}`.*{what}"):
        ad.grad(three, wrt=(0, 1, 2))(*values)


@pytest.mark.parametrize("a, b", [(np.float32(0.3), np.float64(0.7)), (np.array(0.3), 0.7),
                                  (X.astype(np.float32), np.float32(0.7))])
def test_numpy_scalars_and_other_float_dtypes_pass_the_combined_check(a, b):
    values = args()
    values[0], values[1] = a, b
    got = ad.grad(three, wrt=(0, 1, 2))(*values)
    want = numeric_grad(three, tuple(np.asarray(v, dtype=np.float64) if i < 3 else v
                                     for i, v in enumerate(values)), wrt=(0, 1, 2))
    for g, w, v in zip(got, want, values):
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-4)
        assert np.asarray(g).dtype == np.asarray(v).dtype  # each gradient in its parameter's dtype


def test_the_helpers_alone():
    ensure_all_differentiable("x y", 1.0, X)
    ensure_arguments("M k flag none", np.array([1, 2]), 3, True, None)
    with pytest.raises(ad.NonDifferentiableInputError, match="`y`"):
        ensure_all_differentiable("x y", 1.0, np.array([1, 2]))
    with pytest.raises(ad.UnsupportedArgumentError, match="`k`"):
        ensure_arguments("M k", X, np.matrix(X))


@pytest.mark.parametrize("g, x, dtype", [
    (np.float64(2.5), 1.0, float), (2.5, 1.0, float), (np.float32(2.5), 1.0, float),
    (np.ones(3), np.zeros(3, dtype=np.float32), np.float32), (np.ones(3), np.zeros(3), np.float64),
    (2.5, np.float32(1.0), np.float32), (np.float64(2.5), np.array(1.0, dtype=np.float32), np.float32),
])
def test_as_gradient_gives_the_parameters_type(g, x, dtype):
    out = as_gradient(g, x)
    assert (type(out) is float) if dtype is float else (np.asarray(out).dtype == dtype)
    np.testing.assert_allclose(out, 2.5 if np.ndim(g) == 0 else np.ones(3))


LIB = types.ModuleType("lib")  # a module of the user's, whose attributes a test rebinds
for _name in ("sum", "tanh", "exp", "cos", "log1p", "sin", "arctan"):
    setattr(LIB, _name, getattr(np, _name))


def many_attributes(x):
    return LIB.sum(LIB.tanh(x) + LIB.exp(x) * LIB.cos(x) + LIB.log1p(x * x) + LIB.sin(x) + LIB.arctan(x))


@pytest.mark.parametrize("attr, replacement", [("arctan", np.sinh), ("sin", np.cos), ("tanh", np.arcsinh),
                                               ("exp", np.expm1)])
def test_a_guard_over_several_lines_catches_a_rebinding_on_any_line(attr, replacement, monkeypatch):
    g = ad.grad(many_attributes)
    assert "\n            or " in g.source  # (long enough to be spread over lines)
    np.testing.assert_allclose(g(X), numeric_grad(many_attributes, (X,)), rtol=1e-5, atol=1e-7)
    monkeypatch.setattr(LIB, attr, replacement)
    np.testing.assert_allclose(g(X), numeric_grad(many_attributes, (X,)), rtol=1e-5, atol=1e-7)


def test_a_guard_over_several_lines_catches_the_module_rebound(monkeypatch):
    g = ad.grad(many_attributes)
    fake = types.ModuleType("fake")
    fake.__dict__.update(LIB.__dict__)
    fake.arctan = np.sin
    monkeypatch.setitem(many_attributes.__globals__, "LIB", fake)
    want = 1 - np.tanh(X) ** 2 + np.exp(X) * (np.cos(X) - np.sin(X)) + 2 * X / (1 + X * X) + 2 * np.cos(X)
    np.testing.assert_allclose(g(X), want, rtol=1e-12)


def two_of_three(a, b, c):
    return np.sum(a * b) + c ** 2 * np.sum(a)


@pytest.mark.parametrize("a, b, c", [
    (X.astype(np.float32), np.array([1.0, 2.0, 0.5]), 0.75),
    (X, np.array([1.0, 2.0, 0.5], dtype=np.float32), np.float32(0.75)),
    (X, np.array([1.0, 2.0, 0.5]), 0.75),
])
def test_every_returned_gradient_keeps_its_parameters_dtype(a, b, c):
    got = ad.grad(two_of_three, wrt=(0, 1, 2))(a, b, c)
    want = numeric_grad(two_of_three, (a.astype(np.float64), b.astype(np.float64), float(c)), wrt=(0, 1, 2))
    for out, w, x in zip(got, want, (a, b, c)):
        np.testing.assert_allclose(out, w, rtol=1e-3, atol=1e-4)
        assert (type(out) is float) if type(x) is float else np.asarray(out).dtype == np.asarray(x).dtype
    value, grads = ad.value_and_grad(two_of_three, wrt=(0, 1, 2))(a, b, c)
    for out, w in zip(grads, want):
        np.testing.assert_allclose(out, w, rtol=1e-3, atol=1e-4)
