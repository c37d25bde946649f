"""Gradients with respect to containers of arrays (pytrees): a dict, list, tuple, namedtuple, dataclass
or object of parameters, nested in any way, gives a gradient of the same structure.

The structure is known only when the gradient is called, so the public function flattens its arguments
(runtime/pytrees.py), finds or makes the transform of the function for that structure (each leaf a
parameter of its own: canonicalize/record_params.py), calls it and rebuilds the gradients. A call of a
structure seen last goes through an entry written for it (pipeline/pytree_entry.py: about 1 µs over the
flat call); the generic path finds other structures. Integer, boolean and other non-float leaves get
`None`. A function given as an argument (`act=np.tanh`) is part of the structure, by identity: the
transform calls that function (frontend/function_args.py), and the argument has no gradient.

A function whose parameters are all arrays and numbers keeps the zero-overhead path (the returned
function is the generated one): `may_take_structures` decides from the source, before any call,
whether a parameter may be a container (subscripted with a string, unpacked into several names,
iterated over, read for an attribute arrays do not have, only ever indexed by integer constants); only
then does `grad` return the flattening function. A parameter passed whole to a Python function counts as
that function's parameter is used (followed through the helpers the source names); a use the scan cannot
see (a method of an object called with it) keeps the flat path, where a container is refused at the call.
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

from ..canonicalize.record_params import COTANGENT
from ..errors import AdtransformError, UnsupportedSyntaxError, WrtError
from ..frontend import fence, source
from ..frontend.resolve import Namespace
from ..rules.registry import RUNTIME
from ..rules.tuples import tuple_result
from ..runtime.pytrees import Tree, flatten, function_tree, is_container, is_function, structure_key, unflatten
from .pytree_entry import MISS, make_entry

__all__ = ["check_syntax", "holds_floats", "is_container", "may_take_structures", "output_pullback",
           "returns_container", "structured_gradient"]

# (fn, flat wrt, wrt is a tuple, mode, structure) -> the generated function bound to fn
BoundGradient = Callable[[types.FunctionType, tuple[int, ...], bool, Any, tuple], Callable]
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
    names, iterated over by a loop, a comprehension or a builtin such as `sorted`, only indexed by
    integer constants), or as the parameter of a Python function it is passed to is used; "" otherwise."""
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
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and (n.id in uses or n.id in alias) and isinstance(n.ctx, gast.Load):
            parent = parents.get(id(n))
            integer_reads[n.id] = integer_reads.get(n.id, True) and isinstance(parent, gast.Subscript) \
                and parent.value is n and isinstance(parent.slice, gast.Constant) \
                and type(parent.slice.value) is int
            if _container_use(n, parent) or _called(n, parent, parents):
                note(n.id, "container")
            if isinstance(parent, gast.comprehension) and parent.iter is n:
                note(n.id, "either")
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


def _call_uses(fn: types.FunctionType, call: gast.Call, note: Callable[[str, str], None],
               visiting: tuple[types.CodeType, ...]) -> None:
    """A parameter passed whole to a call: iterated by a builtin such as `sorted`, or used as the called
    Python function uses its own parameter (the pytree path inlines the call)."""
    callee = None
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


def check_syntax(fn: types.FunctionType) -> None:
    """The constructs the compiler refuses, reported when `grad` is called (as for a flat function),
    though the transform waits for the structure of the arguments."""
    parsed = source.parse_function(fn)
    try:
        fence.check(parsed.node, parsed.info, Namespace(fn))
    except RecursionError:  # a very deep expression: reported by the transform itself
        pass
    except UnsupportedSyntaxError as err:  # (nested functions: inlined first by the transform, as for arrays)
        kept = [p for p in err.problems if p.construct not in _INLINED]
        if kept:
            raise UnsupportedSyntaxError.of(kept, fn.__name__) from None


