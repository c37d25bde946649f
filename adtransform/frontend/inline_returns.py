"""An inlined callee's `return`s become assignments of the call's result.

The body of a callee spliced at a call site (frontend/inline.py) must run to its end: each
`return e` becomes `result = e` plus, when code after it could run, `returned = True`; a return
inside a loop also leaves the loop with `break` (canonicalize/loop_exits removes it later, as it
does the caller's own). What follows a statement that may have returned is guarded by
`if not returned:`, and after an inner loop by `if returned: break`. As in canonicalize/returns.py
(which runs later, on the whole function, and which this stage may not import), a `return` ending
one branch of an `if` moves the rest into the other branch, so guard clauses need no flag.
"""

from __future__ import annotations

import gast

from ..errors import UnsupportedSyntaxError
from ..syntax import build
from .source import SourceInfo

_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)


def lower_returns(body: list[gast.stmt], result: str, flag: str) -> list[gast.stmt]:
    """`body` with every return an assignment to `result`; `flag` is used only where it is read."""
    lowering = _Lowering(result, flag)
    out = lowering.block(body, in_loop=False)
    if not _always_returns(body):
        out.insert(0, build.assign(result, build.constant(None)))
    if lowering.read:
        out.insert(0, build.assign(flag, build.constant(False)))
    else:
        out = _drop_flag(out, flag)
    return out


def contains_return(node: gast.AST) -> bool:
    """Whether running statement `node` may return from the function it is in (a `return` of a
    nested `def`, lambda or class body returns from that scope, not this one)."""
    stack = [node]
    while stack:
        child = stack.pop()
        if isinstance(child, gast.Return):
            return True
        if not isinstance(child, _SCOPES):
            stack.extend(gast.iter_child_nodes(child))
    return False


def refuse_returned_function(body: list[gast.stmt], label: str, info: SourceInfo) -> None:
    """A located refusal of a function `label` that returns a function it defines."""
    escaping = returned_function(body)
    if escaping is not None:
        raise UnsupportedSyntaxError(
            f"{label} returns its nested function `{escaping.id}`: adtransform inlines a nested function "
            f"where it is called, so it cannot follow one returned; define it at module level and pass what "
            f"it reads as arguments (or call it inside {label})", info.location(escaping),
            f"nested function `{escaping.id}` returned")


def returned_function(body: list[gast.stmt]) -> gast.Name | None:
    """A function defined in `body` (`def`, or a name bound to a lambda) that a `return` of `body`
    hands out, other than by calling it: the inliner follows a nested function only to its calls."""
    defined = set()
    returns = []
    stack: list[gast.AST] = list(body)
    while stack:
        child = stack.pop()
        if isinstance(child, (gast.FunctionDef, gast.AsyncFunctionDef)):
            defined.add(child.name)
            continue
        if isinstance(child, gast.Assign) and isinstance(child.value, gast.Lambda):
            defined |= {t.id for t in child.targets if isinstance(t, gast.Name)}
        if isinstance(child, gast.Return) and child.value is not None:
            returns.append(child.value)
        if not isinstance(child, _SCOPES):
            stack.extend(gast.iter_child_nodes(child))
    for value in returns:
        called = {id(n.func) for n in gast.walk(value) if isinstance(n, gast.Call)}
        for n in gast.walk(value):
            if isinstance(n, gast.Name) and n.id in defined and id(n) not in called:
                return n
    return None


def _always_returns(stmts: list[gast.stmt]) -> bool:
    for stmt in stmts:
        if isinstance(stmt, gast.Return):
            return True
        if isinstance(stmt, gast.If) and _always_returns(stmt.body) and _always_returns(stmt.orelse):
            return True
    return False


class _Lowering:
    def __init__(self, result: str, flag: str):
        self.result = result
        self.flag = flag
        self.read = False

    def block(self, stmts: list[gast.stmt], in_loop: bool) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1:]
            if isinstance(stmt, gast.Return):
                value = stmt.value if stmt.value is not None else build.constant(None)
                new = [build.assign(self.result, value), build.assign(self.flag, build.constant(True))]
                if in_loop:
                    new.append(build.break_())
                return out + [gast.copy_location(s, stmt) for s in new]
            if not contains_return(stmt):
                out.append(stmt)
                continue
            if isinstance(stmt, gast.If):
                in_body, in_else = _always_returns(stmt.body), _always_returns(stmt.orelse)
                if in_body or in_else:
                    if not in_else:
                        stmt.orelse = [*stmt.orelse, *rest]
                    elif not in_body:
                        stmt.body = [*stmt.body, *rest]
                    rest = []
                stmt.body = self.block(stmt.body, in_loop)
                stmt.orelse = self.block(stmt.orelse, in_loop)
                out.append(stmt)
                if not rest:
                    return out
                if in_loop:
                    continue  # a return in there left this loop: the rest only runs if none did
            else:  # a loop: returns in its body leave it; those in its `else` are ours
                stmt.body = self.block(stmt.body, in_loop=True)
                stmt.orelse = self.block(stmt.orelse, in_loop)
                out.append(stmt)
                if in_loop:
                    self.read = True
                    out.append(gast.copy_location(build.if_(build.name(self.flag), [build.break_()]), stmt))
                    continue
                if not rest:
                    return out
            self.read = True
            guard = build.if_(build.unaryop("not", build.name(self.flag)), self.block(rest, in_loop))
            out.append(gast.copy_location(guard, rest[0]))
            return out
        return out


def _drop_flag(stmts: list[gast.stmt], flag: str) -> list[gast.stmt]:
    """Remove `flag = ...` assignments (nothing reads the flag)."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id == flag:
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list) and not isinstance(stmt, _SCOPES):
                setattr(stmt, field, _drop_flag(getattr(stmt, field), flag))
        out.append(stmt)
    return out
