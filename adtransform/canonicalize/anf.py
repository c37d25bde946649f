"""A-normal form: one operation per statement.

Post-condition: every statement is `name = atom`, `name = op(atom, ...)`, `name[atom] = atom`,
`op(atom, ...)` (a call kept for its effect) or `return atom`. An atom is a
name, a constant (`-2.0` and tuples of constants included) or a reference
into a module (`np.pi`). Docstrings are dropped.
Requires: unpacking (single-name targets).
Why: SSA lowering maps one statement to one IR operation, and every
intermediate then has a name its adjoint can be named after. Temporaries are
named after their operation (`sqrt`, `matmul`), so `matmul_bar` reads as
"the adjoint of the matmul".

>>> from adtransform.canonicalize.testing import run_pass
>>> import numpy
>>> print(run_pass(transform, "def f(x, W):\\n    return np.tanh(x @ W).sum()", {"np": numpy}))
def f(x, W):
    matmul = x @ W
    tanh = np.tanh(matmul)
    sum_1 = tanh.sum()
    return sum_1
"""

from __future__ import annotations

import copy
import types

import gast

from ..frontend.context import Context
from ..syntax import build
from ..syntax.parse import to_source
from .blocks import rewrite_blocks

_OP_NAMES = {
    gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "div", gast.FloorDiv: "floordiv",
    gast.Mod: "mod", gast.Pow: "pow", gast.MatMult: "matmul", gast.USub: "neg", gast.UAdd: "pos",
    gast.Not: "not_", gast.Invert: "invert",
}


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    normalizer = _Normalizer(ctx)

    def rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
        if _is_docstring(stmt):
            return []
        out = normalizer.statement(stmt)
        return None if out == [stmt] else out

    return rewrite_blocks(node, rewrite)


def _is_docstring(stmt: gast.stmt) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) \
        and isinstance(stmt.value.value, str)


def is_constant(node: gast.expr) -> bool:
    if isinstance(node, gast.Constant):
        return True
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return isinstance(node.operand, gast.Constant) and isinstance(node.operand.value, (int, float, complex))
    if isinstance(node, gast.Tuple):
        return all(is_constant(e) for e in node.elts)
    return False


