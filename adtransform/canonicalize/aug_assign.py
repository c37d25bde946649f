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


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    changed = False
    for i, stmt in enumerate(node.body):
        if isinstance(stmt, gast.AugAssign):
            value = gast.BinOp(left=build.name(stmt.target.id), op=stmt.op, right=stmt.value)
            new = build.assign(stmt.target.id, value)
        elif isinstance(stmt, gast.AnnAssign):
            new = build.assign(stmt.target.id, stmt.value)
        else:
            continue
        node.body[i] = gast.copy_location(new, stmt)
        changed = True
    return changed
