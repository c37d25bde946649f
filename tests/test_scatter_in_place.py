"""Adjoints of `x[index]` accumulated into one buffer in place (optimize/scatter_in_place.py)."""

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import blocks, count, has

import adtransform as ad
from adtransform.runtime import getitem_accumulate, getitem_adjoint


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def running(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * x[i]
    return s


def neighbours(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + x[i] * x[i + 1]   # two indices per step, each entry read twice overall
    return s


def windows(x):
    s = 0.0
    for i in range(x.shape[0] - 2):
        s = s + np.sum(np.sin(x[i:i + 3]))   # overlapping slices
    return s


def gathered(x, idx):
    s = 0.0
    for k in range(3):
        s = s + np.sum(x[idx] * (k + 1.0))   # repeated advanced indices
    return s


def rows(X, b):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.sum(np.tanh(X[i] + b))   # X[i] broadcast against a (2, 3) b
    return s


def read_after(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 2
    return s + np.sum(x * 3.0)               # x also read outside the loop


def _backward_loops(src):
    """(index name, body) of each backward loop of `src`, in order (an outer loop before its inner ones)."""
    return [(found["i"], body) for found, body in blocks("for {*i} in reversed(range(", src)]


def test_loop_reads_update_one_buffer():
    src = ad.grad(running).source
    # each step reads x[i] (twice, one value after CSE): its slot is written once, from zero
    ((i, body),) = _backward_loops(src)
    assert count(f"{{x_bar}}[{i}] = ", body) == 1 and count(f"[{i}] += ", body) == 0
    assert "getitem_adjoint(" not in src and "getitem_accumulate(" not in src
    assert src.count("zeros_items(x)") == 1   # allocated once, before the backward loop (a list of floats)


def test_a_slot_reached_twice_is_added_into():
    src = ad.grad(neighbours).source  # slot i is reached by x[i] at step i and by x[i + 1] at step i - 1
    ((i, body),) = _backward_loops(src)
    assert has(f"{{x_bar}}[{i}] += ", body) and not has(f"{{*}}[{i}] = ", body)
    src = ad.grad(read_after).source  # the loop's accumulator starts from the read after the loop
    ((i, body),) = _backward_loops(src)
    assert has(f"{{x_bar}} = getitem_accumulate({{x_bar}}, {{...}}, x, {i})", body) or has(f"{{x_bar}}[{i}] += ", body)
    assert not has(f"{{*}}[{i}] = ", body) and "zeros" not in src   # never set: the loop starts from x * 3.0's


@pytest.mark.parametrize("fn", [running, neighbours, windows, read_after])
def test_gradients(rng, fn):
    check_grad(fn, (rng.normal(size=6),))
    check_grad(fn, (rng.normal(size=6).astype(np.float32),))


def test_repeated_advanced_indices(rng):
    check_grad(gathered, (rng.normal(size=5), np.array([0, 3, 3, 1, 0])))


def test_broadcast_contributions_are_summed(rng):
    src = ad.grad(rows, wrt=(0, 1)).source
    ((i, body),) = _backward_loops(src)
    # the version for a vector X; a matrix X takes the general one
    assert has(f"{{X_bar}}[{i}] = {{add_bar}}", body) and has("{b_bar} = {b_bar} + {add_bar}", body)
    check_grad(rows, (rng.normal(size=(4, 3)), rng.normal(size=(2, 3))), wrt=(0, 1))


def test_helpers():
    x = np.zeros((3, 2))
    np.testing.assert_array_equal(getitem_adjoint(np.ones((4, 2)), x, 1), [[0, 0], [4, 4], [0, 0]])
    acc = np.zeros((3, 2))
    out = getitem_accumulate(acc, np.ones(2), x, np.array([0, 0, 2]))
    assert out is acc
    np.testing.assert_array_equal(acc, [[2, 2], [0, 0], [1, 1]])
    shared = np.zeros(3, np.float32)
    assert getitem_accumulate(shared, np.float64(1.0), shared, 0).dtype == np.float64  # no silent downcast
    assert getitem_accumulate(0.0, 1.0, np.zeros(2), 1).tolist() == [0.0, 1.0]        # not an array: plain sum


def schedule(heating, T_out, T0):
    T = T0
    cost = 0.0
    for t in range(heating.shape[0]):
        T = T + 0.1 * (T_out[t] - T + heating[t])
        cost = cost + 0.3 * heating[t] + (T - 21.0) ** 2
    return np.sum(cost)


def grid(x):
    s = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1] - 1):
            s = s + x[i, j] * x[i, j + 1]
    return s


def test_scalar_reads_add_into_the_gradient_as_by_hand(rng):
    # The version for vectors read element by element adds each contribution in place.
    src = ad.grad(schedule, wrt=(0, 1)).source
    ((t, body),) = _backward_loops(src)
    # each slot written once, from zero
    assert count(f"{{heating_bar}}[{t}] = ", body) == 1 and count(f"{{T_out_bar}}[{t}] = ", body) == 1
    assert count("zeros_items(heating)", src) == 1 and count("zeros_items(T_out)", src) == 1
    args = (rng.normal(size=6) + 2.0, rng.normal(size=6), 18.0)
    check_grad(schedule, args, wrt=(0, 1))
    check_grad(schedule, (args[0].astype(np.float32), args[1].astype(np.float32), 18.0), wrt=(0, 1))
    # Calls outside the version's assumption (a matrix T0) take the general version.
    check_grad(schedule, (args[0], args[1], np.full((2, 3), 18.0)), wrt=(0, 1, 2))
    src = ad.grad(grid).source
    (i, outer), (j, inner) = _backward_loops(src)
    assert inner in outer and has(f"{{x_bar}}[{i}, {j}] += ", inner)
    assert src.count("zeros_like(x)") == 1 and "zeros" not in outer   # an inner loop's accumulator is the outer
    #                                                                     one's buffer, allocated once
    check_grad(grid, (rng.normal(size=(3, 4)),))


def test_slots_of_values_that_are_not_checked_parameters_keep_the_helper(rng):
    # `running` differentiated only through an intermediate: its accumulator is not a parameter's zeros.
    def through(x):
        y = x * 2.0
        s = 0.0
        for i in range(y.shape[0]):
            s = s + y[i] * y[i]
        return s

    src = ad.grad(through).source
    assert "+= " not in src and "getitem_accumulate(" in src
    check_grad(through, (rng.normal(size=5),))
