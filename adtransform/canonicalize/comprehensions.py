"""List comprehensions, generator expressions and dict comprehensions -> explicit loops building a new
list (a dict: `{k: f(v) for k, v in d.items()}` writes `items[k] = f(v)`, the key evaluated first).

`y = np.stack([f(v) for v in xs if v > 0])` becomes

    items = []
    for v_1 in xs:
        if v_1 > 0:
            items.append(f(v_1))
    y = np.stack(items)

and each later pass sees an ordinary loop (iterables: over indices; appends: `list_append`; a dict's
loop over a container of keys known now is unrolled by aggregates, its filters on the keys decided then,
any other refused there, located). The
comprehension's own names are renamed fresh (Python 3 gives a comprehension its own scope: they
never leak into the function's). Several `for` clauses nest in order, each `if` guards the ones
after it. A generator expression is the same list where its consumer reads it whole at once (the
only argument of `sum`, `max`, `min`, `list`, `tuple`, `any`, `all`, `sorted` or of a NumPy function
taking a sequence); consumed lazily elsewhere, it is refused, located. The list is built before the
statement holding the comprehension, so a comprehension that Python evaluates only on some paths
(inside `a if c else b`, `and`/`or`) or again each time (a `while` test) is refused too.

Requires: nothing (runs before iterables, which then turns the loops into loops over `range`).
"""

from __future__ import annotations

import builtins

import gast
import numpy as np

from ..errors import UnsupportedSyntaxError
from ..frontend.calls import Calls
from ..frontend.context import Context
from ..frontend.resolve import local_names
from ..syntax import build
from .blocks import rewrite_blocks

_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp, gast.DictComp)
# Consumers that read a generator expression whole, at once: it may become a list.
_CONSUMERS = frozenset({
    builtins.sum, builtins.max, builtins.min, builtins.list, builtins.tuple, builtins.any, builtins.all,
    builtins.sorted, np.array, np.asarray, np.stack, np.concatenate, np.hstack, np.vstack, np.column_stack,
    np.sum, np.mean, np.prod, np.max, np.min,
})
_HEADERS = {gast.If: ("test",), gast.For: ("iter",), gast.While: ("test",)}


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    calls = Calls(ctx.namespace, frozenset(local_names(node)), ctx.helpers)

    def rewrite(stmt: gast.stmt) -> list[gast.stmt] | None:
        fields = _HEADERS.get(type(stmt))
        if isinstance(stmt, gast.For):  # `for v in map(f, xs)`: over the list of results
            mapped = _map_as_generator(stmt.iter, calls, ctx)
            if mapped is not None:
                stmt.iter = gast.copy_location(gast.ListComp(mapped.elt, mapped.generators), mapped)
        roots = [getattr(stmt, f) for f in fields] if fields is not None else [stmt]
        found = [c for root in roots for c in _outermost(root)]
        if not found and not any(_is_map(n, calls) for root in roots for n in gast.walk(root)):
            return None
        if isinstance(stmt, gast.While):
            _refuse(ctx, found[0], "a comprehension in a `while` test is evaluated again at every iteration; "
                                   "compute it in the loop body, into a name the test reads")
        _check_evaluated_once(stmt, roots, ctx)
        replacer = _Replacer(ctx, calls, stmt)
        if fields is None:
            replacer.visit(stmt)
        for f in fields or ():
            setattr(stmt, f, replacer.visit(getattr(stmt, f)))
        if not replacer.before:
            return None
        return [*replacer.before, stmt]

    return rewrite_blocks(node, rewrite)


def _outermost(root: gast.AST) -> list[gast.AST]:
    """The comprehensions in `root` not inside another one (those are rewritten with their loop)."""
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        if isinstance(n, _COMPREHENSIONS):
            out.append(n)
            continue
        if isinstance(n, (gast.SetComp, gast.Lambda)):
            continue
        stack.extend(gast.iter_child_nodes(n))
    return out


def _check_evaluated_once(stmt: gast.stmt, roots: list[gast.AST], ctx: Context) -> None:
    for root in roots:
        for n in gast.walk(root):
            if isinstance(n, (gast.IfExp, gast.BoolOp)):
                parts = [n.body, n.orelse] if isinstance(n, gast.IfExp) else n.values[1:]
                for part in parts:
                    for c in _outermost(part):
                        _refuse(ctx, c, "a comprehension Python evaluates only on some paths (in `a if c else "
                                        "b`, `and`, `or`) would be built on every path; assign it in an `if` "
                                        "statement instead")


def _refuse(ctx: Context, node: gast.AST, advice: str) -> None:
    what = "generator expression" if isinstance(node, gast.GeneratorExp) else \
        "dict comprehension" if isinstance(node, gast.DictComp) else "list comprehension"
    raise UnsupportedSyntaxError(advice, ctx.info.location(node), what)


