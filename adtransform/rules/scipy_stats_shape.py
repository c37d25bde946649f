"""Reverse rules for cdf, sf, logcdf, logsf, ppf and isf of scipy.stats' t, gamma, beta and chi2, in every
parameter (loaded with scipy.stats: rules/optional.py).

In `x`, `loc` and `scale` the derivative is closed form (the density, with z = (x - loc) / scale as in
rules/scipy_stats_cdf.py). In a shape parameter (t's and chi2's `df`, gamma's `a`, beta's `a` and `b`) it
is the derivative of a regularized incomplete gamma or beta function, which has no elementary form: it is
computed by quadrature to about 1e-11 relative (runtime/scipy_incomplete.py), and only where that
parameter carries a derivative. logcdf and logsf divide by the cdf or sf (exp(y)); outside the support the
functions are constant on a neighbourhood: derivative 0. A ppf's derivatives follow from the cdf's by
the implicit function theorem: 1 / density in `q`, -(d cdf / d shape) / density in a shape.
"""

try:
    from scipy import stats
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.stats need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from ..runtime import betainc_da, betainc_db, density_ratio, gammainc_da, t_cdf_ddf, value_ratio
from .notation import adjoint, d
from .registry import Returns

# --- t ----------------------------------------------------------------------------------------------


@adjoint(stats.t.cdf, elementwise=True, returns=Returns.NEW)
def t_cdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.t.logpdf(z, df)) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[df] = d[y] * t_cdf_ddf(z, df)


@adjoint(stats.t.sf, elementwise=True, returns=Returns.NEW)
def t_sf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.t.logpdf(z, df)) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[df] = -d[y] * t_cdf_ddf(z, df)


@adjoint(stats.t.logcdf, elementwise=True, returns=Returns.NEW)
def t_logcdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.t.logpdf(z, df), y) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[df] = d[y] * value_ratio(t_cdf_ddf(z, df), y)


@adjoint(stats.t.logsf, elementwise=True, returns=Returns.NEW)
def t_logsf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.t.logpdf(z, df), y) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[df] = -d[y] * value_ratio(t_cdf_ddf(z, df), y)


@adjoint(stats.t.ppf, elementwise=True, returns=Returns.NEW)
def t_ppf(y, q, df, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.t.logpdf(z, df))
    d[q] = d[y] * slope
    d[df] = -d[y] * slope * t_cdf_ddf(z, df)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


# --- gamma: cdf gammainc(a, z) -------------------------------------------------------------------------


@adjoint(stats.gamma.cdf, elementwise=True, returns=Returns.NEW)
def gamma_cdf(y, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.gamma.logpdf(z, a)) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[a] = d[y] * gammainc_da(a, z)


@adjoint(stats.gamma.sf, elementwise=True, returns=Returns.NEW)
def gamma_sf(y, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.gamma.logpdf(z, a)) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[a] = -d[y] * gammainc_da(a, z)


@adjoint(stats.gamma.logcdf, elementwise=True, returns=Returns.NEW)
def gamma_logcdf(y, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.gamma.logpdf(z, a), y) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[a] = d[y] * value_ratio(gammainc_da(a, z), y)


@adjoint(stats.gamma.logsf, elementwise=True, returns=Returns.NEW)
def gamma_logsf(y, x, a, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.gamma.logpdf(z, a), y) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[a] = -d[y] * value_ratio(gammainc_da(a, z), y)


@adjoint(stats.gamma.ppf, elementwise=True, returns=Returns.NEW)
def gamma_ppf(y, q, a, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.gamma.logpdf(z, a))
    d[q] = d[y] * slope
    d[a] = -d[y] * slope * gammainc_da(a, z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


# --- chi2: cdf gammainc(df / 2, z / 2) -----------------------------------------------------------------


@adjoint(stats.chi2.cdf, elementwise=True, returns=Returns.NEW)
def chi2_cdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.chi2.logpdf(z, df)) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[df] = d[y] * 0.5 * gammainc_da(0.5 * df, 0.5 * z)


@adjoint(stats.chi2.sf, elementwise=True, returns=Returns.NEW)
def chi2_sf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.chi2.logpdf(z, df)) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[df] = -d[y] * 0.5 * gammainc_da(0.5 * df, 0.5 * z)


