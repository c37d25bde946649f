"""Regression tests for issue 10 ("trust by construction"), the classes about derivative rules.

1. Functions registered as non-differentiable must be integer-valued or piecewise constant;
   the others have rules (`%`, `np.full`, `np.linspace`, `np.arange`, `copysign`, ...).
2. Rules handle every argument a call passes, normalized (orders, negative axes), or refuse
   the call with a located error.
9. No NaN where the derivative is finite (`x ** 0` at 0, `0.0 ** x`, `np.fmax` with a NaN,
   `np.hypot` at the origin).
10. A method called through its class (`np.ndarray.reshape(x, -1)`) is the bound method's
   primitive; an active argument never vanishes silently into a call.
Plus the crashes `np.sum(x, where=m)` and `np.max(x, initial=0.0)` (rank analysis).

Every gradient is compared with finite differences (tests/gradcheck.py), an analytic
derivative, or autograd.
"""

from __future__ import annotations

import math
import operator

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import check_grad, numeric_grad

import adtransform as ad
from adtransform.errors import NoAdjointRuleError
from adtransform.rules.notation import stop_gradient
from adtransform.rules.registry import _registry
from adtransform.runtime import unpack_check

RNG = np.random.default_rng(20261205)


# --------------------------------------------------------------------------
# class 1: every non-differentiable registration is piecewise constant
# --------------------------------------------------------------------------

