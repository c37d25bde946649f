"""Calls a static container takes part in, for the `aggregates` pass.

Builtins that only look at its structure (`len`, `tuple`, `list`, `enumerate`, `zip`, `reversed`,
`sum`), its methods (`d.items()`, `L.append(a)`, `p._replace(W=a)`), namedtuple construction, and any
other call receiving a whole container (an escape: see record_exprs).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import gast

from ..syntax import build
from .record_exprs import STRUCTURAL, Exprs, is_builtin, keeps_nothing
from .records import SEQUENCES, Const, GrowsInLoop, Leaf, Record, Value, a_kind, entry_hint, sequences_only

_ITERATING = ("tuple", "list", "enumerate", "zip", "reversed", "sum", "len")


def call(exprs: Exprs, node: gast.Call, hint: str) -> Record | gast.expr:
    func = node.func
    if isinstance(func, gast.Attribute):
        receiver = exprs.value(func.value, hint)
        if isinstance(receiver, Record):
            return _method(exprs, receiver, node, hint)
        func.value = receiver
    if is_builtin(exprs.ctx, func, "sorted") and len(node.args) == 1 and not node.keywords \
            and not isinstance(node.args[0], gast.Starred):
        return _sorted(exprs, node, hint)
    for name in _ITERATING:
        if is_builtin(exprs.ctx, func, name) and node.args and not isinstance(node.args[0], gast.Starred):
            records = [exprs.value(a, hint) for a in node.args]
            if all(isinstance(r, Record) for r in records) and not node.keywords:
                return _builtin(exprs, name, records, node, hint)
            node.args = [exprs.escape(r, a, True) if isinstance(r, Record) else r
                         for r, a in zip(records, node.args)]
            node.keywords = [gast.keyword(arg=k.arg, value=exprs.plain(k.value)) for k in node.keywords]
            return node
    if is_builtin(exprs.ctx, func, "dict") and len(node.args) <= 1:
        return _dict_call(exprs, node, hint)
    cls = exprs.calls.resolve(func)
    if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return _namedtuple(exprs, cls, node, hint)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        return _dataclass(exprs, cls, node, hint)
    if cls is dataclasses.replace and len(node.args) == 1 and not isinstance(node.args[0], gast.Starred):
        source = exprs.value(node.args[0], hint)
        if isinstance(source, Record):
            return _replaced(exprs, source, node, hint)
    return _escaping(exprs, node)


def _sorted(exprs: Exprs, node: gast.Call, hint: str) -> Record | gast.expr:
    """`sorted(d)` of a dict whose keys are known here: the list of its keys, sorted now."""
    inner = exprs.value(node.args[0], hint)
    if isinstance(inner, Record) and inner.kind == "dict":
        try:
            keys = sorted(inner.entries)
        except TypeError:
            raise exprs.refuse(node, "`sorted` of a dict whose keys cannot be compared",
                               "the call would raise TypeError") from None
        return Record("list", {i: exprs.leaf(entry_hint(hint, i), build.constant(k), Const(k))
                               for i, k in enumerate(keys)})
    node.args = [exprs.escape(inner, node.args[0], keeps_nothing(exprs.calls, node, 0, None))
                 if isinstance(inner, Record) else inner]
    return node


def _dict_call(exprs: Exprs, node: gast.Call, hint: str) -> Record | gast.expr:
    """`dict(W=a, b=c)`, `dict(d, W=a)` of a dict built here: a dict with those entries."""
    entries: dict[Any, Value] = {}
    if node.args:
        inner = exprs.value(node.args[0], hint)
        if not isinstance(inner, Record) or inner.kind != "dict":
            return _escaping(exprs, node) if not isinstance(inner, Record) else exprs.escape(inner, node, True)
        entries.update({k: exprs.share(v, entry_hint(hint, k)) for k, v in inner.entries.items()})
    for kw in node.keywords:
        if kw.arg is None:
            raise exprs.refuse(kw.value, "`**` argument unpacking", "pass keyword arguments explicitly")
        entries[kw.arg] = exprs.element(kw.value, entry_hint(hint, kw.arg))
    return Record("dict", entries)


def _dataclass(exprs: Exprs, cls: type, node: gast.Call, hint: str) -> Record:
    """`Linear(W, b)` of a dataclass whose `__init__` only stores its fields: an object whose attributes
    are the values given (its class's numbers and strings read as constants); its methods are not
    followed (calling one is refused)."""
    fields = [f for f in dataclasses.fields(cls) if f.init]
    # the `__init__` dataclass wrote (compiled from a string), not one of the class's own
    generated = getattr(getattr(cls.__init__, "__code__", None), "co_filename", "") == "<string>"
    if hasattr(cls, "__post_init__") or not generated or any(isinstance(a, gast.Starred) for a in node.args) \
            or len(node.args) > len(fields):
        raise exprs.refuse(node, f"`{cls.__name__}(...)`", "a dataclass built in the function is supported when "
                                                        "its `__init__` only stores the fields given by name or "
                                                        "position (no `__post_init__`)")
    given: dict[str, gast.expr] = {f.name: a for f, a in zip(fields, node.args)}
    for kw in node.keywords:
        if kw.arg not in {f.name for f in fields} or kw.arg in given:
            raise exprs.refuse(kw.value, f"`{cls.__name__}` field `{kw.arg}`", "not a field, or given twice")
        given[kw.arg] = kw.value
    entries: dict[Any, Value] = {}
    for f in fields:
        if f.name in given:
            entries[f.name] = exprs.element(given[f.name], entry_hint(hint, f.name))
        elif isinstance(f.default, (int, float, str, bool, type(None))) and f.default is not dataclasses.MISSING:
            entries[f.name] = exprs.leaf(entry_hint(hint, f.name), build.constant(f.default))
        else:
            raise exprs.refuse(node, f"`{cls.__name__}(...)` without field `{f.name}`",
                               "give every field (defaults other than numbers and strings are not supported)")
    statics = {k: v for klass in reversed(cls.__mro__[:-1]) for k, v in vars(klass).items()
               if type(v) in (int, float, str, bool) and not k.startswith("__") and k not in entries}
    for key, value in statics.items():
        entries[key] = exprs.leaf(entry_hint(hint, key), build.constant(value),
                                  None if isinstance(value, float) else Const(value))
    return Record("object", entries, None, cls)


def _replaced(exprs: Exprs, source: Record, node: gast.Call, hint: str) -> Record:
    """`dataclasses.replace(cfg, b=v)`: a new object of the same class holding the same values but those given
    (its `__init__` must only store the fields: what replace calls then changes nothing else)."""
    cls = source.cls_obj
    if source.kind != "object" or not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__") \
            or getattr(getattr(cls.__init__, "__code__", None), "co_filename", "") != "<string>" \
            or any(not f.init for f in dataclasses.fields(cls)):
        raise exprs.refuse(node, "`dataclasses.replace` of this object",
                           "supported for a dataclass whose `__init__` only stores its fields (no `__post_init__`, "
                           "no `init=False` field)")
    out = exprs.copy_value(source, hint)
    fields = {f.name for f in dataclasses.fields(cls)}
    for kw in node.keywords:
        if kw.arg not in fields:
            raise exprs.refuse(kw.value, f"`dataclasses.replace` of field `{kw.arg}`",
                               f"not a field of `{cls.__name__}`")
        out.entries[kw.arg] = exprs.element(kw.value, entry_hint(hint, kw.arg))
    return out


def _escaping(exprs: Exprs, node: gast.Call) -> gast.Call:
    """A call of anything else: a container passed whole is rebuilt as a display, where that is safe."""
    shift = 0 if exprs.calls.receiver(node) is None else 1
    args: list[gast.expr] = []
    for i, arg in enumerate(node.args):
        safe = keeps_nothing(exprs.calls, node, i + shift, None)
        if isinstance(arg, gast.Starred):
            inner = exprs.value(arg.value, "item")
            if not isinstance(inner, Record) or inner.kind not in (*SEQUENCES, "namedtuple"):
                raise exprs.refuse(arg, "starred argument of a value whose length is not known",
                                   "pass arguments explicitly, or star a tuple or list built in the function")
            args.extend(exprs.plain_value(v, arg, safe) for v in inner.values())
            continue
        args.append(exprs.plain(arg, safe))
    node.args = args
    node.keywords = [gast.keyword(arg=k.arg, value=exprs.plain(k.value, keeps_nothing(exprs.calls, node, None, k.arg)))
                     for k in node.keywords]
    return node


def _builtin(exprs: Exprs, name: str, records: list[Any], node: gast.Call, hint: str) -> Record | gast.expr:
    first = records[0]
    if name == "len" and len(records) == 1:
        return build.constant(len(first.entries))
    if name in ("tuple", "list") and len(records) == 1:
        if first.kind == "dict":
            return Record(name, {i: exprs.leaf(entry_hint(hint, i), build.constant(k), Const(k))
                                 for i, k in enumerate(first.entries)})
        if first.kind == "object":
            raise exprs.refuse(node, "iteration over an object", "read its attributes")
        return exprs.copy_value(Record(name, dict(enumerate(first.values()))), hint)
    if any(r.kind == "object" for r in records):
        raise exprs.refuse(node, f"`{name}` of an object", "read its attributes")
    if name == "enumerate" and len(records) == 1:
        return Record("tuple", {i: Record("tuple", {0: exprs.leaf(entry_hint(hint, i), build.constant(i), Const(i)),
                                                    1: exprs.share(v, entry_hint(hint, i))})
                                for i, v in enumerate(exprs.items(first))})
    if name == "zip":
        return Record("tuple", {i: Record("tuple", dict(enumerate(exprs.shared(list(vals), hint))))
                                for i, vals in enumerate(zip(*(exprs.items(r) for r in records)))})
    if name == "reversed" and len(records) == 1 and first.kind in (*SEQUENCES, "dict"):
        return Record("tuple", dict(enumerate(exprs.shared(exprs.items(first)[::-1], hint))))
    if name == "sum" and len(records) == 1 and first.kind in (*SEQUENCES, "namedtuple") \
            and all(isinstance(v, Leaf) for v in first.values()):
        terms = [exprs.plain_value(v, node, False) for v in first.values()]
        if not terms:
            return build.constant(0)
        total = terms[0]
        for term in terms[1:]:
            total = build.binop("+", total, term)
        return total
    raise exprs.refuse(node, f"`{name}` of this container", "not supported; write the elements out")


def _namedtuple(exprs: Exprs, cls: type, node: gast.Call, hint: str) -> Record:
    fields = list(cls._fields)  # type: ignore[attr-defined]
    given: dict[str, gast.expr] = dict(zip(fields, node.args))
    if len(node.args) > len(fields) or any(isinstance(a, gast.Starred) for a in node.args):
        raise exprs.refuse(node, f"`{cls.__name__}(...)` with starred or too many arguments",
                           "pass each field by position or name")
    for kw in node.keywords:
        if kw.arg not in fields or kw.arg in given:
            raise exprs.refuse(kw.value, f"`{cls.__name__}` field `{kw.arg}`", "not a field, or given twice")
        given[kw.arg] = kw.value
    defaults = getattr(cls, "_field_defaults", {})
    entries: dict[Any, Value] = {}
    for f in fields:
        if f in given:
            entries[f] = exprs.element(given[f], entry_hint(hint, f))
        elif f in defaults and isinstance(defaults[f], (int, float, str, bool, type(None))):
            entries[f] = exprs.leaf(entry_hint(hint, f), build.constant(defaults[f]))
        else:
            raise exprs.refuse(node, f"`{cls.__name__}(...)` without field `{f}`",
                               "give every field (defaults other than numbers and strings are not supported)")
    return Record("namedtuple", entries, copy.deepcopy(node.func), cls)


def _method(exprs: Exprs, record: Record, node: gast.Call, hint: str) -> Record | gast.expr:
    name = node.func.attr  # type: ignore[attr-defined]
    kind = record.kind
    args = node.args
    if kind == "dict" and name in ("items", "values", "keys") and not args:
        keys = [exprs.leaf(entry_hint(hint, "key"), build.constant(k), Const(k)) for k in record.entries]
        values = exprs.shared(record.values(), hint)
        rows = {"items": [Record("tuple", {0: k, 1: v}) for k, v in zip(keys, values)],
                "values": values, "keys": keys}[name]
        return Record("tuple", dict(enumerate(rows)))
    if kind == "dict" and name == "get" and 1 <= len(args) <= 2:
        key = exprs.static(args[0])
        if key is not None:
            if key.value in record.entries:
                return exprs.read_value(record.entries[key.value])
            return exprs.value(args[1], hint) if len(args) == 2 else build.constant(None)
    if name == "copy" and not args and kind in ("list", "dict"):
        return exprs.copy_value(record, hint)
    if kind == "namedtuple" and name == "_replace" and not args:
        out = exprs.copy_value(record, hint)
        for kw in node.keywords:
            if kw.arg not in out.entries:
                raise exprs.refuse(kw.value, f"`_replace` of field `{kw.arg}`", "not a field of this namedtuple")
            out.entries[kw.arg] = exprs.element(kw.value, entry_hint(hint, kw.arg))
        return out
    if name in STRUCTURAL and kind in ("list", "dict"):
        return _structural(exprs, record, node, name, hint)
    raise exprs.refuse(node, f"method `{name}` of {a_kind(kind, True)}",
                       "not supported on a container the compiler holds element by element")


def changed_in_place(exprs: Exprs, fn: gast.FunctionDef, name: str) -> bool:
    """Whether the list `name` holds may change in place, or be held by something else that may change
    it: true unless every use of `name` only reads it (an item or a slice, `+`, `*`, `len`, a
    comparison, `return`, an argument the call neither changes nor keeps; a rebinding is no change)."""
    parents = {id(child): parent for parent in gast.walk(fn) for child in gast.iter_child_nodes(parent)}
    for n in gast.walk(fn):
        if not _named(n, name) or not isinstance(n.ctx, gast.Load):
            continue
        parent = parents.get(id(n))
        if isinstance(parent, gast.Subscript) and parent.value is n:
            if isinstance(parent.ctx, gast.Load):
                continue
            return True
        if isinstance(parent, (gast.BinOp, gast.Compare, gast.Return)) or (
                isinstance(parent, gast.Attribute) and parent.attr in ("copy", "count", "index")):
            continue
        if isinstance(parent, gast.Call) and any(a is n for a in parent.args) and keeps_nothing(
                exprs.calls, parent, [id(a) for a in parent.args].index(id(n))
                + (0 if exprs.calls.receiver(parent) is None else 1), None):
            continue
        return True
    return False


def _named(node: gast.AST, name: str) -> bool:
    return isinstance(node, gast.Name) and node.id == name


def _structural(exprs: Exprs, record: Record, node: gast.Call, name: str, hint: str) -> gast.expr | Record:
    """`L.append(a)`, `d.update(e)`, `L.pop()`: the container changes shape, which is known only outside
    branches and loops (a list grown in a loop is another construct: leave it a list)."""
    receiver = node.func.value  # type: ignore[attr-defined]
    exprs.unchanged(record, node)
    if exprs.depth:
        refusal = exprs.refuse(node, f"`{name}` of {a_kind(record.kind)} inside a branch or loop",
                               "its length would depend on the path taken; build it before the branch or loop "
                               "(a list grown in a loop may hold arrays, numbers, tuples and lists, not dicts)")
        if isinstance(receiver, gast.Name) and sequences_only(record):  # a list grown in a loop
            raise GrowsInLoop(receiver.id, refusal)
        raise refusal
    args = node.args
    items = record.values()
    result: gast.expr | Record = build.constant(None)
    if isinstance(receiver, gast.Name):
        hint = receiver.id
    if record.kind == "list" and name == "append" and len(args) == 1:
        items.append(exprs.element(args[0], entry_hint(hint, len(items))))
    elif record.kind == "list" and name == "extend" and len(args) == 1:
        other = exprs.value(args[0], hint)
        if not isinstance(other, Record) or other.kind not in (*SEQUENCES, "namedtuple"):
            raise exprs.refuse(args[0], "`extend` with a value whose length is not known",
                               "extend with a tuple or list built in the function")
        items.extend(exprs.shared(other.values(), hint))
    elif record.kind == "list" and name == "insert" and len(args) == 2 and exprs.static(args[0]) is not None:
        items.insert(exprs.static(args[0]).value, exprs.element(args[1], entry_hint(hint, "item")))
    elif record.kind == "list" and name == "pop" and len(args) <= 1:
        at = exprs.static(args[0]) if args else Const(-1)
        if at is None or not isinstance(at.value, int) or not -len(items) <= at.value < len(items):
            raise exprs.refuse(node, "`pop` at an index not known or out of range", "pop with a constant index")
        result = exprs.read_value(items.pop(at.value))
    elif record.kind == "dict" and name == "update" and len(args) == 1 and not node.keywords:
        other = exprs.value(args[0], hint)
        if not isinstance(other, Record) or other.kind != "dict":
            raise exprs.refuse(args[0], "`update` with a value that is not a dict built here",
                               "write the entries out")
        record.entries.update({k: exprs.share(v, entry_hint(hint, k)) for k, v in other.entries.items()})
        return result
    elif record.kind == "dict" and name == "pop" and len(args) == 1 and exprs.static(args[0]) is not None:
        key = exprs.static(args[0]).value
        if key not in record.entries:
            raise exprs.refuse(node, f"`pop` of a missing key {key!r}", "the call would raise")
        return exprs.read_value(record.entries.pop(key))
    else:
        raise exprs.refuse(node, f"`{name}` of {a_kind(record.kind, True)}", "not supported; write it out")
    record.entries = dict(enumerate(items))
    return result
