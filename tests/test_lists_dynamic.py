"""Lists and tuples of differentiated values as run-time values: displays passed whole to the
functions consuming them, lists grown with `append` in loops, indexing, slicing, joining.

Each gradient is checked against central finite differences and, where autograd can express the
program (the same function run with autograd's NumPy), against autograd.
"""

from __future__ import annotations

import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad


def _with_autograd(f):
    return types.FunctionType(f.__code__, {**f.__globals__, "np": anp}, f.__name__, f.__defaults__)


def check(f, args, wrt=0, autograd_too=True, **tol):
    """FD check (shape, dtype, no mutation of the inputs), then autograd's gradient."""
    got = check_grad(f, args, wrt=wrt, **tol)
    if autograd_too:
        expected = autograd.grad(_with_autograd(f), wrt)(*args)
        for mine, theirs in zip(got, expected) if isinstance(wrt, tuple) else [(got, expected)]:
            np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-9)
    return got


rng = np.random.default_rng(0)
X = rng.normal(size=3)
M = rng.normal(size=(2, 3))


# --- displays passed whole ---------------------------------------------------------------------

def stack_display(x):
    return np.sum(np.stack([x, x * 2.0, np.sin(x)], axis=1) ** 2)


def array_display(x):
    return np.sum(np.array([x[0] * x[1], np.cos(x[2]), 3.0]) ** 3)


def concatenate_display(x):
    return np.sum(np.concatenate([x, np.tanh(x[1:])]) ** 2)


def hstack_vstack_display(x):
    return np.sum(np.hstack([x, x[:2] * 3.0]) ** 2) + np.sum(np.vstack([x, x ** 2]) ** 3)


def column_stack_display(x):
    return np.sum(np.column_stack([x, np.exp(x)]) @ np.array([1.0, -2.0]))


def builtin_sum_display(x):
    return np.sum(sum([x, x * x, np.sin(x)]))


def builtin_sum_start(x):
    return np.sum(sum([x[0], x[1] ** 2], x))


def tuple_display(x):
    pair = (x * 2.0, np.sin(x))
    return np.sum(np.stack(pair) ** 2) + np.sum(pair[1] * pair[0])


@pytest.mark.parametrize("f", [stack_display, array_display, concatenate_display, hstack_vstack_display,
                               column_stack_display, builtin_sum_display, builtin_sum_start, tuple_display])
def test_displays(f):
    check(f, (X.copy(),))


def test_display_on_matrices_and_axis():
    def f(m):
        return np.sum(np.stack([m, m * m], axis=-1) ** 2) + np.sum(np.concatenate([m, m.T @ m], axis=0))
    check(f, (M.copy(),))


def test_np_sum_and_mean_of_list():
    def f(x):
        return np.sum([x, x * x]) + np.mean([np.sin(x), x], axis=0)[1] + np.sum([x[0], x[1]], keepdims=True)[0]
    check(f, (X.copy(),), autograd_too=False)


# --- append in loops -----------------------------------------------------------------------------

def append_loop(x, n):
    L = []
    for i in range(n):
        L.append(np.sin(x) * i)
    return np.sum(np.stack(L) ** 2)


def append_recurrence(x, n):
    h = x
    hs = []
    for _ in range(n):
        h = np.tanh(h * 1.5 + 0.1)
        hs.append(h)
    return np.sum(np.array(hs) * np.arange(3.0))


def append_branch(x, n):
    L = []
    for i in range(n):
        if i % 2 == 0:
            L.append(x * i)
        else:
            L.append(np.exp(x))
    return np.sum(np.stack(L, axis=1) ** 2)


def append_scalars(x, n):
    vals = []
    for i in range(n):
        vals.append(x[i % 3] * x[(i + 1) % 3])
    return sum(vals) + np.sum(np.array(vals) ** 2)


def append_read_back(x, n):
    L = [x]
    for _ in range(n):
        L.append(np.sin(L[-1]) + L[0])
    return np.sum(L[-1] * L[1])


def append_while(x):
    L = []
    t = 0.0
    while t < 3.0:
        L.append(x * t)
        t = t + 1.0
    return np.sum(np.concatenate(L) ** 2)


def nested_append(x, n):
    rows = []
    for i in range(n):
        row = []
        for j in range(3):
            row.append(x[j] * (i + j))
        rows.append(np.stack(row))
    return np.sum(np.vstack(rows) ** 2)


def for_over_list(x, n):
    L = []
    for i in range(n):
        L.append(x * (i + 1.0))
    total = 0.0
    for v in L:
        total = total + np.sum(v ** 2)
    return total


