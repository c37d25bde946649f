"""The max shift of softmax/log-softmax/logsumexp gets no adjoint when its invariance is proven.

Each pattern is checked three ways: the analysis finds (or, for the negatives, must not find) the
shift on the primal IR, the generated gradient computes no extremum adjoint (or still does), and the
gradient agrees with central finite differences and, where autograd has the same functions, with
autograd. Regenerate the golden with ADTRANSFORM_UPDATE_GOLDEN=1 (as tests/test_golden.py).
"""

import os
import types
from pathlib import Path

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import shift_programs
from gradcheck import check_grad

import adtransform as ad
from adtransform.analysis import activity
from adtransform.analysis.shift_invariance import zero_adjoint_shifts
from adtransform.optimize.driver import optimize_primal
from adtransform.pipeline import primal_ir

GOLDEN = Path(__file__).parent / "golden"
RNG = np.random.default_rng(13)


# --- patterns whose shift is invariant (autograd runs the same code with `np` bound to autograd.numpy) -


def log_softmax_ce(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def log_softmax_last(z, Y):
    s = z - z.max(axis=-1, keepdims=True)
    return np.sum(Y * (s - np.log(np.exp(s).sum(axis=-1, keepdims=True))))


def log_softmax_axis0(z, Y):
    m = np.amax(z, 0, keepdims=True)
    s = -m + z
    return np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=0, keepdims=True))))


def softmax_method(z, Y):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return np.sum(np.sin(p) * Y)


def softmax_reciprocal(z, Y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e * (1.0 / np.sum(e, axis=1, keepdims=True))
    return np.sum(Y * np.log(p + 1.0))


def softmax_min_shift(z, Y):
    e = np.exp(z - np.min(z, axis=1, keepdims=True))
    return np.sum(Y * (e / np.sum(e, axis=1, keepdims=True)))


def softmax_unknown_shape_operand(z, Y):  # Y * e may have more axes: only the end-counted axis -1
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return np.sum(np.sum(Y * e, axis=-1, keepdims=True) / np.sum(e, axis=-1, keepdims=True)) \
        + np.sum(Y * e / np.sum(e, axis=-1, keepdims=True))


def logsumexp_full(z, Y):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def logsumexp_rows(z, Y):
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return np.sum(Y[:, :1] * lse)


def logsumexp_scalar_shift_rows(z, Y):
    m = np.max(z)  # one number: any broadcasting keeps it aligned
    lse = m + np.log(np.sum(np.exp(z - m), axis=1))
    return np.sum(np.cos(lse))


def softmax_3d_subset(z, Y):
    s = z - z.max(axis=(1, 2), keepdims=True)  # constant along both axes, normalized along one
    e = np.exp(s)
    return np.sum(np.sin(e / e.sum(axis=2, keepdims=True)))


def log_softmax_in_loop(z, Y):
    total = 0.0
    for _ in range(2):
        s = z - np.max(z, axis=1, keepdims=True)
        total = total + np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))))
        z = z * 0.5
    return total


def nanmax_shift(z, Y):
    m = np.nanmax(z, axis=1, keepdims=True)
    return np.sum(Y * (z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))))


def axis_put_back_by_index(z, Y):
    e = np.exp(z - z.max(axis=1)[:, None])
    return np.sum(Y * (e / np.sum(e, axis=1, keepdims=True)))


def axis_put_back_by_newaxis(z, Y):
    s = z - np.max(z, axis=-1)[..., np.newaxis]
    return np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))))


def axis_put_back_by_expand_dims(z, Y):
    m = np.expand_dims(np.max(z, axis=0), 0)
    return np.sum(Y[:1] * (m + np.log(np.sum(np.exp(z - m), axis=0, keepdims=True))))


POSITIVE = [axis_put_back_by_index, axis_put_back_by_newaxis, axis_put_back_by_expand_dims, log_softmax_ce,
            log_softmax_last, log_softmax_axis0, softmax_method, softmax_reciprocal,
            softmax_min_shift, softmax_unknown_shape_operand, logsumexp_full, logsumexp_rows,
            logsumexp_scalar_shift_rows, log_softmax_in_loop, nanmax_shift]
