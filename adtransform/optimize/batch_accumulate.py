"""Accumulate a loop's matrix-product adjoints with one product after the loop.

    for t in ...:                                      matmul_bar_steps = []
        ...                                            h_steps = []
        W_bar_1 = matmul_lhs_adjoint(matmul_bar, W, h)  for t in ...:
        W_bar = W_bar + W_bar_1                 ->         ...
                                                           matmul_bar_steps.append(matmul_bar)
                                                           h_steps.append(h)
                                                       W_bar = matmul_lhs_adjoint_sum(matmul_bar_steps, W, h_steps)

Why: the backward loop of `h = tanh(W @ h + ...)` adds one outer product per
step into `W_bar`: a fresh matrix and a pass over it per step, for a product
of rank one. Summed after the loop, sum_t outer(g_t, h_t) is one GEMM over
the stacked steps (G.T @ H), which is what backpropagation through time
written by hand does. The runtime helper takes that path for the plain shapes
(1-D steps, or 2-D steps with a batch axis) and adds the steps one by one
otherwise, so the rewrite is exact for every shape NumPy accepts; only the
order of the floating-point additions changes.

Applies to a value `c` carried by any loop whose next value is `P + X` (or
`X + P`) with `P` its param, where `X` is `matmul_lhs_adjoint(g, a, b)` with `a`
defined outside the loop (or `matmul_rhs_adjoint(g, a, b)` with `b` outside;
the `dot_*` adjoints of np.dot alike), both operations at the top level of
the body (so they run exactly once per iteration, in step), `P` read by that
addition alone and `X` and `P + X` by nothing but the addition and the loop.
The loop stops carrying `c`; a list per appended value (shared by additions
appending the same value) is made before the loop; after it, `c`'s result is
`init + <helper>(...)`, or the helper's value alone when `init` is
`zeros_like` of the fixed operand (the helper gives zeros of that operand's
shape and dtype for a loop that did not run, and promotes as the addition did).

The same holds for a fixed linear map of any other kind: a loop adding `X / c`,
`X * c` or `c * X` into an accumulator, with `c` fixed (defined outside the
loop), adds `X` into a new accumulator `s` (from 0.0) and applies the map once,
after the loop: `init + s / c` (for loops known to run, so the division is one
the iterations made). In the backward loop of a simulation every
division by a parameter (`power * dt / tank_cp / tank_mass`) leaves such an
accumulation for the parameter's adjoint; this takes two operations per step
and division away from each (the factor's rounding is applied once instead of
per step, like the order of the additions above).

The rows of a value read `P[t]` by the loop's target are collected alike: a
backward `range` loop adding `getitem_adjoint(g, P, t)` into an accumulator that
starts as `zeros_like(P)` (with `P` a stack of row products made before the
loop, whose rows are arrays: a vector's elements read one by one are added in
place by scatter_in_place, which costs one element each) appends `g` and, after
it, `rows_of_steps(g_steps, P, start, stop, step)` stacks the steps into the
rows they belong to: one array built from the list where, per step, the
scatter paid a ufunc call into a row (the stacked input projections of an RNN,
optimize/hoist_projections.py). The helper scatters the steps one by one when
they do not fill every row with one value of the row's shape, so it is exact
for every shape (a contribution `unbroadcast(g, y)` of `y = P[t]` is appended
as `g`: the helper sums broadcast axes as the scatter would).

Requires: copy propagation and algebra have run (they reduce the rules'
accumulations to `P + X`). Guarantees: the loop's other values are unchanged;
every value the rewritten operations read is still read (now by an append),
so what the loop records stays consistent; a value kept in a list is read by
that append, so passes that write into buffers whose readers are done
(scatter_in_place, in_place) never write into it. Analyses: read counts (`defuse.reads`).
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from typing import NamedTuple

from .. import runtime
from ..ad import runtime_refs
from ..analysis import defuse
from ..analysis.manager import PassContext
from ..ir.nodes import (
    Callee,
    Carried,
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
    blocks,
)
from ..syntax.naming import Namer
from .licm import invariant, runs_at_least_once

# Per-step adjoint -> (helper summing the steps, position of the operand that must stay fixed).
_BATCHED = {
    runtime.matmul_lhs_adjoint: ("matmul_lhs_adjoint_sum", 1),
    runtime.matmul_rhs_adjoint: ("matmul_rhs_adjoint_sum", 2),
    runtime.dot_lhs_adjoint: ("dot_lhs_adjoint_sum", 1),
    runtime.dot_rhs_adjoint: ("dot_rhs_adjoint_sum", 2),
}
# Helpers whose value is a stack of rows of rank >= 1 (optimize/hoist_projections.py).
_STACKED_ROWS = (runtime.matmul_rows, runtime.rows_matmul, runtime.dot_rows, runtime.rows_dot)
_NEW_LIST = Callee(list, Style.LIST)
_APPEND = Callee(list.append, Style.METHOD, symbol="append")
_ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
_VERSION = re.compile(r"_\d+$")


def transform(fn: Function, cx: PassContext) -> bool:
    namer = cx.namer
    uses = cx.analyses.get(defuse.reads)
    changed = False
    for block in list(blocks(fn.body)):
        for loop in [s for s in block if isinstance(s, Loop)]:
            changed |= _batch(loop, block, uses, namer)
            changed |= _factor(loop, block, uses, namer)
            changed |= _rows(loop, block, uses, namer)
    return changed


def _rows(loop: Loop, block: list[Stmt], uses: Counter, namer: Namer) -> bool:
    """`A = A + getitem_adjoint(g, P, t)` in a backward range loop -> `g` appended, rows stacked after."""
    if loop.kind is not LoopKind.RANGE or loop.sweep is not Sweep.ADJOINT or loop.target is None:
        return False
    top = {s.result: s for s in loop.body if isinstance(s, Op) and s.result is not None}
    # Products whose rows are arrays, made before the loop (a vector's elements read one by one are
    # scatter_in_place's: each is added into one element in place, as by hand).
    stacked = {s.result for s in block[:_index(block, loop)] if isinstance(s, Op)
               and s.callee.style is Style.FUNCTION and s.callee.key in _STACKED_ROWS}
    new_lists: list[Op] = []
    after: list[Op] = []
    for c in list(loop.carried):
        add = top.get(c.next) if isinstance(c.next, Var) else None
        if add is None or add.callee.style is not Style.OPERATOR or add.callee.key is not operator.add \
                or len(add.args) != 2 or c.param not in add.args or uses[c.next] != 1 or uses[c.param] != 1:
            continue
        part = add.args[1] if add.args[0] is c.param else add.args[0]
        scatter = top.get(part) if isinstance(part, Var) else None
        if scatter is None or scatter.callee.style is not Style.FUNCTION \
                or scatter.callee.key is not runtime.getitem_adjoint or len(scatter.args) != 3 or uses[part] != 1:
            continue
        g, rows_of, index = scatter.args
        if not (isinstance(rows_of, Var) and rows_of in stacked and index == Index((loop.target,), False)
                and _is_zeros_of(c.init, rows_of, block, loop)):
            continue
        reduce = top.get(g) if isinstance(g, Var) else None
        if reduce is not None and reduce.callee.key is runtime.unbroadcast and reduce.callee.style is Style.FUNCTION \
                and uses[g] == 1:
            del loop.body[_index(loop.body, reduce)]
            g = reduce.args[0]
        steps = Var(namer.fresh(f"{_VERSION.sub('', g.name) if isinstance(g, Var) else 'step'}_steps"))
        new_lists.append(Op(steps, _NEW_LIST, [], line=loop.line, sweep=loop.sweep))
        loop.body[_index(loop.body, scatter)] = Op(None, _APPEND, [steps, g], line=scatter.line, col=scatter.col,
                                                  sweep=scatter.sweep)
        del loop.body[_index(loop.body, add)]
        loop.carried.remove(c)
        c.result.name = c.param.name
        after.append(Op(c.result, runtime_refs.callee("rows_of_steps"), [steps, rows_of, *loop.iter_args],
                        line=scatter.line, sweep=loop.sweep))
    if not after:
        return False
    at = _index(block, loop)
    block[at + 1:at + 1] = after
    block[at:at] = new_lists
    return True


def _factor(loop: Loop, block: list[Stmt], uses: Counter, namer: Namer) -> bool:
    """`A = A + X / c` in the loop -> `s = s + X` in it and `A = init + s / c` after it.

    Also a chain `A = (A + X1 / c) - X2 / c` of contributions with the same fixed factor.
    Backward loops only: the rewrite rounds (and overflows) otherwise than the loop, which the
    adjoint may, but the user's own loop computes the value f returns.
    """
    if loop.sweep is not Sweep.ADJOINT:
        return False
    if not runs_at_least_once(loop):
        return False  # `init + s / c` after a loop that did not run could divide by a zero it never read
    top = {s.result: s for s in loop.body if isinstance(s, Op) and s.result is not None}
    after: list[Op] = []
    for c in list(loop.carried):
        chain = _chain(c, top, uses)
        if not chain:
            continue
        scales = [top.get(term) if isinstance(term, Var) else None for _, term in chain]
        if any(s is None or uses[t] != 1 or s.callee.style is not Style.OPERATOR or len(s.args) != 2
               for s, (_, t) in zip(scales, chain)):
            continue
        first = scales[0]
        positions = {operator.truediv: (1,), operator.mul: (1, 0)}.get(first.callee.key, ())
        fixed_at = next((i for i in positions if invariant(first.args[i], loop.inner())), None)
        if fixed_at is None or not all(
                s.callee.key is first.callee.key and _same(s.args[fixed_at], first.args[fixed_at]) for s in scales):
            continue
        fixed = first.args[fixed_at]
        name = _VERSION.sub("", c.param.name)
        total = Carried(Const(0.0), Var(namer.fresh(f"{name}_sum")), c.next, Var(namer.fresh(f"{name}_sum")))
        for (add, term), scale in zip(chain, scales):
            add.args = [total.param if a is c.param else scale.args[1 - fixed_at] if a is term else a for a in add.args]
            del loop.body[_index(loop.body, scale)]
        loop.carried[loop.carried.index(c)] = total
        scaled = Var(namer.fresh(f"{name}_total"))
        after.append(Op(scaled, first.callee, [total.result, fixed] if fixed_at == 1 else [fixed, total.result],
                        line=first.line, col=first.col, sweep=first.sweep, rule_division=first.rule_division))
        after.append(Op(c.result, _ADD, [c.init, scaled], line=chain[0][0].line, sweep=first.sweep))
    if not after:
        return False
    at = _index(block, loop)
    block[at + 1:at + 1] = after
    return True


def _chain(c: Carried, top: dict[Var, Op], uses: Counter) -> list[tuple[Op, Operand]]:
    """The additions leading from `c.param` to `c.next` (each read once), with the term each adds."""
    chain: list[tuple[Op, Operand]] = []
    current = c.next
    while current is not c.param:
        add = top.get(current) if isinstance(current, Var) else None
        if add is None or add.callee.style is not Style.OPERATOR or add.callee.key not in (operator.add, operator.sub) \
                or len(add.args) != 2 or uses[current] != 1 or len(chain) > 16:
            return []
        left, right = add.args
        if isinstance(left, Var) and (left is c.param or left in top) and right is not c.param:
            chain.append((add, right))
            current = left
        elif add.callee.key is operator.add and isinstance(right, Var) and (right is c.param or right in top):
            chain.append((add, left))
            current = right
        else:
            return []
    if uses[c.param] != 1:
        return []
    return chain[::-1]


def _same(a: Operand, b: Operand) -> bool:
    return a is b or (isinstance(a, Const) and isinstance(b, Const) and a.value == b.value
                      and type(a.value) is type(b.value))


class _Match(NamedTuple):
    carried: Carried  # the accumulator
    add: Op           # its next value: param + step
    step: Op          # the per-step adjoint


def _batch(loop: Loop, block: list[Stmt], uses: Counter, namer: Namer) -> bool:
    top = {s.result: s for s in loop.body if isinstance(s, Op) and s.result is not None}
    matches = [m for m in (_match(loop, c, uses, top) for c in loop.carried) if m is not None]
    if not matches:
        return False
    lists: dict[Var, Var] = {}   # appended value -> its list (one list per value, appended once per step)
    new_lists: list[Op] = []
    after: list[Op] = []
    for m in matches:
        helper, fixed_at = _BATCHED[m.step.callee.key]
        appended: list[Operand] = []
        appends: list[Op] = []
        for position in (0, 3 - fixed_at):  # g, then the operand that changes from step to step
            value = m.step.args[position]
            if isinstance(value, Var) and value in lists:
                appended.append(lists[value])
                continue
            steps = Var(namer.fresh(f"{_VERSION.sub('', value.name) if isinstance(value, Var) else 'step'}_steps"))
            new_lists.append(Op(steps, _NEW_LIST, [], line=loop.line, sweep=loop.sweep))
            appends.append(Op(None, _APPEND, [steps, value], line=m.step.line, col=m.step.col, sweep=m.step.sweep))
            if isinstance(value, Var):
                lists[value] = steps
            appended.append(steps)
        at = _index(loop.body, m.step)
        loop.body[at:at + 1] = appends
        del loop.body[_index(loop.body, m.add)]
        loop.carried = [c for c in loop.carried if c is not m.carried]
        c = m.carried
        fixed = m.step.args[fixed_at]
        args = [appended[0], fixed, appended[1]] if fixed_at == 1 else [appended[0], appended[1], fixed]
        c.result.name = c.param.name  # the loop no longer has a variable of that name: the result takes it
        if _is_zeros_of(c.init, fixed, block, loop):
            after.append(Op(c.result, runtime_refs.callee(helper), args, line=loop.line, sweep=loop.sweep))
        else:
            total = Var(namer.fresh(f"{c.param.name}_sum"))
            after.append(Op(total, runtime_refs.callee(helper), args, line=loop.line, sweep=loop.sweep))
            after.append(Op(c.result, _ADD, [c.init, total], line=loop.line, sweep=loop.sweep))
    at = _index(block, loop)
    block[at + 1:at + 1] = after
    block[at:at] = new_lists
    return True


def _match(loop: Loop, c: Carried, uses: Counter, top: dict[Var, Op]) -> _Match | None:
    add = top.get(c.next) if isinstance(c.next, Var) else None
    if add is None or add.callee.style is not Style.OPERATOR or add.callee.key is not operator.add \
            or len(add.args) != 2 or add.kwargs or uses[c.next] != 1 or uses[c.param] != 1:
        return None
    if add.args[0] is c.param:
        x = add.args[1]
    elif add.args[1] is c.param:
        x = add.args[0]
    else:
        return None
    step = top.get(x) if isinstance(x, Var) else None
    if step is None or step.callee.style is not Style.FUNCTION or step.callee.key not in _BATCHED \
            or len(step.args) != 3 or step.kwargs or uses[x] != 1:
        return None
    fixed = step.args[_BATCHED[step.callee.key][1]]
    if not isinstance(fixed, Var) or fixed in loop.inner():
        return None
    return _Match(c, add, step)


def _is_zeros_of(init: Operand, fixed: Var, block: list[Stmt], loop: Loop) -> bool:
    """`init` is `zeros_like(fixed)`, made in the loop's block (so it is the value the loop starts from)."""
    maker = next((s for s in block[:_index(block, loop)] if isinstance(s, Op) and s.result is init), None)
    return maker is not None and maker.callee.key is runtime.zeros_like \
        and maker.callee.style is Style.FUNCTION and maker.args == [fixed] and not maker.kwargs


def _index(block: list[Stmt], stmt: Stmt) -> int:
    return next(i for i, s in enumerate(block) if s is stmt)
