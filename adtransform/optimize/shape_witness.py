"""Let shape-only arguments read the cheapest value of the same shape and dtype.

`unreduce(g, pow_1)` reads only `pow_1`'s shape and dtype; if `pow_1 = sub ** 2`
then `sub` answers the same question, and `pow_1` may become dead code (a
whole pass over the array saved in `np.mean((out - y) ** 2)`).
Equivalence used: an elementwise primitive whose other operands are Python
scalar constants (weak under NumPy promotion) keeps its array operand's shape
and floating dtype. Only float values carry adjoints, so only those are asked.
Requires: nothing. Guarantees: shape-only arguments name the earliest equivalent value.
"""

from __future__ import annotations

from ..analysis.effects import shape_only
from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, Op, Style, Var, walk
from ..rules.registry import Kind, lookup_adjoint


def _same_shape_source(op: Op) -> Var | None:
    rule = lookup_adjoint(op.callee.key) if op.callee.style is not Style.COPY else None
    if op.callee.style is not Style.COPY and (rule is None or rule.kind is not Kind.ELEMENTWISE):
        return None
    if op.kwargs:
        return None
    values = [a for a in op.args if not (isinstance(a, Const) and type(a.value) in (int, float))]
    if len(values) == 1 and isinstance(values[0], Var):
        return values[0]
    return None


def transform(fn: Function, cx: PassContext) -> bool:
    ops = [s for s in walk(fn.body) if isinstance(s, Op)]
    witness: dict[Var, Var] = {}
    for op in ops:
        source = _same_shape_source(op) if op.result is not None else None
        if source is not None:
            witness[op.result] = witness.get(source, source)
    changed = False
    for op in ops:
        for i, arg in enumerate(op.args):
            if isinstance(arg, Var) and arg in witness and shape_only(op, i):
                op.args[i] = witness[arg]
                changed = True
    return changed
