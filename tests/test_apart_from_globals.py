"""An argument updated in place that is (or shares memory with) data the function also reads from
outside, a global, a module attribute, a callee's global, an object's attribute or a closure cell
(review 13, finding 6): NumPy's update changes that data too, the compiler reads the update as a new
value, so such a call is refused where it is made; other calls give the right gradient."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.errors import UnsupportedSyntaxError

G = np.array([0.3, 0.7, 1.1, -0.4])
D = {"w": G.copy()}
MOD = types.ModuleType("fix1_apart_mod")
MOD.G = G.copy()
sys.modules["fix1_apart_mod"] = MOD


class Holder:
    pass


OBJ = Holder()
OBJ.W = G.copy()


def flat(x):
    x += 1.0
    return np.sum(x * G)


def via_dict(x):
    x *= 2.0
    return np.sum(x * D["w"])


def via_module(x):
    x += 1.0
    return np.sum(np.sin(x) * MOD.G)


def via_object(x):
    x -= 0.5
    return np.sum(x * x * OBJ.W)


def via_entry(p):
    a = p["a"]
    a += 1.0
    return np.sum(a * G)


def make(c):
    def inner(x):
        x += 1.0
        return np.sum(x * c)
    return inner


CLOSED = make(G[1:3].copy())


@pytest.mark.parametrize("f, arg", [(flat, G), (flat, G[::2]), (via_dict, D["w"]), (via_module, MOD.G),
                                    (via_object, OBJ.W), (CLOSED, CLOSED.__closure__[0].cell_contents)],
                         ids=["global", "view", "dict_entry", "module", "object", "closure"])
def test_argument_sharing_data_read_outside_is_refused_located(f, arg):
    before = arg.copy()
    with pytest.raises(UnsupportedSyntaxError, match=r"test_apart_from_globals\.py:\d+.*which the function reads"):
        ad.grad(f)(arg)
    np.testing.assert_array_equal(arg, before)  # refused before anything ran


def test_dict_entry_sharing_a_global_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="`G`, which the function reads"):
        ad.value_and_grad(via_entry)({"a": G})


@pytest.mark.parametrize("f, n", [(flat, 4), (via_dict, 4), (via_module, 4), (via_object, 4), (CLOSED, 2)])
def test_separate_arguments_get_the_right_gradient(f, n):
    check_grad(f, (np.linspace(-0.6, 0.9, n),))


def test_no_check_without_an_update_in_place():
    def reads(x):
        return np.sum(x * G)
    assert "ensure_apart" not in ad.source(ad.grad(reads))
    check_grad(reads, (G,))
