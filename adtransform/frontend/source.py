"""Read a Python function's source and parse it into a gast FunctionDef.

Guarantees: the returned node is a FunctionDef without decorators (a lambda
is turned into `def <name>(...): return <body>`), and `SourceInfo` maps any
node back to its file, line and column.
"""

from __future__ import annotations

import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass

import gast

from ..errors import Location, SourceUnavailableError
from ..syntax import build


@dataclass(frozen=True)
class SourceInfo:
    """Where a parsed function lives, to locate errors and comment generated code."""

    filename: str
    line_offset: int  # file line = parsed node line + line_offset
    col_offset: int   # indentation removed by dedent

    def location(self, node: gast.AST | None) -> Location:
        line = getattr(node, "lineno", None) or 1
        col = getattr(node, "col_offset", 0) or 0
        return Location(self.filename, line + self.line_offset, col + self.col_offset)

    def file_line(self, node: gast.AST) -> int | None:
        line = getattr(node, "lineno", None)
        return None if line is None else line + self.line_offset

    def line_text(self, file_line: int) -> str:
        return linecache.getline(self.filename, file_line).strip()


@dataclass(frozen=True)
class ParsedFunction:
    fn: types.FunctionType
    node: gast.FunctionDef
    info: SourceInfo


def parse_function(fn: object) -> ParsedFunction:
    if not isinstance(fn, types.FunctionType):
        kind = type(fn).__name__
        raise SourceUnavailableError(
            f"adtransform differentiates Python functions defined with `def` or `lambda`; "
            f"got {fn!r} of type {kind}. Builtins and C functions (NumPy ufuncs, math) "
            f"have no Python source: register their derivative with @adtransform.adjoint."
        )
    code = fn.__code__
    fast = _fast_source_lines(code)
    parsed = _parse_lines(*fast) if fast else None
    if parsed is None or parsed[0] is None:
        try:
            parsed = _parse_lines(*inspect.getsourcelines(fn))
        except (OSError, TypeError) as exc:
            raise SourceUnavailableError(
                f"cannot read the source of {fn.__qualname__} (defined in {code.co_filename}): {exc}. "
                f"Functions typed at an interactive prompt or built with exec() have no source "
                f"file; put the function in a .py file (or a notebook cell) and try again."
            ) from None
    module, dedented, indent, first = parsed
    info = SourceInfo(code.co_filename, first - 1, indent)
    if fn.__name__ == "<lambda>":
        if module is None:
            # `try: grad(lambda x: ...)` is not a statement on its own: parse the lambda alone.
            module = _parse_lambdas(dedented)
        node = _lambda_as_def(fn, module, info)
    else:
        node = _find_def(fn, module, info)
    return ParsedFunction(fn, node, info)


def _parse_lines(lines: list[str], first: int) -> tuple[gast.Module | None, str, int, int]:
    dedented = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    try:
        return gast.parse(dedented), dedented, indent, first
    except SyntaxError:
        return None, dedented, indent, first


def _fast_source_lines(code: types.CodeType) -> tuple[list[str], int] | None:
    """The function's lines, ended by the last position its bytecode covers.

    Much cheaper than inspect's tokenizer; None (use inspect) for lambdas and
    when the file is not in linecache. The caller falls back to inspect too
    when these lines do not parse.
    """
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    if not lines or first > len(lines) or code.co_name == "<lambda>":
        return None
    last = first
    stack = [code]
    while stack:
        c = stack.pop()
        for _, end_line, _, _ in c.co_positions():
            if end_line is not None and end_line > last:
                last = end_line
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    header = indent(lines[first - 1])
    for line in lines[last:]:
        if line.strip() and not line.lstrip().startswith("#"):
            if indent(line) > header:
                return None  # the body goes on (unreachable code the compiler dropped)
            break
    return lines[first - 1:last], first


def _find_def(fn: types.FunctionType, module: gast.Module | None, info: SourceInfo) -> gast.FunctionDef:
    if module is not None:
        for stmt in module.body:
            if isinstance(stmt, gast.FunctionDef) and stmt.name == fn.__name__:
                stmt.decorator_list = []
                return stmt
            if isinstance(stmt, gast.AsyncFunctionDef):
                break
    raise SourceUnavailableError(
        f"{info.filename}:{info.line_offset + 1}: could not isolate the definition of "
        f"{fn.__qualname__} in its source (async functions are not supported)."
    )


def _parse_lambdas(text: str) -> gast.Module | None:
    """Parse each `lambda ...` expression in `text`, taking the longest span that parses."""
    found: list[gast.stmt] = []
    start = text.find("lambda")
    while start != -1:
        line_offset = text.count("\n", 0, start)
        for end in range(len(text), start, -1):
            try:
                expr = gast.parse(text[start:end].replace("\n", " "), mode="eval").body
            except SyntaxError:
                continue
            if isinstance(expr, gast.Lambda):
                for node in gast.walk(expr):
                    if hasattr(node, "lineno"):
                        node.lineno += line_offset
                found.append(gast.Expr(value=expr))
            break
        start = text.find("lambda", start + 1)
    return gast.Module(body=found, type_ignores=[]) if found else None


def _lambda_as_def(fn: types.FunctionType, module: gast.Module | None, info: SourceInfo) -> gast.FunctionDef:
    where = f"{info.filename}:{info.line_offset + 1}"
    if module is None:
        raise SourceUnavailableError(
            f"{where}: cannot isolate the source of this lambda (it is part of a larger "
            f"expression); define it with `def` instead."
        )
    params = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
    found = [
        node for node in gast.walk(module)
        if isinstance(node, gast.Lambda)
        and [a.id for a in node.args.args] == params
        and node.lineno + info.line_offset == fn.__code__.co_firstlineno
    ]
    if len(found) != 1:
        raise SourceUnavailableError(
            f"{where}: {'several lambdas' if found else 'no lambda'} with parameters "
            f"({', '.join(params)}) on this line; define the function with `def` instead."
        )
    lam = found[0]
    ret = build.return_(lam.body)
    gast.copy_location(ret, lam.body)
    node = build.function_def("<lambda>", lam.args, [ret])
    gast.copy_location(node, lam)
    return node
