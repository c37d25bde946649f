"""Reverse rules for the runtime helpers that passes put into the primal computation.

Contract: see rules/notation.py. A pass may replace user operations by a helper
before reverse mode (optimize/hoist_projections.py); the helper is then a
primitive like any other, and generated code fed back into `grad` finds its rule.
The `@` helpers' `product` (`@` or np.matmul, whichever the loop called) carries
no derivative and needs no rule of its own: both are differentiated as `@`.
"""

import operator

from ..runtime import (
    dot_rows,
    dot_rows_lhs_adjoint,
    dot_rows_rhs_adjoint,
    matmul_rows,
    matmul_rows_lhs_adjoint,
    matmul_rows_rhs_adjoint,
    rows_dot,
    rows_dot_lhs_adjoint,
    rows_dot_rhs_adjoint,
    rows_matmul,
    rows_matmul_lhs_adjoint,
    rows_matmul_rhs_adjoint,
)
from .notation import adjoint, d


@adjoint(matmul_rows, nondiff=("start", "stop", "step", "product"))
def matmul_rows_rule(y, a, x, start, stop, step, product=operator.matmul):
    d[a] = matmul_rows_lhs_adjoint(d[y], a, x, start, stop, step)
    d[x] = matmul_rows_rhs_adjoint(d[y], a, x, start, stop, step)


@adjoint(rows_matmul, nondiff=("start", "stop", "step", "product"))
def rows_matmul_rule(y, x, b, start, stop, step, product=operator.matmul):
    d[x] = rows_matmul_lhs_adjoint(d[y], x, b, start, stop, step)
    d[b] = rows_matmul_rhs_adjoint(d[y], x, b, start, stop, step)


@adjoint(dot_rows, nondiff=("start", "stop", "step"))
def dot_rows_rule(y, a, x, start, stop, step):
    d[a] = dot_rows_lhs_adjoint(d[y], a, x, start, stop, step)
    d[x] = dot_rows_rhs_adjoint(d[y], a, x, start, stop, step)


@adjoint(rows_dot, nondiff=("start", "stop", "step"))
def rows_dot_rule(y, x, b, start, stop, step):
    d[x] = rows_dot_lhs_adjoint(d[y], x, b, start, stop, step)
    d[b] = rows_dot_rhs_adjoint(d[y], x, b, start, stop, step)
