"""Algebraic simplification: `g * 1.0 -> g`, `x ** 1 -> x`, `x ** 2 -> x * x`, `-(-g) -> g`,
`0 - g -> -g`, `a + (-g) -> a - g`, and an adjoint's zero dropped from a sum: `0.0 + g -> g`,
`g - 0.0 -> g`.

Requires: nothing. Guarantees: simplified ops become copies (copy_prop removes them).
Analyses: read counts (`defuse.reads`).
Why: the seed of the backward sweep is the constant 1.0 and rule templates are
general, so products with one and powers of one are common after instantiation.
Only identities exact in floating point (and dtype-preserving for float
operands, the only ones that carry adjoints) are applied, with one exception
about the sign of zero: `0.0 + g` is `+0.0` where `g` is `-0.0`. That is why a
zero is dropped from a sum only when it is an `AdjointZero` (the zero an
adjoint starts from, never the user's `0.0` nor a rule's): a gradient is a
real number and its sign of zero means nothing, while the user's arithmetic
and the values rules compute from it (`1.0 / (0.0 + x)` is `inf` or `-inf`)
keep their exact IEEE results. Reverse mode makes an `AdjointZero` only for a
proven scalar, and it is the Python float `0.0`: adding it to `g` gives `g`'s
shape, and (weak Python float) `g`'s float dtype, so the fold changes neither;
arrays' zeros are `zeros_like` calls, which broadcast and are never dropped.
"""

from __future__ import annotations

import operator

from ..analysis import defuse
from ..analysis.manager import PassContext
from ..ir.nodes import AdjointZero, Callee, Const, Function, Op, Style, Sweep, Var, walk

_COPY = Callee(None, Style.COPY)
_NEG = Callee(operator.neg, Style.OPERATOR, symbol="-")
_ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
_SUB = Callee(operator.sub, Style.OPERATOR, symbol="-")
_MUL = Callee(operator.mul, Style.OPERATOR, symbol="*")


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
    if key is operator.pow and _is(args[1], 2) and isinstance(args[0], Var):
        # `3 * x ** 2` of the rule for `x ** 3`: one rounding (libm's pow may be an ulp off) and a
        # fraction of the cost; NumPy computes `x ** 2` as `x * x` already.
        op.callee, op.args = _MUL, [args[0], args[0]]
        return True
    if key in (operator.add, operator.sub) and len(args) == 2:
        kept = _drop_adjoint_zero(key, args)
        if kept is not None:
            op.callee, op.args = _COPY, [kept]
            return True
    if key is operator.sub and _is(args[0], 0) and not _is(args[1], 0):
        op.callee, op.args = _NEG, [args[1]]
        return True
    if key is operator.neg and isinstance(args[0], Const) and type(args[0].value) in (int, float):
        op.callee, op.args = _COPY, [Const(-args[0].value)]
        return True
    return False


def _drop_adjoint_zero(key: object, args: list) -> object | None:
    """`AdjointZero + g` and `g + AdjointZero` and `g - AdjointZero` are `g` (see the module's docstring)."""
    if isinstance(args[1], AdjointZero):
        return args[0]
    if key is operator.add and isinstance(args[0], AdjointZero):
        return args[1]
    return None


def transform(fn: Function, cx: PassContext) -> bool:
    changed = False
    ops = [s for s in walk(fn.body) if isinstance(s, Op)]
    producers = {op.result: op for op in ops if op.result is not None}
    uses = cx.analyses.get(defuse.reads)
    for op in ops:
        changed |= _simplify(op)
        # -(-g) -> g, and -((-g) * b / c) -> g * b / c when the product is read only here
        if op.callee == _NEG and op.sweep is Sweep.ADJOINT and op.args[0] in producers:
            inner = producers[op.args[0]]
            if inner.callee == _NEG:
                op.callee, op.args = _COPY, [inner.args[0]]
                changed = True
            elif _strip_sign(op.args[0], producers, uses):
                if op.result not in fn.readable:  # (a readable one takes the product's place in copy_prop)
                    # It holds this value now (`neg_bar` would mislead): the names are swapped, so each
                    # stays given to one value until copy_prop drops the copy.
                    op.args[0].name, op.result.name = op.result.name, op.args[0].name
                op.callee = _COPY
                changed = True
        changed |= _fold_negation(op, producers, uses)
    return changed


def _strip_sign(value: object, producers: dict, uses: dict, depth: int = 0) -> bool:
    """Remove one negation from the single-use product or quotient `value`, which then holds -value."""
    term = producers.get(value) if isinstance(value, Var) else None
    if term is None or uses.get(value, 0) != 1 or term.sweep is not Sweep.ADJOINT or depth > 4 \
            or term.callee.style is not Style.OPERATOR or term.callee.key not in (operator.mul, operator.truediv):
        return False
    for j in (0, 1) if term.callee.key is operator.mul else (0,):
        factor = term.args[j]
        if isinstance(factor, Var) and factor in producers and producers[factor].callee == _NEG:
            term.args = [*term.args[:j], producers[factor].args[0], *term.args[j + 1:]]
            return True
        if _strip_sign(factor, producers, uses, depth + 1):
            return True
    return False


def _fold_negation(op: Op, producers: dict, uses: dict) -> bool:
    """`a + (-g)` and `(-g) + a` -> `a - g`; `a - (-g)` -> `a + g` (exact: IEEE negation is exact).

    The rules of `-x` and `a - b` leave such pairs in every backward loop that subtracts.
    """
    if op.sweep is not Sweep.ADJOINT or op.callee not in (_ADD, _SUB) or len(op.args) != 2:
        return False
    negated = [isinstance(a, Var) and a in producers and producers[a].callee == _NEG for a in op.args]
    if negated[1]:
        inner = producers[op.args[1]].args[0]
        op.callee, op.args = (_SUB if op.callee == _ADD else _ADD), [op.args[0], inner]
        return True
    if negated[0] and op.callee == _ADD:
        op.callee, op.args = _SUB, [op.args[1], producers[op.args[0]].args[0]]
        return True
    # a + (-g) * b -> a - g * b (and through quotients: a + ((-g) * b) / c -> a - (g * b) / c),
    # when the terms are read only here: (-g) * b is -(g * b) exactly, and so is (-g) / c.
    for i in (1, 0) if op.callee == _ADD else (1,):
        if _strip_sign(op.args[i], producers, uses):
            flipped = _SUB if op.callee == _ADD else _ADD
            op.callee, op.args = flipped, ([op.args[1 - i], op.args[i]] if i == 0 else op.args)
            return True
    return False
