"""Refuse in-place updates whose NumPy meaning differs from the one we differentiate.

The compiler reads `y += e` as `y = y + e`: a new value bound to `y`. NumPy writes into
y's buffer instead, so every other name sharing that buffer changes too. The two
meanings agree unless such a name is read after the update; when one may be, the
gradient would be silently wrong, so we refuse with a located error.

Names come to share a buffer through assignments (`t = x`, `t = x[0]`, `t = x.T`,
`t = x if c else y`, `t, u = x, y`), through loops over arrays (`for row in M`) and
through calls that may return their argument (`np.asarray(x)`, `x.conj()`, a user function:
what each call returns comes from the facts registry, frontend/calls.py). A call that changes
an argument in place (`c.sort()`, `np.put(c, ...)`, `out=c`, any call without facts) is an
update of that name like `c += ...` (canonicalize/effects.py then works on a copy). The
analysis is a may-point-to abstract interpretation over the structured syntax: each
name points to a set of allocation sites; an update makes every *other* name pointing
to one of its sites stale, and reading a stale name is refused. Rebinding a name
clears it. Loops iterate to a fixed point; branches join.

Refinements keep the analysis from refusing what NumPy and the compiler agree on:

* Numbers are immutable. A value *proven* to be an immutable number (a literal, the result of
  `float()`, `int()`, `len()`, a `math` function, `range`'s and `enumerate`'s counters, and
  arithmetic on such values) points to no memory that an update could change, so `t = s; s += 1.0`
  only rebinds `s`. Proven means resolved: the builtin or module named must be the real one
  (never a local or a global that shadows it). The rank analysis is no help here: a rank-0 value
  may be a 0-d array, which `+=` does change in place.
* Recency: an expression that builds a new object each time it runs (arithmetic, NumPy
  functions other than views, methods that copy) allocates at one site, but the object made by
  its latest run is told apart from the older ones: running it again renames the names pointing
  to the latest object to point to the older ones. So `prev = cur; cur = np.tanh(cur)` in a loop
  leaves `prev` and `cur` apart, and `prev *= 2.0` does not change `cur`.
* Apart names: pairs of names known to share no memory on every path, kept through assignments
  of one name to another and through joins (where the may-point-to sets lose it). Two arrays
  swapped in a loop (`cur, nxt = nxt, cur`) each may point to both, yet stay apart.
* `return`, `break` and `continue` end a path: an alias made just before one is not seen by the
  statements they skip.
"""

from __future__ import annotations

import builtins
import functools
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import gast
import numpy as np

from ..errors import UnsupportedSyntaxError
from ..frontend.calls import Calls, may_not_copy
from ..frontend.containers import Containers
from ..frontend.numbers import Numbers
from ..frontend.resolve import UNBOUND, Namespace
from ..frontend.source import SourceInfo
from ..rules.registry import Returns
from ..syntax import build
from ..syntax.parse import to_source

_ITERATION_WRAPPERS = frozenset({"reversed", "list", "tuple", "iter"})
# List methods that store their arguments (the objects themselves) into the list.
_STORING_METHODS = frozenset({"append", "extend", "insert"})


class _Number:
    """The site of every immutable number: it overlaps nothing, itself included."""

    def __repr__(self) -> str:
        return "<number>"


_NUMBER = _Number()


@dataclass(frozen=True)
class _Older:
    """The objects built at allocation site `site` before the latest one (which `site` stands for)."""

    site: object


