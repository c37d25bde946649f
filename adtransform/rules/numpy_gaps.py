"""Reverse rules for the NumPy calls issue 13 item 1 left refused: masked reductions (`where=` on
`np.sum` / `np.mean` and their methods), the two-output ufuncs, `np.partition`,
`np.broadcast_arrays` and `np.block`.

Contract: see rules/notation.py. A masked sum or mean is differentiated by its keyword variant
(rules/keywords.py): the rule of the common call, without a mask, stays as it was.
"""

import builtins

import numpy as np

from ..runtime import unbroadcast
from ..runtime.gaps import (
    block_adjoint,
    broadcast_arrays_adjoint,
    divmod_adjoint,
    frexp_adjoint,
    masked_mean_adjoint,
    masked_sum_adjoint,
    modf_adjoint,
    partition_adjoint,
)
from .conversions import declare_converts
from .keywords import declare_keyword_variant
from .notation import FLOAT_DTYPE, Accepts, adjoint, d, declare_facts, nondifferentiable
from .registry import Kind, Returns
from .tuples import declare_takes_tuple, declare_tuple_result


def masked_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    """`np.sum(a, ..., where=m)`: the primitive whose rule differentiates a masked sum."""
    return np.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial, where=where)


def masked_mean(a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    """`np.mean(a, ..., where=m)`: the primitive whose rule differentiates a masked mean."""
    return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)


@adjoint(masked_sum, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def sum_masked(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=0, where=True):
    # The mask is boolean (piecewise constant even when computed from `a`): the unselected elements get 0.
    d[a] = masked_sum_adjoint(d[y], a, axis, keepdims, where)
    d[initial] = unbroadcast(d[y], initial)


@adjoint(masked_mean, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def mean_masked(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, where=True):
    d[a] = masked_mean_adjoint(d[y], a, axis, keepdims, where)


for _primitive in (np.sum, np.ndarray.sum):
    declare_keyword_variant(_primitive, "where", masked_sum)
for _primitive in (np.mean, np.ndarray.mean):
    declare_keyword_variant(_primitive, "where", masked_mean)


# --- two-output ufuncs: a tuple of two arrays (rules/tuples.py), unpacked or indexed --------------------
# (NumPy returns plain tuples: the field names are no attribute's, so only indexing reads an item)

declare_tuple_result(np.divmod, ("[0]", "[1]"))
declare_tuple_result(builtins.divmod, ("[0]", "[1]"))  # (of arrays, it calls np.divmod; of floats, the same formula)
declare_tuple_result(np.modf, ("[0]", "[1]"))
declare_tuple_result(np.frexp, ("[0]", "[1]"))


@adjoint(np.divmod, builtins.divmod, returns=Returns.NEW_ITEMS)
def divmod(y, x1, x2):
    # The quotient y[0] is floor(x1 / x2), piecewise constant; the remainder is x1 - x2 * y[0].
    d[x1] = divmod_adjoint(d[y], x1, y[0], False)
    d[x2] = divmod_adjoint(d[y], x2, y[0], True)


@adjoint(np.modf, returns=Returns.NEW_ITEMS)
def modf(y, x):
    d[x] = modf_adjoint(d[y], x)


@adjoint(np.frexp, returns=Returns.NEW_ITEMS)
def frexp(y, x):
    d[x] = frexp_adjoint(d[y], x, y[1])


# --- permutations, broadcasting and blocks ------------------------------------------------------------

NO_ORDER = Accepts(lambda value: value is None, "`order=` (fields of a structured array) is not supported")


@adjoint(np.partition, returns=Returns.NEW)
def partition(y, a, kth, axis=-1, kind="introselect", order: NO_ORDER = None):
    # Whatever the `kind`, y is a permutation of `a` along `axis` (found again from y, so `kth` is not
    # needed). `a.partition(kth)` sorts `a` in place: refused on a differentiated array, as its facts say.
    d[a] = partition_adjoint(d[y], a, y, axis)


SUBOK = Accepts(lambda value: value is False, "`subok=True` is not supported")


@adjoint(np.broadcast_arrays, returns=Returns.VIEWS)
def broadcast_arrays(y, a0, a1=None, a2=None, a3=None, *, subok: SUBOK = False):
    # Up to four arrays (a call with more is refused where it is written).
    d[a0] = broadcast_arrays_adjoint(d[y], a0, 0)
    d[a1] = broadcast_arrays_adjoint(d[y], a1, 1)
    d[a2] = broadcast_arrays_adjoint(d[y], a2, 2)
    d[a3] = broadcast_arrays_adjoint(d[y], a3, 3)


declare_tuple_result(np.broadcast_arrays, ("[0]", "[1]", "[2]", "[3]"))


@adjoint(np.block, returns=Returns.NEW)
def block(y, arrays):
    d[arrays] = block_adjoint(d[y], arrays)


declare_takes_tuple(np.block)  # (nested lists: the adjoint has their nesting)

nondifferentiable(np.argpartition, np.ndarray.argpartition, returns=Returns.NEW)

declare_converts(masked_sum, masked_mean)  # (`np.sum(L, where=m)` of a list L)

declare_facts(masked_sum_adjoint, masked_mean_adjoint, partition_adjoint, returns=Returns.NEW)
declare_facts(divmod_adjoint, modf_adjoint, frexp_adjoint, broadcast_arrays_adjoint, returns=Returns.MAY_SHARE)
declare_facts(block_adjoint, returns=Returns.VIEWS)
