"""The loss value a gradient does not need (ad/reverse.py with analysis/rank.py's `.shape` of a
differentiated array) and stand-ins for values read only for their shape (optimize/shape_witness.py,
runtime/witnesses.py): gradients against finite differences, the value value_and_grad returns, the
output checks that stay where the ranks are not proven, and NumPy's errors where the forward fails."""

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform import pipeline
from adtransform.ad import reverse
from adtransform.errors import NonScalarOutputError, UnsupportedArgumentError
from adtransform.runtime import broadcast_like

RNG = np.random.default_rng(62)


def general_source(f, wrt=(0,)):
    """The code of the version for arrays (`ad.grad(f).source` may be the scalar version), no comments."""
    text = pipeline._gradient(f, wrt, wrt_is_tuple=False, mode=reverse.Mode.GRAD, versioned=False).loaded.text
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


# --- the helper ----------------------------------------------------------------------------------------

OPERANDS = [
    (np.ones((3, 4)), np.arange(4.0)),
    (np.ones((3, 1), np.float32), np.ones((1, 5), np.float32)),
    (np.ones((3, 4), np.float32), np.ones(4)),                    # float64
    (np.ones((3, 4), np.float32), 2.5),                           # a weak Python float: float32
    (np.ones((3, 4), np.float32), np.float64(2.5)),               # a NumPy float64: float64
    (np.ones((3, 4), np.float16), 3),                             # a small Python int
    (np.ones((3, 4), np.float16), 10 ** 6),                       # computed: overflows float16
    (np.ones(3, np.int64), np.ones(3)),
    (np.ones(3, np.int8), 2),                                     # integers: computed
    (np.ones(3, bool), np.ones(3, bool)),                         # booleans: computed (`-` refuses them)
    (np.ones((2, 0)), np.ones((1, 0))),                           # empty
    (np.ones(()), np.ones(())),
    (2.0, 3.0),                                                   # numbers: computed
    (np.float32(2.0), np.ones(3, np.float32)),
    ([1.0, 2.0], np.ones(2)),                                     # a list: computed
    (np.ones((2, 2), np.complex128), np.ones((2, 2))),            # complex: computed
]


@pytest.mark.parametrize("symbol, plain", [("+", np.add), ("-", np.subtract), ("*", np.multiply)])
@pytest.mark.parametrize("case", range(len(OPERANDS)))
def test_broadcast_like_has_the_shape_and_dtype_of_the_operation(symbol, plain, case):
    a, b = OPERANDS[case]
    try:
        with np.errstate(all="ignore"):
            expected = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b}[symbol]()
    except (TypeError, OverflowError) as error:
        with pytest.raises(type(error)):
            broadcast_like(symbol, a, b)
        return
    with np.errstate(all="ignore"):
        got = broadcast_like(symbol, a, b)
    assert np.shape(got) == np.shape(expected) and np.result_type(got) == np.result_type(expected)
    assert type(got) is type(expected)
    if isinstance(got, np.ndarray) and got.size and got.strides and not any(got.strides):
        assert not got.flags.writeable  # a stand-in: never written into


def test_broadcast_like_raises_numpys_error_where_the_operands_do_not_broadcast():
    with pytest.raises(ValueError):
        broadcast_like("*", np.ones(3), np.ones(4))


# --- the loss grad() does not need -----------------------------------------------------------------------


