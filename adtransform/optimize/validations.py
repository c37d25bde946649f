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

import operator
from collections.abc import Callable

import numpy as np

from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, Op, Operand, Style, Sweep, Var, walk
from ..specialize.floats import python_numbers
from . import dce

_CANNOT_RAISE = {Style.COPY, Style.TUPLE, Style.LIST, Style.ATTRIBUTE}
_DIVISIONS = (operator.truediv, operator.floordiv, operator.mod)


def may_raise(fn: Function) -> Callable[[Op], bool]:
    """Whether an operation of `fn` may raise in f. Conservative, except for what cannot: a copy, a
    display, an attribute, a unary operator or unary ufunc (`np.exp(x)`), and arithmetic that cannot
    fail to broadcast: with a number (`t * 3.0`; a division by a nonzero one, a power by a
    non-negative one), or between values of one shape (both made elementwise from the same value,
    `np.sin(x) + np.cos(x)`; a division then only where the divisor is a NumPy value, which gives
    inf rather than raising)."""
    made = {op.result: op for op in walk(fn.body) if isinstance(op, Op) and op.result is not None}
    numbers: set[Var] | None = None

    def root(value: Operand) -> Operand:
        seen = 0
        while isinstance(value, Var) and value in made and seen < 1000:
            op, seen = made[value], seen + 1
            arrays = [a for a in op.args if not _number(a)]
            if op.kwargs or len(arrays) != 1 or not _elementwise(op):
                break
            value = arrays[0]
        return value

    def keep(op: Op) -> bool:
        nonlocal numbers
        if op.sweep is not Sweep.PRIMAL or op.callee.style in _CANNOT_RAISE:
            return False
        if not _elementwise(op) or op.kwargs:
            return True
        if len(op.args) == 1:
            return False
        if len(op.args) != 2:
            return True
        a, b = op.args
        key = op.callee.key
        if _number(b):
            if key in _DIVISIONS:
                return b.value == 0
            return key is operator.pow and b.value < 0
        if _number(a):
            return key in _DIVISIONS or key is operator.pow
        if root(a) is not root(b) and root(a) != root(b):
            return True
        if key in _DIVISIONS or key is operator.pow:
            if numbers is None:
                numbers = python_numbers(fn)
            return b in numbers and (key in _DIVISIONS or a in numbers)  # (else NumPy's: inf, no error)
        return False
    return keep


def _number(value: Operand) -> bool:
    return isinstance(value, Const) and type(value.value) in (int, float) and value.value == value.value


def _elementwise(op: Op) -> bool:
    """An arithmetic operator or a ufunc: its result has its operands' broadcast shape."""
    if op.callee.style is Style.OPERATOR:
        return op.callee.key is not operator.matmul and op.callee.key is not operator.getitem
    return op.callee.style is Style.FUNCTION and isinstance(op.callee.key, np.ufunc) and op.callee.key.nout == 1


def transform(fn: Function, cx: PassContext) -> bool:
    return dce.transform(fn, cx, keep=may_raise(fn))