SORTED = np.linspace(-3.0, 3.0, 5)
# How to call each primitive registered as non-differentiable on float data `x` (a vector).
PIECEWISE_CONSTANT = {
    math.floor: lambda x: math.floor(x[0]),
    math.ceil: lambda x: math.ceil(x[0]),
    math.trunc: lambda x: math.trunc(x[0]),
    math.isnan: lambda x: math.isnan(x[0]),
    math.isinf: lambda x: math.isinf(x[0]),
    math.isfinite: lambda x: math.isfinite(x[0]),
    math.factorial: lambda x: math.factorial(len(x)),
    int: lambda x: int(x[0]),
    bool: lambda x: bool(x[0]),
    round: lambda x: (round(x[0]), round(x[0], 2)),
    len: lambda x: len(x),
    np.sign: np.sign,
    np.floor: np.floor,
    np.ceil: np.ceil,
    np.round: lambda x: (np.round(x), np.round(x, 2)),
    np.around: lambda x: np.around(x, 1),
    np.rint: np.rint,
    np.trunc: np.trunc,
    np.fix: np.fix,
    np.argmax: np.argmax,
    np.argmin: np.argmin,
    np.argsort: np.argsort,
    np.argpartition: lambda x: np.argpartition(x, 2),
    np.ndarray.argpartition: lambda x: x.argpartition(2),
    unpack_check: lambda x: unpack_check(x, len(x)),  # None, or it raises: no value to differentiate
    np.shape: np.shape,
    np.ndim: np.ndim,
    np.size: np.size,
    np.zeros_like: np.zeros_like,
    np.ones_like: np.ones_like,
    np.empty_like: lambda x: np.empty_like(x).shape,  # its values are unspecified, never read
    np.zeros: lambda x: np.zeros(len(x)),
    np.ones: lambda x: np.ones(len(x)),
    np.empty: lambda x: np.empty(len(x)).shape,
    np.eye: lambda x: np.eye(len(x)),
    np.isnan: np.isnan,
    np.isfinite: np.isfinite,
    np.isinf: np.isinf,
    np.greater: lambda x: np.greater(x, x[::-1]),
    np.greater_equal: lambda x: np.greater_equal(x, x[::-1]),
    np.less: lambda x: np.less(x, x[::-1]),
    np.less_equal: lambda x: np.less_equal(x, x[::-1]),
    np.equal: lambda x: np.equal(x, x[::-1]),
    np.not_equal: lambda x: np.not_equal(x, x[::-1]),
    np.logical_and: lambda x: np.logical_and(x > 0, x < 1),
    np.logical_or: lambda x: np.logical_or(x > 0, x < -1),
    np.logical_not: lambda x: np.logical_not(x > 0),
    np.logical_xor: lambda x: np.logical_xor(x > 0, x < 1),
    np.floor_divide: lambda x: np.floor_divide(x, 0.7),
    np.signbit: np.signbit,
    np.nonzero: lambda x: np.nonzero(x > 0),
    np.flatnonzero: lambda x: np.flatnonzero(x > 0),
    np.argwhere: lambda x: np.argwhere(x > 0),
    np.count_nonzero: lambda x: np.count_nonzero(x > 0),
    np.searchsorted: lambda x: np.searchsorted(SORTED, x),
    np.digitize: lambda x: np.digitize(x, SORTED),
    np.isclose: lambda x: np.isclose(x, x[::-1]),
    np.allclose: lambda x: np.allclose(x, x[::-1]),
    np.array_equal: lambda x: np.array_equal(x, np.round(x)),
    np.ndarray.argmax: lambda x: x.argmax(),
    np.ndarray.argmin: lambda x: x.argmin(),
    np.ndarray.argsort: lambda x: x.argsort(),
    np.ndarray.round: lambda x: x.round(1),
    np.ndarray.nonzero: lambda x: (x > 0).nonzero(),
    np.ndarray.shape: lambda x: x.shape,
    np.ndarray.ndim: lambda x: x.ndim,
    np.ndarray.size: lambda x: x.size,
    np.ndarray.dtype: lambda x: x.dtype,
    np.ndarray.nbytes: lambda x: x.nbytes,
    np.ndarray.itemsize: lambda x: x.itemsize,
    np.ndarray.strides: lambda x: x.strides,
    np.all: lambda x: np.all(x > 0),
    np.any: lambda x: np.any(x > 0, axis=0),
    np.ndarray.all: lambda x: x.all(),
    np.ndarray.any: lambda x: x.any(),
    np.bitwise_and: lambda x: np.bitwise_and((x > 0).astype(int), 3),
    np.bitwise_or: lambda x: np.bitwise_or((x > 0).astype(int), 2),
    np.bitwise_xor: lambda x: np.bitwise_xor((x > 0).astype(int), 3),
    np.invert: lambda x: np.invert(x > 0),
    np.left_shift: lambda x: np.left_shift((x > 0).astype(int), 2),
    np.right_shift: lambda x: np.right_shift(8, (x > 0).astype(int)),
    np.gcd: lambda x: np.gcd(np.floor(x).astype(int), 6),
    np.lcm: lambda x: np.lcm(np.floor(x).astype(int), 6),
    np.spacing: np.spacing,
    np.isnat: lambda x: np.isnat(np.array(["2020-01-01", "NaT"], dtype="datetime64[D]")),
    np.random.rand: lambda x: (np.random.seed(len(x)), np.random.rand(3))[1],
    np.random.randn: lambda x: (np.random.seed(len(x)), np.random.randn(3))[1],
    np.random.random: lambda x: (np.random.seed(len(x)), np.random.random(3))[1],
    np.random.random_sample: lambda x: (np.random.seed(len(x)), np.random.random_sample(3))[1],
    np.random.standard_normal: lambda x: (np.random.seed(len(x)), np.random.standard_normal(3))[1],
    np.random.randint: lambda x: (np.random.seed(len(x)), np.random.randint(0, 5, 3))[1],
    np.random.seed: lambda x: np.random.seed(len(x)),
    np.random.Generator.random: lambda x: np.random.default_rng(len(x)).random(3),
    np.random.Generator.standard_normal: lambda x: np.random.default_rng(len(x)).standard_normal(3),
    np.random.Generator.integers: lambda x: np.random.default_rng(len(x)).integers(0, 5, 3),
    operator.lt: lambda x: x < x[::-1],
    operator.le: lambda x: x <= x[::-1],
    operator.gt: lambda x: x > x[::-1],
    operator.ge: lambda x: x >= x[::-1],
    operator.eq: lambda x: x == x[::-1],
    operator.ne: lambda x: x != x[::-1],
    operator.not_: lambda x: not x[0],
    operator.floordiv: lambda x: (x // 0.7, float(x[0]) // 0.7),
    operator.and_: lambda x: (x > 0) & (x < 1),
    operator.or_: lambda x: (x > 0) | (x < -1),
    operator.xor: lambda x: (x > 0) ^ (x < 1),
    operator.invert: lambda x: ~(x > 0),
    operator.lshift: lambda x: int(x[0] > 0) << 2,
    operator.rshift: lambda x: 8 >> int(x[0] > 0),
    operator.is_: lambda x: x[0] is None,
    operator.is_not: lambda x: x[0] is not None,
}


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    return np.array_equal(a, b) and np.asarray(a).dtype == np.asarray(b).dtype


def _registered_nondifferentiable() -> set:
    """The library's registrations (tests may register their own primitives)."""
    return {p for p in _registry.nondifferentiable
            if not str(getattr(p, "__module__", "") or "").startswith(("test", "conftest", "__main__"))}


def test_every_nondifferentiable_registration_is_audited():
    missing = _registered_nondifferentiable() - set(PIECEWISE_CONSTANT) - {stop_gradient}
    assert not missing, (f"registered non-differentiable without a check that the output is piecewise "
                         f"constant (add them to PIECEWISE_CONSTANT): {sorted(map(repr, missing))}")


@pytest.mark.parametrize("primitive", list(PIECEWISE_CONSTANT), ids=lambda p: getattr(p, "__qualname__", repr(p)))
def test_nondifferentiable_output_is_piecewise_constant(primitive):
    """A tiny move of the input never changes the output (at random points, off the jumps)."""
    assert primitive in _registry.nondifferentiable, "not registered: the table is stale"
    call = PIECEWISE_CONSTANT[primitive]
    for _ in range(20):
        x = RNG.uniform(-3.0, 3.0, 7)
        moved = x * (1.0 + 1e-9) + 1e-12
        assert _same(call(x), call(moved)), f"{primitive!r} changes under a move of 1e-9"


def mod_poly(t):
    return np.sum((t % 1.0) ** 2)


def mod_scalar(t):
    return (t % 1.0) ** 2


def mod_both(t, p):
    return np.sum(np.sin(t % p) + np.fmod(t, p) ** 2 + np.remainder(t, p))


def full_fill(v, w):
    return np.sum(np.sin(np.full((2, 3), v) * w))


def linspace_ends(a, b):
    return np.sum(np.linspace(a, b, 6) ** 2)


def arange_start(a):
    return np.sum(np.arange(a, a + 3.0) ** 2)


def arange_stop_only(a):
    return np.sum(np.arange(a) * 1.5)


def copysign_both(x, y):
    return math.copysign(x, y) ** 2 + x


def full_like_int(v):
    return np.sum(np.full_like(np.zeros(3, dtype=int), v) * 1.5) + v


def test_mod_gradient_issue_example():
    t = np.array([0.25, 1.6, -2.3, 7.9])
    g = ad.grad(mod_poly)(t)
    np.testing.assert_allclose(g, 2 * (t % 1.0))
    assert ad.grad(mod_scalar)(3.75) == pytest.approx(2 * 0.75)


def test_mod_fmod_remainder_against_autograd_and_fd():
    t = np.array([0.3, 2.6, -2.2, 4.1])
    p = np.array([0.7, -1.1, 1.3, 1.9])
    check_grad(mod_both, (t, p), wrt=(0, 1))

    def reference(t, p):
        return anp.sum(anp.sin(anp.mod(t, p)) + anp.remainder(t, p))

    def ours(t, p):
        return np.sum(np.sin(np.mod(t, p)) + np.remainder(t, p))

    expected = autograd.grad(reference, (0, 1))(t, p)
    for got, want in zip(ad.grad(ours, wrt=(0, 1))(t, p), expected):
        np.testing.assert_allclose(got, want)


def test_constructors_are_differentiable_in_their_values():
    check_grad(full_fill, (0.4, RNG.normal(size=(2, 3))), wrt=0)
    check_grad(full_fill, (RNG.normal(size=3), RNG.normal(size=(2, 3))), wrt=0)
    check_grad(linspace_ends, (0.3, 2.0), wrt=(0, 1))
    # d/da sum((a + k)^2) = 2 * sum(a + k), k = 0, 1, 2; the stop only sets the length.
    assert ad.grad(arange_start)(0.5) == pytest.approx(2 * (0.5 + 1.5 + 2.5))
    assert ad.grad(arange_stop_only)(3.5) == 0.0
    # An integer result (full_like of an int array) is piecewise constant in the fill value.
    assert ad.grad(full_like_int)(0.7) == 1.0


def test_copysign_derivative():
    # copysign(x, y) ** 2 = x ** 2: d/dx = 2x + 1, d/dy = 0.
    for x, y in ((0.7, -2.0), (-0.7, 3.0), (1.3, 0.5)):
        gx, gy = ad.grad(copysign_both, wrt=(0, 1))(x, y)
        assert gx == pytest.approx(2 * x + 1) and gy == 0.0


# --------------------------------------------------------------------------
# class 2: every argument handled (orders, negative axes) or refused
# --------------------------------------------------------------------------


def _layouts():
    base = RNG.normal(size=(3, 4, 2))
    return {
        "C": base,
        "F": np.asfortranarray(base),
        "transposed": base.transpose(2, 0, 1),
        "strided": base[:, ::2, :],
        "reversed": base[::-1, :, ::-1],
        "mixed": base.transpose(1, 2, 0)[::-1, :, ::2],
    }


def ravel_weighted(x, order, w):
    return np.sum(np.ravel(x, order) * w)


def method_ravel_weighted(x, order, w):
    return np.sum(x.ravel(order) * w)


def flatten_weighted(x, order, w):
    return np.sum(x.flatten(order) * w)


def reshape_weighted(x, order, w):
    return np.sum(np.reshape(x, (2, -1), order=order) * w)


def method_reshape_weighted(x, order, w):
    return np.sum(x.reshape(2, -1, order=order) * w)


@pytest.mark.parametrize("layout", list(_layouts()))
@pytest.mark.parametrize("order", ["C", "F", "A", "K", "f", "a"])
@pytest.mark.parametrize("fn", [ravel_weighted, method_ravel_weighted, flatten_weighted,
                                reshape_weighted, method_reshape_weighted])
def test_orders_follow_the_layout(fn, order, layout):
    x = _layouts()[layout]
    if order.upper() == "K" and fn in (reshape_weighted, method_reshape_weighted):
        pytest.skip("NumPy does not reshape in order 'K'")
    w = np.arange(1.0, x.size + 1.0)
    w = w if fn in (ravel_weighted, method_ravel_weighted, flatten_weighted) else w.reshape(2, -1)
    g = ad.grad(fn)(x, order, w)
    # y = a linear function of x: its gradient places the weights where NumPy took each element from.
    labels = np.empty_like(x)
    labels[...] = np.arange(x.size).reshape(x.shape)
    taken = {"ravel": lambda v: np.ravel(v, order), "flatten": lambda v: v.flatten(order)}
    read = taken["flatten" if fn is flatten_weighted else "ravel"] if w.ndim == 1 else \
        (lambda v: np.reshape(v, (2, -1), order=order).ravel())
    expected = np.zeros(x.size)
    expected[read(labels).astype(int)] = w.ravel()
    np.testing.assert_array_equal(g, expected.reshape(x.shape))


def transpose_weighted(x, w):
    return np.sum(np.transpose(x, (-1, 0, -2)) * w)


def transpose_method_ints(x, w):
    return np.sum(x.transpose(-2, -1, 0) * w)


def transpose_method_list(x, w):
    return np.sum(x.transpose([2, -3, 1]) * w)


def transpose_method_none(x, w):
    return np.sum(x.transpose(None) * w)


def transpose_2d_negative(A, w):
    return np.sum(np.transpose(A, (-1, 0)) * w)


@pytest.mark.parametrize("fn,axes", [
    (transpose_weighted, (-1, 0, -2)), (transpose_method_ints, (-2, -1, 0)),
    (transpose_method_list, (2, -3, 1)), (transpose_method_none, None)])
def test_transpose_negative_and_sequence_axes(fn, axes):
    x = RNG.normal(size=(2, 3, 4))
    w = RNG.normal(size=np.transpose(x, axes).shape)
    np.testing.assert_allclose(ad.grad(fn)(x, w), np.transpose(w, np.argsort([a % 3 for a in axes]))
                               if axes else w.T)


def test_transpose_issue_example_any_shape():
    for shape in ((3, 4), (4, 4), (1, 5)):
        A = RNG.normal(size=shape)
        w = RNG.normal(size=shape[::-1])
        np.testing.assert_allclose(ad.grad(transpose_2d_negative)(A, w), w.T)


def max_initial(x):
    return np.sum(np.sin(np.max(x, axis=-1, initial=0.0)))


def max_initial_all(x):
    return np.max(x, initial=10.0) + np.sum(x)


def sum_negative_tuple_keepdims(x):
    return np.sum(np.sin(np.sum(x, axis=(-1, 0), keepdims=True)))


def extremum_negative_tuple(x):
    return np.sum(np.sin(np.min(x, axis=(0, -1), keepdims=True))) + np.sum(np.sin(np.max(x, axis=(-2,))))


def where_one_argument(x):
    return np.sum(x[np.where(x > 0.0)] ** 2) + np.sum(np.where(x)[0] * 1.0)


def test_reduction_arguments():
    x = RNG.normal(size=(3, 4)) - 0.3
    check_grad(max_initial, (x,))
    assert np.all(ad.grad(max_initial_all)(x) == 1.0)  # the initial value wins: only the sum
    y = RNG.normal(size=(2, 3, 4))
    check_grad(sum_negative_tuple_keepdims, (y,))
    check_grad(extremum_negative_tuple, (y,))
    v = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ad.grad(where_one_argument)(v), [1.0, 0.0, 4.0])


