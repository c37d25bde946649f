"""Copy propagation: uses of `a` where `a = b` read `b` instead, and the copy goes.

Requires: nothing. Guarantees: no copies into compiler temporaries remain.
Copies into values named after the user's variables (`z1_bar = z2`) are kept
on purpose: the generated code shows every adjoint the user may look for,
and a name binding costs nothing measurable.
"""

from __future__ import annotations

from ..ir.nodes import Function, If, Loop, Operand, Stmt, Style, Var, rewrite_region, substitute


def transform(fn: Function) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _propagate(fn.body, mapping, fn.readable)
    if not mapping:
        return False
    fn.returns = [substitute(r, mapping) for r in fn.returns]
    return True


def _propagate(body: list[Stmt], mapping: dict[Var, Operand], readable: set[Var]) -> list[Stmt]:
    kept: list[Stmt] = []
    for stmt in body:
        if isinstance(stmt, (If, Loop)):
            rewrite_region(stmt, mapping, lambda block: _propagate(block, mapping, readable))
        else:
            stmt.replace_uses(mapping)
            if stmt.callee.style is Style.COPY and stmt.result is not None and stmt.result not in readable:
                mapping[stmt.result] = stmt.args[0]
                continue
        kept.append(stmt)
    return kept
