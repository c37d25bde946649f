"""Calls to the user's own functions are inlined (issue 12, item 1): each program's gradient against
central finite differences AND autograd, which differentiates through user functions natively."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import inline_helpers
import inline_programs as programs
import numpy as np
import pytest
from gradcheck import check_grad
from inline_reference import autograd_copy

import adtransform as ad

HELPERS_AG = autograd_copy(inline_helpers)
PROGRAMS_AG = autograd_copy(programs, inline_helpers=HELPERS_AG)

rng = np.random.default_rng(12)
X = np.array([0.3, -0.4, 0.9])
CASES = [
    ("mlp_loss", (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2),
                  rng.normal(size=(5, 3)), rng.normal(size=(5, 2))), (0, 1, 2, 3)),
    ("scalars_and_arrays", (X, 0.7), (0, 1)),
    ("early_returns", (X, 0.5), 0),
    ("early_returns", (X, -0.5), 0),
    ("early_returns", (X, -0.35), 0),
    ("other_module", (X,), 0),
    ("looped", (X,), 0),
    ("in_conditions", (X,), 0),
    ("short_circuits", (X, 0.5), 0),
    ("short_circuits", (X, -0.5), 0),
    ("short_circuits", (X, 3.0), 0),
    ("augmented", (X,), 0),
    ("nested_args", (X,), 0),
    ("binding", (X, np.array([1.5, 0.2, -0.7])), (0, 1)),
    ("callee_updates_a_local", (X,), 0),
    ("comprehensions", (X,), 0),
    ("comprehension_of_a_nested_function", (X,), 0),
]

# In-place updates autograd cannot trace: finite differences only.
NOT_AUTOGRAD = {"augmented", "callee_updates_a_local"}


@pytest.mark.parametrize(("name", "args", "wrt"), CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_finite_differences_and_autograd(name, args, wrt):
    fn = getattr(programs, name)
    before = [np.copy(a) for a in args]
    got = check_grad(fn, args, wrt=wrt)
    if name in NOT_AUTOGRAD:
        return
    reference = autograd.grad(getattr(PROGRAMS_AG, name), wrt)(*args)
    for g, r in zip(got if isinstance(wrt, tuple) else (got,), reference if isinstance(wrt, tuple) else (reference,)):
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-12)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)  # the caller's arguments are not changed


def test_value_and_vjp_through_calls():
    value, grad = ad.value_and_grad(programs.nested_args)(X)
    assert value == pytest.approx(programs.nested_args(X))
    np.testing.assert_allclose(grad, autograd.grad(PROGRAMS_AG.nested_args)(X), rtol=1e-10)

    def vector(x):
        return programs.sigmoid(x) * programs.sq(x)

    out, pullback = ad.vjp(vector, X)
    np.testing.assert_allclose(out, vector(X))
    cotangent = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(pullback(cotangent)[0], autograd.grad(
        lambda x: anp.sum(cotangent * PROGRAMS_AG.sigmoid(x) * PROGRAMS_AG.sq(x)))(X), rtol=1e-10)


def test_a_global_array_of_the_callees_module_is_read_at_each_call():
    dfn = ad.grad(programs.other_module)
    first = dfn(X)
    saved = inline_helpers.SCALE
    try:
        inline_helpers.SCALE = np.array([3.0, -1.0, 0.5])
        HELPERS_AG.SCALE = inline_helpers.SCALE
        np.testing.assert_allclose(dfn(X), autograd.grad(PROGRAMS_AG.other_module)(X), rtol=1e-10)
        assert not np.allclose(dfn(X), first)
    finally:
        inline_helpers.SCALE = HELPERS_AG.SCALE = saved


def test_a_callee_updating_its_argument_in_place_is_refused_as_the_same_code_written_inline():
    """`fresh_update(y)` changes the caller's `y` (Python semantics): the alias analysis sees the
    binding `a = y` and refuses the update exactly as it refuses the code written out by hand."""
    with pytest.raises(ad.UnsupportedSyntaxError) as by_hand:
        ad.grad(programs.updates_written_inline)
    with pytest.raises(ad.UnsupportedSyntaxError) as inlined:
        ad.grad(programs.updates_a_fresh_array)
    assert by_hand.value.construct == inlined.value.construct
    where = inlined.value.location
    assert (where.filename, where.line) == (programs.__file__, programs.fresh_update.__code__.co_firstlineno + 1)


def test_a_method_called_on_a_computed_receiver_with_an_inlined_argument():
    x = np.array([0.3, -0.4, 0.9])
    check_grad(programs.method_of_a_computed_receiver, (x,))  # (autograd's boxes have no `.dot`)


def test_parameter_bindings_of_an_inlined_call_are_not_recorded_in_a_loop():
    params = {"W": rng.normal(size=(3, 3)) * 0.5, "h0": rng.normal(size=3)}
    xs = rng.normal(size=(4, 3))
    g = ad.grad(programs.dict_entries_in_a_loop, wrt="params")
    got = g(params, xs)
    reference = autograd.grad(PROGRAMS_AG.dict_entries_in_a_loop)(params, xs)
    for key in params:
        np.testing.assert_allclose(got[key], reference[key], rtol=1e-9, atol=1e-12)
    recorded = [line for line in g.source.splitlines() if ".append(" in line]
    assert recorded and not any("params_W" in line for line in recorded), g.source
