"""A container built by spreading another (`[*L]`, `(*T, x)`) or filled by `update` holds the very
arrays the other holds: an in-place update through one is refused where the other is read after it
(NumPy would change both), and accepted where nothing reads the other."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.errors import UnsupportedSyntaxError


def spread_list(x):
    L = [x * 2.0, x * 3.0]
    L2 = [*L]
    L2[1] -= 1.0
    return np.sum(L[1] * x)


def spread_tuple(x):
    T = (x * 2.0, x * 3.0)
    L2 = [*T, x * 4.0]
    L2[1] -= 1.0
    return np.sum(T[1] * x)


def updated_dict(x):
    D = {"a": x * 2.0}
    E = {}
    E.update(D)
    a = E["a"]
    a -= 1.0
    return np.sum(D["a"] * x)


def updated_dict_entry(x):
    D = {"a": x * 2.0}
    E = {"z": x * 0.0}
    E.update(D)
    E["a"] -= 1.0
    return np.sum(D["a"] * x)


def updated_by_keyword(x):
    y = x * 2.0
    E = {"z": x}
    E.update(a=y)
    E["a"] -= 1.0
    return np.sum(y * x)


@pytest.mark.parametrize("fn", [spread_list, spread_tuple, updated_dict, updated_dict_entry, updated_by_keyword])
def test_an_update_reaching_the_other_container_is_refused_where_written(fn):
    with pytest.raises(UnsupportedSyntaxError, match="test_alias_spreads.py"):
        ad.grad(fn)(np.array([0.5, -1.0, 2.0]))


def spread_then_read_own(x):
    L = [x * 2.0, x * 3.0]
    L2 = [*L, x]
    return np.sum(L2[1] * L2[2]) + np.sum(L[0])


def updated_then_read_own(x):
    D = {"a": x * 2.0}
    E = {}
    E.update(D)
    return np.sum(E["a"] * x)


@pytest.mark.parametrize("fn", [spread_then_read_own, updated_then_read_own])
def test_spreads_and_updates_without_in_place_changes_are_differentiated(fn):
    check_grad(fn, (np.array([0.5, -1.0, 2.0]),), wrt=0)
