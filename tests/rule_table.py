"""Support of the table-driven rule tests: input domains, shape sets, rows and cases.

A row (`Rule`) names a module-level test function (adtransform reads sources
with ``inspect``, so no lambdas), one input domain per argument, the shape sets
to run it on and what to differentiate. Test modules ``tests/test_rules_*.py``
each hold rows for one family and call `expand` and `check_case`; one checker
for every family keeps the standard the same.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from gradcheck import check_grad
from vjp_check import check_vjp

F64 = np.float64
F32 = np.float32


# ==========================================================================
# input domains: rng, shape -> float64 array
# ==========================================================================


def real(rng, shape):
    return rng.uniform(-1.5, 1.5, shape)


def small(rng, shape):  # tan, exp-like fast growing functions
    return rng.uniform(-1.1, 1.1, shape)


def pos(rng, shape):  # log, sqrt, x ** y base, fractional powers
    return rng.uniform(0.3, 2.5, shape)


def gt_m1(rng, shape):  # log1p
    return rng.uniform(-0.6, 2.0, shape)


def unit(rng, shape):  # arcsin, arccos: strictly inside (-1, 1)
    return rng.uniform(-0.85, 0.85, shape)


def nonzero(rng, shape):  # divisors, abs, reciprocal, where(x > 0): |x| >= 0.3
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, shape)


def distinct(rng, shape):
    """All entries distinct with gaps >= 0.1 (no ties for max/min reductions)."""
    n = int(np.prod(shape, dtype=int))
    vals = (rng.permutation(n) - n / 2.0) * 0.15 + rng.uniform(-0.02, 0.02, n)
    return vals.reshape(shape)


def grid_a(rng, shape):
    """Together with grid_b: |a - b| >= 0.08 for every pair (maximum/minimum/where)."""
    return 0.2 * rng.integers(-8, 9, shape) + 0.05 + rng.uniform(-0.01, 0.01, shape)


def grid_b(rng, shape):
    return 0.2 * rng.integers(-8, 9, shape) - 0.05 + rng.uniform(-0.01, 0.01, shape)


# ==========================================================================
# shape sets: (id, [shape per argument], dtype); shape None = Python float
# ==========================================================================

SCALAR = [("scalar", [None], F64)]
ARRAYS1 = [
    ("vec", [(5,)], F64),
    ("mat", [(3, 4)], F64),
    ("big", [(5, 6)], F64),  # > 20 elements: directional test
    ("f32", [(3, 4)], F32),
]
UNARY = SCALAR + ARRAYS1

SCALAR2 = [("scalar,scalar", [None, None], F64)]
BINARY = [
    *SCALAR2,
    ("vec,vec", [(5,), (5,)], F64),
    ("mat,mat", [(3, 4), (3, 4)], F64),
    ("mat,row", [(3, 4), (4,)], F64),
    ("row,mat", [(4,), (3, 4)], F64),
    ("col,row", [(3, 1), (1, 4)], F64),
    ("scalar,mat", [None, (3, 4)], F64),
    ("mat,scalar", [(3, 4), None], F64),
    ("big,big", [(5, 6), (5, 6)], F64),
    ("f32 mat,mat", [(3, 4), (3, 4)], F32),
    ("f32 mat,row", [(3, 4), (4,)], F32),
]

MATMUL = [
    ("mat@mat", [(3, 4), (4, 2)], F64),
    ("mat@vec", [(3, 4), (4,)], F64),
    ("vec@mat", [(3,), (3, 4)], F64),
    ("vec@vec", [(5,), (5,)], F64),
    ("batch3d@mat", [(2, 3, 4), (4, 5)], F64),
    ("batch3d@batch3d", [(2, 3, 4), (2, 4, 5)], F64),
    ("mat@batch3d", [(3, 4), (2, 4, 5)], F64),
    ("bcast-batch@batch3d", [(1, 3, 4), (2, 4, 5)], F64),
    ("vec@batch3d", [(4,), (2, 4, 5)], F64),
    ("big mat@mat", [(6, 5), (5, 7)], F64),
    ("f32 mat@mat", [(3, 4), (4, 2)], F32),
]

DOT = [
    ("vec.vec", [(5,), (5,)], F64),
    ("mat.vec", [(3, 4), (4,)], F64),
    ("mat.mat", [(3, 4), (4, 2)], F64),
    ("3d.mat", [(2, 3, 4), (4, 5)], F64),
    ("scalar.mat", [None, (3, 4)], F64),
    ("mat.scalar", [(3, 4), None], F64),
    ("big mat.mat", [(6, 5), (5, 7)], F64),
    ("f32 mat.mat", [(3, 4), (4, 2)], F32),
]

RED2 = [("mat", [(3, 4)], F64), ("f32", [(3, 4)], F32)]
RED3 = [("3d", [(2, 3, 4)], F64)]
RED_ANY = [("vec", [(5,)], F64), *RED2, *RED3, ("big", [(5, 6)], F64)]


@dataclass(frozen=True)
class Rule:
    name: str
    fn: Callable
    domains: tuple  # one per argument
    shapes: list
    wrt: object = None  # None: all arguments (int 0 when there is one)
    vjp: bool = True  # also the vector-Jacobian dot-product check (vjp_check.py)
    raw: Callable | None = None  # the function before its reduction to a scalar (default: derived from fn)


@dataclass(frozen=True)
class Case:
    id: str
    rule: Rule
    shapes: tuple
    dtype: type


def expand(rules):
    cases = []
    for rule in rules:
        for shape_id, shapes, dtype in rule.shapes:
            assert len(shapes) == len(rule.domains), rule.name
            cases.append(Case(f"{rule.name}-{shape_id}", rule, tuple(shapes), dtype))
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, f"duplicate case ids: {sorted(dupes)}"
    return cases



def make_arg(rng, domain, shape, dtype):
    if shape is None:
        return float(domain(rng, ()))
    return np.asarray(domain(rng, shape), dtype=np.float64).astype(dtype)


def make_args(case: Case):
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    return tuple(
        make_arg(rng, dom, shape, case.dtype) for dom, shape in zip(case.rule.domains, case.shapes, strict=True)
    )


def wrt_of(rule: Rule):
    if rule.wrt is not None:
        return rule.wrt
    n = len(rule.domains)
    return 0 if n == 1 else tuple(range(n))



def check_case(case: Case, vjp: bool | None = None) -> None:
    """The row's function runs finite on its inputs, its gradient matches finite differences, and
    (unless the row or `vjp` says otherwise) so does a vector-Jacobian product with a random cotangent."""
    args = make_args(case)
    value = case.rule.fn(*args)
    assert np.ndim(value) == 0 and np.isfinite(value)
    check_grad(case.rule.fn, args, wrt=wrt_of(case.rule), seed=zlib.crc32(case.id.encode()))
    if case.rule.vjp if vjp is None else vjp:
        check_vjp(case.rule.fn, args, wrt_of(case.rule), case.rule.raw, case.id)
