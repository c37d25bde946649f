"""The backward sweep's divisions and powers of Python numbers, computed as NumPy computes them.

A Python float raises (ZeroDivisionError, OverflowError) where a NumPy float gives inf or nan: a
rule's `0.5 / y` at `math.sqrt(0.0)`, the adjoint `g / n` of the user's `np.sum(x) / n` at `n = 0`.
The user's call did not raise there, so neither may its gradient. The general version of a gradient
calls these for such operations (specialize/floats.py); the fast one runs plain operators and hands
the call to the general version when one raises. Only two Python numbers are converted: a NumPy
operand already makes the operation NumPy's, and a float64 scalar would widen a float32 array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_PYTHON_NUMBERS = (float, int, bool)


def _python(a: Any, b: Any) -> bool:
    return type(a) in _PYTHON_NUMBERS and type(b) in _PYTHON_NUMBERS


def divide_as_numpy(a: Any, b: Any) -> Any:
    """`a / b`; for two Python numbers, inf or nan where Python raises (a zero divisor)."""
    if _python(a, b) and not b:
        return np.float64(a) / np.float64(b)
    return a / b


def floor_divide_as_numpy(a: Any, b: Any) -> Any:
    """`a // b`; for two Python numbers, NumPy's value where Python raises (a zero divisor)."""
    if _python(a, b) and not b:
        return np.float64(a) // np.float64(b)
    return a // b


def mod_as_numpy(a: Any, b: Any) -> Any:
    """`a % b`; for two Python numbers, NumPy's value where Python raises (a zero divisor)."""
    if _python(a, b) and not b:
        return np.float64(a) % np.float64(b)
    return a % b


def power_as_numpy(a: Any, b: Any) -> Any:
    """`a ** b`; for two Python numbers, inf or nan where Python raises (`0.0 ** -0.5`, an overflow)."""
    if _python(a, b):
        try:
            return a ** b
        except (ZeroDivisionError, OverflowError):
            return np.float64(a) ** np.float64(b)
    return a ** b
