"""Reverse mode for loops: record in the forward sweep, replay backwards.

The forward loop runs as written, plus one push per iteration of exactly the
values its backward sweep reads that a later iteration overwrites (the
to-be-recorded set, analysis/recorded.py), as one tuple on a list.
Loop-invariant values are read where they are; a `range` loop variable is
recomputed by iterating the range reversed; a `while` loop counts its
iterations. The backward loop pops each iteration's tuple and runs the
body's adjoint. Adjoints of carried values are carried backwards, and
adjoints of loop-invariant values accumulate across iterations as carried
values of the backward loop (so `W_bar` starts from zero once, as a person
writing backprop through time would do).
"""

from __future__ import annotations

import operator

from ..analysis.activity import Activity
from ..analysis.effects import shape_only
from ..analysis.recorded import to_be_recorded
from ..ir.nodes import (
    Callee,
    Carried,
    Const,
    If,
    Loop,
    LoopKind,
    Op,
    Operand,
    Stmt,
    Style,
    Sweep,
    Var,
    defined_in,
    substitute,
    walk,
)
from ..ir.operators import INDEX_UPDATE
from .builder import Builder

_ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
_NEW_LIST = Callee(list, Style.LIST)
_APPEND = Callee(list.append, Style.METHOD, symbol="append")
_POP = Callee(list.pop, Style.METHOD, symbol="pop")
_TUPLE = Callee(tuple, Style.TUPLE)
_GETITEM = Callee(operator.getitem, Style.SUBSCRIPT, symbol="[]")


