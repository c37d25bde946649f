"""Zero gradients, gradients in their parameter's dtype, and adjoints of elementwise primitives.

The shares of `max`, `fmax` and `clip` (1/2 on ties), the extremum reductions' adjoint, and the
float promotion the general version of a gradient applies to Python floats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import _shape, adjoint_dtype
from .checks import Unassigned

_SCALARS = (float, int, np.floating, np.integer)
_NDARRAY = np.ndarray  # (`np.ndarray` is a module attribute lookup each time: numpy's `__getattr__`)
_NAN = float("nan")


def zeros_like(x: Any) -> Any:
    """The zero gradient with `x`'s shape and dtype (built only when a caller must receive it)."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, _SCALARS):
        return type(x)(0)
    return 0.0 if type(x) is Unassigned else np.zeros_like(x)  # (a loop's variable before its first trip)


def full_like(x: Any, value: Any) -> Any:
    if isinstance(x, np.ndarray):
        return np.full_like(x, value)
    return type(x)(value) if isinstance(x, _SCALARS) else np.full_like(x, value)


def copy_gradient(g: Any, x: Any) -> Any:
    """A gradient that would alias an input (or a global) is copied, so callers may mutate it;
    the copy has the parameter's dtype (see `as_gradient`)."""
    if isinstance(g, np.ndarray):
        return g.astype(x.dtype) if isinstance(x, np.ndarray) else g.copy()
    return as_gradient(g, x)


def as_gradient(g: Any, x: Any) -> Any:
    """`g` in the dtype of the parameter `x` it is the gradient of.

    The user's own code may compute in a wider type (`np.float64(2.0) ** x`, `math.cos(x)` of a
    float32 `x`); the gradient still belongs to `x`: float32 stays float32. A Python float
    parameter gets a Python float (not float32 from a float32 array it met). The common cases
    (a Python float, an array whose gradient already has its dtype) return after type tests.
    """
    kind = type(x)
    if kind is float:
        return g if type(g) is float else float(g)
    if kind is _NDARRAY:
        dtype = x.dtype
        return g if getattr(g, "dtype", None) is dtype else np.asarray(g, dtype=dtype)
    dtype = getattr(x, "dtype", None)
    if dtype is None or getattr(g, "dtype", None) is dtype:  # (other numbers: as they are)
        return g
    if isinstance(x, np.ndarray):
        return np.asarray(g, dtype=dtype)
    return dtype.type(g) if isinstance(x, np.generic) else g


def tie_share(a: Any, b: Any) -> Any:
    """d max(a, b) / da: 1 where a wins, 0 where b wins, 1/2 on ties (as JAX does); NaN where
    either is NaN (so is the maximum), for Python scalars as for arrays."""
    if isinstance(a, _SCALARS) and isinstance(b, _SCALARS):
        return 1.0 if a > b else (0.0 if a < b else (0.5 if a == b else _NAN))
    if type(b) is float and b == 0.0 and type(a) is _NDARRAY and a.dtype.kind == "f":
        return _half_step(np.sign(a))  # (np.maximum(h, 0.0): a - 0.0 is a, signed zeros and NaN alike)
    # heaviside(a - b, 1/2), float32 staying float32, in the new array a - b.
    diff = np.subtract(a, b)
    in_place = type(diff) is np.ndarray and diff.dtype.kind == "f"
    return _half_step(np.sign(diff, out=diff)) if in_place else np.heaviside(diff, 0.5)


def _half_step(s: np.ndarray) -> np.ndarray:
    """heaviside(x, 1/2) from s = sign(x) (-1, 0, 1 or NaN), in `s`'s buffer: (s + 1) / 2, exact.
    (np.heaviside is a scalar loop: about 9x slower than these three vectorised passes on large arrays.)"""
    if type(s) is not _NDARRAY:  # (a 0-d array's sign is a NumPy scalar)
        return (s + 1.0) * 0.5
    np.add(s, 1.0, out=s)
    return np.multiply(s, 0.5, out=s)


def fmax_share(a: Any, b: Any) -> Any:
    """d fmax(a, b) / da: `tie_share`, except that a NaN loses (fmax returns the other operand);
    of two NaNs, neither gets the derivative (the result is NaN)."""
    if isinstance(a, _SCALARS) and isinstance(b, _SCALARS):
        if a != a:
            return 0.0
        return 1.0 if (a > b or b != b) else (0.5 if a == b else 0.0)
    share = np.heaviside(np.subtract(a, b), 0.5)  # nan where either is NaN
    return np.where(np.isnan(a), 0.0, np.where(np.isnan(b), 1.0, share))


