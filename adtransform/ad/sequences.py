"""Reverse mode for lists and tuples built in the function (analysis/sequences.py finds them).

A list's adjoint is a list of its items' adjoints (runtime/sequences.py); its zero is `None`, so a
list nothing flowed into costs nothing. A display (`[a, b]`, `(a, b)`) hands each item the adjoint
at its position. A primitive given such a list differentiates it by its rule for lists: indexing,
joining and NumPy's reductions by the rules `SEQUENCE_FORMS` names, the functions that consume
lists (`np.stack`, `np.array`, `sum`, ...) by their own, those converting it with `np.asarray`
(`np.var(L)`, `np.exp(L)`: rules/conversions.py) by their rule for the array made of it; any other is
refused, located, since its rule would give the list an array's adjoint.
"""

from __future__ import annotations

import operator
from typing import Any

from ..analysis.activity import Activity
from ..analysis.sequences import is_slice
from ..errors import Location, Problem
from ..ir.nodes import Callee, Const, If, Loop, Op, Operand, Stmt, Style, Var, walk
from ..ir.operands import known_value
from ..rules.conversions import converted
from ..rules.keywords import keyword_variant
from ..rules.sequences import SEQUENCE_FORMS, TAKES_SEQUENCES, list_getitem, list_getitem_sized
from ..rules.tuples import TupleResult, takes_tuple, tuple_result
from . import runtime_refs

__all__ = ["SEQUENCE_FORMS", "convert_lists", "differentiate_display", "list_getitem", "list_getitem_sized",
           "name_fields", "rule_key", "take_lengths"]


def name_fields(body: list[Stmt]) -> None:
    """`r.logabsdet` of a named tuple a primitive returned (`r = np.linalg.slogdet(A)`, rules/tuples.py)
    becomes `r[1]`: the same value, which reverse mode differentiates as reading an item of a tuple."""
    made: dict[Var, TupleResult] = {}
    for stmt in walk(body):
        if not isinstance(stmt, Op):
            continue
        if stmt.callee.style in (Style.FUNCTION, Style.METHOD):
            found = tuple_result(stmt.callee.key, stmt.args, stmt.kwargs, known_value)
            if found is not None:
                made[stmt.result] = found
        elif stmt.callee.style is Style.COPY and isinstance(stmt.args[0], Var) and stmt.args[0] in made:
            made[stmt.result] = made[stmt.args[0]]  # (`q = r`)
    if not made:
        return
    for stmt in walk(body):
        if isinstance(stmt, Op) and stmt.callee.style is Style.ATTRIBUTE and stmt.args \
                and isinstance(stmt.args[0], Var) and stmt.args[0] in made:
            index = made[stmt.args[0]].field_index(stmt.callee.symbol)
            if index is not None:
                stmt.callee = Callee(operator.getitem, Style.SUBSCRIPT, symbol="[]")
                stmt.args = [stmt.args[0], Const(index)]


def convert_lists(body: list[Stmt], sequences: set[Var], active: Activity, namer: Any) -> None:
    """`np.var(L)` of a list `L` the function built, which NumPy converts with `np.asarray` first
    (rules/conversions.py): `A = sequence_array(L)` is put before the call, which is given `A`. The
    array's rule hands each item of `L` its part of the adjoint; the call's own rule does the rest.
    A primitive's tuple result (`np.linalg.svd(A)`, whose items' shapes differ) is not converted: a call
    given it is refused as before."""
    returned = {stmt.result for stmt in walk(body) if isinstance(stmt, Op) and stmt.result is not None
                and stmt.callee.style in (Style.FUNCTION, Style.METHOD)
                and tuple_result(stmt.callee.key, stmt.args, stmt.kwargs, known_value) is not None}

    def convert(op: Op, operand: Operand) -> tuple[Operand, list[Op]]:
        if not (isinstance(operand, Var) and operand in sequences and operand not in returned
                and active.is_active(operand)):
            return operand, []
        made = Var(namer.fresh(f"{operand.name}_array"))
        active.varied.add(made)
        active.useful.add(made)
        return made, [Op(made, runtime_refs.callee("sequence_array"), [operand], line=op.line, col=op.col,
                         sweep=op.sweep)]

    def visit(block: list[Stmt]) -> None:
        out: list[Stmt] = []
        for stmt in block:
            if isinstance(stmt, If):
                visit(stmt.then_body)
                visit(stmt.else_body)
            elif isinstance(stmt, Loop):
                visit(stmt.cond_body)
                visit(stmt.body)
            elif stmt.callee.style is Style.FUNCTION and active.is_active(stmt.result):
                # (`np.sum(L, where=m)`: its masked variant's rule converts, not the rule for lists)
                for where in converted(keyword_variant(stmt.callee.key, stmt.kwargs, known_value)):
                    if isinstance(where, int) and where < len(stmt.args):
                        stmt.args[where], made = convert(stmt, stmt.args[where])
                    elif isinstance(where, str) and where in stmt.kwargs:
                        stmt.kwargs[where], made = convert(stmt, stmt.kwargs[where])
                    else:
                        continue
                    out.extend(made)
            out.append(stmt)
        block[:] = out

    visit(body)


