"""Selections pass exactly 0 to what they do not select, even from an infinite or NaN adjoint.

`np.sqrt(np.maximum(x, 0.0))` at x = -1 is constant near x: its derivative is 0, not the
0 * inf = NaN of multiplying sqrt's adjoint at 0 by maximum's share 0 (review 15, finding 5d).
Where the share is nonzero the adjoint is unchanged: inf stays inf, a tie's 1/2 of inf is inf.
Each upstream rule that is infinite at a point (sqrt, log, arcsin, 1/x, x ** 0.5) is tried, so
the fix is not a pattern of one of them. Expected values are analytic (the function is constant
where 0 is expected); finite ones are also checked by central differences.
"""

import math
import warnings

import numpy as np
import pytest

import adtransform as ad
from adtransform.runtime import python_pick_adjoint, times_share
from tests.gradcheck import numeric_grad

INF = np.inf


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (divide by zero where the adjoint is inf)
        yield


def _grad(f, *args, wrt=0):
    got = ad.grad(f, wrt=wrt)(*args)
    return got


def _same(got, expected, dtype=np.float64):
    got = np.asarray(got)
    assert got.dtype == dtype
    assert not np.any(np.isnan(got)), got
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def _finite_parts_match_fd(f, x, got):
    """Where the gradient is finite, central differences agree (f is smooth there)."""
    fd = numeric_grad(f, (x,), 0)
    keep = np.isfinite(got)
    np.testing.assert_allclose(np.asarray(got)[keep], np.asarray(fd)[keep], rtol=1e-5, atol=1e-6)


# --- np.maximum / np.minimum / np.fmax / np.fmin ---------------------------------------------------


def relu_sqrt(x):
    return np.sum(np.sqrt(np.maximum(x, 0.0)))


def relu_log(x):
    return np.sum(np.log(np.maximum(x, 0.0)) * 0.0 + np.maximum(x, 0.0))


def relu_first(x):
    return np.sum(np.sqrt(np.maximum(0.0, x)))


def minimum_sqrt(x):
    return np.sum(np.sqrt(2.0 - np.minimum(x, 2.0)))  # (2 - 2 is +0: sqrt's adjoint is +inf)


def minimum_arcsin(x):
    return np.sum(np.arcsin(np.minimum(x, 1.0)))


def fmax_sqrt(x):
    return np.sum(np.sqrt(np.fmax(x, 0.0)))


def fmin_recip(x):
    return np.sum(1.0 / np.fmin(x, 2.0))


def fmin_sqrt(x):
    return np.sum(np.sqrt(2.0 - np.fmin(x, 2.0)))


def relu_pow(x):
    return np.sum(np.maximum(x, 0.0) ** 0.5)


def test_maximum_passes_zero_where_the_bound_wins():
    x = np.array([-1.0, 0.0, 4.0, -3.0])
    got = _grad(relu_sqrt, x)
    _same(got, [0.0, INF, 0.25, 0.0])  # (the tie at 0: 1/2 of inf is inf)
    _finite_parts_match_fd(relu_sqrt, x, got)
    _same(_grad(relu_first, x), [0.0, INF, 0.25, 0.0])
    _same(_grad(relu_pow, x), [0.0, INF, 0.25, 0.0])
    for value, expected in ((-1.0, 0.0), (0.0, INF), (4.0, 0.25)):  # (0-d arrays: NumPy scalars inside)
        _same(_grad(relu_sqrt, np.array(value)), expected)
        _same(_grad(relu_sqrt, np.array(value, dtype=np.float32)), expected, np.float32)


def test_maximum_log_upstream():
    x = np.array([-1.0, 2.0])
    # log(0) = -inf; its adjoint 0 * (1 / 0) is NaN in the first operand of `+` only where x <= 0
    got = _grad(relu_log, x)
    _same(got, [0.0, 1.0])


def test_minimum_and_arcsin_upstream():
    x = np.array([3.0, -2.0, 5.0, 2.0])
    _same(_grad(minimum_sqrt, x), [0.0, -0.25, 0.0, -INF])
    x = np.array([2.0, 0.5, 1.0])
    expected = [0.0, 1.0 / math.sqrt(0.75), INF]
    got = _grad(minimum_arcsin, x)
    _same(got, expected)


