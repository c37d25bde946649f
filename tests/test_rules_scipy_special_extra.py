"""Table of scipy.special's incomplete gamma and beta functions, their inverses, kl_div and boxcox
(rules/scipy_special_incomplete.py), and logsumexp with return_sign=True (rules/scipy_special.py), against
finite differences, with refusals and autograd cross-checks."""

from __future__ import annotations

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")

from rule_table import BINARY, F32, F64, Rule, check_case, expand, pos  # noqa: E402

import adtransform as ad  # noqa: E402
from adtransform.errors import NoAdjointRuleError  # noqa: E402

# --- domains -------------------------------------------------------------------------------------


def shape_dom(rng, shape):
    return rng.uniform(0.3, 4.0, shape)


def big_shape(rng, shape):
    return rng.uniform(20.0, 60.0, shape)


def xpos(rng, shape):
    return rng.uniform(0.2, 5.0, shape)


def unit(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def lam(rng, shape):  # boxcox's exponent, through 0
    return rng.uniform(-1.5, 1.5, shape)


def tiny_lam(rng, shape):  # where the closed form cancels
    return rng.uniform(-1e-3, 1e-3, shape)


def real(rng, shape):
    return rng.uniform(-1.5, 1.5, shape)


def near0(rng, shape):  # with `weights`: exp(a) in (0.74, 1.35), so the weighted sum stays far from 0
    return rng.uniform(-0.3, 0.3, shape)


def weights(rng, shape):  # signed weights, far from summing to 0 (the first outweighs the others)
    w = rng.uniform(0.5, 1.5, shape)
    w[..., 0] = -3.0 * np.sum(w, axis=-1)
    return w


PAIR = [
    ("scalars", [None, None], F64),
    ("vec,vec", [(5,), (5,)], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("scalar,mat", [None, (3, 4)], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
]
TRIPLE = [
    ("scalars", [None] * 3, F64),
    ("vec,vec,vec", [(5,)] * 3, F64),
    ("row,col,mat", [(4,), (3, 1), (3, 4)], F64),
    ("f32 vec...", [(5,)] * 3, F32),
]

# --- functions -----------------------------------------------------------------------------------------


def f_gammainc(a, x):
    return np.sum(np.sin(3.0 * special.gammainc(a, x)))


def f_gammaincc(a, x):
    return np.sum(np.sin(3.0 * special.gammaincc(a, x)))


def f_gammaincinv(a, p):
    return np.sum(np.sin(special.gammaincinv(a, p)))


def f_gammainccinv(a, q):
    return np.sum(np.sin(special.gammainccinv(a, q)))


def f_betainc(a, b, x):
    return np.sum(np.sin(3.0 * special.betainc(a, b, x)))


def f_betaincinv(a, b, p):
    return np.sum(np.sin(3.0 * special.betaincinv(a, b, p)))


def f_kl_div(x, y):
    return np.sum(np.sin(special.kl_div(x, y)))


def f_boxcox(x, lmbda):
    return np.sum(np.sin(special.boxcox(x, lmbda)))


def f_boxcox1p(x, lmbda):
    return np.sum(np.sin(special.boxcox1p(x, lmbda)))


def lse_signed(a, b):
    value, sign = special.logsumexp(a, b=b, return_sign=True)
    return np.sin(value) * sign


def lse_signed_axis(a, b):
    value, sign = special.logsumexp(a, axis=-1, b=b, return_sign=True)
    return np.sum(np.sin(value) * sign)


def lse_signed_keepdims(a, b):
    value, sign = special.logsumexp(a, 0, b, True, True)
    return np.sum(np.cos(value) + sign)


def lse_signed_value(a, b):
    out = special.logsumexp(a, axis=(0, 1), b=b, return_sign=True)
    return np.sum(np.exp(out[0]) * out[1])


def lse_signed_no_b(a):
    value, sign = special.logsumexp(a, axis=0, return_sign=True)
    return np.sum(np.sin(value) * sign)


def lse_unsigned_flag(a):
    return np.sum(np.sin(special.logsumexp(a, axis=1, return_sign=False)))


RULES = [
    Rule("gammainc", f_gammainc, (shape_dom, xpos), PAIR),
    Rule("gammainc large a", f_gammainc, (big_shape, big_shape), PAIR[:3]),
    Rule("gammaincc", f_gammaincc, (shape_dom, xpos), PAIR),
    Rule("gammaincinv", f_gammaincinv, (shape_dom, unit), PAIR),
    Rule("gammainccinv", f_gammainccinv, (shape_dom, unit), PAIR[:3]),
    Rule("betainc", f_betainc, (shape_dom, shape_dom, unit), TRIPLE),
    Rule("betainc large", f_betainc, (big_shape, shape_dom, unit), TRIPLE[:2]),
    Rule("betaincinv", f_betaincinv, (shape_dom, shape_dom, unit), TRIPLE),
    Rule("kl_div", f_kl_div, (pos, pos), BINARY),
    Rule("boxcox", f_boxcox, (pos, lam), PAIR),
    Rule("boxcox near 0", f_boxcox, (pos, tiny_lam), PAIR[:3]),
    Rule("boxcox1p", f_boxcox1p, (pos, lam), PAIR),
    Rule("logsumexp signed", lse_signed, (near0, weights), [("vec", [(5,), (5,)], F64), ("mat", [(3, 4), (3, 4)], F64),
                                                          ("f32 vec", [(5,), (5,)], F32)]),
    Rule("logsumexp signed axis", lse_signed_axis, (near0, weights), [
        ("mat,mat", [(3, 4), (3, 4)], F64), ("mat,row", [(3, 4), (4,)], F64), ("3d,mat", [(2, 3, 4), (3, 4)], F64)]),
    Rule("logsumexp signed keepdims positional", lse_signed_keepdims, (near0, weights), [
        ("mat,mat", [(4, 3), (4, 3)], F64)]),
    Rule("logsumexp signed tuple axis", lse_signed_value, (near0, weights), [("3d", [(2, 3, 4), (2, 3, 4)], F64)]),
    Rule("logsumexp signed without b", lse_signed_no_b, (real,), [("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32)]),
    Rule("logsumexp return_sign=False", lse_unsigned_flag, (real,), [("mat", [(3, 4)], F64)]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def test_signed_logsumexp_recovers_the_weighted_sum():
    """s * exp(v) is sum(b * exp(a)): its gradient is b * exp(a) in a and exp(a) in b, signs and all."""
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    ga, gb = ad.grad(lse_signed_value, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(ga, b * np.exp(a), rtol=1e-12)
    np.testing.assert_allclose(gb, np.exp(a), rtol=1e-12)


# --- refusals ------------------------------------------------------------------------------------------


def lse_zero_sum(a, b):
    value, sign = special.logsumexp(a, b=b, return_sign=True)
    return value


def test_signed_logsumexp_zero_sum_is_refused():
    """log|sum| at a zero sum is -inf with an infinite derivative: an error, not nan."""
    with pytest.raises(FloatingPointError, match="weighted sum is 0"):
        ad.grad(lse_zero_sum)(np.array([0.5, 0.5]), np.array([1.0, -1.0]))


def lse_runtime_flag(a):
    value, sign = special.logsumexp(a, return_sign=a.shape[0] > 2)
    return value * sign


def test_runtime_return_sign_is_refused():
    with pytest.raises(NoAdjointRuleError, match="return_sign") as info:
        ad.grad(lse_runtime_flag)(np.array([0.1, 0.2, 0.3]))
    assert "test_rules_scipy_special_extra.py:" in str(info.value)


# --- cross-checks against autograd.scipy.special (x only: autograd has no derivative in a shape) ----------


def gammainc_x(x):
    return np.sum(np.sin(3.0 * special.gammainc(2.5, x)))


def betainc_x(x):
    return np.sum(np.sin(3.0 * special.betainc(1.5, 2.5, x)))


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    anp = pytest.importorskip("autograd.numpy")
    x = np.random.default_rng(4).uniform(0.1, 0.9, 5)
    np.testing.assert_allclose(ad.grad(gammainc_x)(x * 4),
                               autograd.grad(lambda v: anp.sum(anp.sin(3.0 * asp.gammainc(2.5, v))))(x * 4), rtol=1e-9)
    np.testing.assert_allclose(ad.grad(betainc_x)(x),
                               autograd.grad(lambda v: anp.sum(anp.sin(3.0 * asp.betainc(1.5, 2.5, v))))(x), rtol=1e-9)
