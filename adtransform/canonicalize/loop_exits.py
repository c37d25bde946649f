"""`break` and `continue` to flags and guarded blocks.

Post-condition: no `break` or `continue` remains, and no loop has an `else`.
- `continue` sets `continued = True`; the rest of the iteration is guarded
  by `if not continued:`, and the flag is reset at the top of every iteration.
- `break` sets `broke = True` (initialised before the loop); the rest of the
  iteration is guarded by `if not broke:`. A `while` loop gets the test
  `while not broke and <test>:` — the flag comes first so that, as with a
  real `break`, the test is not evaluated again once the loop is left (it may
  fail there: `while x[i] != 0` after `i` ran off the end). The BoolOp is left
  for the conditionals pass. A `for` loop keeps iterating with its whole body
  under `if not broke:`: keeping the `for` keeps its trip count known to SSA
  lowering, where a `while` over an iterator would hide it. The price is that
  the iterable is walked to its end (an infinite iterator never ends). When
  code outside the loop mentions the loop variable, the loop iterates over a
  fresh name that is assigned to the variable under the guard, so the value
  it had at the `break` survives (`for i_x in ...: if not broke: i, x = i_x`).
- `for/else` and `while/else`: the `else` block runs when no `break` happened,
  so it becomes `if not broke: <else>` after the loop (plainly after the loop
  when the loop has no `break`).
Each loop has its own flags; a `break` in an inner loop's `else` belongs to
the outer loop, and is lowered there.
Accepts: the output of returns (whose `return` inside a loop is a `break`).
Requires: the fence (no `try`/`with`).
Why: SSA lowering wants loops with one entry and one exit, whose body runs
to its end; the structured IR has no jumps.

As in returns, a jump that ends one branch of an `if` moves the rest of the
body into the other branch, so a `continue` used as a guard clause needs no
flag (`if c: continue` + rest becomes `if not c: rest`), and a flag is only
kept where some test reads it.

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, '''
... def f(xs):
...     total = 0.0
...     for x in xs:
...         if x < 0:
...             continue
...         if x > 10:
...             break
...         total += x
...     return total'''))
def f(xs):
    total = 0.0
    broke = False
    for x in xs:
        if not broke:
            if not x < 0:
                if x > 10:
                    broke = True
                else:
                    total += x
    return total
"""

from __future__ import annotations

from collections import Counter

import gast

from ..frontend.context import Context
from ..syntax import build
from ..syntax.naming import Namer
from .jumps import contains, drop_dead_sets, drop_flag, make_if, move_rest, not_, reads

_JUMPS = (gast.Break, gast.Continue)


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    lowering = _Lowering(ctx.namer, node)
    node.body = lowering.block(node.body)
    return lowering.changed


class _Lowering:
    def __init__(self, namer: Namer, function: gast.FunctionDef):
        self.namer = namer
        self.changed = False
        # Measured before anything moves: loops whose variables the code outside them mentions.
        mentions = Counter(n.id for n in gast.walk(function) if isinstance(n, gast.Name))
        self.target_read_outside = {
            id(loop) for loop in gast.walk(function) if isinstance(loop, gast.For)
            and any(mentions[name] > count for name, count in _mentions(loop, _names(loop.target)).items())
        }

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        """Lower every loop in `stmts` (at any depth), each with its own flags."""
        out: list[gast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)):
                out.extend(self.loop(stmt))
                continue
            if isinstance(stmt, gast.If):
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
            out.append(stmt)
        return out

    def loop(self, loop: gast.For | gast.While) -> list[gast.stmt]:
        # Name the flags before the inner loops take theirs: outer `broke`, inner `broke_1`.
        broke = self.namer.fresh("broke") if _jumps_of_loop(loop.body, gast.Break) else None
        continued = self.namer.fresh("continued") if _jumps_of_loop(loop.body, gast.Continue) else None
        # Inner loops next: the jumps left in the body then all belong to this loop.
        body = self.block(loop.body)
        orelse, loop.orelse = self.block(loop.orelse), []
        if broke is None and continued is None:
            loop.body = body
            self.changed |= bool(orelse)
            return [loop, *orelse]
        self.changed = True
        body = _Jumps(broke, continued).block(body)
        if continued is not None:
            # Read only later in the same iteration: reset at its top, dead after its end.
            body = drop_dead_sets(body, continued, live_after=False)
            if reads(body, continued):
                body.insert(0, build.assign(continued, build.constant(False)))
            else:
                body = drop_flag(body, continued)
        if broke is None:
            loop.body = body or [build.pass_()]
            return [loop, *orelse]
        if isinstance(loop, gast.While):
            keep_going = loop.test
            is_true = isinstance(keep_going, gast.Constant) and keep_going.value is True
            loop.test = not_(broke) if is_true else build.bool_op("and", [not_(broke), keep_going])
            loop.body = body or [build.pass_()]
        else:
            if id(loop) in self.target_read_outside:
                # The iterations after the break must not overwrite the loop variable the code after reads.
                names = [n.id for n in gast.walk(loop.target) if isinstance(n, gast.Name)]
                item = self.namer.fresh("_".join(names))
                body.insert(0, gast.copy_location(build.assign_to(loop.target, build.name(item)), loop))
                loop.target = build.name(item, "store")
            loop.body = make_if(not_(broke), body, []) or [build.pass_()]
        init = gast.copy_location(build.assign(broke, build.constant(False)), loop)
        return [init, loop, *make_if(not_(broke), orelse, [], like=loop)]


def _names(target: gast.expr) -> set[str]:
    return {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}


def _mentions(node: gast.AST, names: set[str]) -> Counter[str]:
    return Counter(n.id for n in gast.walk(node) if isinstance(n, gast.Name) and n.id in names)


def _jumps_of_loop(stmts: list[gast.stmt], kind: type) -> bool:
    """A jump of `kind` in `stmts` leaves the loop whose body they are (an inner loop's `else` included)."""
    for stmt in stmts:
        if isinstance(stmt, kind):
            return True
        blocks = [stmt.body, stmt.orelse] if isinstance(stmt, gast.If) else [getattr(stmt, "orelse", [])]
        if any(_jumps_of_loop(block, kind) for block in blocks):
            return True
    return False


class _Jumps:
    """Replace the jumps of one loop body (its inner loops have none left) by flags."""

    def __init__(self, broke: str | None, continued: str | None):
        self.flags = {gast.Break: broke, gast.Continue: continued}

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1:]
            if isinstance(stmt, _JUMPS):
                flag = self.flags[type(stmt)]
                out.append(gast.copy_location(build.assign(flag, build.constant(True)), stmt))
                return out  # anything after a jump is dead
            if not (isinstance(stmt, gast.If) and contains(stmt, _JUMPS)):
                out.append(stmt)
                continue
            flags = [flag for kind, flag in self.flags.items() if contains(stmt, (kind,))]
            if move_rest(stmt, rest, _JUMPS):
                rest = []
            stmt.body = self.block(stmt.body)
            stmt.orelse = self.block(stmt.orelse)
            out.append(stmt)
            if rest:
                guarded = self.block(rest)
                for flag in reversed(flags):
                    guarded = make_if(not_(flag), guarded, [], like=rest[0])
                out.extend(guarded)
            return out
        return out
