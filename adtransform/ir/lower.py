"""Lower a canonical (A-normal form) gast function to SSA IR.

Requires: canonicalize (one operation per statement, single targets: a name or `name[atoms]`).
Guarantees: a verified `Function`; each user variable's first definition keeps
its name, later ones are `h_1`, `h_2` (from the namer, so never a collision);
free names become `Global` references resolved now, read at run time.
"""

from __future__ import annotations

import gast
import numpy as np

from ..canonicalize.anf import is_constant, literal_value
from ..errors import NameResolutionError, TransformError, UnsupportedSyntaxError, combined
from ..frontend.context import Context
from ..frontend.resolve import UNBOUND, Ref, Scope
from ..runtime.checks import Unassigned
from ..syntax.parse import to_source
from .nodes import (
    Callee,
    Carried,
    Const,
    Function,
    Global,
    If,
    Index,
    Loop,
    LoopKind,
    Op,
    Operand,
    Param,
    ParamKind,
    SliceItem,
    Stmt,
    Style,
    Var,
)
from .operators import BINARY, COMPARE, INDEX_UPDATE, UNARY


def lower(node: gast.FunctionDef, ctx: Context, name: str | None = None) -> Function:
    """Raises one error naming every construct lowering refuses (it goes on past each, lowering a
    placeholder in its place, so that the next is found too)."""
    lowerer = _Lowerer(ctx)
    try:
        fn = lowerer.function(node, name or node.name)
    except Exception:
        if lowerer.problems:  # (what a placeholder made fail is not another problem of the user's)
            raise combined(lowerer.problems, node.name) from None
        raise
    if lowerer.problems:
        raise combined(lowerer.problems, node.name)
    return fn


def lower_with_env(node: gast.FunctionDef, ctx: Context) -> tuple[Function, dict[str, Var]]:
    """Also return the final Var of each name (rule templates read their outputs from it)."""
    lowerer = _Lowerer(ctx)
    fn = lowerer.function(node, node.name)
    return fn, dict(lowerer.env)


