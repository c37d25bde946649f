"""Which path a call takes: a container parameter used only through a helper, a comprehension or a
builtin that iterates it must reach the pytree path (not the flat path, which refuses it at the call).

`grad` decides from the source, once, whether a parameter may be a container (pipeline/pytrees.py
`_scan`): these are the uses it used to miss. Each gradient is compared with central finite differences
and with autograd (run on a copy of the functions reading autograd.numpy).
"""

from __future__ import annotations

import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import assert_trees_close, tree_fd

import adtransform as ad
from adtransform.errors import NonDifferentiableInputError
from adtransform.pipeline import pytrees
from adtransform.runtime.pytrees import flatten

X = np.array([0.3, 0.7, 1.1])


_fd = tree_fd
_close = assert_trees_close


def _autograd(fn, args, i):
    """autograd's gradient of a copy of `fn` whose module-level functions (helpers too) read autograd.numpy."""
    space = {**fn.__globals__, "np": anp}
    for name, value in list(space.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            space[name] = types.FunctionType(value.__code__, space, value.__name__, value.__defaults__)
    return autograd.grad(space[fn.__name__], i)(*args)


def layer(p, v):
    return np.tanh(p["W"] * v + p["b"])


def through_helper(p, x):
    return np.sum(layer(p, x))


def through_two_helpers(params, x):
    return np.sum(layer(params["first"], layer(params["second"], x)))


def keyword_helper(p, x):
    return np.sum(layer(v=x, p=p))


def comprehension(L):
    M = [v * v for v in L]
    return np.sum(M[0] * M[-1])


def generator(L):
    return sum(np.sum(np.sin(v)) for v in L)


def weights_comprehension(params, x):
    return sum(np.sum(W * x) for W in params["layers"]) * params["scale"]


def alias(params, x):
    q = params
    return np.sum(layer(q, x))


def square(v):
    return v * v


def helper_in_comprehension(L):
    M = [square(v) for v in L]
    return np.sum(M[0] * M[-1])


class Model:
    def apply(self, p, v):
        return np.sum(np.cos(p["W"] * v))


MODEL = Model()


def method_helper(p, x):
    return MODEL.apply(p, x)


def sorted_keys(d):
    s = 0.0
    for i, k in enumerate(sorted(d)):
        s = s + np.sum(np.sin(d[k])) * (i + 1.0)
    return s * len(d)


def total(d):
    return sum(np.sum(d[k] ** 2) for k in d)


def iterated_in_helper(params, x):
    return total(params) * np.sum(x)


def list_of_layers(params, x):
    Ws = [W for W in params["layers"]]
    h = x
    for W in Ws:
        h = np.tanh(W * h)
    return np.sum(h)


CASES = [
    (sorted_keys, ({"b": X * 2.0, "a": X, "c": 0.5},)),
    (iterated_in_helper, ({"u": X, "v": X * 3.0}, X)),
    (list_of_layers, ({"layers": [X, X * 0.5, X + 1.0]}, X)),
    (through_helper, ({"W": X * 2.0, "b": 0.5}, X)),
    (through_two_helpers, ({"first": {"W": X, "b": 0.1}, "second": {"W": X * 3.0, "b": -0.2}}, X)),
    (keyword_helper, ({"W": X * 2.0, "b": X - 1.0}, X)),
    (comprehension, ([X, X * 2.0, X * 3.0],)),
    (generator, ((X, X * 2.0),)),
    (weights_comprehension, ({"layers": [X, X * 2.0], "scale": 1.5}, X)),
    (alias, ({"W": X, "b": 0.5}, X)),
    (helper_in_comprehension, ([X, X * 2.0, X * 3.0],)),
    (method_helper, ({"W": X * 2.0}, X)),
]


@pytest.mark.parametrize(("fn", "args"), CASES, ids=[c[0].__name__ for c in CASES])
def test_a_container_reached_through_a_use_the_scan_follows(fn, args):
    before = [flatten(a)[0] for a in args]
    grad = ad.grad(fn)(*args)
    _close(grad, _fd(fn, args, 0), rtol=1e-5, atol=1e-7)
    if fn is not method_helper:  # (autograd would need the method's module swapped too)
        _close(grad, _autograd(fn, args, 0))
    value, grad2 = ad.value_and_grad(fn)(*args)
    assert value == pytest.approx(fn(*args))
    _close(grad2, grad)
    for a, leaves in zip(args, before):  # the arguments are not changed
        for now, then in zip(flatten(a)[0], leaves):
            assert now is then


def test_wrt_by_name_and_a_non_wrt_container():
    params = {"W": X * 2.0, "b": 0.5}
    by_name = ad.grad(through_helper, wrt="p")(params, X)
    _close(by_name, _fd(through_helper, (params, X), 0), rtol=1e-5, atol=1e-7)
    # the container is not differentiated, the array is: still the pytree path
    gx = ad.grad(through_helper, wrt=1)(params, X)
    np.testing.assert_allclose(gx, _fd(through_helper, (params, X), 1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gx, _autograd(through_helper, (params, X), 1))


def test_arrays_keep_the_flat_path():
    """A helper using its parameter as an array: the gradient is the generated function itself."""
    def dense(W, v):
        return np.tanh(W * v)

    def f(W, x):
        return np.sum(dense(W, x))

    assert pytrees.may_take_structures(f) == ""
    g = ad.grad(f)
    assert "ensure_" in g.source and not hasattr(g, "__wrapped__")
    np.testing.assert_allclose(g(X, X), _fd(f, (X, X), 0), rtol=1e-5, atol=1e-7)


def test_an_array_iterated_as_a_container_would_be_still_differentiates():
    def f(x):
        return np.sum(x * len(x)) + sum(np.sin(v) for v in x)

    np.testing.assert_allclose(ad.grad(f)(X), _fd(f, (X,), 0), rtol=1e-5, atol=1e-7)


def test_a_use_the_scan_cannot_see_is_refused_saying_so():
    class Hidden:
        def __init__(self):
            self.go = lambda p, v: np.sum(p["W"] * v)  # an instance attribute: not seen when grad is called

    hidden = Hidden()

    def f(p, x):
        return hidden.go(p, x)

    with pytest.raises(NonDifferentiableInputError, match="was not seen using `p` as a container"):
        ad.grad(f)({"W": X}, X)


def scaled(x, cfg):
    return np.sum(layer(cfg, x) * x)


def test_a_container_not_differentiated_reaches_the_pytree_path():
    cfg = {"W": X * 2.0, "b": 0.25}
    g = ad.grad(scaled)(X, cfg)
    np.testing.assert_allclose(g, _fd(scaled, (X, cfg), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g, _autograd(scaled, (X, cfg), 0))


def test_sorted_keys_that_cannot_be_compared_is_refused_located():
    def f(d):
        return sum(np.sum(d[k]) for k in sorted(d))

    with pytest.raises(ad.UnsupportedSyntaxError, match="test_pytrees_dispatch.py.*cannot be compared"):
        ad.grad(f)({1: X, "a": X})


def identity(p):
    return p


def test_vjp_of_a_function_returning_its_container_parameter():
    """The pullback of the identity is the cotangent, in the parameter's structure (autograd agrees)."""
    p = {"a": X.copy(), "b": 2.0}
    ct = {"a": np.array([1.0, -2.0, 0.5]), "b": 3.0}
    out, pullback = ad.vjp(identity, p)
    assert out is p
    (got,) = pullback(ct)
    _close(got, ct)
    expected, _ = autograd.make_vjp(identity)(p)
    _close(got, expected(ct))


def test_the_per_call_structure_key_tells_apart_what_the_trees_tell_apart():
    """The key a call looks its transform up by (runtime/pytrees.py structure_key) is equal exactly when
    the trees `flatten` makes are, and gathers the same leaves in the same order."""
    from collections import namedtuple

    from adtransform.runtime.pytrees import flatten, structure_key

    Pair = namedtuple("Pair", "a b")
    a, b = np.ones(2), np.zeros(3)
    values = [{"W": a, "b": b}, {"b": b, "W": a}, {"W": a, "b": 1}, {"W": a, "b": 1.5}, [a, b], (a, b),
              [a, [b]], [[a], b], Pair(a, b), {"p": Pair(a, 2)}, {"p": (a, 2)}, {"W": a, "b": np.arange(3)},
              [a, b, a], ()]
    for x in values:
        leaves = []
        key = structure_key(x, leaves)
        found, _ = flatten(x)
        assert len(leaves) == len(found) and all(u is v for u, v in zip(leaves, found))
        for y in values:
            same_tree = flatten(x)[1] == flatten(y)[1]
            assert (key == structure_key(y, [])) == same_tree, (x, y)
