"""Methods and properties called on parameter objects: `grad(loss, wrt="model")(model, x, y)` where the
loss calls `model.forward(x)`, `model(x)`, reads `model.norm2`.

Each gradient is compared with central finite differences over every leaf of the object, and with
autograd where it runs the same program; redefining a method on the class gives the new gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from gradcheck import assert_trees_close, tree_fd

import adtransform as ad

RNG = np.random.default_rng(11)
X = RNG.standard_normal(3)
Y = RNG.standard_normal(2)


class MLP:
    def __init__(self, W1, W2, scale=1.0):
        self.W1 = W1
        self.W2 = W2
        self.scale = scale

    def hidden(self, x):
        return np.tanh(self.W1 @ x)

    def forward(self, x):
        return self.scale * (self.W2 @ self.hidden(x))

    def __call__(self, x):
        return self.forward(x)

    @property
    def norm2(self):
        return np.sum(self.W1 ** 2) + np.sum(self.W2 ** 2)

    @staticmethod
    def squash(z):
        return z / (1.0 + z ** 2)

    @classmethod
    def penalty(cls, z):
        return cls.WEIGHT * np.sum(z ** 2)

    WEIGHT = 0.25

    def loss(self, x, y):
        return np.sum((self(x) - y) ** 2) + self.penalty(self.W1)


@dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray

    def __call__(self, h):
        return np.tanh(self.W @ h + self.b)


@dataclass
class Stack:
    first: Dense
    second: Dense
    gain: float = 1.0

    def forward(self, x):
        return self.gain * self.second(self.first(x))


def _mlp():
    return MLP(RNG.standard_normal((3, 3)), RNG.standard_normal((2, 3)), 0.7)


def _stack():
    return Stack(Dense(RNG.standard_normal((3, 3)), RNG.standard_normal(3)),
                 Dense(RNG.standard_normal((2, 3)), RNG.standard_normal(2)), 1.3)


def calls_forward(model, x, y):
    return np.sum((model.forward(x) - y) ** 2)


def calls_object(model, x, y):
    return np.sum((model(x) - y) ** 2) + 0.1 * model.norm2


def static_and_class_methods(model, x, y):
    z = model.squash(model.forward(x))
    return np.sum((z - y) ** 2) + model.penalty(model.W2)


def nested_objects(stack, x, y):
    return np.sum((stack.forward(x) - y) ** 2) + np.sum(stack.first(x))


def in_a_dict(params, x, y):
    return np.sum((params["net"].forward(x) - y) ** 2) * params["weight"]


def over_models(models, x):
    h = x
    for m in models:
        h = m(h)
    return np.sum(h)


CASES = [(calls_forward, _mlp), (calls_object, _mlp), (static_and_class_methods, _mlp), (nested_objects, _stack),
         (in_a_dict, lambda: {"net": _mlp(), "weight": 1.5})]


@pytest.mark.parametrize(("fn", "make"), CASES, ids=[c[0].__name__ for c in CASES])
def test_methods_of_parameter_objects(fn, make):
    model = make()
    got = ad.grad(fn)(model, X, Y)
    assert type(got) is type(model)
    assert_trees_close(got, tree_fd(fn, (model, X, Y), 0), rtol=1e-6, atol=1e-8)


def test_a_list_of_objects_called_in_a_loop():
    models = [Dense(RNG.standard_normal((3, 3)), RNG.standard_normal(3)) for _ in range(3)]
    got = ad.grad(over_models)(models, X)
    assert_trees_close(got, tree_fd(over_models, (models, X), 0), rtol=1e-6, atol=1e-8)


def test_grad_of_a_method_calling_methods():
    model = _mlp()
    got = ad.grad(MLP.loss)(model, X, Y)
    assert_trees_close(got, tree_fd(MLP.loss, (model, X, Y), 0), rtol=1e-6, atol=1e-8)


def test_against_autograd():
    import autograd
    import autograd.numpy as anp

    model = _mlp()

    def twin(W1, W2):
        out = model.scale * anp.dot(W2, anp.tanh(anp.dot(W1, X)))
        return anp.sum((out - Y) ** 2)

    got = ad.grad(calls_forward)(model, X, Y)
    dW1, dW2 = autograd.grad(twin, (0, 1))(model.W1, model.W2)
    np.testing.assert_allclose(got.W1, dW1, rtol=1e-10)
    np.testing.assert_allclose(got.W2, dW2, rtol=1e-10)


def test_method_redefined_on_the_class_gives_the_new_gradient():
    class Net:
        def __init__(self, W):
            self.W = W

        def forward(self, x):
            return np.tanh(self.W @ x)

    def loss(net, x):
        return np.sum(net.forward(x) ** 2)

    net = Net(RNG.standard_normal((3, 3)))
    g = ad.grad(loss)
    assert_trees_close(g(net, X), tree_fd(loss, (net, X), 0), rtol=1e-6, atol=1e-8)

    def forward(self, x):
        return np.sin(self.W @ x)

    Net.forward = forward
    assert_trees_close(g(net, X), tree_fd(loss, (net, X), 0), rtol=1e-6, atol=1e-8)
    Net.forward = property(lambda self: None)  # (no longer a method: not what was inlined)
    with pytest.raises(Exception):  # noqa: B017 (whatever Python or the transform says, never the old gradient)
        g(net, X)


def test_instance_attribute_shadows_the_method():
    class Net:
        def __init__(self, W):
            self.W = W

        def forward(self, x):
            return np.tanh(self.W @ x)

    def loss(net, x):
        return np.sum(net.forward(x) ** 2)

    net = Net(RNG.standard_normal((3, 3)))
    g = ad.grad(loss)
    g(net, X)
    net.forward = np.sin  # Python calls the instance's attribute, without `self`
    assert_trees_close(g(net, X), tree_fd(loss, (net, X), 0), rtol=1e-6, atol=1e-8)


def test_property_redefined_and_property_gradient():
    model = _mlp()

    def reads(model, x):
        return model.norm2 * np.sum(x)

    got = ad.grad(reads)(model, X)
    np.testing.assert_allclose(got.W1, 2 * model.W1 * np.sum(X), rtol=1e-12)
    np.testing.assert_allclose(got.W2, 2 * model.W2 * np.sum(X), rtol=1e-12)
    assert got.scale is None or np.all(got.scale == 0.0)


def test_unknown_method_is_refused_located():
    def calls_missing(model, x):
        return np.sum(model.missing(x))

    with pytest.raises(ad.AdtransformError) as info:
        ad.grad(calls_missing)(_mlp(), X)
    assert info.value.location.line == calls_missing.__code__.co_firstlineno + 1


def loop_reads_attributes(model, x):
    h = x
    for _ in range(40):
        h = np.tanh(model.W1 @ h) * 0.9
    return np.sum(h)


def test_a_loop_reading_attributes_stays_a_loop():
    """Only loops calling what they iterate over are unrolled (for their calls): this one stays a loop."""
    model = _mlp()
    g = ad.grad(loop_reads_attributes)
    got = g(model, X)
    assert "for " in g.source
    assert_trees_close(got, tree_fd(loop_reads_attributes, (model, X), 0), rtol=1e-6, atol=1e-8)


def in_a_comprehension(model, xs, y):
    return sum(np.sum((model.forward(x) - y) ** 2) for x in xs) + 0.1 * sum([model.norm2 for _ in xs])


def test_methods_and_properties_in_a_comprehension():
    model = _mlp()
    xs = [X, 2.0 * X]
    got = ad.grad(in_a_comprehension)(model, xs, Y)
    assert_trees_close(got, tree_fd(in_a_comprehension, (model, xs, Y), 0), rtol=1e-6, atol=1e-8)
