"""Gradients with respect to containers of parameters (pytrees) have the structure of the argument.

Compared with central finite differences over every leaf, and with autograd where it takes the
structure (dicts, lists, tuples).
"""

from __future__ import annotations

import copy
import types
from collections import namedtuple
from dataclasses import dataclass

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import assert_trees_close, tree_fd

import adtransform as ad

Params = namedtuple("Params", ["W", "b"])


@dataclass
class Linear:
    W: np.ndarray
    b: np.ndarray
    steps: int = 3

    def loss(self, x, y):
        out = np.tanh(x @ self.W + self.b)
        return np.sum((out - y) ** 2) * self.scale

    scale = 0.5


class Plain:
    def __init__(self, W, b):
        self.W = W
        self.b = b


_fd = tree_fd
_close = assert_trees_close


def _autograd(fn, args, i):
    twin = types.FunctionType(fn.__code__, {**fn.__globals__, "np": anp}, fn.__name__)
    return autograd.grad(twin, i)(*args)


def mlp_dict(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def layers_list(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def pair_tuple(params, x):
    W, b = params
    return np.sum(np.sin(x @ W) * b)


def nested(params, x):
    h = x * params["scale"]
    for layer in params["layers"]:
        h = np.tanh(h @ layer["W"] + layer["b"])
    return np.sum(h) * params["extra"][0]


def named(p, x):
    return np.sum((x @ p.W + p.b) ** 2) + np.sum(p[1])


def plain_object(model, x):
    return np.sum(np.tanh(x @ model.W) * model.b)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng, rng.normal(size=(4, 3)), rng.normal(size=(4, 2))


def test_dict_of_parameters(data):
    rng, x, y = data
    params = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 2)),
              "b2": rng.normal(size=2)}
    before = copy.deepcopy(params)
    g = ad.grad(mlp_dict, wrt="params")(params, x, y)
    assert type(g) is dict and list(g) == list(params)
    _close(g, _fd(mlp_dict, (params, x, y), 0))
    _close(g, _autograd(mlp_dict, (params, x, y), 0), rtol=1e-10, atol=1e-12)
    _close(params, before)  # the argument is not changed
    value, g2 = ad.value_and_grad(mlp_dict)(params, x, y)
    np.testing.assert_allclose(value, mlp_dict(params, x, y))
    _close(g2, g)


def test_list_of_tuples_and_tuple(data):
    rng, x, _ = data
    layers = [(rng.normal(size=(3, 3)), rng.normal(size=3)), (rng.normal(size=(3, 2)), rng.normal(size=2))]
    g = ad.grad(layers_list)(layers, x)
    assert type(g) is list and all(type(t) is tuple for t in g)
    _close(g, _fd(layers_list, (layers, x), 0))
    _close(g, _autograd(layers_list, (layers, x), 0), rtol=1e-10, atol=1e-12)
    pair = (rng.normal(size=(3, 2)), rng.normal(size=2))
    g = ad.grad(pair_tuple)(pair, x)
    assert type(g) is tuple
    _close(g, _fd(pair_tuple, (pair, x), 0))
    # the same function still takes plain arrays, at no cost: the gradient made for them
    np.testing.assert_allclose(ad.grad(layers_list, wrt=1)(layers, x), _autograd(layers_list, (layers, x), 1))


def test_nested_structure_with_integer_and_float32_leaves(data):
    rng, x, _ = data
    params = {"scale": 1.5, "layers": [{"W": rng.normal(size=(3, 3)).astype(np.float32),
                                        "b": rng.normal(size=3).astype(np.float32)}],
              "extra": (2.0, 7), "name": "net"}
    g = ad.grad(nested)(params, x)
    assert g["extra"][1] is None and g["name"] is None  # integer and string leaves: no gradient
    assert g["layers"][0]["W"].dtype == np.float32  # float32 stays float32
    assert isinstance(g["scale"], float | np.floating)
    _close(g, _fd(nested, (params, x), 0, eps=1e-3), rtol=2e-3, atol=1e-3)


