"""Def-use chains of an IR function: where each value is defined and every place it is read.

One walk of the function records, for each `Var`, its definition site (an operation, a branch's
merged result, a loop's carried value) and its uses (an operation's argument, a region's own
bookkeeping, the returns), each with the block statement it happens in. The passes used to
rebuild parts of this (a reader count here, a producer map there, a region's operands listed
again in each); they now ask the analysis manager for it (`cx.analyses.get(defuse.analyze)`).

Linear in the size of the function: blocks are walked by direct recursion (no chains of
generators, whose cost grows with the nesting depth).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..ir.nodes import Carried, Function, If, Index, Loop, Op, Stmt, Var, flatten, read_counts, region_operands


@dataclass(slots=True)
class Use:
    stmt: Stmt | None          # the statement of `block` that reads the value (None: the function's returns)
    block: list[Stmt] | None
    op: Op | None              # the operation reading it, when it is one (not a region's bookkeeping)
    position: int              # argument position in `op` (-1 for a region or the returns)


def region_reads(stmt: If | Loop) -> list[Var]:
    """The values among a region's own operands, once per occurrence."""
    return [v for o in region_operands(stmt) for v in flatten(o) if isinstance(v, Var)]


class DefUse:
    """Definitions and uses of every value of one function (see the module docstring)."""

    def __init__(self, fn: Function) -> None:
        self.uses: dict[Var, list[Use]] = {}
        self.reads: Counter[Var] = Counter()                       # len(uses[v]), as `ir.nodes.read_counts`
        self.producers: dict[Var, Stmt] = {}                       # the statement defining a value (op or region)
        self.defined_by: dict[Var, tuple[Op, list[Stmt]]] = {}     # an operation's result -> (op, its block)
        self.carried_by: dict[Var, tuple[Carried, Loop, list[Stmt]]] = {}  # a loop's param -> (carried, loop, block)
        self.loop_results: dict[Var, Carried] = {}                 # a loop's result -> its carried value
        self.merged_by: dict[Var, tuple[If, int]] = {}             # an `if`'s result -> (region, position)
        self.region_results: dict[Var, list[Stmt]] = {}            # a region's result -> the block holding it
        self.targets: dict[Var, Loop] = {}                         # a loop's target -> the loop
        self.parent: dict[int, tuple[If | Loop, list[Stmt]]] = {}  # id(inner block) -> (region, outer block)
        self._index: dict[int, int] = {}                           # id(statement) -> its index in its block
        self._home: dict[int, list[Stmt]] = {}                     # id(region) -> the block holding it
        self._block(fn.body)
        for value in fn.returns:
            for var in flatten(value):
                if isinstance(var, Var):
                    self._add(var, Use(None, None, None, -1))
        self.reads.update({var: len(found) for var, found in self.uses.items()})

    def position(self, stmt: Stmt) -> int:
        """The index of `stmt` in its block (constant time; `reindex` a block after inserting into it)."""
        return self._index[id(stmt)]

    def reindex(self, block: list[Stmt]) -> None:
        for i, stmt in enumerate(block):
            self._index[id(stmt)] = i

    def defined_inside(self, var: Var, region: If | Loop) -> bool:
        """`var` is visible only inside `region`: defined in one of its blocks at any depth, or a param
        or target of it or of a loop in it (for a loop, `var in loop.inner()`, without walking the loop)."""
        if var in self.carried_by:
            _, loop, block = self.carried_by[var]
        elif var in self.targets:
            loop = self.targets[var]
            block = self._home[id(loop)]
        elif var in self.defined_by:
            loop, block = None, self.defined_by[var][1]
        elif var in self.region_results:
            loop, block = None, self.region_results[var]
        else:
            return False  # a parameter of the function
        if loop is region:
            return True
        while id(block) in self.parent:
            outer, block = self.parent[id(block)]
            if outer is region:
                return True
        return False

    def readers(self, var: Var) -> list[Op | None]:
        """The operations reading `var`, each once (None for each region reading it); not the returns."""
        out: list[Op | None] = []
        seen: set[int] = set()
        for use in self.uses.get(var, ()):
            if use.op is None:
                if use.stmt is not None:
                    out.append(None)
            elif id(use.op) not in seen:
                seen.add(id(use.op))
                out.append(use.op)
        return out

    def _add(self, var: Var, use: Use) -> None:
        self.uses.setdefault(var, []).append(use)

    def _block(self, block: list[Stmt]) -> None:
        uses = self.uses
        for i, stmt in enumerate(block):
            self._index[id(stmt)] = i
            if isinstance(stmt, Op):
                if stmt.result is not None:
                    self.defined_by[stmt.result] = (stmt, block)
                    self.producers[stmt.result] = stmt
                for position, arg in enumerate([*stmt.args, *stmt.kwargs.values()] if stmt.kwargs else stmt.args):
                    if isinstance(arg, Var):
                        uses.setdefault(arg, []).append(Use(stmt, block, stmt, position))
                    elif isinstance(arg, Index):
                        for var in flatten(arg):
                            if isinstance(var, Var):
                                uses.setdefault(var, []).append(Use(stmt, block, stmt, position))
                continue
            # A region: its own reads (condition, yields, carried values) may keep a reference.
            self._home[id(stmt)] = block
            use = Use(stmt, block, None, -1)  # (one record for all its reads: nothing changes a Use)
            for var in region_reads(stmt):
                uses.setdefault(var, []).append(use)
            if isinstance(stmt, If):
                for position, result in enumerate(stmt.results):
                    self.merged_by[result] = (stmt, position)
                    self.region_results[result] = block
                    self.producers[result] = stmt
                inner = [stmt.then_body, stmt.else_body]
            else:
                for c in stmt.carried:
                    self.carried_by[c.param] = (c, stmt, block)
                    self.loop_results[c.result] = c
                    self.region_results[c.result] = block
                    self.producers[c.result] = stmt
                if stmt.target is not None:
                    self.targets[stmt.target] = stmt
                inner = [stmt.cond_body, stmt.body]
            for body in inner:
                self.parent[id(body)] = (stmt, block)
                self._block(body)


def reads(fn: Function, analyses: object = None) -> Counter[Var]:
    """How many times each value is read (`DefUse.reads` without the chains: the value-level passes
    of the fixed point need only this, and it is asked for again after every change)."""
    return read_counts(fn)


def analyze(fn: Function, analyses: object = None) -> DefUse:
    """The def-use chains of `fn` (an analysis for `analysis.manager.Analyses`; it needs no other)."""
    return DefUse(fn)
