"""Dead code elimination: drop pure operations whose results nobody reads.

Requires: nothing. Guarantees: every remaining pure op's result is used by a
later op or returned; an `if` keeps only the results someone reads, a loop
only the carried values someone reads (after the loop, or in a later
iteration), and either disappears when nothing in it is needed. Calls of
unknown functions stay (they may print or draw random numbers, as the
user's function did).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..analysis.manager import PassContext
from ..ir.nodes import Function, If, Loop, Stmt, Var
from .purity import is_pure


def transform(fn: Function, cx: PassContext) -> bool:
    live = _Live({r for r in fn.returns if isinstance(r, Var)})
    if fn.pullback_param is not None:
        live.add(fn.pullback_param)
    before = _count(fn.body)
    fn.body = _sweep(fn.body, live, mutate=True)
    return _count(fn.body) != before


class _Live:
    """The values read later, with a journal of additions: a round of a loop's fixed point works on
    the one set and takes back what it added (no copy of the set per round)."""

    def __init__(self, initial: set[Var]) -> None:
        self.vars = set(initial)
        self._added: list[Var] = []

    def __contains__(self, var: object) -> bool:
        return var in self.vars

    def add(self, var: Var) -> None:
        if var not in self.vars:
            self.vars.add(var)
            self._added.append(var)

    def update(self, values: Iterable[object]) -> None:
        for var in values:
            self.add(var)  # type: ignore[arg-type]

    def mark(self) -> int:
        return len(self._added)

    def rollback(self, mark: int) -> list[Var]:
        """Take back what was added since `mark`; returns it."""
        undone = self._added[mark:]
        del self._added[mark:]
        self.vars.difference_update(undone)
        return undone


def _count(body: list[Stmt]) -> int:
    total = 0
    for s in body:
        total += 1
        if isinstance(s, If):
            total += _count(s.then_body) + _count(s.else_body) + len(s.results)
        elif isinstance(s, Loop):
            total += _count(s.cond_body) + _count(s.body) + len(s.carried)
    return total


def _sweep(body: list[Stmt], live: _Live, mutate: bool) -> list[Stmt]:
    """Walk backwards adding what is read to `live`; with `mutate`, drop what is dead."""
    kept: list[Stmt] = []
    for stmt in reversed(body):
        if isinstance(stmt, If):
            if not _branch(stmt, live, mutate):
                continue
        elif isinstance(stmt, Loop):
            if not _loop(stmt, live, mutate):
                continue
        else:
            if stmt.result is not None and stmt.result not in live and is_pure(stmt):
                continue
            live.update(stmt.uses())
        kept.append(stmt)
    kept.reverse()
    return kept if mutate else body


def _branch(stmt: If, live: _Live, mutate: bool) -> bool:
    # Both branches add to the one set: a branch's values are visible in that branch alone (and in
    # its mirror's same branch), so what one branch reads never makes the other's values live.
    needed = [i for i, r in enumerate(stmt.results) if r in live]
    for values, attr in ((stmt.then_values, "then_body"), (stmt.else_values, "else_body")):
        live.update(values[i] for i in needed if isinstance(values[i], Var))
        new = _sweep(getattr(stmt, attr), live, mutate)
        if mutate:
            setattr(stmt, attr, new)
    if mutate:
        stmt.results = [stmt.results[i] for i in needed]
        stmt.then_values = [stmt.then_values[i] for i in needed]
        stmt.else_values = [stmt.else_values[i] for i in needed]
        if not stmt.results and not stmt.then_body and not stmt.else_body:
            return False  # (nothing was kept, so nothing in it was read)
    if isinstance(stmt.cond, Var):
        live.add(stmt.cond)
    return True


def _loop(stmt: Loop, live: _Live, mutate: bool) -> bool:
    # Fixed point: a carried value is needed if read after the loop or by a needed part of an iteration.
    needed = {id(c) for c in stmt.carried if c.result in live}
    mark = live.mark()
    while True:
        live.update(c.next for c in stmt.carried if id(c) in needed and isinstance(c.next, Var))
        if isinstance(stmt.cond, Var):
            live.add(stmt.cond)
        _sweep(stmt.body, live, mutate=False)
        _sweep(stmt.cond_body, live, mutate=False)
        more = {id(c) for c in stmt.carried if c.param in live} - needed
        if not more:
            break
        needed |= more
        live.rollback(mark)
    if mutate:
        live.rollback(mark)
        stmt.carried = [c for c in stmt.carried if id(c) in needed]
        live.update(c.next for c in stmt.carried if isinstance(c.next, Var))
        if isinstance(stmt.cond, Var):
            live.add(stmt.cond)
        stmt.body = _sweep(stmt.body, live, mutate=True)
        stmt.cond_body = _sweep(stmt.cond_body, live, mutate=True)
        if not stmt.carried and not stmt.body and not stmt.cond_body and stmt.kind.name == "RANGE":
            live.rollback(mark)
            return False
    live.update(v for v in stmt.iter_args if isinstance(v, Var))
    live.update(c.init for c in stmt.carried if isinstance(c.init, Var))
    return True