def floor_quotient(x: Any, y: Any) -> Any:
    """floor(x / y), the integer `x % y` takes away: `x // y`, which Python and NumPy compute
    consistently with `%`. For string formatting (`"%.2f" % y`) the result is text, piecewise
    constant in `y`: 0."""
    if isinstance(x, (str, bytes)):
        return 0.0
    return x // y


def clip_share(a: Any, lo: Any, hi: Any, of: int) -> Any:
    """d clip(a, lo, hi) / d(a, lo, hi)[of]: NumPy defines clip as minimum(maximum(a, lo), hi),
    so the shares are those of `tie_share` (1/2 on ties, as JAX's clip); a bound of None is absent."""
    m = a if lo is None else np.maximum(a, lo)
    if of == 2:
        return tie_share(m, hi)
    upper = 1.0 if hi is None else tie_share(hi, m)
    if lo is None:
        return upper
    return upper * (tie_share(a, lo) if of == 0 else tie_share(lo, a))


#: the largest count of ties each float type holds exactly (its integers are exact up to 2 ** (mantissa + 1))
_EXACT = {np.dtype(t): 2 ** (np.finfo(t).nmant + 1) for t in (np.float16, np.float32, np.float64)}


def extremum_adjoint(g: Any, x: Any, y: Any, axis: Any = None, keepdims: bool = False, where: Any = True) -> Any:
    """Adjoint of max/min reductions: split equally among the elements that attain the extremum.

    None attains it where `initial=` wins (or the input holds a NaN): those outputs pass no
    derivative to `x`. Elements a `where=` mask leaves out take no part. An element that does not
    attain it gets 0 even from an infinite `g` (`sqrt(max(x, initial=0))` at 0: x is constant there).
    """
    shape = _shape(x)
    if not shape:
        picked = (x == y) & where
        if picked or np.all(np.isfinite(g)):
            return g * picked
        return 0.0 if isinstance(g, float) else np.zeros_like(g)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        y = np.expand_dims(y, axis)
    # One array of x's shape: the mask, in the adjoint's dtype, scaled in place by each output's share.
    dtype = adjoint_dtype(g, x)
    share = np.equal(x, y, out=np.empty(shape, dtype=dtype))
    if where is not True:
        np.multiply(share, where, out=share)
    # (counted in floats without a boolean copy as count_nonzero makes: in the adjoint's own float
    # type when it holds every count exactly, so that g / count is computed in place; else float64)
    counted = dtype if dtype.kind == "f" and share.size <= _EXACT.get(dtype, 0) * max(np.size(y), 1) else np.float64
    count = np.sum(share, axis=axis, keepdims=True, dtype=counted if dtype.kind == "f" else None)
    np.maximum(count, 1, out=count)
    if count.dtype == dtype and np.shape(g) in ((), count.shape):
        part = np.divide(g, count, out=count)  # (`g / count` has count's shape and dtype)
    else:
        part = g / count.astype(dtype)
    if np.all(np.isfinite(part)):  # (one value per output: cheap)
        share *= part
    else:  # 0 * inf is NaN: where the element does not attain the extremum, 0 instead
        np.multiply(share, part, out=share, where=share != 0)
    return share


def has_python_floats(*values: Any) -> bool:
    """Whether an argument is a Python float (arithmetic on it raises where NumPy's gives inf or nan)."""
    return any(type(v) is float for v in values)


def numpy_float(x: Any) -> Any:
    """A Python float as a NumPy float64 (which gives inf or nan where a Python float raises); else `x`.

    Only for a call that raised with Python floats: NumPy scalars promote float32 arrays to float64.
    """
    return np.float64(x) if type(x) is float else x


def python_max_share(a: Any, b: Any, smaller: bool = False) -> float:
    """d max(a, b) / da as Python's `max` computes it (`min` with `smaller`): `b` is returned only when
    `b > a` (`b < a`), so a NaN `b` leaves `a` the result and its derivative; a tie splits it (as
    np.maximum and JAX do). Python compares the values whole, so they are numbers or size-1 arrays."""
    if bool(b < a) if smaller else bool(b > a):
        return 0.0
    return 0.5 if bool(a == b) else 1.0


def python_pick_adjoint(g: Any, x: Any, share: float) -> Any:
    """`share` of `g` for `x`, one of the values `max(a, b)` chose between, in `x`'s shape (a size-1
    array and a number may be compared, and the result is one of them, not their broadcast). The value
    not returned (share 0) gets exactly 0, even from an inf or NaN `g` (0 * inf would be NaN)."""
    if share:
        g = g * share
    else:
        g = np.zeros_like(g) if isinstance(g, _NDARRAY) else (type(g)(0) if isinstance(g, (float, np.generic)) else 0.0)
    if isinstance(x, (float, int)):
        return g.item() if isinstance(g, (np.ndarray, np.generic)) else g
    return np.reshape(g, np.shape(x))