@dataclass
class _State:
    """May-point-to sets, the names an in-place update has made stale (with that update), and pairs
    of names known to hold memory apart on every path (`a, b = b, a` swaps two arrays: each may
    point to both, yet they never share)."""

    sites: dict[str, frozenset[object]] = field(default_factory=dict)
    stale: dict[str, gast.AST] = field(default_factory=dict)
    apart: frozenset[frozenset[str]] = frozenset()
    updated: frozenset[str] = frozenset()  # the names updated in place: only pairs with one matter
    held: frozenset[str] = frozenset()  # names that may hold a list or tuple (whose elements others share)
    # The parameters taken not to hold lists or tuples when a name was found not to hold one (`c = P.copy()`:
    # a list if P is one, then `c += [a]` would hold `a`).
    relies: dict[str, frozenset[str]] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(dict(self.sites), dict(self.stale), self.apart, self.updated, self.held, dict(self.relies))

    def known_apart(self, a: str, b: str) -> bool:
        return frozenset({a, b}) in self.apart or not _sites_overlap(self.sites.get(a, ()), self.sites.get(b, ()))

    def forget(self, name: str) -> None:
        """`name` is bound again: what was known about its old value no longer holds."""
        if any(name in pair for pair in self.apart):
            self.apart = frozenset(pair for pair in self.apart if name not in pair)

    def allocate(self, site: object) -> None:
        """`site` builds a new object: the one it built last becomes one of the older ones."""
        for name, where in self.sites.items():
            if any(_root(s) == site for s in where):
                self.sites[name] = frozenset(_aged(s, site) for s in where)

    def join(self, other: _State) -> _State:
        sites = dict(self.sites)
        for name, where in other.sites.items():
            sites[name] = sites.get(name, frozenset()) | where
        # Apart after the join: apart on both paths (a name unbound on a path is apart from all there).
        # Only pairs whose joined sites overlap need saying so, and only those with an updated name.
        by_root: dict[object, list[str]] = {}
        for name in sorted(sites):
            for root in {_root(site) for site in sites[name]} - {_NUMBER}:
                by_root.setdefault(root, []).append(name)
        candidates = {frozenset({a, b}) for names in by_root.values() for a in names for b in names
                      if a < b and (a in self.updated or b in self.updated)}
        apart = frozenset(
            pair for pair in candidates
            if all(not pair <= state.sites.keys() or state.known_apart(*sorted(pair)) for state in (self, other))
            and _sites_overlap(*(sites[n] for n in sorted(pair))))
        relies = {name: self.relies.get(name, frozenset()) | other.relies.get(name, frozenset())
                  for name in self.relies.keys() | other.relies.keys()}
        return _State(sites, {**other.stale, **self.stale}, apart, self.updated, self.held | other.held, relies)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _State) and self.sites == other.sites \
            and self.stale.keys() == other.stale.keys() and self.apart == other.apart and self.held == other.held \
            and self.relies == other.relies


@dataclass(frozen=True)
class _Part:
    """A part of what `whole` points to: an element unpacked (`index` its position), the element a
    loop hands out (`("element", loop)`), or the elements that loop has yet to hand out (`("rest", loop)`)."""

    whole: object
    index: object


@dataclass(frozen=True)
class _View:
    """Memory reached from `whole` through an indexing, attribute or call expression: it may be any
    part of `whole`, in any order (`M[::-1]`, `M.T`), so positions inside it say nothing about `whole`'s."""

    whole: object
    expression: int


def _enclosing(site: object) -> list[object]:
    chain = [site]
    while isinstance(chain[-1], (_Part, _View)):
        chain.append(chain[-1].whole)
    return chain


@functools.lru_cache(maxsize=8192)
def _root(site: object) -> object:
    return _enclosing(site)[-1]


def _sites_overlap(a: Iterable[object], b: Iterable[object]) -> bool:
    a, b = tuple(a), tuple(b)
    if not {_root(x) for x in a} & {_root(y) for y in b} - {_NUMBER}:
        return False  # overlapping sites share a root
    return any(_overlap(x, y) for x in a for y in b)


def _join(a: _State | None, b: _State | None) -> _State | None:
    if a is None or b is None:
        return b if a is None else a
    return a.join(b)


def _without(state: _State, name: str) -> _State:
    out = state.copy()
    out.sites.pop(name, None)
    out.stale.pop(name, None)
    out.forget(name)
    return out


def _aged(site: object, latest: object) -> object:
    if site == latest:
        return _Older(latest)
    if isinstance(site, _Part):
        return _Part(_aged(site.whole, latest), site.index)
    if isinstance(site, _View):
        return _View(_aged(site.whole, latest), site.expression)
    return site


_MAX_DEPTH = 4


def _bounded(site: object) -> object:
    """Widening: a view of a view of ... (`t = t[1:]` in a loop) collapses to the site it comes from,
    which overlaps everything the chain could, so loops reach a fixed point."""
    chain = _enclosing(site)
    return chain[-1] if len(chain) > _MAX_DEPTH else site


def _disjoint(a: object, b: object) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a != b
    if isinstance(a, tuple) and isinstance(b, tuple):
        return {a[0], b[0]} == {"element", "rest"} and a[1] == b[1]  # this loop's element and its rest
    return False


