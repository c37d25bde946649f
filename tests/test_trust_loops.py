"""Issue 10, classes 0 and 3: loops whose carried values the optimizer rebinds to values they
already have, and indices that name the same slot in two ways (negative indices).

Every gradient is compared with central finite differences.
"""

import numpy as np
import pytest
from gradcheck import check_grad, numeric_grad
from source_patterns import blocks, code, has

import adtransform as ad

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


def while_negate_recomputed(x, c):
    v3 = -c
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


def hoisted_next(x):
    v = 0.0
    for k in range(3):
        v = np.dot(x, x) * 0.5
    return v * np.sum(x)


def hoisted_next_read_before(x):
    v = np.sum(x)
    s = 0.0
    for k in range(3):
        s = s + v * k
        v = np.tanh(x[0]) * x[1]
    return s + v


def outer_param_in_inner_loop(x):
    a = np.sum(x)
    b = a * 2.0
    for i in range(3):
        for j in range(2):
            b = a
        a = a * 0.5 + np.sin(b)
    return a + b


def data_dependent_while(x):
    v = np.dot(x, x)
    r = np.sum(x) + 2.0
    while r > 0.5:
        v = np.dot(x, x)
        r = r * 0.5
    return v


def swap_then_overwrite(x):
    p = np.sin(x)
    q = np.cos(x)
    for k in range(3):
        p, q = q, p
        q = np.sin(x)
    return np.sum(p * q * x)


def copies_of_each_other(x):
    s = np.sum(x ** 2)
    t = s
    for k in range(3):
        t = s
        s = t
    return s * t


CLASS_0 = [
    (recompute_before, (np.array([1.0, 2.0]),)),
    (recompute_then_use, (np.array([0.3, -0.7, 1.1]),)),
    (while_invariant, (np.array([0.5, 1.5]), np.array([2.0, -1.0]))),
    (while_negate_recomputed, (np.array([0.5, 1.5]), np.array([2.0, -1.0]))),
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
    (hoisted_next, (np.array([0.3, -0.6, 1.1]),)),
    (hoisted_next_read_before, (np.array([0.3, -0.6, 1.1]),)),
    (outer_param_in_inner_loop, (np.array([0.3, -0.6, 1.1]),)),
    (data_dependent_while, (np.array([0.3, -0.6, 1.1]),)),
    (swap_then_overwrite, (np.array([0.3, -0.6, 1.1]),)),
    (copies_of_each_other, (np.array([0.3, -0.6, 1.1]),)),
]


@pytest.mark.parametrize("f, args", CLASS_0, ids=[f.__name__ for f, _ in CLASS_0])
def test_carried_value_rebound_to_a_value_it_has(f, args):
    check_grad(f, args, wrt=tuple(range(len(args))))


def zeros_again(x):
    y = x * 1.0
    s = 0.0
    for k in range(3):
        y[k] = x[k] * 2.0
        s = s + np.sum(y * y)
        y = np.zeros(3)
    return s


def zeros_again_made_before(x):
    z = np.zeros(3)
    y = x * 1.0
    s = 0.0
    for k in range(3):
        y[k] = x[k] * 2.0
        s = s + np.sum(y * y)
        y = np.zeros(3)
    return s + np.sum(z)


def copy_again(x):
    c = x * 0.5
    y = x * 1.0
    s = 0.0
    for k in range(3):
        y[k] = np.sin(x[k])
        s = s + np.sum(y * x)
        y = x * 0.5
    return s + np.sum(c)


@pytest.mark.parametrize("f", [zeros_again, zeros_again_made_before, copy_again])
def test_a_buffer_handed_on_by_every_iteration_is_not_written_in_place(f):
    """The body's `y = np.zeros(3)` is one value with the zeros before the loop (CSE) or moved
    before it (LICM): every iteration starts from that one buffer, so writing `y[k] = ...` into it
    in place would change what the next iteration (and the code after the loop) reads."""
    ((_, forward),) = blocks("for k in range(3):", code(ad.value_and_grad(f).source))
    assert has("{*} = index_update({y}, k, {*})", forward) and not has("{y}[k] = ", forward)   # a copy, written
    x = np.array([0.3, -0.6, 1.1])
    value, _ = ad.value_and_grad(f)(x)
    assert value == pytest.approx(f(x), rel=1e-12)
    check_grad(f, (x,))


