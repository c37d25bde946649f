"""The static containers the `aggregates` pass tracks: each element held in a variable of its own.

A `Record` is one container object the function builds (a tuple, list, dict, namedtuple, or an object
whose attributes are known): its entries, in order, each a `Leaf` (a variable holding an array, a
number or anything else: `params_W1`) or another `Record` (shared, as Python shares it: `M = (L, z)`
holds the very list `L`, so `L[0] = v` is seen through `M[0][0]`). A name bound to a record holds that
object; binding another name to it (`a = d`) shares it, so a write through either is seen through both.
`Const` is a value known at transform time (a dict key, an index, a loop counter once unrolled).

Why: scalar replacement of aggregates lets the IR, the analyses and AD keep seeing arrays and numbers
only, and the generated code reads the variables directly, as fast as a flat function.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

import gast

from ..syntax import build

SEQUENCES = ("tuple", "list")
IMMUTABLE = ("tuple", "namedtuple")
_ids = itertools.count()


@dataclass(frozen=True)
class Const:
    """A value known at transform time: an int, str, bool or None."""

    value: Any


@dataclass(eq=False)
class Leaf:
    """An entry held in a variable; `const`, when known, is its value (cleared when it is written)."""

    var: str
    const: Const | None = None


@dataclass(eq=False)
class Record:
    """One container object: `kind` one of tuple, list, dict, namedtuple, object; `cls` the expression
    naming a namedtuple's or object's class (to rebuild it); `entries` keyed by position, key or field."""

    kind: str
    entries: dict[Any, Leaf | Record]
    cls: gast.expr | None = None
    cls_obj: Any = None
    uid: int = field(default_factory=lambda: next(_ids))

    def values(self) -> list[Leaf | Record]:
        return list(self.entries.values())

    def same_shape(self, other: Record) -> bool:
        if self.kind != other.kind or list(self.entries) != list(other.entries) or self.cls_obj is not other.cls_obj:
            return False
        return all(isinstance(a, Leaf) == isinstance(b, Leaf) and (isinstance(a, Leaf) or a.same_shape(b))
                   for a, b in zip(self.values(), other.values()))

    def deeply_immutable(self) -> bool:
        return self.kind in IMMUTABLE and all(isinstance(v, Leaf) or v.deeply_immutable() for v in self.values())

    def records(self) -> list[Record]:
        """This record and every record inside it."""
        out = [self]
        for v in self.values():
            if isinstance(v, Record):
                out.extend(v.records())
        return out


Value = Leaf | Record


@dataclass(frozen=True)
class Ambiguous:
    """A name bound differently on two paths (or in two loop iterations): refused where it is read,
    unless `runtime` (only tuples and lists were bound: the name is then left a run-time list)."""

    node: gast.AST
    why: str
    runtime: bool = False


class GrowsInLoop(Exception):
    """A list or tuple whose structure is known only at run time (grown or rebound in a branch or loop,
    indexed or written by a value known at run time): the pass starts again with that name left a
    run-time list or tuple, which the IR and AD handle (rules/sequences.py). `refusal`: the located
    error to raise when the name is met again although it was left alone."""

    def __init__(self, name: str, refusal: Exception | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.refusal = refusal


def sequences_only(value: object) -> bool:
    """Whether `value` is a tuple or list holding only arrays, numbers, tuples and lists: what the IR's
    run-time lists can hold (a dict or object used whole has no run-time form the IR differentiates)."""
    return isinstance(value, Record) and all(r.kind in SEQUENCES for r in value.records())


def a_kind(kind: str, of_values: bool = False) -> str:
    """The kind of a container as a message says it: `a list`, `an object` (`of values`: `a list of values`;
    an object's values are its attributes, said so)."""
    if kind == "object":
        return "an object" + (" holding its attributes as values" if of_values else "")
    return f"a {kind}" + (" of values" if of_values else "")


def entry_hint(base: str, key: Any) -> str:
    text = str(key) if isinstance(key, (int, str)) else "item"
    text = "".join(c if c.isalnum() else "_" for c in text).strip("_") or "item"
    return f"{base}_{text}"


def rebuild(value: Value) -> gast.expr:
    """An expression making the container anew from its variables (where it escapes: `np.stack([L_0, L_1])`)."""
    if isinstance(value, Leaf):
        return build.constant(value.const.value) if value.const is not None else build.name(value.var)
    items = [rebuild(v) for v in value.values()]
    if value.kind == "tuple":
        return build.tuple_(items)
    if value.kind == "list":
        return build.list_(items)
    if value.kind == "dict":
        return gast.Dict(keys=[build.constant(k) for k in value.entries], values=items)
    assert value.kind == "namedtuple" and value.cls is not None
    return build.call(copy.deepcopy(value.cls), items)


def leaves(value: Value) -> list[Leaf]:
    if isinstance(value, Leaf):
        return [value]
    return [leaf for v in value.values() for leaf in leaves(v)]
