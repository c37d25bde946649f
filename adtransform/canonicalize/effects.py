"""Make every call that changes an argument in place visible to SSA.

SSA lowering gives a name a new value only where it is assigned: a call that changes an array in
place (`c.sort()`, `np.put(c, i, v)`, `np.exp(x, out=c)`, `np.add.at(c, i, v)`, or any call whose
facts are unknown) would leave the old value's name bound to changed memory. The backward sweep
would read the changed buffer, common-subexpression elimination would merge reads across the call,
dead-code elimination would drop the call, and a parameter would change the caller's array. Each
such call becomes an explicit new value of every name it changes (the facts registry says which):

* a result written into a named output is an index write of a new value, which reverse mode
  differentiates: `t = np.exp(x, out=buf)` -> `exp = np.exp(x); buf[...] = exp; t = buf`, and so
  are `c.fill(v)` -> `c[...] = v` and `np.copyto(dst, src)` -> `dst[...] = src`;
* any other call works on a copy bound to the name first: `c.sort()` -> `c = writable_copy(c);
  c.sort()`. The old value stays intact for the backward sweep and the caller, and the name's new
  value is the copy the call changed. Reverse mode refuses such a call where it touches a
  differentiated value (analysis/effects.py's facts say which arguments it changes). The copy is
  a functional operation of the IR: optimize/in_place.py drops it where the old value is dead (the
  reasoning that writes `y[i] = v` in place), so `L.append(v)` in a loop copies nothing. A name
  that only ever holds immutable values (numbers, strings, tuples of them) gets no copy at all.

The alias analysis (analysis/aliases/) has already treated each such call as an in-place update
of the names it changes, refusing to read any other name sharing their memory afterwards, so the
copy is what NumPy computes. Requires: anf (each call is a statement's whole value, its arguments
atoms). A changing call anywhere else (a loop's or branch's test) is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from ..errors import Problem, UnsupportedSyntaxError
from ..frontend.calls import Calls
from ..frontend.context import Context
from ..frontend.numbers import Numbers
from ..frontend.resolve import local_names
from ..runtime import ensure_whole_write, writable_copy
from ..syntax.parse import to_source
from .blocks import rewrite_blocks


def transform_writes(node: gast.FunctionDef, ctx: Context) -> bool:
    """Before anf (the call's own arguments are still in place, `out=(buf,)` included): results
    written into a named array, `c.fill(v)` and `np.copyto(dst, src)` become index writes."""
    rewriter = _Rewriter(ctx, Calls(ctx.namespace, frozenset(local_names(node)), ctx.helpers), frozenset())
    return rewrite_blocks(node, rewriter.write)


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    """After anf: every other call that changes an argument works on copies bound to its names."""
    calls = Calls(ctx.namespace, frozenset(local_names(node)), ctx.helpers)
    rewriter = _Rewriter(ctx, calls, frozenset(ctx.locals))
    rewriter.immutable = _immutable_names(node, calls)
    changed = rewrite_blocks(node, rewriter.statement)
    if rewriter.refused:  # every call refused, in one error
        raise UnsupportedSyntaxError.of(rewriter.refused, node.name)
    return changed


def _immutable_names(node: gast.FunctionDef, calls: Calls) -> frozenset[str]:
    """Local names every binding of which is a proven immutable value (a number, string or None, a
    tuple of them, or a `range` loop's index): nothing changes them in place, so they need no copy
    (`n = len(x); record(n)`). Parameters are never proven (the caller chooses them)."""
    numbers = Numbers(calls.namespace, calls.local_names)
    numbers.calls = calls  # (the passes' own names for builtins resolve too)
    sites: dict[str, list[gast.expr | None]] = {}
    bound: set[int] = set()
    for n in gast.walk(node):
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], gast.Name):
            sites.setdefault(n.targets[0].id, []).append(n.value)
            bound.add(id(n.targets[0]))
        elif isinstance(n, gast.For) and isinstance(n.target, gast.Name) and isinstance(n.iter, gast.Call) \
                and calls.resolve(n.iter.func) is range:
            sites.setdefault(n.target.id, []).append(gast.Constant(0, None))
            bound.add(id(n.target))
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load) and id(n) not in bound:
            sites.setdefault(n.id, []).append(None)  # a parameter, or bound some other way
    proven = {name for name, values in sites.items() if None not in values}

    def immutable(value: gast.expr) -> bool:
        if isinstance(value, gast.Tuple):
            return all(immutable(e) for e in value.elts)
        return numbers.proves(value, lambda name: name in proven)

    while True:
        refuted = {name for name in proven if not all(immutable(v) for v in sites[name] if v is not None)}
        if not refuted:
            return frozenset(proven)
        proven -= refuted


class _Rewriter:
    def __init__(self, ctx: Context, calls: Calls, user_names: frozenset[str]) -> None:
        self.ctx = ctx
        self.calls = calls
        self.user_names = user_names  # (not temporaries anf made, which may hold the user's arrays)
        self.immutable: frozenset[str] = frozenset()  # names that only ever hold numbers, strings, tuples of them
        self.refused: list[Problem] = []

    def write(self, stmt: gast.stmt) -> list[gast.stmt] | None:
        call, target = _call_of(stmt)
        if call is None or (target is not None and not isinstance(target, gast.Name)):
            return None
        changed = self.calls.changed(call)
        if not changed:
            return None
        written = self.written_output(call, changed)
        if written is not None:
            name, value = written
            return self.index_write(name, value, target, call, exact=True)
        filled = self.filled(call)
        if filled is not None:
            return self.index_write(*filled, target, call, exact=False)
        return None

    def statement(self, stmt: gast.stmt) -> list[gast.stmt] | None:
        call, _ = _call_of(stmt)
        if call is None:
            self.refuse_elsewhere(stmt)
            return None
        changed = self.calls.changed(call)
        if not changed:
            return None
        # A copy of a list is shallow only for a known call on the user's own list (`L.append(a)`):
        # an unknown call, or a temporary holding the user's arrays (`out=(buf,)`), may change the
        # arrays it holds.
        known = self.calls.facts(call).known
        # Only the function's own names are rebound to copies: a global or builtin passed to an unknown
        # call (`map(abs, t)`) stays what it is (rebinding it would make it a local of the generated
        # function); the alias analysis refuses a call that may change a global array.
        names = list(dict.fromkeys(a.id for a in changed
                                   if isinstance(a, gast.Name) and a.id in self.calls.local_names
                                   and a.id not in self.immutable))
        return [self.copy(name, not known or name not in self.user_names) for name in names] + [stmt]

    def refuse_elsewhere(self, stmt: gast.stmt) -> None:
        headers = {gast.If: ["test"], gast.While: ["test"], gast.For: ["iter"], gast.Return: ["value"],
                   gast.AugAssign: ["value"], gast.Assign: ["value"], gast.Expr: ["value"]}.get(type(stmt), [])
        for field in headers:
            for node in gast.walk(getattr(stmt, field) or gast.Constant(None, None)):
                if isinstance(node, gast.Call) and self.calls.changed(node):
                    self.refused.append(Problem(
                        self.ctx.info.location(node), "call that changes its argument, inside an expression",
                        "a call that changes an argument in place is supported as a statement of its own or "
                        "as the value of an assignment; call it before and use a name here"))

    def written_output(self, call: gast.Call, changed: list[gast.expr]) -> tuple[str, gast.Call] | None:
        """`f(args, out=buf)` (or a ufunc's output by position) of a call that changes nothing else
        and has no other effect: (`buf`, `f(args)`)."""
        facts = self.calls.facts(call)
        if len(changed) != 1 or not isinstance(changed[0], gast.Name) or not facts.known or facts.effects:
            return None
        out = changed[0]
        target = self.calls.resolve(call.func)
        keywords = [kw for kw in call.keywords if kw.arg != "out"]
        args = [a for a in call.args if a is not out]
        by_keyword = len(keywords) < len(call.keywords)
        by_position = isinstance(target, np.ufunc) and len(call.args) == target.nin + 1 \
            and call.args[-1] is out and target.nout == 1  # (a method, `x.sum(out=buf)`: by keyword only)
        if not (by_keyword or by_position):
            return None
        if isinstance(target, np.ufunc) and any(kw.arg == "where" for kw in call.keywords):
            return None  # only where the mask holds is written: the rest of `out` stays
        return out.id, gast.Call(call.func, args, keywords)

    def filled(self, call: gast.Call) -> tuple[str, gast.expr] | None:
        """`c.fill(v)` -> (`c`, `v`); `np.copyto(dst, src)` -> (`dst`, `src`)."""
        func = call.func
        receiver = self.calls.receiver(call)
        if isinstance(receiver, gast.Name) and isinstance(func, gast.Attribute) and func.attr == "fill" \
                and len(call.args) == 1 and not call.keywords and self.calls.facts(call).changes(position=0):
            return receiver.id, call.args[0]
        if receiver is None and self.calls.resolve(func) is np.copyto and len(call.args) == 2 \
                and not call.keywords and isinstance(call.args[0], gast.Name):
            return call.args[0].id, call.args[1]
        return None

    def index_write(self, name: str, value: gast.expr, target: gast.expr | None, call: gast.Call,
                    exact: bool) -> list[gast.stmt]:
        """`name[...] = value` (a call's value first gets a name of its own: one operation per statement),
        after a check that this means what the call means (`ensure_whole_write`)."""
        stmts: list[gast.stmt] = []
        if isinstance(value, gast.Call):
            temp = self.ctx.namer.fresh(_hint(value))
            stmts.append(gast.Assign([gast.Name(temp, gast.Store(), None, None)], value))
            value = gast.Name(temp, gast.Load(), None, None)
        where = f"{self.ctx.info.location(call)}: `{to_source(call)}`"
        check = gast.Call(gast.Name(self.helper_name(ensure_whole_write), gast.Load(), None, None),
                          [gast.Name(name, gast.Load(), None, None), value, gast.Constant(exact, None),
                           gast.Constant(where, None)], [])
        stmts.append(gast.Expr(check))
        stmts.append(gast.Assign([gast.Subscript(gast.Name(name, gast.Load(), None, None), gast.Constant(..., None),
                                                 gast.Store())], value))
        if target is not None:
            stmts.append(gast.Assign([target], gast.Name(name, gast.Load(), None, None)))
        return stmts

    def helper_name(self, helper: Callable[..., Any]) -> str:
        return self.ctx.helper_name(helper)

    def copy(self, name: str, deep: bool) -> gast.stmt:
        args: list[gast.expr] = [gast.Name(name, gast.Load(), None, None)]
        if deep:
            args.append(gast.Constant(True, None))
        return gast.Assign([gast.Name(name, gast.Store(), None, None)],
                           gast.Call(gast.Name(self.helper_name(writable_copy), gast.Load(), None, None), args, []))


def _call_of(stmt: gast.stmt) -> tuple[gast.Call | None, gast.expr | None]:
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        return stmt.value, None
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, gast.Call):
        return stmt.value, stmt.targets[0]
    return None, None


def _hint(call: gast.Call) -> str:
    func = call.func
    name = func.attr if isinstance(func, gast.Attribute) else func.id if isinstance(func, gast.Name) else "value"
    return name if name.isidentifier() else to_source(func).replace(".", "_")
