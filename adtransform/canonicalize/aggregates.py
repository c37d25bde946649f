"""Tuples, lists, dicts and namedtuples of values whose structure is known: one variable per element.

Post-condition: no name holds a container the function builds with a known structure; each element
lives in a variable of its own (`params = {"W": W, "b": b}` -> `params_W = W`, `params_b = b`), reads
with constant indices and keys are those variables, `len` is a number, loops over such a container are
unrolled; a container used whole elsewhere is rebuilt there as a display (`np.stack([L_0, L_1])`).
A list or tuple whose structure is not known here (grown or rebound in a branch or loop once loops
over static containers are unrolled, bound to lists of different lengths on two paths, written at an
index known only at run time) is left a run-time list, which the IR and AD handle (rules/sequences.py):
the pass starts again with that name left alone (`GrowsInLoop`). A tuple of fixed structure carried by
a loop stays one variable per element.
Requires: unpacking (`(p, q), r = e` is already `t = e; p = t[0][0]; ...`), iterables (loops over a
container are loops over `range(len(...))`), loop_exits and returns (no jumps).
Why: the IR, its analyses and AD see arrays and numbers only, and the generated code reads the
variables directly: as fast as the flat function.

Aliasing is Python's: `a = d` binds `a` to the same container, so `a["k"] = v` is seen through `d`
(the alias analysis, which runs before, still refuses such a write when another name reads what the
container held: it takes the entry write for an in-place write into that memory). A name bound to
different containers on two paths (or changed by a loop) is, where it is read afterwards, a run-time
list if only tuples and lists were bound, refused otherwise (a dict or object), unless both are tuples of
the same structure (their elements are then merged like any variable)."""

from __future__ import annotations

import copy
import dataclasses

import gast

from ..frontend.calls import Calls
from ..frontend.context import Context
from ..frontend.resolve import local_names
from ..syntax import build
from .record_calls import call, changed_in_place
from .record_exprs import Binding, Exprs, is_builtin, is_numbers
from .record_params import COTANGENT, bind_parameters, contract
from .records import Ambiguous, Const, GrowsInLoop, Leaf, Record, Value, a_kind, entry_hint, leaves, sequences_only


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    if not _worth(node, ctx):
        return False
    original = copy.deepcopy((node.args, node.body))
    dynamic: set[str] = set()
    while True:
        try:
            walker = _Walker(ctx, node, frozenset(dynamic))
            node.body = walker.prologue + walker.block(node.body)
            return True
        except GrowsInLoop as grown:  # a list grown in a loop (a loop over a static container is unrolled first)
            if grown.name in dynamic:
                raise grown.refusal or grown from None
            dynamic.add(grown.name)
            node.args, node.body = copy.deepcopy(original)


def _worth(node: gast.FunctionDef, ctx: Context) -> bool:
    """Only functions that may hold a container are rewritten: structured parameters, a display (not one of
    numbers only, `(3, 4)`, nor an index, `x[i, j]`), or a call building one (`dict(...)`, a namedtuple or
    dataclass, `dataclasses.replace`). The rest (most functions) skip the pass: it costs a walk of
    every expression."""
    if ctx.structured:
        return True
    indices = {id(n.slice) for n in gast.walk(node) if isinstance(n, gast.Subscript)}
    calls = None
    for n in gast.walk(node):
        if isinstance(n, gast.Dict) or (isinstance(n, (gast.Tuple, gast.List)) and isinstance(n.ctx, gast.Load)
                                        and id(n) not in indices and not is_numbers(n)):
            return True
        if isinstance(n, gast.Call):
            calls = calls or Calls(ctx.namespace, frozenset(local_names(node)), ctx.helpers)
            if _builds_record(calls.resolve(n.func)):
                return True
    return False


def _builds_record(func: object) -> bool:
    return func is dict or func is dataclasses.replace or (isinstance(func, type) and (
        dataclasses.is_dataclass(func) or (issubclass(func, tuple) and hasattr(func, "_fields"))))


