"""Table of cdf, sf, logcdf, logsf and ppf of scipy.stats' t, gamma, chi2 and beta (rules/scipy_stats_shape.py)
in every parameter, shape parameters included (quadrature, runtime/scipy_incomplete.py), against finite
differences: small and large shapes, both tails; with autograd cross-checks where it has the function."""

from __future__ import annotations

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")

from rule_table import F32, F64, Rule, check_case, expand, real  # noqa: E402

import adtransform as ad  # noqa: E402

# --- domains -------------------------------------------------------------------------------------


def near0(rng, shape):
    return rng.uniform(-0.08, 0.08, shape)


def scale_dom(rng, shape):
    return rng.uniform(0.6, 2.0, shape)


def wide_scale(rng, shape):  # beta's scale: (x - loc) / scale stays in (0, 1)
    return rng.uniform(1.1, 1.4, shape)


def above(rng, shape):
    return rng.uniform(0.4, 3.0, shape)


def inside(rng, shape):
    return rng.uniform(0.25, 0.75, shape)


def prob(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def dof(rng, shape):
    return rng.uniform(1.5, 6.0, shape)


def dof_small(rng, shape):
    return rng.uniform(0.3, 1.0, shape)


def dof_large(rng, shape):
    return rng.uniform(40.0, 300.0, shape)


def shape_dom(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def shape_small(rng, shape):
    return rng.uniform(0.15, 0.8, shape)


def shape_large(rng, shape):
    return rng.uniform(20.0, 40.0, shape)


def left_tail(rng, shape):  # t far left
    return rng.uniform(-40.0, -8.0, shape)


def x_small(rng, shape):  # gamma's and beta's x far below the bulk of a large shape
    return rng.uniform(0.05, 0.2, shape)


def far_right(rng, shape):  # gamma's x far above the bulk of a small shape
    return rng.uniform(10.0, 20.0, shape)


PAIR = [
    ("scalars", [None, None], F64),
    ("vec,scalar", [(5,), None], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
]
QUAD = [
    ("scalars", [None] * 4, F64),
    ("vec,scalar,scalar,scalar", [(5,), None, None, None], F64),
    ("mat,row,col,scalar", [(3, 4), (4,), (3, 1), None], F64),
    ("empty,scalar,scalar,scalar", [(0,), None, None, None], F64),
    ("f32 vec...", [(5,), (5,), (5,), (5,)], F32),
]
QUINT = [
    ("scalars", [None] * 5, F64),
    ("vec,scalar...", [(5,), None, None, None, None], F64),
    ("mat,row,col,scalar,scalar", [(3, 4), (4,), (3, 1), None, None], F64),
    ("f32 vec...", [(5,)] * 5, F32),
]
TRIPLE = [
    ("scalars", [None] * 3, F64),
    ("vec,scalar,scalar", [(5,), None, None], F64),
    ("mat,row,col", [(3, 4), (4,), (3, 1)], F64),
]

# --- t ---------------------------------------------------------------------------------------------


def t_cdf(x, df, loc, scale):
    return np.sum(np.sin(3.0 * stats.t.cdf(x, df, loc, scale)))


def t_sf_kw(x, df, loc, scale):
    return np.sum(np.sin(3.0 * stats.t.sf(x, df=df, loc=loc, scale=scale)))


def t_logcdf(x, df, loc, scale):
    return np.sum(np.sin(stats.t.logcdf(x, df, loc, scale)))


def t_logsf(x, df, loc, scale):
    return np.sum(np.sin(stats.t.logsf(x, df, loc, scale=scale)))


def t_ppf(q, df, loc, scale):
    return np.sum(np.sin(stats.t.ppf(q, df, loc, scale)))


def t_cdf_std(x, df):
    return np.sum(np.sin(3.0 * stats.t.cdf(x, df)))


def t_logcdf_tail(x, df):
    return np.sum(0.1 * stats.t.logcdf(x, df))


def t_logsf_tail(x, df):
    return np.sum(0.1 * stats.t.logsf(-x, df))


# --- gamma, chi2 -------------------------------------------------------------------------------------


def gamma_cdf(x, a, loc, scale):
    return np.sum(np.sin(3.0 * stats.gamma.cdf(x, a, loc, scale)))


def gamma_sf_kw(x, a, loc, scale):
    return np.sum(np.sin(3.0 * stats.gamma.sf(x, a=a, loc=loc, scale=scale)))


def gamma_logcdf(x, a, loc, scale):
    return np.sum(np.sin(stats.gamma.logcdf(x, a, loc, scale)))


def gamma_logsf(x, a, loc, scale):
    return np.sum(np.sin(stats.gamma.logsf(x, a, loc, scale)))


def gamma_ppf(q, a, loc, scale):
    return np.sum(np.sin(stats.gamma.ppf(q, a, loc, scale)))


def gamma_cdf_std(x, a):
    return np.sum(np.sin(3.0 * stats.gamma.cdf(x, a)))


def gamma_logcdf_tail(x, a):
    return np.sum(0.1 * stats.gamma.logcdf(x, a))


def gamma_logsf_tail(x, a):
    return np.sum(0.1 * stats.gamma.logsf(x, a))


def chi2_cdf(x, df, loc, scale):
    return np.sum(np.sin(3.0 * stats.chi2.cdf(x, df, loc, scale)))


def chi2_sf_kw(x, df, loc, scale):
    return np.sum(np.sin(3.0 * stats.chi2.sf(x, df=df, loc=loc, scale=scale)))


def chi2_logcdf(x, df, loc, scale):
    return np.sum(np.sin(stats.chi2.logcdf(x, df, loc, scale)))


def chi2_logsf(x, df, loc, scale):
    return np.sum(np.sin(stats.chi2.logsf(x, df, loc, scale)))


def chi2_ppf(q, df, loc, scale):
    return np.sum(np.sin(stats.chi2.ppf(q, df, loc, scale)))


# --- beta ----------------------------------------------------------------------------------------------


def beta_cdf(x, a, b, loc, scale):
    return np.sum(np.sin(3.0 * stats.beta.cdf(x, a, b, loc, scale)))


def beta_sf_kw(x, a, b, loc, scale):
    return np.sum(np.sin(3.0 * stats.beta.sf(x, a=a, b=b, loc=loc, scale=scale)))


def beta_logcdf(x, a, b, loc, scale):
    return np.sum(np.sin(stats.beta.logcdf(x, a, b, loc, scale)))


def beta_logsf(x, a, b, loc, scale):
    return np.sum(np.sin(stats.beta.logsf(x, a, b, loc, scale)))


def beta_ppf(q, a, b, loc, scale):
    return np.sum(np.sin(stats.beta.ppf(q, a, b, loc, scale)))


def beta_cdf_std(x, a, b):
    return np.sum(np.sin(3.0 * stats.beta.cdf(x, a, b)))


def beta_logcdf_tail(x, a, b):
    return np.sum(0.1 * stats.beta.logcdf(x, a, b))


def beta_logsf_tail(x, a, b):
    return np.sum(0.1 * stats.beta.logsf(1.0 - x, b, a))


def t_isf(q, df, loc, scale):
    return np.sum(np.sin(stats.t.isf(q, df, loc, scale)))


def gamma_isf(q, a, loc, scale):
    return np.sum(np.sin(stats.gamma.isf(q, a, loc=loc, scale=scale)))


def chi2_isf(q, df, loc, scale):
    return np.sum(np.sin(stats.chi2.isf(q, df, loc, scale)))


def beta_isf(q, a, b, loc, scale):
    return np.sum(np.sin(3.0 * stats.beta.isf(q, a, b, loc, scale)))


RULES = [
    Rule("t.cdf", t_cdf, (real, dof, near0, scale_dom), QUAD),
    Rule("t.sf kw", t_sf_kw, (real, dof, near0, scale_dom), QUAD[:3]),
    Rule("t.logcdf", t_logcdf, (real, dof, near0, scale_dom), QUAD[:3]),
    Rule("t.logsf", t_logsf, (real, dof, near0, scale_dom), QUAD[:3]),
    Rule("t.ppf", t_ppf, (prob, dof, near0, scale_dom), QUAD),
    Rule("t.cdf small df", t_cdf_std, (real, dof_small), PAIR),
    Rule("t.cdf large df", t_cdf_std, (real, dof_large), PAIR[:3]),
    Rule("t.logcdf tail small df", t_logcdf_tail, (left_tail, dof_small), PAIR[:2]),
    Rule("t.logcdf tail large df", t_logcdf_tail, (left_tail, dof_large), PAIR[:2]),
    Rule("t.logsf tail", t_logsf_tail, (left_tail, dof), PAIR[:2]),
    Rule("gamma.cdf", gamma_cdf, (above, shape_dom, near0, scale_dom), QUAD),
    Rule("gamma.sf kw", gamma_sf_kw, (above, shape_dom, near0, scale_dom), QUAD[:3]),
    Rule("gamma.logcdf", gamma_logcdf, (above, shape_dom, near0, scale_dom), QUAD[:3]),
    Rule("gamma.logsf", gamma_logsf, (above, shape_dom, near0, scale_dom), QUAD[:3]),
    Rule("gamma.ppf", gamma_ppf, (prob, shape_dom, near0, scale_dom), QUAD),
    Rule("gamma.cdf small a", gamma_cdf_std, (above, shape_small), PAIR),
    Rule("gamma.logcdf tail large a", gamma_logcdf_tail, (x_small, shape_large), PAIR[:2]),
    Rule("gamma.logsf tail small a", gamma_logsf_tail, (far_right, shape_small), PAIR[:2]),
    Rule("chi2.cdf", chi2_cdf, (above, dof, near0, scale_dom), QUAD),
    Rule("chi2.sf kw", chi2_sf_kw, (above, dof, near0, scale_dom), QUAD[:3]),
    Rule("chi2.logcdf", chi2_logcdf, (above, dof, near0, scale_dom), QUAD[:3]),
    Rule("chi2.logsf", chi2_logsf, (above, dof, near0, scale_dom), QUAD[:3]),
    Rule("chi2.ppf", chi2_ppf, (prob, dof, near0, scale_dom), QUAD[:3]),
    Rule("beta.cdf", beta_cdf, (inside, shape_dom, shape_dom, near0, wide_scale), QUINT),
    Rule("beta.sf kw", beta_sf_kw, (inside, shape_dom, shape_dom, near0, wide_scale), QUINT[:3]),
    Rule("beta.logcdf", beta_logcdf, (inside, shape_dom, shape_dom, near0, wide_scale), QUINT[:3]),
    Rule("beta.logsf", beta_logsf, (inside, shape_dom, shape_dom, near0, wide_scale), QUINT[:3]),
    Rule("beta.ppf", beta_ppf, (prob, shape_dom, shape_dom, near0, wide_scale), QUINT),
    Rule("beta.cdf small shapes", beta_cdf_std, (inside, shape_small, shape_small), TRIPLE),
    Rule("beta.cdf mixed shapes", beta_cdf_std, (inside, shape_small, shape_large), TRIPLE),
    Rule("beta.logcdf tail", beta_logcdf_tail, (x_small, shape_large, shape_dom), TRIPLE[:2]),
    Rule("beta.logsf tail", beta_logsf_tail, (x_small, shape_large, shape_small), TRIPLE[:2]),
    Rule("t.isf", t_isf, (prob, dof, near0, scale_dom), QUAD[:3]),
    Rule("gamma.isf kw", gamma_isf, (prob, shape_dom, near0, scale_dom), QUAD[:3]),
    Rule("chi2.isf", chi2_isf, (prob, dof, near0, scale_dom), QUAD[:3]),
    Rule("beta.isf", beta_isf, (prob, shape_dom, shape_dom, near0, wide_scale), QUINT[:3]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- conventions ---------------------------------------------------------------------------------


def outside(x, a):
    return (np.sum(stats.gamma.cdf(x, a)) + np.sum(stats.gamma.logcdf(x, a)) + np.sum(stats.chi2.logsf(x, a))
            + np.sum(stats.beta.cdf(x, a, 2.0)) + np.sum(stats.beta.logsf(x, 2.0, a)))


def test_outside_the_support_derivative_is_zero():
    x = np.array([-1.5, -0.5])
    value, (gx, ga) = ad.value_and_grad(outside, wrt=(0, 1))(x, 1.7)
    assert value == -np.inf
    np.testing.assert_array_equal(gx, 0.0)
    assert ga == 0.0


# --- cross-checks against autograd.scipy.stats (x only: autograd has no derivative in a shape) --------------


def chi2_cdf_std(x, df):
    return np.sum(np.sin(3.0 * stats.chi2.cdf(x, df)))


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    ast = pytest.importorskip("autograd.scipy.stats")
    anp = pytest.importorskip("autograd.numpy")
    rng = np.random.default_rng(5)
    x = rng.uniform(0.2, 0.8, 5)
    pairs = [
        (t_cdf_std, lambda v: anp.sum(anp.sin(3.0 * ast.t.cdf(v, 3.5))), (x * 4 - 2, 3.5)),
        (gamma_cdf_std, lambda v: anp.sum(anp.sin(3.0 * ast.gamma.cdf(v, 2.5))), (x * 3, 2.5)),
        (beta_cdf_std, lambda v: anp.sum(anp.sin(3.0 * ast.beta.cdf(v, 1.5, 2.5))), (x, 1.5, 2.5)),
        (chi2_cdf_std, lambda v: anp.sum(anp.sin(3.0 * ast.chi2.cdf(v, 3.5))), (x * 5, 3.5)),
    ]
    for ours, theirs, args in pairs:
        np.testing.assert_allclose(ad.grad(ours)(*args), autograd.grad(theirs)(args[0]), rtol=1e-9,
                                   err_msg=ours.__name__)
