"""Table of scipy.special's derivative rules (adtransform/rules/scipy_special.py), against finite
differences, with refusals and a few cross-checks against autograd.scipy.special."""

from __future__ import annotations

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")

from rule_table import (  # noqa: E402
    BINARY,
    F32,
    F64,
    RED_ANY,
    SCALAR,
    UNARY,
    Rule,
    check_case,
    expand,
    gt_m1,
    pos,
    real,
    unit,
)

import adtransform as ad  # noqa: E402
from adtransform.errors import NoAdjointRuleError  # noqa: E402

# --- domains inside each function's support -------------------------------------------------


def prob(rng, shape):  # logit, ndtri: (0, 1)
    return rng.uniform(0.1, 0.9, shape)


def twice_prob(rng, shape):  # erfcinv: (0, 2)
    return rng.uniform(0.15, 1.85, shape)


def gamma_arg(rng, shape):  # away from the poles of Gamma and digamma
    return rng.uniform(0.5, 3.0, shape)


def big_gamma_arg(rng, shape):  # multigammaln(a, d) needs a > (d - 1) / 2
    return rng.uniform(1.6, 3.5, shape)


def gamma_negative(rng, shape):  # between two poles: Gamma(x) < 0 there
    return rng.uniform(-2.8, -2.2, shape)


def left_tail(rng, shape):  # log_ndtr where the cdf underflows to nearly 0
    return rng.uniform(-30.0, -20.0, shape)


def wide(rng, shape):  # logsumexp's inputs far apart: the shift matters
    return rng.uniform(-20.0, 20.0, shape)


# --- shape sets ---------------------------------------------------------------------------------

