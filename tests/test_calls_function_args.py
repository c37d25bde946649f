"""Functions passed as arguments: the gradient specialises on the function given at the call.

Each gradient is compared with central finite differences of the same call, and with autograd where
it runs the program (its own `tanh`); a second call with another function gives that function's
gradient (no stale transform), and a function argument never gets a gradient.
"""

from __future__ import annotations

import functools

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import assert_trees_close, tree_fd

import adtransform as ad
from adtransform.errors import AdtransformError, WrtError

RNG = np.random.default_rng(3)
W = RNG.standard_normal((3, 3))
X = RNG.standard_normal(3)


def relu(z):
    return np.maximum(z, 0.0)


def softplus(z):
    return np.log1p(np.exp(z))


def scaled(z, k=2.0):
    return k * np.tanh(z)


def loss(W, x, act=np.tanh):
    return np.sum(act(W @ x) ** 2)


def dense(h, W, act):
    return act(W @ h)


def two_layers(W, x, act):
    return np.sum(dense(dense(x, W, act), W, np.sin))


def keyword_only(W, x, *, act, scale=1.0):
    return scale * np.sum(act(W @ x))


def params_and_act(params, x, act):
    return np.sum(act(params["W"] @ x + params["b"]))


def _fd(fn, args, i=0):
    return tree_fd(fn, args, i)


@pytest.mark.parametrize("act", [np.tanh, np.sin, np.cos, relu, softplus, scaled,
                                 functools.partial(scaled, k=3.0)], ids=lambda a: getattr(a, "__name__", "partial"))
def test_positional_and_keyword(act):
    g = ad.grad(loss)
    expected = _fd(lambda W, x: loss(W, x, act), (W, X))
    np.testing.assert_allclose(g(W, X, act), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g(W, X, act=act), expected, rtol=1e-6, atol=1e-8)


def test_default_function_and_autograd():
    g = ad.grad(loss)(W, X)
    twin = autograd.grad(lambda W, x: anp.sum(anp.tanh(anp.dot(W, x)) ** 2))(W, X)
    np.testing.assert_allclose(g, twin, rtol=1e-10)


def test_another_function_gives_its_gradient_no_stale_cache():
    g = ad.grad(loss, wrt="W")
    for act in (np.tanh, relu, np.sin, np.tanh, relu):
        expected = _fd(lambda W, x, act=act: loss(W, x, act), (W, X))
        np.testing.assert_allclose(g(W, X, act), expected, rtol=1e-6, atol=1e-8)


def test_redefined_or_edited_user_function_is_seen():
    def act(z, k=2.0):
        return k * np.tanh(z)

    g = ad.grad(loss)
    np.testing.assert_allclose(g(W, X, act), _fd(lambda W, x: loss(W, x, act), (W, X)), rtol=1e-6, atol=1e-8)
    act.__defaults__ = (5.0,)
    np.testing.assert_allclose(g(W, X, act), _fd(lambda W, x: loss(W, x, act), (W, X)), rtol=1e-6, atol=1e-8)

    def other(z, k=2.0):
        return k * np.sin(z)

    act.__code__ = other.__code__
    np.testing.assert_allclose(g(W, X, act), _fd(lambda W, x: loss(W, x, act), (W, X)), rtol=1e-6, atol=1e-8)


def test_passed_on_to_a_helper():
    for act in (np.tanh, relu):
        got = ad.grad(two_layers, wrt="W")(W, X, act)
        np.testing.assert_allclose(got, _fd(lambda W, x, act=act: two_layers(W, x, act), (W, X)), rtol=1e-6, atol=1e-8)


def test_keyword_only_function():
    g = ad.grad(keyword_only)
    for act in (np.tanh, softplus):
        got = g(W, X, act=act, scale=2.0)
        np.testing.assert_allclose(got, _fd(lambda W, x, act=act: keyword_only(W, x, act=act, scale=2.0), (W, X)),
                                   rtol=1e-6, atol=1e-8)


