"""Common subexpression elimination over pure operations.

Requires: nothing. Guarantees: no two pure ops compute the same thing from the
same operands. Why: rules recompute what the primal already has (`np.cos(x)`
in the adjoint of `np.sin(x)` when the user also computed `np.cos(x)`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..analysis.manager import PassContext
from ..ir.nodes import (
    Const,
    Function,
    Global,
    If,
    Index,
    Loop,
    Op,
    Operand,
    SliceItem,
    Stmt,
    Style,
    Var,
    rewrite_region,
    substitute,
)
from .purity import is_pure, may_change_globals


def _key(operand: Any) -> Any:
    if isinstance(operand, Var):
        return ("var", id(operand))
    if isinstance(operand, Const):
        return ("const", type(operand.value).__name__, repr(operand.value))
    if isinstance(operand, Global):
        return ("global", operand.ref.spelling, operand.ref.scope)
    if isinstance(operand, Index):
        return ("index", operand.is_tuple, tuple(_key(i) for i in operand.items))
    if isinstance(operand, SliceItem):
        return ("slice", _key(operand.lower), _key(operand.upper), _key(operand.step))
    return ("none",)


def _op_key(op: Op) -> Any:
    callee = op.callee
    return (id(callee.key), callee.style, callee.symbol,
            callee.ref.spelling if callee.ref else None,
            tuple(_key(a) for a in op.args), tuple((k, _key(v)) for k, v in op.kwargs.items()))


def transform(fn: Function, cx: PassContext) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _eliminate(fn.body, _Seen(_changing_globals(fn.body)), mapping)
    if not mapping:
        return False
    fn.returns = [substitute(r, mapping) for r in fn.returns]
    return True


class _Seen:
    """What is computed on every path to here: a key -> the value computing it, scoped by block.

    Entering a block opens a scope; leaving it undoes what the block added (a branch may reuse what
    is computed before it, not add to it), in time proportional to what it added: no block copies
    the table. A statement that may change globals starts a new era; an entry reading a global is
    valid only in the era it was made in (the reads before such a statement are not reads after it).
    """

    def __init__(self, changing: set[int]) -> None:
        self.changing = changing                      # id() of the statements that may change globals
        self.table: dict[Any, Var] = {}
        self.era_of: dict[Any, int] = {}              # a key reading a global -> the era it was made in
        self.undo: list[tuple[Any, Var | None, int | None]] = []  # (kept only inside a block: `scope`)
        self.depth = 0
        self.era = 0
        self._eras = 0

    def globals_may_change(self) -> None:
        self._eras += 1
        self.era = self._eras

    def scope(self, rewrite: Callable[[], list[Stmt]]) -> list[Stmt]:
        mark, era = len(self.undo), self.era
        self.depth += 1
        out = rewrite()
        self.depth -= 1
        while len(self.undo) > mark:
            key, var, made = self.undo.pop()
            if var is None:
                del self.table[key]
            else:
                self.table[key] = var
            if made is not None:
                self.era_of[key] = made
        self.era = era
        return out


def _changing_globals(body: list[Stmt]) -> set[int]:
    """The statements (operations and regions holding one) that may change memory a global refers
    to, in one walk (a region asking its contents again would cost its depth times its size)."""
    out: set[int] = set()

    def visit(block: list[Stmt]) -> bool:
        any_here = False
        for stmt in block:
            if isinstance(stmt, If):
                inner = visit(stmt.then_body) | visit(stmt.else_body)
            elif isinstance(stmt, Loop):
                inner = visit(stmt.cond_body) | visit(stmt.body)
            else:
                inner = may_change_globals(stmt)
            if inner:
                out.add(id(stmt))
                any_here = True
        return any_here

    visit(body)
    return out


def _eliminate(body: list[Stmt], seen: _Seen, mapping: dict[Var, Operand]) -> list[Stmt]:
    kept: list[Stmt] = []
    table, era_of = seen.table, seen.era_of
    for stmt in body:
        if id(stmt) in seen.changing:  # reads of globals before it are not reads after it
            seen.globals_may_change()
        if isinstance(stmt, (If, Loop)):
            rewrite_region(stmt, mapping, lambda block: seen.scope(lambda: _eliminate(block, seen, mapping)))
            kept.append(stmt)
            continue
        stmt.replace_uses(mapping)
        if stmt.result is not None and stmt.callee.style not in (Style.COPY, Style.LIST) and is_pure(stmt):
            key = _op_key(stmt)
            known = table.get(key)
            # (an entry reading a global counts only in the era it was made in)
            if known is not None and (not era_of or era_of.get(key, seen.era) == seen.era):
                mapping[stmt.result] = known
                continue
            if seen.depth:
                seen.undo.append((key, known, era_of.get(key)))
            table[key] = stmt.result
            if seen.changing and any(isinstance(o, Global) for o in stmt.operands()):
                era_of[key] = seen.era
        kept.append(stmt)
    return kept