def sum_where(x):
    return np.sum(x, where=x > 0.5)


def mean_where(x):
    return np.mean(x, where=x > 0.5)


def sum_int_dtype(x):
    return np.sum(np.sum(x, axis=0, dtype=int) * x)


def method_sum_bool_dtype(x):
    return np.sum(x.sum(dtype=bool) * x)


def linspace_retstep(x):
    return np.sum(np.linspace(x, 2.0, 3, retstep=True)[0])


def sum_run_time_dtype(x, t):
    return np.sum(x, dtype=t)


@pytest.mark.parametrize("fn,args,what", [
    (sum_int_dtype, (np.ones((2, 3)),), "dtype="), (method_sum_bool_dtype, (np.ones(3),), "dtype="),
    (linspace_retstep, (0.5,), "retstep="), (sum_run_time_dtype, (np.ones(3), np.float64), "dtype=")])
def test_unsupported_arguments_are_refused_where_they_are_passed(fn, args, what):
    with pytest.raises(NoAdjointRuleError, match=what) as info:
        ad.grad(fn)(*args)
    assert f"test_trust_rules.py:{fn.__code__.co_firstlineno + 1}" in str(info.value)


def test_masks_are_followed():
    # `where=` on the sum and the mean (rules/numpy_gaps.py): the unselected elements get 0, the mean
    # divides by the count of the selected ones.
    x = np.array([0.25, 1.0, 2.0, 0.75])
    np.testing.assert_array_equal(ad.grad(sum_where)(x), [0.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(ad.grad(mean_where)(x), [0.0, 1 / 3, 1 / 3, 1 / 3])


def float32_sum(x):
    return np.sum(x, dtype=np.float32) + np.mean(x, dtype="float32")


def test_float_dtypes_are_accepted():
    # (finite differences would see float32 rounding: the derivative is exact)
    np.testing.assert_allclose(ad.grad(float32_sum)(RNG.normal(size=(3, 4))), np.full((3, 4), 1.0 + 1.0 / 12))


def dot_sin(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def matmul_sin(a, b):
    return np.sum(np.sin(np.matmul(a, b)))


def outer_sin(a, b):
    return np.sum(np.sin(np.outer(a, b)))


_LEFT = {0: (), 1: (3,), 2: (2, 3), 3: (2, 2, 3)}
_RIGHT = {0: (), 1: (3,), 2: (3, 2), 3: (2, 3, 2)}


@pytest.mark.parametrize("fn", [dot_sin, matmul_sin, outer_sin])
@pytest.mark.parametrize("left", range(4))
@pytest.mark.parametrize("right", range(4))
def test_products_of_every_rank(fn, left, right):
    a, b = RNG.normal(size=_LEFT[left]), RNG.normal(size=_RIGHT[right])
    a = float(a) if left == 0 else a
    try:
        fn(a, b)
    except (ValueError, TypeError):
        pytest.skip("NumPy rejects these ranks")
    check_grad(fn, (a, b), wrt=(0, 1))


# --------------------------------------------------------------------------
# class 9: no NaN where the derivative is finite
# --------------------------------------------------------------------------


def poly(x, c):
    r = 0.0
    for i in range(len(c)):
        r = r + c[i] * x ** i
    return r


def poly_array(x, c):
    r = np.zeros_like(x)
    for i in range(len(c)):
        r = r + c[i] * x ** i
    return np.sum(r)


def power_xy(x, y):
    return np.sum(x ** y)


def np_power_xy(x, y):
    return np.sum(np.power(x, y))


def zero_base(x):
    return np.sum(0.0 ** x)


def math_pow_xy(x, y):
    return math.pow(x, y)


def fmax_sum(x, y):
    return np.sum(np.fmax(x, y) * np.array([1.0, 2.0, 3.0, 4.0]))


def fmin_sum(x, y):
    return np.sum(np.fmin(x, y) * np.array([1.0, 2.0, 3.0, 4.0]))


def hypot_same(v):
    return np.sum(np.hypot(v, v))


def math_hypot(x, y):
    return math.hypot(x, y)


def fabs_sum(x):
    return math.fabs(x) + np.abs(x) + abs(-x)


def fabs_vector(x):
    return np.sum(np.abs(x) + abs(x))


def maximum_ties(x, y):
    return np.sum(np.maximum(x, y))


def squared(x):
    return np.sum(x ** 2)


def test_polynomial_at_zero():
    c = np.array([1.0, 2.0, 3.0, 4.0])
    assert ad.grad(poly)(0.0, c) == 2.0
    assert ad.grad(poly)(0.5, c) == pytest.approx(2.0 + 6.0 * 0.5 + 12.0 * 0.25)
    x = np.array([0.0, 0.5, -1.0])
    np.testing.assert_allclose(ad.grad(poly_array)(x, c), 2.0 + 6.0 * x + 12.0 * x ** 2)


@pytest.mark.filterwarnings("ignore:divide by zero")  # d/dx x ** 0.5 at 0 is infinite, for autograd too
def test_power_at_zero_matches_autograd():
    x = np.array([0.0, 0.0, 1.5, 0.0, 2.0])
    y = np.array([0.0, 2.0, 0.0, 0.5, 1.5])

    def reference(x, y):
        return anp.sum(anp.power(x, y))

    expected = autograd.grad(reference, (0, 1))(x, y)
    for fn in (power_xy, np_power_xy):
        got = ad.grad(fn, wrt=(0, 1))(x, y)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e)  # includes the infinite d/dx of x ** 0.5 at 0
    np.testing.assert_array_equal(ad.grad(zero_base)(np.array([1.0, 2.5])), [0.0, 0.0])
    assert ad.grad(math_pow_xy, wrt=(0, 1))(0.0, 2.0) == (0.0, 0.0)
    assert ad.grad(math_pow_xy, wrt=(0, 1))(3.0, 0.0) == (0.0, pytest.approx(math.log(3.0)))


def test_constant_exponent_keeps_the_plain_derivative():
    """`x ** 2` specializes to `2 * x`: no guard on the hot path."""
    source = ad.grad(squared).source
    assert "!=" not in source and "==" not in source
    np.testing.assert_allclose(ad.grad(squared)(np.array([0.0, 1.5])), [0.0, 3.0])


def test_fmax_fmin_ignore_nan():
    x = np.array([np.nan, 1.0, 2.0, 5.0])
    y = np.array([1.0, np.nan, 2.0, 3.0])
    gx, gy = ad.grad(fmax_sum, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 2.0, 1.5, 4.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 1.5, 0.0])
    gx, gy = ad.grad(fmin_sum, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 2.0, 1.5, 0.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 1.5, 4.0])


