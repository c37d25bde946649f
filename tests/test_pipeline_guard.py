"""The pipeline's guards leave the interpreter as they found it (pipeline/guard.py)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.pipeline import guard


def smooth(x):
    return np.sum(np.tanh(x) ** 2)


def refused(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def test_the_collector_is_paused_during_a_transform_only():
    seen = []

    def build():
        seen.append(gc.isenabled())
        return "built"

    assert gc.isenabled()
    assert guard.transform_guarded(smooth, build) == "built"
    assert seen == [False] and gc.isenabled()


def test_the_collector_is_restored_after_a_refusal():
    assert gc.isenabled()
    with pytest.raises(ad.UnsupportedSyntaxError):
        ad.grad(refused)(1.0)
    assert gc.isenabled()


def test_a_collector_the_user_paused_stays_paused():
    gc.disable()
    try:
        check_grad(smooth, (np.array([0.3, -1.2, 2.0]),))
        assert not gc.isenabled()
    finally:
        gc.enable()
