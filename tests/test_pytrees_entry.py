"""The specialised entry per structure (pipeline/pytree_entry.py): a call whose structure changed goes the
generic way and gets the gradient of its own structure, never the previous one's.

Each gradient is compared with central finite differences over every leaf.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_trees_close, tree_fd

import adtransform as ad
from adtransform.pipeline.pytree_entry import MISS, make_entry
from adtransform.runtime.pytrees import flatten

RNG = np.random.default_rng(7)
W = RNG.standard_normal((3, 3))
B = RNG.standard_normal(3)
X = RNG.standard_normal(3)


def over_dict(p, x):
    total = 0.0
    for k in p:
        total = total + np.sum(np.tanh(p[k] * x)) * (2.0 if k == "b" else 1.0)
    return total


def over_list(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(layer[0] @ h + layer[1])
    return np.sum(h)


def both(p, x):
    return np.sum(np.sin(p["W"] @ x + p["b"]) * x)


def _check(g, fn, args, i=0):
    assert_trees_close(g(*args), tree_fd(fn, args, i), rtol=1e-6, atol=1e-8)


def test_dict_structure_changes_are_seen():
    g = ad.grad(over_dict)
    for p in ({"W": W, "b": B}, {"W": W, "b": B}, {"b": B, "W": W}, {"W": W}, {"W": W, "b": B, "c": X},
              {"W": W, "b": 2}, {"W": W, "b": B.astype(np.float32)},
              {"W": W, "b": 1.5}, {"W": W, "b": B}):
        got = g(p, X)
        _check(g, over_dict, (p, X))
        assert list(got) == list(p)  # (the gradient's keys in the argument's order)


def test_list_structure_changes_are_seen():
    g = ad.grad(over_list)
    for layers in ([(W, B)], [(W, B), (W, B)], [(W, B)], [[W, B]], ((W, B),), [(W, B), (0.5 * W, X)]):
        got = g(layers, X)
        _check(g, over_list, (layers, X))
        assert type(got) is type(layers) and type(got[0]) is type(layers[0])


def test_plain_argument_turned_container_and_back():
    g = ad.grad(both, wrt=("p", "x"))
    p = {"W": W, "b": B}
    for x in (X, X * 2.0, 0.5 * X):
        dp, dx = g(p, x)
        assert_trees_close(dp, tree_fd(both, (p, x), 0), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(dx, tree_fd(both, (p, x), 1), rtol=1e-6, atol=1e-8)


def test_value_and_grad_and_vjp_through_the_entry():
    p = {"W": W, "b": B}
    vg = ad.value_and_grad(both)
    for _ in range(2):
        value, grads = vg(p, X)
        assert value == pytest.approx(both(p, X))
        assert_trees_close(grads, tree_fd(both, (p, X), 0), rtol=1e-6, atol=1e-8)
    for _ in range(2):
        out, pullback = ad.vjp(both, p, X)
        dp, dx = pullback(1.0)
        assert_trees_close(dp, tree_fd(both, (p, X), 0), rtol=1e-6, atol=1e-8)


def test_keyword_call_takes_the_generic_path():
    g = ad.grad(both)
    p = {"W": W, "b": B}
    g(p, X)
    assert_trees_close(g(p=p, x=X), tree_fd(both, (p, X), 0), rtol=1e-6, atol=1e-8)
    assert_trees_close(g(p, x=X), tree_fd(both, (p, X), 0), rtol=1e-6, atol=1e-8)


def test_entry_source_is_what_the_structure_needs():
    p = {"W": W, "b": [B, 3]}
    tree = flatten(p)[1]
    entry = make_entry(["p", "x"], [tree, None], (0, 1), True, "GRAD", lambda *a: ("gW", "gb", "gx"))
    assert entry((p, X)) == ({"W": "gW", "b": ["gb", None]}, "gx")
    for other in ({"W": W, "b": [B, 3.0]}, {"b": [B, 3], "W": W}, {"W": W, "b": (B, 3)}, {"W": W, "b": [B]},
                  {"W": W.astype(int), "b": [B, 3]}, {"W": {"x": W}, "b": [B, 3]}):
        assert entry((other, X)) is MISS
    assert entry((p, {"x": X})) is MISS and entry((p, np.tanh)) is MISS and entry((p,)) is MISS


def rows(p, x):
    total = 0.0
    for row in p:
        total = total + np.sum(np.tanh(row * x))
    return total


def test_arrays_then_containers_then_arrays():
    g = ad.grad(rows)
    for p in (W, [W[0], W[1]], W, 2.0 * W, (W[2],), W):
        assert_trees_close(g(p, X), tree_fd(rows, (p, X), 0), rtol=1e-6, atol=1e-8)
