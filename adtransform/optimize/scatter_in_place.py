"""Accumulate adjoints of `x[index]` into one buffer, in place.

    x_bar_1 = getitem_adjoint(g, x, i)          x_bar = getitem_accumulate(x_bar_2, g, x, i)
    x_bar = x_bar_2 + x_bar_1             ->

Why: every read `x[i]` in a loop gives `x` a contribution that is zero but
for one entry; built as a zero array and added, each costs two passes over
`x`. Added into the accumulator in place, it costs one element.

Safe only when nothing else holds the accumulator: it must be a value this
gradient made itself (zeros, an arithmetic result, a previous accumulation,
a loop-carried value that starts as one and stays one) and be read by this
addition alone. The helper checks shape and dtype at run time and falls back
to the plain sum otherwise.

Where the run-time check of the function's version (`has_ranks`) proves the accumulator
is a float array (the zeros of a parameter checked differentiable and of rank >= 1) and
the index is made of Python integers, the addition is written as it is by hand,
`x_bar[t] += g`: the helper's checks cost more than the addition (a loop reading
`heating[t]`). Where the slot still holds its zero (a `range` loop adding into
fresh zeros once per step at the loop variable), it is `x_bar[t] = g`.

Also: the contribution `unbroadcast(g, y)` of `y = x[i]`, read only by that
scatter, becomes `g` (the helpers sum broadcast axes themselves), so `y` is
no longer read for its shape, and a loop need not record it.

Requires: nothing. Guarantees: the rewritten additions compute the same values.
Analyses: def-use (producers, read counts) and ownership (`Ownership.exclusive`).
"""

from __future__ import annotations

import operator
from collections import Counter

from .. import runtime
from ..ad import runtime_refs
from ..analysis import defuse, ownership
from ..analysis.defuse import DefUse
from ..analysis.manager import PassContext
from ..analysis.rank import integers
from ..ir.nodes import (
    Callee,
    Const,
    Function,
    Index,
    Loop,
    LoopKind,
    Op,
    Operand,
    Stmt,
    Style,
    Sweep,
    Var,
    walk,
)

_SCATTERS = {runtime.getitem_adjoint: 0, runtime.getitem_accumulate: 1}  # helper -> position of `g`
ADD_INTO = Callee(runtime.getitem_accumulate, Style.ADD_INTO, symbol="[]+=")
#: An ADD_INTO whose slot still holds its zero, written `x_bar[t] = g`.
FIRST_WRITE = Callee(runtime.getitem_accumulate, Style.ADD_INTO, symbol="[]=")


def transform(fn: Function, cx: PassContext) -> bool:
    du = cx.analyses.get(defuse.analyze)
    own = cx.analyses.get(ownership.analyze)
    uses, producers = du.reads, du.producers
    params: dict[Var, tuple[Loop, int]] = {}
    for s in walk(fn.body):
        if isinstance(s, Loop):
            params.update({c.param: (s, i) for i, c in enumerate(s.carried)})
    changed = False
    folded: set[int] = set()  # scatters whose `g` may now need a reduction (the helper does it)
    arrays = _float_arrays(fn)
    ints = integers(fn)
    facts = IntFacts(du, arrays)
    for op in [s for s in walk(fn.body) if isinstance(s, Op)]:
        if _fold_unbroadcast(op, producers, uses):
            folded.add(id(op))
            changed = True
        if op.sweep is not Sweep.ADJOINT or op.callee.style is not Style.OPERATOR or op.callee.key is not operator.add:
            continue
        for acc, part in ((op.args[0], op.args[1]), (op.args[1], op.args[0])):
            scatter = producers.get(part) if isinstance(part, Var) else None
            if (isinstance(scatter, Op) and scatter.callee.key is runtime.getitem_adjoint and uses[part] == 1
                    and uses[acc] == 1 and own.exclusive(acc)):
                op.callee = runtime_refs.callee("getitem_accumulate")
                op.args = [acc, *scatter.args]
                if id(scatter) not in folded and _plain_slot(op, arrays, ints, producers, params):
                    op.callee = FIRST_WRITE if _first_write(op, producers, params, facts) else ADD_INTO
                changed = True
                break
    return changed


