"""The last read of a dead temporary hosts the result (optimize/adjoint_buffers.py `_last_read`,
`unary_into`): gradients against finite differences where the rewrite applies and where it must not
(a read after it, a loop, a view or a parameter, a returned or recorded value, promotion, broadcasting
to a larger shape), and the user's arguments unchanged."""

import sys
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform import pipeline
from adtransform.ad import reverse
from adtransform.runtime import add_in, mul_in, sub_in, unary_into

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
allocations = pytest.importorskip("allocations")

RNG = np.random.default_rng(61)


def general_source(f, wrt=(0,)):
    """The source of the version for arrays (`ad.grad(f).source` may be the scalar version)."""
    return pipeline._gradient(f, wrt, wrt_is_tuple=False, mode=reverse.Mode.GRAD, versioned=False).loaded.text


# --- the helper: np.exp(a, out=a) only where that is np.exp(a) -----------------------------------------


@pytest.mark.parametrize("acc", [np.linspace(-1.0, 1.0, 6), np.linspace(-1.0, 1.0, 6).astype(np.float32),
                                 np.linspace(-1.0, 1.0, 6).astype(np.float16), np.arange(6), 0.5, np.float32(0.5),
                                 np.array(0.25), np.ones((2, 3), np.complex128)])
@pytest.mark.parametrize("f", [np.exp, np.tanh, np.negative, np.absolute, np.square])
def test_unary_into_gives_the_plain_function(acc, f):
    expected = f(acc)
    own = acc.copy() if isinstance(acc, np.ndarray) else acc
    got = unary_into(f, own)
    assert type(got) is type(expected) and np.result_type(got) == np.result_type(expected)
    np.testing.assert_array_equal(got, expected)
    assert (got is own) == (isinstance(acc, np.ndarray) and acc.dtype.kind == "f" and acc.ndim > 0)


def test_unary_into_never_writes_a_read_only_array():
    view = np.broadcast_to(np.ones(3), (2, 3))
    got = unary_into(np.exp, view)
    assert got is not view and np.all(view == 1.0)


