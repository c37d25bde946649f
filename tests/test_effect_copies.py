"""Copies before calls that change an argument in place (issue 10, class 4): made only where needed.

canonicalize/effects.py rebinds a name a call changes to a copy (`c = writable_copy(c); c.sort()`);
optimize/in_place.py drops the copy where the old value is dead (the same reasoning that writes
`y[i] = v` in place), and values proven immutable get none. Each gradient is compared with central
finite differences (gradcheck.check_grad, which also checks the caller's arguments never change).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform import pipeline, runtime
from adtransform.errors import NoAdjointRuleError, UnsupportedSyntaxError
from adtransform.ir.nodes import Loop, Op, walk

# --- lists built in a loop -----------------------------------------------------------------------------


def stacked_constants(x):
    L = []
    for i in range(x.shape[0]):
        L.append(i * 0.5 + 1.0)
    return np.sum(x * np.stack(L)) + np.sum(np.tanh(x) * np.array(L)) + sum(L) * np.sum(x ** 2)


def popped(x):
    L = [1.0, 2.0, 3.0]
    for i in range(2):
        L.append(L.pop() * 2.0)
    v = L.pop()
    return np.sum(x) * v + len(L) * np.sum(x ** 2)


def indices_collected(x):
    idx = []
    for i in range(x.shape[0]):
        if i % 2 == 0:
            idx.append(i)
    return np.sum(x[np.array(idx)] ** 3)


def list_read_every_iteration(x):
    L = [0.0]
    s = 0.0
    for i in range(4):
        s = s + np.sum(x * L[-1])   # the list's current value, read before each append
        L.append(L[-1] + 1.0)
    return s + np.sum(x * np.array(L)[1:])


@pytest.mark.parametrize("f", [stacked_constants, popped, indices_collected, list_read_every_iteration])
def test_lists_built_in_loops(f):
    check_grad(f, (np.array([0.3, -1.2, 0.8, 0.4]),))
    # the list is the function's own, read by nobody else (an item read from it, `L[-1]`, is no view
    # of the list, even where the backward sweep records it)
    assert "writable_copy(" not in ad.grad(f).source


def tanh_rows(x):
    L = []
    for i in range(x.shape[0]):
        L.append(np.tanh(x[i]))
    return np.sum(np.stack(L))


def tanh_sum(x):
    L = []
    for i in range(x.shape[0]):
        L.append(np.tanh(x[i]))
    return sum(L)


def sorts_copy_of_input(x):
    c = x.copy()
    c.sort()
    return np.sum(c * c)


def adds_input_at(x):
    c = np.zeros(3)
    for k in range(2):
        np.add.at(c, np.array([0, 0]), x[k])
    return np.sum(c)


@pytest.mark.parametrize("f", [tanh_rows, tanh_sum])
def test_differentiated_list_items_are_differentiated(f):
    """(`L.append(v)` of a differentiated `v` is a new list value: test_lists_dynamic.py)"""
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(ad.grad(f)(x), 1.0 - np.tanh(x) ** 2)


@pytest.mark.parametrize("f", [sorts_copy_of_input, adds_input_at])
def test_differentiated_list_items_are_refused(f):
    with pytest.raises(NoAdjointRuleError, match="changes its argument in place"):
        ad.grad(f)(np.array([0.3, -1.2]))


def appends_a_thousand(x):
    L = []
    for i in range(1000):
        L.append(i * 0.001)
    return np.sum(x) * np.sum(np.array(L))


def _copies_run(g, *args) -> int:
    """How many times `writable_copy` runs during `g(*args)` (a profile hook: nothing is patched)."""
    code = runtime.writable_copy.__code__
    count = [0]

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is code:
            count[0] += 1
    sys.setprofile(profile)
    try:
        g(*args)
    finally:
        sys.setprofile(None)
    return count[0]


def test_appends_in_a_long_loop_copy_nothing():
    x = np.array([0.5, 2.0])
    g = ad.grad(appends_a_thousand)
    np.testing.assert_allclose(g(x), np.full(2, np.sum(np.arange(1000) * 0.001)))
    assert _copies_run(g, x) == 0
    # the primal IR has a copy in the loop (one per iteration), which in_place dropped
    primal, _ = pipeline.primal_ir(appends_a_thousand)
    loops = [s for s in walk(primal.body) if isinstance(s, Loop)]
    assert loops and any(isinstance(s, Op) and s.callee.key is runtime.writable_copy for s in walk(loops[0].body))


def test_the_count_sees_copies_that_stay():
    """The counting above is not vacuous: where the backward sweep reads each old value, every
    iteration copies, and the counter sees it."""

    def f(x):
        c = np.zeros(3)
        s = 0.0
        for k in range(50):
            s = s + np.sum(c * x)
            np.add.at(c, np.array([k % 3]), 1.0)
        return s
    x = np.array([0.5, 2.0, -1.0])
    check_grad(f, (x,))
    assert _copies_run(ad.grad(f), x) == 50


# --- arrays changed by calls ---------------------------------------------------------------------------


def sorted_copy(x, idx):
    c = idx.copy()
    c.sort()
    return np.sum(x[c] ** 2)


def added_at_in_loop(x, idx):
    c = np.zeros(3)
    for k in range(3):
        np.add.at(c, idx, 1.0)
    return np.sum(c * x ** 2)


def added_at_read_each_step(x, idx):
    c = np.ones(3)
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.sin(c * x))
        np.add.at(c, idx, 0.5)
    return s + np.sum(c * x)


def filled_in_loop(x, idx):
    c = np.ones(3)
    s = 0.0
    for k in range(3):
        s = s + np.sum(c * x ** 2)
        c.fill(0.5 * k)
    return s


def read_before_and_after(x, idx):
    c = np.arange(3.0)
    s = np.sum(c * x)
    np.add.at(c, idx, 5.0)
    return s * np.sum(c * x)


def sorted_in_branch(x, idx):
    c = np.array([3.0, 1.0, 2.0])
    if np.sum(x) > 0:
        c.sort()
    return np.sum(c * x)


def put_then_partition(x, idx):
    c = np.array([3.0, 1.0, 2.0, 0.5])
    np.put(c, idx, 9.0)
    c.partition(1)
    return np.sum(c[:3] * x)


@pytest.mark.parametrize("f", [sorted_copy, added_at_in_loop, added_at_read_each_step, filled_in_loop,
                               read_before_and_after, sorted_in_branch, put_then_partition])
@pytest.mark.parametrize("x", [np.array([0.3, -1.2, 0.8]), np.array([-0.4, 0.1, 1.5])])
def test_arrays_changed_by_calls(f, x):
    check_grad(f, (x, np.array([0, 2, 0])))


def test_copies_stay_where_the_old_value_is_read():
    for f in (added_at_read_each_step, read_before_and_after):
        assert "writable_copy(" in ad.grad(f).source
    for f in (sorted_copy, added_at_in_loop, sorted_in_branch, put_then_partition):
        assert "writable_copy(" not in ad.grad(f).source


# --- the caller's arrays and aliases -------------------------------------------------------------------


def sorts_parameter(x, c):
    c.sort()
    return np.sum(x * c)


def sorts_parameter_in_loop(x, c):
    for k in range(2):
        c.sort()
        np.add.at(c, np.array([0]), 1.0)
    return np.sum(x * c)


def adds_at_parameter(x, c):
    np.add.at(c, np.array([0, 0]), 1.0)
    return np.sum(x * c)


def parameter_through_list(x, c):
    L = [c]
    L[0].sort()
    return np.sum(x * L[0])


def _on_copies(f):
    """`f` on copies of its arguments: the finite differences must not see f's own changes."""
    return lambda *args: f(*[np.array(a, copy=True) for a in args])


