"""The public API contract of DESIGN.md: wrt forms, value_and_grad, metadata, cache, errors."""

import threading

import numpy as np
import pytest
from gradcheck import check_grad, numeric_grad

import adtransform as ad
from adtransform import pipeline


def f(x, y, z=1.0):
    """A function of three parameters."""
    return np.sum(x * y) + z * np.sum(np.sin(y))


X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.3, -0.7])


def test_grad_as_decorator_and_call():
    @ad.grad
    def g(x):
        return x * x

    assert g(3.0) == pytest.approx(6.0)
    assert ad.grad(f)(X, Y).shape == X.shape


def test_grad_with_wrt_keyword_as_decorator_factory():
    @ad.grad(wrt="y")
    def g(x, y):
        return x * y * y

    assert g(2.0, 3.0) == pytest.approx(12.0)


@pytest.mark.parametrize("wrt, expected", [
    (0, "x"), (1, "y"), ("y", "y"), (-1, "z"), ((0, "y"), ("x", "y")), ((1,), ("y",)), (("z", 0), ("z", "x")),
])
def test_wrt_forms(wrt, expected):
    df = ad.grad(f, wrt=wrt)
    z = 0.7
    out = df(X, Y, z)
    analytic = {"x": Y, "y": X + z * np.cos(Y), "z": np.sum(np.sin(Y))}
    if isinstance(expected, tuple):
        assert isinstance(out, tuple) and len(out) == len(expected)
        for o, name in zip(out, expected):
            np.testing.assert_allclose(o, analytic[name])
    else:
        np.testing.assert_allclose(out, analytic[expected])


def test_value_and_grad():
    v, g = ad.value_and_grad(f)(X, Y)
    assert v == pytest.approx(f(X, Y))
    np.testing.assert_allclose(g, Y)
    v, (gx, gy) = ad.value_and_grad(f, wrt=(0, 1))(X, Y)
    assert v == pytest.approx(f(X, Y))
    np.testing.assert_allclose(gy, X + np.cos(Y))


def test_metadata_kept():
    df = ad.grad(f)
    assert df.__name__ == "f" and df.__doc__ == f.__doc__ and df.__qualname__ == f.__qualname__
    assert ad.source(df) == df.source and df.source.startswith("def df_dx(x, y, z=1.0):")
    with pytest.raises(TypeError, match="not generated"):
        ad.source(f)


def test_keyword_and_default_arguments_pass_through():
    df = ad.grad(f, wrt="z")
    assert df(X, Y) == pytest.approx(np.sum(np.sin(Y)))
    assert df(y=Y, x=X, z=3.0) == pytest.approx(np.sum(np.sin(Y)))


@pytest.mark.parametrize("wrt, match", [
    (3, "out of range"), ("w", "not a parameter"), (True, "indices or names"), ((), "empty"),
    ((0, "x"), "same parameter twice"), (1.0, "indices or names"),
])
def test_bad_wrt(wrt, match):
    with pytest.raises(ad.WrtError, match=match):
        ad.grad(f, wrt=wrt)


@pytest.mark.parametrize("value, what", [(np.arange(3), "integers"), (3, "integers"),
                                         (np.array([True, False, True]), "booleans"), (True, "booleans")])
def test_integer_and_boolean_wrt_rejected_at_call(value, what):
    with pytest.raises(ad.NonDifferentiableInputError, match=what):
        ad.grad(f)(value, Y)


def test_non_scalar_output_points_to_vjp():
    def g(x):
        return x * 2.0

    with pytest.raises(ad.NonScalarOutputError, match="vjp"):
        ad.grad(g)(np.ones(3))


def test_unused_parameter_has_zero_gradient_of_its_shape_and_dtype():
    def g(x, w):
        return np.sum(x * 2.0)

    gx, gw = ad.grad(g, wrt=(0, 1))(np.ones(2), np.ones((3, 4), dtype=np.float32))
    assert gw.shape == (3, 4) and gw.dtype == np.float32 and not gw.any()
    gx, gs = ad.grad(g, wrt=(0, 1))(np.ones(2), 5.0)
    assert gs == 0.0 and isinstance(gs, float)


