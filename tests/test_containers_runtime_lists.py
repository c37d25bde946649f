"""Static containers (scalarized by the `aggregates` pass) meeting run-time lists (the IR's lists).

A list or tuple whose structure the pass cannot know (grown or rebound in a loop, of a length that
depends on the path, written at an index known only at run time) is left a run-time list, which the
IR and AD differentiate; one of fixed structure stays one variable per element. Each gradient is
checked against central finite differences and autograd; what neither can do is refused, located.
"""

from __future__ import annotations

import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad

rng = np.random.default_rng(12)
X = rng.normal(size=3)
Y = rng.normal(size=3)


def _with_autograd(f):
    return types.FunctionType(f.__code__, {**f.__globals__, "np": anp}, f.__name__, f.__defaults__)


def check(f, args, wrt=0):
    got = check_grad(f, args, wrt=wrt)
    expected = autograd.grad(_with_autograd(f), wrt)(*args)
    for mine, theirs in zip(got, expected) if isinstance(wrt, tuple) else [(got, expected)]:
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-9)
    return got


# --- a static list later grown in a loop -------------------------------------------------------

def static_then_grown(x, n):
    L = [x, x * 2.0]
    L[0] = L[0] * 3.0
    for i in range(n):
        L.append(np.sin(L[-1]) * (i + 1.0))
    return np.sum(np.stack(L) ** 2) + np.sum(L[1])


def static_then_joined(x, n):
    L = [x]
    for i in range(n):
        L = L + [L[-1] * x]  # noqa: RUF005  (the join is what is tested)
    return np.sum(np.stack(L[1:]))


def tuple_grown(x, n):
    t = ()
    for i in range(n):
        t = t + (x * (i + 1.0),)  # noqa: RUF005
    return np.sum(np.stack(t) ** 3)


def length_by_path(x, c):
    if c > 0:
        L = [x, np.cos(x)]
    else:
        L = [x * 2.0]
    L.append(x ** 2)
    return np.sum(np.stack(L) ** 2)


@pytest.mark.parametrize("fn, args", [
    (static_then_grown, (X.copy(), 3)), (static_then_grown, (X.copy(), 0)),
    (static_then_joined, (X.copy(), 3)), (tuple_grown, (X.copy(), 3)),
    (length_by_path, (X.copy(), 1.0)), (length_by_path, (X.copy(), -1.0)),
], ids=["grown", "grown0", "joined", "tuple", "then", "else"])
def test_static_list_becomes_a_run_time_list(fn, args):
    check(fn, args)


def grown_from_a_dict_parameter(params, n):
    hs = params["hs"]
    for _ in range(n):
        hs = hs + [np.tanh(hs[-1] * params["w"])]  # noqa: RUF005
    return np.sum(np.stack(hs) ** 2) + np.sum(params["hs"][0])


def test_list_in_a_dict_parameter_grown_in_a_loop():
    """`hs = params["hs"]` then only rebound: a run-time list copied from the parameter's leaves."""
    params = {"hs": [X.copy(), Y.copy()], "w": rng.normal(size=3)}
    g = ad.grad(grown_from_a_dict_parameter)(params, 3)
    expected = autograd.grad(_with_autograd(grown_from_a_dict_parameter))(params, 3)
    assert isinstance(g["hs"], list) and len(g["hs"]) == 2
    for mine, theirs in zip([*g["hs"], g["w"]], [*expected["hs"], expected["w"]]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-9)
    step, d = 1e-6, [rng.normal(size=3) for _ in range(3)]

    def moved(sign):
        return {"hs": [params["hs"][0] + sign * step * d[0], params["hs"][1] + sign * step * d[1]],
                "w": params["w"] + sign * step * d[2]}
    fd = (grown_from_a_dict_parameter(moved(1), 3) - grown_from_a_dict_parameter(moved(-1), 3)) / (2 * step)
    np.testing.assert_allclose(sum(np.sum(a * b) for a, b in zip([*g["hs"], g["w"]], d)), fd, rtol=1e-6)


def changed_after_copied(params, n):
    hs = params["hs"]
    for _ in range(n):
        hs = hs + [hs[-1] * 2.0]  # noqa: RUF005
    params["hs"].append(params["w"])
    return np.sum(np.stack(hs))


def copy_aliased_then_changed(params, n):
    hs = params["hs"]
    for _ in range(n):
        hs = hs + [hs[-1] * 2.0]  # noqa: RUF005
    a = hs  # (hs may be the parameter's list itself: an alias of it may change it)
    a.append(params["w"])
    return np.sum(np.stack(params["hs"])) + np.sum(np.stack(hs))


@pytest.mark.parametrize("fn", [changed_after_copied, copy_aliased_then_changed], ids=lambda f: f.__name__)
def test_list_changed_after_a_run_time_list_copied_it_is_refused(fn):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)({"hs": [X.copy()], "w": Y.copy()}, 2)
    assert info.value.problems[0].location.filename.endswith("test_containers_runtime_lists.py")