def test_fmax_fmin():
    x = np.array([-1.0, 4.0, np.nan])
    got = _grad(fmax_sqrt, x)  # fmax(nan, 0) = 0: the NaN loses, gets 0 (and sqrt' there is inf)
    _same(got, [0.0, 0.25, 0.0])
    x = np.array([3.0, 0.5])
    _same(_grad(fmin_recip, x), [0.0, -4.0])
    x = np.array([3.0, -2.0, np.nan, 2.0])  # (fmin(nan, 2) = 2: the NaN loses, and sqrt' is inf there)
    _same(_grad(fmin_sqrt, x), [0.0, -0.25, 0.0, -INF])


def both_sqrt(x, y):
    return np.sum(np.sqrt(np.maximum(x, y)))


def both_min_sqrt(x, y):
    return np.sum(np.sqrt(2.0 - np.minimum(x, y)))


def test_two_differentiated_operands_and_broadcasting():
    x = np.array([0.0, 3.0, -1.0])
    y = np.array([-1.0, 1.0, 0.0])
    gx, gy = ad.grad(both_sqrt, wrt=(0, 1))(x, y)
    _same(gx, [INF, 0.5 / math.sqrt(3.0), 0.0])
    _same(gy, [0.0, 0.0, INF])
    # (3, 1) against (4,): y's adjoint sums over rows; the rows where y loses add exact zeros
    x = np.array([[0.0], [4.0], [2.0]])
    y = np.array([-2.0, 0.0, 1.0, 2.0])
    gx, gy = ad.grad(both_sqrt, wrt=(0, 1))(x, y)
    z = np.maximum(x, y)
    share_x = (x > y) + 0.5 * (x == y)
    with np.errstate(divide="ignore", invalid="ignore"):
        part = 0.5 / np.sqrt(z)
        ex = np.where(share_x > 0, part * share_x, 0.0).sum(axis=1, keepdims=True)
        ey = np.where(share_x < 1, part * (1 - share_x), 0.0).sum(axis=0)
    _same(gx, ex)
    _same(gy, ey)
    gx, gy = ad.grad(both_min_sqrt, wrt=(0, 1))(np.array([2.0, -2.0]), np.array([3.0, 0.0]))
    _same(gx, [-INF, -0.25])
    _same(gy, [0.0, 0.0])


def test_float32_stays_float32():
    x = np.array([-1.0, 0.0, 4.0], dtype=np.float32)
    _same(_grad(relu_sqrt, x), [0.0, INF, 0.25], np.float32)
    _same(_grad(minimum_sqrt, 2.0 - x), [0.0, -INF, -0.25], np.float32)


def nan_upstream(x):
    return np.sum(0.0 * np.sqrt(np.maximum(x, 0.0)))


def test_nan_upstream_adjoint_gives_zero_where_not_selected():
    # the sqrt's adjoint is 0 * 0.5 / sqrt(0) = NaN at x = 0; at x = -1 maximum picks the bound: 0
    got = _grad(nan_upstream, np.array([-1.0, 4.0]))
    _same(got, [0.0, 0.0])


# --- np.clip and ndarray.clip ---------------------------------------------------------------------


def clip_sqrt(x):
    return np.sum(np.sqrt(np.clip(x, 0.0, None)))


def clip_arcsin(x):
    return np.sum(np.arcsin(np.clip(x, -1.0, 1.0)))


def clip_method_log(x):
    return np.sum(np.log(x.clip(0.0, 3.0)) * 0.0 + np.sqrt(x.clip(min=0.0)))


def clip_bounds(x, lo, hi):
    return np.sum(np.sqrt(np.clip(x, lo, hi)))


def clip_keywords(x, lo):
    return np.sum(np.sqrt(np.clip(x, min=lo, max=4.0)))


def test_clip():
    x = np.array([-1.0, 4.0, 0.0])
    _same(_grad(clip_sqrt, x), [0.0, 0.25, INF])
    x = np.array([2.0, -3.0, 0.0, 1.0])
    _same(_grad(clip_arcsin, x), [0.0, 0.0, 1.0, INF])  # (the tie at 1: 1/2 of inf)
    x = np.array([-1.0, 4.0])
    _same(_grad(clip_method_log, x), [0.0, 0.25])


def test_clip_bounds_get_zero_where_not_returned():
    x = np.array([0.0, -1.0, 9.0])
    lo = np.array([-1.0, 0.0, 1.0])
    hi = np.array([5.0, 5.0, 4.0])
    gx, glo, ghi = ad.grad(clip_bounds, wrt=(0, 1, 2))(x, lo, hi)
    _same(gx, [INF, 0.0, 0.0])
    _same(glo, [0.0, INF, 0.0])
    _same(ghi, [0.0, 0.0, 0.25])
    gx, glo = ad.grad(clip_keywords, wrt=(0, 1))(np.array([0.0, -2.0]), np.array([-1.0, 0.0]))
    _same(gx, [INF, 0.0])
    _same(glo, [0.0, INF])


