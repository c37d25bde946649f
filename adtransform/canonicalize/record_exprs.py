"""Expressions over static containers, for the `aggregates` pass: reads become variables.

`Exprs.value(e)` rewrites an expression where a container may stand (the value of an assignment, an
element of a display): a display, a namedtuple call, `t[1:]`, `a + b`, `d.items()` give a `Record`, whose
elements were assigned to variables of their own (statements in `before`). `Exprs.plain(e)` rewrites an
expression that must be an ordinary value: `t[0]`, `d["W"]`, `p.W` become the entry's variable, `len(t)` a
number; a whole container met there escapes: rebuilt as a display (`np.stack([L_0, L_1])`) where that
is safe (a tuple nothing can change, or a call whose facts say it neither changes nor keeps that
argument), refused otherwise, since a callee changing a copy would leave the variables stale.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from typing import Any

import gast

from ..errors import UnsupportedSyntaxError
from ..frontend.calls import Calls
from ..frontend.context import Context
from ..rules.registry import Returns
from ..syntax import build
from .records import SEQUENCES, Ambiguous, Const, GrowsInLoop, Leaf, Record, Value, a_kind, entry_hint, rebuild

Binding = Record | Const | Ambiguous
_STATIC_TYPES = (int, str, bool, type(None))
_BINOPS = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
           gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod}
_COMPARISONS = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Lt: operator.lt, gast.LtE: operator.le,
                gast.Gt: operator.gt, gast.GtE: operator.ge}
STRUCTURAL = ("append", "extend", "insert", "pop", "update", "setdefault", "remove", "clear", "popitem",
              "sort", "reverse")


class Exprs:
    def __init__(self, ctx: Context, calls: Calls) -> None:
        self.ctx = ctx
        self.calls = calls
        self.env: dict[str, Binding] = {}
        self.before: list[gast.stmt] = []
        self.depth = 0  # inside how many branches and loops: there a container keeps its shape
        self.cleared: set[int] = set()  # (ids of) entries known to hold a constant, written in a branch or loop
        self.snapshots: set[int] = set()  # (ids of) lists copied into a run-time list: they may not change
        # Rewrites a call (record_calls.call, set by the pass: calls and expressions recurse into each other).
        self.on_call: Callable[[Exprs, gast.Call, str], Record | gast.expr] = lambda _x, node, _h: node

    # -- errors and names ---------------------------------------------------------------------------

    def refuse(self, node: gast.AST, construct: str, advice: str) -> UnsupportedSyntaxError:
        err = UnsupportedSyntaxError(advice, self.ctx.info.location(node), construct)
        err.containers = True  # (the API tells a refusal that depends on what the parameters hold)
        return err

    def unchanged(self, record: Record, node: gast.AST) -> None:
        """Refuse a change of a list a run-time list was copied from (the copy would not see it)."""
        if id(record) in self.snapshots:
            raise self.refuse(node, "change of a list another name holds as a run-time list",
                              "build a new list (`L = L + [v]`) instead of changing this one in place")

    def leaf(self, hint: str, expr: gast.expr, const: Const | None = None) -> Leaf:
        var = self.ctx.namer.fresh(hint)
        self.before.append(build.assign(var, expr))
        return Leaf(var, const)

    def share(self, value: Value, hint: str) -> Value:
        """An existing element placed in another container: a container is shared (as Python shares
        it), a variable's value is copied to a new one, so a later write into the old container's entry
        is not seen through the new container."""
        if isinstance(value, Record):
            return value
        return self.leaf(hint, build.name(value.var), value.const)

    def copy_value(self, value: Record, hint: str) -> Record:
        """A new container with the same elements (what `list(L)`, `L.copy()`, `L[:]` make)."""
        return Record(value.kind, {k: self.share(v, entry_hint(hint, k)) for k, v in value.entries.items()},
                      value.cls, value.cls_obj)

    def shared(self, values: list[Value], hint: str) -> list[Value]:
        return [self.share(v, entry_hint(hint, i)) for i, v in enumerate(values)]

    # -- static values ------------------------------------------------------------------------------

    def static(self, node: gast.expr) -> Const | None:
        """The value of `node` when known now: literals, names bound to one, `len` of a container,
        integer arithmetic, an entry known to hold a constant."""
        if isinstance(node, gast.Constant) and isinstance(node.value, _STATIC_TYPES):
            return Const(node.value)
        if isinstance(node, gast.Name):
            bound = self.env.get(node.id)
            return bound if isinstance(bound, Const) else None
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
            inner = self.static(node.operand)
            if inner is not None and isinstance(inner.value, int) and not isinstance(inner.value, bool):
                return Const(-inner.value if isinstance(node.op, gast.USub) else inner.value)
        if isinstance(node, gast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.static(node.left), self.static(node.right)
            if left is not None and right is not None and isinstance(node.op, gast.Add) \
                    and all(isinstance(v.value, str) for v in (left, right)):
                return Const(left.value + right.value)  # (a key made of keys: `k + "_sq"`)
            if left is not None and right is not None and all(
                    isinstance(v.value, int) and not isinstance(v.value, bool) for v in (left, right)):
                try:
                    return Const(_BINOPS[type(node.op)](left.value, right.value))
                except ZeroDivisionError:
                    return None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and len(node.args) == 1 \
                and not node.keywords and self.ctx.is_builtin(node.func.id, len):
            record = self.bound_record(node.args[0])
            return Const(len(record.entries)) if record is not None else None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and node.args and not node.keywords \
                and (self.ctx.is_builtin(node.func.id, min) or self.ctx.is_builtin(node.func.id, max)):
            values = [self.static(a) for a in node.args]
            if len(values) > 1 and all(v is not None and isinstance(v.value, int) for v in values):
                return Const((min if self.ctx.is_builtin(node.func.id, min) else max)(v.value for v in values))
        if isinstance(node, gast.Compare):  # `k != "b"` with `k` a key known now (a filter of a comprehension)
            return self._compared(node)
        if isinstance(node, (gast.Subscript, gast.Attribute)):
            record = self.bound_record(node.value)
            if record is not None:
                found = self._entry(record, node, quiet=True)
                if isinstance(found, Leaf):
                    return found.const
        return None

    def _compared(self, node: gast.Compare) -> Const | None:
        """A chain of comparisons (`==`, `<`, ...) of values known now, ints and strings, or a constant key's
        membership in a dict of known keys: its truth."""
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.In, gast.NotIn)):
            where = node.comparators[0]
            if isinstance(where, gast.Call) and isinstance(where.func, gast.Attribute) \
                    and where.func.attr == "keys" and not where.args and not where.keywords:
                where = where.func.value  # (`"c" in p.keys()`)
            record, key = self.bound_record(where), self.static(node.left)
            if record is None or record.kind != "dict" or key is None:
                return None
            return Const((key.value in record.entries) == isinstance(node.ops[0], gast.In))
        values = [self.static(part) for part in (node.left, *node.comparators)]
        if any(v is None for v in values) or any(type(op) not in _COMPARISONS for op in node.ops):
            return None
        try:
            return Const(all(_COMPARISONS[type(op)](a.value, b.value)
                             for op, a, b in zip(node.ops, values, values[1:])))
        except TypeError:  # (`"a" < 1` raises: left to run)
            return None

    def bound_record(self, node: gast.expr) -> Record | None:
        """The container a name, or a constant read of one, holds (no code is emitted)."""
        if isinstance(node, gast.Name):
            bound = self.env.get(node.id)
            return bound if isinstance(bound, Record) else None
        if isinstance(node, gast.Compare):  # `k != "b"` with `k` a key known now (a filter of a comprehension)
            return self._compared(node)
        if isinstance(node, (gast.Subscript, gast.Attribute)):
            record = self.bound_record(node.value)
            if record is not None:
                found = self._entry(record, node, quiet=True)
                return found if isinstance(found, Record) else None
        return None

    def _key(self, record: Record, node: gast.expr, quiet: bool) -> Any:
        index = self.static(node)
        if index is None:
            if quiet:
                return None
            raise self.refuse(node, "index of a container by a value known only at run time",
                              "index tuples, lists and dicts of arrays with constants (or a loop over them, "
                              "which is unrolled), or stack the arrays into one array first")
        key = index.value
        if record.kind in SEQUENCES or record.kind == "namedtuple":
            if not isinstance(key, int) or isinstance(key, bool):
                return None if quiet else self._missing(node, key)
            n = len(record.entries)
            if not -n <= key < n:
                return None if quiet else self._missing(node, key)
            return list(record.entries)[key % n]
        if key not in record.entries:
            return None if quiet else self._missing(node, key)
        return key

    def _missing(self, node: gast.AST, key: Any) -> None:
        raise self.refuse(node, f"read of a missing entry {key!r}",
                          "the container has no such entry here (the call would raise)")

    def _entry(self, record: Record, node: gast.Subscript | gast.Attribute, quiet: bool) -> Value | None:
        if isinstance(node, gast.Attribute):
            if record.kind in ("namedtuple", "object") and node.attr in record.entries:
                return record.entries[node.attr]
            if quiet:
                return None
            raise self.refuse(node, f"attribute `{node.attr}` of a container",
                              "only the fields of a namedtuple or of a parameter object can be read")
        if isinstance(node.slice, gast.Slice):
            return None
        if getattr(node, "iteration", False):  # `for k in d`: the k-th key, as Python iterates a dict
            return self.iterated(record, node, quiet)
        key = self._key(record, node.slice, quiet)
        return None if key is None else record.entries[key]

    def iterated(self, record: Record, node: gast.Subscript, quiet: bool) -> Value | None:
        if record.kind not in ("dict", *SEQUENCES, "namedtuple"):
            if quiet:
                return None
            raise self.refuse(node, "iteration over an object", "read its attributes")
        index = self.static(node.slice)
        items = self.items(record, emit=not quiet)
        if index is None or not isinstance(index.value, int) or not -len(items) <= index.value < len(items):
            return None if quiet else self._missing(node, index.value if index else None)
        return items[index.value]

    def items(self, record: Record, emit: bool = True) -> list[Value]:
        """What iterating over the container gives: a dict's keys, a sequence's elements (`emit`: the keys
        get variables of their own; without, only their values are known)."""
        if record.kind == "dict":
            return [self.leaf("key", build.constant(k), Const(k)) if emit else Leaf("", Const(k))
                    for k in record.entries]
        if record.kind == "object":
            raise self.refuse(record.cls, "iteration over an object", "read its attributes")
        return record.values()

    # -- rewriting ----------------------------------------------------------------------------------

    def value(self, node: gast.expr, hint: str) -> Record | gast.expr:
        """Rewrite `node`, where a whole container may stand: a Record, or an ordinary expression."""
        if isinstance(node, gast.Starred):  # (displays and call arguments take theirs before this)
            raise self.refuse(node, "starred expression", "star a tuple or list built in the function as a "
                                                          "call argument or display element")
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            bound = self.env.get(node.id)
            if isinstance(bound, Ambiguous):
                refusal = self.refuse(node, f"`{node.id}`, a container whose contents depend on the path taken",
                                      bound.why)
                if bound.runtime:  # tuples and lists only: the name is left a run-time list
                    raise GrowsInLoop(node.id, refusal)
                raise refusal
            return bound if isinstance(bound, Record) else node
        if isinstance(node, (gast.Tuple, gast.List)) and isinstance(node.ctx, gast.Load) and not is_numbers(node):
            return self._display("tuple" if isinstance(node, gast.Tuple) else "list", node.elts, hint)
        if isinstance(node, gast.Dict):
            return self._dict(node, hint)
        if isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.ctx, gast.Load):
            base = self.value(node.value, hint)
            if isinstance(base, Record):
                if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Slice):
                    return self._slice(base, node, hint)
                if isinstance(node, gast.Subscript) and base.kind in SEQUENCES and self.static(node.slice) is None:
                    # `t[i]`, `i` known at run time: an element of the container made again here (reading
                    # changes nothing); differentiated elements are then the IR's list or tuple
                    flat = all(isinstance(v, Leaf) for v in base.values())
                    node.value = rebuild(base) if flat else self.escape(base, node, False)
                    node.slice = self.plain(node.slice)
                    return node
                return self.read_value(self._entry(base, node, quiet=False))
            node.value = base
            if isinstance(node, gast.Subscript):
                node.slice = self.plain(node.slice)
            return node
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Mult)):
            left, right = self.value(node.left, hint), self.value(node.right, hint)
            if isinstance(left, Record) or isinstance(right, Record):
                return self._combine(node, left, right, hint)
            node.left, node.right = left, right
            return node
        if isinstance(node, gast.Call):
            return self.on_call(self, node, hint)
        if isinstance(node, (gast.Compare, gast.IfExp)):  # `"c" in p`, a dict's keys known: a fact of its structure
            known = self.static(node if isinstance(node, gast.Compare) else node.test)
            if known is not None and isinstance(node, gast.IfExp):  # (the other branch may read a missing entry)
                return self.value(node.body if known.value else node.orelse, hint)
            if known is not None and type(known.value) is bool:
                return build.constant(known.value)
        for field, child in gast.iter_fields(node):
            if isinstance(child, gast.expr):
                setattr(node, field, self.plain(child))
            elif isinstance(child, list):
                setattr(node, field, [self.plain(c) if isinstance(c, gast.expr) else c for c in child])
        return node

    def plain(self, node: gast.expr, safe: bool = False) -> gast.expr:
        """Rewrite `node`, which must be an ordinary value (`safe`: what holds it neither changes nor
        keeps it, so even a list may be rebuilt there). Displays written here stay displays."""
        if isinstance(node, (gast.Tuple, gast.List)) and isinstance(node.ctx, gast.Load):
            node.elts = [self.plain(e, safe) for e in node.elts]
            return node
        if isinstance(node, gast.Dict):
            node.values = [self.plain(v, safe) for v in node.values]
            node.keys = [k if k is None else self.plain(k) for k in node.keys]
            return node
        if isinstance(node, gast.Starred):
            record = self.value(node.value, "item")
            if isinstance(record, Record):
                return self.escape(record, node, safe)
            raise self.refuse(node, "starred expression", "star a tuple or list built in the function, "
                                                          "or pass the elements explicitly")
        out = self.value(node, "tmp")
        return self.escape(out, node, safe) if isinstance(out, Record) else out

    def escape(self, record: Record, node: gast.AST, safe: bool) -> gast.expr:
        if any(r.kind == "object" or (r.kind == "namedtuple" and r.cls is None) for r in record.records()):
            raise self.refuse(node, "a parameter object or namedtuple used whole",
                              "read its attributes or fields (`model.W`) instead of passing the object itself")
        if any(r.kind == "dict" for r in record.records()):
            raise self.refuse(node, "a dict of values used whole",
                              "read its entries with constant keys (`d[\"W\"]`) and pass those instead")
        if safe or record.deeply_immutable():
            return rebuild(record)
        if isinstance(node, gast.Name) and self.held_once(node.id, record):
            # `_note(parts)`, which may change the list: from here on it is a list like any other
            self.before.append(build.assign(node.id, rebuild(record)))
            del self.env[node.id]
            return build.name(node.id)
        raise self.refuse(node, f"{a_kind(record.kind, True)} passed where it may be changed or kept",
                          "pass its elements, or make it a tuple; the compiler holds each element in a "
                          "variable and cannot see a change made through another reference")

    def held_once(self, name: str, record: Record) -> bool:
        """Whether `name` is the only reference to `record` and to the containers inside it."""
        inner = record.records()
        seen = [r for n, bound in self.env.items() if isinstance(bound, Record)
                for r in (bound.records() if n != name else bound.records()[1:])]
        return all(sum(r is s for s in seen) == (0 if r is record else 1) for r in inner)

    def read_value(self, found: Value) -> Record | gast.expr:
        if isinstance(found, Record):
            return found
        return build.constant(found.const.value) if found.const is not None else build.name(found.var)

    def plain_value(self, found: Value, node: gast.AST, safe: bool) -> gast.expr:
        out = self.read_value(found)
        return self.escape(out, node, safe) if isinstance(out, Record) else out

    def element(self, node: gast.expr, hint: str) -> Value:
        """A display's element: a container is held as it is (shared), anything else in a new variable."""
        out = self.value(node, hint)
        if isinstance(out, Record):
            return out
        return self.leaf(hint, out, self.static(node))

    def _display(self, kind: str, elts: list[gast.expr], hint: str) -> Record:
        entries: list[Value] = []
        for elt in elts:
            if isinstance(elt, gast.Starred):
                inner = self.value(elt.value, hint)
                if not isinstance(inner, Record) or inner.kind not in (*SEQUENCES, "namedtuple"):
                    raise self.refuse(elt, "starred element of a value whose length is not known",
                                      "unpack tuples or lists built in the function")
                entries.extend(self.shared(inner.values(), hint))
            else:
                entries.append(self.element(elt, entry_hint(hint, len(entries))))
        return Record(kind, dict(enumerate(entries)))

    def _dict(self, node: gast.Dict, hint: str) -> Record:
        entries: dict[Any, Value] = {}
        for key, val in zip(node.keys, node.values):
            if key is None:  # {**other}
                inner = self.value(val, hint)
                if not isinstance(inner, Record) or inner.kind != "dict":
                    raise self.refuse(val, "`**` of a value that is not a dict built here",
                                      "write the entries out")
                entries.update({k: self.share(v, entry_hint(hint, k)) for k, v in inner.entries.items()})
                continue
            k = self.static(key)
            if k is None:
                raise self.refuse(key, "dict key known only at run time",
                                  "dicts of arrays need constant keys (a string or number literal)")
            entries.pop(k.value, None)
            entries[k.value] = self.element(val, entry_hint(hint, k.value))
        return Record("dict", entries)

    def _slice(self, record: Record, node: gast.Subscript, hint: str) -> Record | gast.expr:
        bounds = [None if b is None else self.static(b) for b in (node.slice.lower, node.slice.upper,
                                                                   node.slice.step)]
        runtime = any(b is None and part is not None
                      for b, part in zip(bounds, (node.slice.lower, node.slice.upper, node.slice.step)))
        if runtime and record.kind in SEQUENCES:
            # `p[i:]`, `i` known at run time: a slice of the container made again here, as `t[i]` is read
            # (a new list or tuple of the same elements: the IR's run-time list)
            flat = all(isinstance(v, Leaf) for v in record.values())
            node.value = rebuild(record) if flat else self.escape(record, node, False)
            node.slice = self.plain(node.slice)
            return node
        if record.kind not in (*SEQUENCES, "namedtuple") or runtime:
            raise self.refuse(node, "slice of a container with bounds known only at run time",
                              "slice tuples and lists of arrays with constant bounds")
        picked = list(record.values())[slice(*(None if b is None else b.value for b in bounds))]
        kind = "tuple" if record.kind == "namedtuple" else record.kind
        return self.copy_value(Record(kind, dict(enumerate(picked))), hint)

    def _combine(self, node: gast.BinOp, left: Record | gast.expr, right: Record | gast.expr,
                 hint: str) -> Record | gast.expr:
        if isinstance(node.op, gast.Add) and isinstance(left, Record) and isinstance(right, Record) \
                and left.kind in SEQUENCES and left.kind == right.kind:
            return self.copy_value(Record(left.kind, dict(enumerate(left.values() + right.values()))), hint)
        if isinstance(node.op, gast.Mult):
            record, times = (left, node.right) if isinstance(left, Record) else (right, node.left)
            count = self.static(times)
            if isinstance(record, Record) and record.kind in SEQUENCES and count is not None \
                    and isinstance(count.value, int):
                return self.copy_value(Record(record.kind, dict(enumerate(record.values() * max(count.value, 0)))),
                                       hint)
        # `coeffs + [a]` with a list known only at run time: a new list holding the elements (the
        # container itself is not kept, so rebuilding it here is safe)
        node.left = self.escape(left, node, True) if isinstance(left, Record) else left
        node.right = self.escape(right, node, True) if isinstance(right, Record) else right
        return node


def is_builtin(ctx: Context, func: gast.expr, name: str) -> bool:
    return isinstance(func, gast.Name) and ctx.is_builtin(func.id, getattr(builtins, name))


def keeps_nothing(calls: Calls, call: gast.Call, position: int | None, keyword: str | None) -> bool:
    """Whether the call neither changes that argument nor returns something sharing it."""
    facts = calls.facts(call)
    if not facts.known or facts.changes(position=position, keyword=keyword):
        return False
    target = calls.resolve(call.func)
    return facts.returns is not Returns.MAY_SHARE or any(target is f for f in _READERS)


# Builtins that may return an element of a container, never the container itself.
_READERS = (builtins.sum, builtins.max, builtins.min, builtins.print, builtins.sorted, builtins.any, builtins.all)


def is_numbers(node: gast.Tuple | gast.List) -> bool:
    """`[0.0, 0.0, 1.0]`, `(3, 4)`: a display of numbers stays what it is (an array-like list, a shape)."""
    return bool(node.elts) and all(isinstance(e, gast.Constant) and isinstance(e.value, (int, float))
                                   and not isinstance(e.value, bool) for e in node.elts)
