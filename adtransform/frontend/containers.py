"""Tell arrays from containers, for the alias analysis.

`x.copy()`, `x + w` and `x * n` build new arrays when `x` is an array, but when `x` is a list or
tuple they build a new container holding the *same* elements: an in-place update of an element is
then seen through both. The alias analysis asks `may_hold` whether a value may be such a container;
unless it is proven not to be, the new container is taken to share its operands' elements.

Proven not a container: a number; a call whose facts (rules/registry.py) say it returns a new array or
a view of an array (not a list or tuple of arrays, nor anything a function without facts returns);
arithmetic other than `+` and `*`; `+` with an operand proven not a container
(`list + array` is an array); `*` by a float literal (a list cannot be repeated a float number of
times); reductions and the `.copy()` or views of a non-container; an element of a non-container;
the builtin `sum` without a `start` or with one proven not a container (`sum(lists, [])` is a list).
Names are asked about through a callback: the caller knows what each holds where the value is
evaluated (and that a parameter is assumed to hold an array or a number, checked at call time).
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable

import gast

from ..rules.registry import Returns
from .numbers import Numbers


class Containers:
    """Proofs about one function's values: `numbers` proves immutable numbers."""

    def __init__(self, numbers: Numbers) -> None:
        self.numbers = numbers

    def may_hold(self, value: gast.AST, name_holds: Callable[[str, bool], bool],
                 holds_number: Callable[[str], bool], strict: bool = False) -> bool:
        """Whether `value` may be a list, tuple or other object holding objects other names share.

        `name_holds(name, strict)`: whether `name` may hold one (`strict`: a list or tuple at all, even of
        numbers, as matters where elements are added: `L + [a]`, `L[0] = a`); `holds_number(name)`:
        whether it holds a proven number."""
        def go(node: gast.AST, strict: bool = strict) -> bool:
            if self.numbers.proves(node, holds_number):
                return False
            if isinstance(node, gast.Constant):
                return isinstance(node.value, tuple)
            if isinstance(node, gast.Name):
                return name_holds(node.id, strict)
            if isinstance(node, gast.Subscript):
                return go(node.value)  # an array's element or slice is an array; a list's may be anything
            if isinstance(node, gast.Attribute):
                facts = self.numbers.calls.attribute(node)  # `x.T`: a view of x; `x.shape`: numbers
                return False if facts.fresh else go(node.value) if facts.returns is Returns.VIEW else True
            if isinstance(node, gast.BinOp):
                if isinstance(node.op, gast.Add):  # a list of numbers + [a] holds `a`
                    return go(node.left, True) and go(node.right, True)
                if isinstance(node.op, gast.Mult):
                    return (go(node.left) and not _float_literal(node.right)) \
                        or (go(node.right) and not _float_literal(node.left))
                return False
            if isinstance(node, (gast.UnaryOp, gast.Compare)):
                return False
            if isinstance(node, gast.BoolOp):
                return any(go(v) for v in node.values)
            if isinstance(node, gast.IfExp):
                return go(node.body) or go(node.orelse)
            if isinstance(node, gast.Call):
                return self._call(node, go)
            return True  # displays, comprehensions, anything else
        return go(value)

    def module(self, node: gast.expr) -> types.ModuleType | None:
        """The module a free name resolves to (`copy` in `copy.copy(L)`), None for anything else."""
        if isinstance(node, gast.Name) and node.id not in self.numbers.local_names \
                and self.numbers.namespace is not None:
            value = self.numbers.namespace.lookup(node.id)
            return value if isinstance(value, types.ModuleType) else None
        return None

    def _call(self, call: gast.Call, go: Callable[..., bool]) -> bool:
        calls = self.numbers.calls
        func = call.func
        if isinstance(func, gast.Name) and calls.resolve(func) is builtins.sum:
            start = call.args[1:] + [kw.value for kw in call.keywords if kw.arg == "start"]
            return any(go(s, True) for s in start)  # `sum(L, [])`: a list of L's elements
        receiver = calls.receiver(call)
        if receiver is not None and isinstance(func, gast.Attribute) and func.attr == "copy":
            return go(receiver)  # a list's copy holds the same elements; an array's is an array
        returns = calls.facts(call).returns
        if returns in (Returns.NUMBER, Returns.NEW):
            return False  # `x.sum()`, `np.tanh(x)`, `float(x)`, `len(L)`
        if returns is Returns.VIEW:
            return go(receiver) if receiver is not None else False  # `x.reshape(...)`; `np.asarray(x)`
        return True  # a list or tuple of arrays (`np.split`), a user function, `max(a, b)`: anything


def _float_literal(node: gast.AST) -> bool:
    return isinstance(node, gast.Constant) and isinstance(node.value, float)
