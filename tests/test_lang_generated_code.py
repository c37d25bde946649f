"""The generated code keeps nothing a reader would delete: after a `raise` in one branch, no assignment
of the names bound on the other path only (`s_1 = s_unassigned`), which never runs."""

import numpy as np
import pytest

import adtransform as ad

X = np.array([0.3, 0.7, 1.1])


def raises_in_else(x, c):
    if c > 0:
        s = np.sin(x)
    else:
        raise ValueError("c must be positive")
    return np.sum(s * x)


def raises_in_then(x, c):
    if c <= 0:
        raise ValueError("c must be positive")
    else:
        s = np.tanh(x)
        t = s * 2.0
    return np.sum(t * x)


@pytest.mark.parametrize("fn", [raises_in_else, raises_in_then], ids=lambda f: f.__name__)
def test_no_assignment_after_a_raise(fn):
    g = ad.grad(fn)
    assert "unassigned" not in g.source
    lines = [line.strip() for line in g.source.splitlines()]
    after = lines[lines.index(next(t for t in lines if t.startswith("raise_exception("))) + 1]
    assert after.startswith(("#", "else:", "if ")) or not after.endswith("_unassigned")
    with pytest.raises(ValueError, match="c must be positive"):
        g(X.copy(), -1.0)


def test_gradient_unchanged():
    np.testing.assert_allclose(ad.grad(raises_in_else)(X, 1.0), np.cos(X) * X + np.sin(X), rtol=1e-12)
    t = np.tanh(X)
    np.testing.assert_allclose(ad.grad(raises_in_then)(X, 1.0), 2.0 * t + 2.0 * X * (1.0 - t * t), rtol=1e-12)
