"""Run the optimization passes until none of them changes anything.

Order within a round: folding and algebra create copies, copy propagation
removes them, CSE then sees identical operands, LICM moves invariants out of loops,
shape_witness frees values read only for their shape, and DCE last removes
what the others orphaned. `batch_accumulate` runs once after the fixed point:
it needs the accumulations reduced to `W_bar + step` by copy propagation and
algebra, and what it makes (lists, appends, one product after the loop) gives
the others nothing more to do but drop the zeros the accumulator started from.
It goes before the passes that write into buffers, which then see the appended
values as read. `scatter_in_place` runs once after the fixed
point: it writes into buffers nobody else reads, and a later simplification
(`a * 1.0` -> `a`) could make another value share such a buffer.
`scalar_reads` then has the scalar version read vectors as lists of floats.
`fresh_returns` runs once at the end because the others can turn a fresh
gradient into an alias of an input (`1.0 * W` -> `W`). `in_place` runs last of
all: it reasons about buffers, which the value-level passes are free to rearrange.
"""

from __future__ import annotations

import os

from ..ir.nodes import Function
from ..ir.printer import format_function
from ..ir.verify import verify
from ..specialize import scalar_reads
from ..syntax.naming import Namer
from . import (
    algebra,
    batch_accumulate,
    constant_fold,
    copy_prop,
    cse,
    dce,
    dead_records,
    fresh_returns,
    hoist_projections,
    in_place,
    licm,
    scatter_in_place,
    shape_witness,
)

PASSES = (constant_fold, algebra, copy_prop, cse, licm, shape_witness, dce)
# Before reverse mode: no dead values (DCE: loops stop carrying them, so LICM may move their
# next values), each value computed once (CSE) and invariants out of loops (LICM), so the forward
# loop records less and the backward loop accumulates invariants' adjoints instead of recomputing
# their rules every iteration.
PRIMAL_PASSES = (dce, cse, licm)
_MAX_ROUNDS = 20


def optimize_primal(fn: Function, namer: Namer) -> Function:
    """The passes that pay off before differentiation (they never touch the user's effects).

    `hoist_projections` runs in the same fixed point, after LICM: a fixed operand the user
    computed in the body (`U = A.T` in the loop) is outside it only once LICM has moved it,
    and CSE has merged a product written twice. What it leaves behind (a row read `x[t]`
    nobody reads any more) is DCE's.
    """
    while any([p.transform(fn) for p in PRIMAL_PASSES] + [hoist_projections.transform(fn, namer)]):
        pass
    return fn


def optimize(fn: Function, namer: Namer) -> Function:
    for _ in range(_MAX_ROUNDS):
        changed = False
        for p in PASSES:
            if p.transform(fn):
                changed = True
                _after(p, fn)
        if not changed:
            break
    if batch_accumulate.transform(fn, namer):          # the zeros it no longer adds to are dead
        _after(batch_accumulate, fn)
        while algebra.transform(fn) | copy_prop.transform(fn):  # `s + (-g) * b` steps: sign folding
            pass
        dce.transform(fn)
    if scatter_in_place.transform(fn):
        _after(scatter_in_place, fn)
        dce.transform(fn)
    if dead_records.transform(fn):                      # after DCE dropped the unpacking nobody reads
        _after(dead_records, fn)
        dce.transform(fn)
    if scalar_reads.transform(fn, namer):               # after the passes that read `x[i]` as an array read
        _after(scalar_reads, fn)
    if fresh_returns.transform(fn, namer):
        _after(fresh_returns, fn)
    if in_place.transform(fn):
        _after(in_place, fn)
    return fn


def _after(p: object, fn: Function) -> None:
    """ADTRANSFORM_VERIFY checks the IR after every pass that changed it; ADTRANSFORM_TRACE prints it."""
    if os.environ.get("ADTRANSFORM_VERIFY"):
        verify(fn)
    name = p.__name__.rsplit(".", 1)[-1]
    if name in os.environ.get("ADTRANSFORM_TRACE", "").split(","):
        print(f"--- after {name}\n{format_function(fn)}")
