"""Table rows for `np.astype(x, dtype)` (NumPy 2's function form, rules/numpy_astype.py), and integer
dtypes made by either form stopping the derivative (analysis/activity.py): repeats, shifts and sizes
computed from data so are no differentiated inputs."""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import ARRAYS1, F32, F64, Rule, check_case, expand

import adtransform as ad
from adtransform.errors import TransformError

pytestmark = pytest.mark.skipif(not hasattr(np, "astype"), reason="np.astype is NumPy >= 2.1")


def frac(rng, shape):  # k + (0.2 .. 0.8): away from the jumps of an integer conversion
    return rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)


def fn_astype_f64(x):
    return np.sum(np.sin(np.astype(x, np.float64) * 2.0))


def fn_astype_same(x):
    return np.sum(np.sin(np.astype(x, x.dtype, copy=False)))


def fn_astype_keyword(x):
    return np.sum(np.cos(np.astype(x, "float64", copy=True)) * x)


def fn_astype_int(x):
    return np.sum(np.sin(np.astype(x, int) * x + np.astype(x, np.bool_) * 2.0 * x))


def fn_repeat_counts(x):
    return np.sum(np.repeat(x.ravel(), np.astype(np.abs(x.ravel()), np.int64) + 1) ** 2)


def fn_roll_shift(x):
    return np.sum(np.roll(x, x.ravel()[0].astype(int)) * np.arange(x.size).reshape(x.shape))


RULES = [
    Rule("np.astype(x,float64)", fn_astype_f64, (frac,), ARRAYS1),
    Rule("np.astype(x,x.dtype,copy=False)", fn_astype_same, (frac,), ARRAYS1),
    Rule("np.astype(x,str,copy=True)", fn_astype_keyword, (frac,), [("vec", [(5,)], F64), ("3d", [(2, 3, 2)], F64)]),
    Rule("np.astype(x,int),bool", fn_astype_int, (frac,), ARRAYS1),
    Rule("repeat(x,astype(int))", fn_repeat_counts, (frac,), [("vec", [(5,)], F64), ("mat", [(2, 3)], F64),
                                                            ("f32", [(4,)], F32), ("empty", [(0,)], F64)]),
    Rule("roll(x,astype(int))", fn_roll_shift, (frac,), [("vec", [(5,)], F64), ("mat", [(3, 4)], F64)]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def fn_astype_complex(x):
    return np.sum(np.real(np.astype(x, np.complex128) * x))


def test_astype_to_complex_is_refused_located():
    with pytest.raises(TransformError, match=r"test_rules_astype.py:\d+"):
        ad.grad(fn_astype_complex)(np.ones(3))
