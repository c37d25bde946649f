"""Copy propagation: uses of `a` where `a = b` read `b` instead, and the copy goes.

Requires: nothing. Guarantees: no copies into compiler temporaries remain.
Copies into values named after the user's variables (`z1_bar = z2`) are kept
on purpose: the generated code shows every adjoint the user may look for,
and a name binding costs nothing measurable.
"""

from __future__ import annotations

from ..ir.nodes import Function, Operand, Style, Var


def transform(fn: Function) -> bool:
    mapping: dict[Var, Operand] = {}
    kept = []
    for op in fn.body:
        op.replace_uses(mapping)
        if op.callee.style is Style.COPY and op.result is not None and op.result not in fn.readable:
            mapping[op.result] = op.args[0]
            continue
        kept.append(op)
    if not mapping:
        return False
    fn.body = kept
    fn.returns = [mapping.get(r, r) if isinstance(r, Var) else r for r in fn.returns]
    return True
