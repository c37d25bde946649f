"""The adjoint of `np.diff`: n-th differences along an axis of `prepend`, `a` and `append` joined."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .broadcast import unbroadcast
from .shapes import reshaped_like

__all__ = ["diff_adjoint"]


def diff_adjoint(g: Any, a: Any, n: Any, axis: Any, prepend: Any, append: Any, part: int) -> Any:
    """The adjoint of `np.diff(a, n, axis, prepend=, append=)` for one of its arrays (`part`: 0 `a`,
    1 `prepend`, 2 `append`; `None` stands for a value not given). NumPy joins the three along `axis`
    (a 0-d `prepend` or `append` broadcast to one slice) and takes `n` first differences; each is
    undone by sending `h[k]` to positions `k + 1` (with +) and `k` (with -). `n = 0` returns `a` itself,
    joining nothing; `n` or more differences of as many elements are empty."""
    n = operator.index(n)
    value = (a, prepend, append)[part]
    if n == 0:
        return reshaped_like(g, a) if part == 0 else _zeros(g, value)
    axis = operator.index(axis)
    axis = axis + np.ndim(a) if axis < 0 else axis
    before = 0 if prepend is None else 1 if np.ndim(prepend) == 0 else np.shape(prepend)[axis]
    middle = np.shape(a)[axis]
    after = 0 if append is None else 1 if np.ndim(append) == 0 else np.shape(append)[axis]
    h = np.moveaxis(np.asarray(g), axis, 0)
    total = before + middle + after
    if total <= n:  # (an empty result: nothing depends on the inputs)
        return _zeros(g, value)
    for _ in range(n):
        out = np.zeros((h.shape[0] + 1, *h.shape[1:]), dtype=h.dtype)
        out[1:] += h
        out[:-1] -= h
        h = out
    start, length = ((before, middle), (0, before), (before + middle, after))[part]
    piece = np.moveaxis(h[start:start + length], 0, axis)
    if part != 0 and np.ndim(value) == 0:  # (broadcast to one slice: its adjoint is their sum)
        return reshaped_like(unbroadcast(piece, value), value)
    return reshaped_like(piece, value)


def _zeros(g: Any, value: Any) -> Any:
    """A zero adjoint shaped like `value`, of `g`'s dtype."""
    return reshaped_like(np.zeros(np.shape(value), dtype=np.result_type(g)), value)
