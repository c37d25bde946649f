"""`for ... in range(...)` and `while` loops: recorded forward sweep, reversed backward sweep."""

import math

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import blocks, code, has

import adtransform as ad


def rnn(W, U, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h ** 2)


def euler(k, x0):
    x = x0
    dt = 0.01
    for i in range(200):
        x = x + dt * (-k * x + np.sin(x))
    return x


def newton_sqrt(a):
    x = a
    while np.abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def accumulate(x, w):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x * w) * (i + 1)
    return s


def running_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i]
    return s * s


def uses_the_index(x, start, stop, step):
    s = x * 0.0
    for i in range(start, stop * 2 - 1, step):
        s = s + np.sin(x * i)
    return np.sum(s)


def nested(x, n):
    s = 0.0
    for i in range(n):
        y = x
        for j in range(i + 1):
            y = np.cos(y) * 0.9 + x
        s = s + np.sum(y)
    return s


def swap(a, b):
    for i in range(4):
        a, b = b, a * b + 0.5
    return a + 2.0 * b


def loop_in_branch(x):
    if np.sum(x) > 0:
        for i in range(3):
            x = x * np.tanh(x)
    else:
        x = x * 2.0
    return np.sum(x)


def branch_in_loop_on_carried_only(x):
    for i in range(4):
        if i % 2 == 0:
            x = x * 1.5
        else:
            x = x - 0.25
    return np.sum(x * x)


def branch_in_loop_on_data(x):
    for i in range(3):
        if np.sum(x) > 0:
            x = np.sin(x)
    return np.sum(x)


def branch_local_values_in_loop(x):
    for i in range(3):
        if np.sum(x) > 0:
            y = np.sin(x)
            x = y * y
    return np.sum(x)


def math_loop(x):
    for i in range(5):
        x = math.sin(x) + 0.5 * x
    return x


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def test_rnn(rng):
    W, U = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 3))
    x, h = rng.normal(size=(6, 3)), rng.normal(size=4)
    check_grad(rnn, (W, U, x, h), wrt=(0, 1, 2, 3))


def test_rnn_float32(rng):
    W, U = (rng.normal(size=(4, 4)) * 0.5).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    x, h = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    check_grad(rnn, (W, U, x, h), wrt=(0, 1))


def test_zero_iterations(rng):
    W, U, h = rng.normal(size=(2, 2)), rng.normal(size=(2, 3)), rng.normal(size=2)
    gW, gh = ad.grad(rnn, wrt=(0, 3))(W, U, np.zeros((0, 3)), h)
    assert not gW.any()
    np.testing.assert_allclose(gh, 2 * h)


def test_euler_scalar_loop():
    check_grad(euler, (0.5, 1.0), wrt=(0, 1))


@pytest.mark.parametrize("a", [2.0, 0.3, 10.0])
def test_while_with_data_dependent_trip_count(a):
    assert ad.grad(newton_sqrt)(a) == pytest.approx(0.5 / math.sqrt(a), rel=1e-9)


def test_loop_invariant_accumulates(rng):
    # np.sum(x * w) is computed once, before the loop; the backward loop only adds up its adjoint,
    # and the rules of the product run once, after it.
    src = code(ad.grad(accumulate, wrt=(0, 1)).source)
    (_, forward), = blocks("for i in range(3):", src)
    (_, backward), = blocks("for {*} in reversed(range(3)):", src)
    after = src.partition(backward)[2]
    assert has("{mul} = x * w", src.partition(forward)[0]) and "x * w" not in forward + backward + after
    assert has("{sum_bar} = {sum_bar} + {*}", backward) and "w" not in backward
    assert has("{x_bar} = {...} * w", after) and has("{w_bar} = {...} * x", after)
    check_grad(accumulate, (rng.normal(size=3), rng.normal(size=3)), wrt=(0, 1))


@pytest.mark.parametrize("start, stop, step", [(0, 3, 1), (1, 4, 2), (5, 2, -1), (2, 1, 1)])
def test_range_arguments_and_loop_index(start, stop, step):
    check_grad(uses_the_index, (np.array([0.3, -0.2]), start, stop, step))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_nested_loops(n):
    check_grad(nested, (np.array([0.3, 1.2]), n))


