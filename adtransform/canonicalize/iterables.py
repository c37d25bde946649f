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

from ..frontend.context import Context
from ..syntax import build
from .blocks import rewrite_blocks


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    def rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
        if not isinstance(stmt, gast.For) or _builtin(stmt.iter, "range", ctx):
            return None
        return _by_index(stmt, ctx)

    return rewrite_blocks(node, rewrite)


def _builtin(node: gast.expr, name: str, ctx: Context) -> bool:
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and ctx.is_builtin(node.func.id, getattr(builtins, name)))


def _sequence(expr: gast.expr, hint: str, before: list[gast.stmt], ctx: Context, rebound: set[str]) -> gast.expr:
    """A name for `expr`, evaluated once before the loop (iterators such as map() become lists: so do
    the `enumerate` and `zip` a target does not unpack, `for pair in zip(x, y)`)."""
    keys = _string_keys(expr, ctx)
    if keys is not None:  # (a display, which the aggregates pass unrolls: `p[k]` then reads by constant keys)
        expr = build.tuple_([build.constant(k) for k in keys])
    elif isinstance(expr, gast.Name) and expr.id not in rebound and not _unindexable_global(expr, ctx):
        return expr
    if (isinstance(expr, gast.Call) and any(_builtin(expr, b, ctx)
                                            for b in ("iter", "map", "filter", "enumerate", "zip"))) \
            or _unindexable_global(expr, ctx):
        expr = build.call(build.name(ctx.builtin("list")), [expr])
    name = ctx.namer.fresh(hint)
    before.append(build.assign(name, expr))
    return build.name(name)


def _string_keys(expr: gast.expr, ctx: Context) -> tuple[str, ...] | None:
    """The strings a loop runs over when they are known here: a string constant (`for k in "ab"`) or a
    global tuple of strings (`KEYS = ("a", "b")`, relied on by identity: a tuple cannot change in place)."""
    if isinstance(expr, gast.Constant) and isinstance(expr.value, str) and 0 < len(expr.value) <= _KEYS:
        return tuple(expr.value)
    value = _global(expr, ctx) if isinstance(expr, gast.Name) else None
    identity = getattr(ctx.namespace, "identity", None)
    if type(value) is not tuple or not 0 < len(value) <= _KEYS or identity is None \
            or not all(type(v) is str for v in value):
        return None
    identity.add((expr.id,))
    return value


_KEYS = 64  # strings at most (a longer loop stays a loop)


def _unindexable_global(expr: gast.expr, ctx: Context) -> bool:
    """A global iterated over that indices do not read as Python iterates it: a dict (its keys), a
    set, or a global dict's `items()`, `values()` or `keys()`; the loop runs over `list(...)` of it."""
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and not expr.args \
            and not expr.keywords and expr.func.attr in ("items", "values", "keys"):
        return isinstance(_global(expr.func.value, ctx), dict)
    return isinstance(_global(expr, ctx), (dict, set, frozenset))


def _global(expr: gast.expr, ctx: Context) -> object:
    """The object a free name or a module's attribute (`cfg.D`) refers to now (None for a local or
    anything else)."""
    path: list[str] = []
    while isinstance(expr, gast.Attribute):
        path.insert(0, expr.attr)
        expr = expr.value
    if not isinstance(expr, gast.Name) or expr.id in ctx.locals or expr.id in ctx.helpers:
        return None
    ref = ctx.namespace.resolve((expr.id, *path))
    return ref.obj if len(ref.path) == len(path) + 1 else None


class _Loop:
    """What the statements before a loop over `stmt.iter` compute: the sequences, their lengths."""

    def __init__(self, stmt: gast.For, ctx: Context) -> None:
        self.ctx = ctx
        self.before: list[gast.stmt] = []
        self.lengths: list[gast.expr] = []
        # Python iterates over the object the loop started with, even if the body rebinds its name.
        self.rebound = {n.id for s in stmt.body for n in gast.walk(s)
                        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}

    def once(self, expr: gast.expr, hint: str) -> gast.expr:
        return _sequence(expr, hint, self.before, self.ctx, self.rebound)

    def head(self, target: gast.expr, it: gast.expr, index: gast.expr) -> list[gast.stmt]:
        """Statements binding `target` to the element `index` of `it` (nested enumerate/zip/reversed too)."""
        ctx = self.ctx
        pairs = isinstance(target, (gast.Tuple, gast.List))
        enumerated = _enumerated(it) if pairs and _builtin(it, "enumerate", ctx) else None
        if enumerated is not None and len(target.elts) == 2:
            (seq, start), (counter, item) = enumerated, target.elts
            if start is not None and not isinstance(start, gast.Constant):
                start = self.once(start, "start")  # evaluated once, as enumerate does
            count = index if start is None else build.binop("+", index, start)
            return [gast.Assign(targets=[counter], value=count, type_comment=None),
                    *self.head(item, seq, index)]
        if pairs and _builtin(it, "zip", ctx) and len(target.elts) == len(it.args) and not it.keywords:
            return [stmt for elt, arg in zip(target.elts, it.args) for stmt in self.head(elt, arg, index)]
        if _builtin(it, "reversed", ctx) and len(it.args) == 1 and not it.keywords:
            seq = self.once(it.args[0], "seq")
            length = self.once(build.call(build.name(ctx.builtin("len")), [seq]), "n")
            self.lengths.append(length)
            item = build.subscript(seq, build.binop("-", build.binop("-", length, build.constant(1)), index))
        else:
            seq = self.once(it, "seq")
            self.lengths.append(build.call(build.name(ctx.builtin("len")), [seq]))
            item = build.subscript(seq, index)
        item.iteration = True  # the `index`-th element iterated over (a dict's key: canonicalize/aggregates.py)
        return [gast.Assign(targets=[target], value=item, type_comment=None)]


def _enumerated(it: gast.Call) -> tuple[gast.expr, gast.expr | None] | None:
    """`enumerate(seq)`, `enumerate(seq, k)`, `enumerate(seq, start=k)`: `(seq, k or None)`; None for other calls."""
    start = [kw.value for kw in it.keywords if kw.arg == "start"]
    if len(start) != len(it.keywords) or not 1 <= len(it.args) + len(start) <= 2 or not it.args:
        return None
    return it.args[0], (it.args[1:] + start or [None])[0]


def _by_index(stmt: gast.For, ctx: Context) -> list[gast.stmt]:
    loop = _Loop(stmt, ctx)
    target, it = stmt.target, stmt.iter
    counter = target.elts[0] if isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2 else None
    if _builtin(it, "enumerate", ctx) and _enumerated(it) == (it.args[0], None) and isinstance(counter, gast.Name):
        index = counter.id  # the enumerate counter is the index itself
        head = loop.head(target, it, build.name(index))[1:]
    else:
        index = ctx.namer.fresh("i")
        head = loop.head(target, it, build.name(index))
    lengths = loop.lengths
    length = lengths[0] if len(lengths) == 1 else build.call(build.name(ctx.builtin("min")), lengths)
    loop_range = build.call(build.name(ctx.builtin("range")), [length])
    new_loop = gast.For(target=build.name(index, "store"), iter=loop_range,
                        body=[*head, *stmt.body], orelse=stmt.orelse, type_comment=None)
    for new in (*loop.before, *head, new_loop):
        gast.copy_location(new, stmt)
    return [*loop.before, new_loop]
