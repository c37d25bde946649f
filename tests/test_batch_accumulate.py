"""A loop's matrix-product adjoints summed with one product after it (optimize/batch_accumulate.py)."""

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import blocks, code, has, names

import adtransform as ad
from adtransform.analysis.manager import PassContext
from adtransform.codegen import emit, load
from adtransform.ir.nodes import Loop, Op
from adtransform.ir.printer import format_function
from adtransform.ir.verify import verify
from adtransform.optimize import batch_accumulate
from adtransform.pipeline import primal_ir
from adtransform.runtime import (
    dot_lhs_adjoint,
    dot_lhs_adjoint_sum,
    dot_rhs_adjoint,
    dot_rhs_adjoint_sum,
    matmul_lhs_adjoint,
    matmul_lhs_adjoint_sum,
    matmul_rhs_adjoint,
    matmul_rhs_adjoint_sum,
    zeros_like,
)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


# --- the pass on the IR of small loops that call the per-step helpers themselves -------------------


def lhs_steps(W, G, B):
    acc = zeros_like(W)
    for t in range(G.shape[0]):
        acc = acc + matmul_lhs_adjoint(G[t], W, B[t])
    return acc


def rhs_steps(W, G, A):
    acc = zeros_like(W)
    for t in range(G.shape[0]):
        acc = matmul_rhs_adjoint(G[t], A[t], W) + acc   # the step on the left of the addition
    return acc


def from_a_start(W, G, B):
    acc = W * 2.0                                       # not zeros: the start is added after the loop
    for t in range(G.shape[0]):
        acc = acc + matmul_lhs_adjoint(G[t], W, B[t])
    return acc


def while_steps(W, G, B):
    acc = zeros_like(W)
    t = 0
    while t < G.shape[0]:
        acc = acc + matmul_lhs_adjoint(G[t], W, B[t])
        t = t + 1
    return acc


def shared_step_values(W, V, G, B):
    a = zeros_like(W)
    b = zeros_like(V)
    for t in range(G.shape[0]):
        g = G[t] * 2.0
        x = B[t]
        a = a + matmul_lhs_adjoint(g, W, x)
        b = b + matmul_lhs_adjoint(g, V, x)             # the same values: one list each
    return a, b


def weight_changes(W, G, B):
    acc = zeros_like(W)
    for t in range(G.shape[0]):
        W = W * 0.5
        acc = acc + matmul_lhs_adjoint(G[t], W, B[t])
    return acc


def accumulator_read(W, G, B):
    acc = zeros_like(W)
    s = 0.0
    for t in range(G.shape[0]):
        s = s + np.sum(acc)                             # a second reader of the accumulator
        acc = acc + matmul_lhs_adjoint(G[t], W, B[t])
    return acc, s


def step_read(W, G, B):
    acc = zeros_like(W)
    s = 0.0
    for t in range(G.shape[0]):
        step = matmul_lhs_adjoint(G[t], W, B[t])
        acc = acc + step
        s = s + np.sum(step)                            # a second reader of the step
    return acc, s


def in_branch(W, G, B):
    acc = zeros_like(W)
    for t in range(G.shape[0]):
        if t > 0:
            acc = acc + matmul_lhs_adjoint(G[t], W, B[t])
    return acc


def _transformed(f):
    """`f`'s IR after the pass, whether it changed it, and `f` compiled from that IR."""
    fn, ctx = primal_ir(f)
    changed = batch_accumulate.transform(fn, PassContext.of(fn, ctx.namer))
    verify(fn)
    text = emit.emit(fn, name=f"{f.__name__}_batched", docstring="", line_text=ctx.info.line_text,
                     namer=ctx.namer, user_lookup=ctx.namespace.lookup, user_locals=ctx.locals)
    loaded = load.compile_source(text.text, f"{f.__name__}_batched", text.injected, f.__code__.co_freevars)
    assert not batch_accumulate.transform(fn, PassContext.of(fn, ctx.namer))   # nothing left to do
    return fn, changed, load.bind(loaded, f)


def _loops(fn):
    return [s for s in fn.body if isinstance(s, Loop)]


def _callees(body):
    return [str(s.callee) for s in body if isinstance(s, Op)]


def test_lhs_steps_become_one_product_after_the_loop(rng):
    fn, changed, batched = _transformed(lhs_steps)
    assert changed
    (loop,) = _loops(fn)
    assert "matmul_lhs_adjoint" not in _callees(loop.body) and "+" not in _callees(loop.body)
    assert _callees(loop.body).count("append") == 2
    assert not any(c.param.name.startswith("acc") for c in loop.carried)
    text = format_function(fn)
    found = names("%{acc} = matmul_lhs_adjoint_sum(%G_item_steps, %W, %B_item_steps)", text)
    assert found and text.rstrip().endswith(f"return %{found['acc']}")  # one product, the result
    assert "%G_item_steps = list()" in text and "append(%B_item_steps, %B_item)" in text
    W, G, B = rng.normal(size=(3, 4)), rng.normal(size=(6, 3)), rng.normal(size=(6, 4))
    np.testing.assert_allclose(batched(W, G, B), lhs_steps(W, G, B), rtol=1e-12, atol=1e-14)


