"""What loops record: only values the backward sweep reads, each once (the to-be-recorded set)."""

import re

import numpy as np
from gradcheck import check_grad
from source_patterns import blocks, code, has, names

import adtransform as ad


def _pushes(source):
    """The values pushed per iteration, read from the generated code (`stack.append(...)`)."""
    pushed = []
    for item in re.findall(r"^\s*stack(?:_\d+)?\.append\((.*)\)$", source, re.M):
        tup = re.fullmatch(r"\((.*)\)", item) or re.search(rf"^\s*{re.escape(item)} = \((.*)\)$", source, re.M)
        pushed += [v.strip() for v in tup.group(1).split(",")] if tup else [item]
    return pushed


def tanh_chain(W, h):
    for t in range(6):
        h = np.tanh(W @ h)
    return np.sum(h)


def test_state_loop_records_one_array_per_step():
    # tanh's adjoint reads h after the step, the matmul's reads h before it: the one after step t
    # is the one before step t + 1, so only that is recorded and the backward loop passes it down.
    src = ad.grad(tanh_chain, wrt=(0, 1)).source
    ((_, forward),) = blocks("for t in range(6):", code(src))
    (pushed,) = _pushes(src)
    # the h the step reads: the previous step's result (tanh computed in the product's buffer)
    assert has(f"{{h}} = unary_into(np.tanh, W @ {pushed})", forward)
    rng = np.random.default_rng(0)
    check_grad(tanh_chain, (0.5 * rng.normal(size=(3, 3)), rng.normal(size=3)), wrt=(0, 1))


def two_states(a, x):
    u = x
    v = 0.5 * x
    for i in range(4):
        u, v = np.sin(v) * a, np.cos(u)
    return np.sum(u * v)


def test_shifted_values_of_several_carried_states():
    # Each state after step t is the state before step t + 1: the loop records the states it starts
    # from (u for cos, v for sin), each once, and never the ones it makes.
    src = code(ad.grad(two_states, wrt=(0, 1)).source)
    ((_, forward),) = blocks("for i in range(4):", src)
    made = names("{*new_u} = {sin} * a", forward) | names("{*new_v} = np.cos({*u})", forward)
    read_v = names("{sin} = np.sin({*v})", forward)
    pushed = _pushes(src)
    assert len(made) == 4 and read_v and len(pushed) == len(set(pushed))
    assert made["u"] in pushed and read_v["v"] in pushed
    assert made["new_u"] not in pushed and made["new_v"] not in pushed
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


def priced(heating, price, T0):
    T = T0
    cost = 0.0
    for t in range(heating.shape[0]):
        T = 0.9 * T + heating[t]
        cost = cost + price[t] * heating[t] + (T - 21.0) ** 2
    return cost


def test_items_of_arrays_the_loop_leaves_alone_are_read_again():
    # price[t] is read only by the backward sweep: the backward loop reads it itself, so the
    # forward loop neither reads nor records it (the version for vectors; the general one records).
    src = ad.grad(priced).source
    ((_, forward),) = blocks("for t in range({*}):", code(src))
    ((t, backward),) = [(found["t"], body) for found, body in blocks("for {*t} in reversed(range(", code(src))]
    assert has(f"{{price_item}} = price_items[{t}]", backward) and has("heating_items[t]", forward)
    assert "price" not in forward
    rng = np.random.default_rng(3)
    args = (rng.normal(size=7), rng.normal(size=7), 18.0)
    check_grad(priced, args, wrt=(0, 1, 2))
    check_grad(priced, (args[0].astype(np.float32), args[1].astype(np.float32), 18.0))  # read from the arrays


def written_after(x):
    c = x * 2.0
    s = 0.0
    for t in range(x.shape[0]):
        s = s + c[t] * x[t] ** 2
    c[0] = 5.0  # the backward sweep reads c[t] again: the items it had before this write
    return s + np.sum(c * x)


def test_items_read_again_see_the_array_as_the_loop_did():
    check_grad(written_after, (np.random.default_rng(4).normal(size=5),))
