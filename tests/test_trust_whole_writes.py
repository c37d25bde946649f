"""`f(x, out=buf)`, `buf.fill(v)` and `np.copyto(buf, v)` are differentiated as `buf[...] = value`.

That means what NumPy does only where `buf` is an array and, for `out=`, where the result has
`buf`'s shape; elsewhere the gradient function refuses the call, located (found by the API-surface
property test: a NumPy scalar's `fill` changes nothing; `np.cumsum(y, out=y)` with y of shape (3, 1)).
"""

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad


def fill_a_numpy_scalar(x, y):
    y3 = y * 1.0               # a 0-d array times a float: a NumPy scalar
    y3.fill(1.25)
    return np.sum(np.sin(y3)) + x


def cumsum_into_another_shape(x, c):
    y1 = c * 1.0
    np.cumsum(y1, out=y1)
    return np.sum(np.sin(y1)) + x


def out_buffer_and_fill(x):
    b = np.zeros(3)
    np.multiply(x, x, out=b)
    c = x.copy()
    c.fill(2.0)
    return np.sum(b * x * c)


def positional_out_in_a_loop(x):
    buf = np.zeros(3)
    for _ in range(2):
        np.add(x, buf, buf)
    return np.sum(buf * x)


def copyto_broadcast(x, v):
    y = x * 1.0
    np.copyto(y, v)
    return np.sum(y * x)


@pytest.mark.parametrize("f, args", [(fill_a_numpy_scalar, (0.5, np.array(0.3))),
                                     (cumsum_into_another_shape, (0.5, np.ones((3, 1))))])
def test_writes_numpy_would_do_differently_are_refused(f, args):
    with pytest.raises(ad.UnsupportedArgumentError, match="test_trust_whole_writes.py"):
        ad.value_and_grad(f)(*args)


@pytest.mark.parametrize("f, args, wrt", [(out_buffer_and_fill, (np.array([1.0, -2.0, 0.5]),), 0),
                                          (positional_out_in_a_loop, (np.array([1.0, -2.0, 0.5]),), 0),
                                          (copyto_broadcast, (np.array([1.0, -2.0, 0.5]), 0.7), (0, 1))])
def test_whole_writes_that_mean_what_numpy_does(f, args, wrt):
    check_grad(f, args, wrt=wrt)
