"""Adjoints of scipy.linalg: solve_triangular, cho_factor, cho_solve, expm, and scipy's solve.

SciPy is imported inside the helpers: they run only in code differentiating a SciPy call, so the
runtime itself stays NumPy-only. The helpers take single matrices (2-D `a`; `b` 1-D or 2-D), SciPy's
batching rules being refused by a clear error instead of guessed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .linalg import _fold, cholesky_adjoint, tuple_part

__all__ = ["cho_factor_adjoint", "cho_solve_adjoint", "expm_adjoint", "scipy_solve_adjoint",
           "solve_triangular_adjoint"]


def _matrix(a: Any, what: str) -> None:
    if np.ndim(a) != 2:
        raise ValueError(f"the derivative of scipy.linalg.{what} is implemented for a single matrix (2-D), "
                         f"not a stack of them; loop over the stack or use np.linalg")


def _outer(u: Any, v: Any) -> Any:
    """u v^T for vectors, u @ v^T for matrices (a right-hand side of several columns)."""
    return np.multiply.outer(u, v) if np.ndim(u) == 1 else u @ v.T


def _transposes(trans: Any) -> bool:
    if trans in (0, "N", "n"):
        return False
    if trans in (1, 2, "T", "t", "C", "c"):
        return True
    raise ValueError(f"scipy.linalg.solve_triangular: unknown trans={trans!r}")


def solve_triangular_adjoint(g: Any, a: Any, b: Any, x: Any, trans: Any = 0, lower: Any = False,
                             unit_diagonal: Any = False) -> tuple[Any, Any]:
    """(a's cotangent, b's) of x = op(T)^-1 b, T the triangle of `a` SciPy reads (its diagonal taken as
    ones when `unit_diagonal`): b's is op(T)^-T g (one triangular solve); T's is -gb x^T for op = T,
    -x gb^T for op = T^T, kept on the entries SciPy reads."""
    import scipy.linalg

    _matrix(a, "solve_triangular")
    transposed = _transposes(trans)
    gb = scipy.linalg.solve_triangular(a, g, trans=0 if transposed else 1, lower=lower,
                                       unit_diagonal=unit_diagonal)
    ga = -_outer(x, gb) if transposed else -_outer(gb, x)
    n = np.shape(a)[-1]
    keep = np.tri(n, n, -1 if unit_diagonal else 0, dtype=bool)
    ga = np.where(keep if lower else keep.T, ga, 0.0)
    return ga.astype(np.result_type(a, np.float32), copy=False), gb.astype(np.result_type(b, np.float32), copy=False)


def cho_factor_adjoint(bar: Any, a: Any, y: Any) -> Any:
    """`c, lower = cho_factor(a)`: c holds the factor in one triangle and a's own entries in the other
    (SciPy leaves them there), so those pass their cotangent through unchanged."""
    gc = tuple_part(bar, 0)
    if gc is None:
        return np.zeros_like(a, dtype=np.result_type(a, np.float32))
    c, lower = y
    n = np.shape(c)[-1]
    factor_part = np.tri(n, n, 0, dtype=bool)
    factor_part = factor_part if lower else factor_part.T
    factor = np.where(factor_part, c, 0.0)
    out = cholesky_adjoint(np.where(factor_part, gc, 0.0), factor, not lower)
    return out + np.where(factor_part, 0.0, gc)


def cho_solve_adjoint(g: Any, c_and_lower: Any, b: Any, x: Any) -> list[Any]:
    """(the cotangent of `(c, lower)`, as a list, and b's) of x = A^-1 b with A = L L^T (or U^T U) from
    the factor in c's triangle: b's is A^-1 g (one more pair of triangular solves); with G = -gb x^T,
    the factor's is (G + G^T) L (or U (G + G^T)), kept on the triangle cho_solve reads."""
    import scipy.linalg

    c, lower = c_and_lower
    _matrix(c, "cho_solve")
    gb = scipy.linalg.cho_solve((c, lower), g)
    gsym = -_outer(gb, x)
    gsym = gsym + gsym.T
    n = np.shape(c)[-1]
    tri = np.tri(n, n, 0, dtype=bool)
    if lower:
        gc = np.where(tri, gsym @ np.where(tri, c, 0.0), 0.0)
    else:
        gc = np.where(tri.T, np.where(tri.T, c, 0.0) @ gsym, 0.0)
    return [gc.astype(np.result_type(c, np.float32), copy=False), None], \
        gb.astype(np.result_type(b, np.float32), copy=False)


def expm_adjoint(g: Any, a: Any) -> Any:
    """The Frechet derivative of expm at a^T applied to g: the upper right block of
    expm([[a^T, g], [0, a^T]]) (stacks of matrices too)."""
    import scipy.linalg

    n = np.shape(a)[-1]
    at = np.swapaxes(a, -1, -2)
    dtype = np.result_type(a, g, np.float32)
    block = np.zeros((*np.shape(a)[:-2], 2 * n, 2 * n), dtype=dtype)
    block[..., :n, :n] = at
    block[..., n:, n:] = at
    block[..., :n, n:] = g
    return scipy.linalg.expm(block)[..., :n, n:].astype(np.result_type(a, np.float32), copy=False)


def scipy_solve_adjoint(g: Any, a: Any, b: Any, x: Any, lower: Any = False, assume_a: Any = None,
                        transposed: Any = False) -> tuple[Any, Any]:
    """(a's cotangent, b's) of scipy.linalg.solve: as np.linalg.solve's (of a^T when `transposed`); for a
    symmetric `assume_a`, SciPy reads one triangle, so the gradient is folded into it."""
    _matrix(a, "solve")
    symmetric = assume_a not in (None, "gen", "general")
    if symmetric:  # the matrix SciPy solves with, built from the triangle it reads
        half = np.tril(a, -1) if lower else np.triu(a, 1)
        a = half + half.T + np.diag(np.diagonal(a))
    op = a.T if transposed else a
    gb = np.linalg.solve(op.T, g)
    ga = -_outer(gb, x)
    if transposed:
        ga = ga.T
    if symmetric:
        ga = _fold(ga, not lower)
    return ga.astype(np.result_type(a, np.float32), copy=False), gb.astype(np.result_type(b, np.float32), copy=False)
