"""Table rows of `y op= v` (rules/inplace.py: `in_place_result`, the in-place contract of an augmented
assignment), against finite differences: each operator, broadcasting `v` into `y`, float32, slots."""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, Rule, check_case, expand, nonzero, pos, real

INTO = [
    ("scalar,scalar", [None, None], F64),
    ("vec,vec", [(5,), (5,)], F64),
    ("mat,mat", [(3, 4), (3, 4)], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("mat,col", [(3, 4), (3, 1)], F64),
    ("mat,scalar", [(3, 4), None], F64),
    ("3d,mat", [(2, 3, 4), (3, 4)], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
    ("f32 mat,row", [(3, 4), (4,)], F32),
]
SLOTS = [("mat,row", [(3, 4), (4,)], F64), ("f32 mat,row", [(3, 4), (4,)], F32)]


def aug_add(a, b):
    y = a * 1.0
    y += b
    return np.sum(np.sin(y))


def aug_sub(a, b):
    y = a * 2.0
    y -= b * b
    return np.sum(np.sin(y))


def aug_mul(a, b):
    y = a + 0.5
    y *= b
    return np.sum(np.sin(y))


def aug_div(a, b):
    y = a * 1.5
    y /= b
    return np.sum(np.sin(y))


def aug_pow(a, b):
    y = a * 1.0
    y **= b
    return np.sum(np.sin(y))


def aug_slot(a, b):
    y = a * 1.0
    y[1] += b
    y[0] *= b
    return np.sum(np.sin(y))


def aug_column(a, b):
    y = np.copy(a * 1.0, order="F")
    y[:, 0] -= a[:, 1] * 2.0
    y += b
    return np.sum(np.sin(y.ravel("K")) * np.arange(y.size))


RULES = [
    Rule("y += v", aug_add, (real, real), INTO),
    Rule("y -= v", aug_sub, (real, real), INTO),
    Rule("y *= v", aug_mul, (real, real), INTO),
    Rule("y /= v", aug_div, (real, nonzero), INTO),
    Rule("y **= v", aug_pow, (pos, real), INTO),
    Rule("y[i] op= v", aug_slot, (real, real), SLOTS),
    Rule("y[:, j] -= v, F-ordered y", aug_column, (real, real), SLOTS),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)
