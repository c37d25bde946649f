"""Which parameters of a function may be containers, and whether it may return one, read from its source
before any call (pipeline/pytrees.py decides from it whether `grad` returns the flattening function).

A parameter subscripted with a string (or a loop variable over strings) or read for an attribute arrays
do not have is a container; one unpacked into names, iterated over, starred into a call, given to a
primitive that takes a list of arrays (`np.stack(L)`) or only read by element (`p[0]`, `p[i]`, `len(p)`)
may be either; a parameter passed
whole to a Python function counts as that function's parameter is used (followed through the helpers
the source names).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import types
import weakref
from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from ..errors import AdtransformError
from ..frontend import source
from ..rules.registry import RUNTIME
from ..rules.tuples import takes_tuple, tuple_result

__all__ = ["may_take_structures", "returns_container"]

_ARRAY_ATTRIBUTES = frozenset(dir(np.ndarray)) | frozenset(dir(float))


_scanned: weakref.WeakKeyDictionary[types.CodeType, dict[str, str]] = weakref.WeakKeyDictionary()
_RANK = {"": 0, "either": 1, "container": 2}
# Builtins that take any iterable: a parameter given to one is iterated over (a container, or an array's rows).
_ITERATING = frozenset(("sorted", "list", "tuple", "dict", "iter", "reversed", "set", "enumerate", "zip", "map",
                        "filter", "frozenset"))


def may_take_structures(fn: types.FunctionType) -> str:
    """How `fn` may use its parameters (`_scan`): "container", "either" or "", the strongest of them."""
    uses = _parameter_uses(fn, ())
    return max(uses.values(), key=_RANK.__getitem__, default="")


def _parameter_uses(fn: types.FunctionType, visiting: tuple[types.CodeType, ...]) -> dict[str, str]:
    """`_scan`, once per code object (a call cycle between helpers: nothing more is seen along it)."""
    found = _scanned.get(fn.__code__)
    if found is None:
        if fn.__code__ in visiting or len(visiting) > 20:
            return {}
        try:
            found = _scan(fn, (*visiting, fn.__code__))
        except RecursionError:  # a very deep expression: no container can be seen in it anyway
            found = {}
        _scanned[fn.__code__] = found
    return found


def _scan(fn: types.FunctionType, visiting: tuple[types.CodeType, ...]) -> dict[str, str]:
    """How the source uses each parameter: "container" when used as only a container is (a string key,
    an attribute arrays do not have), "either" when as a container or an array may be (unpacked into
    names, iterated over by a loop, a comprehension or a builtin such as `sorted`, only read by element:
    `p[0]`, `p[i]`, `len(p)`), or as the parameter of a Python function it is passed to is used; "" otherwise."""
    try:
        node = source.parse_function(fn).node
    except AdtransformError:  # no source: the transform itself reports it
        return {}
    params = [a.id for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    uses = dict.fromkeys(params, "")
    # another name for a parameter (`q = p`, `h = x`): its uses are the parameter's
    alias = {t.id: n.value.id for n in gast.walk(node) if isinstance(n, gast.Assign)
             and isinstance(n.value, gast.Name) and n.value.id in uses
             for t in n.targets if isinstance(t, gast.Name) and t.id not in uses}

    def note(name: str, kind: str) -> None:
        name = alias.get(name, name)
        if name in uses and _RANK[kind] > _RANK[uses[name]]:
            uses[name] = kind

    integer_reads: dict[str, bool] = {}
    parents = {id(child): parent for parent in gast.walk(node) for child in gast.iter_child_nodes(parent)}
    keys = _key_variables(node, fn)
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and (n.id in uses or n.id in alias) and isinstance(n.ctx, gast.Load):
            parent = parents.get(id(n))
            integer_reads[n.id] = integer_reads.get(n.id, True) and _element_read(n, parent, fn)
            if _container_use(n, parent) or _called(n, parent, parents) or (
                    isinstance(parent, gast.Subscript) and parent.value is n
                    and isinstance(parent.slice, gast.Name) and parent.slice.id in keys):
                note(n.id, "container")  # (`p[k]` with `for k in ("a", "c")`: a dict read by constant keys)
            if (isinstance(parent, gast.comprehension) and parent.iter is n) or isinstance(parent, gast.Starred):
                note(n.id, "either")  # (iterated over, or unpacked into arguments or a display: `f(*T)`)
        if isinstance(n, (gast.Assign, gast.For)):
            value = n.value if isinstance(n, gast.Assign) else n.iter
            if isinstance(value, gast.Name):
                value = gast.Name(alias.get(value.id, value.id), gast.Load(), None, None)
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
                    and value.func.id in ("enumerate", "zip") and isinstance(n, gast.For):
                value = next((a for a in value.args if isinstance(a, gast.Name) and a.id in uses), value)
            targets = n.targets if isinstance(n, gast.Assign) else [n.target]
            if isinstance(value, gast.Name) and value.id in uses \
                    and (isinstance(n, gast.For) or any(isinstance(t, (gast.Tuple, gast.List)) for t in targets)):
                note(value.id, "either")
            if isinstance(n, gast.For):  # `for act in acts: act(h)`, `zip(Ws, acts)`: a container of functions
                _loop_calls(n, uses, note)
        if isinstance(n, gast.Call):
            _call_uses(fn, n, note, visiting)
    for name, integer_only in integer_reads.items():
        if integer_only:
            note(name, "either")
    return uses


def _element_read(name: gast.Name, parent: gast.AST | None, fn: types.FunctionType) -> bool:
    """`p[0]`, `p[i]`, `p[i - 1]` (an element by an integer or a name), `p[i:]` (a slice by such bounds, one
    a name) or `len(p)`: what a list of arrays is used for as well as an array (a parameter only read so
    may be either)."""
    if isinstance(parent, gast.Call) and parent.args == [name] and isinstance(parent.func, gast.Name) \
            and parent.func.id == "len" and _resolve(fn, "len") in (None, len):
        return True
    if not isinstance(parent, gast.Subscript) or parent.value is not name:
        return False
    index = parent.slice
    if isinstance(index, gast.Slice):  # `p[i:]`, `p[:k]`: a list's slice is a list of its elements
        bounds = [bound for bound in (index.lower, index.upper, index.step) if bound is not None]
        # (constant bounds, `x[1:]`, are an array's reads far more often: those leave the parameter an array)
        return all(_integer_index(bound) for bound in bounds) \
            and any(isinstance(n, gast.Name) for bound in bounds for n in gast.walk(bound))
    return _integer_index(index)


def _integer_index(index: gast.expr) -> bool:
    """An index by an integer constant or a name (`0`, `i`, `-1`, `i - 1`)."""
    while isinstance(index, (gast.UnaryOp, gast.BinOp)) and not isinstance(getattr(index, "op", None), gast.MatMult):
        index = index.operand if isinstance(index, gast.UnaryOp) else \
            (index.left if not isinstance(index.left, gast.Constant) else index.right)
    return isinstance(index, gast.Name) or (isinstance(index, gast.Constant) and type(index.value) is int)


def _key_variables(node: gast.FunctionDef, fn: types.FunctionType) -> set[str]:
    """Names a loop binds to string constants (`for k in ("a", "c")`, `for k in "ac"`, a global tuple of
    strings, `enumerate` of those): a parameter subscripted with one is read by keys, a dict."""
    found = set()
    for loop in (n for n in gast.walk(node) if isinstance(n, gast.For)):
        target, iterated = loop.target, loop.iter
        if isinstance(iterated, gast.Call) and isinstance(iterated.func, gast.Name) \
                and iterated.func.id == "enumerate" \
                and len(iterated.args) == 1 and isinstance(target, gast.Tuple) and len(target.elts) == 2:
            target, iterated = target.elts[1], iterated.args[0]
        if isinstance(target, gast.Name) and _strings(iterated, fn):
            found.add(target.id)
    return found


def _strings(node: gast.expr, fn: types.FunctionType) -> bool:
    if isinstance(node, gast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (gast.Tuple, gast.List, gast.Set)):
        return bool(node.elts) and all(isinstance(e, gast.Constant) and isinstance(e.value, str) for e in node.elts)
    if isinstance(node, gast.Name):
        value = _resolve(fn, node.id)
        return type(value) is tuple and bool(value) and all(type(v) is str for v in value)
    return False


def _call_uses(fn: types.FunctionType, call: gast.Call, note: Callable[[str, str], None],
               visiting: tuple[types.CodeType, ...]) -> None:
    """A parameter passed whole to a call: iterated by a builtin such as `sorted`, or used as the called
    Python function uses its own parameter (the pytree path inlines the call)."""
    callee = None
    primitive = _named(call.func, fn)
    if _takes_arrays(primitive):  # `np.stack(L)`, `np.linalg.multi_dot(L)`: a list or tuple of arrays, or one array
        for a in (*call.args, *(k.value for k in call.keywords)):
            if isinstance(a, gast.Name):
                note(a.id, "either")
        return
    if isinstance(call.func, gast.Name):
        if call.func.id in _ITERATING and call.func.id not in fn.__globals__:
            for a in call.args:
                if isinstance(a, gast.Name):
                    note(a.id, "either")
            return
        callee = _resolve(fn, call.func.id)
    elif isinstance(call.func, gast.Attribute) and isinstance(call.func.value, gast.Name):
        owner = _resolve(fn, call.func.value.id)  # a helper in a module (`layers.dense(p, x)`), a method
        with contextlib.suppress(Exception):  # (a property may raise: then nothing is seen)
            callee = inspect.getattr_static(owner, call.func.attr, None)
            if isinstance(callee, staticmethod):
                callee = callee.__func__
            elif isinstance(callee, classmethod) or (isinstance(callee, types.FunctionType)
                                                     and not isinstance(owner, (type, types.ModuleType))):
                callee = functools.partial(getattr(callee, "__func__", callee), owner)  # its first parameter bound
    bound = 0
    if isinstance(callee, functools.partial):
        bound = len(callee.args)
        callee = callee.func
    if not isinstance(callee, types.FunctionType):
        return
    try:
        names = [p.name for p in inspect.signature(callee).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][bound:]
    except (TypeError, ValueError):
        return
    theirs = _parameter_uses(callee, visiting)
    for i, a in enumerate(call.args):
        if isinstance(a, gast.Starred):
            break
        if isinstance(a, gast.Name) and i < len(names):
            note(a.id, theirs.get(names[i], ""))
    for k in call.keywords:
        if k.arg is not None and isinstance(k.value, gast.Name):
            note(k.value.id, theirs.get(k.arg, ""))


_SEQUENCE_TAKERS = frozenset((np.stack, np.concatenate, np.hstack, np.vstack, np.dstack, np.column_stack, np.block,
                              np.linalg.multi_dot, np.choose, np.select, np.einsum))


def _takes_arrays(primitive: Any) -> bool:
    """Whether `primitive` takes a list or tuple of arrays (declared for rules/tuples.py, or NumPy's own)."""
    try:
        return primitive in _SEQUENCE_TAKERS or takes_tuple(primitive)
    except TypeError:  # (unhashable)
        return False


def _resolve(fn: types.FunctionType, name: str) -> Any:
    """What a name the function calls is bound to now (a closure cell, else a global), or None."""
    if name in fn.__code__.co_freevars and fn.__closure__:
        with contextlib.suppress(ValueError):
            return fn.__closure__[fn.__code__.co_freevars.index(name)].cell_contents
        return None
    return fn.__globals__.get(name)


def _loop_calls(loop: gast.For, uses: dict[str, str], note: Callable[[str, str], None]) -> None:
    """The variable of a loop over parameters is called in its body: the parameters may hold functions."""
    targets = {t.id for t in gast.walk(loop.target) if isinstance(t, gast.Name)}
    called = any(isinstance(c, gast.Call) and isinstance(c.func, gast.Name) and c.func.id in targets
                 for stmt in loop.body for c in gast.walk(stmt))
    if called:
        for n in gast.walk(loop.iter):
            if isinstance(n, gast.Name) and n.id in uses:
                note(n.id, "container")


def _called(name: gast.Name, parent: gast.AST | None, parents: dict[int, gast.AST]) -> bool:
    """`act(z)`, `acts[0](z)`: the parameter holds a function (or holds some; `cfg.act(z)` is a container use
    when `act` is no array method)."""
    if isinstance(parent, gast.Subscript) and parent.value is name:
        name, parent = parent, parents.get(id(parent))
    return isinstance(parent, gast.Call) and parent.func is name


def _container_use(name: gast.Name, parent: gast.AST | None) -> bool:
    if isinstance(parent, gast.Subscript) and parent.value is name and isinstance(parent.slice, gast.Constant) \
            and isinstance(parent.slice.value, str):
        return True
    return isinstance(parent, gast.Attribute) and parent.value is name and parent.attr not in _ARRAY_ATTRIBUTES

_returning: weakref.WeakKeyDictionary[types.CodeType, bool] = weakref.WeakKeyDictionary()


def returns_container(fn: types.FunctionType) -> bool:
    """Whether the source may return a tuple, list, dict or namedtuple, a parameter's included (then vjp
    runs `fn` first to see); once per code object."""
    found = _returning.get(fn.__code__)
    if found is None:
        found = _returning[fn.__code__] = _returns_container(fn)
    return found


def _returns_container(fn: types.FunctionType) -> bool:
    try:
        node = source.parse_function(fn).node
    except (AdtransformError, RecursionError):
        return False
    built = {t.id for n in gast.walk(node) if isinstance(n, gast.Assign) and _display(n.value, fn)
             for t in n.targets if isinstance(t, gast.Name)}
    built |= {a.id for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}  # `return p`
    return any(isinstance(n, gast.Return) and n.value is not None
               and (_display(n.value, fn) or (isinstance(n.value, gast.Name) and n.value.id in built))
               for n in gast.walk(node))


def _display(value: gast.expr, fn: types.FunctionType) -> bool:
    """A display or comprehension, a namedtuple built, or a call of a primitive declared to return a tuple
    (`np.linalg.eigh(A)`, rules/tuples.py; one that may return an array instead is run and looked at)."""
    if isinstance(value, (gast.Tuple, gast.List, gast.Dict, gast.ListComp, gast.DictComp)):
        return True
    if isinstance(value, gast.Call):
        called = _named(value.func, fn)
        if isinstance(called, type):
            return issubclass(called, tuple) and hasattr(called, "_fields")
        return called is not None and tuple_result(called, [], {}, lambda _: RUNTIME) is not None
    return False


def _named(node: gast.expr, fn: types.FunctionType) -> Any:
    """What a name or a chain of attributes (`np.linalg.eigh`) is bound to now, or None."""
    if isinstance(node, gast.Name):
        return _resolve(fn, node.id)
    if isinstance(node, gast.Attribute):
        owner = _named(node.value, fn)
        if isinstance(owner, types.ModuleType):
            return getattr(owner, node.attr, None)
    return None
