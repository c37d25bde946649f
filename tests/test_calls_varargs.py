"""Callees with `*args` and `**kwargs` holding differentiated values, and calls forwarding them.

Each gradient is compared with central finite differences (and autograd for a few); a spread whose
length or keys are not known where the call is transformed is refused, located.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import tree_fd

import adtransform as ad

RNG = np.random.default_rng(5)
A = RNG.standard_normal(3)
B = RNG.standard_normal(3)


def squares(*xs):
    return sum(x * x for x in xs)


def scaled(x, **opts):
    return x * opts["scale"]


def target(a, b, scale=1.0):
    return np.sum(np.sin(a) * b) * scale


def forward_all(*args, **kwargs):
    return target(*args, **kwargs)


def forward_some(a, *rest, **kw):
    return target(a, *rest, **kw)


def twice(*args, **kwargs):
    return forward_all(*args, **kwargs) + forward_some(*args, **kwargs)


def loss_squares(a, b):
    return np.sum(squares(a, b, a * b))


def loss_kwargs(a, b):
    return np.sum(scaled(a, scale=b))


def loss_forward(a, b):
    return forward_all(a, b, scale=np.sum(b))


def loss_forward_some(a, b):
    return forward_some(a, b, scale=2.0)


def loss_two_levels(a, b):
    return twice(a, b * 2.0, scale=b[0])


def loss_named_tuple(a, b):
    args = (a, b)
    return target(*args)


def loss_named_dict(a, b):
    kw = {"scale": b[0]}
    return target(a, b, **kw)


def loss_displays(a, b):
    return np.sum(squares(*[a, b])) + target(**{"a": a, "b": b})


CASES = [loss_squares, loss_kwargs, loss_forward, loss_forward_some, loss_two_levels, loss_named_tuple,
         loss_named_dict, loss_displays]


@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_varargs_and_kwargs(fn):
    da, db = ad.grad(fn, wrt=(0, 1))(A, B)
    np.testing.assert_allclose(da, tree_fd(fn, (A, B), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, tree_fd(fn, (A, B), 1), rtol=1e-6, atol=1e-8)


def test_against_autograd():
    def twin(a, b):
        return anp.sum(anp.sin(a) * b) * anp.sum(b)

    da, db = ad.grad(loss_forward, wrt=(0, 1))(A, B)
    ta, tb = autograd.grad(twin, (0, 1))(A, B)
    np.testing.assert_allclose(da, ta, rtol=1e-10)
    np.testing.assert_allclose(db, tb, rtol=1e-10)


def grown_list(a, b):
    args = [a]
    args.append(b)
    return target(*args)


def edits_kwargs(**kwargs):
    kwargs["scale"] = 2.0
    return target(**kwargs)


def calls_edits_kwargs(a, b):
    return edits_kwargs(a=a, b=b)


@pytest.mark.parametrize(("fn", "line"), [(grown_list, 3), (calls_edits_kwargs, 1)])
def test_unknown_spread_is_refused_located(fn, line):
    with pytest.raises(ad.UnsupportedSyntaxError, match="`\\*` or `\\*\\*` arguments") as info:
        ad.grad(fn)(A, B)
    where = fn if fn is grown_list else edits_kwargs
    assert info.value.location.line == where.__code__.co_firstlineno + (line if fn is grown_list else 2)