def test_hypot_and_abs_at_zero():
    v = np.array([0.0, 3.0, -4.0])
    np.testing.assert_allclose(ad.grad(hypot_same)(v), [0.0, math.sqrt(2.0), -math.sqrt(2.0)])
    assert ad.grad(math_hypot, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    assert ad.grad(math_hypot, wrt=(0, 1))(3.0, 4.0) == (pytest.approx(0.6), pytest.approx(0.8))
    assert ad.grad(fabs_sum)(0.0) == 0.0
    assert ad.grad(fabs_sum)(-2.0) == -3.0
    np.testing.assert_array_equal(ad.grad(fabs_vector)(np.array([0.0, -2.0, 3.0])), [0.0, -2.0, 2.0])


def test_maximum_ties_split_evenly():
    gx, gy = ad.grad(maximum_ties, wrt=(0, 1))(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0]))
    np.testing.assert_array_equal(gx, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gy, [0.5, 0.0, 1.0])


# --------------------------------------------------------------------------
# class 10: methods through their class; no silent zero from any call
# --------------------------------------------------------------------------


def class_reshape(x, w):
    return np.sum(np.ndarray.reshape(x, -1) * w)


def class_transpose(A, w):
    return np.sum(np.ndarray.transpose(A) * w)


def class_sum(x):
    return np.sum(np.sin(np.ndarray.sum(x, 0)))


