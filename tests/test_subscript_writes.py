"""Writes into arrays: `out[i] = v`, `y[k] = f(y[k])`, `y[i] += e`, slices, masks, 2-D.

Each gradient is checked against central finite differences. The compiler treats a
write as a new version of the array (`index_update`) and writes in place only when
the old version is dead (optimize/in_place.py); the generated code is checked for
which one it chose, and the caller's arrays must be unchanged by the gradient.
"""

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import blocks, code, has, names

import adtransform as ad


def build_in_loop(x):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * x[0]
    return np.sum(out * out)


def update_own_slots(x):
    y = x.copy()
    for k in range(x.shape[0]):
        y[k] = np.tanh(y[k]) + 0.5 * y[k - 1]
    return np.sum(y ** 2)


def accumulate_repeated_slot(x):
    y = x * 1.0
    for i in range(5):
        y[i % 3] += x[0] * y[(i + 1) % 3]
    return np.sum(y * y)


def slice_write_in_branch(x):
    y = x * 1.0
    if x[0] > 0:
        y[1:] = np.sin(x[1:]) * y[:2]
    else:
        y[:2] = 2.0
    return np.sum(y * x)


def write_into_parameter(x):
    x[0] = 2.0 * x[1]
    x[1:] += np.sin(x[:2])
    return np.sum(x * x)


def matrix_writes(x):
    M = np.zeros((3, 3))
    for i in range(3):
        M[i, i] = x[i]
        M[:, (i + 1) % 3] += x * x[i]
    return np.sum(M @ M)


def relu_by_mask(x):
    y = x * 2.0
    y[y < 0] = 0.0
    return np.sum(y * y * x)


def old_version_read_later(x):
    y = x * 1.0
    z = y * y           # its adjoint reads the old `y`: the write must not change it
    y[0] = 5.0 * x[1]
    return np.sum(z) + np.sum(y * x)


def pushed_every_iteration(x):
    out = np.zeros(3)
    s = 0.0
    for i in range(3):
        out[i] = x[i] ** 2
        s = s + np.sum(out * out)   # the backward reads each iteration's `out`
    return s


def scalar_slot_from_scalar_param(a, x):
    y = x * 1.0
    y[1] = a * a
    return np.sum(np.sin(y))


def nested(x):
    M = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            M[i, j] = x[i] * x[j] + M[i - 1, j]
    return np.sum(np.sin(M))


def while_write(x):
    y = np.zeros(3)
    k = 0
    s = x[0]
    while k < 3:
        s = np.sin(s) + x[k]
        y[k] = s * s
        k = k + 1
    return np.sum(y * x)


def branch_in_loop(x):
    out = x * 0.5
    for i in range(3):
        if x[i] > 0:
            out[i] = x[i] ** 3
        else:
            out[(i + 1) % 3] = out[i] * 2.0
    return np.sum(out * out)


def prefix(x):
    c = np.zeros(4)
    for i in range(3):
        c[i + 1] = c[i] + x[i] * x[i]
    return np.sum(c * c)


def read_then_write_row(x):
    M = np.outer(x, x)
    for i in range(3):
        r = M[i] * 2.0
        M[i] = np.tanh(r)
    return np.sum(M)


def two_writes(x):
    y = np.zeros(3)
    y[0] = x[0]
    y[1] = y[0] * x[1]
    y[2] = y[1] * y[0] * x[2]
    return np.sum(y ** 2)


def write_after_loop_use(x):
    out = np.zeros(3)
    for i in range(3):
        out[i] = x[i] * 2.0
    z = out * out
    out[0] = 10.0 * x[2]
    return np.sum(z) + np.sum(out)


def cond_fill(x):
    out = np.zeros(3)
    for i in range(3):
        if x[i] > 0:
            out[i] = x[i] ** 2
    return np.sum(out * x)


def cond_fill_else(x):
    out = x * 1.0
    for i in range(3):
        if x[i] > 0:
            out[i] = x[i] ** 2
        else:
            out[i] = np.sin(out[i - 1])
    return np.sum(out * x)


def cond_read_after(x):
    out = np.zeros(3)
    s = 0.0
    for i in range(3):
        t = out * 2.0
        if x[i] > 0:
            out[i] = x[i] ** 2
        s = s + np.sum(t * out)
    return s


def cond_view_after(x):
    out = np.ones(3)
    s = 0.0
    for i in range(3):
        if x[i] > -5:
            out[i] = x[i] * out[i - 1]
        s = s + out[i] * x[i]
    return s + np.sum(out)


def straight_cond(x):
    y = x * 2.0
    if x[0] > 0:
        y[1] = y[0] * x[2]
    return np.sum(y * y)


