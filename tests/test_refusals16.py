"""Needless refusals of common patterns (reviews 15 and 16), each gradient compared with central finite
differences of f, and the refusals that stay (an array NumPy would really change) checked located."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import adtransform as ad
from tests.gradcheck import check_grad

X4 = np.array([0.3, 0.7, 1.2, 0.5])


# -- 1. an entry of a local dict or list rebound in a loop: the container changes, no array does -------------

def dict_entry_rebound_in_loop(x):
    D = {"h": x[0] * 1.0}
    for i in range(2):
        D["h"] = D["h"] * x[i + 1]
    return np.sum(D["h"])


def list_entry_rebound_in_loop(x):
    L = [x[0] * 1.0]
    for i in range(2):
        L[0] = L[0] * x[i + 1]
    return L[0]


def two_entries_in_loop(x):
    D = {"h": x[0] * 1.0, "c": x[1]}
    for i in range(3):
        D["h"] = D["h"] * x[i + 1] + D["c"]
        D["c"] = np.sin(D["h"])
    return D["h"] + D["c"]


def entry_rebound_in_while_branches(x):
    D = {"h": x[0] * 1.0}
    n = 0
    while n < 3:
        if x[n] > 0.5:
            D["h"] = D["h"] * x[n]
        else:
            D["h"] = D["h"] + x[n]
        n += 1
    return D["h"]


def entry_at_loop_index(x):
    L = [x[0] * 1.0, x[1] * 1.0]
    for i in range(3):
        for j in range(2):
            L[j] = L[j] * x[i] + L[1 - j]
    return L[0] * L[1]


def entry_rebound_and_appended(x):
    L = [x[0] * 1.0]
    for i in range(3):
        L[0] = L[0] * x[i + 1]
        L.append(L[0])
    return L[0] + L[-1] + L[1]


def vector_entry_rebound_in_loop(x):
    D = {"h": x[:2] * 1.0}
    for i in range(2):
        D["h"] = np.tanh(D["h"] * x[i + 2])
    return np.sum(D["h"] ** 2)


@pytest.mark.parametrize("f", [dict_entry_rebound_in_loop, list_entry_rebound_in_loop, two_entries_in_loop,
                               entry_rebound_in_while_branches, entry_at_loop_index, entry_rebound_and_appended,
                               vector_entry_rebound_in_loop])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entry_rebound_in_loop(f, dtype):
    g = check_grad(f, (X4.astype(dtype),))
    assert g.dtype == dtype


def appended_entry_then_updated(x):
    L = [x[:2] * 1.0]
    for i in range(2):
        L.append(L[-1])
        L[0] += 1.0  # L[1] is the same array: NumPy changes it too
    return np.sum(L[0] * L[1])


def entry_bound_to_array_then_updated(x):
    y = x[2:] * 1.0
    L = [x[:2] * 1.0]
    for i in range(2):
        L[0] += 1.0  # in the second round L[0] is y: NumPy changes y
        L[0] = y
    return np.sum(y * x[:2])


def entries_swapped_then_updated(x):
    D = {"a": x[:2] * 1.0, "b": x[2:] * 1.0}
    for i in range(2):
        D["a"] = D["b"]
        D["b"] += 1.0  # D["a"] is the same array
    return np.sum(D["a"] * D["b"])


def _line_of(f, text: str) -> int:
    """The line of f's source holding `text`."""
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f", [appended_entry_then_updated, entry_bound_to_array_then_updated,
                               entries_swapped_then_updated])
def test_entry_shared_in_loop_still_refused(f):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(f)(X4.copy())
    assert f"test_refusals16.py:{_line_of(f, '+= 1.0')}:" in str(info.value) and "in-place update" in str(info.value)


# -- 2. a list of differentiated values passed to a function NumPy converts with np.asarray --------------------

X34 = np.random.default_rng(16).normal(size=(3, 4))
W3 = np.array([0.5, -1.0, 2.0])
W8 = np.arange(1.0, 9.0)


def sort_list(x):
    return np.sum(np.sort([x[0, 0], x[0, 1], x[0, 2]]) * W3)


def sort_rows_axis0(x):
    return np.sum(np.sin(np.sort([x[0], x[1], x[2]], axis=0)) * W8[:4])


def dot_list_constant_matrix(x):
    return np.sum(np.dot([x[0, 0], x[0, 1]], [[1.0, 2.0], [3.0, 4.0]]) ** 2)


def dot_constant_matrix_list(x):
    return np.sum(np.dot([[1.0, 2.0], [3.0, 4.0]], [x[0, 0], x[0, 1]]) ** 2)


def dot_two_lists(x):
    return np.dot([x[0, 0], x[0, 1]], [x[1, 0], 2.0]) ** 2


def dot_list_of_rows(x):
    return np.sum(np.sin(np.dot([x[0], x[1]], x[2])))


def inner_list(x):
    return np.sum(np.inner([x[0], x[1]], x[2]) ** 2)


def outer_list(x):
    return np.sum(np.sin(np.outer([x[0, 0], 2.0], x[1])))


def vdot_lists(x):
    return np.vdot([x[0, 0], x[0, 1]], [1.0, x[1, 1]])


def kron_list(x):
    return np.sum(np.sin(np.kron([x[0, 0], x[0, 1]], [1.0, 2.0])))


def cross_list(x):
    return np.sum(np.sin(np.cross([x[0, 0], x[0, 1], 1.0], x[1, :3])))


def tensordot_lists(x):
    return np.sum(np.sin(np.tensordot([x[0], x[1]], [x[2], x[0]], axes=([0], [0]))))


