"""Reverse rules for the runtime helpers that passes put into the primal computation.

Contract: see rules/notation.py. A pass may replace user operations by a helper
before reverse mode (optimize/hoist_projections.py); the helper is then a
primitive like any other, and generated code fed back into `grad` finds its rule.
"""

from ..runtime import (
    matmul_rows,
    matmul_rows_lhs_adjoint,
    matmul_rows_rhs_adjoint,
    rows_matmul,
    rows_matmul_lhs_adjoint,
    rows_matmul_rhs_adjoint,
)
from .notation import adjoint, d


@adjoint(matmul_rows, nondiff=("start", "stop", "step"))
def matmul_rows_rule(y, a, x, start, stop, step):
    d[a] = matmul_rows_lhs_adjoint(d[y], a, x, start, stop, step)
    d[x] = matmul_rows_rhs_adjoint(d[y], a, x, start, stop, step)


@adjoint(rows_matmul, nondiff=("start", "stop", "step"))
def rows_matmul_rule(y, x, b, start, stop, step):
    d[x] = rows_matmul_lhs_adjoint(d[y], x, b, start, stop, step)
    d[b] = rows_matmul_rhs_adjoint(d[y], x, b, start, stop, step)
