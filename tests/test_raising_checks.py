"""Where f raises, its gradient raises too: the user's unused operations that may raise are kept
(optimize/validations.py), and unpacking checks the number of items as Python does
(canonicalize/unpacking.py, optimize/unpack_checks.py). Where f returns, the gradients are unchanged."""

import math

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad

NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
PD = np.array([[2.0, 0.5], [0.5, 1.0]])


def cholesky_check(x):
    _ = np.linalg.cholesky(x)  # raises LinAlgError unless x is positive definite
    return np.sum(x ** 2)


def unused_inverse(x):
    c = np.linalg.inv(x)
    return np.sum(x ** 2)


def unused_sqrt(x):
    t = math.sqrt(x[0, 0])
    return np.sum(x ** 2)


def unused_reshape(x):
    y = x.reshape(5)
    return np.sum(x ** 2)


def unused_index(x):
    z = x[5]
    return np.sum(x ** 2)


def _validate(a):
    L = np.linalg.cholesky(a)
    return L


def helper_check(x):
    _validate(x)
    return np.sum(x ** 2)


def helper_check_assigned(x):
    L = _validate(x)
    return np.sum(x * x)


def in_a_loop(x):
    s = 0.0
    for i in range(2):
        _ = np.linalg.cholesky(x * (i + 1.0))
        s = s + np.sum(x) * i
    return s


def in_a_branch(x, check):
    if check:
        _ = np.linalg.cholesky(x)
    return np.sum(np.sin(x))


RAISING = [
    (cholesky_check, NOT_PD, np.linalg.LinAlgError),
    (unused_inverse, SINGULAR, np.linalg.LinAlgError),
    (unused_sqrt, -PD, ValueError),
    (unused_reshape, PD, ValueError),
    (unused_index, PD, IndexError),
    (helper_check, NOT_PD, np.linalg.LinAlgError),
    (helper_check_assigned, NOT_PD, np.linalg.LinAlgError),
    (in_a_loop, NOT_PD, np.linalg.LinAlgError),
]


@pytest.mark.parametrize("f, x, error", RAISING, ids=[r[0].__name__ for r in RAISING])
def test_the_gradient_raises_where_f_raises(f, x, error):
    with pytest.raises(error):
        f(x.copy())
    for api in (ad.grad, ad.value_and_grad):
        with pytest.raises(error):
            api(f)(x.copy())


@pytest.mark.parametrize("f", [cholesky_check, unused_inverse, unused_sqrt, helper_check, helper_check_assigned,
                               in_a_loop], ids=lambda f: f.__name__)
def test_where_f_returns_the_gradient_is_right(f):
    np.testing.assert_allclose(ad.grad(f)(PD.copy()), numeric_grad(f, [PD.copy()], eps=1e-5), rtol=1e-6, atol=1e-8)


def test_a_check_in_a_branch_runs_only_there():
    g = ad.grad(in_a_branch)
    np.testing.assert_allclose(g(NOT_PD.copy(), False), np.cos(NOT_PD), rtol=1e-12)
    with pytest.raises(np.linalg.LinAlgError):
        g(NOT_PD.copy(), True)


def unpack_two(x):
    a, b = x
    return a * b


def unpack_four(x):
    a, b, c, d = x
    return a * b


def unpack_rows(x):
    a, b = x.reshape(-1, 1)
    return np.sum(a * b)


def unpack_in_a_loop(x):
    for a, b in [x]:
        return a * b
    return 0.0


