"""Rules' divisions with Python floats (review 13, finding 8): where the user's call gives inf or nan
with a Python float (np.log(0.0), special.logit(1.0)), the gradient is NumPy's too (the value the same
call gives on a one-element array), never a ZeroDivisionError; grad, value_and_grad, vjp and functions
run for their effect alike. Elsewhere the gradients match central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grad
from scipy import special, stats

import adtransform as ad


def log0(x):
    return np.log(x)


def arctanh1(x):
    return np.arctanh(x)


def logit1(x):
    return special.logit(x)


def log1p_m1(x):
    return special.log1p(x)


def xlogy0(x):
    return special.xlogy(x, 0.0 * x)


def gamma0(x):
    return stats.gamma.logpdf(x, 1.0)


def chi2_0(x):
    return stats.chi2.logpdf(x, 2.0)


def beta0(x):
    return stats.beta.logpdf(x, 1.0, 2.0)


def poisson_mu0(mu):
    return stats.poisson.logpmf(0, mu)


EDGES = [(log0, 0.0), (arctanh1, 1.0), (logit1, 1.0), (log1p_m1, -1.0), (xlogy0, 0.0), (gamma0, 0.0),
         (chi2_0, 0.0), (beta0, 0.0), (poisson_mu0, 0.0)]


def _as_array(f):
    def on_array(x):
        return np.sum(f(x))
    return on_array


@pytest.mark.parametrize("f, x", EDGES, ids=[f.__name__ for f, _ in EDGES])
def test_python_float_at_the_edge_gives_numpys_value(f, x):
    with np.errstate(all="ignore"):
        expected = ad.grad(_as_array(f))(np.array([x]))[0]
        got = ad.grad(f)(x)
        value, again = ad.value_and_grad(f)(x)
        out, pullback = ad.vjp(f, x)
        back = pullback(1.0)
    back = back[0] if isinstance(back, tuple) else back
    for g in (got, again, back):
        np.testing.assert_array_equal(np.float64(g), np.float64(expected))
    np.testing.assert_array_equal(np.float64(value), np.float64(f(x)))


def logit_printing(x):
    print("x", x)
    return special.logit(x)


def test_function_run_for_its_effect_computes_as_numpy(capsys):
    with np.errstate(all="ignore"):
        assert ad.grad(logit_printing)(1.0) == np.inf
    assert capsys.readouterr().out.count("x") == 1  # run once: not run again by a fallback


@pytest.mark.parametrize("f, x", [(log0, 0.7), (arctanh1, 0.3), (logit1, 0.6), (log1p_m1, -0.4), (gamma0, 0.8),
                                  (chi2_0, 1.3), (beta0, 0.25), (poisson_mu0, 0.9)],
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_inside_the_domain_the_gradient_is_right(f, x):
    check_grad(f, (x,))


def poisson_logpmf(mu, k):
    return np.sum(stats.poisson.logpmf(k, mu))


def poisson_pmf(mu, k):
    return np.sum(stats.poisson.pmf(k, mu))


def bernoulli_logpmf(p, k):
    return np.sum(stats.bernoulli.logpmf(k, p))


def bernoulli_pmf(p, k):
    return np.sum(stats.bernoulli.pmf(k, p))


def _one_sided(f, x, k, h):
    return (f(x + h, k) - f(x, k)) / h


@pytest.mark.parametrize("f, at, k, h", [
    (poisson_logpmf, 0.0, np.array([0]), 1e-7), (poisson_pmf, 0.0, np.array([0, 1, 2]), 1e-7),
    (bernoulli_logpmf, 0.0, np.array([0]), 1e-7), (bernoulli_logpmf, 1.0, np.array([1]), -1e-7),
    (bernoulli_pmf, 0.0, np.array([0, 1]), 1e-7), (bernoulli_pmf, 1.0, np.array([0, 1]), -1e-7)],
    ids=["poisson_logpmf_0", "poisson_pmf_0", "bernoulli_logpmf_0", "bernoulli_logpmf_1", "bernoulli_pmf_0",
         "bernoulli_pmf_1"])
def test_discrete_masses_at_the_ends_of_the_parameter_range(f, at, k, h):
    """SciPy's value there is finite (xlogy: 0 * log 0 = 0): the gradient is the one-sided derivative."""
    for x in (at, np.array([at])):
        g = np.sum(ad.grad(f)(x, k))
        assert np.isfinite(g)
        assert g == pytest.approx(_one_sided(f, at, k, h), abs=1e-5)


@pytest.mark.parametrize("f", [poisson_logpmf, poisson_pmf, bernoulli_logpmf, bernoulli_pmf],
                         ids=lambda f: f.__name__)
def test_discrete_masses_inside(f):
    k = np.array([0, 1, 3, 1]) if f.__name__.startswith("poisson") else np.array([0, 1, 1, 0])
    check_grad(f, (np.array([0.3, 0.6, 0.45, 0.7]), k))


def beta_at_one(x):
    return stats.beta.logpdf(x, 2.0, 1.0)


def gamma_pdf0(x):
    return stats.gamma.pdf(x, 1.0, scale=2.0)


def expon0(x):
    return stats.expon.logpdf(x)


@pytest.mark.parametrize("f, at, h", [(gamma0, 0.0, 1e-7), (chi2_0, 0.0, 1e-7), (beta0, 0.0, 1e-7),
                                      (beta_at_one, 1.0, -1e-7), (gamma_pdf0, 0.0, 1e-7), (expon0, 0.0, 1e-7)],
                         ids=["gamma_a1", "chi2_df2", "beta_a1", "beta_b1", "gamma_pdf", "expon"])
def test_closed_end_of_the_support_as_expon(f, at, h):
    """Where the density is finite at the end of its support (gamma a == 1, chi2 df == 2, beta a == 1 or
    b == 1) the end belongs to the support, as expon's z >= 0: the one-sided derivative, for floats and arrays."""
    expected = (f(at + h) - f(at)) / h
    assert ad.grad(f)(at) == pytest.approx(expected, abs=1e-5)
    assert ad.grad(_as_array(f))(np.array([at]))[0] == pytest.approx(expected, abs=1e-5)
