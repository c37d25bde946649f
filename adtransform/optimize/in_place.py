"""Write `y[i] = v` into y's own buffer when nothing can tell the difference.

The IR's `index_update(y, i, v)` is functional: a new version of `y`, which is what
reverse mode differentiates. Copying on every write would make a loop that fills an
array quadratic, so a write becomes in place (`y[i] = v`, and the new version is `y`)
when the old version is provably dead:

* it owns its buffer: made in this function by an operation that allocates (never a
  parameter, a global or a view of one), or a loop-carried array whose entering value
  owns its buffer (otherwise that value is copied once, before the loop);
* every other read of it is over before the write: an operation earlier in the same
  block whose result is new (`np.sin(y)`, `y[k] * 2`), or a view consumed the same
  way; a read of its shape only may come anywhere. Anything that may keep a reference
  (a stack push, a tuple, a branch or loop yielding it, a return) keeps the copy.

The same reasoning drops the copies `writable_copy(c)` that canonicalize/effects.py puts before
a call changing `c` in place (`c.sort()`, `L.append(v)`, `np.add.at(c, i, v)`): the IR's copy is
functional too, and where the old version is dead by the rules above the call works on it instead
(the copy's result becomes the old version itself). A call that changes the value it receives
keeps no reference to it (its facts are known; what it returns is new, a number, or an item of a
list). A deep copy (for an unknown call, which may change the arrays a list holds) goes only where
the value holds no object anything else may hold (an array the function made, not a list of arrays).

Runs once, last: every other pass reasons about values, this one about buffers.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from .. import runtime
from ..analysis.effects import changed_operands, facts_of, is_value_method
from ..ir.nodes import (
    Callee,
    Carried,
    Const,
    Function,
    If,
    Index,
    Loop,
    Op,
    SliceItem,
    Stmt,
    Style,
    Sweep,
    Var,
    flatten,
    substitute,
    walk,
)
from ..ir.operators import COMPARISONS, INDEX_UPDATE
from ..rules.registry import Returns
from .purity import is_fresh, is_pure, shape_only

STORE = Callee(runtime.index_update, Style.STORE, symbol="[]=")
_COPY = Callee(np.ndarray.copy, Style.METHOD, symbol="copy")

_LOGICAL = COMPARISONS | {operator.and_, operator.or_, operator.xor, operator.invert}


@dataclass
class _Use:
    stmt: Stmt | None        # the statement of `block` that reads the value (None: the function's returns)
    block: list[Stmt] | None
    op: Op | None             # the operation reading it, when it is an operation (not a region's bookkeeping)
    position: int             # argument position in `op`


class _Uses:
    """Every read of every value, with the block statement it happens in."""

    def __init__(self, fn: Function) -> None:
        self.of: dict[Var, list[_Use]] = {}
        self.defined_by: dict[Var, tuple[Op, list[Stmt]]] = {}
        self.carried_by: dict[Var, tuple[Carried, Loop, list[Stmt]]] = {}
        self.merged_by: dict[Var, tuple[If, int]] = {}           # an `if`'s result -> (region, position)
        self.parent: dict[int, tuple[If | Loop, list[Stmt]]] = {}  # id(inner block) -> (region, outer block)
        self.loop_results: dict[Var, Carried] = {}               # a loop's result -> its carried value
        self.region_results: dict[Var, list[Stmt]] = {}          # a region's result -> the block holding it
        self._block(fn.body)
        for value in fn.returns:
            if isinstance(value, Var):
                self.of.setdefault(value, []).append(_Use(None, None, None, -1))

    def _add(self, var: object, use: _Use) -> None:
        if isinstance(var, Var):
            self.of.setdefault(var, []).append(use)

    def _block(self, block: list[Stmt]) -> None:
        for stmt in block:
            if isinstance(stmt, Op):
                if stmt.result is not None:
                    self.defined_by[stmt.result] = (stmt, block)
                for position, arg in enumerate([*stmt.args, *stmt.kwargs.values()]):
                    for var in _vars(arg):
                        self._add(var, _Use(stmt, block, stmt, position))
                continue
            # A region: its own reads (condition, yields, carried values) may keep a reference.
            for var in _region_reads(stmt):
                self._add(var, _Use(stmt, block, None, -1))
            if isinstance(stmt, If):
                for position, result in enumerate(stmt.results):
                    self.merged_by[result] = (stmt, position)
                    self.region_results[result] = block
                inner = [stmt.then_body, stmt.else_body]
            else:
                for c in stmt.carried:
                    self.carried_by[c.param] = (c, stmt, block)
                    self.loop_results[c.result] = c
                    self.region_results[c.result] = block
                inner = [stmt.cond_body, stmt.body]
            for body in inner:
                self.parent[id(body)] = (stmt, block)
                self._block(body)


def _vars(operand: object) -> list[Var]:
    return [v for v in flatten(operand) if isinstance(v, Var)]


def _region_operands(stmt: If | Loop) -> list[object]:
    """What a region reads itself: a condition, yields, a loop's bounds and carried values."""
    if isinstance(stmt, If):
        return [stmt.cond, *stmt.then_values, *stmt.else_values]
    return [*stmt.iter_args, stmt.cond, *(o for c in stmt.carried for o in (c.init, c.next))]


