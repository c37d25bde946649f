"""Reverse rules for NumPy functions, ufuncs and ndarray methods.

Contract: see rules/notation.py. Parameter names mirror NumPy's, so keyword
calls (`np.sum(x, axis=0)`) bind to the rule as they bind to NumPy.
Elementwise rules declare it; the compiler then unbroadcasts contributions.
"""

import operator

import numpy as np

from ..runtime import (
    arange_start_adjoint,
    arange_step_adjoint,
    dot_lhs_adjoint,
    dot_rhs_adjoint,
    extremum_adjoint,
    fill_adjoint,
    fmax_adjoint,
    getitem_adjoint,
    index_update,
    linspace_adjoint,
    matmul_lhs_adjoint,
    matmul_rhs_adjoint,
    reduced_size,
    reshape_adjoint,
    slot_adjoint,
    tie_adjoint,
    transpose_adjoint,
    unbroadcast,
    unreduce,
)
from .notation import FLOAT_DTYPE, UNMASKED, Accepts, adjoint, d, nondifferentiable
from .registry import Kind, Returns

# --- elementwise functions of one argument -------------------------------------------------


@adjoint(np.exp, elementwise=True, returns=Returns.NEW)
def exp(y, x):
    d[x] = d[y] * y


@adjoint(np.exp2, elementwise=True, returns=Returns.NEW)
def exp2(y, x):
    d[x] = d[y] * y * 0.6931471805599453


@adjoint(np.expm1, elementwise=True, returns=Returns.NEW)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(np.log, elementwise=True, returns=Returns.NEW)
def log(y, x):
    d[x] = d[y] / x


@adjoint(np.log2, elementwise=True, returns=Returns.NEW)
def log2(y, x):
    d[x] = d[y] / (x * 0.6931471805599453)


@adjoint(np.log10, elementwise=True, returns=Returns.NEW)
def log10(y, x):
    d[x] = d[y] / (x * 2.302585092994046)


@adjoint(np.log1p, elementwise=True, returns=Returns.NEW)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(np.sqrt, elementwise=True, returns=Returns.NEW)
def sqrt(y, x):
    d[x] = d[y] * 0.5 / y


@adjoint(np.cbrt, elementwise=True, returns=Returns.NEW)
def cbrt(y, x):
    d[x] = d[y] / (3.0 * y * y)


@adjoint(np.square, elementwise=True, returns=Returns.NEW)
def square(y, x):
    d[x] = d[y] * 2.0 * x


@adjoint(np.reciprocal, elementwise=True, returns=Returns.NEW)
def reciprocal(y, x):
    d[x] = -d[y] * y * y


@adjoint(np.abs, np.absolute, abs, elementwise=True, returns=Returns.NEW)
def absolute(y, x):
    d[x] = d[y] * np.sign(x)


@adjoint(np.fabs, elementwise=True, returns=Returns.NEW)
def fabs(y, x):
    d[x] = d[y] * np.sign(x)


@adjoint(np.deg2rad, np.radians, elementwise=True, returns=Returns.NEW)
def deg2rad(y, x):
    d[x] = d[y] * 0.017453292519943295


@adjoint(np.rad2deg, np.degrees, elementwise=True, returns=Returns.NEW)
def rad2deg(y, x):
    d[x] = d[y] * 57.29577951308232


@adjoint(np.sin, elementwise=True, returns=Returns.NEW)
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@adjoint(np.cos, elementwise=True, returns=Returns.NEW)
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@adjoint(np.tan, elementwise=True, returns=Returns.NEW)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(np.arcsin, elementwise=True, returns=Returns.NEW)
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, elementwise=True, returns=Returns.NEW)
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, elementwise=True, returns=Returns.NEW)
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(np.sinh, elementwise=True, returns=Returns.NEW)
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@adjoint(np.cosh, elementwise=True, returns=Returns.NEW)
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@adjoint(np.tanh, elementwise=True, returns=Returns.NEW)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(np.arcsinh, elementwise=True, returns=Returns.NEW)
def arcsinh(y, x):
    d[x] = d[y] / np.sqrt(x * x + 1.0)


@adjoint(np.arctanh, elementwise=True, returns=Returns.NEW)
def arctanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


# --- elementwise functions of two or three arguments ----------------------------------------


# Selections: the operand not chosen gets exactly 0, even from an inf or NaN adjoint (runtime/picks.py).
@adjoint(np.maximum, elementwise=True, returns=Returns.NEW)
def maximum(z, x1, x2):
    d[x1] = tie_adjoint(d[z], x1, x2)
    d[x2] = tie_adjoint(d[z], x2, x1)


