"""Reverse rules for scipy.stats' densities, in the parameters users differentiate (loaded once a program
imports scipy.stats: rules/optional.py).

A distribution is an object (`stats.norm` is an instance of `norm_gen`) and `stats.norm.logpdf` a method
bound to it: the rules are registered on those bound methods, which the compiler resolves as primitives
(frontend/resolve.py `registered_method`). Parameters bind by SciPy's names (`loc`, `scale`, `df`, `a`,
`b`), positionally or by keyword. With z = (x - loc) / scale, each log-density's derivative in `loc` is
minus its derivative in `x`, and in `scale` it is -(1 + z * d/dz) / scale; a density's derivatives are
its log's times the density. A frozen distribution (`norm(mu, s).logpdf(x)`) has no rule: the call is
refused (write `norm.logpdf(x, mu, s)`). Integer arguments (`k` of poisson and bernoulli) carry none.
"""

try:
    from scipy import special, stats
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.stats need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from ..runtime import (
    dirichlet_alpha_adjoint,
    dirichlet_backward,
    dirichlet_x_adjoint,
    mvn_backward,
    mvn_cov_adjoint,
    mvn_mean_adjoint,
    mvn_x_adjoint,
)
from .notation import Accepts, adjoint, d
from .registry import Returns

_INV_SQRT_2PI = 0.3989422804014327

# --- norm ------------------------------------------------------------------------------------------


@adjoint(stats.norm.logpdf, elementwise=True, returns=Returns.NEW)
def norm_logpdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = -d[y] * z / scale
    d[loc] = d[y] * z / scale
    d[scale] = d[y] * (z * z - 1.0) / scale


@adjoint(stats.norm.pdf, elementwise=True, returns=Returns.NEW)
def norm_pdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = -d[y] * y * z / scale
    d[loc] = d[y] * y * z / scale
    d[scale] = d[y] * y * (z * z - 1.0) / scale


@adjoint(stats.norm.cdf, elementwise=True, returns=Returns.NEW)
def norm_cdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z) / scale
    d[loc] = -d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z) / scale
    d[scale] = -d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z) * z / scale


@adjoint(stats.norm.sf, elementwise=True, returns=Returns.NEW)
def norm_sf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = -d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z) / scale
    d[loc] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z) / scale
    d[scale] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z) * z / scale


@adjoint(stats.norm.logcdf, elementwise=True, returns=Returns.NEW)
def norm_logcdf(y, x, loc=0.0, scale=1.0):
    # pdf / cdf as exp(log pdf - log cdf): finite in the tail where both underflow.
    z = (x - loc) / scale
    d[x] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z - y) / scale
    d[loc] = -d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z - y) / scale
    d[scale] = -d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z - y) * z / scale


@adjoint(stats.norm.logsf, elementwise=True, returns=Returns.NEW)
def norm_logsf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = -d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z - y) / scale
    d[loc] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z - y) / scale
    d[scale] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * z * z - y) * z / scale


# --- t, gamma, beta: a shape parameter's derivative needs digamma --------------------------------


@adjoint(stats.t.logpdf, elementwise=True, returns=Returns.NEW)
def t_logpdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    dz = -(df + 1.0) * z / (df + z * z)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * (1.0 + z * dz) / scale
    d[df] = d[y] * 0.5 * (special.digamma(0.5 * (df + 1.0)) - special.digamma(0.5 * df) - 1.0 / df
                          - np.log1p(z * z / df) + (df + 1.0) * z * z / (df * (df + z * z)))


@adjoint(stats.t.pdf, elementwise=True, returns=Returns.NEW)
def t_pdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    dz = -(df + 1.0) * z / (df + z * z)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * (1.0 + z * dz) / scale
    d[df] = d[y] * y * 0.5 * (special.digamma(0.5 * (df + 1.0)) - special.digamma(0.5 * df) - 1.0 / df
                              - np.log1p(z * z / df) + (df + 1.0) * z * z / (df * (df + z * z)))


@adjoint(stats.gamma.logpdf, elementwise=True, returns=Returns.NEW)
def gamma_logpdf(y, x, a, loc=0.0, scale=1.0):
    # Outside the support the log-density is -inf whatever the parameters: derivative 0 (as JAX). At
    # z == 0 with a == 1 it is finite (expon's -z): there the support is closed, as expon's z >= 0.
    z = (x - loc) / scale
    inside = (z > 0.0) | ((z == 0.0) & (a == 1.0))
    dz = np.where(inside, (a - 1.0) / np.where(z > 0.0, z, 1.0) - 1.0, 0.0)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = d[y] * np.where(inside, z - a, 0.0) / scale
    d[a] = d[y] * np.where(inside, np.log(z) - special.digamma(a), 0.0)