# --- Python's max and min --------------------------------------------------------------------------


def py_max(x):
    return np.sqrt(max(x, 0.0))  # (math.sqrt's adjoint divides Python floats: 0.5 / 0.0 raises)


def py_min(x):
    return np.sqrt(2.0 - min(x, 2.0))


def py_max_both(a, b):
    return np.sqrt(max(a, b))


def test_python_max_min():
    assert _grad(py_max, -1.0) == 0.0
    assert _grad(py_max, 4.0) == 0.25
    assert _grad(py_min, 3.0) == 0.0
    assert _grad(py_min, -2.0) == -0.25
    a, b = ad.grad(py_max_both, wrt=(0, 1))(0.0, -2.0)
    assert a == INF and b == 0.0
    a, b = ad.grad(py_max_both, wrt=(0, 1))(np.float32(-2.0), np.float32(0.0))
    assert a == 0.0 and b == INF and type(a) is np.float32
    assert python_pick_adjoint(INF, 1.0, 0.0) == 0.0
    assert python_pick_adjoint(np.nan, 1.0, 0.0) == 0.0
    assert python_pick_adjoint(INF, 1.0, 0.5) == INF
    assert np.array_equal(python_pick_adjoint(np.array([INF]), np.array([1.0]), 0.0), [0.0])


# --- where, select, choose, heaviside: value arguments --------------------------------------------


def where_values(x, y):
    return np.sum(np.sqrt(np.where(x > -0.5, x, y)))


def select_values(x, y):
    return np.sum(np.sqrt(np.select([x > 1.0, x > -0.5], [x - 1.0, x], default=y)))


def choose_values(x, y):
    return np.sum(np.sqrt(np.choose(np.array([0, 1, 0]), [x, y])))


def heaviside_value(x1, x2):
    return np.sum(np.sqrt(np.heaviside(x1, x2)))


def test_where_select_choose_heaviside():
    x = np.array([0.0, 4.0, -1.0])
    y = np.array([0.0, 0.0, 0.0])
    gx, gy = ad.grad(where_values, wrt=(0, 1))(x, y)
    _same(gx, [INF, 0.25, 0.0])
    _same(gy, [0.0, 0.0, INF])
    x = np.array([0.0, 5.0, -1.0])
    gx, gy = ad.grad(select_values, wrt=(0, 1))(x, y)
    _same(gx, [INF, 0.25, 0.0])
    _same(gy, [0.0, 0.0, INF])
    x = np.array([0.0, 4.0, 1.0])
    y = np.array([4.0, 0.0, 9.0])
    gx, gy = ad.grad(choose_values, wrt=(0, 1))(x, y)
    _same(gx, [INF, 0.0, 0.5])
    _same(gy, [0.0, INF, 0.0])
    g2 = ad.grad(heaviside_value, wrt=1)(np.array([-1.0, 0.0, 2.0]), np.array([0.25, 0.0, 0.0]))
    _same(g2, [0.0, INF, 0.0])  # (x2 is returned only where x1 == 0)


# --- reductions that select: max/min/nanmax/ptp, median, quantile, percentile ----------------------


def max_sqrt(x):
    return np.sqrt(np.max(x))


def amin_sqrt(x):
    return np.sqrt(2.0 - np.amin(x, axis=1)).sum()


def nanmax_sqrt(x):
    return np.sqrt(np.nanmax(x))


def ptp_sqrt(x):
    return np.sqrt(np.ptp(x) - 3.0)


def median_sqrt(x):
    return np.sqrt(np.median(x))


def nanmedian_sqrt(x):
    return np.sqrt(np.nanmedian(x, axis=0)).sum()


def quantile_sqrt(x):
    return np.sqrt(np.quantile(x, 0.5))


def percentile_sqrt(x):
    return np.sum(np.sqrt(np.percentile(x, [0.0, 100.0, 25.0])))


def test_extremum_reductions():
    _same(_grad(max_sqrt, np.array([-1.0, 0.0, -3.0])), [0.0, INF, 0.0])
    _same(_grad(max_sqrt, np.array([0.0, 0.0, -3.0])), [INF, INF, 0.0])  # (ties: 1/2 of inf)
    _same(_grad(amin_sqrt, np.array([[3.0, 2.0], [-2.0, 2.0]])), [[0.0, -INF], [-0.25, 0.0]])
    _same(_grad(nanmax_sqrt, np.array([np.nan, 0.0, -3.0])), [0.0, INF, 0.0])
    _same(_grad(ptp_sqrt, np.array([0.0, 3.0, 1.0])), [-INF, INF, 0.0])