def _float_arrays(fn: Function) -> dict[Var, int]:
    """Parameters the version check proves to be float arrays: checked differentiable, of rank >= 1."""
    checked = {a for s in fn.body if isinstance(s, Op) and s.sweep is Sweep.CHECK
               for a in (s.args[:1] if s.callee.key is runtime.ensure_differentiable
                         else s.args[1:] if s.callee.key is runtime.ensure_all_differentiable else ())}
    guard = next((s for s in fn.body if isinstance(s, Op) and fn.guard is not None and s.result is fn.guard), None)
    if guard is None or guard.callee.key is not runtime.has_ranks or not isinstance(guard.args[0], Const):
        return {}
    return {v: r for r, v in zip(guard.args[0].value, guard.args[1:]) if v in checked and r >= 1}


def _plain_slot(op: Op, arrays: dict[Var, int], ints: set[Var], producers: dict, params: dict) -> bool:
    """`acc[index] += g` is exact: `acc` is a float array's own zeros, `index` picks whole slots."""
    acc, _, x, index = op.args
    if x not in arrays:
        return False
    items = index.items if isinstance(index, Index) else (index,)
    if len(items) > arrays[x] or not all(
            (isinstance(i, Const) and type(i.value) is int) or (isinstance(i, Var) and i in ints) for i in items):
        return False
    return _zeros_of(acc, x, producers, params)


def _first_write(op: Op, producers: dict, params: dict, facts: IntFacts) -> bool:
    """Every slot the addition reaches still holds its zero, so `acc[t] = g` adds it (up to a zero's sign).

    The accumulator enters a `range` loop as zeros (through copies only), this addition is its
    one update per iteration, and the index holds the loop variable, which `range` never repeats
    and which names a slot no other iteration names only while it is never negative: `x[-1]` is
    `x[n - 1]` (`range(-1, n)` reaches that slot twice). A value `t` that is not negative and
    indexes `x` (the forward sweep read `x[t]`, else it raised) is below the axis' length, so
    distinct values are distinct slots.
    """
    acc, _, x, index = op.args
    if acc not in params:
        return False
    loop, i = params[acc]
    carried = loop.carried[i]
    items = index.items if isinstance(index, Index) else (index,)
    if loop.kind is not LoopKind.RANGE or loop.target is None or carried.next is not op.result \
            or not any(s is op for s in loop.body) or not any(item is loop.target for item in items) \
            or not range_never_negative(loop, facts):
        return False
    init = carried.init
    while isinstance(init, Var) and isinstance(producers.get(init), Op) and producers[init].callee.style is Style.COPY:
        init = producers[init].args[0]
    zeros = producers.get(init) if isinstance(init, Var) else None
    return isinstance(zeros, Op) and zeros.callee.key is runtime.zeros_like and zeros.callee.style is Style.FUNCTION \
        and zeros.args[0] is x


class IntFacts:
    """What proves an integer never negative: the defining operations, the arrays the version
    check proved (their shapes), and the `range` loops by their targets."""

    def __init__(self, du: DefUse, arrays: dict[Var, int] | None = None):
        self.producers: dict[Var, Stmt] = du.producers
        self.targets: dict[Var, Loop] = du.targets
        self.arrays = arrays or {}


def range_never_negative(loop: Loop, facts: IntFacts, depth: int = 0) -> bool:
    """Proven: every value the `range` loop's target takes is >= 0 (else, or unknown, False).

    A positive constant step counts up from `start`, a negative one down to `stop + 1`.
    """
    if loop.kind is not LoopKind.RANGE or len(loop.iter_args) != 3 or depth > 16:
        return False
    start, stop, step = loop.iter_args
    if not (isinstance(step, Const) and type(step.value) is int and step.value != 0):
        return False
    if step.value > 0:
        return never_below(start, 0, facts, depth + 1)
    return never_below(stop, -1, facts, depth + 1)


