"""Products of a fixed matrix with a loop's rows as one product before the loop
(optimize/hoist_projections.py, runtime/rows.py, rules/runtime.py)."""

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import code, has

import adtransform as ad
from adtransform.analysis.manager import PassContext
from adtransform.codegen import emit, load
from adtransform.ir.nodes import Loop, Op, walk
from adtransform.ir.printer import format_function
from adtransform.ir.verify import verify
from adtransform.optimize import hoist_projections
from adtransform.optimize.driver import optimize_primal
from adtransform.pipeline import primal_ir
from adtransform.runtime import (
    dot_lhs_adjoint,
    dot_rhs_adjoint,
    dot_rows,
    dot_rows_lhs_adjoint,
    dot_rows_rhs_adjoint,
    matmul_rows,
    matmul_rows_lhs_adjoint,
    matmul_rows_rhs_adjoint,
    rows_dot,
    rows_dot_lhs_adjoint,
    rows_dot_rhs_adjoint,
    rows_matmul,
    rows_matmul_lhs_adjoint,
    rows_matmul_rhs_adjoint,
    rows_of_steps,
)


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def rnn(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def rnn_rows(W, V, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(h @ W + x[t] @ V)
    return np.sum(h**2)


def rnn_from_one(W, U, h, x):
    for t in range(1, x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def rnn_backwards(W, U, h, x):
    for t in range(x.shape[0] - 1, -1, -1):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def rnn_negative(W, U, h, x):
    for t in range(-3, 2):                   # x[-3] .. x[1]: rows counted from the end, then the start
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def rnn_steps(W, U, h, x, n):
    for t in range(n):                       # a range shorter than x (or none at all)
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def x_changes(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
        x = x * 0.5                          # the rows are not the same array in every iteration
    return np.sum(h**2)


def u_changes(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
        U = U * 0.9                          # nor is the matrix
    return np.sum(h**2)


def with_break(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
        if h[0] > 0.5:
            break
    return np.sum(h**2)


def invariant_in_body(W, A, h, x):
    for t in range(6):
        U = A * 2.0                          # invariant: LICM moves it out (constant bounds), then the product
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def _args(rng, hidden=4, inp=3, steps=6, batch=None, rows=False):
    W = rng.normal(size=(hidden, hidden)) * 0.5
    U = rng.normal(size=(inp, hidden) if rows else (hidden, inp)) * 0.5
    if rows:
        h = rng.normal(size=(batch, hidden) if batch else hidden) * 0.3
        x = rng.normal(size=(steps, batch, inp) if batch else (steps, inp))
    else:
        h = rng.normal(size=(hidden, batch) if batch else hidden) * 0.3
        x = rng.normal(size=(steps, inp, batch) if batch else (steps, inp))
    return W, U, h, x


def _primal(f):
    """`f`'s IR after the primal passes, and `f` compiled from that IR."""
    fn, ctx = primal_ir(f)
    optimize_primal(fn, ctx.namer)
    verify(fn)
    assert not hoist_projections.transform(fn, PassContext.of(fn, ctx.namer))   # nothing left to do
    text = emit.emit(fn, name=f"{f.__name__}_hoisted", docstring="", line_text=ctx.info.line_text,
                     namer=ctx.namer, user_lookup=ctx.namespace.lookup, user_locals=ctx.locals)
    loaded = load.compile_source(text.text, f"{f.__name__}_hoisted", text.injected, f.__code__.co_freevars)
    return fn, load.bind(loaded, f)


def _loop(fn):
    return next(s for s in fn.body if isinstance(s, Loop))


def _callees(body):
    return [str(s.callee) for s in body if isinstance(s, Op)]


# --- the pass on the IR -----------------------------------------------------------------------------


def test_rnn_projection_moves_before_the_loop(rng):
    fn, hoisted = _primal(rnn)
    text = format_function(fn)
    assert "%U_x = matmul_rows(%U, %x, 0, %t_item, 1)" in text
    loop = _loop(fn)
    assert fn.body.index(loop) > next(i for i, s in enumerate(fn.body) if isinstance(s, Op)
                                      and str(s.callee) == "matmul_rows")
    assert has("%{matmul} = [](%U_x, [%t])", format_function(fn).replace("    ", ""))
    assert _callees(loop.body).count("@") == 1                   # W @ h stays; x[t] is no longer read
    assert not any("x_item" in (s.result.name if s.result else "") for s in loop.body if isinstance(s, Op))
    args = _args(rng)
    np.testing.assert_allclose(hoisted(*args), rnn(*args), rtol=1e-13)


def test_row_vector_projection(rng):
    fn, hoisted = _primal(rnn_rows)
    assert "%x_V = rows_matmul(%x, %V, 0, %t_item, 1)" in format_function(fn)
    args = _args(rng, rows=True)
    np.testing.assert_allclose(hoisted(*args), rnn_rows(*args), rtol=1e-13)


def test_invariant_operand_made_in_the_body(rng):
    fn, hoisted = _primal(invariant_in_body)
    assert "matmul_rows(" in format_function(fn)
    args = _args(rng)
    np.testing.assert_allclose(hoisted(*args), invariant_in_body(*args), rtol=1e-13)


@pytest.mark.parametrize("f", [x_changes, u_changes, with_break])
def test_rows_or_matrix_changing_or_early_exit_keep_the_per_step_product(f):
    fn, _ = _primal(f)
    text = format_function(fn)
    assert "matmul_rows(" not in text and "@(%U" in text


# --- gradients against finite differences ------------------------------------------------------------


@pytest.mark.parametrize("f", [rnn, rnn_from_one, rnn_backwards, rnn_negative])
def test_rnn_gradients(rng, f):
    assert "matmul_rows(" in ad.grad(f, wrt=(0, 1, 2)).source
    check_grad(f, _args(rng), wrt=(0, 1, 2, 3))


def test_rows_visited_twice(rng):
    args = _args(rng, steps=4)                                   # range(-3, 2) reads row 1 as x[-3] and x[1]
    check_grad(rnn_negative, args, wrt=(0, 1, 2, 3))


def test_row_vector_gradients(rng):
    assert "rows_matmul(" in ad.grad(rnn_rows, wrt=(0, 1, 2)).source
    check_grad(rnn_rows, _args(rng, rows=True), wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("f, rows", [(rnn, False), (rnn_rows, True)])
def test_batched_rows(rng, f, rows):
    args = _args(rng, batch=3, rows=rows)                        # x (T, 3, B) or (T, B, 3)
    check_grad(f, args, wrt=(0, 1, 2, 3))


def test_float32(rng):
    args = tuple(a.astype(np.float32) for a in _args(rng))
    check_grad(rnn, args, wrt=(0, 1, 2))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_shorter_ranges(rng, n):
    W, U, h, x = _args(rng, steps=6)
    x[4:] = np.inf                                               # rows the loop never visits
    check_grad(rnn_steps, (W, U, h, x[:4], n), wrt=(0, 1, 2, 3))
    dW, dU, dh = ad.grad(rnn_steps, wrt=(0, 1, 2))(W, U, h, x, n)
    want = ad.grad(rnn_steps, wrt=(0, 1, 2))(W, U, h, x[:4].copy(), n)
    for got, ref in zip((dW, dU, dh), want):
        np.testing.assert_allclose(got, ref, rtol=1e-13)
        assert np.isfinite(got).all()


def test_zero_iterations_with_shapes_no_product_takes(rng):
    W, _, h, x = _args(rng)
    U = rng.normal(size=(4, 7))                                  # U @ x[t] would raise; the loop never asks
    dW, dU, dh = ad.grad(rnn_steps, wrt=(0, 1, 2))(W, U, h, x, 0)
    assert not dW.any() and not dU.any() and dU.shape == U.shape
    np.testing.assert_allclose(dh, 2.0 * h)
    with pytest.raises(ValueError):
        ad.grad(rnn_steps, wrt=(0, 1, 2))(W, U, h, x, 2)        # as the user's function raises


def test_x_without_rows(rng):
    W, U, h, _ = _args(rng)
    dW, dU, dh = ad.grad(rnn, wrt=(0, 1, 2))(W, U, h, np.zeros((0, 3)))
    assert dW.shape == W.shape and dU.shape == U.shape and not dW.any() and not dU.any()
    np.testing.assert_allclose(dh, 2.0 * h, rtol=1e-15)


def test_range_beyond_the_rows_raises_index_error(rng):
    W, U, h, x = _args(rng, steps=3)
    with pytest.raises(IndexError):
        ad.grad(rnn_steps, wrt=(0, 1, 2))(W, U, h, x, 5)


@pytest.mark.parametrize("f", [x_changes, u_changes, with_break])
def test_gradients_where_the_pass_does_not_apply(rng, f):
    fn, _ = _primal(f)
    callees = [str(s.callee) for s in walk(fn.body) if isinstance(s, Op)]
    assert not any("rows" in c for c in callees)          # no product over all rows, before the loop or in it
    assert callees.count("@") == 2                         # both products stay in the loop, step by step
    assert not any("rows" in line for line in code(ad.grad(f, wrt=(0, 1, 2, 3)).source).splitlines())
    check_grad(f, _args(rng), wrt=(0, 1, 2, 3))


# --- the runtime helpers against the row-by-row products ---------------------------------------------


_RANGES = [(0, 5, 1), (4, -1, -1), (1, 5, 1), (-2, 3, 1), (0, 5, 2), (3, 3, 1)]


@pytest.mark.parametrize("bounds", _RANGES)
@pytest.mark.parametrize("shape", [(5, 3), (5, 3, 2)])
def test_matmul_rows_and_adjoints(rng, bounds, shape):
    a, x = rng.normal(size=(4, 3)), rng.normal(size=shape)
    visited = sorted({range(5)[t] for t in range(*bounds)})
    p = matmul_rows(a, x, *bounds)
    for t in range(*bounds):
        np.testing.assert_allclose(p[t], a @ x[t], rtol=1e-13)
    g = np.zeros((5, 4, *shape[2:]))
    g[visited] = rng.normal(size=(len(visited), 4, *shape[2:]))
    want_a = sum((np.outer(g[t], x[t]) if x.ndim == 2 else g[t] @ x[t].T for t in visited), np.zeros((4, 3)))
    want_x = np.zeros(shape)
    for t in visited:
        want_x[t] = a.T @ g[t]
    np.testing.assert_allclose(matmul_rows_lhs_adjoint(g, a, x, *bounds), want_a, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(matmul_rows_rhs_adjoint(g, a, x, *bounds), want_x, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bounds", _RANGES)
def test_rows_matmul_and_adjoints(rng, bounds):
    b, x = rng.normal(size=(3, 4)), rng.normal(size=(5, 2, 3))
    visited = sorted({range(5)[t] for t in range(*bounds)})
    p = rows_matmul(x, b, *bounds)
    for t in range(*bounds):
        np.testing.assert_allclose(p[t], x[t] @ b, rtol=1e-13)
    g = np.zeros((5, 2, 4))
    g[visited] = rng.normal(size=(len(visited), 2, 4))
    want_b = sum((x[t].T @ g[t] for t in visited), np.zeros((3, 4)))
    want_x = np.zeros(x.shape)
    for t in visited:
        want_x[t] = g[t] @ b.T
    np.testing.assert_allclose(rows_matmul_rhs_adjoint(g, x, b, *bounds), want_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rows_matmul_lhs_adjoint(g, x, b, *bounds), want_x, rtol=1e-12, atol=1e-15)


def test_matmul_rows_of_other_shapes_as_the_loop_computes_them(rng):
    a, x = rng.normal(size=3), rng.normal(size=(4, 3))           # 1-D `a`: each row's product is a scalar
    p = matmul_rows(a, x, 0, 4, 1)
    assert [float(v) for v in p] == [float(a @ r) for r in x]
    np.testing.assert_allclose(matmul_rows_lhs_adjoint(np.ones(4), a, x, 0, 4, 1), x.sum(axis=0))
    with pytest.raises(ValueError):
        matmul_rows(rng.normal(size=(2, 5)), x, 0, 4, 1)       # the error of `a @ x[0]`
    assert matmul_rows(rng.normal(size=(2, 5)), x, 0, 0, 1).size == 0   # nothing visited: nothing raised


def test_rows_of_steps_is_the_scatter_of_the_steps(rng):
    like = np.zeros((4, 3))
    steps = [rng.normal(size=3) for _ in range(4)]
    np.testing.assert_array_equal(rows_of_steps(steps, like, 0, 4, 1), np.array(steps[::-1]))
    np.testing.assert_array_equal(rows_of_steps(steps, like, 3, -1, -1), np.array(steps))
    partial = rows_of_steps(steps[:2], like, 1, 3, 1)                   # rows 2 then 1; rows 0 and 3 stay zero
    np.testing.assert_array_equal(partial, [np.zeros(3), steps[1], steps[0], np.zeros(3)])
    broadcast = rows_of_steps([np.ones((2, 3))] * 4, like, 0, 4, 1)   # steps broadcast to a row: summed
    np.testing.assert_array_equal(broadcast, np.full((4, 3), 2.0))
    assert rows_of_steps([], like, 0, 0, 1).shape == (4, 3)


def test_row_accumulation_in_place_matches_the_scatter(rng):
    """getitem_accumulate's row path (nested loops keep the scatter: their product is in another block)."""
    from adtransform.runtime import getitem_accumulate, getitem_adjoint
    like, g = rng.normal(size=(4, 3)), rng.normal(size=3)
    acc = np.zeros((4, 3))
    out = getitem_accumulate(acc, g, like, -2)
    assert out is acc
    np.testing.assert_array_equal(out, getitem_adjoint(g, like, -2))


def sequences(W, U, h, xs):
    for s in range(xs.shape[0]):
        x = xs[s]                            # fixed for the inner loop: its product goes before it
        for t in range(x.shape[0]):
            h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def test_inner_loop_of_a_nest(rng):
    W, U, h, _ = _args(rng)
    xs = rng.normal(size=(2, 4, 3))
    fn, hoisted = _primal(sequences)
    outer = _loop(fn)
    assert "matmul_rows" in _callees(outer.body)                  # once per sequence, before the inner loop
    np.testing.assert_allclose(hoisted(W, U, h, xs), sequences(W, U, h, xs), rtol=1e-13)
    check_grad(sequences, (W, U, h, xs), wrt=(0, 1, 2, 3))


def _sum_of_projections(h, U, x):
    for t in range(len(x)):
        h = h + U @ x[t]
    return np.sum(h**2)


def _ragged_rnn(U, h, x):
    for t in range(len(x)):
        h = np.tanh(h + U @ x[t])
    return np.sum(h * h)


def test_rows_of_different_dtypes_or_shapes_keep_each_product():
    # Found in review: the row-by-row path stored every product with the first row's dtype and shape.
    U = np.array([[1, 2], [3, 4]])
    check_grad(_sum_of_projections, (np.array([0.1, 0.2]), U, [np.array([1, 1]), np.array([0.5, 0.25])]))
    U = np.array([[0.5, 0.1], [0.2, 0.3]])
    check_grad(_ragged_rnn, (U, np.array([0.1, 0.2]), [np.array([1.0, 2.0]), np.array([[1.0], [0.5]])]),
               wrt=(0, 1))


# --- np.dot and np.matmul: the same projection spelled as a call ---------------------------------------


def rnn_dot(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(np.dot(W, h) + np.dot(U, x[t]))
    return np.sum(h**2)


def rnn_dot_rows(W, V, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(np.dot(h, W) + np.dot(x[t], V))
    return np.sum(h**2)


def rnn_np_matmul(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(np.matmul(W, h) + np.matmul(U, x[t]))
    return np.sum(h**2)


def rnn_np_matmul_rows(W, V, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(np.matmul(h, W) + np.matmul(x[t], V))
    return np.sum(h**2)


def rnn_dot_range(W, U, h, x, start, stop, step):
    for t in range(start, stop, step):
        h = np.tanh(np.dot(W, h) + np.dot(U, x[t]))
    return np.sum(h**2)


def rnn_dot_rows_range(W, V, h, x, start, stop, step):
    for t in range(start, stop, step):
        h = np.tanh(np.dot(h, W) + np.dot(x[t], V))
    return np.sum(h**2)


def rnn_dot_method(W, U, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W.dot(h) + U.dot(x[t]))
    return np.sum(h**2)


def rnn_dot_method_rows(W, V, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(h.dot(W) + x[t].dot(V))
    return np.sum(h**2)


_CALLED = [(rnn_dot, False, "dot_rows("), (rnn_dot_rows, True, "rows_dot("),
           (rnn_np_matmul, False, "matmul_rows("), (rnn_np_matmul_rows, True, "rows_matmul("),
           (rnn_dot_method, False, "dot_rows("), (rnn_dot_method_rows, True, "rows_dot(")]


def test_np_dot_projection_moves_before_the_loop(rng):
    fn, hoisted = _primal(rnn_dot)
    text = format_function(fn)
    assert "%U_x = dot_rows(%U, %x, 0, %t_item, 1)" in text
    assert _callees(_loop(fn).body).count("np.dot") == 1              # np.dot(W, h) stays
    args = _args(rng)
    np.testing.assert_allclose(hoisted(*args), rnn_dot(*args), rtol=1e-13)


def test_np_matmul_projection_is_handed_np_matmul(rng):
    fn, hoisted = _primal(rnn_np_matmul)
    assert "matmul_rows(%U, %x, 0, %t_item, 1, " in format_function(fn)
    assert "U_x = matmul_rows(U, x, 0, t_item, 1, np.matmul)" in ad.grad(rnn_np_matmul, wrt=(0, 1)).source
    args = _args(rng)
    np.testing.assert_allclose(hoisted(*args), rnn_np_matmul(*args), rtol=1e-13)


@pytest.mark.parametrize("f, rows, helper", _CALLED)
def test_called_products_gradients(rng, f, rows, helper):
    assert helper in ad.grad(f, wrt=(0, 1, 2)).source
    check_grad(f, _args(rng, rows=rows), wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("f, rows, helper", _CALLED)
def test_called_products_float32(rng, f, rows, helper):
    args = tuple(a.astype(np.float32) for a in _args(rng, rows=rows))
    check_grad(f, args, wrt=(0, 1, 2))


@pytest.mark.parametrize("f, rows", [(rnn_dot_range, False), (rnn_dot_rows_range, True)])
@pytest.mark.parametrize("bounds", [(1, 6, 1), (5, -1, -1), (0, 6, 2), (4, 0, -3), (2, 2, 1), (3, 1, 1)])
def test_np_dot_over_sub_ranges_and_steps(rng, f, rows, bounds):
    args = _args(rng, rows=rows)
    assert ("rows_dot(" if rows else "dot_rows(") in ad.grad(f, wrt=(0, 1, 2)).source
    check_grad(f, (*args, *bounds), wrt=(0, 1, 2, 3))
    if len(range(*bounds)) == 0:                                  # the loop does not run
        dW, dU, dh = ad.grad(f, wrt=(0, 1, 2))(*args, *bounds)
        assert not dW.any() and not dU.any()
        np.testing.assert_allclose(dh, 2.0 * args[2], rtol=1e-15)


@pytest.mark.parametrize("f, rows", [(rnn_dot, False), (rnn_dot_rows, True)])
def test_np_dot_of_matrix_rows_is_one_product(rng, f, rows):
    # x (T, 3, B) or (T, B, 3): rows are matrices, and np.dot of two matrices is `@`.
    args = _args(rng, batch=2, rows=rows)
    fn, hoisted = _primal(f)
    loop = _loop(fn)
    products = [s for s in fn.body[:fn.body.index(loop)] if isinstance(s, Op) and str(s.callee).endswith(
        ("dot_rows", "rows_dot"))]
    assert len(products) == 1                              # one product for all rows, before the loop
    assert _callees(loop.body).count("np.dot") == 1        # only the step's own product stays (W with h)
    np.testing.assert_allclose(hoisted(*args), f(*args), rtol=1e-13)
    check_grad(f, args, wrt=(0, 1, 2, 3))


def rnn_dot_nd(w, U, h, x, start, stop, step):
    for t in range(start, stop, step):
        h = np.tanh(w * h + np.dot(U, x[t]))
    return np.sum(h**2)


def test_np_dot_of_n_d_rows_is_the_loops_own_product(rng):
    # Rows of rank 3: np.dot(U, x[t]) is (hidden, b, n), where `U @ x[t]` would be (b, hidden, n).
    w, U = rng.normal(size=(4, 1, 1)) * 0.5, rng.normal(size=(4, 3)) * 0.5
    h, x = rng.normal(size=(4, 2, 5)) * 0.3, rng.normal(size=(6, 2, 3, 5))
    fn, hoisted = _primal(rnn_dot_nd)
    assert "dot_rows(" in format_function(fn)
    for bounds in [(0, 6, 1), (5, 0, -2), (1, 1, 1)]:
        np.testing.assert_allclose(hoisted(w, U, h, x, *bounds), rnn_dot_nd(w, U, h, x, *bounds), rtol=1e-13)
        check_grad(rnn_dot_nd, (w, U, h, x, *bounds), wrt=(0, 1, 2, 3))


def test_np_dot_of_n_d_rows_on_the_right(rng):
    W, V = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4)) * 0.5
    h, x = rng.normal(size=(2, 5, 4)) * 0.3, rng.normal(size=(6, 2, 5, 3))
    _, hoisted = _primal(rnn_dot_rows)
    np.testing.assert_allclose(hoisted(W, V, h, x), rnn_dot_rows(W, V, h, x), rtol=1e-13)
    check_grad(rnn_dot_rows, (W, V, h, x), wrt=(0, 1, 2, 3))


def _sum_of_dots(u, x):
    s = 0.0
    for t in range(len(x)):
        s = s + np.sum(np.dot(u, x[t]))
    return s


def test_np_dot_of_a_vector_with_the_rows(rng):
    u, x = rng.normal(size=3), rng.normal(size=(5, 3))           # each row's np.dot is a scalar
    assert "dot_rows(" in ad.grad(_sum_of_dots, wrt=(0, 1)).source
    check_grad(_sum_of_dots, (u, x), wrt=(0, 1))
    check_grad(_sum_of_dots, (2.0, x), wrt=(0, 1))                # a scalar: np.dot is a product


def test_np_dot_raises_what_the_loop_raises(rng):
    W, _, h, x = _args(rng)
    U = rng.normal(size=(4, 7))
    with pytest.raises(ValueError):
        ad.grad(rnn_dot, wrt=(0, 1))(W, U, h, x)
    dW, dU = ad.grad(rnn_dot_range, wrt=(0, 1))(W, U, h, x, 0, 0, 1)  # no step: nothing raised
    assert not dW.any() and not dU.any() and dU.shape == U.shape


def _lists_matmul(U, x):
    s = 0.0
    for t in range(len(x)):
        s = s + np.sum(np.matmul(U, x[t]))                   # `U @ x[t]` would raise: both are lists
    return s


def test_np_matmul_of_lists_calls_np_matmul():
    _, hoisted = _primal(_lists_matmul)
    U, x = [[1.0, 2.0], [3.0, 4.0]], [[0.5, 0.25], [1.0, -1.0], [2.0, 0.0]]
    assert hoisted(U, x) == _lists_matmul(U, x)


@pytest.mark.parametrize("bounds", _RANGES)
@pytest.mark.parametrize("shape", [(5, 3), (5, 3, 2), (5, 2, 3, 2)])
def test_dot_rows_and_adjoints(rng, bounds, shape):
    a, x = rng.normal(size=(4, 3)), rng.normal(size=shape)
    visited = sorted({range(5)[t] for t in range(*bounds)})
    p = dot_rows(a, x, *bounds)
    for t in range(*bounds):
        np.testing.assert_allclose(p[t], np.dot(a, x[t]), rtol=1e-13)
    g = np.zeros((5, *np.dot(a, x[0]).shape))
    g[visited] = rng.normal(size=(len(visited), *g.shape[1:]))
    want_a = sum((dot_lhs_adjoint(g[t], a, x[t]) for t in visited), np.zeros((4, 3)))
    want_x = np.zeros(shape)
    for t in visited:
        want_x[t] = dot_rhs_adjoint(g[t], a, x[t])
    np.testing.assert_allclose(dot_rows_lhs_adjoint(g, a, x, *bounds), want_a, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dot_rows_rhs_adjoint(g, a, x, *bounds), want_x, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bounds", _RANGES)
@pytest.mark.parametrize("shape", [(5, 3), (5, 2, 3), (5, 2, 2, 3)])
def test_rows_dot_and_adjoints(rng, bounds, shape):
    b, x = rng.normal(size=(3, 4)), rng.normal(size=shape)
    visited = sorted({range(5)[t] for t in range(*bounds)})
    p = rows_dot(x, b, *bounds)
    for t in range(*bounds):
        np.testing.assert_allclose(p[t], np.dot(x[t], b), rtol=1e-13)
    g = np.zeros((5, *np.dot(x[0], b).shape))
    g[visited] = rng.normal(size=(len(visited), *g.shape[1:]))
    want_b = sum((dot_rhs_adjoint(g[t], x[t], b) for t in visited), np.zeros((3, 4)))
    want_x = np.zeros(shape)
    for t in visited:
        want_x[t] = dot_lhs_adjoint(g[t], x[t], b)
    np.testing.assert_allclose(rows_dot_rhs_adjoint(g, x, b, *bounds), want_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rows_dot_lhs_adjoint(g, x, b, *bounds), want_x, rtol=1e-12, atol=1e-15)
