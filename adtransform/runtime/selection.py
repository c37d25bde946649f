"""Adjoints of functions that pick elements by value or by an index array: sort, take,
take_along_axis, choose, select.

Picking is linear in the values picked from: each adjoint adds `g` into the positions read
(several times where an index repeats, as `np.add.at` does). Which positions were read depends on
integers and booleans only (indices, conditions, the sorting permutation), which carry no derivative.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype, unbroadcast

__all__ = ["choose_adjoint", "select_adjoint", "sort_adjoint", "take_adjoint", "take_along_axis_adjoint"]


def sort_adjoint(g: Any, a: Any, axis: Any = -1) -> Any:
    """Undo `np.sort(a, axis)`: sorted place k hands its adjoint to the element the sort put there.

    Tied elements: the order of a stable sort (equal elements keep their order) decides which
    tied element takes which place, the convention JAX follows; the adjoint is a permutation of `g`.
    """
    array = np.asarray(a)
    out = np.zeros(array.size if axis is None else array.shape, dtype=adjoint_dtype(g, array))
    order = np.argsort(array, axis=axis, kind="stable")
    if axis is None:
        out[order] = np.ravel(g)
        return out.reshape(array.shape)
    np.put_along_axis(out, order, np.broadcast_to(g, order.shape), axis)
    return out


def _positions(indices: Any, n: int, mode: Any) -> Any:
    """The positions `indices` read from an axis of length `n` under NumPy's `mode=` of take/choose."""
    indices = np.asarray(indices)
    if indices.size == 0:
        indices = indices.astype(np.intp)  # (`[]` makes a float array, which NumPy's take reads as no index)
    if indices.dtype == np.bool_:
        indices = indices.astype(np.intp)  # (`np.take` reads booleans as 0 and 1, not as a mask)
    if mode == "wrap":
        return np.mod(indices, n)
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices  # 'raise': NumPy checked them; negative ones count from the end


def take_adjoint(g: Any, a: Any, indices: Any, axis: Any = None, mode: Any = "raise") -> Any:
    """Undo `np.take(a, indices, axis, mode=mode)`: `g` added into the positions read (repeated
    indices add up)."""
    shape = _shape(a)
    dtype = adjoint_dtype(g, a)
    if axis is None:
        out = np.zeros(math.prod(shape), dtype=dtype)
        np.add.at(out, _positions(indices, out.size, mode), g)
        return out.reshape(shape)
    axis = operator.index(axis) % len(shape)
    out = np.zeros(shape, dtype=dtype)
    np.add.at(out, (slice(None),) * axis + (_positions(indices, shape[axis], mode),), g)
    return out


def take_along_axis_adjoint(g: Any, arr: Any, indices: Any, axis: Any = -1) -> Any:
    """Undo `np.take_along_axis(arr, indices, axis)`: `g` added into the positions read along `axis`
    (`None`: of the raveled `arr`), the other axes matched position by position (broadcast)."""
    shape = _shape(arr)
    dtype = adjoint_dtype(g, arr)
    indices = np.asarray(indices)
    if axis is None:
        out = np.zeros(math.prod(shape), dtype=dtype)
        np.add.at(out, indices, g)
        return out.reshape(shape)
    ndim = len(shape)
    axis = operator.index(axis) % ndim
    index = tuple(indices if k == axis else np.arange(n).reshape((1,) * k + (n,) + (1,) * (ndim - k - 1))
                  for k, n in enumerate(shape))
    out = np.zeros(shape, dtype=dtype)
    np.add.at(out, index, g)
    return out


def _per_choice(parts: list[Any], choices: Any) -> Any:
    """The choices' adjoints, as the choices were given: a list for a list, an array for an array."""
    if isinstance(choices, np.ndarray):
        return np.stack(parts).astype(adjoint_dtype(parts[0], choices), copy=False) if parts else \
            np.zeros(choices.shape, dtype=adjoint_dtype(np.float64, choices))
    return [unbroadcast(part, choice) for part, choice in zip(parts, choices)]


def choose_adjoint(g: Any, a: Any, choices: Any, mode: Any = "raise") -> Any:
    """Undo `np.choose(a, choices, mode=mode)`: choice j receives `g` where `a` picked j (all
    broadcast against each other; each share is summed back to its choice's shape)."""
    n = len(choices)
    picked = _positions(a, n, mode)
    picked = np.where(picked < 0, picked + n, picked)
    parts = [np.where(picked == j, g, 0.0).astype(np.result_type(g), copy=False) for j in range(n)]
    if isinstance(choices, np.ndarray):
        return _per_choice([unbroadcast(p, choices[j]) for j, p in enumerate(parts)], choices)
    return _per_choice(parts, choices)


def select_adjoint(g: Any, condlist: Any, choicelist: Any, default: Any, of_default: bool = False) -> Any:
    """Undo `np.select(condlist, choicelist, default)`: choice j receives `g` where condition j is
    the first true one; `default` (`of_default`) where none is."""
    taken = np.zeros(np.shape(g), dtype=bool)
    parts = []
    for cond in condlist:
        first = np.logical_and(cond, np.logical_not(taken))
        parts.append(np.where(first, g, 0.0).astype(np.result_type(g), copy=False))
        taken = taken | first
    if of_default:
        return unbroadcast(np.where(taken, 0.0, g).astype(np.result_type(g), copy=False), default)
    if isinstance(choicelist, np.ndarray):
        return _per_choice([unbroadcast(p, choicelist[j]) for j, p in enumerate(parts)], choicelist)
    return _per_choice(parts, choicelist)
