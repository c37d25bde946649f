"""Reverse rules for the distribution functions of scipy.stats' location-scale families: cdf, sf, logcdf
and logsf of expon, laplace, cauchy, logistic, uniform and lognorm, and ppf and isf of those and norm (loaded with
scipy.stats: rules/optional.py; norm's cdf family is in rules/scipy_stats.py).

With z = (x - loc) / scale and f the standard density, a cdf's derivative is f(z) / scale in `x`, minus
that in `loc` and -f(z) z / scale in `scale`; an sf's is minus the cdf's; logcdf's and logsf's divide by
the cdf or sf, written as a closed-form ratio where one exists (exact in the tails, where the cdf
underflows). Outside the support the function is constant on a neighbourhood: derivative 0 (as JAX). At a
kink (expon at 0, uniform at its ends) the derivative taken is the density's value there, as SciPy's pdf
gives it. A ppf's derivative is scale / f(z) in `q` (z its standard value), 1 in `loc`, z in `scale`; an
isf's (the ppf of 1 - q) is the same but minus in `q`.
"""

try:
    from scipy import special, stats
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.stats need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from .notation import adjoint, d
from .registry import Returns

_INV_SQRT_2PI = 0.3989422804014327
_SQRT_2PI = 2.5066282746310002

# --- expon: cdf 1 - exp(-z), sf exp(-z) for z >= 0 -------------------------------------------------


@adjoint(stats.expon.cdf, elementwise=True, returns=Returns.NEW)
def expon_cdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.where(z >= 0.0, np.exp(-np.abs(z)), 0.0) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.expon.sf, elementwise=True, returns=Returns.NEW)
def expon_sf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.where(z >= 0.0, np.exp(-np.abs(z)), 0.0) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


@adjoint(stats.expon.logcdf, elementwise=True, returns=Returns.NEW)
def expon_logcdf(y, x, loc=0.0, scale=1.0):
    # f / cdf = exp(-z - y): infinite at z == 0, where the cdf is 0.
    z = (x - loc) / scale
    f = np.where(z >= 0.0, np.exp(-np.abs(z) - np.where(z >= 0.0, y, 0.0)), 0.0) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.expon.logsf, elementwise=True, returns=Returns.NEW)
def expon_logsf(y, x, loc=0.0, scale=1.0):
    # -z for z >= 0, 0 below.
    z = (x - loc) / scale
    f = np.where(z >= 0.0, 1.0, 0.0) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


# --- laplace: cdf exp(z) / 2 for z < 0, 1 - exp(-z) / 2 above --------------------------------------


@adjoint(stats.laplace.cdf, elementwise=True, returns=Returns.NEW)
def laplace_cdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = 0.5 * np.exp(-np.abs(z)) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.laplace.sf, elementwise=True, returns=Returns.NEW)
def laplace_sf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = 0.5 * np.exp(-np.abs(z)) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


@adjoint(stats.laplace.logcdf, elementwise=True, returns=Returns.NEW)
def laplace_logcdf(y, x, loc=0.0, scale=1.0):
    # f / cdf: 1 for z < 0, e / (2 - e) with e = exp(-z) above.
    z = (x - loc) / scale
    e = np.exp(-np.abs(z))
    f = np.where(z < 0.0, 1.0, e / (2.0 - e)) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.laplace.logsf, elementwise=True, returns=Returns.NEW)
def laplace_logsf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    e = np.exp(-np.abs(z))
    f = np.where(z > 0.0, 1.0, e / (2.0 - e)) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


# --- cauchy: cdf 1/2 + arctan(z) / pi --------------------------------------------------------------


@adjoint(stats.cauchy.cdf, elementwise=True, returns=Returns.NEW)
def cauchy_cdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = 1.0 / (np.pi * (1.0 + z * z) * scale)
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.cauchy.sf, elementwise=True, returns=Returns.NEW)
def cauchy_sf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = 1.0 / (np.pi * (1.0 + z * z) * scale)
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


