"""Table of the location-scale families of scipy.stats (adtransform/rules/scipy_stats_location.py) against
finite differences, inside and outside each support."""

from __future__ import annotations

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")

from rule_table import F32, F64, Rule, check_case, expand, real  # noqa: E402

import adtransform as ad  # noqa: E402


def scale_dom(rng, shape):
    return rng.uniform(0.6, 2.0, shape)


def wide_scale(rng, shape):  # uniform: x - loc in `above` stays below scale
    return rng.uniform(0.9, 2.0, shape)


def loc_dom(rng, shape):
    return rng.uniform(-0.2, 0.2, shape)


def above(rng, shape):  # x well inside (loc, loc + scale * 1): every support here
    return rng.uniform(0.35, 0.55, shape)


def below(rng, shape):  # x outside every support below loc
    return rng.uniform(-2.0, -0.6, shape)


def beyond(rng, shape):  # x past uniform's upper end (loc + scale <= 2.2)
    return rng.uniform(2.6, 3.5, shape)


def away(rng, shape):  # x away from loc (laplace's kink)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, shape)


def shape_dom(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


TRIPLE = [
    ("scalars", [None, None, None], F64),
    ("vec,scalar,scalar", [(5,), None, None], F64),
    ("mat,row,col", [(3, 4), (4,), (3, 1)], F64),
    ("f32 vec,vec,vec", [(5,), (5,), (5,)], F32),
]
QUAD = [
    ("scalars", [None, None, None, None], F64),
    ("vec,scalar,scalar,scalar", [(5,), None, None, None], F64),
    ("mat,row,col,scalar", [(3, 4), (4,), (3, 1), None], F64),
    ("f32 vec...", [(5,), (5,), (5,), (5,)], F32),
]


def expon_logpdf(x, loc, scale):
    return np.sum(np.sin(stats.expon.logpdf(x, loc, scale)))


def expon_pdf(x, loc, scale):
    return np.sum(np.sin(stats.expon.pdf(x, loc=loc, scale=scale)))


def laplace_logpdf(x, loc, scale):
    return np.sum(np.sin(stats.laplace.logpdf(x, loc, scale)))


def laplace_pdf(x, loc, scale):
    return np.sum(np.sin(stats.laplace.pdf(x, loc=loc, scale=scale)))


def cauchy_logpdf(x, loc, scale):
    return np.sum(np.sin(stats.cauchy.logpdf(x, loc, scale)))


def cauchy_pdf(x, loc, scale):
    return np.sum(np.sin(stats.cauchy.pdf(x, loc=loc, scale=scale)))


def logistic_logpdf(x, loc, scale):
    return np.sum(np.sin(stats.logistic.logpdf(x, loc, scale)))


def logistic_pdf(x, loc, scale):
    return np.sum(np.sin(stats.logistic.pdf(x, loc=loc, scale=scale)))


def uniform_logpdf(x, loc, scale):
    return np.sum(np.sin(stats.uniform.logpdf(x, loc, scale)))


def uniform_pdf(x, loc, scale):
    return np.sum(np.sin(stats.uniform.pdf(x, loc=loc, scale=scale)))


def chi2_logpdf(x, df, loc, scale):
    return np.sum(np.sin(stats.chi2.logpdf(x, df, loc, scale)))


def chi2_pdf(x, df, loc, scale):
    return np.sum(np.sin(stats.chi2.pdf(x, df, loc=loc, scale=scale)))


def lognorm_logpdf(x, s, loc, scale):
    return np.sum(np.sin(stats.lognorm.logpdf(x, s, loc, scale)))


def lognorm_pdf(x, s, loc, scale):
    return np.sum(np.sin(stats.lognorm.pdf(x, s, loc=loc, scale=scale)))


RULES = [
    Rule("expon.logpdf", expon_logpdf, (above, loc_dom, scale_dom), TRIPLE),
    Rule("expon.pdf", expon_pdf, (above, loc_dom, scale_dom), TRIPLE),
    Rule("expon.pdf outside", expon_pdf, (below, loc_dom, scale_dom), TRIPLE[:3]),
    Rule("laplace.logpdf", laplace_logpdf, (away, loc_dom, scale_dom), TRIPLE),
    Rule("laplace.pdf", laplace_pdf, (away, loc_dom, scale_dom), TRIPLE),
    Rule("cauchy.logpdf", cauchy_logpdf, (real, loc_dom, scale_dom), TRIPLE),
    Rule("cauchy.pdf", cauchy_pdf, (real, loc_dom, scale_dom), TRIPLE),
    Rule("logistic.logpdf", logistic_logpdf, (real, loc_dom, scale_dom), TRIPLE),
    Rule("logistic.pdf", logistic_pdf, (real, loc_dom, scale_dom), TRIPLE),
    Rule("uniform.logpdf", uniform_logpdf, (above, loc_dom, wide_scale), TRIPLE),
    Rule("uniform.pdf", uniform_pdf, (above, loc_dom, wide_scale), TRIPLE),
    Rule("uniform.pdf outside", uniform_pdf, (beyond, loc_dom, scale_dom), TRIPLE[:3]),
    Rule("chi2.logpdf", chi2_logpdf, (above, shape_dom, loc_dom, scale_dom), QUAD),
    Rule("chi2.pdf", chi2_pdf, (above, shape_dom, loc_dom, scale_dom), QUAD),
    Rule("chi2.pdf outside", chi2_pdf, (below, shape_dom, loc_dom, scale_dom), QUAD[:3]),
    Rule("lognorm.logpdf", lognorm_logpdf, (above, shape_dom, loc_dom, scale_dom), QUAD),
    Rule("lognorm.pdf", lognorm_pdf, (above, shape_dom, loc_dom, scale_dom), QUAD),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def laplace_at_centre(x):
    return np.sum(stats.laplace.logpdf(x, 0.5, 2.0))


def test_laplace_at_its_centre_takes_the_least_subgradient():
    """|z| at z == 0: derivative 0 in x (np.sign's convention, as JAX's abs)."""
    np.testing.assert_allclose(ad.grad(laplace_at_centre)(np.array([0.5, 1.5])), [0.0, -0.5])


def test_chi2_against_its_formula():
    """(autograd's chi2.logpdf gives 0 in x here, and none in df: checked against the formulas instead)"""
    from scipy.special import digamma

    rng = np.random.default_rng(5)
    x, df = rng.uniform(0.5, 3.0, 5), 2.7
    gx, gdf = ad.grad(chi2_logpdf, wrt=(0, 1))(x, df, 0.0, 1.0)
    outer = np.cos(stats.chi2.logpdf(x, df))
    np.testing.assert_allclose(gx, outer * ((df / 2 - 1) / x - 0.5), rtol=1e-10)
    np.testing.assert_allclose(gdf, np.sum(outer * 0.5 * (np.log(x / 2) - digamma(df / 2))), rtol=1e-10)
