"""Dict comprehensions over containers whose keys are known when the function is transformed (a dict's
`.items()`, a tuple of constant keys, `zip`/`enumerate` of those): a loop writing each key, unrolled and
scalarized like any static dict. Gradients against central finite differences and autograd; what is
refused (keys or filters known only at run time, set comprehensions) is refused located."""

import inspect

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import assert_trees_close, check_grad, tree_fd

import adtransform as ad
from adtransform.errors import UnsupportedSyntaxError

X = np.array([0.3, 0.7, 1.1])


def sgd_step(params, g, lr):
    new = {k: v - lr * g[k] for k, v in params.items()}
    return np.sum(new["W"] ** 2) + np.sum(new["b"])


def filtered(x):
    d = {"a": x, "b": x * 2.0, "c": x * 3.0}
    e = {k: np.tanh(v) for k, v in d.items() if k != "b"}
    return np.sum(e["a"] * e["c"]) + len(e)


def _f(x):
    return np.sin(x)


def over_tuple(x):
    r = {name: _f(x) * i for i, name in enumerate(("a", "b"))}
    return np.sum(r["a"] + r["b"] ** 2)


def zipped(x):
    vals = (x, x * 2.0, np.cos(x))
    d = {k: v ** 2 for k, v in zip(("a", "b", "c"), vals)}
    return np.sum(d["a"] + d["b"] * d["c"])


def nested(x):
    d = {k: x * (i + 1.0) for i, k in enumerate(("a", "b"))}
    d2 = {k: {j: v * np.sin(v) for j in ("p", "q")} for k, v in d.items()}
    return np.sum(d2["b"]["q"] * d2["a"]["p"] + d2["b"]["p"])


def made_keys(x):
    d = {"a": x, "b": x * 2.0}
    e = {k + "_sq": v * v for k, v in d.items()}
    return np.sum(e["a_sq"] - np.sin(e["b_sq"]))


def repeated_key(x):
    d = {k: x * w for k, w in (("a", 2.0), ("a", 3.0), ("b", 1.0))}
    return np.sum(d["a"] * d["b"]) * len(d)


def read_whole(p):
    return sum(np.sum(v ** 2) for v in {k: np.tanh(w) for k, w in p.items()}.values())


def iterated_again(x):
    d = {k: x * c for k, c in (("a", 1.0), ("b", 2.0))}
    total = 0.0
    for k, v in d.items():
        total = total + np.sum(np.exp(v)) * len(k)
    return total


def written_after(x):
    d = {"a": x, "b": 2.0 * x}
    e = {k: np.exp(v) for k, v in d.items()}
    e["a"] = e["a"] * e["b"]
    return np.sum(e["a"])


ARRAY_CASES = [filtered, over_tuple, zipped, nested, made_keys, repeated_key, iterated_again, written_after]


@pytest.mark.parametrize("fn", ARRAY_CASES, ids=lambda f: f.__name__)
def test_gradient_against_finite_differences(fn):
    check_grad(fn, (X.copy(),))


def test_sgd_step_over_a_dict_parameter():
    params = {"W": X * 1.5, "b": X + 0.2}
    g = {"W": X, "b": X * 2.0}
    out = ad.grad(sgd_step)(params, g, 0.1)
    assert_trees_close(out, tree_fd(sgd_step, (params, g, 0.1), 0))
    ref = autograd.grad(lambda p: anp.sum((p["W"] - 0.1 * g["W"]) ** 2) + anp.sum(p["b"] - 0.1 * g["b"]))(params)
    assert_trees_close(out, ref)
    both = ad.grad(sgd_step, wrt=(0, 1))(params, g, 0.1)
    assert_trees_close(both[1], tree_fd(sgd_step, (params, g, 0.1), 1))


def test_read_whole_against_autograd():
    p = {"W": X, "b": X + 1.0}
    out = ad.grad(read_whole)(p)
    ref = autograd.grad(lambda q: sum(anp.sum(anp.tanh(w) ** 2) for w in q.values()))(p)
    assert_trees_close(out, ref)
    assert_trees_close(out, tree_fd(read_whole, (p,), 0))


