"""Peepholes: small rewrites of how the IR is written, decided on the IR as it is printed.

Each looks at a statement and its neighbours and records its decision in `Names` (codegen/
names.py) or returns the operations it covers; codegen/emit.py writes what it decided. They are
decided while printing because each depends on how earlier statements were named (a loop
writes its next value in its carried variable, a branch its value in the `if`'s result).

- `fuse`: a temporary read once is written inside the expression that reads it.
- `packed_push` / `unpacked_pop`: a loop's record is pushed and popped as one tuple statement.
- `writes_in_place`: a loop's next value is computed straight into its carried variable.
"""

from __future__ import annotations

import operator

from ..frontend.resolve import Scope
from ..ir.nodes import Carried, Const, Function, Loop, Op, Operand, Stmt, Style, Sweep, Var, flatten, walk
from ..optimize.purity import is_pure
from .names import Names

_FUSIBLE = (Style.OPERATOR, Style.SUBSCRIPT, Style.FUNCTION)
_PLAIN = (*_FUSIBLE, Style.ATTRIBUTE, Style.COPY, Style.TUPLE)


def fuse(ops: list[Stmt], names: Names) -> None:
    """Write temporaries inside the expression of their only reader, within one source line.

    `sub = T_out_item - T; div_1 = sub / R; T_1 = T + div * (div_1 + h)` reads as the user's
    `T = T + dt / C * ((T_out[t] - T) / R + h)` again, and each name binding it saves is paid
    per iteration in a loop. Only pure operations move, and only past pure operations that
    bind their own names: an effect (a push, a write into an array, a loop) or a rebinding of
    a name (a loop's next value spelled as its parameter) in between could change what the
    moved expression reads. Values named after the user's variables stay, but for a partial
    adjoint read only by the sum that accumulates it (`c_bar = c_bar - a_bar * v`): the sum
    is the adjoint the user looks for. Records each decision in `names.fused`.
    """
    pending: dict[Var, Op] = {}
    popped: set[Var] = set()
    for op in ops:
        if not isinstance(op, Op):
            pending.clear()
            continue
        for v in fusable_reads(op):
            candidate = pending.pop(v, None) if isinstance(v, Var) else None
            if candidate is not None and _joins(candidate, op, names):
                names.fused[v] = candidate
        if op.callee.key is list.pop:
            popped.add(op.result)
        if op.callee.style not in _PLAIN or op.sweep is Sweep.CHECK or not is_pure(op):
            pending.clear()
        elif op.result in names.renamed:  # rebinds a name: what reads it cannot move past
            rebound = names.renamed[op.result]
            pending = {v: c for v, c in pending.items() if rebound not in _spelled_reads(c, names)}
        elif op.result is not None and op.line is not None and names.reads[op.result] == 1 \
                and (op.callee.style in _FUSIBLE or (op.callee.style is Style.COPY and op.result in names.readable)) \
                and not (op.callee.style is Style.SUBSCRIPT and op.args[0] in popped) \
                and not (op.callee.style is Style.FUNCTION and op.callee.ref.scope is Scope.INJECTED):
            pending[op.result] = op  # adtransform's own helpers keep a line each: they are steps to see


def _spelled_reads(op: Op, names: Names) -> set[str]:
    """The names the expression of `op` reads, with the expressions written inside it."""
    out: set[str] = set()
    for v in fusable_reads(op):
        if isinstance(v, Var):
            out |= _spelled_reads(names.fused[v], names) if v in names.fused else {names.var(v)}
    return out


def _joins(candidate: Op, reader: Op, names: Names) -> bool:
    if candidate.sweep is not reader.sweep:
        return False
    if candidate.result not in names.readable:
        return candidate.line == reader.line
    accumulates = reader.callee.style is Style.OPERATOR and reader.callee.key in (operator.add, operator.sub) \
        and reader.result in names.readable
    return accumulates and (candidate.line == reader.line or candidate.callee.style is Style.COPY)


