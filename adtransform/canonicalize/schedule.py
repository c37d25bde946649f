"""The canonicalization passes, in order: the user's gast -> one operation per statement, no jumps.

Every pass is `transform(node: gast.FunctionDef, ctx: Context) -> bool` (True when it changed the
tree); a new one is a module and one line below. The comments give the ordering constraints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import gast

from ..frontend import resolve
from ..frontend.context import Context
from . import (
    aggregates,
    anf,
    appends,
    aug_assign,
    comprehensions,
    conditionals,
    effects,
    iterables,
    loop_exits,
    returns,
    statements,
    unpacking,
)


@dataclass(frozen=True)
class Pass:
    """A pass by its module and function, looked up when it runs (so a test or a tracer may wrap it)."""

    module: ModuleType
    name: str = "transform"

    def __call__(self, node: gast.FunctionDef, ctx: Context) -> bool:
        return getattr(self.module, self.name)(node, ctx)


def refresh_locals(node: gast.FunctionDef, ctx: Context) -> bool:
    """The passes before it add flags and results: the function's local names, again."""
    ctx.locals = resolve.local_names(node)
    return False


PASSES: tuple[Callable[[gast.FunctionDef, Context], bool], ...] = (
    Pass(statements),                 # assert, raise, f-strings -> if and calls
    Pass(comprehensions),             # [f(v) for v in xs] -> a loop appending (before iterables: a `for`)
    Pass(iterables),                  # loops over sequences -> loops over range()
    Pass(returns),                    # one `return`, last; may add `break` to loops
    Pass(loop_exits),                 # after returns: removes every break/continue
    Pass(conditionals),               # a if c else b, and/or, a < b < c -> statements
    refresh_locals,                   # the passes above add flags and results
    Pass(aug_assign),                 # before unpacking: targets become plain names
    Pass(unpacking),                  # before anf: one name per assignment
    Pass(aggregates),                 # after unpacking, iterables, loop_exits: static containers -> variables
    Pass(effects, "transform_writes"),  # before anf: `f(x, out=buf)` -> `buf[...] = f(x)`
    Pass(anf),                        # one operation per statement
    Pass(appends),                    # after anf, before effects: `L.append(v)` -> `L = list_append(L, v)`
    Pass(effects),                    # after anf: calls changing an argument -> new values
)


def canonicalize(node: gast.FunctionDef, ctx: Context) -> bool:
    """Run every pass in order; whether any changed the tree."""
    changed = False
    for p in PASSES:
        changed |= p(node, ctx)
    return changed
