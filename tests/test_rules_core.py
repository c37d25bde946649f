"""Rows for the rules main's first table left without one: the completeness check
(test_table_complete.py) requires each registered rule to be used by some row's gradient.

Some primitives are the compiler's own (`list_append`, `index_update`, `matmul_rows`): rows write
the user-level form that lowers to them (`L.append(v)`, `y[i] = v`, a loop projecting `x[t]`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from rule_table import (
    BINARY,
    F32,
    F64,
    RED_ANY,
    SCALAR,
    SCALAR2,
    UNARY,
    Case,
    Rule,
    check_case,
    distinct,
    expand,
    gt_m1,
    nonzero,
    pos,
    real,
    unit,
)


def above1(rng, shape):  # acosh
    return rng.uniform(1.2, 3.0, shape)


# --- math and builtins on Python floats ------------------------------------------------------


def m_logs(x):
    return math.log2(x) + math.log10(x) ** 2


def m_inverse_hyperbolic(x):
    return math.asinh(x) + math.atanh(x * 0.5) ** 2 + math.acosh(2.0 + x * x)


def m_erfc(x):
    return math.erfc(x) + math.sin(float(x))


def b_abs_pos(x):
    return abs(x) * 1.5 + (+x) ** 3


# --- NumPy ufuncs and functions ------------------------------------------------------------


def np_exp2_cbrt(x):
    return np.sum(np.sin(np.exp2(x)) + np.cbrt(x))


def np_inverse_hyperbolic(x):
    return np.sum(np.sin(np.arcsinh(x)) + np.arctanh(x * 0.9) ** 2)


def np_arctan2(x, y):
    return np.sum(np.sin(np.arctan2(x, y)))


def np_positive_abs(x):
    return np.sum(np.sin(np.positive(x)) + abs(x) ** 2)


def np_amax(x):
    return np.sum(np.sin(np.amax(x, axis=0)))


def np_amin(x):
    return np.sum(np.sin(np.amin(x, axis=-1, keepdims=True)))


def np_copy(x):
    return np.sum(np.sin(np.copy(x) * x.copy()))


# --- indexing reads and writes -----------------------------------------------------------


def ix_reads(x):
    return np.sum(np.sin(x[1:])) + np.sum(x[::-2] ** 2) + np.sin(x[0])


def ix_write(x):
    y = x * 2.0
    y[1] = x[0] ** 2
    return np.sum(np.sin(y))


# --- lists and the functions consuming them ----------------------------------------------


def ls_items(x, y):
    parts = []
    for k in range(2):
        parts.append(x * (k + 1.0))
    both = parts + [x * y]  # noqa: RUF005  (the `+` of two lists is the primitive tested)
    total = both[0]
    for item in both[1:]:
        total = total * item
    return np.sum(np.sin(total))


def ls_append_setitem(x, y):
    items = [x]
    items.append(y * 2.0)
    items[0] = items[0] * y
    return np.sum(np.sin(items[0] + items[1]))


def ls_loop_append(x):
    items = []
    for k in range(3):
        items.append(x * (k + 1.0))
    return np.sum(np.sin(items[-1] * items[0]))


def ls_reductions(x, y):
    items = [x, y * 0.5]
    return np.sum(np.sin(np.sum(items, axis=0) * np.mean(items, axis=0)))


def ls_convert_extremum(x, y):
    items = []
    for k in range(2):
        items.append(x * (k + 1.0) + y)
    items[1] = y
    pair = tuple(list(items))
    return max(items) * pair[0] + math.sin(sum(items))


def ls_stacks(x, y):
    a = np.stack([x, y], axis=1)
    b = np.concatenate([x, y])
    return np.sum(np.sin(a)) + np.sum(b**2) + np.sum(np.sin(np.hstack((x, y))))


def ls_row_stacks(x, y):
    return np.sum(np.sin(np.vstack([x, y]))) + np.sum(np.cos(np.column_stack([x, y])))


def ls_arrays(x, y):
    return np.sum(np.sin(np.array([x, y]))) + np.sum(np.asarray([x * y, x]) ** 2)


# --- loop projections (matmul_rows and friends: optimize/hoist_projections.py) ------------


def loop_matmul_rows(w, x):
    h = np.zeros(w.shape[0])
    for t in range(x.shape[0]):
        h = np.tanh(w @ x[t] + 0.5 * h)
    return np.sum(np.sin(h))


def loop_rows_matmul(x, v):
    h = np.zeros(v.shape[1])
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ v + 0.5 * h)
    return np.sum(np.sin(h))


def loop_dot_rows(w, x):
    h = np.zeros(w.shape[0])
    for t in range(x.shape[0]):
        h = np.tanh(np.dot(w, x[t]) + 0.5 * h)
    return np.sum(np.sin(h))


def loop_rows_dot(x, v):
    h = np.zeros(v.shape[1])
    for t in range(x.shape[0]):
        h = np.tanh(np.dot(x[t], v) + 0.5 * h)
    return np.sum(np.sin(h))


VEC = [("vec", [(5,)], F64), ("f32", [(5,)], F32)]
PAIR = [("vec,vec", [(4,), (4,)], F64), ("f32 vec,vec", [(4,), (4,)], F32), ("mat,mat", [(2, 3), (2, 3)], F64)]
PROJ = [("mat,rows", [(3, 4), (5, 4)], F64), ("f32", [(3, 4), (5, 4)], F32)]
PROJ_T = [("rows,mat", [(5, 4), (4, 3)], F64), ("f32", [(5, 4), (4, 3)], F32)]

RULES = [
    Rule("math.log2,log10", m_logs, (pos,), SCALAR),
    Rule("math.asinh,atanh,acosh", m_inverse_hyperbolic, (unit,), SCALAR),
    Rule("math.erfc,float", m_erfc, (real,), SCALAR),
    Rule("abs,+x", b_abs_pos, (nonzero,), SCALAR),
    Rule("np.exp2,cbrt", np_exp2_cbrt, (pos,), UNARY),
    Rule("np.arcsinh,arctanh", np_inverse_hyperbolic, (unit,), UNARY),
    Rule("np.arctan2", np_arctan2, (nonzero, nonzero), BINARY),
    Rule("np.positive,abs", np_positive_abs, (nonzero,), UNARY),
    Rule("np.amax(axis=0)", np_amax, (distinct,), RED_ANY),
    Rule("np.amin(axis=-1,keepdims)", np_amin, (distinct,), RED_ANY),
    Rule("np.copy,x.copy", np_copy, (real,), UNARY[1:]),
    Rule("x[1:],x[::-2],x[0]", ix_reads, (real,), VEC),
    Rule("y[1]=v", ix_write, (real,), VEC),
    Rule("list[i],list+list", ls_items, (real, real), PAIR),
    Rule("list.append,list[i]=v", ls_append_setitem, (real, real), PAIR),
    Rule("list.append in a loop", ls_loop_append, (real,), VEC),
    Rule("np.sum(list),np.mean(list)", ls_reductions, (real, real), PAIR),
    Rule("list(),tuple(),max(list),sum(list)", ls_convert_extremum, (gt_m1, pos), SCALAR2),
    Rule("np.stack,concatenate,hstack", ls_stacks, (real, real), PAIR),
    Rule("np.vstack,column_stack", ls_row_stacks, (real, real), PAIR[:2]),
    Rule("np.array,asarray(list)", ls_arrays, (real, real), PAIR),
    Rule("loop w@x[t]", loop_matmul_rows, (real, real), PROJ),
    Rule("loop x[t]@v", loop_rows_matmul, (real, real), PROJ_T),
    Rule("loop np.dot(w,x[t])", loop_dot_rows, (real, real), PROJ),
    Rule("loop np.dot(x[t],v)", loop_rows_dot, (real, real), PROJ_T),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case: Case):
    check_case(case)
