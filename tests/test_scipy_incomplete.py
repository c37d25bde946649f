"""The shape-parameter derivatives of runtime/scipy_incomplete.py against 40-digit references (mpmath's
numerical derivative of the regularized incomplete gamma and beta functions and of Student's t cdf):
small and large shapes, both tails, each to 1e-9 relative (finite differences in the rule tables check
to about 1e-6 only)."""

from __future__ import annotations

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")
mp = pytest.importorskip("mpmath")

from adtransform.runtime import betainc_da, betainc_db, gammainc_da, t_cdf_ddf  # noqa: E402

RTOL = 1e-9
QUANTILES = (1e-12, 1e-3, 0.3, 0.5, 0.9, 1.0 - 1e-9)


def _close(got: float, ref: float, label: str) -> None:
    assert abs(got - ref) <= RTOL * abs(ref), f"{label}: got {got!r}, reference {ref!r}"


def test_gammainc_da():
    with mp.workdps(40):
        for a in (0.02, 0.4, 1.0, 3.5, 60.0, 2000.0):
            for q in QUANTILES:
                x = float(special.gammaincinv(a, q))
                if not x > 0.0:
                    continue
                # the derivative of the smaller side (the same number up to sign), precise in both tails
                lo, hi, sign = (0, x, 1) if q < 0.5 else (x, mp.inf, -1)
                ref = sign * mp.diff(lambda s, lo=lo, hi=hi: mp.gammainc(s, lo, hi, regularized=True), a)
                _close(float(gammainc_da(a, x)), float(ref), f"gammainc_da({a}, {x})")


def test_betainc_da_db():
    with mp.workdps(40):
        for a, b in ((0.05, 0.5), (0.5, 0.05), (2.0, 3.0), (30.0, 0.7), (0.3, 400.0), (300.0, 500.0)):
            for q in QUANTILES:
                x = float(special.betaincinv(a, b, q))
                if not 0.0 < x < 1.0:
                    continue
                lo, hi, sign = (0, x, 1) if q < 0.5 else (x, 1, -1)
                ref_a = sign * mp.diff(lambda s, b=b, lo=lo, hi=hi: mp.betainc(s, b, lo, hi, regularized=True), a)
                ref_b = sign * mp.diff(lambda t, a=a, lo=lo, hi=hi: mp.betainc(a, t, lo, hi, regularized=True), b)
                _close(float(betainc_da(a, b, x)), float(ref_a), f"betainc_da({a}, {b}, {x})")
                _close(float(betainc_db(a, b, x)), float(ref_b), f"betainc_db({a}, {b}, {x})")


def _t_cdf_left(z, df):
    """t's cdf at z < 0: I_(df / (df + z^2))(df / 2, 1/2) / 2."""
    return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + z * z), regularized=True) / 2


def test_t_cdf_ddf():
    with mp.workdps(40):
        for df in (0.2, 1.0, 4.5, 50.0, 3000.0):
            for q in (1e-30, 1e-6, 0.02, 0.3, 0.49):
                z = float(stats.t.ppf(q, df))
                ref = mp.diff(lambda v, z=z: _t_cdf_left(mp.mpf(z), v), df)
                _close(float(t_cdf_ddf(z, df)), float(ref), f"t_cdf_ddf({z}, {df})")
                _close(float(t_cdf_ddf(-z, df)), -float(ref), f"t_cdf_ddf({-z}, {df})")  # cdf(-z) = 1 - cdf(z)


def test_edges_and_dtypes():
    """Outside the support and at the ends the functions are constant in the shape: 0; float32 stays float32."""
    assert gammainc_da(2.0, 0.0) == 0.0 and gammainc_da(2.0, -1.0) == 0.0 and gammainc_da(2.0, np.inf) == 0.0
    assert betainc_da(2.0, 3.0, 0.0) == 0.0 and betainc_db(2.0, 3.0, 1.0) == 0.0
    assert t_cdf_ddf(0.0, 3.0) == 0.0 and t_cdf_ddf(1.5, np.inf) == 0.0
    assert np.isnan(gammainc_da(-1.0, 2.0))
    out = gammainc_da(np.float32([1.5, 2.5]), np.float32(1.0))
    assert out.dtype == np.float32 and out.shape == (2,)
    assert betainc_da(np.ones((2, 1)), np.ones(3), 0.5).shape == (2, 3)
    assert gammainc_da(np.ones(0), 1.0).shape == (0,)