def test_namedtuple_dataclass_and_object(data):
    rng, x, y = data
    p = Params(rng.normal(size=(3, 2)), rng.normal(size=2))
    g = ad.grad(named)(p, x)
    assert type(g) is Params
    _close(g, _fd(named, (p, x), 0))
    model = Linear(rng.normal(size=(3, 2)), rng.normal(size=2))
    g = ad.grad(Linear.loss)(model, x, y)  # with respect to self
    assert type(g) is Linear and g.steps is None
    _close(g, _fd(Linear.loss, (model, x, y), 0))
    obj = Plain(rng.normal(size=(3, 2)), rng.normal(size=2))
    g = ad.grad(plain_object)(obj, x)
    assert type(g) is Plain
    _close(g, _fd(plain_object, (obj, x), 0))


def test_vjp_with_structured_input(data):
    rng, x, y = data
    params = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 2)),
              "b2": rng.normal(size=2)}
    out, pullback = ad.vjp(mlp_dict, params, x, y)
    np.testing.assert_allclose(out, mlp_dict(params, x, y))
    dparams, dx, dy = pullback(2.0)
    _close(dparams, {k: 2.0 * v for k, v in ad.grad(mlp_dict)(params, x, y).items()})
    np.testing.assert_allclose(dx, 2.0 * ad.grad(mlp_dict, wrt=1)(params, x, y))


def key_read_at_run_time(params, x, key):
    return np.sum(params[key] * x * params["a"])


def test_errors(data):
    rng, x, _ = data
    with pytest.raises(ad.WrtError, match="holds no floating-point values"):
        ad.grad(mlp_dict)({"W1": 1, "b1": 2, "W2": 3, "b2": 4}, x, x)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(key_read_at_run_time)({"a": rng.normal(size=3)}, rng.normal(size=3), "a")
    assert info.value.construct == "index of a container by a value known only at run time"
    assert info.value.location.line == key_read_at_run_time.__code__.co_firstlineno + 1


def test_generated_source_reads_leaves_as_parameters(data):
    rng, x, y = data
    params = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 2)),
              "b2": rng.normal(size=2)}
    df = ad.grad(mlp_dict)
    df(params, x, y)
    assert "def dmlp_dict_dparams(params_W1, params_b1, params_W2, params_b2, x, y):" in df.source
    code = [line for line in df.source.split('"""')[2].splitlines() if not line.lstrip().startswith("#")]
    assert not any("params[" in line for line in code)


def dict_output(x, W):
    h = np.tanh(x @ W)
    return {"h": h, "energy": np.sum(h ** 2), "count": 3}


def tuple_output(x, params):
    out = (x * params["a"], np.sin(x) + params["b"])
    return out


