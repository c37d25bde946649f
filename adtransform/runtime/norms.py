"""The adjoint of `np.linalg.norm`, for every `ord` and `axis` NumPy accepts.

Conventions where the norm has no derivative (documented, and valid subgradients of the convex
norms): at a zero vector or matrix the adjoint is 0 (as `np.abs` gets `sign(0) = 0`); an element
that is 0 gets 0 from `ord=1` and from fractional or negative `ord`; ties of `ord=inf` / `-inf`
(equal largest |x|), of the matrix 1- and inf-norms (equal column or row sums) and of the matrix
2-norm (equal largest singular values) are split equally, as JAX splits the ties of `max`. The
nuclear norm's adjoint is U V^T from the thin SVD, a subgradient also for rank-deficient matrices.
`ord=0` (a count of nonzero elements) is piecewise constant: 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import adjoint_dtype
from .picks import times_share
from .reductions import _in_shape, kept, reduced_axes


def _safe(y: Any) -> tuple[Any, Any]:
    zero = y == 0
    return zero, np.where(zero, 1.0, y)


def _ties(values: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """1 / (number of ties) where `values` attains its max (or min) along `axis`, else 0."""
    best = np.max(values, axis=axis, keepdims=True) if largest else np.min(values, axis=axis, keepdims=True)
    hit = values == best
    return hit / np.sum(hit, axis=axis, keepdims=True)


_LARGEST = {np.dtype(t): float(np.finfo(t).max) for t in (np.float16, np.float32, np.float64)}


def _scaled(g: Any, x: np.ndarray, y: Any, dtype: np.dtype) -> Any:
    """g x / y, the adjoint of a 2-norm (or Frobenius norm) `y` of `x` (`g`, `y` with the reduced axes
    kept), and 0 where y == 0. One array of x's shape, x * (g / y), when every g / y is finite: where
    y == 0 all of x is 0 there and gets a factor 0. Else (y subnormal, g / y overflows) three passes,
    g x / y, so that x's zeros stay 0."""
    top = _LARGEST.get(dtype)
    if top is not None and np.size(y) == 1 and np.size(g) == 1:  # one norm: a Python float scale
        n = np.asarray(y).item()
        if n == 0:
            return np.zeros(x.shape, dtype=dtype)
        scale = np.asarray(g).item() / n
        if abs(scale) <= top:  # (not NaN, and finite in `dtype`)
            return np.multiply(x, scale, out=np.empty(x.shape, dtype=dtype), dtype=dtype)
    zero, safe = _safe(y)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        scale = np.where(zero, 0.0, np.true_divide(g, safe, dtype=dtype))
    if np.all(np.isfinite(scale)) and np.broadcast_shapes(scale.shape, x.shape) == x.shape:
        out = np.empty(x.shape, dtype=dtype)
        return np.multiply(x, scale.astype(dtype, copy=False), out=out)
    return np.where(zero, 0.0, g * x / safe)


def _vector(g: Any, x: np.ndarray, y: Any, ord: Any, axis: int, dtype: np.dtype) -> Any:
    """The adjoint of a vector norm along `axis`, given `g` and `y` with that axis kept."""
    if ord is None or ord == 2:
        return _scaled(g, x, y, dtype)
    if ord == np.inf or ord == -np.inf:
        return times_share(g, _ties(np.abs(x), axis, ord > 0) * np.sign(x))
    if ord == 0:
        return np.zeros_like(x)
    if ord == 1:
        return g * np.sign(x)
    p = float(ord)
    zero, y = _safe(y)
    ax = np.abs(x)
    zero_x, ax = _safe(ax)
    share = np.sign(x) * (ax / y) ** (p - 1.0)
    return np.where(zero | zero_x, 0.0, g * share)


def _matrix(g: Any, x: np.ndarray, y: Any, ord: Any, rows: int, cols: int) -> Any:
    """The adjoint of a matrix norm over axes (`rows`, `cols`), given `g` and `y` with them kept."""
    if ord is None or ord in ("fro", "f"):
        zero, y = _safe(y)
        return np.where(zero, 0.0, g * x / y)
    if ord in (1, -1, np.inf, -np.inf):
        summed, best = (rows, cols) if ord in (1, -1) else (cols, rows)  # 1: largest column sum
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        return times_share(g, _ties(sums, best, ord > 0) * np.sign(x))
    if ord in (2, -2, "nuc"):
        m = np.moveaxis(x, (rows, cols), (-2, -1))
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if ord != "nuc":
            u = u * _ties(s, -1, ord > 0)[..., None, :]
        return g * np.moveaxis(u @ vt, (-2, -1), (rows, cols))
    raise ValueError(f"invalid norm order {ord!r} for matrices")


def norm_adjoint(g: Any, x: Any, y: Any, ord: Any = None, axis: Any = None, keepdims: Any = False) -> Any:
    """The adjoint of `x` in `y = np.linalg.norm(x, ord, axis, keepdims)`."""
    a = np.asarray(x)
    dtype = adjoint_dtype(g, a)
    nd = a.ndim
    if axis is None:
        flat = ord is None or (nd == 2 and ord in ("fro", "f")) or (nd == 1 and ord == 2)
        if flat or nd == 0:
            return _in_shape(_scaled(np.asarray(g), a, np.asarray(y), dtype), a, dtype)
        axis = tuple(range(nd))
    axes = reduced_axes(axis, nd)
    gk, yk = kept(g, nd, axes, keepdims), kept(y, nd, axes, keepdims)
    if len(axes) == 1:
        out = _vector(gk, a, yk, ord, axes[0], dtype)
    elif ord is None or ord in ("fro", "f"):
        out = _scaled(gk, a, yk, dtype)
    else:
        out = np.where(yk == 0, 0.0, _matrix(gk, a, yk, ord, *axes))
    return _in_shape(out, a, dtype)
