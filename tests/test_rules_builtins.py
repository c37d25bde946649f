"""Table rows for Python's builtin `max(a, b)` and `min(a, b)` of values (micrograd's ReLU)."""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import SCALAR, SCALAR2, Rule, check_case, expand, grid_a, grid_b, nonzero

import adtransform as ad
from adtransform.errors import NoAdjointRuleError


def b_max(x, y):
    return np.sin(max(x, y))


def b_min(x, y):
    return np.sin(min(x, y))


def b_relu(x):
    return max(x, 0.0) * 3.0


def b_clamp(x):
    return min(max(x, -0.5), 0.5) * x


RULES = [
    Rule("max(a,b)", b_max, (grid_a, grid_b), SCALAR2),
    Rule("min(a,b)", b_min, (grid_a, grid_b), SCALAR2),
    Rule("max(x,0.0)", b_relu, (nonzero,), SCALAR),
    Rule("min(max(x,-0.5),0.5)", b_clamp, (grid_a,), SCALAR),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def tie(x):
    return max(x, 1.0) + min(x, 1.0) * 2.0


def test_a_tie_splits_the_derivative_as_np_maximum_does():
    assert ad.grad(tie)(1.0) == pytest.approx(0.5 + 1.0)


def three(x):
    return max(x, 0.0, 1.0)


def keyed(x):
    return max(x, -x, key=abs)


@pytest.mark.parametrize("fn", [three, keyed])
def test_forms_the_rule_does_not_take_are_refused_where_written(fn):
    with pytest.raises(NoAdjointRuleError, match="test_rules_builtins.py"):
        ad.grad(fn)(0.3)


NAN = float("nan")


def max_with_nan(x):
    return max(x, NAN) * 2.0 + min(x, NAN)


def test_a_nan_compared_with_never_wins_as_in_python():
    assert max_with_nan(0.3) == pytest.approx(0.9)          # Python returns x both times
    assert ad.grad(max_with_nan)(0.3) == pytest.approx(3.0)


def summed_max(x, y):
    return np.sum(max(x, y) * 2.0)


@pytest.mark.parametrize("x,y", [(np.array([0.3]), np.array(0.7)), (np.array([[0.9]]), 0.5),
                                 (np.array([0.2], dtype=np.float32), 0.1)])
def test_size_one_arrays_and_numbers_get_gradients_in_their_own_shapes(x, y):
    gx, gy = ad.grad(summed_max, wrt=(0, 1))(x, y)
    x_wins = float(np.ravel(x)[0]) > float(np.ravel(y)[0])
    assert np.shape(gx) == np.shape(x) and np.shape(gy) == np.shape(y)
    assert float(np.ravel(gx)[0]) == (2.0 if x_wins else 0.0)
    assert float(np.ravel(gy)[0]) == (0.0 if x_wins else 2.0)
    assert isinstance(gy, float) == isinstance(y, float)
