"""Arguments that are containers of arrays (pytrees): their leaves, and the structure holding them.

A structure (`Tree`) is hashable, so a transform is made and cached once per structure: dicts (string
or integer keys), lists, tuples, namedtuples, dataclasses and other objects with a `__dict__` (their
attributes), nested in any way. Everything else is a leaf; a leaf is "float" when it is a float, a
NumPy floating scalar or a floating-point array (it gets a gradient), "other" otherwise (integers,
booleans, strings, None: they get `None`), "function" for a function (compared by identity: the
transform calls that very function).

A dict subclass is a dict when it reads and writes its entries as a dict does (OrderedDict, defaultdict,
a user's subclass that adds no methods): its gradient is an instance of the same class made without
calling its `__init__`. Other subclasses (`Counter`, one overriding `__getitem__`) are refused: the
compiler reads entries as a dict's, which would not be what the program does.

Rebuilding an object (a dataclass or plain object holding gradients) makes an instance of the same
class without calling its `__init__` (`cls.__new__(cls)`, then its attributes set one by one, frozen
dataclasses included): the gradient of `model` is a `type(model)` whose attributes are gradients.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

_ATOMS = (np.ndarray, np.generic, int, float, complex, str, bytes, bool, type(None), types.ModuleType,
          types.FunctionType, types.BuiltinFunctionType, type)


# Modules whose objects are leaves, not objects of attributes (`functools.partial`, a NumPy generator).
_NOT_OBJECTS = ("numpy", "builtins", "functools", "adtransform", "types")


@dataclasses.dataclass(frozen=True)
class Tree:
    """`kind`: leaf, tuple, list, dict, namedtuple or object; `keys`: dict keys, field or attribute
    names (for a leaf: ("float",) or ("other",)); `cls`: a namedtuple's or object's class."""

    kind: str
    keys: tuple = ()
    children: tuple[Tree, ...] = ()
    cls: Any = None
    # An object's class attributes that are numbers or strings, as read now (part of the cache key:
    # the transform reads them as constants)
    statics: tuple[tuple[str, Any], ...] = ()

    @property
    def is_leaf(self) -> bool:
        return self.kind == "leaf"

    def leaves(self) -> Iterator[Tree]:
        if self.is_leaf:
            yield self
        for child in self.children:
            yield from child.leaves()


FLOAT = Tree("leaf", ("float",))
OTHER = Tree("leaf", ("other",))


def is_float(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (float, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


# Values passed as functions (`act=np.tanh`, `act=my_relu`): the gradient specialises on the very object.
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, np.ufunc, functools.partial)


def is_function(value: Any) -> bool:
    """Whether `value` is a function argument: the transform is made for that function (its identity is
    part of the cache key), and calls of it are compiled as calls of that function."""
    if isinstance(value, _FUNCTIONS):
        return True  # (below: NumPy's array-function dispatchers, C functions of other kinds, ...)
    return callable(value) and not isinstance(value, (type, np.ndarray, np.generic)) and not is_container(value)


def function_tree(value: Any) -> Tree:
    """The structure of a function argument: the function itself (compared by identity)."""
    return Tree("function", cls=value)


# What a dict subclass may define and still be read as a dict (its entries read by dict's own methods).
_DICT_KEPT = frozenset(("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__init__",
                        "__slots__", "__annotations__", "__firstlineno__", "__static_attributes__",
                        "__orig_bases__", "__parameters__", "__repr__", "__str__"))
_DICT_LIKE = (collections.OrderedDict, collections.defaultdict)


def dict_subclass_problem(kind: type) -> str | None:
    """Why the dict subclass `kind` cannot be read as a dict (a method it overrides), or None."""
    for klass in kind.__mro__:
        if klass is dict or klass is object:
            break
        if klass in _DICT_LIKE:
            continue
        extra = sorted(k for k in vars(klass) if k not in _DICT_KEPT)
        if extra:
            return f"`{kind.__name__}` defines `{extra[0]}`"
        if vars(klass).get("__slots__"):
            return f"`{kind.__name__}` has slots"
    return None


def is_container(value: Any) -> bool:
    """Whether `value` is flattened into leaves (not an array, number, string, function, ...)."""
    kind = type(value)
    if kind in (dict, list, tuple) or isinstance(value, dict):
        return True
    if isinstance(value, _ATOMS):
        return False
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return True
    return hasattr(value, "__dict__") and not str(kind.__module__).startswith(_NOT_OBJECTS)


def flatten(value: Any, depth: int = 0) -> tuple[list[Any], Tree]:
    """The leaves of `value`, in a fixed order, and its structure."""
    if depth > 100:
        raise ValueError("the argument nests containers more than 100 deep (does it contain itself?)")
    if not is_container(value):
        if is_function(value):  # (a function in a container: the transform calls that one)
            return [value], Tree("leaf", ("function",), cls=value)
        return [value], FLOAT if is_float(value) else OTHER
    kind = type(value)
    if isinstance(value, dict):
        if kind is not dict:
            problem = dict_subclass_problem(kind)
            if problem is not None or getattr(value, "__dict__", None):
                raise TypeError(f"a dict subclass is differentiated only when it reads its entries as a dict "
                                f"does: {problem or f'a `{kind.__name__}` holds attributes'}; pass a dict")
        for key in value:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"dict keys of a differentiated argument must be strings or integers, got {key!r}")
        keys: tuple = tuple(value)
        items = [dict.__getitem__(value, k) for k in keys]
        tree_kind, cls = "dict", (None if kind is dict else kind)
    elif kind in (list, tuple):
        keys, items, tree_kind, cls = (), list(value), kind.__name__, None
    elif isinstance(value, tuple):
        keys, items, tree_kind, cls = tuple(kind._fields), list(value), "namedtuple", kind
    else:
        keys = tuple(vars(value))
        items = [vars(value)[k] for k in keys]
        tree_kind, cls = "object", kind
        found = {k: v for klass in reversed(kind.__mro__[:-1]) for k, v in vars(klass).items()
                 if type(v) in (int, float, str, bool, type(None)) and not k.startswith("__")}
        statics = tuple(sorted((k, v) for k, v in found.items() if k not in keys))
    leaves: list[Any] = []
    children = []
    for item in items:
        found, tree = flatten(item, depth + 1)
        leaves.extend(found)
        children.append(tree)
    return leaves, Tree(tree_kind, keys, tuple(children), cls, statics if tree_kind == "object" else ())


def structure_key(value: Any, leaves: list[Any], depth: int = 0) -> Any:
    """Appends the leaves of `value` to `leaves` (in `flatten`'s order) and returns a hashable key, equal
    for values `flatten` gives equal trees: made at every call, so dicts, lists and tuples (the common
    containers) are keyed by plain tuples, cheaper to build and hash than a `Tree`."""
    if depth > 100:
        raise ValueError("the argument nests containers more than 100 deep (does it contain itself?)")
    kind = type(value)
    if kind is dict:
        keys = tuple(value)
        return dict, keys, tuple([structure_key(value[k], leaves, depth + 1) for k in keys])
    if kind is list or kind is tuple:
        return kind, tuple([structure_key(v, leaves, depth + 1) for v in value])
    if not is_container(value):
        leaves.append(value)
        return ("function", value) if is_function(value) else is_float(value)
    found, tree = flatten(value, depth)  # a namedtuple or an object: its tree is its key
    leaves.extend(found)
    return tree


def unflatten(tree: Tree, leaves: Iterator[Any]) -> Any:
    """The structure `tree` holding the next values of `leaves` (a gradient shaped like the argument)."""
    if tree.is_leaf:
        return next(leaves)
    items = [unflatten(child, leaves) for child in tree.children]
    if tree.kind == "tuple":
        return tuple(items)
    if tree.kind == "list":
        return items
    if tree.kind == "dict":
        if tree.cls is None:
            return dict(zip(tree.keys, items))
        out = tree.cls.__new__(tree.cls)  # (its own `__init__` not called; a defaultdict's factory is None)
        put = collections.OrderedDict.__setitem__ if isinstance(out, collections.OrderedDict) else dict.__setitem__
        for key, item in zip(tree.keys, items):
            put(out, key, item)
        return out
    if tree.kind == "namedtuple":
        return tree.cls(*items)
    out = tree.cls.__new__(tree.cls)
    for key, item in zip(tree.keys, items):
        object.__setattr__(out, key, item)
    return out
