"""Rank analysis: prove which values are scalars, to drop needless `unbroadcast`.

Forward: constants are rank 0, `math` functions return scalars, a full
reduction returns a scalar, an elementwise op has the largest rank of its
inputs. Backward: an elementwise op whose result is rank 0 had rank-0 inputs
(broadcasting never lowers rank), and `grad` checks at run time that the
output is a scalar before the backward sweep, so the output is rank 0. The
two directions are iterated to a fixed point. Unknown ranks stay `None`.

Loops: a carried value is assumed to keep the rank it enters with; the
assumption stands if the value leaving an iteration has that rank (then, by
induction, every iteration has it), and is withdrawn and the analysis rerun
otherwise. With `scalar_params`, every parameter is taken to be a scalar, and so
is every global the function reads as a number (`math.pi`, a module-level
constant): the ranks then hold on calls where a run-time check (`all_scalars`
of the parameters and of those globals, see `scalar_globals`) confirms it.
Such globals are keys of the result too.
"""

from __future__ import annotations

from ..ad.registry import Kind, lookup_adjoint
from ..ir.nodes import Carried, Const, Function, Global, If, Loop, LoopKind, Op, Operand, Style, Var, defined_in, walk
from ..ir.operators import COMPARISONS

Ranks = dict[Var | Global, int | None]
_NUMBERS = (int, float, complex)


def analyze(fn: Function, scalar_output: bool, scalar_params: bool = False) -> Ranks:
    refuted: set[Var] = set()
    while True:
        ranks, assumed = _solve(fn, scalar_output, scalar_params, refuted)
        wrong = {p for p, c in assumed.items() if rank_of(c.next, ranks) != ranks.get(p)}
        if not wrong:
            return ranks
        refuted |= wrong


def _solve(fn: Function, scalar_output: bool, scalar_params: bool,
           refuted: set[Var]) -> tuple[Ranks, dict[Var, Carried]]:
    ranks: Ranks = {v: 0 if scalar_params else None for v in fn.param_vars()}
    if scalar_params:
        ranks.update(dict.fromkeys(_number_globals(fn), 0))
    assumed: dict[Var, Carried] = {}
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
                changed |= _carry(stmt, ranks, assumed, refuted)
        for stmt in reversed(list(walk(fn.body))):
            if isinstance(stmt, Op):
                changed |= _backward(stmt, ranks)
            elif isinstance(stmt, If):
                changed |= _unmerge(stmt, ranks)
    return ranks, assumed


def _carry(loop: Loop, ranks: Ranks, assumed: dict[Var, Carried], refuted: set[Var]) -> bool:
    """Assume a carried value keeps the rank it enters with (checked by `analyze`)."""
    changed = False
    for c in loop.carried:
        rank = rank_of(c.init, ranks)
        if ranks.get(c.param) is None and rank is not None and c.param not in refuted:
            ranks[c.param] = ranks[c.result] = rank
            assumed[c.param] = c
            changed = True
    if loop.target is not None and loop.kind is LoopKind.RANGE and ranks.get(loop.target) is None:
        ranks[loop.target] = 0
        changed = True
    return changed


def _merge(region: If, ranks: Ranks) -> bool:
    changed = False
    for result, a, b in zip(region.results, region.then_values, region.else_values):
        rank = rank_of(a, ranks)
        if ranks.get(result) is None and rank is not None and rank == rank_of(b, ranks):
            ranks[result] = rank
            changed = True
    return changed


def _unmerge(region: If, ranks: Ranks) -> bool:
    """A scalar result is a scalar on whichever path computed it."""
    changed = False
    for result, a, b in zip(region.results, region.then_values, region.else_values):
        if ranks.get(result) == 0:
            for v in (a, b):
                if isinstance(v, Var) and ranks.get(v) is None:
                    ranks[v] = 0
                    changed = True
    return changed


def _number_globals(fn: Function) -> list[Global]:
    """Globals read as operands that hold a number now (hashable, so usable as keys)."""
    found = [a for s in walk(fn.body) if isinstance(s, Op) for a in s.operands()
             if isinstance(a, Global) and type(a.ref.obj) in _NUMBERS]
    return list(dict.fromkeys(found))


def scalar_globals(ranks: Ranks) -> list[Global]:
    """The globals `ranks` assumed to be scalars: the run-time check must test them too."""
    return [k for k, r in ranks.items() if isinstance(k, Global) and r == 0]


def rank_of(operand: Operand, ranks: Ranks) -> int | None:
    if isinstance(operand, Var):
        return ranks.get(operand)
    if isinstance(operand, Global) and type(operand.ref.obj) in _NUMBERS:
        return ranks.get(operand)
    if isinstance(operand, Const) and isinstance(operand.value, (int, float, complex)):
        return 0
    return None


def _kind(op: Op) -> Kind | None:
    if op.callee.style is Style.COPY or (op.callee.style is Style.OPERATOR and op.callee.key in COMPARISONS):
        return Kind.ELEMENTWISE
    rule = lookup_adjoint(op.callee.key)
    return rule.kind if rule else None


def _forward(op: Op, ranks: Ranks) -> bool:
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


def _backward(op: Op, ranks: Ranks) -> bool:
    if op.result is None or ranks.get(op.result) != 0 or _kind(op) is not Kind.ELEMENTWISE:
        return False
    changed = False
    for arg in op.args:
        if isinstance(arg, Var) and ranks.get(arg) is None:
            ranks[arg] = 0
            changed = True
    return changed
