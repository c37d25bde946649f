"""Evaluate operations whose arguments are all constants (`2 - 1`, `math.log(math.e)`).

Requires: nothing. Guarantees: folded ops are gone, their uses read the constant.
Why: rule templates are general (`x ** (y - 1)`); instantiated with a constant
`y` they leave constant subexpressions that would otherwise run on every call.
"""

from __future__ import annotations

import numpy as np

from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, If, Loop, Op, Operand, Stmt, Sweep, Var, rewrite_region, substitute
from .purity import is_foldable


def transform(fn: Function, cx: PassContext) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _fold(fn.body, mapping)
    if not mapping:
        return False
    fn.returns = [substitute(r, mapping) for r in fn.returns]
    return True


def _fold(body: list[Stmt], mapping: dict[Var, Operand]) -> list[Stmt]:
    kept: list[Stmt] = []
    for stmt in body:
        if isinstance(stmt, (If, Loop)):
            rewrite_region(stmt, mapping, lambda block: _fold(block, mapping))
        else:
            stmt.replace_uses(mapping)
            value = _evaluate(stmt)
            if value is not None:
                mapping[stmt.result] = Const(value)
                continue
        kept.append(stmt)
    return kept


def _evaluate(op: Op) -> int | float | None:
    if op.result is None or not is_foldable(op) or op.kwargs or not all(isinstance(a, Const) for a in op.args):
        return None
    try:
        value = op.callee.key(*(a.value for a in op.args))
    except (ArithmeticError, ValueError, TypeError):
        return None
    if isinstance(value, np.floating | np.integer):
        # A Python scalar stays "weak" under NumPy promotion: float32 arrays stay float32.
        value = value.item()
    if isinstance(value, bool):
        return value if op.sweep is Sweep.ADJOINT else None  # a rule's guard (see purity.is_foldable)
    return value if isinstance(value, (int, float)) else None
