"""Programs calling functions of their own, for tests/test_inline_calls.py.

Written with `np` only (and `inline_helpers`), so the test can run the very same text on
autograd.numpy as an independent reference.
"""

import inline_helpers
import numpy as np
from inline_helpers import clipped_sum, two_level


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def dense(W, b, x, act=sigmoid):
    return act(x @ W + b)


def mlp_loss(W1, b1, W2, b2, x, y):
    h = dense(W1, b1, x)
    out = dense(W2, b2, h, act=np.tanh)
    return np.mean((out - y) ** 2)


def sq(a):
    return a * a


def scalars_and_arrays(x, a):
    return np.sum(sq(x) * sq(a)) + sq(a) + sq(2.0)


def early(v, t):
    if t > 0.0:
        return np.sum(v * t)
    for i in range(v.shape[0]):
        if v[i] < t:
            return v[i] * 3.0
    return np.sum(v)


def early_returns(x, t):
    return early(x, t) * 2.0 + early(x * 2.0, -t)


def other_module(x):
    return np.sum(two_level(x)) + clipped_sum(x, 1.0) + np.sum(inline_helpers.scaled(x))


def looped(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(sigmoid(x * i))
    return s


def in_conditions(x):
    y = 0.0
    while sq(y) < 10.0 and np.sum(sq(x)) > 0.0:
        y = y + np.sum(x)
    return y * np.sum(x) if sq(y) > 1.0 else sq(np.sum(x))


def short_circuits(x, t):
    small = t < 0.0 or np.sum(sq(x)) < t
    both = t > 0.0 and np.sum(sigmoid(x)) > t
    chained = 0.0 < np.sum(sq(x)) < sq(t)
    return np.sum(x) * (2.0 if small else 3.0) + (1.0 if both else 0.5) * np.sum(sq(x)) + (0.0 if chained else 1.0)


def augmented(x):
    a = x * 1.0
    a[0] += sq(a[1])
    a[1:] *= sigmoid(a[0])
    return np.sum(a * a)


def nested_args(x):
    return np.sum(sigmoid(sq(x) + sigmoid(x)) * sq(sigmoid(x)))


def keywords(v, scale=2.0, *, shift=0.5):
    return v * scale + shift


def star_args(*vs, k):
    total = 0.0
    for v in vs:
        total = total + np.sum(v)
    return total * k


def binding(x, y):
    return np.sum(keywords(x) + keywords(y, 3.0) + keywords(x, shift=y)
                  + keywords(scale=y, v=x)) + star_args(1.0, 2.0, k=np.sum(y * x))


def fresh_update(a):
    a *= 2.0
    a += 1.0


def updates_a_fresh_array(x):
    y = x * 1.0
    fresh_update(y)
    return np.sum(y * x)


def updates_written_inline(x):
    y = x * 1.0
    a = y
    a *= 2.0
    a += 1.0
    return np.sum(y * x)


def updates_its_own_copy(v):
    w = v * 1.0
    w *= 2.0
    return w


def callee_updates_a_local(x):
    return np.sum(updates_its_own_copy(x) * x)


def comprehensions(x):
    total = sum(np.sum(sigmoid(v * x)) for v in [1.0, 2.0, 3.0])
    return total + np.sum(np.array([sq(v) for v in x]))


def comprehension_of_a_nested_function(x):
    def term(v):
        return np.tanh(v) * 2.0
    return np.sum(np.stack([term(x * k) for k in range(3)]))


def column(v):
    return np.stack([v, 2.0 * v])


def method_of_a_computed_receiver(x):
    """The receiver `(x - 0.5)` is computed before the argument's inlined call, never the bound
    method `.dot` (a value only known when the gradient runs)."""
    return np.sum((x[:2] - 0.5).dot(column(x[1:])))


def row_of(v):
    return v[0]


def dict_entries_in_a_loop(params, xs):
    """An inlined helper given a dict parameter's entries in a loop: its parameter bindings are no
    copies the loop records (the dict variant's code is the flat one's)."""
    h = params["h0"]
    for t in range(xs.shape[0]):
        h = np.tanh(params["W"] @ h + row_of(xs[t:]))
    return np.sum(h * h)
