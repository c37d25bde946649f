"""All blockers at once, across stages: the alias analysis, lowering and reverse mode each report
every construct they refuse, and a function several stages refuse gets one error naming them all,
in source order, once each, with each stage's kind of error (an `except` for any of them catches
it). What stays unsupported is refused as `UnsupportedSyntaxError` naming file, line, column and
construct."""

from pathlib import Path

import numpy as np
import pytest

import adtransform as ad
from adtransform.errors import Location

_LINES = Path(__file__).read_text().splitlines()
L = []
W = np.ones(3)


def _at(fn, offset, marker):
    line = fn.__code__.co_firstlineno + offset
    return Location(__file__, line, _LINES[line - 1].index(marker))


def _found(err):
    return [(p.location, p.construct) for p in err.problems]


def three_aliases(x):
    y = x * 2.0
    t = y
    y += 1.0
    z = np.tanh(x)
    u = z
    for i in range(2):
        z *= 2.0
        u = u + z
    return np.sum(t) + np.sum(u)


def test_the_alias_analysis_reports_every_update_it_refuses_once():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(three_aliases)
    assert _found(info.value) == [(_at(three_aliases, 3, "y +="), "in-place update of an alias"),
                                  (_at(three_aliases, 7, "z *="), "in-place update of an alias")]
    assert str(info.value).splitlines()[0] == "cannot differentiate three_aliases: 2 unsupported constructs"


_made: dict = {}
exec("def helper(v):\n    return v * 2.0\n", _made)  # no source file: not inlined (a call without a rule)
helper = _made["helper"]


def alias_and_no_rule(x):
    y = x * 2.0
    t = y
    y -= 1.0
    return np.sum(helper(t) * y)


def test_an_alias_and_a_call_without_a_rule_in_one_error():
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(alias_and_no_rule)
    err = info.value
    assert isinstance(err, ad.UnsupportedSyntaxError)
    assert _found(err) == [(_at(alias_and_no_rule, 3, "y -="), "in-place update of an alias"),
                           (_at(alias_and_no_rule, 4, "helper"), "call of `helper`")]
    assert str(err).splitlines() == ["cannot differentiate alias_and_no_rule: 2 problems",
                                     *(f"  {p}" for p in err.problems)]


def lowering_refuses_three(x, n):
    s = np.sum(x)
    t = np.sum(x * 2.0)
    same = s is t
    return s * undefined_scale(x) + (n in (1, 2)) + same  # noqa: F821


def test_lowering_reports_every_construct_it_refuses():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(lowering_refuses_three)
    err = info.value
    assert isinstance(err, ad.NameResolutionError)
    assert _found(err) == [(_at(lowering_refuses_three, 3, "s is"), "`is`"),
                           (_at(lowering_refuses_three, 4, "undefined_scale"), "call of `undefined_scale`"),
                           (_at(lowering_refuses_three, 4, "n in"), "`in`")]


def alias_then_lowering(x):
    y = x * 2.0
    t = y
    y *= 3.0
    return np.sum(t * y) * missing(x)  # noqa: F821


def test_what_the_alias_analysis_refused_comes_with_what_stopped_the_pipeline():
    with pytest.raises(ad.NameResolutionError) as info:
        ad.grad(alias_then_lowering)
    assert _found(info.value) == [(_at(alias_then_lowering, 3, "y *="), "in-place update of an alias"),
                                  (_at(alias_then_lowering, 4, "missing"), "call of `missing`")]
    # Lowering stopped the pipeline: reverse mode did not run.
    assert str(info.value).splitlines()[-1] == \
        "  (canonicalization or lowering refused: the stages after it did not run, and may refuse more)"


def number_or_array(a, x):
    b = a
    b += 1.0
    return b * a * np.sum(helper(x))


def test_a_refusal_deferred_to_the_call_is_reported_when_another_stage_refuses():
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(number_or_array, wrt=1)
    alias = next(p for p in info.value.problems if p.construct == "in-place update of an alias")
    assert alias.location == _at(number_or_array, 2, "b +=")
    assert alias.advice.endswith("(when `a` holds an array; accepted when it holds a number)")