AUTOGRAD = [f for f in POSITIVE if f is not nanmax_shift]  # (autograd has no nanmax)


# --- patterns where the proof must fail: the shift's adjoint is not zero, or not provably ------


def shifted_also_returned(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    return np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=1, keepdims=True)))) + np.sum(s * s)


def shift_used_elsewhere(z, Y):
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    return np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=1, keepdims=True)))) + np.sum(m)


def exp_used_elsewhere(z, Y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return np.sum(Y * e / np.sum(e, axis=1, keepdims=True)) + np.sum(e)


def wrong_axis(z, Y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return np.sum(Y * e / np.sum(e, axis=0, keepdims=True))


def sum_without_keepdims(z, Y):  # square z: (n, n) / (n,) broadcasts along the other axis
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return np.sum(Y * e / np.sum(e, axis=1))


def logsumexp_without_keepdims(z, Y):  # (n, 1) + (n,) is (n, n), not a logsumexp
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(np.sin(m + np.log(np.sum(np.exp(z - m), axis=1))))


def full_sum_of_row_shift(z, Y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return np.sum(Y * e / np.sum(e))


def logsumexp_other_shift(z, Y):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(Y * (np.max(z) + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))))


def shift_of_another_array(z, Y):
    m = np.max(Y, axis=1, keepdims=True)
    s = z - m
    return np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))))


def mixed_axis_spellings(z, Y):  # the same axis for 2-D z, not provably so in general
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return np.sum(Y * e / np.sum(e, axis=-1, keepdims=True))


def unknown_shape_operand(z, Y):  # Y * e might add axes in front, renumbering axis=1 in the sum
    e = np.exp(z - np.min(z, axis=1, keepdims=True))
    return np.sum(np.sum(Y * e, axis=1, keepdims=True) / np.sum(e, axis=1, keepdims=True))


def scaled_shift(z, Y):  # temperature: (s / 2) is not base + c*m with a known c
    s = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(s / 2.0)
    return np.sum(Y * e / np.sum(e, axis=1, keepdims=True))


def shift_in_branch(z, Y):
    m = np.max(z, axis=1, keepdims=True)
    if z.shape[0] > 1:
        out = np.sum(Y * np.exp(z - m))
    else:
        out = np.sum(z)
    return out


def axis_put_back_elsewhere(z, Y):  # (n,) of a max over axis 0 as (n, 1): rows shifted by column maxima
    e = np.exp(z - z.max(axis=0)[:, None])
    return np.sum(Y * (e / np.sum(e, axis=1, keepdims=True)))


def axis_put_back_by_reshape(z, Y):  # (the same as keepdims for 2-D z only: not proven)
    e = np.exp(z - z.max(axis=1).reshape(-1, 1))
    return np.sum(Y * (e / np.sum(e, axis=1, keepdims=True)))


NEGATIVE = [axis_put_back_elsewhere, axis_put_back_by_reshape, shifted_also_returned,
            shift_used_elsewhere, exp_used_elsewhere, wrong_axis, sum_without_keepdims,
            logsumexp_without_keepdims, full_sum_of_row_shift, logsumexp_other_shift, shift_of_another_array,
            mixed_axis_spellings, unknown_shape_operand, scaled_shift, shift_in_branch]


def _inputs(dtype=np.float64, shape=(4, 4)):
    """Logits apart by 0.37 or more: no finite-difference step crosses a tie of the negatives' max."""
    size = int(np.prod(shape))
    z = ((RNG.permutation(size) - size / 2) * 0.37).reshape(shape).astype(dtype)
    Y = np.eye(shape[1])[RNG.integers(0, shape[1], shape[0])].astype(dtype)
    return z, Y


def _autograd(f, z, Y):
    """autograd's gradient of the same code, its `np` being autograd.numpy."""
    same = types.FunctionType(f.__code__, {**f.__globals__, "np": anp}, f.__name__)
    return autograd.grad(lambda z: same(z, Y))(z)