def test_bound_method_and_closure():
    class Layer:
        def __init__(self, k):
            self.k = k

        def act(self, z):
            return np.tanh(z) * self.k

    layer = Layer(1.5)
    got = ad.grad(loss)(W, X, layer.act)
    np.testing.assert_allclose(got, _fd(lambda W, x: loss(W, x, layer.act), (W, X)), rtol=1e-6, atol=1e-8)
    k = 0.5

    def closure(z):
        return k * z ** 3

    np.testing.assert_allclose(ad.grad(loss)(W, X, closure), _fd(lambda W, x: loss(W, x, closure), (W, X)),
                               rtol=1e-6, atol=1e-8)


def test_with_a_pytree_parameter():
    params = {"W": W, "b": X.copy()}
    for act in (np.tanh, relu):
        got = ad.grad(params_and_act)(params, X, act)
        assert_trees_close(got, _fd(lambda p, x, act=act: params_and_act(p, x, act), (params, X)), rtol=1e-6, atol=1e-8)


def test_value_and_grad_and_vjp():
    value, g = ad.value_and_grad(loss)(W, X, softplus)
    assert value == pytest.approx(loss(W, X, softplus))
    np.testing.assert_allclose(g, _fd(lambda W, x: loss(W, x, softplus), (W, X)), rtol=1e-6, atol=1e-8)
    out, pullback = ad.vjp(loss, W, X, np.sin)
    grads = pullback(1.0)
    assert grads[2] is None
    np.testing.assert_allclose(grads[0], _fd(lambda W, x: loss(W, x, np.sin), (W, X)), rtol=1e-6, atol=1e-8)


def test_no_gradient_for_a_function():
    with pytest.raises(WrtError, match="function"):
        ad.grad(loss, wrt="act")(W, X, np.tanh)
    dW, dx = ad.grad(loss, wrt=("W", "x"))(W, X, relu)
    np.testing.assert_allclose(dx, _fd(lambda W, x: loss(W, x, relu), (W, X), 1), rtol=1e-6, atol=1e-8)


def assigned(W, x, act):
    act = act if act is not None else np.tanh
    return np.sum(act(W @ x))


def test_refusals_are_located():
    with pytest.raises(AdtransformError, match=r"test_calls_function_args.py:\d+"):
        ad.grad(assigned)(W, X, np.tanh)
    no_source = eval("lambda z: z * 2.0")  # (no source to inline, no rule: refused where it is called)
    with pytest.raises(AdtransformError, match=r"test_calls_function_args.py:\d+"):
        ad.grad(loss)(W, X, no_source)


def reduces(W, x, red=np.sum):
    return red(np.tanh(W @ x) ** 2)


@pytest.mark.parametrize("red", [np.sum, np.mean, np.max], ids=["sum", "mean", "max"])
def test_numpy_dispatchers_passed(red):
    """NumPy's functions that are no ufuncs (array-function dispatchers) are functions too."""
    got = ad.grad(reduces)(W, X, red)
    np.testing.assert_allclose(got, _fd(lambda W, x: reduces(W, x, red), (W, X)), rtol=1e-6, atol=1e-8)


# -- containers of functions ----------------------------------------------------------------------

def constant_index(W, x, acts):
    return np.sum(acts[1](W @ x) + acts[0](x))


def over_range(W, x, acts):
    h = x
    for i in range(len(acts)):
        h = acts[i](W @ h)
    return np.sum(h)


def over_items(W, x, acts):
    h = x
    for act in acts:
        h = act(W @ h)
    return np.sum(h)


def over_zip(Ws, x, acts):
    h = x
    for W, act in zip(Ws, acts):
        h = act(W @ h)
    return np.sum(h)


def over_enumerate(W, x, acts):
    h = x
    for i, act in enumerate(acts):
        h = act(W @ h) * (i + 1)
    return np.sum(h)


def layers_with_acts(layers, x):
    h = x
    for W, b, act in layers:
        h = act(W @ h + b)
    return np.sum(h)