def test_a_lambda_is_named_alike_by_every_stage():
    """`<lambda>`, as Python names it: the fence and reverse mode once differed."""
    fence_refused = lambda x: x * {1}.pop() + {2}.pop()
    rule_refused = lambda x: helper(x) + helper(x * 2.0)
    for fn, kind in ((fence_refused, ad.UnsupportedSyntaxError), (rule_refused, ad.NoAdjointRuleError)):
        with pytest.raises(kind) as info:
            ad.grad(fn)
        assert str(info.value).startswith("cannot differentiate <lambda>: 2 ")


# --- what stays unsupported --------------------------------------------------------------------


def generator(x):
    yield x * 2.0
    return x


def handles(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)


def manages(x):
    with open(__file__) as handle:
        y = x * len(handle.name)
    return np.sum(y)


def rebinds_a_global(x):
    global W
    W = x
    return np.sum(x)


def appends_to_a_global(x):
    L.append(x)
    return np.sum(x)


def writes_into_a_global(x):
    W[0] = 2.0
    return np.sum(x * W)


def _closure():
    kept = []

    def appends_to_a_captured_list(x):
        kept.append(x)
        return np.sum(x)

    count = 0.0

    def rebinds_a_captured_name(x):
        nonlocal count
        count = x
        return np.sum(x)
    return appends_to_a_captured_list, rebinds_a_captured_name


appends_to_a_captured_list, rebinds_a_captured_name = _closure()


async def coroutine(x):
    return x


@pytest.mark.parametrize("fn, offset, marker, construct", [
    (generator, 1, "yield", "`yield`"),
    (handles, 1, "try", "`try` statement"),
    (manages, 1, "with", "`with` statement"),
    (rebinds_a_global, 1, "global", "`global` statement"),
    (appends_to_a_global, 1, "L.append", "call that changes a global list"),
    (writes_into_a_global, 1, "W[0]", "assignment into a global"),
    (appends_to_a_captured_list, 1, "kept.append", "call that changes a global list"),
    (rebinds_a_captured_name, 1, "nonlocal", "`nonlocal` statement"),
    (coroutine, 0, "async", "`async def`"),
])
def test_what_stays_unsupported_is_refused_located(fn, offset, marker, construct):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(fn)(np.ones(3))
    assert (info.value.location, info.value.construct) == (_at(fn, offset, marker), construct)
    assert W.tolist() == [1.0, 1.0, 1.0] and L == []


# --- refusals deferred to the call: every one, and errors that cross processes ------------------

def two_updates_through_a(a):
    y = a
    y += 1.0
    z = a
    z -= 1.0
    return y * z * a


def test_an_array_meets_every_update_refused_through_its_parameter():
    """Both updates are refused for an array (the first was lost once: one refusal kept per parameter)."""
    g = ad.grad(two_updates_through_a)
    a = 1.5
    fd = (two_updates_through_a(a + 1e-6) - two_updates_through_a(a - 1e-6)) / 2e-6
    assert abs(g(a) - fd) < 1e-6  # a number: accepted
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        g(np.ones(2))
    assert [p.location for p in info.value.problems] == [_at(two_updates_through_a, 2, "y +="),
                                                        _at(two_updates_through_a, 4, "z -=")]
    assert all("it holds an array of shape (2,)" in p.advice for p in info.value.problems)


def deferred_then_lowering_stops(x):
    a = x
    a += 1.0
    return np.sum(a * x) + (1 in [1])


def test_the_stages_not_run_are_named_when_only_a_deferred_refusal_came_before():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(deferred_then_lowering_stops)
    assert "the stages after it did not run" in str(info.value)
    assert len(info.value.problems) == 2


def alias_and_no_numpy_rule(x):
    y = x * 2.0
    t = y
    y -= 1.0
    return np.sum(np.trapezoid(t) * y)


def test_errors_of_several_kinds_survive_pickling():
    """(multiprocessing and xdist workers pickle exceptions; the combined kind is made at run time)"""
    import pickle

    with pytest.raises(ad.TransformError) as info:
        ad.grad(alias_and_no_numpy_rule)
    err = info.value
    assert isinstance(err, ad.UnsupportedSyntaxError) and isinstance(err, ad.NoAdjointRuleError)
    again = pickle.loads(pickle.dumps(err))
    assert type(again).__mro__[1:] == type(err).__mro__[1:] and str(again) == str(err)
    assert again.problems == err.problems and again.location == err.location
