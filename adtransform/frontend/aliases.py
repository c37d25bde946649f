"""Refuse in-place updates whose NumPy meaning differs from the one we differentiate.

The compiler reads `y += e` as `y = y + e`: a new value bound to `y`. NumPy writes into
y's buffer instead, so every other name sharing that buffer changes too. The two
meanings agree unless such a name is read after the update; when one may be, the
gradient would be silently wrong, so we refuse with a located error.

Names come to share a buffer through assignments (`t = x`, `t = x[0]`, `t = x.T`,
`t = x if c else y`, `t, u = x, y`), through loops over arrays (`for row in M`) and
through calls that may return their argument (`np.asarray(x)`, a user function). The
analysis is a may-point-to abstract interpretation over the structured syntax: each
name points to a set of allocation sites; an update makes every *other* name pointing
to one of its sites stale, and reading a stale name is refused. Rebinding a name
clears it. Loops iterate to a fixed point; branches join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from ..errors import UnsupportedSyntaxError
from ..syntax import build
from ..syntax.parse import to_source
from .source import SourceInfo

# Attributes and methods of an array that return a view of it.
_VIEW_ATTRIBUTES = frozenset({"T", "mT", "real", "imag", "flat"})
_VIEW_METHODS = frozenset({"reshape", "transpose", "ravel", "view", "swapaxes", "squeeze", "diagonal"})
# Array methods known to return a new object (anything else may return the receiver or an argument).
# (`astype` is not: `astype(t, copy=False)` may return the receiver.)
FRESH_METHODS = frozenset({"sum", "mean", "max", "min", "prod", "std", "var", "dot", "copy",
                            "cumsum", "cumprod", "round", "clip", "any", "all", "argmax", "argmin", "trace",
                            "item", "tolist", "conj", "conjugate", "flatten", "ptp"})
# NumPy functions that may return (a view of) their arguments; the rest of NumPy builds new arrays.
_NUMPY_VIEWS = frozenset({"asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "require", "reshape",
                          "ravel", "transpose", "permute_dims", "matrix_transpose", "squeeze", "expand_dims",
                          "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "broadcast_arrays",
                          "swapaxes", "moveaxis", "rollaxis", "diagonal", "real", "imag", "flip", "fliplr",
                          "flipud", "rot90", "split", "array_split", "hsplit", "vsplit", "dsplit", "unstack",
                          "asarray_chkfinite", "nan_to_num"})
_NUMPY_MODULES = frozenset({"np", "numpy"})
# Builtins that return a new (or immutable) object.
_FRESH_BUILTINS = frozenset({"float", "int", "bool", "abs", "len", "round", "range", "sum", "pow", "complex"})
_ITERATION_WRAPPERS = frozenset({"reversed", "list", "tuple", "iter"})


@dataclass
class _State:
    """May-point-to sets, and the names an in-place update has made stale (with that update)."""

    sites: dict[str, frozenset[object]] = field(default_factory=dict)
    stale: dict[str, gast.AST] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(dict(self.sites), dict(self.stale))

    def join(self, other: _State) -> _State:
        sites = dict(self.sites)
        for name, where in other.sites.items():
            sites[name] = sites.get(name, frozenset()) | where
        return _State(sites, {**other.stale, **self.stale})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _State) and self.sites == other.sites and self.stale.keys() == other.stale.keys()


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
    if common is None:
        return False
    below_a = chain_a[chain_a.index(common) - 1] if chain_a[0] != common else None
    below_b = chain_b[chain_b.index(common) - 1] if chain_b[0] != common else None
    if isinstance(below_a, _Part) and isinstance(below_b, _Part):
        return not _disjoint(below_a.index, below_b.index)
    return True


def refuse_aliased_updates(fn: gast.FunctionDef, info: SourceInfo) -> None:
    """Raise UnsupportedSyntaxError when a name is read after an in-place update changed it behind its back."""
    state = _State({arg.id: frozenset({("parameter", arg.id)}) for arg in fn.args.args + fn.args.kwonlyargs})
    _Interpreter(info).block(fn.body, state)


class _Interpreter:
    def __init__(self, info: SourceInfo) -> None:
        self.info = info
        self.loop_exits: list[list[_State]] = []

    def block(self, body: list[gast.stmt], state: _State) -> _State:
        for stmt in body:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt: gast.stmt, state: _State) -> _State:
        if isinstance(stmt, gast.If):
            self.read(stmt.test, state)
            return self.block(stmt.body, state.copy()).join(self.block(stmt.orelse, state.copy()))
        if isinstance(stmt, gast.For):
            return self.loop(stmt, state)
        if isinstance(stmt, gast.While):
            return self.loop(stmt, state)
        if isinstance(stmt, (gast.Break, gast.Continue)):
            self.loop_exits[-1].append(state.copy())
            return state
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
                self.update(stmt.target.id, stmt, state)
            return state
        for child in gast.iter_child_nodes(stmt):
            if isinstance(child, gast.expr):
                self.read(child, state)
        return state

    def loop(self, loop: gast.For | gast.While, entry: _State) -> _State:
        rest = f"<elements left by the loop on line {loop.lineno}>"
        if isinstance(loop, gast.For):
            self.read(loop.iter, entry)  # evaluated once; its rows are then handed out one by one
            # A hidden name for what the loop has yet to hand out: an update of the whole array
            # makes it stale, an update of the element just handed out does not.
            entry = entry.copy()
            entry.sites[rest] = frozenset(_bounded(_Part(site, ("rest", id(loop))))
                                          for iterated in _iterated(loop.iter)
                                          for site in self.sources(iterated, entry) or {id(iterated)})
        head = entry
        while True:
            self.loop_exits.append([])
            body = head.copy()
            if isinstance(loop, gast.For):
                if rest in body.stale:
                    update = body.stale[rest]
                    raise UnsupportedSyntaxError(
                        f"this update changes the array the loop on line {self.info.file_line(loop)} iterates "
                        f"over, whose later elements NumPy would then read; iterate over a copy "
                        f"(`for ... in {to_source(loop.iter)}.copy()`) or update a new array",
                        self.info.location(update), "in-place update of an iterated array")
                self.bind_iteration(loop.target, loop.iter, body, id(loop))
            else:
                self.read(loop.test, body)
            end = self.block(loop.body, body)
            exits = self.loop_exits.pop()
            new_head = head.join(end)
            for state in exits:
                new_head = new_head.join(state)
            if new_head == head:
                break
            head = new_head
        head.sites.pop(rest, None)
        head.stale.pop(rest, None)
        return self.block(loop.orelse, head.copy())

    def read(self, expr: gast.AST | None, state: _State) -> None:
        for node in gast.walk(expr) if expr is not None else ():
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                self.refuse_stale(node, state)

    def refuse_stale(self, node: gast.Name, state: _State) -> None:
        update = state.stale.get(node.id)
        if update is None:
            return
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
            changed = state.sites.get(base.id, frozenset())
            for other, where in state.sites.items():
                if other != base.id and any(_overlap(a, b) for a in where for b in changed):
                    state.stale[other] = stmt
            # The compiler writes into a copy unless nothing else reads the old value: `a` stays what it was.
            state.sites[base.id] = frozenset({id(stmt)})

    def update(self, name: str, update: gast.AST, state: _State) -> None:
        changed = state.sites.get(name, frozenset())
        for other, where in state.sites.items():
            if other != name and any(_overlap(a, b) for a in where for b in changed):
                state.stale[other] = update
        state.sites[name] = frozenset({id(update)})  # as the compiler reads it: a new value

    def bind(self, target: gast.AST, value: gast.expr, state: _State, site: gast.AST) -> None:
        if isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple, gast.List)) \
                and len(target.elts) == len(value.elts):
            # Python evaluates every value before it binds any target.
            values = [self.sources(elt, state) or frozenset({id(elt)}) for elt in value.elts]
            for elt_target, sites in zip(target.elts, values):
                self.assign(elt_target, sites, state)
            return
        sites = self.sources(value, state) or frozenset({id(site)})
        if isinstance(target, (gast.Tuple, gast.List)):
            # Unpacking hands out disjoint parts of the value: updating one leaves the others alone.
            for index, elt in enumerate(target.elts):
                self.assign(elt, frozenset(_bounded(_Part(where, index)) for where in sites), state)
            return
        self.assign(target, sites, state)

    def bind_iteration(self, target: gast.AST, iterable: gast.expr, state: _State, loop: int) -> None:
        """`for target in iterable`: each element may be a view of the iterated array or list."""
        if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name):
            kind, args = iterable.func.id, iterable.args
            if kind == "range":
                self.assign(target, frozenset({id(iterable)}), state)
                return
            if kind == "enumerate" and len(args) == 1 and isinstance(target, gast.Tuple) and len(target.elts) == 2:
                self.assign(target.elts[0], frozenset({id(iterable)}), state)
                self.bind_iteration(target.elts[1], args[0], state, loop)
                return
            if kind == "zip" and isinstance(target, gast.Tuple) and len(target.elts) == len(args):
                for elt, arg in zip(target.elts, args):
                    self.bind_iteration(elt, arg, state, loop)
                return
            if kind in _ITERATION_WRAPPERS and len(args) == 1:
                self.bind_iteration(target, args[0], state, loop)
                return
        sites = self.sources(iterable, state) or frozenset({id(iterable)})
        self.assign(target, frozenset(_bounded(_Part(where, ("element", loop))) for where in sites), state)

    def assign(self, target: gast.AST, sites: frozenset[object], state: _State) -> None:
        for node in gast.walk(target):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                state.sites[node.id] = sites
                state.stale.pop(node.id, None)

    def sources(self, value: gast.AST, state: _State) -> frozenset[object]:
        """The allocation sites `value` may share memory with (empty: a new object); through an
        indexing, attribute or call, a view of them."""
        sites: set[object] = set()
        for name, exact in _flowing(value):
            found = state.sites.get(name, frozenset({("global", name)}))
            sites |= found if exact else {_bounded(_View(site, id(value))) for site in found}
        return frozenset(sites)


def _iterated(iterable: gast.expr) -> list[gast.expr]:
    """The arrays or lists a `for` loop hands out elements of (none for `range`)."""
    if isinstance(iterable, gast.Call) and isinstance(iterable.func, gast.Name):
        kind = iterable.func.id
        if kind == "range":
            return []
        if kind in ("enumerate", "zip", *_ITERATION_WRAPPERS):
            return [part for arg in iterable.args for part in _iterated(arg)]
    return [iterable]


def _flowing(value: gast.AST) -> list[tuple[str, bool]]:
    """Names whose memory the value of `value` may share, and whether it is the name's whole object."""
    exact = _bare(value)
    return [(name, exact) for name in _flowing_names(value)]