def _overlap(a: object, b: object) -> bool:
    """Whether memory at site `a` and at site `b` may overlap: they come from a common site and do not
    split off it as two disjoint parts."""
    chain_a, chain_b = _enclosing(a), _enclosing(b)
    common = next((site for site in chain_a if site in chain_b), None)
    if common is None or common is _NUMBER:
        return False
    below_a = chain_a[chain_a.index(common) - 1] if chain_a[0] != common else None
    below_b = chain_b[chain_b.index(common) - 1] if chain_b[0] != common else None
    if isinstance(below_a, _Part) and isinstance(below_b, _Part):
        return not _disjoint(below_a.index, below_b.index)
    return True


def refuse_aliased_updates(fn: gast.FunctionDef, info: SourceInfo,
                           namespace: Namespace | None = None) -> dict[str, bool]:
    """Raise UnsupportedSyntaxError when a name is read after an in-place update changed it behind its back.

    `namespace` resolves the function's free names (`float`, `math`): without it, no call is proven
    to return a number. Returns the parameters the analysis assumed to hold arrays or numbers (not
    lists or tuples, whose copies share their elements): the caller checks them at call time. Each
    maps to whether a list or tuple of numbers is refused too (it was assumed to add no elements)."""
    params = fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs
    local_names, updated = {a.id for a in params}, set()
    for node in gast.walk(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            local_names.add(node.id)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            updated.add(node.target.id)
        elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                and isinstance(node.value, gast.Name):
            updated.add(node.value.id)  # `a[i] = v`, `a[i] += v`
    interpreter = _Interpreter(info, namespace, frozenset(local_names))
    for node in gast.walk(fn):
        if isinstance(node, gast.Call):  # `c.sort()`, `np.put(c, ...)`, `out=c`
            updated.update(arg.id for arg in interpreter.calls.changed(node) if isinstance(arg, gast.Name))
    state = _State({arg.id: frozenset({("parameter", arg.id)}) for arg in params}, updated=frozenset(updated))
    interpreter.block(fn.body, state)
    return dict(interpreter.assumed) if updated else {}


class _Interpreter:
    def __init__(self, info: SourceInfo, namespace: Namespace | None, local_names: frozenset[str]) -> None:
        self.info = info
        self.namespace = namespace
        self.numbers = Numbers(namespace, local_names)
        self.calls: Calls = self.numbers.calls
        self.containers = Containers(self.numbers)
        # Parameters assumed not to hold a list or tuple: True, not at all; False, none but of numbers.
        self.assumed: dict[str, bool] = {}
        self.loop_exits: list[tuple[list[_State], list[_State]]] = []  # per loop: states at `break`, at `continue`

    def block(self, body: list[gast.stmt], state: _State | None) -> _State | None:
        """The state after `body`, None where no path gets there (after `return`, `break`, `continue`)."""
        for stmt in body:
            if state is None:
                return None
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt: gast.stmt, state: _State) -> _State | None:
        if isinstance(stmt, gast.If):
            self.read(stmt.test, state)
            return _join(self.block(stmt.body, state.copy()), self.block(stmt.orelse, state.copy()))
        if isinstance(stmt, gast.For):
            return self.loop(stmt, state)
        if isinstance(stmt, gast.While):
            return self.loop(stmt, state)
        if isinstance(stmt, (gast.Break, gast.Continue)):
            self.loop_exits[-1][isinstance(stmt, gast.Continue)].append(state.copy())
            return None
        if isinstance(stmt, gast.Return):
            self.read(stmt.value, state)
            return None
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            self.read(stmt.value, state)
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, gast.Subscript):
                    self.write_into(target, stmt, state)
                else:
                    self.bind(target, stmt.value, state, stmt)
            return state
        if isinstance(stmt, gast.AugAssign):
            self.read(stmt.value, state)
            if isinstance(stmt.target, gast.Subscript):
                self.write_into(stmt.target, stmt, state)
            elif isinstance(stmt.target, gast.Name):
                self.refuse_stale(stmt.target, state)
                if self.number(stmt.target, state) and self.number(stmt.value, state):
                    state.sites[stmt.target.id] = frozenset({_NUMBER})  # a new number: nothing else changes
                else:
                    # `L += [a]`: L holds `a` (only what may hold objects adds any: `z += c` adds nothing)
                    extends = isinstance(stmt.op, gast.Add) and self.holds(stmt.value, state, record=True)
                    stored = self.stored(stmt.target, [stmt.value], stmt, state) if extends else frozenset()
                    self.update(stmt.target.id, stmt, state)
                    state.sites[stmt.target.id] |= stored
            return state
        for child in gast.iter_child_nodes(stmt):
            if isinstance(child, gast.expr):
                self.read(child, state)
        return state

    def loop(self, loop: gast.For | gast.While, entry: _State) -> _State | None:
        rest = f"<elements left by the loop on line {loop.lineno}>"
        if isinstance(loop, gast.For):
            self.read(loop.iter, entry)  # evaluated once; its rows are then handed out one by one
            # A hidden name for what the loop has yet to hand out: an update of the whole array
            # makes it stale, an update of the element just handed out does not.
            entry = entry.copy()
            entry.forget(rest)
            entry.sites[rest] = frozenset(_bounded(_Part(site, ("rest", id(loop))))
                                          for iterated in _iterated(loop.iter, self.calls)
                                          for site in self.sources(iterated, entry) or {id(iterated)})
        head = entry
        while True:
            self.loop_exits.append(([], []))
            body = head.copy()
            if isinstance(loop, gast.For):
                if rest in body.stale:
                    update = body.stale[rest]
                    raise UnsupportedSyntaxError(
                        f"this update changes the array the loop on line {self.info.file_line(loop)} iterates "
                        f"over, whose later elements NumPy would then read; iterate over a copy "
                        f"(`for {_target(loop.target)} in {_over_copies(loop.iter)}:`) or update a new array",
                        self.info.location(update), "in-place update of an iterated array")
                self.bind_iteration(loop.target, loop.iter, body, id(loop))
            else:
                self.read(loop.test, body)
            end = self.block(loop.body, body)
            breaks, continues = self.loop_exits.pop()
            new_head = _join(head, end)
            for state in continues:  # back to the head; a `break` leaves the loop (and skips `else`)
                new_head = new_head.join(state)
            if new_head == head:
                break
            head = new_head
        after = self.block(loop.orelse, _without(head, rest))
        for state in breaks:
            after = _join(after, _without(state, rest))
        return after

    def read(self, expr: gast.AST | None, state: _State) -> None:
        for node in gast.walk(expr) if expr is not None else ():
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                self.refuse_stale(node, state)
        if expr is not None:
            self.change_through_calls(expr, state)
            self.store_into_lists(expr, state)

    def change_through_calls(self, expr: gast.AST, state: _State) -> None:
        """`c.sort()`, `np.put(c, i, v)`, `np.exp(x, out=c)`, an unknown `f(c)`: c's memory changes in place,
        as with `c += ...`. The compiler changes a copy bound to `c` instead: every other name sharing
        c's memory then differs from NumPy's meaning, and reading one is refused. A changed argument the
        compiler cannot name (`c[1:].sort()`, `np.asarray(c).fill(0)`) is refused unless it is new."""
        for call in gast.walk(expr):
            if not isinstance(call, gast.Call):
                continue
            for arg in self.calls.changed(call):
                if isinstance(arg, gast.Name):
                    if not self.number(arg, state):
                        if arg.id not in state.sites:
                            self.refuse_global_change(arg, call)
                        else:
                            self.update(arg.id, call, state)
                else:
                    self.change_unnamed(arg, call, state)

    def change_unnamed(self, arg: gast.expr, call: gast.Call, state: _State) -> None:
        """The call changes `arg` (`c[1:]`, `[a, b]`), which the compiler copies first: no name sees the
        change, so every name that may share its memory is stale (and a global array is refused)."""
        changed = self.sources(arg, state)
        if isinstance(self.calls.resolve(arg), (np.ndarray, list, dict)):  # `cfg.W`: a module's array
            self.refuse_global_change(gast.Name(to_source(arg), gast.Load(), None, None), call)
        for root in {_root(site) for site in changed}:
            if isinstance(root, tuple) and root[0] == "global":
                self.refuse_global_change(gast.Name(root[1], gast.Load(), None, None), call)
        for name, where in state.sites.items():
            if _sites_overlap(where, changed):
                state.stale[name] = call

    def refuse_global_change(self, name: gast.Name, call: gast.Call) -> None:
        path = name.id.split(".")
        if not all(part.isidentifier() for part in path):  # what an undeclared call returned (`get_buffer()`)
            shown = name.id[1:-1] if name.id.startswith("<") else f"`{name.id}`"
            raise UnsupportedSyntaxError(
                f"this call may change {shown} in place, and that value may be memory kept "
                f"outside the function (an undeclared function may return a global array); bind it to a name "
                f"and copy it first, or declare the facts of the function that made it "
                f"(`adtransform.declare_facts(f, returns=adtransform.Returns.NEW)`)",
                self.info.location(call), "call that may change memory kept outside the function")
        value = self.calls.resolve(gast.parse(name.id).body[0].value) if len(path) > 1 \
            else self.namespace.lookup(name.id) if self.namespace is not None else UNBOUND
        if isinstance(value, (np.ndarray, list, dict)):
            known, short = self.calls.facts(call).known, name.id.split(".")[-1]
            raise UnsupportedSyntaxError(
                f"this call may change the global `{name.id}` in place (for later calls too), which no gradient "
                f"can account for; copy it first (`{short}_copy = {name.id}.copy()`)" + ("" if known else
                f", or, if `{to_source(call.func)}` changes none of its arguments, declare it with "
                f"`adtransform.declare_facts({to_source(call.func)}, returns=..., mutates=())`"),
                self.info.location(call), "call that changes a global array")

    def refuse_stale(self, node: gast.Name, state: _State) -> None:
        update = state.stale.get(node.id)
        if update is None:
            return
        if isinstance(update, gast.Call):
            changed = [to_source(a) for a in self.calls.changed(update)]
            name = next((n for n in changed if n != node.id), changed[0] if changed else node.id)
            raise UnsupportedSyntaxError(
                f"`{name}` may share memory with `{node.id}` (read on line {self.info.file_line(node)}), so this "
                f"call, which may change `{name}` in place, would change `{node.id}` too; call it on a copy "
                f"(`t = {name}.copy()`) and use that", self.info.location(update), "in-place update of an alias")
        targets = update.targets if isinstance(update, gast.Assign) else [update.target]
        target = next((t for t in targets if isinstance(t, gast.Subscript)), targets[0])
        if isinstance(target, gast.Name):
            name, symbol = target.id, build.SYMBOL_OF.get(type(update.op), "op")
            instead = f"write `{name} = {name} {symbol} ...` for a new array, or copy first (`{name} = {name}.copy()`)"
        else:
            name = target.value.id
            instead = f"copy first (`{name} = {name}.copy()`) so that the write changes `{name}` only"
        raise UnsupportedSyntaxError(
            f"`{name}` may share memory with `{node.id}` (read on line {self.info.file_line(node)}), "
            f"so NumPy's in-place update would change `{node.id}` too; {instead}",
            self.info.location(update), "in-place update of an alias")

    def write_into(self, target: gast.Subscript, stmt: gast.stmt, state: _State) -> None:
        """`a[i] = v` changes a's buffer: every other name sharing it sees the write."""
        self.read(target.slice, state)
        base = target.value
        if isinstance(base, gast.Name):
            self.refuse_stale(base, state)
            stored = self.stored(base, [stmt.value], stmt, state)  # `L[0] = a`: a list then holds `a` itself
            # The compiler writes into a copy unless nothing else reads the old value: `a` stays what it was.
            self.update(base.id, stmt, state)
            state.sites[base.id] |= stored

    def stored(self, container: gast.Name, values: list[gast.expr], where: gast.AST,
               state: _State) -> frozenset[object]:
        """What `container` comes to share once `values` are stored into it: nothing for an array (its
        elements are copied in), the values' memory for a list (which holds the objects themselves)."""
        shared = frozenset(_bounded(_View(site, id(where))) for value in values for site in self.sources(value, state))
        if not shared or not self.holds(container, state, record=True, strict=True):
            return frozenset()
        return shared

    def store_into_lists(self, expr: gast.AST, state: _State) -> None:
        """`L.append(a)`, `L.extend(M)`, `L.insert(i, a)`: every name sharing the list now holds `a`."""
        for node in gast.walk(expr):
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
                    and isinstance(node.func.value, gast.Name) and node.func.attr in _STORING_METHODS:
                receiver = node.func.value
                stored = self.stored(receiver, node.args, node, state)
                if stored:
                    changed = state.sites.setdefault(receiver.id, frozenset({("global", receiver.id)}))
                    for name, where in list(state.sites.items()):
                        if name == receiver.id or _sites_overlap(where, changed):
                            state.sites[name] = where | stored
                            state.held = state.held | {name}
                            state.relies.pop(name, None)

    def update(self, name: str, update: gast.AST, state: _State) -> None:
        """`name`'s memory is changed in place: every other name sharing it sees the change."""
        changed = state.sites.get(name, frozenset())
        self.refuse_global_update(name, changed, update)
        for other, where in state.sites.items():
            if other != name and _sites_overlap(where, changed) \
                    and frozenset({other, name}) not in state.apart:
                state.stale[other] = update
        state.allocate(id(update))
        state.sites[name] = frozenset({id(update)})  # as the compiler reads it: a new value

    def refuse_global_update(self, name: str, changed: frozenset[object], update: gast.AST) -> None:
        """NumPy would change a global array, for the rest of this call and for later calls: the compiler
        reads the update as a new value, and no gradient can account for the change."""
        for root in {_root(site) for site in changed}:
            if not (isinstance(root, tuple) and root[0] == "global"):
                continue
            if root[1].startswith("<"):  # what an unknown function returns: maybe an array it keeps
                raise UnsupportedSyntaxError(
                    f"`{name}` may be {root[1][1:-1]}, which may be an array it keeps (a global) or one of its "
                    f"arguments; declare its facts (`adtransform.declare_facts(f, returns=adtransform.Returns.NEW)`) "
                    f"or copy first (`{name} = {name}.copy()`)", self.info.location(update),
                    "in-place update of an unknown function's result")
            value = self.namespace.lookup(root[1]) if self.namespace is not None else None
            if type(value) in (int, float, complex, bool):
                continue  # a number: the update rebinds `name` only
            raise UnsupportedSyntaxError(
                f"`{name}` may share memory with the global `{root[1]}`, which NumPy's in-place update would "
                f"change (for later calls too); copy first (`{name} = {name}.copy()`)",
                self.info.location(update), "in-place update of a global array")

    def bind(self, target: gast.AST, value: gast.expr, state: _State, site: gast.AST) -> None:
        if isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(value.elts):
            # Python evaluates every value before it binds any target.
            for elt in value.elts:  # (allocating renames what is already there: first, so values see it)
                self.allocate_if_new(elt, elt, state)
            values = [(self.value_sites(elt, elt, state), self.holding(elt, state)) for elt in value.elts]
            known = self.apart_after(target.elts, value.elts, state)
            for elt_target, (sites, held) in zip(target.elts, values):
                self.assign(elt_target, sites, state, held)
            state.apart |= known
            return
        self.allocate_if_new(value, site, state)
        sites, held = self.value_sites(value, site, state), self.holding(value, state)
        if isinstance(target, gast.Name):
            known = self.apart_after([target], [value], state)
            self.assign(target, sites, state, held)
            state.apart |= known
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            # Unpacking hands out disjoint parts of the value: updating one leaves the others alone.
            for index, elt in enumerate(target.elts):
                self.assign(elt, frozenset(_bounded(_Part(where, index)) for where in sites), state, held)
            return
        self.assign(target, sites, state, held)

    def bind_iteration(self, target: gast.AST, iterable: gast.expr, state: _State, loop: int) -> None:
        """`for target in iterable`: each element may be a view of the iterated array or list."""
        if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name) \
                and self.numbers.builtin(iterable.func, getattr(builtins, iterable.func.id, None)):
            kind, args = iterable.func.id, iterable.args  # (the real builtin: not a name shadowing it)
            if kind == "range":
                self.assign(target, frozenset({_NUMBER}), state, held=(False, frozenset()))
                return
            start = [kw.value for kw in iterable.keywords if kw.arg == "start"]
            if kind == "enumerate" and len(args) + len(start) in (1, 2) and len(start) == len(iterable.keywords) \
                    and args and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2:
                self.assign(target.elts[0], frozenset({_NUMBER}), state, held=(False, frozenset()))
                self.bind_iteration(target.elts[1], args[0], state, loop)
                return
            if kind == "zip" and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == len(args):
                for elt, arg in zip(target.elts, args):
                    self.bind_iteration(elt, arg, state, loop)
                return
            if kind in _ITERATION_WRAPPERS and len(args) == 1:
                self.bind_iteration(target, args[0], state, loop)
                return
        sites = self.sources(iterable, state) or frozenset({id(iterable)})
        self.assign(target, frozenset(_bounded(_Part(where, ("element", loop))) for where in sites), state,
                    self.holding(iterable, state))

    def assign(self, target: gast.AST, sites: frozenset[object], state: _State,
               held: tuple[bool, frozenset[str]]) -> None:
        """`held`: whether the value may hold a list or tuple, and the parameters that answer relied on."""
        held, relies = held
        for node in gast.walk(target):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                state.sites[node.id] = sites
                state.stale.pop(node.id, None)
                state.forget(node.id)
                state.held = state.held | {node.id} if held else state.held - {node.id}
                if relies:
                    state.relies[node.id] = relies
                else:
                    state.relies.pop(node.id, None)

    @staticmethod
    def apart_after(targets: list[gast.AST], values: list[gast.expr], state: _State) -> frozenset[frozenset[str]]:
        """The pairs of names apart once each `targets[i] = values[i]` is bound at once, from what is
        known before: a name bound to another name's value is apart from whatever that name was."""
        rebound = {n.id for t in targets for n in gast.walk(t) if isinstance(n, gast.Name)}
        bound = {t.id: v.id for t, v in zip(targets, values)
                 if isinstance(t, gast.Name) and isinstance(v, gast.Name) and v.id in state.sites}
        known = {frozenset({t, n}) for t, v in bound.items() for n in state.sites
                 if n not in rebound and n != v and state.known_apart(v, n)}
        known |= {frozenset({t, u}) for t, v in bound.items() for u, w in bound.items()
                  if t < u and v != w and state.known_apart(v, w)}
        return frozenset(known)

    def value_sites(self, value: gast.expr, site: gast.AST, state: _State) -> frozenset[object]:
        """What a name bound to `value` (evaluated at `site`) points to."""
        if self.number(value, state):
            return frozenset({_NUMBER})
        return self.sources(value, state) or frozenset({id(site)})

    def allocate_if_new(self, value: gast.expr, site: gast.AST, state: _State) -> None:
        if not self.number(value, state) and _new_each_time(value, self.calls):
            state.allocate(id(site))

    def number(self, value: gast.AST, state: _State) -> bool:
        """Whether `value` is proven to be an immutable number (or bool, string, None)."""
        return self.numbers.proves(value, lambda name: state.sites.get(name) == frozenset({_NUMBER}))

    def holds(self, value: gast.AST, state: _State, record: bool = False, strict: bool = False) -> bool:
        """Whether `value` may be a list or tuple (or another object holding objects others share).

        A parameter is assumed to hold an array or a number; `record`: the answer decides what a value
        shares, so the parameters it relied on are checked when the function is called (`strict`: that
        they hold no list or tuple at all, not even of numbers; else a list or tuple of numbers is fine)."""
        def relied(params: Iterable[str], strict: bool) -> None:
            if record:
                for param in params:
                    self.assumed[param] = self.assumed.get(param, False) or strict
        return self._holds(value, state, relied, strict)

    def holding(self, value: gast.AST, state: _State) -> tuple[bool, frozenset[str]]:
        """What a name bound to `value` holds: `holds(value)`, and the parameters that answer relied on."""
        params: set[str] = set()
        held = self._holds(value, state, lambda relied, _: params.update(relied), False)
        return held, frozenset(params)

    def _holds(self, value: gast.AST, state: _State, relied: Callable[[Iterable[str], bool], None],
               strict: bool) -> bool:
        def name_holds(name: str, strict: bool) -> bool:
            if name in state.sites:
                relied([root[1] for root in map(_root, state.sites[name])
                        if isinstance(root, tuple) and root[0] == "parameter"], strict)
                relied(state.relies.get(name, ()), strict)
                return name in state.held
            if self.namespace is None:
                return True
            value = self.namespace.lookup(name)  # a global or closure variable, as it is now
            return not isinstance(value, (np.ndarray, np.generic, int, float, complex, bool, types.ModuleType))
        return self.containers.may_hold(value, name_holds, lambda name: state.sites.get(name) == frozenset({_NUMBER}),
                                        strict)

    def sources(self, value: gast.AST, state: _State) -> frozenset[object]:
        """The allocation sites `value` may share memory with (empty: a new object); through an
        indexing, attribute or call, a view of them."""
        sites: set[object] = set()
        for name, exact in _flowing(value, lambda node: self.holds(node, state, record=True), self.calls):
            found = state.sites.get(name, frozenset({("global", name)}))
            sites |= found if exact else {_bounded(_View(site, id(value))) for site in found}
        return frozenset(sites)