def test_carried_values_swapped():
    check_grad(swap, (0.7, -0.4), wrt=(0, 1))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_loop_inside_a_branch(sign):
    check_grad(loop_in_branch, (sign * np.array([0.5, 0.8]),))


def test_branch_inside_a_loop_on_carried_values():
    check_grad(branch_in_loop_on_carried_only, (np.array([0.5, -0.8]),))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_branch_inside_a_loop_on_data(sign):
    check_grad(branch_in_loop_on_data, (sign * np.array([0.5, 0.8]),))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_values_computed_inside_a_branch_inside_a_loop(sign):
    check_grad(branch_local_values_in_loop, (sign * np.array([0.5, 0.8]),))


def nested_branches_in_loop(x, w):
    for i in range(4):
        if i % 2 == 0:
            if np.sum(x) > 0:
                y = np.tanh(x * w)
                x = y * y + x
            else:
                x = x * 0.5
        else:
            z = np.cos(x)
            x = z * w
    return np.sum(x)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_nested_branches_inside_a_loop(sign):
    check_grad(nested_branches_in_loop, (sign * np.array([0.5, 0.8]), np.array([0.3, -0.7])), wrt=(0, 1))


def test_math_module_loop():
    check_grad(math_loop, (0.4,))


def test_value_and_grad_and_vjp_through_a_loop(rng):
    W, U, x, h = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.normal(size=3)
    v, g = ad.value_and_grad(rnn)(W, U, x, h)
    assert v == pytest.approx(rnn(W, U, x, h))
    out, pullback = ad.vjp(euler, 0.5, 1.0)
    assert out == pytest.approx(euler(0.5, 1.0))
    dk, dx0 = pullback(1.0)
    gk, gx0 = ad.grad(euler, wrt=(0, 1))(0.5, 1.0)
    assert dk == pytest.approx(gk) and dx0 == pytest.approx(gx0)


def test_running_sum():
    check_grad(running_sum, (np.array([0.5, -1.0, 2.0]),))


def test_rnn_records_once_per_step_and_replays_reversed():
    src = ad.grad(rnn, wrt=0).source
    assert src.count("stack.append(") == 1 and src.count("stack.pop()") == 1
    assert "in reversed(range(t_item)):" in src


def test_while_loop_counts_its_trips():
    src = ad.grad(newton_sqrt).source
    assert "trips = trips + 1" in src and "for _ in reversed(range(trips)):" in src


def last_value(x, n):
    for i in range(n):
        y = x * (i + 1.0)
    return y * i


def test_names_bound_inside_a_loop_and_the_loop_variable_are_read_after_it():
    check_grad(last_value, (0.7, 3))
    with pytest.raises(UnboundLocalError):  # zero iterations: as Python raises
        ad.grad(last_value)(0.7, 0)


def over_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.sum(np.tanh(row * w))
    return s


def with_enumerate(X, w):
    s = 0.0
    for i, row in enumerate(X):
        s = s + np.sum(row * w) * (i + 1)
    return s


def with_enumerate_start(X, w):
    s = 0.0
    for i, row in enumerate(X, 1):
        s = s + np.sum(row * w) * i
    return s


def with_zip(xs, ys, w):
    s = 0.0
    for x, y in zip(xs, ys):
        s = s + (x * w - y) ** 2
    return s


def over_a_list(a, b):
    total = 0.0
    for v in [a, b, a * b]:
        total = total + v * 2.0
    return total


def test_iterating_over_array_rows(rng):
    check_grad(over_rows, (rng.normal(size=(4, 3)), rng.normal(size=3)), wrt=(0, 1))


@pytest.mark.parametrize("fn", [with_enumerate, with_enumerate_start])
def test_enumerate(rng, fn):
    check_grad(fn, (rng.normal(size=(3, 2)), rng.normal(size=2)), wrt=(0, 1))


