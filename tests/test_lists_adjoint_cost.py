"""The adjoint of a list costs one list of its length, not one per read (runtime/sequences.py).

Long lists (n = 200) read item by item in loops: every gradient is checked against central finite
differences. The cost is checked by counting, not timing: `sys.setprofile` counts the calls of the
runtime helpers that make adjoint lists (`Item.as_list`, `sequence_index_adjoint`, ...) during one
gradient call, whatever name the generated code binds them to.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.runtime import sequences as seqrt

N = 200
rng = np.random.default_rng(7)
WS = [float(v) for v in rng.normal(size=N) * 0.3]
XS = [float(v) for v in rng.normal(size=4)]
VEC = rng.normal(size=N) * 0.3


def fd_list(f, args, wrt=0, eps=1e-6):
    """Central differences of `f` with respect to each float of the list `args[wrt]`."""
    out = []
    for k in range(len(args[wrt])):
        up, down = list(args[wrt]), list(args[wrt])
        up[k] += eps
        down[k] -= eps
        plus = [*args[:wrt], up, *args[wrt + 1:]]
        minus = [*args[:wrt], down, *args[wrt + 1:]]
        out.append((f(*plus) - f(*minus)) / (2 * eps))
    return np.array(out)


def check_list(f, args, wrt=0):
    got = ad.grad(f, wrt=wrt)(*args)
    assert isinstance(got, list) and len(got) == len(args[wrt])
    np.testing.assert_allclose(np.array(got, dtype=float), fd_list(f, args, wrt), rtol=1e-5, atol=1e-7)
    return got


class Calls:
    """How many times each of `functions` is called inside the `with` block."""

    def __init__(self, *functions):
        self.codes = {f.__code__: f.__name__ for f in functions}
        self.counts = dict.fromkeys(self.codes.values(), 0)

    def __enter__(self):
        def profile(frame, event, arg):
            if event == "call" and frame.f_code in self.codes:
                self.counts[self.codes[frame.f_code]] += 1
        self.previous = sys.getprofile()
        sys.setprofile(profile)
        return self.counts

    def __exit__(self, *exc):
        sys.setprofile(self.previous)


def _counting(grad, *args):
    grad(*args)  # generated at the first call
    with Calls(seqrt.Item.as_list, seqrt.sequence_index_adjoint, seqrt.sequence_add,
               seqrt.sequence_index_accumulate, seqrt.sequence_item_adjoint) as counts:
        grad(*args)
    return counts


# --- the programs ------------------------------------------------------------------------------

def layer_of_products(ws, X):
    total = 0.0
    for x in X:
        h = []
        for w in ws:
            h.append(w * x)
        total += sum(v * v for v in h)
    return total


def indexed_reads(ws):
    h = []
    for w in ws:
        h.append(np.sin(w))
    total = 0.0
    for i in range(len(h)):
        total += h[i] * h[-1 - i] + h[i // 2]  # each item read three times, negative indices too
    return total


def recurrence(ws):
    h = [1.0]
    for w in ws:
        h.append(np.tanh(w * h[-1] + 0.5))
    return sum(h[1:]) + h[-1] * h[len(h) // 2]


def slices_and_joins(ws):
    h = []
    for w in ws:
        h.append(w * w)
    a = h[:100]
    b = h[100:]
    joined = b + a
    total = 0.0
    for i in range(len(joined)):
        total += joined[i] * (i % 7)
    return total + max(h) - min(a)


def stacked(x):
    rows = []
    for i in range(x.shape[0]):
        rows.append(np.cos(x[i]) * x[i])
    total = 0.0
    for i in range(len(rows)):
        total += rows[i] * rows[len(rows) - 1 - i]
    return total + np.sum(np.stack(rows) ** 2)


def arrays_in_list(x):
    parts = []
    for i in range(50):
        parts.append(x[i:i + 3] * (i + 1.0))
    total = 0.0
    for i in range(len(parts)):
        total += np.sum(parts[i] * parts[-1 - i])
    return total


def branches(ws):
    h = []
    for w in ws:
        if w > 0:
            h.append(w * w)
        else:
            h.append(np.exp(w))
    total = 0.0
    for i in range(len(h)):
        total += h[i] if i % 3 else 2.0 * h[i]
    return total


def dot_of_param_list(params, xs):
    """`params` is a list of floats (a pytree): `zip` reads it as a display with a run-time index."""
    total = 0.0
    for p, x in zip(params, xs):
        total += p * x
    return total * total


def display_changed_in_loop(a, b):
    total = 0.0
    for i in range(30):
        t = [a, b]
        t.append(a * b)  # the display is changed: one per iteration, not moved
        total += t[i % 3] * i
    return total


@pytest.mark.parametrize("f", [layer_of_products, indexed_reads, recurrence, slices_and_joins, branches])
def test_long_lists_against_differences(f):
    args = (WS, XS) if f is layer_of_products else (WS,)
    check_list(f, args)


@pytest.mark.parametrize("f", [stacked, arrays_in_list])
def test_long_lists_of_arrays_against_differences(f):
    check_grad(f, (VEC,))


def test_param_list_read_in_a_loop():
    xs = rng.normal(size=N)
    check_list(dot_of_param_list, (WS, xs))


def test_display_changed_in_the_loop_stays_in_it():
    grad = ad.grad(display_changed_in_loop, wrt=(0, 1))
    got = grad(1.3, -0.7)
    eps = 1e-6
    da = (display_changed_in_loop(1.3 + eps, -0.7) - display_changed_in_loop(1.3 - eps, -0.7)) / (2 * eps)
    db = (display_changed_in_loop(1.3, -0.7 + eps) - display_changed_in_loop(1.3, -0.7 - eps)) / (2 * eps)
    np.testing.assert_allclose(got, (da, db), rtol=1e-6)
    loop = grad.source.index("for ")
    assert grad.source.index("[a, b]") > loop


# --- the cost ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [50, 200])
def test_one_adjoint_list_per_list(n):
    """(`X` an array: a list of floats would be unrolled, with no list left at run time.) Each of
    the `len(X)` lists `h` of `n` items is read `n` times: one adjoint list each, and the
    reads add into it in place (no list and no `Item` per read)."""
    counts = _counting(ad.grad(layer_of_products), WS[:n], np.array(XS))
    assert counts["as_list"] == len(XS)
    assert counts["sequence_index_accumulate"] == n * len(XS)
    assert counts["sequence_index_adjoint"] == 0 and counts["sequence_add"] == 0


def test_param_list_adjoint_flows_once():
    """The display rebuilding a list parameter moves out of the loop reading it: its items receive
    their adjoints once after the backward loop, not once per read (which was quadratic)."""
    xs = rng.normal(size=N)
    grad = ad.grad(dot_of_param_list)
    counts = _counting(grad, WS, xs)
    assert counts["sequence_item_adjoint"] == N
    assert counts["as_list"] == 1


def nested_displays(a, b, xs):
    total = 0.0
    for j in range(3):
        for i in range(len(xs)):
            t = [a, b]
            u = (b, a * j)  # (an item computed in the iteration: stays)
            total += t[i % 2] * u[(i + j) % 2] * xs[i] + t[-1]
    return total


def display_passed_on(a, b, xs):
    total = 0.0
    for i in range(len(xs)):
        t = [a, b * xs[i]]  # (an item of the iteration: stays)
        s = [a, b]
        total += np.sum(np.stack(s) * xs[i]) + t[i % 2]  # (`s` passed to np.stack: stays, it may be kept)
    return total


@pytest.mark.parametrize("f", [nested_displays, display_passed_on])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_displays_in_loops_against_differences(f, n):
    xs = rng.normal(size=n)
    grad = ad.grad(f, wrt=(0, 1))
    got = grad(0.8, -1.3, xs)
    eps = 1e-6
    da = (f(0.8 + eps, -1.3, xs) - f(0.8 - eps, -1.3, xs)) / (2 * eps)
    db = (f(0.8, -1.3 + eps, xs) - f(0.8, -1.3 - eps, xs)) / (2 * eps)
    np.testing.assert_allclose(got, (da, db), rtol=1e-6, atol=1e-9)


def test_only_displays_read_in_place_move():
    src = ad.grad(display_passed_on, wrt=(0, 1)).source
    loop = src.index("\n    for ")
    assert src.index("np.stack(") > loop and src.index("= [a, b]") > loop
    src = ad.grad(nested_displays, wrt=(0, 1)).source
    assert src.index("= [a, b]") < src.index("\n    for ") < src.index("= (b, ")