@adjoint(stats.cauchy.logcdf, elementwise=True, returns=Returns.NEW)
def cauchy_logcdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(-y) / (np.pi * (1.0 + z * z) * scale)
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.cauchy.logsf, elementwise=True, returns=Returns.NEW)
def cauchy_logsf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(-y) / (np.pi * (1.0 + z * z) * scale)
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


# --- logistic: cdf expit(z), density expit(z) expit(-z) ----------------------------------------------


@adjoint(stats.logistic.cdf, elementwise=True, returns=Returns.NEW)
def logistic_cdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = special.expit(z) * special.expit(-z) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.logistic.sf, elementwise=True, returns=Returns.NEW)
def logistic_sf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = special.expit(z) * special.expit(-z) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


@adjoint(stats.logistic.logcdf, elementwise=True, returns=Returns.NEW)
def logistic_logcdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = special.expit(-z) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.logistic.logsf, elementwise=True, returns=Returns.NEW)
def logistic_logsf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = special.expit(z) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


# --- uniform: cdf z on [0, 1] ------------------------------------------------------------------------


@adjoint(stats.uniform.cdf, elementwise=True, returns=Returns.NEW)
def uniform_cdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.where((z >= 0.0) & (z <= 1.0), 1.0, 0.0) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.uniform.sf, elementwise=True, returns=Returns.NEW)
def uniform_sf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.where((z >= 0.0) & (z <= 1.0), 1.0, 0.0) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


@adjoint(stats.uniform.logcdf, elementwise=True, returns=Returns.NEW)
def uniform_logcdf(y, x, loc=0.0, scale=1.0):
    # log z inside: 1 / z (infinite at z == 0).
    z = (x - loc) / scale
    f = np.where((z >= 0.0) & (z <= 1.0), 1.0, 0.0) / (np.where(z >= 0.0, z, 1.0) * scale)
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z


@adjoint(stats.uniform.logsf, elementwise=True, returns=Returns.NEW)
def uniform_logsf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.where((z >= 0.0) & (z <= 1.0), 1.0, 0.0) / (np.where(z <= 1.0, 1.0 - z, 1.0) * scale)
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z


# --- lognorm: cdf ndtr(u), u = log(z) / s, for z > 0 ----------------------------------------------------


