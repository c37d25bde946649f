"""Run one canonicalization pass on source text (for docstring examples and tests)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import gast

from ..frontend.context import Context
from ..frontend.resolve import Namespace, local_names
from ..frontend.source import SourceInfo
from ..syntax.naming import Namer
from ..syntax.parse import to_source


def _namespace_fn() -> None:
    pass


def run_pass(transform: Callable[[gast.FunctionDef, Context], bool], text: str,
             namespace: dict | None = None) -> str:
    node = gast.parse(textwrap.dedent(text)).body[0]
    names = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
    fn = _namespace_fn
    if namespace is not None:
        import types
        fn = types.FunctionType(_namespace_fn.__code__, namespace)
    ctx = Context(SourceInfo("<test>", 0, 0), Namespace(fn), Namer(names), local_names(node))
    transform(node, ctx)
    return to_source(node)

