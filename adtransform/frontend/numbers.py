"""Prove that an expression's value is an immutable number, for the alias analysis.

An immutable number cannot be changed in place: `s += 1.0` rebinds `s` and leaves every other name
bound to the old value alone. Proven means: a literal; a call whose facts (rules/registry.py) say it
returns a number (`float()`, `int()`, `len()`, a `math` function that converts its arguments to
numbers); arithmetic, comparisons, `and`/`or` and conditional expressions on proven numbers; a name
the caller knows holds one. A call counts only when its name resolves to the real function (not a
local, global or closure variable that shadows it); the cache checks the called names again before
reusing a transform.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

import gast

from ..rules.registry import Returns
from .calls import Calls
from .resolve import Namespace


class Numbers:
    """Proofs about one function: `namespace` resolves its free names (None: no call is proven);
    `calls` answers what a call returns (by default from the facts registry alone)."""

    def __init__(self, namespace: Namespace | None, local_names: frozenset[str], calls: Calls | None = None) -> None:
        self.namespace = namespace
        self.local_names = local_names
        self.calls = calls if calls is not None else Calls(namespace, local_names)

    def proves(self, value: gast.AST, holds_number: Callable[[str], bool]) -> bool:
        """Whether `value` is an immutable number (or bool, string, None); `holds_number(name)` says
        whether a name holds one where `value` is evaluated."""
        def go(node: gast.AST) -> bool:
            if isinstance(node, gast.Constant):
                return True
            if isinstance(node, gast.Name):
                return holds_number(node.id)
            if isinstance(node, gast.UnaryOp):
                return go(node.operand)
            if isinstance(node, gast.BinOp):
                return go(node.left) and go(node.right)
            if isinstance(node, gast.Compare):
                return all(go(v) for v in [node.left, *node.comparators])
            if isinstance(node, gast.BoolOp):
                return all(go(v) for v in node.values)
            if isinstance(node, gast.IfExp):
                return go(node.body) and go(node.orelse)
            if isinstance(node, gast.Call):
                return self._number_call(node)
            return False
        return go(value)

    def _number_call(self, call: gast.Call) -> bool:
        """A call whose facts say it returns an immutable number (`float()`, `len()`, `math.sin()`;
        not `math.floor()`, which calls a method of its argument)."""
        return self.calls.facts(call).returns is Returns.NUMBER

    def builtin(self, name: gast.Name, obj: object) -> bool:
        """Whether `name` is the builtin `obj` (not a local, global or closure variable shadowing it)."""
        return getattr(builtins, name.id, None) is obj and self.resolves_to(name, obj)

    def resolves_to(self, name: gast.Name, obj: object) -> bool:
        return self.namespace is not None and name.id not in self.local_names \
            and self.namespace.lookup(name.id) is obj
