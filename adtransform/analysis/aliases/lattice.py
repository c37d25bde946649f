"""The abstract values of the alias analysis: allocation sites and the state at one program point.

A name points to a set of allocation sites: an int (the id of the expression that built the object
last time it ran), `Older(site)` (the objects that expression built before), a parameter or global
(`("parameter", "x")`, `("global", "W")`), a part or view of another site, or NUMBER (an immutable
number, which overlaps nothing). The state also records which names are stale (an update changed
their memory behind their back), the pairs of names known apart, and which names may hold lists.

The state keeps an index from each root site to the names pointing into it, so that an allocation
or an update touches only the names it concerns, not every name bound so far: the analysis of a
long function stays linear in its length.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import gast


class _Number:
    """The site of every immutable number: it overlaps nothing, itself included."""

    def __repr__(self) -> str:
        return "<number>"


NUMBER = _Number()


@dataclass(frozen=True)
class Older:
    """The objects built at allocation site `site` before the latest one (which `site` stands for)."""

    site: object


@dataclass(frozen=True)
class Part:
    """A part of what `whole` points to: an element unpacked (`index` its position), the element a
    loop hands out (`("element", loop)`), or the elements that loop has yet to hand out (`("rest", loop)`)."""

    whole: object
    index: object


@dataclass(frozen=True)
class View:
    """Memory reached from `whole` through an indexing, attribute or call expression: it may be any
    part of `whole`, in any order (`M[::-1]`, `M.T`), so positions inside it say nothing about `whole`'s."""

    whole: object
    expression: int


Sites = frozenset[object]
# The key under which an entries map keeps what the entries not known one by one may hold (`dict(p)`).
REST = ("rest",)
_MAX_DEPTH = 4


def enclosing(site: object) -> list[object]:
    """`site`, the site it is a part or view of, and so on up to its root."""
    chain = [site]
    while isinstance(chain[-1], (Part, View)):
        chain.append(chain[-1].whole)
    return chain


@functools.lru_cache(maxsize=1 << 16)
def root(site: object) -> object:
    return enclosing(site)[-1]


def roots(sites: Iterable[object]) -> set[object]:
    """The roots of `sites` that may overlap anything (NUMBER overlaps nothing)."""
    found = {root(site) for site in sites}
    found.discard(NUMBER)
    return found


def sites_overlap(a: Iterable[object], b: Iterable[object]) -> bool:
    a, b = tuple(a), tuple(b)
    if not {root(x) for x in a} & {root(y) for y in b} - {NUMBER}:
        return False  # overlapping sites share a root
    return any(overlap(x, y) for x in a for y in b)


def overlap(a: object, b: object) -> bool:
    """Whether memory at site `a` and at site `b` may overlap: they come from a common site and do not
    split off it as two disjoint parts."""
    chain_a, chain_b = enclosing(a), enclosing(b)
    common = next((site for site in chain_a if site in chain_b), None)
    if common is None or common is NUMBER:
        return False
    below_a = chain_a[chain_a.index(common) - 1] if chain_a[0] != common else None
    below_b = chain_b[chain_b.index(common) - 1] if chain_b[0] != common else None
    if isinstance(below_a, Part) and isinstance(below_b, Part):
        return not _disjoint(below_a.index, below_b.index)
    return True


def _disjoint(a: object, b: object) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a != b
    if isinstance(a, tuple) and isinstance(b, tuple):
        if a[0] == b[0] == "key":  # two keys of a dict (a parameter's: checked apart at call time)
            return a[1] != b[1]
        return {a[0], b[0]} == {"element", "rest"} and a[1] == b[1]  # this loop's element and its rest
    return False


def aged(site: object, latest: object) -> object:
    """`site` once `latest` has built a new object: what it pointed to is one of the older ones."""
    if site == latest:
        return Older(latest)
    if isinstance(site, Part):
        return Part(aged(site.whole, latest), site.index)
    if isinstance(site, View):
        return View(aged(site.whole, latest), site.expression)
    return site


def bounded(site: object) -> object:
    """Widening: a view of a view of ... (`t = t[1:]` in a loop) collapses to the site it comes from,
    which overlaps everything the chain could, so loops reach a fixed point."""
    chain = enclosing(site)
    return chain[-1] if len(chain) > _MAX_DEPTH else site


