"""Reverse rules for Python's arithmetic operators (also used by NumPy arrays).

Contract: see rules/notation.py. `z` is the output, `x`, `y` the operands.
"""

import operator

import numpy as np

from ..runtime import floor_quotient, matmul_lhs_adjoint, matmul_rhs_adjoint
from .notation import adjoint, d, nondifferentiable
from .registry import Kind, Returns


@adjoint(operator.add, np.add, elementwise=True, returns=Returns.NEW)
def add(z, x, y):
    d[x] = d[z]
    d[y] = d[z]


@adjoint(operator.sub, np.subtract, elementwise=True, returns=Returns.NEW)
def sub(z, x, y):
    d[x] = d[z]
    d[y] = -d[z]


@adjoint(operator.mul, np.multiply, elementwise=True, returns=Returns.NEW)
def mul(z, x, y):
    d[x] = d[z] * y
    d[y] = d[z] * x


@adjoint(operator.truediv, np.divide, np.true_divide, elementwise=True, returns=Returns.NEW)
def truediv(z, x, y):
    d[x] = d[z] / y
    d[y] = -d[z] * z / y


@adjoint(operator.pow, np.power, elementwise=True, returns=Returns.NEW)
def pow(z, x, y):
    # At y == 0, y * x ** (y - 1) is 0 * inf (nan, or ZeroDivisionError for floats) at x == 0,
    # but x ** 0 is constant: the exponent `y - (y != 0)` gives y * x ** 0 = 0 there. At x == 0,
    # z * log(x) is 0 * -inf: `log(x + (x == 0))` gives the limit from x > 0, 0 (as JAX and
    # autograd do). A constant y or x folds the guards away (`x ** 2` gives `2 * x`).
    d[x] = d[z] * y * x ** (y - (y != 0))
    d[y] = d[z] * z * np.log(x + (x == 0))


@adjoint(operator.neg, np.negative, elementwise=True, returns=Returns.NEW)
def neg(y, x):
    d[x] = -d[y]


@adjoint(operator.pos, np.positive, elementwise=True, returns=Returns.NEW)
def pos(y, x):
    d[x] = d[y]


@adjoint(operator.mod, np.mod, np.remainder, elementwise=True, returns=Returns.NEW)
def mod(z, x, y):
    # x % y = x - floor(x / y) * y, and the quotient is piecewise constant (and 0 for string
    # formatting, `"%.2f" % y`: see floor_quotient).
    d[x] = d[z]
    d[y] = -d[z] * floor_quotient(x, y)


@adjoint(operator.matmul, kind=Kind.OTHER, returns=Returns.NEW)
def matmul(z, x, y):
    d[x] = matmul_lhs_adjoint(d[z], x, y)
    d[y] = matmul_rhs_adjoint(d[z], x, y)


nondifferentiable(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.floordiv, operator.and_, operator.or_, operator.xor,
    operator.invert, operator.lshift, operator.rshift, operator.is_, operator.is_not,
)
