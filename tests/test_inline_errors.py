"""Errors in inlined code name the CALLEE's file, line and construct (issue 12, items 1, 3 and 6), and
the generated source cites the callee's lines."""

from __future__ import annotations

import inline_helpers
import numpy as np
import pytest

import adtransform as ad


def _line_of(fn, text: str) -> int:
    """The file line of `fn` holding `text`."""
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def recursive(x):
    return np.sum(inline_helpers.countdown(x, 2))


def test_recursion_is_refused_at_the_recursive_call():
    with pytest.raises(ad.UnsupportedSyntaxError, match="recursive call of countdown") as info:
        ad.grad(recursive)
    where = info.value.location
    assert (where.filename, where.line) == (inline_helpers.__file__,
                                            _line_of(inline_helpers.countdown, "return countdown("))


def uses_try(x):
    return np.sum(inline_helpers.broken(x))


def test_the_fence_names_the_callees_file_and_line():
    with pytest.raises(ad.UnsupportedSyntaxError, match="`try` statement") as info:
        ad.grad(uses_try)
    where = info.value.location
    assert (where.filename, where.line, where.col) == (inline_helpers.__file__,
                                                       _line_of(inline_helpers.broken, "try:"), 4)


def no_rule_inside(x):
    return inline_helpers.no_rule(x * 2.0)


def test_a_missing_rule_in_a_callee_is_located_there():
    with pytest.raises(ad.NoAdjointRuleError, match="cond") as info:
        ad.grad(no_rule_inside)(np.eye(2))
    where = info.value.location
    assert (where.filename, where.line) == (inline_helpers.__file__, _line_of(inline_helpers.no_rule, "cond("))


def two_args(a, b):
    return a * b


def missing_argument(x):
    return np.sum(two_args(x))


def unknown_keyword(x):
    return np.sum(two_args(x, x, c=x))


@pytest.mark.parametrize(("fn", "message"), [(missing_argument, "missing argument `b`"),
                                              (unknown_keyword, "unexpected keyword argument `c`")])
def test_a_call_python_would_refuse_is_refused_at_the_call(fn, message):
    with pytest.raises(ad.UnsupportedSyntaxError, match=message) as info:
        ad.grad(fn)
    assert info.value.location.line == fn.__code__.co_firstlineno + 1


def loop_test(v):
    return np.sum(v) < 3.0


def while_else(x):
    while loop_test(x):
        x = x * 2.0
    else:
        x = x + 1.0
    return np.sum(x)


def test_while_else_with_a_call_in_its_test_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="cannot have an `else` block"):
        ad.grad(while_else)


exec_namespace: dict = {}
exec("def made_by_exec(v):\n    return v * 2.0\n", exec_namespace)
made_by_exec = exec_namespace["made_by_exec"]


def calls_exec_code(x):
    return np.sum(made_by_exec(x))


def calls_exec_code_on_a_constant(x):
    return np.sum(x * made_by_exec(3.0))


def test_a_callee_without_source_is_called_as_it_is():
    """As before inlining existed: run where its arguments are not differentiated, refused where they are."""
    np.testing.assert_allclose(ad.grad(calls_exec_code_on_a_constant)(np.ones(2)), [6.0, 6.0])
    with pytest.raises(ad.NoAdjointRuleError, match="made_by_exec") as info:
        ad.grad(calls_exec_code)
    assert info.value.location.line == calls_exec_code.__code__.co_firstlineno + 1


def test_generated_comments_cite_the_callees_lines():
    source = ad.grad(uses_two_level).source
    line = _line_of(inline_helpers.scaled, "return v * SCALE")
    assert f"# line {line} of scaled (inline_helpers.py:{inline_helpers.scaled.__code__.co_firstlineno}): " \
           f"return v * SCALE + OFFSET" in source
    assert "inline_helpers.SCALE" in source  # a global array of the callee's module, read at each call
    assert "tanh" in source and "xp" not in source.split('"""')[2].split("derived for")[0]


def uses_two_level(x):
    return np.sum(inline_helpers.two_level(x))


LOG: list = []


def log(value):
    LOG.append(value)  # changes a global list: refused in a differentiated function's body


def logs_a_number(x):
    log(len(x))
    return np.sum(x * x)


def logs_the_input(x):
    log(x)
    return np.sum(x * x)


def test_a_callee_refused_inlined_is_called_as_before():
    """Its body refused where inlined, `log` runs as it is (as before inlining existed) where it
    receives no differentiated value; where it does, the error names what its body does."""
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(ad.grad(logs_a_number)(x), 2.0 * x)
    assert LOG[-1] == 2
    with pytest.raises(ad.UnsupportedSyntaxError, match="global") as info:
        ad.grad(logs_the_input)
    assert info.value.location.line == log.__code__.co_firstlineno + 1