def sorts_parameter_after_loop(x, c):
    for k in range(2):
        np.add.at(c, np.array([0]), 1.0)
    c.sort()   # the loop's result: the copy made once before the loop is its own
    return np.sum(x * c)


def sorts_after_branch(x, c):
    d = c * 1.0
    if np.sum(x) > 0:
        d.sort()
    np.add.at(d, np.array([1, 1]), 0.5)
    return np.sum(x * d ** 2)


@pytest.mark.parametrize("f", [sorts_parameter, sorts_parameter_in_loop, adds_at_parameter,
                               sorts_parameter_after_loop, sorts_after_branch])
def test_parameters_never_change(f):
    c = np.array([3.0, 1.0, 2.0])
    check_grad(_on_copies(f), (np.array([0.3, -1.2, 0.8]), c), grad_fn=ad.grad(f))  # `c` stays as it was
    np.testing.assert_array_equal(c, [3.0, 1.0, 2.0])
    if f is not sorts_after_branch:  # (`d` is the function's own)
        assert any(copy in ad.grad(f).source for copy in ("writable_copy(", "copy_like(", ".copy()"))


def alias_read_after(x, c):
    c = np.zeros(3)
    d = c
    np.add.at(c, np.array([0]), 1.0)
    return np.sum(x * d)


