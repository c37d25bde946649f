"""A refused function reports every construct it cannot handle in one error, not only the first.

Each entry is located (file, line, column) and names its construct; the entries come in source
order, each once; with one problem the error reads exactly as a single error always has.
"""

from pathlib import Path

import numpy as np
import pytest

import adtransform as ad
from adtransform.errors import Location, Problem, TransformError
from adtransform.frontend import fence
from adtransform.frontend.source import parse_function

G_SCALE = 2.0
_LINES = Path(__file__).read_text().splitlines()


def _fence_error(fn):
    parsed = parse_function(fn)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        fence.check(parsed.node, parsed.info)
    return info.value


def _at(fn, offset, marker):
    """The location of `marker` on the line `offset` lines below `def fn`."""
    line = fn.__code__.co_firstlineno + offset
    return Location(__file__, line, _LINES[line - 1].index(marker))


def _found(err):
    return [(p.location, p.construct) for p in err.problems]


def two_blockers(x):
    global G_SCALE
    y = x * 2.0
    del y
    return x


def three_blockers(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    if (n := 3) > 2:
        y = y * n
    return np.sum(y) + len({1.0})


def five_blockers(x):
    class Box:
        pass
    import math
    with open(__file__) as handle:
        x = x + math.pi + len(handle.name)
    label = {x, Box}
    yield label
    return x


@pytest.mark.parametrize("fn, expected", [
    (two_blockers, [(1, "global", "`global` statement"), (3, "del", "`del` statement")]),
    (three_blockers, [(1, "try", "`try` statement"), (5, "n :=", "assignment expression `:=`"),
                      (7, "{", "set literal")]),
    (five_blockers, [(1, "class", "class definition"), (3, "import", "`import` statement"),
                     (4, "with", "`with` statement"), (6, "{", "set literal"), (7, "yield", "`yield`")]),
])
def test_every_blocker_is_reported_with_its_line_and_column(fn, expected):
    err = _fence_error(fn)
    assert _found(err) == [(_at(fn, offset, marker), construct) for offset, marker, construct in expected]
    # The first problem keeps the attributes a single error has.
    assert (err.location, err.construct) == _found(err)[0]
    lines = str(err).splitlines()
    assert lines[0] == f"cannot differentiate {fn.__name__}: {len(expected)} unsupported constructs"
    assert lines[1:] == [f"  {p}" for p in err.problems]


def with_try_only(x):
    try:
        x = x / 2.0
    except ZeroDivisionError:
        x = x
    return x


def test_one_blocker_reads_exactly_as_before():
    err = _fence_error(with_try_only)
    where = _at(with_try_only, 1, "try")
    assert str(err) == f"{where}: `try` statement: exception handling cannot be differentiated"
    assert err.problems == (Problem(where, "`try` statement", "exception handling cannot be differentiated"),)
    assert err.detail == "exception handling cannot be differentiated"


def found_late_but_written_first(x):
    y = x * 1j
    del y
    return x


def test_problems_come_in_source_order_not_in_the_order_the_checks_find_them():
    # The structural walk finds `del` before the complex check finds `1j`.
    err = _fence_error(found_late_but_written_first)
    assert _found(err) == [(_at(found_late_but_written_first, 1, "1j"), "complex literal `1j`"),
                           (_at(found_late_but_written_first, 2, "del"), "`del` statement")]


def starred_target_and_nested_def(x):
    a, x.b = x
    def inner(t):
        yield t * 1j
    return a


def test_a_construct_is_reported_once_and_not_searched_inside_a_nested_scope():
    """`x.b` in a target is one problem; the nested function is
    refused as a whole: the `yield` and the `1j` of its body belong to another function."""
    err = _fence_error(starred_target_and_nested_def)
    assert _found(err) == [(_at(starred_target_and_nested_def, 1, "x.b"), "assignment to an attribute"),
                           (_at(starred_target_and_nested_def, 2, "def"), "nested function")]


def test_parts_of_a_refused_construct_are_not_reported_on_their_own():
    """The `except` clause of a `try`, the item of a `with`, the fields of an f-string."""
    assert [c for _, c in _found(_fence_error(with_try_only))] == ["`try` statement"]
    constructs = [c for _, c in _found(_fence_error(five_blockers))]
    assert not {"ExceptHandler", "withitem", "FormattedValue", "alias"} & set(constructs)


def test_grad_reports_them_all_through_the_api():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(three_blockers)(np.ones(2))
    assert str(info.value).startswith("cannot differentiate three_blockers: 3 unsupported constructs\n")
    assert len(info.value.problems) == 3


def test_the_errors_of_several_problems_dedupe_and_sort():
    a = Problem(Location("m.py", 3, 4), "`del` statement", "advice")
    b = Problem(Location("m.py", 2, 8), "dict literal", "advice")
    err = ad.UnsupportedSyntaxError.of([a, b, a], "f")
    assert err.problems == (b, a)
    assert (err.location, err.construct, err.detail) == (b.location, b.construct, b.advice)
    assert str(err) == "cannot differentiate f: 2 unsupported constructs\n  m.py:2:8: dict literal: advice\n" \
        "  m.py:3:4: `del` statement: advice"
    single = TransformError("advice", Location("m.py", 1, 0), "thing")
    assert str(single) == "m.py:1:0: thing: advice" and len(single.problems) == 1


def first_helper(x):
    return x * 2.0


def second_helper(x):
    return x + 1.0


for _helper in (first_helper, second_helper):
    ad.declare_facts(_helper, returns=ad.Returns.NEW, mutates=())


def uses_helpers(x):
    a = first_helper(x)
    b = np.tanh(a)
    c = second_helper(b)
    return np.sum(c + first_helper(b))


def uses_one_helper(x):
    return np.sum(first_helper(x))


def test_every_call_without_a_derivative_rule_is_reported():
    """Also the calls before one without a rule, which the backward sweep reaches only through it."""
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(uses_helpers)
    err = info.value
    assert _found(err) == [(_at(uses_helpers, 1, "first_helper"), "call of `first_helper`"),
                           (_at(uses_helpers, 3, "second_helper"), "call of `second_helper`"),
                           (_at(uses_helpers, 4, "first_helper"), "call of `first_helper`")]
    assert str(err).splitlines()[0] == "cannot differentiate uses_helpers: 3 operations without a usable derivative"
    assert all("user-defined Python functions" in p.advice for p in err.problems)


def test_one_call_without_a_rule_reads_exactly_as_before():
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(uses_one_helper)
    err = info.value
    assert len(err.problems) == 1
    assert str(err) == f"{_at(uses_one_helper, 1, 'first_helper')}: call of `first_helper`: {err.detail}"


def sorts_twice(x):
    y = x * 1.0
    y.sort()
    z = x * 2.0
    z.sort()
    return np.sum(y + z)


def test_every_call_changing_a_differentiated_value_in_place_is_reported():
    with pytest.raises(ad.NoAdjointRuleError, match="changes its argument in place") as info:
        ad.grad(sorts_twice)
    assert _found(info.value) == [(_at(sorts_twice, 2, "y.sort"), "call of `sort` for its effect"),
                                  (_at(sorts_twice, 4, "z.sort"), "call of `sort` for its effect")]