@adjoint(stats.gamma.pdf, elementwise=True, returns=Returns.NEW)
def gamma_pdf(y, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = (z > 0.0) | ((z == 0.0) & (a == 1.0))
    dz = np.where(inside, (a - 1.0) / np.where(z > 0.0, z, 1.0) - 1.0, 0.0)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = d[y] * y * np.where(inside, z - a, 0.0) / scale
    d[a] = d[y] * y * np.where(inside, np.log(z) - special.digamma(a), 0.0)


@adjoint(stats.beta.logpdf, elementwise=True, returns=Returns.NEW)
def beta_logpdf(y, x, a, b, loc=0.0, scale=1.0):
    # Outside [0, 1] (in z) the log-density is -inf: derivative 0, as for gamma; the ends belong to the
    # support where it is finite there (z == 0 with a == 1, z == 1 with b == 1).
    z = (x - loc) / scale
    inside = ((z > 0.0) | ((z == 0.0) & (a == 1.0))) & ((z < 1.0) | ((z == 1.0) & (b == 1.0)))
    dz = np.where(inside, (a - 1.0) / np.where(z > 0.0, z, 1.0) - (b - 1.0) / np.where(z < 1.0, 1.0 - z, 1.0), 0.0)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * np.where(inside, 1.0 + z * dz, 0.0) / scale
    d[a] = d[y] * np.where(inside, np.log(z) - special.digamma(a) + special.digamma(a + b), 0.0)
    d[b] = d[y] * np.where(inside, np.log1p(-z) - special.digamma(b) + special.digamma(a + b), 0.0)


@adjoint(stats.beta.pdf, elementwise=True, returns=Returns.NEW)
def beta_pdf(y, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = ((z > 0.0) | ((z == 0.0) & (a == 1.0))) & ((z < 1.0) | ((z == 1.0) & (b == 1.0)))
    dz = np.where(inside, (a - 1.0) / np.where(z > 0.0, z, 1.0) - (b - 1.0) / np.where(z < 1.0, 1.0 - z, 1.0), 0.0)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * np.where(inside, 1.0 + z * dz, 0.0) / scale
    d[a] = d[y] * y * np.where(inside, np.log(z) - special.digamma(a) + special.digamma(a + b), 0.0)
    d[b] = d[y] * y * np.where(inside, np.log1p(-z) - special.digamma(b) + special.digamma(a + b), 0.0)


# --- discrete: derivatives in the rate or probability; `k` and `loc` are integers ----------------
# Where `k - loc` is no possible count the log-mass is -inf whatever the parameter: derivative 0. A count
# term `c * log(mu)` is 0 where c == 0 (SciPy's xlogy convention, its value at mu = 0 too): its derivative
# there is 0, not 0 / 0 (so logpmf(0, mu) = -mu has derivative -1 at mu = 0, the one-sided one).


@adjoint(stats.poisson.logpmf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def poisson_logpmf(y, k, mu, loc=0):
    count = k - loc
    d[mu] = d[y] * np.where(np.isfinite(y), count / np.where(count == 0, 1.0, mu) - 1.0, 0.0)


@adjoint(stats.poisson.pmf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def poisson_pmf(y, k, mu, loc=0):
    # d/dmu mu^c e^-mu / c! = pmf(c - 1) - pmf(c): no division, right at mu = 0 (pmf(-1) = 0).
    d[mu] = d[y] * (stats.poisson.pmf(k - 1, mu, loc) - y)


@adjoint(stats.bernoulli.logpmf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def bernoulli_logpmf(y, k, p, loc=0):
    count = k - loc
    d[p] = d[y] * np.where(np.isfinite(y), count / np.where(count == 0, 1.0, p)
                           - (1.0 - count) / np.where(count == 1, 1.0, 1.0 - p), 0.0)


@adjoint(stats.bernoulli.pmf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def bernoulli_pmf(y, k, p, loc=0):
    # p for a count of 1, 1 - p for 0, 0 for any other: slopes 1, -1 and 0.
    count = k - loc
    d[p] = d[y] * np.where(count == 1, 1.0, np.where(count == 0, -1.0, 0.0))


# --- multivariate ------------------------------------------------------------------------------------

_NONSINGULAR = Accepts(lambda v: v is False, "`allow_singular=True` is not supported: a singular covariance "
                                             "has no derivative here")


@adjoint(stats.multivariate_normal.logpdf, returns=Returns.NEW)
def mvn_logpdf(y, x, mean=None, cov=1, allow_singular: _NONSINGULAR = False):
    # A covariance matrix counts by its lower triangle, as SciPy reads it (runtime/scipy_stats.py).
    parts = mvn_backward(d[y], y, x, mean, cov, False)
    d[x] = mvn_x_adjoint(parts, x)
    d[mean] = mvn_mean_adjoint(parts, mean)
    d[cov] = mvn_cov_adjoint(parts, cov)


@adjoint(stats.multivariate_normal.pdf, returns=Returns.NEW)
def mvn_pdf(y, x, mean=None, cov=1, allow_singular: _NONSINGULAR = False):
    parts = mvn_backward(d[y], y, x, mean, cov, True)
    d[x] = mvn_x_adjoint(parts, x)
    d[mean] = mvn_mean_adjoint(parts, mean)
    d[cov] = mvn_cov_adjoint(parts, cov)


@adjoint(stats.dirichlet.logpdf, returns=Returns.NEW)
def dirichlet_logpdf(y, x, alpha):
    # `x` with k - 1 components: the last is 1 - their sum, and its share flows back to each.
    parts = dirichlet_backward(d[y], y, x, alpha, False)
    d[x] = dirichlet_x_adjoint(parts, x)
    d[alpha] = dirichlet_alpha_adjoint(parts, alpha)


@adjoint(stats.dirichlet.pdf, returns=Returns.NEW)
def dirichlet_pdf(y, x, alpha):
    parts = dirichlet_backward(d[y], y, x, alpha, True)
    d[x] = dirichlet_x_adjoint(parts, x)
    d[alpha] = dirichlet_alpha_adjoint(parts, alpha)
