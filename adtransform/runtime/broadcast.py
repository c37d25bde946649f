"""Undo broadcasting and reductions in the backward sweep.

`unbroadcast` is called on every contribution of an elementwise primitive
whose operand shapes are not proven equal, so its common case (shapes
already match) returns at once.
"""

from __future__ import annotations

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
    lead = len(g_shape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g_shape[lead:])):
        # g is smaller than x (a scalar contribution): spread it over x.
        return _filled(g, x, shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    summed = np.sum(g, axis=axes) if axes else g
    if not shape:
        return summed
    return np.reshape(summed, shape)


def _filled(g: Any, x: Any, shape: tuple[int, ...]) -> Any:
    if not shape:
        return g
    out = np.empty(shape, dtype=np.result_type(g, x))
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
    shape = _shape(x)
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))
