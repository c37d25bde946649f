"""Lay out statements as source text: indentation, comments, docstrings and long tests.

Why not `ast.unparse` alone: the ast module has no comments, and generated code cites the
user's source line above each group of statements. So compound statements (`def`, `if`,
`for`, `while`, `try`) are laid out here, around bodies laid out in turn. Simple statements and
expressions are printed by `ast.unparse` (syntax/parse.py), except the commonest forms (a name,
a single comparison, a tuple assigned to a tuple), spelled here as `unparse` would spell them
(tests/test_layout.py checks that) because an `unparse` call per statement dominated printing.

Conventions: an empty body is `pass`; an `else` is written only when it has statements
(never as `elif`); a docstring is the first statement of a `def` and is written between
triple quotes with its newlines kept; `a, b = b, a` (a tuple assigned to a tuple) is written
without parentheses; an `if` testing `a or b or ...` longer than a line is wrapped in
parentheses, one `or` per continuation line.
"""

from __future__ import annotations

import gast

from . import build
from .parse import to_source

INDENT = "    "
WIDTH = 100


def lines(stmts: list[gast.stmt], indent: str = "") -> list[str]:
    """`stmts` as lines of text (without line ends), each starting with `indent`."""
    out: list[str] = []
    for stmt in stmts:
        out += _statement(stmt, indent)
    return out


def text(stmts: list[gast.stmt]) -> str:
    """A module's text: `stmts` one per line, each line ending with a newline."""
    return "".join(line + "\n" for line in lines(stmts))


def docstring(text_: str, indent: str) -> str:
    """The docstring line(s): its text between triple quotes, backslashes and quotes escaped."""
    body = text_.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'{indent}"""{body}"""'


def _statement(stmt: gast.stmt, indent: str) -> list[str]:
    inner = indent + INDENT
    if isinstance(stmt, build.Comment):
        if stmt.stmt is None:
            return [f"{indent}# {stmt.text}"]
        (line,) = _statement(stmt.stmt, indent)
        return [f"{line}  # {stmt.text}"]
    if isinstance(stmt, gast.FunctionDef):
        head = [f"{indent}def {stmt.name}({_parameters(stmt.args)}):"]
        body = stmt.body
        if body and _is_docstring(body[0]):
            head.append(docstring(body[0].value.value, inner))
            body = body[1:]
        return head + _body(body, inner)
    if isinstance(stmt, gast.If):
        out = [f"{indent}if {_test(stmt.test, indent)}:", *_body(stmt.body, inner)]
        if stmt.orelse:
            out += [f"{indent}else:", *lines(stmt.orelse, inner)]
        return out
    if isinstance(stmt, gast.For):
        return [f"{indent}for {_expression(stmt.target)} in {_expression(stmt.iter)}:", *_body(stmt.body, inner)]
    if isinstance(stmt, gast.While):
        return [f"{indent}while {_expression(stmt.test)}:", *_body(stmt.body, inner)]
    if isinstance(stmt, gast.Try):
        (handler,) = stmt.handlers
        return [f"{indent}try:", *_body(stmt.body, inner),
                f"{indent}except {to_source(handler.type)}:", *_body(handler.body, inner)]
    if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Tuple) \
            and all(isinstance(t, gast.Tuple) for t in stmt.targets):
        sides = [*stmt.targets, stmt.value]
        return [indent + " = ".join(", ".join(_expression(e) for e in side.elts) for side in sides)]
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
            and _is_plain(stmt.value):
        return [f"{indent}{stmt.targets[0].id} = {_plain(stmt.value)}"]
    return [indent + to_source(stmt)]


def _expression(node: gast.expr) -> str:
    return _plain(node) if _is_plain(node) else to_source(node)


def _is_plain(node: gast.expr) -> bool:
    """A name, a dotted name, or one comparison of two of them: spelled here, as `ast.unparse`
    would, because they are most of what generated code reads and unparsing costs far more."""
    if isinstance(node, gast.Compare):
        return len(node.ops) == 1 and _is_dotted(node.left) and _is_dotted(node.comparators[0])
    return _is_dotted(node)


def _is_dotted(node: gast.expr) -> bool:
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, gast.Name)


def _plain(node: gast.expr) -> str:
    if isinstance(node, gast.Compare):
        return f"{_plain(node.left)} {build.SYMBOL_OF[type(node.ops[0])]} {_plain(node.comparators[0])}"
    if isinstance(node, gast.Attribute):
        return f"{_plain(node.value)}.{node.attr}"
    return node.id


def _body(stmts: list[gast.stmt], indent: str) -> list[str]:
    return lines(stmts, indent) or [indent + "pass"]


def _is_docstring(stmt: gast.stmt) -> bool:
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) and isinstance(stmt.value.value, str)


def _parameters(args: gast.arguments) -> str:
    """`a, b=2, /, c, *, d=None`: a default kept as the user wrote it stays so (build.Verbatim)."""
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parts = [_parameter(p, d) for p, d in zip(positional, defaults)]
    if args.posonlyargs:
        parts.insert(len(args.posonlyargs), "/")
    if args.kwonlyargs:
        parts.append("*")
        parts += [_parameter(p, d) for p, d in zip(args.kwonlyargs, args.kw_defaults)]
    return ", ".join(parts)


def _parameter(param: gast.Name, default: gast.expr | None) -> str:
    if default is None:
        return param.id
    return f"{param.id}={default.text if isinstance(default, build.Verbatim) else to_source(default)}"


def _test(test: gast.expr, indent: str) -> str:
    """An `if` test; `a or b or ...` too long for one line goes in parentheses over several."""
    if not (isinstance(test, gast.BoolOp) and isinstance(test.op, gast.Or)):
        return _expression(test)
    tests = [_expression(v) for v in test.values]
    one = " or ".join(tests)
    if len(indent) + len(one) + 4 <= WIDTH:
        return one
    continued = indent + INDENT * 2
    wrapped = [tests[0]]
    for part in tests[1:]:
        if len(continued) + len(wrapped[-1]) + len(part) + 4 > WIDTH:
            wrapped.append(f"or {part}")
        else:
            wrapped[-1] += f" or {part}"
    return "(" + f"\n{continued}".join(wrapped) + ")"
