"""Specialization: a fast version of a derivative for the calls it can serve, and where the others go.

Scalar code (Python floats in, or vectors read element by element) needs no unbroadcast at all;
when that is only provable assuming every parameter is a scalar (a vector if indexed with
integers), one run-time check at the top decides for the whole call, and calls that break the
assumption go to a general version of the derivative (the same transform with no assumption,
every unbroadcast kept), compiled the first time one needs it. Only for code whose ranks are all
known under that assumption: array code keeps plain unbroadcasts and needs no check.

The stage wraps differentiation (`derive`: it chooses the ranks the derivative may rely on, then
places the check if the derivative relied on one that needs it), and says after optimization
where calls this version cannot compute go (`fallback`). The scalar version's own rewrite,
reading vectors as lists of floats, is `scalar_reads`, which the optimizer schedules. So the
stage straddles optimization: `derive` runs before it, `fallback` after it, and the optimizer's
schedule imports `scalar_reads` (the layering puts specialize/ before optimize/).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..ad import runtime_refs
from ..ad.reverse import ARGUMENT_CHECKS, Hypothesis
from ..analysis import activity
from ..analysis import rank as rank_analysis
from ..analysis.effects import observable
from ..ir.nodes import Const, Function, Op, Sweep, Var, walk
from ..syntax.naming import Namer
from . import in_place
from .floats import may_raise_on_floats, numpy_arithmetic, protected_from, python_numbers, user_divisors

__all__ = ["Fallback", "derive", "fallback"]

Differentiate = Callable[[activity.Activity, rank_analysis.RankAnalyses, Hypothesis], Function]


def derive(primal: Function, wrt: list[Var], namer: Namer, *, scalar_output: bool, versioned: bool,
           differentiate: Differentiate) -> Function:
    """The derivative `differentiate` builds, specialized to scalar code when it pays (`versioned`).

    `wrt`: the parameters differentiated; `scalar_output`: the derivative checks (or proves) that
    the output is a scalar. `differentiate` is given the activity and the rank analyses of `primal`
    and the ranks it may rely on; it sets `Hypothesis.used` when it relies on one the check decides.
    """
    active = activity.analyze(primal, wrt)
    ranks = rank_analysis.RankAnalyses(primal)
    assumed = ranks.get(scalar_output=scalar_output, scalar_params=True) if versioned else None
    # Only code whose ranks are all known under the assumption is scalar code.
    scalar_code = assumed is not None and all(assumed.get(v) is not None for v in active.varied & active.useful)
    hypothesis = Hypothesis(assumed if scalar_code else ranks.get(scalar_output=scalar_output))
    check = Var(namer.fresh("scalars"))  # drawn even if unused: later names are numbered after it
    adjoint = differentiate(active, ranks, hypothesis)
    in_place.resolve(adjoint, ranks.get(scalar_output=scalar_output))  # (`y op= v` of numbers: proven)
    if scalar_code and in_place.resolve(adjoint, hypothesis.ranks):
        hypothesis.used = True  # (numbers only where the check holds)
    if hypothesis.used:
        _place_check(adjoint, primal, hypothesis, check)
        if scalar_code:
            _drop_output_check(adjoint, primal)
    return adjoint


def _place_check(adjoint: Function, primal: Function, hypothesis: Hypothesis, var: Var) -> None:
    """After the argument checks: `scalars = all_scalars(k, x0, math.pi)`, or with vectors
    `scalars = has_ranks((1, 0), heating, T0)`; the derivative's guard."""
    assumed = {p: r for p, r in rank_analysis.hypothesis(primal).items() if r is not None}
    values = [*assumed, *rank_analysis.scalar_globals(hypothesis.ranks)]
    if not any(assumed.values()) and len(assumed) == len(primal.params):
        check = Op(var, runtime_refs.callee("all_scalars"), values, sweep=Sweep.CHECK)
    else:
        ranks = Const((*assumed.values(), *(0 for _ in values[len(assumed):])))
        check = Op(var, runtime_refs.callee("has_ranks"), [ranks, *values], sweep=Sweep.CHECK)
    at = next((i for i, s in enumerate(adjoint.body) if not (isinstance(s, Op) and s.sweep is Sweep.CHECK
                                                               and s.callee.key in ARGUMENT_CHECKS)),
              len(adjoint.body))
    adjoint.body.insert(at, check)
    adjoint.guard = var


def _drop_output_check(adjoint: Function, primal: Function) -> None:
    """The version's check already proves the output a scalar (a running cost summed in a loop):
    its value is then dead code in `grad`, as in a hand-written gradient."""
    is_check = [isinstance(op, Op) and op.callee.key is runtime_refs.runtime.ensure_scalar and op.sweep is Sweep.CHECK
                for op in adjoint.body]
    # (asked now: reverse mode has added its records to the primal's loops)
    if any(is_check) and rank_analysis.rank_of(primal.returns[0], rank_analysis.analyze(
            primal, scalar_output=False, scalar_params=True)) == 0:
        adjoint.body[:] = [op for op, check in zip(adjoint.body, is_check) if not check]


@dataclass(frozen=True)
class Fallback:
    """Where a version of a derivative sends the calls it does not serve.

    `name`: how the generated code spells `target` (the general version, compiled when first
    needed); `general`: this is the general version, whose fallback is itself, run again with
    Python floats made NumPy scalars (no longer planned: the general version computes the operations
    that could raise as NumPy does, `numpy_arithmetic`); `protect_from`: the body from this statement on runs inside
    `try`, its OverflowError or ZeroDivisionError (where NumPy gives inf or nan) sending the call
    on (None: no statement needs it).
    """

    name: str
    target: Any
    general: bool
    protect_from: int | None


def fallback(fn: Function, name: str, namer: Namer, *, versioned: bool,
             general: Callable[[], Any]) -> Fallback | None:
    """The fallback of the optimized derivative `fn` named `name`, if it needs one:
    `general()` makes the general version."""
    if not versioned or fn.pullback_param is not None or any(
            observable(op) for op in walk(fn.body) if isinstance(op, Op)):
        # (the general version has no other to go to; run again, a function's effects would be seen
        # twice; a pullback runs after the call has returned)
        numpy_arithmetic(fn.body, python_numbers(fn), frozenset(user_divisors(fn)))
    if fn.guard is None and not may_raise_on_floats(fn):
        return None
    spelled = namer.fresh(f"{name}_general" if versioned else f"{name}_numpy")
    return Fallback(spelled, general(), not versioned, protected_from(fn))
