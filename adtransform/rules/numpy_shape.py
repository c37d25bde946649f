"""Reverse rules for NumPy's functions that change shapes or move elements: expand_dims, squeeze,
swapaxes, moveaxis, broadcast_to, repeat, tile, split, flip, roll, pad, atleast_nd, diagonal,
triu/tril, diag, dstack.

Contract: see rules/notation.py. Each function is linear in the array it rearranges, so each
adjoint sends `g` back to the positions read (runtime/shapes.py). Those returning a view of their
argument say so (`Returns.VIEW`): an in-place update of the result changes the argument.
"""

import numpy as np

from ..runtime import (
    append_adjoint,
    diag_adjoint,
    diagonal_adjoint,
    flat_adjoint,
    pad_adjoint,
    position_labels,
    repeat_adjoint,
    reshaped_like,
    rollaxis_adjoint,
    scatter_labels,
    split_adjoint,
    stacked_adjoint,
    tile_adjoint,
    tri_adjoint,
    unbroadcast,
    unstack_adjoint,
)
from ..runtime.shapes import PAD_MODES
from .notation import Accepts, adjoint, d, declare_facts
from .numpy_select import NO_OUT
from .registry import Returns
from .tuples import declare_takes_tuple, declare_tuple_result

# --- adding, dropping and reordering axes (views) ----------------------------------------------


@adjoint(np.expand_dims, returns=Returns.VIEW)
def expand_dims(y, a, axis):
    d[a] = reshaped_like(d[y], a)


@adjoint(np.squeeze, np.ndarray.squeeze, returns=Returns.VIEW)
def squeeze(y, a, axis=None):
    d[a] = reshaped_like(d[y], a)


# One array only: given several, atleast_nd returns a list (facts: rules/library.py).
@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(y, ary):
    d[ary] = reshaped_like(d[y], ary)


@adjoint(np.swapaxes, np.ndarray.swapaxes, returns=Returns.VIEW)
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@adjoint(np.moveaxis, returns=Returns.VIEW)
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


@adjoint(np.rollaxis, returns=Returns.VIEW)
def rollaxis(y, a, axis, start=0):
    d[a] = rollaxis_adjoint(d[y], axis, start)


def matrix_transpose(y, x):
    d[x] = np.swapaxes(d[y], -1, -2)


if hasattr(np, "matrix_transpose"):  # (NumPy 2)
    adjoint(np.matrix_transpose, np.ndarray.mT, returns=Returns.VIEW)(matrix_transpose)


@adjoint(np.rot90, returns=Returns.VIEW)
def rot90(y, m, k=1, axes=(0, 1)):
    d[m] = np.rot90(d[y], np.negative(k), axes)


@adjoint(np.ndarray.flat, returns=Returns.VIEW)
def flat(y, a):
    d[a] = flat_adjoint(d[y], a)


@adjoint(np.broadcast_to, returns=Returns.VIEW)
def broadcast_to(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


@adjoint(np.flip, returns=Returns.VIEW)
def flip(y, m, axis=None):
    d[m] = np.flip(d[y], axis)


@adjoint(np.fliplr, returns=Returns.VIEW)
def fliplr(y, m):
    d[m] = np.fliplr(d[y])


@adjoint(np.flipud, returns=Returns.VIEW)
def flipud(y, m):
    d[m] = np.flipud(d[y])


@adjoint(np.diagonal, np.ndarray.diagonal, returns=Returns.VIEW)
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] = diagonal_adjoint(d[y], a, offset, axis1, axis2)


@adjoint(np.diag, returns=Returns.VIEW)  # (a matrix's diagonal is a view of it)
def diag(y, v, k=0):
    d[v] = diag_adjoint(d[y], v, k)


# --- copying elements (new arrays) -----------------------------------------------------------------


@adjoint(np.repeat, np.ndarray.repeat, returns=Returns.NEW)
def repeat(y, a, repeats, axis=None):
    d[a] = repeat_adjoint(d[y], a, repeats, axis)


@adjoint(np.tile, returns=Returns.NEW)
def tile(y, A, reps):
    d[A] = tile_adjoint(d[y], A, reps)


@adjoint(np.roll, returns=Returns.NEW)
def roll(y, a, shift, axis=None):
    d[a] = np.roll(d[y], np.negative(shift), axis)


@adjoint(np.triu, returns=Returns.NEW)
def triu(y, m, k=0):
    d[m] = tri_adjoint(d[y], m, k, True)


@adjoint(np.tril, returns=Returns.NEW)
def tril(y, m, k=0):
    d[m] = tri_adjoint(d[y], m, k, False)


PAD_MODE = Accepts(lambda mode: mode in PAD_MODES, f"only the modes that copy elements ({', '.join(PAD_MODES)}) "
                   "are differentiated")
EVEN = Accepts(lambda kind: kind == "even", "only `reflect_type='even'` copies elements ('odd' extrapolates)")