class _Lowerer:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.env: dict[str, Var] = {}
        self.defined: set[str] = set()
        self.line: int | None = None
        self.col = 0
        self.readable: set[Var] = set()
        self.conditional: set[str] = set()  # names bound on one branch only
        self.problems: list[TransformError] = []  # what was refused so far

    def function(self, node: gast.FunctionDef, name: str) -> Function:
        args = node.args
        params: list[Param] = []
        defaults = [None] * (len(args.posonlyargs) + len(args.args) - len(args.defaults)) + list(args.defaults)
        positional = [(a, ParamKind.POSITIONAL_ONLY) for a in args.posonlyargs]
        positional += [(a, ParamKind.POSITIONAL_OR_KEYWORD) for a in args.args]
        for (arg, kind), default in zip(positional, defaults):
            params.append(Param(self.define(arg.id), kind, _text(default)))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            params.append(Param(self.define(arg.id), ParamKind.KEYWORD_ONLY, _text(default)))
        self.returns: list[Operand] = []
        body = self.block(node.body)
        self.readable.update(p.var for p in params)
        return Function(name, params, body, self.returns, readable=self.readable)

    def block(self, stmts: list[gast.stmt]) -> list[Stmt]:
        body: list[Stmt] = []
        for stmt in stmts:
            self.line = self.ctx.info.file_line(stmt)
            self.stmt_node = stmt
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
                body.append(self.write_into(stmt.targets[0], stmt.value))
            elif isinstance(stmt, gast.Assign):
                op = self.operation(stmt.value)
                target = stmt.targets[0].id
                op.result = self.define(target)
                if target in self.ctx.locals and not getattr(stmt, "binding", False):
                    self.readable.add(op.result)  # (an inlined call's parameter binding is not the user's copy)
                body.append(op)
            elif isinstance(stmt, gast.Expr):
                body.append(self.operation(stmt.value))
            elif isinstance(stmt, gast.If):
                body.append(self.branch(stmt))
            elif isinstance(stmt, (gast.For, gast.While)):
                body.append(self.loop(stmt))
            elif isinstance(stmt, gast.Return):
                self.returns = [self.operand(stmt.value)]
            elif isinstance(stmt, gast.Pass):
                continue
            else:
                raise UnsupportedSyntaxError("cannot lower this statement", self.ctx.info.location(stmt),
                                             type(stmt).__name__)
        return body

    def loop(self, stmt: gast.For | gast.While) -> Loop:
        """Names the body rebinds that exist before the loop are carried; the others stay inside it."""
        line, col = self.line, self.ctx.info.location(stmt).col
        if isinstance(stmt, gast.For):
            kind, iter_args = LoopKind.RANGE, self.range_args(stmt)
            target_name = stmt.target.id if isinstance(stmt.target, gast.Name) else self.ctx.namer.fresh("item")
        else:
            kind, iter_args, target_name = LoopKind.WHILE, [], None
        assigned = dict.fromkeys(name for s in stmt.body for name in _bound_names(s))
        # Carried: what the body rebinds and exists before the loop, and every variable of the
        # function (not a temporary) the body binds, which code after the loop may read; one bound
        # only inside the loop enters it as None (read after zero iterations it fails loudly).
        carried_names = [n for n in assigned if n != target_name and (n in self.env or n in self.ctx.locals)]
        if target_name is not None and target_name in self.ctx.locals:
            carried_names.append(target_name)  # Python keeps the loop variable's last value
        before = dict(self.env)
        target = self.define(target_name) if target_name is not None else None  # the user's name: first
        carried = []
        for name in carried_names:
            param = self.define(name)
            if name in self.ctx.locals:
                self.readable.add(param)
            carried.append(Carried(before.get(name, _unassigned(name)), param, param, param))
        cond = None
        if kind is LoopKind.WHILE:
            if not isinstance(stmt.test, gast.Name):
                raise UnsupportedSyntaxError("internal: the loop test should be a name after canonicalization",
                                             self.ctx.info.location(stmt), "`while` loop")
            cond = self.operand(stmt.test)
        if target is not None:
            self.env[target_name] = target
            self.readable.add(target)
        body = self.block(stmt.body)
        for c, name in zip(carried, carried_names):
            c.next = self.env[name]
            c.result = self.define(name)
            if name in self.ctx.locals:
                self.readable.add(c.result)
        for name in [*assigned, *([target_name] if target_name else [])]:
            if name not in carried_names:
                # Bound only inside the loop: not visible after it (zero iterations would leave it unbound).
                self.env.pop(name, None)
                self.conditional.add(name)
        if stmt.orelse:
            self.problems.append(UnsupportedSyntaxError("`else` blocks of loops are not supported yet",
                                                        self.ctx.info.location(stmt), "loop `else`"))
        return Loop(kind, iter_args, target, carried, body, cond=cond, line=line, col=col)

    def range_args(self, stmt: gast.For) -> list[Operand]:
        it = stmt.iter
        if not (isinstance(stmt.target, gast.Name) and isinstance(it, gast.Call) and _path(it.func)
                and self.resolve(_path(it.func)).obj is range and not it.keywords
                and 1 <= len(it.args) <= 3):
            self.problems.append(UnsupportedSyntaxError("only `for <name> in range(...)` loops are supported yet",
                                                        self.ctx.info.location(stmt), "`for` loop"))
            return [Const(0), Const(0), Const(1)]
        args = [self.operand(a) for a in it.args]
        if len(args) == 1:
            return [Const(0), args[0], Const(1)]
        return args + [Const(1)] * (3 - len(args))

    def branch(self, stmt: gast.If) -> If:
        """Lower both branches from the same environment; names either branch rebinds become results."""
        line, col = self.line, self.ctx.info.location(stmt).col
        cond = self.operand(stmt.test)
        before = dict(self.env)
        then_body = self.block(stmt.body)
        then_env, self.env = self.env, dict(before)
        else_body = self.block(stmt.orelse)
        else_env, self.env = self.env, dict(before)
        region = If(cond, then_body, else_body, line=line, col=col)
        for name in dict.fromkeys([*then_env, *else_env]):
            then_var, else_var = then_env.get(name), else_env.get(name)
            if then_var is before.get(name) and else_var is before.get(name):
                continue
            if then_var is None or else_var is None:
                if name not in self.ctx.locals:
                    self.env.pop(name, None)  # a temporary of one branch
                    continue
                # Bound on one path only: unassigned on the other, where reading it raises as in Python.
                then_var, else_var = then_var or _unassigned(name), else_var or _unassigned(name)
            result = self.define(name)
            if name in self.ctx.locals:
                self.readable.add(result)
            region.results.append(result)
            region.then_values.append(then_var)
            region.else_values.append(else_var)
        return region

    def define(self, user_name: str) -> Var:
        name = user_name if user_name not in self.defined else self.ctx.namer.fresh(user_name)
        self.defined.add(user_name)
        self.defined.add(name)
        self.conditional.discard(user_name)
        var = Var(name)
        self.env[user_name] = var
        return var

    def write_into(self, target: gast.Subscript, value: gast.expr) -> Op:
        """`y[i] = v` is `y = index_update(y, i, v)`: a new version of `y` (written in place when safe)."""
        name = target.value.id
        if name not in self.env:
            self.problems.append(UnsupportedSyntaxError(
                f"`{name}` is not a local array: writing into a global or closure array would change it for "
                f"every caller; copy it into a local first (`{name}_local = {name}.copy()`)",
                self.location(target), "assignment into a global"))
            self.define(name)
        self.col = self.ctx.info.location(target).col
        op = self.op(INDEX_UPDATE, [self.env[name], self.index(target.slice), self.operand(value)])
        op.result = self.define(name)
        if name in self.ctx.locals:
            self.readable.add(op.result)
        return op

    def op(self, callee: Callee, args: list[Operand], kwargs: dict[str, Operand] | None = None) -> Op:
        return Op(None, callee, args, kwargs or {}, line=self.line, col=self.col)

    def operation(self, node: gast.expr) -> Op:
        self.col = self.ctx.info.location(node if getattr(node, "lineno", None) else self.stmt_node).col
        if isinstance(node, gast.BinOp):
            fn, sym = BINARY[type(node.op)]
            return self.op(Callee(fn, Style.OPERATOR, symbol=sym), [self.operand(node.left), self.operand(node.right)])
        if isinstance(node, gast.UnaryOp) and not is_constant(node):
            fn, sym = UNARY[type(node.op)]
            return self.op(Callee(fn, Style.OPERATOR, symbol=sym), [self.operand(node.operand)])
        if isinstance(node, gast.Compare):
            fn, sym = COMPARE[type(node.ops[0])]
            if sym in ("in", "not in"):
                self.problems.append(UnsupportedSyntaxError("membership tests are not supported", self.location(node),
                                                            f"`{sym}`"))
            operands = [self.operand(node.left), self.operand(node.comparators[0])]
            if sym in ("is", "is not") and not any(_keeps_identity(o) for o in operands):
                # The generated code may copy an array where the user's code shared it (a write
                # into it made out of place), so identity between two computed values can differ.
                self.problems.append(UnsupportedSyntaxError(
                    f"`{sym}` between two computed values is not supported: the gradient may copy arrays "
                    f"the function shares; compare with None or another constant instead", self.location(node),
                    f"`{sym}`"))
            return self.op(Callee(fn, Style.OPERATOR, symbol=sym), operands)
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, gast.Attribute) and not self.is_static(node):
            key = getattr(np.ndarray, node.attr, ("attribute", node.attr))
            return self.op(Callee(key, Style.ATTRIBUTE, symbol=node.attr), [self.operand(node.value)])
        if isinstance(node, gast.Subscript):
            import operator
            return self.op(Callee(operator.getitem, Style.SUBSCRIPT, symbol="[]"),
                           [self.operand(node.value), self.index(node.slice)])
        if isinstance(node, (gast.Tuple, gast.List)) and not is_constant(node):
            kind = (tuple, Style.TUPLE) if isinstance(node, gast.Tuple) else (list, Style.LIST)
            return self.op(Callee(kind[0], kind[1]), [self.operand(e) for e in node.elts])
        return self.op(Callee(None, Style.COPY), [self.operand(node)])

    def call(self, node: gast.Call) -> Op:
        func = node.func
        args = [self.operand(a) for a in node.args]
        kwargs = {k.arg: self.operand(k.value) for k in node.keywords}
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id in self.env:
            key = getattr(np.ndarray, func.attr, ("method", func.attr))
            return self.op(Callee(key, Style.METHOD, symbol=func.attr), [self.operand(func.value), *args], kwargs)
        if isinstance(func, gast.Name) and func.id in self.ctx.helpers:  # a runtime helper canonicalization calls
            helper = self.ctx.helpers[func.id]
            return self.op(Callee(helper, Style.FUNCTION, ref=Ref((helper.__name__,), helper, Scope.INJECTED, helper)),
                           args, kwargs)
        if isinstance(func, gast.Name) and func.id in self.env:
            symbol = self.ctx.spellings.get(func.id, func.id)  # (named in messages as the user wrote it)
            return self.op(Callee(None, Style.CALL_VALUE, symbol=symbol), [self.env[func.id], *args], kwargs)
        path = _path(func)
        if path is None:
            # A method of a global value (`X.sum()`): the receiver is read at run time.
            receiver = self.operand(func.value)
            key = getattr(np.ndarray, func.attr, ("method", func.attr))
            return self.op(Callee(key, Style.METHOD, symbol=func.attr), [receiver, *args], kwargs)
        ref = self.resolve(path)
        if ref.obj is UNBOUND:
            self.problems.append(NameResolutionError(
                f"`{'.'.join(path)}` is not defined when the function is transformed; define it "
                f"before calling grad()", self.location(func), f"call of `{'.'.join(path)}`"))
        if len(ref.path) < len(path):
            receiver = self.operand(func.value)
            # A method of a class the resolver does not follow (a user's class) is not the
            # ndarray method of the same name: `C.sum(x)` is not `x.sum()`.
            on_class = isinstance(receiver, Global) and isinstance(receiver.ref.obj, type)
            key = ("method", func.attr) if on_class else getattr(np.ndarray, func.attr, ("method", func.attr))
            return self.op(Callee(key, Style.METHOD, symbol=func.attr), [receiver, *args], kwargs)
        return self.op(Callee(ref.obj, Style.FUNCTION, ref=ref), args, kwargs)

    def operand(self, node: gast.expr) -> Operand:
        if isinstance(node, gast.Name):
            if node.id in self.env:
                return self.env[node.id]
            if node.id in self.conditional:
                self.problems.append(UnsupportedSyntaxError(
                    f"`{node.id}` is assigned only on some paths (one branch of an `if`, or inside a loop) before "
                    f"this use; assign it before the `if` or loop", self.location(node), f"name `{node.id}`"))
                return Const(None)
            if node.id in self.ctx.locals:
                self.problems.append(UnsupportedSyntaxError(f"`{node.id}` is used before it is assigned",
                                                            self.location(node), f"name `{node.id}`"))
                return Const(None)
            return Global(self.resolve((node.id,)))
        if is_constant(node):
            return Const(literal_value(node))
        if self.is_static(node):
            return Global(self.resolve(_path(node)))
        if isinstance(node, gast.Starred):  # (`f(*A)`, `A` an array: its rows, as many as its length at run time)
            err = UnsupportedSyntaxError("a value whose length is not known when transformed: pass the "
                                         "arguments explicitly, or star a tuple or list", self.location(node),
                                         "starred argument")
            err.containers = True  # (a tuple parameter would do: the API waits for the call to see)
            raise err
        raise UnsupportedSyntaxError("expected a name or constant (internal: canonicalization missed this)",
                                     self.location(node), type(node).__name__)

    def index(self, node: gast.expr) -> Operand:
        items: list[Operand | SliceItem]
        if isinstance(node, gast.Tuple):
            items, is_tuple = [self.index_item(e) for e in node.elts], True
        else:
            items, is_tuple = [self.index_item(node)], False
        if all(isinstance(i, Const) or (isinstance(i, SliceItem) and _const_slice(i)) for i in items):
            values = [i.value if isinstance(i, Const) else slice(*(p and p.value for p in (i.lower, i.upper, i.step)))
                      for i in items]
            return Const(tuple(values) if is_tuple else values[0])
        return Index(tuple(items), is_tuple)

    def index_item(self, node: gast.expr) -> Operand | SliceItem:
        if isinstance(node, gast.Slice):
            return SliceItem(*(None if p is None else self.operand(p) for p in (node.lower, node.upper, node.step)))
        return self.operand(node)

    def is_static(self, node: gast.expr) -> bool:
        """`np.pi` names something in a module; `x.T` and `X.T` (X a global array) do not."""
        path = _path(node)
        if path is None or path[0] in self.env:
            return False
        return len(self.resolve(path).path) == len(path)

    def resolve(self, path: tuple[str, ...]) -> Ref:
        """A free name: a builtin the passes call under a name of their own (`len_1`), or the user's."""
        helper = self.ctx.helpers.get(path[0])
        if helper is not None:
            return Ref((helper.__name__, *path[1:]), helper, Scope.INJECTED, helper)
        return self.ctx.namespace.resolve(path)

    def location(self, node: gast.AST):
        located = node if getattr(node, "lineno", None) else self.stmt_node
        return self.ctx.info.location(located)


def _bound_names(stmt: gast.stmt) -> list[str]:
    """The names a statement binds: `y = ...`, and `y[i] = ...` (a new version of `y`)."""
    names = []
    for n in gast.walk(stmt):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            names.append(n.id)
        elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(n.value, gast.Name):
            names.append(n.value.id)
    return names


def _keeps_identity(operand: Operand) -> bool:
    """A constant, or a global that is not an array or list: no copy the compiler makes is ever it."""
    if isinstance(operand, Const):
        return True
    return isinstance(operand, Global) and not isinstance(operand.ref.obj, (np.ndarray, list, dict))


def _unassigned(name: str) -> Global:
    """The value of `name` where it is not assigned: using it raises Python's UnboundLocalError."""
    marker = Unassigned(name)
    return Global(Ref((f"{name}_unassigned",), marker, Scope.INJECTED, marker))


def _const_slice(item: SliceItem) -> bool:
    return all(p is None or isinstance(p, Const) for p in (item.lower, item.upper, item.step))


def _path(node: gast.expr) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name):
        return (node.id, *reversed(parts))
    return None


def _text(node: gast.expr | None) -> str | None:
    return None if node is None else to_source(node)
