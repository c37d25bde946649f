"""Helpers of the elementwise and ndarray-method rules (rules/numpy_elementwise.py): the slope of
`np.sinc`, NumPy's two spellings of clip's bounds, and the adjoints of `astype` and `item`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype
from .elementwise import zeros_like


def sinc_slope(x: Any, y: Any) -> Any:
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x; near 0 that difference cancels, so for |pi x| < 0.1 its
    series pi (-t/3 + t^3/30 - t^5/840 + t^7/45360), t = pi x (the next term is 1e-14 of it there; 0 at 0)."""
    t = np.pi * np.asarray(x)
    small = np.abs(t) < 0.1
    t2 = t * t
    series = np.pi * t * (-1.0 / 3.0 + t2 * (1.0 / 30.0 - t2 * (1.0 / 840.0 - t2 / 45360.0)))
    safe = np.where(small, 1.0, x)
    return np.where(small, series, (np.cos(np.pi * safe) - y) / safe).astype(np.result_type(y), copy=False)


def clip_bound(first: Any, second: Any) -> Any:
    """`first` unless it is None: clip's bound given as `a_min` / `a_max` or as `min` / `max`."""
    return second if first is None else first


def astype_adjoint(g: Any, a: Any, y: Any) -> Any:
    """`a.astype(dtype)` is the identity on values for a floating `dtype` (the adjoint goes back in
    `a`'s dtype); an integer or boolean result is piecewise constant in `a`: 0."""
    if np.result_type(y).kind not in "fc":
        return zeros_like(a)
    dtype = getattr(a, "dtype", None)
    return g if dtype is None else np.asarray(g, dtype=dtype)


def item_adjoint(g: Any, a: Any, args: Any) -> Any:
    """The adjoint of `a.item(*args)`: `g` at the element read (the only one, a flat index, or one
    index per axis), 0 elsewhere."""
    shape = _shape(a)
    out = np.zeros(shape, dtype=adjoint_dtype(g, a))
    args = () if args is None else args  # (no arguments: the rule's `*args` is None)
    if len(args) == 1 and isinstance(args[0], tuple):
        args = args[0]
    if not args:
        out.reshape(-1)[0] = g
    elif len(args) == 1:
        out.reshape(-1)[args[0]] = g
    else:
        out[tuple(args)] = g
    return out