@pytest.mark.parametrize("f", [recompute_before, nested_recompute, data_dependent_while])
def test_pullback_of_a_recomputed_value(f):
    """vjp's pullback (another mode of the same backward loop), against finite differences."""
    x = np.array([0.3, -0.6, 1.1])
    _, pullback = ad.vjp(f, x)
    np.testing.assert_allclose(pullback(2.0)[0], 2.0 * numeric_grad(f, (x,)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_constant_next_any_trip_count(n):
    check_grad(constant_next_zero_trips, (np.array([0.4, 1.3]), n))


@pytest.mark.parametrize("flag", [True, False])
def test_loop_in_branch(flag):
    check_grad(loop_in_branch, (np.array([0.4, 1.3]), flag))


# --- class 3: negative indices name the slots of non-negative ones ------------------------------


def from_minus_one(x):
    s = 0.0
    for t in range(-1, len(x)):
        s = s + x[t] ** 2
    return s


def from_minus_two(x):
    s = 0.0
    for t in range(-2, 2):
        s = s + np.sin(x[t]) * (t + 3)
    return s


def previous_element(x):
    s = 0.0
    for t in range(len(x)):
        s = s + x[t] * x[t - 1]
    return s


def countdown_to_minus_one(x):
    s = 0.0
    for t in range(len(x) - 1, -2, -1):
        s = s + x[t] ** 3
    return s


def countdown_plain(x, n):
    s = 0.0
    for t in range(n - 1, -1, -1):
        s = s * 0.5 + x[t] ** 2
    return s


def step_two_negative(x):
    s = 0.0
    for t in range(-3, 3, 2):
        s = s + x[t] * (t + 4.0)
    return s


def matrix_negative_rows(M):
    s = 0.0
    for i in range(-1, 2):
        s = s + M[i, 0] ** 2 + M[i, -1] * M[i, 2]
    return s


def matrix_column_loop(M):
    s = 0.0
    for j in range(-3, 3):
        s = s + np.tanh(M[1, j]) * (j + 5)
    return s


def nested_offsets(x):
    s = 0.0
    for i in range(2):
        for j in range(i - 2, i + 1):
            s = s + x[j] * x[i]
    return s


def negative_slices(x):
    return np.sum(x[-2:] ** 2) + np.sum(x[::-1][:2] * x[:2]) + np.sum(x[-1:0:-1] ** 3) + np.sum(x[-3:-1])


def sliding_window(x):
    s = 0.0
    for t in range(len(x)):
        s = s + np.sum(x[t - 2:t] ** 2) + np.sum(x[t - 1::-1]) * 0.5
    return s


def write_negative(x):
    out = np.zeros(3)
    for t in range(-1, 2):
        out[t] = x[t] ** 2 + out[t]
    return np.sum(out * np.array([1.0, 2.0, 3.0]))


def write_overwrites(x):
    out = x * 1.0
    for t in range(-2, 3):
        out[t] = np.sin(out[t]) * 2.0
    return np.sum(out ** 2)


def while_down_through_zero(x):
    s = 0.0
    k = 2
    while k > -3:
        s = s + x[k] * (k + 4.0)
        k = k - 1
    return s * s


def constant_negative_and_positive(x):
    return x[-1] * x[2] + x[0] * x[-3]


def index_array_distinct(x, v):
    y = x * 1.0
    y[np.array([0, -1])] = v * y[np.array([0, -1])]
    return np.sum(y ** 2)


def rnn_from_minus_one(W, U, X):
    h = np.zeros(2)
    for t in range(-1, X.shape[0]):
        h = np.tanh(W @ h + U @ X[t])
    return np.sum(h ** 2)


def rnn_reversed(W, U, X):
    h = np.zeros(2)
    for t in range(X.shape[0] - 1, -2, -1):
        h = np.tanh(W @ h + X[t] @ U)
    return np.sum(h ** 2)


def write_negative_slices(x):
    y = x * 1.0
    y[-2:] = np.sin(y[:2])
    y[::-1] = y * x
    y[-1:0:-1] = np.tanh(y[-3:-1])
    return np.sum(y ** 2)


def write_previous_in_loop(x):
    y = x * 1.0
    for t in range(len(x)):
        y[t - 1] = np.sin(y[t]) + y[t - 1] * 0.5
    return np.sum(y * x)


def write_matrix_negative_rows(M):
    out = np.zeros((2, 3))
    for i in range(-2, 2):
        for j in range(-1, 2):
            out[i, j] = out[i, j] * 0.5 + M[i, j] ** 2
    return np.sum(out * M)


def accumulate_window_negative(x):
    y = np.zeros(3)
    for t in range(-1, 3):
        y[t - 1:t + 1] += x[t] * 0.5
    return np.sum(y ** 2)


_V = np.array([0.3, -1.2, 0.8])
_M = np.array([[0.3, -1.2, 0.8], [0.5, 0.9, -0.4]])
_RNG = np.random.default_rng(3)
_W, _U, _X = _RNG.normal(size=(2, 2)) * 0.5, _RNG.normal(size=(2, 3)) * 0.5, _RNG.normal(size=(4, 3))

CLASS_3 = [
    (from_minus_one, (_V,)),
    (from_minus_two, (_V,)),
    (previous_element, (_V,)),
    (countdown_to_minus_one, (_V,)),
    (countdown_plain, (_V, 3)),
    (step_two_negative, (_V,)),
    (matrix_negative_rows, (_M,)),
    (matrix_column_loop, (_M,)),
    (nested_offsets, (_V,)),
    (negative_slices, (_V,)),
    (sliding_window, (_V,)),
    (write_negative, (_V,)),
    (write_overwrites, (_V,)),
    (while_down_through_zero, (_V,)),
    (constant_negative_and_positive, (_V,)),
    (index_array_distinct, (_V, 0.7)),
    (write_negative_slices, (_V,)),
    (write_previous_in_loop, (_V,)),
    (write_matrix_negative_rows, (_M,)),
    (accumulate_window_negative, (_V,)),
    (rnn_from_minus_one, (_W, _U, _X)),
    (rnn_reversed, (_W, _U.T.copy(), _X)),
]


@pytest.mark.parametrize("f, args", CLASS_3, ids=[f.__name__ for f, _ in CLASS_3])
def test_negative_indices(f, args):
    wrt = tuple(i for i, a in enumerate(args) if not isinstance(a, int))
    check_grad(f, args, wrt=wrt)


@pytest.mark.parametrize("f, args", CLASS_3[:9], ids=[f.__name__ for f, _ in CLASS_3[:9]])
def test_negative_indices_float32(f, args):
    """float32 vectors: the same version of the gradient adds into arrays instead of lists of floats."""
    args32 = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args)
    wrt = tuple(i for i, a in enumerate(args) if not isinstance(a, int))
    check_grad(f, args32, wrt=wrt)


def repeated_by_negative(x, v):
    y = x * 1.0
    y[np.array([2, -1])] += v
    return np.sum(y ** 2)


def repeated_2d(M, v):
    y = M * 1.0
    y[np.array([0, -2]), np.array([1, 1])] = v
    return np.sum(y ** 2)


@pytest.mark.parametrize("f, args", [(repeated_by_negative, (_V, 0.5)), (repeated_2d, (_M, 0.5))])
def test_repeated_position_through_a_negative_index_is_refused(f, args):
    with pytest.raises(ad.UnsupportedArgumentError, match="more than once"):
        ad.grad(f, wrt=(0, 1))(*args)


_INDICES = [
    [2, -1], [0, 1, -1], np.array([0, -3]), np.array([[0, 1], [-1, 2]]), np.array([[0, 1], [-2, 2]]),
    (np.array([0, 1]), np.array([2, -1])), (np.array([0, -2]), np.array([1, 1])), (1, [0, -3]), (-1, [0, -1]),
    (slice(None), [0, -3]), (slice(None), [0, 2]), (Ellipsis, [1, -2]), ([True, False],), [-2, -1],
    (np.array([0, 1, 0]), np.array([0, 1, -3])), (np.array([[0], [1]]), np.array([0, -1])),
]


@pytest.mark.parametrize("index", _INDICES, ids=[repr(i) for i in range(len(_INDICES))])
def test_the_repeated_position_check_resolves_indices_as_numpy_does(index):
    """Against NumPy itself: `np.add.at` counts how often each position is named."""
    from adtransform.runtime.helpers import repeated_slot

    g = np.arange(6.0).reshape(2, 3) if isinstance(index, tuple) else np.arange(3.0)
    counts = np.zeros(g.shape)
    np.add.at(counts, index, 1)
    assert repeated_slot(g.shape, index) == (counts.max() > 1)
