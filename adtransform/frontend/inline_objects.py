"""Methods and properties of parameter objects (`grad(loss, wrt="model")(model, x)` calling `model.forward(x)`).

The API passes an object parameter as its leaves (pipeline/pytrees.py) and knows its class at the call:
the structure is part of the cache key, with the names of the instance's own attributes. So a method
called on it (`model.forward(x)`, `model(x)`, `self.layer.forward(h)` once `self` is the model) is the
class's function, inlined with `self` bound to the object (whose attribute reads are then its leaves);
a property read (`model.norm2`) is its getter, inlined alike. The class attribute is guarded like any
callee's binding (a method or property redefined on the class: derived again); an instance attribute of
that name shadows it, and is a leaf of the structure (then the call is of that value, as Python's).
"""

from __future__ import annotations

import inspect
from typing import Any

import gast

from ..runtime.guards import FUNC
from ..syntax import build
from ..syntax.naming import Namer
from .inline_callee import State, is_user_function
from .resolve import Namespace, scan_names
from .segments import CompositeInfo
from .source import SourceInfo


def state(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace, structured: dict[str, Any] | None) -> State:
    """The inliner's state for `node`, knowing its structured parameters that it never rebinds."""
    local, every = scan_names(node)
    stored = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del))}
    return State(CompositeInfo.of(info), namespace, Namer(every), set(local),
                 structured={k: t for k, t in (structured or {}).items() if k not in stored})


def object_tree(state: State, expr: gast.expr) -> Any:
    """The structure of the object `expr` reads (a parameter, or an entry of one by constant keys and
    attributes), when it is an object of a class; else None."""
    tree = state.structured_read(expr)
    return tree if tree is not None and tree.kind == "object" else None


def method(state: State, call: gast.Call) -> tuple[Any, gast.expr | None] | None:
    """The function `call` runs when it calls a method of a parameter object (or the object itself:
    `__call__`), and the receiver bound to its first parameter."""
    func = call.func
    receiver, attr, tree = func, "__call__", object_tree(state, func)  # `model(x)`, `stack.first(x)`
    if tree is None and isinstance(func, gast.Attribute):
        receiver, attr, tree = func.value, func.attr, object_tree(state, func.value)
        if tree is not None and attr in tree.keys:
            return None  # (an instance attribute: a value of the structure, called as one)
    if tree is None:
        return None
    found = inspect.getattr_static(tree.cls, attr, None)
    if isinstance(found, staticmethod) and is_user_function(found.__func__):
        state.depend(tree.cls, (attr,), found.__func__)
        return found.__func__, None
    if isinstance(found, classmethod) and is_user_function(found.__func__):
        state.depend(tree.cls, (attr, FUNC), found.__func__)
        return found.__func__, build.name(state.alias(tree.cls.__name__, tree.cls))
    if is_user_function(found):
        state.depend(tree.cls, (attr,), found)
        return found, receiver
    return None


def property_of(state: State, node: gast.AST) -> property | None:
    """The property `node` reads (`model.norm2`, of a parameter object's class), if its getter is the user's."""
    if not isinstance(node, gast.Attribute) or not isinstance(node.ctx, gast.Load):
        return None
    tree = object_tree(state, node.value)
    if tree is None or node.attr in tree.keys:
        return None
    found = inspect.getattr_static(tree.cls, node.attr, None)
    return found if isinstance(found, property) and is_user_function(found.fget) else None


def getter_call(state: State, node: gast.Attribute) -> gast.Call:
    """The call of the getter of the property `node` reads (`property_of`), on the object."""
    found = property_of(state, node)
    state.depend(object_tree(state, node.value).cls, (node.attr,), found, identity=True)
    getter = build.name(state.alias(f"{node.attr}_getter", found.fget))
    return gast.copy_location(gast.Call(func=getter, args=[node.value], keywords=[]), node)


def in_comprehensions(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace,
                      structured: dict[str, Any]) -> bool:
    """Whether a list comprehension or generator expression calls a method (or reads a property) of a
    parameter object: made a loop first, as for other calls (frontend/inline.py `calls_in_comprehensions`)."""
    if not structured:
        return False
    found = state(node, info, namespace, structured)
    return any((isinstance(n, gast.Call) and method(found, n) is not None) or property_of(found, n) is not None
               for comp in gast.walk(node) if isinstance(comp, (gast.ListComp, gast.GeneratorExp))
               for n in gast.walk(comp))
