"""The abstract interpreter: walks the structured syntax of one function, statement by statement.

Assignments bind names to the sites their value may share; an in-place update (`y += e`, `a[i] = v`,
a call that changes an argument) makes every other name sharing the updated memory stale; reading a
stale name is refused. Branches join; loops iterate to a fixed point; `return`, `break` and
`continue` end a path (their states join where control goes next).
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable, Iterable

import gast
import numpy as np

from ...frontend.containers import Containers
from ...frontend.numbers import Numbers
from ...frontend.resolve import Namespace
from ...frontend.source import SourceInfo
from ...syntax.parse import to_source
from .entries import EntryUpdates
from .facts import ITERATION_WRAPPERS, CallFacts
from .lattice import NUMBER, REST, Part, Sites, State, View, bounded, join, root, roots
from .loops import Loops
from .refusals import Refusals

# List methods that store their arguments (the objects themselves) into the list.
_STORING_METHODS = frozenset({"append", "extend", "insert"})
# A dict comes to hold the values `update` and `setdefault` store (so may any object with such a
# method: sharing more is safe); only for a dict made here is that a change of the dict alone.
_DICT_STORING_METHODS = frozenset({"update", "setdefault"})
# Methods of lists and dicts that remove or reorder entries: on a container made here, the arrays stay.
_REMOVING_METHODS = frozenset({"clear", "pop", "popitem", "remove", "sort", "reverse"})
_NUMBERS = frozenset({NUMBER})


class Interpreter(EntryUpdates):
    """The analysis of one function: `namespace` resolves its free names, `local_names` are those it binds."""

    def __init__(self, info: SourceInfo, namespace: Namespace | None, local_names: frozenset[str]) -> None:
        self.info = info
        self.namespace = namespace
        self.facts = CallFacts(namespace, local_names)  # every question about a call goes to this one object
        self.numbers = Numbers(namespace, local_names, self.facts)
        self.containers = Containers(self.numbers)
        self.refuse = Refusals(info, namespace, self.facts)
        # Parameters assumed not to hold a list or tuple: True, not at all; False, none but of numbers.
        self.assumed: dict[str, bool] = {}
        self.loops = Loops(self)
        # Per update (by id): the parameters through whose memory alone it made names stale (none would
        # be, were they numbers, which nothing shares).
        self.through_params: dict[int, frozenset[str]] = {}
        self.arrays: set[str] = set()  # parameters whose memory a name indexes, iterates or reads an attribute of
        # Allocation sites (ids) of containers whose entries are objects made there, each a different one
        # (`[x * 2.0, x * 3.0]`, `[0.0] * n`, `[f(x) for ...]`): updating one entry in place changes no other.
        self.distinct: set[int] = set()
        self.changed_params: dict[str, gast.AST] = {}  # parameters whose memory is updated in place: the first update

    def block(self, body: list[gast.stmt], state: State | None) -> State | None:
        """The state after `body`, None where no path gets there (after `return`, `break`, `continue`)."""
        for stmt in body:
            if state is None:
                return None
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt: gast.stmt, state: State) -> State | None:
        if isinstance(stmt, gast.If):
            self.read(stmt.test, state)
            return join(self.block(stmt.body, state.copy()), self.block(stmt.orelse, state.copy()))
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loops.run(stmt, state)
        if isinstance(stmt, (gast.Break, gast.Continue)):
            self.loops.exit(isinstance(stmt, gast.Continue), state)
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
            self.aug_assign(stmt, state)
            return state
        for child in gast.iter_child_nodes(stmt):
            if isinstance(child, gast.expr):
                self.read(child, state)
        return state

    def aug_assign(self, stmt: gast.AugAssign, state: State) -> None:
        self.read(stmt.value, state)
        target = stmt.target
        if isinstance(target, gast.Subscript):
            if isinstance(target.value, gast.Name) and self.holds(target.value, state) \
                    and not self.number(target, state):
                self.update_entry(target, stmt, state)
            else:
                self.write_into(target, stmt, state)
        elif isinstance(target, gast.Name):
            self.refuse_stale(target, state)
            if self.number(target, state) and self.number(stmt.value, state):
                state.point(target.id, _NUMBERS)  # a new number: nothing else changes
            else:
                # `L += [a]`: L holds `a` (only what may hold objects adds any: `z += c` adds nothing)
                extends = isinstance(stmt.op, gast.Add) and self.holds(stmt.value, state, record=True)
                stored = self.stored(target, [stmt.value], stmt, state) if extends else frozenset()
                self.update(target.id, stmt, state)
                state.point(target.id, state.sites[target.id] | stored)

    def read(self, expr: gast.AST | None, state: State) -> None:
        if expr is None:
            return
        nodes = list(gast.walk(expr))
        for node in nodes:
            if isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.value, gast.Name):
                self.used_as_array(state.sites.get(node.value.id, frozenset()))
        if state.stale:
            apart = {id(node.value) for node in nodes if self.untouched_entry(node, state)}
            for node in nodes:
                if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and id(node) not in apart:
                    self.refuse_stale(node, state)
        calls = [node for node in nodes if isinstance(node, gast.Call)]
        if calls:
            self.change_through_calls(calls, state)
            self.store_into_lists(calls, state)

    def used_as_array(self, sites: Iterable[object]) -> None:
        """Memory at `sites` is indexed, iterated or read an attribute of: no parameter it may be is a number."""
        self.arrays.update(top[1] for top in roots(sites) if isinstance(top, tuple) and top[0] == "parameter")

    def refuse_stale(self, node: gast.Name, state: State) -> None:
        update = state.stale.get(node.id)
        if update is not None:
            self.refuse.stale(node, update, self.through_params.get(id(update), frozenset()))

    def change_through_calls(self, calls: list[gast.Call], state: State) -> None:
        """`c.sort()`, `np.put(c, i, v)`, `np.exp(x, out=c)`, an unknown `f(c)`: c's memory changes in place,
        as with `c += ...`. The compiler changes a copy bound to `c` instead: every other name sharing
        c's memory then differs from NumPy's meaning, and reading one is refused. A changed argument the
        compiler cannot name (`c[1:].sort()`, `np.asarray(c).fill(0)`) is refused unless it is new."""
        for call in calls:
            func = call.func
            made_here = isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id in state.entries  # (a list or dict: removing entries leaves the arrays)
            storing = isinstance(func, gast.Attribute) and (func.attr in _STORING_METHODS or (
                made_here and (func.attr in _REMOVING_METHODS or func.attr in _DICT_STORING_METHODS)))
            for arg in self.facts.changed(call):
                if isinstance(arg, gast.Name):
                    if not self.number(arg, state):
                        if arg.id not in state.sites:
                            self.refuse.global_change(arg, call)
                        elif storing and arg is func.value:
                            self.update_list(arg.id, call, state)
                        else:
                            self.update(arg.id, call, state)
                else:
                    self.change_unnamed(arg, call, state)

    def change_unnamed(self, arg: gast.expr, call: gast.Call, state: State) -> None:
        """The call changes `arg` (`c[1:]`, `[a, b]`), which the compiler copies first: no name sees the
        change, so every name that may share its memory is stale (and a global array is refused)."""
        changed = self.sources(arg, state)
        if isinstance(self.facts.resolve(arg), (np.ndarray, list, dict)):  # `cfg.W`: a module's array
            self.refuse.global_change(gast.Name(to_source(arg), gast.Load(), None, None), call)
        for top in sorted({root(site) for site in changed}, key=repr):  # (the first refused is named: same every run)
            if isinstance(top, tuple) and top[0] == "global":
                self.refuse.global_change(gast.Name(top[1], gast.Load(), None, None), call)
        for name in state.sharing(changed):
            state.mark_stale(name, call, changed)

    def write_into(self, target: gast.Subscript, stmt: gast.stmt, state: State) -> None:
        """`a[i] = v` changes a's buffer: every other name sharing it sees the write."""
        self.read(target.slice, state)
        base = target.value
        held = state.entries.get(base.id) if isinstance(base, gast.Name) else None
        if held is not None and isinstance(stmt, gast.Assign):
            self.store_entry(target, stmt, held, state)
            return
        if isinstance(base, gast.Name):
            self.used_as_array(state.sites.get(base.id, frozenset()))
            self.refuse_stale(base, state)
            stored = self.stored(base, [stmt.value], stmt, state)  # `L[0] = a`: a list then holds `a` itself
            # The compiler writes into a copy unless nothing else reads the old value: `a` stays what it was.
            held = state.sites.get(base.id, frozenset()) if self.holds(base, state) else frozenset()
            self.update(base.id, stmt, state)
            if held:  # a container's copy keeps holding its other entries (`L[0] = v` leaves `L[1]`)
                if not stored and all(self.made_distinct(site) for site in held):
                    self.distinct.add(id(stmt))
                stored |= held
            state.point(base.id, state.sites[base.id] | stored)

    def stored(self, container: gast.Name, values: list[gast.expr], where: gast.AST, state: State) -> Sites:
        """What `container` comes to share once `values` are stored into it: nothing for an array (its
        elements are copied in), the values' memory for a list (which holds the objects themselves)."""
        shared = frozenset(bounded(View(site, id(where))) for value in values for site in self.sources(value, state))
        if not shared or not self.holds(container, state, record=True, strict=True):
            return frozenset()
        return shared

    def store_into_lists(self, calls: list[gast.Call], state: State) -> None:
        """`L.append(a)`, `L.extend(M)`, `L.insert(i, a)`, `E.update(D)`: every name sharing the container
        now holds what was stored."""
        for node in calls:
            if isinstance(node.func, gast.Attribute) and isinstance(node.func.value, gast.Name) and (
                    node.func.attr in _STORING_METHODS or node.func.attr in _DICT_STORING_METHODS):
                receiver = node.func.value
                values = [*node.args, *(k.value for k in node.keywords)]
                stored = self.stored(receiver, values, node, state)
                if stored:
                    if receiver.id not in state.sites:
                        state.point(receiver.id, frozenset({("global", receiver.id)}))
                    changed = state.sites[receiver.id]
                    for name in self.list_sharers(receiver.id, changed, state) | {receiver.id}:
                        made_here = name in state.entries
                        state.point(name, state.sites[name] | stored)
                        if made_here:  # (still the container made here, its entries no longer known one by one)
                            state.entries[name] = {REST: state.sites[name]}
                        state.held = state.held | {name}
                        state.relies.pop(name, None)

    def update_list(self, name: str, update: gast.AST, state: State) -> None:
        """`L.append(a)` (`extend`, `insert`) changes the list `L` only, never the objects it holds: of
        the names sharing L's memory, only those that may be a list or tuple (L itself, one holding it)
        see the change; an array L holds stays as it is. L keeps sharing what it held."""
        changed = state.sites.get(name, frozenset())
        if name in state.entries:  # (`L.insert(0, v)` moves its entries)
            state.entries[name] = {REST: changed}
        self.refuse.global_update(name, changed, update)
        for other in self.list_sharers(name, changed, state):
            if not state.paired(other, name):
                state.mark_stale(other, update, None)

    def list_sharers(self, name: str, changed: Sites, state: State) -> set[str]:
        """The names other than `name` sharing `changed` that may be a list or tuple (an array is never
        the list itself)."""
        return {other for other in state.sharing(changed) - {name}
                if self.holds(gast.Name(other, gast.Load(), None, None), state, record=True)}

    def update(self, name: str, update: gast.AST, state: State) -> None:
        """`name`'s memory is changed in place: every other name sharing it sees the change."""
        changed = state.sites.get(name, frozenset())
        self.refuse.global_update(name, changed, update)
        self.changing(changed, update)
        for other in state.sharing(changed):
            if other != name and not state.paired(other, name):
                state.mark_stale(other, update, changed)
                self.blame(update, roots(changed) & roots(state.sites[other]))
        state.allocate(id(update))
        state.point(name, frozenset({id(update)}))  # as the compiler reads it: a new value

    def blame(self, update: gast.AST, shared: set[object]) -> None:
        """`update` made a name stale through the memory of the roots `shared`: if all are parameters,
        the name would not be stale were they numbers (unless the update makes another stale otherwise)."""
        params = frozenset(top[1] for top in shared if isinstance(top, tuple) and top[0] == "parameter")
        known = self.through_params.get(id(update), frozenset())
        self.through_params[id(update)] = known | params if len(params) == len(shared) and \
            (known or id(update) not in self.through_params) else frozenset()

    def bind(self, target: gast.AST, value: gast.expr, state: State, site: gast.AST) -> None:
        if isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(value.elts):
            # Python evaluates every value before it binds any target.
            for elt in value.elts:  # (allocating renames what is already there: first, so values see it)
                self.allocate_if_new(elt, elt, state)
            values = [(self.value_sites(elt, elt, state), self.holding(elt, state)) for elt in value.elts]
            known = self.apart_after(target.elts, value.elts, state)
            for elt_target, (sites, held) in zip(target.elts, values):
                self.assign(elt_target, sites, state, held)
            state.add_apart(known)
            return
        self.allocate_if_new(value, site, state)
        sites, held = self.value_sites(value, site, state), self.holding(value, state)
        if sites == frozenset({id(site)}) and self.distinct_entries(value, state):
            self.distinct.add(id(site))
        if isinstance(target, gast.Name):
            known = self.apart_after([target], [value], state)
            display = self.display_entries(value, site, state)
            if display is not None and display[1]:
                sites = sites | {id(site)}  # (what the display builds: its new entries are parts of it)
            self.assign(target, sites, state, held)
            if display is not None:
                state.entries[target.id] = display[0]
            state.add_apart(known)
            return
        entries = state.entries.get(value.id) if isinstance(value, gast.Name) else None
        if isinstance(target, (gast.Tuple, gast.List)) and entries is not None \
                and set(entries) == set(range(len(target.elts))):  # `a, b = L`, L a display: each its entry
            for index, elt in enumerate(target.elts):
                self.assign(elt, entries[index], state, held)
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            # Unpacking hands out disjoint parts of the value: updating one leaves the others alone.
            for index, elt in enumerate(target.elts):
                self.assign(elt, frozenset(bounded(Part(where, index)) for where in sites), state, held)
            return
        self.assign(target, sites, state, held)

    def bind_iteration(self, target: gast.AST, iterable: gast.expr, state: State, loop: int) -> None:
        """`for target in iterable`: each element may be a view of the iterated array or list."""
        if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name) \
                and self.numbers.builtin(iterable.func, getattr(builtins, iterable.func.id, None)):
            kind, args = iterable.func.id, iterable.args  # (the real builtin: not a name shadowing it)
            if kind == "range":
                self.assign(target, _NUMBERS, state, held=(False, frozenset()))
                return
            start = [kw.value for kw in iterable.keywords if kw.arg == "start"]
            if kind == "enumerate" and len(args) + len(start) in (1, 2) and len(start) == len(iterable.keywords) \
                    and args and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == 2:
                self.assign(target.elts[0], _NUMBERS, state, held=(False, frozenset()))
                self.bind_iteration(target.elts[1], args[0], state, loop)
                return
            if kind == "zip" and isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == len(args):
                for elt, arg in zip(target.elts, args):
                    self.bind_iteration(elt, arg, state, loop)
                return
            if kind in ITERATION_WRAPPERS and len(args) == 1:
                self.bind_iteration(target, args[0], state, loop)
                return
        sites = self.sources(iterable, state) or frozenset({id(iterable)})
        self.used_as_array(sites)
        self.assign(target, frozenset(bounded(Part(where, ("element", loop))) for where in sites), state,
                    self.holding(iterable, state))

    def assign(self, target: gast.AST, sites: Sites, state: State, held: tuple[bool, frozenset[str]]) -> None:
        """`held`: whether the value may hold a list or tuple, and the parameters that answer relied on."""
        held, relies = held
        for node in gast.walk(target):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                state.point(node.id, sites)
                state.unstale(node.id)
                state.forget(node.id)
                if held:
                    state.held = state.held | {node.id}
                elif node.id in state.held:
                    state.held = state.held - {node.id}
                if relies:
                    state.relies[node.id] = relies
                else:
                    state.relies.pop(node.id, None)

    @staticmethod
    def apart_after(targets: list[gast.AST], values: list[gast.expr], state: State) -> set[tuple[str, str]]:
        """The pairs of names apart once each `targets[i] = values[i]` is bound at once, from what is
        known before: a name bound to another name's value is apart from whatever that name was."""
        bound = {t.id: v.id for t, v in zip(targets, values)
                 if isinstance(t, gast.Name) and isinstance(v, gast.Name) and v.id in state.sites}
        if not bound:
            return set()
        rebound = {n.id for t in targets for n in gast.walk(t) if isinstance(n, gast.Name)}
        known = set()
        for t, v in bound.items():  # apart from v: the names not sharing its memory, and its partners
            near = state.sharing(state.sites[v]) - state.partners.get(v, set())
            known.update((t, n) for n in state.sites.keys() - rebound - near - {v})
        known |= {(t, u) for t, v in bound.items() for u, w in bound.items()
                  if t < u and v != w and state.known_apart(v, w)}
        return known

    def value_sites(self, value: gast.expr, site: gast.AST, state: State) -> Sites:
        """What a name bound to `value` (evaluated at `site`) points to."""
        if self.number(value, state):
            return _NUMBERS
        return self.sources(value, state) or frozenset({id(site)})

    def allocate_if_new(self, value: gast.expr, site: gast.AST, state: State) -> None:
        if not self.number(value, state) and (self.facts.new_each_time(value) or self.view_of_new(value, state)):
            state.allocate(id(site))

    def view_of_new(self, value: gast.expr, state: State) -> bool:
        """A call of a known function that may return a view of its arguments, none of which holds memory
        a name holds (`np.reshape(x * 2.0, (n, n))`): a view of an array nothing else holds, made anew
        each time it runs, which shares memory with nothing the program can see."""
        return isinstance(value, gast.Call) and self.facts.known(value) and not self.sources(value, state)

    def number(self, value: gast.AST, state: State) -> bool:
        """Whether `value` is proven to be an immutable number (or bool, string, None)."""
        return self.numbers.proves(value, lambda name: state.sites.get(name) == _NUMBERS)

    def holds(self, value: gast.AST, state: State, record: bool = False, strict: bool = False) -> bool:
        """Whether `value` may be a list or tuple (or another object holding objects others share).

        A parameter is assumed to hold an array or a number; `record`: the answer decides what a value
        shares, so the parameters it relied on are checked when the function is called (`strict`: that
        they hold no list or tuple at all, not even of numbers; else a list or tuple of numbers is fine)."""
        def relied(params: Iterable[str], strict: bool) -> None:
            if record:
                for param in params:
                    self.assumed[param] = self.assumed.get(param, False) or strict
        return self._holds(value, state, relied, strict)

    def holding(self, value: gast.AST, state: State) -> tuple[bool, frozenset[str]]:
        """What a name bound to `value` holds: `holds(value)`, and the parameters that answer relied on."""
        params: set[str] = set()
        held = self._holds(value, state, lambda relied, _: params.update(relied), False)
        return held, frozenset(params)

    def _holds(self, value: gast.AST, state: State, relied: Callable[[Iterable[str], bool], None],
               strict: bool) -> bool:
        def name_holds(name: str, strict: bool) -> bool:
            if name in state.sites:
                relied([top[1] for top in map(root, state.sites[name])
                        if isinstance(top, tuple) and top[0] == "parameter"], strict)
                relied(state.relies.get(name, ()), strict)
                return name in state.held
            if self.namespace is None:
                return True
            value = self.namespace.lookup(name)  # a global or closure variable, as it is now
            return not isinstance(value, (np.ndarray, np.generic, int, float, complex, bool, types.ModuleType))
        return self.containers.may_hold(value, name_holds, lambda name: state.sites.get(name) == _NUMBERS, strict)

    def sources(self, value: gast.AST, state: State) -> Sites:
        """The allocation sites `value` may share memory with (empty: a new object); through an
        indexing, attribute or call, a view of them."""
        known = self.entry_sites(value, state)
        if known is not None:
            return known - _NUMBERS
        sites: set[object] = set()
        for name, exact in self.facts.flowing(value, lambda node: self.holds(node, state, record=True)):
            found = state.sites.get(name)
            if found is None:
                found = _NUMBERS if self.global_number(name) else frozenset({("global", name)})
            found = found - _NUMBERS  # a number shares no memory: not even a view of it is shared
            sites |= found if exact else {bounded(View(site, id(value))) for site in found}
        return frozenset(sites)

    def global_number(self, name: str) -> bool:
        """A global or closure variable holding an immutable number (the cache checks its type again
        before each call)."""
        value = self.namespace.lookup(name) if self.namespace is not None else None
        return type(value) in (int, float, bool, str) or isinstance(value, np.generic)
