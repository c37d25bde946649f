"""A global whose value decides the transform (a rule's accepted values, whether a call returns a
tuple) is guarded by identity: changing it derives the gradient again instead of keeping a stale one.

Data a gradient merely reads at run time stays guarded by type (it is read afresh at each call).
"""

from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad
from adtransform.errors import NoAdjointRuleError

A = np.random.default_rng(3).normal(size=(3, 3))
SPD = A @ A.T + 3.0 * np.eye(3)  # well conditioned: finite differences of pinv stay accurate
UV = False


def singular_values(a):
    s = np.linalg.svd(a, compute_uv=UV)
    return np.sum(np.sin(s))


def _close(g, f, a):
    np.testing.assert_allclose(g, numeric_grad(f, (a,), wrt=0), rtol=1e-5, atol=1e-7)


def test_a_global_deciding_the_tuple_result_rederives_when_it_changes():
    global UV
    g = ad.grad(singular_values)
    try:
        _close(g(A), singular_values, A)
        UV = True          # svd now returns (U, s, Vh), which np.sin is not given: refused, never stale
        with pytest.raises(NoAdjointRuleError, match="np.stack"):
            g(A)
        with pytest.raises(NoAdjointRuleError, match="np.stack"):
            ad.grad(singular_values)(A)
    finally:
        UV = False
    _close(g(A), singular_values, A)


HERMITIAN = False


def pseudo_inverse(a):
    return np.sum(np.sin(np.linalg.pinv(a, hermitian=HERMITIAN)))


def test_a_global_a_rule_accepted_is_checked_again_when_it_changes():
    global HERMITIAN
    g = ad.grad(pseudo_inverse)
    sym = SPD
    try:
        _close(g(sym), pseudo_inverse, sym)
        HERMITIAN = True                            # refused by the rule: now refused, never stale
        with pytest.raises(NoAdjointRuleError, match="hermitian"):
            g(sym)
    finally:
        HERMITIAN = False
    _close(g(sym), pseudo_inverse, sym)


def test_a_closure_cell_a_rule_accepted_is_checked_again():
    def make(hermitian):
        def f(a):
            return np.sum(np.sin(np.linalg.pinv(a, hermitian=hermitian)))
        return f

    f = make(False)
    g = ad.grad(f)
    _close(g(SPD), f, SPD)
    f.__closure__[0].cell_contents = True
    with pytest.raises(NoAdjointRuleError, match="hermitian"):
        g(SPD)


def test_a_callee_global_a_rule_accepted_is_checked_again(tmp_path, monkeypatch):
    (tmp_path / "consulted_helper.py").write_text(textwrap.dedent("""
        import numpy as np
        HERMITIAN = False
        def pinv_sin(a):
            return np.sum(np.sin(np.linalg.pinv(a, hermitian=HERMITIAN)))
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = importlib.import_module("consulted_helper")
    try:
        def loss(a):
            return helper.pinv_sin(a) * 2.0

        g = ad.grad(loss)
        _close(g(SPD), loss, SPD)
        helper.HERMITIAN = True
        with pytest.raises(NoAdjointRuleError, match="hermitian"):
            g(SPD)
    finally:
        sys.modules.pop("consulted_helper", None)


def test_a_function_named_by_a_factory_with_no_identifier_name():
    def f(x):
        return np.sum(x * x)

    f.__name__ = "loss (v2)-final"
    g = ad.grad(f)
    x = np.arange(3.0)
    np.testing.assert_allclose(g(x), 2 * x)
    assert "def dloss_v2_final_dx(" in g.source


def test_a_function_name_that_would_break_the_docstring():
    def f(x):
        return np.sum(x * x)

    f.__name__ = 'bad"""\\name'
    x = np.arange(3.0)
    np.testing.assert_allclose(ad.grad(f)(x), 2 * x)


def scaled(x, k=2.0, *, m=1.0):
    return np.sum(x**2) * k * m


def test_a_gradient_takes_the_defaults_its_function_has_when_called():
    x = np.array([0.5, -1.0, 2.0])
    g = ad.grad(scaled)
    saved = scaled.__defaults__, dict(scaled.__kwdefaults__)
    try:
        np.testing.assert_allclose(g(x), 4.0 * x)
        scaled.__defaults__ = (3.0,)                 # replaced, as Python lets one do
        np.testing.assert_allclose(g(x), 6.0 * x)
        scaled.__kwdefaults__ = {"m": 5.0}
        np.testing.assert_allclose(g(x), 30.0 * x)
        np.testing.assert_allclose(g(x, 1.0, m=1.0), 2.0 * x)  # given explicitly: those
        np.testing.assert_allclose(ad.value_and_grad(scaled)(x)[1], 30.0 * x)
        assert "def dscaled_dx(" in g.source
    finally:
        scaled.__defaults__, scaled.__kwdefaults__ = saved
