"""A specialised entry per structure: the per-call cost of container parameters brought to the flat one's.

The generic call (pipeline/pytrees.py `structured_gradient`) binds the arguments, classifies each,
walks the containers to build a key, looks the key up, calls the transform and rebuilds the gradients
by walking the structure again: 5-10 µs a call. For each structure of dicts, lists and tuples seen, this
module writes a small Python function doing only what that structure needs:

    def entry(args):
        if len(args) != 2: return MISS
        params, x = args
        if type(params) is not dict or tuple(params) != KEYS_0: return MISS
        params_W = params['W']
        ...
        if not (type(params_W) is ndarray and params_W.dtype.kind == 'f' or float_leaf(params_W)): return MISS
        if not plain(x): return MISS
        g = generated(params_W, params_b, x)
        return {'W': g[0], 'b': g[1]}

It checks exactly what the generic key distinguishes (container kinds, dict keys in order, lengths,
float or other leaves, functions by identity, plain arguments), so a call it accepts is one the generic
path would send to the same transform; anything else (`MISS`) goes the generic way, which then makes or
finds the variant and its entry. Objects and namedtuples (whose classes may change) keep the generic path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..runtime.pytrees import Tree, is_container, is_float, is_function

MISS: Any = object()  # the entry does not apply: take the generic path


def _float_leaf(value: Any) -> bool:
    return not is_container(value) and not is_function(value) and is_float(value)


def _other_leaf(value: Any) -> bool:
    return not is_container(value) and not is_function(value) and not is_float(value)


def _plain(value: Any) -> bool:
    return type(value) is np.ndarray or type(value) is float or not (is_container(value) or is_function(value))


def make_entry(names: list[str], trees: list[Tree | None], indices: tuple[int, ...], is_tuple: bool,
               mode_name: str, generated: Callable) -> Callable | None:
    """The entry for positional arguments of these structures (None: some structure keeps the generic path);
    `mode_name` "": the arguments are all plain, and `generated` returns what the public function does."""
    if any(t is not None and not _simple(t) for t in trees):
        return None
    lines = ["def entry(args):", f"    if len(args) != {len(trees)}:", "        return MISS"]
    spelled = [f"a{i}" for i in range(len(trees))]
    lines.append(f"    {', '.join(spelled)}{',' if len(spelled) == 1 else ''} = args")
    env: dict[str, Any] = {"MISS": MISS, "ndarray": np.ndarray, "float_leaf": _float_leaf,
                           "other_leaf": _other_leaf, "plain": _plain, "generated": generated}
    flat: list[str] = []
    counter = [0]
    for i, (tree, var) in enumerate(zip(trees, spelled)):
        if tree is None:
            lines += [f"    if not plain({var}):", "        return MISS"]
            flat.append(var)
        elif tree.kind == "function":
            env[f"F{i}"] = tree.cls
            lines += [f"    if {var} is not F{i}:", "        return MISS"]
        else:
            _unpack(tree, var, lines, flat, env, counter)
    call = f"generated({', '.join(flat)})"
    position = iter(range(sum(1 if trees[i] is None else len(list(trees[i].leaves())) for i in indices)))
    grads = [f"g[{next(position)}]" if trees[i] is None else _rebuild(trees[i], position) for i in indices]
    gradient = f"({', '.join(grads)},)" if is_tuple else grads[0]
    if not mode_name:  # arrays and numbers only: `generated` is the gradient as `grad` returns it
        lines.append(f"    return {call}")
    elif mode_name == "GRAD":
        lines += [f"    g = {call}", f"    return {gradient}"]
    elif mode_name == "VALUE_AND_GRAD":
        lines += [f"    value, g = {call}", f"    return value, {gradient}"]
    else:
        lines += [f"    value, inner = {call}", "", "    def pullback(cotangent):", "        g = inner(cotangent)",
                  f"        return {gradient}", "", "    return value, pullback"]
    exec(compile("\n".join(lines) + "\n", "<adtransform: pytree entry>", "exec"), env)
    return env["entry"]


def _simple(tree: Tree) -> bool:
    if tree.is_leaf:
        return True
    return tree.kind in ("dict", "list", "tuple") and tree.cls is None and all(_simple(c) for c in tree.children)


def _unpack(tree: Tree, var: str, lines: list[str], flat: list[str], env: dict[str, Any], counter: list[int]) -> None:
    """Lines checking `var` has the structure `tree` and binding its leaves, in `flatten`'s order."""
    if tree.is_leaf:
        kind = tree.keys[0]
        if kind == "float":
            lines += [f"    if not (type({var}) is ndarray and {var}.dtype.kind == 'f' or float_leaf({var})):",
                      "        return MISS"]
        elif kind == "function":
            counter[0] += 1
            env[f"F_{counter[0]}"] = tree.cls
            lines += [f"    if {var} is not F_{counter[0]}:", "        return MISS"]
        else:
            lines += [f"    if not other_leaf({var}):", "        return MISS"]
        flat.append(var)
        return
    counter[0] += 1
    if tree.kind == "dict":
        keys = f"KEYS_{counter[0]}"
        env[keys] = tree.keys
        lines += [f"    if type({var}) is not dict or tuple({var}) != {keys}:", "        return MISS"]
        items = [f"{var}[{k!r}]" for k in tree.keys]
    else:
        test = f"type({var}) is not {tree.kind} or len({var}) != {len(tree.children)}"
        lines += [f"    if {test}:", "        return MISS"]
        items = [f"{var}[{k}]" for k in range(len(tree.children))]
    for child, item in zip(tree.children, items):
        counter[0] += 1
        name = f"v{counter[0]}"
        lines.append(f"    {name} = {item}")
        _unpack(child, name, lines, flat, env, counter)


def _rebuild(tree: Tree, positions: Any) -> str:
    """The expression building the gradient of `tree` from `g`, whose next entries `positions` gives to its
    float leaves in order (None for the other leaves)."""
    if tree.is_leaf:
        return f"g[{next(positions)}]" if tree.keys == ("float",) else "None"
    parts = [_rebuild(child, positions) for child in tree.children]
    if tree.kind == "dict":
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(tree.keys, parts)) + "}"
    if tree.kind == "list":
        return "[" + ", ".join(parts) + "]"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
