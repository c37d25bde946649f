"""Writes into arrays (`a[index] = v`, `out=`): the functional form, its adjoint, and the checks
that such a write means what its gradient assumes; copies for calls that change their arguments,
and of a loop's record for a pullback called more than once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedArgumentError
from .broadcast import unbroadcast
from .inplace import copy_like
from .items import _is_basic


def _is_mask(index: Any) -> bool:
    """A boolean array, or a list of booleans (NumPy reads both as a mask)."""
    if isinstance(index, np.ndarray):
        return index.dtype == bool
    return isinstance(index, list) and len(index) > 0 and all(isinstance(i, (bool, np.bool_)) for i in index)


def repeated_slot(shape: tuple[int, ...], index: Any) -> bool:
    """Whether `a[index] = v` writes some element of `a` twice (negative indices normalized).

    NumPy does not say which of the values then stays ("not possible to predict the final
    result"), so no gradient is right. Basic indices and masks never repeat a position;
    otherwise the positions the index selects are looked up in a table of flat positions.
    """
    if _is_basic(index) or _is_mask(index):
        return False
    if isinstance(index, (list, np.ndarray)) and len(shape) >= 1:
        flat = np.asarray(index)
        if flat.ndim == 1 and flat.dtype.kind in "iu":
            flat = np.where(flat < 0, flat + shape[0], flat)
            return bool(np.unique(flat).size != flat.size)
    if isinstance(index, tuple) and 0 < len(index) <= len(shape) and all(
            isinstance(i, (int, np.integer, list, np.ndarray)) and not isinstance(i, bool)
            and np.asarray(i).dtype.kind in "iu" for i in index):
        # Integer arrays on the leading axes (`K[i, j]`): the elements they pick, by flat position.
        arrays = np.broadcast_arrays(*(np.asarray(i) for i in index))
        normal = [np.where(a < 0, a + n, a) for a, n in zip(arrays, shape)]
        flat = np.ravel(np.ravel_multi_index(normal, shape[:len(index)]))
        return bool(np.unique(flat).size != flat.size)
    positions = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[index]
    positions = np.ravel(positions)
    return bool(np.unique(positions).size != positions.size)


def ensure_distinct_slots(a: Any, index: Any, where: str) -> None:
    """`a[index] = v` with `v` differentiated: refuse an index naming an element twice (see `repeated_slot`)."""
    try:
        repeated = repeated_slot(np.shape(a), index)
    except (IndexError, ValueError, TypeError):
        return  # an index NumPy refuses: the write itself raises NumPy's own error
    if repeated:
        raise UnsupportedArgumentError(
            f"{where}: the index names an element of the array more than once; NumPy does not say which "
            f"of the values written there stays, so the gradient is not defined. Use distinct indices "
            f"(combine the values meant for one position before writing them)")


def ensure_whole_write(buf: Any, value: Any, exact: bool, where: str) -> None:
    """`f(x, out=buf)`, `buf.fill(v)` and `np.copyto(buf, v)` are differentiated as `buf[...] = value`,
    which means the same only where `buf` is an array (a NumPy scalar's `fill` changes nothing) and,
    for `out=` (`exact`), where the result has `buf`'s shape (NumPy refuses other shapes for ufuncs
    and lays some out its own way for other functions: `np.cumsum(y, out=y)` with y of shape (3, 1))."""
    if type(buf) is np.ndarray and (not exact or np.shape(value) == buf.shape):
        return
    if not isinstance(buf, np.ndarray):
        why = (f"the array written into is a {type(buf).__name__}, not an array (arithmetic on a 0-d array "
               f"gives a NumPy scalar, which `fill` leaves unchanged); write `y = np.full_like(y, v)` instead")
    elif type(buf) is not np.ndarray:
        why = f"the array written into is a {type(buf).__name__}, a subclass of ndarray"
    else:
        why = (f"the result has shape {np.shape(value)} and `out=` shape {buf.shape}; "
               f"give `out=` the result's shape, or assign the result")
    raise UnsupportedArgumentError(f"{where}: {why}")


def index_update(a: Any, index: Any, value: Any) -> Any:
    """`a[index] = value` without changing `a`: the functional form the compiler differentiates.

    Generated code writes in place instead wherever nothing else reads `a` afterwards
    (see optimize/in_place.py); this copy is what remains where something does.
    """
    out = copy_like(a)  # (f's `a` keeps its layout: a later ravel('A'/'K') reads it)
    out[index] = value
    return out


def slot_adjoint(g: Any, index: Any, value: Any) -> Any:
    """The adjoint of `value` in `a[index] = value`: the slot of `g` it went to, summed to its shape.

    A copy, never a view of `g`: the backward sweep then zeroes that slot of `g` in place.
    (`a` is a float array: `ensure_float_target` checked it in the forward sweep, and an index
    naming an element twice was refused there, located, by `ensure_distinct_slots`.)
    """
    if not isinstance(g, np.ndarray):
        g = np.asarray(g)  # the adjoint of a 0-d array may be a number (arithmetic on 0-d arrays gives one)
    slot = g[index]
    if isinstance(slot, np.ndarray):
        slot = slot.copy()
    extra = np.ndim(value) - np.ndim(slot)
    if extra > 0:  # NumPy drops a value's leading size-1 axes to fit the slot (`y[...] = x`, x (1, 1), y (4,))
        shape = np.shape(value)
        return np.reshape(unbroadcast(slot, np.reshape(value, shape[extra:])), shape)
    return unbroadcast(slot, value)


def replay_record(record: list) -> list:
    """A copy of a loop's record for a pullback to pop, with the records of inner loops (lists
    in it) copied too: `vjp`'s pullback may be called more than once. Values are shared."""
    return [_replayed(item) for item in record]


def _replayed(item: Any) -> Any:
    if type(item) is list:
        return replay_record(item)
    if type(item) is tuple:
        return tuple(_replayed(x) for x in item)
    return item


def writable_copy(x: Any, deep: bool = False) -> Any:
    """A copy of `x` for a call that changes its argument in place (`c.sort()`, `np.put(c, ...)`).

    The compiler rebinds the name to the copy before the call, so the value before the call (still
    read by the backward sweep, or the caller's own array) stays as it was; where nothing reads that
    value any more, optimize/in_place.py drops the copy (the call then works on it). Arrays, lists, tuples
    and dicts are copied (`deep`: the arrays they hold too, for a call that may change them);
    numbers are immutable and anything else (a random generator) is returned as it is, so its own
    changes stay visible.
    """
    if isinstance(x, np.ndarray):
        return copy_like(x)  # (the call then changes it in place: it keeps `x`'s layout, as f's array does)
    if type(x) in (list, tuple):
        return type(x)(writable_copy(item, True) for item in x) if deep else type(x)(x)
    if type(x) is dict:
        return {key: writable_copy(value, True) for key, value in x.items()} if deep else dict(x)
    return x
