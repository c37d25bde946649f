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
from ..syntax import build
from .blocks import rewrite_blocks


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    return rewrite_blocks(node, _rewrite)


def _rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
    if isinstance(stmt, gast.AugAssign):
        value = gast.BinOp(left=build.name(stmt.target.id), op=stmt.op, right=stmt.value)
        return [build.assign(stmt.target.id, value)]
    if isinstance(stmt, gast.AnnAssign):
        return [build.assign(stmt.target.id, stmt.value)]
    return None
