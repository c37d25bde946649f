"""Table rows for NumPy's products (rules/numpy_products.py): einsum in its general forms (explicit
and implicit output, repeated subscripts, ellipsis, several operands, broadcasting), tensordot,
inner, vdot, kron, trace, cross; and the existing outer, dot, matmul and `@` on 1-D and batched
operands. Refusals and cross-checks against autograd at the end.
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_table import F32, F64, Rule, check_case, expand, real

import adtransform as ad
from adtransform.errors import NoAdjointRuleError

# --- einsum -----------------------------------------------------------------------------------------


def einsum_matmul(a, b):
    return np.sum(np.sin(np.einsum("ij,jk->ik", a, b)))


def einsum_implicit(a, b):
    return np.sum(np.sin(np.einsum("ij,jk", a, b)))


def einsum_trace(a):
    return np.sin(np.einsum("ii", a))


def einsum_diagonal(a):
    return np.sum(np.sin(np.einsum("ii->i", a)))


def einsum_repeated_3d(a):
    return np.sum(np.sin(np.einsum("iji->j", a)))


def einsum_diag_times(a, b):
    return np.sum(np.sin(np.einsum("ii,i->i", a, b)))


def einsum_sum(a):
    return np.sin(np.einsum("ij->", a))


def einsum_transpose(a):
    return np.sum(np.sin(np.einsum("ij->ji", a)) * np.arange(a.size).reshape(a.T.shape))


def einsum_ellipsis(a, b):
    return np.sum(np.sin(np.einsum("...ij,...jk->...ik", a, b)))


def einsum_ellipsis_implicit(a, b):
    return np.sum(np.sin(np.einsum("...,...", a, b)))


def einsum_batch(a, b):
    return np.sum(np.sin(np.einsum("bij,bjk->bik", a, b)))


def einsum_three(a, b, c):
    return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, c, optimize=True)))


def einsum_four(a, b, c, e):
    return np.sin(np.einsum("i,ij,jk,k", a, b, c, e, optimize="greedy"))


def einsum_elementwise(a, b):
    return np.sum(np.sin(np.einsum("ij,ij->ij", a, b)))


def einsum_summed_alone(a, b):
    return np.sum(np.sin(np.einsum("ij,k->i", a, b)))


def einsum_outer(a, b):
    return np.sum(np.sin(np.einsum("i,j->ij", a, b)))


def einsum_dot(a, b):
    return np.sin(np.einsum("i,i", a, b))


def einsum_spaces(a, b):
    return np.sum(np.sin(np.einsum("ij, jk -> ki", a, b)))


def einsum_batched_diagonal(a):
    return np.sum(np.sin(np.einsum("...ii->...i", a)))


def einsum_trailing_ellipsis(a, b):
    return np.sum(np.sin(np.einsum("ij...,jk...->ik...", a, b)))


def einsum_leading_ellipsis_summed(a):
    return np.sum(np.sin(np.einsum("i...->...", a)))


def einsum_permute(a):
    return np.sum(np.sin(np.einsum("ijk->kji", a)) * np.arange(a.size).reshape(a.shape[::-1]))


def einsum_diagonal_kept(a):
    return np.sum(np.sin(np.einsum("iij->ij", a)) * np.arange(a.shape[0] * a.shape[2]).reshape(a.shape[0], -1))


M34, M42 = (3, 4), (4, 2)
RULES = [
    Rule("einsum(ij,jk->ik)", einsum_matmul, (real, real),
         [("mat,mat", [M34, M42], F64), ("big", [(6, 5), (5, 7)], F64), ("f32", [M34, M42], F32),
          ("empty", [(0, 4), M42], F64)]),
    Rule("einsum(ij,jk)", einsum_implicit, (real, real), [("mat,mat", [M34, M42], F64)]),
    Rule("einsum(ii)", einsum_trace, (real,), [("mat", [(3, 3)], F64), ("1x1", [(1, 1)], F64)]),
    Rule("einsum(ii->i)", einsum_diagonal, (real,), [("mat", [(3, 3)], F64), ("f32", [(3, 3)], F32)]),
    Rule("einsum(iji->j)", einsum_repeated_3d, (real,), [("3d", [(3, 2, 3)], F64)]),
    Rule("einsum(ii,i->i)", einsum_diag_times, (real, real), [("mat,vec", [(3, 3), (3,)], F64)]),
    Rule("einsum(ij->)", einsum_sum, (real,), [("mat", [M34], F64)]),
    Rule("einsum(ij->ji)", einsum_transpose, (real,), [("mat", [M34], F64)]),
    Rule("einsum(...ij,...jk->...ik)", einsum_ellipsis, (real, real),
         [("3d,mat", [(2, 3, 4), M42], F64), ("bcast", [(1, 3, 4), (2, 4, 2)], F64), ("mat,mat", [M34, M42], F64),
          ("4d,3d", [(2, 1, 3, 4), (3, 4, 2)], F64)]),
    Rule("einsum(...,...)", einsum_ellipsis_implicit, (real, real),
         [("mat,row", [M34, (4,)], F64), ("mat,scalar", [M34, None], F64)]),
    Rule("einsum(bij,bjk->bik)", einsum_batch, (real, real), [("3d,3d", [(2, 3, 4), (2, 4, 2)], F64)]),
    Rule("einsum(ij,jk,kl->il)", einsum_three, (real, real, real), [("mats", [(2, 3), (3, 4), (4, 2)], F64)]),
    Rule("einsum(i,ij,jk,k)", einsum_four, (real, real, real, real),
         [("vecs", [(3,), (3, 4), (4, 2), (2,)], F64)]),
    Rule("einsum(ij,ij->ij)", einsum_elementwise, (real, real),
         [("mat,mat", [M34, M34], F64), ("row,mat", [(1, 4), M34], F64)]),
    Rule("einsum(ij,k->i)", einsum_summed_alone, (real, real), [("mat,vec", [M34, (5,)], F64)]),
    Rule("einsum(i,j->ij)", einsum_outer, (real, real), [("vec,vec", [(3,), (4,)], F64)]),
    Rule("einsum(i,i)", einsum_dot, (real, real), [("vec,vec", [(5,), (5,)], F64), ("f32", [(5,), (5,)], F32)]),
    Rule("einsum(spaces)", einsum_spaces, (real, real), [("mat,mat", [M34, M42], F64)]),
    Rule("einsum(...ii->...i)", einsum_batched_diagonal, (real,), [("3d", [(2, 3, 3)], F64)]),
    Rule("einsum(ij...,jk...->ik...)", einsum_trailing_ellipsis, (real, real),
         [("3d,3d", [(2, 3, 4), (3, 2, 4)], F64), ("bcast", [(2, 3, 1), (3, 2, 4)], F64)]),
    Rule("einsum(i...->...)", einsum_leading_ellipsis_summed, (real,), [("3d", [(3, 2, 2)], F64)]),
    Rule("einsum(ijk->kji)", einsum_permute, (real,), [("3d", [(2, 3, 4)], F64)]),
    Rule("einsum(iij->ij)", einsum_diagonal_kept, (real,), [("3d", [(3, 3, 2)], F64)]),
]

# --- tensordot, inner, vdot, outer ------------------------------------------------------------------


def tensordot_default(a, b):
    return np.sum(np.sin(np.tensordot(a, b)))


def tensordot_1(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=1)))


def tensordot_0(a, b):
    return np.sum(np.sin(np.tensordot(a, b, 0)))


def tensordot_pairs(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=([1, 0], [0, 1]))))


def tensordot_negative(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=([-1], [0]))))


def tensordot_ints(a, b):
    return np.sum(np.sin(np.tensordot(a, b, axes=(0, 1))))


def inner(a, b):
    return np.sum(np.sin(np.inner(a, b)))


def vdot(a, b):
    return np.sin(np.vdot(a, b))


def outer(a, b):
    return np.sum(np.sin(np.outer(a, b)))


RULES += [
    Rule("tensordot", tensordot_default, (real, real),
         [("3d,3d", [(2, 3, 4), (3, 4, 5)], F64), ("mat,mat", [M34, M34], F64), ("f32", [(2, 3, 4), (3, 4, 2)], F32)]),
    Rule("tensordot(axes=1)", tensordot_1, (real, real),
         [("mat,mat", [M34, M42], F64), ("vec,vec", [(4,), (4,)], F64)]),
    Rule("tensordot(0)", tensordot_0, (real, real), [("vec,mat", [(3,), (2, 2)], F64)]),
    Rule("tensordot(pairs)", tensordot_pairs, (real, real), [("mat,mat", [M34, (4, 3)], F64),
                                                            ("3d,3d", [(3, 4, 2), (4, 3, 5)], F64)]),
    Rule("tensordot(negative)", tensordot_negative, (real, real), [("mat,mat", [(2, 3), (3, 4)], F64)]),
    Rule("tensordot(int pair)", tensordot_ints, (real, real), [("mat,mat", [(3, 2), (4, 3)], F64)]),
    Rule("inner", inner, (real, real),
         [("vec,vec", [(4,), (4,)], F64), ("mat,mat", [M34, (2, 4)], F64), ("3d,vec", [(2, 3, 4), (4,)], F64),
          ("scalar,mat", [None, M34], F64), ("f32", [M34, (2, 4)], F32)]),
    Rule("vdot", vdot, (real, real), [("mat,vec", [M34, (12,)], F64), ("vec,vec", [(5,), (5,)], F64),
                                     ("f32", [M34, M34], F32)]),
    Rule("outer", outer, (real, real), [("vec,vec", [(3,), (4,)], F64), ("mat,vec", [(2, 2), (3,)], F64)]),
]

# --- kron, trace, cross ---------------------------------------------------------------------------------


def kron(a, b):
    return np.sum(np.sin(np.kron(a, b)))


def trace(a):
    return np.sin(np.trace(a))


def trace_offset(a):
    return np.sin(np.trace(a, offset=1))


def trace_negative_offset(a):
    return np.sin(np.trace(a, -2))


def trace_axes(a):
    return np.sum(np.sin(np.trace(a, offset=1, axis1=2, axis2=0)))


def trace_negative_axes(a):
    return np.sum(np.sin(np.trace(a, axis1=-1, axis2=-2)))


def trace_method(a):
    return np.sum(np.sin(a.trace(axis1=1, axis2=2)))


def cross(a, b):
    return np.sum(np.sin(np.cross(a, b)))


def cross_axis(a, b):
    return np.sum(np.sin(np.cross(a, b, axis=0)))


def cross_axes(a, b):
    return np.sum(np.sin(np.cross(a, b, axisa=0, axisb=1, axisc=0)))


RULES += [
    Rule("kron", kron, (real, real),
         [("vec,vec", [(3,), (2,)], F64), ("mat,mat", [(2, 2), (3, 2)], F64), ("mat,vec", [(2, 3), (4,)], F64),
          ("scalar,vec", [None, (3,)], F64), ("3d,mat", [(2, 1, 2), (2, 3)], F64), ("f32", [(2, 2), (2, 3)], F32)]),
    Rule("trace", trace, (real,), [("square", [(3, 3)], F64), ("wide", [M34], F64), ("f32", [(3, 3)], F32)]),
    Rule("trace(offset=1)", trace_offset, (real,), [("wide", [M34], F64)]),
    Rule("trace(-2)", trace_negative_offset, (real,), [("square", [(4, 4)], F64)]),
    Rule("trace(axes)", trace_axes, (real,), [("3d", [(3, 2, 4)], F64)]),
    Rule("trace(negative axes)", trace_negative_axes, (real,), [("3d", [(2, 3, 4)], F64)]),
    Rule("x.trace(axis1,axis2)", trace_method, (real,), [("3d", [(2, 3, 3)], F64)]),
    Rule("cross", cross, (real, real), [("vec,vec", [(3,), (3,)], F64), ("mat,vec", [(4, 3), (3,)], F64),
                                       ("f32", [(2, 3), (2, 3)], F32)]),
    Rule("cross(axis=0)", cross_axis, (real, real), [("mat,mat", [(3, 4), (3, 4)], F64)]),
    Rule("cross(axisa,axisb,axisc)", cross_axes, (real, real), [("mat,mat", [(3, 2), (2, 3)], F64)]),
]



def dot(a, b):
    return np.sum(np.sin(np.dot(a, b)))


def matmul_operator(a, b):
    return np.sum(np.sin(a @ b))


# The rules of rules/numpy.py, on the N-D and 1-D forms the main table does not cover.
RULES += [
    Rule("dot(N-D)", dot, (real, real), [("3d,3d", [(2, 3, 4), (3, 4, 2)], F64), ("vec,3d", [(4,), (2, 4, 3)], F64),
                                        ("3d,vec", [(2, 3, 4), (4,)], F64), ("empty", [(0, 3), (3, 2)], F64)]),
    Rule("@(batched)", matmul_operator, (real, real),
         [("vec@3d", [(4,), (2, 4, 3)], F64), ("4d@3d", [(2, 1, 3, 4), (3, 4, 2)], F64),
          ("3d@vec", [(2, 3, 4), (4,)], F64)]),
]


def multi_dot(a, b, c):
    return np.sum(np.sin(np.linalg.multi_dot([a, b, c])))


def multi_dot_two(a, b):
    return np.sum(np.sin(np.linalg.multi_dot((a, b))))


RULES += [
    Rule("multi_dot", multi_dot, (real, real, real),
         [("mats", [(2, 3), (3, 4), (4, 2)], F64), ("vec,mat,mat", [(3,), (3, 4), (4, 2)], F64),
          ("mat,mat,vec", [(2, 3), (3, 4), (4,)], F64), ("vec,mat,vec", [(3,), (3, 4), (4,)], F64),
          ("f32", [(2, 3), (3, 4), (4, 2)], F32)]),
    Rule("multi_dot(tuple)", multi_dot_two, (real, real), [("mat,mat", [M34, M42], F64)]),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- refusals ----------------------------------------------------------------------------------------


def einsum_nine(a):
    return np.einsum("i,i,i,i,i,i,i,i,i", a, a, a, a, a, a, a, a, a)


def einsum_int_dtype(a, b):
    return np.sum(np.einsum("ij,jk", a, b, dtype=np.int64))


def einsum_sublists(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2]))


def cross_2d(a, b):
    return np.sum(np.cross(a, b))


def test_einsum_of_more_than_eight_operands_is_refused_located():
    with pytest.raises(NoAdjointRuleError, match=r"test_rules_products.py:\d+:\d+: call of `np.einsum`"):
        ad.grad(einsum_nine)(np.ones(3))


def test_einsum_to_an_integer_dtype_is_refused():
    with pytest.raises(NoAdjointRuleError, match=r"test_rules_products.py:\d+:\d+: .*`dtype=`"):
        ad.grad(einsum_int_dtype)(np.ones((2, 2)), np.ones((2, 2)))


def test_einsum_sublist_form_is_refused():
    with pytest.raises((NoAdjointRuleError, TypeError), match="subscripts"):
        ad.grad(einsum_sublists, wrt=0)(np.ones((2, 3)), np.ones((3, 2)))


def test_cross_of_2_vectors_is_refused():
    with pytest.raises(ValueError, match="3-vectors"):
        ad.grad(cross_2d)(np.ones(2), np.arange(2.0))


# --- cross-checks against autograd -------------------------------------------------------------------

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")


def mixed(a, b, c):
    t = np.tensordot(a, b, axes=([1], [0]))
    return np.sum(np.sin(np.einsum("ij,jk->ik", t, c))) + np.sin(np.trace(np.kron(c, c))) \
        + np.sum(np.cross(a[:, :3], b.T[:2, :3])) + np.sum(np.inner(a, a))


def mixed_ag(a, b, c):
    t = anp.tensordot(a, b, axes=([1], [0]))
    return anp.sum(anp.sin(anp.einsum("ij,jk->ik", t, c))) + anp.sin(anp.trace(anp.kron(c, c))) \
        + anp.sum(anp.cross(a[:, :3], b.T[:2, :3])) + anp.sum(anp.inner(a, a))


def test_matches_autograd():
    rng = np.random.default_rng(5)
    args = (rng.normal(size=(2, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3, 3)))
    got = ad.grad(mixed, wrt=(0, 1, 2))(*args)
    want = autograd.grad(mixed_ag, argnum=[0, 1, 2])(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
