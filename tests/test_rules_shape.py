"""Table rows for the rules of functions that change shapes or move elements (rules/numpy_shape.py,
and the list-joining rules of rules/sequences.py): expand_dims, squeeze, atleast_nd, swapaxes,
moveaxis, broadcast_to, repeat, tile, concatenate, stack, vstack, hstack, column_stack, dstack,
split and its kin, flip, roll, pad, diagonal, triu/tril, diag, reshape/ravel/flatten with `order=`.

Each row differentiates a weighted sum `np.sum(f(x) * w)` with a weight `w` (not differentiated)
that differs at each position of the result, so an adjoint sending an element back to the wrong
place fails. Refusals are checked at the end.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad
from rule_table import F32, F64, Rule, check_case, expand, real

import adtransform as ad
from adtransform.errors import AdtransformError


def S(name, x, w, dtype=F64):
    """A shape set of one row: `x`'s shape (None: a Python float) and the result's (the weight's)."""
    return (name, [x, w], dtype)


# --- adding and dropping axes --------------------------------------------------------------------


def expand_dims0(x, w):
    return np.sum(np.expand_dims(x, 0) * w)


def expand_dims_last(x, w):
    return np.sum(np.expand_dims(x, -1) * w)


def expand_dims_tuple(x, w):
    return np.sum(np.expand_dims(x, axis=(0, 2)) * w)


def squeeze_all(x, w):
    return np.sum(np.squeeze(x) * w)


def squeeze_axis(x, w):
    return np.sum(np.squeeze(x, axis=1) * w)


def squeeze_tuple(x, w):
    return np.sum(np.squeeze(x, (0, -1)) * w)


def squeeze_method(x, w):
    return np.sum(x.squeeze() * w)


def squeeze_method_axis(x, w):
    return np.sum(x.squeeze(axis=-1) * w)


def atleast_1d(x, w):
    return np.sum(np.atleast_1d(x) * w)


def atleast_2d(x, w):
    return np.sum(np.atleast_2d(x) * w)


def atleast_3d(x, w):
    return np.sum(np.atleast_3d(x) * w)


# --- reordering axes -------------------------------------------------------------------------------


def swapaxes(x, w):
    return np.sum(np.swapaxes(x, 0, -1) * w)


def swapaxes_method(x, w):
    return np.sum(x.swapaxes(1, 0) * w)


def moveaxis(x, w):
    return np.sum(np.moveaxis(x, 0, -1) * w)


def moveaxis_tuple(x, w):
    return np.sum(np.moveaxis(x, (0, -1), (-1, 1)) * w)


def transpose_method_tuple(x, w):
    return np.sum(x.transpose((2, 0, 1)) * w)


def transposed_3d(x, w):
    return np.sum(x.T * w)


def broadcast_to(x, w):
    return np.sum(np.broadcast_to(x, (2, 3, 4)) * w)


def flip_all(x, w):
    return np.sum(np.flip(x) * w)


def flip_axis(x, w):
    return np.sum(np.flip(x, -1) * w)


def flip_tuple(x, w):
    return np.sum(np.flip(x, axis=(0, 2)) * w)


def fliplr(x, w):
    return np.sum(np.fliplr(x) * w)


def flipud(x, w):
    return np.sum(np.flipud(x) * w)


# --- copying elements ------------------------------------------------------------------------------


def repeat_flat(x, w):
    return np.sum(np.repeat(x, 2) * w)


def repeat_axis0(x, w):
    return np.sum(np.repeat(x, 3, axis=0) * w)


def repeat_counts(x, w):
    return np.sum(np.repeat(x, [2, 0, 1], axis=0) * w)


def repeat_counts_flat(x, w):
    return np.sum(np.repeat(x, np.array([1, 3, 0, 2, 1])) * w)


def repeat_method(x, w):
    return np.sum(x.repeat(2, axis=-1) * w)


def repeat_size1(x, w):
    return np.sum(np.repeat(x, np.array([2]), axis=1) * w)


def tile_int(x, w):
    return np.sum(np.tile(x, 2) * w)


def tile_longer(x, w):
    return np.sum(np.tile(x, (2, 1, 2)) * w)


def tile_shorter(x, w):
    return np.sum(np.tile(x, (2,)) * w)


def roll_flat(x, w):
    return np.sum(np.roll(x, 5) * w)


def roll_axis(x, w):
    return np.sum(np.roll(x, -1, axis=0) * w)


def roll_tuple(x, w):
    return np.sum(np.roll(x, (1, -2), axis=(0, 1)) * w)


def roll_shift_tuple_one_axis(x, w):
    return np.sum(np.roll(x, (1, 2), axis=(1, 1)) * w)


def pad_constant(x, w):
    return np.sum(np.pad(x, 1) * w)


def pad_pairs(x, w):
    return np.sum(np.pad(x, ((1, 2), (0, 3)), constant_values=0.5) * w)


def pad_edge(x, w):
    return np.sum(np.pad(x, 2, mode="edge") * w)


def pad_reflect(x, w):
    return np.sum(np.pad(x, ((2, 1), (3, 0)), mode="reflect") * w)


def pad_symmetric(x, w):
    return np.sum(np.pad(x, (2, 3), "symmetric") * w)


def pad_wrap(x, w):
    return np.sum(np.pad(x, ((4, 1), (1, 5)), mode="wrap") * w)


def diagonal(x, w):
    return np.sum(np.diagonal(x) * w)


def diagonal_offset(x, w):
    return np.sum(np.diagonal(x, 1) * w)


def diagonal_axes(x, w):
    return np.sum(np.diagonal(x, -1, 0, 2) * w)


def diagonal_method(x, w):
    return np.sum(x.diagonal(offset=-1) * w)


def triu(x, w):
    return np.sum(np.triu(x) * w)


def triu_k(x, w):
    return np.sum(np.triu(x, k=1) * w)


def tril_k(x, w):
    return np.sum(np.tril(x, -1) * w)


def tril(x, w):
    return np.sum(np.tril(x) * w)


def diag_vector(x, w):
    return np.sum(np.diag(x) * w)


def diag_vector_k(x, w):
    return np.sum(np.diag(x, 2) * w)


def diag_matrix(x, w):
    return np.sum(np.diag(x) * w)


def diag_matrix_k(x, w):
    return np.sum(np.diag(x, k=-1) * w)


# --- reshaping with an order ----------------------------------------------------------------------


def flatten_f(x, w):
    return np.sum(x.flatten("F") * w)


def flatten_a_transposed(x, w):
    return np.sum(x.T.flatten(order="A") * w)


def ravel_k_sliced(x, w):
    return np.sum(np.ravel(x[:, ::2], order="K") * w)


def reshape_method_f(x, w):
    return np.sum(x.reshape(2, 6, order="F") * w)


def reshape_keyword_shape(x, w):
    return np.sum(np.reshape(x, shape=(6, 2)) * w)


# --- joining ---------------------------------------------------------------------------------------


def concatenate0(x, w):
    return np.sum(np.concatenate([x, 2.0 * x, x[:1]]) * w)


def concatenate_last(x, w):
    return np.sum(np.concatenate((x, x ** 2), axis=-1) * w)


def concatenate_none(x, w):
    return np.sum(np.concatenate([x, x[0]], axis=None) * w)


def concatenate_array(x, w):
    return np.sum(np.concatenate(x) * w) + np.sum(np.stack(x) ** 2)


def stack0(x, w):
    return np.sum(np.stack([x, x ** 2]) * w)


def stack_negative(x, w):
    return np.sum(np.stack((x, 2.0 * x, x), axis=-1) * w)


def stack_array(x, w):
    return np.sum(np.stack(x, axis=1) * w)


def vstack(x, w):
    return np.sum(np.vstack([x, x ** 2]) * w)


def hstack(x, w):
    return np.sum(np.hstack([x, x ** 2]) * w)


def hstack_scalars(x, w):
    return np.sum(np.hstack([x[0, 0], x[1], x[2, 1]]) * w)


def column_stack(x, w):
    return np.sum(np.column_stack([x[:, 0], x]) * w)


def dstack(x, w):
    return np.sum(np.dstack([x, x ** 2]) * w)


def dstack_array(x, w):
    return np.sum(np.dstack(x) * w) + np.sum(np.vstack(x) ** 2)


def split_sections(x, w):
    a, b = np.split(x, 2, axis=1)
    return np.sum(a * w) + np.sum(b ** 3)


def split_indices(x, w):
    parts = np.split(x, [1, 3])
    return np.sum(parts[2] * w) + np.sum(parts[0] ** 2)


def array_split_uneven(x, w):
    parts = np.array_split(x, 3, axis=-1)
    return np.sum(parts[0] * w) + np.sum(np.sin(parts[2]))


def split_loop(x, w):
    total = 0.0
    for part in np.split(x, 3):
        total = total + np.sum(part * w)
    return total


def split_restack(x, w):
    return np.sum(np.stack(np.split(x, 2, axis=0)) * w)


def hsplit(x, w):
    a, b = np.hsplit(x, 2)
    return np.sum(a * w) + np.sum(np.sin(b))


def vsplit(x, w):
    parts = np.vsplit(x, [2])
    return np.sum(parts[1] * w)


def dsplit(x, w):
    parts = np.dsplit(x, 2)
    return np.sum(parts[0] * w) + np.sum(parts[1] ** 2)


def append_flat(x, w):
    return np.sum(np.append(x, x[0] ** 2) * w)


def append_axis(x, w):
    return np.sum(np.append(x[:, :2] * 2.0, x, axis=-1) * w)


def append_to_number(x, w):
    return np.sum(np.append(1.5, x) * w)


def rot90(x, w):
    return np.sum(np.rot90(x) * w)


def rot90_k_axes(x, w):
    return np.sum(np.rot90(x, 3, axes=(1, 0)) * w)


def rollaxis(x, w):
    return np.sum(np.rollaxis(x, 2, 1) * w)


def rollaxis_forward(x, w):
    return np.sum(np.rollaxis(x, 0, 3) * w)


def matrix_transpose(x, w):
    return np.sum(np.matrix_transpose(x) * w)


def matrix_transposed(x, w):
    return np.sum(x.mT * w)


def unstack(x, w):
    a, b, c = np.unstack(x, axis=1)
    return np.sum(a * w) + np.sum(c ** 3)


def unstack_one(x, w):
    parts = np.unstack(x)
    return np.sum(parts[1] * w)


def delete_axis(x, w):
    return np.sum(np.delete(x, [0, 2], axis=1) * w)


def delete_flat(x, w):
    return np.sum(np.delete(x, 5) * w)


def insert_row(x, w):
    return np.sum(np.insert(x, 1, x[0] * 2.0, axis=0) * w)


def insert_scalar_repeated(x, w):
    return np.sum(np.insert(x, [1, 1, 3], x[0, 0] ** 2) * w)


def insert_several_at_one_index(x, w):
    return np.sum(np.insert(x, 2, x[0, :2] * 3.0) * w)


def insert_constant(x, w):
    return np.sum(np.insert(x, 2, 7.0, axis=1) * w)


def insert_column(x, w):
    return np.sum(np.insert(x, 1, x[:, 0], axis=1) * w)


def compress(x, w):
    return np.sum(np.compress([True, False, True], x, axis=0) * w)


def extract(x, w):
    return np.sum(np.extract(x > 0, x) ** 2) + np.sum(x * w)


def diagflat(x, w):
    return np.sum(np.diagflat(x, 1) * w)


def resize(x, w):
    return np.sum(np.resize(x, (5, 3)) * w)


def split_builtin_sum(x, w):
    return np.sum(sum(np.split(x, 2, axis=1)) * w)


def split_mean(x, w):
    return np.sum(np.mean(np.split(x, 2, axis=1), axis=0) * w)


def split_reversed_join(x, w):
    return np.sum(np.concatenate(np.split(x, 2, axis=1)[::-1], axis=1) * w)


def split_appended(x, w):
    parts = np.array_split(x, 3)
    parts.append(x[:1] * 2.0)
    return np.sum(np.vstack(parts) * w)


def split_indexed_in_loop(x, w):
    total = 0.0
    parts = np.split(x, 2, axis=1)
    for i in range(2):
        total = total + np.sum(parts[i] * w * (i + 1))
    return total


R = real
ROWS = [
    Rule("np.expand_dims(x,0)", expand_dims0, (R, R), [S("vec", (5,), (1, 5)), S("scalar", None, (1,)),
                                                        S("f32", (3, 4), (1, 3, 4), F32)], wrt=0),
    Rule("np.expand_dims(x,-1)", expand_dims_last, (R, R), [S("mat", (3, 4), (3, 4, 1))], wrt=0),
    Rule("np.expand_dims(x,(0,2))", expand_dims_tuple, (R, R), [S("vec", (5,), (1, 5, 1))], wrt=0),
    Rule("np.squeeze(x)", squeeze_all, (R, R), [S("3d", (3, 1, 4), (3, 4)), S("all1", (1, 1), ()),
                                                S("empty", (0, 1), (0,))], wrt=0),
    Rule("np.squeeze(x,axis=1)", squeeze_axis, (R, R), [S("3d", (3, 1, 1), (3, 1))], wrt=0),
    Rule("np.squeeze(x,(0,-1))", squeeze_tuple, (R, R), [S("3d", (1, 4, 1), (4,))], wrt=0),
    Rule("x.squeeze()", squeeze_method, (R, R), [S("mat", (1, 5), (5,)), S("f32", (3, 1), (3,), F32)], wrt=0),
    Rule("x.squeeze(axis=-1)", squeeze_method_axis, (R, R), [S("mat", (4, 1), (4,))], wrt=0),
    Rule("np.atleast_1d(x)", atleast_1d, (R, R), [S("scalar", None, (1,)), S("vec", (4,), (4,))], wrt=0),
    Rule("np.atleast_2d(x)", atleast_2d, (R, R), [S("scalar", None, (1, 1)), S("vec", (4,), (1, 4)),
                                                  S("mat", (3, 4), (3, 4)), S("f32", (4,), (1, 4), F32)], wrt=0),
    Rule("np.atleast_3d(x)", atleast_3d, (R, R), [S("vec", (4,), (1, 4, 1)), S("mat", (3, 2), (3, 2, 1))], wrt=0),
    Rule("np.swapaxes(x,0,-1)", swapaxes, (R, R), [S("3d", (2, 3, 4), (4, 3, 2))], wrt=0),
    Rule("x.swapaxes(1,0)", swapaxes_method, (R, R), [S("mat", (3, 4), (4, 3))], wrt=0),
    Rule("np.moveaxis(x,0,-1)", moveaxis, (R, R), [S("3d", (2, 3, 4), (3, 4, 2))], wrt=0),
    Rule("np.moveaxis(x,(0,-1),(-1,1))", moveaxis_tuple, (R, R), [S("3d", (2, 3, 4), (3, 4, 2))], wrt=0),
    Rule("x.transpose((2,0,1))", transpose_method_tuple, (R, R), [S("3d", (2, 3, 4), (4, 2, 3))], wrt=0),
    Rule("x.T(3d)", transposed_3d, (R, R), [S("3d", (2, 3, 4), (4, 3, 2))], wrt=0),
    Rule("np.broadcast_to(x,(2,3,4))", broadcast_to, (R, R), [S("col", (3, 1), (2, 3, 4)), S("row", (4,), (2, 3, 4)),
                                                             S("scalar", None, (2, 3, 4)),
                                                             S("f32", (1, 3, 4), (2, 3, 4), F32)], wrt=0),
    Rule("np.flip(x)", flip_all, (R, R), [S("mat", (3, 4), (3, 4)), S("vec", (5,), (5,))], wrt=0),
    Rule("np.flip(x,-1)", flip_axis, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.flip(x,axis=(0,2))", flip_tuple, (R, R), [S("3d", (2, 3, 2), (2, 3, 2))], wrt=0),
    Rule("np.fliplr(x)", fliplr, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.flipud(x)", flipud, (R, R), [S("mat", (3, 4), (3, 4)), S("vec", (5,), (5,))], wrt=0),
    Rule("np.repeat(x,2)", repeat_flat, (R, R), [S("mat", (2, 3), (12,)), S("scalar", None, (2,)),
                                                 S("f32", (2, 3), (12,), F32)], wrt=0),
    Rule("np.repeat(x,3,axis=0)", repeat_axis0, (R, R), [S("mat", (2, 3), (6, 3))], wrt=0),
    Rule("np.repeat(x,[2,0,1],axis=0)", repeat_counts, (R, R), [S("mat", (3, 2), (3, 2)), S("vec", (3,), (3,))],
         wrt=0),
    Rule("np.repeat(x,counts)", repeat_counts_flat, (R, R), [S("vec", (5,), (7,))], wrt=0),
    Rule("x.repeat(2,axis=-1)", repeat_method, (R, R), [S("mat", (3, 2), (3, 4))], wrt=0),
    Rule("np.repeat(x,[2],axis=1)", repeat_size1, (R, R), [S("mat", (2, 3), (2, 6))], wrt=0),
    Rule("np.tile(x,2)", tile_int, (R, R), [S("mat", (2, 3), (2, 6)), S("scalar", None, (2,))], wrt=0),
    Rule("np.tile(x,(2,1,2))", tile_longer, (R, R), [S("vec", (3,), (2, 1, 6)), S("mat", (2, 2), (2, 2, 4))], wrt=0),
    Rule("np.tile(x,(2,))", tile_shorter, (R, R), [S("3d", (2, 1, 2), (2, 1, 4))], wrt=0),
    Rule("np.roll(x,5)", roll_flat, (R, R), [S("mat", (3, 4), (3, 4)), S("vec", (3,), (3,))], wrt=0),
    Rule("np.roll(x,-1,axis=0)", roll_axis, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.roll(x,(1,-2),axis=(0,1))", roll_tuple, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.roll(x,(1,2),axis=(1,1))", roll_shift_tuple_one_axis, (R, R), [S("mat", (2, 5), (2, 5))], wrt=0),
    Rule("np.pad(x,1)", pad_constant, (R, R), [S("mat", (2, 3), (4, 5)), S("vec", (3,), (5,)),
                                               S("f32", (2, 3), (4, 5), F32)], wrt=0),
    Rule("np.pad(x,pairs,constant_values)", pad_pairs, (R, R), [S("mat", (2, 3), (5, 6))], wrt=0),
    Rule("np.pad(x,2,'edge')", pad_edge, (R, R), [S("mat", (2, 3), (6, 7)), S("vec", (3,), (7,))], wrt=0),
    Rule("np.pad(x,'reflect')", pad_reflect, (R, R), [S("mat", (4, 5), (7, 8))], wrt=0),
    Rule("np.pad(x,(2,3),'symmetric')", pad_symmetric, (R, R), [S("vec", (4,), (9,)), S("mat", (3, 3), (8, 8))],
         wrt=0),
    Rule("np.pad(x,'wrap')", pad_wrap, (R, R), [S("mat", (2, 3), (7, 9))], wrt=0),
    Rule("np.diagonal(x)", diagonal, (R, R), [S("mat", (3, 4), (3,)), S("3d", (2, 3, 4), (4, 2))], wrt=0),
    Rule("np.diagonal(x,1)", diagonal_offset, (R, R), [S("mat", (3, 4), (3,)), S("f32", (4, 3), (2,), F32)], wrt=0),
    Rule("np.diagonal(x,-1,0,2)", diagonal_axes, (R, R), [S("3d", (3, 2, 4), (2, 2))], wrt=0),
    Rule("x.diagonal(offset=-1)", diagonal_method, (R, R), [S("mat", (4, 3), (3,))], wrt=0),
    Rule("np.triu(x)", triu, (R, R), [S("mat", (3, 4), (3, 4)), S("3d", (2, 3, 3), (2, 3, 3)),
                                      S("vec", (4,), (4, 4))], wrt=0),
    Rule("np.triu(x,k=1)", triu_k, (R, R), [S("mat", (4, 3), (4, 3))], wrt=0),
    Rule("np.tril(x)", tril, (R, R), [S("mat", (3, 4), (3, 4)), S("f32", (3, 3), (3, 3), F32)], wrt=0),
    Rule("np.tril(x,-1)", tril_k, (R, R), [S("mat", (3, 4), (3, 4)), S("vec", (3,), (3, 3))], wrt=0),
    Rule("np.diag(vector)", diag_vector, (R, R), [S("vec", (4,), (4, 4))], wrt=0),
    Rule("np.diag(vector,2)", diag_vector_k, (R, R), [S("vec", (3,), (5, 5))], wrt=0),
    Rule("np.diag(matrix)", diag_matrix, (R, R), [S("mat", (3, 4), (3,)), S("f32", (3, 3), (3,), F32)], wrt=0),
    Rule("np.diag(matrix,k=-1)", diag_matrix_k, (R, R), [S("mat", (4, 3), (3,))], wrt=0),
    Rule("x.flatten('F')", flatten_f, (R, R), [S("mat", (3, 4), (12,))], wrt=0),
    Rule("x.T.flatten(order='A')", flatten_a_transposed, (R, R), [S("mat", (3, 4), (12,))], wrt=0),
    Rule("np.ravel(x[:,::2],'K')", ravel_k_sliced, (R, R), [S("mat", (3, 4), (6,))], wrt=0),
    Rule("x.reshape(2,6,order='F')", reshape_method_f, (R, R), [S("mat", (3, 4), (2, 6))], wrt=0),
    Rule("np.reshape(x,shape=)", reshape_keyword_shape, (R, R), [S("mat", (3, 4), (6, 2))], wrt=0),
    Rule("np.concatenate([...])", concatenate0, (R, R), [S("mat", (2, 3), (5, 3)), S("f32", (2, 3), (5, 3), F32)],
         wrt=0),
    Rule("np.concatenate((..),axis=-1)", concatenate_last, (R, R), [S("mat", (2, 3), (2, 6))], wrt=0),
    Rule("np.concatenate(axis=None)", concatenate_none, (R, R), [S("mat", (2, 3), (9,))], wrt=0),
    Rule("np.concatenate(array)", concatenate_array, (R, R), [S("3d", (2, 2, 3), (4, 3))], wrt=0),
    Rule("np.stack([...])", stack0, (R, R), [S("vec", (4,), (2, 4)), S("scalar", None, (2,))], wrt=0),
    Rule("np.stack(axis=-1)", stack_negative, (R, R), [S("mat", (2, 3), (2, 3, 3))], wrt=0),
    Rule("np.stack(array,axis=1)", stack_array, (R, R), [S("3d", (2, 3, 2), (3, 2, 2))], wrt=0),
    Rule("np.vstack([...])", vstack, (R, R), [S("vec", (4,), (2, 4)), S("mat", (2, 3), (4, 3))], wrt=0),
    Rule("np.hstack([...])", hstack, (R, R), [S("vec", (4,), (8,)), S("mat", (2, 3), (2, 6))], wrt=0),
    Rule("np.hstack(scalars,rows)", hstack_scalars, (R, R), [S("mat", (3, 2), (4,))], wrt=0),
    Rule("np.column_stack([...])", column_stack, (R, R), [S("mat", (3, 2), (3, 3))], wrt=0),
    Rule("np.dstack([...])", dstack, (R, R), [S("mat", (2, 3), (2, 3, 2)), S("vec", (3,), (1, 3, 2))], wrt=0),
    Rule("np.dstack(array)", dstack_array, (R, R), [S("3d", (2, 3, 2), (3, 2, 2))], wrt=0),
    Rule("np.split(x,2,axis=1)", split_sections, (R, R), [S("mat", (3, 4), (3, 2)), S("f32", (2, 4), (2, 2), F32)],
         wrt=0),
    Rule("np.split(x,[1,3])", split_indices, (R, R), [S("mat", (5, 2), (2, 2)), S("vec", (4,), (1,))], wrt=0),
    Rule("np.array_split(x,3,axis=-1)", array_split_uneven, (R, R), [S("mat", (2, 5), (2, 2))], wrt=0),
    Rule("for p in np.split(x,3)", split_loop, (R, R), [S("vec", (6,), (2,))], wrt=0),
    Rule("np.stack(np.split(x,2))", split_restack, (R, R), [S("mat", (4, 3), (2, 2, 3))], wrt=0),
    Rule("np.hsplit(x,2)", hsplit, (R, R), [S("mat", (3, 4), (3, 2)), S("vec", (6,), (3,))], wrt=0),
    Rule("np.vsplit(x,[2])", vsplit, (R, R), [S("mat", (3, 4), (1, 4))], wrt=0),
    Rule("np.dsplit(x,2)", dsplit, (R, R), [S("3d", (2, 2, 4), (2, 2, 2))], wrt=0),
    Rule("np.unstack(x,axis=1)", unstack, (R, R), [S("3d", (3, 3, 2), (3, 2))], wrt=0),
    Rule("np.unstack(x)[1]", unstack_one, (R, R), [S("3d", (3, 2, 2), (2, 2)), S("f32", (2, 3), (3,), F32)],
         wrt=0),
    Rule("np.append(x,v)", append_flat, (R, R), [S("mat", (2, 3), (9,)), S("vec", (4,), (5,))], wrt=0),
    Rule("np.append(a,x,axis=-1)", append_axis, (R, R), [S("mat", (3, 2), (3, 4))], wrt=0),
    Rule("np.append(1.5,x)", append_to_number, (R, R), [S("vec", (3,), (4,)), S("scalar", None, (2,))], wrt=0),
    Rule("np.rot90(x)", rot90, (R, R), [S("mat", (3, 4), (4, 3)), S("3d", (2, 3, 2), (3, 2, 2))], wrt=0),
    Rule("np.rot90(x,3,axes=(1,0))", rot90_k_axes, (R, R), [S("mat", (3, 4), (4, 3))], wrt=0),
    Rule("np.rollaxis(x,2,1)", rollaxis, (R, R), [S("3d", (3, 2, 4), (3, 4, 2))], wrt=0),
    Rule("np.rollaxis(x,0,3)", rollaxis_forward, (R, R), [S("3d", (3, 2, 4), (2, 4, 3))], wrt=0),
    Rule("np.matrix_transpose(x)", matrix_transpose, (R, R), [S("3d", (3, 2, 4), (3, 4, 2))], wrt=0),
    Rule("x.mT", matrix_transposed, (R, R), [S("mat", (3, 2), (2, 3))], wrt=0),
    Rule("sum(np.split(x))", split_builtin_sum, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("np.mean(np.split(x),axis=0)", split_mean, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("np.concatenate(np.split(x)[::-1])", split_reversed_join, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.array_split(x).append", split_appended, (R, R), [S("mat", (3, 4), (4, 4))], wrt=0),
    Rule("np.split(x)[i] in loop", split_indexed_in_loop, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("np.delete(x,[0,2],axis=1)", delete_axis, (R, R), [S("mat", (3, 4), (3, 2))], wrt=0),
    Rule("np.delete(x,5)", delete_flat, (R, R), [S("mat", (3, 4), (11,)), S("f32", (2, 4), (7,), F32)], wrt=0),
    Rule("np.insert(x,1,row,axis=0)", insert_row, (R, R), [S("mat", (3, 4), (4, 4))], wrt=0),
    Rule("np.insert(x,[1,1,3],v)", insert_scalar_repeated, (R, R), [S("mat", (2, 3), (9,))], wrt=0),
    Rule("np.insert(x,2,two values)", insert_several_at_one_index, (R, R), [S("mat", (3, 4), (14,))], wrt=0),
    Rule("np.insert(x,2,7.0,axis=1)", insert_constant, (R, R), [S("mat", (3, 4), (3, 5))], wrt=0),
    Rule("np.insert(x,1,col,axis=1)", insert_column, (R, R), [S("mat", (3, 4), (3, 5))], wrt=0),
    Rule("np.compress(c,x,axis=0)", compress, (R, R), [S("mat", (3, 4), (2, 4)), S("vec", (3,), (2,))], wrt=0),
    Rule("np.extract(x>0,x)", extract, (R, R), [S("mat", (3, 4), (3, 4))], wrt=0),
    Rule("np.diagflat(x,1)", diagflat, (R, R), [S("vec", (3,), (4, 4)), S("mat", (2, 2), (5, 5))], wrt=0),
    Rule("np.resize(x,(5,3))", resize, (R, R), [S("mat", (3, 4), (5, 3)), S("vec", (2,), (5, 3))], wrt=0),
]

CASES = expand(ROWS)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- facts: views are declared views ---------------------------------------------------------------


def test_views_are_declared_views():
    from adtransform.rules.registry import Returns, lookup_facts

    views = [np.expand_dims, np.squeeze, np.ndarray.squeeze, np.swapaxes, np.ndarray.swapaxes, np.moveaxis,
             np.broadcast_to, np.flip, np.fliplr, np.flipud, np.diagonal, np.ndarray.diagonal, np.diag,
             np.reshape, np.ravel, np.transpose, np.rot90, np.rollaxis, np.matrix_transpose, np.ndarray.mT]
    assert [f for f in views if lookup_facts(f).returns is not Returns.VIEW] == []
    new = [np.repeat, np.ndarray.repeat, np.tile, np.roll, np.pad, np.triu, np.tril, np.dstack, np.append,
           np.delete, np.insert, np.compress, np.extract, np.diagflat, np.resize]
    assert [f for f in new if lookup_facts(f).returns is not Returns.NEW] == []
    lists = [np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit, np.unstack, np.atleast_2d]
    assert [f for f in lists if lookup_facts(f).returns is not Returns.VIEWS] == []


def update_through_expand_dims(x):
    y = x * 1.0
    v = np.expand_dims(y, 0)
    v[0, 1] = 3.0 * x[0]
    return np.sum(y * y)


def update_through_repeat(x):
    y = x * 1.0
    v = np.repeat(y, 2)
    v[1] = 3.0 * x[0]
    return np.sum(y * y) + np.sum(v * v)


def test_an_update_of_a_view_is_seen():
    """A view's in-place update changes its base: refused (located), never differentiated as if it
    did not; a new array's update is differentiated."""
    x = np.array([0.5, -1.2, 2.0])
    with pytest.raises(AdtransformError, match="may share memory") as info:
        ad.grad(update_through_expand_dims)(x)
    assert "test_rules_shape.py" in str(info.value)
    check_grad(update_through_repeat, (x,))


# --- cross-checks against autograd ---------------------------------------------------------------------


def autograd_shapes(x):
    y = np.concatenate([np.expand_dims(x, 0), np.stack([x, x ** 2])], axis=0)
    z = np.squeeze(np.repeat(y[:, None], 2, axis=1)) + np.tile(x, (3, 2, 1, 1))
    return np.sum(np.sin(np.roll(z, 1, axis=-1))) + np.sum(np.triu(x) * np.diag(np.diag(x)))


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def reference(x):
        y = anp.concatenate([anp.expand_dims(x, 0), anp.stack([x, x ** 2])], axis=0)
        z = anp.squeeze(anp.repeat(y[:, None], 2, axis=1)) + anp.tile(x, (3, 2, 1, 1))
        return anp.sum(anp.sin(anp.roll(z, 1, axis=-1))) + anp.sum(anp.triu(x) * anp.diag(anp.diag(x)))

    x = np.random.default_rng(7).uniform(-1.0, 1.0, (3, 3))
    np.testing.assert_allclose(ad.grad(autograd_shapes)(x), autograd.grad(reference)(x), rtol=1e-12)


# --- refusals ----------------------------------------------------------------------------------------


def pad_mean(x):
    return np.sum(np.pad(x, 1, mode="mean"))


def pad_odd(x):
    return np.sum(np.pad(x, 1, mode="reflect", reflect_type="odd"))


def pad_runtime_mode(x, mode):
    return np.sum(np.pad(x, 1, mode=mode))


def pad_differentiated_constant(x):
    return np.sum(np.pad(x, 1, constant_values=x[0]))


def atleast_two_arrays(x):
    a, b = np.atleast_2d(x, 2.0 * x)
    return np.sum(a * b)


@pytest.mark.parametrize("fn, args, match", [
    (pad_mean, (np.ones(3),), "mode"),
    (pad_odd, (np.ones(3),), "reflect_type"),
    (pad_runtime_mode, (np.ones(3), "edge"), "run time"),
    (pad_differentiated_constant, (np.ones(3),), "constant_values"),
    (atleast_two_arrays, (np.ones(3),), "atleast_2d"),
])
def test_refusals_are_located(fn, args, match):
    with pytest.raises(AdtransformError, match=match) as info:
        ad.grad(fn)(*args)
    assert "test_rules_shape.py" in str(info.value)
