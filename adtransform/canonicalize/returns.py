"""Early returns to a single exit.

Post-condition: the function body has exactly one `return`, its last
statement, and it returns a value (`return` alone becomes `return None`; a
function that never returns gets `return None` appended).
Every other `return e` became `retval = e` plus `returned = True`; a return
inside a loop also stops the loop with a `break` (loop_exits removes that
break later). What follows a statement that may have returned is guarded:
by `if not returned:` outside loops, and inside a loop by `if returned: break`
after an inner loop (a return nested in `if`s already breaks the loop itself).
When a function can fall off its end, `retval = None` comes first.
Accepts: any statements; `if`, `for` and `while` (with `else`) are entered.
Requires: the fence (no `try`/`with`, no nested functions).
Why: SSA lowering gives a function one exit, so every value reaching it is a
merge of the branches that produced it.

To keep the output readable, flags appear only where they are needed: a
`return` ending one branch of an `if` moves the code after the `if` into
the other branch (guard clauses become `if/elif/else`), so `if c: return a`
`else: return b` ends as two assignments and one `return`; a flag nobody
reads is dropped.

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, '''
... def f(xs, y):
...     if y < 0:
...         return 0.0
...     for x in xs:
...         if x > y:
...             return x
...     return y'''))
def f(xs, y):
    if y < 0:
        retval = 0.0
    else:
        returned = False
        for x in xs:
            if x > y:
                retval = x
                returned = True
                break
        if not returned:
            retval = y
    return retval
"""

from __future__ import annotations

import gast

from ..frontend.context import Context
from ..syntax import build
from .jumps import always_jumps, contains, drop_dead_sets, drop_flag, make_if, mentions, move_rest, not_, reads

_RETURN = (gast.Return,)


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    returns = [n for stmt in node.body for n in gast.walk(stmt) if isinstance(n, gast.Return)]
    if not returns:
        node.body.append(build.return_(build.constant(None)))
        return True
    last = node.body[-1]
    if returns == [last]:
        if last.value is None:
            last.value = build.constant(None)
            return True
        return False
    falls_off = not always_jumps(node.body, _RETURN)
    lowering = _Lowering(ctx.namer.fresh("retval"), ctx.namer.fresh("returned"))
    body = lowering.block(node.body, in_loop=False)
    body = _place_flag(body, lowering.flag)
    if falls_off:
        body.insert(0, build.assign(lowering.retval, build.constant(None)))
    final = gast.copy_location(build.return_(build.name(lowering.retval)), returns[-1])
    node.body = [*body, final]
    return True


def _place_flag(body: list[gast.stmt], flag: str) -> list[gast.stmt]:
    """Remove the flag when nothing reads it; else start it where it is first needed."""
    body = drop_dead_sets(body, flag, live_after=False)
    return _start_flag(body, flag) if reads(body, flag) else drop_flag(body, flag)


def _start_flag(body: list[gast.stmt], flag: str) -> list[gast.stmt]:
    """`flag = False` just before the first statement that uses it, inside an `if` branch that holds every use."""
    uses = [i for i, stmt in enumerate(body) if mentions([stmt], flag)]
    first = body[uses[0]]
    if len(uses) == 1 and isinstance(first, gast.If) and not mentions([first.test], flag):
        in_body, in_orelse = mentions(first.body, flag), mentions(first.orelse, flag)
        if in_body != in_orelse:
            branch = "body" if in_body else "orelse"
            setattr(first, branch, _start_flag(getattr(first, branch), flag))
            return body
    init = gast.copy_location(build.assign(flag, build.constant(False)), first)
    return [*body[:uses[0]], init, *body[uses[0]:]]


class _Lowering:
    def __init__(self, retval: str, flag: str):
        self.retval = retval
        self.flag = flag

    def block(self, stmts: list[gast.stmt], in_loop: bool) -> list[gast.stmt]:
        """Lower the returns in `stmts`; `in_loop`: a `break` here leaves the innermost enclosing loop."""
        out: list[gast.stmt] = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1:]
            if isinstance(stmt, gast.Return):
                out.extend(self.exit(stmt, in_loop))
                return out  # anything after a return is dead
            if not contains(stmt, _RETURN):
                out.append(stmt)
                continue
            if isinstance(stmt, gast.If):
                rest_moved = move_rest(stmt, rest, _RETURN)
                stmt.body = self.block(stmt.body, in_loop)
                stmt.orelse = self.block(stmt.orelse, in_loop)
                out.append(stmt)
                if rest_moved:
                    return out
                if in_loop:
                    continue  # a return in there breaks this loop, so `rest` only runs if it did not
            else:  # a loop: the returns in its body break it, those in its `else` belong to us
                stmt.body = self.block(stmt.body, in_loop=True)
                stmt.orelse = self.block(stmt.orelse, in_loop)
                out.append(stmt)
                if in_loop:
                    out.append(gast.copy_location(build.if_(build.name(self.flag), [build.break_()]), stmt))
                    continue
            if rest:
                out.extend(make_if(not_(self.flag), self.block(rest, in_loop), [], like=rest[0]))
            return out
        return out

    def exit(self, stmt: gast.Return, in_loop: bool) -> list[gast.stmt]:
        value = stmt.value if stmt.value is not None else build.constant(None)
        new = [build.assign(self.retval, value), build.assign(self.flag, build.constant(True))]
        if in_loop:
            new.append(build.break_())
        return [gast.copy_location(s, stmt) for s in new]