def _region_reads(stmt: If | Loop) -> list[Var]:
    return [v for o in _region_operands(stmt) for v in _vars(o)]


def _shape_only(use: _Use) -> bool:
    return use.op is not None and shape_only(use.op, use.position)


def _is_fresh(op: Op) -> bool:
    """Whether the operation's result is a new object (never its argument or a view of it)."""
    return is_fresh(op)


def _fits_zero_d(index: object, masks: set[Var]) -> bool:
    """Whether `a[index]` may be a write into a 0-d value: an index of only `...`, `None` and
    booleans, or a comparison's result (a mask, maybe 0-d). Any integer or slice needs an axis, so
    `a` is an array there; a value known "fresh" may otherwise be a NumPy scalar (`y + y` of 0-d `y`)."""
    if isinstance(index, Var):
        return index in masks
    items = index.items if isinstance(index, Index) else index.value if isinstance(index, Const) \
        and isinstance(index.value, tuple) else (index.value,) if isinstance(index, Const) else (index,)
    for item in items:
        if isinstance(item, Const):
            item = item.value
        if isinstance(item, (SliceItem, slice)) or (isinstance(item, Var) and item not in masks) \
                or (isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))):
            return False
    return True


def _position(block: list[Stmt], stmt: Stmt) -> int:
    return next(i for i, s in enumerate(block) if s is stmt)


def _is_write(op: Op) -> bool:
    """A functional `index_update` (the IR's `y[i] = v`) or one already made in place."""
    return op.callee.key is INDEX_UPDATE.key and op.callee.style in (Style.FUNCTION, Style.STORE)


def _is_copy(op: Op) -> bool:
    """`writable_copy(c)` before a call changing `c` (deep or not)."""
    return op.callee.style is Style.FUNCTION and op.callee.key is runtime.writable_copy


def _changes_and_lets_go(use: _Use) -> bool:
    """`use` is a call changing the value it reads there in place that keeps no reference to it and
    returns nothing sharing it: a known call whose result is unused, new or a number, or a list
    method (`L.pop()` returns an item, never the list)."""
    op = use.op
    if op is None or use.position >= len(op.args) or op.args[use.position] not in changed_operands(op):
        return False
    facts = facts_of(op)
    if not facts.known:
        return False
    return op.result is None or facts.returns in (Returns.NEW, Returns.NUMBER) or is_value_method(op)


def _keeps_no_reference(op: Op) -> bool:
    """Operations that read their arguments and return; a view-like result is then checked in turn.

    Calls qualify only when known (a rule, a runtime helper): `lst.append(y)` keeps `y`.
    """
    if op.callee.style in (Style.OPERATOR, Style.SUBSCRIPT, Style.ATTRIBUTE, Style.COPY):
        return True
    if op.callee.style in (Style.FUNCTION, Style.METHOD):
        return op.sweep is Sweep.CHECK or is_pure(op)
    return False


