"""Adjoints of np.linalg: inverses, solves, determinants and the decompositions.

Every helper works on stacks of matrices (the last two axes), as NumPy does. The cotangent of a
function returning a tuple (`slogdet`, `eigh`, `qr`, `svd`, `lstsq`) is the adjoint of a sequence
(runtime/sequences.py: None, a list with None where nothing flowed, or an `Item`); `tuple_part` reads it.

Where a derivative is undefined the helpers raise `np.linalg.LinAlgError` saying why, never a
silently wrong value: a singular matrix for `slogdet` and the solves, repeated eigenvalues when the
eigenvectors are differentiated, repeated or zero singular values when the singular vectors are.
Symmetric inputs (`cholesky`, `eigh`) are read by NumPy from one triangle only, so the gradient is
the derivative of exactly that: zero in the ignored triangle, the off-diagonal entries of the one read
counting twice. For a matrix built symmetric (`S = X @ X.T`) the chain rule gives the same gradient
as JAX's and autograd's symmetric convention.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import _shape, unbroadcast
from .sequences import Item

__all__ = ["cholesky_adjoint", "det_adjoint", "eigh_adjoint", "eigvalsh_adjoint", "inv_adjoint", "lstsq_adjoint",
           "matrix_power_adjoint", "pinv_adjoint", "qr_adjoint", "slogdet_adjoint", "solve_cotangent",
           "solve_lhs_adjoint", "svd_adjoint", "tuple_part"]

LinAlgError = np.linalg.LinAlgError


def tuple_part(bar: Any, index: int) -> Any:
    """Item `index` of a tuple result's cotangent, None where nothing flowed into it."""
    if bar is None:
        return None
    if isinstance(bar, Item):
        return bar.value if bar.index == index else None
    return bar[index]


