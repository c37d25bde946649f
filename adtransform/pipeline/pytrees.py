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
function is the generated one): `may_take_structures` (pipeline/pytree_scan.py) decides from the source,
before any call,
whether a parameter may be a container (subscripted with a string, unpacked into several names,
iterated over, read for an attribute arrays do not have, only ever read by element: `p[0]`, `p[i]`); only
then does `grad` return the flattening function. A parameter passed whole to a Python function counts as
that function's parameter is used (followed through the helpers the source names); a use the scan cannot
see (a method of an object called with it) keeps the flat path, where a container is refused at the call.
"""

from __future__ import annotations

import copy
import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..canonicalize.record_params import COTANGENT
from ..errors import UnsupportedSyntaxError, WrtError
from ..frontend import fence, source
from ..frontend.resolve import Namespace
from ..runtime.pytrees import Tree, flatten, function_tree, is_container, is_function, structure_key, unflatten
from .pytree_entry import MISS, make_entry
from .pytree_scan import may_take_structures, returns_container

__all__ = ["check_syntax", "holds_floats", "is_container", "may_take_structures", "output_pullback",
           "returns_container", "structured_gradient"]

# (fn, flat wrt, wrt is a tuple, mode, structure) -> the generated function bound to fn
BoundGradient = Callable[[types.FunctionType, tuple[int, ...], bool, Any, tuple], Callable]


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
                call.source = plain.source  # type: ignore[attr-defined]
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
        return rebuild(generated(*_fresh(flat), *given))

    return pullback


def _fresh(flat: list[Any]) -> list[Any]:
    """Copies of the arguments for one more forward run: a generator among them draws what it drew for
    `out` (the arguments themselves if one cannot be copied)."""
    try:
        return copy.deepcopy(flat)
    except Exception:  # (deepcopy raises whatever an object's __deepcopy__ or __reduce__ raises)
        return flat


def _shape(tree: Tree) -> tuple:
    """A structure without its leaves' kinds (a float cotangent may be given for any leaf)."""
    if tree.is_leaf:
        return ()
    if tree.kind == "namedtuple":  # (a plain tuple may be given for a named tuple: its items in order,
        return ("tuple", (), None, tuple(_shape(c) for c in tree.children))  # a dict for an OrderedDict)
    if tree.kind == "dict":
        return ("dict", tree.keys, None, tuple(_shape(c) for c in tree.children))
    return (tree.kind, tree.keys, tree.cls, tuple(_shape(c) for c in tree.children))
