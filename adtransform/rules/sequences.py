"""Reverse rules for lists and tuples of differentiated values, and for the functions consuming them.

Contract: see rules/notation.py. The adjoint of a list is a list of its items' adjoints (`None`
where nothing flowed, `None` for the whole list when nothing flowed at all): runtime/sequences.py.

Some primitives mean something else when given a list: `L[i]` and `a + b` index and join lists,
`np.sum(L)` and `np.mean(L)` reduce `np.asarray(L)`. Their rules for arrays would build an array
adjoint for a list; `SEQUENCE_FORMS` names, for each, the primitive whose rule reverse mode uses
when a list built in the function is an argument. `TAKES_SEQUENCES` are the primitives whose
rules handle list arguments themselves; any other primitive given such a list is refused.
"""

import builtins
import operator

import numpy as np

from ..runtime import (
    array_adjoint,
    concatenate_adjoint,
    index_update,
    list_append,
    list_length,
    sequence_add,
    sequence_concat_adjoint,
    sequence_copy,
    sequence_fill,
    sequence_index_accumulate,
    sequence_index_adjoint,
    sequence_item_adjoint,
    sequence_or_zero,
    sequence_pick,
    sequence_pop,
    sequence_reduction_adjoint,
    sequence_take,
    stack_adjoint,
    stacking_adjoint,
    unbroadcast,
    unpack_check,
    writable_copy,
)
from .notation import FLOAT_DTYPE, UNMASKED, Accepts, adjoint, d, declare_facts, nondifferentiable
from .registry import Kind, Returns


def list_getitem(a, index):
    """`a[index]` where `a` is a list or tuple: the primitive its rule is registered on."""
    return a[index]


def list_concat(a, b):
    """`a + b` of two lists or tuples."""
    return a + b


def list_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    """`np.sum(a, ...)` of a list."""
    return np.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial, where=where)


def list_mean(a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    """`np.mean(a, ...)` of a list."""
    return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)


def list_copy(x, deep=False):
    """`writable_copy(x)` of a list, made before `x.append(v)`."""
    return writable_copy(x, deep)


def list_convert(iterable):
    """`list(L)` or `tuple(L)` of a list or tuple."""
    return list(iterable)


def list_extremum(iterable, *, key=None):
    """`max(L)` or `min(L)` of a list or tuple."""
    return max(iterable, key=key)


def list_setitem(a, index, value):
    """`a[index] = value` of a list, as a value (`index_update`)."""
    return index_update(a, index, value)


SEQUENCE_FORMS = {index_update: list_setitem,
                  operator.getitem: list_getitem, operator.add: list_concat, np.sum: list_sum, np.mean: list_mean,
                  writable_copy: list_copy, builtins.list: list_convert, np.ndarray.copy: list_convert,
                  builtins.tuple: list_convert,
                  builtins.max: list_extremum, builtins.min: list_extremum}


@adjoint(list_setitem, returns=Returns.VIEWS)
def setitem(y, a, index, value):
    parts = sequence_take(d[y], index, value)
    d[a] = parts[0]
    d[value] = parts[1]


@adjoint(list_convert, returns=Returns.VIEWS)
def convert(y, iterable):
    d[iterable] = d[y]  # (the new list's adjoint is handed on: nothing else holds it)


NO_KEY = Accepts(lambda value: value is None, "a `key=` function is not supported here; compare the values "
                 "themselves")


@adjoint(list_extremum, returns=Returns.MAY_SHARE)
def extremum(y, iterable, *, key: NO_KEY = None):
    d[iterable] = sequence_pick(d[y], iterable, y)


@adjoint(list_copy, returns=Returns.VIEWS)
def copy(y, x, deep=False):
    d[x] = d[y]  # (the copy's adjoint is handed on: nothing else holds it)


@adjoint(list_append, returns=Returns.MAY_SHARE, mutates=("seq",))
def append(y, seq, item):
    # (the compiler gives the call a copy of the list: the value it changes is its own)
    parts = sequence_pop(d[y])
    d[seq] = parts[0]
    d[item] = sequence_or_zero(parts[1], item)


@adjoint(list_getitem, returns=Returns.MAY_SHARE)
def getitem(y, a, index):
    d[a] = sequence_index_adjoint(d[y], a, index)


def list_getitem_sized(a, index, length):
    """`a[index]` of a list whose length the forward sweep took just before (`list_length`)."""
    return a[index]