def test_float32_in_float32_out():
    x = np.linspace(0.1, 1.0, 5, dtype=np.float32)
    y = Y.astype(np.float32)[:1]
    g = ad.grad(f)(x, y)
    assert g.dtype == np.float32
    check_grad(f, (x, y), wrt=(0, 1))


def test_cache_transforms_once(monkeypatch):
    def g(x):
        return np.sum(np.exp(x))

    calls = []
    real = pipeline.gradient
    monkeypatch.setattr(pipeline, "gradient", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = ad.grad(g)
    second = ad.grad(g)
    assert len(calls) == 1 and first.__code__ is second.__code__
    ad.grad(g, wrt=(0,))
    ad.value_and_grad(g)
    assert len(calls) == 3


def test_cache_notices_a_rebound_callee():
    namespace = {"np": np, "act": np.tanh}
    exec_src = "def h(x):\n    return np.sum(act(x))\n"
    import linecache
    linecache.cache["<cache-test>"] = (len(exec_src), None, exec_src.splitlines(True), "<cache-test>")
    exec(compile(exec_src, "<cache-test>", "exec"), namespace)
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(ad.grad(namespace["h"])(x), 1 - np.tanh(x) ** 2)
    namespace["act"] = np.sin
    np.testing.assert_allclose(ad.grad(namespace["h"])(x), np.cos(x))


def test_cache_is_thread_safe(monkeypatch):
    def g(x):
        return np.sum(np.cos(x) * x)

    calls = []
    real = pipeline.gradient
    monkeypatch.setattr(pipeline, "gradient", lambda *a, **k: calls.append(1) or real(*a, **k))
    results = []
    threads = [threading.Thread(target=lambda: results.append(ad.grad(g)(X))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 8


from adtransform import d  # noqa: E402  (the rule notation)


def my_softplus(x):
    return np.log1p(np.exp(x))


@ad.adjoint(my_softplus, elementwise=True)
def _softplus_adjoint(y, x):
    d[x] = d[y] / (1.0 + np.exp(-x))


def uses_custom(x, b):
    return np.sum(my_softplus(x + b))


def test_custom_adjoint_through_public_decorator():
    x, b = np.array([-1.0, 0.0, 2.0]), np.array([[0.5], [1.0]])
    check_grad(uses_custom, (x, b), wrt=(0, 1))
    # Scalar arguments run the version without unbroadcast; these arrays the general version with it.
    assert "if not all_scalars(x, b):" in ad.grad(uses_custom, wrt=1).source


def rule_without_b(x, b):
    return np.sum(partial_rule(x, b))


def partial_rule(x, b):
    return x * b


@ad.adjoint(partial_rule)
def _partial(y, x, b):
    d[x] = d[y] * b


def test_rule_missing_a_contribution_is_an_error_not_a_zero():
    ad.grad(rule_without_b)(np.ones(2), np.ones(2))
    with pytest.raises(ad.NoAdjointRuleError, match="no derivative with respect to its argument `b`"):
        ad.grad(rule_without_b, wrt=1)(np.ones(2), np.ones(2))


def test_user_function_calls_are_inlined():
    """(Issue 12: once refused.) `my_softplus` keeps its registered rule; `f`, a plain function, is inlined."""
    def g(x):
        return np.sum(my_softplus(x) + f(x, x))

    x = np.array([0.3, -1.2])
    expected = 1.0 / (1.0 + np.exp(-x)) + 2.0 * (2.0 * x + np.cos(x))  # f(x, x) is added to both elements
    np.testing.assert_allclose(ad.grad(g)(x), expected, rtol=1e-12)


def test_missing_rule_names_the_function():
    def g(x):
        return np.linalg.cond(x)

    with pytest.raises(ad.NoAdjointRuleError, match=r"np\.linalg\.cond"):
        ad.grad(g)(np.eye(2))


def test_inactive_unknown_calls_are_fine():
    def g(x, n):
        noise = np.random.default_rng(0).normal(size=n)
        return np.sum(x * noise)

    np.testing.assert_allclose(ad.grad(g)(np.ones(3), 3), np.random.default_rng(0).normal(size=3))


def layer(W, x, n):
    h = np.tanh(x @ W)
    return h * n


def test_vjp_matches_the_transposed_jacobian_product():
    rng = np.random.default_rng(3)
    W, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
    y, pullback = ad.vjp(layer, W, x, 3)
    np.testing.assert_allclose(y, layer(W, x, 3))
    ct = rng.normal(size=y.shape)
    dW, dx, dn = pullback(ct)
    assert dn is None                                      # an int argument is not differentiated
    g = ct * 3 * (1 - np.tanh(x @ W) ** 2)
    np.testing.assert_allclose(dW, x.T @ g)
    np.testing.assert_allclose(dx, g @ W.T)
    # The pullback can be called again with another cotangent.
    dW2, _, _ = pullback(2 * ct)
    np.testing.assert_allclose(dW2, 2 * dW)


def nested_steps(x):
    s = 0.0
    for i in range(3):
        for j in range(2):
            s = s + np.sin(x * s + x * j)
    return s


def while_steps(x):
    s, k = 0.0, 0
    while k < 3:
        s = s * np.cos(x + s) + 1.0
        k = k + 1
    return s


@pytest.mark.parametrize("fn", [nested_steps, while_steps])
def test_vjp_of_loops_can_be_pulled_back_again(fn):
    # The pullback pops copies of the loops' records (inner loops' records too), not the records.
    x = np.array([0.3, 0.5])
    y, pullback = ad.vjp(fn, x)
    expected = numeric_grad(lambda v: np.sum(fn(v)), (x,))
    for ct in (np.ones(2), np.ones(2), np.array([2.0, -1.0])):
        (dx,) = pullback(ct)
        np.testing.assert_allclose(dx, ct * expected, rtol=1e-6, atol=1e-9)


def test_vjp_checks_the_cotangent_shape():
    _, pullback = ad.vjp(layer, np.ones((3, 2)), np.ones((4, 3)), 1)
    with pytest.raises(ValueError, match="cotangent"):
        pullback(np.ones(2))


def test_vjp_source_is_a_closure():
    src = ad.api._differentiate(layer, (0, 1), ad.api.Mode.VJP).source
    assert "    def pullback(mul_bar):" in src and src.rstrip().endswith("return (mul, pullback)")


def softmax_xent(z, y):
    m = ad.stop_gradient(np.max(z))
    e = np.exp(z - m)
    return np.log(np.sum(e)) + m - np.sum(z * y)


def test_stop_gradient_blocks_the_adjoint_only():
    z, y = np.array([0.5, 2.0, -1.0]), np.array([0.0, 1.0, 0.0])
    check_grad(softmax_xent, (z, y))      # the max-subtraction is exact: the gradient is unchanged
    assert "extremum_adjoint" not in ad.grad(softmax_xent).source
    assert ad.stop_gradient(3.0) == 3.0


def aliased_update(x):
    y = x
    y += 1.0
    return np.sum(x * x)


def view_update(x):
    y = x[0]
    y *= 3.0
    return np.sum(x * x)


def unaliased_update(x0, v):
    x = x0
    x += 0.5 * v
    return np.sum(x * x)


@pytest.mark.parametrize("fn", [aliased_update, view_update])
def test_in_place_update_of_an_alias_is_refused(fn):
    # NumPy would change `x` through `y`; rewriting `y += e` as `y = y + e` would be silently wrong.
    # (called with an array: `aliased_update` is accepted for a number x, which `+=` rebinds)
    with pytest.raises(ad.UnsupportedSyntaxError, match="may share memory with `x`") as info:
        ad.grad(fn)(np.ones(2))
    assert info.value.location.line == fn.__code__.co_firstlineno + 2


def test_in_place_update_without_a_later_read_of_the_alias_is_fine():
    # (Finite differences of the primal are useless here: NumPy's `+=` mutates the caller's x0.)
    x0, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    gx, gv = ad.grad(unaliased_update, wrt=(0, 1))(x0, v)
    np.testing.assert_allclose(gx, 2 * (x0 + 0.5 * v))
    np.testing.assert_allclose(gv, x0 + 0.5 * v)
    np.testing.assert_array_equal(x0, [0.5, -1.0])  # the gradient leaves the caller's array alone
