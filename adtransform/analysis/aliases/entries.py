"""In-place updates through a container's entry (`L[k] += e`, `d["a"] *= 2.0`): NumPy changes the array
held at that entry, which every holder of it sees (another entry: `L = [y, y]`, `[y] * 3`; a name `y`;
a global), while the compiler rebinds the entry to a new value. Part of the interpreter (a mixin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gast

from ...frontend.calls import may_not_copy
from ...rules.registry import RUNTIME, Returns
from ...rules.tuples import tuple_result
from .lattice import NUMBER, REST, Older, Part, Sites, State, roots, sites_overlap

if TYPE_CHECKING:
    from .interpreter import Interpreter


class EntryUpdates:
    """The interpreter's handling of updates of entries and of parameters' memory."""

    def update_entry(self: Interpreter, target: gast.Subscript, stmt: gast.AugAssign, state: State) -> None:
        """`L[k] += e` with `L` a list, tuple or dict (or maybe one): NumPy changes the array held at that
        entry in place, which every other holder sees (`L = [y, y]`, a name `y`); the compiler rebinds
        the entry to a new value. Every other name that may share the entries' memory is stale, and so
        is `L` itself unless its entries are each a different object made where it was built."""
        self.refuse.entries.add(id(stmt))
        self.read(target.slice, state)
        base = target.value
        self.refuse_stale(base, state)
        held, key = state.entries.get(base.id), entry_key(target.slice)
        if held is not None and key in held:  # a display's entry: that memory only
            self.update_held(base.id, held, key, stmt, state)
            return
        entries = state.sites.get(base.id, frozenset())
        if base.id not in state.sites:  # a global container: its entries are the global's memory
            entries = frozenset({("global", base.id)})
        self.refuse.global_update(base.id, entries, stmt)
        self.changing(entries, stmt)
        for other in state.sharing(entries) - {base.id}:
            state.mark_stale(other, stmt, entries)
            self.blame(stmt, roots(entries) & roots(state.sites[other]))
        if not all(self.made_distinct(site) for site in entries):
            state.mark_stale(base.id, stmt, entries)  # (read again as `L[k]`, `L`: another entry may be the same array)
            self.blame(stmt, roots(entries))

    def changing(self: Interpreter, changed: Sites, update: gast.AST) -> None:
        """`update` changes the memory at `changed` in place: the parameters it may be are checked at
        call time to hold no memory another argument holds (`f(a, a)`)."""
        for top in roots(changed):
            if isinstance(top, tuple) and top[0] == "parameter":
                self.changed_params.setdefault(top[1], update)

    def made_distinct(self: Interpreter, site: object) -> bool:
        """Whether the objects at `site` are entries each made anew where the container was built (a
        parameter's entries count: the caller checks at call time that they share no memory)."""
        while isinstance(site, Older):
            site = site.site
        if isinstance(site, tuple) and site[0] == "parameter":
            return True  # (`changing` recorded it)
        return isinstance(site, int) and site in self.distinct

    def distinct_entries(self: Interpreter, value: gast.expr, state: State) -> bool:
        """Whether `value` builds a container whose entries are each a new object or a number."""
        def new(elt: gast.expr | None) -> bool:
            return elt is not None and not isinstance(elt, gast.Starred) \
                and (self.number(elt, state) or not self.sources(elt, state))
        if isinstance(value, (gast.List, gast.Tuple)):
            return all(new(elt) for elt in value.elts)
        if isinstance(value, gast.Dict):
            return all(key is not None for key in value.keys) and all(new(v) for v in value.values)
        if isinstance(value, (gast.ListComp, gast.DictComp)):
            return not self.sources(value, state) and (isinstance(value, gast.ListComp) or new(value.value))
        if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult):  # `[0.0] * n`: numbers only
            return any(isinstance(side, (gast.List, gast.Tuple)) and side.elts
                       and all(self.number(elt, state) for elt in side.elts) for side in (value.left, value.right))
        return False

    def update_held(self: Interpreter, base: str, held: dict[object, Sites], key: object, stmt: gast.AST,
                    state: State) -> None:
        """`L[k] += e` where `L` is a display whose entry `k` holds the memory at `held[k]`: the names sharing
        it are stale, and `L` itself when another of its entries may hold the same memory."""
        changed = held[key]
        self.refuse.global_update(base, changed, stmt)
        self.changing(changed, stmt)
        for other in state.sharing(changed) - {base}:
            state.mark_stale(other, stmt, changed)
            self.blame(stmt, roots(changed) & roots(state.sites[other]))
        if any(sites_overlap(changed, where) for k, where in held.items() if k != key):
            state.mark_stale(base, stmt, changed)
            self.blame(stmt, roots(changed))

    def store_entry(self: Interpreter, target: gast.Subscript, stmt: gast.Assign, held: dict[object, Sites],
                    state: State) -> None:
        """`L[k] = v` into a list, tuple or dict made here (a display, `dict(p)`): the container changes, not
        the arrays it holds, so only the names that may be that container see the change. The entry then
        holds what `v` is (a new object: a part of what this statement made)."""
        base = target.value.id
        self.refuse_stale(target.value, state)
        changed = state.sites.get(base, frozenset())
        for other in self.list_sharers(base, changed, state):
            if not state.paired(other, base):
                state.mark_stale(other, stmt, None)
        key = entry_key(target.slice)
        value = stmt.value
        if self.number(value, state):
            entry: Sites = frozenset({NUMBER})
        else:
            entry = self.sources(value, state) or frozenset({Part(id(stmt), key)})
        state.point(base, changed | (entry - {NUMBER}))
        state.entries[base] = {**held, key: entry} if key is not None else {REST: state.sites[base]}

    def untouched_entry(self: Interpreter, node: gast.AST, state: State) -> bool:
        """`P["b"]` of a stale `P` where the updates that made it stale changed other entries only."""
        if not (isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(node.value, gast.Name)
                and node.value.id in state.stale):
            return False
        changed = state.changed.get(node.value.id)
        part = self.entry_sites(node, state)
        return changed is not None and part is not None and not sites_overlap(part, changed)

    def display_entries(self: Interpreter, value: gast.expr, site: gast.AST,
                        state: State) -> tuple[dict[object, Sites], bool] | None:
        """The sites each entry of the display `value` (evaluated at `site`) holds, by index or key, and
        whether one of them is a new object (a part of what `site` builds); None when not a display of
        constant positions or keys."""
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and not value.keywords \
                and len(value.args) <= 1 and any(self.numbers.builtin(value.func, k) for k in (dict, list, tuple)):
            # `dict(p)`: a new container, its entries not known one by one (any may be what `p` holds)
            return {REST: self.sources(value, state)}, False
        items = self.tuple_items(value)
        if items is not None:  # `t = np.linalg.eigh(a)`: a new tuple of new arrays, each apart from the others
            held = {}
            for index, field in enumerate(items):
                held[index] = held[("field", field)] = frozenset({Part(id(site), index)})
            return held, True
        if isinstance(value, (gast.List, gast.Tuple)) and not any(isinstance(e, gast.Starred) for e in value.elts):
            pairs = list(enumerate(value.elts))
        elif isinstance(value, gast.Dict) and all(entry_key(k) is not None for k in value.keys):
            pairs = [(entry_key(k), v) for k, v in zip(value.keys, value.values)]
        else:
            return None
        held: dict[object, Sites] = {}
        new = False
        for key, elt in pairs:
            if self.number(elt, state):
                held[key] = frozenset({NUMBER})
                continue
            shared = self.sources(elt, state)
            held[key] = shared or frozenset({Part(id(site), key)})
            new = new or not shared
        return held, new

    def tuple_items(self: Interpreter, value: gast.expr) -> tuple[str, ...] | None:
        """The fields of the tuple a call of a primitive declared to return new items (Returns.NEW_ITEMS) and
        a tuple of known length (rules/tuples.py) returns (positions as names when unnamed); None for any
        other value, and for a call whose arguments may make it return an array (`compute_uv=c`)."""
        if not isinstance(value, gast.Call) or self.facts.receiver(value) is not None \
                or self.facts.facts(value).returns is not Returns.NEW_ITEMS or may_not_copy(value):
            return None
        args = [a for a in value.args if not isinstance(a, gast.Starred)]
        if len(args) != len(value.args) or any(k.arg is None for k in value.keywords):
            return None
        found = tuple_result(self.facts.resolve(value.func), args, {k.arg: k.value for k in value.keywords},
                             lambda node: node.value if isinstance(node, gast.Constant) else RUNTIME)
        if found is None or not found.fields:
            return None
        if found.unless is not None:  # (a value only known at run time counts as giving a tuple: not here)
            name, position, _ = found.unless
            given = next((k.value for k in value.keywords if k.arg == name),
                         args[position] if position < len(args) else None)
            if given is not None and not isinstance(given, gast.Constant):
                return None
        return found.fields

    def entry_sites(self: Interpreter, value: gast.expr, state: State) -> Sites | None:
        """The memory `L[k]`, `P["a"]` reads, when known more precisely than a view of all of `L`: a display's
        entry, or one entry of a parameter (the entries of a parameter updated in place are checked apart
        at call time: `ensure_apart`)."""
        if isinstance(value, gast.Attribute) and isinstance(value.value, gast.Name):  # `t.eigenvalues`
            return state.entries.get(value.value.id, {}).get(("field", value.attr))
        if not (isinstance(value, gast.Subscript) and isinstance(value.value, (gast.Name, gast.Subscript))):
            return None
        key = entry_key(value.slice)
        if key is None:
            return None
        held = state.entries.get(value.value.id) if isinstance(value.value, gast.Name) else None
        if held is not None:
            return held.get(key)
        part = _parameter_part(value, state)
        return frozenset({part}) if part is not None else None


def _parameter_part(node: gast.expr, state: State) -> object | None:
    """`P["a"]`, `P[0][1]`: the part of parameter `P` read by constant keys and indices (not negative ones:
    `P[-1]` may be `P[1]`), each a part apart from the others; None for anything else."""
    if isinstance(node, gast.Name):
        sites = state.sites.get(node.id)
        site = next(iter(sites)) if sites is not None and len(sites) == 1 else None
        return site if isinstance(site, tuple) and site[0] == "parameter" else None
    if not isinstance(node, gast.Subscript):
        return None
    key = entry_key(node.slice)
    if key is None or (isinstance(key, int) and key < 0):
        return None
    inner = _parameter_part(node.value, state)
    return Part(inner, key) if inner is not None else None


def entry_key(node: gast.expr | None) -> object | None:
    """A constant index or key as the analysis names it: an int (a position), `("key", s)` for a string."""
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, gast.Constant) and type(node.value) is str:
        return ("key", node.value)
    return None
