"""What a call in the user's source does, from the facts registry (rules/registry.py).

The alias analysis and the canonicalization of calls that change their arguments work on gast, before
names are resolved into the IR. A call is resolved through the function's namespace to the object it
calls (`np.einsum`, `xp.einsum` after `import numpy as xp`, `reshape` after `from numpy import
reshape`, `np.add.at`, a method of a global object), and asked for that object's facts. A method
called on a local value (`c.sort()`, `L.append(a)`) may be an array's or a list's or a tuple's: its
facts are those of every such method joined (the least they all guarantee). Anything unresolved
gets the conservative default: it may return a view of any argument and change every argument.
"""

from __future__ import annotations

import types

import gast
import numpy as np

from ..rules.registry import UNKNOWN, Facts, Returns, join_facts, lookup_facts
from .resolve import UNBOUND, Namespace, registered_method

# The kinds of value a local may hold whose methods a program calls (parameters are arrays or
# numbers; lists and tuples are built in the function; a random generator, `np.random.default_rng(0)`,
# whose draws change no program value and are effects, never merged or removed).
_VALUE_TYPES = (np.ndarray, list, tuple, np.random.Generator)
_NUMBER = Facts(Returns.NUMBER)
_NAMEDTUPLE = Facts(Returns.MAY_SHARE)  # changes nothing, no other effect; the result holds the arguments


class Calls:
    """Resolves the calls of one function: `namespace` its free names (None: nothing resolves),
    `local_names` the names it binds (never resolved, whatever a global of the same name is),
    `helpers` the names the passes gave the builtins and runtime helpers they call (`len_1`)."""

    def __init__(self, namespace: Namespace | None, local_names: frozenset[str],
                 helpers: dict[str, object] | None = None) -> None:
        self.namespace = namespace
        self.local_names = local_names
        self.helpers = helpers or {}

    def resolve(self, node: gast.expr) -> object:
        """The object a free name or attribute chain refers to now (`np.add.at`), or UNBOUND."""
        if isinstance(node, gast.Name):
            if node.id in self.helpers:
                return self.helpers[node.id]
            if node.id in self.local_names or self.namespace is None:
                return UNBOUND
            return self.namespace.lookup(node.id)
        if isinstance(node, gast.Attribute):
            owner = self.resolve(node.value)
            # Only where reading an attribute runs no user code: modules, classes and ufuncs, and an
            # object's own attributes (`cfg.act` of a namespace object holding a function).
            if isinstance(owner, (types.ModuleType, type, np.ufunc)):
                return getattr(owner, node.attr, UNBOUND)
            method = registered_method(owner, node.attr)  # `stats.norm.logpdf`: a primitive
            return method if method is not UNBOUND else _own_attribute(owner, node.attr)
        return UNBOUND

    def receiver(self, call: gast.Call) -> gast.expr | None:
        """The value a method is called on (argument 0 of its facts), None for a plain function."""
        func = call.func
        if not isinstance(func, gast.Attribute):
            return None
        owner = self.resolve(func.value)
        if isinstance(owner, (types.ModuleType, type, np.ufunc)) or _own_attribute(owner, func.attr) is not UNBOUND \
                or registered_method(owner, func.attr) is not UNBOUND:
            return None  # `np.put(...)`, `np.ndarray.sort(c)`, `np.add.at(...)`, `cfg.act(x)`: a function
        return func.value

    def facts(self, call: gast.Call) -> Facts:
        func = call.func
        receiver = self.receiver(call)
        if receiver is None:
            target = self.resolve(func)
            if isinstance(target, type) and issubclass(target, tuple) and hasattr(target, "_fields"):
                return _NAMEDTUPLE  # a namedtuple class: a new tuple holding its arguments
            return UNKNOWN if target is UNBOUND else lookup_facts(target)
        assert isinstance(func, gast.Attribute)
        if isinstance(receiver, gast.Constant):  # `"loss {}".format(v)`: a method of the constant's class
            method = getattr(type(receiver.value), func.attr, None)
            return UNKNOWN if method is None else lookup_facts(method)
        owner = self.resolve(receiver)
        if owner is not UNBOUND:  # a method of a global object: its class's function
            method = getattr(type(owner), func.attr, None)
            return UNKNOWN if method is None else lookup_facts(method)
        return value_method_facts(func.attr)

    def attribute(self, node: gast.Attribute) -> Facts:
        """What reading an attribute gives: a module's constant (`np.pi`) is a number; an array's
        attribute is a view (`x.T`, `x.base`) or new (`x.shape`) as its facts say; anything else may
        share memory with the object it is read from."""
        owner = self.resolve(node.value)
        if isinstance(owner, (types.ModuleType, type, np.ufunc)):
            value = getattr(owner, node.attr, UNBOUND)
            number = isinstance(value, (int, float, complex, str, type(None))) or callable(value) \
                or isinstance(value, types.ModuleType)
            return _NUMBER if number else UNKNOWN
        if owner is UNBOUND and hasattr(np.ndarray, node.attr):
            return lookup_facts(getattr(np.ndarray, node.attr))
        return UNKNOWN

    def arguments(self, call: gast.Call) -> list[tuple[gast.expr, int | None, str | None]]:
        """Every argument with its position (the receiver's is 0) or keyword."""
        receiver = self.receiver(call)
        shift = 0 if receiver is None else 1
        found: list[tuple[gast.expr, int | None, str | None]] = [] if receiver is None else [(receiver, 0, None)]
        found += [(arg, i + shift, None) for i, arg in enumerate(call.args)]
        return found + [(_single(kw.value) if kw.arg == "out" else kw.value, None, kw.arg) for kw in call.keywords]

    def changed(self, call: gast.Call) -> list[gast.expr]:
        """The argument expressions the call may change in place (`None` passed changes nothing)."""
        facts = self.facts(call)
        return [arg for arg, position, keyword in self.arguments(call)
                if not (isinstance(arg, gast.Constant) and arg.value is None)
                and facts.changes(position=position, keyword=keyword)]

    def fresh(self, call: gast.Call) -> bool:
        """Whether the call's result is a new object every time (never an argument or a view of one)."""
        return self.facts(call).fresh and not self.changed(call) and not may_not_copy(call)


