"""Resolve free names against the function's closure, globals and builtins.

Why at transform time: whether `np.exp(x)` has a derivative rule, or `f(x)`
is a user function, depends on what the names are bound to *now*. Values
(arrays, numbers) are still read at run time by the generated code, which
shares the user's globals and closure cells, so rebinding data is seen.
"""

from __future__ import annotations

import builtins
import enum
import inspect
import types
from dataclasses import dataclass
from typing import Any

import gast

from ..rules.registry import is_nondifferentiable, lookup_adjoint, lookup_facts


class Scope(enum.Enum):
    """Where the generated code finds a name at run time."""

    USER = "the user's globals, closure cells or builtins, exactly as the original function"
    INJECTED = "a closure variable codegen adds (runtime helpers and names rules use)"


class _Unbound:
    def __repr__(self) -> str:
        return "<unbound>"


UNBOUND: Any = _Unbound()


@dataclass(frozen=True, eq=False)
class Ref:
    """A reference to something outside the function, e.g. `np.exp`. Compared by path and by the
    objects' identity (or an equality that answers a plain bool: a new bound method per read): the
    objects may be unhashable data (a global dict or list) or arrays, whose `==` is elementwise."""

    path: tuple[str, ...]
    obj: Any
    scope: Scope = Scope.USER
    # For an INJECTED reference, the object bound to path[0].
    root: Any = None

    @property
    def spelling(self) -> str:
        return ".".join(self.path)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ref):
            return NotImplemented
        return self.path == other.path and self.scope is other.scope \
            and _same(self.obj, other.obj) and _same(self.root, other.root)

    def __hash__(self) -> int:
        return hash((self.path, self.scope))


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        equal = a == b
    except Exception:  # (a dict holding arrays: its `==` asks an array for one truth value)
        return False
    return equal is True


class Namespace:
    """The names a function can see besides its own locals."""

    def __init__(self, fn: types.FunctionType, scope: Scope = Scope.USER):
        self.globals = fn.__globals__
        self.scope = scope
        cells = fn.__closure__ or ()
        self.closure = dict(zip(fn.__code__.co_freevars, cells))
        b = self.globals.get("__builtins__", builtins)
        self.builtins = b if isinstance(b, dict) else vars(b)
        # Names the inliner (frontend/inline.py) gave objects found in a callee's namespace: each
        # means that object (generated code gets it injected), whatever the user's names are.
        self.aliases: dict[str, Any] = {}

    def lookup(self, identifier: str) -> Any:
        if identifier in self.aliases:
            return self.aliases[identifier]
        return self.user_lookup(identifier)

    def user_lookup(self, identifier: str) -> Any:
        """What `identifier` means in the user's function itself (not an inliner's alias)."""
        if identifier in self.closure:
            try:
                return self.closure[identifier].cell_contents
            except ValueError:
                return UNBOUND
        if identifier in self.globals:
            return self.globals[identifier]
        return self.builtins.get(identifier, UNBOUND)

    def resolve(self, path: tuple[str, ...]) -> Ref:
        """Follow `a.b.c` through modules and built-in classes; stop before any other object.

        A method reached through its class (`np.ndarray.reshape(x, -1)`) is the primitive the
        bound method `x.reshape(-1)` calls, and is differentiated by the same rule. Only classes
        whose attributes cannot be rebound (`np.ndarray`, `float`) are followed: what a name
        means there cannot change after the transform. A user's class stays a value read at run
        time, and `C.f(x)` a method call on it.
        """
        obj = self.lookup(path[0])
        taken = 1
        while taken < len(path):
            if isinstance(obj, types.ModuleType) or _immutable_class(obj):
                if not hasattr(obj, path[taken]):
                    break
                obj = getattr(obj, path[taken])
            else:
                method = registered_method(obj, path[taken])
                if method is UNBOUND:
                    break
                obj = method
            taken += 1
        root = self.lookup(path[0])
        if path[0] in self.aliases:
            return Ref(path[:taken], obj, Scope.INJECTED, root)
        return Ref(path[:taken], obj, self.scope, root if self.scope is Scope.INJECTED else None)


def registered_method(obj: Any, name: str) -> Any:
    """`obj.name` when it is a method with a derivative rule or declared facts bound to `obj` itself
    (SciPy's `stats.norm.logpdf`: one object's method, looked up as the primitive it is, like a
    module's function), else UNBOUND. Found without running the object's code: a plain function of
    its class, neither shadowed by an attribute of its own nor behind a `__getattribute__`."""
    if isinstance(obj, (types.ModuleType, type)) or obj is UNBOUND \
            or type(obj).__getattribute__ is not object.__getattribute__:
        return UNBOUND
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        own = {}
    if not isinstance(own, dict) or name in own:
        return UNBOUND
    try:
        found = inspect.getattr_static(type(obj), name)
    except AttributeError:
        return UNBOUND
    if not isinstance(found, types.FunctionType):
        return UNBOUND
    method = types.MethodType(found, obj)
    if lookup_adjoint(method) is None and not is_nondifferentiable(method) and not lookup_facts(method).known:
        return UNBOUND
    return method


_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: the class's attributes cannot be set
_HEAP_TYPE = 1 << 9       # Py_TPFLAGS_HEAPTYPE: a class made by a `class` statement (or type())


def _immutable_class(obj: Any) -> bool:
    if not isinstance(obj, type):
        return False
    flags = obj.__flags__
    return bool(flags & _IMMUTABLE_TYPE) or not flags & _HEAP_TYPE


def local_names(node: gast.FunctionDef) -> set[str]:
    """Parameters and every name the function assigns: all other names are free."""
    return scan_names(node)[0]


def scan_names(node: gast.FunctionDef) -> tuple[set[str], set[str]]:
    """(local names, every name) of a function, in one walk."""
    args = node.args
    local = {a.id for a in args.args + args.posonlyargs + args.kwonlyargs}
    every = set(local)
    for n in gast.walk(node):
        if isinstance(n, gast.Name):
            every.add(n.id)
            if isinstance(n.ctx, gast.Store):
                local.add(n.id)
    return local, every
