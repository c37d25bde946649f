"""What loops record: only values the backward sweep reads, each once (the to-be-recorded set)."""

import re

import numpy as np
from gradcheck import check_grad

import adtransform as ad


def _pushes(source):
    """The values pushed per iteration, read from the generated code (`stack.append(...)`)."""
    pushed = []
    for name in re.findall(r"stack(?:_\d+)?\.append\((\w+)\)", source):
        tup = re.search(rf"^\s*{name} = \((.*)\)$", source, re.M)
        pushed += [v.strip() for v in tup.group(1).split(",")] if tup else [name]
    return pushed


def tanh_chain(W, h):
    for t in range(6):
        h = np.tanh(W @ h)
    return np.sum(h)


def test_state_loop_records_one_array_per_step():
    # tanh's adjoint reads h after the step, the matmul's reads h before it: the one after step t
    # is the one before step t + 1, so only that is recorded and the backward loop passes it down.
    src = ad.grad(tanh_chain, wrt=(0, 1)).source
    assert _pushes(src) == ["h_1"]
    rng = np.random.default_rng(0)
    check_grad(tanh_chain, (0.5 * rng.normal(size=(3, 3)), rng.normal(size=3)), wrt=(0, 1))


def two_states(a, x):
    u = x
    v = 0.5 * x
    for i in range(4):
        u, v = np.sin(v) * a, np.cos(u)
    return np.sum(u * v)


def test_shifted_values_of_several_carried_states():
    rng = np.random.default_rng(1)
    check_grad(two_states, (rng.normal(size=3), rng.normal(size=3)), wrt=(0, 1))
    check_grad(two_states, (0.3, 0.7), wrt=(0, 1))


def running_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i]
    return s


def test_indexed_reads_are_not_recorded():
    # The adjoint of x[i] needs x (invariant) and i (the reversed range gives it back); with x a
    # vector (checked once), s is a scalar and nothing needs its shape: nothing is recorded.
    src = ad.grad(running_sum).source
    assert "if not has_ranks((1,), x):" in src
    assert _pushes(src) == [] and "stack" not in src
    rng = np.random.default_rng(2)
    check_grad(running_sum, (rng.normal(size=5),))
    check_grad(running_row_sum, (rng.normal(size=(4, 3)),))


def running_row_sum(X):
    s = 0.0
    for i in range(X.shape[0]):
        s = s + X[i] * (i + 1.0)
    return np.sum(s * s)
