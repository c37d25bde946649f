"""Table rows for scipy.linalg's rules (rules/scipy_linalg.py): solve_triangular, cho_factor with
cho_solve, expm, and SciPy's solve, inv, det, cholesky; refusals. Skipped without SciPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad
from rule_table import F32, F64, Rule, check_case, expand, real

scipy_linalg = pytest.importorskip("scipy.linalg")
import adtransform as ad  # noqa: E402
import adtransform.rules.scipy_linalg  # noqa: E402  (until the SciPy rules are loaded with adtransform)
from adtransform.errors import NoAdjointRuleError  # noqa: E402


def square(rng, shape):
    return rng.uniform(-1.0, 1.0, shape) + 2.5 * np.eye(shape[-1])


def spd(rng, shape):
    x = rng.uniform(-1.0, 1.0, shape)
    return x @ x.T / shape[-1] + np.eye(shape[-1])


def modest(rng, shape):  # expm of it stays moderate
    return 0.4 * rng.uniform(-1.0, 1.0, shape)


def solve_triangular(a, b):
    return np.sum(np.sin(scipy_linalg.solve_triangular(a, b)))


def solve_triangular_lower_t(a, b):
    return np.sum(np.sin(scipy_linalg.solve_triangular(a, b, trans=1, lower=True)))


def solve_triangular_unit(a, b):
    return np.sum(np.sin(scipy_linalg.solve_triangular(a, b, trans="T", lower=True, unit_diagonal=True)))


def cho_solve_of_factor(a, b):
    return np.sum(np.sin(scipy_linalg.cho_solve(scipy_linalg.cho_factor(a), b)))


def cho_solve_lower(a, b):
    c, lower = scipy_linalg.cho_factor(a, lower=True)
    return np.sum(np.sin(scipy_linalg.cho_solve((c, lower), b)))


def cho_factor_itself(a):
    c, lower = scipy_linalg.cho_factor(a)
    return np.sum(np.sin(c))


def expm(a):
    return np.sum(np.sin(scipy_linalg.expm(a)))


def solve(a, b):
    return np.sum(np.sin(scipy_linalg.solve(a, b)))


def solve_pos(a, b):
    return np.sum(np.sin(scipy_linalg.solve(a, b, assume_a="pos")))


def solve_sym_lower(a, b):
    return np.sum(np.sin(scipy_linalg.solve(a, b, lower=True, assume_a="sym")))


def solve_transposed(a, b):
    return np.sum(np.sin(scipy_linalg.solve(a, b, transposed=True)))


def inv(a):
    return np.sum(np.sin(scipy_linalg.inv(a)))


def det(a):
    return np.sin(0.1 * scipy_linalg.det(a))


def cholesky(a):
    return np.sum(np.sin(scipy_linalg.cholesky(a)))


def cholesky_lower(a):
    return np.sum(np.sin(scipy_linalg.cholesky(a, lower=True)))


MV = [("mat,vec", [(3, 3), (3,)], F64), ("mat,mat", [(3, 3), (3, 2)], F64), ("big", [(5, 5), (5, 4)], F64),
      ("f32", [(3, 3), (3, 2)], F32)]
M = [("3x3", [(3, 3)], F64), ("1x1", [(1, 1)], F64), ("big", [(5, 5)], F64), ("f32", [(3, 3)], F32)]
RULES = [
    Rule("solve_triangular", solve_triangular, (square, real), MV),
    Rule("solve_triangular(trans=1,lower)", solve_triangular_lower_t, (square, real), MV[:2]),
    Rule("solve_triangular(unit_diagonal)", solve_triangular_unit, (square, real), MV[:2]),
    Rule("cho_solve(cho_factor)", cho_solve_of_factor, (spd, real), MV),
    Rule("cho_solve((c,lower))", cho_solve_lower, (spd, real), MV[:2]),
    Rule("cho_factor", cho_factor_itself, (spd,), M),
    Rule("expm", expm, (modest,), [*M, ("batch", [(2, 3, 3)], F64)]),
    Rule("solve", solve, (square, real), MV),
    Rule("solve(assume_a=pos)", solve_pos, (spd, real), MV[:2]),
    Rule("solve(sym,lower)", solve_sym_lower, (spd, real), MV[:2]),
    Rule("solve(transposed)", solve_transposed, (square, real), MV[:2]),
    Rule("inv", inv, (square,), M),
    Rule("det", det, (square,), M),
    Rule("cholesky", cholesky, (spd,), M),
    Rule("cholesky(lower)", cholesky_lower, (spd,), M[:2]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def solve_overwriting(a, b):
    return np.sum(scipy_linalg.solve(a, b, overwrite_a=True))


def solve_banded_kind(a, b):
    return np.sum(scipy_linalg.inv(a, assume_a="pos"))


def solve_triangular_stack(a, b):
    return np.sum(scipy_linalg.solve_triangular(a, b))


def test_overwrite_is_refused_located():
    with pytest.raises(NoAdjointRuleError, match=r"test_rules_scipy_linalg.py:\d+:\d+: .*`overwrite_a=`"):
        ad.grad(solve_overwriting)(np.eye(3), np.ones(3))


def test_inv_of_a_declared_structure_is_refused_located():
    with pytest.raises(NoAdjointRuleError, match=r"test_rules_scipy_linalg.py:\d+:\d+: .*`assume_a=`"):
        ad.grad(solve_banded_kind)(np.eye(3), np.ones(3))


def test_stacks_are_refused_at_run_time():
    with pytest.raises(ValueError, match="single matrix"):
        ad.grad(solve_triangular_stack)(np.stack([np.eye(3)] * 2), np.ones((2, 3, 1)))


def expm_of_sum(a, b):
    return np.sum(np.sin(scipy_linalg.expm(a + b)))


def test_expm_matches_a_finite_difference_of_a_non_normal_matrix():
    rng = np.random.default_rng(2)
    a = np.triu(rng.normal(size=(4, 4)))  # non-normal: the Frechet derivative is not elementwise
    check_grad(expm_of_sum, (a, 0.3 * rng.normal(size=(4, 4))), wrt=(0, 1))
