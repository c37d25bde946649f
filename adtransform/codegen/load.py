"""Compile generated source into a function that shares the user's globals and closure cells.

The text is compiled inside a factory whose parameters are the closure
variables (the user's own free variables and the injected helpers), so the
generated function reads globals exactly as the original does (rebinding a
global array is seen) while helpers are fast closure loads and never touch
the user's module. The text is registered in `linecache` under a unique
`<adtransform: name>` filename: tracebacks, pdb and inspect.getsource show it,
for as long as the generated code lives (the entry goes with it).
"""

from __future__ import annotations

import ast
import itertools
import linecache
import threading
import types
import weakref
from collections.abc import Callable
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
    weakref.finalize(inner_code, linecache.cache.pop, filename, None)
    return Loaded(inner_code, text, filename, dict(injected))


class Deferred:
    """A generated function compiled the first time it is called.

    For the general version a fast version falls back to: most programs never call it, and
    building it costs as much as the rest of the transform (it is the same transform again).
    """

    def __init__(self, build: Callable[[types.FunctionType], Loaded]):
        self._build = build  # given the user's function when needed: the cache holds no reference to it
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()

    def loaded(self, fn: types.FunctionType) -> Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._build(fn)
            return self._loaded


def _bind_deferred(deferred: Deferred, fn: types.FunctionType, rederive: Rederiver | None) -> Callable[..., Any]:
    bound: types.FunctionType | None = None

    def general(*args: Any, **kwargs: Any) -> Any:
        nonlocal bound
        if bound is None:
            bound = bind(deferred.loaded(fn), fn, rederive)
        return bound(*args, **kwargs)

    return general


# The API's "gradient of `fn` as it reads now" (fn, wrt, wrt_is_tuple, mode): passed in by the API, which this
# earlier stage does not import.
Rederiver = Callable[[types.FunctionType, tuple[int, ...], bool, Any], Callable[..., Any]]


class Rederive:
    """Where a generated function goes when a name it was derived for is bound to something else
    now: the gradient of the function as it reads now (transformed again, or found in the cache)."""

    def __init__(self, wrt: tuple[int, ...], wrt_is_tuple: bool, mode: Any):
        self.wrt, self.wrt_is_tuple, self.mode = wrt, wrt_is_tuple, mode

    def bind(self, fn: types.FunctionType, rederive: Rederiver) -> Callable[..., Any]:
        def rederived(*args: Any, **kwargs: Any) -> Any:
            return rederive(fn, self.wrt, self.wrt_is_tuple, self.mode)(*args, **kwargs)

        return rederived


def bind(loaded: Loaded, fn: types.FunctionType, rederive: Rederiver | None = None) -> types.FunctionType:
    """Make the generated function for this particular `fn` (its globals, cells and defaults).

    `rederive` is needed when the generated code checks the names it was derived for (a `Rederive` is injected).
    """
    user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    cells = []
    for free in loaded.code.co_freevars:
        if free in loaded.injected:
            value = loaded.injected[free]
            # Another generated function (a general version this one falls back to): bound alike.
            if isinstance(value, Loaded):
                value = bind(value, fn, rederive)
            elif isinstance(value, Deferred):
                value = _bind_deferred(value, fn, rederive)
            elif isinstance(value, Rederive):
                assert rederive is not None, "internal: generated code that can rederive is bound by the API"
                value = value.bind(fn, rederive)
            cells.append(types.CellType(value))
        else:
            cells.append(user_cells[free])
    out = types.FunctionType(loaded.code, fn.__globals__, loaded.code.co_name, fn.__defaults__, tuple(cells))
    out.__kwdefaults__ = fn.__kwdefaults__  # the very dict: `f.__kwdefaults__["c"] = 6.0` holds for both
    return out
