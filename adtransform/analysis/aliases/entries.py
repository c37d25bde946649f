"""In-place updates through a container's entry (`L[k] += e`, `d["a"] *= 2.0`): NumPy changes the array
held at that entry, which every holder of it sees (another entry: `L = [y, y]`, `[y] * 3`; a name `y`;
a global), while the compiler rebinds the entry to a new value. Part of the interpreter (a mixin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gast

from .lattice import Older, Sites, State, roots

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
        entries = state.sites.get(base.id, frozenset())
        if base.id not in state.sites:  # a global container: its entries are the global's memory
            entries = frozenset({("global", base.id)})
        self.refuse.global_update(base.id, entries, stmt)
        self.changing(entries, stmt)
        for other in state.sharing(entries) - {base.id}:
            state.stale[other] = stmt
            self.blame(stmt, roots(entries) & roots(state.sites[other]))
        if not all(self.made_distinct(site) for site in entries):
            state.stale[base.id] = stmt  # (read again as `L[k]`, `L`: another entry may be the same array)
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
