"""Reverse rules for np.linalg: inv, solve, det, slogdet, cholesky, eigh, eigvalsh, qr, svd, svdvals,
lstsq, pinv, matrix_power (np.linalg.norm is in the reductions' module).

Contract: see rules/notation.py. The helpers (runtime/linalg.py) work on stacks of matrices and say
where a derivative is undefined (singular matrices, repeated eigenvalues or singular values) instead
of returning a wrong value. Functions returning a tuple are declared in rules/tuples.py, so
`w, V = np.linalg.eigh(A)`, `np.linalg.slogdet(A)[1]` and `np.linalg.slogdet(A).logabsdet` work.
"""

import numpy as np

from ..runtime import (
    cho_factor_adjoint,
    cho_solve_adjoint,
    cholesky_adjoint,
    det_adjoint,
    eigh_adjoint,
    eigvalsh_adjoint,
    expm_adjoint,
    inv_adjoint,
    lstsq_adjoint,
    matrix_power_adjoint,
    pinv_adjoint,
    qr_adjoint,
    scipy_solve_adjoint,
    slogdet_adjoint,
    solve_cotangent,
    solve_lhs_adjoint,
    solve_triangular_adjoint,
    svd_adjoint,
    unbroadcast,
)
from .notation import Accepts, adjoint, d, declare_facts
from .registry import Returns
from .tuples import declare_tuple_result

REDUCED = Accepts(lambda v: v == "reduced", "only mode='reduced' (Q and R) is differentiated")
NOT_HERMITIAN = Accepts(lambda v: v is False, "`hermitian=True` is not differentiated; leave it out")
A_BOOL = Accepts(lambda v: isinstance(v, bool), "give it as the constant True or False")
UPLO = Accepts(lambda v: v in ("L", "U", "l", "u"), "`UPLO=` is 'L' or 'U'")
UPPER = Accepts(lambda v: isinstance(v, bool), "`upper=` is the constant True or False")

declare_tuple_result(np.linalg.slogdet, ("sign", "logabsdet"))
declare_tuple_result(np.linalg.eigh, ("eigenvalues", "eigenvectors"))
declare_tuple_result(np.linalg.qr, ("Q", "R"), unless=("mode", 1, ("r",)))
declare_tuple_result(np.linalg.svd, ("U", "S", "Vh"), unless=("compute_uv", 2, (False,)))
declare_tuple_result(np.linalg.lstsq, ("x", "residuals", "rank", "s"))


@adjoint(np.linalg.inv, returns=Returns.NEW)
def inv(y, a):
    d[a] = inv_adjoint(d[y], y)


@adjoint(np.linalg.solve, returns=Returns.NEW)
def solve(x, a, b):
    # One solve with a^T serves both: b's cotangent, and a's (its outer product with x).
    gb = solve_cotangent(d[x], a, b)
    d[b] = unbroadcast(gb, b)
    d[a] = solve_lhs_adjoint(gb, x, a, b)


@adjoint(np.linalg.det, returns=Returns.NEW)
def det(y, a):
    d[a] = det_adjoint(d[y], a, y)


@adjoint(np.linalg.slogdet, returns=Returns.NEW_ITEMS)
def slogdet(y, a):
    d[a] = slogdet_adjoint(d[y], a)


@adjoint(np.linalg.cholesky, returns=Returns.NEW)
def cholesky(y, a, *, upper: UPPER = False):
    d[a] = cholesky_adjoint(d[y], y, upper)


@adjoint(np.linalg.eigh, returns=Returns.NEW_ITEMS)
def eigh(y, a, UPLO: UPLO = "L"):
    d[a] = eigh_adjoint(d[y], a, y[0], y[1], UPLO)


@adjoint(np.linalg.eigvalsh, returns=Returns.NEW)
def eigvalsh(y, a, UPLO: UPLO = "L"):
    d[a] = eigvalsh_adjoint(d[y], a, UPLO)


@adjoint(np.linalg.qr, returns=Returns.NEW_ITEMS)
def qr(y, a, mode: REDUCED = "reduced"):
    d[a] = qr_adjoint(d[y], a, y[0], y[1])


@adjoint(np.linalg.svd, returns=Returns.NEW_ITEMS)
def svd(y, a, full_matrices: A_BOOL = True, compute_uv: A_BOOL = True, hermitian: NOT_HERMITIAN = False):
    d[a] = svd_adjoint(d[y], a, y, full_matrices, compute_uv)


if hasattr(np.linalg, "svdvals"):
    @adjoint(np.linalg.svdvals, returns=Returns.NEW)
    def svdvals(y, x):
        d[x] = svd_adjoint(d[y], x, y, False, False)


@adjoint(np.linalg.lstsq, nondiff=("rcond",), returns=Returns.NEW_ITEMS)
def lstsq(y, a, b, rcond=None):
    parts = lstsq_adjoint(d[y], a, b, y)
    d[a] = parts[0]
    d[b] = parts[1]


@adjoint(np.linalg.pinv, nondiff=("rcond", "rtol"), returns=Returns.NEW)
def pinv(y, a, rcond=None, hermitian: NOT_HERMITIAN = False, *, rtol=None):
    # The derivative where the rank is locally constant: at a change of rank pinv jumps, and this is the
    # derivative along matrices of the same rank (JAX's convention).
    d[a] = pinv_adjoint(d[y], a, y)


@adjoint(np.linalg.matrix_power, nondiff=("n",), returns=Returns.VIEW)
def matrix_power(y, a, n):
    d[a] = matrix_power_adjoint(d[y], a, n)


# The helpers of the backward sweep: each builds new arrays (`lstsq_adjoint` a tuple of two).
declare_facts(inv_adjoint, solve_cotangent, solve_lhs_adjoint, det_adjoint, slogdet_adjoint, cholesky_adjoint,
              eigh_adjoint, eigvalsh_adjoint, qr_adjoint, svd_adjoint, pinv_adjoint, matrix_power_adjoint,
              returns=Returns.NEW)
declare_facts(lstsq_adjoint, returns=Returns.NEW_ITEMS)
# (scipy.linalg's, declared here: the runtime exports them whether or not SciPy is installed)
declare_facts(solve_triangular_adjoint, cho_solve_adjoint, scipy_solve_adjoint, returns=Returns.NEW_ITEMS)
declare_facts(cho_factor_adjoint, expm_adjoint, returns=Returns.NEW)
