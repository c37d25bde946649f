"""Read a Python function's source and parse it into a gast FunctionDef.

Guarantees: the returned node is a FunctionDef without decorators (a lambda
is turned into `def <name>(...): return <body>`), `SourceInfo` maps any
node back to its file, line and column, and the text compiles to the code
that runs (a file edited since it was imported is refused, not differentiated).
"""

from __future__ import annotations

import ast
import copy
import dis
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass

import gast

from ..errors import AsyncFunctionError, Location, SourceUnavailableError, StaleSourceError
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
    _refuse_wrappers(fn)
    code = fn.__code__
    fast = _fast_source_lines(code)
    parsed = _parse_lines(*fast) if fast else None
    if parsed is not None and parsed[0] is not None:
        try:
            return _isolate(fn, parsed)
        except SourceUnavailableError:
            pass  # the lines linecache ended there are not the whole function: ask inspect
    try:
        parsed = _parse_lines(*inspect.getsourcelines(fn))
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {fn.__qualname__} (defined in {code.co_filename}): {exc}. "
            f"Functions typed at an interactive prompt or built with exec() have no source "
            f"file; put the function in a .py file (or a notebook cell) and try again."
        ) from None
    return _isolate(fn, parsed)


def _isolate(fn: types.FunctionType, parsed: tuple[gast.Module | None, str, int, int]) -> ParsedFunction:
    code = fn.__code__
    module, dedented, indent, first = parsed
    info = SourceInfo(code.co_filename, first - 1, indent)
    if fn.__name__ == "<lambda>":
        if module is None:
            # `try: grad(lambda x: ...)` is not a statement on its own: parse the lambda alone.
            module = _parse_lambdas(dedented)
        node, original = _lambda_as_def(fn, module, info)
    else:
        node = original = _find_def(fn, module, info)
    _refuse_stale(fn, original, info)
    return ParsedFunction(fn, node, info)


def _refuse_wrappers(fn: types.FunctionType) -> None:
    """Functions whose source is not theirs: a gradient adtransform made, a functools.wraps wrapper."""
    if fn.__code__.co_filename.startswith("<adtransform: "):
        raise SourceUnavailableError(
            f"{fn.__qualname__} is a function adtransform generated (a gradient): higher-order derivatives "
            f"(grad(grad(f))) are not supported yet")
    wrapped = getattr(fn, "__wrapped__", None)
    if fn.__code__.co_name != fn.__name__ and wrapped is not None:
        raise SourceUnavailableError(
            f"{fn.__qualname__} is a wrapper made by a decorator (functools.wraps; its code is "
            f"`{fn.__code__.co_name}` in {fn.__code__.co_filename}:{fn.__code__.co_firstlineno}), not the "
            f"function you wrote: differentiate the undecorated function ({fn.__name__}.__wrapped__), or "
            f"apply the decorator after adtransform.grad")


def _refuse_stale(fn: types.FunctionType, node: gast.AST, info: SourceInfo) -> None:
    """The text read for `fn` must be the code that runs: a file edited after it was imported (or a
    linecache refreshed since) holds other text, whose gradient would silently not be `fn`'s. Checked
    by compiling the text in scopes like `fn`'s (its free variables, its class) and comparing
    everything but positions with `fn.__code__`."""
    if any(isinstance(n, gast.Assert) for n in gast.walk(node)):
        return  # pytest rewrites asserts in test modules; the fence refuses `assert` anyway
    try:
        compiled = _compile_like(fn, node)
    except Exception:  # text this check cannot rebuild: the fence refuses what is unsupported
        return
    if compiled is None or not _same_code(compiled, fn.__code__):
        raise StaleSourceError(
            f"{info.filename}:{fn.__code__.co_firstlineno}: the source of {fn.__qualname__} in this file is "
            f"not the code that runs (the file was edited after the function was defined); reload the module "
            f"(importlib.reload) or restart Python, then call grad again")


