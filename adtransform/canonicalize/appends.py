"""`L.append(v)` -> `L = list_append(L, v)`: the list after the call as a value of its own.

SSA gives a name a new value only where it is assigned; the call would change the list the old
value names. As an assignment, the list with `v` appended is a new value, whose adjoint reverse
mode pops `v`'s from (rules/sequences.py). `list_append` still changes the list it is given (the
effects pass after this one gives it a copy, which optimize/in_place.py drops where the old list
is dead, so appending in a loop copies nothing) and returns it. Only a local name's `append` with
one positional argument is rewritten: `self.items.append(v)` or a global's stays a call.
Requires: anf (the argument is an atom). Before effects.
"""

from __future__ import annotations

import gast

from ..frontend.context import Context
from ..runtime import list_append
from .blocks import rewrite_blocks


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    def rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
        if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)):
            return None
        call = stmt.value
        func = call.func
        if not (isinstance(func, gast.Attribute) and func.attr == "append" and isinstance(func.value, gast.Name)
                and func.value.id in ctx.locals and len(call.args) == 1 and not call.keywords
                and not isinstance(call.args[0], gast.Starred)):
            return None
        name = func.value.id
        helper = gast.Name(ctx.helper_name(list_append), gast.Load(), None, None)
        value = gast.Call(helper, [gast.Name(name, gast.Load(), None, None), call.args[0]], [])
        return [gast.Assign([gast.Name(name, gast.Store(), None, None)], value)]

    return rewrite_blocks(node, rewrite)