def _new_each_time(value: gast.expr, calls: Calls) -> bool:
    """Whether `value` builds a new object every time it runs (a call may return one it made before)."""
    if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.List)):
        return True
    if isinstance(value, gast.Call):
        if calls.receiver(value) is not None and value.func.attr == "copy":  # an array's or a list's copy
            return not calls.changed(value)
        return calls.fresh(value)
    return False


def _iterated(iterable: gast.expr, calls: Calls) -> list[gast.expr]:
    """The arrays or lists a `for` loop hands out elements of (none for `range`)."""
    if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name) \
            and calls.resolve(iterable.func) is getattr(builtins, iterable.func.id, None):
        kind = iterable.func.id
        if kind == "range":
            return []
        if kind in ("enumerate", "zip", *_ITERATION_WRAPPERS):
            return [part for arg in iterable.args for part in _iterated(arg, calls)]
    return [iterable]


def _target(target: gast.expr) -> str:
    text = to_source(target)
    return text[1:-1] if isinstance(target, gast.Tuple) and text.startswith("(") else text


def _over_copies(iterable: gast.expr) -> str:
    """`iterable` with each array it hands out elements of copied first: `zip(x.copy(), x[:2].copy())`."""
    def copied(node: gast.expr) -> gast.expr:
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
                and node.func.id in ("enumerate", "zip", *_ITERATION_WRAPPERS):
            return gast.Call(node.func, [copied(arg) for arg in node.args], node.keywords)
        return build.call(build.attribute(node, "copy"), [])
    return to_source(copied(iterable))