def class_mixed(x):
    return np.ndarray.max(np.ndarray.mean(x, axis=1)) + np.ndarray.dot(np.ndarray.ravel(x), np.ndarray.flatten(x))


def class_copy(x):
    return np.sum(np.sin(np.ndarray.copy(x)) * np.ndarray.transpose(x, (1, 0)).T)


class Model:
    @staticmethod
    def act(x):
        return np.sin(x)


class Sub(np.ndarray):
    pass


def user_class_method(x):
    return np.sum(Model.act(x))


def user_subclass_method(x):
    return np.sum(Sub.reshape(x, -1))


@pytest.mark.parametrize("fn,args", [
    (class_reshape, (RNG.normal(size=(2, 3)), RNG.normal(size=6))),
    (class_transpose, (RNG.normal(size=(2, 3)), RNG.normal(size=(3, 2)))),
    (class_sum, (RNG.normal(size=(3, 4)),)),
    (class_mixed, (RNG.normal(size=(3, 4)),)),
    (class_copy, (RNG.normal(size=(3, 4)),)),
])
def test_methods_through_their_class(fn, args):
    check_grad(fn, args, wrt=0)


def test_methods_of_user_classes_are_inlined_and_ndarray_subclasses_refused():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(ad.grad(user_class_method)(x), np.cos(x))  # (issue 12: once refused)
    # a subclass of ndarray is refused by the frontend: its operators may mean other things
    with pytest.raises((NoAdjointRuleError, ad.UnsupportedSyntaxError), match="test_trust_rules.py"):
        ad.grad(user_subclass_method)(x)


