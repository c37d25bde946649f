"""A random generator held in a local variable (`rng = np.random.default_rng(0)`): its draws change no
program value (no alias refusal) and are effects (never merged, reordered or removed, even when unused)."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad

X = np.array([0.5, -1.0, 2.0])


def draws(x):
    rng = np.random.default_rng(7)
    a = rng.normal(size=3)
    rng.normal(size=3)  # (a draw whose value is unused: it still moves the generator on)
    b = rng.normal(size=3)
    c = rng.normal(size=3)  # (the same expression as `b`: another draw)
    u = rng.uniform(-1.0, 1.0, size=3)
    return np.sum(x * a) + np.sum(x ** 2 * b) + np.sum(np.sin(x) * c) + np.sum(u * x ** 3)


def expected(x):
    rng = np.random.default_rng(7)
    a, _, b, c = (rng.normal(size=3) for _ in range(4))
    u = rng.uniform(-1.0, 1.0, size=3)
    return a + 2 * x * b + np.cos(x) * c + 3 * u * x ** 2


def shuffled(x):
    rng = np.random.default_rng(3)
    order = np.arange(3)
    rng.shuffle(order)
    noise = rng.standard_normal(3)
    return np.sum(x[order] * np.arange(1.0, 4.0)) + np.sum(noise * x)


@pytest.mark.parametrize("mode", ["grad", "value_and_grad"])
def test_draws_of_a_local_generator_kept_in_order(mode):
    if mode == "grad":
        g = ad.grad(draws)(X)
    else:
        value, g = ad.value_and_grad(draws)(X)
        assert value == pytest.approx(draws(X), rel=1e-12)
    np.testing.assert_allclose(g, expected(X), rtol=1e-12)
    np.testing.assert_allclose(g, numeric_grad(draws, (X,)), rtol=1e-6)


def test_shuffle_of_a_local_array_by_a_local_generator():
    np.testing.assert_allclose(ad.grad(shuffled)(X), numeric_grad(shuffled, (X,)), rtol=1e-6)
