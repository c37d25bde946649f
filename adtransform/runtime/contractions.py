"""Adjoints of NumPy's contractions: einsum, tensordot, inner, vdot, kron, trace, cross, multi_dot.

Each is the contraction of the output's cotangent with the other operands, written
once for every argument form NumPy accepts (ellipsis, repeated and implicit subscripts,
negative axes, broadcasting), so the rules in rules/numpy_products.py stay one line each.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype, unbroadcast

__all__ = ["cross_adjoint", "einsum_adjoint", "inner_adjoint", "kron_adjoint", "multi_dot_adjoint",
           "tensordot_adjoint", "trace_adjoint"]


# --- einsum ------------------------------------------------------------------------------------


def _einsum_terms(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """The input terms and the output term of `subscripts`, with every `...` spelled as letters of its
    own (right-aligned as NumPy broadcasts them) and an implicit output made explicit."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} subscripts for {len(shapes)} operands")
    used = set(spec)
    free = [c for c in string.ascii_letters if c not in used]
    widest = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ellipsis = "".join(free[:widest])
    explicit = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            count = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[widest - count:] if count else "")
        explicit.append(term)
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        letters = "".join(explicit)
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis))
    return explicit, output


def einsum_adjoint(g: Any, subscripts: Any, k: int, *operands: Any) -> Any:
    """The cotangent of operand `k` of `np.einsum(subscripts, *operands)` given the output's `g`.

    The cotangent is the einsum of `g` with the other operands onto operand k's distinct subscripts;
    subscripts only operand k has are broadcast back, a repeated subscript (a diagonal) is scattered
    onto the diagonal, and axes along which operand k was broadcast (length 1) are summed.
    """
    if not isinstance(subscripts, str):
        raise TypeError("einsum's derivative needs the subscripts as a string (not the sublist form)")
    operands = tuple(o for o in operands if o is not None)
    shapes = [_shape(o) for o in operands]
    terms, output = _einsum_terms(subscripts, shapes)
    target, shape = terms[k], shapes[k]
    sizes: dict[str, int] = {}
    for term, sh in zip(terms, shapes):
        for c, n in zip(term, sh):
            if n != 1:
                sizes[c] = n
    distinct = "".join(dict.fromkeys(target))
    # A subscript another operand has only with length 1 (NumPy broadcasts it) gives the contraction
    # a length-1 axis: it is broadcast back like a subscript only operand k has.
    available = set(output) | {c for i, (t, sh) in enumerate(zip(terms, shapes)) if i != k
                               for c, n in zip(t, sh) if n != 1}
    # Subscripts of operand k that are length 1 there but longer elsewhere are summed (broadcast axes).
    kept = "".join(c for c in distinct if c in available and shape[target.index(c)] == sizes.get(c, 1))
    others = [(t, o) for i, (t, o) in enumerate(zip(terms, operands)) if i != k]
    spec = ",".join([output, *(t for t, _ in others)]) + "->" + kept
    args = [g, *(o for _, o in others)]
    try:  # (a contraction order for three operands or more, as `optimize=` does forward)
        part = np.einsum(spec, *args, optimize=len(args) > 2)
    except ValueError:  # (an optimized path may not broadcast length-1 axes)
        part = np.einsum(spec, *args)
    # Back to operand k's distinct subscripts: length 1 where summed, broadcast where only k had them.
    full = tuple(shape[target.index(c)] for c in distinct)
    part = np.reshape(part, tuple(full[i] if c in kept else 1 for i, c in enumerate(distinct)))
    if part.shape != full:
        part = np.broadcast_to(part, full).copy()
    dtype = adjoint_dtype(g, operands[k])
    part = part.astype(dtype, copy=False)
    if len(distinct) == len(target):
        order = [distinct.index(c) for c in target]
        return np.transpose(part, order) if order != sorted(order) else part
    out = np.zeros(shape, dtype=dtype)
    # A repeated subscript: write the values on the diagonal (each position once: no collisions).
    index = tuple(np.arange(shape[axis]).reshape([-1 if c == d else 1 for d in distinct])
                  for axis, c in enumerate(target))
    out[index] = part
    return out


# --- tensordot, inner, vdot --------------------------------------------------------------------


def _tensordot_axes(axes: Any, a_nd: int, b_nd: int) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        return list(range(a_nd - int(axes), a_nd)), list(range(int(axes)))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    return [int(x) % a_nd for x in axes_a], [int(x) % b_nd for x in axes_b]


