"""Issue 10, classes 0 and 3: loops whose carried values the optimizer rebinds to values they
already have, and indices that name the same slot in two ways (negative indices).

Every gradient is compared with central finite differences.
"""

import numpy as np
import pytest
from gradcheck import check_grad

# --- class 0: a carried value rebound to a value the loop does not compute -----------------------


def recompute_before(x):
    v1 = np.dot(x, x)
    for k in range(2):
        v1 = np.dot(x, x)
    return v1


def recompute_then_use(x):
    v = np.sum(np.sin(x))
    for k in range(3):
        v = np.sum(np.sin(x))
        w = v * 2.0
    return v + w


def while_invariant(x, c):
    v3 = c * 1.0
    i = 0
    while i < 3:
        v3 = -c
        i = i + 1
    return np.sum(v3 * x)


def rebind_to_param(x):
    a = x * 2.0
    b = x * 3.0
    for k in range(3):
        a = x
    return np.sum(a * b)


def rebind_to_init_in_branch(x):
    s = np.sum(x ** 2)
    for k in range(4):
        if k % 2 == 0:
            s = np.sum(x ** 2)
        else:
            s = s * 1.5
    return s


def swap(x, y):
    a = x
    b = y * 2.0
    for k in range(3):
        a, b = b, a
    return np.sum(a * np.array([1.0, 2.0])) + 3.0 * np.sum(b)


def rotate_three(x):
    a = x[0]
    b = x[1] * 2.0
    c = x[2] * 3.0
    for k in range(4):
        a, b, c = b, c, a
    return a + 10.0 * b + 100.0 * c


def same_value_twice(x):
    a = x * 1.0
    b = x * 2.0
    for k in range(2):
        b = a
        a = a
    return np.sum(a * b)


def copy_other_carried(x):
    a = x * 1.0
    b = x * 5.0
    for k in range(3):
        b = a
        a = np.sin(a)
    return np.sum(a + 2.0 * b)


def constant_next(x):
    s = np.sum(x)
    for k in range(2):
        s = 0.0
    return s + np.sum(x ** 2)


def constant_next_zero_trips(x, n):
    s = np.sum(x ** 3)
    for k in range(n):
        s = 0.0
    return s + np.sum(x ** 2)


def nested_recompute(x):
    v = np.dot(x, x)
    for i in range(2):
        for j in range(2):
            v = np.dot(x, x)
        v = v * 0.5
    return v


def nested_inner_invariant(x):
    v = np.dot(x, x)
    t = np.sum(x)
    for i in range(2):
        u = np.dot(x, x) + t
        for j in range(3):
            v = u
    return v


def break_after_recompute(x):
    v = np.dot(x, x)
    for k in range(5):
        v = np.dot(x, x)
        if k == 2:
            break
        v = v * 2.0
    return v


def while_break(x):
    v = np.sum(x)
    i = 0
    while True:
        v = np.sum(x)
        i = i + 1
        if i >= 3:
            break
    return v * v


def loop_in_branch(x, flag):
    v = np.dot(x, x)
    if flag:
        for k in range(2):
            v = np.dot(x, x)
    else:
        v = v * 3.0
    return v


def two_carried_same_invariant(x):
    a = np.sum(x)
    b = np.sum(x) * 2.0
    for k in range(2):
        a = np.sum(x)
        b = np.sum(x)
    return a * b


def scalar_accumulate_invariant(x, y):
    s = x * y
    for k in range(3):
        s = x * y
        t = s + x
    return s + t


CLASS_0 = [
    (recompute_before, (np.array([1.0, 2.0]),)),
    (recompute_then_use, (np.array([0.3, -0.7, 1.1]),)),
    (while_invariant, (np.array([0.5, 1.5]), np.array([2.0, -1.0]))),
    (rebind_to_param, (np.array([0.4, 1.3]),)),
    (rebind_to_init_in_branch, (np.array([0.4, -1.3]),)),
    (swap, (np.array([0.4, 1.3]), np.array([-0.2, 0.8]))),
    (rotate_three, (np.array([0.4, 1.3, -2.0]),)),
    (same_value_twice, (np.array([0.4, 1.3]),)),
    (copy_other_carried, (np.array([0.4, 1.3]),)),
    (constant_next, (np.array([0.4, 1.3]),)),
    (nested_recompute, (np.array([0.4, 1.3]),)),
    (nested_inner_invariant, (np.array([0.4, 1.3]),)),
    (break_after_recompute, (np.array([0.4, 1.3]),)),
    (while_break, (np.array([0.4, 1.3]),)),
    (two_carried_same_invariant, (np.array([0.4, 1.3]),)),
    (scalar_accumulate_invariant, (0.7, -1.2)),
]


@pytest.mark.parametrize("f, args", CLASS_0, ids=[f.__name__ for f, _ in CLASS_0])
def test_carried_value_rebound_to_a_value_it_has(f, args):
    check_grad(f, args, wrt=tuple(range(len(args))))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_constant_next_any_trip_count(n):
    check_grad(constant_next_zero_trips, (np.array([0.4, 1.3]), n))


@pytest.mark.parametrize("flag", [True, False])
def test_loop_in_branch(flag):
    check_grad(loop_in_branch, (np.array([0.4, 1.3]), flag))
