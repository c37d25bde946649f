"""Functions defined inside the differentiated function (or a callee): nested `def`, a lambda bound to
a name or called at once, `functools.partial(f, a)`. Each is inlined where it is called.

Inlining at the call site reads the enclosing function's variables when the call runs, exactly
Python's late-binding closures. That holds only while the function stays where it is defined and
means one thing: a nested function that escapes (returned, stored, passed to a function not
inlined) or is bound twice (rebound, or defined in two branches) is refused with a located error.
A default of a nested function is evaluated by Python when the `def` runs: only constants and
names of the function's namespace (never rebound in it) are accepted there.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import gast

from ..errors import UnsupportedSyntaxError
from ..rules.registry import is_nondifferentiable, lookup_adjoint
from ..syntax import build
from .inline_callee import Call, State, own_scope, splice
from .inline_returns import refuse_returned_function


@dataclass
class Local:
    """A function bound to a name of the function being built: its definition, as a `def`."""

    node: gast.FunctionDef
    name: str


@dataclass
class Partial:
    """`p = functools.partial(f, a, k=b)`: `f` and the arguments, evaluated when `p` was made."""

    func: gast.expr
    args: list[gast.expr]
    keywords: list[gast.keyword]


@dataclass
class Locals:
    """The local functions found so far, by the name bound to them."""

    functions: dict[str, Local | Partial] = field(default_factory=dict)

    def definition(self, stmt: gast.stmt, state: State, is_partial: Callable[[gast.expr], bool],
                   is_function: Callable[[gast.expr], bool]) -> list[gast.stmt] | None:
        """Register `stmt` if it defines a local function (`is_partial`: whether an expression is
        functools.partial; `is_function`: whether it is a function inlined): the statements left in
        its place (None: it does not)."""
        if isinstance(stmt, gast.FunctionDef):
            if stmt.decorator_list:
                raise _refuse(state, stmt, "a decorated nested function", "remove the decorator")
            self._add(state, stmt, stmt.name, Local(_checked_defaults(state, stmt), stmt.name))
            return []
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
            return None
        name, value = stmt.targets[0].id, stmt.value
        if isinstance(value, gast.Lambda):
            self._add(state, stmt, name, Local(as_def(value, name), name))
            return []
        if isinstance(value, (gast.Name, gast.Attribute)) and is_function(value):  # `act = sigmoid`
            self._add(state, stmt, name, Partial(value, [], []))
            return []
        if isinstance(value, gast.Call) and is_partial(value.func) and value.args:
            pre, frozen = [], []
            for arg in [*value.args[1:], *(kw.value for kw in value.keywords)]:
                temp = state.namer.fresh(f"{name}_arg")
                state.locals.add(temp)
                pre.append(gast.copy_location(build.assign(temp, arg), stmt))
                frozen.append(build.name(temp))
            n = len(value.args) - 1
            keywords = [gast.keyword(arg=kw.arg, value=v) for kw, v in zip(value.keywords, frozen[n:])]
            self._add(state, stmt, name, Partial(value.args[0], frozen[:n], keywords))
            return pre
        return None

    def _add(self, state: State, stmt: gast.stmt, name: str, local: Local | Partial) -> None:
        if name in self.functions:
            raise _refuse(state, stmt, f"`{name}` defined twice",
                          "a nested function is inlined where it is called, so it must mean one function: "
                          "give each its own name")
        self.functions[name] = local

    def check_escapes(self, node: gast.FunctionDef, state: State) -> None:
        """Every local function name left in the function is a use adtransform cannot inline."""
        for child in gast.walk(node):
            if isinstance(child, gast.Name) and child.id in self.functions:
                what = "rebound" if isinstance(child.ctx, gast.Store) else "used as a value"
                raise _refuse(state, child, f"nested function `{child.id}` {what}",
                              "adtransform inlines a nested function or lambda where it is called; it cannot "
                              "follow one that is returned, stored, passed to a function it does not inline, "
                              "or rebound: call it directly, or define it at module level")


def partial_call(call: gast.Call, partial: Partial) -> gast.Call:
    """`p(x)` with `p = partial(f, a, k=b)`: `f(a, x, k=b)` (the call's keywords win, as partial's do)."""
    keywords = {kw.arg: kw for kw in partial.keywords}
    keywords.update({kw.arg: kw for kw in call.keywords})
    new = gast.Call(func=copy.deepcopy(partial.func), args=[*partial.args, *call.args],
                    keywords=list(keywords.values()))
    return gast.copy_location(new, call)


def instance(state: State, local: Local, call: Call) -> tuple[list[gast.stmt], str]:
    """The statements computing a local function's call, its own names fresh; its free names are the
    enclosing function's, read where the call runs."""
    node = copy.deepcopy(local.node)
    own, nested, stored = own_scope(node)
    refuse_returned_function(node.body, local.name, state.info)
    defaults = _defaults(node)
    return splice(state, local.name, local.name, node, call, (own | nested, stored), defaults, {})


def as_def(lam: gast.Lambda, name: str) -> gast.FunctionDef:
    node = build.function_def(name, lam.args, [gast.copy_location(build.return_(lam.body), lam.body)])
    return gast.copy_location(node, lam)


def is_partial_object(obj: object) -> bool:
    return obj is functools.partial


def is_primitive(func: object) -> bool:
    """A function with a derivative rule, or declared non-differentiable: a partial of it is inlined as
    its call, so that the rule binds the partial's arguments too (with its `Accepts` checks)."""
    return lookup_adjoint(func) is not None or is_nondifferentiable(func)


def _defaults(node: gast.FunctionDef) -> dict[str, gast.expr]:
    args = node.args
    positional = [a.id for a in [*args.posonlyargs, *args.args]]
    defaults = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    return defaults | {a.id: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}


def _checked_defaults(state: State, node: gast.FunctionDef) -> gast.FunctionDef:
    for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
        names = [n.id for n in gast.walk(default) if isinstance(n, gast.Name)]
        if any(n in state.locals for n in names):
            raise _refuse(state, default, "a default of a nested function that reads a local variable",
                          "Python evaluates it when the `def` runs, adtransform where the function is called: "
                          "pass the value as an argument instead")
    return node


def _refuse(state: State, node: gast.AST, construct: str, advice: str) -> UnsupportedSyntaxError:
    return UnsupportedSyntaxError(advice, state.info.location(node), construct)
