"""Adjoints of reductions and scans: var, std, prod, cumsum, cumprod, ptp, average, nansum, nanmean.

Each takes the output's adjoint `g` and the arguments as NumPy received them (`axis` an int, a
tuple of ints, negative or None; `keepdims`; a `where=` mask), and returns the input's adjoint.
Constants are Python floats (weak in NumPy's promotion), so float32 and float16 inputs keep
their dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .broadcast import _filled, _shape, adjoint_dtype, unbroadcast
from .elementwise import extremum_adjoint


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` as NumPy reads it (None: every axis; negative: from the end), as non-negative ints
    in the order given."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(int(a) % ndim if ndim else int(a) for a in axes)


def kept(g: Any, ndim: int, axis: Any, keepdims: Any) -> Any:
    """`g`, the adjoint of a reduction over `axis`, with the reduced axes put back as size 1, so it
    broadcasts against the input (NumPy's `keepdims=True` shape)."""
    if keepdims or ndim == 0:
        return g
    if axis is None:
        return np.reshape(g, (1,) * ndim)
    return np.expand_dims(g, reduced_axes(axis, ndim))


def _count(a: Any, axis: Any, where: Any) -> Any:
    """How many elements each output of a reduction over `axis` summarizes (kept dims); an array
    when a `where=` mask selects them."""
    shape = _shape(a)
    if where is True:
        return math.prod(shape[i] for i in reduced_axes(axis, len(shape)))
    return np.sum(np.broadcast_to(where, shape), axis=axis, keepdims=True)


def _correction(ddof: Any, correction: Any) -> Any:
    """NumPy's `correction=` (the array API's name) is `ddof=`; a call gives one of them."""
    return ddof if correction is None else correction


def var_adjoint(g: Any, a: Any, axis: Any = None, ddof: Any = 0, keepdims: Any = False, where: Any = True,
                correction: Any = None) -> Any:
    """d var(a) / da = 2 (a - mean) / (N - ddof), over the elements `where=` selects."""
    x = np.asarray(a)
    dtype = adjoint_dtype(g, x)
    if x.size == 0:
        return np.zeros(x.shape, dtype)  # an empty input: nothing to differentiate (f's value is nan)
    mean = np.mean(x, axis=axis, keepdims=True, where=where)
    scale = _per_degree(2.0, _count(x, axis, where) - _correction(ddof, correction))
    out = kept(g, x.ndim, axis, keepdims) * ((x - mean) * scale)
    if where is not True:
        out = np.where(where, out, 0.0)
    return _in_shape(out, x, dtype)


def std_adjoint(g: Any, a: Any, y: Any, axis: Any = None, ddof: Any = 0, keepdims: Any = False, where: Any = True,
                correction: Any = None) -> Any:
    """d std(a) / da = (a - mean) / ((N - ddof) std). Where the standard deviation is 0 (all
    elements equal) it has no derivative; the adjoint is then 0, the subgradient of least norm
    (as `np.abs` gets `sign(0) = 0`)."""
    x = np.asarray(a)
    dtype = adjoint_dtype(g, x)
    if x.size == 0:
        return np.zeros(x.shape, dtype)  # an empty input: nothing to differentiate (f's value is nan)
    s = kept(y, x.ndim, axis, keepdims)
    mean = np.mean(x, axis=axis, keepdims=True, where=where)
    scale = _per_degree(1.0, _count(x, axis, where) - _correction(ddof, correction))
    zero = s == 0
    out = kept(g, x.ndim, axis, keepdims) / np.where(zero, 1.0, s) * ((x - mean) * scale)
    out = np.where(zero, 0.0, out)
    if where is not True:
        out = np.where(where, out, 0.0)
    return _in_shape(out, x, dtype)


def _per_degree(numerator: float, degrees: Any) -> Any:
    """`numerator / max(degrees, 0)` as NumPy's var divides (no degrees of freedom left, `ddof >= N`:
    inf, so the gradient is inf or nan where f's value is), without Python's ZeroDivisionError."""
    if isinstance(degrees, (int, float)):
        return numerator / degrees if degrees > 0 else math.inf
    with np.errstate(divide="ignore"):
        return numerator / np.maximum(degrees, 0)


def _in_shape(out: Any, x: np.ndarray, dtype: np.dtype) -> Any:
    out = np.asarray(out, dtype=dtype)
    return out if out.shape == x.shape else _filled(out, x, x.shape)


def _flattened(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """`x` with the reduced `axes` moved to the end and flattened into one, the moved shape, and the
    axes they were moved to."""
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, last)
    kept_shape = moved.shape[:x.ndim - len(axes)]
    return moved.reshape((*kept_shape, math.prod(moved.shape[x.ndim - len(axes):]))), moved.shape, last


def _others_product(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """For each element, the product of the other elements of its reduction over `axes`, without
    dividing (so zeros in `x` give the right products): the product of those before it times the
    product of those after it, in the reduced axes flattened."""
    if not axes:
        return np.ones_like(x)
    flat, moved_shape, last = _flattened(x, axes)
    before = np.ones_like(flat)
    before[..., 1:] = np.cumprod(flat[..., :-1], axis=-1)
    after = np.ones_like(flat)
    after[..., :-1] = np.cumprod(flat[..., :0:-1], axis=-1)[..., ::-1]
    return np.moveaxis((before * after).reshape(moved_shape), last, axes)


def median_adjoint(g: Any, a: Any, y: Any, axis: Any = None, keepdims: Any = False, skip_nan: bool = False) -> Any:
    """The median is the middle element, or the mean of the two middle ones: each gets the adjoint
    (half of it), split equally among the elements equal to it (ties, as for `np.max`). A slice
    whose median is NaN passes none; `skip_nan` (nanmedian) takes the middle of the other elements.
    """
    x = np.asarray(a)
    dtype = adjoint_dtype(g, x)
    axes = reduced_axes(axis, x.ndim)
    flat, _, _ = _flattened(x, axes)
    if flat.shape[-1] == 0:
        return np.zeros(x.shape, dtype=dtype)
    if skip_nan:
        count = np.sum(~np.isnan(flat), axis=-1, keepdims=True)
    else:
        count = np.full((*flat.shape[:-1], 1), flat.shape[-1])
    ordered = np.sort(flat, axis=-1)
    shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    gk = kept(g, x.ndim, axis, keepdims)
    out = np.zeros(x.shape, dtype=dtype)
    for at in ((count - 1) // 2, count // 2):
        middle = np.take_along_axis(ordered, np.maximum(at, 0), axis=-1).reshape(shape)
        hit = x == middle  # (np.where, not a product: the others get 0 even from an inf or NaN `g`)
        out += np.where(hit, 0.5 * gk / np.maximum(np.sum(hit, axis=axes, keepdims=True), 1), 0.0)
    return np.where(np.isnan(kept(y, x.ndim, axis, keepdims)), 0.0, out).astype(dtype, copy=False)


def prod_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, initial: Any = 1,
                 where: Any = True) -> Any:
    """d prod(a) / da_i = initial * (the product of the other elements), exact with zeros in `a`
    (one zero: only it gets a derivative; two or more: none does). Elements `where=` leaves out
    count as 1 and get none."""
    x = np.asarray(a)
    dtype = adjoint_dtype(g, x)
    if where is not True:
        x = np.where(where, x, 1.0).astype(x.dtype, copy=False)
    out = kept(g, x.ndim, axis, keepdims) * _others_product(x, reduced_axes(axis, x.ndim))
    if initial is not None and not (type(initial) is int and initial == 1):
        out = out * initial
    if where is not True:
        out = np.where(where, out, 0.0)
    return _in_shape(out, x, dtype)


def prod_initial_adjoint(g: Any, a: Any, initial: Any, axis: Any = None, keepdims: Any = False,
                         where: Any = True) -> Any:
    """The adjoint of `initial` in `np.prod(a, initial=initial)`: `g` times the product of `a`."""
    return unbroadcast(g * np.prod(a, axis=axis, keepdims=keepdims, where=where), initial)


def _along(g: Any, a: Any, axis: Any) -> tuple[np.ndarray, int]:
    """`g` (a scan's adjoint) and the axis the scan ran along; None: the scan flattened `a`."""
    g = np.asarray(g)
    if axis is None:
        return g.reshape(-1), 0
    return g, int(axis) % max(g.ndim, 1)


def _reverse_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def cumsum_adjoint(g: Any, a: Any, axis: Any = None) -> Any:
    """d cumsum(a)_i / da_k = 1 for k <= i: the adjoint summed from the end; axis None scanned the
    flattened array."""
    flat, ax = _along(g, a, axis)
    dtype = adjoint_dtype(g, a)
    return np.reshape(_reverse_cumsum(flat, ax), _shape(a)).astype(dtype, copy=False)


def drop_initial(g: Any, axis: Any, include_initial: Any) -> Any:
    """The adjoint of `np.cumulative_sum` / `cumulative_prod` without the constant element
    `include_initial=True` puts first (0 or 1) along `axis` (None: the only axis)."""
    if not include_initial:
        return g
    g = np.asarray(g)
    return np.take(g, np.arange(1, g.shape[0 if axis is None else axis]), axis=0 if axis is None else axis)


def cumprod_adjoint(g: Any, a: Any, y: Any, axis: Any = None) -> Any:
    """d cumprod(a)_i / da_k = prod_{j <= i, j != k} a_j for k <= i.

    Without zeros (and a product that neither overflowed nor underflowed) this is
    reverse_cumsum(g * y) / a. Otherwise, without dividing: r_k = g_k + a_{k+1} r_{k+1} from the
    end gives sum_{i >= k} g_i prod_{k < j <= i} a_j, and the adjoint is r_k times the product of
    the elements before k.
    """
    flat_g, ax = _along(g, a, axis)
    x = np.asarray(a)
    x = x.reshape(-1) if axis is None else x
    out_y = np.asarray(y)
    dtype = adjoint_dtype(g, x)
    if np.all(x != 0) and np.all(out_y != 0) and np.all(np.isfinite(out_y)):
        out = _reverse_cumsum(flat_g * out_y, ax) / x
    else:
        xs, gs = np.moveaxis(x, ax, -1), np.moveaxis(flat_g, ax, -1)
        r = np.array(np.broadcast_to(gs, xs.shape), dtype=dtype)
        for k in range(xs.shape[-1] - 2, -1, -1):
            r[..., k] += xs[..., k + 1] * r[..., k + 1]
        before = np.ones_like(r)
        before[..., 1:] = np.cumprod(xs[..., :-1], axis=-1)
        out = np.moveaxis(r * before, -1, ax)
    return np.reshape(out, _shape(a)).astype(dtype, copy=False)


def ptp_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False) -> Any:
    """ptp = max - min: the shares of the maximum minus those of the minimum (ties split equally,
    as for `np.max`)."""
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    return extremum_adjoint(g, a, hi, axis, keepdims) - extremum_adjoint(g, a, lo, axis, keepdims)


def _weights(weights: Any, x: np.ndarray, axis: Any) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """`weights` arranged to broadcast against `x` as np.average does (a weight array matching the
    reduced axes gets the others as size 1), and the axis order it was given in (None: as `x`)."""
    w = np.asarray(weights)
    if w.shape == x.shape:
        return w, None
    axes = reduced_axes(axis, x.ndim)
    arranged = np.transpose(w, np.argsort(axes))
    return arranged.reshape(tuple(n if i in axes else 1 for i, n in enumerate(x.shape))), axes


def average_adjoint(g: Any, a: Any, weights: Any, y: Any, axis: Any = None, keepdims: Any = False,
                    of_weights: bool = False) -> Any:
    """y = sum(a w) / sum(w): dy/da = w / sum(w), dy/dw = (a - y) / sum(w)."""
    x = np.asarray(a)
    gk = kept(g, x.ndim, axis, keepdims)
    if weights is None:  # the mean
        return _in_shape(gk / _count(x, axis, True), x, adjoint_dtype(g, x))
    w, order = _weights(weights, x, axis)
    total = np.sum(np.broadcast_to(w, x.shape), axis=axis, keepdims=True)
    if not of_weights:
        return _in_shape(gk * w / total, x, adjoint_dtype(g, x))
    out = gk * (x - kept(y, x.ndim, axis, keepdims)) / total
    dtype = adjoint_dtype(g, w)
    if order is None:
        return np.asarray(out, dtype=dtype)
    others = tuple(i for i in range(x.ndim) if i not in order)
    summed = np.sum(out, axis=others).reshape(tuple(x.shape[i] for i in sorted(order)))
    return np.asarray(np.transpose(summed, np.argsort(np.argsort(order))), dtype=dtype)


def nansum_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, where: Any = True) -> Any:
    """NaNs are skipped (counted as 0), as are the elements `where=` leaves out: they get no derivative."""
    x = np.asarray(a)
    out = np.where(np.isnan(x) | np.logical_not(where), 0.0, kept(g, x.ndim, axis, keepdims))
    return _in_shape(out, x, adjoint_dtype(g, x))


