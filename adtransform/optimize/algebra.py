"""Algebraic simplification: `g * 1.0 -> g`, `x ** 1 -> x`, `-(-g) -> g`, `0 - g -> -g`.

Requires: nothing. Guarantees: simplified ops become copies (copy_prop removes them).
Why: the seed of the backward sweep is the constant 1.0 and rule templates are
general, so products with one and powers of one are common after instantiation.
Only identities exact in floating point (and dtype-preserving for float
operands, the only ones that carry adjoints) are applied.
"""

from __future__ import annotations

import operator

from ..ir.nodes import Callee, Const, Function, Op, Style, Sweep, walk

_COPY = Callee(None, Style.COPY)
_NEG = Callee(operator.neg, Style.OPERATOR, symbol="-")


def _is(operand: object, value: float) -> bool:
    return isinstance(operand, Const) and type(operand.value) in (int, float) and operand.value == value


def _simplify(op: Op) -> bool:
    if op.callee.style is not Style.OPERATOR or op.result is None or op.sweep is not Sweep.ADJOINT:
        # The user's own operations keep their exact semantics (`n * 1.0` makes an int a float).
        return False
    key, args = op.callee.key, op.args
    if key is operator.mul:
        for i, j in ((0, 1), (1, 0)):
            if _is(args[i], 1):
                op.callee, op.args = _COPY, [args[j]]
                return True
            if _is(args[i], -1):
                op.callee, op.args = _NEG, [args[j]]
                return True
    if key in (operator.truediv, operator.pow) and _is(args[1], 1):
        op.callee, op.args = _COPY, [args[0]]
        return True
    if key is operator.sub and _is(args[0], 0) and not _is(args[1], 0):
        op.callee, op.args = _NEG, [args[1]]
        return True
    if key is operator.neg and isinstance(args[0], Const) and type(args[0].value) in (int, float):
        op.callee, op.args = _COPY, [Const(-args[0].value)]
        return True
    return False


def transform(fn: Function) -> bool:
    changed = False
    ops = [s for s in walk(fn.body) if isinstance(s, Op)]
    producers = {op.result: op for op in ops if op.result is not None}
    for op in ops:
        changed |= _simplify(op)
        # -(-g) -> g
        if op.callee == _NEG and op.sweep is Sweep.ADJOINT and op.args[0] in producers:
            inner = producers[op.args[0]]
            if inner.callee == _NEG:
                op.callee, op.args = _COPY, [inner.args[0]]
                changed = True
    return changed