def _flowing(value: gast.AST, holds: Callable[[gast.AST], bool], calls: Calls) -> list[tuple[str, bool]]:
    """Names whose memory the value of `value` may share, and whether it is the name's whole object
    (`holds(node)`: whether a value may be a list or tuple, whose copies share its elements;
    `calls` resolves what calls return)."""
    exact = _bare(value)
    return [(name, exact) for name in _flowing_names(value, holds, calls)]


def _bare(value: gast.AST) -> bool:
    if isinstance(value, gast.Name):
        return True
    if isinstance(value, gast.IfExp):
        return _bare(value.body) and _bare(value.orelse)
    if isinstance(value, gast.BoolOp):
        return all(_bare(v) for v in value.values)
    return False


def _flowing_names(value: gast.AST, holds: Callable[[gast.AST], bool], calls: Calls) -> list[str]:
    """Names whose memory the value of `value` may share."""
    def go(node: gast.AST | None) -> list[str]:
        if isinstance(node, gast.Name):
            return [node.id]
        if isinstance(node, gast.Subscript):
            return go(node.value)
        if isinstance(node, gast.Attribute):  # `x.T`, `x.base`: views; `x.shape`, `np.pi`: new
            return [] if calls.attribute(node).fresh else go(node.value)
        if isinstance(node, gast.IfExp):
            return go(node.body) + go(node.orelse)
        if isinstance(node, gast.BoolOp):
            return [name for operand in node.values for name in go(operand)]
        if isinstance(node, (gast.Tuple, gast.List)):
            return [name for elt in node.elts for name in go(elt)]
        if isinstance(node, gast.BinOp):  # `[a] + [b]`, `pair * 2`: a new container of the same elements
            return go(node.left) + go(node.right) if holds(node) else []
        if isinstance(node, gast.Call):
            return _call_flowing_names(node, go, holds, calls)
        return []  # arithmetic, comparisons and constants build new objects
    return go(value)