class State:
    """May-point-to sets, the names an in-place update has made stale (with that update), and pairs
    of names known to hold memory apart on every path (`a, b = b, a` swaps two arrays: each may
    point to both, yet they never share).

    `updated`: the names updated in place (only pairs with one matter to a join); `held`: names that
    may hold a list or tuple (whose elements others share); `relies`: the parameters taken not to hold
    lists or tuples when a name was found not to hold one (`c = P.copy()`: a list if P is one);
    `entries`: for a name bound to a display (`L = [y, x * 3.0]`, `d = {"a": y}`), the sites each constant
    index or key holds, as long as nothing else rebinds, changes or reorders it (then `L[1] += 1.0`
    changes the memory at entry 1 only, and `a, b = L` binds each name to its entry's)."""

    __slots__ = ("_by_root", "_owned", "_owned_partners", "changed", "entries", "held", "partners", "relies", "sites",
                 "stale", "updated")

    def __init__(self, sites: dict[str, Sites] | None = None, updated: frozenset[str] = frozenset()) -> None:
        self.sites: dict[str, Sites] = {}
        self.stale: dict[str, gast.AST] = {}
        # Per stale name, the memory the updates that made it stale changed (None: any of it), so that
        # `P["b"]` is read where only `P["a"]` changed (`stale_read`).
        self.changed: dict[str, Sites | None] = {}
        self.partners: dict[str, set[str]] = {}  # the apart pairs, by name (both ways)
        self.updated = updated
        self.held: frozenset[str] = frozenset()
        self.relies: dict[str, frozenset[str]] = {}
        self.entries: dict[str, dict[object, Sites]] = {}  # (each map replaced, never changed in place)
        self._by_root: dict[object, set[str]] = {}  # root site -> the names with a site under it
        self._owned: set[object] = set()  # the roots whose set of names no copy shares (copied on write)
        self._owned_partners: set[str] = set()  # the same for the sets of partners
        for name, where in (sites or {}).items():
            self.point(name, where)

    def copy(self) -> State:
        out = State.__new__(State)
        out.sites, out.stale, out.partners = dict(self.sites), dict(self.stale), dict(self.partners)
        out.updated, out.held, out.relies = self.updated, self.held, dict(self.relies)
        out.entries, out.changed = dict(self.entries), dict(self.changed)
        # Both share the index's sets from now on: each copies a set before it first changes it, so a
        # branch or a loop round costs what it changes, not the number of names bound so far.
        out._by_root, out._owned, self._owned = dict(self._by_root), set(), set()
        out._owned_partners, self._owned_partners = set(), set()
        return out

    # -- points-to sets, through the index --------------------------------------------------------

    def point(self, name: str, where: Sites) -> None:
        """`name` now points to `where` (what else is known about it is the caller's to keep or forget)."""
        old = self.sites.get(name)
        self.sites[name] = where
        self.entries.pop(name, None)  # (a display's entries: set again by the binding that made them)
        before, after = roots(old) if old else set(), roots(where)
        for site in before - after:
            names = self._names(site)
            names.discard(name)
            if not names:
                del self._by_root[site]
                self._owned.discard(site)
        for site in after - before:
            self._names(site).add(name)

    def _names(self, site: object) -> set[str]:
        """The names under root `site`, as a set this state may change."""
        names = self._by_root.get(site)
        if names is None or site not in self._owned:
            names = self._by_root[site] = set(names or ())
            self._owned.add(site)
        return names

    def drop(self, name: str) -> None:
        if name in self.sites:
            self.point(name, frozenset())
            del self.sites[name]

    def sharing(self, where: Iterable[object]) -> set[str]:
        """The names that may share memory with `where`: only those under one of its roots are tried."""
        candidates: set[str] = set()
        for site in roots(where):
            candidates |= self._by_root.get(site, set())
        where = tuple(where)
        return {name for name in candidates if sites_overlap(self.sites[name], where)}

    def allocate(self, site: object) -> None:
        """`site` builds a new object: the one it built last becomes one of the older ones."""
        for name, changed in self.changed.items():  # (few: the stale names)
            if changed is not None and site in roots(changed):
                self.changed[name] = frozenset(aged(s, site) for s in changed)
        names = self._by_root.pop(site, None)
        self._owned.discard(site)
        if not names:
            return
        for name in names:
            self.sites[name] = frozenset(aged(s, site) for s in self.sites[name])
            if name in self.entries:  # (a display's entries point under the roots its name points under)
                self.entries[name] = {key: frozenset(aged(s, site) for s in where)
                                      for key, where in self.entries[name].items()}
        self._names(Older(site)).update(names)

    # -- apart pairs --------------------------------------------------------------------------------

    @property
    def apart(self) -> frozenset[frozenset[str]]:
        return frozenset(frozenset({a, b}) for a, others in self.partners.items() for b in others)

    def paired(self, a: str, b: str) -> bool:
        return b in self.partners.get(a, ())

    def known_apart(self, a: str, b: str) -> bool:
        return self.paired(a, b) or not sites_overlap(self.sites.get(a, ()), self.sites.get(b, ()))

    def add_apart(self, pairs: Iterable[tuple[str, str]]) -> None:
        for a, b in pairs:
            self._partners(a).add(b)
            self._partners(b).add(a)

    def forget(self, name: str) -> None:
        """`name` is bound again: what was known about its old value no longer holds."""
        self._owned_partners.discard(name)
        for other in self.partners.pop(name, ()):
            rest = self._partners(other)
            rest.discard(name)
            if not rest:
                del self.partners[other]
                self._owned_partners.discard(other)

    def _partners(self, name: str) -> set[str]:
        """The names known apart from `name`, as a set this state may change."""
        others = self.partners.get(name)
        if others is None or name not in self._owned_partners:
            others = self.partners[name] = set(others or ())
            self._owned_partners.add(name)
        return others

    # -- the lattice --------------------------------------------------------------------------------

    def join(self, other: State) -> State:
        out = self.copy()
        theirs = other.sites.items() - self.sites.items()  # (set operations: each name is not visited)
        for name, where in theirs:
            mine = out.sites.get(name)
            out.point(name, where if mine is None else mine | where)
        changed = {name for name, _ in theirs} | {name for name, _ in self.sites.items() - other.sites.items()}
        out.partners, out._owned_partners = {}, set()
        out.add_apart(self._apart_after_join(other, out, changed))
        out.stale = {**other.stale, **self.stale}
        out.changed = {name: None if a is None or b is None else a | b for name in out.stale
                       for a, b in [(self.changed.get(name, frozenset()), other.changed.get(name, frozenset()))]}
        out.entries = _joined_entries(self.entries, other.entries)
        out.held = self.held | other.held
        out.relies = {**other.relies, **self.relies}
        for name, mine in self.relies.items() - other.relies.items():  # (set operations again)
            out.relies[name] = mine | other.relies.get(name, frozenset())
        return out

    def _apart_after_join(self, other: State, joined: State, changed: set[str]) -> set[tuple[str, str]]:
        """The pairs apart in `joined`, the join of this state and `other`: apart on both paths (a name
        unbound on a path is apart from all there). Only pairs whose joined sites overlap need saying so,
        and only those with an updated name. A name bound to the same sites on both paths keeps the pairs
        both paths keep, so only the names `changed` by either path are looked up in the index."""
        updated, sites, candidates = self.updated, joined.sites, set()
        for a in changed:
            for site in roots(sites[a]):
                candidates.update((min(a, b), max(a, b)) for b in joined._by_root[site] if b != a
                                  and (a in updated or b in updated))
        for a, others in self.partners.items():
            if a not in changed:
                candidates.update((a, b) for b in others if a < b and b not in changed
                                  and (a in updated or b in updated) and other.paired(a, b))
        return {(a, b) for a, b in candidates
                if all(not (a in state.sites and b in state.sites) or state.known_apart(a, b)
                       for state in (self, other))
                and sites_overlap(sites[a], sites[b])}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, State) and self.sites == other.sites \
            and self.stale.keys() == other.stale.keys() and self.partners == other.partners \
            and self.held == other.held and self.relies == other.relies and self.entries == other.entries \
            and self.changed == other.changed

    __hash__ = None  # type: ignore[assignment]

    def key(self) -> tuple[object, ...]:
        """Everything the analysis of what follows depends on, hashable (the stale updates included:
        they name the update an error points at)."""
        return (frozenset(self.sites.items()), frozenset(self.stale.items()),
                frozenset((name, frozenset(others)) for name, others in self.partners.items()), self.held,
                frozenset(self.relies.items()),
                frozenset((name, frozenset(where.items())) for name, where in self.entries.items()),
                frozenset(self.changed.items()))

    def mark_stale(self, name: str, update: gast.AST, changed: Sites | None) -> None:
        """`update` changed memory `name` shares (`changed`: that memory, None: maybe any of name's)."""
        self.stale[name] = update
        before = self.changed.get(name, frozenset())
        self.changed[name] = None if before is None or changed is None else before | changed

    def unstale(self, name: str) -> None:
        self.stale.pop(name, None)
        self.changed.pop(name, None)


def _joined_entries(a: dict[str, dict[object, Sites]],
                    b: dict[str, dict[object, Sites]]) -> dict[str, dict[object, Sites]]:
    """The entries after a join, for the names holding a container made here on both paths: with the same
    constant indices or keys on both, each entry holds what it holds on either path (an entry rebound in a
    loop, `D["h"] = D["h"] * x[i]`, stays apart from the other entries and from what they hold); else none
    is known one by one (`REST` holds what any may hold), but the name still holds a container made here,
    whose entry writes change no array."""
    out: dict[str, dict[object, Sites]] = {}
    for name, mine in a.items():
        theirs = b.get(name)
        if theirs is None:
            continue
        if mine == theirs:
            out[name] = mine
        elif mine.keys() == theirs.keys():
            out[name] = {key: where | theirs[key] for key, where in mine.items()}
        else:
            out[name] = {REST: frozenset().union(*mine.values(), *theirs.values())}
    return out


def join(a: State | None, b: State | None) -> State | None:
    """The join of two states, None standing for no path."""
    if a is None or b is None:
        return b if a is None else a
    return a.join(b)


def without(state: State, name: str) -> State:
    out = state.copy()
    out.drop(name)
    out.unstale(name)
    out.forget(name)
    return out
