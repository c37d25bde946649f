"""The optimizer's schedule, as data: which passes run, in what order, and what cleans up after each.

A new optimization pass is a module with `transform(fn: Function, cx: PassContext) -> bool` (True when
it changed the function) and one line below. `driver.run` runs a schedule: it checks (ADTRANSFORM_VERIFY)
and prints (ADTRANSFORM_TRACE=name) the IR after every pass that changed it, and invalidates the
function's cached analyses then.

Order within a round of the fixed point: folding and algebra create copies, copy propagation removes
them, CSE then sees identical operands, LICM moves invariants out of loops, shape_witness frees values
read only for their shape, and DCE last removes what the others orphaned.

The passes after the fixed point run once each, in this order:

* `batch_accumulate` needs the accumulations reduced to `W_bar + step` by copy propagation and
  algebra; what it makes (lists, appends, one product after the loop) gives the others nothing more
  to do but fold signs (`s + (-g) * b` steps) and drop the zeros the accumulator started from. It
  goes before the passes that write into buffers, which then see the appended values as read.
* `scatter_in_place` writes into buffers nobody else reads; a later simplification (`a * 1.0` -> `a`)
  could make another value share such a buffer, so it comes after the value-level passes.
* `dead_records` after DCE dropped the unpacking nobody reads.
* `scalar_reads` has the scalar version read vectors as lists of floats, after the passes that read
  `x[i]` as an array read.
* `fresh_returns` at the end because the others can turn a fresh gradient into an alias of an input
  (`1.0 * W` -> `W`).
* `in_place` last but one: it reasons about buffers, which the value-level passes are free to rearrange.
* `adjoint_buffers` last: it computes adjoint arithmetic into temporaries nobody reads afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ..specialize import scalar_reads
from . import (
    adjoint_buffers,
    algebra,
    batch_accumulate,
    constant_fold,
    copy_prop,
    cse,
    dce,
    dead_records,
    fresh_returns,
    hoist_displays,
    hoist_projections,
    in_place,
    licm,
    scatter_in_place,
    shape_witness,
    unpack_checks,
    validations,
)


@dataclass(frozen=True)
class FixedPoint:
    """Run `passes` in order, round after round, until a round changes nothing (at most `max_rounds`)."""

    passes: tuple[ModuleType, ...]
    max_rounds: int | None = None


@dataclass(frozen=True)
class Once:
    """Run `pass_` once; when it changed the function, run the `then` steps (its cleanup)."""

    pass_: ModuleType
    then: tuple[Step, ...] = ()


Step = FixedPoint | Once

# Before reverse mode: no dead values (DCE: loops stop carrying them, so LICM may move their next
# values), each value computed once (CSE) and invariants out of loops (LICM), so the forward loop
# records less and the backward loop accumulates invariants' adjoints instead of recomputing their
# rules every iteration. `hoist_projections` runs in the same fixed point, after LICM: a fixed operand
# the user computed in the body (`U = A.T` in the loop) is outside it only once LICM has moved it, and
# CSE has merged a product written twice. What it leaves behind (a row read `x[t]` nobody reads any
# more) is DCE's. Before them, `validations` marks the user's own unused operations that may raise (f
# raises there), which no pass removes then. (These never touch the user's effects.)
PRIMAL: tuple[Step, ...] = (
    Once(validations),
    Once(unpack_checks),
    FixedPoint((copy_prop, dce, cse, licm, hoist_displays, hoist_projections)),
)

# After reverse mode: rules leave `1.0 * g`, copies and dead code.
ADJOINT: tuple[Step, ...] = (
    FixedPoint((constant_fold, algebra, copy_prop, cse, licm, shape_witness, dce), max_rounds=20),
    Once(batch_accumulate, then=(FixedPoint((algebra, copy_prop)), Once(dce))),
    Once(scatter_in_place, then=(Once(dce),)),
    Once(dead_records, then=(Once(dce),)),
    Once(scalar_reads),
    Once(fresh_returns),
    Once(in_place),
    Once(adjoint_buffers),
)