def _call_flowing_names(call: gast.Call, go: Callable[[gast.AST | None], list[str]],
                        holds: Callable[[gast.AST], bool], calls: Calls) -> list[str]:
    receiver = calls.receiver(call)
    arguments = [name for arg in call.args + [kw.value for kw in call.keywords] for name in go(arg)]
    written = [name for arg in calls.changed(call) for name in go(arg)]  # `out=` is what they return
    if isinstance(call.func, gast.Name) and calls.resolve(call.func) is builtins.sum:
        if holds(call):  # `sum(L, [])` holds L's elements
            return arguments
        start = call.args[1:] + [kw.value for kw in call.keywords]
        return [name for node in start for name in go(node)]  # `sum([], a)` is `a` itself
    if receiver is not None and isinstance(call.func, gast.Attribute) and call.func.attr == "copy":
        return go(receiver) if holds(call) else written  # a list's copy holds the same elements
    if calls.facts(call).returns in (Returns.NUMBER, Returns.NEW, Returns.NEW_ITEMS) and not may_not_copy(call):
        return written
    # A view or anything else (a module's or user's function, `max(a, b)`): may be any argument, and
    # a function nobody declared facts for may return memory it keeps (a global array).
    kept = [] if calls.facts(call).known else [f"<what `{to_source(call.func)}` returns>"]
    return go(receiver) + arguments + written + kept
