"""Reverse rules for scipy.linalg: solve_triangular, cho_factor, cho_solve, expm, and solve, inv, det,
cholesky as SciPy spells them. Imported only when SciPy is installed (it imports scipy.linalg here).

Contract: see rules/notation.py. `overwrite_a=True` / `overwrite_b=True` let SciPy destroy an input the
backward sweep still reads: refused. SciPy's own batching is refused at run time by the helpers
(runtime/scipy_linalg.py), which take single matrices.
"""

import scipy.linalg

from ..runtime import (
    cho_factor_adjoint,
    cho_solve_adjoint,
    cholesky_adjoint,
    det_adjoint,
    expm_adjoint,
    inv_adjoint,
    scipy_solve_adjoint,
    solve_triangular_adjoint,
)
from .notation import Accepts, adjoint, d
from .registry import Returns
from .tuples import declare_takes_tuple, declare_tuple_result

KEEP = Accepts(lambda v: v is False, "`overwrite_a=True` / `overwrite_b=True` may destroy a matrix the derivative "
               "still reads; leave it out")
A_BOOL = Accepts(lambda v: isinstance(v, bool), "give it as the constant True or False")
TRANS = Accepts(lambda v: v in (0, 1, 2, "N", "T", "C", "n", "t", "c"), "`trans=` is 0, 1, 2, 'N', 'T' or 'C'")
GENERAL = Accepts(lambda v: v in (None, "gen", "general"), "only a general matrix (`assume_a=None`) is "
                  "differentiated here")
SOLVABLE = Accepts(lambda v: v in (None, "gen", "general", "sym", "symmetric", "her", "hermitian", "pos",
                                   "positive definite"),
                   "`assume_a=` is differentiated for general, symmetric and positive definite matrices")

declare_tuple_result(scipy.linalg.cho_factor, ("c", "lower"))
declare_takes_tuple(scipy.linalg.cho_solve)


@adjoint(scipy.linalg.solve_triangular, nondiff=("trans", "lower", "unit_diagonal"), returns=Returns.NEW)
def solve_triangular(x, a, b, trans: TRANS = 0, lower: A_BOOL = False, unit_diagonal: A_BOOL = False,
                     overwrite_b: KEEP = False, check_finite=True):
    parts = solve_triangular_adjoint(d[x], a, b, x, trans, lower, unit_diagonal)
    d[a] = parts[0]
    d[b] = parts[1]


@adjoint(scipy.linalg.cho_factor, returns=Returns.NEW_ITEMS)
def cho_factor(y, a, lower: A_BOOL = False, overwrite_a: KEEP = False, check_finite=True):
    d[a] = cho_factor_adjoint(d[y], a, y)


@adjoint(scipy.linalg.cho_solve, returns=Returns.NEW)
def cho_solve(x, c_and_lower, b, overwrite_b: KEEP = False, check_finite=True):
    parts = cho_solve_adjoint(d[x], c_and_lower, b, x)
    d[c_and_lower] = parts[0]
    d[b] = parts[1]


@adjoint(scipy.linalg.expm, returns=Returns.NEW)
def expm(y, A):
    d[A] = expm_adjoint(d[y], A)


@adjoint(scipy.linalg.solve, nondiff=("lower", "assume_a", "transposed"), returns=Returns.NEW)
def solve(x, a, b, lower: A_BOOL = False, overwrite_a: KEEP = False, overwrite_b: KEEP = False, check_finite=True,
          assume_a: SOLVABLE = None, transposed: A_BOOL = False):
    parts = scipy_solve_adjoint(d[x], a, b, x, lower, assume_a, transposed)
    d[a] = parts[0]
    d[b] = parts[1]


@adjoint(scipy.linalg.inv, returns=Returns.NEW)
def inv(y, a, overwrite_a: KEEP = False, check_finite=True, *, assume_a: GENERAL = None, lower=False):
    d[a] = inv_adjoint(d[y], y)


@adjoint(scipy.linalg.det, returns=Returns.NEW)
def det(y, a, overwrite_a: KEEP = False, check_finite=True):
    d[a] = det_adjoint(d[y], a, y)


@adjoint(scipy.linalg.cholesky, returns=Returns.NEW)
def cholesky(y, a, lower: A_BOOL = False, overwrite_a: KEEP = False, check_finite=True):
    # SciPy's default is the upper factor (a = U^T U), read from a's upper triangle.
    d[a] = cholesky_adjoint(d[y], y, not lower)

