"""Let shape-only arguments read the cheapest value of the same shape and dtype.

`unreduce(g, pow_1)` reads only `pow_1`'s shape and dtype; if `pow_1 = sub ** 2`
then `sub` answers the same question, and `pow_1` may become dead code (a
whole pass over the array saved in `np.mean((out - y) ** 2)`).
Equivalence used: an elementwise primitive whose other operands are Python
scalar constants (weak under NumPy promotion) keeps its array operand's shape
and floating dtype; so does one whose operands are all the same value (`x * x`).
Only float values carry adjoints, so only those are asked.

A sum, difference or product of two values read only for its shape and dtype
(`spread(g, Y * logp)` once nothing else reads the product) becomes
`broadcast_like('*', Y, logp)`: their broadcast shape and result dtype, the
product never computed (runtime/witnesses.py; it computes the product where
the dtype is not plainly a float array's). Its operands are then read only for
their shape in turn.
Requires: nothing. Guarantees: shape-only arguments name the earliest equivalent value.
"""

from __future__ import annotations

import operator

from ..ad import runtime_refs
from ..analysis.defuse import region_reads
from ..analysis.effects import shape_only
from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, Op, Style, Sweep, Var, flatten, walk
from ..rules.registry import Kind, lookup_adjoint

_BROADCAST = {operator.add, operator.sub, operator.mul}


def _same_shape_source(op: Op) -> Var | None:
    rule = lookup_adjoint(op.callee.key) if op.callee.style is not Style.COPY else None
    if op.callee.style is not Style.COPY and (rule is None or rule.kind is not Kind.ELEMENTWISE):
        return None
    if op.kwargs:
        return None
    values = [a for a in op.args if not (isinstance(a, Const) and type(a.value) in (int, float))]
    if values and isinstance(values[0], Var) and all(v is values[0] for v in values):
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
    # (not in a version for scalars, guarded by a check: a product of two numbers costs less than a call)
    return (fn.guard is None and _broadcast_witnesses(fn, ops)) or changed


def _broadcast_witnesses(fn: Function, ops: list[Op]) -> bool:
    """`c = a * b` (`+`, `-`) read only for its shape and dtype -> `c = broadcast_like('*', a, b)`."""
    readers: dict[Var, list[tuple[Op | None, int]]] = {}
    for op in ops:
        for i, arg in enumerate([*op.args, *op.kwargs.values()]):
            for var in flatten(arg):
                if isinstance(var, Var):
                    readers.setdefault(var, []).append((op, i))
    for stmt in walk(fn.body):  # a region's reads (yields, carried values) and the returns: not shape-only
        if not isinstance(stmt, Op):
            for var in region_reads(stmt):
                readers.setdefault(var, []).append((None, -1))
    for value in fn.returns:
        for var in flatten(value):
            if isinstance(var, Var):
                readers.setdefault(var, []).append((None, -1))
    changed = False
    for op in ops:
        if not (op.callee.style is Style.OPERATOR and op.callee.key in _BROADCAST and len(op.args) == 2
                and not op.kwargs and op.result is not None and op.sweep is not Sweep.CHECK):
            continue
        uses = readers.get(op.result, ())
        if uses and all(reader is not None and shape_only(reader, i) for reader, i in uses):
            op.args = [Const(op.callee.symbol), *op.args]
            op.callee = runtime_refs.callee("broadcast_like")
            changed = True
    return changed