def varargs_primitive(*xs):
    return xs[0] * 2.0


@ad.adjoint(varargs_primitive)
def _varargs_rule(y, *xs):
    """Contributes nothing: an active argument among `xs` must be refused, not dropped."""


def calls_varargs_primitive(x):
    return np.sum(varargs_primitive(x, x))


def test_active_argument_in_star_args_is_never_dropped():
    with pytest.raises(NoAdjointRuleError, match="xs"):
        ad.grad(calls_varargs_primitive)(np.ones(3))


def unknown_diff(x):
    return np.sum(np.ediff1d(x) ** 2)


def unknown_method(x):
    return np.sum(x.compress([True, False]))


def unknown_polyval(x):
    return np.sum(np.polyval(x, 0.5))


def unknown_module_function(x):
    return np.linalg.cond(np.outer(x, x) + np.eye(2))


@pytest.mark.parametrize("fn", [unknown_diff, unknown_method, unknown_polyval,
                                unknown_module_function])
def test_unknown_calls_on_active_values_raise(fn):
    with pytest.raises(NoAdjointRuleError, match="test_trust_rules.py"):
        ad.grad(fn)(np.array([0.5, 2.0]))


# --------------------------------------------------------------------------
# class 11 (crashes from the rank analysis) and class 13 (message)
# --------------------------------------------------------------------------


