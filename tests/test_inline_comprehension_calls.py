"""A comprehension calling a user function inside an inlined function (pipeline/callee_loops.py):
it becomes a loop before the callee is spliced, so its calls are inlined as the caller's are.
Gradients are checked against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.errors import TransformError


def neuron(w, x):
    return np.tanh(w * x + 0.1)


def layer(ws, x):
    return [neuron(w, x) for w in ws]


def through_layer(ws, x):
    h = layer(ws, x)
    return sum(v * v for v in h)


def weighted(ws, x):
    return sum(neuron(w, x) * k for k, w in enumerate(ws))


def through_generator(ws, x):
    return weighted(ws, x) ** 2


def square_all(vs):
    return [v * v for v in vs]


def two_levels(vs):
    return [neuron(s, 2.0) for s in square_all(vs)]


def through_two_levels(ws, x):
    return sum(two_levels([w * x for w in ws]))


def through_array(ws, x):
    return np.sum(np.array(layer(ws, x)) * np.arange(len(ws)))


def mlp_layer(W, b, h):
    return [neuron(1.0, np.dot(W[i], h) + b[i]) for i in range(len(b))]


def mlp(W, b, x):
    h = mlp_layer(W, b, x)
    return sum(h) + h[0] * h[-1]


WS = np.array([0.3, -0.2, 0.5, 0.9, -1.1])


@pytest.mark.parametrize("f", [through_layer, through_generator, through_two_levels, through_array])
def test_comprehension_in_callee(f):
    check_grad(f, (WS, 0.7))


def test_same_as_the_loop_with_append():
    def appended(ws, x):
        h = []
        for w in ws:
            h.append(neuron(w, x))
        return sum(v * v for v in h)
    np.testing.assert_allclose(ad.grad(through_layer)(WS, 0.7), ad.grad(appended)(WS, 0.7), rtol=1e-12)


def test_matrix_rows_in_callee():
    rng = np.random.default_rng(3)
    W, b, x = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)
    check_grad(mlp, (W, b, x), wrt=0)
    check_grad(mlp, (W, b, x), wrt=1)


def shadows_zip(ws):
    zip = 3  # (the loop that `map(f, a, b)` becomes needs the builtin)
    return sum(map(neuron, ws, ws)) + sum(neuron(w, 1.0) for w in ws)


def calls_shadowing(ws):
    return shadows_zip(ws) * 2.0


def test_callee_shadowing_a_needed_builtin_is_refused_located():
    with pytest.raises(TransformError) as info:
        ad.grad(calls_shadowing)(WS)
    assert "test_inline_comprehension_calls.py:" in str(info.value) and "`zip`" in str(info.value)
