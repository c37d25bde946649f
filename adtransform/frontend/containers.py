"""Tell arrays from containers, for the alias analysis.

`x.copy()`, `x + w` and `x * n` build new arrays when `x` is an array, but when `x` is a list or
tuple they build a new container holding the *same* elements: an in-place update of an element is
then seen through both. The alias analysis asks `may_hold` whether a value may be such a container;
unless it is proven not to be, the new container is taken to share its operands' elements.

Proven not a container: a number; a NumPy function's result (except the few that return lists or
tuples of arrays); arithmetic other than `+` and `*`; `+` with an operand proven not a container
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
import numpy as np

from .numbers import Numbers

# Attributes of an array that are views of it (an element of the array's own kind).
VIEW_ATTRIBUTES = frozenset({"T", "mT", "real", "imag", "flat"})
VIEW_METHODS = frozenset({"reshape", "transpose", "ravel", "view", "swapaxes", "squeeze", "diagonal"})
# Methods that return a new object made of numbers, whatever they are called on (`tolist` too: a
# list, but of numbers, which nothing can change in place).
_REDUCTIONS = frozenset({"sum", "mean", "max", "min", "prod", "std", "var", "dot", "cumsum", "cumprod",
                         "round", "clip", "any", "all", "argmax", "argmin", "trace", "item", "tolist",
                         "conj", "conjugate", "flatten", "ptp"})
# NumPy functions returning a list or tuple of arrays (views of their arguments for some).
_NUMPY_SEQUENCES = frozenset({"split", "array_split", "hsplit", "vsplit", "dsplit", "unstack",
                              "broadcast_arrays", "meshgrid", "nonzero", "where", "atleast_1d", "atleast_2d",
                              "atleast_3d", "divmod", "modf", "frexp", "unique", "histogram", "gradient", "ix_"})
# Builtins whose result holds no object an in-place update could change.
_FLAT_BUILTINS = frozenset({"float", "int", "bool", "complex", "abs", "len", "round", "sum", "pow", "range"})


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
                return go(node.value) if node.attr in VIEW_ATTRIBUTES else True
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
        func = call.func
        if isinstance(func, gast.Attribute):
            if isinstance(func.value, gast.Name) and self.numbers.resolves_to(func.value, np):
                return func.attr in _NUMPY_SEQUENCES
            if self.module(func.value) is not None:
                return True  # a module's function (`copy.copy(L)`): may return anything
            if func.attr in _REDUCTIONS:
                return False
            if func.attr == "copy" or func.attr in VIEW_METHODS:
                return go(func.value)
            return True
        if isinstance(func, gast.Name) and func.id in _FLAT_BUILTINS:
            if not self.numbers.builtin(func, getattr(builtins, func.id)):
                return True  # a local or global shadowing the builtin
            start = call.args[1:] + [kw.value for kw in call.keywords if kw.arg == "start"]
            return func.id == "sum" and any(go(s, True) for s in start)  # `sum(L, [])`: a list of L's elements
        return True  # a user function, `list`, `tuple`, `zip`, `max(a, b)`: may return anything


def _float_literal(node: gast.AST) -> bool:
    return isinstance(node, gast.Constant) and isinstance(node.value, float)
