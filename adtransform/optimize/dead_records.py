"""Stop recording values the backward sweep no longer reads.

    saved = (s_1, x_item)                 stack.append(s_1)
    stack.append(saved)          ->       ...
    ...                                   s_4 = stack.pop()
    saved_1 = stack.pop()
    s_4 = saved_1[0]

Why: reverse mode decides what a loop records from the backward sweep as
first built; the optimizer then removes reads (an unbroadcast folded into a
scatter, a simplified rule), and DCE drops the pops' unpacking but cannot
touch the pushes, which are effects. Here a recording stack (one list, one
push per forward iteration, one pop per backward iteration) loses the
entries nobody unpacks: a tuple of one entry becomes the entry itself, and a
stack whose entries are all dead disappears with its push and its pop.

Requires: DCE has removed unused unpacking. Guarantees: every recorded entry is read.
Analyses: def-use (who reads each stack, each pop, each pushed tuple).
"""

from __future__ import annotations

import operator

from ..analysis import defuse
from ..analysis.defuse import DefUse
from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, If, Loop, Op, Stmt, Style, Var


def transform(fn: Function, cx: PassContext) -> bool:
    du = cx.analyses.get(defuse.analyze)
    drop: set[int] = set()
    changed = False
    stacks = [v for v, (op, _) in du.defined_by.items() if op.callee.style is Style.LIST and not op.args]
    for stack in stacks:
        users = du.readers(stack)  # (each reading operation once; None for each region reading it)
        pushes = [u for u in users if u is not None and u.callee.key is list.append]
        pops = [u for u in users if u is not None and u.callee.key is list.pop]
        if len(users) != 2 or len(pushes) != 1 or len(pops) != 1 or fn.returns.count(stack):
            continue
        push, pop = pushes[0], pops[0]
        changed |= _prune(push, pop, du, drop)
    if drop:
        fn.body = _without(fn.body, drop)
    return changed


def _prune(push: Op, pop: Op, du: DefUse, drop: set[int]) -> bool:
    pushed, popped = push.args[1], pop.result
    unpack = du.readers(popped) if popped is not None else []
    if not unpack:
        drop.update((id(push), id(pop)))
        return True
    packed = du.producers.get(pushed) if isinstance(pushed, Var) else None
    if not isinstance(packed, Op) or packed.callee.style is not Style.TUPLE or len(du.readers(pushed)) != 1:
        return False
    if not all(u is not None and u.callee.key is operator.getitem and isinstance(u.args[1], Const)
               and u.args[0] is popped for u in unpack):
        return False
    live = sorted({u.args[1].value for u in unpack})
    if len(live) == len(packed.args):
        return False
    if len(live) == 1:
        # One entry left: push it as it is, pop straight into the value that unpacked it.
        if len(unpack) != 1:
            return False
        (reader,) = unpack
        push.args = [push.args[0], packed.args[live[0]]]
        pop.result = reader.result
        drop.add(id(reader))
        return True
    position = {old: new for new, old in enumerate(live)}
    packed.args = [packed.args[i] for i in live]
    for u in unpack:
        u.args = [u.args[0], Const(position[u.args[1].value])]
    return True


def _without(body: list[Stmt], drop: set[int]) -> list[Stmt]:
    out: list[Stmt] = []
    for s in body:
        if id(s) in drop:
            continue
        if isinstance(s, If):
            s.then_body, s.else_body = _without(s.then_body, drop), _without(s.else_body, drop)
        elif isinstance(s, Loop):
            s.cond_body, s.body = _without(s.cond_body, drop), _without(s.body, drop)
        out.append(s)
    return out
