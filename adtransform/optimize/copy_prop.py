"""Copy propagation: uses of `a` where `a = b` read `b` instead, and the copy goes.

Requires: nothing. Guarantees: no copies into compiler temporaries remain, no
copy of a constant in the backward sweep, and no copy into a readable name of
a temporary read by that copy alone (the operation takes the name instead:
`x_bar_total = s / c; x_bar = x_bar_total` -> `x_bar = s / c`). Analyses: read counts (`defuse.reads`).
Copies into values named after the user's variables (`z1_bar = z2`) are kept
on purpose: the generated code shows every adjoint the user may look for,
and a name binding costs nothing measurable. A constant adjoint is the
exception (`h_bar = 0.0`, then `h_1_bar = h_bar` entering a backward loop):
its readers read the constant itself (`h_1_bar = 0.0`), which is what the
user looks for, and the algebra can then drop an adjoint's zero from the sums
it enters. The user's own copies of constants (`x = 1.0`) stay as written.
"""

from __future__ import annotations

from collections import Counter

from ..analysis import defuse
from ..analysis.manager import PassContext
from ..ir.nodes import (
    Const,
    Function,
    If,
    Loop,
    Op,
    Operand,
    Stmt,
    Style,
    Sweep,
    Var,
    blocks,
    rewrite_region,
    substitute,
)


def transform(fn: Function, cx: PassContext) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _propagate(fn.body, mapping, fn.readable)
    if mapping:
        fn.returns = [substitute(r, mapping) for r in fn.returns]
        cx.analyses.invalidate()  # (the propagation changed what reads what)
    return bool(mapping) | _coalesce(fn, cx.analyses.get(defuse.reads))


def _propagate(body: list[Stmt], mapping: dict[Var, Operand], readable: set[Var]) -> list[Stmt]:
    kept: list[Stmt] = []
    for stmt in body:
        if isinstance(stmt, (If, Loop)):
            rewrite_region(stmt, mapping, lambda block: _propagate(block, mapping, readable))
        else:
            stmt.replace_uses(mapping)
            if _propagates(stmt, readable):
                mapping[stmt.result] = stmt.args[0]
                continue
        kept.append(stmt)
    return kept


def _propagates(op: Op, readable: set[Var]) -> bool:
    if op.callee.style is not Style.COPY or op.result is None:
        return False
    return op.result not in readable or (op.sweep is Sweep.ADJOINT and isinstance(op.args[0], Const))


def _coalesce(fn: Function, reads: Counter[Var]) -> bool:
    """`t = a / c; x_bar = t` with `t` a temporary read by that copy alone -> `x_bar = a / c`.

    The readable name stays and the temporary goes: the operation defines `x_bar` itself
    (one SSA value renamed; `x_bar` is then defined earlier, in the same block).
    """
    changed = False
    for block in blocks(fn.body):
        # A buffer write's result is the buffer it writes into: that stays as it is.
        producers = {s.result: s for s in block if isinstance(s, Op) and s.result is not None}
        producers = {v: s for v, s in producers.items() if s.callee.style not in (Style.STORE, Style.ADD_INTO)}
        kept: list[Stmt] = []
        for stmt in block:
            source = _copied_temporary(stmt, fn.readable)
            if source in producers and reads[source] == 1:
                producers.pop(source).result = stmt.result
                changed = True
                continue
            kept.append(stmt)
        block[:] = kept
    return changed


def _copied_temporary(stmt: Stmt, readable: set[Var]) -> Var | None:
    """The temporary `t` that `stmt` copies (`x_bar = t`), if it is one."""
    if not isinstance(stmt, Op) or stmt.callee.style is not Style.COPY or stmt.result is None:
        return None
    source = stmt.args[0]
    return source if isinstance(source, Var) and source not in readable else None
