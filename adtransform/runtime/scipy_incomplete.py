"""Derivatives of the regularized incomplete gamma and beta functions, and of Student's t cdf, in their
shape parameters (NumPy here; SciPy is imported when a helper first runs).

No elementary closed form exists: each is the integral of the density times the derivative of its log in
the parameter (the score), by adaptive quadrature (scipy.integrate.quad, relative tolerance 1e-12, no
absolute one). The score changes sign once over the support and integrates to 0 over all of it, so the
derivative is the integral below x or minus the integral above x: each helper takes the side on which the
score keeps one sign, so the quadrature adds terms of one sign and keeps its relative accuracy in both
tails. Coordinates v = t^p (p = min(a, 1)) near 0 and w = (1 - t)^q near 1 remove the endpoint
singularities of t^(a-1) and (1 - t)^(b-1) and keep log t and log(1 - t) exact; break points at the mode
and near x let quad find narrow peaks of large shapes. One quadrature per element: slow on large arrays,
so a rule asks for these only when the shape parameter carries a derivative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

_RTOL = 1e-12
_LIMIT = 400
_STEPS = (-40.0, -12.0, -4.0, -1.0, 0.0, 1.0, 4.0, 12.0, 40.0)


def _quad(f: Callable[[float], float], lo: float, hi: float, points: Iterable[float] = ()) -> float:
    """Integral of f over (lo, hi), split at the given points that fall inside."""
    import warnings

    from scipy.integrate import IntegrationWarning, quad

    if not hi > lo:
        return 0.0
    inner = sorted({p for p in points if lo < p < hi and math.isfinite(p)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)  # (a tolerance below rounding is asked on purpose)
        if math.isinf(hi):
            return quad(f, lo, hi, epsabs=0.0, epsrel=_RTOL, limit=_LIMIT)[0]
        return quad(f, lo, hi, epsabs=0.0, epsrel=_RTOL, limit=_LIMIT, points=inner or None)[0]


def _elementwise(scalar: Callable[..., float], *args: Any) -> Any:
    """`scalar` applied to each element of the broadcast arguments, in their result dtype."""
    dtype = np.result_type(*args, 1.0)
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    out = np.empty(arrays[0].shape, dtype=np.float64)
    for index in np.ndindex(out.shape):
        out[index] = scalar(*(float(a[index]) for a in arrays))
    if all(np.ndim(a) == 0 for a in args):
        return dtype.type(out[()])
    return out.astype(dtype, copy=False)


def _marks(centre: float, width: float, edge: float, slope: float) -> list[float]:
    """Break points: around the mode (`centre`, `width`) and on the decaying side of `edge` (decay rate
    `slope` of the log-density there)."""
    marks = [centre + k * width for k in _STEPS]
    if slope != 0.0 and math.isfinite(slope):
        marks += [edge - k / slope for k in (1.0, 8.0, 40.0)]
    return marks


# --- incomplete gamma: P(a, x) = gammainc(a, x) ---------------------------------------------------


def _gammainc_da(a: float, x: float) -> float:
    """d/da P(a, x): the score is log t - digamma(a), negative below exp(digamma(a)), positive above."""
    from scipy.special import digamma, gammaln

    if not (a > 0.0) or math.isnan(x):
        return math.nan
    if x <= 0.0 or math.isinf(x):
        return 0.0  # P is 0 (or 1) whatever a
    psi, norm, p = float(digamma(a)), float(gammaln(a)), min(a, 1.0)

    def near0(v: float) -> float:  # t = v^(1/p): t^(a-1) dt = t^(a-p) dv / p
        if v <= 0.0:
            return 0.0
        log_t = math.log(v) / p
        return (log_t - psi) * math.exp((a - p) * log_t - math.exp(log_t) - norm) / p

    def plain(t: float) -> float:
        return (math.log(t) - psi) * math.exp((a - 1.0) * math.log(t) - t - norm)

    marks = _marks(a - 1.0, math.sqrt(a), x, (a - 1.0) / x - 1.0)
    if math.log(x) <= psi:
        if p < 1.0:
            return _quad(near0, 0.0, x ** p)
        return _quad(plain, 0.0, x, marks)
    total = _quad(near0, x ** p, 1.0) if (p < 1.0 and x < 1.0) else 0.0
    start = max(x, 1.0) if p < 1.0 else x
    edge = max(start, a) + 60.0 * math.sqrt(a) + 60.0
    return -(total + _quad(plain, start, edge, marks) + _quad(plain, edge, math.inf))


def gammainc_da(a: Any, x: Any) -> Any:
    """d/da of scipy.special.gammainc(a, x) (minus that of gammaincc), elementwise."""
    return _elementwise(_gammainc_da, a, x)


# --- incomplete beta: I_x(a, b) = betainc(a, b, x) ------------------------------------------------


def _beta_integral(a: float, b: float, x: float, first: bool, below: bool) -> float:
    """The integral over (0, x) (`below`) or (x, 1) of the beta(a, b) density times its score in `a`
    (`first`) or `b`. t in (0, 1/2] in v = t^p, t in [1/2, 1) in w = (1 - t)^q."""
    from scipy.special import betaln, digamma

    total = float(digamma(a + b))
    centre = float(digamma(a)) - total if first else float(digamma(b)) - total
    norm = float(betaln(a, b))
    p, q = min(a, 1.0), min(b, 1.0)

    def term(log_t: float, log_s: float, weight: float) -> float:
        score = (log_t if first else log_s) - centre
        return score * math.exp((a - 1.0) * log_t + (b - 1.0) * log_s - norm + weight)

    def left(v: float) -> float:  # t^(a-1) dt = t^(a-p) dv / p
        if v <= 0.0:
            return 0.0
        log_t = math.log(v) / p
        return term(log_t, math.log1p(-math.exp(log_t)), (1.0 - p) * log_t - math.log(p))

    def right(w: float) -> float:  # s = 1 - t: s^(b-1) ds = s^(b-q) dw / q
        if w <= 0.0:
            return 0.0
        log_s = math.log(w) / q
        return term(math.log1p(-math.exp(log_s)), log_s, (1.0 - q) * log_s - math.log(q))

    xc = 1.0 - x  # (exact for x >= 1/2; below, its rounding is relative to a number >= 1/2)
    if a > 1.0 and b > 1.0:
        mode, width = (a - 1.0) / (a + b - 2.0), math.sqrt(a * b / ((a + b + 1.0) * (a + b) ** 2))
    else:
        mode, width = 0.5, 0.25
    marks = _marks(mode, width, x, (a - 1.0) / x - (b - 1.0) / xc)
    lo_t, hi_t = (0.0, min(x, 0.5)) if below else (min(x, 0.5), 0.5)
    lo_s, hi_s = (min(xc, 0.5), 0.5) if below else (0.0, min(xc, 0.5))
    return (_quad(left, lo_t ** p, hi_t ** p, [t ** p for t in marks if t > 0.0])
            + _quad(right, lo_s ** q, hi_s ** q, [(1.0 - t) ** q for t in marks if t < 1.0]))


def _betainc_da(a: float, b: float, x: float) -> float:
    """d/da I_x(a, b): the score log t - digamma(a) + digamma(a + b) is negative below its root."""
    from scipy.special import digamma

    if not (a > 0.0 and b > 0.0) or math.isnan(x):
        return math.nan
    if x <= 0.0 or x >= 1.0:
        return 0.0
    if math.log(x) <= float(digamma(a)) - float(digamma(a + b)):
        return _beta_integral(a, b, x, True, True)
    return -_beta_integral(a, b, x, True, False)


def _betainc_db(a: float, b: float, x: float) -> float:
    """d/db I_x(a, b): the score log(1 - t) - digamma(b) + digamma(a + b) is positive below its root."""
    from scipy.special import digamma

    if not (a > 0.0 and b > 0.0) or math.isnan(x):
        return math.nan
    if x <= 0.0 or x >= 1.0:
        return 0.0
    if math.log1p(-x) >= float(digamma(b)) - float(digamma(a + b)):
        return _beta_integral(a, b, x, False, True)
    return -_beta_integral(a, b, x, False, False)


def betainc_da(a: Any, b: Any, x: Any) -> Any:
    """d/da of scipy.special.betainc(a, b, x), elementwise."""
    return _elementwise(_betainc_da, a, b, x)


def betainc_db(a: Any, b: Any, x: Any) -> Any:
    """d/db of scipy.special.betainc(a, b, x), elementwise."""
    return _elementwise(_betainc_db, a, b, x)


# --- Student's t cdf in its degrees of freedom --------------------------------------------------------


def _t_centre(df: float) -> float:
    """digamma((df + 1) / 2) - digamma(df / 2) - 1 / df, with no cancellation for large df (asymptotic
    series in h = df / 2: 1/(8h^2) - 1/(64h^4) + 1/(128h^6) - 17/(2048h^8), next term below 1e-11 of it)."""
    from scipy.special import digamma

    if df < 40.0:
        return float(digamma(0.5 * (df + 1.0)) - digamma(0.5 * df)) - 1.0 / df
    u = 1.0 / (0.25 * df * df)
    return u * (1.0 / 8.0 - u * (1.0 / 64.0 - u * (1.0 / 128.0 - u * 17.0 / 2048.0)))


def _log1p_gap(r: float) -> float:
    """r - log1p(r), exact for small r too."""
    if r > 0.01:
        return r - math.log1p(r)
    return sum((-1.0) ** k * r ** k / k for k in range(2, 11))


def _t_cdf_ddf(z: float, df: float) -> float:
    """d/ddf of Student's t cdf at z. The score in df is positive for |s| below one root and negative
    beyond it; the cdf at 0 is 1/2 for every df, so the derivative is the integral of density times score
    from -inf to -|z| (in v = (s / z)^-p, p = min(df, 1), which flattens the heavy tail) or minus that from
    -|z| to 0."""
    from scipy.special import gammaln

    if not (df > 0.0) or math.isnan(z):
        return math.nan
    if z == 0.0 or math.isinf(z) or math.isinf(df):
        return 0.0  # (the cdf is 1/2 at 0 for every df; at df = inf it is the normal's, its slope in df 0)
    centre = _t_centre(df)
    norm = float(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df)) - 0.5 * math.log(df * math.pi)
    log_df, p = math.log(df), min(df, 1.0)

    def log_term(log_s: float) -> tuple[float, float]:
        """(score, log density) at |s| = exp(log_s), with r = s^2 / df: 0.5 (centre + (df + 1) / (df (1 + 1/r))
        - log1p(r)), written as 0.5 (centre + w (1 - w) / (df (df + w)) + r - log1p(r)) for small r."""
        log_r = 2.0 * log_s - log_df
        if log_r > 0.0:
            log1p_r = log_r + math.log1p(math.exp(-log_r))
            score = 0.5 * (centre + (df + 1.0) / (df * (1.0 + math.exp(-log_r))) - log1p_r)
        else:
            r = math.exp(log_r)
            w = r * df
            log1p_r = math.log1p(r)
            score = 0.5 * (centre + w * (1.0 - w) / (df * (df + w)) + _log1p_gap(r))
        return score, norm - 0.5 * (df + 1.0) * log1p_r

    def inner(s: float) -> float:
        if s == 0.0:
            score, log_density = log_term(-math.inf)
            return score * math.exp(log_density)
        score, log_density = log_term(math.log(abs(s)))
        return score * math.exp(log_density)

    log_edge = math.log(abs(z))

    def tail(v: float) -> float:  # s = -|z| v^(-1/p): ds = |s| dv / (p v)
        if v <= 0.0:
            return 0.0
        log_s = log_edge - math.log(v) / p
        score, log_density = log_term(log_s)
        return score * math.exp(log_density + log_s - math.log(p * v))

    if log_term(log_edge)[0] <= 0.0:
        marks = [(abs(z) / (abs(z) + k)) ** p for k in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)]
        value = _quad(tail, 0.0, 1.0, marks)
    else:
        value = -_quad(inner, -abs(z), 0.0)
    return value if z < 0.0 else -value


def t_cdf_ddf(z: Any, df: Any) -> Any:
    """d/ddf of scipy.stats.t.cdf(z, df) (minus that of t.sf), elementwise."""
    return _elementwise(_t_cdf_ddf, z, df)


# --- ratios for log-distribution functions ------------------------------------------------------------


def density_ratio(log_density: Any, log_value: Any) -> Any:
    """density / value as exp(log density - log value) (exact in tails where both underflow), 0 where the
    density is 0: outside the support the function is constant on a neighbourhood."""
    log_density = np.asarray(log_density)
    zero = log_density == -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        ratio = np.exp(log_density - log_value)
    return np.where(zero, 0.0, ratio)[()]


def value_ratio(derivative: Any, log_value: Any) -> Any:
    """derivative / exp(log value), 0 where the derivative is 0 (outside the support)."""
    derivative = np.asarray(derivative)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        ratio = derivative * np.exp(-np.asarray(log_value, dtype=np.result_type(log_value, 1.0)))
    return np.where(derivative == 0.0, 0.0, ratio)[()]