def softmax_ce(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def mean_by_shape(x):
    return np.sum(x * x) / (x.shape[0] * x.ndim + x.size)


def other_shape(x, X):
    return np.sum(x * x) / X.shape[0]           # X is not differentiated: its `.shape` may be anything


def axis_sum(x):
    return np.sum(x, axis=0) / x.shape[0]       # a vector for a matrix x: the check stays


def user_call(x):
    return helper(x) / x.shape[0]


def helper(x):
    return np.sum(x ** 2)


class Shaped:
    """No numeric operators (`ensure_argument` lets it pass); its `.shape` holds an array."""

    shape = (np.ones(3),)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_ce_computes_no_loss(dtype):
    z = RNG.standard_normal((10, 4)).astype(dtype)
    Y = np.eye(4, dtype=dtype)[RNG.integers(0, 4, 10)]
    g = check_grad(softmax_ce, (z, Y))
    assert g.dtype == dtype
    src = general_source(softmax_ce)
    assert "ensure_scalar" not in src and "np.sum(mul" not in src and "np.log(" not in src
    assert "broadcast_like('*', Y, logp)" in src and "broadcast_like('-', s, sum_1)" in src
    value, g2 = ad.value_and_grad(softmax_ce)(z, Y)
    assert value == softmax_ce(z, Y) and type(value) is type(softmax_ce(z, Y))
    np.testing.assert_array_equal(g2, g)


def test_shape_ndim_and_size_of_a_differentiated_array_are_numbers():
    x = RNG.standard_normal((3, 4))
    check_grad(mean_by_shape, (x,))
    assert "ensure_scalar" not in general_source(mean_by_shape)
    value, _ = ad.value_and_grad(mean_by_shape)(x)
    assert value == mean_by_shape(x)


def test_unproven_outputs_keep_their_check():
    x = RNG.standard_normal((3, 2))
    assert "ensure_scalar" in general_source(other_shape, (0,))
    check_grad(other_shape, (x, np.ones((5, 2))))
    with pytest.raises(NonScalarOutputError):
        ad.grad(other_shape)(x, Shaped())
    assert "ensure_scalar" in general_source(axis_sum)
    with pytest.raises(NonScalarOutputError):
        ad.grad(axis_sum)(x)
    check_grad(axis_sum, (RNG.standard_normal(4),))
    check_grad(user_call, (x,))


def test_a_python_float_has_no_shape():
    with pytest.raises(AttributeError):
        mean_by_shape(2.0)
    with pytest.raises(AttributeError):
        ad.grad(mean_by_shape)(2.0)


def test_np_matrix_is_refused_at_entry():
    m = np.matrix(RNG.standard_normal((3, 3)))
    with pytest.raises(UnsupportedArgumentError):
        ad.grad(mean_by_shape)(m)
    with pytest.raises(UnsupportedArgumentError):
        ad.grad(softmax_ce)(np.asarray(m), m)


# --- a product read only for its shape ----------------------------------------------------------------------


def outer_sum(a, b):
    return np.sum(a * b)


def difference_sum(a, b):
    return np.sum((a - b) * 2.0) + np.sum(a + b)


def product_in_a_loop(a, b, n):
    total = 0.0
    for _ in range(n):
        total = total + np.sum(a * b)
    return total


def product_kept(a, b):
    c = a * b
    return np.sum(c) + np.sum(np.sin(c))       # read for its values too: computed


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((3, 4), (4,)), ((2, 3), ()), ((0, 3), (3,)), ((1,), (5,))])
@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)])
def test_products_read_for_their_shape(shapes, dtypes):
    a = RNG.standard_normal(shapes[0]).astype(dtypes[0])
    b = RNG.standard_normal(shapes[1]).astype(dtypes[1])
    b = b if b.ndim else dtypes[1](b)
    for f in (outer_sum, difference_sum):
        ga, gb = check_grad(f, (a, b), wrt=(0, 1))
        assert ga.dtype == dtypes[0] and np.result_type(gb) == dtypes[1]
    assert "broadcast_like('*', a, b)" in general_source(outer_sum)


def test_operands_that_do_not_broadcast_fail_as_the_function_does():
    a, b = np.ones(3), np.ones(4)
    with pytest.raises(ValueError):
        outer_sum(a, b)
    with pytest.raises(ValueError):
        ad.grad(outer_sum)(a, b)
    with pytest.raises(ValueError):
        ad.value_and_grad(outer_sum, wrt=(0, 1))(a, b)


def test_loops_lists_and_values_read():
    a, b = RNG.standard_normal((3, 1)), RNG.standard_normal(4)
    check_grad(product_in_a_loop, (a, b, 3), wrt=(0, 1))
    check_grad(product_in_a_loop, (a, b, 0), wrt=(0, 1))
    check_grad(product_kept, (a, b), wrt=(0, 1))
    assert "broadcast_like" not in general_source(product_kept)
    check_grad(outer_sum, (RNG.standard_normal(3), [1.0, 2.0, 3.0]))   # a list: the product computed
    check_grad(outer_sum, (1.5, 2.5))
