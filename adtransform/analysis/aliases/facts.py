"""What a call (and any expression) may return and change, as the alias analysis needs it.

Every question the analysis asks about a call goes to one object, `CallFacts`: the interpreter's
(which arguments it changes, whether it builds a new object each time, which names' memory its result
may share) and those of the number and container proofs it runs (what kind of value it returns). Today
the answers come from the facts registry (rules/registry.py, through frontend/calls.py), and a call to
a user function gets the conservative default: it may return any argument or memory it keeps, and
change any argument. One object, so that a summary of a user function's body, plugged in here, is
seen by every part of the analysis at once: none can go on assuming the default the others dropped.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

import gast

from ...frontend.calls import Calls, may_not_copy
from ...rules.registry import Returns
from ...syntax.parse import to_source

ITERATION_WRAPPERS = frozenset({"reversed", "list", "tuple", "iter"})

Holds = Callable[[gast.AST], bool]  # whether a value may be a list or tuple, whose copies share its elements


class CallFacts(Calls):
    """The facts of the calls of one function: what `Calls` resolves (the callee, its registered facts,
    the arguments it changes, `changed`), and what the alias analysis derives from them. The proofs of
    numbers and containers (frontend/numbers.py, containers.py) ask this same object."""

    def known(self, call: gast.Call) -> bool:
        """Whether anything is known of the callee (else it may return or change memory it keeps)."""
        return self.facts(call).known

    def new_each_time(self, value: gast.expr) -> bool:
        """Whether `value` builds a new object every time it runs (a call may return one it made before)."""
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.List)):
            return True
        if isinstance(value, gast.Call):
            if self.receiver(value) is not None and value.func.attr == "copy":  # an array's or a list's copy
                return not self.changed(value)
            return self.fresh(value)
        return False

    def returned(self, call: gast.Call, go: Callable[[gast.AST | None], list[str]], holds: Holds) -> list[str]:
        """The names whose memory the result of `call` may share (`go(expr)`: those of an argument)."""
        receiver = self.receiver(call)
        facts = self.facts(call)
        shift = 0 if receiver is None else 1  # (a method's receiver is position 0)
        # (an argument read only for its shape or dtype, `x.astype(float)`'s `float`, is not returned)
        arguments = [name for i, arg in enumerate(call.args) if not facts.shape_only_at(position=i + shift)
                     for name in go(arg)] + \
            [name for kw in call.keywords if not (kw.arg and facts.shape_only_at(keyword=kw.arg))
             for name in go(kw.value)]
        written = [name for arg in self.changed(call) for name in go(arg)]  # `out=` is what they return
        if isinstance(call.func, gast.Name) and self.resolve(call.func) is builtins.sum:
            if holds(call):  # `sum(L, [])` holds L's elements
                return arguments
            start = call.args[1:] + [kw.value for kw in call.keywords]
            return [name for node in start for name in go(node)]  # `sum([], a)` is `a` itself
        if receiver is not None and isinstance(call.func, gast.Attribute) and call.func.attr == "copy":
            return go(receiver) if holds(call) else written  # a list's copy holds the same elements
        if facts.returns in (Returns.NUMBER, Returns.NEW, Returns.NEW_ITEMS) and not may_not_copy(call):
            return written
        # A view or anything else (a module's or user's function, `max(a, b)`): may be any argument, and
        # a function nobody declared facts for may return memory it keeps (a global array).
        kept = [] if facts.known else [f"<what `{to_source(call.func)}` returns>"]
        return go(receiver) + arguments + written + kept

    def iterated(self, iterable: gast.expr) -> list[gast.expr]:
        """The arrays or lists a `for` loop hands out elements of (none for `range`)."""
        if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name) \
                and self.resolve(iterable.func) is getattr(builtins, iterable.func.id, None):
            kind = iterable.func.id
            if kind == "range":
                return []
            if kind in ("enumerate", "zip", *ITERATION_WRAPPERS):
                return [part for arg in iterable.args for part in self.iterated(arg)]
        return [iterable]

    def flowing(self, value: gast.AST, holds: Holds) -> list[tuple[str, bool]]:
        """Names whose memory the value of `value` may share, and whether it is the name's whole object."""
        exact = _bare(value)
        return [(name, exact) for name in self.flowing_names(value, holds)]

    def flowing_names(self, value: gast.AST, holds: Holds) -> list[str]:
        """Names whose memory the value of `value` may share."""
        def go(node: gast.AST | None) -> list[str]:
            if isinstance(node, gast.Name):
                return [node.id]
            if isinstance(node, gast.Subscript):
                return go(node.value)
            if isinstance(node, gast.Attribute):  # `x.T`, `x.base`: views; `x.shape`, `np.pi`: new
                return [] if self.attribute(node).fresh else go(node.value)
            if isinstance(node, gast.IfExp):
                return go(node.body) + go(node.orelse)
            if isinstance(node, gast.BoolOp):
                return [name for operand in node.values for name in go(operand)]
            if isinstance(node, gast.Starred):  # `[*L]`, `(*T, x)`: L's own entries
                return go(node.value)
            if isinstance(node, (gast.Tuple, gast.List)):
                return [name for elt in node.elts for name in go(elt)]
            if isinstance(node, gast.Dict):  # `{"a": y}` holds y itself
                return [name for v in node.values for name in go(v)]
            if isinstance(node, gast.BinOp):  # `[a] + [b]`, `pair * 2`: a new container of the same elements
                return go(node.left) + go(node.right) if holds(node) else []
            if isinstance(node, gast.Call):
                return self.returned(node, go, holds)
            if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.DictComp)):  # items, each loop's elements
                item = node.value if isinstance(node, gast.DictComp) else node.elt
                # (the comprehension's own names hold elements of what its loops iterate: named by those)
                own = {n.id for gen in node.generators for n in gast.walk(gen.target) if isinstance(n, gast.Name)}
                found = go(item) + [name for gen in node.generators for it in self.iterated(gen.iter)
                                    for name in go(it)]
                return [name for name in found if name not in own]
            return []  # arithmetic, comparisons and constants build new objects
        return go(value)


def _bare(value: gast.AST) -> bool:
    if isinstance(value, gast.Name):
        return True
    if isinstance(value, gast.IfExp):
        return _bare(value.body) and _bare(value.orelse)
    if isinstance(value, gast.BoolOp):
        return all(_bare(v) for v in value.values)
    return False
