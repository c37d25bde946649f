"""Compile generated source into a function that shares the user's globals and closure cells.

The text is compiled inside a factory whose parameters are the closure
variables (the user's own free variables and the injected helpers), so the
generated function reads globals exactly as the original does (rebinding a
global array is seen) while helpers are fast closure loads and never touch
the user's module. The text is registered in `linecache` under a unique
`<adtransform: name>` filename: tracebacks, pdb and inspect.getsource show it.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import threading
import types
from dataclasses import dataclass
from typing import Any

_counter = itertools.count(1)
_lock = threading.Lock()


@dataclass(frozen=True)
class Loaded:
    """A compiled generated function, not yet bound to a particular closure."""

    code: types.CodeType
    text: str
    filename: str
    injected: dict[str, Any]


def compile_source(text: str, name: str, injected: dict[str, Any], user_freevars: tuple[str, ...]) -> Loaded:
    with _lock:
        filename = f"<adtransform: {name} #{next(_counter)}>"
    module = ast.parse(text, filename)
    inner = module.body[0]
    factory_params = [*user_freevars, *injected]
    factory = ast.FunctionDef(
        name="__adtransform_factory__",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in factory_params], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[inner, ast.Return(value=ast.Name(id=inner.name, ctx=ast.Load()))],
        decorator_list=[], returns=None,
    )
    ast.copy_location(factory, inner)
    wrapper = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(wrapper)
    code = compile(wrapper, filename, "exec")
    factory_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner_code = next(c for c in factory_code.co_consts if isinstance(c, types.CodeType) and c.co_name == inner.name)
    lines = text.splitlines(keepends=True)
    linecache.cache[filename] = (len(text), None, lines, filename)
    return Loaded(inner_code, text, filename, dict(injected))


def bind(loaded: Loaded, fn: types.FunctionType) -> types.FunctionType:
    """Make the generated function for this particular `fn` (its globals, cells and defaults)."""
    user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    cells = []
    for free in loaded.code.co_freevars:
        if free in loaded.injected:
            value = loaded.injected[free]
            # Another generated function (a general version this one falls back to): bound alike.
            cells.append(types.CellType(bind(value, fn) if isinstance(value, Loaded) else value))
        else:
            cells.append(user_cells[free])
    out = types.FunctionType(loaded.code, fn.__globals__, loaded.code.co_name, fn.__defaults__, tuple(cells))
    out.__kwdefaults__ = dict(fn.__kwdefaults__) if fn.__kwdefaults__ else None
    return out