def test_zip_of_arrays(rng):
    check_grad(with_zip, (rng.normal(size=4), rng.normal(size=4), 0.7), wrt=(0, 1, 2))


def enumerate_of_zip(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y[1:])):
        s = s + (i + 1.0) * a * b
    return s


def zip_of_zip(x, M):
    s = 0.0
    for (a, row), b in zip(zip(x, M), x[::-1]):
        s = s + a * b * np.sum(np.tanh(row))
    return s


def over_reversed_rows(M, w):
    s = 0.0
    for k, row in enumerate(reversed(M), 2):
        s = s * 0.5 + k * np.sum(row * w)
    return s


def test_nested_tuple_targets_over_enumerate_and_zip(rng):
    check_grad(enumerate_of_zip, (rng.normal(size=4), rng.normal(size=5)), wrt=(0, 1))
    check_grad(zip_of_zip, (rng.normal(size=3), rng.normal(size=(3, 2))), wrt=(0, 1))


def test_reversed_array_is_read_from_the_end(rng):
    check_grad(over_reversed_rows, (rng.normal(size=(4, 3)), rng.normal(size=3)), wrt=(0, 1))
    assert "list(reversed" not in ad.grad(over_reversed_rows, wrt=(0, 1)).source


def test_iterating_over_a_list_of_differentiated_values_unrolls_it():
    """The list's length is known: the loop is unrolled (canonicalize/aggregates.py)."""
    check_grad(over_a_list, (0.5, 2.0), wrt=(0, 1))


def scaled(k, x0):
    x = x0
    for i in range(3):
        x = x * k + 0.1
    return np.sum(x)


def test_scalar_code_skips_unbroadcast_after_one_check():
    src = ad.grad(euler, wrt=(0, 1)).source
    assert "if not all_scalars(k, x0):\n        return deuler_dk_x0_general(k, x0)" in src
    assert "unbroadcast(" not in src
    # The same gradient function handles arrays too: the check fails and unbroadcast runs.
    check_grad(scaled, (0.7, 1.5), wrt=(0, 1))
    check_grad(scaled, (np.array([0.5, 0.6]), 1.5), wrt=(0, 1))
    check_grad(scaled, (0.7, np.array([[1.0], [2.0]])), wrt=(0, 1))


def swap_through_identity(x, n):
    s = 0.0
    a = 0.5
    for i in range(2):
        s, a = a, x * 2.0
    return np.sum(s)


def test_carried_adjoints_are_updated_in_parallel():
    # The adjoint carried for `a` is the one carried for `s` a moment before: a parallel assignment.
    src = code(ad.grad(swap_through_identity).source)
    ((_, backward),) = blocks("for {*} in reversed(range(2)):", src)
    assert has("{s_bar}, {a_bar} = {...}, {s_bar}", backward)   # both updated at once, a's from s's old one
    check_grad(swap_through_identity, (np.array([0.3, 1.0]), 2))
    assert float(ad.grad(swap_through_identity)(np.array([0.3, 1.0]), 2)[0]) == 2.0   # an update in sequence
    #                                                                          would hand a zero on to a


RATE = 0.5


def with_globals(k, x0):
    x = x0
    for i in range(3):
        x = x * k * math.pi + RATE
    return np.sum(x)


def test_scalar_code_reading_number_globals_is_scalar_code():
    # Globals holding numbers join the run-time check, so they cannot break the hypothesis.
    global RATE
    df = ad.grad(with_globals, wrt=(0, 1))
    assert "if not all_scalars(k, x0, math.pi, RATE):" in df.source
    assert "unbroadcast(" not in df.source
    check_grad(with_globals, (0.7, 1.5), wrt=(0, 1))
    check_grad(with_globals, (np.array([0.5, 0.6]), 1.5), wrt=(0, 1))
    try:
        RATE = np.array([0.5, 0.25])  # rebound to an array: the same gradient must unbroadcast
        k_bar, x0_bar = df(0.7, 1.5)
        assert np.shape(k_bar) == () and np.shape(x0_bar) == ()
        assert np.isclose(x0_bar, 2 * (0.7 * math.pi) ** 3)
        check_grad(with_globals, (0.7, 1.5), wrt=(0, 1))
    finally:
        RATE = 0.5


