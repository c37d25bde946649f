"""Helpers of the rules in rules/numpy_gaps.py: masked sums and means (`where=`), the two-output
ufuncs (`divmod`, `modf`, `frexp`), `np.partition`, `np.broadcast_arrays` and `np.block`.

Each takes the output's adjoint `g` (for a tuple result, the list of its items' adjoints, None where
nothing flowed) and the arguments as NumPy received them. Constants are Python floats (weak in NumPy's
promotion), so float32 inputs keep their dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import adjoint_dtype, unbroadcast
from .linalg import tuple_part
from .reductions import _in_shape, kept


def masked_sum_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, where: Any = True) -> Any:
    """`np.sum(a, axis, where=m)`: each selected element gets the adjoint of its output, the others 0."""
    x = np.asarray(a)
    out = np.where(where, kept(g, x.ndim, axis, keepdims), 0.0)
    return _in_shape(out, x, adjoint_dtype(g, x))


def masked_mean_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, where: Any = True) -> Any:
    """`np.mean(a, axis, where=m)`: each selected element gets its output's adjoint over the count of
    elements selected along `axis`, the others 0. An output with none selected is NaN (as NumPy's):
    no element of `a` reaches it."""
    x = np.asarray(a)
    mask = np.broadcast_to(where, x.shape)
    count = np.sum(mask, axis=axis, keepdims=True)
    out = np.where(mask, kept(g, x.ndim, axis, keepdims) / np.maximum(count, 1), 0.0)
    return _in_shape(out, x, adjoint_dtype(g, x))


def _part(bar: Any, index: int) -> Any:
    """Item `index` of a tuple result's cotangent, None where nothing flowed into it."""
    return tuple_part(bar, index)


def _zero(x: Any) -> Any:
    return np.zeros(np.shape(x), dtype=np.result_type(x, 0.0)) if isinstance(x, np.ndarray) else 0.0


def divmod_adjoint(bar: Any, x: Any, quotient: Any, divisor: bool) -> Any:
    """`q, r = np.divmod(x1, x2)`: r = x1 - x2 * q with q = floor(x1 / x2) piecewise constant, so
    dr/dx1 = 1 and dr/dx2 = -q; the quotient carries no derivative. `divisor`: the adjoint of x2."""
    g = _part(bar, 1)
    if g is None:
        return _zero(x)
    return unbroadcast(-g * quotient if divisor else g, x)


def modf_adjoint(bar: Any, x: Any) -> Any:
    """`frac, whole = np.modf(x)`: d frac / dx = 1; the whole part is piecewise constant."""
    g = _part(bar, 0)
    return _zero(x) if g is None else g


def frexp_adjoint(bar: Any, x: Any, exponent: Any) -> Any:
    """`m, e = np.frexp(x)`: x = m * 2**e with an integer e (piecewise constant), so dm/dx = 2**-e
    (1 at x = 0, where NumPy gives e = 0)."""
    g = _part(bar, 0)
    return _zero(x) if g is None else np.ldexp(g, -exponent)


def partition_adjoint(g: Any, a: Any, y: Any, axis: Any = -1) -> Any:
    """`y = np.partition(a, kth, axis)` is a permutation of `a` along `axis`: each element of `a` gets
    the adjoint of the place it went to. Sorting both `a` and `y` (stably) pairs them; equal values are
    interchangeable, so which of them gets which place's adjoint does not change the result's value."""
    x = np.asarray(a)
    if axis is None:
        x, axis = x.reshape(-1), 0
    g = np.broadcast_to(g, np.shape(y))
    source = np.argsort(x, axis=axis, kind="stable")
    target = np.argsort(y, axis=axis, kind="stable")
    out = np.zeros(x.shape, dtype=adjoint_dtype(g, x))
    np.put_along_axis(out, source, np.take_along_axis(g, target, axis=axis), axis=axis)
    return out.reshape(np.shape(a))


def broadcast_arrays_adjoint(bar: Any, x: Any, index: int) -> Any:
    """Item `index` of `np.broadcast_arrays(...)` is `x` broadcast: its adjoint summed back to `x`'s shape."""
    g = _part(bar, index)
    return _zero(x) if g is None else unbroadcast(g, x)


def _block_depth(arrays: Any) -> int:
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) and arrays else 0


def _block_shape(node: Any, depth: int, ndim: int) -> tuple[int, ...]:
    """The shape of `np.block` of `node` (a leaf at depth 0): a leaf's shape with 1s in front; a list
    joins its children along axis `-depth`."""
    if depth == 0:
        shape = np.shape(node)
        return (1,) * (ndim - len(shape)) + shape
    shapes = [_block_shape(child, depth - 1, ndim) for child in node]
    axis = ndim - depth
    return (*shapes[0][:axis], sum(s[axis] for s in shapes), *shapes[0][axis + 1:])


def _block_split(g: Any, node: Any, depth: int, ndim: int) -> Any:
    if depth == 0:
        piece = np.reshape(g, np.shape(node))
        return piece.astype(adjoint_dtype(piece, node), copy=False) if isinstance(node, np.ndarray) else piece
    axis = ndim - depth
    sizes = np.cumsum([_block_shape(child, depth - 1, ndim)[axis] for child in node])[:-1]
    return [_block_split(piece, child, depth - 1, ndim) for piece, child in zip(np.split(g, sizes, axis=axis), node)]


def block_adjoint(g: Any, arrays: Any) -> Any:
    """The adjoint of the nested lists `np.block(arrays)` joined: the pieces of `g` where each item
    went, in the same nesting (an item's 1s NumPy put in front of its shape taken off again)."""
    depth = _block_depth(arrays)
    if depth == 0:
        return np.reshape(g, np.shape(arrays))
    ndim = np.ndim(g)
    return _block_split(g, arrays, depth, ndim)


def sequence_array(seq: Any) -> Any:
    """`np.asarray(seq)` of a list or tuple the function built, made before a call that converts it so
    (`np.var([a, b])`): the call's rule then differentiates an array (rules/conversions.py)."""
    return np.asarray(seq)