class _Walker:
    def __init__(self, ctx: Context, node: gast.FunctionDef, dynamic: frozenset[str]) -> None:
        self.x = Exprs(ctx, Calls(ctx.namespace, frozenset(local_names(node)), ctx.helpers))
        self.x.on_call = call
        self.dynamic = dynamic
        self.node = node
        self.prologue = bind_parameters(self.x, node, ctx.structured)
        for name in dynamic:  # a structured parameter left a run-time list: made one from its leaves
            bound = self.x.env.get(name)
            if isinstance(bound, Record):
                self.prologue.append(gast.copy_location(build.assign(name, self.x.escape(bound, node, True)), node))
                del self.x.env[name]

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s: gast.stmt) -> list[gast.stmt]:
        x = self.x
        saved, x.before = x.before, []
        try:
            kept = self._stmt(s)
            out = [*x.before, *kept]
        finally:
            x.before = saved
        for new in out:
            if getattr(new, "lineno", None) is None:
                gast.copy_location(new, s)
        return out

    def _stmt(self, s: gast.stmt) -> list[gast.stmt]:
        x = self.x
        if isinstance(getattr(s, "unpack_check", None), str) and isinstance(x.env.get(s.unpack_check), Record):
            return []  # a static container's length was checked where it was unpacked (`_check_unpacked`)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            name = s.targets[0].id
            if name in self.dynamic:
                s.value = self._runtime_value(s.value, name)
                x.env.pop(name, None)
                return [s]
            const = x.static(s.value)
            out = x.value(s.value, name)
            if isinstance(out, Record):
                _check_unpacked(x, s, out)
                x.env[name] = out
                return []
            s.value = out
            _bind(x.env, name, const)
            return [s]
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript):
            return self._write(s, s.targets[0])
        if isinstance(s, gast.Expr):
            s.value = x.plain(s.value)
            return [] if isinstance(s.value, gast.Constant) else [s]
        if isinstance(s, gast.Return):
            cotangent = x.ctx.structured.get(COTANGENT)
            if cotangent is not None:
                s.value = contract(x, self.node, s.value, cotangent, s)
            elif s.value is not None:
                s.value = x.plain(s.value, safe=True)
            return [s]
        if isinstance(s, gast.If):
            known = x.static(s.test)
            if known is not None:  # (`if k != "b":` in an unrolled loop: one branch runs)
                return self.block(s.body if known.value else s.orelse)
            bound = x.bound_record(s.test) if isinstance(s.test, gast.Name) else None
            s.test = build.constant(bool(bound.entries)) if bound is not None else x.plain(s.test)  # `if L:`
            return [self._if(s)]
        if isinstance(s, gast.For):
            return self._for(s)
        if isinstance(s, gast.While):
            return [self._loop(s, None)]
        for field, child in gast.iter_fields(s):
            if isinstance(child, gast.expr):
                setattr(s, field, x.plain(child))
        return [s]

    def _runtime_value(self, value: gast.expr, name: str) -> gast.expr:
        """The value of a name left a run-time list: a container held element by element is made anew
        (a display). When another name or container also holds one of its lists: a name becomes a
        run-time list too (`escape`); a list inside another container is copied if `name` never changes
        it in place (it is only rebound: `hs = params["hs"]` then `hs = hs + [h]`), and that list may
        then not change either (`snapshots`); else the alias is refused."""
        x = self.x
        if isinstance(value, (gast.List, gast.Tuple)):
            return x.plain(value)
        out = x.value(value, name)
        if not isinstance(out, Record):
            return out
        held = {id(r) for bound in x.env.values() if isinstance(bound, Record) for r in bound.records()}
        lists = {id(r) for r in out.records() if r.kind != "tuple"}
        if not held & lists:
            return x.escape(out, value, True)
        if isinstance(value, gast.Name) or changed_in_place(x, self.node, name):
            return x.escape(out, value, False)
        x.snapshots |= lists
        return x.escape(out, value, True)

    def _write(self, s: gast.Assign, target: gast.Subscript) -> list[gast.stmt]:
        """`d["k"] = v`, `L[0] = v` into a container held element by element; else an array's element."""
        x = self.x
        record = x.bound_record(target.value) if isinstance(target.value, gast.Name) else None
        if record is None:
            target.slice = x.plain(target.slice)
            target.value = x.plain(target.value)
            s.value = x.plain(s.value)
            return [s]
        x.unchanged(record, target)
        key_const = None if isinstance(target.slice, gast.Slice) else x.static(target.slice)
        if record.kind == "list" and key_const is None and isinstance(target.value, gast.Name) \
                and sequences_only(record):  # `L[i] = v`, `L[a:b] = M`: a run-time list's write
            raise GrowsInLoop(target.value.id, x.refuse(target, "write into a list at an index known only at "
                                                                "run time", "write with a constant index"))
        if record.kind not in ("list", "dict") or isinstance(target.slice, gast.Slice):
            part = "slice" if isinstance(target.slice, gast.Slice) else "entry"
            raise x.refuse(target, f"assignment into {a_kind(record.kind)}'s {part}",
                           "tuples cannot change; write into a list or dict entry with a constant index or key")
        if getattr(target, "comprehension", False) and (key_const is None or x.depth):
            raise x.refuse(target, "dict comprehension over keys or with a filter known only at run time",
                           "iterate over a dict's items or a tuple of constant keys, with filters on the keys; "
                           "or build a list")
        if key_const is None:
            raise x.refuse(target.slice, "index of a container by a value known only at run time",
                           "write into tuples, lists and dicts of arrays with constant indices or keys")
        key = key_const.value
        if record.kind == "list":
            n = len(record.entries)
            if not isinstance(key, int) or isinstance(key, bool) or not -n <= key < n:
                raise x.refuse(target, f"assignment to a missing list entry {key!r}", "the program would raise")
            key = key % n
        const = x.static(s.value)
        out = x.value(s.value, entry_hint(target.value.id, key))
        old = record.entries.get(key)
        if isinstance(old, Leaf) and not isinstance(out, Record):
            if x.depth:
                if old.const is not None:
                    x.cleared.add(id(old))
                old.const = None
            else:
                old.const = const
            return [build.assign(old.var, out)]
        if x.depth:
            raise x.refuse(target, "a container's entry changing between an array and a container, or a new key, "
                                   "inside a branch or loop",
                           "give the container its shape before the branch or loop")
        if isinstance(out, Record):
            record.entries[key] = out
            return []
        record.entries[key] = x.leaf(entry_hint(target.value.id, key), out, const)
        return []

    def _if(self, s: gast.If) -> gast.If:
        x = self.x
        before = dict(x.env)
        x.depth += 1
        s.body = self.block(s.body)
        after_body, x.env = x.env, dict(before)
        s.orelse = self.block(s.orelse)
        after_else = x.env
        x.depth -= 1
        x.env = self._merge(after_body, after_else, s)
        if not s.body:
            s.body = [gast.Pass()]
        return s

    def _merge(self, a: dict[str, Binding], b: dict[str, Binding], s: gast.If) -> dict[str, Binding]:
        out: dict[str, Binding] = {}
        for name in dict.fromkeys([*a, *b]):
            va, vb = a.get(name), b.get(name)
            if va is vb or (isinstance(va, Const) and va == vb):
                out[name] = va
            elif isinstance(va, Record) and isinstance(vb, Record) and va.deeply_immutable() \
                    and va.same_shape(vb):
                out[name] = self._joined(va, vb, s, name)
            elif isinstance(va, (Record, Ambiguous)) or isinstance(vb, (Record, Ambiguous)):
                runtime = all(sequences_only(v) or (isinstance(v, Ambiguous) and v.runtime) for v in (va, vb))
                out[name] = Ambiguous(s, f"`{name}` is bound to different containers (or to none) on the two "
                                         f"paths of the `if` at line {self.x.ctx.info.file_line(s)}; bind it to "
                                         f"one container before the `if` and write its elements in the branches",
                                      runtime)
        return out

    def _joined(self, a: Record, b: Record, s: gast.If, hint: str) -> Record:
        """Tuples of one structure bound on each path: one tuple whose elements are merged."""
        entries: dict = {}
        for key, ea, eb in zip(a.entries, a.values(), b.values()):
            if isinstance(ea, Record):
                entries[key] = self._joined(ea, eb, s, entry_hint(hint, key))
                continue
            var = self.x.ctx.namer.fresh(entry_hint(hint, key))
            for branch, leaf in ((s.body, ea), (s.orelse, eb)):
                branch.append(gast.copy_location(build.assign(var, _leaf_expr(leaf)), s))
            entries[key] = Leaf(var, ea.const if ea.const == eb.const else None)
        return Record(a.kind, entries, a.cls, a.cls_obj)

    def _for(self, s: gast.For) -> list[gast.stmt]:
        x = self.x
        it = s.iter
        if isinstance(s.target, gast.Name) and is_builtin(x.ctx, it.func if isinstance(it, gast.Call) else it,
                                                          "range") \
                and len(it.args) == 1 and not it.keywords and not s.orelse:
            count = x.static(it.args[0])
            if count is not None and isinstance(count.value, int) and self._indexes_records(s, it.args[0]):
                out: list[gast.stmt] = []
                for k in range(count.value):
                    out.extend(self.stmt(gast.copy_location(build.assign(s.target.id, build.constant(k)), s)))
                    out.extend(self.block(copy.deepcopy(s.body)))
                return out
        s.iter = x.plain(s.iter)
        return [self._loop(s, s.target.id if isinstance(s.target, gast.Name) else None)]

    def _indexes_records(self, s: gast.For, bound: gast.expr) -> bool:
        """Unroll a loop counting the elements of a container, or indexing one by its counter."""
        x = self.x
        if any(isinstance(n, gast.Name) and isinstance(x.env.get(n.id), Record) for n in gast.walk(bound)):
            return True
        var = s.target.id
        return any(isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name)
                   and isinstance(x.env.get(n.value.id), Record)
                   and any(isinstance(m, gast.Name) and m.id == var for m in gast.walk(n.slice))
                   for stmt in s.body for n in gast.walk(stmt))

    def _loop(self, s: gast.For | gast.While, target: str | None) -> gast.stmt:
        """Rewrite a loop's body until the bindings at its head are stable. A tuple the body rebinds to
        another tuple of the same structure (a recurrent state, `h = (f(h[0]), h[0])`) is carried: one
        variable per element, assigned before the loop and at the end of the body; any other name the
        body binds to another container is ambiguous at the head (and after the loop)."""
        x = self.x
        head = dict(x.env)
        original = s.body
        test = getattr(s, "test", None)
        carried: dict[str, Record] = {}
        x.depth += 1
        # entries of the containers the loop starts with: one found not constant runs the body again
        watched = {id(leaf) for bound in head.values() if isinstance(bound, Record) for leaf in leaves(bound)}
        while True:
            cleared_before = len(x.cleared & watched)
            x.env = dict(head)
            if target is not None:
                x.env.pop(target, None)
            if test is not None:
                saved, x.before = x.before, []
                s.test = x.plain(copy.deepcopy(test))
                if x.before:
                    raise x.refuse(test, "a list made a list again in a loop test", "test a value computed before")
                x.before = saved
            body = self.block(copy.deepcopy(original))
            tails: list[gast.stmt] = []
            changed = False
            for name in dict.fromkeys([*head, *x.env]):
                old, new = head.get(name), x.env.get(name)
                if old is new or (isinstance(old, Const) and old == new) or isinstance(old, Ambiguous):
                    continue
                if _same_tuples(old, new):
                    if carried.get(name) is not old:  # first seen: carry it from before the loop
                        state = self._carry(old, name)
                        x.before.extend(_assign_leaves(state, old))
                        head[name] = carried[name] = state
                        changed = True
                    tails.extend(_assign_leaves(old, new))
                    continue
                if not isinstance(old, Record) and not isinstance(new, (Record, Ambiguous)):
                    if name in head:  # a number known before the loop, changed by it
                        del head[name]
                        changed = True
                    continue
                changed = True
                head[name] = Ambiguous(s, f"`{name}` is bound to another container by the loop at line "
                                          f"{x.ctx.info.file_line(s)}; keep one container and write its "
                                          f"elements in the loop", sequences_only(old) and sequences_only(new))
            if not changed and len(x.cleared & watched) == cleared_before:
                break
        x.depth -= 1
        s.body = [*body, *(gast.copy_location(t, s) for t in tails)] or [gast.Pass()]
        x.env = head
        if target is not None:
            x.env.pop(target, None)
        return s

    def _carry(self, like: Record, hint: str) -> Record:
        """A tuple of the structure of `like`, each element a new variable."""
        entries: dict = {}
        for key, value in like.entries.items():
            if isinstance(value, Record):
                entries[key] = self._carry(value, entry_hint(hint, key))
            else:
                entries[key] = Leaf(self.x.ctx.namer.fresh(entry_hint(hint, key)))
        return Record(like.kind, entries, like.cls, like.cls_obj)