class _InPlace:
    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.uses = _Uses(fn)
        self.masks = {s.result for s in walk(fn.body) if isinstance(s, Op) and s.callee.style is Style.OPERATOR
                      and s.callee.key in _LOGICAL}

    def run(self) -> bool:
        changed = False
        dropped: dict[Var, Var] = {}
        for op, block in list(self._writes(self.fn.body)):
            if _is_copy(op):
                if self._may_share(op, block):
                    dropped[op.result] = op.args[0]
            elif self._may_overwrite(op, block):
                op.callee = STORE
                changed = True
        if dropped:
            _drop_copies(self.fn, dropped)
        return changed or bool(dropped)

    def _writes(self, block: list[Stmt]):
        for stmt in block:
            if isinstance(stmt, Op):
                if _is_write(stmt) or _is_copy(stmt):
                    yield stmt, block
            elif isinstance(stmt, If):
                yield from self._writes(stmt.then_body)
                yield from self._writes(stmt.else_body)
            else:
                yield from self._writes(stmt.cond_body)
                yield from self._writes(stmt.body)

    def _may_overwrite(self, write: Op, block: list[Stmt]) -> bool:
        old = write.args[0]
        if not isinstance(old, Var) or len(write.args) != 3 or write.kwargs:
            return False
        if _fits_zero_d(write.args[1], self.masks):
            return False  # `g[...] = 0.0`: on 0-d arrays, arithmetic gives NumPy scalars, which have no slots
        return self._old_is_dead(write, block)

    def _may_share(self, copy: Op, block: list[Stmt]) -> bool:
        """Whether `writable_copy(old)` may be `old` itself: a copy of a dead version. A deep copy
        (before an unknown call, which may change the arrays a list holds) only of a value holding
        no object anything else may hold (`_plain`)."""
        old = copy.args[0]
        if not isinstance(old, Var) or len(copy.args) not in (1, 2) or copy.kwargs or copy.result is None:
            return False
        if len(copy.args) == 2 and not (copy.args[1] == Const(True) and self._plain(old, frozenset())):
            return False
        if any(use.op is not None and use.op.callee.key is np.ndarray.resize
               for use in self.uses.of.get(copy.result, ())):
            return False  # it refuses an array another variable refers to (as a loop's entering value may)
        return self._old_is_dead(copy, block)

    def _plain(self, var: Var, seen: frozenset[Var]) -> bool:
        """`var` holds nothing another value may hold: the result of an operator or of a call whose
        facts say it is new (an array, a list of numbers), a copy of such a value, or a loop or
        branch passing such values on. (Not a list display: `[a]` holds `a`.)"""
        if var in seen:
            return True
        seen = seen | {var}
        if var in self.uses.defined_by:
            definer = self.uses.defined_by[var][0]
            if _is_copy(definer):
                return isinstance(definer.args[0], Var) and self._plain(definer.args[0], seen)
            return definer.callee.style is Style.OPERATOR or (
                _is_fresh(definer) and facts_of(definer).returns in (Returns.NEW, Returns.NUMBER))
        carried = self.uses.carried_by[var][0] if var in self.uses.carried_by else self.uses.loop_results.get(var)
        if carried is not None:
            return all(isinstance(v, Var) and self._plain(v, seen) for v in (carried.init, carried.next))
        if var in self.uses.merged_by:
            region, position = self.uses.merged_by[var]
            return all(isinstance(v, Var) and self._plain(v, seen)
                       for v in (region.then_values[position], region.else_values[position]))
        return False

    def _old_is_dead(self, write: Op, block: list[Stmt]) -> bool:
        """Nothing reads `write`'s old version (argument 0) after it, and that version owns its buffer."""
        old = write.args[0]
        index = _position(block, write)
        region: If | None = None
        if not self._born_in(old, block):
            # One `if` between the write and where `old` is born: `if c: out[i] = v` in a loop.
            region, home = self.uses.parent.get(id(block), (None, None))
            if not isinstance(region, If) or not self._born_in(old, home) or region.cond is old:
                return False
            if any(v is old for v in (region.then_values if block is region.then_body else region.else_values)):
                return False  # the branch that writes would hand on the old version
            other = region.else_body if block is region.then_body else region.then_body
            at = _position(home, region)
        for use in self.uses.of.get(old, ()):
            if use.op is write or _shape_only(use):
                continue
            if use.block is block:
                done = _position(block, use.stmt) < index and self._consumed(use, block, index)
            elif region is None:
                done = False
            elif use.stmt is region:
                done = True  # yielded by the other branch, where nothing was written
            elif use.block is other:
                done = self._lets_go(use)
            else:
                done = use.block is home and _position(home, use.stmt) < at and self._consumed(use, home, at)
            if not done:
                return False
        return self._owned(old)

    def _lets_go(self, use: _Use) -> bool:
        """The read keeps no reference to the value and returns nothing sharing it: an operation
        returning a new value, a call changing it in place, or an item or slice of a list (a new
        object or one the list holds: nothing a change of the list itself changes)."""
        op = use.op
        if op is None:
            return False
        if _keeps_no_reference(op) and (_is_fresh(op) or op.result is None):
            return True
        if op.callee.style is Style.SUBSCRIPT and use.position == 0 and isinstance(op.args[0], Var) \
                and self._list_valued(op.args[0], frozenset()):
            return True
        return _changes_and_lets_go(use)

    def _list_valued(self, var: Var, seen: frozenset[Var]) -> bool:
        """`var` is a list on every path: a list display, a copy of a list, a loop or branch passing
        lists on (the lists a program builds with `L = []` and `L.append(v)`)."""
        if var in seen:
            return True
        seen = seen | {var}
        if var in self.uses.defined_by:
            definer = self.uses.defined_by[var][0]
            if definer.callee.style is Style.LIST:
                return True
            return _is_copy(definer) and isinstance(definer.args[0], Var) and self._list_valued(definer.args[0], seen)
        carried = self.uses.carried_by[var][0] if var in self.uses.carried_by else self.uses.loop_results.get(var)
        if carried is not None:
            return all(isinstance(v, Var) and self._list_valued(v, seen) for v in (carried.init, carried.next))
        if var in self.uses.merged_by:
            region, position = self.uses.merged_by[var]
            return all(isinstance(v, Var) and self._list_valued(v, seen)
                       for v in (region.then_values[position], region.else_values[position]))
        return False

    def _born_in(self, var: Var, block: list[Stmt]) -> bool:
        """Defined in `block`, or a param of the loop whose body `block` is."""
        if var in self.uses.defined_by:
            return self.uses.defined_by[var][1] is block
        if var in self.uses.carried_by:
            _, loop, _ = self.uses.carried_by[var]
            return loop.body is block
        return self.uses.region_results.get(var) is block

    def _owned(self, var: Var) -> bool:
        if var in self.uses.defined_by:
            return self._owns(self.uses.defined_by[var][0])
        if var in self.uses.carried_by:
            return self._carried_owns(var)
        if var in self.uses.loop_results:  # the last `next`, or `init` after no iteration
            return self._carried_owns(self.uses.loop_results[var].param)
        if var in self.uses.merged_by:
            return self._owned_value(var, None)
        return False  # a parameter of the function

    def _consumed(self, use: _Use, block: list[Stmt], index: int) -> bool:
        """The read keeps no reference, or what it returns (a view) is itself read only before `index`."""
        if self._lets_go(use):
            return True
        if use.op is None or not _keeps_no_reference(use.op):
            return False
        return self._reads_done(use.op.result, block, index)

    def _reads_done(self, var: Var, block: list[Stmt], index: int, seen: frozenset[int] = frozenset()) -> bool:
        """Whether every read of `var` (a view of an array about to be written) is over before `block[index]`."""
        if id(var) in seen:
            return True
        for use in self.uses.of.get(var, ()):
            if _shape_only(use):
                continue
            if use.op is None or use.block is not block or _position(block, use.stmt) >= index:
                return False
            if self._lets_go(use):
                continue
            if not _keeps_no_reference(use.op):
                return False
            if not (_is_fresh(use.op) or use.op.result is None) \
                    and not self._reads_done(use.op.result, block, index, seen | {id(var)}):
                return False
        return True

    def _owns(self, definer: Op) -> bool:
        # (a copy owns its buffer; one dropped is its old version, which was owned)
        return _is_fresh(definer) or _is_write(definer) or _is_copy(definer) or definer.callee.style is Style.LIST

    def _carried_owns(self, param: Var) -> bool:
        carried, loop, outer = self.uses.carried_by[param]
        if not isinstance(carried.init, Var):
            return False  # `None`: bound only inside the loop
        # The previous iteration's value becomes this param: nothing else may still hold it. A next
        # value from before the loop (CSE or LICM made the body's `y = np.zeros(3)` one value) is
        # the same buffer in every iteration: writing into it would change what the next one gets.
        nxt = carried.next
        if not isinstance(nxt, Var) or nxt not in loop.inner() or not self._owned_value(nxt, param) \
                or not self._only_handed_on(nxt, loop):
            return False
        if not self._init_owned(carried, loop, outer):
            self._copy_init(carried, loop, outer)
        return True

    def _owned_value(self, var: Var, param: Var | None) -> bool:
        """`var` is a buffer of its own: written or allocated here, or an `if` choosing between such
        buffers (`param` itself counts: the loop owns it if its other sources are owned)."""
        if var is param:
            return True
        if var in self.uses.defined_by:
            return self._owns(self.uses.defined_by[var][0])
        if var in self.uses.merged_by:
            region, position = self.uses.merged_by[var]
            branches = (region.then_values[position], region.else_values[position])
            return all(isinstance(v, Var) and self._owned_value(v, param)
                       and (v is param or self._only_handed_on(v, region)) for v in branches)
        return False

    def _only_handed_on(self, var: Var, region: If | Loop) -> bool:
        """`var` is read only by `region`'s bookkeeping (a yield, a loop's `next`), for its shape,
        or by operations that keep no reference to it; and it is handed on once."""
        for use in self.uses.of.get(var, ()):
            if _shape_only(use):
                continue
            if use.op is None:
                if use.stmt is not region:
                    return False
            elif not self._lets_go(use):
                return False
        return sum(1 for o in _region_operands(region) for v in _vars(o) if v is var) == 1

    def _init_owned(self, carried: Carried, loop: Loop, outer: list[Stmt]) -> bool:
        init = carried.init
        if not isinstance(init, Var) or init not in self.uses.defined_by:
            return False
        definer, block = self.uses.defined_by[init]
        if block is not outer or not self._owns(definer):
            return False
        index = _position(outer, loop)
        reads = [u for u in self.uses.of.get(init, ()) if not _shape_only(u) and u.stmt is not loop]
        if any(c.init is init for c in loop.carried if c is not carried):
            return False
        return self._reads_done_list(reads, outer, index)

    def _reads_done_list(self, reads: list[_Use], block: list[Stmt], index: int) -> bool:
        return all(use.block is block and _position(block, use.stmt) < index and self._consumed(use, block, index)
                   for use in reads)

    def _copy_init(self, carried: Carried, loop: Loop, outer: list[Stmt]) -> None:
        """The loop writes into the array it starts from: give it its own copy, once."""
        fresh = Var(f"{carried.param.name}_own")
        copy = Op(fresh, _COPY, [carried.init], line=loop.line, sweep=loop.sweep)
        outer.insert(_position(outer, loop), copy)
        carried.init = fresh
        self.uses.defined_by[fresh] = (copy, outer)  # asked again (a copy after the loop), it is owned


def _drop_copies(fn: Function, dropped: dict[Var, Var]) -> None:
    """Each dropped copy's result is its old version: the call after it changes that one."""
    def root(var: Var) -> Var:
        while var in dropped:
            var = dropped[var]
        return var

    mapping = {new: root(old) for new, old in dropped.items()}

    def prune(block: list[Stmt]) -> list[Stmt]:
        kept = [s for s in block if not (isinstance(s, Op) and s.result in mapping and _is_copy(s))]
        for s in kept:
            if isinstance(s, If):
                s.then_body, s.else_body = prune(s.then_body), prune(s.else_body)
            elif isinstance(s, Loop):
                s.cond_body, s.body = prune(s.cond_body), prune(s.body)
        return kept

    fn.body = prune(fn.body)
    for stmt in fn.body:
        stmt.replace_uses(mapping)
    fn.returns = [substitute(r, mapping) for r in fn.returns]


def transform(fn: Function) -> bool:
    """Turn each `index_update` whose old version is dead into an in-place write."""
    return _InPlace(fn).run()