def test_vjp_of_functions_returning_containers(data):
    rng, x, _ = data
    W = rng.normal(size=(3, 2))
    out, pullback = ad.vjp(dict_output, x, W)
    assert set(out) == {"h", "energy", "count"}
    ct = {"h": rng.normal(size=(4, 2)), "energy": 1.5, "count": None}

    def contracted(x, W):  # the scalar whose gradient is the vector-Jacobian product
        o = dict_output(x, W)
        return np.sum(ct["h"] * o["h"]) + ct["energy"] * o["energy"]

    dx, dW = pullback(ct)
    np.testing.assert_allclose(dx, _fd(contracted, (x, W), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dW, _fd(contracted, (x, W), 1), rtol=1e-6, atol=1e-8)
    twin = types.FunctionType(contracted.__code__, {**globals(), "np": anp, "dict_output": types.FunctionType(
        dict_output.__code__, {"np": anp})}, "contracted", None, contracted.__closure__)
    np.testing.assert_allclose(dW, autograd.grad(twin, 1)(x, W), rtol=1e-10)
    with pytest.raises(ValueError, match="shape"):
        pullback({"h": np.ones(2), "energy": 1.0, "count": None})

    v = rng.normal(size=3)
    params = {"a": rng.normal(size=3), "b": 0.5}
    out, pullback = ad.vjp(tuple_output, v, params)
    assert type(out) is tuple
    cts = (rng.normal(size=3), rng.normal(size=3))
    dv, dparams = pullback(cts)
    np.testing.assert_allclose(dv, cts[0] * params["a"] + cts[1] * np.cos(v))
    np.testing.assert_allclose(dparams["a"], cts[0] * v)
    np.testing.assert_allclose(dparams["b"], np.sum(cts[1]))


def stacked_layers(params, x, n):
    h = x
    for i in range(n):
        for layer in params["layers"]:
            h = np.tanh(h @ layer[0] + layer[1])
        if i % 2 == 0:
            h = h * params["scale"]
    extra = 0.0
    for key, value in params["extra"].items():
        extra = extra + np.sum(value) * (2.0 if key == "a" else 1.0)
    return np.sum(h ** 2) + extra


def test_loops_and_branches_over_parameter_containers(data):
    rng, x, _ = data
    params = {"layers": [(rng.normal(size=(3, 3)), rng.normal(size=3)) for _ in range(2)], "scale": 0.7,
              "extra": {"a": rng.normal(size=2), "b": rng.normal(size=2)}}
    g = ad.grad(stacked_layers)(params, x, 3)
    _close(g, _fd(stacked_layers, (params, x, 3), 0))
    _close(g, _autograd(stacked_layers, (params, x, 3), 0), rtol=1e-10, atol=1e-12)


class WithProperty:
    def __init__(self, W):
        self.W = W

    @property
    def doubled(self):
        return self.W * 2.0

    def forward(self, x):
        return x @ self.W


def reads_property(model, x):
    return np.sum(x @ model.doubled)


def calls_method(model, x):
    return np.sum(model.forward(x))


@pytest.mark.parametrize("fn", [reads_property, calls_method])
def test_properties_and_methods_of_parameter_objects_are_inlined(data, fn):
    """A property read or a method called on the object is its class's function, inlined with `self` the
    object (tests/test_calls_object_methods.py has more)."""
    rng, x, _ = data
    model = WithProperty(rng.normal(size=(3, 2)))
    _close(ad.grad(fn)(model, x), _fd(fn, (model, x), 0))


def test_flat_functions_keep_the_zero_overhead_path():
    """`grad` of a function whose parameters are used as arrays returns the generated function itself."""
    df = ad.grad(pair_tuple.__globals__["mlp_dict"])
    assert hasattr(df, "__wrapped__")  # string keys: may take a dict
    import golden_functions as g
    flat = ad.grad(g.sigmoid_mlp_loss)
    assert not hasattr(flat, "__wrapped__") and flat.__code__.co_name == "dsigmoid_mlp_loss_dW1"


def iterated_dict_parameter(params, x):
    s = 0.0
    for name in params:
        s = s + np.sum(params[name] * x) * (2.0 if name == "b" else 1.0)
    return s


def test_a_dict_parameter_iterated_by_key(data):
    rng, _, _ = data
    params, x = {"a": rng.normal(size=3), "b": rng.normal(size=3)}, rng.normal(size=3)
    g = ad.grad(iterated_dict_parameter)(params, x)
    _close(g, _fd(iterated_dict_parameter, (params, x), 0))
    _close(g, _autograd(iterated_dict_parameter, (params, x), 0), rtol=1e-10, atol=1e-12)


def scaled_copy(params, x):
    new = {}
    for key in params:
        new[key] = params[key] * 0.9
    return np.sum(new["W"] * x) + np.sum(new["b"])


def test_a_dict_built_from_a_dict_parameter(data):
    """The function cannot work on arrays (the transform for arrays is refused by the containers pass):
    `grad` still returns the gradient for dicts."""
    rng, _, _ = data
    params, x = {"W": rng.normal(size=3), "b": rng.normal(size=2)}, rng.normal(size=3)
    df = ad.grad(scaled_copy)
    g = df(params, x)
    _close(g, _fd(scaled_copy, (params, x), 0))
    _close(g, _autograd(scaled_copy, (params, x), 0), rtol=1e-10, atol=1e-12)
    with pytest.raises(ad.UnsupportedSyntaxError):
        df(np.ones(3), x)


_DEFAULT = {"W": np.array([0.5, -1.0, 2.0])}


def with_default_params(x, params=_DEFAULT):
    return np.sum(np.sin(x * params["W"]))


def test_a_container_given_as_a_default(data):
    x = np.array([0.1, 0.2, 0.3])
    g = ad.grad(with_default_params, wrt="params")(x)
    _close(g, _fd(lambda p: with_default_params(x, p), (_DEFAULT,), 0))
    np.testing.assert_allclose(ad.grad(with_default_params)(x), np.cos(x * _DEFAULT["W"]) * _DEFAULT["W"])