def _same_tuples(old: Binding | None, new: Binding | None) -> bool:
    return isinstance(old, Record) and isinstance(new, Record) and old.deeply_immutable() \
        and new.deeply_immutable() and old.same_shape(new)


def _assign_leaves(target: Record, source: Record) -> list[gast.stmt]:
    out: list[gast.stmt] = []
    for t, v in zip(target.values(), source.values()):
        if isinstance(t, Record):
            out.extend(_assign_leaves(t, v))
        else:
            out.append(build.assign(t.var, _leaf_expr(v)))
    return out


def _check_unpacked(x: Exprs, s: gast.Assign, record: Record) -> None:
    """`a, b = t` (`a, *rest = t`) of a container of another length raises in Python: refused here."""
    count, starred = getattr(s, "unpacks", (None, False))
    n = len(record.entries)
    if count is not None and (n < count if starred else n != count):
        raise x.refuse(s, f"unpacking {'at least ' if starred else ''}{count} values from {a_kind(record.kind)} of {n}",
                       "the program would raise ValueError here")
    if count is not None and record.kind == "object":
        raise x.refuse(s, "unpacking an object", "read its attributes")


def _bind(env: dict[str, Binding], name: str, const: Const | None) -> None:
    if const is not None:
        env[name] = const
    else:
        env.pop(name, None)


def _leaf_expr(leaf: Value) -> gast.expr:
    assert isinstance(leaf, Leaf)
    return build.constant(leaf.const.value) if leaf.const is not None else build.name(leaf.var)
