"""Copy propagation: uses of `a` where `a = b` read `b` instead, and the copy goes.

Requires: nothing. Guarantees: no copies into compiler temporaries remain, and
no copy of a constant in the backward sweep.
Copies into values named after the user's variables (`z1_bar = z2`) are kept
on purpose: the generated code shows every adjoint the user may look for,
and a name binding costs nothing measurable. A constant adjoint is the
exception (`h_bar = 0.0`, then `h_1_bar = h_bar` entering a backward loop):
its readers read the constant itself (`h_1_bar = 0.0`), which is what the
user looks for, and the algebra can then drop an adjoint's zero from the sums
it enters. The user's own copies of constants (`x = 1.0`) stay as written.
"""

from __future__ import annotations

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
    rewrite_region,
    substitute,
)


def transform(fn: Function) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _propagate(fn.body, mapping, fn.readable)
    if mapping:
        fn.returns = [substitute(r, mapping) for r in fn.returns]
    return bool(mapping)


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

