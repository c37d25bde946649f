"""Table tests of the reduction and scan rules (rules/numpy_reductions.py): var, std, prod, cumsum,
cumprod, ptp, average, nansum, nanmean, np.linalg.norm and their ndarray methods, against finite
differences (rule_table.check_case), plus the conventions where a derivative is undefined (zeros,
ties, a zero norm), refusals, float16 and cross-checks against autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, RED2, RED3, RED_ANY, Case, Rule, check_case, distinct, expand, nonzero, real

# ==========================================================================
# helpers the row functions call (differentiated through, like user helpers)
# ==========================================================================


def _mask(x):
    """A fixed pattern (two elements of three), computed at run time from the shape."""
    return np.arange(x.size).reshape(x.shape) % 3 != 0


def _holes(x):
    return np.where(_mask(x), x, np.nan)


def with_zeros(rng, shape):
    """Real values with about a third of them exactly 0 (prod and cumprod must stay right there)."""
    values = rng.uniform(-1.5, 1.5, shape)
    return np.where(rng.uniform(size=shape) < 0.35, 0.0, values)


def weights(rng, shape):
    return rng.uniform(0.2, 2.0, shape)


# ==========================================================================
# row functions: one per keyword variant
# ==========================================================================

def r_var(x):
    return np.sum(np.sin(np.var(x)))


def r_var_kd(x):
    return np.sum(np.sin(np.var(x, keepdims=True)))


def r_var_ax0(x):
    return np.sum(np.sin(np.var(x, axis=0)))


def r_var_ax1_kd(x):
    return np.sum(np.sin(np.var(x, axis=1, keepdims=True)))


def r_var_axm1(x):
    return np.sum(np.sin(np.var(x, axis=-1)))


def r_var_axt(x):
    return np.sum(np.sin(np.var(x, axis=(0, 2))))


def r_var_axt_neg_kd(x):
    return np.sum(np.sin(np.var(x, axis=(-1, 0), keepdims=True)))


def r_var_ddof1(x):
    return np.sum(np.sin(np.var(x, ddof=1)))


def r_var_ax0_ddof1(x):
    return np.sum(np.sin(np.var(x, 0, None, None, 1)))


def r_var_correction(x):
    return np.sum(np.sin(np.var(x, axis=-1, correction=1.5)))


def r_var_where(x):
    return np.sum(np.sin(np.var(x, axis=-1, where=_mask(x))))


def r_var_dtype(x):
    return np.sum(np.sin(np.var(x, axis=0, dtype=np.float64)))


def r_var_method(x):
    return np.sum(np.sin(x.var()))


def r_var_method_ax(x):
    return np.sum(np.sin(x.var(axis=-1, ddof=1, keepdims=True)))


def r_var_class(x):
    return np.sum(np.sin(np.ndarray.var(x, 0)))


def r_std(x):
    return np.sum(np.sin(np.std(x)))


def r_std_kd(x):
    return np.sum(np.sin(np.std(x, keepdims=True)))


def r_std_ax0(x):
    return np.sum(np.sin(np.std(x, axis=0)))


def r_std_ax1_kd(x):
    return np.sum(np.sin(np.std(x, axis=1, keepdims=True)))


def r_std_axm1(x):
    return np.sum(np.sin(np.std(x, axis=-1)))


def r_std_axt(x):
    return np.sum(np.sin(np.std(x, axis=(0, 2))))


def r_std_ddof1(x):
    return np.sum(np.sin(np.std(x, ddof=1)))


def r_std_ax0_ddof1(x):
    return np.sum(np.sin(np.std(x, axis=0, ddof=1)))


def r_std_correction(x):
    return np.sum(np.sin(np.std(x, axis=-1, correction=1)))


def r_std_where(x):
    return np.sum(np.sin(np.std(x, axis=-1, where=_mask(x))))


def r_std_method(x):
    return np.sum(np.sin(x.std()))


def r_std_method_ax(x):
    return np.sum(np.sin(x.std(axis=0, ddof=1)))


def r_prod(x):
    return np.sum(np.sin(np.prod(x)))


def r_prod_kd(x):
    return np.sum(np.sin(np.prod(x, keepdims=True)))


def r_prod_ax0(x):
    return np.sum(np.sin(np.prod(x, axis=0)))


def r_prod_ax1_kd(x):
    return np.sum(np.sin(np.prod(x, axis=1, keepdims=True)))


def r_prod_axm1(x):
    return np.sum(np.sin(np.prod(x, axis=-1)))


def r_prod_axt(x):
    return np.sum(np.sin(np.prod(x, axis=(2, 0))))


def r_prod_initial(x):
    return np.sum(np.sin(np.prod(x, axis=0, initial=1.5)))


def r_prod_where(x):
    return np.sum(np.sin(np.prod(x, axis=-1, where=_mask(x))))


def r_prod_dtype(x):
    return np.sum(np.sin(np.prod(x, axis=0, dtype=np.float64)))


def r_prod_method(x):
    return np.sum(np.sin(x.prod()))


def r_prod_method_ax(x):
    return np.sum(np.sin(x.prod(axis=1)))


def r_cumsum(x):
    return np.sum(np.sin(np.cumsum(x)))


def r_cumsum_ax0(x):
    return np.sum(np.sin(np.cumsum(x, axis=0)))


def r_cumsum_axm1(x):
    return np.sum(np.sin(np.cumsum(x, axis=-1)))


def r_cumsum_dtype(x):
    return np.sum(np.sin(np.cumsum(x, 0, float)))


def r_cumsum_method(x):
    return np.sum(np.sin(x.cumsum(axis=-1)))


def r_cumprod(x):
    return np.sum(np.sin(np.cumprod(x)))


def r_cumprod_ax0(x):
    return np.sum(np.sin(np.cumprod(x, axis=0)))


def r_cumprod_axm1(x):
    return np.sum(np.sin(np.cumprod(x, axis=-1)))


def r_cumprod_method(x):
    return np.sum(np.sin(x.cumprod(0)))


def r_ptp(x):
    return np.sum(np.sin(np.ptp(x)))


def r_ptp_ax0(x):
    return np.sum(np.sin(np.ptp(x, axis=0)))


def r_ptp_axm1_kd(x):
    return np.sum(np.sin(np.ptp(x, axis=-1, keepdims=True)))


def r_ptp_axt(x):
    return np.sum(np.sin(np.ptp(x, axis=(0, 2))))


def r_average(x):
    return np.sum(np.sin(np.average(x)))


def r_average_ax0(x):
    return np.sum(np.sin(np.average(x, axis=0)))


def r_average_axm1_kd(x):
    return np.sum(np.sin(np.average(x, axis=-1, keepdims=True)))


def r_nansum(x):
    return np.sum(np.sin(np.nansum(_holes(x))))


def r_nansum_ax0(x):
    return np.sum(np.sin(np.nansum(_holes(x), axis=0)))


def r_nansum_axm1_kd(x):
    return np.sum(np.sin(np.nansum(_holes(x), axis=-1, keepdims=True)))


def r_nanmean(x):
    return np.sum(np.sin(np.nanmean(_holes(x))))


def r_nanmean_ax0(x):
    return np.sum(np.sin(np.nanmean(_holes(x), axis=0)))


def r_nanmean_axm1_kd(x):
    return np.sum(np.sin(np.nanmean(_holes(x), axis=-1, keepdims=True)))


def r_norm(x):
    return np.sum(np.sin(np.linalg.norm(x)))


def r_norm_kd(x):
    return np.sum(np.sin(np.linalg.norm(x, keepdims=True)))


def r_norm_ax0(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=0)))


def r_norm_axm1_kd(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=-1, keepdims=True)))


def r_norm_1(x):
    return np.sum(np.sin(np.linalg.norm(x, 1, axis=-1)))


def r_norm_2(x):
    return np.sum(np.sin(np.linalg.norm(x, ord=2, axis=0)))


def r_norm_inf(x):
    return np.sum(np.sin(np.linalg.norm(x, np.inf, axis=-1)))


def r_norm_minf(x):
    return np.sum(np.sin(np.linalg.norm(x, -np.inf, axis=0)))


def r_norm_3(x):
    return np.sum(np.sin(np.linalg.norm(x, 3, axis=-1)))


def r_norm_half(x):
    return np.sum(np.sin(np.linalg.norm(x, 0.5, axis=-1)))


def r_norm_m1(x):
    return np.sum(np.sin(np.linalg.norm(x, -1, axis=-1)))


def r_norm_0(x):
    return np.sum(np.sin(np.linalg.norm(x, 0, axis=-1) * np.sum(x)))


def r_norm_vec_ord1(x):
    return np.sum(np.sin(np.linalg.norm(x, 1)))


def r_norm_vec_inf(x):
    return np.sum(np.sin(np.linalg.norm(x, np.inf)))


def r_norm_fro(x):
    return np.sum(np.sin(np.linalg.norm(x, 'fro')))


def r_norm_nuc(x):
    return np.sum(np.sin(np.linalg.norm(x, 'nuc')))


def r_norm_mat1(x):
    return np.sum(np.sin(np.linalg.norm(x, 1)))


def r_norm_matm1(x):
    return np.sum(np.sin(np.linalg.norm(x, -1)))


def r_norm_matinf(x):
    return np.sum(np.sin(np.linalg.norm(x, np.inf)))


def r_norm_matminf(x):
    return np.sum(np.sin(np.linalg.norm(x, -np.inf)))


def r_norm_mat2(x):
    return np.sum(np.sin(np.linalg.norm(x, 2)))


def r_norm_matm2(x):
    return np.sum(np.sin(np.linalg.norm(x, -2)))


def r_norm_pair(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=(0, 2))))


def r_norm_pair_nuc(x):
    return np.sum(np.sin(np.linalg.norm(x, 'nuc', axis=(2, 0))))


def r_norm_pair_1_kd(x):
    return np.sum(np.sin(np.linalg.norm(x, 1, axis=(1, 2), keepdims=True)))


def r_norm_pair_inf(x):
    return np.sum(np.sin(np.linalg.norm(x, np.inf, axis=(-1, 0))))


def r_norm_pair_2(x):
    return np.sum(np.sin(np.linalg.norm(x, 2, axis=(0, 1))))


def r_norm_pair_m2_kd(x):
    return np.sum(np.sin(np.linalg.norm(x, -2, axis=(1, 2), keepdims=True)))


def a_weighted(x, w):
    return np.sum(np.sin(np.average(x, weights=w)))


def a_weighted_ax1(x, w):
    return np.sum(np.sin(np.average(x, axis=1, weights=w)))


def a_weighted_axt(x, w):
    return np.sum(np.sin(np.average(x, axis=(2, 0), weights=w)))


def a_weighted_kd(x, w):
    return np.sum(np.sin(np.average(x, -1, w, keepdims=True)))


def distinct_abs(rng, shape):
    """Distinct magnitudes (gaps >= 0.1) with random signs: no ties of |x| (norm ord=inf)."""
    n = int(np.prod(shape, dtype=int))
    magnitudes = (rng.permutation(n) + 1.0) * 0.15 + rng.uniform(-0.02, 0.02, n)
    return (rng.choice([-1.0, 1.0], size=n) * magnitudes).reshape(shape)


# ==========================================================================
# the table
# ==========================================================================

VEC = [("vec", [(5,)], F64)]
AX0 = [*VEC, *RED2, *RED3]
AX1 = RED2 + RED3
AXT = [*RED3, ("f32 3d", [(2, 3, 4)], F32)]
SIZE1 = [("size-1 axis", [(3, 1)], F64)]
EMPTY0 = [("empty axis", [(0, 3)], F64)]
EMPTY1 = [("empty axis", [(3, 0)], F64)]
MAT = [*RED2, ("big", [(5, 6)], F64), ("tall", [(4, 2)], F64)]
SCALAR_IN = [("scalar", [None], F64)]

RULES = [
    Rule("np.var()", r_var, (real,), RED_ANY + SCALAR_IN),
    Rule("np.var(keepdims)", r_var_kd, (real,), RED_ANY),
    Rule("np.var(axis=0)", r_var_ax0, (real,), AX0 + SIZE1),
    Rule("np.var(axis=1,keepdims)", r_var_ax1_kd, (real,), AX1 + SIZE1),
    Rule("np.var(axis=-1)", r_var_axm1, (real,), AX0),
    Rule("np.var(axis=(0,2))", r_var_axt, (real,), AXT),
    Rule("np.var(axis=(-1,0),keepdims)", r_var_axt_neg_kd, (real,), AXT),
    Rule("np.var(ddof=1)", r_var_ddof1, (real,), RED_ANY),
    Rule("np.var(x,0,None,None,1)", r_var_ax0_ddof1, (real,), AX0),
    Rule("np.var(axis=-1,correction=1.5)", r_var_correction, (real,), AX1),
    Rule("np.var(axis=-1,where)", r_var_where, (real,), AX1),
    Rule("np.var(axis=0,dtype=float64)", r_var_dtype, (real,), AX0),
    Rule("x.var()", r_var_method, (real,), RED_ANY),
    Rule("x.var(axis=-1,ddof=1,keepdims)", r_var_method_ax, (real,), AX0),
    Rule("np.ndarray.var(x,0)", r_var_class, (real,), AX0),
    Rule("np.std()", r_std, (real,), RED_ANY),
    Rule("np.std(keepdims)", r_std_kd, (real,), RED_ANY),
    Rule("np.std(axis=0)", r_std_ax0, (real,), AX0),
    Rule("np.std(axis=1,keepdims)", r_std_ax1_kd, (real,), AX1 + SIZE1),
    Rule("np.std(axis=-1)", r_std_axm1, (real,), AX0 + SIZE1),
    Rule("np.std(axis=(0,2))", r_std_axt, (real,), AXT),
    Rule("np.std(ddof=1)", r_std_ddof1, (real,), RED_ANY),
    Rule("np.std(axis=0,ddof=1)", r_std_ax0_ddof1, (real,), AX0),
    Rule("np.std(axis=-1,correction=1)", r_std_correction, (real,), AX1),
    Rule("np.std(axis=-1,where)", r_std_where, (real,), AX1),
    Rule("x.std()", r_std_method, (real,), RED_ANY),
    Rule("x.std(axis=0,ddof=1)", r_std_method_ax, (real,), AX0),
    Rule("np.prod()", r_prod, (real,), RED_ANY + SCALAR_IN),
    Rule("np.prod(zeros)", r_prod, (with_zeros,), RED_ANY),
    Rule("np.prod(keepdims)", r_prod_kd, (real,), RED2),
    Rule("np.prod(axis=0)", r_prod_ax0, (real,), AX0 + EMPTY0),
    Rule("np.prod(axis=0,zeros)", r_prod_ax0, (with_zeros,), [*AX0, ("big", [(6, 5)], F64)]),
    Rule("np.prod(axis=1,keepdims)", r_prod_ax1_kd, (with_zeros,), AX1 + SIZE1),
    Rule("np.prod(axis=-1)", r_prod_axm1, (real,), AX0 + EMPTY1),
    Rule("np.prod(axis=(2,0))", r_prod_axt, (with_zeros,), AXT),
    Rule("np.prod(axis=0,initial=1.5)", r_prod_initial, (real,), AX0),
    Rule("np.prod(axis=-1,where)", r_prod_where, (with_zeros,), AX1),
    Rule("np.prod(axis=0,dtype=float64)", r_prod_dtype, (real,), AX0),
    Rule("x.prod()", r_prod_method, (with_zeros,), RED_ANY),
    Rule("x.prod(axis=1)", r_prod_method_ax, (real,), AX1),
    Rule("np.cumsum()", r_cumsum, (real,), RED_ANY + SCALAR_IN),
    Rule("np.cumsum(axis=0)", r_cumsum_ax0, (real,), AX0 + EMPTY0),
    Rule("np.cumsum(axis=-1)", r_cumsum_axm1, (real,), AX0 + EMPTY1),
    Rule("np.cumsum(x,0,float)", r_cumsum_dtype, (real,), AX0),
    Rule("x.cumsum(axis=-1)", r_cumsum_method, (real,), AX0),
    Rule("np.cumprod()", r_cumprod, (real,), RED_ANY + SCALAR_IN),
    Rule("np.cumprod(zeros)", r_cumprod, (with_zeros,), RED_ANY),
    Rule("np.cumprod(axis=0)", r_cumprod_ax0, (with_zeros,), AX0 + EMPTY0),
    Rule("np.cumprod(axis=-1)", r_cumprod_axm1, (real,), AX0 + EMPTY1),
    Rule("np.cumprod(axis=-1,zeros)", r_cumprod_axm1, (with_zeros,), [*AX0, ("big", [(5, 6)], F64)]),
    Rule("x.cumprod(0)", r_cumprod_method, (with_zeros,), AX0),
    Rule("np.ptp()", r_ptp, (distinct,), RED_ANY),
    Rule("np.ptp(axis=0)", r_ptp_ax0, (distinct,), AX0),
    Rule("np.ptp(axis=-1,keepdims)", r_ptp_axm1_kd, (distinct,), AX0),
    Rule("np.ptp(axis=(0,2))", r_ptp_axt, (distinct,), AXT),
    Rule("np.average()", r_average, (real,), RED_ANY),
    Rule("np.average(axis=0)", r_average_ax0, (real,), AX0),
    Rule("np.average(axis=-1,keepdims)", r_average_axm1_kd, (real,), AX0),
    Rule("np.average(weights)", a_weighted, (real, weights),
         [("vec", [(5,), (5,)], F64), ("mat", [(3, 4), (3, 4)], F64), ("f32", [(3, 4), (3, 4)], F32)]),
    Rule("np.average(axis=1,weights)", a_weighted_ax1, (real, weights),
         [("mat", [(3, 4), (4,)], F64), ("3d", [(2, 3, 4), (3,)], F64), ("f32", [(3, 4), (4,)], F32),
          ("same shape", [(3, 4), (3, 4)], F64)]),
    Rule("np.average(axis=(2,0),weights)", a_weighted_axt, (real, weights),
         [("3d", [(2, 3, 4), (4, 2)], F64), ("f32 3d", [(2, 3, 4), (4, 2)], F32)]),
    Rule("np.average(x,-1,w,keepdims)", a_weighted_kd, (real, weights),
         [("mat", [(3, 4), (4,)], F64), ("3d", [(2, 3, 4), (4,)], F64)]),
    Rule("np.nansum()", r_nansum, (real,), RED_ANY),
    Rule("np.nansum(axis=0)", r_nansum_ax0, (real,), AX0),
    Rule("np.nansum(axis=-1,keepdims)", r_nansum_axm1_kd, (real,), AX1),
    Rule("np.nanmean()", r_nanmean, (real,), RED_ANY),
    Rule("np.nanmean(axis=0)", r_nanmean_ax0, (real,), [*RED2, ("3d", [(2, 2, 5)], F64)]),
    Rule("np.nanmean(axis=-1,keepdims)", r_nanmean_axm1_kd, (real,), AX1),
    Rule("np.linalg.norm()", r_norm, (real,), RED_ANY + SCALAR_IN),
    Rule("np.linalg.norm(keepdims)", r_norm_kd, (real,), RED_ANY),
    Rule("np.linalg.norm(axis=0)", r_norm_ax0, (real,), AX0),
    Rule("np.linalg.norm(axis=-1,keepdims)", r_norm_axm1_kd, (real,), AX0),
    Rule("np.linalg.norm(1,axis=-1)", r_norm_1, (nonzero,), AX0),
    Rule("np.linalg.norm(ord=2,axis=0)", r_norm_2, (real,), AX0),
    Rule("np.linalg.norm(inf,axis=-1)", r_norm_inf, (distinct_abs,), AX0),
    Rule("np.linalg.norm(-inf,axis=0)", r_norm_minf, (distinct_abs,), AX0),
    Rule("np.linalg.norm(3,axis=-1)", r_norm_3, (real,), AX0),
    Rule("np.linalg.norm(0.5,axis=-1)", r_norm_half, (nonzero,), AX0),
    Rule("np.linalg.norm(-1,axis=-1)", r_norm_m1, (nonzero,), AX0),
    Rule("np.linalg.norm(0,axis=-1)", r_norm_0, (nonzero,), AX0),
    Rule("np.linalg.norm(vec,1)", r_norm_vec_ord1, (nonzero,), VEC),
    Rule("np.linalg.norm(vec,inf)", r_norm_vec_inf, (distinct_abs,), VEC),
    Rule("np.linalg.norm('fro')", r_norm_fro, (real,), MAT),
    Rule("np.linalg.norm('nuc')", r_norm_nuc, (real,), MAT),
    Rule("np.linalg.norm(mat,1)", r_norm_mat1, (nonzero,), MAT),
    Rule("np.linalg.norm(mat,-1)", r_norm_matm1, (nonzero,), MAT),
    Rule("np.linalg.norm(mat,inf)", r_norm_matinf, (nonzero,), MAT),
    Rule("np.linalg.norm(mat,-inf)", r_norm_matminf, (nonzero,), MAT),
    Rule("np.linalg.norm(mat,2)", r_norm_mat2, (real,), MAT),
    Rule("np.linalg.norm(mat,-2)", r_norm_matm2, (real,), MAT),
    Rule("np.linalg.norm(axis=(0,2))", r_norm_pair, (real,), AXT),
    Rule("np.linalg.norm('nuc',axis=(2,0))", r_norm_pair_nuc, (real,), AXT),
    Rule("np.linalg.norm(1,axis=(1,2),keepdims)", r_norm_pair_1_kd, (nonzero,), AXT),
    Rule("np.linalg.norm(inf,axis=(-1,0))", r_norm_pair_inf, (nonzero,), AXT),
    Rule("np.linalg.norm(2,axis=(0,1))", r_norm_pair_2, (real,), AXT),
    Rule("np.linalg.norm(-2,axis=(1,2),keepdims)", r_norm_pair_m2_kd, (real,), AXT),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case: Case):
    check_case(case)