@pytest.mark.parametrize("f, message", [(unpack_two, "too many values to unpack"),
                                        (unpack_four, "not enough values to unpack"),
                                        (unpack_rows, "too many values to unpack"),
                                        (unpack_in_a_loop, "too many values to unpack")],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_unpacking_an_array_of_another_length_raises_as_python(f, message):
    x = np.array([0.5, 1.5, 2.5])
    with pytest.raises(ValueError, match=message):
        f(x)
    with pytest.raises(ValueError, match=message):
        ad.grad(f)(x)


@pytest.mark.parametrize("f, n", [(unpack_two, 2), (unpack_rows, 2), (unpack_in_a_loop, 2)],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_unpacking_of_the_right_length_is_differentiated(f, n):
    x = np.linspace(0.5, 1.5, n)
    np.testing.assert_allclose(ad.grad(f)(x), numeric_grad(f, [x], eps=1e-5), rtol=1e-6, atol=1e-9)


def slogdet_unpacked(S):
    _, logdet = np.linalg.slogdet(S)
    return logdet


def test_a_declared_tuple_result_needs_no_length_check():
    g = ad.grad(slogdet_unpacked)
    np.testing.assert_allclose(g(PD.copy()), np.linalg.inv(PD).T, rtol=1e-10)
    assert "unpack_check" not in g.source


def test_the_check_of_an_unknown_length_is_in_the_source():
    g = ad.grad(unpack_two)
    g(np.array([1.0, 2.0]))
    assert "unpack_check(x, 2, False)" in g.source


def log_of_a_number(x, c):
    return np.sum(x ** 2) + math.log(c)


def log_kept_in_a_name(x, c):
    k = math.log(c)
    return np.sum(x ** 2) + k


def python_division(x, n):
    return np.sum(x ** 2) + 1.0 / n


@pytest.mark.parametrize("f, c, error", [(log_of_a_number, -1.0, ValueError), (log_kept_in_a_name, -1.0, ValueError),
                                         (python_division, 0.0, ZeroDivisionError)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_what_only_the_value_reads_still_raises_in_a_gradient(f, c, error):
    x = np.array([1.0, 2.0])
    with pytest.raises(error):
        f(x, c)
    for api in (ad.grad, ad.value_and_grad):
        with pytest.raises(error):
            api(f)(x, c)
    np.testing.assert_allclose(ad.grad(f)(x, 2.0), 2 * x, rtol=1e-12)


W34 = np.ones((3, 4))


def dead_code_that_cannot_raise(x):
    t0 = np.tanh(x)
    t1 = x / (np.abs(t0) + 1.0)
    t2 = np.exp(x) * 3.0
    t3 = np.square(t0)
    t4 = np.sin(x) + np.cos(x)
    return np.sum(np.mean(t0, axis=1, keepdims=True) * W34)


def dead_code_that_may_raise(x, y):
    t = x + y
    return np.sum(np.tanh(x))


def test_the_users_dead_code_that_cannot_raise_is_not_run():
    g = ad.grad(dead_code_that_cannot_raise)
    x = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    np.testing.assert_allclose(g(x), numeric_grad(dead_code_that_cannot_raise, [x], eps=1e-5), rtol=1e-6)
    for gone in ("np.exp(", "np.square(", "np.sin(", "np.cos(", "np.abs("):
        assert gone not in g.source


def test_the_users_dead_code_that_may_raise_runs():
    g = ad.grad(dead_code_that_may_raise)
    with pytest.raises(ValueError):
        g(np.ones(3), np.ones(4))
    np.testing.assert_allclose(g(np.ones(3), np.ones(3)), 1 - np.tanh(1.0) ** 2, rtol=1e-12)


def sum_of_both(x, y):
    return np.sum(x + y)


def same_view(x, y):
    return np.sum(x * 1.0) + np.sum(y * 1.0)


@pytest.mark.parametrize("f", [sum_of_both, same_view], ids=lambda f: f.__name__)
def test_gradients_returned_together_share_no_memory(f):
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 2.5, -0.5])
    for args in ((x, y), (0.5, 1.5)):
        gx, gy = ad.grad(f, wrt=(0, 1))(*args)
        if isinstance(gx, np.ndarray):
            assert not np.shares_memory(gx, gy)
            gx *= 0.1  # an optimiser scaling one gradient in place leaves the other
            np.testing.assert_allclose(gy, np.ones(3))
