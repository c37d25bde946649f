"""Python floats raise where NumPy scalars give inf or nan: which code is exposed, and from where.

Scalar code computes with Python floats (passed in, or read from vectors as lists of floats by
scalar_reads.py); `1.0 / 0.0` or an overflowing `**` raise there, where the user's function,
computing with NumPy scalars, did not. Such calls are handed to the general version.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .. import runtime
from ..ad import runtime_refs
from ..ir.nodes import Const, Function, If, Loop, Op, Stmt, Style, Sweep, Var, walk
from ..syntax.naming import Namer


def may_raise_on_floats(fn: Function) -> bool:
    """Whether the backward sweep raises a power of a Python float that NumPy computes: a rule's
    `x ** (y - 1)` at `x = 0.0` (ZeroDivisionError) where the user's `x ** y` did not raise."""
    made_numpy = {s.result for s in walk(fn.body) if isinstance(s, Op) and s.callee.key is runtime.numpy_float}
    numbers, divisors = python_numbers(fn) - made_numpy, frozenset(user_divisors(fn))
    return any(_risky_power(s, numbers, divisors) and s.args[0] not in made_numpy for s in walk(fn.body))


def _risky_power(s: Stmt, numbers: set[Var] | None = None, divisors: frozenset[Var] = frozenset()) -> bool:
    """A power or a division of the backward sweep that raises on Python floats where NumPy gives inf
    or nan: `x ** (y - 1)` at `x = 0.0`; a rule's `g / x` (np.log's) or `g / (x * (1 - x))` (logit's)
    at the ends of the domain, where the user's call gave -inf or inf, when both operands may be Python
    numbers (`numbers`: else a NumPy scalar or an array makes the division NumPy's)."""
    if not (isinstance(s, Op) and s.sweep is Sweep.ADJOINT and len(s.args) == 2):
        return False
    if s.callee.key in (operator.pow, math.pow):
        exponent = s.args[1]
        return not (isinstance(exponent, Const) and isinstance(exponent.value, (int, float))
                    and exponent.value >= 0)
    if s.rule_division and s.callee.key in _DIVISIONS:
        divisor = s.args[1]
        if (isinstance(divisor, Const) and isinstance(divisor.value, (int, float)) and divisor.value != 0) \
                or divisor in divisors:
            return False
        return numbers is None or all(isinstance(a, Const) or a in numbers for a in s.args)
    return False


def python_numbers(fn: Function) -> set[Var]:
    """The values of `fn` that may be Python numbers: everything but what a NumPy function returns
    (a NumPy scalar or an array) and arithmetic with one of those (NumPy's too)."""
    numpys: set[Var] = set()
    changed = True
    while changed:
        changed = False
        for s in walk(fn.body):
            if not isinstance(s, Op) or s.result is None or s.result in numpys:
                continue
            if _numpy_result(s) or (s.callee.style is Style.OPERATOR and any(a in numpys for a in s.args)):
                numpys.add(s.result)
                changed = True
    every = {v for s in walk(fn.body) for v in s.defines()} | set(fn.param_vars()) | {fn.pullback_param}
    return every - numpys - {None}


def user_divisors(fn: Function) -> set[Var]:
    """What the user's own `/` divided by at the top level, run before the backward sweep: a zero there
    raised in the user's function too (the lecture's `1 / x` before np.log's rule's `g / x`)."""
    return {s.args[1] for s in fn.body if isinstance(s, Op) and s.sweep is Sweep.PRIMAL and len(s.args) == 2
            and s.callee.style is Style.OPERATOR and s.callee.key is operator.truediv and isinstance(s.args[1], Var)}


def _numpy_result(s: Op) -> bool:
    """A NumPy or SciPy function's result: an array or a NumPy scalar (not `np.size`'s int)."""
    key = s.callee.key
    if s.callee.style is not Style.FUNCTION or any(key is f for f in _PYTHON_RESULTS):
        return False
    if key is runtime.reduced_size:
        return True  # (a Python int but never 0: an empty reduction's is NumPy's)
    module = getattr(key, "__module__", None) or ""
    return isinstance(key, np.ufunc) or module.split(".")[0] in ("numpy", "scipy")


_PYTHON_RESULTS = (np.size, np.ndim, np.shape, np.isscalar, np.iterable)


_DIVISIONS = (operator.truediv, operator.floordiv, operator.mod)


def numpy_powers(body: list[Stmt], namer: Namer, numbers: set[Var]) -> None:
    """Make the base of each power `may_raise_on_floats` finds a NumPy float (`numpy_float`), which
    gives inf or nan where a Python float raises: for a function run for its effect (it prints,
    draws random numbers, raises), which cannot be run again from the start when a power raises,
    as other calls are (its effects would be seen twice)."""
    for at in reversed(range(len(body))):
        s = body[at]
        if isinstance(s, If):
            numpy_powers(s.then_body, namer, numbers)
            numpy_powers(s.else_body, namer, numbers)
        elif isinstance(s, Loop):
            numpy_powers(s.cond_body, namer, numbers)
            numpy_powers(s.body, namer, numbers)
        elif _risky_power(s, numbers):
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