def _bare(value: gast.AST) -> bool:
    if isinstance(value, gast.Name):
        return True
    if isinstance(value, gast.IfExp):
        return _bare(value.body) and _bare(value.orelse)
    if isinstance(value, gast.BoolOp):
        return all(_bare(v) for v in value.values)
    return False


def _flowing_names(value: gast.AST) -> list[str]:
    """Names whose memory the value of `value` may share."""
    if isinstance(value, gast.Name):
        return [value.id]
    if isinstance(value, gast.Subscript):
        return _flowing_names(value.value)
    if isinstance(value, gast.Attribute):
        return _flowing_names(value.value) if value.attr in _VIEW_ATTRIBUTES else []
    if isinstance(value, gast.IfExp):
        return _flowing_names(value.body) + _flowing_names(value.orelse)
    if isinstance(value, gast.BoolOp):
        return [name for operand in value.values for name in _flowing_names(operand)]
    if isinstance(value, (gast.Tuple, gast.List)):
        return [name for elt in value.elts for name in _flowing_names(elt)]
    if isinstance(value, gast.Call):
        return _call_flowing_names(value)
    return []  # arithmetic, comparisons and constants build new objects


def _call_flowing_names(call: gast.Call) -> list[str]:
    func = call.func
    arguments = [name for arg in call.args + [kw.value for kw in call.keywords] for name in _flowing_names(arg)]
    if isinstance(func, gast.Attribute):
        if isinstance(func.value, gast.Name) and func.value.id in _NUMPY_MODULES:
            return arguments if func.attr in _NUMPY_VIEWS else []
        if func.attr in _VIEW_METHODS:
            return _flowing_names(func.value)
        if func.attr in FRESH_METHODS:
            return []
        return _flowing_names(func.value) + arguments
    if isinstance(func, gast.Name) and func.id in _FRESH_BUILTINS:
        return []
    return arguments  # a user function (or `max(a, b)`) may return one of its arguments
