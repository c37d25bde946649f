"""Python floats raise where NumPy scalars give inf or nan: which code is exposed, and from where.

Scalar code computes with Python floats (passed in, or read from vectors as lists of floats by
scalar_reads.py); `1.0 / 0.0` or an overflowing `**` raise there, where the user's function,
computing with NumPy scalars, did not. Such calls are handed to the general version.
"""

from __future__ import annotations

import math
import operator

from .. import runtime
from ..ad import runtime_refs
from ..ir.nodes import Const, Function, If, Loop, Op, Stmt, Style, Sweep, Var, walk
from ..syntax.naming import Namer


def may_raise_on_floats(fn: Function) -> bool:
    """Whether the backward sweep raises a power of a Python float that NumPy computes: a rule's
    `x ** (y - 1)` at `x = 0.0` (ZeroDivisionError) where the user's `x ** y` did not raise."""
    made_numpy = {s.result for s in walk(fn.body) if isinstance(s, Op) and s.callee.key is runtime.numpy_float}
    return any(_risky_power(s) and s.args[0] not in made_numpy for s in walk(fn.body))


def _risky_power(s: Stmt) -> bool:
    if isinstance(s, Op) and s.sweep is Sweep.ADJOINT and s.callee.key in (operator.pow, math.pow) \
            and len(s.args) == 2:
        exponent = s.args[1]
        return not (isinstance(exponent, Const) and isinstance(exponent.value, (int, float))
                    and exponent.value >= 0)
    return False


def numpy_powers(body: list[Stmt], namer: Namer) -> None:
    """Make the base of each power `may_raise_on_floats` finds a NumPy float (`numpy_float`), which
    gives inf or nan where a Python float raises: for a function run for its effect (it prints,
    draws random numbers, raises), which cannot be run again from the start when a power raises,
    as other calls are (its effects would be seen twice)."""
    for at in reversed(range(len(body))):
        s = body[at]
        if isinstance(s, If):
            numpy_powers(s.then_body, namer)
            numpy_powers(s.else_body, namer)
        elif isinstance(s, Loop):
            numpy_powers(s.cond_body, namer)
            numpy_powers(s.body, namer)
        elif _risky_power(s):
            base = s.args[0]
            made = Var(namer.fresh(f"{getattr(base, 'name', 'base')}_numpy"))
            body.insert(at, Op(made, runtime_refs.callee("numpy_float"), [base], line=s.line, sweep=s.sweep))
            s.args[0] = made


def reads_python_floats(fn: Function) -> bool:
    """Whether `fn` reads a vector as a list of Python floats (scalar_reads.py)."""
    return any(isinstance(s, Op) and s.callee.style is Style.FUNCTION and getattr(s.callee.ref, "path", None)
               == ("float_items",) for s in fn.body)


def protected_from(fn: Function) -> int | None:
    """The first statement of `fn.body` whose Python floats may raise where NumPy's would not, or
    None: past the version's check (the checks of the arguments raise by design), for the calls of
    a function returning its results (a pullback runs after the call has returned)."""
    if fn.pullback_param is not None or not (reads_python_floats(fn) or may_raise_on_floats(fn)):
        return None
    if fn.guard is not None:
        return next(i for i, s in enumerate(fn.body) if isinstance(s, Op) and s.result is fn.guard) + 1
    return next((i for i, s in enumerate(fn.body) if not (isinstance(s, Op) and s.sweep is Sweep.CHECK)),
                len(fn.body))
