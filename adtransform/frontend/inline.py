"""Calls to the user's own Python functions, inlined: the callee's body spliced at each call site.

Runs right after the top function is parsed, before the fence and the alias analysis, so every later
stage sees one function and its reasoning (aliases, in-place updates, activity) holds across calls.
A call is inlined when its callee resolves (frontend/calls.py, in the caller's namespace) to a Python
function of the user's with no rule or facts registered (numpy, scipy, the standard library, installed
packages keep theirs). Callees calling callees are inlined in turn; recursion is refused, located.

A call inside an expression is hoisted into statements before it, keeping Python's order of
evaluation: what the expression evaluates before the call is computed first into a temporary
(unless it is a name or constant, which the callee cannot rebind), `and`/`or` and `a if c else b`
holding a call become `if` statements (the call runs only when Python would run it), a chained
comparison likewise, a `while` test holding a call at the top of each iteration of `while True:`. The
callee's locals get fresh names, its free names mean what they do in ITS namespace (inline_callee.py).
"""

from __future__ import annotations

import copy
import functools
import inspect
import types
from typing import Any

import gast

from ..errors import UnsupportedSyntaxError
from ..runtime.guards import FUNC, Content, snapshot
from ..syntax import build
from ..syntax.naming import Namer
from . import inline_locals, inline_objects, inline_star
from .calls import Calls
from .inline_callee import Call, CalleeDependency, State, depend_not_shadowed, instance, is_user_function
from .inline_locals import Local, Locals, Partial
from .inline_order import slots as _slots
from .resolve import UNBOUND, Namespace, scan_names
from .segments import CompositeInfo
from .source import SourceInfo

_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)
_COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def inline(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace, code: types.CodeType,
           opaque: frozenset[types.CodeType] = frozenset(), structured: dict[str, Any] | None = None,
           prepare: Any = None) -> tuple[SourceInfo, tuple[CalleeDependency, ...]]:
    """Splice every inlinable call of `node` (in place) but those of the functions whose code is in
    `opaque` (called as before: see pipeline); the SourceInfo locating the spliced nodes and what
    the transform relied on in the callees' namespaces. `structured`: the parameters passed as
    containers; `prepare(def, fn, info)` runs on each callee's copy before it is spliced."""
    state = inline_objects.state(node, info, namespace, structured)
    state.prepare = prepare
    state.displays.update(inline_star.single_displays(node))
    inliner = _Inliner(state, opaque)
    node.body = inliner.block(node.body, (code,))
    inliner.functions.check_escapes(node, state)
    if not state.info.segments:  # (nothing spliced; what was resolved, a global partial's keywords, is kept)
        return info, tuple(state.dependencies)
    return state.info, tuple(state.dependencies)


def calls_in_comprehensions(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace) -> bool:
    """Whether a list comprehension or generator expression calls a function this stage would inline
    (the pipeline then makes it a loop first: a call evaluated at each item cannot be hoisted)."""
    comprehensions = [n for n in gast.walk(node) if isinstance(n, (gast.ListComp, gast.GeneratorExp, gast.DictComp))]
    if not comprehensions:  # (most functions: the scan below costs more than the rest of this stage)
        return False
    local, every = scan_names(node)
    defined = {n.name for n in gast.walk(node) if isinstance(n, gast.FunctionDef)} | {
        t.id for n in gast.walk(node) if isinstance(n, gast.Assign) and isinstance(n.value, gast.Lambda)
        for t in n.targets if isinstance(t, gast.Name)}
    inliner = _Inliner(State(CompositeInfo.of(info), namespace, Namer(every), set(local)), frozenset())
    return any(isinstance(call, gast.Call) and (
        (isinstance(call.func, gast.Name) and call.func.id in defined) or inliner.target(call) is not None)
        for comp in comprehensions for call in gast.walk(comp))


