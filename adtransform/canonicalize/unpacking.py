"""Split tuple assignment into one assignment per name.

Post-condition: every Assign has a single target: a name, or a subscript of a name.
Requires: aug_assign (no AugAssign left).
Why: SSA gives each name one definition. `a, b = b, a` must read both sides
before writing, so when a target is read on the right, the values go through
temporaries first; otherwise each element is assigned directly.
A non-literal right side is bound once and indexed (`t = e; a = t[0]; ...`).

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, "def f(x, y):\\n    a, b = y, x\\n    x, y = y, x\\n    return a"))
def f(x, y):
    a = y
    b = x
    x_1 = y
    y_1 = x
    x = x_1
    y = y_1
    return a
"""

from __future__ import annotations

import gast

from ..frontend.context import Context
from ..runtime.sequences import unpack_check
from ..syntax import build
from .blocks import rewrite_blocks


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    def rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
        if isinstance(stmt, gast.Assign) and (len(stmt.targets) > 1
                                              or not isinstance(stmt.targets[0], (gast.Name, gast.Subscript))):
            return _split(stmt, ctx)
        return None

    return rewrite_blocks(node, rewrite)


def _split(stmt: gast.Assign, ctx: Context) -> list[gast.stmt]:
    out: list[gast.stmt] = []
    value = stmt.value
    if len(stmt.targets) > 1:
        # a = b = e: evaluate e once.
        first = ctx.namer.fresh("_".join(_names(stmt.targets[-1])))
        out.append(build.assign(first, value))
        value = build.name(first)
    for target in stmt.targets:
        if isinstance(target, gast.Name):
            out.append(build.assign(target.id, value))
        elif isinstance(target, gast.Subscript):
            out.append(gast.copy_location(build.assign_to(target, value), stmt))
        else:
            out.extend(_unpack(target, value, ctx))
    return out


def _names(target: gast.expr) -> list[str]:
    """The names a target binds or writes into (`x[i]` writes into `x`)."""
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, gast.Starred):
        return _names(target.value)
    if isinstance(target, gast.Subscript):
        return _names(target.value)
    return [n for elt in target.elts for n in _names(elt)]


def _bind(target: gast.expr, value: gast.expr, ctx: Context) -> list[gast.stmt]:
    if isinstance(target, gast.Name):
        return [build.assign(target.id, value)]
    if isinstance(target, gast.Subscript):
        return [gast.copy_location(build.assign_to(target, value), target)]
    return _unpack(target, value, ctx)


def _unpack(target: gast.Tuple | gast.List, value: gast.expr, ctx: Context) -> list[gast.stmt]:
    """`a, (b, c) = e`: every value is read before any target is written, as Python does."""
    names = _names(target)
    if any(isinstance(elt, gast.Starred) for elt in target.elts):
        return _unpack_starred(target, value, ctx)
    if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts) \
            and not any(isinstance(elt, gast.Starred) for elt in value.elts):
        read = {n.id for elt in value.elts for n in gast.walk(elt) if isinstance(n, gast.Name)}
        if not read & set(names):
            return [stmt for t, v in zip(target.elts, value.elts) for stmt in _bind(t, v, ctx)]
        temps = [ctx.namer.fresh("_".join(_names(t))) for t in target.elts]
        return [build.assign(t, v) for t, v in zip(temps, value.elts)] + [
            stmt for elt, t in zip(target.elts, temps) for stmt in _bind(elt, build.name(t), ctx)]
    whole = ctx.namer.fresh("_".join(names))
    out: list[gast.stmt] = [build.assign(whole, value), _length_check(whole, len(target.elts), False, ctx)]
    out[0].unpacks = (len(target.elts), False)  # a static container's length is checked (aggregates)
    for i, elt in enumerate(target.elts):
        out.extend(_bind(elt, _element(whole, build.constant(i)), ctx))
    return out


def _length_check(whole: str, count: int, starred: bool, ctx: Context) -> gast.stmt:
    """`unpack_check(t, n)`: Python raises ValueError when `t` has another number of items, which the
    reads by index below would not. The aggregates pass checks a static container's length itself and
    drops this; an array's is checked when the function runs."""
    helper = build.name(ctx.helper_name(unpack_check))
    check = gast.Expr(build.call(helper, [build.name(whole), build.constant(count), build.constant(starred)]))
    check.unpack_check = whole
    return check


def _element(whole: str, index: gast.expr) -> gast.Subscript:
    """`whole[index]` as unpacking reads it: by iterating (a dict gives its keys; see aggregates)."""
    item = build.subscript(build.name(whole), index)
    item.iteration = True
    return item


def _unpack_starred(target: gast.Tuple | gast.List, value: gast.expr, ctx: Context) -> list[gast.stmt]:
    """`a, *rest, z = e`: `t = e; a = t[0]; rest = list(t[1:-1]); z = t[-1]` (a static container's
    length is known to the aggregates pass, which checks it; anything else stays a list)."""
    whole = ctx.namer.fresh("_".join(_names(target)))
    out: list[gast.stmt] = [build.assign(whole, value), _length_check(whole, len(target.elts) - 1, True, ctx)]
    out[0].unpacks = (len(target.elts) - 1, True)
    star = next(i for i, elt in enumerate(target.elts) if isinstance(elt, gast.Starred))
    after = len(target.elts) - star - 1
    for i, elt in enumerate(target.elts):
        if i < star:
            index: gast.expr = build.constant(i)
        elif i == star:
            index = gast.Slice(lower=build.constant(star), upper=build.constant(-after) if after else None, step=None)
            rest = build.call(build.name(ctx.builtin("list")), [build.subscript(build.name(whole), index)])
            out.extend(_bind(elt.value, rest, ctx))
            continue
        else:
            index = build.constant(i - len(target.elts))
        out.extend(_bind(elt, _element(whole, index), ctx))
    return out
