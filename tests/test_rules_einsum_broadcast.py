"""Table rows for np.einsum broadcasting a length-1 subscript of one operand against another's
(NumPy allows `'ij,jk->ik'` with a (3, 1) and b (4, 5)): the adjoint of the operand whose axis is
longer sums over the broadcast axis and broadcasts back; two, three operands, optimize=, ellipsis.
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, Rule, check_case, expand, real


def bc_matmul(a, b):
    return np.sum(np.sin(np.einsum("ij,jk->ik", a, b)))


def bc_three(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, c)))


def bc_three_optimize(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, c, optimize=True)))


def bc_kept_output(d, b, c):
    return np.sum(np.sin(np.einsum("ik,jk,kl->ijl", d, b, c)))


def bc_ellipsis(d, b, c):
    return np.sum(np.sin(np.einsum("...k,jk,kl->...jl", d, b, c, optimize="greedy")))


def bc_both_sides(a, b):
    return np.sum(np.sin(np.einsum("ij,ij->i", a, b)))


def bc_summed_everywhere(a, b):
    return np.sin(np.einsum("ij,jk->", a, b))


def bc_diagonal(a, b):
    return np.sum(np.sin(np.einsum("ii,ij->j", a, b)))


RULES = [
    Rule("einsum-bc(ij,jk->ik)", bc_matmul, (real, real), [
        ("col,mat", [(3, 1), (4, 5)], F64),
        ("mat,row", [(3, 4), (1, 5)], F64),
        ("col,row", [(3, 1), (1, 5)], F64),
        ("f32 col,mat", [(3, 1), (4, 5)], F32),
        ("empty col,mat", [(0, 1), (4, 5)], F64),
    ]),
    Rule("einsum-bc(ij,jk,kl->il)", bc_three, (real, real, real), [
        ("col,mat,mat", [(3, 1), (4, 5), (5, 2)], F64),
        ("mat,row,mat", [(3, 4), (1, 5), (5, 2)], F64),
    ]),
    Rule("einsum-bc(ij,jk,kl->il, optimize)", bc_three_optimize, (real, real, real), [
        ("col,mat,mat", [(3, 1), (4, 5), (5, 2)], F64),
        ("mat,mat,col", [(3, 4), (4, 5), (1, 2)], F64),
    ]),
    Rule("einsum-bc(ik,jk,kl->ijl)", bc_kept_output, (real, real, real),
         [("row,mat,mat", [(1, 5), (4, 5), (5, 2)], F64)]),
    Rule("einsum-bc(...k,jk,kl->...jl)", bc_ellipsis, (real, real, real),
         [("row,mat,mat", [(1, 5), (4, 5), (5, 2)], F64), ("3d,col,mat", [(2, 3, 1), (4, 1), (5, 2)], F64)]),
    Rule("einsum-bc(ij,ij->i)", bc_both_sides, (real, real), [("col,row", [(3, 1), (1, 4)], F64)]),
    Rule("einsum-bc(ij,jk->)", bc_summed_everywhere, (real, real), [("col,mat", [(3, 1), (4, 5)], F64)]),
    Rule("einsum-bc(ii,ij->j)", bc_diagonal, (real, real), [("mat,col", [(3, 3), (1, 4)], F64)]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)
