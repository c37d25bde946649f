"""Builders for gast nodes.

Why: gast's node fields change between releases (the reason Tangent and
AutoGraph broke for their users). Every gast node the project creates is made
here, so a gast upgrade is a change to this file only.
"""

from __future__ import annotations

from typing import Any

import gast

BINOPS: dict[str, type] = {
    "+": gast.Add, "-": gast.Sub, "*": gast.Mult, "/": gast.Div, "//": gast.FloorDiv,
    "%": gast.Mod, "**": gast.Pow, "@": gast.MatMult, "&": gast.BitAnd, "|": gast.BitOr, "^": gast.BitXor,
    "<<": gast.LShift, ">>": gast.RShift,
}
UNARYOPS: dict[str, type] = {"-": gast.USub, "+": gast.UAdd, "not": gast.Not, "~": gast.Invert}
COMPAREOPS: dict[str, type] = {
    "==": gast.Eq, "!=": gast.NotEq, "<": gast.Lt, "<=": gast.LtE, ">": gast.Gt, ">=": gast.GtE,
    "is": gast.Is, "is not": gast.IsNot, "in": gast.In, "not in": gast.NotIn,
}
SYMBOL_OF = {cls: sym for table in (BINOPS, UNARYOPS, COMPAREOPS) for sym, cls in table.items()}


def name(id_: str, ctx: str = "load") -> gast.Name:
    kind = {"load": gast.Load, "store": gast.Store, "param": gast.Param}[ctx]()
    return gast.Name(id=id_, ctx=kind, annotation=None, type_comment=None)


def constant(value: Any) -> gast.expr:
    if isinstance(value, tuple):
        return gast.Tuple(elts=[constant(v) for v in value], ctx=gast.Load())
    if isinstance(value, slice):
        return gast.Slice(
            lower=_opt(value.start), upper=_opt(value.stop), step=_opt(value.step)
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        # Emit -2.0 as the unary minus it is in source, so unparse round-trips.
        return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-value, kind=None))
    return gast.Constant(value=value, kind=None)


def _opt(value: Any) -> gast.expr | None:
    return None if value is None else constant(value)


def attribute(value: gast.expr, attr: str) -> gast.Attribute:
    return gast.Attribute(value=value, attr=attr, ctx=gast.Load())


def dotted(path: tuple[str, ...]) -> gast.expr:
    node: gast.expr = name(path[0])
    for part in path[1:]:
        node = attribute(node, part)
    return node


def call(func: gast.expr, args: list[gast.expr], kwargs: list[tuple[str, gast.expr]] = ()) -> gast.Call:
    keywords = [gast.keyword(arg=k, value=v) for k, v in kwargs]
    return gast.Call(func=func, args=list(args), keywords=keywords)


def binop(symbol: str, left: gast.expr, right: gast.expr) -> gast.BinOp:
    return gast.BinOp(left=left, op=BINOPS[symbol](), right=right)


def unaryop(symbol: str, operand: gast.expr) -> gast.UnaryOp:
    return gast.UnaryOp(op=UNARYOPS[symbol](), operand=operand)


def compare(symbol: str, left: gast.expr, right: gast.expr) -> gast.Compare:
    return gast.Compare(left=left, ops=[COMPAREOPS[symbol]()], comparators=[right])


def subscript(value: gast.expr, index: gast.expr, ctx: str = "load") -> gast.Subscript:
    return gast.Subscript(value=value, slice=index, ctx=gast.Store() if ctx == "store" else gast.Load())


def tuple_(elts: list[gast.expr]) -> gast.Tuple:
    return gast.Tuple(elts=list(elts), ctx=gast.Load())


def list_(elts: list[gast.expr]) -> gast.List:
    return gast.List(elts=list(elts), ctx=gast.Load())


def assign(target: str, value: gast.expr, lineno: int | None = None) -> gast.Assign:
    node = gast.Assign(targets=[name(target, "store")], value=value, type_comment=None)
    if lineno is not None:
        node.lineno = lineno
    return node


def assign_to(target: gast.expr, value: gast.expr) -> gast.Assign:
    """Assignment to an existing target node (a name, a tuple of names or a subscript, ctx Store)."""
    return gast.Assign(targets=[target], value=value, type_comment=None)


