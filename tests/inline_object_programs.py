"""Programs calling methods of global objects, for tests/test_inline_objects.py."""

import numpy as np


class Layer:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def apply(self, x):
        return np.tanh(x @ self.W + self.b)

    def __call__(self, x):
        return self.apply(x) * self.gain

    @property
    def gain(self):
        return 2.0

    @staticmethod
    def square(v):
        return v * v

    @classmethod
    def doubled_square(cls, v):
        return cls.square(v) * 2.0


layer = Layer(np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]]), np.array([0.1, -0.3]))


def make_model():
    inner = Layer(np.array([[0.2, -0.4], [1.5, 0.3], [-0.7, 0.9]]), np.array([0.0, 0.2]))

    def model(x):
        return np.sum(inner(x) + inner.apply(x))
    return model


model_in_a_closure = make_model()


def methods(x):
    h = layer.apply(x) + layer(x) + Layer.apply(layer, x)
    return np.sum(h) + np.sum(Layer.square(x) + layer.square(x) + Layer.doubled_square(x) + layer.doubled_square(x))


def reads_a_property(x):
    return np.sum(layer.apply(x) * layer.gain)


def calls_the_closure(x):
    return model_in_a_closure(x) * 0.5


apply_layer = layer.apply  # a bound method: `self` is that object


def calls_a_bound_method(x):
    return np.sum(apply_layer(x))


class Private:
    def __init__(self):
        self.__scale = 3.0  # stored as `_Private__scale`

    def scaled(self, v):
        return v * self.__scale


private = Private()


def reads_a_private_attribute(x):
    return np.sum(private.scaled(x))
