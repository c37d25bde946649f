"""break, continue, early return, conditional expressions, and/or, chained comparisons: gradients vs FD."""

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad


def early_return(x):
    if x > 2.0:
        return x * x
    if x < -1.0:
        return np.sin(x)
    y = x * 3.0
    return y + 1.0


def break_out(x, w):
    s = 0.0
    for i in range(10):
        s = s + np.sum(np.tanh(x * w * (i + 1)))
        if s > 1.5:
            break
    return s


def continue_on_odd(x):
    s = x * 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        s = s + np.cos(x * i)
    return np.sum(s)


def return_inside_loop(x):
    for i in range(5):
        x = x * 1.5
        if np.sum(x) > 4.0:
            return np.sum(x * x)
    return np.sum(x)


def while_with_break(x):
    k = 0
    while True:
        x = np.sin(x) + 0.5 * x
        k = k + 1
        if k >= 3:
            break
    return np.sum(x)


def ternary_and_boolops(x, y):
    a = x * 2.0 if x > 0 else -x
    b = y if (x > -1.0 and y > 0) or x > 3.0 else y * y
    c = a * b if -2.0 < x < 2.0 else a + b
    return c


@pytest.mark.parametrize("x", [3.0, 0.5, -2.0])
def test_early_returns(x):
    check_grad(early_return, (x,))


@pytest.mark.parametrize("scale", [0.05, 1.0])
def test_break(scale):
    check_grad(break_out, (scale * np.array([0.3, 0.8]), np.array([1.0, 0.5])), wrt=(0, 1), eps=1e-6)


def test_continue():
    check_grad(continue_on_odd, (np.array([0.3, -0.8]),))


@pytest.mark.parametrize("start", [np.array([0.5, 0.6]), np.array([2.0, 3.0])])
def test_return_inside_a_loop(start):
    check_grad(return_inside_loop, (start,))


def test_while_true_with_break():
    check_grad(while_with_break, (np.array([0.3, -1.2]),))


@pytest.mark.parametrize("x, y", [(0.5, 0.7), (-0.5, -0.7), (4.0, -0.2), (-3.0, 0.4), (1.5, 2.0)])
def test_conditional_expressions_and_boolean_operators(x, y):
    check_grad(ternary_and_boolops, (x, y), wrt=(0, 1))


def never_returns_a_value(x):
    y = x * 2.0


def sometimes_returns_none(x):
    if x > 0:
        return x * 2.0


def test_a_function_without_a_value_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="missing `return`"):
        ad.grad(never_returns_a_value)


def test_a_path_that_returns_none_is_an_error_at_call_time():
    assert ad.grad(sometimes_returns_none)(1.0) == pytest.approx(2.0)
    with pytest.raises(ad.NonScalarOutputError, match="returned None"):
        ad.grad(sometimes_returns_none)(-1.0)
