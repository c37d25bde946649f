"""Adjoints of selections by value: np.maximum, np.minimum, np.fmax, np.fmin, np.clip.

A selection passes its adjoint `g` to the operand it selects and exactly 0 to the others, even
where `g` is inf or NaN: `np.sqrt(np.maximum(x, 0.0))` at x = -1 is constant near x, so its
derivative is 0, not 0 * inf = NaN (the sqrt's adjoint at 0). Where the share is nonzero, the
product is unchanged (inf stays inf, 1/2 of inf on a tie is inf).

The common case stays one multiplication in the share's new buffer: only an adjoint that is not
all finite (its min and max: two fast passes over `g`, which is no larger than the share) takes the
masked one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .accumulate import _fits
from .elementwise import clip_share, fmax_share, tie_share

_NDARRAY = np.ndarray


def _finite(g: Any) -> bool:
    """Whether every element of `g` is finite (a number, or an array of any shape). A real array by
    its min and max, which propagate NaN: no boolean array of g's size is made."""
    if type(g) is float:
        return math.isfinite(g)
    if type(g) is _NDARRAY and g.dtype.kind == "f":
        return g.size == 0 or (math.isfinite(np.min(g)) and math.isfinite(np.max(g)))
    return bool(np.all(np.isfinite(g)))


def _zero(value: Any) -> Any:
    """A zero of `value`'s type, shape and dtype."""
    if isinstance(value, _NDARRAY):
        return np.zeros_like(value)
    return type(value)(0) if isinstance(value, (float, np.generic)) else 0.0 * value


def times_share(g: Any, share: Any) -> Any:
    """`g * share`, and exactly 0 where `share` is 0 even where `g` is inf or NaN.

    `share` is a new array (or a number) the caller gives up: the product is written into it when
    it has its shape and dtype; otherwise the product is computed as `g * share` would be (its dtype
    and shape) and its elements of share 0 are zeroed, if any is not finite. A NaN share (a NaN
    operand: the result is NaN) is not 0, so `g * NaN` stays.
    """
    if type(share) is not _NDARRAY:  # (a number, from scalar operands)
        out = g * share
        return out if share != 0 or _finite(g) else _zero(out)
    if _fits(share, g):
        if _finite(g):
            return np.multiply(share, g, out=share)
        return np.multiply(share, g, out=share, where=share != 0)  # (0 where it is left as it was)
    out = g * share
    if type(out) is not _NDARRAY:  # (0-d operands give a NumPy scalar)
        return out if share != 0 or _finite(g) else _zero(out)
    if not _finite(out):
        np.copyto(out, 0, where=share == 0)  # (`out` is new: g * share, broadcast to it)
    return out


def tie_adjoint(g: Any, a: Any, b: Any) -> Any:
    """`g * tie_share(a, b)`, the adjoint of `a` in `np.maximum(a, b)` (of `b` in `np.minimum(a, b)`):
    exactly 0 where `b` wins (see `times_share`)."""
    return times_share(g, tie_share(a, b))


def fmax_adjoint(g: Any, a: Any, b: Any) -> Any:
    """`g * fmax_share(a, b)`, the adjoint of `a` in `np.fmax(a, b)`: exactly 0 where `b` is chosen."""
    return times_share(g, fmax_share(a, b))


def clip_adjoint(g: Any, a: Any, lo: Any, hi: Any, of: int) -> Any:
    """`g * clip_share(a, lo, hi, of)`: exactly 0 for the operands clip does not return."""
    return times_share(g, clip_share(a, lo, hi, of))