def test_median_quantile_percentile():
    _same(_grad(median_sqrt, np.array([-1.0, 0.0, 2.0])), [0.0, INF, 0.0])
    _same(_grad(median_sqrt, np.array([2.0, 0.0, -1.0, 0.0])), [0.0, INF, 0.0, INF])
    x = np.array([[np.nan, 1.0], [0.0, 4.0], [-1.0, np.nan], [3.0, 9.0]])
    _same(_grad(nanmedian_sqrt, x), [[0.0, 0.0], [INF, 0.25], [0.0, 0.0], [0.0, 0.0]])
    # q = 0.5 of 3 elements falls on the middle one exactly: its neighbour gets nothing
    _same(_grad(quantile_sqrt, np.array([-1.0, 0.0, 2.0])), [0.0, INF, 0.0])
    x = np.array([0.0, 4.0, 1.0, 2.0, 3.0])  # (q 0, 100, 25: the min, the max, the second)
    _same(_grad(percentile_sqrt, x), [INF, 0.25, 0.5, 0.0, 0.0])


# --- gathers: indexing, take, sort; the inf-norm ---------------------------------------------------


def index_sqrt(x):
    return np.sum(np.sqrt(x[1:]))


def take_sqrt(x):
    return np.sum(np.sqrt(np.take(x, [1, 1, 2])))


def sort_sqrt(x):
    return np.sum(np.sqrt(np.sort(x)[1:]))


def norm_inf_sqrt(x):
    return np.sqrt(np.linalg.norm(x, np.inf) - 3.0)


def matrix_norm_sqrt(x):
    return np.sqrt(np.linalg.norm(x, 1) - 4.0)


def test_gathers_and_norms():
    _same(_grad(index_sqrt, np.array([-1.0, 0.0, 4.0])), [0.0, INF, 0.25])
    _same(_grad(take_sqrt, np.array([-1.0, 0.0, 4.0])), [0.0, INF, 0.25])
    _same(_grad(sort_sqrt, np.array([4.0, -1.0, 0.0])), [0.25, 0.0, INF])
    _same(_grad(norm_inf_sqrt, np.array([3.0, 1.0, -2.0])), [INF, 0.0, 0.0])
    _same(_grad(norm_inf_sqrt, np.array([-3.0, 1.0])), [-INF, 0.0])
    x = np.array([[1.0, 2.0], [-3.0, 1.0]])  # (column sums 4, 3: the first column is picked)
    _same(_grad(matrix_norm_sqrt, x), [[INF, 0.0], [-INF, 0.0]])


# --- the runtime helper itself --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_times_share(dtype):
    share = np.array([0.0, 0.5, 1.0, np.nan], dtype=dtype)
    g = np.array([INF, INF, np.nan, 2.0], dtype=dtype)
    got = times_share(g, share.copy())
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, [0.0, INF, np.nan, np.nan])
    # finite g: the plain product, in the share's buffer
    buf = np.array([0.0, 0.5, 1.0], dtype=dtype)
    assert times_share(np.array([1.0, 2.0, 3.0], dtype=dtype), buf) is buf
    np.testing.assert_array_equal(buf, [0.0, 1.0, 3.0])
    # a product that does not fit the share (broadcast to a larger shape, another dtype)
    got = times_share(np.full((2, 3), -INF), np.array([0.0, 1.0, 0.5], dtype=dtype))
    np.testing.assert_array_equal(got, [[0.0, -INF, -INF]] * 2)
    assert got.dtype == np.float64
    for bad in (INF, -INF, np.nan):  # (each alone: the min and max see it)
        g = np.ones((2, 3), dtype=dtype)
        g[1, 2] = bad
        got = times_share(g, np.array([[1.0, 1.0, 1.0], [1.0, 0.5, 0.0]], dtype=dtype))
        np.testing.assert_array_equal(got, [[1.0, 1.0, 1.0], [1.0, 0.5, 0.0]])
    empty = np.zeros((0, 3), dtype=dtype)
    assert times_share(empty, empty.copy()).shape == (0, 3)
    got = times_share(np.array([INF + 0j, 1j]), np.array([0.0, 1.0]))  # (complex: isfinite)
    np.testing.assert_array_equal(got, [0.0, 1j])
    assert times_share(INF, 0.0) == 0.0 and times_share(np.nan, 0.0) == 0.0
    assert times_share(INF, 0.5) == INF
    assert times_share(np.float32(INF), np.asarray(0.0, dtype=np.float32)) == 0.0
