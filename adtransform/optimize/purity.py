"""Which operations may be removed or merged: those with no side effects."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..ad.registry import is_nondifferentiable, lookup_adjoint
from ..ir.nodes import If, Loop, Op, Style, Sweep, walk

_ORDERINGS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge)
_PURE_STYLES = {Style.COPY, Style.OPERATOR, Style.ATTRIBUTE, Style.SUBSCRIPT, Style.TUPLE, Style.LIST}


def is_pure(op: Op | If) -> bool:
    """Known primitives (with a rule, or registered non-differentiable) and operators are pure.

    Calls of anything else (print, np.random.*) are kept even if their result is unused.
    A branch is pure when everything in it is.
    """
    if isinstance(op, If):
        return all(is_pure(s) for s in walk(op.then_body + op.else_body) if isinstance(s, Op))
    if isinstance(op, Loop):
        return all(is_pure(s) for s in walk(op.cond_body + op.body) if isinstance(s, Op))
    if op.sweep is Sweep.CHECK:
        return False
    if op.callee.style in _PURE_STYLES:
        return True
    key = op.callee.key
    return lookup_adjoint(key) is not None or is_nondifferentiable(key) or _is_runtime(key)


def _is_runtime(key: object) -> bool:
    from .. import runtime
    return getattr(key, "__module__", "").startswith(runtime.__name__) and key not in (
        runtime.ensure_scalar, runtime.ensure_differentiable, runtime.ensure_cotangent, runtime.ensure_array_argument,
        runtime.ensure_argument)


def is_foldable(op: Op) -> bool:
    """Safe to evaluate at transform time when every argument is a constant."""
    key = op.callee.key
    if op.callee.style is Style.OPERATOR:
        # Comparisons only in adjoint code: rules guard a special case with one (`y - (y != 0)`),
        # which a constant argument must fold away; the user's own tests keep their text.
        return key in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                       operator.neg, operator.pos) or (op.sweep is Sweep.ADJOINT and key in _ORDERINGS)
    if op.callee.style is not Style.FUNCTION:
        return False
    return getattr(key, "__module__", None) == math.__name__ or isinstance(key, np.ufunc)