@adjoint(stats.chi2.logcdf, elementwise=True, returns=Returns.NEW)
def chi2_logcdf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.chi2.logpdf(z, df), y) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[df] = d[y] * 0.5 * value_ratio(gammainc_da(0.5 * df, 0.5 * z), y)


@adjoint(stats.chi2.logsf, elementwise=True, returns=Returns.NEW)
def chi2_logsf(y, x, df, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.chi2.logpdf(z, df), y) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[df] = -d[y] * 0.5 * value_ratio(gammainc_da(0.5 * df, 0.5 * z), y)


@adjoint(stats.chi2.ppf, elementwise=True, returns=Returns.NEW)
def chi2_ppf(y, q, df, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.chi2.logpdf(z, df))
    d[q] = d[y] * slope
    d[df] = -d[y] * slope * 0.5 * gammainc_da(0.5 * df, 0.5 * z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


# --- beta: cdf betainc(a, b, z) ------------------------------------------------------------------------


@adjoint(stats.beta.cdf, elementwise=True, returns=Returns.NEW)
def beta_cdf(y, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.beta.logpdf(z, a, b)) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[a] = d[y] * betainc_da(a, b, z)
    d[b] = d[y] * betainc_db(a, b, z)


@adjoint(stats.beta.sf, elementwise=True, returns=Returns.NEW)
def beta_sf(y, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = np.exp(stats.beta.logpdf(z, a, b)) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[a] = -d[y] * betainc_da(a, b, z)
    d[b] = -d[y] * betainc_db(a, b, z)


@adjoint(stats.beta.logcdf, elementwise=True, returns=Returns.NEW)
def beta_logcdf(y, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.beta.logpdf(z, a, b), y) / scale
    d[x] = d[y] * f
    d[loc] = -d[y] * f
    d[scale] = -d[y] * f * z
    d[a] = d[y] * value_ratio(betainc_da(a, b, z), y)
    d[b] = d[y] * value_ratio(betainc_db(a, b, z), y)


@adjoint(stats.beta.logsf, elementwise=True, returns=Returns.NEW)
def beta_logsf(y, x, a, b, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    f = density_ratio(stats.beta.logpdf(z, a, b), y) / scale
    d[x] = -d[y] * f
    d[loc] = d[y] * f
    d[scale] = d[y] * f * z
    d[a] = -d[y] * value_ratio(betainc_da(a, b, z), y)
    d[b] = -d[y] * value_ratio(betainc_db(a, b, z), y)


@adjoint(stats.beta.ppf, elementwise=True, returns=Returns.NEW)
def beta_ppf(y, q, a, b, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.beta.logpdf(z, a, b))
    d[q] = d[y] * slope
    d[a] = -d[y] * slope * betainc_da(a, b, z)
    d[b] = -d[y] * slope * betainc_db(a, b, z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


# --- isf: sf(x) == q, so minus the ppf's slope in q and the same one in a shape (d sf = -d cdf) -------------


@adjoint(stats.t.isf, elementwise=True, returns=Returns.NEW)
def t_isf(y, q, df, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.t.logpdf(z, df))
    d[q] = -d[y] * slope
    d[df] = -d[y] * slope * t_cdf_ddf(z, df)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.gamma.isf, elementwise=True, returns=Returns.NEW)
def gamma_isf(y, q, a, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.gamma.logpdf(z, a))
    d[q] = -d[y] * slope
    d[a] = -d[y] * slope * gammainc_da(a, z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.chi2.isf, elementwise=True, returns=Returns.NEW)
def chi2_isf(y, q, df, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.chi2.logpdf(z, df))
    d[q] = -d[y] * slope
    d[df] = -d[y] * slope * 0.5 * gammainc_da(0.5 * df, 0.5 * z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z


@adjoint(stats.beta.isf, elementwise=True, returns=Returns.NEW)
def beta_isf(y, q, a, b, loc=0.0, scale=1.0):
    z = (y - loc) / scale
    slope = scale * np.exp(-stats.beta.logpdf(z, a, b))
    d[q] = -d[y] * slope
    d[a] = -d[y] * slope * betainc_da(a, b, z)
    d[b] = -d[y] * slope * betainc_db(a, b, z)
    d[loc] = d[y] * 1.0
    d[scale] = d[y] * z
