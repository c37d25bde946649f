"""Dead code elimination: drop pure operations whose results nobody reads.

Requires: nothing. Guarantees: every remaining pure op's result is used by a
later op or returned; an `if` keeps only the results someone reads, a loop
only the carried values someone reads (after the loop, or in a later
iteration), and either disappears when nothing in it is needed. Calls of
unknown functions stay (they may print or draw random numbers, as the
user's function did).
"""

from __future__ import annotations

from ..analysis.manager import PassContext
from ..ir.nodes import Function, If, Loop, Stmt, Var
from .purity import is_pure


def transform(fn: Function, cx: PassContext) -> bool:
    live: set[Var] = {r for r in fn.returns if isinstance(r, Var)}
    if fn.pullback_param is not None:
        live.add(fn.pullback_param)
    before = _count(fn.body)
    fn.body = _Sweep(live).block(fn.body, mutate=True)
    return _count(fn.body) != before


def _count(body: list[Stmt]) -> int:
    total = 0
    for s in body:
        total += 1
        if isinstance(s, If):
            total += _count(s.then_body) + _count(s.else_body) + len(s.results)
        elif isinstance(s, Loop):
            total += _count(s.cond_body) + _count(s.body) + len(s.carried)
    return total


class _Sweep:
    """Liveness, backwards, in one set that only grows.

    SSA scoping keeps this exact: a value defined in a branch is read only in that branch (and in
    its mirror's same branch), one defined in a loop only in that loop, so what one region reads
    never makes another's values live, and a round of a loop's fixed point only adds to the last.
    A loop's body is swept again only when more of its carried values are needed than at its last
    sweep (its reads are in the set already otherwise): nested loops cost their size, not a power
    of their depth."""

    def __init__(self, live: set[Var]) -> None:
        self.live = live
        self.swept: dict[int, frozenset[int]] = {}  # id(loop) -> the carried values needed when last swept

    def block(self, body: list[Stmt], mutate: bool) -> list[Stmt]:
        """Walk backwards adding what is read to `live`; with `mutate`, drop what is dead."""
        live = self.live
        kept: list[Stmt] = []
        for stmt in reversed(body):
            if isinstance(stmt, If):
                if not self.branch(stmt, mutate):
                    continue
            elif isinstance(stmt, Loop):
                if not self.loop(stmt, mutate):
                    continue
            else:
                if stmt.result is not None and stmt.result not in live and is_pure(stmt):
                    continue
                live.update(stmt.uses())
            kept.append(stmt)
        kept.reverse()
        return kept if mutate else body

    def branch(self, stmt: If, mutate: bool) -> bool:
        live = self.live
        needed = [i for i, r in enumerate(stmt.results) if r in live]
        for values, attr in ((stmt.then_values, "then_body"), (stmt.else_values, "else_body")):
            live.update(values[i] for i in needed if isinstance(values[i], Var))
            new = self.block(getattr(stmt, attr), mutate)
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

    def loop(self, stmt: Loop, mutate: bool) -> bool:
        live = self.live
        # Fixed point: a carried value is needed if read after the loop or by a needed part of an iteration.
        needed = {id(c) for c in stmt.carried if c.result in live}
        while True:
            if self.swept.get(id(stmt)) != needed:
                live.update(c.next for c in stmt.carried if id(c) in needed and isinstance(c.next, Var))
                if isinstance(stmt.cond, Var):
                    live.add(stmt.cond)
                self.block(stmt.body, mutate=False)
                self.block(stmt.cond_body, mutate=False)
                self.swept[id(stmt)] = frozenset(needed)
            more = {id(c) for c in stmt.carried if c.param in live} - needed
            if not more:
                break
            needed |= more
        if mutate:
            stmt.carried = [c for c in stmt.carried if id(c) in needed]
            stmt.body = self.block(stmt.body, mutate=True)
            stmt.cond_body = self.block(stmt.cond_body, mutate=True)
            if not stmt.carried and not stmt.body and not stmt.cond_body and stmt.kind.name == "RANGE":
                return False
        live.update(v for v in stmt.iter_args if isinstance(v, Var))
        live.update(c.init for c in stmt.carried if isinstance(c.init, Var))
        return True