def _proven(f):
    fn, ctx = primal_ir(f)
    optimize_primal(fn, ctx.namer)  # (as the pipeline does before activity: dead values gone)
    return {v.name for v in zero_adjoint_shifts(fn)}


@pytest.mark.parametrize("f", POSITIVE, ids=lambda f: f.__name__)
def test_invariant_shift_is_proven_and_gets_no_adjoint(f):
    assert _proven(f)
    source = ad.grad(f).source
    assert "extremum_adjoint" not in source and "tie_share" not in source


@pytest.mark.parametrize("f", NEGATIVE, ids=lambda f: f.__name__)
def test_proof_fails_and_the_shift_keeps_its_adjoint(f):
    assert not _proven(f)
    assert "extremum_adjoint" in ad.grad(f, wrt=(0, 1)).source  # (Y too: `shift_of_another_array`)


@pytest.mark.parametrize("f", POSITIVE + NEGATIVE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_against_finite_differences(f, dtype):
    z, Y = _inputs(dtype)
    check_grad(f, (z, Y), wrt=0)


@pytest.mark.parametrize("f", AUTOGRAD + NEGATIVE, ids=lambda f: f.__name__)
def test_gradient_against_autograd(f):
    z, Y = _inputs()
    expected = _autograd(f, z, Y)
    np.testing.assert_allclose(ad.grad(f)(z, Y), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(1, 5), (5, 1), (3, 7)])
def test_rectangular_and_size_one_axes(shape):
    z, Y = _inputs(shape=shape)
    for f in (log_softmax_ce, softmax_method, logsumexp_rows, logsumexp_full):
        expected = _autograd(f, z, Y)
        np.testing.assert_allclose(ad.grad(f)(z, Y), expected, rtol=1e-12, atol=1e-14)


def test_three_dimensional_tuple_axes():
    assert _proven(softmax_3d_subset)
    z = _inputs(shape=(2, 3, 4))[0]
    check_grad(softmax_3d_subset, (z, None), wrt=0)
    expected = _autograd(softmax_3d_subset, z, None)
    np.testing.assert_allclose(ad.grad(softmax_3d_subset)(z, None), expected, rtol=1e-12, atol=1e-14)


def vector_logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def test_vector_logsumexp_is_the_softmax():
    x = RNG.standard_normal(9)
    grad = ad.grad(vector_logsumexp)
    np.testing.assert_allclose(grad(x), np.exp(x) / np.sum(np.exp(x)), rtol=1e-14)
    assert grad(x.astype(np.float32)).dtype == np.float32
    assert "extremum_adjoint" not in grad.source


def test_non_finite_entries():
    """-inf entries get a zero gradient, as before; a NaN anywhere in a row leaves the row NaN."""
    z = np.array([[0.0, -np.inf, 1.0], [2.0, np.nan, 0.5]])
    Y = np.eye(3)[[0, 2]]
    g = ad.grad(log_softmax_ce)(z, Y)
    p = np.exp(z[0] - np.max(z[0]))
    np.testing.assert_allclose(g[0], (p / p.sum() - Y[0]) / 2)
    assert np.isnan(g[1]).all()
    assert np.isnan(ad.grad(vector_logsumexp)(np.array([1.0, np.nan, 2.0]))).all()


def test_scipy_functions_of_the_shifted_value():
    special = pytest.importorskip("scipy.special")

    def lse(z, Y):
        s = z - np.max(z, axis=1, keepdims=True)
        return np.sum(Y * (s - special.logsumexp(s, axis=1, keepdims=True)))

    def soft(z, Y):
        return np.sum(Y * np.sin(special.softmax(z - np.max(z, axis=1, keepdims=True), axis=1)))

    def log_soft(z, Y):
        return np.sum(Y * special.log_softmax(z - z.max(axis=1, keepdims=True), axis=1))

    def soft_other_axis(z, Y):  # normalized along an axis the shift is not constant along
        return np.sum(Y * np.sin(special.softmax(z - np.max(z, axis=1, keepdims=True), axis=0)))

    z, Y = _inputs()
    for f in (lse, soft, log_soft, soft_other_axis):
        assert bool(_proven(f)) is (f is not soft_other_axis)
        check_grad(f, (z, Y), wrt=0)