def index_loop_negative(x, n):
    L = []
    for i in range(n):
        L.append(np.cos(x) * i)
    s = 0.0
    for i in range(1, n + 1):
        s = s + np.sum(L[-i] * i)
    return s + len(L)


@pytest.mark.parametrize("f", [append_loop, append_recurrence, append_branch, append_scalars, append_read_back,
                               nested_append, for_over_list, index_loop_negative])
def test_append_loops(f):
    check(f, (X.copy(), 3))


def test_append_while():
    check(append_while, (X.copy(),))


def test_append_float32():
    got = check(append_loop, (X.astype(np.float32), 3), autograd_too=False)
    assert got.dtype == np.float32


def test_join_and_slice():
    def f(x, n):
        L = [x]
        for i in range(n):
            L = L + [x * i]  # noqa: RUF005  (the join is what is tested)
        M = L[1:3]
        return np.sum(np.stack(M) ** 2) + np.sum(L[0])
    check(f, (X.copy(), 3))


def test_list_unused_and_partly_used():
    def f(x, n):
        L = []
        for i in range(n):
            L.append(x * i)
        return np.sum(L[1] ** 2) + np.sum(x)
    check(f, (X.copy(), 3))


def test_appended_then_value_changed_is_seen():
    # the list holds the array itself: a later in-place update of it is refused (as NumPy shares it)
    def f(x):
        v = x * 2.0
        L = [v]
        v += 1.0
        return np.sum(np.stack(L))
    with pytest.raises(ad.UnsupportedSyntaxError):
        ad.grad(f)(X.copy())


def test_list_passed_to_other_function_is_refused_located():
    def f(x):
        L = [x, x]
        return np.sum(np.where(x > 0.0, L, 0.0))  # (np.exp(L) converts L with np.asarray: rules/conversions.py)
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(f)(X.copy())
    message = str(info.value)
    assert "test_lists_dynamic.py" in message and "np.where" in message and "np.stack" in message


def test_no_inputs_changed():
    def f(x, L0):
        L = L0
        L.append(x)
        return np.sum(np.stack(L))
    base = [np.ones(3)]
    # (a list argument, through another name: the pytree path, where the append is to the compiler's own list)
    np.testing.assert_allclose(ad.grad(f)(X.copy(), base), np.ones(3))
    assert len(base) == 1


def test_asarray_of_array_and_of_list():
    def f(x):
        return np.sum(np.asarray(x) ** 2) + np.sum(np.asarray([x[0], x[1] * 3.0]) ** 3)
    check(f, (X.copy(),), autograd_too=False)  # (autograd has no rule for asarray)


def test_item_write_into_list():
    def f(x):
        L = [x, x * 2.0, np.sin(x)]
        L[0] = x * 3.0
        L[-1] = L[-1] * L[1]
        return np.sum(np.stack(L) ** 2)
    check(f, (X.copy(),))


def test_item_slice_write_refused_located():
    def f(x):
        L = [x, x * 2.0]
        L[0:1] = [x * 3.0]
        return np.sum(np.stack(L))
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(f)(X.copy())
    assert "test_lists_dynamic.py" in str(info.value)


def test_vjp_of_a_list_grown_in_a_loop():
    def f(x):
        L = []
        for i in range(2):
            L.append(np.sin(x) * (i + 2.0))
        return L
    x = X.copy()
    y, pullback = ad.vjp(f, x)
    assert isinstance(y, list) and len(y) == 2
    cotangent = [np.ones(3), np.arange(3.0)]
    (g,) = pullback(cotangent)
    # (autograd's vjp takes no list output: against the derivative written out, and differences)
    direction = rng.normal(size=3)
    step = 1e-6
    ahead, behind = f(x + step * direction), f(x - step * direction)
    fd = sum(np.sum(c * (a - b)) for c, a, b in zip(cotangent, ahead, behind)) / (2 * step)
    np.testing.assert_allclose(np.sum(g * direction), fd, rtol=1e-6)
    np.testing.assert_allclose(g, np.cos(x) * (2.0 * cotangent[0] + 3.0 * cotangent[1]))


def test_a_list_nothing_flows_into_costs_nothing():
    def f(x, n):
        L = []
        for i in range(n):
            L.append(x * i)
        return np.sum(x ** 2) + len(L)
    g = ad.grad(f)
    np.testing.assert_allclose(g(X.copy(), 3), 2 * X)
    assert "sequence_" not in g.source


