"""Adjoint arithmetic without needless buffers (optimize/adjoint_buffers.py decides where).

`spread` is `unreduce` for an adjoint only read by arithmetic: the reduced seed as a read-only
broadcast view, which the arithmetic reading it turns into a new array anyway, instead of a full
array filled first. `add_into`, `sub_into` and `mul_into` compute `acc + b`, `acc - b`, `acc * b`
in `acc`'s own buffer (`unary_into(np.exp, acc)`: `np.exp(acc)`): `acc` is a new array nobody else
holds nor reads afterwards; `add_in(t, a, b)` (`sub_in`, `mul_in`) computes `a + b` in the buffer of a
dead array `t` that is not an operand. Each checks at run time that the result has the buffer's shape,
dtype and memory layout (otherwise it is computed as written), so the values, their dtype and their
layout are those of the plain operator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype, unreduce

#: below this many elements (1 KiB of float64), filling an array costs less than making a broadcast view
_VIEW_FROM = 128

#: below this many bytes a new array costs no more than writing into an old one, so the helpers compute
#: the plain operator: the C allocator reuses freed blocks below its mmap threshold (128 KiB), while
#: `np.multiply(a, b, out=a)` parses its keyword and the checks below cost about a microsecond. Above
#: it, each new array is fresh pages (measured: 500 KiB products 35% faster in place).
IN_PLACE_FROM = 1 << 17


def _small(acc: Any) -> bool:
    return type(acc) is not np.ndarray or acc.nbytes < IN_PLACE_FROM


def spread(g: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """`unreduce(g, x, axis, keepdims)` as a read-only view (no copy of `g` per element of `x`)."""
    shape = _shape(x)
    if not shape:
        return g
    if math.prod(shape) < _VIEW_FROM:
        return unreduce(g, x, axis, keepdims)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(np.asarray(g, dtype=adjoint_dtype(g, x)), shape)


def _fits(acc: Any, b: Any) -> bool:
    """`acc <op> b` has `acc`'s shape and dtype, and `acc` is a float array with an axis that may be
    written (on 0-d arrays the operator gives a NumPy scalar: `isinstance(r, float)` holds)."""
    if type(acc) is not np.ndarray or acc.dtype.kind not in "fc" or not acc.ndim or not acc.flags.writeable:
        return False
    if type(b) is float:
        return _laid_out_as(acc)  # a weak Python float keeps a float array's dtype
    if type(b) is not np.ndarray and not isinstance(b, np.generic):
        return False
    if b.dtype != acc.dtype or not _laid_out_as(acc, acc, b):
        return False
    shape, big = b.shape, acc.shape
    if shape == big:
        return True
    lead = len(big) - len(shape)
    return lead >= 0 and all(n == 1 or n == m for n, m in zip(shape, big[lead:]))


def _laid_out_as(buf: np.ndarray, *operands: Any) -> bool:
    """NumPy lays an elementwise result out as `buf` (`ravel('K')`, `np.sum`'s order and `flags` read the
    layout, so a result in `buf` must have the one the operator gives). The result follows the order of
    its operands of two or more axes that are not broadcast views (with a zero stride): C where they are
    all C-contiguous (or there are none), Fortran where they are all Fortran-contiguous and one is not
    also C-contiguous. Anything else: no."""
    full = [o for o in operands if type(o) is np.ndarray and o.ndim >= 2 and 0 not in o.strides]
    if buf.flags.c_contiguous:
        return all(o.flags.c_contiguous for o in full)
    return buf.flags.f_contiguous and all(o.flags.f_contiguous for o in full) \
        and any(not o.flags.c_contiguous for o in full)


def add_into(acc: Any, b: Any) -> Any:
    """`acc + b` (= `b + acc`: IEEE addition commutes), in `acc`'s buffer when it fits."""
    return acc + b if _small(acc) or not _fits(acc, b) else np.add(acc, b, out=acc)


def sub_into(acc: Any, b: Any) -> Any:
    """`acc - b`, in `acc`'s buffer when it fits."""
    return acc - b if _small(acc) or not _fits(acc, b) else np.subtract(acc, b, out=acc)


def mul_into(acc: Any, b: Any) -> Any:
    """`acc * b` (= `b * acc`), in `acc`'s buffer when it fits."""
    return acc * b if _small(acc) or not _fits(acc, b) else np.multiply(acc, b, out=acc)


def _hosts(buf: Any, a: Any, b: Any) -> bool:
    """`a <op> b` has exactly the shape and dtype of `buf`, a writable float array with an axis: one
    operand has its shape, both its dtype (or are Python floats) and broadcast to its shape."""
    if type(buf) is not np.ndarray or not buf.ndim:
        return False
    shape = buf.shape
    return (getattr(a, "shape", None) == shape or getattr(b, "shape", None) == shape) \
        and _fits(buf, a) and _fits(buf, b) and _laid_out_as(buf, a, b)


def add_in(buf: Any, a: Any, b: Any) -> Any:
    """`a + b`, in the buffer of `buf` (a dead array) when the sum has its shape and dtype."""
    return a + b if _small(buf) or not _hosts(buf, a, b) else np.add(a, b, out=buf)


def sub_in(buf: Any, a: Any, b: Any) -> Any:
    """`a - b`, in the buffer of `buf` (a dead array) when the difference has its shape and dtype."""
    return a - b if _small(buf) or not _hosts(buf, a, b) else np.subtract(a, b, out=buf)


def mul_in(buf: Any, a: Any, b: Any) -> Any:
    """`a * b`, in the buffer of `buf` (a dead array) when the product has its shape and dtype."""
    return a * b if _small(buf) or not _hosts(buf, a, b) else np.multiply(a, b, out=buf)


def unary_into(f: Any, acc: Any) -> Any:
    """`f(acc)` for a unary ufunc keeping a real float dtype (`np.exp`), in `acc`'s buffer when `acc` is a
    writable real float array with an axis (otherwise, a number, a 0-d array, whose `f` is a NumPy scalar,
    an integer or complex array: as written)."""
    if not _small(acc) and acc.dtype.kind == "f" and acc.ndim and acc.flags.writeable and _laid_out_as(acc):
        return f(acc, out=acc)
    return f(acc)
