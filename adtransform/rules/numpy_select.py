"""Reverse rules for NumPy's functions that pick elements by value or by index: sort, take,
take_along_axis, choose, select.

Contract: see rules/notation.py. The indices, conditions and orders that decide what is picked are
integers or booleans: no derivative flows into them (`nondiff`). Helpers: runtime/selection.py.
"""

import numpy as np

from ..runtime import (
    choose_adjoint,
    select_adjoint,
    sort_adjoint,
    take_adjoint,
    take_along_axis_adjoint,
)
from .notation import Accepts, adjoint, d, declare_facts
from .registry import Returns
from .tuples import declare_takes_tuple

NO_ORDER = Accepts(lambda value: value is None, "`order=` (sorting a structured array by fields) is not supported")
NO_OUT = Accepts(lambda value: value is None, "`out=` is not supported here; assign the result instead")


@adjoint(np.sort, returns=Returns.NEW)
def sort(y, a, axis=-1, kind=None, order: NO_ORDER = None, *, stable=None):
    # Ties: see sort_adjoint (a stable order decides which tied element takes which place).
    d[a] = sort_adjoint(d[y], a, axis)


@adjoint(np.take, np.ndarray.take, nondiff=("indices",), returns=Returns.NEW)
def take(y, a, indices, axis=None, out: NO_OUT = None, mode="raise"):
    d[a] = take_adjoint(d[y], a, indices, axis, mode)


@adjoint(np.take_along_axis, nondiff=("indices",), returns=Returns.NEW)
def take_along_axis(y, arr, indices, axis=-1):
    d[arr] = take_along_axis_adjoint(d[y], arr, indices, axis)


@adjoint(np.choose, nondiff=("a",), returns=Returns.NEW)
def choose(y, a, choices, out: NO_OUT = None, mode="raise"):
    d[choices] = choose_adjoint(d[y], a, choices, mode)


@adjoint(np.select, nondiff=("condlist",), returns=Returns.NEW)
def select(y, condlist, choicelist, default=0):
    d[choicelist] = select_adjoint(d[y], condlist, choicelist, default, False)
    d[default] = select_adjoint(d[y], condlist, choicelist, default, True)


declare_takes_tuple(np.choose, np.select)  # (their lists of choices, conditions)

declare_facts(take_adjoint, returns=Returns.NEW, shape_only=("a",))
declare_facts(take_along_axis_adjoint, returns=Returns.NEW, shape_only=("arr",))
declare_facts(sort_adjoint, returns=Returns.NEW)
declare_facts(choose_adjoint, select_adjoint, returns=Returns.MAY_SHARE)  # (a list of adjoints, or an array)
