"""The errors of the alias analysis: each says which update NumPy would see through which name, and
how to write the function so that NumPy's meaning and the compiler's agree."""

from __future__ import annotations

import copy

import gast
import numpy as np

from ...errors import UnsupportedSyntaxError
from ...frontend.resolve import UNBOUND, Namespace
from ...frontend.source import SourceInfo
from ...syntax import build
from ...syntax.parse import to_source
from .facts import ITERATION_WRAPPERS, CallFacts
from .lattice import root as root_of

_DECLARE = "`adtransform.declare_facts(f, returns=adtransform.Returns.NEW)`"


class Refusals:
    """Collects the located errors of one function's analysis: the first for each update (an update
    read through several names, or in every round of a loop, is one construct refused)."""

    def __init__(self, info: SourceInfo, namespace: Namespace | None, facts: CallFacts) -> None:
        self.info = info
        self.namespace = namespace
        self.facts = facts
        # Per update (by id): its refusal, and the parameters that would have to hold numbers for it not
        # to be made (none: it is made whatever they hold).
        self.found: dict[int, tuple[UnsupportedSyntaxError, frozenset[str]]] = {}
        self.entries: set[int] = set()  # the updates (by id) of an array held at a container's entry

    def _report(self, update: gast.AST, error: UnsupportedSyntaxError, params: frozenset[str] = frozenset()) -> None:
        self.found.setdefault(id(update), (error, params))

    def stale(self, node: gast.Name, update: gast.AST, params: frozenset[str] = frozenset()) -> None:
        """`node` is read after `update` changed its memory behind its back (`params`: through their memory
        alone; see `found`)."""
        read = said(node)  # (as the user wrote it: an inlined helper's names were renamed)
        if isinstance(update, gast.Call):
            changed = [a for a in self.facts.changed(update) if not isinstance(a, gast.Constant)]  # (a key)
            arg = next((a for a in changed if not (isinstance(a, gast.Name) and a.id == node.id)), None)
            if arg is None:  # (`D.setdefault("b", D["a"])`: the container itself, given one of its arrays)
                self._report(update, UnsupportedSyntaxError(
                    f"this call may store in `{read}` an array `{read}` already holds (read on line "
                    f"{self.info.location(node).line}), so NumPy's in-place update of one entry would change the "
                    f"other too; store a copy (`.copy()`) of the array", self.info.location(update),
                    "in-place update of an alias"), params)
                return
            name = said(arg)
            changed, seen = (_which(arg), _which(node)) if name == read else (f"`{name}`", f"`{read}`")
            self._report(update, UnsupportedSyntaxError(
                f"{changed} may share memory with {seen} (read on line {self.info.location(node).line}), so this "
                f"call, which may change `{name}` in place, would change {seen} too; call it on a copy "
                f"(`t = {name}.copy()`) and use that", self.info.location(update), "in-place update of an alias"),
                params)
            return
        targets = update.targets if isinstance(update, gast.Assign) else [update.target]
        target = next((t for t in targets if isinstance(t, gast.Subscript)), targets[0])
        if id(update) in self.entries:
            entry, symbol = said(target), build.SYMBOL_OF.get(type(update.op), "op")
            line, instead = self.info.location(node).line, f"write `{entry} = {entry} {symbol} ...` for a new array"
            held = f"another entry of `{read}`" if target.value.id == node.id else f"`{read}`"
            self._report(update, UnsupportedSyntaxError(
                f"{held} may hold the same array as `{entry}` (`{read}` read on line {line}), so NumPy's "
                f"in-place update would change it too; {instead}", self.info.location(update),
                "in-place update of an alias"), params)
            return
        if isinstance(target, gast.Name):
            name, symbol = said(target), build.SYMBOL_OF.get(type(update.op), "op")
            instead = f"write `{name} = {name} {symbol} ...` for a new array, or copy first (`{name} = {name}.copy()`)"
        else:
            name = said(target.value)
            instead = f"copy first (`{name} = {name}.copy()`) so that the write changes `{name}` only"
        changed, seen = f"`{name}`", f"`{read}`"
        if name == read:  # (a helper's parameter and the caller's variable of the same name: which is which)
            changed, seen = _which(target if isinstance(target, gast.Name) else target.value), _which(node)
        self._report(update, UnsupportedSyntaxError(
            f"{changed} may share memory with {seen} (read on line {self.info.location(node).line}), "
            f"so NumPy's in-place update would change {seen} too; {instead}",
            self.info.location(update), "in-place update of an alias"), params)

    def shared_argument(self, param: str, update: gast.AST) -> UnsupportedSyntaxError:
        """The refusal a call meets when parameter `param`, updated in place by `update`, holds memory another
        argument holds (raised at call time: runtime `ensure_apart`)."""
        return UnsupportedSyntaxError(
            f"this updates `{param}` in place, which NumPy would see through every argument holding the same "
            f"memory, while the compiler reads it as a new value", self.info.location(update),
            "in-place update of an argument sharing memory with another")

    def iterated(self, loop: gast.For, update: gast.AST) -> None:
        self._report(update, UnsupportedSyntaxError(
            f"this update changes the array the loop on line {self.info.location(loop).line} iterates "
            f"over, whose later elements NumPy would then read; iterate over a copy "
            f"(`for {_target(loop.target)} in {_over_copies(loop.iter)}:`) or update a new array",
            self.info.location(update), "in-place update of an iterated array"))

    def global_update(self, name: str, changed: frozenset[object], update: gast.AST) -> None:
        """NumPy would change a global array, for the rest of this call and for later calls: the compiler
        reads the update as a new value, and no gradient can account for the change."""
        for root in sorted({root_of(site) for site in changed}, key=repr):  # (the same one named every run)
            if not (isinstance(root, tuple) and root[0] == "global"):
                continue
            if root[1].startswith("<"):  # what an unknown function returns: maybe an array it keeps
                self._report(update, UnsupportedSyntaxError(
                    f"`{name}` may be {root[1][1:-1]}, which may be an array it keeps (a global) or one of its "
                    f"arguments; declare its facts ({_DECLARE}) "
                    f"or copy first (`{name} = {name}.copy()`)", self.info.location(update),
                    "in-place update of an unknown function's result"))
                return
            value = self.namespace.lookup(root[1]) if self.namespace is not None else None
            if type(value) in (int, float, complex, bool, str, bytes) or isinstance(value, (type, np.dtype)):
                continue  # a number, or a dtype (`np.asarray(x, dtype=float)`): holds no array memory
            instead = f"copy first (`{name} = {name}.copy()`)"
            if id(update) in self.entries:  # (a list's copy holds the same arrays)
                entry = to_source(update.target)
                instead = f"write `{entry} = {entry} {build.SYMBOL_OF.get(type(update.op), 'op')} ...` for a new array"
            self._report(update, UnsupportedSyntaxError(
                f"`{name}` may share memory with the global `{root[1]}`, which NumPy's in-place update would "
                f"change (for later calls too); {instead}",
                self.info.location(update), "in-place update of a global array"))
            return

    def global_change(self, name: gast.Name, call: gast.Call) -> None:
        """`call` changes `name` in place, a global (or what an undeclared function returned)."""
        path = name.id.split(".")
        if not all(part.isidentifier() for part in path):  # what an undeclared call returned (`get_buffer()`)
            shown = name.id[1:-1] if name.id.startswith("<") else f"`{name.id}`"
            self._report(call, UnsupportedSyntaxError(
                f"this call may change {shown} in place, and that value may be memory kept "
                f"outside the function (an undeclared function may return a global array); bind it to a name "
                f"and copy it first, or declare the facts of the function that made it "
                f"({_DECLARE})",
                self.info.location(call), "call that may change memory kept outside the function"))
            return
        value = self.facts.resolve(gast.parse(name.id).body[0].value) if len(path) > 1 \
            else self.namespace.lookup(name.id) if self.namespace is not None else UNBOUND
        if isinstance(value, (np.ndarray, list, dict)):
            known, short = self.facts.known(call), name.id.split(".")[-1]
            kind = "array" if isinstance(value, np.ndarray) else type(value).__name__ if type(value) in (list, dict) \
                else "container"
            self._report(call, UnsupportedSyntaxError(
                f"this call may change the global {kind} `{name.id}` in place (for later calls too), which no gradient "
                f"can account for; copy it first (`{short}_copy = {name.id}.copy()`)" + ("" if known else
                f", or, if `{to_source(call.func)}` changes none of its arguments, declare it with "
                f"`adtransform.declare_facts({to_source(call.func)}, returns=..., mutates=())`"),
                self.info.location(call), f"call that changes a global {kind}"))


