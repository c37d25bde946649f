"""Lower `x op= e` to `x = in_place_result(x op e, x, symbol='op')`.

Post-condition: no AugAssign remains; annotated assignments are plain ones.
Requires: the fence (targets are names, or subscripts of a name: `y[i] += e` ->
`y[i] = in_place_result(y[i] + e, y[i], symbol='+', layout=False)`; it refuses an alias the update would change).
Why: SSA lowering handles plain assignment only. NumPy's in-place `+=` mutates an array
the caller may hold; as a new value it does not, which is the semantics a gradient can be
defined for. The new value still keeps the in-place contract: on an array it has the array's
shape, dtype (cast under 'same_kind') and layout, and NumPy's errors where those fail
(runtime/inplace.py); a number, tuple or list gets `x op e`, as Python gives.

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, "def f(x):\\n    x += 2 * x\\n    return x"))
def f(x):
    x = in_place_result(x + 2 * x, x, symbol='+')
    return x
"""

from __future__ import annotations

import copy

import gast

from ..frontend.context import Context
from ..runtime.inplace import in_place_result
from ..syntax import build
from .blocks import rewrite_blocks

_SYMBOLS = {
    gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.FloorDiv: "//", gast.Mod: "%",
    gast.Pow: "**", gast.MatMult: "@", gast.BitAnd: "&", gast.BitOr: "|", gast.BitXor: "^",
    gast.LShift: "<<", gast.RShift: ">>",
}


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    containers = _container_names(node)
    return rewrite_blocks(node, lambda stmt: _rewrite(stmt, ctx, containers))


def _rewrite(stmt: gast.stmt, ctx: Context, containers: set[str]) -> list[gast.stmt] | None:
    if isinstance(stmt, gast.AugAssign):
        target = stmt.target
        if isinstance(target, gast.Subscript):
            # `y[i] += e`: a read of the slot, the in-place result, a write into the slot.
            def read() -> gast.expr:
                return build.subscript(build.name(target.value.id), copy.deepcopy(target.slice))
        else:
            def read() -> gast.expr:
                return build.name(target.id)
        value = gast.BinOp(left=read(), op=stmt.op, right=stmt.value)
        if isinstance(target, gast.Name) and target.id in containers:
            return [gast.copy_location(build.assign_to(target, value), stmt)]  # a list, tuple or dict: `x = x op e`
        helper = build.name(ctx.helper_name(in_place_result))
        keywords = [gast.keyword("symbol", gast.Constant(_SYMBOLS[type(stmt.op)], None))]
        if isinstance(target, gast.Subscript):  # (written into the slot at once: its layout does not matter)
            keywords.append(gast.keyword("layout", gast.Constant(False, None)))
        call = gast.Call(helper, [value, read()], keywords)
        return [gast.copy_location(build.assign_to(target, call), stmt)]
    if isinstance(stmt, gast.AnnAssign):
        return [gast.copy_location(build.assign_to(stmt.target, stmt.value), stmt)]
    return None


_DISPLAYS = (gast.List, gast.Tuple, gast.Dict, gast.Set, gast.ListComp, gast.DictComp, gast.SetComp)


def _container_names(node: gast.FunctionDef) -> set[str]:
    """Names the function binds to a list, tuple, dict or set display (or `list(...)`, `tuple(...)`,
    `dict(...)`): `L += [v]` there is Python's concatenation, which no array contract concerns (and
    which the container passes after this one follow as `L = L + [v]`)."""
    names = set()
    for stmt in gast.walk(node):
        if isinstance(stmt, gast.Assign) and _is_container(stmt.value):
            names |= {t.id for t in stmt.targets if isinstance(t, gast.Name)}
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name) and _is_container(stmt.value):
            names.add(stmt.target.id)
    return names


def _is_container(value: gast.expr) -> bool:
    return isinstance(value, _DISPLAYS) or (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                                            and value.func.id in ("list", "tuple", "dict"))
