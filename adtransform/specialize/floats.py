"""Python floats raise where NumPy scalars give inf or nan: which code is exposed, and from where.

Scalar code computes with Python floats (passed in, or read from vectors as lists of floats by
scalar_reads.py); `1.0 / 0.0` or an overflowing `**` raise there, where the user's function,
computing with NumPy scalars, did not. Such calls are handed to the general version, which computes
the backward sweep's divisions and powers of Python numbers as NumPy does (runtime/floats.py).
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime
from ..ad import runtime_refs
from ..ir.nodes import Const, Function, If, Loop, Op, Stmt, Style, Sweep, Var, walk


def may_raise_on_floats(fn: Function) -> bool:
    """Whether the backward sweep divides or raises to a power Python numbers where NumPy's would
    give inf or nan: a rule's `x ** (y - 1)` or `0.5 / y` at 0.0, the adjoint `g / n` of the user's
    `np.sum(x) / n` at `n = 0` (its NumPy numerator did not raise; `g` may be a Python float)."""
    numbers, divisors = python_numbers(fn), frozenset(user_divisors(fn))
    return any(_risky(s, numbers, divisors) for s in walk(fn.body))


def _risky(s: Stmt, numbers: set[Var], divisors: frozenset[Var] = frozenset()) -> bool:
    """A power or a division of the backward sweep whose operands may both be Python numbers
    (`numbers`: else a NumPy scalar or an array makes it NumPy's), unless it cannot raise: a
    non-negative constant exponent (which overflows only where the user's own power did), a
    nonzero constant divisor, or a divisor the user's own `1 / b` proved nonzero (`divisors`)."""
    if not (isinstance(s, Op) and s.sweep is Sweep.ADJOINT and len(s.args) == 2
            and any(s.callee.key is k for k in _HELPERS)):
        return False
    if not all(isinstance(a, Const) or a in numbers for a in s.args):
        return False
    right = s.args[1]
    if s.callee.key is not operator.pow and not s.rule_division:
        return False  # (the user's `x / y`'s, where `x` is a Python number wherever `y` is: ad/reverse.py)
    if s.callee.key is operator.pow:
        return not (isinstance(right, Const) and isinstance(right.value, (int, float)) and right.value >= 0)
    return not ((isinstance(right, Const) and isinstance(right.value, (int, float)) and right.value != 0)
                or right in divisors)


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
    every |= {v for s in walk(fn.body) if isinstance(s, Loop) for v in (s.target, *(c.param for c in s.carried))}
    return every - numpys - {None}


def user_divisors(fn: Function) -> set[Var]:
    """What the user's own `/` divided a Python number by at the top level, run before the backward
    sweep: `1 / x` raised there at a Python zero (and at a NumPy zero, a rule's `g / x` is NumPy's).
    A NumPy numerator does not raise (`np.sum(x) / n` at `n = 0`): its divisor is not one."""
    pythons = {s.result for s in fn.body if isinstance(s, Op) and s.callee.style is Style.FUNCTION and (
        s.callee.key is float or s.callee.key is int or getattr(s.callee.key, "__module__", None) == "math")}
    return {s.args[1] for s in fn.body if isinstance(s, Op) and s.sweep is Sweep.PRIMAL and len(s.args) == 2
            and s.callee.style is Style.OPERATOR and s.callee.key is operator.truediv and isinstance(s.args[1], Var)
            and (_python_constant(s.args[0]) or s.args[0] in pythons)}


def _python_constant(operand: object) -> bool:
    return isinstance(operand, Const) and type(operand.value) in (int, float)


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


#: the backward sweep's operators on Python numbers, and the helpers computing them as NumPy does
_HELPERS = {operator.truediv: "divide_as_numpy", operator.floordiv: "floor_divide_as_numpy",
            operator.mod: "mod_as_numpy", operator.pow: "power_as_numpy"}


def numpy_arithmetic(body: list[Stmt], numbers: set[Var], divisors: frozenset[Var] = frozenset()) -> None:
    """Compute each power and division `may_raise_on_floats` finds as NumPy does (runtime/floats.py):
    in the general version (no faster one to fall back from), and in a function run for its effect
    (it prints, draws random numbers, raises) or a pullback, neither of which can be run again
    from the start when an operation raises, as other calls are (effects would be seen twice)."""
    for s in body:
        if isinstance(s, If):
            numpy_arithmetic(s.then_body, numbers, divisors)
            numpy_arithmetic(s.else_body, numbers, divisors)
        elif isinstance(s, Loop):
            numpy_arithmetic(s.cond_body, numbers, divisors)
            numpy_arithmetic(s.body, numbers, divisors)
        elif _risky(s, numbers, divisors):
            s.callee = runtime_refs.callee(_HELPERS[s.callee.key])


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
