"""Adjoints of functions that move, copy or pick array elements by position: expand_dims, repeat,
tile, split, pad, diagonal, triu, diag, ...

Each is linear in the array it rearranges; its adjoint sends every element of `g` back to the
position it was read from, adding where one position was read several times (repeat, tile, the
edge modes of pad). Where the positions are awkward to work out by hand, the helper replays the
primal on an array of labels (`np.arange(size)` in `a`'s shape) and scatters `g` by label.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype
from .sequences import Item

__all__ = [
    "append_adjoint",
    "diag_adjoint",
    "diagonal_adjoint",
    "flat_adjoint",
    "pad_adjoint",
    "position_labels",
    "repeat_adjoint",
    "reshaped_like",
    "rollaxis_adjoint",
    "scatter_labels",
    "split_adjoint",
    "stacked_adjoint",
    "tile_adjoint",
    "tri_adjoint",
    "unstack_adjoint",
]


def reshaped_like(g: Any, a: Any) -> Any:
    """`g` in the shape of `a`, for functions that only add or drop axes of length 1 (expand_dims,
    squeeze, atleast_2d): a NumPy scalar for a Python number."""
    shape = _shape(a)
    if not shape and not isinstance(a, np.ndarray):
        return np.reshape(g, ())[()]
    return np.reshape(g, shape)


def flat_adjoint(g: Any, a: Any) -> Any:
    """Undo `a.flat`, an iterator over `a` raveled in C order: its adjoint (from subscripts, loops,
    `np.asarray`) has one element per element of `a`. Functions that do not see it as a sequence of
    `a.size` elements (`np.sin(a.flat)` broadcasts it as one object) give another shape: refused."""
    if np.size(g) != np.size(a) or np.ndim(g) > 1:
        from ..errors import UnsupportedArgumentError

        raise UnsupportedArgumentError(
            "`a.flat` is differentiated where it is read by subscript (`a.flat[i]`), iterated or converted "
            "(`np.asarray(a.flat)`); use `a.ravel()` for anything else")
    return np.reshape(g, _shape(a))


def _axis(axis: Any, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def repeat_adjoint(g: Any, a: Any, repeats: Any, axis: Any = None) -> Any:
    """Undo `np.repeat(a, repeats, axis)`: each element receives the sum of its copies' adjoints."""
    shape = _shape(a)
    g = np.asarray(g)
    if axis is None:
        n, moved = math.prod(shape), g.reshape(-1)  # the primal repeated the raveled `a`
    else:
        axis = _axis(axis, len(shape))
        n, moved = shape[axis], np.moveaxis(g, axis, 0)
    counts = np.asarray(repeats)
    if counts.size == 1:  # one count for every element (a size-1 array broadcasts like a number)
        summed = moved.reshape((n, int(counts.reshape(-1)[0]), *moved.shape[1:])).sum(axis=1)
    else:
        summed = np.zeros((n, *moved.shape[1:]), dtype=moved.dtype)
        np.add.at(summed, np.repeat(np.arange(n), counts), moved)
    if axis is not None:
        summed = np.moveaxis(summed, 0, axis)
    return reshaped_like(summed, a)


def tile_adjoint(g: Any, a: Any, reps: Any) -> Any:
    """Undo `np.tile(a, reps)`: the tiles' adjoints added up. NumPy pads the shorter of `a`'s shape
    and `reps` with leading ones; axis k of the result is reps[k] tiles of a's axis k."""
    shape = _shape(a)
    reps = tuple(int(r) for r in np.atleast_1d(np.asarray(reps)).reshape(-1))
    ndim = max(len(shape), len(reps))
    shape_n = (1,) * (ndim - len(shape)) + tuple(shape)
    reps = (1,) * (ndim - len(reps)) + reps
    split = np.reshape(g, [n for pair in zip(reps, shape_n) for n in pair])
    return reshaped_like(split.sum(axis=tuple(range(0, 2 * ndim, 2))), a)


def split_adjoint(bar: Any, ary: Any, indices_or_sections: Any, axis: Any = 0) -> Any:
    """Undo `np.split` / `np.array_split(ary, indices_or_sections, axis)` (and hsplit, vsplit, dsplit,
    which split along one axis): the pieces' adjoints (a list, `None` where none flowed) laid back
    side by side, zeros where a piece received nothing."""
    shape = _shape(ary)
    axis = _axis(axis, len(shape))
    bar = bar.as_list() if isinstance(bar, Item) else bar
    values = [] if bar is None else [v for v in bar if v is not None]
    out = np.zeros(shape, dtype=adjoint_dtype(np.result_type(*values) if values else np.float64, ary))
    if not values:
        return out
    # The same split of the positions along `axis` gives each piece's range (NumPy computes the
    # boundaries from the length alone).
    ranges = np.array_split(np.arange(shape[axis]), indices_or_sections)
    lead = (slice(None),) * axis
    for positions, value in zip(ranges, bar):
        if value is not None and len(positions):
            out[(*lead, slice(int(positions[0]), int(positions[-1]) + 1))] += value
    return out


def unstack_adjoint(bar: Any, x: Any, axis: Any = 0) -> Any:
    """Undo `np.unstack(x, axis)`: the items' adjoints (a list, `None` where none flowed) stacked
    back along `axis`, zeros where an item received nothing."""
    shape = _shape(x)
    axis = _axis(axis, len(shape))
    bar = bar.as_list() if isinstance(bar, Item) else bar
    values = [] if bar is None else [v for v in bar if v is not None]
    out = np.zeros(shape, dtype=adjoint_dtype(np.result_type(*values) if values else np.float64, x))
    moved = np.moveaxis(out, axis, 0)  # (a view: writing into it fills `out`)
    for k, value in enumerate(bar or ()):
        if value is not None:
            moved[k] += value
    return out