def nanmean_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, where: Any = True) -> Any:
    """The mean of the elements that are not NaN (and that `where=` selects): each gets 1 / their count."""
    x = np.asarray(a)
    valid = ~np.isnan(x) & where
    count = np.sum(valid, axis=axis, keepdims=True)
    out = np.where(valid, kept(g, x.ndim, axis, keepdims) / np.maximum(count, 1), 0.0)
    return _in_shape(out, x, adjoint_dtype(g, x))


def _order_statistics(x: np.ndarray, axis: Any, q: Any, scale: float) -> tuple[Any, ...]:
    """For NumPy's 'linear' quantile at `q / scale`: the kept-dims shape, and per quantile the values
    at the two sorted positions it interpolates between and the weight of the upper one."""
    axes = reduced_axes(axis, x.ndim)
    flat, _, _ = _flattened(x, axes)
    n = flat.shape[-1]
    ordered = np.sort(flat, axis=-1)
    shape = tuple(1 if i in axes else m for i, m in enumerate(x.shape))
    qs = np.asarray(q, dtype=np.float64) / scale
    found = []
    for index in np.ndindex(qs.shape):
        virtual = qs[index] * (n - 1)
        lo = min(max(int(np.floor(virtual)), 0), n - 1)
        hi = min(lo + 1, n - 1)
        found.append((index, ordered[..., lo].reshape(shape), ordered[..., hi].reshape(shape), virtual - lo))
    return axes, found


