"""Fewer temporaries in the backward sweep (optimize/adjoint_buffers.py, runtime/accumulate.py, and
`extremum_adjoint`): the same values and dtypes as the plain arithmetic, fewer buffers."""

import sys
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.runtime import add_into, extremum_adjoint, mul_into, spread, sub_into, unreduce

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
allocations = pytest.importorskip("allocations")

RNG = np.random.default_rng(13)


# --- the helpers: the plain operator's values and dtype, in place only when that is the same -----------

OPERANDS = [
    (np.ones((3, 4)), np.arange(12.0).reshape(3, 4)),
    (np.ones((3, 4), np.float32), np.arange(12.0, dtype=np.float32).reshape(3, 4)),
    (np.ones((3, 4), np.float32), np.arange(12.0).reshape(3, 4)),      # the sum is float64: not in place
    (np.ones((3, 4)), np.arange(4.0)),                                # broadcast into acc's shape
    (np.ones((3, 1)), np.arange(4.0)),                                # the result is larger: not in place
    (np.ones((3, 4), np.float32), 2.5),                               # weak Python float keeps float32
    (np.ones((3, 4), np.float32), np.float64(2.5)),                   # a NumPy float64 does not
    (np.ones(3, dtype=np.int64), np.arange(3.0)),                     # integers: not in place
    (np.float64(2.0), np.arange(3.0)),                                # a NumPy scalar has no buffer
    (np.ones(()), np.ones(())),                                       # 0-d: the operator gives a NumPy scalar
    (2.0, 3.0),
    (np.ones((2, 2), np.complex128), np.ones((2, 2), np.complex128) * 1j),
]


@pytest.mark.parametrize("helper, plain", [(add_into, np.add), (sub_into, np.subtract), (mul_into, np.multiply)])
@pytest.mark.parametrize("case", range(len(OPERANDS)))
def test_into_helpers_give_the_plain_operator(helper, plain, case):
    acc, b = OPERANDS[case]
    expected = plain(acc, b)
    acc_copy = acc.copy() if isinstance(acc, np.ndarray) else acc
    got = helper(acc_copy, b)
    assert np.shape(got) == np.shape(expected) and np.result_type(got) == np.result_type(expected)
    np.testing.assert_array_equal(got, expected)
    in_place = got is acc_copy
    assert in_place == (isinstance(acc, np.ndarray) and acc.dtype.kind in "fc" and expected.shape == acc.shape
                        and expected.dtype == acc.dtype and acc.ndim > 0)
    if isinstance(acc, np.ndarray):
        assert type(got) is type(expected)  # (a 0-d array's sum is a NumPy scalar)


def test_into_helpers_never_write_a_read_only_array():
    acc = np.broadcast_to(np.ones(4), (3, 4))
    got = add_into(acc, np.ones((3, 4)))
    assert got is not acc and np.all(acc == 1.0) and np.all(got == 2.0)


@pytest.mark.parametrize("g, x, axis, keepdims", [
    (2.0, np.ones((3, 4)), None, False),
    (2.0, np.ones((3, 4), np.float32), None, False),
    (np.float64(2.0), np.ones((3, 4), np.float32), None, False),
    (np.arange(3.0), np.ones((3, 4)), 1, False),
    (np.arange(4.0), np.ones((3, 4)), -2, False),
    (np.arange(3.0).reshape(3, 1), np.ones((3, 4)), 1, True),
    (np.arange(2.0), np.ones((3, 2, 4)), (0, 2), False),
    (1.5, np.ones(()), None, False),
    (1.5, 2.0, None, False),
    (1.5, np.ones((0, 3)), None, False),
    (2.0, np.ones((40, 50)), None, False),                            # large: a broadcast view
    (2.0, np.ones((40, 50), np.float32), None, False),
    (np.arange(40.0), np.ones((40, 50), np.float32), 1, False),
    (np.arange(50.0, dtype=np.float32).reshape(1, 50), np.ones((40, 50)), 0, True),
    (np.arange(5.0), np.ones((5, 8, 6)), (-1, 1), False),
])
def test_spread_is_unreduce_as_a_view(g, x, axis, keepdims):
    filled, view = unreduce(g, x, axis, keepdims), spread(g, x, axis, keepdims)
    assert np.shape(view) == np.shape(filled) and np.result_type(view) == np.result_type(filled)
    np.testing.assert_array_equal(view, filled)
    y = RNG.standard_normal(np.shape(x)).astype(np.result_type(x))
    assert (view * y).dtype == (filled * y).dtype
    if isinstance(view, np.ndarray) and view.size >= 128:
        assert not view.flags.writeable  # a view of the seed: never written into


def _extremum_reference(g, x, y, axis, keepdims, where):
    """Brute force: each output's adjoint split equally among the elements equal to it."""
    xs = np.asarray(x, dtype=float)
    axes = tuple(range(xs.ndim)) if axis is None else tuple(a % xs.ndim for a in np.atleast_1d(axis))
    g_full, y_full = np.asarray(g, dtype=float), np.asarray(y, dtype=float)
    if not keepdims:
        g_full, y_full = np.expand_dims(g_full, axes), np.expand_dims(y_full, axes)
    mask = (xs == y_full) & np.broadcast_to(where, xs.shape)
    count = np.maximum(mask.sum(axis=axes, keepdims=True), 1)
    return mask * g_full / count


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (None, True), (1, False), (-1, True), ((0, 2), False),
                                            (0, True)])