class _Inliner:
    def __init__(self, state: State, opaque: frozenset[types.CodeType]):
        self.state = state
        self.opaque = opaque
        self.functions = Locals()  # nested functions, lambdas and partials bound to local names

    def is_function(self, value: gast.expr) -> bool:
        """Whether calling `value` would be inlined (`act = sigmoid`: a name for a function of the user's)."""
        call = gast.copy_location(gast.Call(func=value, args=[], keywords=[]), value)
        found = self.target(call)
        return found is not None and found[1] is None

    def is_partial(self, func: gast.expr) -> bool:
        return Calls(self.state.namespace, frozenset(self.state.locals)).resolve(func) is functools.partial

    # -- what a call calls ---------------------------------------------------------------------

    def target(self, call: gast.Call) -> tuple[Any, gast.expr | None] | None:
        """The user function a call runs (a function, or a local one: `Local`, `Partial`), and the
        receiver bound to its first parameter (a method's `self`); None for a call not inlined."""
        found = self._target(call)
        if found is not None and getattr(found[0], "__code__", None) in self.opaque:
            return None
        return found

    def _target(self, call: gast.Call) -> tuple[Any, gast.expr | None] | None:
        calls = Calls(self.state.namespace, frozenset(self.state.locals))
        func = call.func
        if (found := inline_objects.method(self.state, call)) is not None:  # `model.forward(x)`, a parameter's
            return found
        if isinstance(func, gast.Name) and func.id in self.functions.functions:
            return self.functions.functions[func.id], None
        if isinstance(func, gast.Lambda):
            return Local(inline_locals.as_def(func, "lambda"), "lambda"), None
        if isinstance(func, gast.Call) and func.args and self.is_partial(func.func):
            return Partial(func.args[0], func.args[1:], func.keywords), None
        obj = calls.resolve(func)
        if isinstance(obj, functools.partial) and (is_user_function(obj.func) or inline_locals.is_primitive(obj.func)):
            # (its keywords: a dict one may edit). A partial of a primitive with a rule is that primitive
            # called with the bound arguments too: its rule binds them, with its `Accepts` checks.
            self.state.depend(obj, (Content("keywords"),), snapshot(obj.keywords), identity=True, hint="partial")
            hint = "partial_func" if is_user_function(obj.func) else getattr(obj.func, "__name__", "partial_func")
            return Partial(self._value(obj.func, hint), [self._value(a, "partial_arg") for a in obj.args],
                           [gast.keyword(arg=k, value=self._value(v, k)) for k, v in obj.keywords.items()]), None
        if obj is not UNBOUND and is_user_function(obj):
            if isinstance(func, gast.Attribute):  # `helpers.act`: a reload rebinds it
                self.state.depend(calls.resolve(func.value), (func.attr,), obj)
            return obj, None
        if isinstance(obj, types.MethodType) and is_user_function(obj.__func__):  # `fwd = model.forward`
            if isinstance(func, gast.Attribute):  # `Model.create(x)`, a classmethod
                self.state.depend(calls.resolve(func.value), (func.attr, FUNC), obj.__func__)
            return obj.__func__, build.name(self.state.alias(type(obj.__self__).__name__.lower(), obj.__self__))
        if obj is not UNBOUND and not isinstance(obj, (types.FunctionType, types.ModuleType, type)):
            method = inspect.getattr_static(type(obj), "__call__", None)
            if is_user_function(method):  # an object called: its class's `__call__`, `self` the object
                self.state.depend(type(obj), ("__call__",), method)
                return method, func
        if not isinstance(func, gast.Attribute):
            return None
        owner = calls.resolve(func.value)
        if owner is UNBOUND or isinstance(owner, (types.ModuleType, type)):
            return None
        method = inspect.getattr_static(type(owner), func.attr, None)
        if is_user_function(getattr(method, "__func__", method)):  # `LIN.act = ...` later would shadow it
            depend_not_shadowed(self.state, func, owner)
        if isinstance(method, (staticmethod, classmethod)) and is_user_function(method.__func__):
            if isinstance(method, staticmethod):
                self.state.depend(type(owner), (func.attr,), method.__func__)
                return method.__func__, None
            self.state.depend(type(owner), (func.attr, FUNC), method.__func__)
            return method.__func__, build.name(self.state.alias(type(owner).__name__, type(owner)))
        if is_user_function(method):
            self.state.depend(type(owner), (func.attr,), method)
            return method, func.value
        return None

    def _value(self, obj: Any, hint: str) -> gast.expr:
        """An object held by a global partial: a constant, or that object by identity."""
        if isinstance(obj, (int, float, bool, str, type(None))):
            return build.constant(obj)
        return build.name(self.state.alias(hint, obj))

    def inlinable(self, node: gast.AST) -> bool:
        """Whether evaluating `node` runs a call this stage inlines (not inside a nested scope or
        comprehension, whose calls run another number of times)."""
        stack = [node]
        while stack:
            child = stack.pop()
            if (isinstance(child, gast.Call) and self.target(child) is not None) \
                    or inline_objects.property_of(self.state, child) is not None:
                return True
            if not isinstance(child, (*_SCOPES, *_COMPREHENSIONS)):
                stack.extend(gast.iter_child_nodes(child))
        return False

    # -- statements ----------------------------------------------------------------------------

    def block(self, stmts: list[gast.stmt], stack: tuple[Any, ...]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for stmt in stmts:
            out.extend(self.statement(stmt, stack))
        return out

    def statement(self, stmt: gast.stmt, stack: tuple[Any, ...]) -> list[gast.stmt]:
        expr = functools.partial(self.expr, stack=stack)
        inline_star.note_binding(self.state, stmt)
        replaced = self.functions.definition(stmt, self.state, self.is_partial, self.is_function)
        if replaced is not None:  # a nested function, lambda or partial: inlined where it is called
            return self.block(replaced, stack)
        if isinstance(stmt, gast.If):
            pre, stmt.test = expr(stmt.test)
            stmt.body, stmt.orelse = self.block(stmt.body, stack), self.block(stmt.orelse, stack)
            return [*pre, stmt]
        if isinstance(stmt, gast.For):
            pre, stmt.iter = expr(stmt.iter)
            stmt.body, stmt.orelse = self.block(stmt.body, stack), self.block(stmt.orelse, stack)
            return [*pre, stmt]
        if isinstance(stmt, gast.While):
            stmt.body, stmt.orelse = self.block(stmt.body, stack), self.block(stmt.orelse, stack)
            if not self.inlinable(stmt.test):
                return [stmt]
            if stmt.orelse:
                raise UnsupportedSyntaxError(
                    "a `while` loop whose test calls a function of yours cannot have an `else` block",
                    self.state.info.location(stmt), "`while ... else`")
            pre, test = expr(stmt.test)
            exit_ = gast.copy_location(build.if_(build.unaryop("not", test), [build.break_()]), stmt)
            stmt.test = build.constant(True)
            stmt.body = [*pre, exit_, *stmt.body]
            return [stmt]
        if isinstance(stmt, (gast.Return, gast.Expr)) and stmt.value is not None:
            pre, stmt.value = expr(stmt.value)
            if isinstance(stmt, gast.Expr) and pre and isinstance(stmt.value, gast.Name):
                return pre  # a call made for its effect: its result is not used
            return [*pre, stmt]
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)) and stmt.value is not None:
            pre, stmt.value = expr(stmt.value)
            if _retarget(stmt, pre):
                return pre  # `h = f(x)`: the callee's last statement assigns `h` itself
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            for target in targets:
                pre += self.target_parts(target, stack)
            return [*pre, stmt]
        if isinstance(stmt, gast.AugAssign) and self.inlinable(stmt.value):
            return self.aug_assign(stmt, stack)
        return [stmt]

    def target_parts(self, target: gast.expr, stack: tuple[Any, ...]) -> list[gast.stmt]:
        """Calls in an assignment's target (`a[f(i)] = v`): evaluated after the value, left to right."""
        pre: list[gast.stmt] = []
        if isinstance(target, (gast.Tuple, gast.List)):
            for elt in target.elts:
                pre += self.target_parts(elt, stack)
        elif isinstance(target, gast.Subscript):
            more, (target.value, target.slice) = self.sequence([target.value, target.slice], stack)
            pre += more
        elif isinstance(target, gast.Attribute):
            more, target.value = self.expr(target.value, stack)
            pre += more
        return pre

    def aug_assign(self, stmt: gast.AugAssign, stack: tuple[Any, ...]) -> list[gast.stmt]:
        """`a[i] += f(x)` reads `a[i]` before calling f: `old = a[i]; r = f(x); a[i] = old + r` (the
        read is a copy, or a view that sees what f changed either way, as Python's `+=` on it does)."""
        target = stmt.target
        if isinstance(target, gast.Name):
            pre, stmt.value = self.expr(stmt.value, stack)
            return [*pre, stmt]
        pre = self.target_parts(target, stack)
        if isinstance(target, gast.Subscript):
            target.slice = self.freeze(target.slice, pre)
        old = self.temp("old")
        load = copy.deepcopy(target)
        _set_ctx(load, gast.Load())
        pre.append(gast.copy_location(build.assign(old, load), stmt))
        more, value = self.expr(stmt.value, stack)
        new = gast.BinOp(left=build.name(old), op=stmt.op, right=value)
        return [*pre, *more, gast.copy_location(build.assign_to(target, new), stmt)]

    def freeze(self, index: gast.expr, pre: list[gast.stmt]) -> gast.expr:
        """An index evaluated once, now: each part that is not a name or constant into a temporary."""
        if isinstance(index, gast.Slice):
            for part in ("lower", "upper", "step"):
                if getattr(index, part) is not None:
                    setattr(index, part, self.freeze(getattr(index, part), pre))
            return index
        if isinstance(index, gast.Tuple):
            index.elts = [self.freeze(e, pre) for e in index.elts]
            return index
        if _stable(index):
            return index
        temp = self.temp("index")
        pre.append(gast.copy_location(build.assign(temp, index), index))
        return build.name(temp)

    # -- expressions ---------------------------------------------------------------------------

    def temp(self, hint: str) -> str:
        name = self.state.namer.fresh(hint)
        self.state.locals.add(name)
        return name

    def expr(self, node: gast.expr, stack: tuple[Any, ...]) -> tuple[list[gast.stmt], gast.expr]:
        """Statements to run first, and the expression left in place of `node`."""
        if node is None or not self.inlinable(node):
            return [], node
        if isinstance(node, gast.Call):
            return self.call(node, stack)
        if inline_objects.property_of(self.state, node) is not None:  # `model.norm2`: its getter called
            return self.expr(inline_objects.getter_call(self.state, node), stack)
        if isinstance(node, gast.BoolOp):
            return self.bool_op(node, stack)
        if isinstance(node, gast.IfExp):
            return self.if_exp(node, stack)
        if isinstance(node, gast.Compare) and len(node.ops) > 1 and any(map(self.inlinable, node.comparators[1:])):
            return self.chain(node, stack)
        slots = _slots(node)
        pre, values = self.sequence([getattr(node, f) if i is None else getattr(node, f)[i] for f, i in slots], stack)
        for (f, i), value in zip(slots, values):
            if i is None:
                setattr(node, f, value)
            else:
                getattr(node, f)[i] = value
        return pre, node

    def sequence(self, nodes: list[gast.expr], stack: tuple[Any, ...]) -> tuple[list[gast.stmt], list[gast.expr]]:
        """Expressions Python evaluates left to right: each one before a later inlined call is
        computed first into a temporary (a name or constant needs none: no callee rebinds it)."""
        last = max((i for i, n in enumerate(nodes) if n is not None and self.inlinable(n)), default=-1)
        pre: list[gast.stmt] = []
        out = []
        for i, node in enumerate(nodes):
            more, value = self.expr(node, stack)
            pre += more
            if i < last and isinstance(value, gast.Slice):  # `x[a:f(y), g(z)]`: its bounds, each once
                value = self.freeze(value, pre)
            elif i < last and value is not None and not _stable(value):
                temp = self.temp("tmp")
                pre.append(gast.copy_location(build.assign(temp, value), node))
                value = build.name(temp)
            out.append(value)
        return pre, out

    def call(self, node: gast.Call, stack: tuple[Any, ...]) -> tuple[list[gast.stmt], gast.expr]:
        found = self.target(node)
        if found is not None and isinstance(found[0], Partial):  # `partial(f, a)(x)` is `f(a, x)`
            return self.call(inline_locals.partial_call(node, found[0]), stack)
        if found is not None:  # `h(*args, **kwargs)` of known length and keys: spelled out
            inline_star.expand(self.state, node)
        receiver = found[1] if found is not None else None
        if receiver is not None and (receiver is node.func or receiver is getattr(node.func, "value", None)):
            parts = [receiver]  # a method: the receiver is evaluated first, as `self`
        elif found is not None:
            parts = []
        else:  # `(x - m).dot(f(y))`: the receiver is computed first, never the bound method (a value called)
            parts = [node.func.value if isinstance(node.func, gast.Attribute) else node.func]
        keywords = [kw for kw in node.keywords]
        pre, values = self.sequence([*parts, *node.args, *(kw.value for kw in keywords)], stack)
        head, args, kw_values = values[:len(parts)], values[len(parts):len(parts) + len(node.args)], \
            values[len(parts) + len(node.args):]
        if found is None:
            if isinstance(node.func, gast.Attribute):
                node.func.value = head[0]
            else:
                node.func = head[0]
            node.args = args
            for kw, value in zip(keywords, kw_values):
                kw.value = value
            return pre, node
        fn, receiver = found
        if receiver is not None:
            args = [head[0] if head else receiver, *args]
        label, key = (fn.name, id(fn.node)) if isinstance(fn, Local) else (fn.__qualname__, fn.__code__)
        if any(isinstance(a, gast.Starred) for a in args) or any(kw.arg is None for kw in keywords):
            raise UnsupportedSyntaxError(
                f"`*` or `**` arguments in a call of {label}, a function adtransform inlines; "
                f"pass each argument explicitly", self.state.info.location(node), f"call of `{label}`")
        if key in stack:
            raise UnsupportedSyntaxError(
                f"recursive call of {label}: a function adtransform inlines cannot call itself; "
                f"write the recursion as a loop", self.state.info.location(node), f"call of `{label}`")
        spliced = Call(node, args, [(kw.arg, v) for kw, v in zip(keywords, kw_values)])
        make = inline_locals.instance if isinstance(fn, Local) else instance
        body, result = make(self.state, fn, spliced)
        body = self.block(body, (*stack, key))
        last = body[-1] if body else None
        if isinstance(last, gast.Assign) and isinstance(last.value, gast.Name) \
                and isinstance(last.targets[0], gast.Name) and last.targets[0].id == result:
            return [*pre, *body[:-1]], last.value  # `return name`, last: the call's value is that name
        return [*pre, *body], build.name(result)

    def bool_op(self, node: gast.BoolOp, stack: tuple[Any, ...]) -> tuple[list[gast.stmt], gast.expr]:
        """`a and f(x)`: f runs only when `a` is true, so `t = a; if t: t = f(x)`."""
        if not any(map(self.inlinable, node.values[1:])):
            pre, node.values[0] = self.expr(node.values[0], stack)
            return pre, node
        result = self.temp("either" if isinstance(node.op, gast.Or) else "both")

        def chain(values: list[gast.expr]) -> list[gast.stmt]:
            pre, value = self.expr(values[0], stack)
            out = [*pre, gast.copy_location(build.assign(result, value), values[0])]
            if len(values) > 1:
                test = build.name(result) if isinstance(node.op, gast.And) else build.unaryop("not", build.name(result))
                out.append(gast.copy_location(build.if_(test, chain(values[1:])), values[1]))
            return out

        return chain(node.values), build.name(result)

    def if_exp(self, node: gast.IfExp, stack: tuple[Any, ...]) -> tuple[list[gast.stmt], gast.expr]:
        pre, node.test = self.expr(node.test, stack)
        if not (self.inlinable(node.body) or self.inlinable(node.orelse)):
            return pre, node
        result = self.temp("chosen")
        branches = []
        for branch in (node.body, node.orelse):
            more, value = self.expr(branch, stack)
            branches.append([*more, gast.copy_location(build.assign(result, value), branch)])
        return [*pre, gast.copy_location(build.if_else(node.test, *branches), node)], build.name(result)

    def chain(self, node: gast.Compare, stack: tuple[Any, ...]) -> tuple[list[gast.stmt], gast.expr]:
        """`a < f(x) < b`: each operand evaluated once, the next only if the comparison so far holds."""
        result = self.temp("holds")
        pre, left = self.expr(node.left, stack)
        if not _stable(left):
            temp = self.temp("tmp")
            pre.append(gast.copy_location(build.assign(temp, left), node.left))
            left = build.name(temp)

        def step(i: int, left: gast.expr) -> list[gast.stmt]:
            out, right = self.expr(node.comparators[i], stack)
            last = i == len(node.ops) - 1
            if not last and not _stable(right):
                temp = self.temp("tmp")
                out.append(gast.copy_location(build.assign(temp, right), node.comparators[i]))
                right = build.name(temp)
            out.append(gast.copy_location(build.assign(result, build.compare_op(node.ops[i], left, right)), node))
            if not last:
                out.append(gast.copy_location(build.if_(build.name(result), step(i + 1, right)), node))
            return out

        return [*pre, *step(0, left)], build.name(result)


def _retarget(stmt: gast.Assign | gast.AnnAssign, pre: list[gast.stmt]) -> bool:
    """`h = f(x)` inlined as `...; f_out = e` then `h = f_out`: assign `h = e` instead, when `f_out`
    appears nowhere else (it is assigned once, last, after every read of the arguments)."""
    targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
    last = pre[-1] if pre else None
    if not (len(targets) == 1 and isinstance(targets[0], gast.Name) and isinstance(stmt.value, gast.Name)
            and isinstance(last, gast.Assign) and len(last.targets) == 1 and isinstance(last.targets[0], gast.Name)
            and last.targets[0].id == stmt.value.id):
        return False
    result = stmt.value.id
    if sum(isinstance(n, gast.Name) and n.id == result for s in pre for n in gast.walk(s)) != 1:
        return False
    last.targets = [targets[0]]
    return True


def _stable(node: gast.expr) -> bool:
    """A value the inlined callee cannot change: a name, a constant, an attribute of one."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, (gast.Name, gast.Constant))


def _set_ctx(node: gast.AST, ctx: gast.expr_context) -> None:
    if hasattr(node, "ctx"):
        node.ctx = ctx

