"""Reverse rules for cdf, sf, logcdf and logsf of scipy.stats' poisson and bernoulli, in the rate or the
probability (loaded with scipy.stats: rules/optional.py; pmf and logpmf are in rules/scipy_stats.py).

SciPy floors the count: with c = floor(k - loc), poisson's cdf is the sum of its pmf up to c, whose
derivative in mu telescopes to -pmf(c; mu) (0 for c < 0); bernoulli's is 1 - p at c == 0 and constant
elsewhere. `k` and `loc` carry no derivative (the functions are steps in them). A log divides by the value
as exp(log pmf - y), exact where the cdf or sf is tiny.
"""

try:
    from scipy import stats
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.stats need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from ..runtime import density_ratio
from .notation import adjoint, d
from .registry import Returns


@adjoint(stats.poisson.cdf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def poisson_cdf(y, k, mu, loc=0):
    d[mu] = -d[y] * stats.poisson.pmf(np.floor(k - loc), mu)


@adjoint(stats.poisson.sf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def poisson_sf(y, k, mu, loc=0):
    d[mu] = d[y] * stats.poisson.pmf(np.floor(k - loc), mu)


@adjoint(stats.poisson.logcdf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def poisson_logcdf(y, k, mu, loc=0):
    d[mu] = -d[y] * density_ratio(stats.poisson.logpmf(np.floor(k - loc), mu), y)


@adjoint(stats.poisson.logsf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def poisson_logsf(y, k, mu, loc=0):
    d[mu] = d[y] * density_ratio(stats.poisson.logpmf(np.floor(k - loc), mu), y)


@adjoint(stats.bernoulli.cdf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def bernoulli_cdf(y, k, p, loc=0):
    d[p] = -d[y] * np.where(np.floor(k - loc) == 0, 1.0, 0.0)


@adjoint(stats.bernoulli.sf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def bernoulli_sf(y, k, p, loc=0):
    d[p] = d[y] * np.where(np.floor(k - loc) == 0, 1.0, 0.0)


@adjoint(stats.bernoulli.logcdf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def bernoulli_logcdf(y, k, p, loc=0):
    # log(1 - p) at c == 0.
    d[p] = -d[y] * np.where(np.floor(k - loc) == 0, 1.0, 0.0) / (1.0 - p)


@adjoint(stats.bernoulli.logsf, elementwise=True, nondiff=("k", "loc"), returns=Returns.NEW)
def bernoulli_logsf(y, k, p, loc=0):
    # log(p) at c == 0.
    d[p] = d[y] * np.where(np.floor(k - loc) == 0, 1.0, 0.0) / p
