"""Reverse rules for the `math` module (Python floats in, Python floats out).

Contract: see rules/notation.py. `y` is the output, `x` the input.
"""

import math

from ..runtime import python_max_share, python_pick_adjoint
from .notation import adjoint, d, nondifferentiable
from .registry import Kind, Returns

scalar = Kind.SCALAR


@adjoint(math.exp, kind=scalar, returns=Returns.NUMBER)
def exp(y, x):
    d[x] = d[y] * y


@adjoint(math.expm1, kind=scalar, returns=Returns.NUMBER)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(math.log, kind=scalar, returns=Returns.NUMBER)
def log(y, x, base=math.e):
    d[x] = d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))


@adjoint(math.log2, kind=scalar, returns=Returns.NUMBER)
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@adjoint(math.log10, kind=scalar, returns=Returns.NUMBER)
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@adjoint(math.log1p, kind=scalar, returns=Returns.NUMBER)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(math.sqrt, kind=scalar, returns=Returns.NUMBER)
def sqrt(y, x):
    d[x] = d[y] * 0.5 / y


@adjoint(math.sin, kind=scalar, returns=Returns.NUMBER)
def sin(y, x):
    d[x] = d[y] * math.cos(x)


@adjoint(math.cos, kind=scalar, returns=Returns.NUMBER)
def cos(y, x):
    d[x] = -d[y] * math.sin(x)


@adjoint(math.tan, kind=scalar, returns=Returns.NUMBER)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(math.asin, kind=scalar, returns=Returns.NUMBER)
def asin(y, x):
    d[x] = d[y] / math.sqrt(1.0 - x * x)


@adjoint(math.acos, kind=scalar, returns=Returns.NUMBER)
def acos(y, x):
    d[x] = -d[y] / math.sqrt(1.0 - x * x)


@adjoint(math.atan, kind=scalar, returns=Returns.NUMBER)
def atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(math.atan2, kind=scalar, returns=Returns.NUMBER)
def atan2(z, y, x):
    d[y] = d[z] * x / (x * x + y * y)
    d[x] = -d[z] * y / (x * x + y * y)


@adjoint(math.sinh, kind=scalar, returns=Returns.NUMBER)
def sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@adjoint(math.cosh, kind=scalar, returns=Returns.NUMBER)
def cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@adjoint(math.tanh, kind=scalar, returns=Returns.NUMBER)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(math.asinh, kind=scalar, returns=Returns.NUMBER)
def asinh(y, x):
    d[x] = d[y] / math.sqrt(x * x + 1.0)


@adjoint(math.acosh, kind=scalar, returns=Returns.NUMBER)
def acosh(y, x):
    d[x] = d[y] / math.sqrt(x * x - 1.0)


@adjoint(math.atanh, kind=scalar, returns=Returns.NUMBER)
def atanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@adjoint(math.hypot, kind=scalar, returns=Returns.NUMBER)
def hypot(z, x, y):
    # 0 at the origin, not 0 / 0 (see the rule for np.hypot).
    d[x] = d[z] * x / (z + (z == 0))
    d[y] = d[z] * y / (z + (z == 0))


@adjoint(math.pow, kind=scalar, returns=Returns.NUMBER)
def pow(z, x, y):
    # The guards of the rule for `x ** y` (rules/operators.py): 0, not 0 * pow(0, -1) (an error
    # for floats) at y == 0, and 0, not 0 * log(0), at x == 0. `**`, not math.pow, whose ValueError
    # at `pow(0.0, -0.5)` nothing would catch: `**`'s ZeroDivisionError gives inf (specialize/floats.py).
    d[x] = d[z] * y * x ** (y - (y != 0))
    d[y] = d[z] * z * math.log(x + (x == 0))


@adjoint(math.fabs, kind=scalar, returns=Returns.NUMBER)
def fabs(y, x):
    # sign(x), 0 at 0 as for np.abs (copysign alone would give +-1 there).
    d[x] = d[y] * (x != 0) * math.copysign(1.0, x)


@adjoint(math.copysign, kind=scalar, nondiff=("y",), returns=Returns.NUMBER)
def copysign(z, x, y):
    # |x| with the sign of y: d/dx = sign(x) * (+1 or -1 from y's sign bit); piecewise constant in y.
    d[x] = d[z] * (x != 0) * math.copysign(1.0, x) * math.copysign(1.0, y)


@adjoint(math.fmod, math.remainder, kind=scalar, returns=Returns.NUMBER)
def fmod(z, x, y):
    # x - n * y with n an integer (x / y truncated, or rounded to nearest), piecewise constant;
    # (x - z) / y is n up to rounding.
    d[x] = d[z]
    d[y] = -d[z] * round((x - z) / y)


@adjoint(math.degrees, kind=scalar, returns=Returns.NUMBER)
def degrees(y, x):
    d[x] = d[y] * 57.29577951308232


@adjoint(math.radians, kind=scalar, returns=Returns.NUMBER)
def radians(y, x):
    d[x] = d[y] * 0.017453292519943295


@adjoint(math.erf, kind=scalar, returns=Returns.NUMBER)
def erf(y, x):
    d[x] = d[y] * 1.1283791670955126 * math.exp(-x * x)


@adjoint(math.erfc, kind=scalar, returns=Returns.NUMBER)
def erfc(y, x):
    d[x] = -d[y] * 1.1283791670955126 * math.exp(-x * x)


@adjoint(float, kind=scalar, returns=Returns.NUMBER)
def to_float(y, x):
    d[x] = d[y]


# `max(v, 0.0)`, micrograd's ReLU: the value Python returns takes the derivative (a NaN compared with
# never wins), a tie splits it (as np.maximum and JAX do). One or three arguments, `key=` and
# `default=` do not bind: refused where they are written (`max(L)` of a list or tuple has its own
# rule, rules/sequences.py).
@adjoint(max, kind=Kind.OTHER, returns=Returns.VIEW)
def builtin_max(y, a, b):
    d[a] = python_pick_adjoint(d[y], a, python_max_share(a, b))
    d[b] = python_pick_adjoint(d[y], b, 1.0 - python_max_share(a, b))


@adjoint(min, kind=Kind.OTHER, returns=Returns.VIEW)
def builtin_min(y, a, b):
    d[a] = python_pick_adjoint(d[y], a, python_max_share(a, b, True))
    d[b] = python_pick_adjoint(d[y], b, 1.0 - python_max_share(a, b, True))


nondifferentiable(
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    int, bool, round, len, math.factorial,
)
