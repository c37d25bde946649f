"""List comprehensions and generator expressions: desugared into loops appending to a new list
(canonicalize/comprehensions.py), then differentiated as lists (test_lists_dynamic.py).

Gradients against central finite differences and autograd (the same function run with
autograd's NumPy); the desugared names must not leak; the unsupported forms are refused, located.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad
from test_lists_dynamic import check

import adtransform as ad
from adtransform.canonicalize import comprehensions
from adtransform.canonicalize.testing import run_pass

rng = np.random.default_rng(1)
X = rng.normal(size=4)
W = rng.normal(size=(3, 4))


def stack_comp(x):
    return np.sum(np.stack([np.sin(x) * i for i in range(3)]) ** 2)


def sum_generator(x):
    return sum(x[i] * x[j] for i in range(4) for j in range(i) if j != 1)


def nested_comp(x):
    return np.sum(np.array([[x[i] * j + x[j] for j in range(3)] for i in range(2)]) ** 2)


def filtered_over_list(x):
    parts = [x * k for k in (1.0, 2.0, 3.0)]
    return np.sum(np.concatenate([np.tanh(p) for p in parts if p[0] != 0.0]))


def zip_enumerate_comp(x, w):
    rows = [row * x for row in w]
    return sum(k * np.sum(a * b) for k, (a, b) in enumerate(zip(rows, w)))


def max_min_generator(x):
    return max(x[i] * x[i + 1] for i in range(3)) - min(x[i] ** 2 for i in range(4))


def comprehension_in_loop(x, n):
    h = x
    for _ in range(n):
        h = np.array([np.sin(h[i]) + h[(i + 1) % 4] for i in range(4)])
    return np.sum(h ** 2)


def list_then_tuple(x):
    t = tuple(x[i] * 2.0 for i in range(3))
    return sum(t) * t[0]


@pytest.mark.parametrize("f", [stack_comp, sum_generator, nested_comp, filtered_over_list, list_then_tuple])
def test_comprehensions(f):
    check(f, (X.copy(),))


def test_zip_enumerate():
    check(zip_enumerate_comp, (X.copy(), W.copy()))


def test_max_min():
    check(max_min_generator, (X.copy(),))


def test_comprehension_in_loop():
    check(comprehension_in_loop, (X.copy(), 3))


def test_float32():
    got = check_grad(stack_comp, (X.astype(np.float32),))
    assert got.dtype == np.float32


def test_names_do_not_leak():
    def f(x):
        i = 10.0
        L = [x * i for i in range(3)]
        return np.sum(np.stack(L)) * i
    g = check(f, (X.copy(),))
    np.testing.assert_allclose(g, np.full(4, 30.0))


def test_desugared_source():
    src = "def f(xs):\n    return sum([v * 2 for v in xs if v > 0])"
    out = run_pass(comprehensions.transform, src)
    assert "for v_1 in xs:" in out and "if v_1 > 0:" in out and "items.append(v_1 * 2)" in out, out


def test_lazy_generator_refused_located():
    def f(x):
        g = (x[i] for i in range(3))
        return np.sum(x) + next(g)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f)(X.copy())
    assert "test_comprehensions_lists.py" in str(info.value) and "generator expression" in str(info.value)


def test_conditional_comprehension_refused_located():
    def f(x, c):
        return np.sum(np.stack([x, x]) if c else np.stack([x * i for i in range(2)]))
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f)(X.copy(), True)
    assert "list comprehension" in str(info.value)


def test_set_comprehensions_still_refused():
    def f(x):
        s = {float(v) for v in x}
        return len(s) * np.sum(x)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f)(X.copy())
    assert "set comprehension" in str(info.value)


def test_dict_comprehension_over_a_static_range():
    def f(x):
        d = {i: x[i] * x[i + 1] for i in range(2)}
        return d[0] + d[1]
    g = ad.grad(f)(X.copy())
    np.testing.assert_allclose(g, [X[1], X[0] + X[2], X[1]] + [0.0] * (X.size - 3))


def map_named_and_lambda(x):
    parts = list(map(np.sin, [x, x * 2.0]))
    total = sum(map(np.multiply, parts, [x, 2.0]))
    for v in map(np.tanh, parts):
        total = total + v
    return np.sum(total ** 2)


def test_map():
    check(map_named_and_lambda, (X.copy(),))


def test_desugared_nesting_zip_and_map():
    out = run_pass(comprehensions.transform,
                   "def f(xs, ys):\n    return np.stack([a * b for a, b in zip(xs, ys) if a > 0 for c in range(2)])")
    assert out.splitlines()[1:] == [
        "    items = []",
        "    for a_1, b_1 in zip(xs, ys):",
        "        if a_1 > 0:",
        "            for c_1 in range(2):",
        "                items.append(a_1 * b_1)",
        "    return np.stack(items)"], out
    out = run_pass(comprehensions.transform, "def f(xs):\n    return sum(map(lambda v: v * 2, xs))")
    assert "items.append(v_2 * 2)" in out and "lambda" not in out, out


def test_appends_become_values():
    from adtransform.canonicalize import appends
    out = run_pass(appends.transform, "def f(x):\n    L = []\n    L.append(x)\n    return L")
    assert "L = list_append(L, x)" in out, out