@adjoint(stats.lognorm.cdf, elementwise=True, returns=Returns.NEW)
def lognorm_cdf(y, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    h = np.where(z > 0.0, _INV_SQRT_2PI * np.exp(-0.5 * u * u), 0.0)
    f = h / (s * np.where(z > 0.0, z, 1.0) * scale)
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[s] = -d[y] * h * u / s


@adjoint(stats.lognorm.sf, elementwise=True, returns=Returns.NEW)
def lognorm_sf(y, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    h = np.where(z > 0.0, _INV_SQRT_2PI * np.exp(-0.5 * u * u), 0.0)
    f = h / (s * np.where(z > 0.0, z, 1.0) * scale)
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[s] = d[y] * h * u / s


@adjoint(stats.lognorm.logcdf, elementwise=True, returns=Returns.NEW)
def lognorm_logcdf(y, x, s, loc=0.0, scale=1.0):
    # density / cdf as exp(log density - y): finite in the left tail, where both underflow.
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    h = np.where(z > 0.0, _INV_SQRT_2PI * np.exp(-0.5 * u * u - np.where(z > 0.0, y, 0.0)), 0.0)
    f = h / (s * np.where(z > 0.0, z, 1.0) * scale)
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[s] = -d[y] * h * u / s


@adjoint(stats.lognorm.logsf, elementwise=True, returns=Returns.NEW)
def lognorm_logsf(y, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    u = np.log(np.where(z > 0.0, z, 1.0)) / s
    h = np.where(z > 0.0, _INV_SQRT_2PI * np.exp(-0.5 * u * u - y), 0.0)
    f = h / (s * np.where(z > 0.0, z, 1.0) * scale)
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[s] = d[y] * h * u / s


# --- ppf: x = loc + scale * ppf(q) -----------------------------------------------------------------


@adjoint(stats.norm.ppf, elementwise=True, returns=Returns.NEW)
def norm_ppf(y, q, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    d[q] = d[y] * scale * _SQRT_2PI * np.exp(0.5 * z * z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.expon.ppf, elementwise=True, returns=Returns.NEW)
def expon_ppf(y, q, loc=0.0, scale=1.0):
    # -log(1 - q): 1 / (1 - q) = exp(z).
    z = (y - loc) / scale
    d[q] = d[y] * scale * np.exp(z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.laplace.ppf, elementwise=True, returns=Returns.NEW)
def laplace_ppf(y, q, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    d[q] = d[y] * scale * 2.0 * np.exp(np.abs(z))
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.cauchy.ppf, elementwise=True, returns=Returns.NEW)
def cauchy_ppf(y, q, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    d[q] = d[y] * scale * np.pi * (1.0 + z * z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.logistic.ppf, elementwise=True, returns=Returns.NEW)
def logistic_ppf(y, q, loc=0.0, scale=1.0):
    # logit(q): 1 / (q (1 - q)).
    d[q] = d[y] * scale / (q * (1.0 - q))
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * (y - loc) / scale


@adjoint(stats.uniform.ppf, elementwise=True, returns=Returns.NEW)
def uniform_ppf(y, q, loc=0.0, scale=1.0):
    d[q] = d[y] * scale
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * q


@adjoint(stats.lognorm.ppf, elementwise=True, returns=Returns.NEW)
def lognorm_ppf(y, q, s, loc=0.0, scale=1.0):
    # loc + scale exp(s u), u = ndtri(q).
    z = (y - loc) / scale
    u = special.ndtri(q)
    d[q] = d[y] * scale * z * s * _SQRT_2PI * np.exp(0.5 * u * u)
    d[s] = d[y] * scale * z * u
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


# --- isf: x = loc + scale * isf(q), the ppf of 1 - q: minus the ppf's slope in q ---------------------------


@adjoint(stats.norm.isf, elementwise=True, returns=Returns.NEW)
def norm_isf(y, q, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    d[q] = -d[y] * scale * _SQRT_2PI * np.exp(0.5 * z * z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.expon.isf, elementwise=True, returns=Returns.NEW)
def expon_isf(y, q, loc=0.0, scale=1.0):
    # -log(q).
    d[q] = -d[y] * scale / q
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * (y - loc) / scale


@adjoint(stats.laplace.isf, elementwise=True, returns=Returns.NEW)
def laplace_isf(y, q, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    d[q] = -d[y] * scale * 2.0 * np.exp(np.abs(z))
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.cauchy.isf, elementwise=True, returns=Returns.NEW)
def cauchy_isf(y, q, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    d[q] = -d[y] * scale * np.pi * (1.0 + z * z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.logistic.isf, elementwise=True, returns=Returns.NEW)
def logistic_isf(y, q, loc=0.0, scale=1.0):
    d[q] = -d[y] * scale / (q * (1.0 - q))
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * (y - loc) / scale


@adjoint(stats.uniform.isf, elementwise=True, returns=Returns.NEW)
def uniform_isf(y, q, loc=0.0, scale=1.0):
    d[q] = -d[y] * scale
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * (1.0 - q)


@adjoint(stats.lognorm.isf, elementwise=True, returns=Returns.NEW)
def lognorm_isf(y, q, s, loc=0.0, scale=1.0):
    # loc + scale exp(s u), u = -ndtri(q).
    z = (y - loc) / scale
    u = -special.ndtri(q)
    d[q] = -d[y] * scale * z * s * _SQRT_2PI * np.exp(0.5 * u * u)
    d[s] = d[y] * scale * z * u
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z