class _Replacer(gast.NodeTransformer):
    """Replaces each outermost comprehension by the name of the list its loop builds (in `before`)."""

    def __init__(self, ctx: Context, calls: Calls, stmt: gast.stmt) -> None:
        self.ctx = ctx
        self.calls = calls
        self.stmt = stmt
        self.before: list[gast.stmt] = []
        self.consumed: set[int] = set()  # generator expressions a consumer reads whole

    def visit_Call(self, node: gast.Call) -> gast.AST:
        if len(node.args) == 1 and self.calls.resolve(node.func) in _CONSUMERS:
            mapped = _map_as_generator(node.args[0], self.calls, self.ctx)
            if mapped is not None:
                node.args[0] = mapped
            if isinstance(node.args[0], gast.GeneratorExp):
                self.consumed.add(id(node.args[0]))
        return self.generic_visit(node)

    def visit_GeneratorExp(self, node: gast.GeneratorExp) -> gast.AST:
        if id(node) not in self.consumed:
            _refuse(self.ctx, node, "a generator expression is supported as the only argument of a function "
                                    "reading it whole (`sum`, `max`, `min`, `list`, `tuple`, `np.stack`, "
                                    "`np.array`, ...); write a list comprehension `[...]` instead")
        return self.loop(node)

    def visit_ListComp(self, node: gast.ListComp) -> gast.AST:
        return self.loop(node)

    def visit_DictComp(self, node: gast.DictComp) -> gast.AST:
        return self.loop(node)

    def visit_SetComp(self, node: gast.SetComp) -> gast.AST:
        return node  # (refused by the fence)

    visit_Lambda = visit_SetComp

    def loop(self, node: gast.ListComp | gast.GeneratorExp | gast.DictComp) -> gast.Name:
        ctx = self.ctx
        target = self.stmt.targets[0] if isinstance(self.stmt, gast.Assign) and len(self.stmt.targets) == 1 else None
        items = ctx.namer.fresh(target.id if isinstance(target, gast.Name) else "items")
        renames: dict[str, str] = {}
        generators = []
        for position, gen in enumerate(node.generators):
            if gen.is_async:
                _refuse(ctx, node, "asynchronous comprehensions cannot be differentiated")
            # The first iterable is evaluated in the enclosing scope; the rest see the earlier targets.
            iterable = self.visit(gen.iter) if position == 0 else _renamed(gen.iter, renames)
            for n in gast.walk(gen.target):
                if isinstance(n, gast.Name):
                    renames[n.id] = ctx.namer.fresh(n.id)
            generators.append((_renamed(gen.target, renames), iterable, [_renamed(c, renames) for c in gen.ifs]))
        if isinstance(node, gast.DictComp):
            body = _store(items, _renamed(node.key, renames), _renamed(node.value, renames), ctx)
        else:
            append = build.call(build.attribute(build.name(items), "append"), [_renamed(node.elt, renames)])
            body = [build.expr_stmt(append)]
        for target, iterable, conditions in reversed(generators):
            for condition in reversed(conditions):
                body = [build.if_(condition, body)]
            body = [build.for_(target, iterable, body)]
        empty = gast.Dict([], []) if isinstance(node, gast.DictComp) else build.list_([])
        made = [build.assign(items, empty), *body]
        for stmt in made:
            for part in gast.walk(stmt):
                if isinstance(part, gast.stmt) or (isinstance(part, gast.expr) and not hasattr(part, "lineno")):
                    gast.copy_location(part, node)
        self.before.extend(made)
        return build.name(items)


def _store(items: str, key: gast.expr, value: gast.expr, ctx: Context) -> list[gast.stmt]:
    """`items[key] = value`, the key evaluated first as Python does (into a name unless it is one)."""
    before: list[gast.stmt] = []
    if not isinstance(key, (gast.Name, gast.Constant)):
        name = ctx.namer.fresh("key")
        before.append(build.assign(name, key))
        key = build.name(name)
    target = gast.Subscript(build.name(items), key, gast.Store())
    target.comprehension = True  # (aggregates: a key or filter known only at run time is refused as this)
    return [*before, gast.Assign([target], value, None)]


def _is_map(node: gast.AST, calls: Calls) -> bool:
    return isinstance(node, gast.Call) and calls.resolve(node.func) is builtins.map


def _map_as_generator(node: gast.expr, calls: Calls, ctx: Context) -> gast.GeneratorExp | None:
    """`map(f, xs, ys)` read whole -> `(f(v, w) for v, w in zip(xs, ys))`; a `lambda` is applied in place."""
    if not (_is_map(node, calls) and len(node.args) >= 2
            and not node.keywords):
        return None
    func, iterables = node.args[0], node.args[1:]
    if isinstance(func, gast.Lambda):
        params = func.args
        if params.vararg or params.kwarg or params.kwonlyargs or params.defaults or params.posonlyargs \
                or len(params.args) != len(iterables):
            return None
        names = [ctx.namer.fresh(a.id) for a in params.args]
        element = _renamed(func.body, {a.id: n for a, n in zip(params.args, names)})
    else:
        names = [ctx.namer.fresh("item") for _ in iterables]
        element = build.call(func, [build.name(n) for n in names])
    if len(iterables) == 1:
        target, source = build.name(names[0], "store"), iterables[0]
    else:
        target = gast.Tuple([build.name(n, "store") for n in names], gast.Store())
        source = build.call(build.name(ctx.builtin("zip")), list(iterables))
    generator = gast.GeneratorExp(element, [gast.comprehension(target, source, [], 0)])
    return gast.copy_location(generator, node)


def _renamed(node: gast.AST, renames: dict[str, str]) -> gast.AST:
    """A copy of `node` with the names in `renames` renamed (loads and stores alike)."""
    import copy

    out = copy.deepcopy(node)
    for n in gast.walk(out):
        if isinstance(n, gast.Name) and n.id in renames:
            n.id = renames[n.id]
    return out
