"""Keep the user's unused operations that may raise: in f they are checks.

`_ = np.linalg.cholesky(S)` (S positive definite?), `c = np.linalg.inv(A)` of a singular A, `t =
math.sqrt(x[0])` of a negative entry, `y = x.reshape(5)` of four values, `z = x[5]` out of range: f
raises there, so its gradient must raise too rather than return a number. Before differentiation, an
operation of the user's whose result nobody reads is removed only when it cannot raise: a copy, a
display, an attribute, a unary operator. The others stay, marked `validates` (never removed, merged
or moved afterwards), as f runs them.

Only once, first, on the user's function as written: what the optimizer itself leaves unread (a
row read `x[t]` replaced by a row of one product) goes as usual. After differentiation, an operation
read only by the value of f is dead in a gradient and goes (grad does not compute f's value;
value_and_grad does, and raises).
Requires: nothing. Guarantees: what DCE keeps, plus every dead user operation that may raise.
"""

from __future__ import annotations

from ..analysis.manager import PassContext
from ..ir.nodes import Function, Op, Style, Sweep
from . import dce

_CANNOT_RAISE = {Style.COPY, Style.TUPLE, Style.LIST, Style.ATTRIBUTE}


def may_raise(op: Op) -> bool:
    """Whether `op` may raise in f (conservative: whatever is not obviously total)."""
    if op.sweep is not Sweep.PRIMAL or op.callee.style in _CANNOT_RAISE:
        return False
    return not (op.callee.style is Style.OPERATOR and len(op.args) == 1 and not op.kwargs)


def transform(fn: Function, cx: PassContext) -> bool:
    return dce.transform(fn, cx, keep=may_raise)