@adjoint(np.pad, returns=Returns.NEW)
def pad(y, array, pad_width, mode: PAD_MODE = "constant", *, constant_values=0, reflect_type: EVEN = "even",
        stat_length=None, end_values=0):
    # A differentiated `constant_values` has no rule: it is refused where it is differentiated.
    d[array] = pad_adjoint(d[y], array, pad_width, mode, reflect_type)


@adjoint(np.append, returns=Returns.NEW)
def append(y, arr, values, axis=None):
    d[arr] = append_adjoint(d[y], arr, values, axis, False)
    d[values] = append_adjoint(d[y], arr, values, axis, True)


# Functions that only move elements: their adjoint replays them on the elements' positions
# (`position_labels`) and sends each element of `g` back to the position found at its place.


@adjoint(np.delete, returns=Returns.NEW)
def delete(y, arr, obj, axis=None):
    d[arr] = scatter_labels(d[y], arr, np.delete(position_labels(arr), obj, axis))


@adjoint(np.insert, returns=Returns.NEW)
def insert(y, arr, obj, values, axis=None):
    # (the placeholders shaped like `values`: one index may insert several elements)
    d[arr] = scatter_labels(d[y], arr, np.insert(position_labels(arr), obj, np.full(np.shape(values), -1), axis))
    d[values] = scatter_labels(d[y], values, np.insert(np.full(np.shape(arr), -1), obj, position_labels(values), axis))


@adjoint(np.compress, nondiff=("condition",), returns=Returns.NEW)
def compress(y, condition, a, axis=None, out: NO_OUT = None):
    d[a] = scatter_labels(d[y], a, np.compress(condition, position_labels(a), axis))


@adjoint(np.extract, nondiff=("condition",), returns=Returns.NEW)
def extract(y, condition, arr):
    d[arr] = scatter_labels(d[y], arr, np.extract(condition, position_labels(arr)))


@adjoint(np.diagflat, returns=Returns.NEW)
def diagflat(y, v, k=0):
    # (labels shifted by one: the zeros off the diagonal become -1, from no element)
    d[v] = scatter_labels(d[y], v, np.diagflat(position_labels(v) + 1, k) - 1)


@adjoint(np.resize, returns=Returns.NEW)
def resize(y, a, new_shape):
    d[a] = scatter_labels(d[y], a, np.resize(position_labels(a), new_shape))


# --- lists of arrays -----------------------------------------------------------------------------


@adjoint(np.dstack, returns=Returns.NEW)
def dstack(y, tup):
    d[tup] = stacked_adjoint(d[y], tup)


@adjoint(np.split, np.array_split, returns=Returns.VIEWS)
def split(y, ary, indices_or_sections, axis=0):
    d[ary] = split_adjoint(d[y], ary, indices_or_sections, axis)


@adjoint(np.hsplit, returns=Returns.VIEWS)
def hsplit(y, ary, indices_or_sections):
    # Along axis 1 (axis 0 of a vector).
    d[ary] = split_adjoint(d[y], ary, indices_or_sections, min(np.ndim(ary) - 1, 1))


@adjoint(np.vsplit, returns=Returns.VIEWS)
def vsplit(y, ary, indices_or_sections):
    d[ary] = split_adjoint(d[y], ary, indices_or_sections, 0)


@adjoint(np.dsplit, returns=Returns.VIEWS)
def dsplit(y, ary, indices_or_sections):
    d[ary] = split_adjoint(d[y], ary, indices_or_sections, 2)


def unstack(y, x, *, axis=0):
    d[x] = unstack_adjoint(d[y], x, axis)


# A list argument's adjoint is the list of its items' (rules/tuples.py); so is a list result's.
declare_takes_tuple(np.dstack)
for splitter in (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit):
    declare_tuple_result(splitter, ())
if hasattr(np, "unstack"):  # (NumPy 2.1)
    adjoint(np.unstack, returns=Returns.VIEWS)(unstack)
    declare_tuple_result(np.unstack, ())

# The helpers read the array they undo for its shape and dtype only.
declare_facts(diagonal_adjoint, repeat_adjoint, tile_adjoint, returns=Returns.NEW, shape_only=("a",))
declare_facts(diag_adjoint, returns=Returns.NEW, shape_only=("v",))
declare_facts(tri_adjoint, returns=Returns.NEW, shape_only=("m",))
declare_facts(pad_adjoint, returns=Returns.NEW, shape_only=("array",))
declare_facts(split_adjoint, returns=Returns.NEW, shape_only=("ary",))
declare_facts(unstack_adjoint, returns=Returns.NEW, shape_only=("x",))
declare_facts(append_adjoint, returns=Returns.VIEW, shape_only=("arr", "values"))  # (a part of `g`)
declare_facts(rollaxis_adjoint, returns=Returns.VIEW)
declare_facts(flat_adjoint, returns=Returns.VIEW, shape_only=("a",))
declare_facts(position_labels, returns=Returns.NEW, shape_only=("a",))
declare_facts(scatter_labels, returns=Returns.NEW, shape_only=("a",))
declare_facts(reshaped_like, returns=Returns.VIEW, shape_only=("a",))  # (it may hand back `g` itself)
declare_facts(stacked_adjoint, returns=Returns.VIEWS)
