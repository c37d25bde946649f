"""`*args` and `**kwargs` in a call of a function adtransform inlines: spelled out when their length and
keys are known where the call is transformed.

A callee's `*args` parameter is bound to a tuple display of the arguments it collected, and its
`**kwargs` to a dict display (frontend/inline_callee.py `bind`); when the callee never rebinds them,
forwarding them (`h(*args, **kwargs)`) is the call `h(args[0], args[1], scale=kwargs["scale"])`, whose
reads the container passes then resolve. Likewise a display written in place (`f(*[a, b])`,
`f(**{"k": v})`) and a name the function assigns once, a display (`args = (a, b); f(*args)`). Anything
else (`*xs` of a list grown in a loop, `**d` of a dict updated) stays refused, located.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import gast

if TYPE_CHECKING:
    from .inline_callee import State

LITERAL = "literal_binding"  # the attribute marking a binding of `*args` / `**kwargs` the callee never rebinds


def single_displays(node: gast.FunctionDef) -> dict[str, gast.expr]:
    """The names `node` assigns exactly once, a tuple, list or dict display (no `*`, `**`)."""
    counts: dict[str, int] = {}
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
            counts[n.id] = counts.get(n.id, 0) + 1
    found = {}
    for stmt in gast.walk(node):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and counts.get(stmt.targets[0].id) == 1 and _display(stmt.value):
            found[stmt.targets[0].id] = stmt.value
    if not found:
        return found
    touched = _touched(node, set(found))
    return {name: value for name, value in found.items() if name not in touched}


def only_spread_or_read(node: gast.AST, name: str) -> bool:
    """Whether `node` uses `name` only to spread it (`*name`, `**name`) or read an entry (`name[0]`): nothing
    changes the container it holds (no method called on it, no entry set, not passed whole)."""
    return name not in _touched(node, {name})


def _touched(node: gast.AST, names: set[str]) -> set[str]:
    """Those of `names` that `node` uses otherwise than `only_spread_or_read` allows."""
    found = set()
    for parent in gast.walk(node):
        for n in gast.iter_child_nodes(parent):
            if isinstance(n, gast.Name) and n.id in names and isinstance(n.ctx, gast.Load):
                spread = isinstance(parent, gast.Starred) or (isinstance(parent, gast.keyword) and parent.arg is None)
                read = isinstance(parent, gast.Subscript) and parent.value is n and isinstance(parent.ctx, gast.Load)
                if not (spread or read):
                    found.add(n.id)
    return found


def note_binding(state: State, stmt: gast.stmt) -> None:
    """A binding of a callee's `*args` / `**kwargs` it never rebinds: known to calls that forward it."""
    if getattr(stmt, LITERAL, False) and isinstance(stmt, gast.Assign) and _display(stmt.value):
        state.displays[stmt.targets[0].id] = stmt.value


def expand(state: State, call: gast.Call) -> None:
    """Spell out the `*` and `**` arguments of `call` whose length and keys are known (in place)."""
    args: list[gast.expr] = []
    for arg in call.args:
        items = _items(state, arg.value) if isinstance(arg, gast.Starred) else None
        if items is None or isinstance(items, dict):
            args.append(arg)
        else:
            args.extend(items)
    keywords: list[gast.keyword] = []
    for kw in call.keywords:
        items = _items(state, kw.value) if kw.arg is None else None
        if isinstance(items, dict):
            keywords.extend(gast.keyword(arg=k, value=v) for k, v in items.items())
        else:
            keywords.append(kw)
    call.args, call.keywords = args, keywords


def _display(value: gast.expr) -> bool:
    if isinstance(value, (gast.Tuple, gast.List)):
        return not any(isinstance(e, gast.Starred) for e in value.elts)
    return isinstance(value, gast.Dict) and all(isinstance(k, gast.Constant) and isinstance(k.value, str)
                                                for k in value.keys)


def _items(state: State, value: gast.expr) -> list[gast.expr] | dict[str, gast.expr] | None:
    """The elements (a list) or entries (a dict) `value` holds, as expressions to read them."""
    if _display(value):
        if isinstance(value, gast.Dict):
            return {k.value: v for k, v in zip(value.keys, value.values)}
        return list(value.elts)
    if not isinstance(value, gast.Name) or value.id not in state.displays:
        return None
    shown = state.displays[value.id]

    def read(key: object) -> gast.expr:
        return gast.copy_location(gast.Subscript(value=copy.deepcopy(value), slice=gast.Constant(key, None),
                                                 ctx=gast.Load()), value)

    if isinstance(shown, gast.Dict):
        return {k.value: read(k.value) for k in shown.keys}
    return [read(i) for i in range(len(shown.elts))]
