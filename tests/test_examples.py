"""End-to-end examples: the AD lecture example, logistic regression, a small
MLP, softmax cross-entropy, float32 and the public API (value_and_grad,
wrt by name, keyword arguments, the decorator form, generated source).

Analytic gradients are derived by hand in the tests; the MLP and the softmax
loss are also compared with autograd (a parallel ``autograd.numpy`` version of
each function is written next to it) and with finite differences.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad
from gradcheck import check_grad, numeric_grad

import adtransform as ad


def assert_close(got, want, rtol, atol=0.0, what=""):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


# ==========================================================================
# (a) the lecture example
# ==========================================================================


def lecture(x):
    z2 = 3 * np.sqrt(x)
    z3 = np.log(x)
    z4 = 1 / x
    z1 = z4**2 + z3
    y = z1 * z2
    return y


def lecture_adjoints(z1, z2, z3, z4):
    # Same dependence structure as the tail of ``lecture``: y = z1 * z2 with
    # z1 = z4**2 + z3. Here the z1 parameter is an additive perturbation of
    # that intermediate (evaluated at 0), so dy/dz1 is the lecture's adjoint
    # of z1, and dy/dz2, dy/dz3, dy/dz4 are the adjoints of z2, z3, z4.
    s = z4**2 + z3 + z1
    y = s * z2
    return y


def lecture_derivative(x):
    """Hand-derived: y = (x**-2 + ln x) * 3 sqrt(x)."""
    z1 = x**-2 + np.log(x)
    dz1 = -2.0 * x**-3 + 1.0 / x
    z2 = 3.0 * np.sqrt(x)
    dz2 = 1.5 / np.sqrt(x)
    return dz1 * z2 + z1 * dz2


def test_lecture_gradient_value():
    g = ad.grad(lecture)(1.2)
    assert np.ndim(g) == 0
    assert round(float(g), 2) == 0.14
    assert abs(float(g) - lecture_derivative(1.2)) <= 1e-12 * max(1.0, abs(lecture_derivative(1.2)))


@pytest.mark.parametrize("x", [0.3, 1.2, 2.0, 7.5])
def test_lecture_matches_analytic(x):
    g = ad.grad(lecture)(x)
    want = lecture_derivative(x)
    assert abs(float(g) - want) <= 1e-12 * max(1.0, abs(want)), (g, want)


def test_lecture_finite_differences():
    check_grad(lecture, (1.2,))


def test_lecture_intermediate_adjoints():
    x = 1.2
    z2 = 3 * np.sqrt(x)
    z3 = np.log(x)
    z4 = 1 / x
    z1 = z4**2 + z3
    g = ad.grad(lecture_adjoints, wrt=("z1", "z2", "z3", "z4"))(0.0, z2, z3, z4)
    assert isinstance(g, tuple) and len(g) == 4
    g1, g2, g3, g4 = (float(v) for v in g)
    # the lecture's table, to 2 decimals
    assert (round(g1, 2), round(g2, 2), round(g3, 2), round(g4, 2)) == (3.29, 0.88, 3.29, 5.48)
    # analytic adjoints: z1_bar = z2, z2_bar = z1, z3_bar = z1_bar, z4_bar = z1_bar * 2 z4
    assert_close([g1, g2, g3, g4], [z2, z1, z2, z2 * 2 * z4], rtol=1e-13, what="adjoints")
    # chain rule back to x: dz2/dx = 3 / (2 sqrt x), dz3/dx = 1 / x, dz4/dx = -1 / x**2
    dydx = g2 * 1.5 / np.sqrt(x) + g3 / x - g4 / x**2
    assert_close(dydx, float(ad.grad(lecture)(x)), rtol=1e-12, what="chain rule")


# ==========================================================================
# (b) logistic regression, binary cross-entropy wrt (a, b)
# ==========================================================================


def bce_loss(a, b, x, y):
    p = 1 / (1 + np.exp(-(a * x + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _logistic_data():
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 1.5, 25)
    y = (rng.uniform(size=25) < 1 / (1 + np.exp(-(1.3 * x - 0.4)))).astype(np.float64)
    return x, y


@pytest.mark.parametrize("a,b", [(0.7, -0.2), (-1.1, 0.5), (2.0, 0.0)])
def test_logistic_bce_analytic(a, b):
    x, y = _logistic_data()
    ga, gb = ad.grad(bce_loss, wrt=(0, 1))(a, b, x, y)
    p = 1 / (1 + np.exp(-(a * x + b)))
    assert np.ndim(ga) == 0 and np.ndim(gb) == 0
    assert_close(ga, np.mean((p - y) * x), rtol=1e-10, atol=1e-14, what="dL/da")
    assert_close(gb, np.mean(p - y), rtol=1e-10, atol=1e-14, what="dL/db")


def test_logistic_bce_by_name_and_fd():
    x, y = _logistic_data()
    by_name = ad.grad(bce_loss, wrt=("a", "b"))(0.7, -0.2, x, y)
    by_index = ad.grad(bce_loss, wrt=(0, 1))(0.7, -0.2, x, y)
    assert_close(by_name, by_index, rtol=0, atol=0, what="wrt names vs indices")
    check_grad(bce_loss, (0.7, -0.2, x, y), wrt=("a", "b"))


# ==========================================================================
# (c) 1-10-1 sigmoid MLP, mean squared error
# ==========================================================================


def mlp_loss(W1, b1, W2, b2, x, y):
    h = 1 / (1 + np.exp(-(x @ W1 + b1)))
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def mlp_loss_autograd(W1, b1, W2, b2, x, y):
    h = 1 / (1 + anp.exp(-(anp.dot(x, W1) + b1)))
    out = anp.dot(h, W2) + b2
    return anp.mean((out - y) ** 2)


def _mlp_params(dtype=np.float64, seed=5):
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0, 1.0, (1, 10))
    b1 = rng.normal(0, 0.5, (10,))
    W2 = rng.normal(0, 0.7, (10, 1))
    b2 = rng.normal(0, 0.1, (1,))
    x = np.linspace(-2, 2, 16).reshape(16, 1)
    y = np.sin(1.5 * x) + 0.1 * rng.normal(size=(16, 1))
    return tuple(np.asarray(a, dtype=dtype) for a in (W1, b1, W2, b2, x, y))


def _autograd_all(fn, args, argnums):
    return tuple(autograd_grad(fn, i)(*args) for i in argnums)


def test_mlp_matches_autograd():
    args = _mlp_params()
    got = ad.grad(mlp_loss, wrt=(0, 1, 2, 3))(*args)
    want = _autograd_all(mlp_loss_autograd, args, range(4))
    assert isinstance(got, tuple) and len(got) == 4
    for name, g, w, p in zip(("W1", "b1", "W2", "b2"), got, want, args[:4], strict=True):
        assert np.shape(g) == p.shape and np.asarray(g).dtype == np.float64, name
        assert_close(g, w, rtol=1e-10, atol=1e-13, what=f"dL/d{name} vs autograd")


def test_mlp_finite_differences():
    args = _mlp_params(seed=6)
    check_grad(mlp_loss, args, wrt=("W1", "b1", "W2", "b2"))


def test_mlp_single_wrt_matches_tuple():
    args = _mlp_params(seed=7)
    full = ad.grad(mlp_loss, wrt=(0, 1, 2, 3))(*args)
    only_w2 = ad.grad(mlp_loss, wrt=2)(*args)
    assert not isinstance(only_w2, tuple)
    assert_close(only_w2, full[2], rtol=1e-14, atol=0, what="wrt=2 vs tuple")
    first = ad.grad(mlp_loss)(*args)  # default: first positional parameter
    assert_close(first, full[0], rtol=1e-14, atol=0, what="default wrt vs tuple")


# ==========================================================================
# (d) softmax cross-entropy with the max-subtraction trick
# ==========================================================================


def softmax_xent(logits, onehot):
    z = logits - np.max(logits, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    logp = z - lse
    return -np.mean(np.sum(onehot * logp, axis=1))


def softmax_xent_autograd(logits, onehot):
    z = logits - anp.max(logits, axis=1, keepdims=True)
    lse = anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
    logp = z - lse
    return -anp.mean(anp.sum(onehot * logp, axis=1))


def linear_softmax_xent(W, b, X, onehot):
    logits = X @ W + b
    z = logits - np.max(logits, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    logp = z - lse
    return -np.mean(np.sum(onehot * logp, axis=1))


def linear_softmax_xent_autograd(W, b, X, onehot):
    logits = anp.dot(X, W) + b
    z = logits - anp.max(logits, axis=1, keepdims=True)
    lse = anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
    logp = z - lse
    return -anp.mean(anp.sum(onehot * logp, axis=1))


def _softmax_data(n=8, k=5, d=3, seed=3):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n, k))
    labels = rng.integers(0, k, n)
    onehot = np.eye(k)[labels]
    X = rng.normal(size=(n, d))
    W = rng.normal(0, 0.8, (d, k))
    b = rng.normal(0, 0.3, (k,))
    return logits, onehot, X, W, b


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_xent_logits_vs_autograd_and_analytic():
    logits, onehot, *_ = _softmax_data()
    g = ad.grad(softmax_xent)(logits, onehot)
    assert_close(
        g,
        autograd_grad(softmax_xent_autograd)(logits, onehot),
        rtol=1e-10,
        atol=1e-14,
        what="vs autograd",
    )
    analytic = (_softmax(logits) - onehot) / logits.shape[0]
    assert_close(g, analytic, rtol=1e-10, atol=1e-14, what="vs (softmax - onehot) / N")


def test_softmax_xent_large_logits_stable():
    logits, onehot, *_ = _softmax_data(seed=4)
    big = 400.0 * logits  # exp would overflow without the max subtraction
    g = ad.grad(softmax_xent)(big, onehot)
    assert np.all(np.isfinite(g))
    assert_close(g, (_softmax(big) - onehot) / big.shape[0], rtol=1e-9, atol=1e-14, what="big")


def test_linear_softmax_xent_vs_autograd_and_fd():
    _, onehot, X, W, b = _softmax_data(seed=9)
    gW, gb = ad.grad(linear_softmax_xent, wrt=("W", "b"))(W, b, X, onehot)
    wW, wb = _autograd_all(linear_softmax_xent_autograd, (W, b, X, onehot), (0, 1))
    assert_close(gW, wW, rtol=1e-10, atol=1e-14, what="dL/dW vs autograd")
    assert_close(gb, wb, rtol=1e-10, atol=1e-14, what="dL/db vs autograd")
    check_grad(linear_softmax_xent, (W, b, X, onehot), wrt=(0, 1))


# ==========================================================================
# (e) float32 stays float32
# ==========================================================================


def test_mlp_float32():
    args32 = _mlp_params(dtype=np.float32)
    got = ad.grad(mlp_loss, wrt=(0, 1, 2, 3))(*args32)
    args64 = tuple(a.astype(np.float64) for a in args32)
    want = _autograd_all(mlp_loss_autograd, args64, range(4))
    for name, g, w, p in zip(("W1", "b1", "W2", "b2"), got, want, args32[:4], strict=True):
        assert isinstance(g, np.ndarray) and g.dtype == np.float32, f"{name}: {type(g)}"
        assert g.shape == p.shape, name
        assert_close(g, w, rtol=2e-4, atol=2e-5, what=f"float32 dL/d{name} vs autograd")
    check_grad(mlp_loss, args32, wrt=(0, 1, 2, 3))


def test_softmax_float32():
    _, onehot, X, W, b = _softmax_data(seed=10)
    args32 = tuple(a.astype(np.float32) for a in (W, b, X, onehot))
    gW, gb = ad.grad(linear_softmax_xent, wrt=(0, 1))(*args32)
    assert gW.dtype == np.float32 and gb.dtype == np.float32
    check_grad(linear_softmax_xent, args32, wrt=(0, 1))


# ==========================================================================
# (f) value_and_grad and other API behaviour
# ==========================================================================


def test_value_and_grad_lecture():
    v, g = ad.value_and_grad(lecture)(1.2)
    assert_close(v, lecture(1.2), rtol=1e-15, what="value")
    assert_close(g, lecture_derivative(1.2), rtol=1e-12, what="grad")


def test_value_and_grad_mlp_tuple_wrt():
    args = _mlp_params(seed=8)
    v, gs = ad.value_and_grad(mlp_loss, wrt=(0, 1, 2, 3))(*args)
    assert np.ndim(v) == 0
    assert_close(v, mlp_loss(*args), rtol=1e-14, what="value")
    assert isinstance(gs, tuple) and len(gs) == 4
    for g, w in zip(gs, ad.grad(mlp_loss, wrt=(0, 1, 2, 3))(*args), strict=True):
        assert_close(g, w, rtol=1e-14, atol=0, what="value_and_grad vs grad")


def test_value_and_grad_wrt0_two_args():
    x, y = _logistic_data()
    v, g = ad.value_and_grad(bce_loss, wrt=0)(0.3, 0.1, x, y)
    assert_close(v, bce_loss(0.3, 0.1, x, y), rtol=1e-14, what="value")
    assert_close(g, ad.grad(bce_loss, wrt=0)(0.3, 0.1, x, y), rtol=1e-14, what="grad")


def scaled_norm(x, y, scale=2.0):
    return scale * np.sum(x**2 * y)


def kwonly_power(x, *, power=2):
    return np.sum(np.sin(x**power))


def test_default_and_keyword_arguments_pass_through():
    rng = np.random.default_rng(21)
    x, y = rng.normal(size=(2, 6))
    df = ad.grad(scaled_norm)
    assert_close(df(x, y), 2.0 * 2 * x * y, rtol=1e-14, what="default scale")
    assert_close(df(x, y, scale=3.0), 3.0 * 2 * x * y, rtol=1e-14, what="scale as keyword")
    assert_close(df(x, y, 0.5), 0.5 * 2 * x * y, rtol=1e-14, what="scale positional")
    check_grad(scaled_norm, (x, y), wrt=(0, "y"), kwargs={"scale": 1.5})


def test_keyword_only_argument_passes_through():
    x = np.linspace(0.2, 1.4, 5)
    df = ad.grad(kwonly_power)
    assert_close(df(x), np.cos(x**2) * 2 * x, rtol=1e-13, what="default power")
    assert_close(df(x, power=3), np.cos(x**3) * 3 * x**2, rtol=1e-13, what="power=3")


def test_mixed_wrt_tuple_in_tuple_out():
    rng = np.random.default_rng(22)
    x, y = rng.normal(size=(2, 4))
    g = ad.grad(scaled_norm, wrt=(0, "y"))(x, y)
    assert isinstance(g, tuple) and len(g) == 2
    assert_close(g[0], 4.0 * x * y, rtol=1e-14, what="d/dx")
    assert_close(g[1], 2.0 * x**2, rtol=1e-14, what="d/dy")
    swapped = ad.grad(scaled_norm, wrt=("y", "x"))(x, y)
    assert_close(swapped[0], 2.0 * x**2, rtol=1e-14, what="wrt order: d/dy first")
    assert_close(swapped[1], 4.0 * x * y, rtol=1e-14, what="wrt order: d/dx second")
    single = ad.grad(scaled_norm, wrt="y")(x, y)
    assert not isinstance(single, tuple)
    assert_close(single, 2.0 * x**2, rtol=1e-14, what="wrt='y'")


def test_generated_source_is_python():
    df = ad.grad(lecture)
    src = ad.source(df)
    assert isinstance(src, str) and src == df.source
    compile(src, "<adtransform generated>", "exec")
    assert "def " in src


def decorated_target(x):
    return np.sum(np.tanh(x) * x)


try:

    @ad.grad
    def d_decorated(x):
        return np.sum(np.tanh(x) * x)

    _DECORATOR_ERROR = None
except Exception as exc:  # reported by test_decorator_form, not at collection
    d_decorated = None
    _DECORATOR_ERROR = exc


def test_decorator_form():
    if _DECORATOR_ERROR is not None:
        raise _DECORATOR_ERROR
    x = np.linspace(-1.0, 1.5, 7)
    assert_close(d_decorated(x), ad.grad(decorated_target)(x), rtol=1e-15, what="decorator")
    t = np.tanh(x)
    assert_close(d_decorated(x), t + x * (1 - t**2), rtol=1e-13, what="analytic")


def test_inputs_not_mutated_and_grad_reusable():
    args = _mlp_params(seed=12)
    copies = tuple(a.copy() for a in args)
    df = ad.grad(mlp_loss, wrt=(0, 1, 2, 3))
    g1 = df(*args)
    g2 = df(*args)
    for a, c in zip(args, copies, strict=True):
        np.testing.assert_array_equal(a, c)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_array_equal(a, b)
    fd = numeric_grad(mlp_loss, args, wrt=3)
    assert_close(g1[3], fd, rtol=1e-7, atol=1e-10, what="b2 vs FD")
