"""Table-driven gradient tests: one spec row per differentiation rule.

Every row names a module-level test function (adtransform reads sources with
``inspect``, so they cannot be lambdas or closures), one input domain per
argument, the input shapes to run it on and what to differentiate. Non-scalar
results are reduced with ``np.sum(np.sin(y))`` (or a weighted sum with a
position-dependent weight argument for pure data-movement ops such as
transpose/reshape) so the adjoint seed is never all ones.

Each (row, shape-set) pair is one pytest case with an id like
``np.sum(axis=0,keepdims)-mat``; every case is checked with
:func:`gradcheck.check_grad` against float64 finite differences.

Domains, shape sets and the checker live in rule_table.py; other families of
rules have their own modules, tests/test_rules_*.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradcheck import check_grad, directional_fd, numeric_grad
from rule_table import (
    ARRAYS1,
    BINARY,
    DOT,
    F32,
    F64,
    MATMUL,
    RED2,
    RED3,
    RED_ANY,
    SCALAR,
    SCALAR2,
    UNARY,
    Case,
    Rule,
    check_case,
    distinct,
    expand,
    grid_a,
    grid_b,
    gt_m1,
    make_arg,
    nonzero,
    pos,
    real,
    small,
    unit,
)

# ==========================================================================
# Python operators
# ==========================================================================


def op_add(x, y):
    return np.sum(np.sin(x + y))


def op_sub(x, y):
    return np.sum(np.sin(x - y))


def op_mul(x, y):
    return np.sum(np.sin(x * y))


def op_div(x, y):
    return np.sum(np.sin(x / y))


def op_pow(x, y):
    return np.sum(np.sin(x**y))


def op_neg(x):
    return np.sum(np.sin(-x))


def op_neg_mul(x):
    return np.sum(np.sin(-x * x))


def op_add_int_r(x):
    return np.sum(np.sin(x + 2))


def op_add_int_l(x):
    return np.sum(np.sin(2 + x))


def op_add_float_r(x):
    return np.sum(np.sin(x + 1.5))


def op_add_float_l(x):
    return np.sum(np.sin(1.5 + x))


def op_sub_int_r(x):
    return np.sum(np.sin(x - 2))


def op_sub_int_l(x):
    return np.sum(np.sin(2 - x))


def op_sub_float_r(x):
    return np.sum(np.sin(x - 0.5))


def op_sub_float_l(x):
    return np.sum(np.sin(0.5 - x))


def op_mul_int_r(x):
    return np.sum(np.sin(x * 3))


def op_mul_int_l(x):
    return np.sum(np.sin(3 * x))


def op_mul_float_r(x):
    return np.sum(np.sin(x * 2.5))


def op_mul_float_l(x):
    return np.sum(np.sin(2.5 * x))


def op_div_int_r(x):
    return np.sum(np.sin(x / 3))


def op_div_int_l(x):
    return np.sum(np.sin(3 / x))


def op_div_float_r(x):
    return np.sum(np.sin(x / 2.5))


def op_div_float_l(x):
    return np.sum(np.sin(2.5 / x))


def op_pow_2(x):
    return np.sum(np.sin(x**2))


def op_pow_3(x):
    return np.sum(np.sin(x**3))


def op_pow_m1(x):
    return np.sum(np.sin(x**-1))


def op_pow_half(x):
    return np.sum(np.sin(x**0.5))


def op_pow_float2(x):
    return np.sum(np.sin(x**2.0))


def op_pow_1p5(x):
    return np.sum(np.sin(x**1.5))


def op_int_pow_x(x):
    return np.sum(np.sin(2**x))


def op_float_pow_x(x):
    return np.sum(np.sin(1.5**x))


def op_matmul(x, y):
    return np.sum(np.sin(x @ y))


def op_fanout_square(x):
    return np.sum(np.sin(x * x))


def op_fanout_chain(x):
    y = 2.0 * x
    z = y * y + y
    return np.sum(np.sin(z - x))


def op_fanout_two_inputs(x, y):
    a = x * y
    b = a + x
    c = b * y - a
    return np.sum(np.sin(c))


def op_rebind(x):
    y = x * 2.0
    y = y * y + x
    x = np.sin(y) * x
    return np.sum(x)


OPERATORS = [
    Rule("x+y", op_add, (real, real), BINARY),
    Rule("x-y", op_sub, (real, real), BINARY),
    Rule("x*y", op_mul, (real, real), BINARY),
    Rule("x/y", op_div, (real, nonzero), BINARY),
    Rule("x**y", op_pow, (pos, real), BINARY),
    Rule("-x", op_neg, (real,), UNARY),
    Rule("-x*x", op_neg_mul, (real,), UNARY),
    Rule("x+2", op_add_int_r, (real,), UNARY),
    Rule("2+x", op_add_int_l, (real,), UNARY),
    Rule("x+1.5", op_add_float_r, (real,), UNARY),
    Rule("1.5+x", op_add_float_l, (real,), UNARY),
    Rule("x-2", op_sub_int_r, (real,), UNARY),
    Rule("2-x", op_sub_int_l, (real,), UNARY),
    Rule("x-0.5", op_sub_float_r, (real,), UNARY),
    Rule("0.5-x", op_sub_float_l, (real,), UNARY),
    Rule("x*3", op_mul_int_r, (real,), UNARY),
    Rule("3*x", op_mul_int_l, (real,), UNARY),
    Rule("x*2.5", op_mul_float_r, (real,), UNARY),
    Rule("2.5*x", op_mul_float_l, (real,), UNARY),
    Rule("x/3", op_div_int_r, (real,), UNARY),
    Rule("3/x", op_div_int_l, (nonzero,), UNARY),
    Rule("x/2.5", op_div_float_r, (real,), UNARY),
    Rule("2.5/x", op_div_float_l, (nonzero,), UNARY),
    Rule("x**2", op_pow_2, (real,), UNARY),
    Rule("x**3", op_pow_3, (real,), UNARY),
    Rule("x**-1", op_pow_m1, (nonzero,), UNARY),
    Rule("x**0.5", op_pow_half, (pos,), UNARY),
    Rule("x**2.0", op_pow_float2, (real,), UNARY),
    Rule("x**1.5", op_pow_1p5, (pos,), UNARY),
    Rule("2**x", op_int_pow_x, (real,), UNARY),
    Rule("1.5**x", op_float_pow_x, (real,), UNARY),
    Rule("x@y", op_matmul, (real, real), MATMUL),
    Rule("fanout:x*x", op_fanout_square, (real,), UNARY),
    Rule("fanout:chain", op_fanout_chain, (real,), UNARY),
    Rule("fanout:two-inputs", op_fanout_two_inputs, (real, real), BINARY),
    Rule("rebind-names", op_rebind, (real,), UNARY),
]


# ==========================================================================
# math module (Python float scalars only)
# ==========================================================================


def m_exp(x):
    return math.sin(math.exp(x))


def m_log(x):
    return math.sin(math.log(x))


def m_log1p(x):
    return math.sin(math.log1p(x))


def m_expm1(x):
    return math.sin(math.expm1(x))


def m_sqrt(x):
    return math.sin(math.sqrt(x))


def m_sin(x):
    return math.sin(math.sin(x))


def m_cos(x):
    return math.sin(math.cos(x))


def m_tan(x):
    return math.sin(math.tan(x))


def m_tanh(x):
    return math.sin(math.tanh(x))


def m_sinh(x):
    return math.sin(math.sinh(x))


def m_cosh(x):
    return math.sin(math.cosh(x))


def m_asin(x):
    return math.sin(math.asin(x))


def m_acos(x):
    return math.sin(math.acos(x))


def m_atan(x):
    return math.sin(math.atan(x))


def m_fabs(x):
    return math.sin(math.fabs(x))


def m_erf(x):
    return math.sin(math.erf(x))


def m_atan2(y, x):
    return math.sin(math.atan2(y, x))


def m_hypot(x, y):
    return math.sin(math.hypot(x, y))


def m_pow(x, y):
    return math.sin(math.pow(x, y))


def m_pow_const(x):
    return math.sin(math.pow(x, 3))


def m_const_pow(x):
    return math.sin(math.pow(2.0, x))


def m_sin_plain(x):
    return math.sin(x)


MATH = [
    Rule("math.sin(plain)", m_sin_plain, (real,), SCALAR),
    Rule("math.exp", m_exp, (small,), SCALAR),
    Rule("math.log", m_log, (pos,), SCALAR),
    Rule("math.log1p", m_log1p, (gt_m1,), SCALAR),
    Rule("math.expm1", m_expm1, (small,), SCALAR),
    Rule("math.sqrt", m_sqrt, (pos,), SCALAR),
    Rule("math.sin", m_sin, (real,), SCALAR),
    Rule("math.cos", m_cos, (real,), SCALAR),
    Rule("math.tan", m_tan, (small,), SCALAR),
    Rule("math.tanh", m_tanh, (real,), SCALAR),
    Rule("math.sinh", m_sinh, (real,), SCALAR),
    Rule("math.cosh", m_cosh, (real,), SCALAR),
    Rule("math.asin", m_asin, (unit,), SCALAR),
    Rule("math.acos", m_acos, (unit,), SCALAR),
    Rule("math.atan", m_atan, (real,), SCALAR),
    Rule("math.fabs", m_fabs, (nonzero,), SCALAR),
    Rule("math.erf", m_erf, (real,), SCALAR),
    Rule("math.atan2", m_atan2, (real, nonzero), SCALAR2),
    Rule("math.hypot", m_hypot, (nonzero, nonzero), SCALAR2),
    Rule("math.pow", m_pow, (pos, real), SCALAR2),
    Rule("math.pow(x,3)", m_pow_const, (real,), SCALAR),
    Rule("math.pow(2.0,x)", m_const_pow, (real,), SCALAR),
]


# ==========================================================================
# numpy elementwise
# ==========================================================================


def base_sum(x):
    return np.sum(x)


def base_sin(x):
    return np.sum(np.sin(x))


def n_exp(x):
    return np.sum(np.sin(np.exp(x)))


def n_log(x):
    return np.sum(np.sin(np.log(x)))


def n_log1p(x):
    return np.sum(np.sin(np.log1p(x)))


def n_expm1(x):
    return np.sum(np.sin(np.expm1(x)))


def n_log2(x):
    return np.sum(np.sin(np.log2(x)))


def n_log10(x):
    return np.sum(np.sin(np.log10(x)))


def n_sin(x):
    return np.sum(np.sin(np.sin(x)))


def n_cos(x):
    return np.sum(np.sin(np.cos(x)))


def n_tan(x):
    return np.sum(np.sin(np.tan(x)))


def n_arcsin(x):
    return np.sum(np.sin(np.arcsin(x)))


def n_arccos(x):
    return np.sum(np.sin(np.arccos(x)))


def n_arctan(x):
    return np.sum(np.sin(np.arctan(x)))


def n_sinh(x):
    return np.sum(np.sin(np.sinh(x)))


def n_cosh(x):
    return np.sum(np.sin(np.cosh(x)))


def n_tanh(x):
    return np.sum(np.sin(np.tanh(x)))


def n_sqrt(x):
    return np.sum(np.sin(np.sqrt(x)))


def n_abs(x):
    return np.sum(np.sin(np.abs(x)))


def n_absolute(x):
    return np.sum(np.sin(np.absolute(x)))


def n_square(x):
    return np.sum(np.sin(np.square(x)))


def n_negative(x):
    return np.sum(np.sin(np.negative(x)))


def n_reciprocal(x):
    return np.sum(np.sin(np.reciprocal(x)))


def n_power(x, y):
    return np.sum(np.sin(np.power(x, y)))


def n_power_const(x):
    return np.sum(np.sin(np.power(x, 3)))


def n_power_half(x):
    return np.sum(np.sin(np.power(x, 0.5)))


def n_const_power(x):
    return np.sum(np.sin(np.power(2.0, x)))


def n_add(x, y):
    return np.sum(np.sin(np.add(x, y)))


def n_subtract(x, y):
    return np.sum(np.sin(np.subtract(x, y)))


def n_multiply(x, y):
    return np.sum(np.sin(np.multiply(x, y)))


def n_divide(x, y):
    return np.sum(np.sin(np.divide(x, y)))


def n_maximum(x, y):
    return np.sum(np.sin(np.maximum(x, y)))


def n_minimum(x, y):
    return np.sum(np.sin(np.minimum(x, y)))


def n_maximum_const(x):
    return np.sum(np.sin(np.maximum(x, 0.0)))


def n_where_xy(x, y):
    return np.sum(np.sin(np.where(x > y, x, y)))


def n_where_relu(x):
    return np.sum(np.sin(np.where(x > 0, x, 0.0)))


def n_where_branches(x):
    return np.sum(np.sin(np.where(x < 0.5, x * x, 3.0 * x)))


NUMPY_ELEMENTWISE = [
    Rule("np.sum(plain)", base_sum, (real,), ARRAYS1),
    Rule("np.sin(plain)", base_sin, (real,), UNARY),
    Rule("np.exp", n_exp, (small,), UNARY),
    Rule("np.log", n_log, (pos,), UNARY),
    Rule("np.log1p", n_log1p, (gt_m1,), UNARY),
    Rule("np.expm1", n_expm1, (small,), UNARY),
    Rule("np.log2", n_log2, (pos,), UNARY),
    Rule("np.log10", n_log10, (pos,), UNARY),
    Rule("np.sin", n_sin, (real,), UNARY),
    Rule("np.cos", n_cos, (real,), UNARY),
    Rule("np.tan", n_tan, (small,), UNARY),
    Rule("np.arcsin", n_arcsin, (unit,), UNARY),
    Rule("np.arccos", n_arccos, (unit,), UNARY),
    Rule("np.arctan", n_arctan, (real,), UNARY),
    Rule("np.sinh", n_sinh, (real,), UNARY),
    Rule("np.cosh", n_cosh, (real,), UNARY),
    Rule("np.tanh", n_tanh, (real,), UNARY),
    Rule("np.sqrt", n_sqrt, (pos,), UNARY),
    Rule("np.abs", n_abs, (nonzero,), UNARY),
    Rule("np.absolute", n_absolute, (nonzero,), UNARY),
    Rule("np.square", n_square, (real,), UNARY),
    Rule("np.negative", n_negative, (real,), UNARY),
    Rule("np.reciprocal", n_reciprocal, (nonzero,), UNARY),
    Rule("np.power(x,y)", n_power, (pos, real), BINARY),
    Rule("np.power(x,3)", n_power_const, (real,), UNARY),
    Rule("np.power(x,0.5)", n_power_half, (pos,), UNARY),
    Rule("np.power(2.0,x)", n_const_power, (real,), UNARY),
    Rule("np.add", n_add, (real, real), BINARY),
    Rule("np.subtract", n_subtract, (real, real), BINARY),
    Rule("np.multiply", n_multiply, (real, real), BINARY),
    Rule("np.divide", n_divide, (real, nonzero), BINARY),
    Rule("np.maximum", n_maximum, (grid_a, grid_b), BINARY),
    Rule("np.minimum", n_minimum, (grid_a, grid_b), BINARY),
    Rule("np.maximum(x,0.0)", n_maximum_const, (nonzero,), UNARY),
    Rule("np.where(x>y,x,y)", n_where_xy, (grid_a, grid_b), BINARY),
    Rule("np.where(x>0,x,0.0)", n_where_relu, (nonzero,), UNARY),
    Rule("np.where(x<0.5,x*x,3*x)", n_where_branches, (grid_a,), UNARY),
]


# ==========================================================================
# reductions: sum / mean / max / min
# ==========================================================================


def s_sum_all(x):
    return np.sum(np.sin(np.sum(x)))


def s_sum_all_kd(x):
    return np.sum(np.sin(np.sum(x, keepdims=True)))


def s_sum_ax0(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


def s_sum_ax0_kd(x):
    return np.sum(np.sin(np.sum(x, axis=0, keepdims=True)))


def s_sum_ax1(x):
    return np.sum(np.sin(np.sum(x, axis=1)))


def s_sum_ax1_kd(x):
    return np.sum(np.sin(np.sum(x, axis=1, keepdims=True)))


def s_sum_axm1(x):
    return np.sum(np.sin(np.sum(x, axis=-1)))


def s_sum_axm1_kd(x):
    return np.sum(np.sin(np.sum(x, axis=-1, keepdims=True)))


def s_sum_axt(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2))))


def s_sum_axt_kd(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2), keepdims=True)))


def s_sum_pos_axis(x):
    return np.sum(np.sin(np.sum(x, 1)))


def s_mean_all(x):
    return np.sum(np.sin(np.mean(x)))


def s_mean_all_kd(x):
    return np.sum(np.sin(np.mean(x, keepdims=True)))


def s_mean_ax0(x):
    return np.sum(np.sin(np.mean(x, axis=0)))


def s_mean_ax0_kd(x):
    return np.sum(np.sin(np.mean(x, axis=0, keepdims=True)))


def s_mean_ax1(x):
    return np.sum(np.sin(np.mean(x, axis=1)))


def s_mean_ax1_kd(x):
    return np.sum(np.sin(np.mean(x, axis=1, keepdims=True)))


def s_mean_axm1(x):
    return np.sum(np.sin(np.mean(x, axis=-1)))


def s_mean_axm1_kd(x):
    return np.sum(np.sin(np.mean(x, axis=-1, keepdims=True)))


def s_mean_axt(x):
    return np.sum(np.sin(np.mean(x, axis=(0, 2))))


def s_mean_axt_kd(x):
    return np.sum(np.sin(np.mean(x, axis=(0, 2), keepdims=True)))


def s_max_all(x):
    return np.sum(np.sin(np.max(x)))


def s_max_all_kd(x):
    return np.sum(np.sin(np.max(x, keepdims=True)))


def s_max_ax0(x):
    return np.sum(np.sin(np.max(x, axis=0)))


def s_max_ax0_kd(x):
    return np.sum(np.sin(np.max(x, axis=0, keepdims=True)))


def s_max_ax1(x):
    return np.sum(np.sin(np.max(x, axis=1)))


def s_max_ax1_kd(x):
    return np.sum(np.sin(np.max(x, axis=1, keepdims=True)))


def s_max_axm1(x):
    return np.sum(np.sin(np.max(x, axis=-1)))


def s_max_axt(x):
    return np.sum(np.sin(np.max(x, axis=(0, 2))))


def s_min_all(x):
    return np.sum(np.sin(np.min(x)))


def s_min_all_kd(x):
    return np.sum(np.sin(np.min(x, keepdims=True)))


def s_min_ax0(x):
    return np.sum(np.sin(np.min(x, axis=0)))


def s_min_ax0_kd(x):
    return np.sum(np.sin(np.min(x, axis=0, keepdims=True)))


def s_min_ax1(x):
    return np.sum(np.sin(np.min(x, axis=1)))


def s_min_ax1_kd(x):
    return np.sum(np.sin(np.min(x, axis=1, keepdims=True)))


def s_min_axm1(x):
    return np.sum(np.sin(np.min(x, axis=-1)))


def s_min_axt(x):
    return np.sum(np.sin(np.min(x, axis=(0, 2))))


R_AX0 = [("vec", [(5,)], F64), *RED2, *RED3]
R_AX1 = RED2 + RED3

REDUCTIONS = [
    Rule("np.sum()", s_sum_all, (real,), RED_ANY),
    Rule("np.sum(keepdims)", s_sum_all_kd, (real,), RED_ANY),
    Rule("np.sum(axis=0)", s_sum_ax0, (real,), R_AX0),
    Rule("np.sum(axis=0,keepdims)", s_sum_ax0_kd, (real,), R_AX0),
    Rule("np.sum(axis=1)", s_sum_ax1, (real,), R_AX1),
    Rule("np.sum(axis=1,keepdims)", s_sum_ax1_kd, (real,), R_AX1),
    Rule("np.sum(axis=-1)", s_sum_axm1, (real,), R_AX0),
    Rule("np.sum(axis=-1,keepdims)", s_sum_axm1_kd, (real,), R_AX0),
    Rule("np.sum(axis=(0,2))", s_sum_axt, (real,), RED3),
    Rule("np.sum(axis=(0,2),keepdims)", s_sum_axt_kd, (real,), RED3),
    Rule("np.sum(x,1)", s_sum_pos_axis, (real,), R_AX1),
    Rule("np.mean()", s_mean_all, (real,), RED_ANY),
    Rule("np.mean(keepdims)", s_mean_all_kd, (real,), RED_ANY),
    Rule("np.mean(axis=0)", s_mean_ax0, (real,), R_AX0),
    Rule("np.mean(axis=0,keepdims)", s_mean_ax0_kd, (real,), R_AX0),
    Rule("np.mean(axis=1)", s_mean_ax1, (real,), R_AX1),
    Rule("np.mean(axis=1,keepdims)", s_mean_ax1_kd, (real,), R_AX1),
    Rule("np.mean(axis=-1)", s_mean_axm1, (real,), R_AX0),
    Rule("np.mean(axis=-1,keepdims)", s_mean_axm1_kd, (real,), R_AX0),
    Rule("np.mean(axis=(0,2))", s_mean_axt, (real,), RED3),
    Rule("np.mean(axis=(0,2),keepdims)", s_mean_axt_kd, (real,), RED3),
    Rule("np.max()", s_max_all, (distinct,), RED_ANY),
    Rule("np.max(keepdims)", s_max_all_kd, (distinct,), RED2),
    Rule("np.max(axis=0)", s_max_ax0, (distinct,), R_AX0),
    Rule("np.max(axis=0,keepdims)", s_max_ax0_kd, (distinct,), R_AX0),
    Rule("np.max(axis=1)", s_max_ax1, (distinct,), R_AX1),
    Rule("np.max(axis=1,keepdims)", s_max_ax1_kd, (distinct,), R_AX1),
    Rule("np.max(axis=-1)", s_max_axm1, (distinct,), R_AX0),
    Rule("np.max(axis=(0,2))", s_max_axt, (distinct,), RED3),
    Rule("np.min()", s_min_all, (distinct,), RED_ANY),
    Rule("np.min(keepdims)", s_min_all_kd, (distinct,), RED2),
    Rule("np.min(axis=0)", s_min_ax0, (distinct,), R_AX0),
    Rule("np.min(axis=0,keepdims)", s_min_ax0_kd, (distinct,), R_AX0),
    Rule("np.min(axis=1)", s_min_ax1, (distinct,), R_AX1),
    Rule("np.min(axis=1,keepdims)", s_min_ax1_kd, (distinct,), R_AX1),
    Rule("np.min(axis=-1)", s_min_axm1, (distinct,), R_AX0),
    Rule("np.min(axis=(0,2))", s_min_axt, (distinct,), RED3),
]


# ==========================================================================
# linear algebra
# ==========================================================================


def la_dot(x, y):
    return np.sum(np.sin(np.dot(x, y)))


def la_matmul(x, y):
    return np.sum(np.sin(np.matmul(x, y)))


def la_dot_method(x, y):
    return np.sum(np.sin(x.dot(y)))


def la_outer(x, y):
    return np.sum(np.sin(np.outer(x, y)))


OUTER = [
    ("vec,vec", [(3,), (4,)], F64),
    ("mat,vec (flattened)", [(2, 3), (4,)], F64),
    ("scalar,vec", [None, (3,)], F64),
]


LINALG = [
    Rule("np.dot", la_dot, (real, real), DOT),
    Rule("np.matmul", la_matmul, (real, real), MATMUL),
    Rule(".dot()", la_dot_method, (real, real), [*DOT[:4], *DOT[6:]]),
    Rule("np.outer", la_outer, (real, real), OUTER),
]


# ==========================================================================
# data movement: transpose / reshape (weighted sums; w is not differentiated)
# ==========================================================================


def t_np_transpose(x, w):
    return np.sum(np.transpose(x) * w)


def t_np_transpose_axes(x, w):
    return np.sum(np.transpose(x, (2, 0, 1)) * w)


def t_dot_T(x, w):
    return np.sum(x.T * w)


def t_T_chain(x, w):
    return np.sum(np.sin(x.T @ w))


def r_np_reshape(x, w):
    return np.sum(np.reshape(x, (4, 3)) * w)


def r_np_reshape_flat(x, w):
    return np.sum(np.reshape(x, (-1,)) * w)


def r_np_reshape_m1(x, w):
    return np.sum(np.reshape(x, (2, -1)) * w)


def r_method_args(x, w):
    return np.sum(x.reshape(4, 3) * w)


def r_method_tuple(x, w):
    return np.sum(x.reshape((6, -1)) * w)


def r_method_flat(x, w):
    return np.sum(x.reshape(-1) * w)


SHAPING = [
    Rule(
        "np.transpose(x)",
        t_np_transpose,
        (real, real),
        [
            ("mat", [(3, 4), (4, 3)], F64),
            ("square", [(4, 4), (4, 4)], F64),
            ("3d", [(2, 3, 4), (4, 3, 2)], F64),
            ("f32", [(3, 4), (4, 3)], F32),
        ],
        wrt=0,
    ),
    Rule(
        "np.transpose(x,axes)",
        t_np_transpose_axes,
        (real, real),
        [("3d", [(2, 3, 4), (4, 2, 3)], F64), ("3d-cube", [(3, 3, 3), (3, 3, 3)], F64)],
        wrt=0,
    ),
    Rule(
        "x.T",
        t_dot_T,
        (real, real),
        [
            ("mat", [(3, 4), (4, 3)], F64),
            ("square", [(4, 4), (4, 4)], F64),
            ("vec", [(5,), (5,)], F64),
            ("3d", [(2, 3, 4), (4, 3, 2)], F64),
            ("f32", [(3, 4), (4, 3)], F32),
        ],
        wrt=0,
    ),
    Rule(
        "x.T@w",
        t_T_chain,
        (real, real),
        [("mat", [(3, 4), (3, 2)], F64), ("square", [(4, 4), (4, 4)], F64)],
        wrt=(0, 1),
    ),
    Rule(
        "np.reshape(x,(4,3))",
        r_np_reshape,
        (real, real),
        [
            ("mat", [(3, 4), (4, 3)], F64),
            ("vec", [(12,), (4, 3)], F64),
            ("3d", [(2, 2, 3), (4, 3)], F64),
            ("f32", [(3, 4), (4, 3)], F32),
        ],
        wrt=0,
    ),
    Rule(
        "np.reshape(x,(-1,))",
        r_np_reshape_flat,
        (real, real),
        [("mat", [(3, 4), (12,)], F64), ("3d", [(2, 2, 3), (12,)], F64)],
        wrt=0,
    ),
    Rule(
        "np.reshape(x,(2,-1))",
        r_np_reshape_m1,
        (real, real),
        [("mat", [(3, 4), (2, 6)], F64), ("vec", [(12,), (2, 6)], F64)],
        wrt=0,
    ),
    Rule(
        "x.reshape(4,3)",
        r_method_args,
        (real, real),
        [("mat", [(3, 4), (4, 3)], F64), ("f32", [(3, 4), (4, 3)], F32)],
        wrt=0,
    ),
    Rule(
        "x.reshape((6,-1))",
        r_method_tuple,
        (real, real),
        [("mat", [(3, 4), (6, 2)], F64), ("vec", [(12,), (6, 2)], F64)],
        wrt=0,
    ),
    Rule(
        "x.reshape(-1)",
        r_method_flat,
        (real, real),
        [("mat", [(3, 4), (12,)], F64), ("3d", [(2, 2, 3), (12,)], F64)],
        wrt=0,
    ),
]


# ==========================================================================
# ndarray methods
# ==========================================================================


def me_sum(x):
    return np.sum(np.sin(x.sum()))


def me_sum_ax0(x):
    return np.sum(np.sin(x.sum(axis=0)))


def me_sum_ax1_kd(x):
    return np.sum(np.sin(x.sum(axis=1, keepdims=True)))


def me_mean(x):
    return np.sum(np.sin(x.mean()))


def me_mean_ax0(x):
    return np.sum(np.sin(x.mean(axis=0)))


def me_max(x):
    return np.sum(np.sin(x.max()))


def me_max_ax1(x):
    return np.sum(np.sin(x.max(axis=1)))


def me_min(x):
    return np.sum(np.sin(x.min()))


def me_min_ax0(x):
    return np.sum(np.sin(x.min(axis=0)))


METHODS = [
    Rule("x.sum()", me_sum, (real,), ARRAYS1),
    Rule("x.sum(axis=0)", me_sum_ax0, (real,), R_AX0),
    Rule("x.sum(axis=1,keepdims)", me_sum_ax1_kd, (real,), R_AX1),
    Rule("x.mean()", me_mean, (real,), ARRAYS1),
    Rule("x.mean(axis=0)", me_mean_ax0, (real,), R_AX0),
    Rule("x.max()", me_max, (distinct,), ARRAYS1),
    Rule("x.max(axis=1)", me_max_ax1, (distinct,), R_AX1),
    Rule("x.min()", me_min, (distinct,), ARRAYS1),
    Rule("x.min(axis=0)", me_min_ax0, (distinct,), R_AX0),
]


# ==========================================================================
# rules added or fixed for issue 10 (trust): functions once taken to be
# non-differentiable, arguments once ignored, points once giving NaN
# ==========================================================================


def frac(rng, shape):  # k + (0.2 .. 0.8): away from the jumps of x % 1.0
    return rng.integers(-3, 4, shape) + rng.uniform(0.2, 0.8, shape)


def half_steps(rng, shape):  # with `period`: x / y stays within 0.25 of k + 1/2 (no jump of the quotient)
    return (rng.integers(-4, 4, shape) + 0.5) * 2.5 + rng.uniform(-0.3, 0.3, shape)


def period(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(2.45, 2.55, shape)


def step_size(rng, shape):  # np.arange(0.5, 4.0, s) keeps 5 elements
    return rng.uniform(0.72, 0.86, shape)


def tr_mod_const(x):
    return np.sum((x % 1.0) ** 2)


def tr_mod(x, y):
    return np.sum(np.sin(x % y))


def tr_np_mod(x, y):
    return np.sum(np.sin(np.mod(x, y)))


def tr_np_remainder(x, y):
    return np.sum(np.sin(np.remainder(x, y)))


def tr_np_fmod(x, y):
    return np.sum(np.sin(np.fmod(x, y)))


def tr_math_fmod(x, y):
    return math.sin(math.fmod(x, y))


def tr_math_remainder(x, y):
    return math.sin(math.remainder(x, y))


def tr_math_copysign(x, y):
    return math.copysign(x, y) ** 3


def tr_np_copysign(x, y):
    return np.sum(np.copysign(x, y) ** 3)


def tr_math_degrees(x):
    return math.sin(math.degrees(x) / 50.0) + math.radians(x) ** 2


def tr_full(v, w):
    return np.sum(np.sin(np.full((3, 4), v) * w))


def tr_full_like(v, w):
    return np.sum(np.sin(np.full_like(w, v) * w))


def tr_arange_start(a):
    return np.sum(np.sin(np.arange(a, a + 3.0) * np.arange(1.0, 4.0)))


def tr_arange_step(s):
    return np.sum(np.sin(np.arange(0.5, 4.0, s)))


def tr_linspace(a, b):
    return np.sum(np.sin(np.linspace(a, b, 7) * np.arange(7.0)))


def tr_linspace_open(a, b):
    return np.sum(np.sin(np.linspace(a, b, num=5, endpoint=False) * np.arange(5.0)))


def tr_linspace_axis(a, b):
    return np.sum(np.sin(np.linspace(a, b, 4, axis=-1)))


def tr_fmax(x, y):
    return np.sum(np.sin(np.fmax(x, y)))


def tr_fmin(x, y):
    return np.sum(np.sin(np.fmin(x, y)))


def tr_hypot(x, y):
    return np.sum(np.sin(np.hypot(x, y)))


def small_ints(rng, shape):  # exponents 0 .. 3 (0: the term whose derivative was 0 * 0 ** -1)
    return rng.integers(0, 4, shape).astype(float)


def tr_pow_int_exponents(x, n):
    return np.sum(np.sin(x ** n))


def tr_max_initial(x):
    return np.sum(np.sin(np.max(x, axis=-1, initial=0.0)))


def tr_max_where(x):
    return np.sum(np.sin(np.max(x, axis=0, where=x < 0.5, initial=-5.0)))


def tr_sum_initial(x):
    return np.sum(np.sin(np.sum(x, axis=(0, -1), keepdims=True, initial=0.5)))


def tr_mean_negative_axes(x):
    return np.sum(np.sin(np.mean(x, axis=(-1, 0))))


def tr_ravel_f(x, w):
    return np.sum(x.ravel("F") * w)


def tr_reshape_f(x, w):
    return np.sum(np.reshape(x, (-1,), order="F") * w)


def tr_flatten_f(x, w):
    return np.sum(x.flatten("F") * w)


def tr_ravel_a_transposed(x, w):
    return np.sum(x.T.ravel("A") * w)


def tr_ravel_k_transposed(x, w):
    return np.sum(np.ravel(x.T, "K") * w)


def tr_method_reshape_a(x, w):
    return np.sum(x.T.reshape(-1, order="A") * w)


def tr_transpose_negative(x, w):
    return np.sum(np.transpose(x, (-1, 0, -2)) * w)


def tr_transpose_method_negative(x, w):
    return np.sum(x.transpose(1, -1, 0) * w)


def tr_class_reshape(x, w):
    return np.sum(np.ndarray.reshape(x, -1) * w)


def tr_class_transpose(x, w):
    return np.sum(np.ndarray.transpose(x) * w)


def tr_class_sum(x):
    return np.sum(np.sin(np.ndarray.sum(x, 0)))


def tr_class_max(x):
    return np.sum(np.sin(np.ndarray.max(x, axis=-1)))


def tr_class_dot(x, y):
    return np.sum(np.sin(np.ndarray.dot(x, y)))


def tr_np_fabs(x):
    return np.sum(np.sin(np.fabs(x)))


def tr_np_angles(x):
    return np.sum(np.sin(np.deg2rad(x * 30.0)) + np.radians(x) ** 2 + np.sin(np.rad2deg(x) / 50.0) + np.degrees(x))


def tr_logaddexp(x, y):
    return np.sum(np.sin(np.logaddexp(x, y)) + np.logaddexp2(x, y) ** 2)


def tr_clip(x, lo):
    return np.sum(np.sin(np.clip(x, lo, 0.9)) + np.clip(x, None, 0.3) ** 2)


def tr_clip_method(x, hi):
    return np.sum(np.sin(x.clip(-0.1, hi)))


BIN_PERIOD = [
    ("scalar,scalar", [None, None], F64),
    ("vec,vec", [(5,), (5,)], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("scalar,mat", [None, (3, 4)], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
]
FILL = [("scalar", [None, (3, 4)], F64), ("row", [(4,), (3, 4)], F64), ("f32 row", [(4,), (3, 4)], F32)]
ENDS = [("scalar,scalar", [None, None], F64), ("vec,vec", [(3,), (3,)], F64), ("f32 vec,vec", [(3,), (3,)], F32)]
ORDERED = [
    ("mat", [(3, 4), (12,)], F64),
    ("3d", [(2, 3, 2), (12,)], F64),
    ("f32", [(3, 4), (12,)], F32),
]
TRANSPOSED3 = [("3d", [(2, 3, 4), (4, 2, 3)], F64), ("f32 3d", [(2, 3, 4), (4, 2, 3)], F32)]

TRUST = [
    Rule("x%1.0", tr_mod_const, (frac,), [("vec", [(5,)], F64), ("scalar", [None], F64), ("f32", [(3, 4)], F32)]),
    Rule("x%y", tr_mod, (half_steps, period), BIN_PERIOD),
    Rule("np.mod", tr_np_mod, (half_steps, period), BIN_PERIOD),
    Rule("np.remainder", tr_np_remainder, (half_steps, period), BIN_PERIOD),
    Rule("np.fmod", tr_np_fmod, (half_steps, period), BIN_PERIOD),
    Rule("math.fmod", tr_math_fmod, (half_steps, period), SCALAR2),
    Rule("math.remainder", tr_math_remainder, (half_steps, period), SCALAR2),
    Rule("math.copysign", tr_math_copysign, (nonzero, nonzero), SCALAR2),
    Rule("np.copysign", tr_np_copysign, (nonzero, nonzero), BIN_PERIOD),
    Rule("math.degrees,radians", tr_math_degrees, (real,), SCALAR),
    Rule("np.fabs", tr_np_fabs, (nonzero,), UNARY),
    Rule("np.deg2rad,radians,rad2deg,degrees", tr_np_angles, (real,), UNARY),
    Rule("np.logaddexp,logaddexp2", tr_logaddexp, (real, real), BIN_PERIOD),
    Rule("np.clip", tr_clip, (grid_a, grid_b), BIN_PERIOD),
    Rule("x.clip", tr_clip_method, (grid_a, grid_b), [*BIN_PERIOD[1:3], BIN_PERIOD[4]]),
    Rule("np.full", tr_full, (real, real), FILL, wrt=0),
    Rule("np.full_like", tr_full_like, (real, real), FILL, wrt=0),
    Rule("np.arange(a,a+3)", tr_arange_start, (real,), SCALAR),
    Rule("np.arange(step)", tr_arange_step, (step_size,), SCALAR),
    Rule("np.linspace", tr_linspace, (real, real), SCALAR2),
    Rule("np.linspace(endpoint=False)", tr_linspace_open, (real, real), SCALAR2),
    Rule("np.linspace(axis=-1)", tr_linspace_axis, (real, real), ENDS),
    Rule("np.fmax", tr_fmax, (grid_a, grid_b), BIN_PERIOD),
    Rule("np.fmin", tr_fmin, (grid_a, grid_b), BIN_PERIOD),
    Rule("np.hypot", tr_hypot, (nonzero, nonzero), BIN_PERIOD),
    Rule("x**n(n=0..3)", tr_pow_int_exponents, (real, small_ints),
         [("vec", [(6,), (6,)], F64), ("mat,row", [(3, 4), (4,)], F64), ("f32", [(3, 4), (3, 4)], F32)], wrt=0),
    Rule("np.max(axis=-1,initial)", tr_max_initial, (distinct,), R_AX1),
    Rule("np.max(where,initial)", tr_max_where, (distinct,), R_AX1),
    Rule("np.sum(axis=(0,-1),keepdims,initial)", tr_sum_initial, (real,), RED3),
    Rule("np.mean(axis=(-1,0))", tr_mean_negative_axes, (real,), [*RED3, ("f32 3d", [(2, 3, 4)], F32)]),
    Rule("x.ravel('F')", tr_ravel_f, (real, real), ORDERED, wrt=0),
    Rule("np.reshape(order='F')", tr_reshape_f, (real, real), ORDERED, wrt=0),
    Rule("x.flatten('F')", tr_flatten_f, (real, real), ORDERED, wrt=0),
    Rule("x.T.ravel('A')", tr_ravel_a_transposed, (real, real), ORDERED, wrt=0),
    Rule("np.ravel(x.T,'K')", tr_ravel_k_transposed, (real, real), ORDERED, wrt=0),
    Rule("x.T.reshape(order='A')", tr_method_reshape_a, (real, real), ORDERED, wrt=0),
    Rule("np.transpose(x,(-1,0,-2))", tr_transpose_negative, (real, real), TRANSPOSED3, wrt=0),
    Rule("x.transpose(1,-1,0)", tr_transpose_method_negative, (real, real),
         [("3d", [(2, 3, 4), (3, 4, 2)], F64)], wrt=0),
    Rule("np.ndarray.reshape(x,-1)", tr_class_reshape, (real, real), ORDERED, wrt=0),
    Rule("np.ndarray.transpose(x)", tr_class_transpose, (real, real),
         [("mat", [(3, 4), (4, 3)], F64), ("3d", [(2, 3, 4), (4, 3, 2)], F64)], wrt=0),
    Rule("np.ndarray.sum(x,0)", tr_class_sum, (real,), R_AX0),
    Rule("np.ndarray.max(x,axis=-1)", tr_class_max, (distinct,), R_AX1),
    Rule("np.ndarray.dot", tr_class_dot, (real, real), DOT[:3]),
]


RULES = OPERATORS + MATH + NUMPY_ELEMENTWISE + REDUCTIONS + LINALG + SHAPING + METHODS + TRUST


CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case: Case):
    check_case(case)


# ==========================================================================
# self-tests of the checker (no adtransform needed: analytic gradients)
# ==========================================================================


@pytest.mark.parametrize("shape,dtype", [(None, F64), ((4,), F64), ((6, 7), F64), ((3, 4), F32), ((6, 7), F32)])
def test_checker_accepts_exact_gradient(shape, dtype):
    x = make_arg(np.random.default_rng(1), real, shape, dtype)
    cos = np.cos(x) if shape is None else np.cos(x).astype(dtype)
    check_grad(base_sin, (x,), grad_fn=lambda x: float(cos) if shape is None else cos)


@pytest.mark.parametrize("shape", [None, (4,), (6, 7)])
def test_checker_rejects_wrong_gradient(shape):
    x = make_arg(np.random.default_rng(2), real, shape, F64)
    bad = np.cos(x) * 1.0001 + 1e-5
    with pytest.raises(AssertionError, match="finite differences"):
        check_grad(base_sin, (x,), grad_fn=lambda x: float(bad) if shape is None else bad)


def test_checker_rejects_wrong_dtype_shape_and_structure():
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    g = np.cos(x)
    with pytest.raises(AssertionError, match="expected float32"):
        check_grad(base_sin, (x.astype(F32),), grad_fn=lambda x: g)
    with pytest.raises(AssertionError, match="shape"):
        check_grad(base_sin, (x,), grad_fn=lambda x: g.ravel())
    with pytest.raises(AssertionError, match="dtype"):
        check_grad(base_sin, (0.5,), grad_fn=lambda x: np.float32(np.cos(x)))
    with pytest.raises(AssertionError, match="tuple"):
        check_grad(op_mul, (x, x), wrt=(0, 1), grad_fn=lambda x, y: np.cos(x * y) * y)
    with pytest.raises(AssertionError, match="single"):
        check_grad(op_mul, (x, x), wrt=0, grad_fn=lambda x, y: (np.cos(x * y) * y,))


def test_checker_rejects_mutating_gradient():
    def mutating(x):
        g = np.cos(x)
        x += 1.0
        return g

    with pytest.raises(AssertionError, match="mutated"):
        check_grad(base_sin, (np.linspace(-1, 1, 5),), grad_fn=mutating)


def test_checker_tuple_wrt_by_name_and_fd_accuracy():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(2, 3, 4))
    c = np.cos(x * y)
    check_grad(op_mul, (x, y), wrt=("y", 0), grad_fn=lambda x, y: (c * x, c * y))

    fx, fy = numeric_grad(op_mul, (x, y), wrt=(0, "y"))
    np.testing.assert_allclose(fx, c * y, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(fy, c * x, rtol=1e-9, atol=1e-11)
    d = rng.normal(size=x.shape)
    assert abs(directional_fd(op_mul, (x, y), d) - np.sum(c * y * d)) < 1e-9
