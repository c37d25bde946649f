"""Complex intermediates whatever way their dtype is written (review 13, finding 7): char codes, global
strings and dtypes in any dtype position are refused where they are written; a dtype known only at
run time (computed, or a global string rebound after the transform) is checked where the call is made."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.errors import UnsupportedArgumentError, UnsupportedSyntaxError

DS = "complex128"
DT = np.dtype("complex64")
REAL = "float64"
X = np.array([0.5, -1.0, 2.0])


def char_code(x):
    z = np.zeros(3, "D") + x
    return np.sum(np.abs(np.sqrt(z - 1.0)))


def char_code_f(x):
    return np.sum(np.abs(np.ones(3, "F") * x))


def char_code_g_full(x):
    return np.sum(np.abs(np.full(3, 2.0, "G") * x))


def global_string(x):
    return np.sum(np.abs(np.ones(3, dtype=DS) * x))


def global_string_positional(x):
    return np.sum(np.abs(np.zeros(3, DS) + x))


def global_dtype(x):
    return np.sum(np.abs(np.asarray(x, DT)))


def method_char_code(x):
    return np.abs(x.sum(0, "D"))


def astype_global(x):
    return np.sum(np.abs(x.astype(DS)))


@pytest.mark.parametrize("f", [char_code, char_code_f, char_code_g_full, global_string, global_string_positional,
                               global_dtype, method_char_code, astype_global], ids=lambda f: f.__name__)
def test_complex_dtype_written_in_any_form_is_refused_located(f):
    with pytest.raises(UnsupportedSyntaxError, match=r"test_complex_dtypes\.py:\d+:\d+: complex dtype"):
        ad.grad(f)(X)


def order_f(x):
    return np.sum(np.ones((2, 3), float, "F") @ x)  # "F" in the order position: a real array


def test_order_f_is_not_a_dtype():
    check_grad(order_f, (X,))


def real_at_transform(x):
    return np.sum(np.sin(np.ones(3, REAL) * x))


def computed(x):
    z = np.ones(3, dtype=x.dtype.str.replace("f", "c")) * x
    return np.sum(np.abs(z))


def summed(x):
    return np.abs(np.sum(x * x, 0, REAL))


def test_dtype_known_at_run_time_is_checked_where_used():
    global REAL
    check_grad(real_at_transform, (X,))
    check_grad(summed, (X,))
    g, h = ad.grad(real_at_transform), ad.grad(summed)
    g(X), h(X)  # (transformed now, with a real dtype)
    try:
        REAL = "complex128"  # a string is guarded by its type: the same gradient runs, and checks
        with pytest.raises(UnsupportedArgumentError, match=r"test_complex_dtypes\.py:\d+:\d+: `np\.ones`: .*complex"):
            g(X)
        # (np.sum's rule consulted its dtype: derived again, and refused as it is written)
        with pytest.raises((UnsupportedArgumentError, UnsupportedSyntaxError),
                           match=r"test_complex_dtypes\.py:\d+:\d+: .*complex"):
            h(X)
    finally:
        REAL = "float64"
    with pytest.raises(UnsupportedArgumentError, match=r"test_complex_dtypes\.py:\d+:\d+: `np\.ones`.*complex"):
        ad.grad(computed)(X)


def test_constant_dtypes_add_no_check():
    def f(x):
        return np.sum(np.ones(3, dtype=np.float64) * x) + np.sum(np.zeros(3, x.dtype) + x)
    assert "ensure_real" not in ad.source(ad.grad(f))
    check_grad(f, (X,))


def dtype_parameter(x, dt):
    return np.sum(np.abs(np.zeros(3, dt) + x))


def real_dtype_parameter(x):
    return dtype_parameter(x, "float64")


def test_dtype_passed_as_an_argument_is_checked():
    check_grad(real_dtype_parameter, (X,))
    with pytest.raises(UnsupportedArgumentError, match=r"test_complex_dtypes\.py:\d+:\d+: `np\.zeros`.*complex"):
        ad.grad(dtype_parameter)(X, "complex128")