def differentiate_loop(outer: Builder, loop: Loop, active: Activity, container: list[Stmt]) -> None:
    """`container` is the forward block holding `loop`: the list it records on is created there."""
    carried = [c for c in loop.carried if active.is_active(c.param)]
    body = outer.child()
    # Values from outside the loop that receive contributions in every iteration: a value read in
    # the body, or yielded by it as a carried value's next one (`v = np.dot(x, x)` recomputed in
    # the body, which CSE made the value from before the loop). Their adjoints start each
    # backward iteration from what the iterations after it accumulated, never from the adjoint
    # they have after the loop (that is the accumulator's initial value, counted once).
    inner_vars = loop.inner()
    outside = [v for v in dict.fromkeys([*loop.uses(), *(c.next for c in loop.carried)])
               if isinstance(v, Var) and v not in inner_vars and active.is_active(v)]
    accumulators: dict[Var, Carried] = {}
    for v in outside:
        param = Var(outer.namer.fresh(f"{v.name}_bar"))
        accumulators[v] = Carried(outer.adjoints.get(v), param, param, param)
        body.adjoints[v] = param
    # Adjoints flowing into an iteration from the one after it (or from after the loop). Whatever
    # the body yields as the next value (a value of the body, an outer value, a carried param —
    # its own or another's, as in a swap —, a constant), the carried adjoint is added to that
    # value's adjoint, after every accumulator is in place, so no contribution is overwritten.
    backward: list[Carried] = []
    for c in carried:
        param = Var(outer.namer.fresh(f"{c.param.name}_bar"))
        init = outer.adjoints.get(c.result) or outer.zero(c.result)
        backward.append(Carried(init, param, param, param))
        if isinstance(c.next, Var) and active.is_active(c.next):
            body.accumulate(c.next, param, loop.line)
    target = Var(outer.namer.fresh(loop.target.name)) if loop.target is not None else None
    body.sweep(loop.body, active)
    for c, b in zip(carried, backward):
        b.next = body.adjoints.get(c.param) or body.zero(c.param)
    for v, acc in list(accumulators.items()):
        if body.adjoints.get(v) is acc.param:
            del accumulators[v]  # nothing flowed into it
            continue
        acc.next = body.adjoints[v]
        if acc.init is None:
            acc.init = outer.zero(v)
    backward += accumulators.values()
    _check_adjoints_flow(loop, carried, backward, body.ops, active)
    _read_shapes_from_init(loop, body.ops)
    # The to-be-recorded set: what the backward body reads of this iteration's values
    # (inner loops differentiated above have added the lists they record on to the body).
    reads = [v for stmt in body.ops for v in stmt.uses()] + [b.next for b in backward]
    tbr = to_be_recorded(loop, reads, outer.hypothesis.ranks)
    record, shifted, reread = tbr.recorded, tbr.shifted, tbr.reread
    # A value defined inside an `if` of the body leaves it as an extra result (None on the other path),
    # so it can be recorded at the end of the iteration; the backward branch only reads it on its path.
    owners: dict[int, tuple[set[Var], dict[Var, Stmt]]] = {}
    hoisted = {v: _hoist(outer, loop.body, v, owners) for v in record}
    restore = _record(outer, loop, list(dict.fromkeys(hoisted.values())), container)
    mapping: dict[Var, Operand] = {v: restore.mapping[h] for v, h in hoisted.items()}
    if target is not None:
        mapping[loop.target] = target
    rereads = []
    for v, read in reread.items():
        again = Var(outer.namer.fresh(v.name))
        rereads.append(Op(again, read.callee, list(read.args), line=read.line, col=read.col, sweep=Sweep.ADJOINT))
        mapping[v] = again
    for nxt, c in shifted.items():
        # The value leaving iteration t is the one entering iteration t + 1, which the backward loop
        # popped just before: it passes that down, starting from the value after the loop.
        param = Var(outer.namer.fresh(nxt.name))
        backward.append(Carried(c.result, param, mapping[c.param], param))
        mapping[nxt] = param
    for stmt in body.ops:
        stmt.replace_uses(mapping)
    for b in backward:
        b.next = substitute(b.next, mapping)
        b.result = Var(outer.namer.fresh(b.param.name))
    iter_args = loop.iter_args if loop.kind is LoopKind.RANGE else [Const(0), restore.trips, Const(1)]
    for op in rereads:
        op.replace_uses(mapping)
    reverse = Loop(LoopKind.RANGE, iter_args, target, backward, restore.pops + rereads + body.ops,
                   line=loop.line, col=loop.col, sweep=Sweep.ADJOINT)
    outer.ops.append(reverse)
    # Accumulators first: a value both read in the loop and entering it as a carried value
    # (`s = np.mean(x)` before `s = s * 0.5 + np.tanh(np.mean(x))`, once CSE made both `s`)
    # gets the carried value's adjoint added to what the iterations accumulated.
    for v, acc in accumulators.items():
        outer.adjoints[v] = acc.result
        if v in outer.user_vars:
            outer.readable.add(acc.result)
    for c, b in zip(carried, backward):
        if isinstance(c.init, Var) and active.is_active(c.init):
            outer.accumulate(c.init, b.result, loop.line)


def _check_adjoints_flow(loop: Loop, carried: list[Carried], backward: list[Carried], ops: list[Stmt],
                         active: Activity) -> None:
    """Every adjoint a backward iteration receives from the next one must go somewhere: into the
    body's rules or on to the previous iteration. A carried adjoint no one reads is a dropped
    derivative (a silently zero gradient), whatever the body yields: refuse to go on."""
    read = {v for stmt in ops for v in stmt.uses()} | {b.next for b in backward}
    for c, b in zip(carried, backward):
        if active.is_active(c.next) and b.param not in read:
            raise AssertionError(f"internal: the adjoint of {c.param!r} (line {loop.line}) is dropped "
                                 f"by the backward loop")


class _Restore:
    def __init__(self) -> None:
        self.pops: list[Op] = []
        self.mapping: dict[Var, Var] = {}
        self.trips: Operand | None = None


