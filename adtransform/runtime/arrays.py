"""Adjoints of functions that make or rearrange arrays: transpose, reshape, fill, arange, linspace."""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import _shape, unbroadcast
from .elementwise import zeros_like


def transpose_adjoint(g: Any, axes: Any = None) -> Any:
    """Undo `np.transpose(a, axes)`: transpose back with the inverse permutation.

    `axes` as NumPy takes them: a sequence (`np.transpose(a, (1, 0))`, `x.transpose([1, 0])`),
    the method's separate integers (`x.transpose(1, 0)`, collected as a tuple), negative axes
    counted from the end, or None / nothing (reverse the axes).
    """
    if axes is not None and len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]  # x.transpose((1, 0)), x.transpose(None): the method's one argument
    if axes is None or len(axes) == 0:
        return np.transpose(g)
    ndim = np.ndim(g)
    return np.transpose(g, np.argsort([int(axis) % ndim for axis in axes]))


def reshape_adjoint(g: Any, a: Any, order: Any = "C") -> Any:
    """Undo `np.reshape(a, shape, order)`, `a.ravel(order)` or `a.flatten(order)`.

    The primal read `a`'s elements in `order` and wrote them in the same order, so `g` goes
    back the same way. 'A' reads in Fortran order when `a` is Fortran-contiguous (and not
    C-contiguous), and 'K' (ravel, flatten) in the order of `a`'s memory: both depend on the
    layout of `a` at run time, which the backward sweep reads from the same array.
    """
    shape = _shape(a)
    if order is None or order == "C":
        return np.reshape(g, shape)
    order = str(order).upper()
    if order in ("A", "K"):
        array = a if isinstance(a, np.ndarray) else np.asarray(a)
        if array.flags.c_contiguous:
            order = "C"
        elif array.flags.f_contiguous:
            order = "F"
        elif order == "A":
            order = "C"
        else:
            return _unravel_in_memory_order(g, array)
    return np.reshape(g, shape, order=order)


def _unravel_in_memory_order(g: Any, array: np.ndarray) -> np.ndarray:
    """Undo `array.ravel('K')` of a non-contiguous array: label each element with its C-order
    position in an array laid out like `array` (NumPy's 'K' rule picks the same order for both),
    ravel that, and scatter `g` to the positions it lists."""
    labels = np.empty_like(array, dtype=np.intp, order="K")
    labels[...] = np.arange(array.size).reshape(array.shape)
    out = np.empty(array.size, dtype=np.result_type(g, array))
    out[labels.ravel("K")] = np.ravel(g)
    return out.reshape(array.shape)


def _inexact(y: Any) -> bool:
    return np.result_type(y).kind in "fc"


def fill_adjoint(g: Any, y: Any, value: Any) -> Any:
    """The adjoint of `value` in `y = np.full(shape, value)` (or `np.full_like`): `g` summed over
    the places `value` was broadcast to; zero when `y` holds integers (its `dtype`, or `a`'s
    for `full_like`), which are piecewise constant in `value`."""
    if not _inexact(y):
        return zeros_like(value)
    return unbroadcast(g, value)


def arange_start_adjoint(g: Any, y: Any, start: Any, stop: Any) -> Any:
    """The adjoint of `start` in `y = np.arange(start, stop, step)`: y[i] = start + i * step.

    Called with one argument, `np.arange(n)` takes it as the stop, which sets only the length
    (a piecewise constant function of it): no derivative.
    """
    if stop is None or not _inexact(y):
        return zeros_like(start)
    return np.sum(g)


def arange_step_adjoint(g: Any, y: Any, step: Any) -> Any:
    """The adjoint of `step` in `y = np.arange(start, stop, step)`: y[i] = start + i * step."""
    if not _inexact(y):
        return zeros_like(step)
    return np.dot(np.arange(np.size(g), dtype=np.result_type(g)), g)


def linspace_adjoint(g: Any, y: Any, end: Any, num: Any, endpoint: Any, axis: Any, at_stop: bool) -> Any:
    """The adjoint of `start` (`at_stop` False) or `stop` in `y = np.linspace(start, stop, num)`.

    y[i] = start + (stop - start) * t[i] with t[i] = i / (num - 1) (i / num without the
    endpoint; t = 0 for a single sample), along `axis` when start and stop are arrays.
    """
    if not _inexact(y):
        return zeros_like(end)
    div = num - 1 if endpoint else num
    dtype = np.result_type(g)
    t = np.arange(num, dtype=dtype) / div if div > 0 else np.zeros(num, dtype=dtype)
    if not at_stop:
        t = 1.0 - t
    axis = axis % np.ndim(y)
    t = np.reshape(t, (num,) + (1,) * (np.ndim(y) - 1 - axis))
    return unbroadcast(np.sum(g * t, axis=axis), end)
