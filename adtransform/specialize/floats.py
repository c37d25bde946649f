"""Python floats raise where NumPy scalars give inf or nan: which code is exposed, and from where.

Scalar code computes with Python floats (passed in, or read from vectors as lists of floats by
scalar_reads.py); `1.0 / 0.0` or an overflowing `**` raise there, where the user's function,
computing with NumPy scalars, did not. Such calls are handed to the general version.
"""

from __future__ import annotations

import math
import operator

from ..ir.nodes import Const, Function, Op, Style, Sweep, walk


def may_raise_on_floats(fn: Function) -> bool:
    """Whether the backward sweep raises a power of a Python float that NumPy computes: a rule's
    `x ** (y - 1)` at `x = 0.0` (ZeroDivisionError) where the user's `x ** y` did not raise."""
    for s in walk(fn.body):
        if isinstance(s, Op) and s.sweep is Sweep.ADJOINT and s.callee.key in (operator.pow, math.pow) \
                and len(s.args) == 2:
            exponent = s.args[1]
            if not (isinstance(exponent, Const) and isinstance(exponent.value, (int, float))
                    and exponent.value >= 0):
                return True
    return False


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