def _record(outer: Builder, loop: Loop, record: list[Var], container: list[Stmt]) -> _Restore:
    """Make the forward loop push `record` each iteration; return the pops for the backward loop."""
    restore = _Restore()
    if loop.kind is LoopKind.WHILE:
        count = Var(outer.namer.fresh("trips"))
        step = Var(outer.namer.fresh("trips"))
        after = Var(outer.namer.fresh("trips"))
        loop.body.append(Op(step, _ADD, [count, Const(1)], line=loop.line, sweep=Sweep.PRIMAL))
        loop.carried.append(Carried(Const(0), count, step, after))
        restore.trips = after
    if not record:
        return restore
    stack = Var(outer.namer.fresh("stack"))
    container.insert(container.index(loop), Op(stack, _NEW_LIST, [], line=loop.line))
    if len(record) == 1:
        pushed: Operand = record[0]
    else:
        pushed = Var(outer.namer.fresh("saved"))
        loop.body.append(Op(pushed, _TUPLE, list(record), line=loop.line))
    loop.body.append(Op(None, _APPEND, [stack, pushed], line=loop.line))
    popped = Var(outer.namer.fresh("saved")) if len(record) > 1 else None
    restored = [Var(outer.namer.fresh(v.name)) for v in record]
    if popped is None:
        restore.pops.append(Op(restored[0], _POP, [stack], line=loop.line, sweep=Sweep.ADJOINT))
    else:
        restore.pops.append(Op(popped, _POP, [stack], line=loop.line, sweep=Sweep.ADJOINT))
        for i, var in enumerate(restored):
            restore.pops.append(Op(var, _GETITEM, [popped, Const(i)], line=loop.line, sweep=Sweep.ADJOINT))
    restore.mapping = dict(zip(record, restored))
    return restore


def _hoist(outer: Builder, body: list[Stmt], var: Var, owners: dict[int, tuple[set[Var], dict[Var, Stmt]]]) -> Var:
    """`var` itself if `body` defines it at its top level, else the result it leaves its `if`s by.

    `owners` caches, per body, what its statements define at the top and which region holds each
    value inside: asked for every recorded value, a walk of the body per value would be quadratic."""
    top, inside = _owners(body, owners)
    if var in top or var not in inside:
        return var
    region = inside[var]
    if isinstance(region, Loop):
        raise AssertionError(f"internal: {var!r} belongs to an inner loop, which records it itself")
    then_top, then_inside = _owners(region.then_body, owners)
    in_then = var in then_top or var in then_inside
    inner = _hoist(outer, region.then_body if in_then else region.else_body, var, owners)
    result = Var(outer.namer.fresh(var.name))
    region.results.append(result)
    region.then_values.append(inner if in_then else Const(None))
    region.else_values.append(Const(None) if in_then else inner)
    return result


def _owners(body: list[Stmt], owners: dict[int, tuple[set[Var], dict[Var, Stmt]]]) -> tuple[set[Var], dict[Var, Stmt]]:
    """What `body`'s statements define at its top level, and the region of it holding each value
    defined deeper (computed once per body)."""
    if id(body) not in owners:
        top = {v for stmt in body for v in stmt.defines()}
        inside: dict[Var, Stmt] = {}
        for stmt in body:
            if isinstance(stmt, (If, Loop)):
                for v in defined_in([stmt]):
                    inside.setdefault(v, stmt)
        owners[id(body)] = (top, inside)
    return owners[id(body)]


def _read_shapes_from_init(loop: Loop, backward: list[Stmt]) -> None:
    """A carried array the body only writes into (`out[i] = v`) keeps the shape and dtype it entered
    with: the backward sweep's shape-only reads of it read the array the loop started from, which is
    there after the loop, instead of a recorded copy per iteration."""
    defined = {s.result: s for s in loop.body if isinstance(s, Op) and s.result is not None}
    steady: dict[Var, Var] = {}
    for c in loop.carried:
        value = c.next
        while value is not c.param and isinstance(value, Var) and value in defined \
                and defined[value].callee.key is INDEX_UPDATE.key:
            value = defined[value].args[0]
        if value is c.param and isinstance(c.init, Var):
            steady[c.param] = c.init
    if not steady:
        return
    for op in walk(backward):
        if isinstance(op, Op):
            for position, arg in enumerate(op.args):
                if isinstance(arg, Var) and arg in steady and shape_only(op, position):
                    op.args[position] = steady[arg]

