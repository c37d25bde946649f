"""A callee's comprehensions that call the user's functions become loops before it is spliced.

The pipeline turns the top function's `[neuron(w, x) for w in ws]` into a loop before inlining
(frontend/inline.py's `calls_in_comprehensions`): a call evaluated once per item cannot be hoisted
out of the expression, but a call in a loop's statement is spliced like any other. A function the
top one calls is parsed only when its call is inlined, so the same step runs on its copy then
(`inline(..., prepare=callee_loops)`): its loops' calls are inlined as the caller's are.
"""

from __future__ import annotations

import types

import gast

from ..canonicalize import comprehensions
from ..errors import UnsupportedSyntaxError
from ..frontend import inline, resolve
from ..frontend.context import Context
from ..frontend.resolve import Namespace
from ..frontend.source import SourceInfo
from ..syntax.naming import Namer


def callee_loops(node: gast.FunctionDef, fn: types.FunctionType, info: SourceInfo) -> None:
    """Rewrite, in place, the comprehensions of `fn`'s copy `node` (lines already those of `info`)."""
    namespace = Namespace(fn)
    if not inline.calls_in_comprehensions(node, info, namespace):
        return
    ctx = Context(info, namespace, Namer(resolve.scan_names(node)[1]), resolve.local_names(node))
    comprehensions.transform(node, ctx)
    if ctx.helpers:  # (a builtin the callee shadows, spelled by a name of the caller's: not in its scope)
        name = getattr(next(iter(ctx.helpers.values())), "__name__", "a builtin")
        raise UnsupportedSyntaxError(
            f"{fn.__qualname__} rebinds `{name}`, which turning its comprehension into a loop needs; rename "
            f"that name, or write the loop yourself", info.location(node), f"comprehension in {fn.__qualname__}")