@adjoint(np.minimum, elementwise=True, returns=Returns.NEW)
def minimum(z, x1, x2):
    d[x1] = tie_adjoint(d[z], x2, x1)
    d[x2] = tie_adjoint(d[z], x1, x2)


@adjoint(np.fmax, elementwise=True, returns=Returns.NEW)
def fmax(z, x1, x2):
    # Unlike maximum, fmax returns the other operand where one is NaN: that one gets the derivative.
    d[x1] = fmax_adjoint(d[z], x1, x2)
    d[x2] = fmax_adjoint(d[z], x2, x1)


@adjoint(np.fmin, elementwise=True, returns=Returns.NEW)
def fmin(z, x1, x2):
    # fmin(a, b) = -fmax(-a, -b).
    d[x1] = fmax_adjoint(d[z], -x1, -x2)
    d[x2] = fmax_adjoint(d[z], -x2, -x1)


@adjoint(np.arctan2, elementwise=True, returns=Returns.NEW)
def arctan2(z, x1, x2):
    d[x1] = d[z] * x2 / (x1 * x1 + x2 * x2)
    d[x2] = -d[z] * x1 / (x1 * x1 + x2 * x2)


@adjoint(np.logaddexp, elementwise=True, returns=Returns.NEW)
def logaddexp(z, x1, x2):
    # z = log(exp(x1) + exp(x2)): the softmax weights of x1 and x2.
    d[x1] = d[z] * np.exp(x1 - z)
    d[x2] = d[z] * np.exp(x2 - z)


@adjoint(np.logaddexp2, elementwise=True, returns=Returns.NEW)
def logaddexp2(z, x1, x2):
    d[x1] = d[z] * np.exp2(x1 - z)
    d[x2] = d[z] * np.exp2(x2 - z)


@adjoint(np.hypot, elementwise=True, returns=Returns.NEW)
def hypot(z, x1, x2):
    # At the origin (z == 0, so x1 == x2 == 0) every unit vector is a subgradient: `z + (z == 0)`
    # gives 0 / 1 = 0 there, the least-norm one (as d|x|/dx = sign(x) is 0 at 0), not 0 / 0.
    d[x1] = d[z] * x1 / (z + (z == 0))
    d[x2] = d[z] * x2 / (z + (z == 0))


@adjoint(np.copysign, elementwise=True, nondiff=("x2",), returns=Returns.NEW)
def copysign(z, x1, x2):
    # |x1| with the sign of x2: d/dx1 = sign(x1) * (+1 or -1 from x2's sign bit); in x2 it is
    # piecewise constant.
    d[x1] = d[z] * np.sign(x1) * np.copysign(1.0, x2)


@adjoint(np.fmod, elementwise=True, returns=Returns.NEW)
def fmod(z, x1, x2):
    # fmod(x1, x2) = x1 - q * x2 with q = trunc(x1 / x2), piecewise constant; (x1 - z) / x2 is q
    # up to rounding, so rint recovers the quotient fmod used.
    d[x1] = d[z]
    d[x2] = -d[z] * np.rint((x1 - z) / x2)


@adjoint(np.where, elementwise=True, nondiff=("condition",), returns=Returns.NEW)
def where(z, condition, x=None, y=None):
    # With the condition alone, np.where returns the indices of its true elements: no derivative.
    d[x] = np.where(condition, d[z], 0.0)
    d[y] = np.where(condition, 0.0, d[z])


# --- reductions ------------------------------------------------------------------------------


@adjoint(np.sum, np.ndarray.sum, kind=Kind.REDUCTION, returns=Returns.NEW)
def sum(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=0, where: UNMASKED = True):
    # `axis` may be negative or a tuple and `keepdims` a run-time value: unreduce reads them as NumPy does.
    d[a] = unreduce(d[y], a, axis, keepdims)
    d[initial] = unbroadcast(d[y], initial)


@adjoint(np.mean, np.ndarray.mean, kind=Kind.REDUCTION, returns=Returns.NEW)
def mean(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, where: UNMASKED = True):
    d[a] = unreduce(d[y] / reduced_size(a, axis), a, axis, keepdims)


