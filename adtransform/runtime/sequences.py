"""Lists and tuples of differentiated values, and their adjoints.

The adjoint of a list (or tuple) is a list holding the adjoint of each item, `None` where nothing
flowed into that item; `None` for the whole list is the zero (nothing flowed at all), so an unused
list costs nothing. The adjoint of one item read with `L[i]` is an `Item` (the list's length, the
position, the adjoint) until a second contribution needs a whole list: reading every item of a
list in a loop then costs one list, not one per read.

An adjoint list is only ever held by one adjoint at a time (reverse mode hands each on, never
copies it into two), so the helpers below add into it and pop from it in place.

Why in place is sound: every adjoint list is made by these helpers in the backward sweep (or is
`sequence_copy`'s copy of a caller's cotangent), so no user value and no primal value is ever one.
Reverse mode reads an adjoint once: `sequence_add(a, b)` and `sequence_index_accumulate(bar, ...)`
are the last reads of `a` and `bar` (the facts registry says they change them, so no pass reorders
a read of the old value after them), and the only other holder of an adjoint list is the adjoint
of an item of a display of lists (`sequence_item_adjoint` hands item `k` on), read once too. A
value handed to the caller (a gradient list) is never added into afterwards. So the cost of a
list's adjoint is one list of its length, made at the first read needing it, plus a constant per
read: reading every item of a list of `n` in a loop costs O(n), not O(n) per read.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .elementwise import zeros_like

__all__ = [
    "Item",
    "array_adjoint",
    "concatenate_adjoint",
    "list_append",
    "list_length",
    "sequence_add",
    "sequence_concat_adjoint",
    "sequence_copy",
    "sequence_fill",
    "sequence_index_accumulate",
    "sequence_index_adjoint",
    "sequence_item_adjoint",
    "sequence_or_zero",
    "sequence_pick",
    "sequence_pop",
    "sequence_reduction_adjoint",
    "sequence_take",
    "stack_adjoint",
    "stacking_adjoint",
    "unpack_check",
]


class Item:
    """The adjoint of a list of `length` items of which only item `index` received `value`."""

    __slots__ = ("index", "length", "value")

    def __init__(self, length: int, index: int, value: Any):
        self.length, self.index, self.value = length, index, value

    def as_list(self) -> list[Any]:
        out: list[Any] = [None] * self.length
        out[self.index] = self.value
        return out


def list_length(seq: Any) -> int:
    """`len(seq)`, taken where the backward sweep will need it (a later `append` changes the list)."""
    return len(seq)


def unpack_check(value: Any, count: int, starred: bool = False) -> None:
    """`a, b = value` raises ValueError in Python unless `value` has `count` items (at least `count`
    with a starred target); the compiler reads the items by index, which would not, so it checks first."""
    try:
        n = len(value)
    except TypeError:  # no length (an iterator): reading its items decides, as before
        return
    if n < count:
        expected = f"at least {count}" if starred else f"{count}"
        raise ValueError(f"not enough values to unpack (expected {expected}, got {n})")
    if n > count and not starred:
        raise ValueError(f"too many values to unpack (expected {count})")


def list_append(seq: list[Any], item: Any) -> list[Any]:
    """`seq.append(item)` as a value: the list with `item` at its end (the compiler gives it a copy)."""
    seq.append(item)
    return seq


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (list, Item)) or isinstance(b, (list, Item)):
        return sequence_add(a, b)
    return a + b


def _as_list(bar: Any) -> list[Any]:
    return bar.as_list() if isinstance(bar, Item) else bar


def sequence_copy(bar: Any) -> Any:
    """A cotangent list given by the caller, as an adjoint list of the pullback's own (the helpers
    change adjoint lists in place; the caller's stays as it was)."""
    if isinstance(bar, (list, tuple)):
        return [sequence_copy(value) for value in bar]
    return bar


def sequence_add(a: Any, b: Any) -> Any:
    """The sum of two adjoints of the same list (`a` is added into)."""
    if a is None:
        return b
    if b is None:
        return a
    if not isinstance(a, (list, Item)) and not isinstance(b, (list, Item)):
        return a + b  # (a value that is a list on another path only)
    if isinstance(b, Item):
        a = _as_list(a)
        a[b.index] = _add(a[b.index], b.value)
        return a
    a = _as_list(a)
    for k, value in enumerate(b):
        if value is not None:
            a[k] = _add(a[k], value)
    return a


