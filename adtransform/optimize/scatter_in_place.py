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

Also: the contribution `unbroadcast(g, y)` of `y = x[i]`, read only by that
scatter, becomes `g` (the helpers sum broadcast axes themselves), so `y` is
no longer read for its shape, and a loop need not record it.

Requires: nothing. Guarantees: the rewritten additions compute the same values.
"""

from __future__ import annotations

import operator
from collections import Counter

from .. import runtime
from ..ad import runtime_refs
from ..ir.nodes import Function, If, Loop, Op, Operand, Style, Sweep, Var, walk

_FRESH = (operator.add, operator.sub, operator.mul, operator.truediv, operator.neg)
_SCATTERS = {runtime.getitem_adjoint: 0, runtime.getitem_accumulate: 1}  # helper -> position of `g`


def transform(fn: Function) -> bool:
    uses = _count_uses(fn)
    producers: dict[Var, Op | If | Loop] = {v: s for s in walk(fn.body) for v in s.defines()}
    params: dict[Var, tuple[Loop, int]] = {}
    for s in walk(fn.body):
        if isinstance(s, Loop):
            params.update({c.param: (s, i) for i, c in enumerate(s.carried)})
    changed = False
    for op in [s for s in walk(fn.body) if isinstance(s, Op)]:
        changed |= _fold_unbroadcast(op, producers, uses)
        if op.sweep is not Sweep.ADJOINT or op.callee.style is not Style.OPERATOR or op.callee.key is not operator.add:
            continue
        for acc, part in ((op.args[0], op.args[1]), (op.args[1], op.args[0])):
            scatter = producers.get(part) if isinstance(part, Var) else None
            if (isinstance(scatter, Op) and scatter.callee.key is runtime.getitem_adjoint and uses[part] == 1
                    and uses[acc] == 1 and _owned(acc, producers, params, uses)):
                op.callee = runtime_refs.callee("getitem_accumulate")
                op.args = [acc, *scatter.args]
                changed = True
                break
    return changed


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


def _owned(value: Operand, producers: dict, params: dict[Var, tuple[Loop, int]], uses: Counter) -> bool:
    """A value only this gradient holds: made fresh here, and its sources read by nobody else."""
    if not isinstance(value, Var):
        return False
    if value in params:
        loop, i = params[value]
        c = loop.carried[i]
        return isinstance(c.init, Var) and uses[c.init] == 1 and _fresh(c.init, producers) \
            and (c.next is value or _fresh(c.next, producers))
    return _fresh(value, producers)


def _fresh(value: Operand, producers: dict) -> bool:
    op = producers.get(value) if isinstance(value, Var) else None
    if not isinstance(op, Op):
        return False
    if op.callee.style is Style.OPERATOR:
        return op.callee.key in _FRESH
    return op.callee.style is Style.FUNCTION and op.callee.key in (
        runtime.zeros_like, runtime.getitem_adjoint, runtime.getitem_accumulate)


def _count_uses(fn: Function) -> Counter:
    uses: Counter = Counter(v for v in fn.returns if isinstance(v, Var))
    for s in walk(fn.body):
        if isinstance(s, Op):
            uses.update(s.uses())
        elif isinstance(s, If):
            uses.update(v for v in [s.cond, *s.then_values, *s.else_values] if isinstance(v, Var))
        else:
            uses.update(v for v in [*s.iter_args, s.cond, *(x for c in s.carried for x in (c.init, c.next))]
                        if isinstance(v, Var))
    return uses