def max_initial_scalar(x):
    return np.max(x, initial=0.0)


def sum_where_mask(x, m):
    return np.sum(x, where=m)


def test_rank_analysis_accepts_every_reduction_call():
    np.testing.assert_array_equal(ad.grad(max_initial_scalar)(np.array([-1.0, 2.0, 0.5])), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(ad.grad(max_initial_scalar)(np.array([-1.0, -2.0])), [0.0, 0.0])
    np.testing.assert_array_equal(ad.grad(sum_where_mask)(np.ones(3), np.array([True, False, True])), [1.0, 0.0, 1.0])


def test_class_sum_axis_is_not_taken_for_the_input():
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(ad.grad(class_sum)(x), numeric_grad(class_sum, (x,)), rtol=1e-6)


def class_view_updated(x):
    z = x * 1.0
    y = np.ndarray.reshape(z, -1)
    y += 1.0
    return np.sum(z ** 2)


def class_transpose_updated(x):
    z = x * 1.0
    y = np.ndarray.transpose(z)
    y *= 2.0
    return np.sum(z ** 2)


def class_fresh_updated(x):
    z = x * 1.0
    y = np.ndarray.sum(z, 0)
    y += 1.0
    return np.sum(z ** 2) + np.sum(y)


@pytest.mark.parametrize("fn", [class_view_updated, class_transpose_updated])
def test_views_made_through_the_class_are_views(fn):
    """As for `z.reshape(-1)`: an in-place update of the view would change `z` (refused)."""
    with pytest.raises(ad.UnsupportedSyntaxError, match="alias"):
        ad.grad(fn)(np.ones((2, 3)))


def test_fresh_results_through_the_class_are_fresh():
    check_grad(class_fresh_updated, (RNG.normal(size=(2, 3)),))


def clip_sum(x, lo, hi):
    return np.sum(np.clip(x, lo, hi))


def test_clip_shares_ties_as_minimum_and_maximum_do():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    gx, glo, ghi = ad.grad(clip_sum, wrt=(0, 1, 2))(x, 0.0, 1.0)
    np.testing.assert_array_equal(gx, [0.0, 0.5, 1.0, 0.5, 0.0])
    assert glo == 1.5 and ghi == 1.5


def rounded_by_formatting(x):
    return float("%.2f" % x) + x ** 2  # noqa: UP031  (the `%` operator is the point)


def rounded_by_local_format(x):
    fmt = "%.1f"
    return float(fmt % x) * 3.0 + x


def test_string_formatting_percent_is_piecewise_constant():
    """`%` with a string on the left formats: the text (and a float read back from it) is
    piecewise constant in the value formatted."""
    assert ad.grad(rounded_by_formatting)(1.2345) == pytest.approx(2 * 1.2345)
    assert ad.grad(rounded_by_local_format)(1.2345) == 1.0
