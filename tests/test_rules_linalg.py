"""Table rows for np.linalg's rules (rules/numpy_linalg.py): inv, solve, det, slogdet, cholesky, eigh,
eigvalsh, qr, svd, svdvals, lstsq, pinv, matrix_power; the tuple results as users unpack, index and
name them; refusals; cross-checks against autograd.

Inputs keep each function well conditioned: a shifted random matrix for inverses and solves, SPD
matrices with separated eigenvalues for cholesky and eigh, separated singular values for svd, qr
and the least-squares functions. Functions of eigen- and singular vectors are written so that they
do not depend on the vectors' signs (`V * V`), which NumPy does not fix.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad
from rule_table import F32, F64, Rule, check_case, expand

import adtransform as ad
from adtransform.errors import NoAdjointRuleError

# --- input domains: (rng, shape) -> float64 array ---------------------------------------------------


def _batched(shape, make):
    batch = shape[:-2]
    out = np.empty(shape)
    for index in np.ndindex(*batch):
        out[index] = make()
    return out


def square(rng, shape):
    """A random matrix shifted by 2.5 I: far from singular."""
    return rng.uniform(-1.0, 1.0, shape) + 2.5 * np.eye(shape[-1])


def negdet(rng, shape):
    """As `square`, with the last two rows swapped: a negative determinant."""
    a = square(rng, shape)
    return a[..., [*range(shape[-2] - 2), shape[-2] - 1, shape[-2] - 2], :]


def singular(rng, shape):
    """Rank n - 1: the last row is the sum of the others."""
    a = rng.uniform(-1.0, 1.0, shape)
    a[..., -1, :] = a[..., :-1, :].sum(axis=-2)
    return a


def _orthogonal(rng, n, k):
    q, r = np.linalg.qr(rng.normal(size=(n, k)))
    return q * np.sign(np.diag(r))


def spd(rng, shape):
    """Symmetric positive definite with eigenvalues 1, 1.6, 2.2, ... (well separated)."""
    n = shape[-1]

    def make():
        q = _orthogonal(rng, n, n)
        return (q * (1.0 + 0.6 * np.arange(n))) @ q.T

    return _batched(shape, make)


def separated(rng, shape):
    """Singular values 1, 1.5, 2, ... (distinct and nonzero)."""
    m, n = shape[-2:]
    k = min(m, n)

    def make():
        return (_orthogonal(rng, m, k) * (1.0 + 0.5 * np.arange(k))) @ _orthogonal(rng, n, k).T

    return _batched(shape, make)


def smallsq(rng, shape):
    """Near the identity: powers stay moderate."""
    return 0.3 * rng.uniform(-1.0, 1.0, shape) + np.eye(shape[-1])


def real(rng, shape):
    return rng.uniform(-1.5, 1.5, shape)


# --- shape sets ---------------------------------------------------------------------------------------

SQUARE = [("3x3", [(3, 3)], F64), ("1x1", [(1, 1)], F64), ("batch", [(2, 3, 3)], F64), ("big", [(5, 5)], F64),
          ("f32", [(3, 3)], F32)]
SQUARE_EMPTY = [*SQUARE, ("empty-batch", [(0, 3, 3)], F64)]
SOLVE = [("mat,vec", [(3, 3), (3,)], F64), ("mat,mat", [(3, 3), (3, 2)], F64),
         ("batch,batch", [(2, 3, 3), (2, 3, 2)], F64), ("batch,vec", [(2, 3, 3), (3,)], F64),
         ("bcast,batch", [(1, 3, 3), (2, 3, 2)], F64), ("batch,mat", [(2, 3, 3), (3, 2)], F64),
         ("mat,batch", [(3, 3), (2, 3, 2)], F64),
         ("big", [(5, 5), (5, 4)], F64), ("f32", [(3, 3), (3, 2)], F32)]
RECT = [("3x3", [(3, 3)], F64), ("tall", [(5, 3)], F64), ("batch-tall", [(2, 4, 3)], F64),
        ("f32", [(4, 3)], F32)]
RECT_ANY = [*RECT, ("wide", [(3, 5)], F64)]
LSTSQ = [("tall,vec", [(5, 3), (5,)], F64), ("tall,mat", [(5, 3), (5, 2)], F64),
         ("square,vec", [(3, 3), (3,)], F64), ("f32", [(5, 3), (5, 2)], F32)]


# --- functions: call the primitive directly, reduce with a non-uniform weight ---------------------------


def inv(a):
    return np.sum(np.sin(np.linalg.inv(a)))


def solve(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


def det(a):
    return np.sum(np.sin(0.05 * np.linalg.det(a)))  # (slowly: a 5x5 determinant is about 100)


def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(np.sin(logdet) + sign)


def slogdet_indexed(a):
    return np.sum(np.sin(np.linalg.slogdet(a)[1]))


def slogdet_named(a):
    return np.sum(np.sin(np.linalg.slogdet(a).logabsdet))


def slogdet_both(a):
    result = np.linalg.slogdet(a)
    return np.sum(result.sign * np.exp(result.logabsdet))  # det itself, through the sign


def cholesky(a):
    return np.sum(np.sin(np.linalg.cholesky(a)))


def cholesky_upper(a):
    return np.sum(np.sin(np.linalg.cholesky(a, upper=True)))


def eigh(a):
    w, v = np.linalg.eigh(a)
    return np.sum(np.sin(w)) + np.sum(np.sin(v * v))


def eigh_upper(a):
    w, v = np.linalg.eigh(a, UPLO="U")
    return np.sum(np.cos(w)) + np.sum(np.sin(v * v))


def eigh_values(a):
    return np.sum(np.sin(np.linalg.eigh(a).eigenvalues))


def eigh_vectors(a):
    return np.sum(np.sin(np.linalg.eigh(a)[1] ** 2))


def eigvalsh(a):
    return np.sum(np.sin(np.linalg.eigvalsh(a)))


def qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(np.sin(q * q)) + np.sum(np.sin(r * r))


def qr_r(a):
    return np.sum(np.sin(np.linalg.qr(a).R ** 2))


def svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.sin(s)) + np.sum(np.sin(u * u)) + np.sum(np.cos(vh * vh))


def svd_full_square(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(np.sin(s)) + np.sum(np.sin(u * u)) + np.sum(np.cos(vh * vh))


def svd_values_full(a):
    return np.sum(np.sin(np.linalg.svd(a).S))  # full_matrices=True: the values alone are defined


def svd_values(a):
    return np.sum(np.sin(np.linalg.svd(a, compute_uv=False)))


def svdvals(a):
    return np.sum(np.sin(np.linalg.svdvals(a)))


def lstsq(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(np.sin(x)) + np.sum(residuals) + np.sum(np.sin(s))


def lstsq_x(a, b):
    return np.sum(np.sin(np.linalg.lstsq(a, b)[0]))


def pinv(a):
    return np.sum(np.sin(np.linalg.pinv(a)))


def matrix_power_3(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, 3)))


def matrix_power_1(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, 1)))


def matrix_power_0(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, 0)))


def matrix_power_neg(a):
    return np.sum(np.sin(np.linalg.matrix_power(a, -2)))


RULES = [
    Rule("inv", inv, (square,), SQUARE_EMPTY),
    Rule("solve", solve, (square, real), SOLVE),
    Rule("det", det, (square,), SQUARE_EMPTY),
    Rule("det-negative", det, (negdet,), SQUARE[2:4]),
    Rule("det-singular", det, (singular,), [("3x3", [(3, 3)], F64), ("batch", [(2, 4, 4)], F64)]),
    Rule("slogdet-unpacked", slogdet_unpacked, (square,), SQUARE_EMPTY),
    Rule("slogdet-negative", slogdet_unpacked, (negdet,), SQUARE[2:4]),
    Rule("slogdet[1]", slogdet_indexed, (square,), SQUARE[:3]),
    Rule("slogdet.logabsdet", slogdet_named, (square,), SQUARE[:3]),
    Rule("slogdet-sign*exp", slogdet_both, (negdet,), SQUARE[2:4]),
    Rule("cholesky", cholesky, (spd,), SQUARE),
    Rule("cholesky(upper)", cholesky_upper, (spd,), SQUARE[:3]),
    Rule("eigh", eigh, (spd,), SQUARE),
    Rule("eigh(UPLO=U)", eigh_upper, (spd,), SQUARE[:3]),
    Rule("eigh.eigenvalues", eigh_values, (spd,), SQUARE[:3]),
    Rule("eigh[1]", eigh_vectors, (spd,), SQUARE[:3]),
    Rule("eigvalsh", eigvalsh, (spd,), SQUARE[:3]),
    Rule("qr", qr, (separated,), RECT),
    Rule("qr.R", qr_r, (separated,), RECT[:2]),
    Rule("svd", svd, (separated,), RECT_ANY),
    Rule("svd(full,square)", svd_full_square, (separated,), SQUARE[:3]),
    Rule("svd(full).S", svd_values_full, (separated,), RECT_ANY),
    Rule("svd(compute_uv=False)", svd_values, (separated,), RECT_ANY),
    Rule("lstsq", lstsq, (separated, real), LSTSQ),
    Rule("lstsq[0]", lstsq_x, (separated, real), LSTSQ[:2]),
    Rule("pinv", pinv, (separated,), RECT_ANY),
    Rule("matrix_power(3)", matrix_power_3, (smallsq,), SQUARE),
    Rule("matrix_power(1)", matrix_power_1, (smallsq,), SQUARE[:3]),
    Rule("matrix_power(0)", matrix_power_0, (smallsq,), SQUARE[:1]),
    Rule("matrix_power(-2)", matrix_power_neg, (smallsq,), SQUARE[:3]),
]
if hasattr(np.linalg, "svdvals"):
    RULES.append(Rule("svdvals", svdvals, (separated,), RECT_ANY))

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- refusals: located at transform time, or a clear error where the derivative is undefined ----------


def qr_complete(a):
    return np.sum(np.linalg.qr(a, mode="complete")[0])


def svd_hermitian(a):
    return np.sum(np.linalg.svd(a, hermitian=True)[1])


def svd_runtime_flag(a, flag):
    return np.sum(np.linalg.svd(a, compute_uv=flag)[1])


def eigh_degenerate(a):
    return np.sum(np.linalg.eigh(a)[1][:, 0])


def slogdet_singular(a):
    return np.linalg.slogdet(a)[1]


def svd_full_tall(a):
    return np.sum(np.linalg.svd(a)[0])


@pytest.mark.parametrize("fn, name", [(qr_complete, "mode"), (svd_hermitian, "hermitian")])
def test_refused_argument_is_located(fn, name):
    with pytest.raises(NoAdjointRuleError, match=rf"test_rules_linalg.py:\d+:\d+: .*`{name}=`"):
        ad.grad(fn)(np.eye(3))


def test_refused_run_time_flag():
    with pytest.raises(NoAdjointRuleError, match=r"test_rules_linalg.py:\d+:\d+: .*`compute_uv=`.*run time"):
        ad.grad(svd_runtime_flag)(np.eye(3), True)


def test_eigenvectors_of_repeated_eigenvalues_are_refused():
    with pytest.raises(np.linalg.LinAlgError, match="degenerate"):
        ad.grad(eigh_degenerate)(np.diag([1.0, 1.0, 2.0]))


def test_eigenvalues_of_repeated_eigenvalues_follow_the_convention():
    # Symmetric in the repeated values: V diag(g) V^T is the identity on their eigenspace.
    grad = ad.grad(eigvalsh)(np.diag([1.0, 1.0, 2.0]))
    expected = np.diag(np.cos([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(grad, expected, atol=1e-12)


def test_slogdet_of_a_singular_matrix_is_refused():
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        ad.grad(slogdet_singular)(np.ones((3, 3)))


def test_full_singular_vectors_beyond_the_rank_are_refused():
    with pytest.raises(np.linalg.LinAlgError, match="full_matrices"):
        ad.grad(svd_full_tall)(separated(np.random.default_rng(0), (5, 3)))


def test_det_at_a_singular_matrix_is_the_cofactor_matrix():
    a = singular(np.random.default_rng(1), (4, 4))
    cofactors = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(4)]
                          for i in range(4)])
    np.testing.assert_allclose(ad.grad(det)(a), 0.05 * np.cos(0.05 * np.linalg.det(a)) * cofactors, atol=1e-10)


def test_solve_reads_no_more_than_one_factorization():
    # The Gaussian log-likelihood's pattern: solve and slogdet of the same matrix.
    source = "\n".join(line for line in ad.source(ad.grad(gaussian_loglik)).splitlines()
                       if not line.strip().startswith("#"))
    assert source.count("np.linalg.solve(") == 1 and source.count("solve_cotangent(") == 1  # one solve with a^T
    assert source.count("slogdet_adjoint(") == 1 and "inv(" not in source  # (it inverts once)


def gaussian_loglik(cov, x):
    sign, logdet = np.linalg.slogdet(cov)
    return -0.5 * (x @ np.linalg.solve(cov, x)) - 0.5 * logdet


def test_gaussian_loglik_gradient():
    rng = np.random.default_rng(3)
    check_grad(gaussian_loglik, (spd(rng, (4, 4)), rng.normal(size=4)), wrt=(0, 1))


# --- cross-checks against autograd ----------------------------------------------------------------------

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")


def chol_of_gram(x):
    return np.sum(np.sin(np.linalg.cholesky(x @ x.T + np.eye(3))))


def chol_of_gram_ag(x):
    return anp.sum(anp.sin(anp.linalg.cholesky(anp.dot(x, x.T) + anp.eye(3))))


def eigh_of_gram(x):
    w, v = np.linalg.eigh(x @ x.T + np.eye(3))
    return np.sum(np.sin(w)) + np.sum(np.sin(v * v))


def eigh_of_gram_ag(x):
    w, v = anp.linalg.eigh(anp.dot(x, x.T) + anp.eye(3))
    return anp.sum(anp.sin(w)) + anp.sum(anp.sin(v * v))


def loglik_ag(cov, x):
    sign, logdet = anp.linalg.slogdet(cov)
    return -0.5 * anp.dot(x, anp.linalg.solve(cov, x)) - 0.5 * logdet


def inv_det_ag(a):
    return anp.sum(anp.sin(anp.linalg.inv(a))) + anp.sin(0.05 * anp.linalg.det(a))


def inv_det(a):
    return np.sum(np.sin(np.linalg.inv(a))) + np.sin(0.05 * np.linalg.det(a))


def svd_ag(a):
    u, s, vh = anp.linalg.svd(a, full_matrices=False)
    return anp.sum(anp.sin(s)) + anp.sum(anp.sin(u * u)) + anp.sum(anp.cos(vh * vh))


@pytest.mark.parametrize("ours, theirs, make", [
    (chol_of_gram, chol_of_gram_ag, lambda rng: (rng.normal(size=(3, 3)),)),
    (eigh_of_gram, eigh_of_gram_ag, lambda rng: (rng.normal(size=(3, 3)),)),
    (gaussian_loglik, loglik_ag, lambda rng: (spd(rng, (4, 4)), rng.normal(size=4))),
    (inv_det, inv_det_ag, lambda rng: (square(rng, (4, 4)),)),
    (svd, svd_ag, lambda rng: (separated(rng, (5, 3)),)),
], ids=["cholesky(gram)", "eigh(gram)", "gaussian", "inv+det", "svd"])
def test_matches_autograd(ours, theirs, make):
    args = make(np.random.default_rng(7))
    wrt = tuple(range(len(args)))
    got = ad.grad(ours, wrt=wrt)(*args)
    want = autograd.grad(theirs, argnum=list(wrt))(*args) if len(args) > 1 else (autograd.grad(theirs)(*args),)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)



def test_pinv_of_a_rank_deficient_matrix_is_the_derivative_at_constant_rank():
    rng = np.random.default_rng(13)
    u, v, du, dv = (rng.normal(size=n) for n in (4, 3, 4, 3))
    a = np.outer(u, v)  # rank 1: pinv is continuous only along matrices of rank 1
    direction = np.outer(du, v) + np.outer(u, dv)
    h = 1e-6
    fd = (pinv(np.outer(u + h * du, v + h * dv)) - pinv(np.outer(u - h * du, v - h * dv))) / (2 * h)
    np.testing.assert_allclose(np.sum(ad.grad(pinv)(a) * direction), fd, rtol=1e-6)
