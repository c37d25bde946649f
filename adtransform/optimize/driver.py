"""Run a schedule of optimization passes (optimize/schedule.py) over one IR function."""

from __future__ import annotations

import os
from types import ModuleType

from ..analysis.manager import PassContext
from ..ir.nodes import Function
from ..ir.printer import format_function
from ..ir.verify import verify
from ..syntax.naming import Namer
from . import schedule
from .schedule import FixedPoint, Step


def optimize_primal(fn: Function, namer: Namer) -> Function:
    """The passes that pay off before differentiation (`schedule.PRIMAL`)."""
    run(schedule.PRIMAL, fn, PassContext.of(fn, namer))
    return fn


def optimize(fn: Function, namer: Namer) -> Function:
    """The passes after differentiation (`schedule.ADJOINT`)."""
    run(schedule.ADJOINT, fn, PassContext.of(fn, namer))
    return fn


def run(steps: tuple[Step, ...], fn: Function, cx: PassContext) -> bool:
    """Run `steps` in order; whether any of them changed `fn`."""
    changed = False
    for step in steps:
        if isinstance(step, FixedPoint):
            rounds = 0
            while step.max_rounds is None or rounds < step.max_rounds:
                rounds += 1
                # (every pass of a round runs, whatever the ones before it did)
                if not any([run_pass(p, fn, cx) for p in step.passes]):
                    break
                changed = True
        elif run_pass(step.pass_, fn, cx):
            changed = True
            run(step.then, fn, cx)
    return changed


def run_pass(p: ModuleType, fn: Function, cx: PassContext) -> bool:
    """One pass. After a change the cached analyses are dropped; ADTRANSFORM_VERIFY checks the IR
    (and that a pass saying it changed nothing left the IR as it was: the cached analyses rely on
    it), ADTRANSFORM_TRACE=name prints it."""
    assert cx.analyses.fn is fn, "internal: a pass context serves the function it was made for"
    checking = bool(os.environ.get("ADTRANSFORM_VERIFY"))
    before = format_function(fn) if checking else ""
    changed = p.transform(fn, cx)
    name = p.__name__.rsplit(".", 1)[-1]
    if not changed:
        if checking and format_function(fn) != before:
            raise AssertionError(f"internal: {name} changed the IR but reported no change")
        return False
    cx.analyses.invalidate()
    if checking:
        verify(fn)
    if name in os.environ.get("ADTRANSFORM_TRACE", "").split(","):
        print(f"--- after {name}\n{format_function(fn)}")
    return True
