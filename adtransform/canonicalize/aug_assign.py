"""Lower `x op= e` to `x = x op e`.

Post-condition: no AugAssign remains; annotated assignments are plain ones.
Requires: the fence (targets are names, or subscripts of a name: `y[i] += e` -> `y[i] = y[i] + e`).
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

import copy

import gast

from ..frontend.context import Context
from ..syntax import build
from .blocks import rewrite_blocks


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    return rewrite_blocks(node, _rewrite)


def _rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
    if isinstance(stmt, gast.AugAssign):
        target = stmt.target
        if isinstance(target, gast.Subscript):
            # `y[i] += e` -> `y[i] = y[i] + e`: a read of the slot, then a write into it.
            read = build.subscript(build.name(target.value.id), copy.deepcopy(target.slice))
            value = gast.BinOp(left=read, op=stmt.op, right=stmt.value)
            return [gast.copy_location(build.assign_to(target, value), stmt)]
        value = gast.BinOp(left=build.name(target.id), op=stmt.op, right=stmt.value)
        return [build.assign(target.id, value)]
    if isinstance(stmt, gast.AnnAssign):
        return [gast.copy_location(build.assign_to(stmt.target, stmt.value), stmt)]
    return None
