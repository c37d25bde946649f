"""Matrix products of a fixed operand with the rows of an array, for the rows a loop visits.

`matmul_rows(a, x, start, stop, step)` is an array `P` with `P[t] = a @ x[t]` for
every `t` in `range(start, stop, step)`; `rows_matmul(x, b, ...)` has `P[t] = x[t] @ b`.
`dot_rows` and `rows_dot` are the same with `np.dot(a, x[t])` and `np.dot(x[t], b)`.
optimize/hoist_projections.py puts one before a loop that computed the product in every
iteration: one GEMM over the visited rows instead of one GEMV per step.

The plain shapes (NumPy arrays, a 2-D fixed operand, rows of rank >= 1 whose inner
dimension matches) take one product over the stacked rows (all of `x` when the range
visits every row, which is the common case and needs no indexing). Anything else is
computed row by row exactly as the loop would have, so it raises what the loop would
raise, at its first iteration. A range visiting nothing computes nothing. Rows of `P`
the loop does not visit are left unset: nothing reads them.

Why np.dot has helpers of its own: it equals `@` only while neither operand has more
than two dimensions (N-D operands contract other axes), so for np.dot the plain shapes
stop at rows of rank 2, and the row-by-row path both calls np.dot and differentiates it
with np.dot's own adjoints. np.matmul is `@` for arrays but not for other operands
(`@` dispatches to their `__matmul__`), so the `@` helpers take the function the loop
called (`product`) for their row-by-row path; its derivative is the same as `@`'s.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .broadcast import unbroadcast
from .elementwise import zeros_like
from .items import getitem_accumulate
from .products import dot_lhs_adjoint, dot_rhs_adjoint, matmul_lhs_adjoint, matmul_rhs_adjoint

_NUMERIC = "biufc"


def matmul_rows(a: Any, x: Any, start: int, stop: int, step: int, product: Any = operator.matmul) -> Any:
    """`P` with `P[t] = a @ x[t]` for each `t` in `range(start, stop, step)`.

    `product` is what the loop called, `@` (operator.matmul) or np.matmul.
    """
    return _rows(a, x, range(start, stop, step), True, product)


def rows_matmul(x: Any, b: Any, start: int, stop: int, step: int, product: Any = operator.matmul) -> Any:
    """`P` with `P[t] = x[t] @ b` for each `t` in `range(start, stop, step)` (`product` as in matmul_rows)."""
    return _rows(b, x, range(start, stop, step), False, product)


def dot_rows(a: Any, x: Any, start: int, stop: int, step: int) -> Any:
    """`P` with `P[t] = np.dot(a, x[t])` for each `t` in `range(start, stop, step)`."""
    return _rows(a, x, range(start, stop, step), True, np.dot)


def rows_dot(x: Any, b: Any, start: int, stop: int, step: int) -> Any:
    """`P` with `P[t] = np.dot(x[t], b)` for each `t` in `range(start, stop, step)`."""
    return _rows(b, x, range(start, stop, step), False, np.dot)


def matmul_rows_lhs_adjoint(g: Any, a: Any, x: Any, start: int, stop: int, step: int) -> Any:
    """d matmul_rows / da applied to `g`: sum over the visited rows of `g[t] (x) x[t]`."""
    return _fixed_adjoint(g, a, x, range(start, stop, step), True, operator.matmul)


def matmul_rows_rhs_adjoint(g: Any, a: Any, x: Any, start: int, stop: int, step: int) -> Any:
    """d matmul_rows / dx applied to `g`: row t is `a.T @ g[t]` on visited rows, zero elsewhere."""
    return _rows_adjoint(g, a, x, range(start, stop, step), True, operator.matmul)


def rows_matmul_lhs_adjoint(g: Any, x: Any, b: Any, start: int, stop: int, step: int) -> Any:
    """d rows_matmul / dx applied to `g`: row t is `g[t] @ b.T` on visited rows, zero elsewhere."""
    return _rows_adjoint(g, b, x, range(start, stop, step), False, operator.matmul)


def rows_matmul_rhs_adjoint(g: Any, x: Any, b: Any, start: int, stop: int, step: int) -> Any:
    """d rows_matmul / db applied to `g`: sum over the visited rows of `x[t].T @ g[t]`."""
    return _fixed_adjoint(g, b, x, range(start, stop, step), False, operator.matmul)


def dot_rows_lhs_adjoint(g: Any, a: Any, x: Any, start: int, stop: int, step: int) -> Any:
    """d dot_rows / da applied to `g`: sum over the visited rows of np.dot's adjoint for `a`."""
    return _fixed_adjoint(g, a, x, range(start, stop, step), True, np.dot)


