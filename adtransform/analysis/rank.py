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
otherwise. Indexing with integers (`x[i]`, `x[i, j + 1]`: constants, `range`
loop variables and integer arithmetic on them) lowers the rank by one per index.

With `scalar_params`, every parameter is taken to be a scalar, except those
indexed with integers, taken to have one axis per index (`heating[t]`: a
vector), and every global the function reads as a number (`math.pi`, a
module-level constant) is taken to be a scalar: the ranks then hold on calls
where a run-time check (`hypothesis` gives the ranks to check, `scalar_globals`
the globals) confirms it. Such globals are keys of the result too.
"""

from __future__ import annotations

import operator

from ..ir.nodes import (
    Carried,
    Const,
    Function,
    Global,
    If,
    Index,
    Loop,
    LoopKind,
    Op,
    Operand,
    Style,
    Var,
    defined_in,
    walk,
)
from ..ir.operands import RULE_OPERANDS
from ..ir.operators import COMPARISONS
from ..rules.registry import Kind, lookup_adjoint
from ..runtime.inplace import in_place_result

Ranks = dict[Var | Global, int | None]
_NUMBERS = (int, float, complex)
_SHAPE_ATTRIBUTES = {"shape": 1, "ndim": 0, "size": 0}
_INT_ARITHMETIC = (operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod, operator.neg)


def analyze(fn: Function, scalar_output: bool, scalar_params: bool = False,
            arrays: frozenset[Var] = frozenset()) -> Ranks:
    """`arrays`: parameters checked at run time to be a float, a NumPy float or a float array (the
    differentiated ones), whose `.shape` is then a tuple of integers (or raises, as in the function)."""
    refuted: set[Var] = set()
    ints = integers(fn)
    assumed_params = hypothesis(fn, ints) if scalar_params else None
    while True:
        ranks, assumed = _solve(fn, scalar_output, assumed_params, ints, refuted, arrays)
        wrong = {p for p, c in assumed.items() if rank_of(c.next, ranks) != ranks.get(p)}
        if not wrong:
            return ranks
        refuted |= wrong


class RankAnalyses:
    """The rank analyses of one function, each computed once, when first asked for.

    Each asks a different question (is the output assumed a scalar, are the parameters), so
    each is its own fixed point; a pass that changes the function needs a new instance.
    """

    def __init__(self, fn: Function):
        self.fn = fn
        self._done: dict[tuple[bool, bool, frozenset[Var]], Ranks] = {}

    def get(self, *, scalar_output: bool, scalar_params: bool = False, arrays: frozenset[Var] = frozenset()) -> Ranks:
        key = (scalar_output, scalar_params, arrays)
        if key not in self._done:
            self._done[key] = analyze(self.fn, scalar_output, scalar_params, arrays) if arrays \
                else analyze(self.fn, scalar_output, scalar_params)
        return self._done[key]


def _solve(fn: Function, scalar_output: bool, assumed_params: dict[Var, int | None] | None, ints: set[Var],
           refuted: set[Var], arrays: frozenset[Var] = frozenset()) -> tuple[Ranks, dict[Var, Carried]]:
    ranks: Ranks = dict(assumed_params) if assumed_params is not None else dict.fromkeys(fn.param_vars())
    if assumed_params is not None:
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
                changed |= _forward(stmt, ranks, ints, arrays)
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


def hypothesis(fn: Function, ints: set[Var] | None = None) -> dict[Var, int | None]:
    """The rank each parameter is assumed to have under `scalar_params` (0 unless indexed)."""
    ints = integers(fn) if ints is None else ints
    indexed: dict[Var, set[int]] = {}
    for op in walk(fn.body):
        if isinstance(op, Op) and _is_getitem(op) and isinstance(op.args[0], Var):
            count = _integer_indices(op.args[1], ints)
            indexed.setdefault(op.args[0], set()).add(-1 if count is None else count)
    out: dict[Var, int | None] = {}
    for p in fn.param_vars():
        counts = indexed.get(p, {0})
        # Indexed with slices, or with different numbers of integers: no assumption.
        out[p] = counts.pop() if len(counts) == 1 and -1 not in counts else None
    return out


def _is_getitem(op: Op) -> bool:
    return op.callee.style is Style.SUBSCRIPT and op.callee.key is operator.getitem and len(op.args) == 2


def integers(fn: Function) -> set[Var]:
    """Values that are Python integers: `range` loop variables and integer arithmetic on them."""
    out: set[Var] = set()
    for stmt in walk(fn.body):
        if isinstance(stmt, Loop) and stmt.kind is LoopKind.RANGE and stmt.target is not None:
            out.add(stmt.target)
        elif isinstance(stmt, Op) and stmt.result is not None and stmt.callee.style is Style.OPERATOR \
                and stmt.callee.key in _INT_ARITHMETIC and all(_is_int(a, out) for a in stmt.args):
            out.add(stmt.result)
    return out


def _is_int(operand: object, ints: set[Var]) -> bool:
    if isinstance(operand, Const):
        return type(operand.value) is int
    return isinstance(operand, Var) and operand in ints


def _integer_indices(index: Operand, ints: set[Var]) -> int | None:
    """How many axes `x[index]` removes when every item is an integer, else None."""
    if isinstance(index, Const) and isinstance(index.value, tuple):
        return len(index.value) if all(type(v) is int for v in index.value) else None
    items = index.items if isinstance(index, Index) else (index,)
    return len(items) if all(_is_int(i, ints) for i in items) else None


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
    if op.callee.key is in_place_result:  # (`y op= v`: the shape of `y op v`, its first argument)
        return Kind.ELEMENTWISE
    rule = lookup_adjoint(op.callee.key)
    return rule.kind if rule else None


def _forward(op: Op, ranks: Ranks, ints: set[Var], arrays: frozenset[Var] = frozenset()) -> bool:
    if op.result is None or ranks.get(op.result) is not None:
        return False
    kind = _kind(op)
    rank: int | None = None
    if op.callee.style is Style.ATTRIBUTE and op.callee.symbol in _SHAPE_ATTRIBUTES and len(op.args) == 1:
        # `.shape` of an array or a number: a tuple of integers (rank 1, so `x.shape[0]` is rank 0);
        # `.ndim` and `.size` integers. Not of an unknown object: its `.shape` may be anything.
        of = op.args[0]
        if (isinstance(of, Var) and of in arrays) or rank_of(of, ranks) is not None:
            rank = _SHAPE_ATTRIBUTES[op.callee.symbol]
    elif _is_getitem(op):
        count, base = _integer_indices(op.args[1], ints), rank_of(op.args[0], ranks)
        if count is not None and base is not None and base >= count:
            rank = base - count
    elif kind is Kind.SCALAR:
        rank = 0
    elif kind is Kind.ELEMENTWISE:
        inputs = [rank_of(a, ranks) for a in op.args]
        rank = max(inputs) if inputs and None not in inputs else None
    elif kind is Kind.REDUCTION:
        try:
            bound = lookup_adjoint(op.callee.key).bind(op.args, op.kwargs, RULE_OPERANDS)
        except TypeError:
            return False  # a call the rule refuses (reverse mode reports it where it matters)
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