# --- a list indexed by a loop variable ---------------------------------------------------------

def read_by_loop_variable(x, w, n):
    L = [x, np.sin(x), x ** 2]
    s = 0.0
    for i in range(n):
        s = s + np.sum(L[i] * w)
    return s


def write_by_loop_variable(x, w, n):
    L = [x * w, np.sin(x), x ** 2]
    for i in range(n):
        L[i] = np.sin(L[i]) * 2.0 + L[(i + 1) % 3]
    return np.sum(np.stack(L) ** 2)


def index_by_argument(x, w, k):
    t = (x, w * x, np.exp(x))
    return np.sum(t[k] * t[-1])


@pytest.mark.parametrize("fn, n", [(read_by_loop_variable, 3), (read_by_loop_variable, 2),
                                   (write_by_loop_variable, 3), (index_by_argument, 1)],
                         ids=["read3", "read2", "write", "argument"])
def test_list_indexed_at_run_time(fn, n):
    check(fn, (X.copy(), Y.copy(), n), wrt=(0, 1))


# --- a tuple state of fixed structure: scalarized -------------------------------------------------

def tuple_state(x, n):
    h = (x, x * 0.5)
    for _ in range(n):
        h = (np.tanh(h[0] + h[1]), h[0] * 0.9)
    return np.sum(h[0] * h[1])


def test_tuple_state_of_fixed_structure_is_scalarized():
    check(tuple_state, (X.copy(), 4))
    source = ad.grad(tuple_state).source
    assert "list_length(" not in source and "sequence_" not in source  # one variable per element


# --- comprehensions over a static container --------------------------------------------------------

def comprehension_over_layers(W1, W2, x):
    layers = [(W1, 0.5), (W2, -1.0)]
    h = x
    for W, s in layers:
        h = np.tanh(W @ h + s)
    return sum([np.sum(W ** 2) for W, _ in layers]) + np.sum(h)


def comprehension_over_tuple(x, y):
    pair = (x, y)
    return np.sum(np.stack([np.sin(v) * v for v in pair]) ** 2) + sum(np.sum(v) for v in pair)


def test_comprehensions_over_static_containers():
    W1, W2 = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    check(comprehension_over_layers, (W1, W2, X.copy()), wrt=(0, 1, 2))
    check(comprehension_over_tuple, (X.copy(), Y.copy()), wrt=(0, 1))


# --- what neither can do: refused, located ----------------------------------------------------------

def dict_written_by_run_time_key(x, k):
    d = {"a": x, "b": x * 2.0}
    d[k] = x * 3.0
    return np.sum(d["a"])


def dict_rebound_in_loop(x, n):
    d = {"a": x}
    for i in range(n):
        d = {"a": d["a"] * 2.0, "b": x}
    return np.sum(d["a"])


def list_inside_a_tuple_written_at_run_time(x, i):
    T = ([x, x * 2.0], 1.0)
    L = T[0]
    L[i] = x * 3.0
    return np.sum(T[0][0])


def list_of_dicts_grown(x, n):
    L = [{"a": x}]
    for i in range(n):
        L.append({"a": x * i})
    return np.sum(L[-1]["a"])


@pytest.mark.parametrize("fn, args", [
    (dict_written_by_run_time_key, (X.copy(), "a")), (dict_rebound_in_loop, (X.copy(), 2)),
    (list_inside_a_tuple_written_at_run_time, (X.copy(), 0)), (list_of_dicts_grown, (X.copy(), 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_what_neither_can_do_is_refused_located(fn, args):
    with pytest.raises(ad.AdtransformError) as info:
        ad.grad(fn)(*args)
    err = info.value
    location = err.problems[0].location
    assert location.filename.endswith("test_containers_runtime_lists.py")
    lines = [line for _, _, line in fn.__code__.co_lines() if line]
    assert min(lines) <= location.line <= max(lines)


def test_vjp_of_a_tuple_holding_a_run_time_list():
    """A static tuple returned with a run-time list inside: the list's items are read by position."""
    def f(x, n):
        L = []
        for i in range(n):
            L.append(np.sin(x) * (i + 1.0))
        return L, np.sum(x ** 2)
    x = X.copy()
    (L, s), pullback = ad.vjp(f, x, 2)
    cotangent = ([Y.copy(), np.ones(3)], 0.5)
    g = pullback(cotangent)[0]
    np.testing.assert_allclose(g, np.cos(x) * (Y + 2.0) + 0.5 * 2 * x, rtol=1e-12)
    step, d = 1e-6, rng.normal(size=3)
    (La, sa), (Lb, sb) = f(x + step * d, 2), f(x - step * d, 2)
    fd = (sum(np.sum(c * (a - b)) for c, a, b in zip(cotangent[0], La, Lb)) + 0.5 * (sa - sb)) / (2 * step)
    np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6)