def test_filtered_against_autograd():
    ref = autograd.grad(lambda x: anp.sum(anp.tanh(x) * anp.tanh(3.0 * x)))(X)
    np.testing.assert_allclose(ad.grad(filtered)(X), ref, rtol=1e-10)


def test_value_and_names_do_not_leak():
    value, g = ad.value_and_grad(over_tuple)(X)
    assert value == pytest.approx(over_tuple(X))
    source = inspect.getsource(ad.grad(zipped))
    assert "DictComp" not in source


def entries_updated(x):
    y = x * 2.0
    d = {k: y * 3.0 for k in ("a", "b")}
    d["a"] += 1.0
    return np.sum(d["b"] * x + d["a"] ** 2)


def copied_entries_updated(p):
    d = {k: v for k, v in p.items()}
    d["a"] += 1.0
    return np.sum(d["a"] * p["a"])


def one_array_twice(x):
    y = x * 2.0
    d = {k: y for k in ("a", "b")}
    d["a"] += 1.0
    return np.sum(d["b"] * x)


def test_new_entries_updated_in_place():
    check_grad(entries_updated, (X.copy(),))


@pytest.mark.parametrize("fn, args", [(copied_entries_updated, ({"a": X, "b": X + 1.0},)), (one_array_twice, (X,))],
                         ids=["copied_entries_updated", "one_array_twice"])
def test_shared_entries_updated_refused_or_right(fn, args):
    """NumPy changes the array the entry holds, which `p["a"]` (or the other entry) holds too."""
    def run(a):
        return fn({k: np.copy(v) for k, v in a.items()} if isinstance(a, dict) else np.copy(a))
    try:
        out = ad.grad(fn)(*args)
    except UnsupportedSyntaxError as err:
        assert 'd["a"] += 1.0' in inspect.getsource(fn)
        assert "test_lang_dict_comprehensions.py:" in str(err) and "global" not in str(err)
        return
    assert_trees_close(out, tree_fd(run, args, 0), rtol=1e-5, atol=1e-7)


# --- refused, located ------------------------------------------------------------------------------

def runtime_keys(x, n):
    d = {i: x[i] * 2.0 for i in range(n)}
    return d[0]


def runtime_filter(p):
    d = {k: v for k, v in p.items() if np.sum(v) > 0}
    return np.sum(d["W"])


def set_comprehension(x):
    s = {float(v) for v in x}
    return len(s) * np.sum(x)


REFUSED = [
    (runtime_keys, (X, 2), "d = {i: x[i] * 2.0 for i in range(n)}", "dict comprehension"),
    (runtime_filter, ({"W": X, "b": X},), "d = {k: v for k, v in p.items() if np.sum(v) > 0}", "dict comprehension"),
    (set_comprehension, (X,), "s = {float(v) for v in x}", "set comprehension"),
]


@pytest.mark.parametrize("fn, args, text, construct", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_refused_with_location(fn, args, text, construct):
    lines, start = inspect.getsourcelines(fn)
    line = next(i for i, src in enumerate(lines, start) if src.strip() == text)
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.grad(fn)(*args)
    assert f"test_lang_dict_comprehensions.py:{line}:" in str(info.value)
    assert construct in str(info.value)
    for internal in ("`items", "DictComp", "`key"):  # (the names the loop made of it are not the user's)
        assert internal not in str(info.value)


def in_a_while_test(x):
    n = 0
    while len({k: x for k in ("a", "b")}) > n:
        n = n + 1
    return np.sum(x) * n


def on_one_path(x, c):
    d = {k: x for k in ("a",)} if c else {"a": x * 2.0}
    return np.sum(d["a"])


@pytest.mark.parametrize("fn, args, text", [(in_a_while_test, (X,), "while len("),
                                             (on_one_path, (X, True), "if c else")],
                         ids=["in_a_while_test", "on_one_path"])
def test_evaluated_again_or_on_one_path_refused(fn, args, text):
    lines, start = inspect.getsourcelines(fn)
    line = next(i for i, src in enumerate(lines, start) if text in src)
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.grad(fn)(*args)
    assert f"test_lang_dict_comprehensions.py:{line}:" in str(info.value)
    assert "dict comprehension" in str(info.value)
