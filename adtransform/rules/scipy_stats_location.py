"""Reverse rules for scipy.stats' location-scale families beyond rules/scipy_stats.py: expon, laplace,
cauchy, logistic, uniform, chi2 and lognorm, logpdf and pdf (loaded with it: rules/optional.py).

With z = (x - loc) / scale and dz the derivative of the standard log-density at z, the log-density's
derivative is dz / scale in `x`, minus that in `loc`, and -(1 + z * dz) / scale in `scale`; a density's
is its log's times the density. Outside the support the log-density is -inf on a neighbourhood:
derivative 0, as in JAX.
"""

try:
    from scipy import special, stats
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.stats need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from .notation import adjoint, d
from .registry import Returns


@adjoint(stats.expon.logpdf, elementwise=True, returns=Returns.NEW)
def expon_logpdf(y, x, loc=0.0, scale=1.0):
    # log-density -z - log(scale) for z >= 0.
    z = (x - loc) / scale
    inside = z >= 0.0
    dz = np.where(inside, -1.0, 0.0)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * np.where(inside, 1.0 + z * dz, 0.0) / scale


@adjoint(stats.expon.pdf, elementwise=True, returns=Returns.NEW)
def expon_pdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = z >= 0.0
    dz = np.where(inside, -1.0, 0.0)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * np.where(inside, 1.0 + z * dz, 0.0) / scale


@adjoint(stats.laplace.logpdf, elementwise=True, returns=Returns.NEW)
def laplace_logpdf(y, x, loc=0.0, scale=1.0):
    # -|z| - log(2 scale): at z == 0 the derivative in x is 0 (np.sign's, as JAX's abs).
    z = (x - loc) / scale
    dz = -np.sign(z)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * (1.0 + z * dz) / scale


@adjoint(stats.laplace.pdf, elementwise=True, returns=Returns.NEW)
def laplace_pdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    dz = -np.sign(z)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * (1.0 + z * dz) / scale


@adjoint(stats.cauchy.logpdf, elementwise=True, returns=Returns.NEW)
def cauchy_logpdf(y, x, loc=0.0, scale=1.0):
    # -log(pi scale (1 + z^2)): dz = -2 z / (1 + z^2), both parts divided by m = max(1, |z|) so that z^2
    # cannot overflow where the density's log is finite (|z| > 1e154: -2 / z, not 0).
    z = (x - loc) / scale
    m = np.maximum(1.0, np.abs(z))
    dz = -2.0 * (z / m) / (1.0 / m + z * (z / m))
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * (1.0 + z * dz) / scale


@adjoint(stats.cauchy.pdf, elementwise=True, returns=Returns.NEW)
def cauchy_pdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    m = np.maximum(1.0, np.abs(z))
    dz = -2.0 * (z / m) / (1.0 / m + z * (z / m))
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * (1.0 + z * dz) / scale


@adjoint(stats.logistic.logpdf, elementwise=True, returns=Returns.NEW)
def logistic_logpdf(y, x, loc=0.0, scale=1.0):
    # -z - 2 log(1 + exp(-z)) - log(scale): dz = -tanh(z / 2), finite for every z.
    z = (x - loc) / scale
    dz = -np.tanh(0.5 * z)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * (1.0 + z * dz) / scale


@adjoint(stats.logistic.pdf, elementwise=True, returns=Returns.NEW)
def logistic_pdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    dz = -np.tanh(0.5 * z)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * (1.0 + z * dz) / scale


@adjoint(stats.uniform.logpdf, elementwise=True, returns=Returns.NEW)
def uniform_logpdf(y, x, loc=0.0, scale=1.0):
    # -log(scale) on [0, 1] (in z): constant in x and loc except at the ends, where it jumps.
    z = (x - loc) / scale
    inside = (z >= 0.0) & (z <= 1.0)
    d[x] = d[y] * 0.0
    d[loc] = d[y] * 0.0
    d[scale] = -d[y] * np.where(inside, 1.0, 0.0) / scale


@adjoint(stats.uniform.pdf, elementwise=True, returns=Returns.NEW)
def uniform_pdf(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = (z >= 0.0) & (z <= 1.0)
    d[x] = d[y] * 0.0
    d[loc] = d[y] * 0.0
    d[scale] = -d[y] * y * np.where(inside, 1.0, 0.0) / scale


@adjoint(stats.chi2.logpdf, elementwise=True, returns=Returns.NEW)
def chi2_logpdf(y, x, df, loc=0.0, scale=1.0):
    # (df/2 - 1) log z - z/2 - (df/2) log 2 - gammaln(df/2) - log(scale).
    z = (x - loc) / scale
    inside = (z > 0.0) | ((z == 0.0) & (df == 2.0))  # (finite at z == 0 for df == 2: expon's z >= 0)
    dz = np.where(inside, (0.5 * df - 1.0) / np.where(z > 0.0, z, 1.0) - 0.5, 0.0)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * np.where(inside, 1.0 + z * dz, 0.0) / scale
    d[df] = d[y] * np.where(inside, 0.5 * (np.log(0.5 * z) - special.digamma(0.5 * df)), 0.0)


@adjoint(stats.chi2.pdf, elementwise=True, returns=Returns.NEW)
def chi2_pdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = (z > 0.0) | ((z == 0.0) & (df == 2.0))  # (finite at z == 0 for df == 2: expon's z >= 0)
    dz = np.where(inside, (0.5 * df - 1.0) / np.where(z > 0.0, z, 1.0) - 0.5, 0.0)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * np.where(inside, 1.0 + z * dz, 0.0) / scale
    d[df] = d[y] * y * np.where(inside, 0.5 * (np.log(0.5 * z) - special.digamma(0.5 * df)), 0.0)


@adjoint(stats.lognorm.logpdf, elementwise=True, returns=Returns.NEW)
def lognorm_logpdf(y, x, s, loc=0.0, scale=1.0):
    # -log(s z sqrt(2 pi)) - log(z)^2 / (2 s^2) - log(scale).
    z = (x - loc) / scale
    inside = z > 0.0
    dz = np.where(inside, -(1.0 + np.log(z) / (s * s)) / z, 0.0)
    d[x] = d[y] * dz / scale
    d[loc] = -d[y] * dz / scale
    d[scale] = -d[y] * np.where(inside, 1.0 + z * dz, 0.0) / scale
    d[s] = d[y] * np.where(inside, (np.log(z) ** 2 / (s * s) - 1.0) / s, 0.0)


@adjoint(stats.lognorm.pdf, elementwise=True, returns=Returns.NEW)
def lognorm_pdf(y, x, s, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    inside = z > 0.0
    dz = np.where(inside, -(1.0 + np.log(z) / (s * s)) / z, 0.0)
    d[x] = d[y] * y * dz / scale
    d[loc] = -d[y] * y * dz / scale
    d[scale] = -d[y] * y * np.where(inside, 1.0 + z * dz, 0.0) / scale
    d[s] = d[y] * y * np.where(inside, (np.log(z) ** 2 / (s * s) - 1.0) / s, 0.0)
