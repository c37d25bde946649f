"""In-place updates that were refused needlessly, and the refusals that must stay.

A Python number is immutable: `x = a; x += 1.0` rebinds `x` and leaves `a` alone, so it is accepted
when `a` holds a number at call time (checked there; an array `a`, which NumPy's `+=` would change
for the caller too, meets the refusal it always met). A view of a new array that no name holds
(`np.reshape(x * 2.0, (n, n))`) shares memory with nothing the program can see, whatever the
shape is built from. Each gradient is compared with finite differences and autograd; each refusal
that must stay is checked to be located at the update.
"""

import inspect
from pathlib import Path

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import check_grad, numeric_grad

import adtransform as ad

N = 2
SHAPE = (2, 2)  # a tuple: the alias analysis does not look into it (rebound, it may hold arrays)
X = np.array([0.3, -0.2, 0.5, 0.1])


_LINES = Path(__file__).read_text().splitlines()


def _line_of(fn, text):
    first = fn.__code__.co_firstlineno
    return next(i + 1 for i in range(first - 1, len(_LINES)) if text in _LINES[i])


def _agree(fn, twin, args, wrt=0):
    grad = check_grad(fn, args, wrt=wrt)
    np.testing.assert_allclose(grad, autograd.grad(twin, wrt)(*args), rtol=1e-12, atol=1e-12)


def rebinds_a_number(a):
    x = a
    x += 1.0
    return x * a


def rebinds_a_number_twin(a):
    x = a + 1.0
    return x * a


def test_an_update_of_a_number_shared_with_a_parameter_is_accepted():
    _agree(rebinds_a_number, rebinds_a_number_twin, (2.0,))
    _agree(rebinds_a_number, rebinds_a_number_twin, (np.float64(-0.7),))


def two_numbers(a, b, w):
    x = a
    y = b
    x += 1.0
    y *= w[0]
    return x * a + y * b + np.sum(w * x)


def two_numbers_twin(a, b, w):
    return (a + 1.0) * a + b * w[0] * b + anp.sum(w * (a + 1.0))


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_several_parameters_taken_to_be_numbers(wrt):
    _agree(two_numbers, two_numbers_twin, (0.5, -1.5, np.array([0.3, 0.2])), wrt=wrt)


@pytest.mark.parametrize("arg", [np.array([1.0, 2.0]), np.array(2.0)])
def test_an_array_there_meets_the_refusal_it_always_met_and_is_left_unchanged(arg):
    kept = np.array(arg, copy=True)
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias") as info:
        ad.grad(rebinds_a_number)(arg)
    assert (info.value.location.filename, info.value.location.line) == \
        (__file__, _line_of(rebinds_a_number, "x += 1.0"))
    assert "accepted when `a` holds a number" in str(info.value)
    np.testing.assert_array_equal(arg, kept)
    # The number is checked wherever it is differentiated or not.
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias"):
        ad.grad(two_numbers, wrt=2)(0.5, np.ones(2), np.ones(2))


def indexes_the_parameter(a):
    x = a
    x += 1.0
    return x * a[0]


def test_a_parameter_used_as_no_number_is_refused_when_transformed():
    """Indexed, iterated or read an attribute of: it cannot be a number, so nothing is deferred."""
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias"):
        ad.grad(indexes_the_parameter)


# --- views of new arrays ---------------------------------------------------------------------


def reshapes_new_with_a_global_shape(x):
    b = np.reshape(x, (N, N))
    a = np.reshape(x * 2.0, (N, N))
    a -= 1.0
    c = np.reshape(x * 3.0, (N, 2))
    c += b
    return np.sum(a * b) + np.sum(c * c)


def reshapes_new_with_a_global_shape_twin(x):
    b = anp.reshape(x, (N, N))
    a = anp.reshape(x * 2.0, (N, N)) - 1.0
    c = anp.reshape(x * 3.0, (N, 2)) + b
    return anp.sum(a * b) + anp.sum(c * c)


def test_a_view_of_a_new_array_shares_memory_with_nothing():
    kept = X.copy()
    _agree(reshapes_new_with_a_global_shape, reshapes_new_with_a_global_shape_twin, (X,))
    np.testing.assert_array_equal(X, kept)


def views_of_new_arrays_in_a_loop(x):
    prev = np.reshape(x * 1.0, (N, N))
    s = 0.0
    for i in range(3):
        a = np.reshape(x * float(i + 2), (N, N))
        a -= prev  # `prev` is the view made in the last iteration: another array
        s = s + np.sum(a * prev)
        prev = a
    return s


def views_of_new_arrays_in_a_loop_twin(x):
    prev = anp.reshape(x * 1.0, (N, N))
    s = 0.0
    for i in range(3):
        a = anp.reshape(x * float(i + 2), (N, N)) - prev
        s = s + anp.sum(a * prev)
        prev = a
    return s


def test_views_of_new_arrays_made_in_a_loop_are_told_apart():
    _agree(views_of_new_arrays_in_a_loop, views_of_new_arrays_in_a_loop_twin, (X,))


# --- the refusals that stay ----------------------------------------------------------------------


def reshaped_parameter_updated(x):
    a = np.reshape(x, (N, N))
    a -= 1.0
    return np.sum(a * x.reshape(N, N))


def view_kept_in_two_names(x):
    a = np.reshape(x * 2.0, (N, N))
    b = a
    a -= 1.0
    return np.sum(a * b)


def transposed_view_of_a_new_array(x):
    b = np.reshape(x * 2.0, (N, N))
    a = b.T
    a -= 1.0
    return np.sum(a * b)


def local_number_shape(x):
    m = 2
    a = np.reshape(x * 2.0, (m, m))
    c = a
    a -= 1.0
    return np.sum(a * c)


def reshape_of_a_reshape(x):
    b = np.reshape(x * 2.0, (N, N))
    a = np.reshape(b, (N, N))
    a -= 1.0
    return np.sum(a * b)


@pytest.mark.parametrize("fn", [reshaped_parameter_updated, view_kept_in_two_names, transposed_view_of_a_new_array,
                                local_number_shape, reshape_of_a_reshape])
def test_updates_numpy_would_see_through_another_name_stay_refused(fn):
    """Each is a real alias: NumPy's result differs from reading the update as a new value (which
    is checked here), so accepting it would give a wrong gradient."""
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias") as info:
        ad.grad(fn)(X)
    assert info.value.location.filename == __file__
    assert "-=" in _LINES[info.value.location.line - 1]
    namespace = dict(globals())
    exec(_functional_source(fn), namespace)
    functional = namespace[fn.__name__]
    assert not np.allclose(numeric_grad(fn, (X,)), numeric_grad(functional, (X,)))


def _functional_source(fn):
    return inspect.getsource(fn).replace("a -= 1.0", "a = a - 1.0")


def global_tuple_shape(x):
    b = np.reshape(x, SHAPE)
    a = np.reshape(x * 2.0, SHAPE)
    a -= 1.0
    return np.sum(a * b)


def test_a_global_tuple_is_not_assumed_to_hold_numbers():
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of a global array") as info:
        ad.grad(global_tuple_shape)(X)
    assert "`SHAPE`" in str(info.value)
