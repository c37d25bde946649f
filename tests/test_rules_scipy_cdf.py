"""Table of the distribution functions of scipy.stats' location-scale families (rules/scipy_stats_cdf.py):
cdf, sf, logcdf, logsf and ppf against finite differences, with their conventions outside the support."""

from __future__ import annotations

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")

from rule_table import F32, F64, Rule, check_case, expand, real  # noqa: E402

import adtransform as ad  # noqa: E402
from adtransform.errors import AdtransformError  # noqa: E402

# --- domains -------------------------------------------------------------------------------------


def near0(rng, shape):  # loc
    return rng.uniform(-0.08, 0.08, shape)


def scale_dom(rng, shape):
    return rng.uniform(0.6, 2.0, shape)


def above(rng, shape):  # x of a distribution on z > 0, well above loc
    return rng.uniform(0.4, 3.0, shape)


def inside(rng, shape):  # uniform's x in (loc, loc + scale)
    return rng.uniform(0.25, 0.75, shape)


def wide_scale(rng, shape):
    return rng.uniform(1.1, 1.4, shape)


def prob(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def s_dom(rng, shape):  # lognorm's s
    return rng.uniform(0.4, 1.5, shape)


def rate(rng, shape):  # poisson's mu
    return rng.uniform(0.5, 4.0, shape)


def wide(rng, shape):  # both tails
    return rng.uniform(-8.0, 8.0, shape)


TRIPLE = [
    ("scalars", [None, None, None], F64),
    ("vec,scalar,scalar", [(5,), None, None], F64),
    ("mat,row,col", [(3, 4), (4,), (3, 1)], F64),
    ("vec,vec,vec", [(5,), (5,), (5,)], F64),
    ("3d,scalar,row", [(2, 3, 4), None, (4,)], F64),
    ("empty,scalar,scalar", [(0,), None, None], F64),
    ("f32 mat,row,col", [(3, 4), (4,), (3, 1)], F32),
]
SMALL = [TRIPLE[0], TRIPLE[2], TRIPLE[-1]]
QUAD = [
    ("scalars", [None] * 4, F64),
    ("vec,scalar,scalar,scalar", [(5,), None, None, None], F64),
    ("mat,row,col,scalar", [(3, 4), (4,), (3, 1), None], F64),
    ("f32 vec...", [(5,), (5,), (5,), (5,)], F32),
]
ONE = [("scalar", [None], F64), ("vec", [(5,)], F64), ("f32 mat", [(3, 4)], F32)]

# --- expon, laplace, cauchy, logistic, uniform: standard, positional and keyword forms -------------------


def expon_cdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.expon.cdf(x, loc, scale)))


def expon_sf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.expon.sf(x, loc=loc, scale=scale)))


def expon_logcdf(x, loc, scale):
    return np.sum(np.sin(stats.expon.logcdf(x, loc, scale)))


def expon_logsf(x, loc, scale):
    return np.sum(np.sin(stats.expon.logsf(x, scale=scale, loc=loc)))


def expon_cdf_std(x):
    return np.sum(np.sin(3.0 * stats.expon.cdf(x)))


def laplace_cdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.laplace.cdf(x, loc, scale)))


def laplace_sf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.laplace.sf(x, loc=loc, scale=scale)))


def laplace_logcdf(x, loc, scale):
    return np.sum(np.sin(0.3 * stats.laplace.logcdf(x, loc, scale)))


def laplace_logsf(x, loc, scale):
    return np.sum(np.sin(0.3 * stats.laplace.logsf(x, loc, scale=scale)))


def cauchy_cdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.cauchy.cdf(x, loc, scale)))


def cauchy_sf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.cauchy.sf(x, loc=loc, scale=scale)))


def cauchy_logcdf(x, loc, scale):
    return np.sum(np.sin(stats.cauchy.logcdf(x, loc, scale)))


def cauchy_logsf(x, loc, scale):
    return np.sum(np.sin(stats.cauchy.logsf(x, loc, scale)))


def logistic_cdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.logistic.cdf(x, loc, scale)))


def logistic_sf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.logistic.sf(x, loc=loc, scale=scale)))


def logistic_logcdf(x, loc, scale):
    return np.sum(np.sin(0.3 * stats.logistic.logcdf(x, loc, scale)))


