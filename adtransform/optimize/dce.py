"""Dead code elimination: drop pure operations whose results nobody reads.

Requires: nothing. Guarantees: every remaining pure op's result is used by a
later op or returned; an `if` keeps only the results someone reads and
disappears when nothing in it is needed. Calls of unknown functions stay
(they may print or draw random numbers, as the user's function did).
"""

from __future__ import annotations

from ..ir.nodes import Function, If, Stmt, Var
from .purity import is_pure


def transform(fn: Function) -> bool:
    live: set[Var] = {r for r in fn.returns if isinstance(r, Var)}
    if fn.pullback_param is not None:
        live.add(fn.pullback_param)
    before = _count(fn.body)
    fn.body = _sweep(fn.body, live)
    return _count(fn.body) != before


def _count(body: list[Stmt]) -> int:
    return sum(1 + (_count(s.then_body) + _count(s.else_body) + len(s.results) if isinstance(s, If) else 0)
               for s in body)


def _sweep(body: list[Stmt], live: set[Var]) -> list[Stmt]:
    kept: list[Stmt] = []
    for stmt in reversed(body):
        if isinstance(stmt, If):
            needed = [i for i, r in enumerate(stmt.results) if r in live]
            stmt.results = [stmt.results[i] for i in needed]
            stmt.then_values = [stmt.then_values[i] for i in needed]
            stmt.else_values = [stmt.else_values[i] for i in needed]
            branch_lives = []
            for values, attr in ((stmt.then_values, "then_body"), (stmt.else_values, "else_body")):
                inner = set(live) | {v for v in values if isinstance(v, Var)}
                setattr(stmt, attr, _sweep(getattr(stmt, attr), inner))
                branch_lives.append(inner)
            if not stmt.results and not stmt.then_body and not stmt.else_body:
                continue
            for inner in branch_lives:
                live.update(inner)
            live.update(v for v in [stmt.cond] if isinstance(v, Var))
        else:
            if stmt.result is not None and stmt.result not in live and is_pure(stmt):
                continue
            live.update(stmt.uses())
        kept.append(stmt)
    kept.reverse()
    return kept
