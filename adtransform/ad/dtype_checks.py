"""Run-time checks that a call whose dtype is known only at run time makes no complex value.

The derivative rules take no conjugates: a complex intermediate gives a wrong gradient. frontend/fence.py
refuses the complex dtypes it can see when it transforms (`dtype=complex`, `"D"`, a global `"complex128"`);
a dtype computed at run time (`x.astype(x.dtype.str.replace("f", "c"))`) or read from a global string the
user may rebind later (a string is guarded by its type only) is checked where the call is made: any call
with a `dtype` parameter given a value other than a constant, a class or a dtype (those are guarded by
identity or by their type, which says their kind) gets `ensure_real(result, where)` right after it. This
covers every such primitive (constructors, `astype`, reductions' `dtype=`) whatever rule it has; the
common call, with a constant dtype or none, pays nothing.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ..errors import Location
from ..ir.nodes import Const, Global, If, Loop, Op, Operand, Stmt, Style, Var, walk
from . import runtime_refs


def check_runtime_dtypes(body: list[Stmt], filename: str) -> None:
    """Insert `ensure_real` after each call of `body` (nested blocks too) whose dtype is a run-time value."""
    dtype_of = {op.result: op for op in walk(body) if isinstance(op, Op) and op.result is not None
                and op.callee.style is Style.ATTRIBUTE and op.callee.symbol == "dtype"}
    _insert(body, filename, dtype_of)


def _insert(block: list[Stmt], filename: str, dtype_of: dict[Var, Op]) -> None:
    for at in reversed(range(len(block))):
        stmt = block[at]
        if isinstance(stmt, If):
            _insert(stmt.then_body, filename, dtype_of)
            _insert(stmt.else_body, filename, dtype_of)
        elif isinstance(stmt, Loop):
            _insert(stmt.cond_body, filename, dtype_of)
            _insert(stmt.body, filename, dtype_of)
        elif stmt.result is not None and _runtime_dtype(_dtype_operand(stmt), dtype_of):
            where = f"{Location(filename, stmt.line or 0, stmt.col)}: `{stmt.callee}`"
            block.insert(at + 1, runtime_refs.check_op("ensure_real", [stmt.result, Const(where)], line=stmt.line))


def _dtype_operand(op: Op) -> Operand | None:
    if "dtype" in op.kwargs:
        return op.kwargs["dtype"]
    if op.callee.style not in (Style.FUNCTION, Style.METHOD):
        return None
    position = _dtype_position(op.callee.key)
    return op.args[position] if position is not None and position < len(op.args) else None


def _runtime_dtype(operand: Operand | None, dtype_of: dict[Var, Op]) -> bool:
    """A dtype only known at run time: a computed value (not another array's `.dtype`: arrays in the
    function are real) or a global holding data (a string), not a class or a dtype."""
    if isinstance(operand, Var):
        return operand not in dtype_of
    if isinstance(operand, Global):
        return not isinstance(operand.ref.obj, (type, np.dtype)) and operand.ref.obj is not None
    return False


@functools.cache
def _position_of(key: object) -> int | None:
    try:
        names = list(inspect.signature(key).parameters)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return names.index("dtype") if "dtype" in names else None


def _dtype_position(key: object) -> int | None:
    """Where a callable takes `dtype` by position (a method's receiver counts), None if it takes none."""
    try:
        return _position_of(key)
    except TypeError:  # (an unhashable callable)
        return None
