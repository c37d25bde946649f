"""Table tests of the keyword and function gaps of issue 13 item 1 (rules/numpy_gaps.py,
rules/keywords.py): `where=` on the reductions, the ufunc keywords (`dtype=`, `casting=`, `order=`,
`subok=`), the two-output ufuncs, `np.partition`, `np.broadcast_arrays`, `np.block`, and lists passed
straight to functions that convert them with `np.asarray`. Every row is checked against finite
differences and the vector-Jacobian check (rule_table.check_case); refusals name file and line.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gradcheck import check_grad
from rule_table import (
    BINARY,
    F32,
    F64,
    RED2,
    RED3,
    SCALAR2,
    UNARY,
    Rule,
    check_case,
    distinct,
    expand,
    grid_a,
    grid_b,
    nonzero,
    pos,
    real,
    small,
)

import adtransform as ad
from adtransform.errors import TransformError

# ==========================================================================
# masks the row functions use: computed from the input (a boolean mask carries no derivative; the
# inputs stay away from 0) or fixed by the shape, and broadcast against it
# ==========================================================================


def _pattern(x):
    """Four elements of five selected (none of the rows' reduced axes fully out), computed at run time
    from the shape."""
    return np.arange(x.size).reshape(x.shape) % 5 != 0


def _row_mask(x):
    """A mask of the last axis only: it broadcasts against `x`."""
    return np.arange(x.shape[-1]) % 2 == 0


# --- where= on the sum and the mean (keyword variants) ---------------------------------------------


def r_sum_where(x):
    return np.sum(np.sin(np.sum(x, where=x > 0)))


def r_sum_where_ax0(x):
    return np.sum(np.sin(np.sum(x, axis=0, where=_pattern(x))))


def r_sum_where_axm1_kd(x):
    return np.sum(np.sin(np.sum(x, axis=-1, keepdims=True, where=x > 0)))


def r_sum_where_axt(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2), where=_pattern(x))))


def r_sum_where_row(x):
    return np.sum(np.sin(np.sum(x, axis=0, where=_row_mask(x))))


def r_sum_where_initial(x):
    return np.sum(np.sin(np.sum(x, axis=1, initial=0.5, where=x > 0)))


def r_sum_where_method(x):
    return np.sum(np.sin(x.sum(axis=0, where=x > 0)))


def r_sum_where_dtype(x):
    return np.sum(np.sin(np.sum(x, axis=0, dtype=np.float64, where=_pattern(x))))


def r_sum_where_list(x):
    return np.sum(np.sin(np.sum(x, axis=-1, where=[True, False, True, True])))


def r_mean_where(x):
    return np.sum(np.sin(np.mean(x, where=x > 0)))


def r_mean_where_ax0(x):
    return np.sum(np.sin(np.mean(x, axis=0, where=_pattern(x))))


def r_mean_where_axm1_kd(x):
    return np.sum(np.sin(np.mean(x, axis=-1, keepdims=True, where=_pattern(x))))


def r_mean_where_axt(x):
    return np.sum(np.sin(np.mean(x, axis=(2, 0), where=_pattern(x))))


def r_mean_where_row(x):
    return np.sum(np.sin(np.mean(x, axis=-1, where=_row_mask(x))))


def r_mean_where_method(x):
    return np.sum(np.sin(x.mean(axis=0, keepdims=True, where=_pattern(x))))


def r_mean_where_true(x):
    return np.sum(np.sin(np.mean(x, axis=0, where=True)))


# --- where= on the other reductions that take it (their rules took it already) -----------------------


def r_prod_where_row(x):
    return np.sum(np.sin(np.prod(x, axis=0, where=_row_mask(x))))


def r_max_where(x):
    return np.sum(np.sin(np.max(x, axis=0, initial=-5.0, where=_pattern(x))))


def r_min_where_method(x):
    return np.sum(np.sin(x.min(axis=-1, initial=5.0, where=_row_mask(x))))


def r_var_where_ax0(x):
    return np.sum(np.sin(np.var(x, axis=0, where=_pattern(x))))


def r_std_where_row(x):
    return np.sum(np.sin(np.std(x, axis=-1, ddof=1, where=_row_mask(x))))


def r_nansum_where(x):
    return np.sum(np.sin(np.nansum(x, axis=0, where=_pattern(x))))


def r_nanmean_where(x):
    return np.sum(np.sin(np.nanmean(x, axis=-1, where=_pattern(x))))


def r_nanmax_where(x):
    return np.sum(np.sin(np.nanmax(x, axis=0, initial=-5.0, where=_pattern(x))))


def r_nanprod_where(x):
    return np.sum(np.sin(np.nanprod(x, axis=-1, where=_row_mask(x))))


def r_nanvar_where(x):
    return np.sum(np.sin(np.nanvar(x, axis=0, where=_pattern(x))))


def r_exp_where_true(x):
    return np.sum(np.sin(np.exp(x, where=True)))


# --- ufunc keywords -------------------------------------------------------------------------------


def r_exp_dtype32(x):
    return np.sum(np.sin(np.exp(x, dtype=np.float32)))


def r_sin_dtype64(x):
    return np.sum(np.sin(np.sin(x, dtype=np.float64)))


def r_log_dtype_str(x):
    return np.sum(np.sin(np.log(x, dtype="float64")))


def r_tanh_keywords(x):
    return np.sum(np.sin(np.tanh(x, casting="same_kind", order="C", subok=True)))


def r_multiply_dtype(x, y):
    return np.sum(np.sin(np.multiply(x, y, dtype=np.float64)))


def r_maximum_casting(x, y):
    return np.sum(np.sin(np.maximum(x, y, casting="same_kind", order="K")))


def r_arctan2_dtype32(x, y):
    return np.sum(np.sin(np.arctan2(x, y, dtype=np.float32)))


# --- two-output ufuncs ---------------------------------------------------------------------------------


def half_int(rng, shape):
    """k + 1/2 (|k| <= 3), give or take 0.1: away from the integers where floor and modf jump."""
    return rng.integers(-3, 3, shape) + 0.5 + rng.uniform(-0.1, 0.1, shape)


def near_one(rng, shape):
    """+-1 give or take 0.03: half_int / near_one stays away from the integers."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.97, 1.03, shape)


def mantissas(rng, shape):
    """+-(1.2 .. 1.8) * 2**k: away from the powers of 2 where frexp's exponent jumps."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(1.2, 1.8, shape) * 2.0 ** rng.integers(-2, 3, shape)


def r_divmod(x, y):
    q, r = np.divmod(x, y)
    return np.sum(np.sin(r))


def r_divmod_both(x, y):
    q, r = np.divmod(x, y)
    return np.sum(np.sin(q * x + r * r))


def r_divmod_item(x, y):
    return np.sum(np.sin(np.divmod(x, y)[1]))


def r_divmod_builtin(x, y):
    q, r = divmod(x, y)
    return np.sum(np.sin(r * 2.0 + q))


def r_modf(x):
    frac, whole = np.modf(x)
    return np.sum(np.sin(frac + whole * x))


def r_modf_item(x):
    return np.sum(np.sin(np.modf(x)[0]))


def r_frexp(x):
    m, e = np.frexp(x)
    return np.sum(np.sin(m * e))


def r_frexp_item(x):
    return np.sum(np.sin(np.frexp(x)[0]))


# --- partition, broadcast_arrays, block ----------------------------------------------------------------


def r_partition(x):
    return np.sum(np.sin(np.partition(x, 2)) * np.arange(x.shape[-1]))


def r_partition_ax0(x):
    return np.sum(np.sin(np.partition(x, 1, axis=0)) * np.arange(x.shape[-1]))


def r_partition_none(x):
    return np.sum(np.sin(np.partition(x, (1, 3), axis=None)) * np.arange(x.size))


def r_partition_neg(x):
    return np.sum(np.sin(np.partition(x, -1, axis=-2)[-1]))


def r_argpartition(x):
    return np.sum(np.sin(x[np.argpartition(x, 2)]) * np.arange(x.size))


def r_argpartition_method(x):
    return np.sum(np.sin(np.take_along_axis(x, x.argpartition(1, axis=-1), axis=-1)) * np.arange(x.shape[-1]))


def r_broadcast_arrays(x, y):
    a, b = np.broadcast_arrays(x, y)
    return np.sum(np.sin(a * b + 2.0 * a))


def r_broadcast_arrays_item(x, y):
    return np.sum(np.sin(np.broadcast_arrays(x, y)[1] * 3.0))


def r_broadcast_arrays3(x, y):
    a, b, c = np.broadcast_arrays(x, y, 2.0 * x)
    return np.sum(np.sin(a * b - c))


def r_block2(x, y):
    return np.sum(np.sin(np.block([[x, y], [y * 2.0, x]])) * 1.5)


def r_block1(x, y):
    return np.sum(np.sin(np.block([x, y, 1.0]) * 1.5))


def r_block_rows(x, y):
    top = [x, y]
    return np.sum(np.sin(np.block([top, [x * y, y]])))


def r_block_single(x):
    return np.sum(np.sin(np.block(x) * 1.5))


# --- lists passed straight to functions that convert them with np.asarray -----------------------------


def distinct_shifted(rng, shape):
    """With `distinct` for the other argument: every entry of both distinct (no ties of max/min)."""
    return distinct(rng, shape) + 0.07


def r_var_list(x, y):
    return np.sum(np.sin(np.var([x, y])))


def r_var_list_axis(x, y):
    return np.sum(np.sin(np.var([x, y, x * y], axis=0, ddof=1)))


def r_std_tuple(x, y):
    return np.sum(np.sin(np.std((x, y), axis=-1, keepdims=True)))


def r_max_list(x, y):
    return np.sum(np.sin(np.max([x, y], axis=0)))


def r_min_list_all(x, y):
    return np.sum(np.sin(np.min([x, y])))


def r_prod_tuple(x, y):
    return np.sum(np.sin(np.prod((x, y), axis=0)))


def r_median_list(x, y):
    return np.sum(np.sin(np.median([x, y, x + y], axis=0)))


def r_norm_list(x, y):
    return np.sum(np.sin(np.linalg.norm([x, y])))


def r_norm_list_axis(x, y):
    return np.sum(np.sin(np.linalg.norm([x, y], axis=0)))


def r_average_list(x, y):
    return np.sum(np.sin(np.average([x, y], axis=0, weights=[0.25, 0.75])))


def r_average_weights(x, y):
    return np.sum(np.sin(np.average(np.stack([x * x, x]), axis=0, weights=[y, 1.5])))


def r_quantile_list(x, y):
    return np.sum(np.sin(np.quantile([x, y, 2.0 * x], 0.3, axis=0)))


def r_cumsum_list(x, y):
    return np.sum(np.sin(np.cumsum([x, y], axis=0)))


def r_nanmean_list(x, y):
    return np.sum(np.sin(np.nanmean([x, y], axis=0)))


def r_exp_list(x, y):
    return np.sum(np.sin(np.exp([x, y])))


def r_maximum_list(x, y):
    return np.sum(np.sin(np.maximum([x, y], [y * 0.5, x])))


def r_sum_list_where(x, y):
    return np.sum(np.sin(np.sum([x, y], axis=0, where=[True, False, True, True])))


def r_mean_list_where(x, y):
    return np.sum(np.sin(np.mean([x, y * x], axis=-1, where=(x > 0) | (np.arange(x.shape[-1]) == 0))))


def r_var_nested(x, y):
    return np.sum(np.sin(np.var([[x, y], [y, x * x]], axis=(0, 1))))


def r_var_appended(x, y):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1.0) + y)
    return np.sum(np.sin(np.var(rows, axis=0)))


def r_std_list_branch(x, y):
    pair = [x, y]
    if np.ndim(x) > 0:
        pair = [x, y * 2.0]
    return np.sum(np.sin(np.std(pair, axis=0)))


MASKED = [("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32), ("3d", [(2, 3, 4)], F64), ("big", [(5, 6)], F64)]
MASKED_AX = [("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32), ("3d", [(2, 3, 4)], F64), ("vec", [(5,)], F64)]
ROWS4 = [("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32), ("3d", [(2, 3, 4)], F64)]
SIZE1 = [("size-1 axis", [(3, 1)], F64)]
BINARY_F64 = [s for s in BINARY if s[2] is F64]


WHERE_RULES = [
    Rule("np.sum(where=x>0)", r_sum_where, (nonzero,), [*MASKED, ("scalar", [None], F64)]),
    Rule("np.sum(axis=0,where)", r_sum_where_ax0, (real,), MASKED_AX + SIZE1),
    Rule("np.sum(axis=-1,keepdims,where)", r_sum_where_axm1_kd, (nonzero,), MASKED_AX),
    Rule("np.sum(axis=(0,2),where)", r_sum_where_axt, (real,), [*RED3, ("f32 3d", [(2, 3, 4)], F32)]),
    Rule("np.sum(axis=0,where=row mask)", r_sum_where_row, (real,), ROWS4),
    Rule("np.sum(axis=1,initial,where)", r_sum_where_initial, (nonzero,), RED2 + RED3),
    Rule("x.sum(axis=0,where)", r_sum_where_method, (nonzero,), MASKED_AX),
    Rule("np.sum(axis=0,dtype=float64,where)", r_sum_where_dtype, (real,), RED2),
    Rule("np.sum(axis=-1,where=list)", r_sum_where_list, (real,), ROWS4),
    Rule("np.mean(where=x>0)", r_mean_where, (nonzero,), MASKED),
    Rule("np.mean(axis=0,where)", r_mean_where_ax0, (real,), MASKED_AX + SIZE1),
    Rule("np.mean(axis=-1,keepdims,where)", r_mean_where_axm1_kd, (real,), MASKED_AX),
    Rule("np.mean(axis=(2,0),where)", r_mean_where_axt, (real,), RED3),
    Rule("np.mean(axis=-1,where=row mask)", r_mean_where_row, (real,), ROWS4),
    Rule("x.mean(axis=0,keepdims,where)", r_mean_where_method, (real,), MASKED_AX),
    Rule("np.mean(axis=0,where=True)", r_mean_where_true, (real,), RED2),
    Rule("np.prod(axis=0,where=row mask)", r_prod_where_row, (real,), ROWS4),
    Rule("np.max(axis=0,initial,where)", r_max_where, (real,), RED2 + RED3),
    Rule("x.min(axis=-1,initial,where=row mask)", r_min_where_method, (real,), ROWS4),
    Rule("np.var(axis=0,where)", r_var_where_ax0, (real,), [("mat", [(4, 4)], F64), ("3d", [(4, 3, 4)], F64)]),
    Rule("np.std(axis=-1,ddof=1,where=row mask)", r_std_where_row, (real,), [("mat", [(3, 6)], F64)]),
    Rule("np.nansum(axis=0,where)", r_nansum_where, (real,), MASKED_AX),
    Rule("np.nanmean(axis=-1,where)", r_nanmean_where, (real,), MASKED_AX),
    Rule("np.nanmax(axis=0,initial,where)", r_nanmax_where, (distinct,), RED2 + RED3),
    Rule("np.nanprod(axis=-1,where=row mask)", r_nanprod_where, (real,), ROWS4),
    Rule("np.nanvar(axis=0,where)", r_nanvar_where, (real,), [("mat", [(4, 4)], F64)]),
]

UFUNC_RULES = [
    Rule("np.sin(dtype=float64)", r_sin_dtype64, (real,), UNARY),
    Rule("np.log(dtype='float64')", r_log_dtype_str, (pos,), UNARY),
    Rule("np.exp(where=True)", r_exp_where_true, (small,), UNARY),
    Rule("np.tanh(casting,order,subok)", r_tanh_keywords, (real,), UNARY),
    Rule("np.multiply(dtype=float64)", r_multiply_dtype, (real, real), BINARY),
    Rule("np.maximum(casting,order)", r_maximum_casting, (real, real), BINARY_F64[:4]),
]

PAIRS = [("vec,vec", [(5,), (5,)], F64), ("mat,row", [(3, 4), (4,)], F64), ("scalar,mat", [None, (3, 4)], F64),
         ("mat,scalar", [(3, 4), None], F64), ("f32 mat,mat", [(3, 4), (3, 4)], F32),
         ("col,row", [(3, 1), (1, 4)], F64)]
ONES = [("vec", [(5,)], F64), ("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32), ("scalar", [None], F64)]
PERMUTED = [("vec", [(5,)], F64), ("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32), ("3d", [(2, 3, 4)], F64)]

TUPLE_RULES = [
    Rule("np.divmod", r_divmod, (half_int, near_one), PAIRS),
    Rule("np.divmod(q and r)", r_divmod_both, (half_int, near_one), PAIRS),
    Rule("np.divmod()[1]", r_divmod_item, (half_int, near_one), PAIRS[:3]),
    Rule("divmod (builtin)", r_divmod_builtin, (half_int, near_one), [*PAIRS[:1], *SCALAR2]),
    Rule("np.modf", r_modf, (half_int,), ONES),
    Rule("np.modf()[0]", r_modf_item, (half_int,), ONES),
    Rule("np.frexp", r_frexp, (mantissas,), ONES),
    Rule("np.frexp()[0]", r_frexp_item, (mantissas,), ONES),
]

SHAPE_RULES = [
    Rule("np.partition(kth=2)", r_partition, (distinct,), PERMUTED),
    Rule("np.partition(axis=0)", r_partition_ax0, (distinct,), PERMUTED[1:]),
    Rule("np.partition(axis=None,kth=(1,3))", r_partition_none, (distinct,), PERMUTED),
    Rule("np.partition(kth=-1,axis=-2)", r_partition_neg, (distinct,), PERMUTED[1:]),
    Rule("x[np.argpartition(x, 2)]", r_argpartition, (distinct,), [("vec", [(6,)], F64)]),
    Rule("x.argpartition(1, axis=-1)", r_argpartition_method, (distinct,), [("mat", [(3, 4)], F64)]),
    Rule("np.broadcast_arrays", r_broadcast_arrays, (real, real), BINARY),
    Rule("np.broadcast_arrays()[1]", r_broadcast_arrays_item, (real, real), PAIRS),
    Rule("np.broadcast_arrays(3 arrays)", r_broadcast_arrays3, (real, real), PAIRS[:2]),
    Rule("np.block([[x, y], [y, x]])", r_block2, (real, real),
         [("mat,mat", [(3, 4), (3, 4)], F64), ("vec,vec", [(4,), (4,)], F64), ("f32", [(2, 3), (2, 3)], F32),
          ("3d,3d", [(2, 2, 3), (2, 2, 3)], F64)]),
    Rule("np.block([x, y, 1.0])", r_block1, (real, real),
         [("vec,vec", [(4,), (3,)], F64), ("scalar,vec", [None, (3,)], F64), ("f32", [(2,), (3,)], F32)]),
    Rule("np.block([top, [x * y, y]])", r_block_rows, (real, real), [("mat,mat", [(2, 3), (2, 3)], F64)]),
    Rule("np.block(x)", r_block_single, (real,), [("mat", [(3, 4)], F64), ("scalar", [None], F64)]),
]

SAME2 = [("vec,vec", [(5,), (5,)], F64), ("mat,mat", [(3, 4), (3, 4)], F64), ("f32 mat,mat", [(3, 4), (3, 4)], F32),
         ("scalar,scalar", [None, None], F64)]
ARRAYS2 = SAME2[:3]

LIST_RULES = [
    Rule("np.var([x, y])", r_var_list, (real, real), SAME2),
    Rule("np.var([x, y, x*y],axis=0,ddof=1)", r_var_list_axis, (real, real), SAME2),
    Rule("np.std((x, y),axis=-1,keepdims)", r_std_tuple, (real, real), ARRAYS2),
    Rule("np.max([x, y],axis=0)", r_max_list, (grid_a, grid_b), SAME2),
    Rule("np.min([x, y])", r_min_list_all, (distinct, distinct_shifted), SAME2),
    Rule("np.prod((x, y),axis=0)", r_prod_tuple, (real, real), SAME2),
    Rule("np.median([x, y, x + y],axis=0)", r_median_list, (grid_a, grid_b), SAME2),
    Rule("np.linalg.norm([x, y])", r_norm_list, (real, real), SAME2),
    Rule("np.linalg.norm([x, y],axis=0)", r_norm_list_axis, (nonzero, nonzero), SAME2),
    Rule("np.average([x, y],weights=list)", r_average_list, (real, real), SAME2),
    Rule("np.average(weights=[y, 1.5])", r_average_weights, (real, pos), [("vec,scalar", [(5,), None], F64)]),
    Rule("np.quantile([x, y, 2x],0.3,axis=0)", r_quantile_list, (grid_a, grid_b), SAME2[:2]),
    Rule("np.cumsum([x, y],axis=0)", r_cumsum_list, (real, real), SAME2),
    Rule("np.nanmean([x, y],axis=0)", r_nanmean_list, (real, real), SAME2),
    Rule("np.exp([x, y])", r_exp_list, (small, small), SAME2),
    Rule("np.maximum([x, y], [y/2, x])", r_maximum_list, (grid_a, grid_b), SAME2),
    Rule("np.sum([x, y],axis=0,where)", r_sum_list_where, (real, real), [("mat,mat", [(3, 4), (3, 4)], F64)]),
    Rule("np.mean([x, y*x],axis=-1,where)", r_mean_list_where, (nonzero, real), SAME2[:3]),
    Rule("np.var([[x, y], [y, x*x]],axis=(0,1))", r_var_nested, (real, real), SAME2),
    Rule("np.var(appended list,axis=0)", r_var_appended, (real, real), SAME2),
    Rule("np.std(list from a branch,axis=0)", r_std_list_branch, (real, real), SAME2),
]

RULES = WHERE_RULES + UFUNC_RULES + TUPLE_RULES + SHAPE_RULES + LIST_RULES
CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


def _exp_dtype32_grad(x):
    e = np.exp(np.float64(np.float32(x)) if np.ndim(x) == 0 else np.asarray(x, np.float32).astype(np.float64))
    return np.cos(e) * e


@pytest.mark.parametrize("x", [np.linspace(-1.0, 1.0, 7), np.linspace(-1.0, 1.0, 6).reshape(2, 3).astype(F32), 0.7])
def test_dtype_float32(x):
    # The ufunc computes in float32 (finite differences of it are float32's noise): against the analytic
    # gradient, in the input's dtype.
    g = ad.grad(r_exp_dtype32)(x)
    assert np.result_type(g) == np.result_type(x) and np.shape(g) == np.shape(x)
    np.testing.assert_allclose(g, _exp_dtype32_grad(x), rtol=2e-6)


def test_binary_dtype_float32():
    x, y = np.linspace(0.5, 1.5, 6), np.linspace(-1.5, -0.5, 6).astype(F32)
    gx, gy = ad.grad(r_arctan2_dtype32, wrt=(0, 1))(x, y)
    assert gx.dtype == F64 and gy.dtype == F32
    xs, ys = x.astype(F32).astype(F64), y.astype(F64)
    c = np.cos(np.arctan2(xs, ys)) / (xs * xs + ys * ys)
    np.testing.assert_allclose(gx, c * ys, rtol=2e-6)
    np.testing.assert_allclose(gy, -c * xs, rtol=2e-6)


# ==========================================================================
# refusals: each names the file and the line of the call
# ==========================================================================


def exp_where(x):
    return np.sum(np.exp(x, where=x > 0))


def exp_int_dtype(x):
    return np.sum(np.exp(x, dtype=np.int64, casting="unsafe"))


def exp_complex_dtype(x):
    return np.sum(np.real(np.exp(x, dtype=np.complex128)))


def exp_run_time_dtype(x):
    return np.sum(np.exp(x, dtype=x.dtype))


def add_signature(x):
    return np.sum(np.add(x, x, signature="dd->d"))


def sum_where_int_dtype(x):
    return np.sum(x, dtype=np.int64, where=x > 0)


@pytest.mark.parametrize("fn, what", [
    (exp_where, r"np.where\(m, np.exp\(x\), 0.0\)"),
    (exp_int_dtype, "only a floating `dtype=`"),
    (exp_complex_dtype, "complex"),
    (exp_run_time_dtype, "computed at run time"),
    (add_signature, "`signature=` is not supported"),
    (sum_where_int_dtype, "only a floating dtype"),
])
def test_refused_where_passed(fn, what):
    with pytest.raises(TransformError, match=what) as info:
        ad.grad(fn)(np.array([0.5, 1.0, 2.0]))
    assert f"test_rules_gaps.py:{fn.__code__.co_firstlineno + 1}" in str(info.value)


# ==========================================================================
# where= conventions: an empty selection, a mask from the input, broadcasting
# ==========================================================================


def mean_with_empty_column(x):
    m = np.mean(x, axis=0, where=np.array([[True, False, True], [True, False, False]]))
    return np.sum(np.where(np.isnan(m), 0.0, m * m))


def test_mean_of_nothing_is_nan_and_passes_nothing_back():
    x = np.array([[0.5, 1.0, 2.0], [1.5, -1.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's "Mean of empty slice", as without grad)
        g = ad.grad(mean_with_empty_column)(x)
        check_grad(mean_with_empty_column, (x,))
    np.testing.assert_array_equal(g, [[1.0, 0.0, 4.0], [1.0, 0.0, 0.0]])


def sum_where_self(x):
    return np.sum(x * x, where=x > 1.0)


def mean_where_row(x):
    return x.mean(axis=1, where=[True, False, True]).sum()


def test_masked_sum_and_mean_analytic():
    x = np.array([[0.5, 2.0, 3.0], [1.5, -1.0, 0.25]], dtype=F32)
    g = ad.grad(sum_where_self)(x)
    assert g.dtype == F32
    np.testing.assert_array_equal(g, np.where(x > 1.0, 2.0 * x, 0.0))
    np.testing.assert_allclose(ad.grad(mean_where_row)(x), [[0.5, 0.0, 0.5], [0.5, 0.0, 0.5]])


def partition_in_place(x):
    y = x * 1.0
    y.partition(1)
    return np.sum(y * np.arange(3))


def broadcast_five(x):
    a, b, c, e, f = np.broadcast_arrays(x, x, x, x, x)
    return np.sum(a * f)


@pytest.mark.parametrize("fn, line, what", [
    (partition_in_place, 2, "in place"),
    (broadcast_five, 1, "too many positional arguments"),
])
def test_refused_shapes(fn, line, what):
    with pytest.raises(TransformError, match=what) as info:
        ad.grad(fn)(np.array([0.5, 1.0, 2.0]))
    assert f"test_rules_gaps.py:{fn.__code__.co_firstlineno + line}" in str(info.value)


def divmod_quotient_only(x):
    q, r = np.divmod(x, 0.75)
    return np.sum(q * q)


def test_two_output_analytic():
    x = np.array([0.3, 1.6, -2.2, 5.1], dtype=F32)
    g = ad.grad(divmod_quotient_only)(x)
    assert g.dtype == F32
    np.testing.assert_array_equal(g, 0.0)  # (the quotient is piecewise constant)
    gx, gy = ad.grad(r_divmod, wrt=(0, 1))(np.array([2.5, -1.25]), 0.75)
    r = np.mod([2.5, -1.25], 0.75)
    np.testing.assert_allclose(gx, np.cos(r))
    np.testing.assert_allclose(gy, np.sum(-np.cos(r) * np.floor(np.array([2.5, -1.25]) / 0.75)))
    m, e = np.frexp(x)
    np.testing.assert_allclose(ad.grad(r_frexp_item)(x), np.cos(m) * 2.0 ** -e.astype(float), rtol=1e-6)


def where_of_list(x):
    return np.sum(np.where(x > 0.0, [x, x * 2.0], 0.0))


def test_a_function_not_converting_lists_is_still_refused():
    # np.where has no rule for lists (and is not declared to convert them): refused where it is called.
    with pytest.raises(TransformError, match="no derivative rule for lists") as info:
        ad.grad(where_of_list)(np.array([0.5, 1.0, 2.0]))
    assert f"test_rules_gaps.py:{where_of_list.__code__.co_firstlineno + 1}" in str(info.value)


def test_lists_against_arrays():
    # np.var([x, y]) is np.var(np.stack([x, y])): the same gradient, item by item.
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.75])
    gx, gy = ad.grad(r_var_list_axis, wrt=(0, 1))(x, y)
    hx, hy = ad.grad(var_stacked, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, hx, rtol=1e-12)
    np.testing.assert_allclose(gy, hy, rtol=1e-12)


def var_stacked(x, y):
    return np.sum(np.sin(np.var(np.stack([x, y, x * y]), axis=0, ddof=1)))


def exp_out_where(x):
    buf = np.zeros(3)
    np.exp(x, out=buf, where=x > 0.7)
    return np.sum(buf)


def exp_out_dtype(x):
    buf = np.zeros(3)
    np.exp(x, out=buf, dtype=np.float64)
    return np.sum(buf * x)


def test_out_with_a_mask_is_refused_and_out_with_dtype_followed():
    # With `out=`, a `where=` mask keeps `out`'s old values where it is false: refused where it is written.
    with pytest.raises(TransformError) as info:
        ad.grad(exp_out_where)(np.array([0.5, 1.0, 2.0]))
    assert f"test_rules_gaps.py:{exp_out_where.__code__.co_firstlineno + 2}" in str(info.value)
    x = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(ad.grad(exp_out_dtype)(x), np.exp(x) * (x + 1.0))