def config_dict(W, x, cfg):
    return np.sum(cfg["act"](W @ x) * cfg["scale"])


def keeps_loop_variable(W, x, acts):
    h = x
    for i in range(len(acts)):
        h = acts[i](W @ h)
    return np.sum(h) * i


TABLES = [(constant_index, (W, X, [np.tanh, relu]), 0), (over_range, (W, X, [np.tanh, relu, np.sin]), 0),
          (over_items, (W, X, (relu, softplus)), 0), (over_zip, ([W, 0.5 * W], X, [relu, np.tanh]), 0),
          (over_enumerate, (W, X, [np.sin, scaled]), 0),
          (layers_with_acts, ([(W, X, np.tanh), (0.5 * W, X, relu)], X), 0),
          (config_dict, (W, X, {"act": softplus, "scale": 2.0}), 0), (keeps_loop_variable, (W, X, [np.cos, relu]), 0)]


@pytest.mark.parametrize(("fn", "args", "i"), TABLES, ids=[t[0].__name__ for t in TABLES])
def test_containers_of_functions(fn, args, i):
    assert_trees_close(ad.grad(fn, wrt=i)(*args), tree_fd(fn, args, i), rtol=1e-6, atol=1e-8)


def test_containers_of_functions_other_functions_no_stale_cache():
    g = ad.grad(over_items)
    for acts in ([np.tanh, relu], [relu, np.tanh], [np.tanh, relu], [softplus, softplus]):
        np.testing.assert_allclose(g(W, X, acts), tree_fd(over_items, (W, X, acts), 0), rtol=1e-6, atol=1e-8)
    g = ad.grad(layers_with_acts)
    for act in (np.tanh, np.sin):
        layers = [(W, X, act), (W, X, relu)]
        assert_trees_close(g(layers, X), tree_fd(layers_with_acts, (layers, X), 0), rtol=1e-6, atol=1e-8)


def run_time_index(W, x, acts, j):
    return np.sum(acts[j](W @ x))


def test_run_time_index_refused_located():
    with pytest.raises(ad.UnsupportedSyntaxError, match="index known only when the gradient runs") as info:
        ad.grad(run_time_index)(W, X, [np.tanh, relu], 1)
    assert info.value.location.line == run_time_index.__code__.co_firstlineno + 1


def returns_pair(W, x, act):
    h = act(W @ x)
    return h * 2.0, np.sum(h)


def test_vjp_of_a_tuple_output_with_a_function_argument():
    out, pullback = ad.vjp(returns_pair, W, X, relu)
    ct = (np.ones(3), 2.0)
    dW = pullback(ct)[0]
    expected = tree_fd(lambda W, x: np.sum(returns_pair(W, x, relu)[0]) + 2.0 * returns_pair(W, x, relu)[1],
                       (W, X), 0)
    np.testing.assert_allclose(dW, expected, rtol=1e-6, atol=1e-8)
    assert pullback(ct)[2] is None


def nested_uses_the_function(W, x, act):
    def layer(h):
        return act(W @ h)

    return np.sum(layer(layer(x)))


def nested_reads_the_dict(p, x):
    def layer(h):
        return np.tanh(p["W"] @ h)

    return np.sum(layer(layer(x)))


def test_nested_functions_reading_a_function_or_a_dict_argument():
    """(The syntax check made at `grad` for these no longer refuses the nested function it inlines.)"""
    W2 = 0.5 * W
    for act in (np.tanh, relu):
        got = ad.grad(nested_uses_the_function)(W2, X, act)
        np.testing.assert_allclose(got, _fd(lambda W, x, act=act: nested_uses_the_function(W, x, act), (W2, X)),
                                   rtol=1e-6, atol=1e-8)
    p = {"W": W2}
    assert_trees_close(ad.grad(nested_reads_the_dict)(p, X), _fd(nested_reads_the_dict, (p, X)), rtol=1e-6, atol=1e-8)