def dot_rows_rhs_adjoint(g: Any, a: Any, x: Any, start: int, stop: int, step: int) -> Any:
    """d dot_rows / dx applied to `g`: row t is np.dot's adjoint for `x[t]` on visited rows, zero elsewhere."""
    return _rows_adjoint(g, a, x, range(start, stop, step), True, np.dot)


def rows_dot_lhs_adjoint(g: Any, x: Any, b: Any, start: int, stop: int, step: int) -> Any:
    """d rows_dot / dx applied to `g`: row t is np.dot's adjoint for `x[t]` on visited rows, zero elsewhere."""
    return _rows_adjoint(g, b, x, range(start, stop, step), False, np.dot)


def rows_dot_rhs_adjoint(g: Any, x: Any, b: Any, start: int, stop: int, step: int) -> Any:
    """d rows_dot / db applied to `g`: sum over the visited rows of np.dot's adjoint for `b`."""
    return _fixed_adjoint(g, b, x, range(start, stop, step), False, np.dot)


def rows_of_steps(gs: list, like: Any, start: int, stop: int, step: int) -> Any:
    """The adjoint of `like` from a backward loop that added `gs[i]` into row `t_i` of it,
    `t_i` running over `reversed(range(start, stop, step))` (optimize/batch_accumulate.py).

    The same as scattering each step into `zeros_like(like)` with `getitem_accumulate`, which
    is what happens unless the steps fill every row of `like` once with a value of the row's
    shape: then the rows are the steps stacked, in one call.
    """
    rows = range(start, stop, step)
    if type(like) is np.ndarray and like.dtype == object:
        # Rows of different shapes (matmul_rows kept each product): each row's adjoint on its own.
        out = np.empty(len(like), dtype=object)
        for g, t in zip(gs, reversed(rows)):
            part = unbroadcast(g, like[t])
            out[t] = part if out[t] is None else out[t] + part
        return out
    if type(like) is np.ndarray and len(gs) == len(rows) and gs and _covers(rows, len(like)) \
            and type(gs[0]) is np.ndarray:
        stacked = np.array(gs[::-1] if step == 1 else gs)
        if stacked.shape == like.shape and stacked.dtype != object:
            dtype = np.result_type(like.dtype, stacked.dtype)
            return stacked if dtype == stacked.dtype else stacked.astype(dtype)
    out = zeros_like(like)
    for g, t in zip(gs, reversed(rows)):
        out = getitem_accumulate(out, g, like, t)
    return out


def _plain(fixed: Any, x: Any, fixed_left: bool, product: Any) -> bool:
    """Shapes for which the product over stacked rows is the stack of the row products."""
    if type(fixed) is not np.ndarray or type(x) is not np.ndarray or fixed.ndim != 2 or x.ndim < 2:
        return False
    if product is np.dot and x.ndim > 3:
        return False                # np.dot of N-D rows is not `@`: the loop's own products
    if fixed.dtype.kind not in _NUMERIC or x.dtype.kind not in _NUMERIC:
        return False
    if fixed_left:  # a (m, k) @ x[t]: x[t] is (k,) or (..., k, n)
        return x.shape[1 if x.ndim == 2 else -2] == fixed.shape[1]
    return x.shape[-1] == fixed.shape[0]  # x[t] (k,) or (..., m, k) @ b (k, n)


def _stacked(fixed: Any, x: Any, fixed_left: bool) -> Any:
    if not fixed_left:
        return x @ fixed
    return x @ fixed.T if x.ndim == 2 else fixed @ x


def _covers(rows: range, n: int) -> bool:
    """The range visits every row of an `n`-row array once, in one direction."""
    return len(rows) == n and ((rows.step == 1 and rows.start == 0) or (rows.step == -1 and rows.start == n - 1))


def _visited(rows: range, n: int) -> np.ndarray:
    """Which rows the range visits (a negative `t` is row `n + t`, as `x[t]` reads it)."""
    mask = np.zeros(n, dtype=bool)
    mask[np.fromiter(rows, dtype=np.intp, count=len(rows))] = True
    return mask


def _distinct(rows: range, n: int) -> list[int]:
    """The rows a range visits, each once, as non-negative indices (`x[-1]` is row `n - 1`)."""
    return sorted({range(n)[t] for t in rows})


