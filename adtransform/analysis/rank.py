"""Rank analysis: prove which values are scalars, to drop needless `unbroadcast`.

Forward: constants are rank 0, `math` functions return scalars, a full
reduction returns a scalar, an elementwise op has the largest rank of its
inputs. Backward: an elementwise op whose result is rank 0 had rank-0 inputs
(broadcasting never lowers rank), and `grad` checks at run time that the
output is a scalar before the backward sweep, so the output is rank 0. The
two directions are iterated to a fixed point. Unknown ranks stay `None`.
"""

from __future__ import annotations

from ..ad.registry import Kind, lookup_adjoint
from ..ir.nodes import Const, Function, Op, Operand, Style, Var


def analyze(fn: Function, scalar_output: bool) -> dict[Var, int | None]:
    ranks: dict[Var, int | None] = {v: None for v in fn.param_vars()}
    for op in fn.body:
        if op.result is not None:
            ranks[op.result] = None
    if scalar_output:
        for r in fn.returns:
            if isinstance(r, Var):
                ranks[r] = 0
    changed = True
    while changed:
        changed = False
        for op in fn.body:
            changed |= _forward(op, ranks)
        for op in reversed(fn.body):
            changed |= _backward(op, ranks)
    return ranks


def rank_of(operand: Operand, ranks: dict[Var, int | None]) -> int | None:
    if isinstance(operand, Var):
        return ranks.get(operand)
    if isinstance(operand, Const) and isinstance(operand.value, (int, float, complex)):
        return 0
    return None


def _kind(op: Op) -> Kind | None:
    if op.callee.style is Style.COPY:
        return Kind.ELEMENTWISE
    rule = lookup_adjoint(op.callee.key)
    return rule.kind if rule else None


def _forward(op: Op, ranks: dict[Var, int | None]) -> bool:
    if op.result is None or ranks.get(op.result) is not None:
        return False
    kind = _kind(op)
    rank: int | None = None
    if kind is Kind.SCALAR:
        rank = 0
    elif kind is Kind.ELEMENTWISE:
        inputs = [rank_of(a, ranks) for a in op.args]
        rank = max(inputs) if inputs and None not in inputs else None
    elif kind is Kind.REDUCTION:
        bound = lookup_adjoint(op.callee.key).bind(op.args, op.kwargs)
        axis, keepdims = bound.get("axis", Const(None)), bound.get("keepdims", Const(False))
        if axis == Const(None) and keepdims == Const(False):
            rank = 0
    if rank is None:
        return False
    ranks[op.result] = rank
    return True


def _backward(op: Op, ranks: dict[Var, int | None]) -> bool:
    if op.result is None or ranks.get(op.result) != 0 or _kind(op) is not Kind.ELEMENTWISE:
        return False
    changed = False
    for arg in op.args:
        if isinstance(arg, Var) and ranks.get(arg) is None:
            ranks[arg] = 0
            changed = True
    return changed