def take_lengths(body: list[Stmt], sequences: set[Var], active: Activity, namer: Any) -> dict[int, Var]:
    """Before each active `y = L[i]` (an integer index) of a list, `n = list_length(L)` in the forward
    sweep: the backward sweep reads `n` instead of `L`, so a loop records a number, not the list (which
    a later `append` changes in place, so recording it would keep a copy of it per iteration).
    Returns, by `id` of the read, the length taken before it."""
    lengths: dict[int, Var] = {}

    def visit(block: list[Stmt]) -> None:
        out: list[Stmt] = []
        for stmt in block:
            if isinstance(stmt, If):
                visit(stmt.then_body)
                visit(stmt.else_body)
            elif isinstance(stmt, Loop):
                visit(stmt.cond_body)
                visit(stmt.body)
            elif stmt.callee.style is Style.SUBSCRIPT and stmt.callee.key is operator.getitem \
                    and isinstance(stmt.args[0], Var) and stmt.args[0] in sequences \
                    and not is_slice(stmt.args[1]) and active.is_active(stmt.result):
                length = Var(namer.fresh(f"{stmt.args[0].name}_len"))
                out.append(Op(length, runtime_refs.callee("list_length"), [stmt.args[0]], line=stmt.line,
                              col=stmt.col, sweep=stmt.sweep))
                lengths[id(stmt)] = length
            out.append(stmt)
        block[:] = out

    visit(body)
    return lengths


def differentiate_display(builder: Any, op: Op, active: Activity) -> None:
    """`y = [a, b]`: `a` receives item 0 of `y`'s adjoint, `b` item 1 (a zero where none flowed)."""
    bar = builder.adjoints[op.result]
    for position, item in enumerate(op.args):
        if isinstance(item, Var) and active.is_active(item):
            contribution = builder.emit(runtime_refs.callee("sequence_item_adjoint"), [bar, Const(position), item],
                                        item, op.line)
            builder.accumulate(item, contribution, op.line)


def rule_key(op: Op, sequences: set[Var], mixed: set[Var], active: Activity,
             filename: str) -> tuple[Any, Problem | None]:
    """The primitive whose rule differentiates `op`, one of whose active arguments is a list built in
    the function, or why none does."""
    key = op.callee.key
    if op.callee.style is Style.SUBSCRIPT and isinstance(op.args[0], Var) and op.args[0] in mixed \
            and not is_slice(op.args[1]):
        return None, Problem(Location(filename, op.line or 0, op.col), f"`{op.args[0].name}[...]`", (
            "this list may hold both lists and arrays or numbers, so an item read from it may be either; "
            "keep the lists and the arrays in lists of their own"))
    if op.callee.style not in (Style.OPERATOR, Style.SUBSCRIPT) and (key in TAKES_SEQUENCES or takes_tuple(key)):
        return key, None
    form = SEQUENCE_FORMS.get(key)
    if form is not None:
        listed = [isinstance(a, Var) and a in sequences for a in op.args]
        # `a + b` joins two lists (a list plus an array adds elementwise); the others take the list first
        written = key is runtime_refs.runtime.index_update and is_slice(op.args[1])  # (`L[i:j] = M`: not yet)
        if (all(listed) if op.callee.style is Style.OPERATOR else listed[0] and not any(listed[1:])) and not written:
            return form, None
    what = f"call of `{op.callee}`" if op.callee.style in (Style.FUNCTION, Style.METHOD) else f"`{op.callee}`"
    return None, Problem(Location(filename, op.line or 0, op.col), what, (
        f"a list or tuple of differentiated values is passed to `{op.callee}`, which has no derivative rule "
        f"for lists; convert it to an array first (`np.stack(L)`, `np.array(L)`)"))
