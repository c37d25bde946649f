"""Adjoints of matrix products (`@`, np.matmul, np.dot), one at a time or summed over a loop's steps.

Each has a fast path for the common shapes (2-D matrices, vectors) and is exact for
the rest of NumPy's semantics (1-D operands, batched stacks, np.dot's N-D contraction).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import _shape, unbroadcast
from .elementwise import zeros_like


def _t(m: Any) -> Any:
    """The transpose of a 2-D operand, an array or a constant nested list (`x @ [[1.0, 2.0], [3.0, 4.0]]`)."""
    return m.T if isinstance(m, np.ndarray) else np.transpose(m)


def matmul_lhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    """d(a @ b)/da applied to g, for every combination of 1-D, 2-D and batched operands."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 2 and a_nd <= 2:
        return g @ _t(b)                    # (m,k)@(k,n) and (k,)@(k,n)
    if a_nd == 1 and b_nd == 1:
        return g * b
    if a_nd == 2 and b_nd == 1:
        return np.multiply.outer(g, b)
    a2 = a if a_nd >= 2 else np.reshape(a, (1, -1))
    b2 = b if b_nd >= 2 else np.reshape(b, (-1, 1))
    g2 = g if a_nd >= 2 else np.expand_dims(g, -2)
    g2 = g2 if b_nd >= 2 else np.expand_dims(g2, -1)
    da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2)
    return np.reshape(da, _shape(a))


def matmul_rhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    """d(a @ b)/db applied to g."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd <= 2:
        return _t(a) @ g                    # (m,k)@(k,n) and (m,k)@(k,)
    if a_nd == 1 and b_nd == 1:
        return g * a
    if a_nd == 1 and b_nd == 2:
        return np.multiply.outer(a, g)
    a2 = a if a_nd >= 2 else np.reshape(a, (1, -1))
    b2 = b if b_nd >= 2 else np.reshape(b, (-1, 1))
    g2 = g if a_nd >= 2 else np.expand_dims(g, -2)
    g2 = g2 if b_nd >= 2 else np.expand_dims(g2, -1)
    db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2)
    return np.reshape(db, _shape(b))


def dot_lhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    """d np.dot(a, b)/da applied to g; a 0-d operand makes dot a product."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 2 and a_nd in (1, 2):
        return g @ _t(b)                    # matmul_lhs_adjoint's first case, without a second dispatch
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd == 1 or (a_nd <= 2 and b_nd == 2):
        return matmul_lhs_adjoint(g, a, b)
    # N-D: dot contracts a's last axis with b's second-to-last; the others of b come last in g.
    b_free = [*range(b_nd - 2), b_nd - 1]
    return np.tensordot(g, b, axes=(list(range(a_nd - 1, g.ndim)), b_free))


def dot_rhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd in (1, 2):
        return _t(a) @ g                    # matmul_rhs_adjoint's first case (a recurrence's W.T @ g)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if b_nd == 1 or (a_nd <= 2 and b_nd == 2):
        return matmul_rhs_adjoint(g, a, b)
    contracted = np.tensordot(a, g, axes=(list(range(a_nd - 1)), list(range(a_nd - 1))))
    return np.moveaxis(contracted, 0, b_nd - 2)


def matmul_lhs_adjoint_sum(gs: list, a: Any, bs: list) -> Any:
    """`sum(matmul_lhs_adjoint(g, a, b) for g, b in zip(gs, bs))`, the steps of a loop in one product.

    A loop accumulating `a_bar = a_bar + matmul_lhs_adjoint(g, a, b)` with `a` fixed appends
    its `g` and `b` instead and calls this once after it (optimize/batch_accumulate.py).
    For 1-D steps, sum_t outer(g_t, b_t) = G.T @ B with the steps as the rows of G and B;
    for 2-D steps (a batch in the columns), sum_t g_t @ b_t.T contracts the step and batch axes
    of the stacked steps at once ([g_1 .. g_T] @ [b_1 .. b_T].T).
    Other shapes add the steps one by one; no steps give zeros shaped like `a`.
    """
    return _steps_sum(gs, a, bs, matmul_lhs_adjoint, lhs=True)


def matmul_rhs_adjoint_sum(gs: list, as_: list, b: Any) -> Any:
    """`sum(matmul_rhs_adjoint(g, a, b) for g, a in zip(gs, as_))` with `b` fixed (see the lhs version).

    1-D steps: sum_t outer(a_t, g_t) = A.T @ G; 2-D steps (a batch in the rows):
    sum_t a_t.T @ g_t = [a_1; ..; a_T].T @ [g_1; ..; g_T].
    """
    return _steps_sum(gs, b, as_, matmul_rhs_adjoint, lhs=False)


def dot_lhs_adjoint_sum(gs: list, a: Any, bs: list) -> Any:
    """`sum(dot_lhs_adjoint(g, a, b) ...)`: on the shapes the product covers, np.dot is matmul."""
    return _steps_sum(gs, a, bs, dot_lhs_adjoint, lhs=True)


def dot_rhs_adjoint_sum(gs: list, as_: list, b: Any) -> Any:
    return _steps_sum(gs, b, as_, dot_rhs_adjoint, lhs=False)


def _steps_sum(gs: list, fixed: Any, others: list, single: Any, lhs: bool) -> Any:
    """Sum over the steps of `single(g, fixed, other)` (lhs) or `single(g, other, fixed)` (rhs)."""
    if not gs:
        return zeros_like(fixed)
    out = _stacked_product(gs, fixed, others, lhs)
    if out is None:
        for i, (g, other) in enumerate(zip(gs, others)):
            step = single(g, fixed, other) if lhs else single(g, other, fixed)
            out = step if i == 0 else out + step
    # As `zeros_like(fixed) + step + ...` would: float32 steps of a float64 operand give float64.
    dtype = fixed.dtype if isinstance(fixed, np.ndarray) else np.asarray(fixed).dtype
    if isinstance(out, np.ndarray) and np.result_type(dtype, out.dtype) != out.dtype:
        out = out.astype(np.result_type(dtype, out.dtype))
    return out


def _stacked_product(gs: list, fixed: Any, others: list, lhs: bool) -> Any:
    """The sum of the steps as one matrix product, or None when the shapes are not the plain ones."""
    shape = _shape(fixed)
    if len(shape) != 2 or type(gs[0]) is not np.ndarray or type(others[0]) is not np.ndarray:
        return None
    try:
        g, o = np.array(gs), np.array(others)  # (steps, ...): every step has the first one's shape
    except ValueError:
        return None                            # steps of different shapes
    if g.dtype == object or o.dtype == object:
        return None
    steps, (rows, cols) = len(gs), shape
    if lhs:  # fixed a (rows, cols); g_t (rows,) or (rows, n); b_t (cols,) or (cols, n)
        if g.shape == (steps, rows) and o.shape == (steps, cols):
            return g.T @ o
        if g.ndim == 3 and g.shape[:2] == (steps, rows) and o.shape == (steps, cols, g.shape[2]):
            return np.tensordot(g, o, axes=([0, 2], [0, 2]))
    else:    # fixed b (rows, cols); a_t (rows,) or (m, rows); g_t (cols,) or (m, cols)
        if o.shape == (steps, rows) and g.shape == (steps, cols):
            return o.T @ g
        if o.ndim == 3 and o.shape[::2] == (steps, rows) and g.shape == (steps, o.shape[1], cols):
            return np.tensordot(o, g, axes=([0, 1], [0, 1]))
    return None