@adjoint(list_getitem_sized, returns=Returns.MAY_SHARE)
def getitem_sized(y, a, index, length):
    d[a] = sequence_index_adjoint(d[y], length, index)


@adjoint(list_concat, returns=Returns.VIEWS)
def concat(y, a, b):
    parts = sequence_concat_adjoint(d[y], a)
    d[a] = parts[0]
    d[b] = parts[1]


@adjoint(list_sum, kind=Kind.REDUCTION, returns=Returns.NEW)
def sum_list(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=0,
             where: UNMASKED = True):
    d[a] = sequence_reduction_adjoint(d[y], a, axis, keepdims, False)
    d[initial] = unbroadcast(d[y], initial)


@adjoint(list_mean, kind=Kind.REDUCTION, returns=Returns.NEW)
def mean_list(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, where: UNMASKED = True):
    d[a] = sequence_reduction_adjoint(d[y], a, axis, keepdims, True)


@adjoint(np.stack, returns=Returns.NEW)
def stack(y, arrays, axis=0, out=None, *, dtype: FLOAT_DTYPE = None, casting="same_kind"):
    d[arrays] = stack_adjoint(d[y], arrays, axis)


@adjoint(np.concatenate, returns=Returns.NEW)
def concatenate(y, arrays, axis=0, out=None, *, dtype: FLOAT_DTYPE = None, casting="same_kind"):
    d[arrays] = concatenate_adjoint(d[y], arrays, axis)


@adjoint(np.hstack, returns=Returns.NEW)
def hstack(y, tup, *, dtype: FLOAT_DTYPE = None, casting="same_kind"):
    d[tup] = stacking_adjoint(d[y], tup, "hstack")


@adjoint(np.vstack, returns=Returns.NEW)
def vstack(y, tup, *, dtype: FLOAT_DTYPE = None, casting="same_kind"):
    d[tup] = stacking_adjoint(d[y], tup, "vstack")


@adjoint(np.column_stack, returns=Returns.NEW)
def column_stack(y, tup):
    d[tup] = stacking_adjoint(d[y], tup, "column_stack")


@adjoint(np.array, returns=Returns.NEW)
def array(y, object, dtype: FLOAT_DTYPE = None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[object] = array_adjoint(d[y], object)


@adjoint(np.asarray, returns=Returns.VIEW)
def asarray(y, a, dtype: FLOAT_DTYPE = None, order=None, *, device=None, copy=None, like=None):
    d[a] = array_adjoint(d[y], a)


@adjoint(builtins.sum, returns=Returns.MAY_SHARE)
def sum_builtin(y, iterable, start=0):
    d[iterable] = sequence_fill(d[y], iterable)
    d[start] = unbroadcast(d[y], start)


TAKES_SEQUENCES = frozenset({list_append, np.stack, np.concatenate, np.hstack, np.vstack, np.column_stack,
                             np.array, np.asarray, builtins.sum, *SEQUENCE_FORMS.values()})

# The helpers of the backward sweep. Those adding into or popping from an adjoint list say so: they
# change it in place (reverse mode hands each adjoint list to one adjoint at a time).
declare_facts(sequence_index_adjoint, sequence_pick, returns=Returns.MAY_SHARE)
declare_facts(sequence_copy, returns=Returns.VIEWS)
declare_facts(list_length, returns=Returns.NUMBER)
nondifferentiable(unpack_check, returns=Returns.NUMBER)  # a check: returns None or raises
declare_facts(sequence_or_zero, array_adjoint, stack_adjoint, concatenate_adjoint, stacking_adjoint,
              sequence_fill, sequence_reduction_adjoint, sequence_concat_adjoint, returns=Returns.VIEWS)
declare_facts(sequence_item_adjoint, returns=Returns.MAY_SHARE)
declare_facts(sequence_add, returns=Returns.MAY_SHARE, mutates=("a",))
declare_facts(sequence_index_accumulate, returns=Returns.MAY_SHARE, mutates=("bar",))
declare_facts(sequence_pop, sequence_take, returns=Returns.MAY_SHARE, mutates=("bar",))
# `map(f, xs)` changes nothing itself (canonicalize/comprehensions.py turns it into calls of `f`, which
# the passes after it see); its items are what `f` returns, which may share anything.
declare_facts(map, returns=Returns.MAY_SHARE)