def logistic_logsf(x, loc, scale):
    return np.sum(np.sin(0.3 * stats.logistic.logsf(x, loc, scale)))


def uniform_cdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.uniform.cdf(x, loc, scale)))


def uniform_sf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.uniform.sf(x, loc=loc, scale=scale)))


def uniform_logcdf(x, loc, scale):
    return np.sum(np.sin(stats.uniform.logcdf(x, loc, scale)))


def uniform_logsf(x, loc, scale):
    return np.sum(np.sin(stats.uniform.logsf(x, loc, scale)))


def lognorm_cdf(x, s, loc, scale):
    return np.sum(np.sin(3.0 * stats.lognorm.cdf(x, s, loc, scale)))


def lognorm_sf(x, s, loc, scale):
    return np.sum(np.sin(3.0 * stats.lognorm.sf(x, s=s, loc=loc, scale=scale)))


def lognorm_logcdf(x, s, loc, scale):
    return np.sum(np.sin(stats.lognorm.logcdf(x, s, loc, scale)))


def lognorm_logsf(x, s, loc, scale):
    return np.sum(np.sin(stats.lognorm.logsf(x, s, loc, scale)))


# --- ppf -----------------------------------------------------------------------------------------------


def norm_ppf(q, loc, scale):
    return np.sum(np.sin(stats.norm.ppf(q, loc, scale)))


def norm_ppf_kw(q, scale):
    return np.sum(np.sin(stats.norm.ppf(q, scale=scale)))


def expon_ppf(q, loc, scale):
    return np.sum(np.sin(stats.expon.ppf(q, loc, scale)))


def laplace_ppf(q, loc, scale):
    return np.sum(np.sin(stats.laplace.ppf(q, loc=loc, scale=scale)))


def cauchy_ppf(q, loc, scale):
    return np.sum(np.sin(0.3 * stats.cauchy.ppf(q, loc, scale)))


def logistic_ppf(q, loc, scale):
    return np.sum(np.sin(stats.logistic.ppf(q, loc, scale)))


def uniform_ppf(q, loc, scale):
    return np.sum(np.sin(stats.uniform.ppf(q, loc, scale)))


def lognorm_ppf(q, s, loc, scale):
    return np.sum(np.sin(stats.lognorm.ppf(q, s, loc, scale)))


def norm_isf(q, loc, scale):
    return np.sum(np.sin(stats.norm.isf(q, loc, scale)))


def expon_isf(q, loc, scale):
    return np.sum(np.sin(stats.expon.isf(q, loc=loc, scale=scale)))


def laplace_isf(q, loc, scale):
    return np.sum(np.sin(stats.laplace.isf(q, loc, scale)))


def cauchy_isf(q, loc, scale):
    return np.sum(np.sin(0.3 * stats.cauchy.isf(q, loc, scale)))


def logistic_isf(q, loc, scale):
    return np.sum(np.sin(stats.logistic.isf(q, loc, scale)))


def uniform_isf(q, loc, scale):
    return np.sum(np.sin(stats.uniform.isf(q, loc, scale)))


def lognorm_isf(q, s, loc, scale):
    return np.sum(np.sin(stats.lognorm.isf(q, s, loc, scale)))


# --- discrete: poisson and bernoulli in the rate or probability (counts carry no derivative) --------------

COUNTS = np.array([0.0, 1.0, 2.5, 4.0, -1.0])


def poisson_cdf(mu):
    return np.sum(np.sin(3.0 * stats.poisson.cdf(COUNTS, mu)))


def poisson_sf_loc(mu):
    return np.sum(np.sin(3.0 * stats.poisson.sf(COUNTS, mu, loc=-1)))


def poisson_logcdf(mu):
    return np.sum(np.sin(stats.poisson.logcdf(COUNTS + 1.0, mu)))


def poisson_logsf(mu):
    return np.sum(np.sin(stats.poisson.logsf(COUNTS, mu=mu)))


def bernoulli_cdf(p):
    return np.sum(np.sin(3.0 * stats.bernoulli.cdf(COUNTS, p)))


def bernoulli_sf(p):
    return np.sum(np.sin(3.0 * stats.bernoulli.sf(COUNTS, p)))


