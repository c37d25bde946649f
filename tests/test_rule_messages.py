"""Refusals of calls without a rule name what is called in full (review 13, finding 10): a method of a
SciPy distribution or a ufunc (`stats.halfnorm.logpdf`, `np.maximum.reduce`), and a frozen distribution
says what to write instead."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import adtransform as ad
from adtransform.errors import NoAdjointRuleError, TransformError

X = np.array([0.3, 1.2, 2.5])
FROZEN = stats.norm(0.0, 2.0)


def halfnorm(x):
    return np.sum(stats.halfnorm.logpdf(x))


def maximum_reduce(x):
    return np.maximum.reduce(x)


def frozen_here(x):
    return np.sum(stats.norm(0.0, 2.0).logpdf(x))


def frozen_by_freeze(x):
    return np.sum(stats.norm.freeze(0.0, 2.0).logpdf(x))


def frozen_global(x):
    return np.sum(FROZEN.logpdf(x))


@pytest.mark.parametrize("f, name", [(halfnorm, "stats.halfnorm.logpdf"), (maximum_reduce, "np.maximum.reduce")])
def test_a_method_without_a_rule_is_named_in_full(f, name):
    with pytest.raises(NoAdjointRuleError) as info:
        ad.grad(f)(X)
    message = str(info.value)
    assert f"test_rule_messages.py:{f.__code__.co_firstlineno + 1}:" in message
    assert f"call of `{name}`" in message and f"@adtransform.adjoint({name})" in message


@pytest.mark.parametrize("f", [frozen_here, frozen_by_freeze, frozen_global], ids=lambda f: f.__name__)
def test_a_frozen_distribution_says_what_to_write(f):
    with pytest.raises(TransformError) as info:
        ad.grad(f)(X)
    message = str(info.value)
    assert f"test_rule_messages.py:{f.__code__.co_firstlineno + 1}:" in message
    assert "frozen distribution" in message and "stats.norm.logpdf(x, loc, scale)" in message


def written_instead(x):
    return np.sum(stats.norm.logpdf(x, 0.0, 2.0))


def test_the_advice_works():
    np.testing.assert_allclose(ad.grad(written_instead)(X), -X / 4.0)
