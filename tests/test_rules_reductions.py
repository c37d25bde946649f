"""Table tests of the reduction and scan rules (rules/numpy_reductions.py): var, std, prod, cumsum,
cumprod, ptp, average, nansum, nanmean, np.linalg.norm and their ndarray methods, against finite
differences (rule_table.check_case), plus the conventions where a derivative is undefined (zeros,
ties, a zero norm), refusals, float16 and cross-checks against autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, RED2, RED3, RED_ANY, Case, Rule, check_case, distinct, expand, nonzero, real

import adtransform as ad
from adtransform.errors import NonDifferentiableInputError, TransformError

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


def r_cumulative_sum(x):
    return np.sum(np.sin(np.cumulative_sum(x, axis=-1)))


def r_cumulative_sum_initial(x):
    return np.sum(np.sin(np.cumulative_sum(x, axis=0, include_initial=True)))


def r_cumulative_prod(x):
    return np.sum(np.sin(np.cumulative_prod(x, axis=-1)))


def r_cumulative_prod_initial(x):
    return np.sum(np.sin(np.cumulative_prod(x, axis=0, include_initial=True) * 1.5))


def r_cumulative_vec(x):
    return np.sum(np.sin(np.cumulative_sum(x, include_initial=True) + np.cumulative_prod(x, include_initial=True)))


def r_any_all(x):
    return np.sum(np.sin(x)) * (np.all(x > -2.0) + np.any(x > 5.0) + x.all() + (x > 0).any())


def r_median(x):
    return np.sum(np.sin(np.median(x)))


def r_median_axm1(x):
    return np.sum(np.sin(np.median(x, axis=-1)))


def r_median_ax0_kd(x):
    return np.sum(np.sin(np.median(x, axis=0, keepdims=True)))


def r_median_axt(x):
    return np.sum(np.sin(np.median(x, axis=(0, 2))))


def r_nanmedian(x):
    return np.sum(np.sin(np.nanmedian(_holes(x))))


def r_nanmedian_axm1(x):
    return np.sum(np.sin(np.nanmedian(_holes(x), axis=-1, keepdims=True)))


def r_nanmax(x):
    return np.sum(np.sin(np.nanmax(_holes(x), axis=-1)))


def r_nanmin(x):
    return np.sum(np.sin(np.nanmin(_holes(x))))


def r_nanvar(x):
    return np.sum(np.sin(np.nanvar(_holes(x), axis=-1, ddof=1)))


def r_nanstd(x):
    return np.sum(np.sin(np.nanstd(_holes(x))))


def r_nanprod(x):
    return np.sum(np.sin(np.nanprod(_holes(x), axis=0)))


def r_nancumsum(x):
    return np.sum(np.sin(np.nancumsum(_holes(x), axis=-1)))


def r_nancumprod(x):
    return np.sum(np.sin(np.nancumprod(_holes(x))))


def r_quantile(x):
    return np.sum(np.sin(np.quantile(x, 0.3)))


def r_quantile_axm1(x):
    return np.sum(np.sin(np.quantile(x, 0.75, axis=-1)))


def r_quantile_array_kd(x):
    return np.sum(np.sin(np.quantile(x, [0.2, 0.9], axis=0, keepdims=True)))


def r_percentile_axt(x):
    return np.sum(np.sin(np.percentile(x, (40.0, 100.0, 0.0), axis=(0, 2))))


def q_quantile(x, q):
    return np.sum(np.sin(np.quantile(x, q, axis=-1)))


def q_percentile(x, q):
    return np.sum(np.sin(np.percentile(x, q * 100.0)))


def levels(rng, shape):
    """Quantile levels whose virtual index stays away from whole numbers (where the slope jumps)."""
    return rng.uniform(0.05, 0.95, shape)


def r_nan_where(x):
    m = np.arange(x.size).reshape(x.shape) % 4 != 1
    h = _holes(x)
    return (np.sum(np.sin(np.nansum(h, axis=-1, where=m))) + np.sum(np.sin(np.nanmean(h, axis=-1, where=m)))
            + np.sum(np.sin(np.nanvar(h, axis=-1, where=m))) + np.sum(np.sin(np.nanstd(h, where=m)))
            + np.sum(np.sin(np.nanprod(h, axis=-1, where=m))) + np.sum(np.sin(np.nanmax(h, axis=-1, where=m,
                                                                                         initial=-5.0))))


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
    Rule("np.cumulative_sum(axis=-1)", r_cumulative_sum, (real,), AX0),
    Rule("np.cumulative_sum(axis=0,include_initial)", r_cumulative_sum_initial, (real,), AX0 + EMPTY0),
    Rule("np.cumulative_prod(axis=-1)", r_cumulative_prod, (with_zeros,), AX0),
    Rule("np.cumulative_prod(axis=0,include_initial)", r_cumulative_prod_initial, (with_zeros,), AX0 + EMPTY0),
    Rule("np.cumulative_sum,prod(vec,include_initial)", r_cumulative_vec, (real,), [*VEC, ("f32", [(4,)], F32)]),
    Rule("np.all,any,x.all(),x.any()", r_any_all, (real,), RED_ANY),
    Rule("np.median()", r_median, (distinct,), RED_ANY),
    Rule("np.median(axis=-1)", r_median_axm1, (distinct,), [*AX0, ("odd", [(2, 5)], F64)]),
    Rule("np.median(axis=0,keepdims)", r_median_ax0_kd, (distinct,), AX0),
    Rule("np.median(axis=(0,2))", r_median_axt, (distinct,), AXT),
    Rule("np.nanmedian()", r_nanmedian, (distinct,), RED_ANY),
    Rule("np.nanmedian(axis=-1,keepdims)", r_nanmedian_axm1, (distinct,), [*AX1, ("odd", [(2, 5)], F64)]),
    Rule("np.nanmax(axis=-1)", r_nanmax, (distinct,), AX1),
    Rule("np.nanmin()", r_nanmin, (distinct,), RED_ANY),
    Rule("np.nanvar(axis=-1,ddof=1)", r_nanvar, (real,), AX1),
    Rule("np.nanstd()", r_nanstd, (real,), RED_ANY),
    Rule("np.nanprod(axis=0)", r_nanprod, (with_zeros,), [*RED2, ("3d", [(2, 2, 5)], F64)]),
    Rule("np.nancumsum(axis=-1)", r_nancumsum, (real,), AX0),
    Rule("np.nancumprod()", r_nancumprod, (with_zeros,), RED_ANY),
    Rule("np.quantile(0.3)", r_quantile, (distinct,), RED_ANY),
    Rule("np.quantile(0.75,axis=-1)", r_quantile_axm1, (distinct,), AX0),
    Rule("np.quantile([0.2,0.9],axis=0,keepdims)", r_quantile_array_kd, (distinct,), AX0),
    Rule("np.percentile((40,100,0),axis=(0,2))", r_percentile_axt, (distinct,), AXT),
    Rule("np.quantile(x,q,axis=-1)", q_quantile, (distinct, levels),
         [("mat,scalar", [(3, 4), None], F64), ("3d,vec", [(2, 3, 4), (3,)], F64),
          ("f32 mat,vec", [(3, 4), (2,)], F32)]),
    Rule("np.percentile(x,q)", q_percentile, (distinct, levels),
         [("vec,scalar", [(7,), None], F64), ("mat,mat", [(3, 4), (2, 2)], F64)]),
    Rule("np.nansum,nanmean,nanvar,nanstd,nanprod,nanmax(where=)", r_nan_where, (distinct,),
         [("mat", [(3, 8)], F64), ("3d", [(2, 3, 8)], F64), ("f32", [(3, 8)], F32)]),
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


# ==========================================================================
# where the derivative needs care: zeros, ties, a zero norm (analytic references)
# ==========================================================================


def prod_all(x):
    return np.prod(x)


def prod_rows(x, w):
    return np.sum(w * np.prod(x, axis=1))


def cumprod_weighted(x, w):
    return np.sum(w * np.cumprod(x, axis=-1))


def _others(values):
    return np.array([np.prod(np.delete(values, k)) for k in range(values.size)])


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0], [0.0, 2.0, 0.0], [0.0], [1.5, -2.0, 0.5, 4.0], [0.0, 0.0]])
def test_prod_with_zeros_is_the_product_of_the_others(values):
    x = np.array(values)
    np.testing.assert_allclose(ad.grad(prod_all)(x), _others(x), rtol=1e-12, atol=0)
    rows = np.array([values, values[::-1]])
    w = np.array([0.5, -1.5])
    expected = w[:, None] * np.stack([_others(r) for r in rows])
    np.testing.assert_allclose(ad.grad(prod_rows)(rows, w), expected, rtol=1e-12, atol=0)


def _cumprod_jacobian(row):
    n = row.size
    jac = np.zeros((n, n))
    for i in range(n):
        for k in range(i + 1):
            jac[i, k] = np.prod([row[j] for j in range(i + 1) if j != k])
    return jac


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 1.5], [1.5, -2.0, 0.5, 3.0],
                                    [3.0, 2.0, 1.0, 0.0], [1e-200, 1e-200, 3.0, 1e-200]])
def test_cumprod_with_zeros_and_underflow(values):
    x = np.array([values, values[::-1]])
    w = np.array([[1.0, -2.0, 0.5, 3.0], [0.25, 1.0, -1.0, 2.0]])
    expected = np.stack([w[r] @ _cumprod_jacobian(x[r]) for r in range(2)])
    np.testing.assert_allclose(ad.grad(cumprod_weighted)(x, w), expected, rtol=1e-12, atol=0)


def std_plain(x):
    return np.std(x)


def std_rows(x):
    return np.sum(np.std(x, axis=1, ddof=1))


def norm_of(x, ord):
    return np.linalg.norm(x, ord)


def test_std_of_equal_elements_is_zero_not_nan():
    np.testing.assert_array_equal(ad.grad(std_plain)(np.zeros(4)), np.zeros(4))
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 4.0]])
    g = ad.grad(std_rows)(x)
    np.testing.assert_array_equal(g[0], np.zeros(3))
    centered = x[1] - x[1].mean()
    np.testing.assert_allclose(g[1], centered / (2 * np.std(x[1], ddof=1)), rtol=1e-12)


@pytest.mark.parametrize("ord", [None, 1, 2, np.inf, -np.inf, 3, 0.5])
def test_norm_of_a_zero_vector_is_zero(ord):
    g = ad.grad(norm_of)(np.zeros(3), ord)
    np.testing.assert_array_equal(g, np.zeros(3))


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_norm_of_a_zero_matrix_is_zero(ord):
    g = ad.grad(norm_of)(np.zeros((2, 3)), ord)
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_norm_ties_are_split_equally():
    np.testing.assert_allclose(ad.grad(norm_of)(np.array([1.0, -3.0, 3.0]), np.inf), [0.0, -0.5, 0.5])
    np.testing.assert_allclose(ad.grad(norm_of)(np.array([1.0, -3.0, 1.0]), -np.inf), [0.5, 0.0, 0.5])
    # Column sums 4 and 4: the matrix 1-norm's adjoint is split between both columns.
    np.testing.assert_allclose(ad.grad(norm_of)(np.array([[1.0, -3.0], [-3.0, 1.0]]), 1),
                               [[0.5, -0.5], [-0.5, 0.5]])
    # The identity's singular values are all 1: the 2-norm's adjoint is the average of the u v^T, I / 2.
    np.testing.assert_allclose(ad.grad(norm_of)(np.eye(2), 2), np.eye(2) / 2, atol=1e-12)
    # An element that is 0 gets 0 from the 1-norm (the subgradient sign(0) = 0, as np.abs).
    np.testing.assert_array_equal(ad.grad(norm_of)(np.array([0.0, -2.0]), 1), [0.0, -1.0])


def median_plain(x):
    return np.median(x)


def test_median_ties_split_equally():
    np.testing.assert_allclose(ad.grad(median_plain)(np.array([2.0, 1.0, 2.0])), [0.5, 0.0, 0.5])
    np.testing.assert_allclose(ad.grad(median_plain)(np.array([3.0, 2.0, 1.0, 2.0])), [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_allclose(ad.grad(median_plain)(np.array([3.0, 2.0, 1.0, 2.5])), [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(ad.grad(median_plain)(np.array([3.0, np.nan, 1.0])), [0.0, 0.0, 0.0])


def ptp_plain(x):
    return np.ptp(x)


def test_ptp_ties_split_and_constant_input():
    np.testing.assert_allclose(ad.grad(ptp_plain)(np.array([3.0, 1.0, 3.0, 0.0])), [0.5, 0.0, 0.5, -1.0])
    np.testing.assert_array_equal(ad.grad(ptp_plain)(np.full(3, 2.0)), np.zeros(3))


# ==========================================================================
# dtypes: float16 and float32 stay; integer arrays carry no gradient
# ==========================================================================


def f16_mix(x):
    return (np.var(x, axis=0).sum() + np.std(x) + np.prod(x[0]) + np.sum(np.cumsum(x, axis=1) ** 2)
            + np.linalg.norm(x) + np.ptp(x, axis=1).sum() + np.average(x, axis=1).sum() + np.cumprod(x).sum()
            + np.sum(x, axis=0).sum() + x.mean() + np.max(x, axis=1).sum() + x.min() + np.median(x, axis=0).sum()
            + np.quantile(x, 0.3) + np.nanmax(x) + np.linalg.norm(x, 1, axis=0).sum())


def with_counts(x, n):
    return np.sum(x * np.var(n) + np.prod(n, axis=0) * np.cumsum(n, axis=0) * x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_narrow_floats_keep_their_dtype(dtype):
    x64 = np.array([[0.5, -1.25, 0.75], [1.5, 0.25, -0.5]])
    g = ad.grad(f16_mix)(x64.astype(dtype))
    assert g.dtype == dtype
    np.testing.assert_allclose(g, ad.grad(f16_mix)(x64), rtol=2e-2 if dtype == np.float16 else 1e-5, atol=2e-2)


def test_integer_arrays_get_no_gradient_and_do_not_change_the_result():
    x = np.array([[0.5, 1.0], [2.0, -1.0]])
    n = np.array([[1, 2], [3, 4]])
    g = ad.grad(with_counts)(x, n)
    np.testing.assert_allclose(g, np.var(n) + np.prod(n, axis=0) * np.cumsum(n, axis=0))
    with pytest.raises(NonDifferentiableInputError, match="integers"):
        ad.grad(with_counts, wrt=1)(x, n)


# ==========================================================================
# refusals: located at the call
# ==========================================================================


def var_given_mean(x):
    return np.var(x, mean=np.mean(x, keepdims=True))


def average_returned(x):
    return np.average(x, weights=x * 0 + 1.0, returned=True)[0]


def cumsum_int(x):
    return np.sum(np.cumsum(x, dtype=int) * x)


def quantile_nearest(x):
    return np.quantile(x, 0.5, method="nearest")


def median_overwrite(x):
    return np.median(x * 1.0, overwrite_input=True)


def cumsum_out(x):
    buf = np.zeros(3)
    np.cumsum(x, out=buf)
    return np.sum(buf)


@pytest.mark.parametrize("fn,what", [(var_given_mean, "mean="), (average_returned, "returned="),
                                     (cumsum_int, "dtype="),
                                     (quantile_nearest, "method="), (median_overwrite, "overwrite_input=")])
def test_unsupported_arguments_are_refused_where_they_are_passed(fn, what):
    with pytest.raises(TransformError, match=what) as info:
        ad.grad(fn)(np.array([0.5, 1.0, 2.0]))
    assert f"test_rules_reductions.py:{fn.__code__.co_firstlineno + 1}" in str(info.value)


def test_out_argument_is_followed():
    # The compiler rewrites `np.cumsum(x, out=buf)` as a write of the result into `buf`.
    np.testing.assert_array_equal(ad.grad(cumsum_out)(np.array([0.5, 1.0, 2.0])), [3.0, 2.0, 1.0])


# ==========================================================================
# cross-checks against autograd, where it has the same function
# ==========================================================================


def ag_mix(x):
    return (np.sum(np.var(x, axis=0, ddof=1)) + np.std(x, axis=1, keepdims=True).sum() + np.prod(x)
            + np.sum(np.sin(np.cumsum(x, axis=1))) + np.linalg.norm(x, "nuc") + np.linalg.norm(x, 3, axis=1).sum()
            + np.linalg.norm(x, axis=0).sum())


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def reference(x):
        return (anp.sum(anp.var(x, axis=0, ddof=1)) + anp.std(x, axis=1, keepdims=True).sum() + anp.prod(x)
                + anp.sum(anp.sin(anp.cumsum(x, axis=1))) + anp.linalg.norm(x, "nuc")
                + anp.linalg.norm(x, 3, axis=1).sum() + anp.linalg.norm(x, axis=0).sum())

    x = np.random.default_rng(7).uniform(0.2, 2.0, (3, 4))
    np.testing.assert_allclose(ad.grad(ag_mix)(x), autograd.grad(reference)(x), rtol=1e-10)