def _t(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _scalar_axes(g: Any) -> Any:
    """A (stack of) scalar cotangent(s) broadcast against a stack of matrices."""
    return np.asarray(g)[..., None, None]


def inv_adjoint(g: Any, y: Any) -> Any:
    """d inv(a) = -y da y, so a's cotangent is -y^T g y^T."""
    yt = _t(y)
    out = (yt @ g) @ yt
    return np.negative(out, out=out)  # (in place: one product fewer to allocate)


def _is_vector_rhs(a: Any, b: Any) -> bool:
    """Whether np.linalg.solve takes `b` as a vector (NumPy 2: only when 1-D)."""
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        return np.ndim(b) == 1
    return np.ndim(b) == np.ndim(a) - 1


def solve_cotangent(g: Any, a: Any, b: Any) -> Any:
    """a^-T g: the cotangent of solve's right-hand side before unbroadcasting (one solve with a^T)."""
    at = _t(a)
    if _is_vector_rhs(a, b):
        return np.linalg.solve(at, np.asarray(g)[..., None])[..., 0]
    return np.linalg.solve(at, g)


def solve_lhs_adjoint(gb: Any, x: Any, a: Any, b: Any) -> Any:
    """x = a^-1 b: a's cotangent is -gb x^T, with `gb` the right-hand side's (solve_cotangent)."""
    out = gb[..., :, None] * x[..., None, :] if _is_vector_rhs(a, b) else gb @ _t(x)
    np.negative(out, out=out)  # (in place: the only array of a's shape this allocates)
    return unbroadcast(out, a)


def _cofactors(a: Any) -> Any:
    """The cofactor matrix (adj(a)^T) from the SVD: defined, and continuous, for singular matrices too."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    others = np.where(np.eye(n, dtype=bool), 1.0, s[..., None, :]).prod(axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return _scalar_axes(sign) * ((u * others[..., None, :]) @ vh)


def det_adjoint(g: Any, a: Any, y: Any) -> Any:
    """d det(a) = det(a) tr(a^-1 da): a's cotangent is g det(a) a^-T, the cofactor matrix times g
    (from the SVD when a is singular, where the inverse does not exist but the derivative does)."""
    try:
        inverse = np.linalg.inv(a)
        scale = _scalar_axes(np.asarray(g) * y)
        if np.broadcast_shapes(scale.shape, inverse.shape) == inverse.shape and \
                np.result_type(scale, inverse) == inverse.dtype:
            return _t(np.multiply(inverse, scale, out=inverse))  # (in place: the inverse is ours)
        return scale * _t(inverse)
    except LinAlgError:
        return _scalar_axes(g) * _cofactors(a).astype(np.result_type(a, np.float32), copy=False)


def slogdet_adjoint(bar: Any, a: Any) -> Any:
    """d log|det(a)| = tr(a^-1 da): a's cotangent is g a^-T (one inverse); the sign has no derivative."""
    g = tuple_part(bar, 1)
    if g is None:
        return np.zeros_like(a, dtype=np.result_type(a, np.float32))
    try:
        inverse = np.linalg.inv(a)
    except LinAlgError:
        raise LinAlgError("the derivative of np.linalg.slogdet is undefined at a singular matrix "
                          "(its log-determinant is -inf)") from None
    scale = _scalar_axes(g)
    if np.broadcast_shapes(scale.shape, inverse.shape) != inverse.shape:
        return scale * _t(inverse)
    np.multiply(inverse, scale, out=inverse, casting="unsafe")  # (in place: the inverse is ours)
    return _t(inverse)


def _fold(g: Any, upper: bool) -> Any:
    """The gradient in the matrix NumPy read from one triangle of: `g` is the gradient with respect to the
    symmetric matrix it built, whose off-diagonal entries each come from one entry of that triangle."""
    both = g + _t(g)
    n = g.shape[-1]
    keep = np.tri(n, n, -1, dtype=bool)
    keep = keep.T if upper else keep
    diagonal = np.eye(n, dtype=bool)
    return np.where(keep, both, np.where(diagonal, g, 0.0)).astype(g.dtype, copy=False)


def cholesky_adjoint(g: Any, factor: Any, upper: Any = False) -> Any:
    """a = L L^T: with P = Phi(L^T g) (lower triangle, halved diagonal), the gradient with respect to
    the symmetric matrix is L^-T P L^-1 (two triangular solves), folded into the triangle NumPy reads."""
    lower = _t(factor) if upper else factor
    gl = _t(g) if upper else g
    lt = _t(lower)
    p = np.tril(lt @ gl)
    n = p.shape[-1]
    p = p - 0.5 * (p * np.eye(n, dtype=p.dtype))
    w = np.linalg.solve(lt, p)                   # L^-T P
    sym = _t(np.linalg.solve(lt, _t(w)))         # (L^-T (L^-T P)^T)^T = L^-T P L^-1
    return _fold(sym, bool(upper))


def _gaps(values: Any, what: str) -> Any:
    """1 / (v_j - v_i) off the diagonal (0 on it), refusing values that are numerically equal."""
    diff = values[..., None, :] - values[..., :, None]
    n = values.shape[-1]
    scale = np.max(np.abs(values), axis=-1, initial=1e-300)[..., None, None]
    off = ~np.eye(n, dtype=bool)
    tiny = np.abs(diff) <= 8 * n * np.finfo(values.dtype).eps * scale
    if np.any(tiny & off):
        raise LinAlgError(f"the derivative of the {what} is undefined where two are equal (degenerate); "
                          f"differentiate only the values, or a function of them symmetric in the equal ones")
    return np.where(off, 1.0 / np.where(off, diff, 1.0), 0.0)


def eigh_adjoint(bar: Any, a: Any, w: Any, v: Any, UPLO: Any = "L") -> Any:
    """a = V diag(w) V^T: the gradient with respect to the symmetric matrix is
    V (diag(gw) + F * (V^T gV)) V^T with F_ij = 1 / (w_j - w_i), folded into the triangle NumPy read.
    Differentiating the eigenvectors of repeated eigenvalues is refused (see `_gaps`: JAX would divide
    by zero). The eigenvalues alone always get V diag(gw) V^T: where gw is equal on a repeated eigenspace
    (a function symmetric in the repeated values, like a sum or a trace) that is the true gradient,
    whatever basis LAPACK chose; elsewhere repeated eigenvalues have no derivative, and this is the
    one-sided one of LAPACK's basis (JAX's convention)."""
    gw, gv = tuple_part(bar, 0), tuple_part(bar, 1)
    inner = np.zeros(_shape(v), dtype=v.dtype)
    if gw is not None:
        inner = inner + np.asarray(gw)[..., None, :] * np.eye(w.shape[-1], dtype=v.dtype)
    if gv is not None:
        inner = inner + _gaps(w, "eigenvectors of np.linalg.eigh") * (_t(v) @ gv)
    sym = v @ inner @ _t(v)
    return _fold(sym, str(UPLO).upper() == "U")


def eigvalsh_adjoint(g: Any, a: Any, UPLO: Any = "L") -> Any:
    """np.linalg.eigvalsh: eigh's eigenvalue part (the eigenvectors are computed again here)."""
    w, v = np.linalg.eigh(a, UPLO)
    return eigh_adjoint([g, None], a, w, v, UPLO)


def qr_adjoint(bar: Any, a: Any, q: Any, r: Any) -> Any:
    """a = Q R (reduced, a square or tall): with M = R gR^T - gQ^T Q and copyltu(M) the symmetric matrix
    of its lower triangle, a's cotangent is (gQ + Q copyltu(M)) R^-T."""
    gq, gr = tuple_part(bar, 0), tuple_part(bar, 1)
    m, n = _shape(a)[-2:]
    if m < n:
        raise LinAlgError("the derivative of np.linalg.qr is implemented for square and tall matrices "
                          "(rows >= columns); transpose a wide matrix first")
    gq = np.zeros_like(q) if gq is None else gq
    gr = np.zeros_like(r) if gr is None else gr
    mm = r @ _t(gr) - _t(gq) @ q
    low = np.tril(mm, -1)
    sym = low + _t(low) + mm * np.eye(n, dtype=mm.dtype)
    b = gq + q @ sym
    try:
        return _t(np.linalg.solve(r, _t(b)))
    except LinAlgError:
        raise LinAlgError("the derivative of np.linalg.qr is undefined for a matrix of deficient rank") from None


def svd_adjoint(bar: Any, a: Any, y: Any, full_matrices: Any = True, compute_uv: Any = True) -> Any:
    """a = U diag(s) V^T (reduced). The singular values alone: U diag(gs) V^T. With the singular vectors
    (distinct, and nonzero where a is not square; else refused):
    U [F*(U^T gU - gU^T U) S + diag(gs) + S F*(V^T gV - gV^T V)] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),  F_ij = 1 / (s_j^2 - s_i^2)."""
    m, n = _shape(a)[-2:]
    k = min(m, n)
    if not compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        gs, gu, gvh = bar, None, None
    else:
        u, s, vh = y
        gu, gs, gvh = tuple_part(bar, 0), tuple_part(bar, 1), tuple_part(bar, 2)
        if full_matrices and m != n:
            for g, extra in ((gu, (..., slice(None), slice(k, None))), (gvh, (..., slice(k, None), slice(None)))):
                if g is not None and np.any(np.asarray(g)[extra] != 0):
                    raise LinAlgError("the derivative of np.linalg.svd with full_matrices=True is undefined for "
                                      "the singular vectors beyond the rank (any basis would do); pass "
                                      "full_matrices=False")
            u, vh = u[..., :, :k], vh[..., :k, :]
            gu = None if gu is None else np.asarray(gu)[..., :, :k]
            gvh = None if gvh is None else np.asarray(gvh)[..., :k, :]
    v = _t(vh)
    dtype = np.result_type(a, np.float32)
    inner = np.zeros((*_shape(s)[:-1], k, k), dtype=dtype)
    if gs is not None:
        inner = inner + np.asarray(gs)[..., None, :] * np.eye(k, dtype=dtype)
    if gu is None and gvh is None:
        return (u @ inner @ vh).astype(dtype, copy=False)
    f = _gaps(s * s, "singular vectors of np.linalg.svd")
    if m != n and np.any(s <= np.finfo(s.dtype).eps * np.max(s, axis=-1, keepdims=True) * max(m, n)):
        raise LinAlgError("the derivative of the singular vectors of np.linalg.svd is undefined for a "
                          "non-square matrix of deficient rank (a zero singular value)")
    out = 0.0
    sv = s[..., None, :]
    if gu is not None:
        ut_gu = _t(u) @ gu
        inner = inner + (f * (ut_gu - _t(ut_gu))) * sv
        if m > k:
            out = out + ((gu - u @ ut_gu) / sv) @ vh
    if gvh is not None:
        gv = _t(gvh)
        vt_gv = _t(v) @ gv
        inner = inner + s[..., :, None] * (f * (vt_gv - _t(vt_gv)))
        if n > k:
            out = out + (u / sv) @ _t(gv - v @ vt_gv)
    return (u @ inner @ vh + out).astype(dtype, copy=False)


def pinv_adjoint(g: Any, a: Any, x: Any) -> Any:
    """x = pinv(a), where the rank is locally constant:
    -x^T g x^T + (I - a x) g^T x x^T + x^T x g^T (I - x a)."""
    xt, gt = _t(x), _t(g)
    right = gt @ (x @ xt)
    left = xt @ (x @ gt)
    return right - a @ (x @ right) + left - (left @ x) @ a - xt @ g @ xt


def matrix_power_adjoint(g: Any, a: Any, n: Any) -> Any:
    """y = a^n: for n >= 1, sum over k of (a^T)^k g (a^T)^(n-1-k); for n < 0, that of b = inv(a) to |n|,
    then -b^T gb b^T; for n == 0, zero."""
    n = int(n)
    if n == 0:
        return np.zeros_like(a, dtype=np.result_type(a, np.float32))
    base = np.linalg.inv(a) if n < 0 else a
    count = abs(n)
    powers = [None] * count
    powers[0] = np.broadcast_to(np.eye(_shape(a)[-1], dtype=np.result_type(a, np.float32)), _shape(a))
    for k in range(1, count):
        powers[k] = powers[k - 1] @ base
    out = 0.0
    for k in range(count):
        out = out + _t(powers[k]) @ g @ _t(powers[count - 1 - k])
    if n < 0:
        out = -(_t(base) @ out @ _t(base))
    return out


def lstsq_adjoint(bar: Any, a: Any, b: Any, y: Any) -> tuple[Any, Any]:
    """(a's cotangent, b's) of `x, residuals, rank, s = np.linalg.lstsq(a, b)`: x = pinv(a) b where the
    rank is locally constant; the residuals |a x - b|^2 (where NumPy gives them) have the gradients
    2 e x^T and -2 e with e = a x - b, since x minimizes them; s as np.linalg.svd's values."""
    gx, gres, gs = tuple_part(bar, 0), tuple_part(bar, 1), tuple_part(bar, 3)
    x = y[0]
    vector = np.ndim(b) == 1
    dtype = np.result_type(a, b, np.float32)
    ga = np.zeros(_shape(a), dtype=dtype)
    gb = np.zeros(_shape(b), dtype=dtype)
    if gx is not None:
        p = np.linalg.pinv(a)
        gb = gb + p.T @ gx
        gp = np.multiply.outer(gx, b) if vector else gx @ np.transpose(b)
        ga = ga + pinv_adjoint(gp, a, p)
    if gres is not None and np.size(y[1]):
        e = a @ x - b
        weight = np.asarray(gres)[0] if vector else np.asarray(gres)
        ga = ga + 2.0 * (np.multiply.outer(e, x) * weight if vector else (e * weight) @ np.transpose(x))
        gb = gb - 2.0 * e * weight
    if gs is not None:
        ga = ga + svd_adjoint(gs, a, y[3], False, False)
    return ga.astype(np.result_type(a, np.float32), copy=False), gb.astype(np.result_type(b, np.float32), copy=False)