def _adjoints(product: Any) -> tuple[Any, Any]:
    """The adjoints of one row's product, for the shapes `_plain` leaves to the loop's products."""
    return (dot_lhs_adjoint, dot_rhs_adjoint) if product is np.dot else (matmul_lhs_adjoint, matmul_rhs_adjoint)


def _rows(fixed: Any, x: Any, rows: range, fixed_left: bool, product: Any) -> Any:
    if len(rows) == 0:
        return np.zeros(0)          # never read: the loop does not run
    n = len(x)
    if _plain(fixed, x, fixed_left, product):
        if _covers(rows, n):
            return _stacked(fixed, x, fixed_left)
        mask = _visited(rows, n)    # raises IndexError where x[t] would
        part = _stacked(fixed, x[mask], fixed_left)
        out = np.empty((n, *part.shape[1:]), dtype=part.dtype)
        out[mask] = part
        return out
    products = {}
    for t in rows:                  # as the loop computed it, raising what it raised
        products[t] = product(fixed, x[t]) if fixed_left else product(x[t], fixed)
    shapes = {(np.shape(v), np.result_type(v)) for v in products.values()}
    if len(shapes) == 1:
        ((shape, dtype),) = shapes
        out = np.zeros((n, *shape), dtype=dtype)
    else:                           # rows of different shapes or dtypes: each product kept as it is
        out = np.empty(n, dtype=object)
    for t, value in products.items():
        out[t] = value
    return out


def _fixed_adjoint(g: Any, fixed: Any, x: Any, rows: range, fixed_left: bool, product: Any) -> Any:
    if len(rows) == 0:
        return zeros_like(fixed)
    n = len(x)
    if not _plain(fixed, x, fixed_left, product):
        lhs_adjoint, rhs_adjoint = _adjoints(product)
        out = zeros_like(fixed)
        for t in _distinct(rows, n):  # each visited row once: g[t] holds the sum of its adjoints
            out = out + (lhs_adjoint(g[t], fixed, x[t]) if fixed_left else rhs_adjoint(g[t], x[t], fixed))
        return out
    if not _covers(rows, n):
        mask = _visited(rows, n)
        g, x = g[mask], x[mask]
    if fixed_left:                  # sum_t g_t x_t^T: the step (and batch) axes contracted at once
        out = g.T @ x if x.ndim == 2 else np.tensordot(g, x, axes=(_all_but(g, -2), _all_but(x, -2)))
    else:
        out = x.T @ g if x.ndim == 2 else np.tensordot(x, g, axes=(_all_but(x, -1), _all_but(g, -1)))
    # As `zeros_like(fixed) + step + ...` would: float32 steps of a float64 operand give float64.
    dtype = np.result_type(fixed.dtype, out.dtype)
    return out if dtype == out.dtype else out.astype(dtype)


def _rows_adjoint(g: Any, fixed: Any, x: Any, rows: range, fixed_left: bool, product: Any) -> Any:
    dtype = np.result_type(g, x) if len(rows) else np.result_type(x)
    n = len(x)
    plain = _plain(fixed, x, fixed_left, product)
    if len(rows) and plain and _covers(rows, n):
        step = _stacked_rows_adjoint(g, fixed, x, fixed_left)   # every row written: no zeros needed
        return step if step.dtype == dtype else step.astype(dtype)
    out = np.zeros(np.shape(x), dtype=dtype)
    if len(rows) == 0:
        return out
    if plain:
        mask = _visited(rows, n)
        out[mask] = _stacked_rows_adjoint(g[mask], fixed, x[mask], fixed_left)
        return out
    lhs_adjoint, rhs_adjoint = _adjoints(product)
    for t in _distinct(rows, n):
        out[t] = rhs_adjoint(g[t], fixed, x[t]) if fixed_left else lhs_adjoint(g[t], x[t], fixed)
    return out


def _stacked_rows_adjoint(g: Any, fixed: Any, x: Any, fixed_left: bool) -> Any:
    if fixed_left:                  # row t: a.T @ g_t
        return g @ fixed if x.ndim == 2 else fixed.T @ g
    return g @ fixed.T              # row t: g_t @ b.T


def _all_but(array: Any, axis: int) -> list[int]:
    """Every axis of `array` but `axis` (and, for the fixed operand's other side, in the same order)."""
    keep = axis % array.ndim
    return [i for i in range(array.ndim) if i != keep]
