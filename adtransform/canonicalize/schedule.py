"""The canonicalization passes, in order: the user's gast -> one operation per statement, no jumps.

Every pass is `transform(node: gast.FunctionDef, ctx: Context) -> bool` (True when it changed the
tree); a new one is a module and one line below. The comments give the ordering constraints.
"""

from __future__ import annotations

from collections.abc import Callable

import gast

from ..frontend import resolve
from ..frontend.context import Context
from . import anf, aug_assign, conditionals, effects, iterables, loop_exits, returns, unpacking

Pass = Callable[[gast.FunctionDef, Context], bool]


def refresh_locals(node: gast.FunctionDef, ctx: Context) -> bool:
    """The passes before it add flags and results: the function's local names, again."""
    ctx.locals = resolve.local_names(node)
    return False


PASSES: tuple[Pass, ...] = (
    iterables.transform,          # loops over sequences -> loops over range()
    returns.transform,            # one `return`, last; may add `break` to loops
    loop_exits.transform,         # after returns: removes every break/continue
    conditionals.transform,       # a if c else b, and/or, a < b < c -> statements
    refresh_locals,               # the passes above add flags and results
    aug_assign.transform,         # before unpacking: targets become plain names
    unpacking.transform,          # before anf: one name per assignment
    effects.transform_writes,     # before anf: `f(x, out=buf)` -> `buf[...] = f(x)`
    anf.transform,                # one operation per statement
    effects.transform,            # after anf: calls changing an argument -> new values
)


def canonicalize(node: gast.FunctionDef, ctx: Context) -> bool:
    """Run every pass in order; whether any changed the tree."""
    changed = False
    for p in PASSES:
        changed |= p(node, ctx)
    return changed