def _compile_like(fn: types.FunctionType, node: gast.AST) -> types.CodeType | None:
    tree = gast.gast_to_ast(copy.deepcopy(node))
    body: list[ast.stmt] = [tree if isinstance(tree, ast.stmt) else ast.Expr(value=tree)]
    parts = fn.__qualname__.split(".")
    # The innermost class around it (`C.m`, `C.m.<locals>.f`): a name followed by another than `<locals>`.
    cls = next((parts[i] for i in range(len(parts) - 2, -1, -1)
                if parts[i] != "<locals>" and parts[i + 1] != "<locals>"), None)
    if cls is not None:  # a method: names are mangled with its class's name; `super()` needs `__class__`
        body = [ast.ClassDef(name=cls, bases=[], keywords=[], body=body, decorator_list=[], type_params=[])]
    free = [v for v in fn.__code__.co_freevars if not (cls is not None and v == "__class__")]
    if free:
        cells = [ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=ast.Constant(value=None)) for v in free]
        body = [ast.FunctionDef(name="__adtransform_scope__", args=ast.arguments(
            posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
            body=[*cells, *body], decorator_list=[], returns=None, type_params=[])]
    # Whether a global was bound by `import` changes how `np.sin(x)` compiles: say so for modules.
    imported = [ast.Import(names=[ast.alias(name=n)]) for n in sorted(_global_names(fn.__code__))
                if isinstance(fn.__globals__.get(n), types.ModuleType)]
    module = ast.fix_missing_locations(ast.Module(body=[*imported, *body], type_ignores=[]))
    queue = [compile(module, fn.__code__.co_filename, "exec", dont_inherit=True)]
    while queue:
        code = queue.pop(0)
        if code.co_name == fn.__code__.co_name:
            return code
        queue.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return None


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """Equal but for positions and what depends on the enclosing module (whether `np` was bound by an
    import decides between LOAD_METHOD and LOAD_ATTR for `np.sin(x)`)."""
    if (a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars, a.co_argcount, a.co_posonlyargcount,
            a.co_kwonlyargcount) != (b.co_names, b.co_varnames, b.co_freevars, b.co_cellvars, b.co_argcount,
                                     b.co_posonlyargcount, b.co_kwonlyargcount):
        return False
    if a.co_code != b.co_code and _instructions(a) != _instructions(b):
        return False
    return len(a.co_consts) == len(b.co_consts) and all(map(_same_constant, a.co_consts, b.co_consts))


_JUMPS = frozenset(getattr(dis, "hasjump", [*dis.hasjrel, *dis.hasjabs]))
_BY_NAME = {"LOAD_GLOBAL", "LOAD_ATTR", "LOAD_METHOD"}  # their argument also encodes the method-call form
# Not the text's: argument widths, line-number padding, and (3.13) the NULL a call pushes separately
# when the callee's module was imported in the same file (in a notebook, often another cell).
_IGNORED = frozenset({"EXTENDED_ARG", "NOP", "CACHE", "PUSH_NULL"})


def _instructions(code: types.CodeType) -> list[tuple[str, object]]:
    every = list(dis.get_instructions(code))
    found = [ins for ins in every if ins.opname not in _IGNORED]
    index, k = {}, 0
    for ins in every:  # (a jump to an EXTENDED_ARG goes to the instruction it extends)
        index[ins.offset] = k
        k += ins.opname not in _IGNORED
    out = []
    for ins in found:
        name = "LOAD_ATTR" if ins.opname == "LOAD_METHOD" else ins.opname
        if ins.opname in _BY_NAME:
            out.append((name, ins.argval))
        elif ins.opcode in _JUMPS:
            out.append((name, index.get(ins.argval, ins.argval)))
        else:
            out.append((name, ins.arg))
    return out


def _same_constant(a: object, b: object) -> bool:
    if isinstance(a, types.CodeType) and isinstance(b, types.CodeType):
        return _same_code(a, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, frozenset)):
        return len(a) == len(b) and all(map(_same_constant, sorted(a, key=repr), sorted(b, key=repr)))
    return a == b or repr(a) == repr(b)  # (repr: nan)


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
            if isinstance(stmt, gast.FunctionDef) and stmt.name == fn.__code__.co_name:
                stmt.decorator_list = []
                return stmt
            if isinstance(stmt, gast.AsyncFunctionDef):
                break
    coroutine = next((s for s in module.body if isinstance(s, gast.AsyncFunctionDef)), None) if module else None
    if coroutine is not None:
        raise AsyncFunctionError("coroutines cannot be differentiated; differentiate a plain `def` function",
                                 info.location(coroutine), "`async def`", function=fn.__name__)
    raise SourceUnavailableError(
        f"{info.filename}:{info.line_offset + 1}: no `def {fn.__name__}` where {fn.__qualname__}'s code begins; "
        f"if the file was edited since it was imported, reload the module (importlib.reload)"
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


def _lambda_as_def(fn: types.FunctionType, module: gast.Module | None,
                   info: SourceInfo) -> tuple[gast.FunctionDef, gast.Lambda]:
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
            f"({', '.join(params)}) on this line; define the function with `def` instead (or, if the "
            f"file was edited since it was imported, reload the module)."
        )
    lam = found[0]
    ret = build.return_(lam.body)
    gast.copy_location(ret, lam.body)
    original = copy.deepcopy(lam)
    node = build.function_def("<lambda>", lam.args, [ret])
    gast.copy_location(node, lam)
    return node, original