def sequence_index_adjoint(g: Any, seq: Any, index: Any) -> Any:
    """The contribution of `y = seq[index]` (an integer, or a slice) to the adjoint of `seq` (`seq`
    may be its length instead)."""
    length = seq if isinstance(seq, int) else len(seq)
    if isinstance(index, slice):
        if g is None:
            return None
        out: list[Any] = [None] * length
        for k, value in zip(range(length)[index], _as_list(g)):
            out[k] = value
        return out
    index = operator.index(index)
    return Item(length, index + length if index < 0 else index, g)


def sequence_index_accumulate(bar: Any, g: Any, seq: Any, index: Any) -> Any:
    """`sequence_add(bar, sequence_index_adjoint(g, seq, index))` without the intermediate: the
    adjoint `bar` of a list (None, an `Item` or a list, changed in place) plus that of `seq[index]`."""
    if type(bar) is list and type(index) is int and g is not None:  # (the common case first: a loop's reads)
        if index < 0:
            index += seq if type(seq) is int else len(seq)
        old = bar[index]
        bar[index] = g if old is None else _add(old, g)
        return bar
    if g is None or isinstance(index, slice):
        return sequence_add(bar, sequence_index_adjoint(g, seq, index))
    length = seq if isinstance(seq, int) else len(seq)
    index = operator.index(index)
    if index < 0:
        index += length
    if bar is None:
        return Item(length, index, g)
    if not isinstance(bar, list):
        if not isinstance(bar, Item):  # (a value that is a list on another path only)
            return sequence_add(bar, Item(length, index, g))
        bar = bar.as_list()
    bar[index] = _add(bar[index], g)
    return bar


def _zero(like: Any) -> Any:
    return None if isinstance(like, (list, tuple)) else zeros_like(like)


def sequence_pick(g: Any, seq: Any, picked: Any) -> Any:
    """The contribution of `picked = max(seq)` (or `min`) to the adjoint of `seq`: the first item
    that is `picked` (the one `max` returned) receives `g`."""
    for index, item in enumerate(seq):
        if item is picked:
            return Item(len(seq), index, g)
    raise AssertionError("internal: max() or min() returned no item of its list")


def sequence_or_zero(value: Any, like: Any) -> Any:
    """`value`, the adjoint of `like`, or a zero shaped like `like` where it is None."""
    return _zero(like) if value is None else value


def sequence_item_adjoint(bar: Any, index: int, like: Any) -> Any:
    """Item `index` of the adjoint `bar` of a list, a zero shaped like `like` where none flowed."""
    if isinstance(bar, Item):
        value = bar.value if bar.index == index else None
    else:
        value = None if bar is None else bar[index]
    return _zero(like) if value is None else value


def sequence_pop(bar: Any) -> Any:
    """The adjoint of `L` from that of `L.append(v)`: `bar` without its last item, as a tuple
    (the adjoint of `L`, that of `v` or None)."""
    if type(bar) is list:
        return bar, bar.pop()
    if bar is None:
        return None, None
    bar = _as_list(bar)
    last = bar.pop()
    return bar, last


def sequence_take(bar: Any, index: int, like: Any) -> Any:
    """The adjoints of `L` and `v` from that of `L[index] = v` (as a value): `bar` with nothing at
    `index`, and what was there (a zero shaped like `like` if nothing), as a tuple."""
    if bar is None:
        return None, _zero(like)
    bar = _as_list(bar)
    index = operator.index(index)
    value, bar[index] = bar[index], None
    return bar, _zero(like) if value is None else value


def sequence_concat_adjoint(g: Any, first: Any) -> Any:
    """The adjoints of `a` and `b` from that of `a + b` (lists), as a tuple."""
    if g is None:
        return None, None
    g = _as_list(g)
    return g[:len(first)], g[len(first):]


def _item_adjoint(g: Any, like: Any) -> Any:
    """`g` (an item of an array's adjoint) as the adjoint of `like`, the item it was made of."""
    if isinstance(like, (list, tuple)):
        return [_item_adjoint(value, item) for value, item in zip(g, like)]
    if isinstance(like, np.ndarray):
        return g.reshape(like.shape) if g.shape != like.shape else g
    return g[()] if isinstance(g, np.ndarray) and g.ndim == 0 else g


