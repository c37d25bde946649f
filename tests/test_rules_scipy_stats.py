"""Table of scipy.stats' derivative rules (adtransform/rules/scipy_stats.py), against finite differences,
with refusals and cross-checks against autograd.scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")

from rule_table import F32, F64, UNARY, Rule, check_case, expand, pos, real  # noqa: E402

import adtransform as ad  # noqa: E402
from adtransform.errors import AdtransformError  # noqa: E402

# --- domains inside each distribution's support ------------------------------------------------


def scale_dom(rng, shape):
    return rng.uniform(0.6, 2.0, shape)


def dof(rng, shape):  # t's degrees of freedom
    return rng.uniform(1.5, 6.0, shape)


def shape_dom(rng, shape):  # gamma's and beta's shape parameters
    return rng.uniform(1.2, 3.0, shape)


def above(rng, shape):  # gamma's x, above loc
    return rng.uniform(1.5, 3.0, shape)


def near0(rng, shape):  # a loc well below `above` and inside beta's window
    return rng.uniform(-0.08, 0.08, shape)


def below(rng, shape):  # gamma's and beta's x outside the support (loc near 0)
    return rng.uniform(-2.0, -0.5, shape)


def inside(rng, shape):  # beta's x in (0, 1)
    return rng.uniform(0.25, 0.75, shape)


def wide_scale(rng, shape):  # beta's scale: (x - loc) / scale stays in (0, 1)
    return rng.uniform(1.1, 1.4, shape)


def rate(rng, shape):
    return rng.uniform(0.5, 4.0, shape)


def prob(rng, shape):
    return rng.uniform(0.15, 0.85, shape)


def spd(rng, shape):  # a well-conditioned covariance matrix
    a = rng.normal(size=shape)
    return a @ a.T / shape[0] + np.eye(shape[0])


def simplex_part(rng, shape):  # dirichlet's x without its last component: sum < 1
    return rng.uniform(0.08, 0.22, shape)


def simplex(rng, shape):  # dirichlet's x with every component, along axis 0
    x = rng.uniform(0.2, 1.0, shape)
    return x / x.sum(axis=0, keepdims=True)


# --- shape sets --------------------------------------------------------------------------------

TRIPLE = [
    ("scalars", [None, None, None], F64),
    ("vec,scalar,scalar", [(5,), None, None], F64),
    ("mat,row,col", [(3, 4), (4,), (3, 1)], F64),
    ("vec,vec,vec", [(5,), (5,), (5,)], F64),
    ("scalar,vec,scalar", [None, (5,), None], F64),
    ("big,scalar,scalar", [(5, 6), None, None], F64),
    ("f32 mat,row,col", [(3, 4), (4,), (3, 1)], F32),
]
QUAD = [
    ("scalars", [None, None, None, None], F64),
    ("vec,scalar,scalar,scalar", [(5,), None, None, None], F64),
    ("mat,row,col,scalar", [(3, 4), (4,), (3, 1), None], F64),
    ("vec,vec,vec,vec", [(5,), (5,), (5,), (5,)], F64),
    ("f32 mat,row,col,row", [(3, 4), (4,), (3, 1), (4,)], F32),
]
QUINT = [
    ("scalars", [None] * 5, F64),
    ("vec,scalar...", [(5,), None, None, None, None], F64),
    ("mat,row,col,scalar,scalar", [(3, 4), (4,), (3, 1), None, None], F64),
    ("f32 vec...", [(5,), (5,), (5,), (5,), (5,)], F32),
]
PAIR = [
    ("scalars", [None, None], F64),
    ("vec,scalar", [(5,), None], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
]
GAUSS = [
    ("point", [(3,), (3,), (3, 3)], F64),
    ("points", [(4, 3), (3,), (3, 3)], F64),
    ("batch", [(2, 4, 3), (3,), (3, 3)], F64),
    ("f32 points", [(4, 3), (3,), (3, 3)], F32),
]

# --- norm -------------------------------------------------------------------------------------


def norm_logpdf_std(x):
    return np.sum(np.sin(stats.norm.logpdf(x)))


def norm_logpdf(x, loc, scale):
    return np.sum(np.sin(stats.norm.logpdf(x, loc, scale)))


def norm_logpdf_kw(x, loc, scale):
    return np.sum(np.sin(stats.norm.logpdf(x, loc=loc, scale=scale)))


def norm_logpdf_scale_only(x, scale):
    return np.sum(np.sin(stats.norm.logpdf(x, scale=scale)))


def norm_pdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.norm.pdf(x, loc, scale)))


def norm_cdf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.norm.cdf(x, loc=loc, scale=scale)))


def norm_sf(x, loc, scale):
    return np.sum(np.sin(3.0 * stats.norm.sf(x, loc, scale)))


def norm_logcdf(x, loc, scale):
    return np.sum(np.sin(stats.norm.logcdf(x, loc, scale)))


def norm_logsf(x, loc, scale):
    return np.sum(np.sin(stats.norm.logsf(x, loc=loc, scale=scale)))


def norm_logcdf_tail(x):
    return np.sum(stats.norm.logcdf(x - 25.0) * 0.01)


# --- t, gamma, beta -----------------------------------------------------------------------------


def t_logpdf(x, df, loc, scale):
    return np.sum(np.sin(stats.t.logpdf(x, df, loc, scale)))


def t_logpdf_kw(x, df):
    return np.sum(np.sin(stats.t.logpdf(x, df=df)))


def t_pdf(x, df, loc, scale):
    return np.sum(np.sin(3.0 * stats.t.pdf(x, df, loc=loc, scale=scale)))


def gamma_logpdf(x, a, loc, scale):
    return np.sum(np.sin(stats.gamma.logpdf(x, a, loc, scale)))


def gamma_logpdf_kw(x, a):
    return np.sum(np.sin(stats.gamma.logpdf(x, a=a)))


def gamma_pdf(x, a, loc, scale):
    return np.sum(np.sin(3.0 * stats.gamma.pdf(x, a, loc=loc, scale=scale)))


def beta_logpdf(x, a, b, loc, scale):
    return np.sum(np.sin(stats.beta.logpdf(x, a, b, loc, scale)))


def beta_logpdf_std(x, a, b):
    return np.sum(np.sin(stats.beta.logpdf(x, a, b)))


def beta_pdf(x, a, b, loc, scale):
    return np.sum(np.sin(stats.beta.pdf(x, a, b, loc=loc, scale=scale)))


# --- discrete --------------------------------------------------------------------------------------


def poisson_logpmf(mu):
    return np.sum(np.sin(stats.poisson.logpmf(np.zeros_like(mu) + 2.0, mu)))


def poisson_pmf_kw(mu):
    return np.sum(np.sin(3.0 * stats.poisson.pmf(np.zeros_like(mu) + 3.0, mu=mu)))


def bernoulli_logpmf(p):
    return np.sum(np.sin(stats.bernoulli.logpmf(np.ones_like(p), p) + stats.bernoulli.logpmf(np.zeros_like(p), p)))


def bernoulli_pmf(p):
    return np.sum(np.sin(3.0 * stats.bernoulli.pmf(np.zeros_like(p), p)))


# --- multivariate ------------------------------------------------------------------------------


def mvn_logpdf(x, mean, cov):
    return np.sum(np.sin(stats.multivariate_normal.logpdf(x, mean, cov)))


def mvn_logpdf_kw(x, mean, cov):
    return np.sum(np.sin(stats.multivariate_normal.logpdf(x, mean=mean, cov=cov)))


def mvn_logpdf_no_mean(x, cov):
    return np.sum(np.sin(stats.multivariate_normal.logpdf(x, cov=cov)))


def mvn_pdf(x, mean, cov):
    return np.sum(np.sin(10.0 * stats.multivariate_normal.pdf(x, mean, cov)))


def mvn_logpdf_default(x):
    return np.sum(np.sin(stats.multivariate_normal.logpdf(x)))


def dirichlet_logpdf(x, alpha):
    return np.sum(np.sin(stats.dirichlet.logpdf(x, alpha)))


def dirichlet_pdf(x, alpha):
    return np.sum(np.sin(0.1 * stats.dirichlet.pdf(x, alpha)))


RULES = [
    Rule("norm.logpdf(x)", norm_logpdf_std, (real,), UNARY),
    Rule("norm.logpdf", norm_logpdf, (real, real, scale_dom), TRIPLE),
    Rule("norm.logpdf(loc=,scale=)", norm_logpdf_kw, (real, real, scale_dom), TRIPLE),
    Rule("norm.logpdf(scale=)", norm_logpdf_scale_only, (real, scale_dom), PAIR),
    Rule("norm.pdf", norm_pdf, (real, real, scale_dom), TRIPLE),
    Rule("norm.cdf", norm_cdf, (real, real, scale_dom), TRIPLE),
    Rule("norm.sf", norm_sf, (real, real, scale_dom), TRIPLE),
    Rule("norm.logcdf", norm_logcdf, (real, real, scale_dom), TRIPLE),
    Rule("norm.logsf", norm_logsf, (real, real, scale_dom), TRIPLE),
    Rule("norm.logcdf tail", norm_logcdf_tail, (real,), UNARY[:3]),
    Rule("t.logpdf", t_logpdf, (real, dof, real, scale_dom), QUAD),
    Rule("t.logpdf(df=)", t_logpdf_kw, (real, dof), PAIR),
    Rule("t.pdf", t_pdf, (real, dof, real, scale_dom), QUAD),
    Rule("gamma.logpdf", gamma_logpdf, (above, shape_dom, near0, scale_dom), QUAD),
    Rule("gamma.logpdf(a=)", gamma_logpdf_kw, (pos, shape_dom), PAIR),
    Rule("gamma.pdf", gamma_pdf, (above, shape_dom, near0, scale_dom), QUAD),
    Rule("gamma.pdf outside", gamma_pdf, (below, shape_dom, near0, scale_dom), QUAD[:3]),
    Rule("beta.logpdf", beta_logpdf, (inside, shape_dom, shape_dom, near0, wide_scale), QUINT),
    Rule("beta.logpdf(x, a, b)", beta_logpdf_std, (inside, shape_dom, shape_dom), TRIPLE),
    Rule("beta.pdf", beta_pdf, (inside, shape_dom, shape_dom, near0, wide_scale), QUINT),
    Rule("beta.pdf outside", beta_pdf, (below, shape_dom, shape_dom, near0, wide_scale), QUINT[:3]),
    Rule("poisson.logpmf", poisson_logpmf, (rate,), UNARY),
    Rule("poisson.pmf(mu=)", poisson_pmf_kw, (rate,), UNARY),
    Rule("bernoulli.logpmf", bernoulli_logpmf, (prob,), UNARY),
    Rule("bernoulli.pmf", bernoulli_pmf, (prob,), UNARY),
    Rule("multivariate_normal.logpdf", mvn_logpdf, (real, real, spd), GAUSS),
    Rule("multivariate_normal.logpdf(mean=,cov=)", mvn_logpdf_kw, (real, real, spd), GAUSS[:2]),
    Rule("multivariate_normal.logpdf diagonal cov", mvn_logpdf_kw, (real, real, pos), [
        ("points", [(4, 3), (3,), (3,)], F64)]),
    Rule("multivariate_normal.logpdf scalar cov", mvn_logpdf_kw, (real, real, pos), [
        ("points", [(4, 3), (3,), None], F64)]),
    Rule("multivariate_normal.logpdf dim 1", mvn_logpdf, (real, real, pos), [
        ("scalars", [None, None, None], F64), ("vec,scalar,scalar", [(5,), None, None], F64),
        ("vec,1,1x1", [(5,), (1,), (1, 1)], F64)]),
    Rule("multivariate_normal.logpdf(cov=)", mvn_logpdf_no_mean, (real, spd), [
        ("points", [(4, 3), (3, 3)], F64)]),
    Rule("multivariate_normal.logpdf(x)", mvn_logpdf_default, (real,), UNARY[:2]),
    Rule("multivariate_normal.pdf", mvn_pdf, (real, real, spd), GAUSS[:2]),
    Rule("dirichlet.logpdf", dirichlet_logpdf, (simplex_part, shape_dom), [
        ("k-1", [(3,), (4,)], F64), ("k-1 points", [(3, 5), (4,)], F64), ("f32", [(3,), (4,)], F32)]),
    Rule("dirichlet.logpdf in alpha", dirichlet_logpdf, (simplex, shape_dom), [
        ("k", [(4,), (4,)], F64), ("k points", [(4, 5), (4,)], F64)], wrt=1),
    Rule("dirichlet.pdf", dirichlet_pdf, (simplex_part, shape_dom), [("k-1 points", [(3, 5), (4,)], F64)]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- conventions ------------------------------------------------------------------------------


def mvn_plain(x, mean, cov):
    return np.sum(stats.multivariate_normal.logpdf(x, mean, cov))


def test_mvn_covariance_counts_by_its_lower_triangle():
    """SciPy reads the lower triangle: an entry above the diagonal has derivative 0 and one below counts for
    both; along a symmetric direction that is the usual symmetric gradient."""
    rng = np.random.default_rng(1)
    cov = spd(rng, (3, 3))
    x, mean = rng.normal(size=(4, 3)), rng.normal(size=3)
    g = ad.grad(mvn_plain, wrt=2)(x, mean, cov)
    assert np.all(np.triu(g, 1) == 0.0)
    r = np.linalg.solve(cov, (x - mean).T)
    sym = -0.5 * (len(x) * np.linalg.inv(cov) - r @ r.T)
    np.testing.assert_allclose(g, np.tril(2 * sym, -1) + np.diag(np.diag(sym)), rtol=1e-10)


def gamma_beta_outside(x, a, loc):
    return np.sum(stats.gamma.logpdf(x, a, loc)) + np.sum(stats.beta.logpdf(x, a, 2.0, loc)) \
        + np.sum(stats.poisson.logpmf(np.array([-1.0, 2.5, 1.0]), a))


def test_log_density_outside_support_has_derivative_zero():
    """-inf on a whole neighbourhood of x: derivative 0 in every argument (JAX's convention), not nan; the
    points inside count as usual."""
    from scipy.special import digamma

    x = np.array([-1.0, -0.5, 0.5])
    value, (gx, ga, gl) = ad.value_and_grad(gamma_beta_outside, wrt=(0, 1, 2))(x, 2.0, 0.0)
    assert value == -np.inf
    z = 0.5
    np.testing.assert_allclose(gx, [0.0, 0.0, (1.0 / z - 1.0) + (1.0 / z - 1.0 / (1.0 - z))], rtol=1e-12)
    ref_a = (np.log(z) - digamma(2.0)) + (np.log(z) - digamma(2.0) + digamma(4.0)) + (1.0 / 2.0 - 1.0)
    np.testing.assert_allclose(ga, ref_a, rtol=1e-12)
    np.testing.assert_allclose(gl, -gx[2], rtol=1e-12)


# --- refusals ---------------------------------------------------------------------------------


def mvn_singular(x):
    return stats.multivariate_normal.logpdf(x, np.zeros(2), np.eye(2), allow_singular=True)


def frozen_active(x, m):
    dist = stats.norm(m, 1.0)
    return np.sum(dist.logpdf(x))


def frozen_constant(x, m):
    dist = stats.norm(0.0, 1.0)
    return np.sum(dist.logpdf(x)) * m


def t_entropy(x, m):
    return np.sum(stats.t.entropy(3.0, x, m))


@pytest.mark.parametrize("fn, message", [
    (mvn_singular, "allow_singular=True"),
    (frozen_active, "stats.norm"),
    (frozen_constant, "logpdf"),
    (t_entropy, "entropy"),
])
def test_refused(fn, message):
    with pytest.raises(AdtransformError, match=message) as info:
        ad.grad(fn, wrt=0)(np.array([0.1, 0.2]), 0.3)
    assert "test_rules_scipy_stats.py:" in str(info.value)


# --- cross-checks against autograd.scipy.stats -----------------------------------------------------


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    ast = pytest.importorskip("autograd.scipy.stats")
    anp = pytest.importorskip("autograd.numpy")
    rng = np.random.default_rng(7)
    x, loc, scale = rng.normal(size=5), 0.3, 1.7
    pairs = [
        (norm_logpdf, lambda *a: anp.sum(anp.sin(ast.norm.logpdf(*a))), (x, loc, scale)),
        (norm_cdf, lambda *a: anp.sum(anp.sin(3.0 * ast.norm.cdf(*a))), (x, loc, scale)),
        (t_logpdf, lambda *a: anp.sum(anp.sin(ast.t.logpdf(*a))), (x, 3.5, loc, scale)),
        (gamma_logpdf_kw, lambda *a: anp.sum(anp.sin(ast.gamma.logpdf(*a))), (rng.uniform(0.5, 3.0, 5), 2.2)),
        (beta_logpdf_std, lambda *a: anp.sum(anp.sin(ast.beta.logpdf(*a))), (rng.uniform(0.2, 0.8, 5), 1.5, 2.5)),
    ]
    for ours, theirs, args in pairs:
        wrt = tuple(range(len(args)))
        for mine, reference in zip(ad.grad(ours, wrt=wrt)(*args), autograd.grad(theirs, wrt)(*args)):
            np.testing.assert_allclose(mine, reference, rtol=1e-9, err_msg=ours.__name__)

    cov = spd(rng, (3, 3))
    pts, mean = rng.normal(size=(4, 3)), rng.normal(size=3)
    gx, gm, gc = ad.grad(mvn_logpdf, wrt=(0, 1, 2))(pts, mean, cov)
    tx, tm, tc = autograd.grad(lambda *a: anp.sum(anp.sin(ast.multivariate_normal.logpdf(*a))), (0, 1, 2))(
        pts, mean, cov)
    np.testing.assert_allclose(gx, tx, rtol=1e-9)
    np.testing.assert_allclose(gm, tm, rtol=1e-9)
    direction = rng.normal(size=(3, 3))
    direction = direction + direction.T  # the covariance moves symmetrically: both conventions agree
    np.testing.assert_allclose(np.sum(gc * direction), np.sum(tc * direction), rtol=1e-9)

    xs, alpha = simplex(rng, (4,)), rng.uniform(1.2, 3.0, 4)
    gx, ga = ad.grad(dirichlet_logpdf, wrt=(0, 1))(xs, alpha)
    tx, ta = autograd.grad(lambda *a: anp.sum(anp.sin(ast.dirichlet.logpdf(*a))), (0, 1))(xs, alpha)
    np.testing.assert_allclose(gx, tx, rtol=1e-9)
    np.testing.assert_allclose(ga, ta, rtol=1e-9)

    mu = rng.uniform(0.5, 3.0, 5)
    np.testing.assert_allclose(
        ad.grad(poisson_logpmf)(mu),
        autograd.grad(lambda m: anp.sum(anp.sin(ast.poisson.logpmf(anp.zeros_like(m) + 2.0, m))))(mu), rtol=1e-9)
