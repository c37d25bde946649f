"""Helpers shared by the passes that remove jumps (returns, loop_exits).

Why: both replace a jump (`return`, `break`, `continue`) by setting a flag
and guarding what follows. The same questions come up in each — does this
block always jump, may it jump, is the flag ever read — and the same tidying:
never emit an empty `if` body, drop a flag nobody reads.
"""

from __future__ import annotations

import gast

from ..syntax import build

_LOOPS = (gast.For, gast.While)


def always_jumps(stmts: list[gast.stmt], kinds: tuple[type, ...]) -> bool:
    """Every path through `stmts` reaches a statement of `kinds` (loops are assumed to fall through)."""
    for stmt in stmts:
        if isinstance(stmt, kinds):
            return True
        if isinstance(stmt, gast.If) and always_jumps(stmt.body, kinds) and always_jumps(stmt.orelse, kinds):
            return True
    return False


def move_rest(stmt: gast.If, rest: list[gast.stmt], kinds: tuple[type, ...]) -> bool:
    """If a branch of `stmt` always jumps, `rest` can only follow the other one: move it there.

    Returns whether it moved (when both branches jump, `rest` is dead and dropped).
    This is what turns guard clauses into `if/elif/else` without a flag.
    """
    body_jumps, orelse_jumps = always_jumps(stmt.body, kinds), always_jumps(stmt.orelse, kinds)
    if body_jumps and not orelse_jumps:
        stmt.orelse = stmt.orelse + rest
    elif orelse_jumps and not body_jumps:
        stmt.body = stmt.body + rest
    return body_jumps or orelse_jumps


def contains(node: gast.AST | list[gast.stmt], kinds: tuple[type, ...]) -> bool:
    """Some statement of `kinds` appears anywhere in `node` (loop bodies included)."""
    nodes = node if isinstance(node, list) else [node]
    return any(isinstance(n, kinds) for stmt in nodes for n in gast.walk(stmt))


def reads(stmts: list[gast.stmt], name: str) -> bool:
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)
               for stmt in stmts for n in gast.walk(stmt))


def mentions(nodes: list[gast.AST], name: str) -> bool:
    return any(isinstance(n, gast.Name) and n.id == name for node in nodes for n in gast.walk(node))


def not_(name: str) -> gast.expr:
    return build.unaryop("not", build.name(name))


def make_if(test: gast.expr, body: list[gast.stmt], orelse: list[gast.stmt],
            like: gast.AST | None = None) -> list[gast.stmt]:
    """`if test: body else: orelse` as a statement list, never with an empty body.

    An empty body flips the test (`if not test: orelse`); with both branches
    empty the `if` disappears unless its test calls something.
    """
    if not body and not orelse:
        if not any(isinstance(n, gast.Call) for n in gast.walk(test)):
            return []
        body = [build.pass_()]
    elif not body:
        test, body, orelse = _negate(test), orelse, []
    node = build.if_else(test, body, orelse)
    return [gast.copy_location(node, like) if like is not None else node]


def _negate(test: gast.expr) -> gast.expr:
    # Only the truth value of a test matters, so `not not x` may become `x`.
    if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return test.operand
    return build.unaryop("not", test)


def drop_flag(stmts: list[gast.stmt], flag: str) -> list[gast.stmt]:
    """Remove every assignment to `flag` (which nobody reads), tidying the blocks that empties."""
    return _prune(stmts, flag, live=False, everywhere=True)[0]


def drop_dead_sets(stmts: list[gast.stmt], flag: str, live_after: bool) -> list[gast.stmt]:
    """Remove the assignments to `flag` that no later test can read.

    A backward pass over the blocks (`live_after`: whether the flag is read after
    `stmts`). Loops are kept whole: a conservative answer needs no fixed point.
    """
    return _prune(stmts, flag, live_after, everywhere=False)[0]


def _prune(stmts: list[gast.stmt], flag: str, live: bool, everywhere: bool) -> tuple[list[gast.stmt], bool]:
    """(`stmts` without dead assignments to `flag`, whether the flag is read on entry)."""
    out: list[gast.stmt] = []
    for stmt in reversed(stmts):
        if isinstance(stmt, gast.Assign) and _assigns(stmt, flag):
            if live and not everywhere:
                out.append(stmt)
            live = False
        elif isinstance(stmt, gast.If):
            body, live_body = _prune(stmt.body, flag, live, everywhere)
            orelse, live_orelse = _prune(stmt.orelse, flag, live, everywhere)
            out.extend(reversed(make_if(stmt.test, body, orelse, like=stmt)))
            live = live_body or live_orelse or reads([stmt.test], flag)
        else:
            if everywhere and isinstance(stmt, _LOOPS):
                stmt.body = _prune(stmt.body, flag, False, everywhere)[0] or [build.pass_()]
                stmt.orelse = _prune(stmt.orelse, flag, False, everywhere)[0]
            out.append(stmt)
            live = live or reads([stmt], flag)
    out.reverse()
    return out, live


def _assigns(stmt: gast.Assign, name: str) -> bool:
    return len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == name
