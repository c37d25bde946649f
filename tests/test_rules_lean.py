"""The lean paths of the common rules' runtime helpers (issue 13 item 6): the 2-norm's adjoint as
x * (g / norm) and scipy.special's softmax family in place, each one array of the input's shape.

Table rows for the paths they take (keepdims, axis pairs, float32, a read-only broadcast cotangent),
against finite differences; the helpers against the textbook formulas (independent: written out here)
on the edge cases the fast paths hand back to them (a zero norm, g / norm overflowing, dtypes that do
not fit in place); and the number of buffers each allocates, counted by benchmarks/allocations.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from rule_table import F32, F64, RED2, RED3, RED_ANY, Rule, check_case, expand, real

import adtransform as ad
from adtransform.runtime import norm_adjoint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

# --- rows: np.linalg.norm's 2-norm and Frobenius paths ------------------------------------------


def norm_vec32(x):
    return np.sin(np.linalg.norm(x) * 2.0)


def norm_all_keepdims_weighted(x):
    return np.sum(np.linalg.norm(x, keepdims=True) * np.cos(x))


def norm_fro_pair_keepdims(x):
    return np.sum(np.sin(np.linalg.norm(x, "fro", axis=(1, 2), keepdims=True)))


def norm_pair_negative(x):
    return np.sum(np.sin(np.linalg.norm(x, axis=(-1, -2))))


def norm_rows_scaled(x):
    return np.sum(np.linalg.norm(x, axis=-1) * np.arange(1.0, x.shape[0] + 1.0))


def norm_method_chain(x):
    return np.linalg.norm(x, ord=2) ** 2 + np.linalg.norm(x)


def relu_weighted(x):  # tie_share's np.maximum(h, 0.0) path
    return np.sum(np.maximum(x, 0.0) * np.cos(x))


def relu_ties(rng, shape):
    """Entries at least 0.3 from 0, and exact zeros (where max(x, 0) has the 1/2 convention, which is
    also what central differences give)."""
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, shape)
    x.flat[::3] = 0.0
    return x


VECTORS = [("vec", [(5,)], F64), ("f32 vec", [(6,)], F32), ("big", [(40,)], F64)]
MATS = [("mat", [(3, 4)], F64), ("f32 mat", [(3, 4)], F32)]

RULES = [
    Rule("norm vector", norm_vec32, (real,), VECTORS),
    Rule("norm(keepdims) weighted", norm_all_keepdims_weighted, (real,), RED_ANY),
    Rule("norm('fro', axis=(1,2), keepdims)", norm_fro_pair_keepdims, (real,), [*RED3, ("f32 3d", [(2, 3, 4)], F32)]),
    Rule("norm(axis=(-1,-2))", norm_pair_negative, (real,), [*RED2, *RED3]),
    Rule("norm(axis=-1) weighted", norm_rows_scaled, (real,), MATS),
    Rule("norm(ord=2) vector", norm_method_chain, (real,), VECTORS[:2]),
    Rule("maximum(x, 0.0) with zeros", relu_weighted, (relu_ties,), [*VECTORS, *MATS]),
]

# --- rows: scipy.special's softmax family (when SciPy is installed) -------------------------------

try:
    from scipy import special
except ImportError:  # the rows below need SciPy
    special = None


def softmax_weighted(x):
    return np.sum(special.softmax(x, axis=-1) * np.cos(x))


def softmax_summed(x):  # the cotangent is one value spread over a read-only view
    return np.sum(special.softmax(x, axis=0)) * 3.0 + np.sum(x * x)


def log_softmax_weighted(x):
    return np.sum(special.log_softmax(x, axis=(0, -1)) * np.cos(x))


def log_softmax_summed(x):
    return np.sum(special.log_softmax(x, axis=0)) * 0.5


def logsumexp_rows_weighted(x):
    return np.sum(special.logsumexp(x, axis=1, keepdims=True) * np.cos(x))


def logsumexp_all32(x):
    return np.sin(special.logsumexp(x))


def softmax_cross_entropy(x, w):
    return -np.sum(w * (x - special.logsumexp(x, axis=1, keepdims=True))) / x.shape[0]


PAIRS = [("mat,mat", [(3, 4), (3, 4)], F64), ("f32 mat,mat", [(3, 4), (3, 4)], F32),
         ("big,big", [(5, 6), (5, 6)], F64)]

if special is not None:
    RULES += [
        Rule("softmax(axis=-1) weighted", softmax_weighted, (real,), [*RED2, *RED3]),
        Rule("softmax(axis=0) summed", softmax_summed, (real,), [*RED2, *RED3]),
        Rule("log_softmax(axis=(0,-1)) weighted", log_softmax_weighted, (real,), [*RED2, *RED3]),
        Rule("log_softmax(axis=0) summed", log_softmax_summed, (real,), [*RED2, *RED3]),
        Rule("logsumexp(axis=1,keepdims) weighted", logsumexp_rows_weighted, (real,), [*RED2, *RED3]),
        Rule("logsumexp f32", logsumexp_all32, (real,), [("f32 vec", [(6,)], F32), ("f32 mat", [(3, 4)], F32)]),
        Rule("softmax cross-entropy", softmax_cross_entropy, (real, real), PAIRS),
    ]

CASES = expand(RULES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_rule(case):
    check_case(case)


# --- the helpers on the edge cases of their fast paths --------------------------------------------


def _textbook(g, x, y):
    """g x / y, 0 where y == 0 (the zero-norm convention)."""
    with np.errstate(all="ignore"):
        return np.where(y == 0, 0.0, g * x / np.where(y == 0, 1.0, y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_norm_adjoint_zero_norm_is_zero(dtype):
    x = np.zeros((3, 2), dtype=dtype)
    for axis, keepdims in ((None, False), (None, True), (1, False), ((0, 1), True)):
        y = np.linalg.norm(x, axis=axis, keepdims=keepdims)
        out = norm_adjoint(np.ones_like(y) if np.ndim(y) else 1.0, x, y, None, axis, keepdims)
        assert out.shape == x.shape and out.dtype == dtype and not np.any(out)
    rows = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=dtype)  # one zero row beside a nonzero one
    out = norm_adjoint(np.array([2.0, 5.0], dtype=dtype), rows, np.linalg.norm(rows, axis=1), None, 1, False)
    np.testing.assert_allclose(out, [[1.2, 1.6], [0.0, 0.0]], rtol=1e-6)


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 1e30)])
def test_norm_adjoint_when_g_over_norm_overflows(dtype, big):
    # g / y is not finite in `dtype`: x * (g / y) would give inf and nan; g x / y keeps x's zeros 0
    x = np.array([1e-10 if dtype == np.float64 else 1e-20, 0.0], dtype=dtype)
    y = np.linalg.norm(x)
    out = norm_adjoint(big, x, y, None, None, False)
    assert out.dtype == dtype and np.all(np.isfinite(out))
    np.testing.assert_allclose(out, _textbook(big, x, y), rtol=1e-6)
    rows = np.stack([x, x])
    out = norm_adjoint(np.full(2, big, dtype=dtype), rows, np.linalg.norm(rows, axis=1), None, -1, False)
    np.testing.assert_allclose(out, _textbook(big, rows, np.linalg.norm(rows, axis=1)[:, None]), rtol=1e-6)


def test_norm_adjoint_infinite_and_nan_entries_as_the_formula():
    for x in (np.array([np.inf, 1.0]), np.array([np.nan, 1.0]), np.array(-2.0)):
        y = np.linalg.norm(x)
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(norm_adjoint(1.0, x, y, None, None, False), _textbook(1.0, x, y))


def test_norm_adjoint_keeps_a_wider_cotangent():
    x = np.arange(1.0, 5.0, dtype=np.float32).reshape(2, 2)
    out = norm_adjoint(np.float64(3.0), x, np.linalg.norm(x), None, None, False)
    assert out.dtype == np.float64  # (as_gradient gives the parameter's dtype at the end)
    np.testing.assert_allclose(out, 3.0 * x / np.linalg.norm(x.astype(np.float64)), rtol=1e-6)


@pytest.mark.skipif(special is None, reason="SciPy is not installed")
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("dtypes", [(F64, F64), (F32, F32), (F32, F64)])
def test_softmax_family_helpers_equal_the_formulas(axis, dtypes):
    from adtransform.runtime import log_softmax_adjoint, logsumexp_a_adjoint, softmax_adjoint

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4)).astype(dtypes[0])
    g = rng.standard_normal((2, 3, 4)).astype(dtypes[1])
    s, ls = special.softmax(x, axis=axis), special.log_softmax(x, axis=axis)
    np.testing.assert_array_equal(softmax_adjoint(g, s, axis), s * (g - np.sum(g * s, axis=axis, keepdims=True)))
    np.testing.assert_array_equal(log_softmax_adjoint(g, ls, axis),
                                  g - np.exp(ls) * np.sum(g, axis=axis, keepdims=True))
    spread = np.broadcast_to(np.asarray(2.0, dtype=dtypes[1]), x.shape)  # read-only
    np.testing.assert_array_equal(softmax_adjoint(spread, s, axis), s * (spread - np.sum(spread * s, axis=axis,
                                                                                        keepdims=True)))
    for keepdims in (False, True):
        y = special.logsumexp(x, axis=axis, keepdims=keepdims)
        gy = rng.standard_normal(np.shape(y)).astype(dtypes[1])
        kept = (lambda v: v) if axis is None or keepdims else (lambda v: np.expand_dims(v, axis))
        want = kept(gy) * np.exp(x - kept(y))
        got = logsumexp_a_adjoint(gy, y, x, axis, None, keepdims)
        assert got.dtype == want.dtype and got.shape == x.shape
        np.testing.assert_array_equal(got, want)
        for b in (np.abs(g) + 0.5, np.linspace(0.5, 2.0, 4).astype(dtypes[1]), np.full((2, 1, 1), 0.7)):
            yb = special.logsumexp(x, axis=axis, b=b, keepdims=keepdims)
            gb = rng.standard_normal(np.shape(yb)).astype(dtypes[1])
            weights = kept(gb) * np.exp(x - kept(yb))
            got = logsumexp_a_adjoint(gb, yb, x, axis, b, keepdims)
            want = np.broadcast_to(weights * b, np.broadcast_shapes(weights.shape, np.shape(b)))
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


# --- buffers: one array of the input's shape each ---------------------------------------------------


def _full_buffers(call, nbytes):
    allocations = pytest.importorskip("allocations")
    counts = allocations.count_call(call)
    return counts.bytes // nbytes, counts


def test_norm_adjoint_allocates_one_array():
    x = np.random.default_rng(0).standard_normal(10_000)
    full, counts = _full_buffers(lambda: norm_adjoint(1.0, x, np.linalg.norm(x), None, None, False), x.nbytes)
    assert counts.big == 1 and full == 1
    m = x.reshape(100, 100)
    rows = np.linalg.norm(m, axis=1)
    full, _ = _full_buffers(lambda: norm_adjoint(np.ones(100), m, rows, None, 1, False), x.nbytes)
    assert full == 1


@pytest.mark.skipif(special is None, reason="SciPy is not installed")
def test_softmax_family_helpers_allocate_one_array():
    from adtransform.runtime import log_softmax_adjoint, logsumexp_a_adjoint, softmax_adjoint

    rng = np.random.default_rng(1)
    z, g = rng.standard_normal((256, 100)), rng.standard_normal((256, 100))
    y = special.logsumexp(z, axis=1, keepdims=True)
    s, ls, gy = special.softmax(z, axis=1), special.log_softmax(z, axis=1), -np.ones((256, 1))
    for call in (lambda: logsumexp_a_adjoint(gy, y, z, 1, None, True), lambda: softmax_adjoint(g, s, 1),
                 lambda: log_softmax_adjoint(g, ls, 1)):
        full, counts = _full_buffers(call, z.nbytes)
        assert full == 1  # (and one array of the 256 rows' sums)
    _, counts = _full_buffers(lambda: logsumexp_a_adjoint(1.0, special.logsumexp(z[0]), z[0], None, None, False),
                              z[0].nbytes)
    assert counts.big <= 1


# --- the benchmark's sources ------------------------------------------------------------------------


def passed_to_scipy(x):  # passed whole to a Python function: grad returns the flattening entry
    return special.logsumexp(x) * 2.0


@pytest.mark.skipif(special is None, reason="SciPy is not installed")
def test_source_of_a_gradient_that_may_take_containers_shows_the_code_after_a_call():
    df = ad.grad(passed_to_scipy)
    assert "first call" in df.source
    x = np.random.default_rng(2).standard_normal(5)
    np.testing.assert_allclose(df(x), 2.0 * special.softmax(x), rtol=1e-12)
    assert "def dpassed_to_scipy_dx(" in df.source and "first call" not in df.source


@pytest.mark.parametrize("dtype, length", [(np.float32, 100), (np.float16, 300), (np.float16, 3000)])
def test_extremum_adjoint_splits_ties_in_its_dtype(dtype, length):
    from adtransform.runtime import extremum_adjoint

    x = np.zeros((3, length), dtype=dtype)
    x[0, 5] = x[1, :7] = 1.0  # row 0: one maximum; row 1: seven tied; row 2: all `length` tied
    g = np.array([2.0, 7.0, 3.0], dtype=dtype)
    out = extremum_adjoint(g, x, x.max(axis=1), 1, False, True)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.astype(np.float64).sum(axis=1), g, rtol=2e-3)
    assert out[0, 5] == 2.0 and np.all(out[1, :7] == 1.0) and np.all(out[1, 7:] == 0)
    np.testing.assert_allclose(out[2].astype(np.float64), np.full(length, 3.0 / length), rtol=1e-3)


def test_extremum_adjoint_float32_allocates_its_result_and_one_row_array():
    from adtransform.runtime import extremum_adjoint

    z = np.random.default_rng(3).standard_normal((256, 100)).astype(np.float32)
    m, g = z.max(axis=1, keepdims=True), np.ones((256, 1), dtype=np.float32)
    _, counts = _full_buffers(lambda: extremum_adjoint(g, z, m, 1, True, True), z.nbytes)
    assert counts.big == 2 and counts.bytes <= z.nbytes + 2 * m.nbytes  # (the row counts: 1 KiB)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_tie_share_against_zero_is_heaviside_of_the_difference(dtype):
    from adtransform.runtime import tie_share

    h = np.array([-1.0, -0.0, 0.0, 1e-7, np.nan, np.inf, -np.inf, 3.0], dtype=dtype)
    for b in (0.0, np.float64(0.0), 0, np.zeros(1, dtype=dtype)):
        want = np.heaviside(np.subtract(h, b), 0.5)
        got = tie_share(h, b)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert tie_share(h, 0.0) is not h


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_det_adjoint_in_place_is_the_cofactor_formula(dtype):
    from adtransform.runtime import det_adjoint

    rng = np.random.default_rng(4)
    a = (rng.standard_normal((2, 3, 3)) + 3.0 * np.eye(3)).astype(dtype)
    y = np.linalg.det(a)
    g = rng.standard_normal(2).astype(dtype)
    for gv in (g, 2.0, g.astype(np.float64)):
        got = det_adjoint(gv, a, y)
        want = (np.asarray(gv) * y)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
        assert got.dtype == want.dtype and got.shape == a.shape
        np.testing.assert_array_equal(got, want)
    big = (rng.standard_normal((2, 30, 30)) + 8.0 * np.eye(30)).astype(dtype)
    det = np.linalg.det(big)
    _, counts = _full_buffers(lambda: det_adjoint(g, big, det), big.nbytes)
    _, inverse = _full_buffers(lambda: np.linalg.inv(big), big.nbytes)  # (float32: computed in float64)
    assert counts.big == inverse.big and counts.bytes < inverse.bytes + 0.1 * big.nbytes  # scaled in place
