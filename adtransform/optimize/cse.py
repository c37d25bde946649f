"""Common subexpression elimination over pure operations.

Requires: nothing. Guarantees: no two pure ops compute the same thing from the
same operands. Why: rules recompute what the primal already has (`np.cos(x)`
in the adjoint of `np.sin(x)` when the user also computed `np.cos(x)`).
"""

from __future__ import annotations

from typing import Any

from ..ir.nodes import Const, Function, Global, Index, Op, Operand, SliceItem, Style, Var
from .purity import is_pure


def _key(operand: Any) -> Any:
    if isinstance(operand, Var):
        return ("var", id(operand))
    if isinstance(operand, Const):
        return ("const", type(operand.value).__name__, repr(operand.value))
    if isinstance(operand, Global):
        return ("global", operand.ref.spelling, operand.ref.scope)
    if isinstance(operand, Index):
        return ("index", operand.is_tuple, tuple(_key(i) for i in operand.items))
    if isinstance(operand, SliceItem):
        return ("slice", _key(operand.lower), _key(operand.upper), _key(operand.step))
    return ("none",)


def _op_key(op: Op) -> Any:
    callee = op.callee
    return (id(callee.key), callee.style, callee.symbol,
            callee.ref.spelling if callee.ref else None,
            tuple(_key(a) for a in op.args), tuple((k, _key(v)) for k, v in op.kwargs.items()))


def transform(fn: Function) -> bool:
    seen: dict[Any, Var] = {}
    mapping: dict[Var, Operand] = {}
    kept = []
    for op in fn.body:
        op.replace_uses(mapping)
        if op.result is not None and op.callee.style is not Style.COPY and is_pure(op):
            key = _op_key(op)
            if key in seen:
                mapping[op.result] = seen[key]
                continue
            seen[key] = op.result
        kept.append(op)
    if not mapping:
        return False
    fn.body = kept
    fn.returns = [mapping.get(r, r) if isinstance(r, Var) else r for r in fn.returns]
    return True
