"""Loops over sequences become loops over indices: `for row in X:` -> `for i in range(len(X)): row = X[i]`.

Post-condition: every `for` loop iterates over `range(...)`.
Requires: nothing (runs first). Handles `enumerate(seq[, start])` and
`zip(a, b, ...)` with tuple targets, and any other indexable sequence (arrays
by rows, lists, tuples); the sequence is evaluated once, before the loop.
Why: SSA lowering and reverse mode need a known trip count and a loop index
they can replay backwards; the adjoint of `X[i]` then scatters each row's
adjoint back into `X`'s, so no special rule for iteration is needed.

>>> from adtransform.canonicalize.testing import run_pass
>>> src = "def f(X, w):\\n    for i, row in enumerate(X):\\n        w = w + row * i\\n    return w"
>>> print(run_pass(transform, src))
def f(X, w):
    for i in range(len(X)):
        row = X[i]
        w = w + row * i
    return w
"""

from __future__ import annotations

import builtins

import gast

from ..context import Context
from ..syntax import build
from .blocks import rewrite_blocks


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    def rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
        if not isinstance(stmt, gast.For) or _builtin(stmt.iter, "range", ctx):
            return None
        return _by_index(stmt, ctx)

    return rewrite_blocks(node, rewrite)


def _builtin(node: gast.expr, name: str, ctx: Context) -> bool:
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.func.id not in ctx.locals
            and ctx.namespace.lookup(node.func.id) is getattr(builtins, name))


def _sequence(expr: gast.expr, hint: str, before: list[gast.stmt], ctx: Context, rebound: set[str]) -> gast.expr:
    """A name for `expr`, evaluated once before the loop (iterators such as reversed() become lists)."""
    if isinstance(expr, gast.Name) and expr.id not in rebound:
        return expr
    if isinstance(expr, gast.Call) and any(_builtin(expr, b, ctx) for b in ("reversed", "iter", "map", "filter")):
        expr = build.call(build.name("list"), [expr])
    name = ctx.namer.fresh(hint)
    before.append(build.assign(name, expr))
    return build.name(name)


def _by_index(stmt: gast.For, ctx: Context) -> list[gast.stmt]:
    before: list[gast.stmt] = []
    # Python iterates over the object the loop started with, even if the body rebinds its name.
    rebound = {n.id for s in stmt.body for n in gast.walk(s)
               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    target, it = stmt.target, stmt.iter
    simple_names = isinstance(target, gast.Tuple) and all(isinstance(e, gast.Name) for e in target.elts)
    if _builtin(it, "enumerate", ctx) and simple_names and len(target.elts) == 2 and not it.keywords:
        counter, item = target.elts
        seq = _sequence(it.args[0], "seq", before, ctx, rebound)
        index = ctx.namer.fresh("i")
        start = it.args[1] if len(it.args) > 1 else None
        count = build.name(index) if start is None else build.binop("+", build.name(index), start)
        head = [build.assign(counter.id, count), build.assign(item.id, build.subscript(seq, build.name(index)))]
        length = build.call(build.name("len"), [seq])
        if start is None:  # the enumerate counter is the index itself
            index = counter.id
            head = [build.assign(item.id, build.subscript(seq, build.name(index)))]
    elif _builtin(it, "zip", ctx) and simple_names and len(target.elts) == len(it.args) and not it.keywords:
        seqs = [_sequence(a, "seq", before, ctx, rebound) for a in it.args]
        index = ctx.namer.fresh("i")
        length = build.call(build.name("min"), [build.call(build.name("len"), [s]) for s in seqs]) \
            if len(seqs) > 1 else build.call(build.name("len"), seqs)
        head = [build.assign(t.id, build.subscript(s, build.name(index))) for t, s in zip(target.elts, seqs)]
    else:
        seq = _sequence(it, "seq", before, ctx, rebound)
        index = ctx.namer.fresh("i")
        length = build.call(build.name("len"), [seq])
        item = build.subscript(seq, build.name(index))
        head = [gast.Assign(targets=[target], value=item, type_comment=None)]
    loop = gast.For(target=build.name(index, "store"), iter=build.call(build.name("range"), [length]),
                    body=[*head, *stmt.body], orelse=stmt.orelse, type_comment=None)
    for new in (*before, *head, loop):
        gast.copy_location(new, stmt)
    return [*before, loop]
