"""Needless refusals of common patterns (reviews 15 and 16), each gradient compared with central finite
differences of f, and the refusals that stay (an array NumPy would really change) checked located."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import adtransform as ad
from tests.gradcheck import check_grad

X4 = np.array([0.3, 0.7, 1.2, 0.5])


# -- 1. an entry of a local dict or list rebound in a loop: the container changes, no array does -------------

def dict_entry_rebound_in_loop(x):
    D = {"h": x[0] * 1.0}
    for i in range(2):
        D["h"] = D["h"] * x[i + 1]
    return np.sum(D["h"])


def list_entry_rebound_in_loop(x):
    L = [x[0] * 1.0]
    for i in range(2):
        L[0] = L[0] * x[i + 1]
    return L[0]


def two_entries_in_loop(x):
    D = {"h": x[0] * 1.0, "c": x[1]}
    for i in range(3):
        D["h"] = D["h"] * x[i + 1] + D["c"]
        D["c"] = np.sin(D["h"])
    return D["h"] + D["c"]


def entry_rebound_in_while_branches(x):
    D = {"h": x[0] * 1.0}
    n = 0
    while n < 3:
        if x[n] > 0.5:
            D["h"] = D["h"] * x[n]
        else:
            D["h"] = D["h"] + x[n]
        n += 1
    return D["h"]


def entry_at_loop_index(x):
    L = [x[0] * 1.0, x[1] * 1.0]
    for i in range(3):
        for j in range(2):
            L[j] = L[j] * x[i] + L[1 - j]
    return L[0] * L[1]


def entry_rebound_and_appended(x):
    L = [x[0] * 1.0]
    for i in range(3):
        L[0] = L[0] * x[i + 1]
        L.append(L[0])
    return L[0] + L[-1] + L[1]


def vector_entry_rebound_in_loop(x):
    D = {"h": x[:2] * 1.0}
    for i in range(2):
        D["h"] = np.tanh(D["h"] * x[i + 2])
    return np.sum(D["h"] ** 2)


@pytest.mark.parametrize("f", [dict_entry_rebound_in_loop, list_entry_rebound_in_loop, two_entries_in_loop,
                               entry_rebound_in_while_branches, entry_at_loop_index, entry_rebound_and_appended,
                               vector_entry_rebound_in_loop])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entry_rebound_in_loop(f, dtype):
    g = check_grad(f, (X4.astype(dtype),))
    assert g.dtype == dtype


def appended_entry_then_updated(x):
    L = [x[:2] * 1.0]
    for i in range(2):
        L.append(L[-1])
        L[0] += 1.0  # L[1] is the same array: NumPy changes it too
    return np.sum(L[0] * L[1])


def entry_bound_to_array_then_updated(x):
    y = x[2:] * 1.0
    L = [x[:2] * 1.0]
    for i in range(2):
        L[0] += 1.0  # in the second round L[0] is y: NumPy changes y
        L[0] = y
    return np.sum(y * x[:2])


def entries_swapped_then_updated(x):
    D = {"a": x[:2] * 1.0, "b": x[2:] * 1.0}
    for i in range(2):
        D["a"] = D["b"]
        D["b"] += 1.0  # D["a"] is the same array
    return np.sum(D["a"] * D["b"])


def _line_of(f, text: str) -> int:
    """The line of f's source holding `text`."""
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f", [appended_entry_then_updated, entry_bound_to_array_then_updated,
                               entries_swapped_then_updated])
def test_entry_shared_in_loop_still_refused(f):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f)(X4.copy())
    assert f"test_refusals16.py:{_line_of(f, '+= 1.0')}:" in str(info.value) and "in-place update" in str(info.value)