def trace_list(x):
    return np.trace([[x[0, 0], x[0, 1]], [x[1, 0], x[1, 1]]])


def diagonal_list(x):
    return np.sum(np.sin(np.diagonal([x[0], x[1]])))


def triu_list(x):
    return np.sum(np.sin(np.triu([x[0], x[1]])))


def tril_list(x):
    return np.sum(np.sin(np.tril([x[0], x[1]], k=1)))


def flip_list(x):
    return np.sum(np.sin(np.flip([x[0, 0], x[1, 1], 3.0])) * W3)


def roll_list(x):
    return np.sum(np.sin(np.roll([x[0, 0], x[1, 1], 3.0], 1)) * W3)


def ravel_list(x):
    return np.sum(np.sin(np.ravel([x[0], x[1]])) * W8)


def transpose_list(x):
    return np.sum(np.sin(np.transpose([x[0], x[1]])) * W8.reshape(4, 2))


def squeeze_list(x):
    return np.sum(np.sin(np.squeeze([[x[0, 0], x[1, 1]]])) * W3[:2])


def expand_dims_list(x):
    return np.sum(np.sin(np.expand_dims([x[0, 0], x[1, 1]], 1)) * W3[:2, None])


def tile_list(x):
    return np.sum(np.sin(np.tile([x[0, 0], x[1, 1]], 2)) * W8[:4])


def repeat_list(x):
    return np.sum(np.sin(np.repeat([x[0, 0], x[1, 1]], 2)) * W8[:4])


def reshape_list(x):
    return np.sum(np.sin(np.reshape([x[0], x[1]], (4, 2))) * W8.reshape(4, 2))


def matmul_constant_list(x):
    return np.sum(np.sin(x[:, :2] @ [[1.0, 2.0], [3.0, 4.0]]))


def dot_constant_list(x):
    return np.sum(np.sin(np.dot([[1.0, 2.0], [3.0, 4.0]], x[:2, :3])))


CONVERTED = [sort_list, sort_rows_axis0, dot_list_constant_matrix, dot_constant_matrix_list, dot_two_lists,
             dot_list_of_rows, inner_list, outer_list, vdot_lists, kron_list, cross_list, tensordot_lists, trace_list,
             diagonal_list, triu_list, tril_list, flip_list, roll_list, ravel_list, transpose_list,
             squeeze_list, expand_dims_list, tile_list, repeat_list, reshape_list, matmul_constant_list,
             dot_constant_list]


@pytest.mark.parametrize("f", CONVERTED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_list_converted(f, dtype):
    g = check_grad(f, (X34.astype(dtype),))
    assert g.dtype == dtype


# -- 3. a slice of a list parameter (or of a local list) by bounds known only at run time --------------------

P4 = [np.random.default_rng(14 + k).normal(size=3) for k in range(4)]


def slice_then_ends(p, i):
    q = p[i:]
    return np.sum(q[0] * q[-1])


def stack_of_head(p, i):
    return np.sum(np.stack(p[:i]) ** 2)


def sum_over_window(p, i, j):
    return sum(np.sum(np.sin(a)) for a in p[i:j])


def loop_over_strided(p, i):
    s = 0.0
    for a in p[i::2]:
        s = s + np.sum(a * a)
    return s


def mean_of_tail(p, i):
    return np.sum(np.mean(p[i:], axis=0) ** 2)


def local_list_sliced(p, i):
    L = [p[0] * 2.0, p[1], p[2] * p[3]]
    q = L[i:]
    return np.sum(q[0] * q[-1]) + len(q)


def _list_fd(f, P, args, h=1e-6):
    """Central differences of f with respect to each element of each array of the list P (in float64)."""
    out = []
    for a in range(len(P)):
        g = np.zeros(P[a].shape)
        for b in range(P[a].size):
            up, down = [p.astype(float) for p in P], [p.astype(float) for p in P]
            up[a][b] += h
            down[a][b] -= h
            g[b] = (f(up, *args) - f(down, *args)) / (2 * h)
        out.append(g)
    return out


@pytest.mark.parametrize("f, args", [(slice_then_ends, (1,)), (slice_then_ends, (-2,)), (stack_of_head, (2,)),
                                     (sum_over_window, (1, 3)), (sum_over_window, (-3, -1)),
                                     (loop_over_strided, (1,)), (loop_over_strided, (0,)), (mean_of_tail, (1,)),
                                     (local_list_sliced, (1,)), (local_list_sliced, (-1,))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", [list, tuple])
def test_runtime_slice_of_list(f, args, dtype, container):
    P = container(p.astype(dtype) for p in P4)
    g = ad.grad(f)(P, *args)
    assert type(g) is container and len(g) == len(P)
    tol = 1e-4 if dtype == np.float32 else 1e-6
    for got, want in zip(g, _list_fd(f, list(P), args)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, atol=tol, rtol=tol)
    assert all(np.array_equal(a, b.astype(dtype)) for a, b in zip(P, P4))  # the arguments are unchanged


def test_runtime_slice_of_array_parameter():
    x = np.stack(P4)
    check_grad(slice_then_ends, (x, 1))


def dict_sliced_at_run_time(x, i):
    D = {"a": x * 2.0, "b": x}
    return np.sum(D[i:])


def test_runtime_slice_of_dict_refused():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(dict_sliced_at_run_time)(X4.copy(), 1)
    line = _line_of(dict_sliced_at_run_time, "D[i:]")
    assert f"test_refusals16.py:{line}:" in str(info.value) and "slice of a container" in str(info.value)
