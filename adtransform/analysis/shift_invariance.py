"""Shift invariance: the max shift users write for stability has an adjoint that is exactly zero.

    s = z - np.max(z, axis=1, keepdims=True); logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))

log-softmax, softmax and logsumexp do not change when a value constant along the reduced axes is
subtracted first, so the returned value does not depend on the shift `m` at all: its total adjoint
is zero. Reverse mode would still build it (a row sum that is rounding noise, then the extremum's
adjoint: comparisons, counts, a full-size buffer). `zero_adjoint_shifts` proves the invariance on
the primal IR; activity analysis then treats each proven `m` like `stop_gradient(m)` (JAX writes
that inside its logsumexp; here the user wrote the shift, so it has to be proven).

The proof. `m` is an extremum reduction (np.max/amax/min/amin/nanmax/nanmin, function or method)
of some `x`, with only `axis` (a constant int, tuple of ints or None) and `keepdims` (a constant),
and it is constant along axes M of `x`: FULL (axis=None: one element, constant everywhere) or
KEEP(M) (keepdims=True, or the reduced axes put back: `m[:, None]` for axis 1, `m[..., None]` for
-1, `np.expand_dims(m, M)`). Every value depending on `m` is given a form, by a forward pass over the
block defining `m` (SSA: its users come after it, in that block):

    add(c): base + c*m        (m itself: add(1))
    mul(c): base * exp(c*m)

where `base` does not depend on m. Forms propagate exactly through: -v; v + w, v - w (adds);
v * w, v / w (muls; 1 / v too); exp (add -> mul); log (mul -> add); np.sum of a mul, and the
extremum reductions and scipy.special.logsumexp of an add, over axes G (these equalities need m
constant along G); scipy.special.softmax and log_softmax of an add (invariant along G). Here w is
any value not depending on m. A result whose coefficient c is 0 does not depend on m
(s - log(sum(exp(s))), exp(s) / sum(exp(s)), m + log(sum(exp(x - m)))): it leaves the group,
unconstrained. Every other value of the group must be used only by operations given a form; a use
anywhere else (returned, another block, a loop's carried value, a function not listed, an argument
that is not the data) ends the proof, and nothing changes. Then the returned value reaches m only
through values that do not depend on it, so its derivative along m is zero, and dropping m's
adjoint drops a term that is zero in exact arithmetic (the gradient changes by rounding only).

Shapes: each value of the group holds its m-term as m broadcast to its shape (aligned from the
end, as NumPy broadcasts), so two of them combined pair elements that see the same m. FULL: m is
one number, nothing more to check. KEEP(M): m has the dims of `x`; every reduction in the group
must keep dims, over axes G that are a subset of M spelled with the same integers (1 and -1 are
the same axis only for 2-D arrays, which is not known here). A value combined with an operand of
unknown shape (not a number constant, not `x`) may get axes in front, renumbering the axes counted
from the start: it is marked `lead`, and reductions of it must count every axis from the end.
A reduction along another axis, keepdims=False, or a positive axis of a `lead` value ends the proof.

Non-finite values: the primal is unchanged. The gradient differs only where the dropped term was
not finite (an infinite or NaN cotangent, or a row containing inf/NaN): it used to spread NaN to
the argmax position of such rows, which now keeps its own entry's value; entries that were NaN
because their own terms are NaN stay NaN (as with JAX's stop_gradient in logsumexp).
"""

from __future__ import annotations

import operator
import sys
from dataclasses import dataclass

import numpy as np

from ..ir.nodes import (
    Const,
    Function,
    Global,
    Index,
    Op,
    Operand,
    SliceItem,
    Stmt,
    Style,
    Var,
    blocks,
    flatten,
    region_operands,
    walk,
)

_EXTREMA = frozenset({np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin, np.ndarray.max, np.ndarray.min})
_SUMS = frozenset({np.sum, np.ndarray.sum})
_NEG = frozenset({operator.neg, np.negative})
_ADD = frozenset({operator.add, np.add})
_SUB = frozenset({operator.sub, np.subtract})
_MUL = frozenset({operator.mul, np.multiply})
_DIV = frozenset({operator.truediv, np.divide, np.true_divide})
_RETURNED = object()  # the user of a value that is returned


@dataclass(frozen=True)
class Shift:
    """A shift `m` of `source`: constant along `axes` (None: one element, constant everywhere)."""

    source: Operand
    axes: frozenset[int] | None


@dataclass(frozen=True)
class Form:
    """How a value depends on the shift m: `base + c*m` (additive) or `base * exp(c*m)`; `lead`:
    it may have axes in front of those of the shift's source (an operand of unknown shape)."""

    additive: bool
    c: int
    lead: bool = False


