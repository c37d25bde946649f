"""A list or tuple display of loop-invariant values that the loop only reads moves before the loop.

    for i in range(n):                          t = [w0, w1, w2]
        t = [w0, w1, w2]          ->            for i in range(n):
        acc = acc + t[i] * x[i]                     acc = acc + t[i] * x[i]

Why: a structured parameter read with a run-time index (`ws[i]` of a list given as leaves) is rebuilt
as a display where it is read, often in a loop. Reverse mode then hands every backward iteration's
adjoint of `t` (one item) to each of its items, a call per item per iteration: quadratic in the
list's length. Made once before the loop, `t`'s adjoint accumulates across the backward loop in one
list (runtime/sequences.py) and flows to the items once after it, as for any invariant (licm.py).

Why it is sound: a display builds a fresh container that nothing else holds. When every use of it is
a read (`t[i]`, `t[a:b]`, `len(t)`), nothing can change it nor keep it, so one container made before
the loop gives every read the same item objects as one made in each iteration (its items are values
from before the loop, the same objects in every iteration). Building a display cannot raise, so
moving it out of a loop that might not run (which licm.py refuses for other operations) only builds
a list nobody reads. Displays inside branches stay.

Requires: nothing. Guarantees: no top-level display of a loop body whose items are all from before
the loop is only read.
"""

from __future__ import annotations

import builtins
import operator

from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, Global, If, Loop, Op, Stmt, Style, Var, flatten, region_operands, walk

_DISPLAYS = (Style.LIST, Style.TUPLE)


def transform(fn: Function, cx: PassContext) -> bool:
    readonly = _only_read(fn)
    if not readonly:
        return False
    fn.body, changed = _block(fn.body, readonly)
    return changed


def _only_read(fn: Function) -> set[Var]:
    """The displays whose every use is a read of them: `d[...]` or `len(d)`."""
    displays = {s.result for s in walk(fn.body) if isinstance(s, Op) and s.callee.style in _DISPLAYS
                and s.result is not None}
    if not displays:
        return displays
    escaped = {v for r in fn.returns for v in flatten(r) if isinstance(v, Var)}
    for stmt in walk(fn.body):
        if isinstance(stmt, Op):
            reads = _is_read(stmt)
            for position, arg in enumerate(stmt.args):
                if not (reads and position == 0):
                    escaped.update(v for v in flatten(arg) if isinstance(v, Var))
            escaped.update(v for a in stmt.kwargs.values() for v in flatten(a) if isinstance(v, Var))
        else:
            escaped.update(v for o in region_operands(stmt) for v in flatten(o) if isinstance(v, Var))
    return displays - escaped


def _is_read(op: Op) -> bool:
    if op.callee.style is Style.SUBSCRIPT:
        return op.callee.key is operator.getitem
    return op.callee.style is Style.FUNCTION and op.callee.key is builtins.len and not op.kwargs


def _block(body: list[Stmt], readonly: set[Var]) -> tuple[list[Stmt], bool]:
    out: list[Stmt] = []
    changed = False
    for stmt in body:
        if isinstance(stmt, If):
            stmt.then_body, a = _block(stmt.then_body, readonly)
            stmt.else_body, b = _block(stmt.else_body, readonly)
            changed |= a or b
        elif isinstance(stmt, Loop):
            stmt.body, inner = _block(stmt.body, readonly)  # inner loops first: what leaves them may leave this one
            moved = _hoist(stmt, readonly)
            out += moved
            changed |= inner or bool(moved)
        out.append(stmt)
    return out, changed


def _hoist(loop: Loop, readonly: set[Var]) -> list[Op]:
    inner = loop.inner()
    moved = [s for s in loop.body if isinstance(s, Op) and s.callee.style in _DISPLAYS and s.result in readonly
             and not s.kwargs and all(_invariant(a, inner) for a in s.args)]
    if moved:
        ids = {id(s) for s in moved}
        loop.body = [s for s in loop.body if id(s) not in ids]
    return moved


def _invariant(operand: object, inner: set[Var]) -> bool:
    return isinstance(operand, (Const, Global)) or (isinstance(operand, Var) and operand not in inner)
