"""Programs with nested functions, lambdas and partials, for tests/test_inline_closures.py."""

import functools

import numpy as np


def apply(f, v):
    return f(v) * 2.0


def scale(v, k):
    return v * k


half = functools.partial(scale, k=0.5)


def make_scaled(fn, k):
    def scaled(v):
        return fn(v) * k
    return scaled


scaled_sin = make_scaled(np.sin, 2.0)


def late_binding(x):
    a = 3.0

    def g(v):
        return v * a + np.sin(v)

    a = 4.0  # read when g is called, as Python does
    sq = lambda v: v * v
    return np.sum(g(x) + sq(x) + (lambda u: u * 3.0)(x))


def partials(x):
    p = functools.partial(scale, k=3.0)
    q = functools.partial(scale, x)
    return np.sum(p(x) + q(2.0) + functools.partial(scale, k=x)(x) + half(x))


def passed_to_a_callee(x):
    def g(v):
        return np.exp(v)
    return np.sum(apply(g, x) + apply(lambda v: v * x, x) + apply(np.tanh, x))


def closure_in_a_callee(v):
    total = 0.0
    for i in range(3):
        def term(u):
            return u * i + np.cos(u)  # noqa: B023  (called in this iteration: i is its value)
        total = total + np.sum(term(v))
    return total


def calls_a_closure(x):
    return closure_in_a_callee(x * 2.0) + np.sum(scaled_sin(x))


def named_again(x):
    act = scale  # another name for a function of the module: inlined where called
    return np.sum(act(x, 2.0) + act(x, k=3.0))
