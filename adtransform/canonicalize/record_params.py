"""Structured parameters (pytrees at the API): each leaf becomes a parameter of its own.

`grad(loss, wrt="params")(params, x)` with `params = {"W": W, "b": b}` is transformed, for that
structure, as `loss(params_W, params_b, x)` whose `params` is a record of those parameters
(canonicalize/records.py): `params["W"]` is the parameter `params_W`, `model.W` the parameter `model_W`.
The API flattens the arguments and rebuilds the gradients (runtime/pytrees.py).
"""

from __future__ import annotations

from typing import Any

import gast
import numpy as np

from ..runtime.pytrees import Tree
from ..syntax import build
from .record_exprs import Exprs
from .records import Const, Leaf, Record, Value, entry_hint

# The key of `structured` giving the structure of a function's output, for the vector-Jacobian product
# of a function returning a tuple, list or dict: the transform's return becomes the scalar
# sum of np.sum(cotangent_leaf * output_leaf), whose gradient is that product.
COTANGENT = "<cotangent>"


def bind_parameters(x: Exprs, node: gast.FunctionDef, structured: dict[str, Any]) -> list[gast.stmt]:
    """Replace each structured parameter by its leaves (in order) and bind its name to their record.
    The flattened function is always called with every argument in place: it keeps no defaults."""
    structured = {k: v for k, v in structured.items() if k != COTANGENT}
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
        x.env[arg.id] = _record(x, tree, arg.id, leaves, prologue, arg.id)
        params.extend(build.name(name, "param") for name in leaves)
        x.ctx.leaf_owner.update(dict.fromkeys(leaves, arg.id))
    node.args.args = params
    node.args.defaults = []
    return prologue


def _record(x: Exprs, tree: Tree, hint: str, leaves: list[str], prologue: list[gast.stmt], spelled: str) -> Value:
    """`spelled`: how the user reads this part of the parameter (`P["a"]`, `model.W`), for messages."""
    if tree.is_leaf:
        name = x.ctx.namer.fresh(hint)
        leaves.append(name)
        x.ctx.spellings[name] = spelled
        return Leaf(name)
    keys = tree.keys if tree.kind in ("dict", "namedtuple", "object") else range(len(tree.children))
    entries: dict[Any, Value] = {
        k: _record(x, child, entry_hint(hint, k), leaves, prologue,
                   f"{spelled}.{k}" if tree.kind in ("namedtuple", "object") else f"{spelled}[{k!r}]")
        for k, child in zip(keys, tree.children)}
    for key, value in tree.statics:  # `self.scale` read from the class: a constant (the cache key has it)
        name = x.ctx.namer.fresh(entry_hint(hint, key))
        prologue.append(build.assign(name, build.constant(value)))
        entries[key] = Leaf(name, Const(value) if not isinstance(value, float) else None)
    kind = "object" if tree.kind == "object" else tree.kind
    return Record(kind, entries, None, tree.cls)


def contract(x: Exprs, node: gast.FunctionDef, value: gast.expr, tree: Tree, at: gast.stmt) -> gast.expr:
    """The returned `value` (a container of the structure `tree`) paired with one new parameter per float
    leaf: `np.sum(cotangent_0 * out_0) + ...`."""
    out = x.value(value, "out")
    pairs: list[tuple[str, gast.expr]] = []
    _pair(x, out, tree, "cotangent", pairs, at)
    total: gast.expr | None = None
    name = x.ctx.namer.fresh("sum")
    x.ctx.helpers[name] = np.sum
    for ct, leaf in pairs:
        node.args.args.append(build.name(ct, "param"))
        term = build.call(build.name(name), [build.binop("*", build.name(ct), leaf)])
        total = term if total is None else build.binop("+", total, term)
    return total if total is not None else build.constant(0.0)


def _pair(x: Exprs, out: Record | gast.expr | Value, tree: Tree, hint: str, pairs: list, at: gast.stmt) -> None:
    if tree.is_leaf:
        if isinstance(out, Record):
            raise x.refuse(at, "returned value", "the function returned a container where it returned a value before")
        expr = out if isinstance(out, gast.expr) else x.read_value(out)
        if tree.keys == ("float",):
            pairs.append((x.ctx.namer.fresh(hint), expr))
        return
    keys = tree.keys if tree.kind in ("dict", "namedtuple", "object") else list(range(len(tree.children)))
    if isinstance(out, gast.expr) and tree.kind in ("list", "tuple", "namedtuple"):
        # a run-time list or tuple (grown in a loop, or a primitive's tuple: `return np.linalg.eigh(A)`): of
        # this structure at this call (the API ran the function on these arguments): items read by position
        var = x.ctx.namer.fresh(hint)
        x.before.append(gast.copy_location(build.assign(var, out), at))
        for position, (key, child) in enumerate(zip(keys, tree.children)):
            item = gast.Subscript(value=build.name(var), slice=build.constant(position), ctx=gast.Load())
            _pair(x, item, child, entry_hint(hint, key), pairs, at)
        return
    if not isinstance(out, Record) or list(out.entries) != list(keys):
        raise x.refuse(at, "returned container", "a function whose vjp is asked returns a tuple, list, dict or "
                                                 "namedtuple of known structure (the same at every call)")
    for key, child in zip(keys, tree.children):
        _pair(x, x.read_value(out.entries[key]), child, entry_hint(hint, key), pairs, at)