def append_adjoint(g: Any, arr: Any, values: Any, axis: Any = None, of_values: bool = False) -> Any:
    """Undo `np.append(arr, values, axis)`: the part of `g` that came from `arr` (or, `of_values`, from
    `values`). Without an axis both were raveled and joined; with one, joined along it."""
    first = _shape(arr)
    if axis is None:
        g = np.ravel(g)
        part = g[math.prod(first):] if of_values else g[:math.prod(first)]
    else:
        axis = _axis(axis, np.ndim(g))
        cut = first[axis]
        part = np.moveaxis(np.moveaxis(g, axis, 0)[cut:] if of_values else np.moveaxis(g, axis, 0)[:cut], 0, axis)
    return reshaped_like(part, values if of_values else arr)


def rollaxis_adjoint(g: Any, axis: Any, start: Any = 0) -> Any:
    """Undo `np.rollaxis(a, axis, start)`: it moved axis `axis` to just before position `start`
    (a `moveaxis` to `start`, or `start - 1` when `start` lies after `axis`); move it back."""
    ndim = np.ndim(g)
    axis = _axis(axis, ndim)
    start = operator.index(start)
    start = start + ndim if start < 0 else start
    return np.moveaxis(g, start - 1 if start > axis else start, axis)


def stacked_adjoint(g: Any, arrays: Any) -> Any:
    """The adjoint of the list `np.dstack(arrays)` joined: each item became (at least) 3-d and the
    items were joined along axis 2."""
    shapes = [np.atleast_3d(a).shape for a in arrays]
    bounds = np.cumsum([s[2] for s in shapes])[:-1]
    parts = [reshaped_like(piece, a) for piece, a in zip(np.split(g, bounds, axis=2), arrays)]
    return np.stack(parts) if isinstance(arrays, np.ndarray) else parts


def _labels(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.intp).reshape(shape)


def position_labels(a: Any) -> np.ndarray:
    """Each element's flat position in an array shaped like `a`: a function that only moves elements
    (np.delete, np.insert, np.compress, ...), applied to these labels, says where each one went."""
    return _labels(_shape(a))


def scatter_labels(g: Any, a: Any, labels: Any) -> Any:
    """The adjoint of `a` from that `g` of a function that moved `a`'s elements as it moved
    `position_labels(a)` into `labels`: each element of `g` is added to the element whose label sits
    at its place (a label of -1: an element that came from none)."""
    out = _scatter(g, a, np.asarray(labels))
    return reshaped_like(out, a)


def _scatter(g: Any, a: Any, labels: np.ndarray) -> np.ndarray:
    """Add each element of `g` to the element of `a` whose label sits at its place (`-1`: none)."""
    shape = _shape(a)
    if np.shape(g) != labels.shape:
        # Only a scalar adjoint broadcasts; any other mismatch is a rule's labels gone wrong.
        assert np.ndim(g) == 0, f"internal: an adjoint of shape {np.shape(g)} for {labels.shape} labels"
        g = np.broadcast_to(g, labels.shape)
    kept = labels >= 0
    out = np.zeros(math.prod(shape), dtype=adjoint_dtype(g, a))
    if out.size:  # (`np.resize` of an empty array fills zeros, from no element)
        np.add.at(out, labels[kept], g[kept])
    return out.reshape(shape)


def diagonal_adjoint(g: Any, a: Any, offset: Any = 0, axis1: Any = 0, axis2: Any = 1) -> Any:
    """Undo `np.diagonal(a, offset, axis1, axis2)`: `g` placed on that diagonal of zeros."""
    labels = np.diagonal(_labels(_shape(a)), offset, axis1, axis2)
    return _scatter(g, a, labels)


def diag_adjoint(g: Any, v: Any, k: Any = 0) -> Any:
    """Undo `np.diag(v, k)`: a vector became the k-th diagonal of a matrix (its adjoint reads that
    diagonal back); a matrix gave its k-th diagonal (its adjoint puts it back in place)."""
    if len(_shape(v)) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, v, k, 0, 1)


def tri_adjoint(g: Any, m: Any, k: Any = 0, upper: bool = True) -> Any:
    """Undo `np.triu(m, k)` (`upper`) or `np.tril(m, k)`: the kept triangle of `g`. A vector `m` was
    taken as every row of a square matrix, so its adjoint adds the rows."""
    kept = np.triu(g, k) if upper else np.tril(g, k)
    return kept.sum(axis=0) if len(_shape(m)) < 2 else kept


PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad_adjoint(g: Any, array: Any, pad_width: Any, mode: Any = "constant", reflect_type: Any = "even") -> Any:
    """Undo `np.pad(array, pad_width, mode)` for the modes that copy elements of `array` (PAD_MODES,
    `reflect_type='even'`): pad the labels the same way and add each element of `g` to the element
    its place was copied from; the constant border of mode 'constant' comes from no element."""
    labels = _labels(_shape(array))
    if mode == "constant":
        padded = np.pad(labels, pad_width, mode="constant", constant_values=-1)
    elif mode in ("reflect", "symmetric"):
        padded = np.pad(labels, pad_width, mode=mode, reflect_type=reflect_type)
    else:
        padded = np.pad(labels, pad_width, mode=mode)
    return _scatter(g, array, padded)
