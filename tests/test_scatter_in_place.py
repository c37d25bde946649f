"""Adjoints of `x[index]` accumulated into one buffer in place (optimize/scatter_in_place.py)."""

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.runtime import getitem_accumulate, getitem_adjoint


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def running(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * x[i]
    return s


def neighbours(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + x[i] * x[i + 1]   # two indices per step, each entry read twice overall
    return s


def windows(x):
    s = 0.0
    for i in range(x.shape[0] - 2):
        s = s + np.sum(np.sin(x[i:i + 3]))   # overlapping slices
    return s


def gathered(x, idx):
    s = 0.0
    for k in range(3):
        s = s + np.sum(x[idx] * (k + 1.0))   # repeated advanced indices
    return s


def rows(X, b):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.sum(np.tanh(X[i] + b))   # X[i] broadcast against a (2, 3) b
    return s


def read_after(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 2
    return s + np.sum(x * 3.0)               # x also read outside the loop


def test_loop_reads_update_one_buffer():
    src = ad.grad(running).source
    assert "getitem_accumulate(" in src and "getitem_adjoint(" not in src
    assert src.count("zeros_like(x)") == 1   # allocated once, before the backward loop


@pytest.mark.parametrize("fn", [running, neighbours, windows, read_after])
def test_gradients(rng, fn):
    check_grad(fn, (rng.normal(size=6),))
    check_grad(fn, (rng.normal(size=6).astype(np.float32),))


def test_repeated_advanced_indices(rng):
    check_grad(gathered, (rng.normal(size=5), np.array([0, 3, 3, 1, 0])))


def test_broadcast_contributions_are_summed(rng):
    src = ad.grad(rows, wrt=(0, 1)).source
    assert "getitem_accumulate(" in src
    check_grad(rows, (rng.normal(size=(4, 3)), rng.normal(size=(2, 3))), wrt=(0, 1))


def test_helpers():
    x = np.zeros((3, 2))
    np.testing.assert_array_equal(getitem_adjoint(np.ones((4, 2)), x, 1), [[0, 0], [4, 4], [0, 0]])
    acc = np.zeros((3, 2))
    out = getitem_accumulate(acc, np.ones(2), x, np.array([0, 0, 2]))
    assert out is acc
    np.testing.assert_array_equal(acc, [[2, 2], [0, 0], [1, 1]])
    shared = np.zeros(3, np.float32)
    assert getitem_accumulate(shared, np.float64(1.0), shared, 0).dtype == np.float64  # no silent downcast
    assert getitem_accumulate(0.0, 1.0, np.zeros(2), 1).tolist() == [0.0, 1.0]        # not an array: plain sum
