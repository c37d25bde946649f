"""Review 15's findings, by class: each test compares with f itself (values, errors) and with central
finite differences of f taken on arguments laid out as given (layout is what some of these read)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import adtransform as ad

W6 = np.arange(1.0, 7.0)
W12 = np.arange(1.0, 13.0)


def _fortran(values: np.ndarray) -> np.ndarray:
    return np.asfortranarray(values)


def _fortran_strided(values: np.ndarray) -> np.ndarray:
    """A view that is neither C- nor F-contiguous, its strides in Fortran order (every other column)."""
    base = np.zeros((values.shape[0], 2 * values.shape[1]), order="F")
    base[:, ::2] = values
    return base[:, ::2]


def _c_order(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values)


def _check(f: Callable[[Any], Any], build: Callable[[np.ndarray], Any], values: np.ndarray,
           h: float = 1e-6, rtol: float = 1e-6) -> None:
    """value_and_grad(f) at build(values): the value f gives, bit for bit, and the gradient of central
    differences over `values` (each perturbed argument built the same way, so it has the same layout)."""
    x = build(values.copy())  # (f may change its argument in place: each call gets its own)
    before = np.array(x, copy=True)
    value, grad = ad.value_and_grad(f)(x)
    assert np.array_equal(x, before)
    expected = f(build(values.copy()))
    assert np.asarray(value).dtype == np.asarray(expected).dtype
    assert np.array_equal(value, expected, equal_nan=True)
    reference = np.zeros(values.shape)
    for k in np.ndindex(values.shape):
        up, down = values.copy(), values.copy()
        up[k] += h
        down[k] -= h
        reference[k] = (float(f(build(up))) - float(f(build(down)))) / (2 * h)
    assert np.shape(grad) == values.shape
    np.testing.assert_allclose(grad, reference, rtol=rtol, atol=1e-6)


# --- 1. a layout-reading adjoint (ravel/reshape/flatten order 'A'/'K') reads the array, not a witness --------


def ravel_k_of_copy(x):
    y = np.abs(x).copy()
    return np.sum(y.ravel("K") * W6)


def ravel_k_of_plain_copy(x):
    y = x.copy()
    return np.sum(y.ravel("K") * W6)


def flatten_a_of_copy(x):
    y = (x * 1.0).copy()
    return np.sum(np.sin(y.flatten("A")) * W6)


def reshape_a_of_copy(x):
    y = (x * 2.0).copy()
    return np.sum(np.sin(np.reshape(y, (3, 2), order="A")) * W6.reshape(3, 2))


def reshape_method_k_of_ufunc(x):
    y = np.sin(x)
    return np.sum(np.cos(y.reshape(6, order="A")) * W6)


def ravel_a_of_ufunc(x):
    return np.sum(np.sin(x).ravel("A") * W12)


def ravel_k_of_ufunc(x):
    return np.sum(np.exp(x).ravel("K") * W12)


def full_like_layout(x):
    y = x.copy()
    z = np.full_like(y, 2.0) * y
    return np.sum(z.ravel("K") * W6)


LAYOUT_CASES = [
    (ravel_k_of_copy, _fortran, (2, 3)), (ravel_k_of_plain_copy, _fortran, (2, 3)),
    (flatten_a_of_copy, _fortran, (2, 3)), (reshape_a_of_copy, _fortran, (2, 3)),
    (reshape_method_k_of_ufunc, _fortran, (2, 3)), (ravel_k_of_copy, _c_order, (2, 3)),
    (ravel_a_of_ufunc, _fortran_strided, (3, 4)), (ravel_k_of_ufunc, _fortran_strided, (3, 4)),
    (full_like_layout, _fortran, (2, 3)),
]


@pytest.mark.parametrize("f, build, shape", LAYOUT_CASES,
                         ids=[f"{f.__name__}-{b.__name__}" for f, b, _ in LAYOUT_CASES])
def test_layout_read_by_the_adjoint_is_the_arrays(f, build, shape):
    _check(f, build, np.random.default_rng(1).normal(size=shape))


# --- 4. empty axes and empty index lists ---------------------------------------------------------------------


def std_axis0(x):
    return np.sum(np.std(x, axis=0))


def var_axis1(x):
    return np.sum(np.var(x, axis=1))


def var_keepdims(x):
    return np.sum(np.var(x, axis=(0, 1), keepdims=True))


def take_nothing(x):
    return np.sum(np.take(x, [], axis=1)) + np.sum(x * 2.0)


def take_nothing_flat(x):
    return np.sum(np.take(x, [])) + np.sum(np.sin(x))


@pytest.mark.parametrize("f, shape", [(std_axis0, (0, 3)), (var_axis1, (3, 0)), (var_keepdims, (0, 2)),
                                      (std_axis0, (0, 0))])
def test_var_std_of_an_empty_input(f, shape):
    x = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, grad = ad.value_and_grad(f)(x)
        expected = f(x)
    assert np.array_equal(value, expected, equal_nan=True)
    assert grad.shape == shape and grad.dtype == x.dtype


def var_too_few(x):
    return np.var(x, ddof=1)


def std_too_few(x):
    return np.sum(np.std(x, axis=0, ddof=2))


@pytest.mark.parametrize("f, x", [(var_too_few, np.array([1.5])), (std_too_few, np.array([[1.0, 2.0], [3.0, 5.0]]))])
def test_var_std_without_degrees_of_freedom(f, x):
    # NumPy divides by max(N - ddof, 0) = 0: inf or nan, with a warning; the gradient follows (inf/nan), no raise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value, grad = ad.value_and_grad(f)(x)
        expected = f(x)
    assert np.array_equal(value, expected, equal_nan=True)
    assert grad.shape == x.shape and not np.isfinite(grad).any()


@pytest.mark.parametrize("f", [take_nothing, take_nothing_flat])
def test_take_of_no_indices(f):
    _check(f, _c_order, np.random.default_rng(2).normal(size=(2, 3)))


# --- 2. the compiler's own copies (index updates, copies before in-place calls) keep f's layout -----------------


def update_then_ravel_a(x):
    y = np.exp(x)[:, ::2]
    y[0, 0] = 1.0
    return np.sum(y.ravel("A") * W12)


def update_in_branch_then_flatten_a(x):
    y = np.exp(x)[:, ::2]
    if x[0, 0] > -10.0:
        y[1] = 0.0
    return np.sum(y.flatten("A") * W12)


def masked_update_then_ravel_k(x):
    y = np.sin(x)[:, ::2]
    y[y > 0.5] = 0.5
    return np.sum(y.ravel("K") * W12) + np.sum(y.ravel("A") * W12[::-1])


def sort_a_fortran_copy(x):
    c = np.copy(np.asfortranarray(np.arange(12.0).reshape(3, 4)[::-1] % 5))
    a = np.sum(c * x)
    c.sort(axis=0)
    return a + np.sum(c.ravel("K") * np.sin(x).ravel())


UPDATE_CASES = [
    (update_then_ravel_a, _fortran, (3, 8)), (update_then_ravel_a, _c_order, (3, 8)),
    (update_in_branch_then_flatten_a, _fortran, (3, 8)), (masked_update_then_ravel_k, _fortran, (3, 8)),
    (sort_a_fortran_copy, _c_order, (3, 4)),
]


@pytest.mark.parametrize("f, build, shape", UPDATE_CASES,
                         ids=[f"{f.__name__}-{b.__name__}" for f, b, _ in UPDATE_CASES])
def test_copies_keep_the_layout(f, build, shape):
    _check(f, build, np.random.default_rng(3).normal(size=shape))


# --- 3. `y op= v` keeps NumPy's in-place contract: y's dtype, shape and layout, NumPy's errors -----------------

V6 = np.arange(6.0).reshape(2, 3) / 10.0


def add_into_float32(x):
    y = np.zeros(3, dtype=np.float32)
    y += x
    return np.sum(y * 1.1)


def mul_into_float16(x):
    y = np.ones(3, dtype=np.float16)
    y *= x
    return np.sum(y.astype(np.float64) ** 2)


def sub_into_float32_copy(x):
    y = x.astype(np.float32)
    y -= x / 3.0
    return np.sum(y ** 2)


def div_into_slot_float32(x):
    y = np.ones((2, 3), dtype=np.float32)
    y[0] /= x
    return np.sum(np.sin(y))


def add_keeps_fortran(x):
    y = np.exp(x)
    y += V6
    return np.sum(y.ravel("K") * W6)


def mul_keeps_fortran_a(x):
    y = np.exp(x)
    y *= V6[::-1]
    return np.sum(y.reshape(-1, order="A") * W6)


def add_in_loop(x):
    s = 0.0
    acc = np.zeros(3)
    for i in range(x.shape[0]):
        s += x[i, 0] * x[i, 1]
        acc += np.sin(x[i])
        acc *= 0.5
    return s + np.sum(acc ** 2)


def add_into_zero_d(x):
    y = np.array(1.0)
    y += x[0, 0]
    y[...] = y * 2.0  # (a 0-d array still: NumPy's in-place result)
    return float(y)


def power_and_floor_ops(x):
    y = np.exp(x)
    y **= 2.0
    y -= 1.0
    y /= 3.0
    return np.sum(y)


def column_updates(x):
    y = np.zeros((3, 4), order="F")[:, ::-1]
    for j in range(4):
        y[:, j] += np.sin(x[:, j]) * (j + 1.0)
    y[1] *= x[0]
    return np.sum(y.ravel("K") * W12) + np.sum(y.ravel("A") * W12[::-1])


def strided_vector(x):
    y = np.exp(x)[::-2]
    y += x[:3]
    return np.sum(y * np.arange(1.0, 4.0))


@pytest.mark.parametrize("f, build, shape", [
    (column_updates, _c_order, (3, 4)), (strided_vector, _c_order, (6,)),
    (add_into_float32, _c_order, (3,)), (mul_into_float16, _c_order, (3,)), (sub_into_float32_copy, _c_order, (3,)),
    (div_into_slot_float32, _c_order, (3,)), (add_keeps_fortran, _fortran, (2, 3)),
    (mul_keeps_fortran_a, _fortran, (2, 3)), (add_in_loop, _c_order, (4, 3)), (add_into_zero_d, _c_order, (2, 3)),
    (power_and_floor_ops, _fortran, (2, 3)),
], ids=lambda v: getattr(v, "__name__", None))
def test_augmented_assignment_keeps_the_contract(f, build, shape):
    values = np.random.default_rng(4).uniform(0.5, 1.5, size=shape)
    # float16/32 targets: f rounds each result, finite differences see that rounding; the gradient is that
    # of f's computation with each cast's derivative 1, which the same program in float64 has.
    narrow = f in (add_into_float32, mul_into_float16, sub_into_float32_copy, div_into_slot_float32)
    _check(f, build, values, h=1e-3 if narrow else 1e-6, rtol=5e-2 if narrow else 1e-6)


def float32_result(x):
    y = np.zeros(3, dtype=np.float32)
    y += x
    return y


def test_float32_target_value_and_dtype():
    x = np.array([0.123456789, 0.987654321, 0.555555555])
    out, pullback = ad.vjp(float32_result, x)
    assert out.dtype == np.float32 and np.array_equal(out, float32_result(x))
    (g,) = pullback(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    assert np.array_equal(g, [1.0, 2.0, 3.0]) and g.dtype == x.dtype


def int_target(x):
    y = np.zeros(3, dtype=int)
    y += x
    return np.sum(y * 1.0)


def true_divide_int(x):
    y = np.arange(3)
    y /= 2
    return np.sum(y * x)


def grows(x):
    y = np.zeros(3)
    y += x
    return np.sum(y)


def grows_zero_d(x):
    y = np.array(1.0)
    y *= x[0, :1]
    return np.sum(y)


def grows_slot(x):
    y = np.zeros((2, 3))
    y[0:1] -= x
    return np.sum(y)


@pytest.mark.parametrize("f", [int_target, true_divide_int, grows, grows_zero_d, grows_slot])
def test_augmented_assignment_raises_as_numpy_does(f):
    x = np.ones((2, 3)) if f in (grows, grows_zero_d, grows_slot) else np.ones(3)
    with pytest.raises(Exception) as expected:
        f(x.copy())
    with pytest.raises(type(expected.value)) as got:
        ad.value_and_grad(f)(x)
    assert str(got.value) == str(expected.value)


def number_and_list_targets(x):
    s = 1.0
    s *= x[0]
    L = [x[1]]
    L += [x[2] * 2.0]
    k = 3
    k //= 2
    return s * L[0] * L[1] * k


def test_numbers_tuples_lists_keep_python_semantics():
    _check(number_and_list_targets, _c_order, np.array([0.5, 1.5, 2.5]))


# --- 2b. vjp of a function returning a container: one forward point, the caller's arguments unchanged ----------


def draws(x, rng):
    e = rng.normal(size=x.shape)
    return (x * e, np.sum(x ** 2))


def doubles_in_place(x):
    x *= 2.0
    return (x, np.sum(x ** 2))


def test_vjp_of_a_container_output_linearizes_at_the_draw_out_has():
    x, rng = np.array([0.5, 1.5]), np.random.default_rng(0)
    out, pullback = ad.vjp(draws, x, rng)
    first = np.random.default_rng(0)
    e0 = first.normal(size=2)
    np.testing.assert_array_equal(out[0], x * e0)
    for _ in range(2):  # (each call of the pullback: the same point)
        np.testing.assert_allclose(pullback((np.ones(2), 0.0))[0], e0, rtol=1e-12)
    assert rng.normal() == first.normal()  # the caller's generator advanced once, as by f


def test_vjp_of_a_container_output_leaves_the_arguments_alone():
    x = np.array([0.5, 1.5])
    out, pullback = ad.vjp(doubles_in_place, x)
    np.testing.assert_array_equal(x, [0.5, 1.5])
    np.testing.assert_array_equal(out[0], [1.0, 3.0])
    assert out[1] == 10.0
    np.testing.assert_allclose(pullback((np.zeros(2), 1.0))[0], 8.0 * x)  # d/dx sum((2x)^2)
    np.testing.assert_allclose(pullback((np.ones(2), 0.0))[0], [2.0, 2.0])


# --- 5. the user's own loop computes f's value: no factoring of `s = s + X * c` in the primal -----------------


def scaled_sum(x, c):
    s = 0.0
    for i in range(5):
        s = s + x[i] * c
    return s


def divided_sum(x, c):
    s = 0.0
    for i in range(2):
        s = s + x[i] / c
    return s


def test_primal_loop_value_is_fs_bit_for_bit():
    rng = np.random.default_rng(5)
    for _ in range(40):
        x, c = rng.normal(size=5), float(rng.normal())
        value, (gx, gc) = ad.value_and_grad(scaled_sum, wrt=(0, 1))(x, c)
        assert value == scaled_sum(x, c)
        np.testing.assert_allclose(gx, np.full(5, c), rtol=1e-12)
        np.testing.assert_allclose(gc, np.sum(x), rtol=1e-12)
    big = np.array([1e300, 1e300, -1e300, -1e300, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(ad.value_and_grad(scaled_sum, wrt=1)(big, 1e10)[0])
        value, _ = ad.value_and_grad(divided_sum, wrt=1)(np.array([0.0, 1.0]), 0.0)
        assert np.isnan(value) and np.isnan(divided_sum(np.array([0.0, 1.0]), 0.0))


# --- 5b/5c. rules accurate where f's value is: cauchy far in the tails, sinc near 0 ----------------------------


def sinc_sum(x):
    return np.sum(np.sinc(x))


def test_sinc_slope_near_zero_is_its_series():
    x = np.array([3e-2, 1e-2, 1e-3, 1e-5, 1e-7, 1e-8, 3e-9, 0.0, -2e-6])
    t = np.pi * x
    # d/dx sin(t)/t = pi (t cos t - sin t) / t^2, summed exactly as its series -pi t/3 (1 - t^2/10 + t^4/280 - ...).
    expected = np.pi * t * (-1 / 3 + t ** 2 / 30 - t ** 4 / 840 + t ** 6 / 45360 - t ** 8 / 3991680)
    np.testing.assert_allclose(ad.grad(sinc_sum)(x), expected, rtol=1e-12, atol=0)
    g32 = ad.grad(sinc_sum)(x.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, expected, rtol=1e-5, atol=0)
    t = np.pi * 0.7  # (away from 0: the closed form)
    np.testing.assert_allclose(ad.grad(sinc_sum)(np.array([0.7])), np.pi * (t * np.cos(t) - np.sin(t)) / t ** 2)


def test_cauchy_logpdf_gradient_far_in_the_tails():
    stats = pytest.importorskip("scipy.stats")

    def far(x, loc, scale):
        return np.sum(stats.cauchy.logpdf(x, loc, scale))

    x, loc, scale = np.array([40.0, -0.5, -9.0]), 0.0, 1e-160
    gx, gloc, gscale = ad.grad(far, wrt=(0, 1, 2))(x, loc, scale)
    np.testing.assert_allclose(gx, -2.0 / x, rtol=1e-12)  # d/dx -log(1 + z^2) = -2z/(1 + z^2)/scale -> -2/(x - loc)
    np.testing.assert_allclose(gloc, np.sum(2.0 / x), rtol=1e-12)
    np.testing.assert_allclose(gscale, 3 / scale, rtol=1e-12)  # (-1 + 2 z^2 / (1 + z^2)) / scale -> 1/scale each

    def density(x):
        return np.sum(stats.cauchy.pdf(x, 0.5, 2.0))

    _check(density, _c_order, np.array([-3.0, 0.5, 7.0]))


# --- 6 (m3). a dtype argument holds no memory: the common prologue `x = np.asarray(x, dtype=float); x /= ...` ---


def normalized(x):
    x = np.asarray(x, dtype=float)
    x /= x.sum()
    return np.sum(x ** 2)


def centered(x):
    x = x.astype(np.float64)
    x -= x.mean()
    return np.sum(x ** 4)


@pytest.mark.parametrize("f", [normalized, centered])
def test_prologue_with_a_dtype_global(f):
    _check(f, _c_order, np.array([0.3, 0.7, 1.2]))


# --- 6 (m9), 6b. messages and buffers: a tuple returned to grad; a pullback's result apart from the cotangent ---


def returns_a_pair(x):
    return (np.sum(x), 2)


def test_grad_of_a_function_returning_a_tuple_says_so():
    with pytest.raises(ad.NonScalarOutputError, match="returned a tuple"):
        ad.grad(returns_a_pair)(np.ones(2))


def times_one(x):
    return x * 1.0


def test_pullback_result_does_not_share_the_cotangent():
    x = np.array([0.5, 1.5])
    _, pullback = ad.vjp(times_one, x)
    ct = np.array([1.0, 2.0])
    (g,) = pullback(ct)
    g += 1.0
    np.testing.assert_array_equal(ct, [1.0, 2.0])
    np.testing.assert_array_equal(g, [2.0, 3.0])


def draws_global(x):
    e = np.random.normal(size=x.shape)
    return (x * e, np.sum(x ** 2))


def test_vjp_of_a_container_output_with_the_global_generator():
    x = np.array([0.5, 1.5])
    np.random.seed(0)
    e0 = np.random.normal(size=2)
    after = np.random.normal()
    np.random.seed(0)
    out, pullback = ad.vjp(draws_global, x)
    np.testing.assert_array_equal(out[0], x * e0)
    for _ in range(2):
        np.testing.assert_allclose(pullback((np.ones(2), 0.0))[0], e0, rtol=1e-12)
    assert np.random.normal() == after  # advanced once, by f's run


# --- a vector read as Python floats (scalar code) where f's items are NumPy scalars: type tests see it ---------


def floating_items(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * (2.0 if isinstance(x[i] * 1.0, np.floating) else 1.0)
    return s


def floating_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i]
    return s * (2.0 if isinstance(s, np.floating) else 1.0)


@pytest.mark.parametrize("f", [floating_items, floating_sum])
def test_type_tests_see_numpy_scalars(f):
    _check(f, _c_order, np.array([0.5, 1.5, -0.25]))


def max_of_three(x):
    return max(x[0], x[1], x[2])


def test_builtin_max_of_three_says_what_to_write():
    with pytest.raises(ad.NoAdjointRuleError, match=r"test_review15_fixes.py:\d+.*two values.*np.max"):
        ad.grad(max_of_three)(np.array([0.5, 1.5, 2.5]))


def scalar_accumulation(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * w[i]
        s *= 0.99
    return s * s


def zero_d_accumulation(x):
    s = np.zeros((), dtype=np.float32)
    for i in range(x.shape[0]):
        s += x[i]
    return float(s) * 2.0


def test_numbers_need_no_in_place_contract():
    x, w = np.array([0.5, 1.5, -0.25]), np.array([2.0, -1.0, 0.5])
    source = ad.grad(scalar_accumulation).source
    assert "in_place_result" not in source.split("_general")[0].split("has_ranks")[1]  # (the scalar version)
    value, (gx, gw) = ad.value_and_grad(scalar_accumulation, wrt=(0, 1))(x, w)
    assert value == scalar_accumulation(x, w)
    s, ds = 0.0, np.zeros(3)  # d s_final / dx_i = w_i 0.99^(n - i)
    for i in range(3):
        s = (s + x[i] * w[i]) * 0.99
    np.testing.assert_allclose(gx, 2 * s * w * 0.99 ** np.arange(3, 0, -1), rtol=1e-12)
    np.testing.assert_allclose(gw, 2 * s * x * 0.99 ** np.arange(3, 0, -1), rtol=1e-12)
    # A 0-d array keeps its contract: float32 rounding at each step, as f.
    value = ad.value_and_grad(zero_d_accumulation)(np.array([0.1, 0.2, 0.3]))[0]
    assert value == zero_d_accumulation(np.array([0.1, 0.2, 0.3]))


def pair_identity(p):
    return (p["a"] * 1.0, np.sum(p["b"]))


def test_container_pullback_result_does_not_share_the_cotangent():
    p = {"a": np.array([0.5, 1.5]), "b": np.array([1.0, 2.0])}
    _, pullback = ad.vjp(pair_identity, p)
    ct = (np.array([1.0, 2.0]), 1.0)
    (g,) = pullback(ct)
    g["a"] += 1.0
    np.testing.assert_array_equal(ct[0], [1.0, 2.0])
    np.testing.assert_array_equal(g["a"], [2.0, 3.0])
    np.testing.assert_array_equal(g["b"], [1.0, 1.0])
