"""Adjoints of scipy.special's reductions: logsumexp, softmax, log_softmax (NumPy only).

Each takes the output's adjoint `g` and the output `y` (the forward result, so nothing is computed
twice) and gives the contribution to one argument, in the broadcast shape of the arguments; the
rule unbroadcasts it. `axis` is None (every axis), an int or a tuple, negative or not, as SciPy
reads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _kept(v: Any, axis: Any, keepdims: bool) -> Any:
    """A reduction's result (or adjoint) with its reduced axes back, as size 1."""
    if axis is None or keepdims:
        return v
    return np.expand_dims(v, axis)


def logsumexp_weights(g: Any, y: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """g * exp(a - y) spread over the reduced axes: the adjoint of `b * exp(a)`'s sum, before the
    weight `b` (the contribution to `b`; times `b`, to `a`). One array: the softmax of `a` from the
    result, exp and product in place."""
    gk = _kept(g, axis, keepdims)
    shares = np.subtract(a, _kept(y, axis, keepdims))
    if _writable_float(shares) and _fits(shares, gk):
        np.exp(shares, out=shares)
        return np.multiply(shares, gk, out=shares)  # (= g * exp(a - y): IEEE products commute)
    return gk * np.exp(shares)


def logsumexp_a_adjoint(g: Any, y: Any, a: Any, axis: Any, b: Any, keepdims: bool) -> Any:
    shares = logsumexp_weights(g, y, a, axis, keepdims)
    if b is None:
        return _full(shares, a)
    if _writable_float(shares) and _fits(shares, b):
        return _full(np.multiply(shares, b, out=shares), a)
    return _full(shares * b, a)


def logsumexp_b_adjoint(g: Any, y: Any, a: Any, axis: Any, b: Any, keepdims: bool) -> Any:
    return _full(logsumexp_weights(g, y, a, axis, keepdims), b)


def _full(contribution: Any, x: Any) -> Any:
    """At least `x`'s shape (a scalar `g` spread over `x`); the caller unbroadcasts the rest."""
    shape = np.broadcast_shapes(np.shape(contribution), np.shape(x))
    return contribution if np.shape(contribution) == shape else np.broadcast_to(contribution, shape).copy()


def _writable_float(v: Any) -> bool:
    """`v` is an array of floats this module made (so it may be overwritten)."""
    return type(v) is np.ndarray and v.dtype.kind in "fc" and v.flags.writeable


def _fits(acc: np.ndarray, *others: Any) -> bool:
    """`acc <op> other` for each of `others` has `acc`'s shape and dtype (so it may be computed in place)."""
    return all(np.result_type(acc, o) == acc.dtype and np.broadcast_shapes(acc.shape, np.shape(o)) == acc.shape
               for o in others)


def softmax_adjoint(g: Any, y: Any, axis: Any) -> Any:
    """y * (g - sum(g * y)) over `axis` (None: every element): one array, the product g * y, reused
    for the difference and the result once its sum is taken."""
    gy = np.multiply(g, y)
    total = np.sum(gy, axis=axis, keepdims=True)
    if _writable_float(gy) and _fits(gy, g, total, y):
        np.subtract(g, total, out=gy)
        return np.multiply(gy, y, out=gy)  # (= y * (g - total): IEEE products commute)
    return y * (g - total)


def log_softmax_adjoint(g: Any, y: Any, axis: Any) -> Any:
    """g - exp(y) * sum(g) over `axis` (None: every element): one array, exp(y), scaled and
    subtracted from in place."""
    total = np.sum(g, axis=axis, keepdims=True)
    share = np.exp(y)
    if _writable_float(share) and _fits(share, total, g):
        np.multiply(share, total, out=share)
        return np.subtract(g, share, out=share)
    return g - share * total


def multigammaln_share(a: Any, d: int) -> Any:
    """d/da of scipy.special.multigammaln(a, d): the sum of digamma(a - j / 2) for j < d."""
    from scipy.special import digamma

    return sum(digamma(a - 0.5 * j) for j in range(int(d)))
