"""Functions of np.linalg returning tuples (rules/tuples.py), as users write them: both results of
`eigh` through `vjp`, `slogdet` unpacked in a loop, and `qr(mode='r')`, which returns an array.
"""

from __future__ import annotations

import numpy as np
from test_rules_linalg import spd, square

import adtransform as ad


def eigh_pair(a):
    w, v = np.linalg.eigh(a)
    return w, v


def test_vjp_of_both_eigh_results():
    rng = np.random.default_rng(11)
    a, gw, gv, direction = spd(rng, (3, 3)), rng.normal(size=3), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    _, pullback = ad.vjp(eigh_pair, a)
    (grad,) = pullback((gw, gv))
    h = 1e-6
    (wp, vp), (wm, vm) = np.linalg.eigh(a + h * direction), np.linalg.eigh(a - h * direction)
    fd = (np.sum(gw * (wp - wm)) + np.sum(gv * (vp - vm))) / (2 * h)
    np.testing.assert_allclose(np.sum(grad * direction), fd, rtol=1e-6)


def slogdet_in_loop(a):
    total = 0.0
    for i in range(3):
        sign, logdet = np.linalg.slogdet(a + i * np.eye(3))
        total = total + logdet * (i + 1)
    return total


def test_slogdet_in_a_loop():
    a = square(np.random.default_rng(12), (3, 3))
    expected = sum((i + 1) * np.linalg.inv(a + i * np.eye(3)).T for i in range(3))
    np.testing.assert_allclose(ad.grad(slogdet_in_loop)(a), expected, rtol=1e-10)


def qr_r_mode_of_a_constant(a):
    r = np.linalg.qr(np.eye(3) * 2.0, mode="r")  # mode='r' returns R alone: an array, not a tuple
    return np.sum(np.sin(r + a))


def test_qr_r_mode_is_an_array():
    a = np.arange(9.0).reshape(3, 3) / 10
    np.testing.assert_allclose(ad.grad(qr_r_mode_of_a_constant)(a), np.cos(np.linalg.qr(2 * np.eye(3), "r") + a))