def never_below(value: Operand, bound: int, facts: IntFacts, depth: int = 0) -> bool:
    """Proven: the integer `value` is >= `bound` (0 or -1): constants, `len(...)`, the shape of an
    array the version check proved, sums and products of such values, `%` by a positive constant,
    `//` of such a value by one, such a value minus a constant, and `range` targets proven so."""
    if isinstance(value, Const):
        return type(value.value) is int and value.value >= bound
    if not isinstance(value, Var) or depth > 16:
        return False
    if value in facts.targets:
        return bound <= 0 and range_never_negative(facts.targets[value], facts, depth + 1)
    made = facts.producers.get(value)
    if not isinstance(made, Op):
        return False
    callee, args = made.callee, made.args
    if callee.style is Style.FUNCTION and callee.key is len and len(args) == 1:
        return bound <= 0
    if callee.style is Style.SUBSCRIPT and callee.key is operator.getitem and len(args) == 2:
        shape = facts.producers.get(args[0]) if isinstance(args[0], Var) else None
        return bound <= 0 and isinstance(shape, Op) and shape.callee.style is Style.ATTRIBUTE \
            and shape.callee.symbol == "shape" and shape.args[0] in facts.arrays
    if callee.style is not Style.OPERATOR or len(args) != 2 or made.kwargs:
        return False
    a, b = args
    positive = isinstance(b, Const) and type(b.value) is int and b.value > 0
    if callee.key in (operator.add, operator.mul):
        return bound <= 0 and never_below(a, 0, facts, depth + 1) and never_below(b, 0, facts, depth + 1)
    if callee.key is operator.mod:
        return bound <= 0 and positive
    if callee.key is operator.floordiv:
        return bound <= 0 and positive and never_below(a, 0, facts, depth + 1)
    if callee.key is operator.sub and isinstance(b, Const) and type(b.value) is int:
        return never_below(a, bound + b.value, facts, depth + 1) if bound + b.value <= 0 else \
            _at_least(a, bound + b.value)
    return False


def _at_least(value: Operand, bound: int) -> bool:
    return isinstance(value, Const) and type(value.value) is int and value.value >= bound


def _zeros_of(value: Operand, x: Var, producers: dict, params: dict, depth: int = 0) -> bool:
    """`value` is `zeros_like(x)`, or accumulations into it (through a loop's carried value)."""
    if not isinstance(value, Var) or depth > 8:
        return False
    if value in params:
        loop, i = params[value]
        return _zeros_of(loop.carried[i].init, x, producers, params, depth + 1)
    op = producers.get(value)
    if isinstance(op, Loop):
        c = next(c for c in op.carried if c.result is value)
        return _zeros_of(c.init, x, producers, params, depth + 1)
    if not isinstance(op, Op):
        return False
    if op.callee.style is Style.COPY:
        return _zeros_of(op.args[0], x, producers, params, depth + 1)
    if op.callee.key is runtime.zeros_like and op.callee.style is Style.FUNCTION:
        return op.args[0] is x
    if op.callee.key is runtime.getitem_accumulate:
        return op.args[2] is x and _zeros_of(op.args[0], x, producers, params, depth + 1)
    return False


def _fold_unbroadcast(op: Op, producers: dict, uses: Counter) -> bool:
    position = _SCATTERS.get(op.callee.key) if op.callee.style is Style.FUNCTION else None
    if position is None or position >= len(op.args):
        return False
    g = op.args[position]
    reduce = producers.get(g) if isinstance(g, Var) else None
    if not isinstance(reduce, Op) or uses[g] != 1:
        return False
    if reduce.callee.key is not runtime.unbroadcast or reduce.callee.style is not Style.FUNCTION:
        return False
    op.args[position] = reduce.args[0]
    return True