def schedule(u, T_out, T0, a):
    T = T0
    cost = 0.0
    for t in range(4):
        T = T + a * (T_out[t] - T + u[t])
        cost = cost + u[t] * u[t] + (T - 20.0) ** 2
    return cost


def test_vectors_read_element_by_element_are_scalar_code():
    # Indexed parameters are assumed to be vectors, the others scalars: one check, then no
    # unbroadcast (calls that fail the check go to the general version).
    src = ad.grad(schedule, wrt=(0, 1, 2, 3)).source
    assert "if not has_ranks((1, 1, 0, 0), u, T_out, T0, a):" in src
    assert "unbroadcast(" not in src
    rng = np.random.default_rng(3)
    check_grad(schedule, (rng.normal(size=4), rng.normal(size=4), 18.0, 0.3), wrt=(0, 1, 2, 3))
    # 0-d arrays pass the check too.
    check_grad(schedule, (rng.normal(size=4), rng.normal(size=4), np.array(18.0), np.array(0.3)), wrt=(0, 1, 2, 3))


def schedule_rows(U, T0):
    T = T0
    for t in range(3):
        T = T * 0.5 + U[t]
    return np.sum(T * T)


def test_failed_rank_check_falls_back_to_unbroadcast():
    assert "has_ranks((1, 0), U, T0)" in ad.grad(schedule_rows, wrt=(0, 1)).source
    rng = np.random.default_rng(4)
    check_grad(schedule_rows, (rng.normal(size=3), 1.5), wrt=(0, 1))
    check_grad(schedule_rows, (rng.normal(size=(3, 2)), 1.5), wrt=(0, 1))
    check_grad(schedule_rows, (rng.normal(size=(3, 2)), rng.normal(size=(4, 1))), wrt=(0, 1))


def start_read_inside(x, n):
    s0 = np.sin(x)
    s = s0
    for i in range(n):
        s = s * 0.5 + np.tanh(s0)
    return np.sum(s)


def start_read_inside_cse(x, n):
    s = np.mean(x)
    a = 0.0
    k = 0
    while k < n:
        a, s = s, s * 0.5 + np.tanh(np.mean(x))   # np.mean(x) is `s` before the loop, after CSE
        k = k + 1
    return a * a + s


@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_value_entering_a_loop_and_read_in_it_gets_both_adjoints(n):
    # Found by the random-program property test: the adjoint the loop accumulated for the
    # value read inside overwrote the one flowing back to it as the carried value's start.
    check_grad(start_read_inside, (np.array([0.3, -1.2]), n))
    check_grad(start_read_inside_cse, (np.array([1.3, -0.3, 1.2]), n))
    check_grad(start_read_inside, (0.7, n))


def enumerate_start_keyword(x, w):
    s = 0.0
    for i, a in enumerate(x, start=2):
        s = s + i * a * w[i - 2]
    return s


def list_target_over_enumerate(x, w):
    s = 0.0
    for [i, a] in enumerate(x):
        s = s + i * a * w[i]
    return s


def zip_not_unpacked(x, c):
    s = 0.0
    for pair in zip(c, c * 2.0):
        s = s + pair[0] * pair[1] * x
    return np.sum(s)


def enumerate_start_keyword_reversed_zip(x, w):
    s = 0.0
    for (i, a), b in zip(enumerate(x, start=1), reversed(w)):
        s = s + i * a * b
    return s


@pytest.mark.parametrize("fn", [enumerate_start_keyword, list_target_over_enumerate, zip_not_unpacked,
                                enumerate_start_keyword_reversed_zip])
def test_enumerate_keywords_list_targets_and_unpacked_zips(rng, fn):
    """`enumerate(x, start=k)`, `[i, a]` targets and `for pair in zip(...)` crashed (len() of an iterator)."""
    check_grad(fn, (rng.normal(size=4), rng.normal(size=4)), wrt=0)
