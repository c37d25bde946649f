"""Activity analysis: which values need an adjoint.

A value is *varied* if it depends differentiably on a `wrt` parameter, and
*useful* if the returned value depends differentiably on it. Only values that
are both (active) get adjoint code. Two data-flow passes over the SSA body:
varied flows forward, useful flows backward; a primitive registered as
non-differentiable (a comparison, `np.shape`, `np.sign`) stops both.
(AutoGraph uses "activity" for read/write sets; here it is the AD meaning.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ad.registry import is_nondifferentiable
from ..ir.nodes import Function, Op, Style, Var
from ..ir.operators import COMPARE


@dataclass
class Activity:
    varied: set[Var]
    useful: set[Var]

    def is_active(self, value: object) -> bool:
        return isinstance(value, Var) and value in self.varied and value in self.useful


_COMPARISONS = {fn for fn, _ in COMPARE.values()}


def blocks_derivative(op: Op) -> bool:
    """True when the op's output carries no derivative of its inputs."""
    key = op.callee.key
    if op.callee.style is Style.OPERATOR and key in _COMPARISONS:
        return True
    return op.callee.style is not Style.COPY and is_nondifferentiable(key)


def analyze(fn: Function, wrt: list[Var]) -> Activity:
    varied: set[Var] = set(wrt)
    for op in fn.body:
        if op.result is not None and not blocks_derivative(op) and any(u in varied for u in op.uses()):
            varied.add(op.result)
    useful: set[Var] = {r for r in fn.returns if isinstance(r, Var)}
    for op in reversed(fn.body):
        if op.result in useful and not blocks_derivative(op):
            useful.update(op.uses())
    return Activity(varied, useful)
