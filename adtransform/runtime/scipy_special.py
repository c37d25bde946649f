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
    weight `b` (the contribution to `b`; times `b`, to `a`)."""
    return _kept(g, axis, keepdims) * np.exp(a - _kept(y, axis, keepdims))


def logsumexp_a_adjoint(g: Any, y: Any, a: Any, axis: Any, b: Any, keepdims: bool) -> Any:
    shares = logsumexp_weights(g, y, a, axis, keepdims)
    return _full(shares if b is None else shares * b, a)


def logsumexp_b_adjoint(g: Any, y: Any, a: Any, axis: Any, b: Any, keepdims: bool) -> Any:
    return _full(logsumexp_weights(g, y, a, axis, keepdims), b)


def _full(contribution: Any, x: Any) -> Any:
    """At least `x`'s shape (a scalar `g` spread over `x`); the caller unbroadcasts the rest."""
    shape = np.broadcast_shapes(np.shape(contribution), np.shape(x))
    return contribution if np.shape(contribution) == shape else np.broadcast_to(contribution, shape).copy()


def softmax_adjoint(g: Any, y: Any, axis: Any) -> Any:
    """y * (g - sum(g * y)) over `axis` (None: every element)."""
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def log_softmax_adjoint(g: Any, y: Any, axis: Any) -> Any:
    """g - exp(y) * sum(g) over `axis` (None: every element)."""
    return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


def multigammaln_share(a: Any, d: int) -> Any:
    """d/da of scipy.special.multigammaln(a, d): the sum of digamma(a - j / 2) for j < d."""
    from scipy.special import digamma

    return sum(digamma(a - 0.5 * j) for j in range(int(d)))