def value_method_facts(name: str) -> Facts:
    """The facts of a method `name` called on a local value: those of every array, list, tuple or
    random generator method of that name joined (the least they all guarantee); UNKNOWN if none has one."""
    candidates = [getattr(kind, name) for kind in _VALUE_TYPES if hasattr(kind, name)]
    if name in ("_replace", "_asdict", "items", "values", "keys", "get"):
        return _NAMEDTUPLE  # a namedtuple's or dict's: change nothing, a result holding its elements
    if not candidates:
        return UNKNOWN
    facts = lookup_facts(candidates[0])
    for other in candidates[1:]:
        facts = join_facts(facts, lookup_facts(other))
    return facts


def may_not_copy(call: gast.Call) -> bool:
    """`np.array(x, copy=False)`, `x.astype(t, copy=c)`: may return `x` itself."""
    return any(kw.arg == "copy" and not (isinstance(kw.value, gast.Constant) and kw.value.value is True)
               for kw in call.keywords)


def _single(out: gast.expr) -> gast.expr:
    """`out=(buf,)` is `out=buf`."""
    return out.elts[0] if isinstance(out, gast.Tuple) and len(out.elts) == 1 else out


def _own_attribute(owner: object, name: str) -> object:
    """`owner.name` when it is in the object's own `__dict__` (read without running its code)."""
    own = getattr(owner, "__dict__", None) if owner is not UNBOUND else None
    return own.get(name, UNBOUND) if isinstance(own, dict) else UNBOUND