def test_rhs_steps_and_a_step_on_the_left(rng):
    fn, changed, batched = _transformed(rhs_steps)
    assert changed
    assert "matmul_rhs_adjoint_sum(%G_item_steps, %A_item_steps, %W)" in format_function(fn)
    W, G, A = rng.normal(size=(3, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    np.testing.assert_allclose(batched(W, G, A), rhs_steps(W, G, A), rtol=1e-12, atol=1e-14)


def test_a_start_other_than_zeros_is_added_after_the_loop(rng):
    fn, changed, batched = _transformed(from_a_start)
    assert changed
    after = fn.body[fn.body.index(_loops(fn)[0]) + 1:]
    assert _callees(after)[:2] == ["matmul_lhs_adjoint_sum", "+"]
    W, G, B = rng.normal(size=(3, 4)), rng.normal(size=(6, 3)), rng.normal(size=(6, 4))
    np.testing.assert_allclose(batched(W, G, B), from_a_start(W, G, B), rtol=1e-12, atol=1e-14)
    empty = (W, np.zeros((0, 3)), np.zeros((0, 4)))
    np.testing.assert_array_equal(batched(*empty), 2.0 * W)   # no steps: the start itself


def test_while_loop_and_no_steps(rng):
    fn, changed, batched = _transformed(while_steps)
    assert changed
    W, G, B = rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(batched(W, G, B), while_steps(W, G, B), rtol=1e-12, atol=1e-14)
    out = batched(W, np.zeros((0, 3)), np.zeros((0, 4)))
    assert out.shape == W.shape and out.dtype == W.dtype and not out.any()


def test_values_appended_for_two_accumulations_are_listed_once(rng):
    fn, changed, batched = _transformed(shared_step_values)
    assert changed
    (loop,) = _loops(fn)
    assert _callees(loop.body).count("append") == 2   # g and x, once each
    W, V = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    G, B = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    for got, want in zip(batched(W, V, G, B), shared_step_values(W, V, G, B)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f", [weight_changes, accumulator_read, step_read, in_branch])
def test_does_not_apply(f, rng):
    fn, changed, batched = _transformed(f)
    assert not changed
    assert "_sum(" not in format_function(fn)
    W, G, B = rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    got, want = batched(W, G, B), f(W, G, B)
    for g, w in zip(*((got, want) if isinstance(want, tuple) else ((got,), (want,)))):
        np.testing.assert_array_equal(g, w)


# --- the runtime helpers against the per-step sum -------------------------------------------------


def _per_step(single, gs, others, fixed, lhs, like):
    total = zeros_like(like)
    for g, o in zip(gs, others):
        total = total + (single(g, fixed, o) if lhs else single(g, o, fixed))
    return total


CASES = {  # name: (fixed shape, g shape, other operand's shape, lhs)
    "lhs 1-D steps": ((5, 3), (5,), (3,), True),
    "lhs batched columns": ((5, 3), (5, 4), (3, 4), True),
    "rhs 1-D steps": ((3, 5), (5,), (3,), False),
    "rhs batched rows": ((3, 5), (4, 5), (4, 3), False),
    "lhs stacked matrices (fallback)": ((5, 3), (2, 5, 4), (2, 3, 4), True),
    "lhs vector operand (fallback)": ((3,), (4,), (3, 4), True),
    "rhs vector operand (fallback)": ((3,), (4,), (4, 3), False),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("steps", [0, 1, 7])
@pytest.mark.parametrize("kind", ["matmul", "dot"])
def test_helpers_equal_the_per_step_sum(rng, name, steps, kind):
    fixed_shape, g_shape, o_shape, lhs = CASES[name]
    if kind == "dot" and len(g_shape) == 3:
        pytest.skip("np.dot of stacked matrices is not their matmul")
    single = {("matmul", True): matmul_lhs_adjoint, ("matmul", False): matmul_rhs_adjoint,
              ("dot", True): dot_lhs_adjoint, ("dot", False): dot_rhs_adjoint}[kind, lhs]
    summed = {matmul_lhs_adjoint: matmul_lhs_adjoint_sum, matmul_rhs_adjoint: matmul_rhs_adjoint_sum,
              dot_lhs_adjoint: dot_lhs_adjoint_sum, dot_rhs_adjoint: dot_rhs_adjoint_sum}[single]
    fixed = rng.normal(size=fixed_shape)
    gs = [rng.normal(size=g_shape) for _ in range(steps)]
    others = [rng.normal(size=o_shape) for _ in range(steps)]
    got = summed(gs, fixed, others) if lhs else summed(gs, others, fixed)
    want = _per_step(single, gs, others, fixed, lhs, fixed)
    assert got.shape == fixed.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_helpers_with_steps_of_different_shapes_and_dtypes(rng):
    a = rng.normal(size=(4, 3))
    gs = [rng.normal(size=(4, n)) for n in (1, 2, 3)]           # a batch that changes size: added one by one
    bs = [rng.normal(size=(3, n)) for n in (1, 2, 3)]
    np.testing.assert_allclose(matmul_lhs_adjoint_sum(gs, a, bs),
                               sum(g @ b.T for g, b in zip(gs, bs)), rtol=1e-12)
    gs32 = [rng.normal(size=4).astype(np.float32) for _ in range(3)]
    bs32 = [rng.normal(size=3).astype(np.float32) for _ in range(3)]
    assert matmul_lhs_adjoint_sum(gs32, a.astype(np.float32), bs32).dtype == np.float32
    assert matmul_lhs_adjoint_sum(gs32, a, bs32).dtype == np.float64  # as zeros_like(a) + steps
    assert matmul_lhs_adjoint_sum([], a.astype(np.float32), []).dtype == np.float32


def test_helpers_give_a_new_array(rng):
    a, g, b = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)
    gs, bs = [g], [b]
    out = matmul_lhs_adjoint_sum(gs, a, bs)
    out += 1.0
    np.testing.assert_array_equal(gs[0], g)
    assert not np.shares_memory(out, a)


# --- gradients through the pipeline ---------------------------------------------------------------


def rnn(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def rnn_rows(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(h @ W + x[t] @ U)
    return np.sum(h**2)


def rnn_dot(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(np.dot(W, h) + np.dot(U, x[t]))
    return np.sum(h**2)


def rnn_while(W, U, h, x):
    t = 0
    while t < x.shape[0]:
        h = np.tanh(W @ h + U @ x[t])
        t = t + 1
    return np.sum(h**2)


def rnn_decaying(W, U, h, x):
    for t in range(x.shape[0]):
        W = W * 0.9                                    # the weight changes in the loop
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def _rnn_args(rng, hidden=4, inp=3, steps=5, batch=None, rows=False):
    W = rng.normal(size=(hidden, hidden)) * 0.5
    if rows:
        U = rng.normal(size=(inp, hidden)) * 0.5
        h = rng.normal(size=(batch, hidden) if batch else hidden) * 0.3
        x = rng.normal(size=(steps, batch, inp) if batch else (steps, inp))
    else:
        U = rng.normal(size=(hidden, inp)) * 0.5
        h = rng.normal(size=(hidden, batch) if batch else hidden) * 0.3
        x = rng.normal(size=(steps, inp, batch) if batch else (steps, inp))
    return W, U, h, x


def _bptt(W, U, h0, x):
    """Backpropagation through time written out per step: an independent reference."""
    hs = [h0]
    for t in range(x.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + U @ x[t]))
    dW, dU, dh = np.zeros_like(W), np.zeros_like(U), 2.0 * hs[-1]
    for t in reversed(range(x.shape[0])):
        g = dh * (1.0 - hs[t + 1] ** 2)
        dW += np.outer(g, hs[t])
        dU += np.outer(g, x[t])
        dh = W.T @ g
    return dW, dU, dh


# In `rnn` and `rnn_dot` the input projections `U @ x[t]` are one product before the loop
# (hoist_projections.py): only W's steps are summed here. A `while` loop keeps its per step.
@pytest.mark.parametrize("f, helper, count, rows", [(rnn, "matmul_lhs_adjoint_sum", 1, "matmul_rows"),
                                                    (rnn_dot, "dot_lhs_adjoint_sum", 1, "dot_rows"),
                                                    (rnn_while, "matmul_lhs_adjoint_sum", 2, None)])
def test_rnn_gradients(rng, f, helper, count, rows):
    df = ad.grad(f, wrt=(0, 1, 2))
    assert df.source.count(f"{helper}(") == count and "_lhs_adjoint(matmul_bar" not in df.source
    assert "_rows_lhs_adjoint(" not in df.source if rows is None else f"{rows}_lhs_adjoint(" in df.source
    args = _rnn_args(rng)
    check_grad(f, args, wrt=(0, 1, 2))
    for got, want in zip(df(*args), _bptt(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_row_vector_rnn(rng):
    df = ad.grad(rnn_rows, wrt=(0, 1, 2))
    assert df.source.count("matmul_rhs_adjoint_sum(") == 1 and "rows_matmul_rhs_adjoint(" in df.source
    check_grad(rnn_rows, _rnn_args(rng, rows=True), wrt=(0, 1, 2))


@pytest.mark.parametrize("f, rows", [(rnn, False), (rnn_rows, True)])
def test_batched_rnn(rng, f, rows):
    args = _rnn_args(rng, batch=3, rows=rows)
    assert "_adjoint_sum(" in ad.grad(f, wrt=(0, 1, 2)).source
    check_grad(f, args, wrt=(0, 1, 2))


def test_float32_rnn(rng):
    args = tuple(a.astype(np.float32) for a in _rnn_args(rng))
    check_grad(rnn, args, wrt=(0, 1, 2))


@pytest.mark.parametrize("f", [rnn, rnn_while])
def test_loop_without_iterations(rng, f):
    W, U, h, _ = _rnn_args(rng)
    dW, dU, dh = ad.grad(f, wrt=(0, 1, 2))(W, U, h, np.zeros((0, 3)))
    assert dW.shape == W.shape and dU.shape == U.shape and not dW.any() and not dU.any()
    np.testing.assert_allclose(dh, 2.0 * h, rtol=1e-15)


def test_weight_changing_in_the_loop_is_summed_per_step(rng):
    source = ad.grad(rnn_decaying, wrt=(0, 1, 2)).source
    assert "matmul_lhs_adjoint_sum(" not in source             # W's product reads the changing W
    ((_, backward),) = blocks("for {*} in reversed(range({*})):", code(source))
    assert has("{W_bar} = matmul_lhs_adjoint({matmul_bar}, ", backward)   # so it is taken step by step
    assert "matmul_rows_lhs_adjoint(" in source                      # U is fixed: one product for all steps
    check_grad(rnn_decaying, _rnn_args(rng), wrt=(0, 1, 2))


def filled_rows(W, x):
    out = np.zeros((x.shape[0], W.shape[0]))
    for t in range(x.shape[0]):
        out[t] = np.tanh(W @ (2.0 * x[t]))  # the backward loop zeroes out_bar's rows in place
    return np.sum(out**2)


def test_steps_next_to_writes_in_place(rng):
    df = ad.grad(filled_rows, wrt=(0, 1))
    assert "matmul_lhs_adjoint_sum(" in df.source
    check_grad(filled_rows, (rng.normal(size=(4, 3)), rng.normal(size=(6, 3))), wrt=(0, 1))


def test_pullback_closure_holds_the_lists(rng):
    """vjp emits the backward sweep as a closure: the lists and the product after the loop belong to it."""
    args = _rnn_args(rng)
    _, pullback = ad.vjp(rnn, *args)
    for got, want in zip(pullback(1.0)[:3], _bptt(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def cooling(T0, mass, cp, k):
    T = T0
    for i in range(12):
        power = k * (T - 5.0)
        T = T - power / mass / cp + 0.01 * power / mass
    return T * T


def cooling_vec(T0, mass, cp, k):
    T = T0
    for i in range(12):
        power = k * (T - 5.0)
        T = T - power / mass / cp
    return np.sum(T * T)


def test_divisions_by_a_fixed_value_are_applied_once_after_the_loop():
    src = ad.grad(cooling, wrt=(0, 1, 2, 3)).source
    head, _, backward = src.partition("reversed(range(12)):")
    line = head.rsplit("\n", 1)[1]  # (inside `try:` too: `power / mass` by a Python zero is NumPy's inf)
    loop, _, after = backward.partition("\n" + line[:len(line) - len(line.lstrip())] + "# adjoint of line")
    assert "cp_bar_sum = cp_bar_sum" in loop and "/ cp" not in loop.split("cp_bar_sum =")[1].split("\n")[0]
    found = names("{cp_bar} = cp_bar_sum / cp\n", after)  # the loop started from zero: nothing added to it
    assert found and has(f"{{cp_grad}} = as_gradient({found['cp_bar']}, cp)", after)
    check_grad(cooling, (30.0, 2.0, 3.0, 0.4), wrt=(0, 1, 2, 3))
    # Arrays and broadcasting: the factor may be a vector, the accumulator a scalar.
    check_grad(cooling_vec, (np.array([30.0, 20.0]), np.array([2.0, 2.5]), 3.0, 0.4), wrt=(0, 1, 2, 3))


def drain(T, p, m, n):
    for i in range(n):
        T = T - p / m
    return T


def test_a_loop_that_may_not_run_divides_only_as_it_runs():
    # With n = 0 the function never divides by m: neither may its gradient.
    assert ad.grad(drain, wrt=(0, 1, 2))(1.0, 2.0, 0.0, 0) == (1.0, 0.0, 0.0)
    check_grad(drain, (1.0, 2.0, 3.0, 4), wrt=(0, 1, 2))
