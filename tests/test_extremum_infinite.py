"""max/min reductions pass nothing to the elements that do not attain the extremum, even from an
infinite upstream adjoint (0 * inf would be NaN): f is constant in those elements."""


import numpy as np

import adtransform as ad


def sqrt_of_clamped_max(x):
    return np.sqrt(np.max(x, initial=0.0)) + np.sum(np.sin(x))


def sqrt_of_row_max(x):
    return np.sum(np.sqrt(np.max(x, axis=1, initial=0.0))) + np.sum(np.sin(x))


def test_an_initial_that_wins_passes_nothing_to_x():
    for x in (-0.0885, np.array([-0.5, -0.25])):
        with np.errstate(divide="ignore"):
            g = ad.grad(sqrt_of_clamped_max)(x)
        np.testing.assert_allclose(g, np.cos(x), rtol=1e-12)


def test_rows_where_the_initial_wins_pass_nothing():
    x = np.array([[-1.0, -2.0], [0.5, 0.25]])
    with np.errstate(divide="ignore"):
        g = ad.grad(sqrt_of_row_max)(x)
    expected = np.cos(x)
    expected[1, 0] += 0.5 / np.sqrt(0.5)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