def bernoulli_logcdf(p):
    return np.sum(np.sin(stats.bernoulli.logcdf(COUNTS + 1.0, p)))


def bernoulli_logsf(p):
    return np.sum(np.sin(stats.bernoulli.logsf(np.minimum(COUNTS, 0.5), p=p)))


RATE = [("scalar", [None], F64), ("vec", [(5,)], F64), ("bcast", [(3, 1)], F64), ("f32 vec", [(5,)], F32)]

RULES = [
    Rule("expon.cdf", expon_cdf, (above, near0, scale_dom), TRIPLE),
    Rule("expon.cdf std", expon_cdf_std, (above,), ONE),
    Rule("expon.sf kw", expon_sf, (above, near0, scale_dom), SMALL),
    Rule("expon.logcdf", expon_logcdf, (above, near0, scale_dom), SMALL),
    Rule("expon.logsf kw", expon_logsf, (above, near0, scale_dom), SMALL),
    Rule("laplace.cdf", laplace_cdf, (real, near0, scale_dom), TRIPLE),
    Rule("laplace.sf kw", laplace_sf, (real, near0, scale_dom), SMALL),
    Rule("laplace.logcdf", laplace_logcdf, (wide, near0, scale_dom), SMALL),
    Rule("laplace.logsf", laplace_logsf, (wide, near0, scale_dom), SMALL),
    Rule("cauchy.cdf", cauchy_cdf, (real, near0, scale_dom), TRIPLE),
    Rule("cauchy.sf kw", cauchy_sf, (real, near0, scale_dom), SMALL),
    Rule("cauchy.logcdf", cauchy_logcdf, (wide, near0, scale_dom), SMALL),
    Rule("cauchy.logsf", cauchy_logsf, (wide, near0, scale_dom), SMALL),
    Rule("logistic.cdf", logistic_cdf, (real, near0, scale_dom), TRIPLE),
    Rule("logistic.sf kw", logistic_sf, (real, near0, scale_dom), SMALL),
    Rule("logistic.logcdf", logistic_logcdf, (wide, near0, scale_dom), SMALL),
    Rule("logistic.logsf", logistic_logsf, (wide, near0, scale_dom), SMALL),
    Rule("uniform.cdf", uniform_cdf, (inside, near0, wide_scale), TRIPLE),
    Rule("uniform.sf kw", uniform_sf, (inside, near0, wide_scale), SMALL),
    Rule("uniform.logcdf", uniform_logcdf, (inside, near0, wide_scale), SMALL),
    Rule("uniform.logsf", uniform_logsf, (inside, near0, wide_scale), SMALL),
    Rule("lognorm.cdf", lognorm_cdf, (above, s_dom, near0, scale_dom), QUAD),
    Rule("lognorm.sf kw", lognorm_sf, (above, s_dom, near0, scale_dom), QUAD[:3]),
    Rule("lognorm.logcdf", lognorm_logcdf, (above, s_dom, near0, scale_dom), QUAD[:3]),
    Rule("lognorm.logsf", lognorm_logsf, (above, s_dom, near0, scale_dom), QUAD[:3]),
    Rule("norm.ppf", norm_ppf, (prob, near0, scale_dom), TRIPLE),
    Rule("norm.ppf kw", norm_ppf_kw, (prob, scale_dom), [("vec,scalar", [(5,), None], F64)]),
    Rule("expon.ppf", expon_ppf, (prob, near0, scale_dom), SMALL),
    Rule("laplace.ppf kw", laplace_ppf, (prob, near0, scale_dom), SMALL),
    Rule("cauchy.ppf", cauchy_ppf, (prob, near0, scale_dom), SMALL),
    Rule("logistic.ppf", logistic_ppf, (prob, near0, scale_dom), SMALL),
    Rule("uniform.ppf", uniform_ppf, (prob, near0, scale_dom), SMALL),
    Rule("lognorm.ppf", lognorm_ppf, (prob, s_dom, near0, scale_dom), QUAD),
    Rule("norm.isf", norm_isf, (prob, near0, scale_dom), TRIPLE),
    Rule("expon.isf kw", expon_isf, (prob, near0, scale_dom), SMALL),
    Rule("laplace.isf", laplace_isf, (prob, near0, scale_dom), SMALL),
    Rule("cauchy.isf", cauchy_isf, (prob, near0, scale_dom), SMALL),
    Rule("logistic.isf", logistic_isf, (prob, near0, scale_dom), SMALL),
    Rule("uniform.isf", uniform_isf, (prob, near0, scale_dom), SMALL),
    Rule("lognorm.isf", lognorm_isf, (prob, s_dom, near0, scale_dom), QUAD),
    Rule("poisson.cdf", poisson_cdf, (rate,), RATE),
    Rule("poisson.sf loc", poisson_sf_loc, (rate,), RATE),
    Rule("poisson.logcdf", poisson_logcdf, (rate,), RATE),
    Rule("poisson.logsf kw", poisson_logsf, (rate,), RATE),
    Rule("bernoulli.cdf", bernoulli_cdf, (prob,), RATE),
    Rule("bernoulli.sf", bernoulli_sf, (prob,), RATE),
    Rule("bernoulli.logcdf", bernoulli_logcdf, (prob,), RATE),
    Rule("bernoulli.logsf kw", bernoulli_logsf, (prob,), RATE),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- conventions ------------------------------------------------------------------------------------


def outside_sum(x):
    return (np.sum(stats.expon.cdf(x)) + np.sum(stats.expon.logsf(x)) + np.sum(stats.uniform.cdf(x, -5.0, 1.0))
            + np.sum(stats.lognorm.cdf(x, 0.8)) + np.sum(stats.lognorm.logsf(x, 0.8)))


def outside_logcdf(x):
    return np.sum(stats.expon.logcdf(x)) + np.sum(stats.lognorm.logcdf(x, 0.8))


def test_outside_the_support_derivative_is_zero():
    """Constant on a neighbourhood (0 or 1, or -inf for a log): derivative 0, not nan."""
    x = np.array([-2.0, -0.5])
    np.testing.assert_array_equal(ad.grad(outside_sum)(x), 0.0)
    value, g = ad.value_and_grad(outside_logcdf)(x)
    assert value == -np.inf
    np.testing.assert_array_equal(g, 0.0)


def laplace_tail(x):
    return np.sum(stats.laplace.logcdf(x)) + np.sum(stats.laplace.logsf(-x))


def test_log_tails_exact():
    """logcdf far in the left tail (where the cdf underflows) has slope exactly 1 (z - log 2)."""
    x = np.array([-800.0, -40.0, 3.0])
    ref = np.array([2.0, 2.0, 2.0 / (2.0 * np.exp(3.0) - 1.0)])
    np.testing.assert_allclose(ad.grad(laplace_tail)(x), ref, rtol=1e-12)


# --- refusals ---------------------------------------------------------------------------------------


def frozen_cdf(x, m):
    return np.sum(stats.logistic(m, 1.0).cdf(x))


def poisson_ppf(x, m):  # a step function of both: no rule (not declared flat either)
    return np.sum(stats.poisson.ppf(x, m))


@pytest.mark.parametrize("fn, message", [(frozen_cdf, "logistic"), (poisson_ppf, "poisson.ppf")])
def test_refused(fn, message):
    with pytest.raises(AdtransformError, match=message) as info:
        ad.grad(fn, wrt=1)(np.array([0.1, 0.2]), 0.3)
    assert "test_rules_scipy_cdf.py:" in str(info.value)


# --- analytic cross-checks --------------------------------------------------------------------------


def test_against_closed_forms():
    """d ppf / dq = 1 / density at the quantile; d logistic.cdf / dx = expit(z) expit(-z) / scale."""
    from scipy.special import expit

    rng = np.random.default_rng(11)
    q, x, loc, scale = rng.uniform(0.05, 0.95, 5), rng.normal(size=5), 0.3, 1.7
    gq = ad.grad(norm_ppf)(q, loc, scale)
    y = stats.norm.ppf(q, loc, scale)
    np.testing.assert_allclose(gq, np.cos(y) / stats.norm.pdf(y, loc, scale), rtol=1e-12)
    z = (x - loc) / scale
    gx = ad.grad(logistic_cdf)(x, loc, scale)
    np.testing.assert_allclose(gx, np.cos(3.0 * expit(z)) * 3.0 * expit(z) * expit(-z) / scale, rtol=1e-12)