def test_softmax_ce_golden():
    """The emitted gradient of softmax cross-entropy: no adjoint of the shift at all."""
    source = ad.grad(shift_programs.softmax_ce).source.replace(shift_programs.__file__, "shift_programs.py")
    assert "extremum_adjoint" not in source and "max_1_bar" not in source
    path = GOLDEN / "softmax_ce.py.txt"
    if os.environ.get("ADTRANSFORM_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text(), f"generated source of softmax_ce changed; see {path}"


def test_operand_adding_axes_in_front():
    """Y with an axis more than z: `Y * e` renumbers the axes counted from the start."""
    z = _inputs()[0]
    Y = RNG.standard_normal((2, 4, 4))
    for f in (softmax_unknown_shape_operand, unknown_shape_operand):  # axis=-1: proven; axis=1: not
        check_grad(f, (z, Y), wrt=0)
        np.testing.assert_allclose(ad.grad(f)(z, Y), _autograd(f, z, Y), rtol=1e-12, atol=1e-14)


def test_vjp_and_value_and_grad():
    z, Y = _inputs(shape=(3, 5))
    value, g = ad.value_and_grad(log_softmax_ce)(z, Y)
    assert value == pytest.approx(log_softmax_ce(z, Y), rel=1e-15)
    np.testing.assert_allclose(g, _autograd(log_softmax_ce, z, Y), rtol=1e-12, atol=1e-14)

    def softmax(z):
        e = np.exp(z - np.max(z, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)

    out, pullback = ad.vjp(softmax, z)
    ct = RNG.standard_normal(out.shape)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, p, rtol=1e-14)
    (g,) = pullback(ct)
    np.testing.assert_allclose(g, p * (ct - np.sum(ct * p, axis=1, keepdims=True)), rtol=1e-12, atol=1e-14)


def shift_by_computed_index(z, i):
    m = np.max(z, axis=1)[:, i]  # (i is None here, but only a constant index is read as a new axis)
    e = np.exp(z - m)
    return np.sum(np.sin(e / np.sum(e, axis=1, keepdims=True)))


def shift_by_expand_dims_keyword(z, i):
    m = np.expand_dims(np.max(z, axis=1), axis=1)
    e = np.exp(z - m)
    return np.sum(np.sin(e / np.sum(e, axis=1, keepdims=True)))


def test_put_back_axis_spellings():
    z = _inputs(shape=(3, 5))[0]
    assert not _proven(shift_by_computed_index) and _proven(shift_by_expand_dims_keyword)
    for f in (shift_by_computed_index, shift_by_expand_dims_keyword):
        check_grad(f, (z, None), wrt=0)


def log_softmax_ce_unproven(z, Y):  # (the same code, differentiated with the proof switched off)
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def test_non_finite_rows_as_without_the_proof(monkeypatch):
    """Rows with -inf, +inf, NaN, all -inf, huge values: the same gradient as when m is differentiated."""
    inf, nan = np.inf, np.nan
    z = np.array([[0.0, -inf, 1.0], [1.0, inf, 0.0], [2.0, nan, 0.5], [-inf, -inf, -inf], [1e308, -1e308, 0.0]])
    Y = np.eye(3)[[0, 2, 1, 0, 1]]
    with np.errstate(all="ignore"):
        proven = ad.grad(log_softmax_ce)(z, Y)
        monkeypatch.setattr(activity, "zero_adjoint_shifts", lambda fn: set())
        unproven = ad.grad(log_softmax_ce_unproven)(z, Y)
    assert "extremum_adjoint" in ad.grad(log_softmax_ce_unproven).source
    np.testing.assert_allclose(proven, unproven, rtol=1e-14, atol=0)  # (NaN where NaN: rounding only)
