"""Drop the length check of `a, b = t` where `t` is a primitive's tuple result of that length.

canonicalize/unpacking.py checks, when the function runs, that a value unpacked into n names has n
items, as Python does (`unpack_check`); `sign, logdet = np.linalg.slogdet(A)` always has two, by the
primitive's declaration (rules/tuples.py), so its check says nothing and goes.
Requires: nothing. Guarantees: every remaining `unpack_check` reads a value of unknown length.
Analyses: def-use (producers).
"""

from __future__ import annotations

from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, If, Loop, Op, Stmt, Style, Var, walk
from ..ir.operands import known_value
from ..rules.registry import RUNTIME
from ..rules.tuples import tuple_result
from ..runtime.sequences import unpack_check


def transform(fn: Function, cx: PassContext) -> bool:
    made = {op.result: op for op in walk(fn.body) if isinstance(op, Op) and op.result is not None}
    return _drop(fn.body, made)


def _drop(body: list[Stmt], made: dict[Var, Op]) -> bool:
    changed = False
    for stmt in list(body):
        if isinstance(stmt, If):
            changed |= _drop(stmt.then_body, made) | _drop(stmt.else_body, made)
        elif isinstance(stmt, Loop):
            changed |= _drop(stmt.cond_body, made) | _drop(stmt.body, made)
        elif _known_length(stmt, made):
            body.remove(stmt)
            changed = True
    return changed


def _known_length(op: Op, made: dict[Var, Op]) -> bool:
    if op.callee.key is not unpack_check or len(op.args) != 3 or not isinstance(op.args[0], Var):
        return False
    count, starred = op.args[1], op.args[2]
    producer = made.get(op.args[0])
    if producer is None or producer.callee.style not in (Style.FUNCTION, Style.METHOD):
        return False
    found = tuple_result(producer.callee.key, producer.args, producer.kwargs, known_value)
    if found is None or (found.unless is not None and _unknown(producer, found.unless)):
        return False
    n = len(found.fields)
    return isinstance(count, Const) and isinstance(starred, Const) \
        and (n >= count.value if starred.value else n == count.value)


def _unknown(producer: Op, unless: tuple) -> bool:
    """Whether the argument deciding if the result is a tuple is known only at run time."""
    name, position, _ = unless
    operand = producer.kwargs.get(name, producer.args[position] if position < len(producer.args) else None)
    return operand is not None and known_value(operand) is RUNTIME
