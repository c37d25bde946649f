"""To-be-recorded analysis: what a loop's forward sweep keeps of each iteration for its backward sweep.

The backward loop runs the adjoint of the body once per iteration, last iteration first, and reads
values of the iteration it reverses. A value from outside the loop is read where it is (it is the
same in every iteration) and a `range` loop's target is recomputed by iterating the range
reversed. Every other value it reads (defined in the body, or a carried param) is had one of three
ways, cheapest first:

- shifted: the value leaving iteration t (a carried value's `next`, `h_2` of `h = tanh(W @ h)`) is
  the one entering t + 1, which the backward loop popped just before: it is passed down as a
  carried value of the backward loop instead of being recorded twice;
- reread: a scalar item of an array the loop leaves alone (`price[t]`) is read again;
- recorded: pushed on a list once per iteration, popped by the backward loop.

Pure: it reads the loop, what its adjoint body reads and the ranks, and changes nothing. Run it
after the body's adjoint is built: inner loops differentiated by then have added to the body the
lists they record on, which the outer loop records in turn.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass

from ..ir.nodes import Carried, Const, Index, Loop, LoopKind, Op, Operand, Style, Var
from .rank import Ranks, rank_of


@dataclass
class Recorded:
    """How the backward loop has each value of an iteration it reads (in the order it reads them)."""

    recorded: list[Var]  # pushed by the forward loop, one tuple per iteration
    shifted: dict[Var, Carried]  # a carried value's `next`: the `param` of the iteration after
    reread: dict[Var, Op]  # the read (`price[t]`) the backward loop does again


def to_be_recorded(loop: Loop, reads: Iterable[Operand], ranks: Ranks) -> Recorded:
    """`reads`: the operands the backward body reads (its statements' uses, then its carried values' next ones)."""
    inner = loop.inner()
    needed = [v for v in dict.fromkeys(reads) if isinstance(v, Var) and v in inner and v is not loop.target]
    shifted = _shifted(loop, needed)
    reread = _reread(loop, needed, inner, ranks) if loop.target is not None else {}
    return Recorded([v for v in needed if v not in shifted and v not in reread], shifted, reread)


def _shifted(loop: Loop, needed: list[Var]) -> dict[Var, Carried]:
    """Needed next values of carried values whose param is needed too, defined at the body's top level."""
    wanted = set(needed)
    top = {v for stmt in loop.body for v in stmt.defines()}
    out: dict[Var, Carried] = {}
    for c in loop.carried:
        if c.next in wanted and c.param in wanted and c.next in top and c.next not in out:
            out[c.next] = c
    return out


def _reread(loop: Loop, needed: list[Var], inner: set[Var], ranks: Ranks) -> dict[Var, Op]:
    """Items of arrays the loop leaves alone (`price[t]`, `x[t, 0]`): the backward loop reads them again.

    A record slot costs about what reading a Python list or a NumPy scalar costs, and a read only the
    backward sweep needs leaves the forward loop altogether (with the cost it fed, in `grad`). Only
    items proven scalars: a row would be a new view per step where recording one is cheaper. The
    array is a value the loop does not define, so the read sees the same elements, and the passes
    that write into arrays in place see this later read.
    """
    if loop.kind is not LoopKind.RANGE:
        return {}
    tops = {s.result: s for s in loop.body if isinstance(s, Op) and s.result is not None}
    out: dict[Var, Op] = {}
    for v in needed:
        read = tops.get(v)
        if read is None or read.callee.style is not Style.SUBSCRIPT or read.callee.key is not operator.getitem \
                or len(read.args) != 2 or read.kwargs or rank_of(v, ranks) != 0:
            continue
        array, index = read.args
        items = index.items if isinstance(index, Index) else (index,)
        if isinstance(array, Var) and array not in inner and all(
                (isinstance(i, Const) and type(i.value) is int) or i is loop.target
                or (isinstance(i, Var) and i not in inner) for i in items):
            out[v] = read
    return out
