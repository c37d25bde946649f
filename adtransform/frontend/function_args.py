"""Functions passed as arguments (`loss(params, x, act=np.tanh)`): the gradient specialises on them.

The API knows the function at the call (pipeline/pytrees.py keys the transform on its identity, as it
keys a container on its structure), so the parameter is no parameter of the transform: its name means
that very function, as a global bound to it would (an alias of the Namespace, injected into the
generated code). `act(z)` is then compiled as a call of it: a rule for `np.tanh`, the body inlined for a
function of the user's (guarded like any callee: its code, defaults and the names it reads), a located
refusal for a function with no rule. A function never gets a gradient.
"""

from __future__ import annotations

from typing import Any

import gast

from ..errors import UnsupportedSyntaxError
from .resolve import Namespace
from .source import SourceInfo


def bind_functions(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace,
                   functions: dict[str, Any]) -> None:
    """Take the parameters given functions out of `node`'s signature; their names mean those functions."""
    if not functions:
        return
    for child in gast.walk(node):
        if isinstance(child, gast.Name) and child.id in functions and isinstance(child.ctx, (gast.Store, gast.Del)):
            raise UnsupportedSyntaxError(
                f"`{child.id}` is given a function and assigned in the body; use another name for the new value",
                info.location(child), f"assignment of `{child.id}`")
    args = node.args  # (the flattened function is always called with every argument: no defaults)
    args.posonlyargs = [a for a in args.posonlyargs if a.id not in functions]
    args.args = [a for a in args.args if a.id not in functions]
    args.defaults = []
    args.kwonlyargs = [a for a in args.kwonlyargs if a.id not in functions]
    args.kw_defaults = [None] * len(args.kwonlyargs)
    for name, value in functions.items():
        namespace.aliases[name] = value