def test_extremum_adjoint_splits_ties_equally(dtype, axis, keepdims):
    x = RNG.integers(0, 3, size=(3, 4, 2)).astype(dtype)  # many ties
    y = np.max(x, axis=axis, keepdims=keepdims)
    g = RNG.standard_normal(np.shape(y)).astype(dtype)
    got = extremum_adjoint(g, x, y, axis, keepdims, True)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, _extremum_reference(g, x, y, axis, keepdims, True), rtol=1e-6)


def test_extremum_adjoint_where_initial_and_nan():
    x = np.array([[1.0, 5.0, 5.0], [2.0, np.nan, 2.0], [0.5, 0.2, 0.1]])
    where = np.array([True, True, False])
    y = np.max(x, axis=1, initial=1.0, where=where)
    g = np.array([1.0, 2.0, 3.0])
    got = extremum_adjoint(g, x, y, 1, False, where)
    np.testing.assert_array_equal(got, [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # (column 2 left out)
    assert extremum_adjoint(2.0, np.float64(3.0), np.float64(3.0)) == 2.0
    assert extremum_adjoint(2.0, 3.0, 3.0, None, False, True) == 2.0


def test_extremum_adjoint_of_float32_with_a_python_float_seed_is_float32():
    x = np.array([1.0, 3.0, 3.0], np.float32)
    got = extremum_adjoint(1.0, x, np.max(x))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [0.0, 0.5, 0.5])


# --- the generated gradients ----------------------------------------------------------------------------


def softmax_ce(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def norm_sqrt(x):
    return np.sqrt(np.sum(x * x))


def broadcast_sums(a, b):
    c = a - b                       # b broadcasts: its adjoint is a negated sum
    return np.sum(np.exp(c) * c) + np.sum(np.max(c, axis=0) * 2.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy_gradient_and_buffers(dtype):
    z = RNG.standard_normal((16, 5)).astype(dtype)
    z[3, 1] = z[3, 2] = z[3].max() + 1.0            # a tie at the maximum
    Y = np.eye(5, dtype=dtype)[RNG.integers(0, 5, 16)]
    g = check_grad(softmax_ce, (z, Y))
    assert g.dtype == dtype
    src = ad.grad(softmax_ce).source
    assert "unreduce(" not in src and "spread(" in src and "add_into(" in src
    assert "unbroadcast(-" not in src


def test_softmax_cross_entropy_allocates_fewer_buffers():
    z, Y = RNG.standard_normal((64, 100)), np.eye(100)[RNG.integers(0, 100, 64)]
    grad = ad.grad(softmax_ce)
    counts = allocations.count_call(lambda: grad(z, Y))
    # The primal's 4 arrays (s, exp(s), logp, Y * logp), then Y * seed, exp_bar * exp (s_bar added into it),
    # the max's share (z_bar added into it): 7 arrays of z's size (10 before).
    assert counts.big <= 7, counts


@pytest.mark.parametrize("shape", [(7,), (3, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logsumexp_and_norm(shape, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    x.flat[0] = x.flat[-1] = x.max() + 0.5          # a tie at the maximum
    for f in (logsumexp, norm_sqrt):
        g = check_grad(f, (x,))
        assert g.dtype == dtype
    assert check_grad(logsumexp, (1.5,)) is not None  # the scalar version too


@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 4), ()), ((2, 3), (2, 3))])
def test_negated_sums_with_broadcasting(shapes):
    a, b = (RNG.standard_normal(s) for s in shapes)
    check_grad(broadcast_sums, (a, b), wrt=(0, 1))
    check_grad(broadcast_sums, (a.astype(np.float32), np.float32(b) if b.ndim == 0 else b.astype(np.float32)),
               wrt=(0, 1))


def hoisted(x, n):
    t = np.exp(x)
    total = 0.0
    for _ in range(n):
        total = total + np.sum(t * x)   # `t * x`'s adjoint is loop-invariant work: never written into twice
    return total


def test_a_temporary_made_before_a_loop_is_not_written_in_place_inside_it():
    x = RNG.standard_normal(6)
    check_grad(hoisted, (x, 3))


def mlp(W1, b1, W2, b2, X, Y):
    h = np.maximum(X @ W1 + b1, 0.0)
    logits = h @ W2 + b2
    m = np.max(logits, axis=1, keepdims=True)
    s = logits - m
    logprobs = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logprobs) / X.shape[0]


def test_mlp_gradient_matches_finite_differences():
    X = RNG.standard_normal((8, 6))
    Y = np.eye(3)[RNG.integers(0, 3, 8)]
    params = (RNG.standard_normal((6, 5)), RNG.standard_normal(5), RNG.standard_normal((5, 3)), RNG.standard_normal(3))
    check_grad(mlp, (*params, X, Y), wrt=(0, 1, 2, 3))
    assert "mul_into(" in ad.grad(mlp, wrt=(0, 1, 2, 3)).source


def two_negated_contributions(a, b):
    return np.sum(np.sin(a - b)) + np.sum(np.cos(2.0 * a - b) ** 2)


@pytest.mark.parametrize("b", [0.3, np.array([0.1, -0.2, 0.4]), np.array([[0.5], [-0.1]])])
def test_a_sum_of_two_negated_sums(b):
    """`b_bar = -t1 + -t2`: the first sign folds into the addition (`-t2 - t1`), the second stays."""
    a = RNG.standard_normal((2, 3))
    check_grad(two_negated_contributions, (a, b), wrt=(0, 1))