def structured_gradient(fn: types.FunctionType, indices: tuple[int, ...], is_tuple: bool, mode: Any,
                        bound_gradient: BoundGradient, assemble: Callable[[Any, Any, Callable], Any],
                        plain_first: Callable | None = None) -> Callable:
    """The public gradient function of `fn`, flattening container arguments at each call.

    `assemble(mode, result, rebuild)` turns the generated function's result into the public one,
    `rebuild(flat_gradients)` giving the gradients in the order and structure of `indices`;
    `plain_first`: the gradient for arguments that are all arrays and numbers, if already made."""
    signature = inspect.signature(fn)
    positional = [p.name for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keyword_only = [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
    variants: dict[tuple, tuple[Callable, Callable]] = {}
    entries: dict[tuple, Callable | None] = {}
    plain = plain_first
    entry: Callable | None = None  # the last structure's specialised entry (pipeline/pytree_entry.py)

    def call(*args: Any, **kwargs: Any) -> Any:
        if entry is not None and not kwargs:
            out = entry(args)
            if out is not MISS:
                return out
        return generic(args, kwargs)

    def generic(args: tuple, kwargs: dict[str, Any]) -> Any:
        nonlocal plain, entry
        positional_call = not kwargs and not keyword_only and len(args) == len(positional)
        if positional_call:
            values, keywords = list(args), {}
        else:  # (a default may be a container too)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = [bound.arguments[name] for name in positional]
            keywords = {name: bound.arguments[name] for name in keyword_only}
        kinds = [_CONTAINER if is_container(v) else _FUNCTION if is_function(v) else None for v in values]
        functions = tuple((k, v) for k, v in keywords.items() if is_function(v))
        if not any(kinds) and not functions and not any(is_container(v) for v in keywords.values()):
            if plain is None:  # arrays and numbers only: the gradient made for them, as `grad` returns it
                plain = bound_gradient(fn, indices, is_tuple, mode, ())
            if positional_call:
                entry = make_entry(positional, [None] * len(values), indices, is_tuple, "", plain)
            return plain(*args, **kwargs)
        flat: list[Any] = []
        parts: list[Any] = []
        for value, kind in zip(values, kinds):
            if kind is _CONTAINER:
                parts.append(structure_key(value, flat))
            elif kind is _FUNCTION:
                parts.append(("function", value))
            else:
                flat.append(value)
                parts.append(None)
        for name, _ in functions:
            del keywords[name]
        key = (*parts, functions)
        variant = variants.get(key)
        if variant is None:
            trees: list[Tree | None] = [flatten(v)[1] if k is _CONTAINER else function_tree(v) if k is _FUNCTION
                                        else None for v, k in zip(values, kinds)]
            trees += [function_tree(v) for _, v in functions]
            variant = variants[key] = _variant(fn, positional + [k for k, _ in functions], trees, indices,
                                               is_tuple, mode, bound_gradient)
            if len(variants) > _KEPT:  # (a new function or structure at every call: the oldest go)
                oldest = next(iter(variants))
                del variants[oldest]
                entries.pop(oldest, None)
            call.source = variant[0].source  # type: ignore[attr-defined]
        generated, rebuild = variant
        if positional_call:
            if key not in entries:
                entries[key] = make_entry(positional, [None if k is None else flatten(v)[1] if k is _CONTAINER
                                                       else function_tree(v) for v, k in zip(values, kinds)],
                                          indices, is_tuple, mode.name, generated)
            entry = entries[key]
        return assemble(mode, generated(*flat, **keywords), rebuild)

    functools.update_wrapper(call, fn)
    call.source = plain_first.source if plain_first is not None else \
        "(generated at the first call, for the structure of its arguments)"  # type: ignore[attr-defined]
    return call


_CONTAINER, _FUNCTION = "container", "function"
_INLINED = frozenset(("nested function", "nested lambda"))  # fence constructs the inliner takes away
_KEPT = 64  # variants kept per gradient function


def _variant(fn: types.FunctionType, names: list[str], trees: list[Tree | None], indices: tuple[int, ...],
             is_tuple: bool, mode: Any, bound_gradient: BoundGradient,
             cotangent: Tree | None = None) -> tuple[Callable, Callable]:
    offsets = []
    at = 0
    for tree in trees:
        offsets.append(at)
        at += 1 if tree is None else sum(1 for _ in tree.leaves())
    flat_wrt: list[int] = []
    for i in indices:
        tree = trees[i]
        if tree is None:
            flat_wrt.append(offsets[i])
            continue
        if tree.kind == "function":
            raise WrtError(f"cannot differentiate {fn.__qualname__} with respect to `{names[i]}`: it is given a "
                           f"function ({getattr(tree.cls, '__name__', tree.cls)!r}), which has no gradient")
        floats = [offsets[i] + j for j, leaf in enumerate(tree.leaves()) if leaf.keys == ("float",)]
        if not floats:
            raise WrtError(f"cannot differentiate {fn.__qualname__} with respect to `{names[i]}`: "
                           f"it holds no floating-point values")
        flat_wrt.extend(floats)
    structured = tuple((names[i], tree) for i, tree in enumerate(trees) if tree is not None)
    if cotangent is not None:
        structured += ((COTANGENT, cotangent),)
    generated = bound_gradient(fn, tuple(flat_wrt), True, mode, structured)

    floats = {i: [leaf.keys == ("float",) for leaf in trees[i].leaves()] for i in indices
              if trees[i] is not None}  # (which leaves have a gradient: worked out once per structure)

    def rebuild(flat_gradients: Any) -> Any:
        grads = iter(flat_gradients)
        out = []
        for i in indices:
            tree = trees[i]
            if tree is None:
                out.append(next(grads))
            else:
                out.append(unflatten(tree, iter([next(grads) if f else None for f in floats[i]])))
        return tuple(out) if is_tuple else out[0]

    return generated, rebuild


def holds_floats(value: Any) -> bool:
    """Whether a container argument has a floating-point leaf (something to differentiate)."""
    return is_container(value) and any(leaf.keys == ("float",) for leaf in flatten(value)[1].leaves())


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


def output_pullback(fn: types.FunctionType, args: tuple, indices: tuple[int, ...], out: Any,
                    bound_gradient: BoundGradient, grad_mode: Any) -> Callable:
    """The pullback of `fn` at `args` when it returned the container `out`: the gradient, with respect to
    `indices`, of the sum of each output leaf times its cotangent (a transform per structure; each
    call runs the function forward again)."""
    names = [p.name for p in inspect.signature(fn).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:len(args)]
    flat: list[Any] = []
    trees: list[Tree | None] = []
    for value in args:
        leaves, tree = flatten(value) if is_container(value) else ([], function_tree(value)) if is_function(value) \
            else ([value], None)
        flat.extend(leaves)
        trees.append(tree)
    out_leaves, out_tree = flatten(out)
    generated, rebuild = _variant(fn, names, trees, indices, True, grad_mode, bound_gradient, out_tree)
    kinds = [leaf.keys == ("float",) for leaf in out_tree.leaves()]

    def pullback(cotangent: Any) -> Any:
        leaves, tree = flatten(cotangent)
        if len(leaves) != len(out_leaves) or _shape(tree) != _shape(out_tree):
            raise ValueError(f"the cotangent must have the structure of {fn.__qualname__}'s output")
        given = []
        for ct, value, is_float_leaf in zip(leaves, out_leaves, kinds):
            if not is_float_leaf:
                continue
            if np.shape(ct) != np.shape(value):
                raise ValueError(f"a cotangent of shape {np.shape(ct)} was given for an output of shape "
                                 f"{np.shape(value)}")
            given.append(ct)
        return rebuild(generated(*flat, *given))

    return pullback


def _shape(tree: Tree) -> tuple:
    """A structure without its leaves' kinds (a float cotangent may be given for any leaf)."""
    if tree.is_leaf:
        return ()
    if tree.kind == "namedtuple":  # (a plain tuple may be given for a named tuple: its items in order)
        return ("tuple", (), None, tuple(_shape(c) for c in tree.children))
    return (tree.kind, tree.keys, tree.cls, tuple(_shape(c) for c in tree.children))