def tensordot_adjoint(g: Any, a: Any, b: Any, axes: Any, wrt_b: bool) -> Any:
    """The cotangent of `a` (or of `b` when `wrt_b`) of `np.tensordot(a, b, axes)` given the output's `g`."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    axes_a, axes_b = _tensordot_axes(axes, a_nd, b_nd)
    free_a = [i for i in range(a_nd) if i not in axes_a]
    free_b = [i for i in range(b_nd) if i not in axes_b]
    g = np.asarray(g)
    if not wrt_b:
        # g's axes: free_a then free_b; contracting free_b with b leaves free_a, then b's axes_b (sorted).
        part = np.tensordot(g, b, axes=(list(range(len(free_a), g.ndim)), free_b))
        origin = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
        target = a
    else:
        part = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
        origin = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
        target = b
    part = np.transpose(part, np.argsort(origin)) if origin != sorted(origin) else part
    return np.asarray(part, dtype=adjoint_dtype(g, target))


def inner_adjoint(g: Any, a: Any, b: Any, wrt_b: bool) -> Any:
    """np.inner contracts the last axes (a 0-d operand multiplies)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        other = a if wrt_b else b
        return unbroadcast(np.asarray(g * other, dtype=adjoint_dtype(g, b if wrt_b else a)), b if wrt_b else a)
    return tensordot_adjoint(g, a, b, ([-1], [-1]), wrt_b)


# --- kron, trace, cross ------------------------------------------------------------------------


def kron_adjoint(g: Any, a: Any, b: Any, wrt_b: bool) -> Any:
    """np.kron: with both shapes padded to the same rank, y viewed with axes (a0, b0, a1, b1, ...) is
    the outer product of a and b; each cotangent contracts that view with the other operand."""
    a_shape, b_shape = _shape(a), _shape(b)
    nd = max(len(a_shape), len(b_shape))
    pa = (1,) * (nd - len(a_shape)) + tuple(a_shape)
    pb = (1,) * (nd - len(b_shape)) + tuple(b_shape)
    view = np.reshape(g, [n for pair in zip(pa, pb) for n in pair])
    if wrt_b:
        part = np.tensordot(np.reshape(a, pa), view, axes=(list(range(nd)), list(range(0, 2 * nd, 2))))
        return np.reshape(part, b_shape).astype(adjoint_dtype(g, b), copy=False)
    part = np.tensordot(view, np.reshape(b, pb), axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
    return np.reshape(part, a_shape).astype(adjoint_dtype(g, a), copy=False)


def trace_adjoint(g: Any, a: Any, offset: Any = 0, axis1: Any = 0, axis2: Any = 1) -> Any:
    """np.trace sums a diagonal: its cotangent puts `g` on that diagonal (the others' axes in order)."""
    shape = _shape(a)
    nd = len(shape)
    axis1, axis2 = int(axis1) % nd, int(axis2) % nd
    dtype = adjoint_dtype(g, a)
    band = np.eye(shape[axis1], shape[axis2], k=int(offset), dtype=dtype)
    out = np.asarray(g, dtype=dtype)[..., None, None] * band
    return np.moveaxis(out, (-2, -1), (axis1, axis2))


def cross_adjoint(g: Any, a: Any, b: Any, axisa: Any = -1, axisb: Any = -1, axisc: Any = -1,
                  axis: Any = None, wrt_b: bool = False) -> Any:
    """np.cross of 3-vectors: d(a x b) = da x b + a x db, so a's cotangent is b x g and b's is g x a."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a_m, b_m = np.moveaxis(a, axisa, -1), np.moveaxis(b, axisb, -1)
    if a_m.shape[-1] != 3 or b_m.shape[-1] != 3:
        raise ValueError("np.cross: the derivative is implemented for 3-vectors only (2-vectors are deprecated)")
    g_m = np.moveaxis(np.asarray(g), axisc, -1)
    if wrt_b:
        part = unbroadcast(np.cross(g_m, a_m), b_m)
        return np.moveaxis(part, -1, axisb).astype(adjoint_dtype(g, b), copy=False)
    part = unbroadcast(np.cross(b_m, g_m), a_m)
    return np.moveaxis(part, -1, axisa).astype(adjoint_dtype(g, a), copy=False)


def multi_dot_adjoint(g: Any, arrays: Any) -> list[Any]:
    """The cotangents (a list) of the matrices of np.linalg.multi_dot(arrays): each is the product of
    the ones before it, transposed, with g and the ones after it, transposed (a 1-D first array is a
    row, a 1-D last one a column)."""
    mats = [np.asarray(m) for m in arrays]
    first_vector, last_vector = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_vector:
        mats[0] = mats[0][None, :]
    if last_vector:
        mats[-1] = mats[-1][:, None]
    g = np.asarray(g).reshape(mats[0].shape[0], mats[-1].shape[1])
    count = len(mats)
    before: list[Any] = [None] * count  # product of mats[:i]
    after: list[Any] = [None] * count   # product of mats[i + 1:]
    for i in range(1, count):
        before[i] = mats[0] if i == 1 else before[i - 1] @ mats[i - 1]
    for i in range(count - 2, -1, -1):
        after[i] = mats[-1] if i == count - 2 else mats[i + 1] @ after[i + 1]
    out = []
    for i, item in enumerate(arrays):
        part = g if after[i] is None else g @ after[i].T
        part = part if before[i] is None else before[i].T @ part
        out.append(np.reshape(part, np.shape(item)).astype(adjoint_dtype(g, item), copy=False))
    return out