MATRICES = [
    ("mat", [(3, 4)], F64),
    ("f32", [(3, 4)], F32),
    ("3d", [(2, 3, 4)], F64),
    ("big", [(5, 6)], F64),
    ("size1", [(3, 1)], F64),
    ("empty", [(0, 3)], F64),
]
THREE_D = [("3d", [(2, 3, 4)], F64), ("3d f32", [(2, 3, 4)], F32), ("3d size1", [(2, 1, 4)], F64)]
WEIGHTED = [
    ("mat,mat", [(3, 4), (3, 4)], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("row,mat", [(4,), (3, 4)], F64),
    ("mat,scalar", [(3, 4), None], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
]

# --- elementwise functions ----------------------------------------------------------------------


def f_expit(x):
    return np.sum(np.sin(special.expit(x)))


def f_expit_out(x):
    buf = np.zeros_like(x)
    special.expit(x, out=buf)
    return np.sum(np.sin(buf))


def f_log_expit(x):
    return np.sum(np.sin(special.log_expit(x)))


def f_loggamma(x):
    return np.sum(np.sin(special.loggamma(x)))


def f_multigammaln(a):
    return np.sum(np.sin(special.multigammaln(a, 3)))


def f_multigammaln_kw(a):
    return np.sum(np.sin(special.multigammaln(a, d=2)))


def f_logit(x):
    return np.sum(np.sin(special.logit(x)))


def f_gammaln(x):
    return np.sum(np.sin(special.gammaln(x)))


def f_gamma(x):
    return np.sum(np.sin(special.gamma(x)))


def f_digamma(x):
    return np.sum(np.sin(special.digamma(x)))


def f_psi(x):
    return np.sum(np.sin(special.psi(x)))


def f_polygamma1(x):
    return np.sum(np.sin(special.polygamma(1, x)))


def f_polygamma2(x):
    return np.sum(np.sin(special.polygamma(2, x)))


def f_erf(x):
    return np.sum(np.sin(special.erf(x)))


def f_erfc(x):
    return np.sum(np.sin(special.erfc(x)))


def f_erfinv(x):
    return np.sum(np.sin(special.erfinv(x)))


def f_erfcinv(x):
    return np.sum(np.sin(special.erfcinv(x)))


def f_ndtr(x):
    return np.sum(np.sin(special.ndtr(x)))


def f_log_ndtr(x):
    return np.sum(np.sin(special.log_ndtr(x)))


def f_log_ndtr_tail(x):
    return np.sum(special.log_ndtr(x) * 0.01)


def f_ndtri(x):
    return np.sum(np.sin(special.ndtri(x)))


def f_log1p(x):
    return np.sum(np.sin(special.log1p(x)))


def f_expm1(x):
    return np.sum(np.sin(special.expm1(x)))


def f_entr(x):
    return np.sum(np.sin(special.entr(x)))


def f_beta(a, b):
    return np.sum(np.sin(special.beta(a, b)))


def f_betaln(a, b):
    return np.sum(np.sin(special.betaln(a, b)))


def f_xlogy(x, y):
    return np.sum(np.sin(special.xlogy(x, y)))


def f_xlog1py(x, y):
    return np.sum(np.sin(special.xlog1py(x, y)))


def f_rel_entr(x, y):
    return np.sum(np.sin(special.rel_entr(x, y)))


# --- reductions ----------------------------------------------------------------------------------


def lse_all(a):
    return np.sin(special.logsumexp(a))


def lse_all_keepdims(a):
    return np.sum(np.sin(special.logsumexp(a, keepdims=True)))


def lse_axis0(a):
    return np.sum(np.sin(special.logsumexp(a, axis=0)))


def lse_axis1(a):
    return np.sum(np.sin(special.logsumexp(a, axis=1)))


def lse_axis_neg(a):
    return np.sum(np.sin(special.logsumexp(a, axis=-1)))


def lse_axis1_keepdims(a):
    return np.sum(np.sin(special.logsumexp(a, axis=1, keepdims=True)))


def lse_positional(a):
    return np.sum(np.sin(special.logsumexp(a, 1)))


def lse_tuple(a):
    return np.sum(np.sin(special.logsumexp(a, axis=(0, 2))))


def lse_tuple_neg_keepdims(a):
    return np.sum(np.sin(special.logsumexp(a, axis=(-1, 0), keepdims=True)))


def lse_b(a, b):
    return np.sum(np.sin(special.logsumexp(a, axis=-1, b=b)))


def lse_b_all(a, b):
    return np.sin(special.logsumexp(a, b=b))


def lse_wide(a):
    return np.sum(np.sin(special.logsumexp(a, axis=0) * 0.1))


def softmax_all(x):
    return np.sum(np.sin(special.softmax(x) * 3.0))


def softmax_axis0(x):
    return np.sum(np.sin(special.softmax(x, axis=0) * 3.0))


def softmax_axis_neg(x):
    return np.sum(np.sin(special.softmax(x, axis=-1) * 3.0))


def softmax_tuple(x):
    return np.sum(np.sin(special.softmax(x, axis=(0, 2)) * 3.0))


def log_softmax_all(x):
    return np.sum(np.sin(special.log_softmax(x)))


def log_softmax_axis1(x):
    return np.sum(np.sin(special.log_softmax(x, axis=1)))


def log_softmax_positional(x):
    return np.sum(np.sin(special.log_softmax(x, -1)))


RULES = [
    Rule("expit", f_expit, (real,), UNARY),
    Rule("expit(out=)", f_expit_out, (real,), UNARY[1:]),
    Rule("log_expit", f_log_expit, (wide,), UNARY),
    Rule("loggamma", f_loggamma, (gamma_arg,), UNARY),
    Rule("multigammaln", f_multigammaln, (big_gamma_arg,), UNARY),
    Rule("multigammaln(d=)", f_multigammaln_kw, (big_gamma_arg,), UNARY[:2]),
    Rule("logit", f_logit, (prob,), UNARY),
    Rule("gammaln", f_gammaln, (gamma_arg,), UNARY),
    Rule("gammaln negative", f_gammaln, (gamma_negative,), UNARY),
    Rule("gamma", f_gamma, (gamma_arg,), UNARY),
    Rule("digamma", f_digamma, (gamma_arg,), UNARY),
    Rule("psi", f_psi, (gamma_arg,), SCALAR),
    Rule("polygamma(1)", f_polygamma1, (gamma_arg,), UNARY),
    Rule("polygamma(2)", f_polygamma2, (gamma_arg,), UNARY),
    Rule("erf", f_erf, (real,), UNARY),
    Rule("erfc", f_erfc, (real,), UNARY),
    Rule("erfinv", f_erfinv, (unit,), UNARY),
    Rule("erfcinv", f_erfcinv, (twice_prob,), UNARY),
    Rule("ndtr", f_ndtr, (real,), UNARY),
    Rule("log_ndtr", f_log_ndtr, (real,), UNARY),
    Rule("log_ndtr tail", f_log_ndtr_tail, (left_tail,), UNARY[:3]),
    Rule("ndtri", f_ndtri, (prob,), UNARY),
    Rule("special.log1p", f_log1p, (gt_m1,), UNARY),
    Rule("special.expm1", f_expm1, (real,), UNARY),
    Rule("entr", f_entr, (pos,), UNARY),
    Rule("beta", f_beta, (gamma_arg, gamma_arg), BINARY),
    Rule("betaln", f_betaln, (gamma_arg, gamma_arg), BINARY),
    Rule("xlogy", f_xlogy, (real, pos), BINARY),
    Rule("xlog1py", f_xlog1py, (real, gt_m1), BINARY),
    Rule("rel_entr", f_rel_entr, (pos, pos), BINARY),
    Rule("logsumexp", lse_all, (real,), UNARY),
    Rule("logsumexp(keepdims)", lse_all_keepdims, (real,), RED_ANY),
    Rule("logsumexp(axis=0)", lse_axis0, (real,), RED_ANY),
    Rule("logsumexp(axis=1)", lse_axis1, (real,), MATRICES),
    Rule("logsumexp(axis=-1)", lse_axis_neg, (real,), RED_ANY),
    Rule("logsumexp(axis=1,keepdims)", lse_axis1_keepdims, (real,), MATRICES),
    Rule("logsumexp(a, 1)", lse_positional, (real,), MATRICES[:2]),
    Rule("logsumexp(axis=(0,2))", lse_tuple, (real,), THREE_D),
    Rule("logsumexp(axis=(-1,0),keepdims)", lse_tuple_neg_keepdims, (real,), THREE_D),
    Rule("logsumexp(b=)", lse_b, (real, pos), WEIGHTED),
    Rule("logsumexp(b=) all", lse_b_all, (real, pos), WEIGHTED[:2]),
    Rule("logsumexp wide", lse_wide, (wide,), RED_ANY[:2]),
    Rule("softmax", softmax_all, (real,), UNARY[1:]),
    Rule("softmax(axis=0)", softmax_axis0, (real,), RED_ANY),
    Rule("softmax(axis=-1)", softmax_axis_neg, (real,), MATRICES),
    Rule("softmax(axis=(0,2))", softmax_tuple, (real,), THREE_D),
    Rule("log_softmax", log_softmax_all, (real,), UNARY[1:]),
    Rule("log_softmax(axis=1)", log_softmax_axis1, (real,), MATRICES),
    Rule("log_softmax(x, -1)", log_softmax_positional, (real,), RED_ANY),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- conventions ------------------------------------------------------------------------------


def xlogy_sum(x, y):
    return np.sum(special.xlogy(x, y))


def test_xlogy_at_zero_follows_jax():
    """x == 0: the value is 0 and d/dy = x / y = 0 for y > 0; d/dx = log(y) (JAX's convention)."""
    x, y = np.array([0.0, 0.0, 1.0]), np.array([2.0, 0.5, 3.0])
    gx, gy = ad.grad(xlogy_sum, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.log(y))
    np.testing.assert_allclose(gy, [0.0, 0.0, 1.0 / 3.0])


def lse_masked(a):
    return special.logsumexp(a)


def test_logsumexp_minus_infinity_gets_zero():
    a = np.array([0.5, -np.inf, 1.0])
    g = ad.grad(lse_masked)(a)
    e = np.exp(np.array([0.5, 1.0]) - special.logsumexp(a))
    np.testing.assert_allclose(g, [e[0], 0.0, e[1]])


# --- refusals ---------------------------------------------------------------------------------


def lse_sign(a):
    flag = a.shape[0] > 2  # (return_sign=True is supported: tests/test_rules_scipy_special_extra.py)
    y, s = special.logsumexp(a, return_sign=flag)
    return y * s


@pytest.mark.parametrize("fn, message", [
    (lse_sign, "return_sign="),
])
def test_refused(fn, message):
    with pytest.raises(NoAdjointRuleError, match=message) as info:
        ad.grad(fn)(np.array([0.1, 0.2, 0.3]))
    assert "test_rules_scipy_special.py:" in str(info.value)


# --- cross-checks against autograd.scipy.special -------------------------------------------------


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    anp = pytest.importorskip("autograd.numpy")
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2.5, (3, 4))
    b = rng.uniform(0.5, 1.5, (3, 4))
    pairs = [
        (lse_axis1, lambda a: anp.sum(anp.sin(asp.logsumexp(a, axis=1)))),
        (lse_axis1_keepdims, lambda a: anp.sum(anp.sin(asp.logsumexp(a, axis=1, keepdims=True)))),
        (f_expit, lambda a: anp.sum(anp.sin(asp.expit(a)))),
        (f_gammaln, lambda a: anp.sum(anp.sin(asp.gammaln(a)))),
        (f_digamma, lambda a: anp.sum(anp.sin(asp.digamma(a)))),
        (f_polygamma2, lambda a: anp.sum(anp.sin(asp.polygamma(2, a)))),
        (f_erfc, lambda a: anp.sum(anp.sin(asp.erfc(a)))),
        (f_gamma, lambda a: anp.sum(anp.sin(asp.gamma(a)))),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ad.grad(ours)(x), autograd.grad(theirs)(x), rtol=1e-10, err_msg=ours.__name__)
    gb = ad.grad(lse_b, wrt=1)(x, b)  # (autograd has no derivative in `b`): analytic
    y = special.logsumexp(x, axis=-1, b=b, keepdims=True)
    np.testing.assert_allclose(gb, np.cos(y) * np.exp(x - y), rtol=1e-10)
    ga, gb = ad.grad(f_betaln, wrt=(0, 1))(x, b)
    ta, tb = autograd.grad(lambda p, q: anp.sum(anp.sin(asp.betaln(p, q))), (0, 1))(x, b)
    np.testing.assert_allclose(ga, ta, rtol=1e-10)
    np.testing.assert_allclose(gb, tb, rtol=1e-10)