def test_generated_source_pops_the_appended_adjoint():
    src = ad.grad(append_loop).source
    assert "list_append(" in src
    assert "writable_copy" not in src  # the list is appended to in place
    assert "sequence_pop(" in src


def test_other_list_methods_refused_located():
    # merged: `pop` of a list of known length is the containers pass's (scalarized: right gradient);
    # `pop` of a list grown in a loop changes a run-time list in place: refused, located
    def known(x):
        L = [x, x * 2.0]
        L.pop()
        return np.sum(np.stack(L))

    def grown(x, n):
        L = [x, x * 2.0]
        for i in range(n):
            L.append(x * i)
            L.pop()
        return np.sum(np.stack(L))
    check(known, (X.copy(),))
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(grown)(X.copy(), 2)
    assert "test_lists_dynamic.py" in str(info.value) and "pop" in str(info.value)


def rnn_with_lists(W, Wout, inputs, targets):
    hiddens = [np.zeros(4)]
    outputs = []
    for x in inputs:
        h = np.tanh(np.dot(np.concatenate([x, hiddens[-1]]), W))
        hiddens.append(h)
        outputs.append(np.dot(h, Wout))
    preds = np.stack(outputs)
    return np.mean((preds - targets) ** 2) + 0.01 * sum([np.sum(h ** 2) for h in hiddens])


def test_rnn_keeping_its_states_in_lists():
    """The shape of autograd's RNN example: states and outputs appended, the last state read back."""
    args = (rng.normal(size=(7, 4)), rng.normal(size=(4, 2)), rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))
    check(rnn_with_lists, args, wrt=(0, 1))
    source = ad.grad(rnn_with_lists, wrt=(0, 1)).source
    # `hiddens[-1]` takes the length forward: the loop records a number and appends in place
    assert "writable_copy" not in source and "list_length(" in source


def test_sum_of_lists_refused():
    def f(x):
        return np.sum(np.stack(sum([[x], [x * 2.0]], [])))  # noqa: RUF017  (what is refused)
    with pytest.raises((ad.AdtransformError, NotImplementedError)):
        ad.grad(f)(X.copy())


def appends_rows_of_its_input(x, n):
    L = [x[0]]
    for i in range(n):
        L.append(x[i % 2] * 2.0)
        L.append(x[i % 2])
    return np.sum(np.stack(L) * x[0])


def test_appending_views_of_an_array_leaves_the_array_readable():
    """`L.append(a)` changes the list, not `a`: reading `x` after appending its rows is fine."""
    check(appends_rows_of_its_input, (M.copy(), 3))


def test_list_changes_seen_by_its_aliases_are_refused():
    def write_after_append(x):
        y = x * 1.0
        L = []
        for i in range(2):
            L.append(y[i])
        y[0] = 5.0  # NumPy changes the row L holds
        return np.sum(np.stack(L) * x)

    def alias_then_append(x):
        L = [x]
        K = L
        L.append(x * 2.0)  # K is the same list
        return np.sum(np.stack(K))

    for f in (write_after_append, alias_then_append):
        with pytest.raises(ad.UnsupportedSyntaxError) as info:
            ad.grad(f)(M.copy())
        assert "test_lists_dynamic.py" in str(info.value) and "alias" in str(info.value)


def lists_of_lists(x):
    rows = []
    for i in range(2):
        row = []
        for j in range(3):
            row.append(x[j] * (i + 1.0))
        rows.append(row)
    return np.sum(np.array(rows) ** 2) + rows[1][2] * rows[0][-1]


def test_lists_of_lists():
    """An item read from a list of lists (`rows[1]`) is a list itself: its items' adjoints are a list."""
    check(lists_of_lists, (X.copy(),))


def test_while_branch_append():
    def f(x):
        L = []
        s = x[0]
        while s < 5.0:
            if s > 2.0:
                L.append(s * x[1])
            else:
                L.append(np.sin(s))
            s = s + 1.0
        return sum(L) + L[-1] * L[0]
    check(f, (X.copy(),))


def test_list_mixing_lists_and_arrays_refused_located():
    # merged: a display of known structure is scalarized (right gradient); one grown in a loop is a
    # run-time list whose items may be lists or arrays: refused, located
    def known(x):
        L = [x, [x[0], x[1]]]
        return L[0][1] * 3.0 + L[1][0]

    def f(x, n):
        L = [x]
        for i in range(n):
            L.append([x[0], x[1] * i])
        return L[0][1] * 3.0 + L[1][0]
    check(known, (X.copy(),))
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(f)(X.copy(), 2)
    assert "test_lists_dynamic.py" in str(info.value) and "both lists and" in str(info.value)
