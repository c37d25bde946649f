"""Sequence values: which values of a function are lists or tuples built in it.

Reverse mode gives such a value a list of adjoints (one per item, `None` for none) instead of an
array or a number: their sum is the items' sum (`sequence_add`), never `+` (which would join the
lists), and their zero is `None`. A value is a sequence when it is a list or tuple display (`[a, b]`,
`(a, b)`, `[]`), a list with an item appended (`list_append`) or written (`L[i] = v`), a copy of a
sequence (`list(L)`, `L.copy()`), a slice of one, the join `a + b` of two, or a loop or branch
handing one on (on either path: the helpers check what they get at run time, so a value that is a
sequence on one path only is still handled right).

Pure: reads the function, changes nothing.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime
from ..ir.nodes import Const, Function, If, Index, Op, Operand, SliceItem, Style, Var, walk


def sequence_values(fn: Function) -> set[Var]:
    """The values of `fn` that are lists or tuples it builds (a fixed point over loops and branches)."""
    found: set[Var] = set()
    changed = True
    while changed:
        changed = False
        for stmt in walk(fn.body):
            if isinstance(stmt, Op):
                new = [stmt.result] if stmt.result is not None and _makes_sequence(stmt, found) else []
            elif isinstance(stmt, If):
                new = [r for r, a, b in zip(stmt.results, stmt.then_values, stmt.else_values)
                       if _in(a, found) or _in(b, found)]
            else:
                new = [v for c in stmt.carried if _in(c.init, found) or _in(c.next, found) for v in (c.param, c.result)]
            for var in new:
                if var not in found:
                    found.add(var)
                    changed = True
    return found


def is_slice(index: Operand) -> bool:
    """Whether `x[index]` is a slice of `x` (one slice item, not a tuple index)."""
    if isinstance(index, Index):
        return not index.is_tuple and len(index.items) == 1 and isinstance(index.items[0], SliceItem)
    return isinstance(index, Const) and isinstance(index.value, slice)


def _makes_sequence(op: Op, found: set[Var]) -> bool:
    style, key = op.callee.style, op.callee.key
    if style in (Style.LIST, Style.TUPLE):
        return True
    if key is runtime.list_append:
        return True
    if key is runtime.index_update:
        return _in(op.args[0], found)
    if style is Style.COPY or key in (runtime.writable_copy, np.ndarray.copy) \
            or (style is Style.FUNCTION and key in (list, tuple)):
        return _in(op.args[0], found)
    if style is Style.SUBSCRIPT and key is operator.getitem:
        return _in(op.args[0], found) and is_slice(op.args[1])
    if style is Style.OPERATOR and key is operator.add:
        return all(_in(a, found) for a in op.args)
    return False


def _in(operand: object, found: set[Var]) -> bool:
    return isinstance(operand, Var) and operand in found
