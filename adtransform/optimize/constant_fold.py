"""Evaluate operations whose arguments are all constants (`2 - 1`, `math.log(math.e)`).

Requires: nothing. Guarantees: folded ops are gone, their uses read the constant.
Why: rule templates are general (`x ** (y - 1)`); instantiated with a constant
`y` they leave constant subexpressions that would otherwise run on every call.
"""

from __future__ import annotations

import numpy as np

from ..ir.nodes import Const, Function, Operand, Var
from .purity import is_foldable


def transform(fn: Function) -> bool:
    mapping: dict[Var, Operand] = {}
    kept = []
    for op in fn.body:
        op.replace_uses(mapping)
        if op.result is not None and is_foldable(op) and all(isinstance(a, Const) for a in op.args) \
                and not op.kwargs:
            try:
                value = op.callee.key(*(a.value for a in op.args))
            except (ArithmeticError, ValueError, TypeError):
                value = None
            if isinstance(value, np.floating | np.integer):
                # A Python scalar stays "weak" under NumPy promotion: float32 arrays stay float32.
                value = value.item()
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                mapping[op.result] = Const(value)
                continue
        kept.append(op)
    if not mapping:
        return False
    fn.body = kept
    fn.returns = [mapping.get(r, r) if isinstance(r, Var) else r for r in fn.returns]
    return True
