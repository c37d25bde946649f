"""Statements run for their effect become calls: `assert`, `raise`, and f-strings.

The IR holds operations, not statements that leave the function; and strings are built by calls.
So, keeping what each statement does and when:

* `assert test, msg` -> `if not test: raise AssertionError(msg)` (Python's own meaning; dropped,
  like Python drops it, when Python runs with `-O`);
* `raise error` -> `raise_exception(error)` (`raise error from cause` -> `raise_exception(error,
  cause)`): a call with effects (rules/effects.py), so it stays where it is, in the forward sweep,
  and raises the user's exception from the gradient function. Code after it on the same path
  never runs, as in the user's function;
* `f"s={s:.3f}"` -> `str.format("s={:.3f}", s)`: the same string (`format(value, spec)` and the
  `!r`/`!s`/`!a` conversions are what both call), from a call whose facts say it makes a new string
  and carries no derivative; so does a method of a string literal (`"{}".format(s)`).

Requires: the fence (a bare `raise` is refused there). Before every other pass: `returns` and
`conditionals` then see plain `if` statements and calls.

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, '''
... def f(x):
...     assert x > 0, f"x={x:.2f}"
...     return x'''))
def f(x):
    if not x > 0:
        raise_exception(AssertionError(str.format('x={:.2f}', x)))
    return x
"""

from __future__ import annotations

from typing import Any

import gast

from ..frontend.context import Context
from ..runtime import raise_exception
from ..syntax import build


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    rewriter = _Rewriter(ctx)
    rewriter.visit(node)
    return rewriter.changed


class _Rewriter(gast.NodeTransformer):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.changed = False

    def visit_Assert(self, node: gast.Assert) -> Any:
        self.changed = True
        if not __debug__:  # python -O: the user's function has no assert either
            return gast.copy_location(build.pass_(), node)
        error: gast.expr = build.name(self.ctx.builtin("AssertionError"))
        if node.msg is not None:
            error = build.call(error, [node.msg])
        raised = gast.copy_location(build.raise_(error), node)
        check = build.if_(build.unaryop("not", node.test), [raised])
        return self.generic_visit(gast.copy_location(check, node))

    def visit_Raise(self, node: gast.Raise) -> Any:
        self.generic_visit(node)
        self.changed = True
        args = [node.exc] + ([node.cause] if node.cause is not None else [])
        call = gast.copy_location(build.call(build.name(self.ctx.helper_name(raise_exception)), args), node)
        return gast.copy_location(build.expr_stmt(call), node)

    def visit_JoinedStr(self, node: gast.JoinedStr) -> Any:
        self.changed = True
        values: list[gast.expr] = []
        template = _template(node, values)
        values = [self.visit(value) for value in values]  # (an f-string inside a field's expression)
        format_ = build.attribute(build.name(self.ctx.builtin("str")), "format")
        return gast.copy_location(build.call(format_, [build.constant(template), *values]), node)

    def visit_Call(self, node: gast.Call) -> Any:
        """`"loss {}".format(loss)` -> `str.format("loss {}", loss)`: a method of a string literal, called
        as its class's function, whose facts the registry holds (rules/effects.py)."""
        self.generic_visit(node)
        func = node.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Constant) \
                and type(func.value.value) is str and callable(getattr(str, func.attr, None)):
            self.changed = True
            node.func = build.attribute(build.name(self.ctx.builtin("str")), func.attr)
            node.args = [func.value, *node.args]
        return node


_CONVERSIONS = {-1: "", ord("r"): "!r", ord("s"): "!s", ord("a"): "!a"}


def _template(node: gast.JoinedStr, values: list[gast.expr]) -> str:
    """The `str.format` template of an f-string; its fields' values (and those of nested format
    specs, `f"{x:{width}}"`) are appended to `values` in the order Python evaluates them."""
    parts = []
    for part in node.values:
        if isinstance(part, gast.Constant):
            parts.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(part, gast.FormattedValue)
        values.append(part.value)
        spec = ":" + _template(part.format_spec, values) if part.format_spec is not None else ""
        parts.append("{" + _CONVERSIONS[part.conversion] + spec + "}")
    return "".join(parts)
