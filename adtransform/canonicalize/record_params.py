"""Structured parameters (pytrees at the API): each leaf becomes a parameter of its own.

`grad(loss, wrt="params")(params, x)` with `params = {"W": W, "b": b}` is transformed, for that
structure, as `loss(params_W, params_b, x)` whose `params` is a record of those parameters
(canonicalize/records.py): `params["W"]` is the parameter `params_W`, `model.W` the parameter `model_W`.
The API flattens the arguments and rebuilds the gradients (runtime/pytrees.py).
"""

from __future__ import annotations

from typing import Any

import gast

from ..runtime.pytrees import Tree
from ..syntax import build
from .record_exprs import Exprs
from .records import Const, Leaf, Record, Value, entry_hint


def bind_parameters(x: Exprs, node: gast.FunctionDef, structured: dict[str, Any]) -> list[gast.stmt]:
    """Replace each structured parameter by its leaves (in order) and bind its name to their record.
    The flattened function is always called with every argument in place: it keeps no defaults."""
    if not structured:
        return []
    params: list[gast.Name] = []
    prologue: list[gast.stmt] = []
    for arg in node.args.args:
        tree = structured.get(arg.id)
        if tree is None:
            params.append(arg)
            continue
        leaves: list[str] = []
        x.env[arg.id] = _record(x, tree, arg.id, leaves, prologue)
        params.extend(build.name(name, "param") for name in leaves)
        x.ctx.leaf_owner.update(dict.fromkeys(leaves, arg.id))
    node.args.args = params
    node.args.defaults = []
    return prologue


def _record(x: Exprs, tree: Tree, hint: str, leaves: list[str], prologue: list[gast.stmt]) -> Value:
    if tree.is_leaf:
        name = x.ctx.namer.fresh(hint)
        leaves.append(name)
        return Leaf(name)
    keys = tree.keys if tree.kind in ("dict", "namedtuple", "object") else range(len(tree.children))
    entries: dict[Any, Value] = {k: _record(x, child, entry_hint(hint, k), leaves, prologue)
                                 for k, child in zip(keys, tree.children)}
    for key, value in tree.statics:  # `self.scale` read from the class: a constant (the cache key has it)
        name = x.ctx.namer.fresh(entry_hint(hint, key))
        prologue.append(build.assign(name, build.constant(value)))
        entries[key] = Leaf(name, Const(value) if not isinstance(value, float) else None)
    kind = "object" if tree.kind == "object" else tree.kind
    return Record(kind, entries, None, tree.cls)