def literal_value(node: gast.expr) -> object:
    """The value of a node for which `is_constant` holds."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp):
        value = node.operand.value
        return -value if isinstance(node.op, gast.USub) else +value
    return tuple(literal_value(e) for e in node.elts)


def static_path(node: gast.expr, ctx: Context) -> tuple[str, ...] | None:
    """`np.linalg.norm` -> ('np', 'linalg', 'norm') when it names something in a module."""
    parts: list[str] = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or node.id in ctx.locals:
        return None
    path = (node.id, *reversed(parts))
    ref = ctx.namespace.resolve(path)
    return path if len(ref.path) == len(path) and (len(path) == 1 or _is_module_chain(path, ctx)) else None


def _is_module_chain(path: tuple[str, ...], ctx: Context) -> bool:
    return isinstance(ctx.namespace.resolve(path[:-1]).obj, types.ModuleType)


class _Normalizer:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.out: list[gast.stmt] = []

    def statement(self, stmt: gast.stmt) -> list[gast.stmt]:
        self.out = []
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            # `y[i] = e`: the index and the value become atoms; the write is one operation.
            target = stmt.targets[0]
            value = self.atom(stmt.value)
            store = build.subscript(target.value, self.index(target.slice), ctx="store")
            self.out.append(gast.copy_location(build.assign_to(store, value), stmt))
        elif isinstance(stmt, gast.Assign):
            assign = build.assign(stmt.targets[0].id, self.operation(stmt.value))
            if getattr(stmt, "binding", False):
                assign.binding = True  # (an inlined call's parameter binding: frontend/inline_callee.py)
            self.out.append(assign)
        elif isinstance(stmt, gast.Return):
            self.out.append(build.return_(self.atom(stmt.value)))
        elif isinstance(stmt, gast.Expr):
            self.out.append(build.expr_stmt(self.operation(stmt.value)))
        elif isinstance(stmt, gast.If):
            test = self.atom(stmt.test)
            self.out.append(stmt if test is stmt.test else gast.copy_location(
                gast.If(test=test, body=stmt.body, orelse=stmt.orelse), stmt))
        elif isinstance(stmt, gast.For):
            # `range(n - 1)`: the call stays (it is the loop's shape), its arguments become atoms.
            if isinstance(stmt.iter, gast.Call):
                stmt.iter = self.call(stmt.iter)
            else:
                stmt.iter = self.atom(stmt.iter)
            self.out.append(stmt)
        elif isinstance(stmt, gast.While):
            self.out.append(self.while_(stmt))
        else:
            self.out.append(stmt)  # `pass` stays: a loop body may consist of nothing else
        return self.out

    def while_(self, stmt: gast.While) -> gast.While:
        """`while x > 1:` -> `cond = x > 1` before the loop and again at the end of its body."""
        if isinstance(stmt.test, gast.Name):
            return stmt
        name = self.ctx.namer.fresh("cond")
        again = copy.deepcopy(stmt.test)  # normalized with the body, which is entered next
        self.out.append(build.assign(name, self.operation(stmt.test)))
        recompute = gast.copy_location(build.assign(name, again), stmt)
        loop = gast.While(test=build.name(name), body=[*stmt.body, recompute], orelse=stmt.orelse)
        return gast.copy_location(loop, stmt)

    def atom(self, node: gast.expr) -> gast.expr:
        if isinstance(node, gast.Name) or is_constant(node):
            return node
        if isinstance(node, gast.Attribute) and static_path(node, self.ctx):
            return node
        value = self.operation(node)
        temp = self.ctx.namer.fresh(_hint(node))
        self.out.append(build.assign(temp, value))
        return build.name(temp)

    def operation(self, node: gast.expr) -> gast.expr:
        """Rewrite `node` so that its operands are atoms (the node itself may be an operation)."""
        new = self._operation(node)
        return gast.copy_location(new, node) if new is not node else node

    def _operation(self, node: gast.expr) -> gast.expr:
        if isinstance(node, gast.BinOp):
            return gast.BinOp(left=self.atom(node.left), op=node.op, right=self.atom(node.right))
        if isinstance(node, gast.UnaryOp):
            if is_constant(node):
                return node
            return gast.UnaryOp(op=node.op, operand=self.atom(node.operand))
        if isinstance(node, gast.Compare):
            return gast.Compare(left=self.atom(node.left), ops=node.ops,
                                comparators=[self.atom(c) for c in node.comparators])
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, gast.Attribute):
            if static_path(node, self.ctx):
                return node
            return build.attribute(self.atom(node.value), node.attr)
        if isinstance(node, gast.Subscript):
            return build.subscript(self.atom(node.value), self.index(node.slice))
        if isinstance(node, (gast.Tuple, gast.List)):
            if is_constant(node):
                return node
            elts = [self.atom(e) for e in node.elts]
            return build.tuple_(elts) if isinstance(node, gast.Tuple) else build.list_(elts)
        return node

    def call(self, node: gast.Call) -> gast.Call:
        func = node.func
        if isinstance(func, gast.Attribute) and not static_path(func, self.ctx):
            func = build.attribute(self.atom(func.value), func.attr)
        elif not (isinstance(func, gast.Name) or static_path(func, self.ctx)):
            spelled = to_source(func)
            func = self.atom(func)
            if isinstance(func, gast.Name):  # (a message names the function called as the user wrote it)
                self.ctx.spellings.setdefault(func.id, spelled)
        args = [self.atom(a) for a in node.args]
        kwargs = [(k.arg, self.atom(k.value)) for k in node.keywords]
        return build.call(func, args, kwargs)

    def index(self, node: gast.expr) -> gast.expr:
        if isinstance(node, gast.Slice):
            return gast.Slice(*(None if p is None else self.atom(p) for p in (node.lower, node.upper, node.step)))
        if isinstance(node, gast.Tuple):
            return build.tuple_([self.index(e) for e in node.elts])
        return self.atom(node)


def _hint(node: gast.expr) -> str:
    if isinstance(node, gast.BinOp | gast.UnaryOp):
        return _OP_NAMES.get(type(node.op), "t")
    if isinstance(node, gast.Call):
        func = node.func
        return func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "call")
    if isinstance(node, gast.Attribute):
        base = node.value.id if isinstance(node.value, gast.Name) else "t"
        return f"{base}_{node.attr}"
    if isinstance(node, gast.Subscript):
        base = node.value.id if isinstance(node.value, gast.Name) else "t"
        return f"{base}_item"
    if isinstance(node, gast.Compare):
        return "cond"
    return "t"
