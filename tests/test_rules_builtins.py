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
