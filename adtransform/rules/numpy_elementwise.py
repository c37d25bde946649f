"""Reverse rules for NumPy ufuncs and elementwise functions not in rules/numpy.py, and for the
ndarray methods `astype` and `item`.

Contract: see rules/notation.py. Elementwise rules declare it; the compiler then unbroadcasts
contributions. Constants are Python floats (weak in NumPy's promotion): float32 and float16 stay.
Ufunc keywords (`dtype=`, `casting=`, `order=`, `subok=`) are not parameters of these rules: reverse mode
takes them out for every ufunc's rule (rules/keywords.py), and refuses a `where=` mask where it is written.
"""

import numpy as np

from ..runtime import clip_adjoint, unbroadcast
from ..runtime.ufuncs import astype_adjoint, clip_bound, item_adjoint, sinc_slope
from .notation import Accepts, adjoint, d, declare_facts, nondifferentiable
from .registry import Kind, Returns

UNCOPIED = Accepts(lambda value: value is True, "`copy=False` changes the argument in place; leave it out")


@adjoint(np.arccosh, elementwise=True, returns=Returns.NEW)
def arccosh(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@adjoint(np.sinc, elementwise=True, returns=Returns.NEW)
def sinc(y, x):
    d[x] = d[y] * sinc_slope(x, y)


@adjoint(np.float_power, elementwise=True, returns=Returns.NEW)
def float_power(z, x1, x2):
    # As `x1 ** x2` (rules/operators.py `pow`), computed in float64 as float_power computes.
    d[x1] = d[z] * x2 * np.float_power(x1, x2 - (x2 != 0))
    d[x2] = d[z] * z * np.log(x1 + (x1 == 0))


@adjoint(np.heaviside, elementwise=True, nondiff=("x1",), returns=Returns.NEW)
def heaviside(z, x1, x2):
    # 0 below 0, 1 above: piecewise constant in x1; equal to x2 where x1 == 0.
    d[x2] = np.where(x1 == 0, d[z], 0.0)


@adjoint(np.ldexp, elementwise=True, nondiff=("x2",), returns=Returns.NEW)
def ldexp(z, x1, x2):
    # x1 * 2 ** x2 with an integer exponent x2.
    d[x1] = np.ldexp(d[z], x2)


@adjoint(np.nextafter, elementwise=True, nondiff=("x2",), returns=Returns.NEW)
def nextafter(z, x1, x2):
    # The float next to x1 (towards x2): x1 moved by one unit in the last place.
    d[x1] = d[z]


@adjoint(np.conjugate, elementwise=True, returns=Returns.NEW)
def conjugate(y, x):
    d[x] = np.conjugate(d[y])


@adjoint(np.ndarray.conj, np.ndarray.conjugate, elementwise=True, returns=Returns.VIEW)
def conjugate_method(y, a):
    d[a] = np.conjugate(d[y])


@adjoint(np.clip, np.ndarray.clip, elementwise=True, returns=Returns.NEW)
def clip(y, a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    # NumPy 2 names the bounds `min=` / `max=` too (and the method's positional ones): a call gives
    # one of each pair. The shares are those of minimum(maximum(a, lo), hi): 1/2 on ties, as JAX;
    # an operand not returned gets exactly 0, even from an inf or NaN adjoint.
    d[a] = clip_adjoint(d[y], a, clip_bound(a_min, min), clip_bound(a_max, max), 0)
    d[a_min] = clip_adjoint(d[y], a, a_min, clip_bound(a_max, max), 1)
    d[min] = clip_adjoint(d[y], a, min, clip_bound(a_max, max), 1)
    d[a_max] = clip_adjoint(d[y], a, clip_bound(a_min, min), a_max, 2)
    d[max] = clip_adjoint(d[y], a, clip_bound(a_min, min), max, 2)


@adjoint(np.nan_to_num, returns=Returns.NEW)
def nan_to_num(y, x, copy: UNCOPIED = True, nan=0.0, posinf=None, neginf=None):
    # The finite elements pass through; the others are replaced by `nan`, `posinf`, `neginf`.
    d[x] = np.where(np.isfinite(x), d[y], 0.0)
    d[nan] = unbroadcast(np.where(np.isnan(x), d[y], 0.0), nan)
    d[posinf] = unbroadcast(np.where(np.isposinf(x), d[y], 0.0), posinf)
    d[neginf] = unbroadcast(np.where(np.isneginf(x), d[y], 0.0), neginf)


# --- ndarray methods -----------------------------------------------------------------------------


@adjoint(np.ndarray.astype, returns=Returns.VIEW, shape_only=("dtype",))
def astype(y, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    # `copy=False` may return `a` itself: the facts say so (VIEW).
    d[a] = astype_adjoint(d[y], a, y)


@adjoint(np.ndarray.item, kind=Kind.SCALAR, returns=Returns.NUMBER)
def item(y, a, *args):
    d[a] = item_adjoint(d[y], a, args)


declare_facts(sinc_slope, item_adjoint, returns=Returns.NEW)
declare_facts(clip_bound, returns=Returns.MAY_SHARE)
declare_facts(astype_adjoint, returns=Returns.VIEW, shape_only=("y",))

# Integer-valued (bits, divisors), piecewise constant (spacing) or not about values (isnat).
nondifferentiable(
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift, np.gcd, np.lcm,
    np.spacing, np.isnat, returns=Returns.NEW,
)

# Draws whose arguments are shapes, bounds of integers or a seed: no derivative, and effects (the
# generator's state), so they are never merged or removed. Draws with location or scale parameters
# (`normal(loc, scale)`) have no rule: a differentiated parameter is refused; write
# `loc + scale * rng.standard_normal(shape)` to differentiate through the draw.
nondifferentiable(*[getattr(np.random, name) for name in ("rand", "randn", "random", "random_sample",
                                                          "standard_normal", "randint")],
                  np.random.Generator.random, np.random.Generator.standard_normal, np.random.Generator.integers,
                  returns=Returns.NEW, effects=True)
nondifferentiable(np.random.seed, returns=Returns.NUMBER, effects=True)