def view_read_after(x, c):
    c = np.zeros(4)
    v = c[1:]
    c.sort()
    return np.sum(x * v)


def list_inside_list(x, c):
    L = []
    M = [L]
    L.append(1.0)
    return np.sum(x) * len(M[0])


@pytest.mark.parametrize("f", [alias_read_after, view_read_after, list_inside_list, parameter_through_list])
def test_aliases_of_a_changed_value_are_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match="alias"):
        ad.grad(f)(np.array([0.3, -1.2, 0.8]), np.array([3.0, 1.0, 2.0]))


# --- immutable values get no copy ----------------------------------------------------------------------

_SEEN: list = []


def _note(value):
    _SEEN.append(value)


def notes_numbers(x):
    n = len(x) + 1
    t = (n, 2.5, "label")
    _note(n)
    _note(t)
    for i in range(2):
        _note(i)
    return np.sum(x ** 2) * n


def notes_an_array(x):
    c = np.ones(2)
    _note(c)
    return np.sum(x * c)


def test_numbers_passed_to_unknown_calls_are_not_copied():
    src = ad.grad(notes_numbers).source
    assert "writable_copy" not in src and "_note(n)" in src
    check_grad(notes_numbers, (np.array([0.3, -1.2, 0.8]),))
    # an array passed to an unknown call and read only as the call left it: no copy either
    assert "writable_copy(" not in ad.grad(notes_an_array).source
    check_grad(notes_an_array, (np.array([0.3, -1.2]),))


def notes_each_step(x):
    c = np.ones(3)
    for k in range(40):
        _note(c)
        c[k % 3] = k * 0.5
    return np.sum(x * c ** 2)


def notes_parts(x):
    parts = [np.ones(2), np.zeros(2)]
    _note(parts)
    return np.sum(x * parts[0])


def test_unknown_calls_copy_only_what_may_be_read_again():
    """An array the function made whose value before the call nobody reads after it needs no copy,
    even for an unknown call; a list of arrays (the call may change the arrays in it) and an array
    the backward sweep reads as it was before the call keep theirs."""
    x = np.array([0.3, -1.2, 0.8])
    check_grad(notes_each_step, (x,))
    assert _copies_run(ad.grad(notes_each_step), x) == 0
    assert "writable_copy(parts, True)" in ad.grad(notes_parts).source
    check_grad(notes_parts, (np.array([0.3, -1.2]),))
    assert "writable_copy(c, True)" in ad.grad(notes_an_array_twice).source
    check_grad(notes_an_array_twice, (np.array([0.3, -1.2]),))


def notes_an_array_twice(x):
    c = np.ones(2) * 2.0
    s = np.sum(x * c)
    _note(c)
    return s * np.sum(x * c)


def grows(x):
    c = np.zeros(2)
    for k in range(2):
        c.resize(3 + k)  # refuses an array another variable refers to: its copy stays
    return np.sum(x ** 2) * c.shape[0]


def grows_once(x):
    c = np.zeros(2)
    c.resize(3)
    return np.sum(x ** 2) * c.shape[0]


@pytest.mark.parametrize("f", [grows, grows_once])
def test_resize_gets_an_array_of_its_own(f):
    check_grad(f, (np.array([0.3, -1.2]),))