def zero_adjoint_shifts(fn: Function) -> set[Var]:
    """The values whose total adjoint is proven zero (see the module docstring)."""
    users = _users(fn)
    defs = {op.result: op for op in walk(fn.body) if isinstance(op, Op) and op.result is not None}
    proven: set[Var] = set()
    for block in blocks(fn.body):
        for i, stmt in enumerate(block):
            if isinstance(stmt, Op) and stmt.result is not None:
                shift = shift_of(stmt, defs)
                if shift is not None and _invariant(stmt.result, shift, block[i + 1:], users):
                    proven.add(stmt.result)
    return proven


def shift_of(op: Op, defs: dict[Var, Op]) -> Shift | None:
    """The shift `op` computes if it is an extremum reduction constant along known axes, or one
    reduced without keepdims whose axes are put back (`m[:, None]`, `np.expand_dims(m, 1)`)."""
    reduced = _extremum(op)
    if reduced is not None:
        axes, keepdims = reduced
        return Shift(op.args[0], axes) if axes is None or keepdims else None
    inner = defs.get(op.args[0]) if op.args and isinstance(op.args[0], Var) else None
    reduced = _extremum(inner) if inner is not None else None
    if reduced is None or reduced[0] is None or reduced[1]:
        return None
    axes = reduced[0]
    where = op.args[1] if len(op.args) == 2 and not op.kwargs else \
        op.kwargs.get("axis") if len(op.args) == 1 and set(op.kwargs) == {"axis"} else None
    if op.callee.key is np.expand_dims and op.callee.style is Style.FUNCTION and isinstance(where, Const):
        # (the new axes are numbered in the result, which has the dims of the source: as keepdims)
        wanted = where.value if isinstance(where.value, tuple) else (where.value,)
        return Shift(inner.args[0], axes) if frozenset(wanted) == axes and len(wanted) == len(axes) else None
    if op.callee.key is operator.getitem and op.callee.style is Style.SUBSCRIPT and len(axes) == 1 \
            and _puts_back(op.args[1], next(iter(axes))):
        return Shift(inner.args[0], axes)
    return None


def _extremum(op: Op) -> tuple[frozenset[int] | None, bool] | None:
    if op.callee.key not in _EXTREMA or op.callee.style not in (Style.FUNCTION, Style.METHOD):
        return None
    return _reduction(op)


def _puts_back(index: Operand, axis: int) -> bool:
    """Whether indexing with `index` gives a new axis at `axis` of the result and keeps the others
    (`[:, None]` for axis 1, `[..., None]` for -1, `[None]` for 0)."""
    if isinstance(index, Index):
        items = index.items if index.is_tuple else index.items[:1]
    elif isinstance(index, Const):
        items = index.value if isinstance(index.value, tuple) else (index.value,)
    else:
        return False  # (a computed index)
    tokens = []
    for item in items:
        if isinstance(item, Const):
            item = item.value
        elif isinstance(item, Global) and item.ref.obj is None:  # np.newaxis
            item = None
        elif isinstance(item, SliceItem) and item == SliceItem(None, None, None):
            item = slice(None)
        if item is None or item is Ellipsis or (isinstance(item, slice) and item == slice(None)):
            tokens.append("new" if item is None else "..." if item is Ellipsis else ":")
        else:
            return False
    if tokens.count("new") != 1 or tokens.count("...") > 1:
        return False
    at = tokens.index("new")
    if axis >= 0:  # counted from the start: only full slices before it
        return at == axis and "..." not in tokens[:at]
    # counted from the end: an ellipsis before it, only full slices after it
    return len(tokens) - at == -axis and "..." in tokens[:at]


def _reduction(op: Op) -> tuple[frozenset[int] | None, bool] | None:
    """(axes, keepdims) of `f(a[, axis], axis=, keepdims=)` with constant arguments, else None."""
    if len(op.args) not in (1, 2) or not set(op.kwargs) <= {"axis", "keepdims"} \
            or ("axis" in op.kwargs and len(op.args) == 2):
        return None
    axis = op.args[1] if len(op.args) == 2 else op.kwargs.get("axis", Const(None))
    keepdims = op.kwargs.get("keepdims", Const(False))
    if not isinstance(axis, Const) or not isinstance(keepdims, Const) or not isinstance(keepdims.value, bool):
        return None
    value = axis.value
    if value is None:
        return None, keepdims.value
    items = value if isinstance(value, tuple) else (value,)
    if not items or not all(type(a) is int for a in items):
        return None
    return frozenset(items), keepdims.value


def _users(fn: Function) -> dict[Var, list[object]]:
    """Every reader of each value: operations, regions (their own operands) and the return."""
    out: dict[Var, list[object]] = {}
    for stmt in walk(fn.body):
        operands = stmt.operands() if isinstance(stmt, Op) else \
            (v for o in region_operands(stmt) for v in flatten(o))
        for v in operands:
            if isinstance(v, Var):
                out.setdefault(v, []).append(stmt)
    for r in fn.returns:
        for v in flatten(r):
            if isinstance(v, Var):
                out.setdefault(v, []).append(_RETURNED)
    return out