@pytest.mark.parametrize("fn", [build_in_loop, update_own_slots, accumulate_repeated_slot, slice_write_in_branch,
                                write_into_parameter, matrix_writes, relu_by_mask, old_version_read_later,
                                pushed_every_iteration, nested, while_write, branch_in_loop, prefix,
                                read_then_write_row, two_writes, write_after_loop_use, cond_fill, cond_fill_else,
                                cond_read_after, cond_view_after, straight_cond])
@pytest.mark.parametrize("x", [np.array([0.3, -0.7, 0.5]), np.array([-0.4, 1.2, 0.9])])
def test_gradient_of_writes_matches_finite_differences(fn, x):
    before = x.copy()
    check_grad(fn, (x.copy(),))
    ad.grad(fn)(x)
    np.testing.assert_array_equal(x, before)  # the gradient never writes into the caller's array


def test_scalar_written_into_a_slot_gets_its_gradient():
    a, x = 0.7, np.array([0.3, -0.7, 0.5])
    check_grad(scalar_slot_from_scalar_param, (a, x), wrt=(0, 1))


def test_filling_an_array_in_a_loop_writes_in_place():
    source = ad.grad(build_in_loop).source
    assert has("{out}[i] = {mul}", source), source
    assert "index_update" not in source, source   # neither sweep copies the array per iteration


def test_a_conditional_write_in_a_loop_writes_in_place():
    source = ad.grad(cond_fill).source
    assert "index_update" not in source, source
    ((_, forward),) = blocks("for i in range(3):", code(source))
    ((i, backward),) = [(found["i"], body) for found, body in blocks("for {*i} in reversed(range(3)):", code(source))]
    assert has("{out}[i] = {pow}", forward) and has(f"{{out_bar}}[{i}] = 0.0", backward)  # both sweeps, in place


def test_a_write_whose_old_value_is_still_needed_copies():
    source = ad.grad(old_version_read_later).source
    assert "index_update(y" in source, source


def test_a_write_into_a_parameter_copies():
    source = ad.grad(write_into_parameter).source
    assert "index_update(x," in source, source


def test_a_repeated_position_in_an_index_array_is_a_clear_error():
    def scatter(x):
        y = np.zeros(3)
        y[np.array([0, 0])] = x[:2]
        return np.sum(y)

    with pytest.raises(ad.errors.UnsupportedArgumentError, match="more than once"):
        ad.grad(scatter)(np.array([1.0, 2.0, 3.0]))


WEIGHTS = np.ones(3)


def write_into_global(x):
    WEIGHTS[0] = x[0]
    return np.sum(WEIGHTS * x)


def test_a_write_into_a_global_array_is_refused_with_its_location():
    with pytest.raises(ad.UnsupportedSyntaxError, match="assignment into a global") as info:
        ad.grad(write_into_global)
    assert info.value.location.line == write_into_global.__code__.co_firstlineno + 1


def test_a_write_seen_through_an_alias_is_refused():
    def through_alias(x):
        y = x * 1.0
        t = y[0:2]
        y[0] = 5.0
        return np.sum(t)

    with pytest.raises(ad.UnsupportedSyntaxError, match="may share memory with `t`"):
        ad.grad(through_alias)


def written_into_integers(x):
    y = np.zeros(3, dtype=int)
    y[0] = x[0] * 10.0
    return np.sum(y * x)


def test_a_differentiated_value_written_into_an_integer_array_is_a_clear_error():
    # y[0] = trunc(10 x0) would lose its derivative: refused at run time, before the loop.
    with pytest.raises(ad.NonDifferentiableInputError, match="`y` holds int64 values"):
        ad.grad(written_into_integers)(np.array([0.33, -0.7, 0.5]))


def write_then_scale(x, n):
    y = x * 1.0
    for k in range(n):
        y[0] = 0.5
        y = y * np.tanh(np.sum(y))
    return np.sum(y)


def write_then_scale_in_place(x, n):
    k = 0
    while k < n + 1:
        x[0] = np.sin(2.0)
        x *= np.tanh(-np.sum(x))
        k = k + 1
    return np.sum(x)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_the_written_version_is_recorded_not_the_next_one(n):
    # Found by the random-program property test: the write `y[0] = v` gives the new version of y
    # the loop variable's name, and the next value `y * t` was then computed into that same
    # variable before the iteration's record read the written version.
    x = np.array([1.03, -1.01, 0.17])
    check_grad(write_then_scale, (x, n))
    check_grad(write_then_scale_in_place, (x.copy(), n))
    ((_, forward),) = blocks("for k in range(n):", code(ad.grad(write_then_scale).source))
    found = names("{*next} = {*written} * {tanh}", forward)
    assert found and found["next"] != found["written"]   # the next value has a name of its own
    assert has(f"{found['written']}[0] = 0.5", forward) and has(f"stack.append({{...}}{found['written']})", forward)
