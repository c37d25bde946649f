"""Undo broadcasting and reductions in the backward sweep.

`unbroadcast` is called on every contribution of an elementwise primitive
whose operand shapes are not proven equal, so its common case (shapes
already match) returns at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _shape(value: Any) -> tuple[int, ...]:
    shape = getattr(value, "shape", None)
    return shape if shape is not None else np.shape(value)


def unbroadcast(g: Any, x: Any) -> Any:
    """Sum `g` over the axes along which `x` was broadcast, giving `x`'s shape."""
    shape = getattr(x, "shape", ())
    g_shape = getattr(g, "shape", ())
    if g_shape == shape:
        return g
    if not shape:
        return g.sum()                      # to a scalar: the common case of a scalar parameter
    lead = len(g_shape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g_shape[lead:])):
        # g is smaller than x (a scalar contribution): spread it over x.
        return _filled(g, x, shape)
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    if kept:
        g = g.sum(axis=kept, keepdims=True)
    return g.sum(axis=tuple(range(lead))) if lead else g


def adjoint_dtype(g: Any, x: Any) -> np.dtype:
    """The dtype of `x`'s adjoint. A list or tuple (`L = [0.0, 0.0]; L[1] = x ** 2`) has the adjoint
    of the array it would make; one that makes no numeric array is refused."""
    if isinstance(x, (list, tuple)):
        try:
            x = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            from ..errors import UnsupportedArgumentError

            raise UnsupportedArgumentError(
                "a list or tuple whose items are differentiated and not numbers or arrays of one shape is "
                "not supported yet; build an array (np.array([...]) or np.stack([...]))") from None
    return np.result_type(g, x)


def _filled(g: Any, x: Any, shape: tuple[int, ...]) -> Any:
    if not shape:
        return g
    out = np.empty(shape, dtype=adjoint_dtype(g, x))
    out[...] = g
    return out


def unreduce(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Spread the adjoint of a reduction back over the reduced axes of `x`."""
    shape = _shape(x)
    if not shape:
        return g
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return _filled(g, x, shape)


def reduced_size(x: Any, axis: Any = None) -> int:
    """How many elements of `x` each output of a reduction over `axis` summarizes."""
    if axis is None:
        size = getattr(x, "size", 1)
    else:
        shape = _shape(x)
        size = math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))
    return size or np.intp(0)  # (an empty reduction: rules divide by it, NumPy's 0 gives nan, not a raise)
