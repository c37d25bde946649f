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
from collections.abc import Callable

import numpy as np

from .. import runtime
from ..ir.nodes import Const, Function, If, Index, Op, Operand, SliceItem, Style, Var, walk
from ..ir.operands import known_value
from ..rules.tuples import tuple_result


def sequence_values(fn: Function) -> set[Var]:
    """The values of `fn` that are lists or tuples it builds (a fixed point over loops and branches)."""
    return set(_depths(fn))


_DEEPEST = 8  # (`L.append(L)` would nest without end: deeper lists are taken to be this deep)


def _depths(fn: Function) -> dict[Var, int]:
    """How deep each sequence value nests at most: 1 for a list of arrays or numbers, 2 for a list
    holding such lists (`rows.append(row)`), ... An item read with an integer (`rows[i]`) of a list
    nesting deeper than 1 is a sequence too."""
    depth: dict[Var, int] = {}
    changed = True
    while changed:
        changed = False
        for stmt in walk(fn.body):
            if isinstance(stmt, Op):
                new = [(stmt.result, _op_depth(stmt, depth))] if stmt.result is not None else []
            elif isinstance(stmt, If):
                new = [(r, max(_depth(a, depth), _depth(b, depth)))
                       for r, a, b in zip(stmt.results, stmt.then_values, stmt.else_values)]
            else:
                new = [(v, max(_depth(c.init, depth), _depth(c.next, depth)))
                       for c in stmt.carried for v in (c.param, c.result)]
            for var, d in new:
                d = min(d, _DEEPEST)
                if d > depth.get(var, 0):
                    depth[var] = d
                    changed = True
    return depth


def mixed_sequences(fn: Function) -> set[Var]:
    """The sequence values that may hold both lists and other values (`[x, [a, b]]`): an item read
    from one with an integer may be either, so the list rules cannot tell which adjoint it takes."""
    depth = _depths(fn)
    kinds: dict[Var, frozenset[str]] = {}

    def kind(operand: object) -> frozenset[str]:
        return frozenset({"list" if _depth(operand, depth) else "other"})

    def held(operand: object) -> frozenset[str]:
        return kinds.get(operand, frozenset()) if isinstance(operand, Var) else frozenset()

    changed = True
    while changed:
        changed = False
        for stmt in walk(fn.body):
            if isinstance(stmt, Op):
                new = [(stmt.result, _op_kinds(stmt, depth, kind, held))] if stmt.result in depth else []
            elif isinstance(stmt, If):
                new = [(r, held(a) | held(b)) for r, a, b in zip(stmt.results, stmt.then_values, stmt.else_values)]
            else:
                new = [(v, held(c.init) | held(c.next)) for c in stmt.carried for v in (c.param, c.result)]
            for var, found in new:
                if not found <= kinds.get(var, frozenset()):
                    kinds[var] = kinds.get(var, frozenset()) | found
                    changed = True
    return {var for var, found in kinds.items() if len(found) > 1}


def _op_kinds(op: Op, depth: dict[Var, int], kind: Callable[[object], frozenset[str]],
              held: Callable[[object], frozenset[str]]) -> frozenset[str]:
    """What kinds of item (`list`, `other`) the sequence `op` makes may hold."""
    style, key = op.callee.style, op.callee.key
    if style in (Style.LIST, Style.TUPLE):
        return frozenset().union(*(kind(a) for a in op.args))
    if key is runtime.list_append:
        return held(op.args[0]) | kind(op.args[1])
    if key is runtime.index_update:
        return held(op.args[0]) | kind(op.args[2])
    if style is Style.SUBSCRIPT and not is_slice(op.args[1]):  # an item: its own items, by its depth
        return frozenset({"list" if depth.get(op.result, 0) > 1 else "other"})
    return frozenset().union(*(held(a) for a in op.args))


def is_slice(index: Operand) -> bool:
    """Whether `x[index]` is a slice of `x` (one slice item, not a tuple index)."""
    if isinstance(index, Index):
        return not index.is_tuple and len(index.items) == 1 and isinstance(index.items[0], SliceItem)
    return isinstance(index, Const) and isinstance(index.value, slice)


def _op_depth(op: Op, depth: dict[Var, int]) -> int:
    """How deep `op`'s result nests as a sequence (0: not a sequence built in the function)."""
    style, key = op.callee.style, op.callee.key
    first = _depth(op.args[0], depth) if op.args else 0
    if style in (Style.LIST, Style.TUPLE):
        return 1 + max((_depth(a, depth) for a in op.args), default=0)
    if key is runtime.list_append or (key is runtime.index_update and first):
        return max(first, 1 + _depth(op.args[1 if key is runtime.list_append else 2], depth), 1)
    if style is Style.COPY or key in (runtime.writable_copy, np.ndarray.copy) \
            or (style is Style.FUNCTION and key in (list, tuple)):
        return first
    if style is Style.SUBSCRIPT and key is operator.getitem:
        return first if is_slice(op.args[1]) else max(first - 1, 0)
    if style is Style.OPERATOR and key is operator.add and all(_depth(a, depth) for a in op.args):
        return max(_depth(a, depth) for a in op.args)
    if style in (Style.FUNCTION, Style.METHOD) and tuple_result(key, op.args, op.kwargs, known_value):
        return 1  # a primitive returning a tuple of arrays (`np.linalg.slogdet`): rules/tuples.py
    return 0


def _depth(operand: object, depth: dict[Var, int]) -> int:
    if isinstance(operand, Const) and isinstance(operand.value, (tuple, list)) and not operand.value:
        return 1  # `t = ()` a loop then joins tuples to: a sequence
    return depth.get(operand, 0) if isinstance(operand, Var) else 0


def _in(operand: object, found: set[Var]) -> bool:
    return isinstance(operand, Var) and operand in found