def add_into(target: gast.expr, value: gast.expr) -> gast.AugAssign:
    """`target += value` (the target node has ctx Store)."""
    return gast.AugAssign(target=target, op=gast.Add(), value=value)


def expr_stmt(value: gast.expr) -> gast.Expr:
    return gast.Expr(value=value)


def return_(value: gast.expr | None) -> gast.Return:
    return gast.Return(value=value)


def raise_(exc: gast.expr | None) -> gast.Raise:
    """`raise exc`; with None, `raise` (the exception being handled)."""
    return gast.Raise(exc=exc, cause=None)


def if_(test: gast.expr, body: list[gast.stmt]) -> gast.If:
    return gast.If(test=test, body=list(body), orelse=[])


def if_else(test: gast.expr, body: list[gast.stmt], orelse: list[gast.stmt]) -> gast.If:
    return gast.If(test=test, body=list(body), orelse=list(orelse))


def bool_op(symbol: str, values: list[gast.expr]) -> gast.BoolOp:
    """`a and b` (symbol "and") or `a or b` (symbol "or")."""
    op = {"and": gast.And, "or": gast.Or}[symbol]()
    return gast.BoolOp(op=op, values=list(values))


def compare_op(op: gast.cmpop, left: gast.expr, right: gast.expr) -> gast.Compare:
    """One comparison with an operator node taken from existing code (`is`, `in`, ... included)."""
    return gast.Compare(left=left, ops=[op], comparators=[right])


def for_(target: gast.expr, iter_: gast.expr, body: list[gast.stmt]) -> gast.For:
    """`for target in iter_:` (the target node has ctx Store)."""
    return gast.For(target=target, iter=iter_, body=list(body), orelse=[], type_comment=None)


def while_(test: gast.expr, body: list[gast.stmt]) -> gast.While:
    return gast.While(test=test, body=list(body), orelse=[])


def try_except(body: list[gast.stmt], exceptions: list[gast.expr], handler: list[gast.stmt]) -> gast.Try:
    """`try: body` with one `except (exceptions):` clause."""
    caught = gast.ExceptHandler(type=tuple_(exceptions), name=None, body=list(handler))
    return gast.Try(body=list(body), handlers=[caught], orelse=[], finalbody=[])


class Comment(gast.stmt):
    """A comment line, or with `stmt` a statement followed by a comment on its line: the ast
    module has no comments, so syntax/layout.py prints these itself."""

    _fields = ("text", "stmt")


def comment(text: str, stmt: gast.stmt | None = None) -> Comment:
    return Comment(text=text, stmt=stmt)


class Verbatim(gast.expr):
    """An expression kept as the user wrote it (a parameter's default): printed as `text`."""

    _fields = ("text",)


def verbatim(text: str) -> Verbatim:
    return Verbatim(text=text)


def break_() -> gast.Break:
    return gast.Break()


def pass_() -> gast.Pass:
    return gast.Pass()


def docstring(text: str) -> gast.Expr:
    return gast.Expr(value=gast.Constant(value=text, kind=None))


def arguments(
    posonly: list[str], args: list[str], kwonly: list[str],
    defaults: list[gast.expr] = (), kw_defaults: list[gast.expr | None] | None = None,
) -> gast.arguments:
    """Parameters; `defaults` are those of the last positional ones, `kw_defaults` one per
    keyword-only one (None: none). Without them, codegen attaches the user's default objects itself."""
    return gast.arguments(
        args=[name(a, "param") for a in args],
        posonlyargs=[name(a, "param") for a in posonly],
        vararg=None,
        kwonlyargs=[name(a, "param") for a in kwonly],
        kw_defaults=list(kw_defaults) if kw_defaults is not None else [None for _ in kwonly],
        kwarg=None,
        defaults=list(defaults),
    )


def function_def(fn_name: str, args: gast.arguments, body: list[gast.stmt]) -> gast.FunctionDef:
    return gast.FunctionDef(
        name=fn_name, args=args, body=list(body), decorator_list=[], returns=None,
        type_comment=None, type_params=[],
    )


def module(body: list[gast.stmt]) -> gast.Module:
    return gast.Module(body=list(body), type_ignores=[])