def array_adjoint(g: Any, obj: Any) -> Any:
    """The adjoint of `obj` from that of `np.array(obj)`: a list of item adjoints for a list, else `g`."""
    if isinstance(obj, (list, tuple)):
        if np.ndim(g) != len(np.shape(obj)):
            g = np.reshape(g, np.shape(obj))  # (`ndmin=` added leading axes)
        return [_item_adjoint(value, item) for value, item in zip(g, obj)]
    return _item_adjoint(g, obj)  # (`ndmin=` may have added axes)


def _as_given(parts: list[Any], arrays: Any) -> Any:
    """The items' adjoints as the items came: a list for a list, an array for an array (whose rows
    the function joined), which `+` then adds, not joins."""
    if isinstance(arrays, np.ndarray):
        return np.stack(parts) if parts else np.zeros(arrays.shape, dtype=np.result_type(arrays, 0.0))
    return parts


def stack_adjoint(g: Any, arrays: Any, axis: int = 0) -> Any:
    """The adjoint of the list `np.stack(arrays, axis)` stacked."""
    parts = np.moveaxis(g, axis, 0) if axis != 0 else g
    return _as_given([_item_adjoint(value, item) for value, item in zip(parts, arrays)], arrays)


def _pieces(g: Any, shapes: list[tuple[int, ...]], axis: int) -> list[Any]:
    sizes = np.cumsum([shape[axis] for shape in shapes])[:-1]
    return np.split(g, sizes, axis=axis)


def concatenate_adjoint(g: Any, arrays: Any, axis: Any = 0) -> Any:
    """The adjoint of the list `np.concatenate(arrays, axis)` joined (`axis=None`: raveled first)."""
    if axis is None:
        shapes = [np.shape(a) for a in arrays]
        pieces = np.split(g, np.cumsum([int(np.prod(s)) for s in shapes])[:-1])
        return _as_given([p.reshape(s) for p, s in zip(pieces, shapes)], arrays)
    shapes = [np.shape(a) for a in arrays]
    axis = axis % len(shapes[0])
    return _as_given([_item_adjoint(p, a) for p, a in zip(_pieces(g, shapes, axis), arrays)], arrays)


def stacking_adjoint(g: Any, arrays: Any, how: str) -> Any:
    """The adjoint of `np.hstack`, `np.vstack` or `np.column_stack` of the list `arrays`."""
    if how == "vstack":
        shapes = [np.atleast_2d(a).shape for a in arrays]
        axis = 0
    elif how == "hstack":
        shapes = [np.atleast_1d(a).shape for a in arrays]
        axis = 0 if len(shapes[0]) == 1 else 1
    else:  # column_stack: 1-d items become columns
        shapes = [(np.shape(a)[0], 1) if np.ndim(a) == 1 else (1, 1) if np.ndim(a) == 0 else np.shape(a)
                  for a in arrays]
        axis = 1
    return _as_given([p.reshape(np.shape(a)) if isinstance(a, np.ndarray) else p.reshape(())[()]
                      for p, a in zip(_pieces(g, shapes, axis), arrays)], arrays)


def sequence_fill(g: Any, seq: Any) -> Any:
    """The adjoint of the items of `sum(seq)` (the builtin): `g`, unbroadcast to each item."""
    from .broadcast import unbroadcast

    if isinstance(seq, np.ndarray):  # `sum(x)` of an array adds its rows
        out = np.empty(seq.shape, dtype=np.result_type(g, seq) if seq.dtype.kind == "f" else float)
        out[...] = unbroadcast(g, seq[0]) if len(seq) else 0.0
        return out
    if not getattr(g, "shape", ()) and all(type(item) is float for item in seq):
        return [g] * len(seq)  # (what `unbroadcast` gives each: `g` itself)
    if any(isinstance(item, (list, tuple)) for item in seq):
        raise NotImplementedError("the derivative of `sum` of lists or tuples (which joins them) is not "
                                  "supported; join them with `+` instead")
    return [unbroadcast(g, item) for item in seq]


def sequence_reduction_adjoint(g: Any, seq: Any, axis: Any = None, keepdims: bool = False,
                               mean: bool = False) -> Any:
    """The adjoint of the list `seq` from that of `np.sum(seq, ...)` (or `np.mean`): NumPy reduced
    `np.asarray(seq)`."""
    shape = np.shape(seq)
    axes = tuple(range(len(shape))) if axis is None else tuple(
        a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,)))
    if not keepdims:
        g = np.expand_dims(g, axes)
    if mean:
        g = g / int(np.prod([shape[a] for a in axes]))
    return array_adjoint(np.array(np.broadcast_to(g, shape)), seq)
