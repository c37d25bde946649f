"""Common subexpression elimination over pure operations.

Requires: nothing. Guarantees: no two pure ops compute the same thing from the
same operands. Why: rules recompute what the primal already has (`np.cos(x)`
in the adjoint of `np.sin(x)` when the user also computed `np.cos(x)`).
"""

from __future__ import annotations

from typing import Any

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


def _reads_global(key: Any) -> bool:
    return isinstance(key, tuple) and (key[:1] == ("global",) or any(_reads_global(k) for k in key))


def transform(fn: Function) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _eliminate(fn.body, {}, mapping)
    if not mapping:
        return False
    fn.returns = [substitute(r, mapping) for r in fn.returns]
    return True


def _eliminate(body: list[Stmt], seen: dict[Any, Var], mapping: dict[Var, Operand]) -> list[Stmt]:
    """`seen` holds what is computed on every path to here; a branch may reuse it, not add to it."""
    kept: list[Stmt] = []
    for stmt in body:
        if may_change_globals(stmt):  # reads of globals before it are not reads after it
            for key in [k for k in seen if _reads_global(k)]:
                del seen[key]
        if isinstance(stmt, (If, Loop)):
            rewrite_region(stmt, mapping, lambda block: _eliminate(block, dict(seen), mapping))
        else:
            stmt.replace_uses(mapping)
            if stmt.result is not None and stmt.callee.style not in (Style.COPY, Style.LIST) and is_pure(stmt):
                key = _op_key(stmt)
                if key in seen:
                    mapping[stmt.result] = seen[key]
                    continue
                seen[key] = stmt.result
        kept.append(stmt)
    return kept
