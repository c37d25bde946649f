"""Activity analysis: which values need an adjoint.

A value is *varied* if it depends differentiably on a `wrt` parameter, and
*useful* if the returned value depends differentiably on it. Only values that
are both (active) get adjoint code. Two data-flow passes over the SSA body:
varied flows forward, useful flows backward; a primitive registered as
non-differentiable (a comparison, `np.shape`, `np.sign`) stops both, and so does
a max shift whose adjoint is proven zero (`s = z - np.max(z, ...)` inside a softmax:
shift_invariance.py), as if the user had written `stop_gradient`.
(AutoGraph uses "activity" for read/write sets; here it is the AD meaning.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir.nodes import Const, Function, Global, If, Loop, Op, Stmt, Style, Var
from ..ir.operators import COMPARISONS
from ..rules.registry import is_nondifferentiable
from .shift_invariance import zero_adjoint_shifts


@dataclass
class Activity:
    varied: set[Var]
    useful: set[Var]

    def is_active(self, value: object) -> bool:
        return isinstance(value, Var) and value in self.varied and value in self.useful




def blocks_derivative(op: Op) -> bool:
    """True when the op's output carries no derivative of its inputs."""
    key = op.callee.key
    if op.callee.style is Style.OPERATOR and key in COMPARISONS:
        return True
    return op.callee.style is not Style.COPY and (is_nondifferentiable(key) or _integer_result(op))


def _integer_result(op: Op) -> bool:
    """`(x * 2).astype(int)`: the explicit conversion to a known integer or boolean dtype is piecewise
    constant, so its result carries no derivative (as `int(v)`) and repeats, shifts or sizes computed
    so are no differentiated inputs. (A reduction's `dtype=int` stays refused by its rule, FLOAT_DTYPE.)"""
    if op.callee.style not in (Style.FUNCTION, Style.METHOD) or not _is_astype(op.callee.key):
        return False
    operand = op.kwargs.get("dtype", op.args[1] if len(op.args) > 1 else None)
    if isinstance(operand, Const):
        value = operand.value
    elif isinstance(operand, Global) and isinstance(operand.ref.obj, (type, np.dtype)):
        value = operand.ref.obj  # (guarded by identity, or by a type that says its kind)
    else:
        return False  # a dtype known only at run time
    if value is None:
        return False
    try:
        return np.dtype(value).kind in "biu"
    except (TypeError, ValueError):
        return False


def _is_astype(key: object) -> bool:
    return key is np.ndarray.astype or (hasattr(np, "astype") and key is np.astype)


def analyze(fn: Function, wrt: list[Var]) -> Activity:
    stopped = zero_adjoint_shifts(fn)
    varied: set[Var] = set(wrt)
    _forward(fn.body, varied, stopped)
    useful: set[Var] = {r for r in fn.returns if isinstance(r, Var)}
    _backward(fn.body, useful, stopped)
    return Activity(varied, useful)


def _forward(body: list[Stmt], varied: set[Var], stopped: set[Var]) -> None:
    for stmt in body:
        if isinstance(stmt, Loop):
            while True:  # a value varied at the end of an iteration is varied at the top of the next
                size = len(varied)
                for c in stmt.carried:
                    if c.init in varied or c.next in varied:
                        varied.add(c.param)
                _forward(stmt.cond_body, varied, stopped)
                _forward(stmt.body, varied, stopped)
                if len(varied) == size:
                    break
            varied.update(c.result for c in stmt.carried if c.param in varied)
            continue
        if isinstance(stmt, If):
            # The condition selects, it carries no derivative: only the yielded values flow.
            _forward(stmt.then_body, varied, stopped)
            _forward(stmt.else_body, varied, stopped)
            for result, a, b in zip(stmt.results, stmt.then_values, stmt.else_values):
                if a in varied or b in varied:
                    varied.add(result)
        elif stmt.result is not None and stmt.result not in stopped and not blocks_derivative(stmt) \
                and any(u in varied for u in stmt.uses()):
            varied.add(stmt.result)


def _backward(body: list[Stmt], useful: set[Var], stopped: set[Var]) -> None:
    for stmt in reversed(body):
        if isinstance(stmt, Loop):
            while True:  # a param useful at the top of an iteration makes the previous `next` useful
                size = len(useful)
                for c in stmt.carried:
                    if c.result in useful or c.param in useful:
                        useful.update(v for v in (c.init, c.next, c.param) if isinstance(v, Var))
                _backward(stmt.body, useful, stopped)
                if len(useful) == size:
                    break
            continue
        if isinstance(stmt, If):
            for result, a, b in zip(stmt.results, stmt.then_values, stmt.else_values):
                if result in useful:
                    useful.update(v for v in (a, b) if isinstance(v, Var))
            _backward(stmt.then_body, useful, stopped)
            _backward(stmt.else_body, useful, stopped)
        elif stmt.result in useful and stmt.result not in stopped and not blocks_derivative(stmt):
            useful.update(stmt.uses())
