"""Gradients have their parameter's dtype and shape, whatever the function computes in between.

The user's code may promote a float32 parameter (a float64 NumPy constant, a `math`
function returning a Python float, a float64 global): the gradient still belongs to
the parameter, so it is cast back (found by the API-surface property test).
"""

import math

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad

W64 = np.array([0.5, -1.0, 2.0])


def float64_constant(x):
    return np.sum(np.sin(np.float64(2.0) ** x))


def math_of_scalar(x):
    return np.sin(math.cos(x))


def float64_global(x):
    return np.sum(x * W64)


def promoted_then_returned_as_is(x):
    return np.sum(np.asarray(x, dtype=np.float64) ** 2)


def float64_copy_of_parameter(x):
    y = x + np.zeros(3)
    return np.sum(y * y)


CASES = [
    (float64_constant, np.array([0.1, -0.4, 0.7], dtype=np.float32)),
    (math_of_scalar, np.float32(-1.33)),
    (math_of_scalar, np.array(0.25, dtype=np.float32)),
    (float64_global, np.array([0.3, 0.2, -0.1], dtype=np.float32)),
    (float64_copy_of_parameter, np.array([0.3, 0.2, -0.1], dtype=np.float32)),
    (float64_constant, np.array([0.1, -0.4, 0.7], dtype=np.float16)),
]


@pytest.mark.parametrize("f, x", CASES, ids=[f"{f.__name__}-{np.asarray(x).dtype}" for f, x in CASES])
def test_gradient_has_the_parameters_dtype(f, x):
    g = ad.grad(f)(x)
    assert np.asarray(g).dtype == np.asarray(x).dtype
    assert np.shape(g) == np.shape(x)
    assert isinstance(g, np.ndarray) == isinstance(x, np.ndarray)
    if np.asarray(x).dtype != np.float16:
        check_grad(f, (x,))


def test_value_and_grad_and_vjp_cast_too():
    x = np.array([0.1, -0.4, 0.7], dtype=np.float32)
    value, g = ad.value_and_grad(float64_constant)(x)
    assert g.dtype == np.float32 and value == pytest.approx(float64_constant(x))
    _, pullback = ad.vjp(lambda x: np.sin(np.float64(2.0) ** x), x)
    (gx,) = pullback(np.ones(3))
    assert gx.dtype == np.float32
    np.testing.assert_allclose(gx, np.cos(2.0 ** x.astype(float)) * 2.0 ** x.astype(float) * math.log(2.0),
                               rtol=1e-5)


def test_float64_and_python_floats_are_untouched():
    assert type(ad.grad(math_of_scalar)(0.3)) in (float, np.float64)
    g = ad.grad(float64_constant)(np.array([0.1, 0.2]))
    assert g.dtype == np.float64


def weighted(x, b):
    return np.sum(x * b)


def test_a_python_float_parameter_gets_a_float():
    x = np.array([0.5, 1.5, -1.0], dtype=np.float32)
    g = ad.grad(weighted, wrt=1)(x, 2.0)
    assert type(g) is float and g == pytest.approx(float(np.sum(x)))
    check_grad(weighted, (x.astype(float), 2.0), wrt=1)


def write_wider_value(x, y):
    y4 = y * 1.0
    y4[...] = x
    return np.sum(np.sin(y4))


def write_wider_value_into_a_slice(x, M):
    N = M * 1.0
    N[2, ::-1] = x
    return np.sum(np.cos(N) * M)


def test_a_written_value_with_more_size_one_axes_than_the_slot():
    """NumPy drops a value's leading size-1 axes to fit the slot; the value's adjoint keeps its shape
    (found by the API-surface property test: a ValueError before)."""
    rng = np.random.default_rng(3)
    check_grad(write_wider_value, (rng.normal(size=(1, 1)), rng.normal(size=4)), wrt=(0, 1))
    check_grad(write_wider_value, (rng.normal(size=(1, 1, 4)), rng.normal(size=4)), wrt=(0, 1))
    check_grad(write_wider_value_into_a_slice, (rng.normal(size=(1, 1)), rng.normal(size=(3, 2))), wrt=(0, 1))
    check_grad(write_wider_value_into_a_slice, (rng.normal(size=(1, 2)), rng.normal(size=(3, 2))), wrt=(0, 1))


_G = np.ones(3)


def _get_global():
    return _G


def numpy_scalar_into_an_unknown_function(x):
    v = np.sinc(np.float64(0.3))
    return np.sum(np.sin(x)) * v


def unknown_result_changed_in_place(x):
    np.add.at(_get_global(), [0], 1.0)
    return np.sum(x * _G)


def test_values_made_by_calls_passed_to_unknown_functions():
    """A NumPy scalar type makes a new value (an InternalError before); what an undeclared function
    returns may be a global array, so changing it in place is refused, located."""
    check_grad(numpy_scalar_into_an_unknown_function, (np.array([0.2, -0.5]),))
    with pytest.raises(ad.UnsupportedSyntaxError, match="test_trust_shapes_dtypes.py"):
        ad.grad(unknown_result_changed_in_place)(np.ones(3))
    assert np.array_equal(_G, np.ones(3))


def list_written_then_read(x):
    L = [0.0, 0.0, 1.0]
    L[1] = x[0] ** 2
    L[2] = L[1] * x[1]
    return L[0] + L[1] * L[2] + np.sum(L)


def ragged_list_written(x):
    L = [np.zeros(2), 0.0]
    L[1] = x[0] ** 2
    return L[1] * 2.0


def test_a_list_written_with_differentiated_values():
    """A list of numbers written into has the adjoint of the array it would make (a TypeError from
    np.result_type before); one that makes no array holds each element in a variable of its own
    (canonicalize/aggregates.py) or is a list of adjoints (test_lists_dynamic.py)."""
    check_grad(list_written_then_read, (np.array([1.5, 2.0]),))
    check_grad(ragged_list_written, (np.array([1.5, 2.0]),))
