"""Closures and functions as values (issue 12, item 5): nested `def` and `lambda` called where they are
defined, closures over locals (read when the call runs), `functools.partial`, functions passed to a
callee; each gradient against finite differences and autograd. Escaping or rebound ones are refused
with a located error."""

from __future__ import annotations

import autograd
import inline_closure_programs as programs
import numpy as np
import pytest
from gradcheck import check_grad
from inline_reference import autograd_copy

import adtransform as ad

X = np.array([0.3, -0.4, 0.9])
PROGRAMS_AG = autograd_copy(programs)
CASES = ["late_binding", "partials", "passed_to_a_callee", "calls_a_closure", "named_again"]


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences_and_autograd(name):
    got = check_grad(getattr(programs, name), (X,))
    np.testing.assert_allclose(got, autograd.grad(getattr(PROGRAMS_AG, name))(X), rtol=1e-10)


def returns_it(x):
    def g(v):
        return v
    return g


def stores_it(x):
    def g(v):
        return v
    fs = [g]
    return np.sum(fs[0](x))


def rebinds_in_branches(x):
    if np.sum(x) > 0:
        g = lambda v: v
    else:
        g = lambda v: v * 2.0
    return np.sum(g(x))


def recursive_nested(x):
    def fact(v):
        return fact(v)
    return np.sum(fact(x))


def default_reads_a_local(x):
    k = 2.0

    def g(v, k=k):
        return v * k
    return np.sum(g(x))


REFUSED = [(returns_it, "nested function `g` used as a value", 3),
           (stores_it, "nested function `g` used as a value", 3),
           (rebinds_in_branches, "`g` defined twice", 4),
           (recursive_nested, "call of `fact`", 2),
           (default_reads_a_local, "a default of a nested function that reads a local variable", 3)]


@pytest.mark.parametrize(("fn", "construct", "line"), REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_escaping_rebound_or_recursive_nested_functions_are_refused_where_they_are(fn, construct, line):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)(X)
    assert info.value.construct == construct
    assert info.value.location.line == fn.__code__.co_firstlineno + line


def takes_a_function(x, act=np.tanh):
    return np.sum(act(x))


def test_a_function_passed_as_an_argument_is_called_as_that_function():
    # (tests/test_calls_function_args.py has the rest)
    np.testing.assert_allclose(ad.grad(takes_a_function)(X), 1 - np.tanh(X) ** 2, rtol=1e-12)
