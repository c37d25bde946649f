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
from ..ir.nodes import Const, Function, If, Loop, LoopKind, Op, Operand, Style, Var, defined_in, walk


def analyze(fn: Function, scalar_output: bool) -> dict[Var, int | None]:
    ranks: dict[Var, int | None] = {v: None for v in fn.param_vars()}
    for var in defined_in(fn.body):
        ranks[var] = None
    if scalar_output:
        for r in fn.returns:
            if isinstance(r, Var):
                ranks[r] = 0
    changed = True
    while changed:
        changed = False
        for stmt in walk(fn.body):
            if isinstance(stmt, Op):
                changed |= _forward(stmt, ranks)
            elif isinstance(stmt, If):
                changed |= _merge(stmt, ranks)
            else:
                changed |= _carry(stmt, ranks)
        for stmt in reversed(list(walk(fn.body))):
            if isinstance(stmt, Op):
                changed |= _backward(stmt, ranks)
            elif isinstance(stmt, If):
                changed |= _unmerge(stmt, ranks)
    return ranks


def _carry(loop: Loop, ranks: dict[Var, int | None]) -> bool:
    """A carried value keeps its rank if it enters and leaves every iteration with it."""
    changed = False
    for c in loop.carried:
        rank = rank_of(c.init, ranks)
        if ranks.get(c.param) is None and rank is not None and rank == rank_of(c.next, ranks):
            ranks[c.param] = ranks[c.result] = rank
            changed = True
    if loop.target is not None and loop.kind is LoopKind.RANGE and ranks.get(loop.target) is None:
        ranks[loop.target] = 0
        changed = True
    return changed


def _merge(region: If, ranks: dict[Var, int | None]) -> bool:
    changed = False
    for result, a, b in zip(region.results, region.then_values, region.else_values):
        rank = rank_of(a, ranks)
        if ranks.get(result) is None and rank is not None and rank == rank_of(b, ranks):
            ranks[result] = rank
            changed = True
    return changed


def _unmerge(region: If, ranks: dict[Var, int | None]) -> bool:
    """A scalar result is a scalar on whichever path computed it."""
    changed = False
    for result, a, b in zip(region.results, region.then_values, region.else_values):
        if ranks.get(result) == 0:
            for v in (a, b):
                if isinstance(v, Var) and ranks.get(v) is None:
                    ranks[v] = 0
                    changed = True
    return changed


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
