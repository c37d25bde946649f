"""Adjoints of reading items of arrays (`x[i]`, `x[idx]`): scattered into zeros, or added in place.

A float64 vector read one element at a time in a loop may be listed as Python floats
(`float_items`), and its adjoint accumulated in a list (`zeros_items`, `from_items`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype, unbroadcast
from .elementwise import zeros_like


def _is_basic(index: Any) -> bool:
    """Whether `x[index]` reads each element at most once: integers, slices, None, Ellipsis and boolean
    masks (which select, never repeat); an integer array may repeat an index (np.add.at then adds)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               or (type(i) is np.ndarray and i.dtype == np.bool_) for i in items)


def getitem_adjoint(g: Any, x: Any, index: Any) -> Any:
    """Scatter the adjoint of `x[index]` into zeros shaped like `x` (repeated indices add up).

    `g` may still carry the axes along which `x[index]` was broadcast: they are summed here.
    """
    if type(x) is np.flatiter:
        x = x.base.reshape(-1)  # `a.flat[index]` reads `a` raveled in C order (the `flat` rule reshapes back)
    dtype = adjoint_dtype(g, x)  # (first: it refuses a list that makes no array, which has no shape)
    out = np.zeros(_shape(x), dtype=dtype)
    return _scatter_add(out, g, x, index)


_ITEMS_LIMIT = 1 << 16  # beyond this, converting may cost more than reading a few items saves
_FLOAT64 = np.dtype(np.float64)  # NumPy's own instance: `is` costs half of `==`, and a miss only skips the listing


def float_items(x: Any) -> Any:
    """A float64 vector's items as Python floats, for code that reads it one element at a time.

    Arithmetic on Python floats costs a fraction of NumPy scalars' (and gives the same IEEE
    doubles); anything else (another dtype, a large vector) is returned as it is, and reads
    `x[i]` of either give the same values.
    """
    if type(x) is np.ndarray and x.dtype is _FLOAT64 and x.ndim == 1 and x.size <= _ITEMS_LIMIT:
        return x.tolist()
    return x


def zeros_items(x: Any) -> Any:
    """The zero adjoint of a vector that `float_items` lists, as a list of Python floats (else an array).

    Generated code adds into it one element at a time (`x_bar[t] += g`), which costs a
    fraction on a list of what it costs on an array; `from_items` makes the array at the end.
    """
    if type(x) is np.ndarray and x.dtype is _FLOAT64 and x.ndim == 1 and x.size <= _ITEMS_LIMIT:
        return [0.0] * x.size
    return zeros_like(x)


def from_items(acc: Any) -> Any:
    """The array of an adjoint `zeros_items` started as a list (float64, like the vector)."""
    return np.fromiter(acc, np.float64, len(acc)) if type(acc) is list else acc  # fromiter: a tenth cheaper


def getitem_accumulate(acc: Any, g: Any, x: Any, index: Any) -> Any:
    """`acc + getitem_adjoint(g, x, index)`, added into `acc` in place when it is an array of `x`'s shape.

    Generated code calls it only on an accumulator no other value shares (its own zeros), so a
    loop reading `x[i]` updates one adjoint buffer instead of building a zero array per read.
    """
    if type(acc) is not np.ndarray or acc.shape != _shape(x) or getattr(g, "dtype", acc.dtype) != acc.dtype:
        return acc + getitem_adjoint(g, x, index)
    if type(index) is int:
        if acc.ndim == 1 and (type(g) is float or type(g) is np.float64):
            acc[index] += g  # the common case: one element of a vector, read in a loop
            return acc
        if type(g) is np.ndarray and g.shape == acc.shape[1:]:
            acc[index] += g  # one row of a matrix (a loop reading the rows of a stacked product)
            return acc
    return _scatter_add(acc, g, x, index)


def _scatter_add(out: np.ndarray, g: Any, x: Any, index: Any) -> np.ndarray:
    if _is_basic(index):
        part = out[index]
        if getattr(g, "shape", ()) != getattr(part, "shape", ()):
            g = unbroadcast(g, part)
        out[index] += g
    else:
        np.add.at(out, index, unbroadcast(g, np.asarray(x)[index]))
    return out
