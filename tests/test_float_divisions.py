"""Divisions and powers of Python numbers in the backward sweep: where f returns (inf or nan, as
NumPy gives), its gradient returns what NumPy gives for the derivative, never a ZeroDivisionError;
where the user's own Python arithmetic raises, the gradient raises too. Each case is checked in the
scalar version (Python floats, the fast path falling back to the general version) and in the general
version (arrays, which fail the scalar check), against analytic values."""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform import runtime, specialize
from adtransform.analysis.number_roots import python_whenever
from adtransform.ir.nodes import Op, walk
from adtransform.pipeline import primal_ir

INF = np.inf


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def loss_over_n(x, n):
    return np.sum(x ** 2) + np.sum(x) / n


@pytest.mark.parametrize("n", [0, 0.0, -0.0, False], ids=["int", "float", "negzero", "bool"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_numerator_over_a_python_zero(n, dtype):
    x = np.array([1.0, -2.0, 0.5], dtype)
    expected = 2 * x + np.float64(1.0) / np.float64(n)
    got = ad.grad(loss_over_n)(x, n)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected.astype(dtype))
    value, again = ad.value_and_grad(loss_over_n)(x, n)
    np.testing.assert_array_equal(again, got)
    assert value == loss_over_n(x, n)
    _, pullback = ad.vjp(loss_over_n, x, n)
    np.testing.assert_array_equal(pullback(1.0)[0], got)


@pytest.mark.parametrize("n", [3, 0.25, -2])
def test_numpy_numerator_over_a_nonzero_python_number(n):
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(ad.grad(loss_over_n)(x, n), 2 * x + 1.0 / n)
    check_grad(loss_over_n, (x, n))


def sqrt_of_max(x):
    return math.sqrt(float(np.max(x, initial=0.0))) + np.sum(np.sin(x))


@pytest.mark.parametrize("x", [-0.0885, np.array([-0.0885, -1.0]), np.array([[-0.3], [-2.0]])],
                         ids=["float", "vector", "matrix"])
def test_math_sqrt_of_zero_selected_away(x):
    # max(x, initial=0) is the initial 0: x gets nothing from sqrt's infinite slope, only cos(x).
    np.testing.assert_allclose(ad.grad(sqrt_of_max)(x), np.cos(x))


@pytest.mark.parametrize("x", [0.3, np.array([0.3, -1.0])], ids=["float", "vector"])
def test_math_sqrt_of_max_inside(x):
    top = np.max(x)
    expected = np.cos(x) + np.where(np.asarray(x) == top, 0.5 / np.sqrt(top), 0.0)
    np.testing.assert_allclose(ad.grad(sqrt_of_max)(x), expected)


def msqrt(x):
    return math.sqrt(x)


def msqrt_times_zero(x):
    return math.sqrt(x) * 0.0 + x


def mpow_half(x):
    return math.pow(x, 0.5)


def masin(x):
    return math.asin(x)


def macosh(x):
    return math.acosh(x)


def matanh_free(x):
    return math.atan(x) * 2.0


def quotient(x, y):
    return x / y


def power_half(x):
    return x ** 0.5


# (function, arguments, wrt, expected gradient): NumPy's value of the analytic derivative there
EDGES = [
    (msqrt, (0.0,), 0, INF),
    (msqrt_times_zero, (0.0,), 0, np.nan),  # 0 * inf, as NumPy computes it
    (mpow_half, (0.0,), 0, INF),
    (masin, (1.0,), 0, INF),
    (macosh, (1.0,), 0, INF),
    (matanh_free, (1e200,), 0, 0.0),
    (quotient, (np.float64(1.0), 0.0), 0, INF),
    (quotient, (np.float64(1.0), 0), 0, INF),
    (quotient, (np.float64(-1.0), 0.0), (0, 1), (INF, INF)),  # 1 / y, -x / y ** 2
    (quotient, (np.float64(1.0), 0.0), 1, -INF),
    (power_half, (0.0,), 0, INF),
]


@pytest.mark.parametrize("f, args, wrt, expected", EDGES,
                         ids=[f"{f.__name__}-{i}" for i, (f, *_) in enumerate(EDGES)])
def test_python_number_edges_give_numpys_value(f, args, wrt, expected):
    got = ad.grad(f, wrt=wrt)(*args)
    np.testing.assert_array_equal(np.float64(got), np.float64(expected))


@pytest.mark.parametrize("f, x", [(msqrt, 0.49), (mpow_half, 0.49), (masin, 0.3), (macosh, 1.7),
                                  (matanh_free, 3.0), (power_half, 2.0)],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_inside_the_domain_the_gradient_is_right(f, x):
    check_grad(f, (x,))


def reciprocal(x):
    return 1 / x


def python_quotient(x, y):
    return x / y + np.sum(np.sin(x))


def test_the_users_own_python_arithmetic_still_raises():
    with pytest.raises(ZeroDivisionError):
        ad.grad(reciprocal)(0.0)
    with pytest.raises(ZeroDivisionError):
        ad.grad(python_quotient)(1.0, 0.0)
    with pytest.raises(ValueError):
        ad.grad(msqrt)(-1.0)  # math.sqrt's own domain error, as f raises it


def over_loop_index(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x) / i
    return s


def over_n_in_loop(x, n):
    s = 0.0
    for _ in range(3):
        s = s + np.sum(x) / n  # the backward loop's g / n, summed into one division after it
    return s


def test_divisions_in_loops():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(ad.grad(over_loop_index)(x), [INF, INF])
    np.testing.assert_array_equal(ad.grad(over_n_in_loop)(x, 0), [INF, INF])
    np.testing.assert_allclose(ad.grad(over_n_in_loop)(x, 4), [0.75, 0.75])


def loss_printing(x, n):
    print("loss")
    return np.sum(x) / n


def test_function_run_for_its_effect_runs_once(capsys):
    np.testing.assert_array_equal(ad.grad(loss_printing)(np.array([1.0, 2.0]), 0), [INF, INF])
    assert capsys.readouterr().out.count("loss") == 1


def swapped(x, d):
    p = x
    s = 0.0
    for i in range(2):
        t = d[i] * x
        s = s + p / t
        p = t  # the next iteration's numerator is this one's NumPy `t`
    return s


def test_a_carried_value_is_not_this_iterations():
    d = [np.float64(1.0), 0.0]  # the second iteration divides a NumPy scalar by a Python zero
    expected = ad.grad(swapped)(np.float64(2.0), d)  # all NumPy: NumPy's own value
    np.testing.assert_array_equal(np.float64(ad.grad(swapped)(2.0, d)), np.float64(expected))
    check_grad(swapped, (2.0, [1.5, 0.5]))


def newton(a):
    x = a
    while np.abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def _divisions(f):
    primal, _ = primal_ir(f)
    whenever = python_whenever(primal)
    return [whenever(s.args[0], s.args[1]) for s in walk(primal.body)
            if isinstance(s, Op) and s.callee.key is operator.truediv]


def test_which_user_divisions_raised_first():
    assert _divisions(newton) == [True]  # `x` is a Python number only where `a` is
    assert _divisions(reciprocal) == [True]
    assert _divisions(loss_over_n) == [False]  # np.sum's result over a Python `n`
    assert _divisions(quotient) == [False]
    assert _divisions(swapped) == [False]


def test_newton_keeps_its_fast_path_and_gradient():
    g = ad.grad(newton)
    assert "try:" not in ad.source(g)
    assert g(2.0) == pytest.approx(0.5 / math.sqrt(2.0))


def test_the_general_version_computes_as_numpy():
    from test_specialize import _derive  # (the derivative before its fallback is planned)
    adjoint, ctx = _derive(msqrt, versioned=False)
    plan = specialize.fallback(adjoint, "df", ctx.namer, versioned=False, general=lambda: "numpy")
    assert plan is None  # nothing left to fall back from
    called = {s.callee.key for s in walk(adjoint.body) if isinstance(s, Op)}
    assert runtime.divide_as_numpy in called and operator.truediv not in called


@pytest.mark.parametrize("helper, op", [(runtime.divide_as_numpy, operator.truediv),
                                        (runtime.floor_divide_as_numpy, operator.floordiv),
                                        (runtime.mod_as_numpy, operator.mod),
                                        (runtime.power_as_numpy, operator.pow)])
def test_helpers_match_numpy_and_keep_dtypes(helper, op):
    for a, b in [(1.0, 0.0), (-1.0, 0), (0, 0.0), (3, 2), (2.5, -1.5), (0.0, -0.5), (1e200, 2.0)]:
        expected = op(np.float64(a), np.float64(b))
        np.testing.assert_array_equal(np.float64(helper(a, b)), expected)
    if op is not operator.mod:
        assert helper(3, 2) == op(3, 2) and type(helper(3, 2)) is type(op(3, 2))
    half = np.array([1.0, 2.0], np.float32)
    assert helper(half, 2.0).dtype == np.float32 and helper(2.0, half).dtype == np.float32


def over_zero_constant(x):
    return np.sum(x) / 0


def over_difference(x, n):
    return np.sum(x) / (n - n)


def log_of_python_float(x):
    return np.log(float(np.sum(x)))


def quotients_by_n(x, n):
    return np.sum(x) // n + np.sum(x) % n + np.sum(x) / n


def branch_quotient(x, k):
    s = np.sum(x)
    if k > 0:
        return s / k
    return s / (k * 0)


@pytest.mark.parametrize("f, args, expected", [
    (over_zero_constant, (np.array([1.0, 2.0]),), [INF, INF]),
    (over_difference, (np.array([1.0]), 3.0), [INF]),
    (log_of_python_float, (np.array([0.0]),), [INF]),
    (quotients_by_n, (np.array([1.0]), 0), [INF]),  # // carries nothing, % passes 1, / gives inf
    (branch_quotient, (np.array([1.0]), -1), [INF]),
    (branch_quotient, (np.array([1.0]), 4), [0.25]),
], ids=["constant", "difference", "log", "floordiv_mod", "branch_zero", "branch"])
def test_more_python_divisors(f, args, expected):
    np.testing.assert_array_equal(ad.grad(f)(*args), expected)


def heat(k, mass):
    T = 30.0
    for _ in range(3):
        power = k * (T - 5.0)
        T = T - power / mass
    return T


def test_numpy_numerator_over_a_python_zero_in_a_loop():
    # NumPy's own value: the same call with a NumPy zero
    expected = ad.grad(heat, wrt=(0, 1))(np.float64(0.4), np.float64(0.0))
    got = ad.grad(heat, wrt=(0, 1))(np.float64(0.4), 0.0)
    np.testing.assert_array_equal(np.float64(got), np.float64(expected))
    check_grad(heat, (0.4, 2.0), wrt=(0, 1))


def mean_cross_entropy(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def test_an_empty_batch_divides_by_a_python_zero():
    z = np.zeros((0, 3))
    assert np.isnan(mean_cross_entropy(z, z))  # NumPy's 0.0 / 0
    got = ad.grad(mean_cross_entropy)(z, z)
    assert got.shape == (0, 3) and got.dtype == np.float64
    z, Y = np.array([[0.2, -1.0, 0.5]]), np.array([[0.0, 1.0, 0.0]])
    check_grad(mean_cross_entropy, (z, Y))


def _expression(rng, depth, names):
    if depth == 0 or rng.random() < 0.25:
        return rng.choice([*names, "0.0", "1.0", "2.0"])
    a, b = _expression(rng, depth - 1, names), _expression(rng, depth - 1, names)
    return rng.choice([f"({a} + {b})", f"({a} - {b})", f"({a} * {b})", f"({a} / {b})", f"math.sqrt(abs({a}))",
                       f"np.sqrt(abs({a}))", f"({a} ** 0.5 if {a} > 0 else {b})", f"np.log(abs({a}) + 1.0)"])


def _random_programs(rng, count):
    text = ["import math", "import numpy as np"]
    for i in range(count):
        body, names = [], ["p", "q"]
        for j in range(rng.randrange(1, 4)):
            body.append(f"    v{j} = {_expression(rng, 3, names)}")
            names.append(f"v{j}")
        if rng.random() < 0.4:
            body.append(f"    for i in range(2):\n        v0 = v0 + {_expression(rng, 2, [*names, 'i'])}")
        text.append(f"def f{i}(p, q):\n" + "\n".join(body) + f"\n    return {_expression(rng, 2, names)}\n")
    return "\n\n".join(text)


@pytest.mark.parametrize("seed", [6, 7])
def test_random_programs_give_numpys_gradient(seed, tmp_path, monkeypatch):
    """Python and NumPy zeros mixed: where f returns, the gradient is the one the same call with
    NumPy floats gets (which computes every division as NumPy does), never an exception."""
    import importlib
    import random
    (tmp_path / f"float_programs_{seed}.py").write_text(_random_programs(random.Random(seed), 40))
    monkeypatch.syspath_prepend(str(tmp_path))
    programs = importlib.import_module(f"float_programs_{seed}")
    compared = 0
    for i in range(40):
        f = getattr(programs, f"f{i}")
        for p, q in [(0.0, np.float64(0.0)), (0.0, np.float64(1.0)), (1.0, np.float64(0.0)), (0.0, 0.0)]:
            try:
                f(p, q)
            except ZeroDivisionError:
                continue  # the user's own Python arithmetic: the gradient raises too
            expected = ad.grad(f, wrt=(0, 1))(np.float64(p), np.float64(q))
            got = ad.grad(f, wrt=(0, 1))(p, q)
            np.testing.assert_array_equal(np.float64(got), np.float64(expected), err_msg=f"f{i}({p}, {q})")
            compared += 1
    assert compared > 60