# --- where it applies -------------------------------------------------------------------------------------


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def softmax_ce(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def tanh_chain(x):
    return np.sum(np.tanh(np.sin(x) * 2.0) * np.cos(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(9,), (3, 4), (2, 3, 2), (1,)])
def test_logsumexp_writes_exp_into_its_operand(dtype, shape):
    x = RNG.standard_normal(shape).astype(dtype)
    g = check_grad(logsumexp, (x,))
    assert g.dtype == dtype
    src = general_source(logsumexp)
    assert "unary_into(np.exp, sub)" in src and "mul_into(exp, " in src
    # (no version for Python floats: with the max shift proven to need no adjoint, nothing calls for one;
    # unary_into of a NumPy scalar computes `np.exp(a)` as written)
    assert ad.grad(logsumexp)(float(x.ravel()[0])) == 1.0


def test_logsumexp_allocates_as_few_buffers_as_by_hand():
    x = RNG.standard_normal(10_000)
    grad = ad.grad(logsumexp)
    np.testing.assert_allclose(grad(x), np.exp(x - x.max()) / np.exp(x - x.max()).sum(), rtol=1e-12)
    assert allocations.count_call(lambda: grad(x)).big <= 2  # exp (in sub's buffer) and the max's share


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_ce_hosts_its_adjoint_in_exp(dtype):
    z = RNG.standard_normal((12, 5)).astype(dtype)
    Y = np.eye(5, dtype=dtype)[RNG.integers(0, 5, 12)]
    g = check_grad(softmax_ce, (z, Y))
    assert g.dtype == dtype
    assert "mul_into(exp, exp_bar)" in general_source(softmax_ce)


def test_softmax_ce_with_integer_labels():
    z = RNG.standard_normal((6, 4))
    Y = np.eye(4, dtype=np.int64)[RNG.integers(0, 4, 6)]  # Y * logp is float: not into Y
    check_grad(softmax_ce, (z, Y))


def test_tanh_chain():
    check_grad(tanh_chain, (RNG.standard_normal((4, 3)),))
    check_grad(tanh_chain, (RNG.standard_normal(5).astype(np.float32),))


# --- where it must not apply ----------------------------------------------------------------------------


def read_after(x):
    s = x - 1.0
    e = np.exp(s)            # s is read again below: np.exp may not write into it
    return np.sum(e * s) + np.sum(s * s)


def parameter_operand(x):
    return np.sum(np.exp(x) * x)   # x is the user's: never written into


def view_operand(x):
    s = x * 2.0
    v = s[1:]                # a view of s, read after np.exp(s)
    e = np.exp(s)
    return np.sum(e) + np.sum(v * v)


def transposed(x):
    s = x * 2.0
    t = s.T
    return np.sum(np.exp(s)) + np.sum(t * x.T)


def in_a_loop(x, n):
    s = x * 0.5
    total = 0.0
    for _ in range(n):
        total = total + np.sum(np.exp(s))   # s is read again in the next iteration
    return total


def recorded_in_a_loop(x, n):
    total = 0.0
    for i in range(n):
        s = x * (i + 1.0)
        e = np.exp(s)        # s is recorded for the backward sweep (its adjoint reads e)
        total = total + np.sum(e * s)
    return total


def made_in_a_branch(x, flag):
    s = x - 1.0
    if flag:
        s = s * 3.0
    return np.sum(np.exp(s) * s)


def promoted(x, w):
    s = x * 2.0                    # float32
    return np.sum(np.exp(s) * w)   # * float64 w: a float64 product, not in s's buffer


def broadcast_larger(x, y):
    s = np.sum(x, axis=1, keepdims=True) * 2.0   # (n, 1)
    return np.sum(np.exp(s) * y)                 # (n, m): larger than s's buffer


def returned_value(x):
    s = x - 1.0
    return np.sum(np.exp(s))


@pytest.mark.parametrize("f", [read_after, parameter_operand, view_operand, transposed])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reads_that_keep_the_operand(f, dtype):
    x = RNG.standard_normal((4, 3)).astype(dtype)
    before = x.copy()
    check_grad(f, (x,))
    np.testing.assert_array_equal(x, before)


def test_no_write_into_what_is_read_after():
    assert "unary_into(np.exp, s)" not in general_source(read_after)
    assert "unary_into" not in general_source(parameter_operand)
    assert "unary_into(np.exp, s)" not in general_source(view_operand)
    assert "unary_into(np.exp, s)" not in general_source(transposed)


def test_loops_and_branches():
    x = RNG.standard_normal(5)
    check_grad(in_a_loop, (x, 3))
    assert "unary_into(np.exp, s)" not in general_source(in_a_loop)
    check_grad(recorded_in_a_loop, (x, 3))
    check_grad(recorded_in_a_loop, (x, 0))
    for flag in (True, False):
        check_grad(made_in_a_branch, (x, flag))


def test_promotion_and_broadcasting():
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    w = RNG.standard_normal((4, 3))
    g = check_grad(promoted, (x, w))
    assert g.dtype == np.float32
    check_grad(promoted, (x.astype(np.float64), w))
    check_grad(broadcast_larger, (RNG.standard_normal((4, 3)), RNG.standard_normal((4, 6))), wrt=(0, 1))


def test_value_and_grad_and_vjp_return_the_primal_values():
    x = RNG.standard_normal(6)
    value, g = ad.value_and_grad(returned_value)(x)
    assert value == np.sum(np.exp(x - 1.0))
    np.testing.assert_allclose(g, np.exp(x - 1.0))

    def exps(x):
        s = x - 1.0
        return np.exp(s)

    out, pullback = ad.vjp(exps, x)
    np.testing.assert_array_equal(out, np.exp(x - 1.0))
    np.testing.assert_allclose(pullback(np.ones(6))[0], np.exp(x - 1.0))


def tanh_layer(W, x, n):
    h = np.tanh(x @ W)
    return h * n


def test_a_pullback_called_twice_never_wrote_into_what_it_captured():
    W, x = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 3))
    y, pullback = ad.vjp(tanh_layer, W, x, 3)
    ct = RNG.standard_normal(y.shape)
    g = ct * 3 * (1 - np.tanh(x @ W) ** 2)
    for scale in (1.0, 2.0, 1.0):
        dW, dx, _ = pullback(scale * ct)
        np.testing.assert_allclose(dW, scale * (x.T @ g))
        np.testing.assert_allclose(dx, scale * (g @ W.T))
    np.testing.assert_array_equal(y, tanh_layer(W, x, 3))


# --- a dead array that is not an operand hosts the result -------------------------------------------------

