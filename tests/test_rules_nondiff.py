"""Rows for the primitives declared non-differentiable: each row calls them on the differentiated
input, and the result multiplies or selects a differentiable term. Inputs keep away from the
jumps (integers and half-integers for rounding, 0 for signs and comparisons, ties for arg-extrema),
so finite differences see a piecewise-constant factor as constant: a primitive wrongly declared
non-differentiable (one whose output does vary) would fail here.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from rule_table import F32, F64, SCALAR, Case, Rule, check_case, distinct, expand, nonzero, real


def offgrid(rng, shape):
    """k +- [0.1, 0.35] for an integer k: >= 0.1 from every integer, >= 0.15 from every half-integer."""
    return rng.integers(-2, 3, shape) + rng.uniform(0.1, 0.35, shape) * rng.choice([-1.0, 1.0], size=shape)


def apart(rng, shape):
    """Distinct entries (gaps >= 0.1), each >= 0.05 from 0 (the threshold of the masks below)."""
    return distinct(rng, shape) + 0.075


def nd_rounding(x):
    steps = np.floor(x) + np.ceil(x) * 0.5 + np.rint(x) * 0.25 + np.trunc(x) + np.fix(x) * 0.3
    rounded = np.round(x) + np.around(x, 1) * 0.1 + x.round() * 0.2 + np.floor_divide(x, 0.5) + x // 2.0
    return np.sum(np.sin(x) * (steps + 0.7 * rounded))


def nd_signs(x):
    signs = np.sign(x) + np.signbit(x) * 0.5
    return np.sum(np.sin(x) * signs)


def nd_comparisons(x):
    ufuncs = np.greater(x, 0.0) + np.greater_equal(x, 0.0) * 2.0 + np.less(x, 0.0) * 3.0
    ufuncs = ufuncs + np.less_equal(x, 0.0) * 4.0 + np.equal(x, x) * 5.0 + np.not_equal(x, 0.0) * 6.0
    ops = (x > 0.0) * 1.5 + (x >= 0.0) * 2.5 + (x < 0.0) * 3.5 + (x <= 0.0) * 4.5 + (x == x) * 0.5 + (x != x)
    return np.sum(np.sin(x) * (ufuncs + ops))


def nd_logic(x):
    a, b = x > 0.0, x < 1.0
    ufuncs = np.logical_and(a, b) + np.logical_or(a, b) * 2.0 + np.logical_not(a) * 3.0 + np.logical_xor(a, b)
    ops = (a & b) * 1.5 + (a | b) * 2.5 + (a ^ b) * 3.5 + (~a) * 0.5
    return np.sum(np.sin(x) * (ufuncs + ops))


def nd_tests(x):
    finite = np.isfinite(x) + np.isnan(x) * 2.0 + np.isinf(x) * 3.0 + np.isclose(x, 0.05)
    whole = np.allclose(x, x) + np.array_equal(x, x) * 2.0
    return np.sum(np.sin(x) * finite) * whole


def nd_positions(x):
    picked = x[np.argmax(x)] + x[np.argmin(x)] * 2.0 + x[x.argmax()] * 0.5 + x[x.argmin()] * 0.25
    ordered = x[np.argsort(x)] * np.arange(x.size) + x[x.argsort()] * 0.5
    positive = np.sum(x[np.nonzero(x > 0.0)]) + np.sum(x[x.nonzero()] ** 2) + np.sum(x[np.flatnonzero(x > 0.0)])
    return picked + np.sum(np.sin(ordered)) + positive + np.sum(x[np.argwhere(x > 0.0)[:, 0]])


def nd_counts(x):
    bins = np.array([-0.3, 0.0, 0.3])
    weights = np.searchsorted(bins, x) + np.digitize(x, bins) * 0.5 + np.count_nonzero(x > 0.0)
    return np.sum(np.sin(x) * weights)


def nd_shapes(x):
    n = np.size(x) + np.ndim(x) + np.shape(x)[0] + x.size + x.ndim + x.shape[-1] + len(x)
    nbytes = x.nbytes // x.itemsize + x.strides[0] // x.dtype.itemsize
    return np.sum(np.sin(x)) * (n + nbytes) + (n << 1) + (nbytes >> 1)


def nd_makers(x):
    z = np.zeros(x.shape) + np.ones(x.shape) + np.eye(x.shape[0], x.shape[1]) + np.zeros_like(x) + np.ones_like(x)
    e = np.empty(x.shape)
    e[...] = 0.5
    f = np.empty_like(x)
    f[...] = 0.25
    return np.sum(np.sin(x) * (z + e + f))


def nd_python(x):
    whole = math.floor(x) + math.ceil(x) * 0.5 + math.trunc(x) * 0.25 + round(x) + int(x) * 0.3
    flags = bool(x > 0.0) + math.isfinite(x) + math.isnan(x) + math.isinf(x) * 2.0 + (not x > 0.0)
    same = (x is None) + (x is not None) * 2.0 + math.factorial(operator.index(3))
    return math.sin(x) * (whole + flags + same)


def nd_integers(x):
    k = np.floor(x).astype(int)  # piecewise constant in x: the integer ops see a moving input only at jumps
    bits = np.bitwise_and(k, 3) + np.bitwise_or(k, 1) + np.bitwise_xor(k, 2) + np.invert(k)
    bits = bits + np.left_shift(np.abs(k), 1) + np.right_shift(np.abs(k), 1) + np.gcd(k, 6) + np.lcm(k, 4)
    ulp = np.spacing(k + 0.5) * 1e15  # of float64 (the spacing of float32 is 2 ** 29 times larger)
    return np.sum(np.sin(x) * (bits + ulp)) + np.isnat(np.datetime64("NaT"))


def nd_draws(x):
    """Draws carry no derivative; seeded in the row, so every evaluation draws the same numbers."""
    np.random.seed(3)
    legacy = (np.random.rand(x.size) + np.random.randn(x.size)).reshape(x.shape) + np.random.random(x.shape)
    legacy = legacy + np.random.random_sample(x.shape) + np.random.standard_normal(x.shape)
    rng = np.random.default_rng(5)  # the class's methods by name: declared on Generator, not on `rng.random`
    drawn = np.random.Generator.random(rng, x.shape) + np.random.Generator.standard_normal(rng, x.shape)
    drawn = drawn + np.random.Generator.integers(rng, 0, 3, x.shape)
    return np.sum(np.sin(x) * (legacy + drawn + np.random.randint(0, 3, x.shape)))


VEC = [("vec", [(6,)], F64), ("f32", [(6,)], F32)]
ARRAYS = [("vec", [(5,)], F64), ("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32)]

RULES = [
    Rule("floor,ceil,rint,trunc,fix,round,around,x.round,floor_divide,//", nd_rounding, (offgrid,), ARRAYS),
    Rule("np.sign,signbit", nd_signs, (nonzero,), ARRAYS),
    Rule("comparisons", nd_comparisons, (nonzero,), ARRAYS),
    Rule("logical,&,|,^,~", nd_logic, (nonzero,), ARRAYS),
    Rule("isfinite,isnan,isinf,isclose,allclose,array_equal", nd_tests, (nonzero,), ARRAYS),
    Rule("argmax,argmin,argsort,nonzero,flatnonzero,argwhere", nd_positions, (apart,), VEC),
    Rule("searchsorted,digitize,count_nonzero", nd_counts, (nonzero,), VEC),
    Rule("shape,ndim,size,len,nbytes,itemsize,strides,dtype,<<,>>", nd_shapes, (nonzero,), ARRAYS),
    Rule("zeros,ones,eye,zeros_like,ones_like,empty,empty_like", nd_makers, (nonzero,), ARRAYS[1:]),
    Rule("math.floor,ceil,trunc,isnan,..,round,int,bool,not,is", nd_python, (offgrid,), SCALAR),
    Rule("bitwise,invert,shifts,gcd,lcm,spacing,isnat", nd_integers, (offgrid,), ARRAYS),
    Rule("np.random draws,seed", nd_draws, (real,), ARRAYS),
]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case: Case):
    check_case(case)
