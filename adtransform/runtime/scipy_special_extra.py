"""Helpers of scipy.special's rules beyond runtime/scipy_special.py: logsumexp's (value, sign) result and
boxcox's derivative in its exponent (NumPy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .linalg import tuple_part


def logsumexp_value(y: Any, return_sign: bool) -> Any:
    """The value of logsumexp's result: `y` itself, or its first item with `return_sign=True`."""
    return y[0] if return_sign else y


def logsumexp_cotangent(bar: Any, y: Any, return_sign: bool) -> Any:
    """The cotangent the unsigned adjoint takes. With `return_sign=True`, y = (log|S|, sign(S)) for
    S = sum(b exp(a)): d log|S| = dS / S = sign(S) dS / |S|, so the value's cotangent times the sign (the
    sign is piecewise constant: no derivative). At S == 0, log|S| is -inf and its derivative infinite:
    refused there rather than given as nan or 0."""
    if not return_sign:
        return bar
    value, sign = y
    if np.any(np.asarray(sign) == 0):
        raise FloatingPointError("the derivative of scipy.special.logsumexp(..., return_sign=True) is undefined "
                                 "where the weighted sum is 0 (its value log|sum| is -inf there)")
    g = tuple_part(bar, 0)
    if g is None:
        return np.zeros(np.shape(value), dtype=np.result_type(value, 1.0))
    return g * sign


def boxcox_lmbda_share(log_x: Any, lmbda: Any) -> Any:
    """d/dlmbda of (x^lmbda - 1) / lmbda = expm1(u) / lmbda with u = lmbda log x: log(x)^2 h(u) with
    h(u) = (u e^u - e^u + 1) / u^2 = sum over k >= 2 of (k - 1) u^(k-2) / k!, a series for small |u| where
    the closed form cancels (h(0) = 1/2: the derivative of log x at lmbda == 0)."""
    log_x, lmbda = np.broadcast_arrays(np.asarray(log_x), np.asarray(lmbda))
    u = lmbda * log_x
    small = np.abs(u) < 0.1
    safe = np.where(small, 1.0, u)
    with np.errstate(over="ignore", invalid="ignore"):
        closed = (safe * np.exp(safe) - np.expm1(safe)) / (safe * safe)
    series = np.zeros_like(u, dtype=np.result_type(u, 1.0))
    term = np.full_like(series, 0.5)  # (k - 1) u^(k-2) / k! at k = 2
    for k in range(2, 16):
        series = series + term
        term = term * u * k / ((k - 1) * (k + 1))  # ratio of consecutive terms: k u / ((k - 1)(k + 1))
    return (log_x * log_x * np.where(small, series, closed))[()]