BUFFERS = [
    (np.zeros((3, 4)), np.ones((3, 4)), np.arange(4.0)),               # in place
    (np.zeros((3, 4)), 2.5, np.ones((3, 4))),                           # a weak Python float
    (np.zeros((3, 4)), np.ones(4), np.ones((3, 1))),                    # neither has its shape: as written
    (np.zeros((3, 1)), np.ones((3, 1)), np.ones((1, 4))),               # the result is larger: as written
    (np.zeros((3, 4), np.float32), np.ones((3, 4)), np.ones((3, 4))),   # float64 result: as written
    (np.zeros((3, 4)), np.ones((3, 4), np.float32), 2.0),               # float32 result: as written
    (np.zeros(()), np.ones(()), np.ones(())),                           # 0-d: a NumPy scalar, as written
    (np.zeros(3, np.int64), np.ones(3, np.int64), np.ones(3, np.int64)),
    (np.broadcast_to(np.zeros(4), (3, 4)), np.ones((3, 4)), np.ones((3, 4))),  # read-only
]


@pytest.mark.parametrize("helper, plain", [(add_in, np.add), (sub_in, np.subtract), (mul_in, np.multiply)])
@pytest.mark.parametrize("case", range(len(BUFFERS)))
def test_in_helpers_give_the_plain_operator(helper, plain, case):
    buf, a, b = BUFFERS[case]
    expected = plain(a, b)
    own = buf.copy() if buf.flags.writeable else buf
    got = helper(own, a, b)
    assert type(got) is type(expected) and np.result_type(got) == np.result_type(expected)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_array_equal(got, expected)
    assert (got is own) == (case < 2)


def norm_sqrt(x):
    return np.sqrt(np.sum(x * x))


def norm_then_read(x):
    y = x * x
    n = np.sqrt(np.sum(y))
    return n * np.sum(np.sin(y))                 # y's adjoint reads cos(y): y hosts nothing before


def rows(x, w):
    t = np.sum(x, axis=1, keepdims=True) * 2.0   # (n, 1): too small for x's adjoint
    return np.sum(t * t) + np.sum(np.sin(x) * w)


def test_norm_allocates_one_buffer():
    x = RNG.standard_normal(10_000)
    grad = ad.grad(norm_sqrt)
    np.testing.assert_allclose(grad(x), x / np.linalg.norm(x), rtol=1e-12)
    assert allocations.count_call(lambda: grad(x)).big <= 1
    assert "mul_in(mul, " in general_source(norm_sqrt)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hosts_must_be_dead_and_fit(dtype):
    x = RNG.standard_normal((4, 3)).astype(dtype)
    for f in (norm_sqrt, norm_then_read):
        assert check_grad(f, (x,)).dtype == dtype
    check_grad(rows, (x, RNG.standard_normal((4, 3)).astype(dtype)), wrt=(0, 1))
    check_grad(rows, (x, RNG.standard_normal((4, 3))), wrt=(0, 1))    # a float64 w: float64 products
    src = general_source(norm_then_read)
    assert "unary_into(np.cos, y)" in src and "_in(y, " not in src  # its last read: cos(y), in y's buffer


def test_a_pullback_writes_into_nothing_the_primal_made():
    x = RNG.standard_normal(5)
    y, pullback = ad.vjp(lambda_free_norm, x)
    first = pullback(1.0)[0]
    np.testing.assert_allclose(first, x / np.linalg.norm(x))
    np.testing.assert_array_equal(pullback(1.0)[0], first)


def lambda_free_norm(x):
    return np.sqrt(np.sum(x * x))


def concatenations(x, words, items):
    label = "n=" + str(len(words))        # strings and lists: `+` does not commute
    joined = words + items
    s = x * 2.0
    return np.sum(np.exp(s)) * len(label + joined[0]) + np.sum(x * len(items + words))


def test_the_users_sums_keep_their_order():
    x = RNG.standard_normal(4)
    check_grad(concatenations, (x, ["ab"], ["cde", "f"]))
    src = general_source(concatenations)
    assert "'n=' + str(len(words))" in src and "words + items" in src and "items + words" in src


def right_operand_dead(x, c):
    t = np.sin(x) * 2.0
    u = c - t                  # t's last read: `c - t` in t's buffer, in this order
    w = np.sinh(x)              # (its adjoint reads x, not w)
    v = c * w                  # the same for a product
    return np.sum(u * u) + np.sum(v * x) + np.max(x)   # (x reduced: an array)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_dead_right_operand_hosts_the_result_in_order(dtype):
    x = RNG.standard_normal((3, 4)).astype(dtype)
    for c in (RNG.standard_normal((3, 4)).astype(dtype), RNG.standard_normal(4).astype(dtype), 1.5,
              RNG.standard_normal((2, 3, 4))):
        check_grad(right_operand_dead, (x, c))
    src = general_source(right_operand_dead)
    assert "sub_in(t, c, t)" in src and "mul_in(w, c, w)" in src