def said(node: gast.AST) -> str:
    """`node` as the user wrote it: names an inlined callee's renamed back to the callee's (`spelled`)."""
    if not any(hasattr(n, "spelled") for n in gast.walk(node)):
        return to_source(node)
    out = copy.deepcopy(node)
    for n in gast.walk(out):
        if isinstance(n, gast.Name) and hasattr(n, "spelled"):
            n.id = n.spelled
    return to_source(out)


def _which(node: gast.AST) -> str:
    """`node` named as the user wrote it, with where that name lives when an inlined helper's (`x`
    (parameter of helper `f`, line 3)), else as the caller's."""
    where = getattr(node, "spelled_where", None) if isinstance(node, gast.Name) else None
    return f"`{said(node)}` ({where})" if where else f"the caller's `{said(node)}`"


def _target(target: gast.expr) -> str:
    text = to_source(target)
    return text[1:-1] if isinstance(target, gast.Tuple) and text.startswith("(") else text


def _over_copies(iterable: gast.expr) -> str:
    """`iterable` with each array it hands out elements of copied first: `zip(x.copy(), x[:2].copy())`."""
    def copied(node: gast.expr) -> gast.expr:
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and node.func.id in ("enumerate", "zip", *ITERATION_WRAPPERS):
            return gast.Call(node.func, [copied(arg) for arg in node.args], node.keywords)
        return build.call(build.attribute(node, "copy"), [])
    return to_source(copied(iterable))
