"""Containers the pytree path once refused needlessly: dict subclasses, star-unpacked list parameters,
membership tests of a dict parameter. Gradients against central differences and autograd."""

from __future__ import annotations

import collections

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import assert_trees_close, tree_fd

import adtransform as ad

X = np.array([0.5, -1.0, 2.0])


def loss(p):
    return np.sum(np.sin(p["W"]) * p["b"]) + np.sum(p["W"] ** 2)


def loss_ag(p):
    return anp.sum(anp.sin(p["W"]) * p["b"]) + anp.sum(p["W"] ** 2)


class Plain(dict):
    """A dict subclass adding nothing but an `__init__`: read as a dict."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)


class Scaled(dict):
    def __getitem__(self, key):
        return 2.0 * dict.__getitem__(self, key)


@pytest.mark.parametrize("make", [collections.OrderedDict, lambda **kw: collections.defaultdict(list, **kw), Plain],
                         ids=["OrderedDict", "defaultdict", "subclass"])
def test_dict_subclass_gradient_of_same_class(make):
    p = make(b=X * 0.5, W=X.copy())
    g = ad.grad(loss)(p)
    assert type(g) is type(p) and list(g) == ["b", "W"]
    assert_trees_close(g, tree_fd(loss, (p,), 0))
    assert_trees_close(dict(g), autograd.grad(loss_ag)(dict(p)))
    assert list(p) == ["b", "W"] and np.array_equal(p["W"], X)  # (the argument unchanged)
    # the same keys as a plain dict: another structure, its gradient a plain dict
    assert type(ad.grad(loss)(dict(p))) is dict


def test_dict_subclass_overriding_access_refused():
    with pytest.raises(TypeError, match="`Scaled` defines `__getitem__`"):
        ad.grad(loss)(Scaled(W=X.copy(), b=2.0))
    with pytest.raises(TypeError, match="`Counter` defines"):
        ad.grad(loss)(collections.Counter(W=X.copy(), b=2.0))


def star_loss(xs):
    a, *rest = xs
    return np.sum(np.sin(a)) + sum(np.sum(r ** 2) * np.sum(a) for r in rest)


def star_loss_ag(xs):
    a, *rest = xs
    return anp.sum(anp.sin(a)) + sum(anp.sum(r ** 2) * anp.sum(a) for r in rest)


def star_last(xs):
    *init, z = xs
    return np.sum(z * np.cos(z)) + np.sum(init[0] * z)


@pytest.mark.parametrize("kind", [list, tuple])
@pytest.mark.parametrize("n", [1, 3])
def test_star_unpacking_of_a_list_parameter(kind, n):
    xs = kind(X * (i + 1) for i in range(n))
    g = ad.grad(star_loss)(xs)
    assert type(g) is kind
    assert_trees_close(g, tree_fd(star_loss, (xs,), 0))
    assert_trees_close(g, autograd.grad(star_loss_ag)(list(xs)) if kind is list else autograd.grad(star_loss_ag)(xs))
    if n > 1:
        assert_trees_close(ad.grad(star_last)(xs), tree_fd(star_last, (xs,), 0))


def test_star_unpacking_of_an_array_still_refused_located():
    with pytest.raises(ad.AdtransformError, match="test_pytrees_gaps.py"):
        ad.grad(star_loss)(X)


def optional_entries(p):
    out = np.sum(np.sin(p["W"]) * p["b"])
    out = out + (np.sum(p["c"] ** 2) if "c" in p else 0.0)
    if "scale" not in p.keys():  # noqa: SIM118 (the form users write)
        return out
    return out * p["scale"]


def counted(p):
    return np.sum(p["W"]) * len(p) + len(p.keys()) * np.sum(p["W"] ** 2)


@pytest.mark.parametrize("extra", [{}, {"c": X * 2}, {"scale": 1.5}, {"c": X, "scale": 3.0}],
                         ids=["none", "c", "scale", "both"])
def test_membership_of_constant_keys_in_a_dict_parameter(extra):
    p = {"W": X.copy(), "b": 2.0, **extra}
    for fn in (optional_entries, counted):
        g = ad.grad(fn)(p)
        assert list(g) == list(p)
        assert_trees_close(g, tree_fd(fn, (p,), 0), rtol=1e-6, atol=1e-8)


def key_from_array(p, x):
    return np.sum(p["W"]) * (x[0] in p)


def test_membership_of_a_value_known_at_run_time_refused_located():
    with pytest.raises(ad.AdtransformError, match="test_pytrees_gaps.py"):
        ad.grad(key_from_array)({"W": X.copy()}, X)


RNG = np.random.default_rng(5)
M = RNG.normal(size=(3, 3))


def chain(L):
    return np.sum(np.sin(np.linalg.multi_dot(L)))


def chain_ag(L):
    out = L[0]
    for m in L[1:]:
        out = anp.dot(out, m)
    return anp.sum(anp.sin(out))


def stacked(L):
    return np.sum(np.stack(L) ** 2 * np.arange(1.0, len(L) + 1)[:, None]) + np.sum(np.concatenate(L) ** 3)


def starred_einsum(T):
    return np.einsum("i,i->", *T) * 2.0


@pytest.mark.parametrize("kind", [list, tuple])
def test_list_parameter_given_whole_to_a_primitive_taking_arrays(kind):
    L = kind([M, M.T + np.eye(3), M * 0.5])
    g = ad.grad(chain)(L)
    assert type(g) is kind
    assert_trees_close(g, tree_fd(chain, (L,), 0), rtol=1e-6, atol=1e-8)
    assert_trees_close(list(g), autograd.grad(chain_ag)(list(L)), rtol=1e-10, atol=1e-12)
    V = kind([X, X * 2.0])
    assert_trees_close(ad.grad(stacked)(V), tree_fd(stacked, (V,), 0), rtol=1e-6, atol=1e-8)
    assert_trees_close(ad.grad(starred_einsum)(V), kind([4.0 * X, 2.0 * X]), rtol=1e-12)


def test_primitive_taking_arrays_keeps_working_for_one_array():
    A = np.stack([X, X * 2.0])
    np.testing.assert_allclose(ad.grad(stacked)(A), tree_fd(stacked, (A,), 0), rtol=1e-6, atol=1e-8)
    with pytest.raises(ad.AdtransformError, match=r"test_pytrees_gaps.py:\d+.*length is not known"):
        ad.grad(starred_einsum)(A)



def passthrough(p):
    return p


def test_vjp_of_a_dict_subclass_output_takes_a_dict_cotangent():
    p = collections.OrderedDict(a=X * 2.0, b=np.sin(X))
    out, pullback = ad.vjp(passthrough, p)
    ca, cb = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    (g,) = pullback({"a": ca, "b": cb})
    assert type(g) is collections.OrderedDict
    assert_trees_close(g, {"a": ca, "b": cb}, rtol=1e-12)
