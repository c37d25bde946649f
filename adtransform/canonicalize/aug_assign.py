"""Lower `x op= e` to `x = x op e`.

Post-condition: no AugAssign remains; annotated assignments are plain ones.
Requires: the fence (targets are plain names).
Why: SSA lowering handles plain assignment only. NumPy's in-place `+=`
mutates an array the caller may hold; as `x = x + e` it does not, which is the
semantics a gradient can be defined for.

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, "def f(x):\\n    x += 2 * x\\n    return x"))
def f(x):
    x = x + 2 * x
    return x
"""

from __future__ import annotations

import gast

from ..context import Context
from ..errors import UnsupportedSyntaxError
from ..syntax import build
from .blocks import rewrite_blocks

_VIEWS = {"T", "reshape", "transpose", "ravel", "view", "swapaxes", "squeeze"}


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    _refuse_aliased_updates(node, ctx)
    return rewrite_blocks(node, _rewrite)


def _viewed_name(value: gast.expr) -> str | None:
    """`b` when `value` may share memory with `b`: `b`, `b[i]`, `b.T`, `b.reshape(...)`."""
    if isinstance(value, gast.Call):
        value = value.func if isinstance(value.func, gast.Attribute) and value.func.attr in _VIEWS else value
    while isinstance(value, (gast.Subscript, gast.Attribute)):
        if isinstance(value, gast.Attribute) and value.attr not in _VIEWS:
            return None
        value = value.value
    return value.id if isinstance(value, gast.Name) else None


def _refuse_aliased_updates(node: gast.FunctionDef, ctx: Context) -> None:
    """NumPy's `y += e` writes into y's buffer; if another name that is read shares it, refuse.

    After `y = x`, `y += 1.0` changes `x` too; as `y = y + 1.0` it would not, and a gradient
    through a later read of `x` would be silently wrong.
    """
    aliases: dict[str, set[str]] = {}
    alias_stmts: set[int] = set()
    for stmt in gast.walk(node):
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
            source = _viewed_name(stmt.value)
            if source is not None and source != stmt.targets[0].id:
                target = stmt.targets[0].id
                aliases.setdefault(target, set()).add(source)
                aliases.setdefault(source, set()).add(target)
                alias_stmts.update(id(n) for n in gast.walk(stmt.value))
    reads: dict[str, int] = {}
    for name in gast.walk(node):
        if isinstance(name, gast.Name) and isinstance(name.ctx, gast.Load) and id(name) not in alias_stmts:
            reads[name.id] = reads.get(name.id, 0) + 1
    for stmt in gast.walk(node):
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            name = stmt.target.id
            for partner in sorted(aliases.get(name, ())):
                if reads.get(partner):
                    raise UnsupportedSyntaxError(
                        f"`{name}` may share memory with `{partner}` (assigned from it), so NumPy's in-place "
                        f"update would change `{partner}` too; write `{name} = {name} {_symbol(stmt.op)} ...` "
                        f"for a new array, or copy first (`{name} = {partner}.copy()`)",
                        ctx.info.location(stmt), "in-place update of an alias")


def _symbol(op: gast.operator) -> str:
    return build.SYMBOL_OF.get(type(op), "op")


def _rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
    if isinstance(stmt, gast.AugAssign):
        value = gast.BinOp(left=build.name(stmt.target.id), op=stmt.op, right=stmt.value)
        return [build.assign(stmt.target.id, value)]
    if isinstance(stmt, gast.AnnAssign):
        return [build.assign(stmt.target.id, stmt.value)]
    return None