def quantile_adjoint(g: Any, a: Any, q: Any, axis: Any = None, keepdims: Any = False, scale: float = 1.0) -> Any:
    """np.quantile (`scale` 1) and np.percentile (100) with the default 'linear' method interpolate
    between two sorted elements: (1 - t) goes to the lower, t to the upper, each split equally among
    the elements equal to it (ties, as for `np.max`)."""
    x = np.asarray(a)
    dtype = adjoint_dtype(g, x)
    g = np.asarray(g)
    axes, found = _order_statistics(x, axis, q, scale)
    out = np.zeros(x.shape, dtype=dtype)
    for index, lower, upper, t in found:
        gk = kept(g[index], x.ndim, axis, keepdims)
        for value, weight in ((lower, 1.0 - t), (upper, t)):
            if weight == 0:  # (q falls on one element: the other gets nothing, even from an inf `g`)
                continue
            hit = x == value  # (np.where, not a product: the others get 0 even from an inf or NaN `g`)
            out += np.where(hit, weight * gk / np.maximum(np.sum(hit, axis=axes, keepdims=True), 1), 0.0)
    return out


def quantile_q_adjoint(g: Any, a: Any, q: Any, axis: Any = None, keepdims: Any = False, scale: float = 1.0) -> Any:
    """d quantile / dq = (upper - lower) (n - 1) / scale: the slope between the two sorted elements
    (from the right where q falls on one exactly)."""
    x = np.asarray(a)
    g = np.asarray(g)
    axes, found = _order_statistics(x, axis, q, scale)
    n = math.prod(x.shape[i] for i in axes)
    out = np.zeros(np.shape(q), dtype=adjoint_dtype(g, q))
    for index, lower, upper, _ in found:
        gk = kept(g[index], x.ndim, axis, keepdims)
        out[index] = np.sum(gk * (upper - lower)) * (n - 1) / scale
    return out