@adjoint(np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min, kind=Kind.REDUCTION, returns=Returns.NEW)
def extremum(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    # Where `initial` wins, no element of `a` attains the extremum (see extremum_adjoint).
    d[a] = extremum_adjoint(d[y], a, y, axis, keepdims, where)


# --- linear algebra and shapes -----------------------------------------------------------------


@adjoint(np.dot, np.ndarray.dot, returns=Returns.NEW)
def dot(y, a, b):
    d[a] = dot_lhs_adjoint(d[y], a, b)
    d[b] = dot_rhs_adjoint(d[y], a, b)


@adjoint(np.matmul, returns=Returns.NEW)
def matmul(y, x1, x2):
    d[x1] = matmul_lhs_adjoint(d[y], x1, x2)
    d[x2] = matmul_rhs_adjoint(d[y], x1, x2)


@adjoint(np.ndarray.T, returns=Returns.VIEW)
def transposed(y, a):
    d[a] = d[y].T


@adjoint(np.transpose, returns=Returns.VIEW)
def transpose(y, a, axes=None):
    d[a] = transpose_adjoint(d[y], axes)


@adjoint(np.ndarray.transpose, returns=Returns.VIEW)
def transpose_method(y, a, *axes):
    d[a] = transpose_adjoint(d[y], axes)


@adjoint(np.reshape, returns=Returns.VIEW)
def reshape(y, a, shape=None, order="C", copy=None):
    d[a] = reshape_adjoint(d[y], a, order)


@adjoint(np.ndarray.reshape, returns=Returns.VIEW)
def reshape_method(y, a, *shape, order="C", copy=None):
    d[a] = reshape_adjoint(d[y], a, order)


@adjoint(np.outer, returns=Returns.NEW)
def outer(y, a, b, out=None):
    # np.outer flattens both inputs: y[i, j] = ravel(a)[i] * ravel(b)[j].
    d[a] = np.reshape(d[y] @ np.ravel(b), np.shape(a))
    d[b] = np.reshape(np.ravel(a) @ d[y], np.shape(b))


@adjoint(np.copy, np.ndarray.copy, elementwise=True, returns=Returns.NEW)
def copy(y, a, order="K"):
    d[a] = d[y]


@adjoint(np.ravel, np.ndarray.ravel, np.ndarray.flatten, returns=Returns.VIEW)
def ravel(y, a, order="C"):
    d[a] = reshape_adjoint(d[y], a, order)


# --- constructors: differentiable in the values they fill in ------------------------------------


@adjoint(np.full, returns=Returns.NEW)
def full(y, shape, fill_value, dtype=None, order="C", device=None, like=None):
    d[fill_value] = fill_adjoint(d[y], y, fill_value)


@adjoint(np.full_like, nondiff=("a",), returns=Returns.NEW)
def full_like(y, a, fill_value, dtype=None, order="K", subok=True, shape=None, device=None):
    # `a` gives the shape, the dtype (unless `dtype` does) and, by `order="K"`, the layout that a later
    # `ravel("K")` reads: not shape-only (a value of the same shape may have another layout or dtype).
    d[fill_value] = fill_adjoint(d[y], y, fill_value)


@adjoint(np.arange, nondiff=("stop",), returns=Returns.NEW)
def arange(y, start, stop=None, step=None, dtype=None, device=None, like=None):
    # y[i] = start + i * step; `stop` (and a lone argument, which NumPy takes as the stop) only
    # sets the length, a piecewise constant function.
    d[start] = arange_start_adjoint(d[y], y, start, stop)
    d[step] = arange_step_adjoint(d[y], y, step)


@adjoint(np.linspace, returns=Returns.NEW)
def linspace(y, start, stop, num=50, endpoint=True,
             retstep: Accepts(lambda v: v is False, "`retstep=True` (a tuple result) is not supported") = False,
             dtype=None, axis=0, device=None):
    d[start] = linspace_adjoint(d[y], y, start, num, endpoint, axis, False)
    d[stop] = linspace_adjoint(d[y], y, stop, num, endpoint, axis, True)


@adjoint(operator.getitem, returns=Returns.VIEW)
def getitem(y, a, index):
    d[a] = getitem_adjoint(d[y], a, index)


@adjoint(index_update, returns=Returns.NEW)
def index_update_rule(y, a, index, value):
    # `y[index] = value`: the slot's adjoint goes to `value` (read first: the slot is then zeroed),
    # the rest to the old `y`, whose slot was overwritten.
    d[value] = slot_adjoint(d[y], index, value)
    d[a] = index_update(d[y], index, 0.0)


nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax, np.argmin, np.argsort,
    np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like, np.zeros, np.ones,
    np.empty, np.eye, np.isnan, np.isfinite, np.isinf,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.ndarray.argmax, np.ndarray.argmin,
    np.ndarray.shape, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype,
)

# Also integer- or boolean-valued (indices, counts, rounding, signs, tests): piecewise constant.
nondifferentiable(
    np.around, np.fix, np.floor_divide, np.signbit, np.nonzero, np.flatnonzero, np.argwhere,
    np.count_nonzero, np.searchsorted, np.digitize, np.isclose, np.allclose, np.array_equal,
    np.logical_xor, np.ndarray.round, np.ndarray.nonzero, np.ndarray.argsort, np.ndarray.nbytes,
    np.ndarray.itemsize, np.ndarray.strides,
)
