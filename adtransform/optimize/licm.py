"""Loop-invariant code motion: pure operations that read nothing the loop changes move before it.

    for i in range(20):                    mass = area * density
        mass = area * density      ->      for i in range(20):
        T = T + p / mass                       T = T + p / mass

Why: users write invariants inside loops (helper formulas inlined in a time
step). Before the loop they run once instead of every iteration; run on the
primal before reverse mode, their values are no longer recorded per
iteration and their adjoints accumulate across the backward loop and flow
back once after it, as in a gradient written by hand.

A carried value that an iteration hands on unchanged (`next` is the param, or a
copy of it) is no value of the loop at all: its uses read the entering value,
and the carried slot goes. Reverse mode makes such values (the adjoint of an
accumulator `cost = cost + ...` is the same in every backward iteration), and
only then do the rules reading them become invariants that move.

A carried value's next value moves like any other (`v = np.dot(x, x)` in the body):
the loop then hands on a value from before it, which reverse mode handles
(ad/loops.py: its adjoint accumulates across the backward loop).

Requires: nothing. Guarantees: in a loop that runs at least once, no pure
top-level operation of the body reads only values defined outside the loop.
Only such loops (`range` with constant bounds and at least one iteration)
lose operations: moved out of a loop that does not run, `1.0 / r` could raise
where the user's code does not. Operations inside branches stay (they may
not run), and so do list displays (a fresh list each iteration); a loop
calling anything with effects (other than its recording stack) keeps all.
"""

from __future__ import annotations

from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, Global, If, Loop, LoopKind, Op, Operand, Stmt, Style, Var, substitute, walk
from .purity import is_pure

# The compiler's own recording stacks: pushing and popping them changes nothing a user value reads.
_STACK_TRAFFIC = (list.append, list.pop)


def transform(fn: Function, cx: PassContext) -> bool:
    mapping: dict[Var, Operand] = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Loop):
            _drop_unchanged(stmt, mapping)
    if mapping:
        _substitute(fn, mapping)
    fn.body, changed, _ = _block(fn.body)
    return changed or bool(mapping)


def _drop_unchanged(loop: Loop, mapping: dict[Var, Operand]) -> None:
    copies = {s.result: s.args[0] for s in loop.body if isinstance(s, Op) and s.callee.style is Style.COPY}
    kept = []
    for c in loop.carried:
        value = c.next
        while isinstance(value, Var) and value in copies and value is not c.param:
            value = copies[value]
        if value is c.param:
            # Every iteration hands on what it got: the param and the result are the entering value.
            mapping[c.param] = mapping[c.result] = c.init
        else:
            kept.append(c)
    loop.carried = kept


def _substitute(fn: Function, mapping: dict[Var, Operand]) -> None:
    # An init may itself be a dropped value of an enclosing loop: resolve chains first.
    for var, value in list(mapping.items()):
        while isinstance(value, Var) and value in mapping:
            value = mapping[value]
        mapping[var] = value
    for stmt in fn.body:
        stmt.replace_uses(mapping)
    fn.returns = [substitute(r, mapping) for r in fn.returns]


def _block(body: list[Stmt]) -> tuple[list[Stmt], bool, bool]:
    """The block with invariants moved out of its loops, whether that changed it, and whether it
    holds a call with effects (found on the way up: no loop walks its contents again)."""
    out: list[Stmt] = []
    changed = effects = False
    for stmt in body:
        if isinstance(stmt, If):
            stmt.then_body, a, then_effects = _block(stmt.then_body)
            stmt.else_body, b, else_effects = _block(stmt.else_body)
            changed |= a or b
            effects |= then_effects or else_effects
        elif isinstance(stmt, Loop):
            # inner loops first: what leaves them may leave this one too
            stmt.body, inner, body_effects = _block(stmt.body)
            hoisted = _hoist(stmt) if runs_at_least_once(stmt) and not body_effects else []
            out += hoisted
            changed |= inner or bool(hoisted)
            effects |= body_effects or _has_effects(stmt.cond_body)
        else:
            effects |= _effect(stmt)
        out.append(stmt)
    return out, changed, effects


def _effect(op: Op) -> bool:
    """A call with effects, which may change what an invariant-looking operation reads."""
    return not is_pure(op) and op.callee.key not in _STACK_TRAFFIC


def _has_effects(body: list[Stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, If):
            if _has_effects(stmt.then_body) or _has_effects(stmt.else_body):
                return True
        elif isinstance(stmt, Loop):
            if _has_effects(stmt.cond_body) or _has_effects(stmt.body):
                return True
        elif _effect(stmt):
            return True
    return False


def invariant(operand: Operand, inner: set[Var]) -> bool:
    """The same value in every iteration of a loop whose values are `inner` (`loop.inner()`):
    a number, a global, or a value made before the loop."""
    if isinstance(operand, Const):
        return type(operand.value) in (int, float)
    return isinstance(operand, Global) or (isinstance(operand, Var) and operand not in inner)


def runs_at_least_once(loop: Loop) -> bool:
    """A `range` loop with constant bounds and at least one iteration."""
    if loop.kind is not LoopKind.RANGE or not all(isinstance(a, Const) for a in loop.iter_args):
        return False
    start, stop, step = (a.value for a in loop.iter_args)
    return all(type(v) is int for v in (start, stop, step)) and step != 0 and len(range(start, stop, step)) > 0


def _hoist(loop: Loop) -> list[Op]:
    """Remove the invariant operations from `loop.body` (which holds no call with effects) and
    return them in their order."""
    changing = {c.param for c in loop.carried} | ({loop.target} if loop.target is not None else set())
    hoisted: list[Op] = []
    kept: list[Stmt] = []
    for stmt in loop.body:
        if isinstance(stmt, Op) and _movable(stmt) and not any(u in changing for u in stmt.uses()):
            hoisted.append(stmt)
            continue
        changing.update(stmt.defines())
        kept.append(stmt)
    loop.body = kept
    return hoisted


def _movable(op: Op) -> bool:
    return op.result is not None and op.callee.style is not Style.LIST and is_pure(op)
