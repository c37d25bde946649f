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
Analyses: def-use (every read, with its block and position) and ownership (which buffers a
value owns, what a read does with it).
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime
from ..analysis import defuse, ownership
from ..analysis.defuse import Use
from ..analysis.manager import PassContext
from ..analysis.ownership import allocates, is_copy, is_write, keeps_no_reference, shape_only_use
from ..frontend.resolve import Ref, Scope
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
    Var,
    substitute,
    walk,
)
from ..ir.operators import COMPARISONS
from .purity import is_fresh

STORE = Callee(runtime.index_update, Style.STORE, symbol="[]=")
_COPY = Callee(runtime.copy_like, Style.FUNCTION,  # (keeps the layout a later ravel("A"/"K") reads)
               ref=Ref(("copy_like",), runtime.copy_like, Scope.INJECTED, runtime.copy_like))

_LOGICAL = COMPARISONS | {operator.and_, operator.or_, operator.xor, operator.invert}


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


class _InPlace:
    def __init__(self, fn: Function, cx: PassContext) -> None:
        self.fn = fn
        self.uses = cx.analyses.get(defuse.analyze)
        self.own = cx.analyses.get(ownership.analyze)
        self.masks = {s.result for s in walk(fn.body) if isinstance(s, Op) and s.callee.style is Style.OPERATOR
                      and s.callee.key in _LOGICAL}

    def run(self) -> bool:
        changed = False
        dropped: dict[Var, Var] = {}
        for op, block in list(self._writes(self.fn.body)):
            if is_copy(op):
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
                if is_write(stmt) or is_copy(stmt):
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
        no object anything else may hold (`Ownership.plain`)."""
        old = copy.args[0]
        if not isinstance(old, Var) or len(copy.args) not in (1, 2) or copy.kwargs or copy.result is None:
            return False
        if len(copy.args) == 2 and not (copy.args[1] == Const(True) and self.own.plain(old)):
            return False
        if any(use.op is not None and use.op.callee.key is np.ndarray.resize
               for use in self.uses.uses.get(copy.result, ())):
            return False  # it refuses an array another variable refers to (as a loop's entering value may)
        return self._old_is_dead(copy, block)

    def _old_is_dead(self, write: Op, block: list[Stmt]) -> bool:
        """Nothing reads `write`'s old version (argument 0) after it, and that version owns its buffer."""
        old = write.args[0]
        index = self.uses.position(write)
        region: If | None = None
        if not self._born_in(old, block):
            # One `if` between the write and where `old` is born: `if c: out[i] = v` in a loop.
            region, home = self.uses.parent.get(id(block), (None, None))
            if not isinstance(region, If) or not self._born_in(old, home) or region.cond is old:
                return False
            if any(v is old for v in (region.then_values if block is region.then_body else region.else_values)):
                return False  # the branch that writes would hand on the old version
            other = region.else_body if block is region.then_body else region.then_body
            at = self.uses.position(region)
        for use in self.uses.uses.get(old, ()):
            if use.op is write or shape_only_use(use):
                continue
            if use.block is block:
                done = self.uses.position(use.stmt) < index and self._consumed(use, block, index)
            elif region is None:
                done = False
            elif use.stmt is region:
                done = True  # yielded by the other branch, where nothing was written
            elif use.block is other:
                done = self.own.lets_go(use)
            else:
                done = use.block is home and self.uses.position(use.stmt) < at and self._consumed(use, home, at)
            if not done:
                return False
        return self._owned(old)

    def _born_in(self, var: Var, block: list[Stmt]) -> bool:
        """Defined in `block`, or a param of the loop whose body `block` is."""
        if var in self.uses.defined_by:
            return self.uses.defined_by[var][1] is block
        if var in self.uses.carried_by:
            _, loop, _ = self.uses.carried_by[var]
            return loop.body is block
        return self.uses.region_results.get(var) is block

    def _owned(self, var: Var) -> bool:
        """`var` owns its buffer; a loop's param owns it once the loop's entering value is its own
        (copied once before the loop if need be)."""
        param = self.own.loop_param(var)
        if param is None:
            return self.own.owned_value(var, None)  # (False for a parameter of the function)
        if not self.own.loop_owns(param):
            return False
        carried, loop, outer = self.uses.carried_by[param]
        if not self._init_owned(carried, loop, outer):
            self._copy_init(carried, loop, outer)
        return True

    def _consumed(self, use: Use, block: list[Stmt], index: int) -> bool:
        """The read keeps no reference, or what it returns (a view) is itself read only before `index`."""
        if self.own.lets_go(use):
            return True
        if use.op is None or not keeps_no_reference(use.op):
            return False
        return self._reads_done(use.op.result, block, index)

    def _reads_done(self, var: Var, block: list[Stmt], index: int, seen: frozenset[int] = frozenset()) -> bool:
        """Whether every read of `var` (a view of an array about to be written) is over before `block[index]`."""
        if id(var) in seen:
            return True
        for use in self.uses.uses.get(var, ()):
            if shape_only_use(use):
                continue
            if use.op is None or use.block is not block or self.uses.position(use.stmt) >= index:
                return False
            if self.own.lets_go(use):
                continue
            if not keeps_no_reference(use.op):
                return False
            if not (is_fresh(use.op) or use.op.result is None) \
                    and not self._reads_done(use.op.result, block, index, seen | {id(var)}):
                return False
        return True

    def _init_owned(self, carried: Carried, loop: Loop, outer: list[Stmt]) -> bool:
        init = carried.init
        if not isinstance(init, Var) or init not in self.uses.defined_by:
            return False
        definer, block = self.uses.defined_by[init]
        if block is not outer or not allocates(definer):
            return False
        index = self.uses.position(loop)
        reads = [u for u in self.uses.uses.get(init, ()) if not shape_only_use(u) and u.stmt is not loop]
        if any(c.init is init for c in loop.carried if c is not carried):
            return False
        return self._reads_done_list(reads, outer, index)

    def _reads_done_list(self, reads: list[Use], block: list[Stmt], index: int) -> bool:
        return all(use.block is block and self.uses.position(use.stmt) < index and self._consumed(use, block, index)
                   for use in reads)

    def _copy_init(self, carried: Carried, loop: Loop, outer: list[Stmt]) -> None:
        """The loop writes into the array it starts from: give it its own copy, once."""
        fresh = Var(f"{carried.param.name}_own")
        copy = Op(fresh, _COPY, [carried.init], line=loop.line, sweep=loop.sweep)
        outer.insert(self.uses.position(loop), copy)
        carried.init = fresh
        self.uses.defined_by[fresh] = (copy, outer)  # asked again (a copy after the loop), it is owned
        self.uses.reindex(outer)


def _drop_copies(fn: Function, dropped: dict[Var, Var]) -> None:
    """Each dropped copy's result is its old version: the call after it changes that one."""
    def root(var: Var) -> Var:
        while var in dropped:
            var = dropped[var]
        return var

    mapping = {new: root(old) for new, old in dropped.items()}

    def prune(block: list[Stmt]) -> list[Stmt]:
        kept = [s for s in block if not (isinstance(s, Op) and s.result in mapping and is_copy(s))]
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


def transform(fn: Function, cx: PassContext) -> bool:
    """Turn each `index_update` whose old version is dead into an in-place write."""
    return _InPlace(fn, cx).run()