def _invariant(m: Var, shift: Shift, after: list[Stmt], users: dict[Var, list[object]]) -> bool:
    """Whether every value depending on `m` ends, within `after`, in values that do not."""
    forms: dict[Var, Form] = {m: Form(True, 1)}
    given: set[int] = set()  # the operations given a form (by id: Op compares by identity)
    for stmt in after:
        if not isinstance(stmt, Op):
            if any(v in forms for v in stmt.uses()):
                return False
            continue
        if not any(v in forms for v in stmt.uses()):
            continue
        form = _transfer(stmt, forms, shift)
        if form is None:
            return False
        given.add(id(stmt))
        if form.c != 0:
            if stmt.result is None:
                return False
            forms[stmt.result] = form
    return all(id(u) in given for v in forms for u in users.get(v, ()))


def _transfer(op: Op, forms: dict[Var, Form], shift: Shift) -> Form | None:
    """The form of `op`'s result, or None when it has none (the proof fails)."""
    key, style = op.callee.key, op.callee.style
    if style not in (Style.OPERATOR, Style.FUNCTION, Style.METHOD) or (op.kwargs and style is Style.OPERATOR):
        return None
    if style is not Style.METHOD and not op.kwargs and _elementwise(key):
        return _arithmetic(key, op.args, forms, shift)
    if any(isinstance(o, Var) and o in forms for a in (*op.args[1:], *op.kwargs.values()) for o in flatten(a)):
        return None  # (a value of the group used as an axis, or any argument but the data)
    data = op.args[0] if op.args else None
    form = forms.get(data) if isinstance(data, Var) else None
    if form is None:
        return None
    if style is Style.FUNCTION and len(op.args) == 1 and not op.kwargs and key in (np.exp, np.log):
        return Form(key is np.log, form.c, form.lead) if form.additive is (key is np.exp) else None
    special = sys.modules.get("scipy.special")  # (its functions are called only once it is imported)
    if key in _SUMS or key in _EXTREMA or (special is not None and key is special.logsumexp):
        if style is Style.METHOD and key not in (np.ndarray.sum, np.ndarray.max, np.ndarray.min):
            return None
        if not _along_shift(_reduction(op), shift, form) or form.additive is (key in _SUMS):
            return None  # (a sum of base + c*m over n elements adds n*c*m: no form)
        return form
    if special is not None and key in (special.softmax, special.log_softmax) and style is Style.FUNCTION \
            and form.additive and "keepdims" not in op.kwargs:
        # (the result has the shape of the data: no keepdims to check)
        return Form(False, 0) if _along_shift(_reduction(op), shift, form, keeps_shape=True) else None
    return None


def _elementwise(key: object) -> bool:
    return any(key in group for group in (_NEG, _ADD, _SUB, _MUL, _DIV))


def _arithmetic(key: object, args: list[Operand], forms: dict[Var, Form], shift: Shift) -> Form | None:
    """-v, v + w, v - w, v * w, v / w: forms of the two sides combined."""
    sides = [forms.get(a) if isinstance(a, Var) else None for a in args]
    lead = any(s.lead if s is not None else not _aligned(a, shift) for s, a in zip(sides, args))
    if key in _NEG:
        return sides[0] if len(args) == 1 else None  # (-(base * exp(c*m)) is (-base) * exp(c*m))
    if len(args) != 2:
        return None
    a, b = sides
    kind = next(s.additive for s in sides if s is not None)
    if any(s is not None and s.additive is not kind for s in sides):
        return None  # (base + c*m combined with base * exp(c*m): no form)
    ca, cb = (a.c if a is not None else 0), (b.c if b is not None else 0)
    if kind and key in _ADD:
        return Form(True, ca + cb, lead)
    if kind and key in _SUB:
        return Form(True, ca - cb, lead)
    if not kind and key in _MUL:
        return Form(False, ca + cb, lead)
    if not kind and key in _DIV:
        return Form(False, ca - cb, lead)
    return None  # (c*m times a value, or over one: no form)


def _aligned(operand: Operand, shift: Shift) -> bool:
    """An operand not depending on m that adds no axes in front of the shift's source."""
    if isinstance(operand, Const):
        return type(operand.value) in (int, float)
    return shift.axes is None or operand == shift.source


def _along_shift(reduced: tuple[frozenset[int] | None, bool] | None, shift: Shift, form: Form,
                 keeps_shape: bool = False) -> bool:
    """A reduction over axes along which m is constant, leaving values aligned with m (when the
    data may have more axes than the source, only axes counted from the end are the same axes)."""
    if reduced is None:
        return False
    axes, keepdims = reduced
    if shift.axes is None:
        return True
    return axes is not None and (keepdims or keeps_shape) and axes <= shift.axes \
        and not (form.lead and any(a >= 0 for a in axes))