def fusable_reads(op: Op) -> list[Operand]:
    """The operands of `op` that its emitted form spells as expressions (a written array is named)."""
    if op.callee.style is Style.STORE:
        return [op.args[2]]
    if op.callee.style is Style.ADD_INTO:
        return [op.args[1]]
    if op.sweep is Sweep.CHECK:
        return []
    return [v for a in (*op.args, *op.kwargs.values()) for v in flatten(a)]


def record_widths(fn: Function) -> dict[Var, int]:
    """Stacks every push of which is a tuple of a known length (a pop may then be unpacked)."""
    tuples = {s.result: len(s.args) for s in walk(fn.body) if isinstance(s, Op) and s.callee.style is Style.TUPLE}
    widths: dict[Var, int | None] = {}
    for s in walk(fn.body):
        if isinstance(s, Op) and s.callee.key is list.append and s.callee.style is Style.METHOD:
            stack, item = s.args[0], s.args[1] if len(s.args) == 2 else None
            width = tuples.get(item) if isinstance(item, Var) else None
            if isinstance(stack, Var):
                widths[stack] = width if widths.get(stack, width) == width else None
    return {stack: width for stack, width in widths.items() if width is not None}


# A loop's record written as one statement: `stack.append((a, b))` and `a, b = stack.pop()`.
# Why: the tuple built only to be pushed, and a popped tuple read only item by item, cost a
# name binding and one subscript per item every iteration; the packed forms do not.

def packed_push(ops: list[Stmt], at: int, names: Names) -> Op | None:
    """The push of the tuple `ops[at]` builds, when it is the next operation and its only reader."""
    op = ops[at]
    if not isinstance(op, Op) or op.result is None or op.callee.style is not Style.TUPLE \
            or names.reads[op.result] != 1 or at + 1 >= len(ops):
        return None
    push = ops[at + 1]
    if isinstance(push, Op) and push.callee.key is list.append and push.callee.style is Style.METHOD \
            and len(push.args) == 2 and push.args[1] is op.result and push.result is None:
        return push
    return None


def unpacked_pop(ops: list[Stmt], at: int, names: Names) -> list[Op] | None:
    """The reads of each item of the tuple `ops[at]` pops, when they follow it in order and are
    all its readers (every push onto the stack being a tuple of that many items)."""
    op = ops[at]
    if not isinstance(op, Op) or op.result is None or op.callee.style is not Style.METHOD \
            or op.callee.key is not list.pop or len(op.args) != 1:
        return None
    count = names.reads[op.result]
    items = ops[at + 1:at + 1 + count]
    if count < 2 or names.widths.get(op.args[0]) != count or len(items) != count or not all(
            isinstance(s, Op) and s.callee.style is Style.SUBSCRIPT and s.result is not None
            and s.args[0] is op.result and isinstance(s.args[1], Const) and s.args[1].value == i
            for i, s in enumerate(items)):
        return None
    return items


def writes_in_place(loop: Loop, carried: Carried) -> bool:
    """`next` may be computed straight into the param's variable if nothing reads the param afterwards."""
    nxt = carried.next
    position = next((i for i, s in enumerate(loop.body) if isinstance(s, Op) and s.result is nxt), None)
    if position is None:
        return False
    later = [*loop.body[position + 1:]]
    reads = {u for s in later for u in s.uses()}
    reads |= {c.next for c in loop.carried if c is not carried and isinstance(c.next, Var)}
    # A write into the param's buffer (`x[0] = v`) names its new version after the param: reads of
    # that version read the param's variable too.
    spelled_as_param = {carried.param}
    for s in loop.body:
        if isinstance(s, Op) and s.callee.style in (Style.STORE, Style.ADD_INTO) and s.args[0] in spelled_as_param:
            spelled_as_param.add(s.result)
    return not spelled_as_param & reads and nxt not in {c.next for c in loop.carried if c is not carried}
