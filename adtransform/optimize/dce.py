"""Dead code elimination: drop pure operations whose results nobody reads.

Requires: nothing. Guarantees: every remaining pure op's result is used by a
later op or returned; an `if` keeps only the results someone reads, a loop
only the carried values someone reads (after the loop, or in a later
iteration), and either disappears when nothing in it is needed. Calls of
unknown functions stay (they may print or draw random numbers, as the
user's function did), and so does an operation of f that may raise on the
values it gets (`math.log(c)`, `np.linalg.inv(A)`, a division of Python
numbers), even where a gradient reads it only for f's value: where f raises,
its gradient raises too (`raises_on_values`; optimize/validations.py keeps more
of what f itself leaves unread).
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable

import numpy as np

from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, If, Loop, Op, Stmt, Style, Sweep, Var
from ..specialize.floats import python_numbers
from .purity import is_pure

# Given a dead pure operation: whether to keep it instead (it is then marked `validates`).
Keep = Callable[[Op], bool] | None


def transform(fn: Function, cx: PassContext, keep: Keep = None) -> bool:
    keep = keep or raises_on_values(fn)
    live: set[Var] = {r for r in fn.returns if isinstance(r, Var)}
    if fn.pullback_param is not None:
        live.add(fn.pullback_param)
    before = _count(fn.body)
    fn.body = _sweep(fn.body, live, mutate=True, keep=keep)
    return _count(fn.body) != before


def _count(body: list[Stmt]) -> int:
    total = 0
    for s in body:
        total += 1
        if isinstance(s, If):
            total += _count(s.then_body) + _count(s.else_body) + len(s.results)
        elif isinstance(s, Loop):
            total += _count(s.cond_body) + _count(s.body) + len(s.carried)
    return total


def _sweep(body: list[Stmt], live: set[Var], mutate: bool, keep: Keep = None) -> list[Stmt]:
    """Walk backwards adding what is read to `live`; with `mutate`, drop what is dead."""
    kept: list[Stmt] = []
    for stmt in reversed(body):
        if isinstance(stmt, If):
            if not _branch(stmt, live, mutate, keep):
                continue
        elif isinstance(stmt, Loop):
            if not _loop(stmt, live, mutate, keep):
                continue
        else:
            if stmt.result is not None and stmt.result not in live and is_pure(stmt):
                if keep is None or not keep(stmt):
                    continue
                if mutate:  # (a loop's tentative sweeps keep it too, so what it reads stays carried)
                    stmt.validates = True
            live.update(stmt.uses())
        kept.append(stmt)
    kept.reverse()
    return kept if mutate else body


def _branch(stmt: If, live: set[Var], mutate: bool, keep: Keep) -> bool:
    needed = [i for i, r in enumerate(stmt.results) if r in live]
    lives = []
    for values, attr in ((stmt.then_values, "then_body"), (stmt.else_values, "else_body")):
        inner = set(live) | {values[i] for i in needed if isinstance(values[i], Var)}
        new = _sweep(getattr(stmt, attr), inner, mutate, keep)
        if mutate:
            setattr(stmt, attr, new)
        lives.append(inner)
    if mutate:
        stmt.results = [stmt.results[i] for i in needed]
        stmt.then_values = [stmt.then_values[i] for i in needed]
        stmt.else_values = [stmt.else_values[i] for i in needed]
        if not stmt.results and not stmt.then_body and not stmt.else_body:
            return False
    for inner in lives:
        live.update(inner)
    if isinstance(stmt.cond, Var):
        live.add(stmt.cond)
    return True


def _loop(stmt: Loop, live: set[Var], mutate: bool, keep: Keep) -> bool:
    # Fixed point: a carried value is needed if read after the loop or by a needed part of an iteration.
    needed = {id(c) for c in stmt.carried if c.result in live}
    while True:
        inner = set(live) | {c.next for c in stmt.carried if id(c) in needed and isinstance(c.next, Var)}
        if isinstance(stmt.cond, Var):
            inner.add(stmt.cond)
        _sweep(stmt.body, inner, mutate=False, keep=keep)
        _sweep(stmt.cond_body, inner, mutate=False, keep=keep)
        more = {id(c) for c in stmt.carried if c.param in inner} - needed
        if not more:
            break
        needed |= more
    if mutate:
        stmt.carried = [c for c in stmt.carried if id(c) in needed]
        inner = set(live) | {c.next for c in stmt.carried if isinstance(c.next, Var)}
        if isinstance(stmt.cond, Var):
            inner.add(stmt.cond)
        stmt.body = _sweep(stmt.body, inner, mutate=True, keep=keep)
        stmt.cond_body = _sweep(stmt.cond_body, inner, mutate=True, keep=keep)
        if not stmt.carried and not stmt.body and not stmt.cond_body and stmt.kind.name == "RANGE":
            return False
    live.update(inner)
    live.update(v for v in stmt.iter_args if isinstance(v, Var))
    live.update(c.init for c in stmt.carried if isinstance(c.init, Var))
    return True


# Python's operators that raise on numbers where NumPy gives inf or nan (ZeroDivisionError, OverflowError).
_RAISING_OPERATORS = (operator.truediv, operator.floordiv, operator.mod, operator.pow)
_TOTAL_MODULES = ("numpy", "scipy.special", "scipy.stats", "adtransform")


def raises_on_values(fn: Function) -> Callable[[Op], bool]:
    """Whether an operation of f may raise on the values it gets: a function outside NumPy's array
    functions (`math.log`, `np.linalg.inv`, `float(a)`, `scipy.linalg`), or `/`, `//`, `%`, `**` whose
    operands may all be Python numbers (specialize/floats.py: what no NumPy function made)."""
    numbers: set[Var] | None = None

    def keep(op: Op) -> bool:
        nonlocal numbers
        if op.sweep is not Sweep.PRIMAL:
            return False
        if op.callee.style is Style.FUNCTION:
            return _may_raise_on_values(op.callee.key)
        if op.callee.style is not Style.OPERATOR or op.callee.key not in _RAISING_OPERATORS or len(op.args) != 2:
            return False
        by = op.args[1].value if isinstance(op.args[1], Const) else None
        if isinstance(by, (int, float)) and (by >= 0 if op.callee.key is operator.pow else by != 0):
            return False  # a nonzero constant divisor; a power by a constant (only overflows past 1e154)
        if numbers is None:
            numbers = python_numbers(fn)
        return all(isinstance(a, Const) or a in numbers for a in op.args)
    return keep


def _may_raise_on_values(key: object) -> bool:
    if isinstance(key, np.ufunc) or key in (builtins.abs, builtins.len, builtins.round):
        return False
    module = getattr(key, "__module__", None) or ""
    return module.startswith(("numpy.linalg", "scipy.linalg")) or not module.startswith(_TOTAL_MODULES)
