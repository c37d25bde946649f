"""Adjoints of scipy.stats' multivariate densities: multivariate_normal and dirichlet (NumPy only;
the digamma of dirichlet's concentration comes from SciPy, imported when first needed).

Each `*_backward` reads the arguments as SciPy reads them (the default mean, a scalar or diagonal
covariance, one point or many, dirichlet's `x` with its last component left out) and returns what
the parts for each argument share, so a rule computes the one solve once.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class Gaussian(NamedTuple):
    w: np.ndarray  # adjoint of each point's log-density, shape (n,)
    solved: np.ndarray  # cov^-1 (x - mean) per point, (n, dim)
    cov: np.ndarray  # the full matrix SciPy factors, (dim, dim)


def mvn_backward(g: Any, y: Any, x: Any, mean: Any, cov: Any, density: bool) -> Gaussian:
    """What the parts share; `density`: `y` is the density (adjoint g * y of its log)."""
    c = np.asarray(cov, dtype=float)
    dim = np.size(mean) if mean is not None else (1 if c.ndim < 2 else c.shape[0])
    if dim == 1:
        full = c.reshape(1, 1)
    elif c.ndim == 2:
        full = np.tril(c) + np.tril(c, -1).T  # SciPy's eigh reads the lower triangle only
    else:
        full = np.diag(c) if c.ndim == 1 else c * np.eye(dim)
    points = np.asarray(x, dtype=float).reshape(-1, dim)  # (SciPy refuses points of another dimension)
    centre = np.zeros(dim) if mean is None else np.asarray(mean, dtype=float).reshape(dim)
    w = np.broadcast_to(g * y if density else g, np.shape(y)).reshape(-1)
    solved = np.linalg.solve(full, (points - centre).T).T
    return Gaussian(w, solved, full)


def mvn_x_adjoint(parts: Gaussian, x: Any) -> Any:
    return -(parts.w[:, None] * parts.solved).reshape(np.shape(x))


def mvn_mean_adjoint(parts: Gaussian, mean: Any) -> Any:
    return np.sum(parts.w[:, None] * parts.solved, axis=0).reshape(np.shape(mean))


def mvn_cov_adjoint(parts: Gaussian, cov: Any) -> Any:
    """-1/2 (sum(w) C^-1 - C^-1 (sum w r r^T) C^-1) in the form `cov` was given: for a matrix, on its lower
    triangle (SciPy reads only that, so an entry above the diagonal has no effect: derivative 0, and one
    below counts for both), for a diagonal its diagonal, for a scalar times the identity its trace."""
    weighted = parts.solved.T @ (parts.w[:, None] * parts.solved)
    grad = -0.5 * (np.sum(parts.w) * np.linalg.inv(parts.cov) - weighted)
    c = np.shape(cov)
    if len(grad) == 1:
        return grad.reshape(c) if c else grad[0, 0]
    if len(c) == 2:
        return np.tril(grad + grad.T, -1) + np.diag(np.diag(grad))
    return np.diag(grad).copy() if len(c) == 1 else np.trace(grad)


class Dirichlet(NamedTuple):
    w: np.ndarray  # adjoint of each point's log-density, (n,)
    x: np.ndarray  # the points with every component, (k, n)
    alpha: np.ndarray  # (k,)
    implicit: bool  # `x` left the last component out (SciPy takes it as 1 - the sum of the others)


def dirichlet_backward(g: Any, y: Any, x: Any, alpha: Any, density: bool) -> Dirichlet:
    a = np.asarray(alpha, dtype=float)
    points = np.asarray(x, dtype=float)
    points = points.reshape(points.shape[0], -1)
    implicit = points.shape[0] == a.shape[0] - 1
    if implicit:
        points = np.concatenate([points, 1.0 - points.sum(axis=0, keepdims=True)])
    w = np.broadcast_to(g * y if density else g, np.shape(y)).reshape(-1)
    return Dirichlet(w, points, a, implicit)


def dirichlet_x_adjoint(parts: Dirichlet, x: Any) -> Any:
    share = parts.w * ((parts.alpha - 1.0)[:, None] / parts.x)
    if parts.implicit:
        share = share[:-1] - share[-1:]
    return share.reshape(np.shape(x))


def dirichlet_alpha_adjoint(parts: Dirichlet, alpha: Any) -> Any:
    from scipy.special import digamma

    a = parts.alpha
    per_point = np.log(parts.x) - (digamma(a) - digamma(np.sum(a)))[:, None]
    return (per_point @ parts.w).reshape(np.shape(alpha))
