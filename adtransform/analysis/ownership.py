"""Ownership: which values hold a buffer of their own, and which may share one with an input.

Three questions the buffer-level passes ask, answered over the def-use chains:

* `owns(var)` (in_place): the value is a buffer this function allocated or wrote (never a
  parameter, a global or a view of one), following branches and loops that hand such buffers on;
* `exclusive(value)` (scatter_in_place): made fresh by this gradient and its sources read by
  nobody else, so an addition may go into it in place;
* `may_alias_input(value)` (fresh_returns): the value may be (a view of) a parameter or a global.

Plus what a read does with a value (`lets_go`: it keeps no reference and returns nothing sharing
it), and what a value holds (`plain`: no object anything else holds; `list_valued`: a list on
every path). Loops are followed by induction over iterations (a loop's param is assumed owned
while its next value is examined).
"""

from __future__ import annotations

from .. import runtime
from ..ir.nodes import Function, Global, If, Loop, Op, Operand, Style, Sweep, Var, flatten
from ..ir.operators import INDEX_UPDATE
from ..rules.registry import Returns, lookup_facts
from . import defuse
from .defuse import DefUse, Use, region_reads
from .effects import changed_operands, facts_of, is_fresh, is_pure, is_value_method, shape_only


def is_write(op: Op) -> bool:
    """A functional `index_update` (the IR's `y[i] = v`) or one already made in place."""
    return op.callee.key is INDEX_UPDATE.key and op.callee.style in (Style.FUNCTION, Style.STORE)


def is_copy(op: Op) -> bool:
    """`writable_copy(c)` before a call changing `c` (deep or not)."""
    return op.callee.style is Style.FUNCTION and op.callee.key is runtime.writable_copy


def shape_only_use(use: Use) -> bool:
    return use.op is not None and shape_only(use.op, use.position)


def keeps_no_reference(op: Op) -> bool:
    """Operations that read their arguments and return; a view-like result is then checked in turn.

    Calls qualify only when known (a rule, a runtime helper): `lst.append(y)` keeps `y`.
    """
    if op.callee.style in (Style.OPERATOR, Style.SUBSCRIPT, Style.ATTRIBUTE, Style.COPY):
        return True
    if op.callee.style in (Style.FUNCTION, Style.METHOD):
        return op.sweep is Sweep.CHECK or is_pure(op)
    return False


def changes_and_lets_go(use: Use) -> bool:
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


def allocates(definer: Op) -> bool:
    """The operation's result is a buffer of its own (a copy owns its buffer; one dropped is its
    old version, which was owned; `list_append` returns the copy it was given, with an item more)."""
    return is_fresh(definer) or is_write(definer) or is_copy(definer) or definer.callee.style is Style.LIST \
        or definer.callee.key is runtime.list_append


class Ownership:
    """The ownership questions of one function, over its def-use chains."""

    def __init__(self, du: DefUse) -> None:
        self.du = du

    # -- what a read does with a value -------------------------------------------------------------

    def lets_go(self, use: Use) -> bool:
        """The read keeps no reference to the value and returns nothing sharing it: an operation
        returning a new value, a call changing it in place, or an item or slice of a list (a new
        object or one the list holds: nothing a change of the list itself changes)."""
        op = use.op
        if op is None:
            return False
        if keeps_no_reference(op) and (is_fresh(op) or op.result is None):
            return True
        if op.callee.style is Style.SUBSCRIPT and use.position == 0 and isinstance(op.args[0], Var) \
                and self.list_valued(op.args[0]):
            return True
        return changes_and_lets_go(use)

    def only_handed_on(self, var: Var, region: If | Loop) -> bool:
        """`var` is read only by `region`'s bookkeeping (a yield, a loop's `next`), for its shape,
        or by operations that keep no reference to it; and it is handed on once."""
        for use in self.du.uses.get(var, ()):
            if shape_only_use(use):
                continue
            if use.op is None:
                if use.stmt is not region:
                    return False
            elif not self.lets_go(use):
                return False
        return sum(1 for v in region_reads(region) if v is var) == 1

    # -- what a value holds ------------------------------------------------------------------------

    def plain(self, var: Var, seen: frozenset[Var] = frozenset()) -> bool:
        """`var` holds nothing another value may hold: the result of an operator or of a call whose
        facts say it is new (an array, a list of numbers), a copy of such a value, or a loop or
        branch passing such values on. (Not a list display: `[a]` holds `a`.)"""
        if var in seen:
            return True
        seen = seen | {var}
        if var in self.du.defined_by:
            definer = self.du.defined_by[var][0]
            if is_copy(definer):
                return isinstance(definer.args[0], Var) and self.plain(definer.args[0], seen)
            return definer.callee.style is Style.OPERATOR or (
                is_fresh(definer) and facts_of(definer).returns in (Returns.NEW, Returns.NUMBER))
        return self._on_every_path(var, seen, self.plain)

    def list_valued(self, var: Var, seen: frozenset[Var] = frozenset()) -> bool:
        """`var` is a list on every path: a list display, a copy of a list, a loop or branch passing
        lists on (the lists a program builds with `L = []` and `L.append(v)`)."""
        if var in seen:
            return True
        seen = seen | {var}
        if var in self.du.defined_by:
            definer = self.du.defined_by[var][0]
            if definer.callee.style is Style.LIST or definer.callee.key is runtime.list_append:
                return True
            return is_copy(definer) and isinstance(definer.args[0], Var) and self.list_valued(definer.args[0], seen)
        return self._on_every_path(var, seen, self.list_valued)

    def _on_every_path(self, var: Var, seen: frozenset[Var], holds) -> bool:
        """`holds` of each value a loop or branch may hand on as `var` (False for a parameter)."""
        du = self.du
        carried = du.carried_by[var][0] if var in du.carried_by else du.loop_results.get(var)
        if carried is not None:
            return all(isinstance(v, Var) and holds(v, seen) for v in (carried.init, carried.next))
        if var in du.merged_by:
            region, position = du.merged_by[var]
            return all(isinstance(v, Var) and holds(v, seen)
                       for v in (region.then_values[position], region.else_values[position]))
        return False

    # -- buffers of its own (in_place) ---------------------------------------------------------------

    def owned_value(self, var: Var, param: Var | None) -> bool:
        """`var` is a buffer of its own: written or allocated here, or an `if` choosing between such
        buffers (`param` itself counts: the loop owns it if its other sources are owned)."""
        if var is param:
            return True
        if var in self.du.defined_by:
            return allocates(self.du.defined_by[var][0])
        if var in self.du.merged_by:
            region, position = self.du.merged_by[var]
            branches = (region.then_values[position], region.else_values[position])
            return all(isinstance(v, Var) and self.owned_value(v, param)
                       and (v is param or self.only_handed_on(v, region)) for v in branches)
        return False

    def loop_owns(self, param: Var) -> bool:
        """The loop's param is a buffer of its own in every iteration, given an owned entering value:
        the previous iteration's value, which nothing else may still hold. A next value from before
        the loop (CSE or LICM made the body's `y = np.zeros(3)` one value) is the same buffer in every
        iteration: writing into it would change what the next one gets."""
        carried, loop, _ = self.du.carried_by[param]
        if not isinstance(carried.init, Var):
            return False  # `None`: bound only inside the loop
        nxt = carried.next
        return isinstance(nxt, Var) and self.du.defined_inside(nxt, loop) and self.owned_value(nxt, param) \
            and self.only_handed_on(nxt, loop)

    def loop_param(self, var: Var) -> Var | None:
        """The param of the loop carrying `var` (a param itself, or a loop's result: the last `next`,
        or `init` after no iteration)."""
        if var in self.du.carried_by:
            return var
        if var in self.du.loop_results:
            return self.du.loop_results[var].param
        return None

    # -- held by this gradient alone (scatter_in_place) ----------------------------------------------

    def exclusive(self, value: Operand, assumed: frozenset[Var] = frozenset()) -> bool:
        """A value only this gradient holds: made fresh here, and its sources read by nobody else.

        Follows copies and loops (an accumulator of an inner loop starts from the outer loop's);
        a loop's param is assumed owned while its next value is examined (induction over iterations).
        """
        if not isinstance(value, Var) or len(assumed) > 16:
            return False
        if value in assumed:
            return True
        du, uses = self.du, self.du.reads
        if value in du.carried_by:
            c, loop, _ = du.carried_by[value]
            inner = assumed | {value}
            # A next value from before the loop is one buffer handed on in every iteration: not owned.
            return isinstance(c.init, Var) and uses[c.init] == 1 and self.exclusive(c.init, inner) \
                and (c.next is value or (isinstance(c.next, Var) and du.defined_inside(c.next, loop)
                                         and uses[c.next] == 1
                                         and self.exclusive(c.next, inner)))
        made = du.producers.get(value)
        if isinstance(made, Loop):
            return self.exclusive(du.loop_results[value].param, assumed)
        if isinstance(made, Op) and made.callee.style is Style.COPY:
            source = made.args[0]
            return isinstance(source, Var) and uses[source] == 1 and self.exclusive(source, assumed)
        if not isinstance(made, Op):
            return False
        if made.callee.style is Style.OPERATOR:
            return is_fresh(made)  # arithmetic builds a new array (else the helper falls back to `+`)
        return made.callee.style in (Style.FUNCTION, Style.ADD_INTO) and made.callee.key in (
            runtime.zeros_like, runtime.getitem_adjoint, runtime.getitem_accumulate)

    # -- shared with an input (fresh_returns) --------------------------------------------------------

    def may_alias_input(self, value: Operand, params: set[Var]) -> bool:
        """Whether `value` may be (a view of) a parameter (of `params`) or a global: followed back
        through copies, views, branches and loops; a call whose facts do not say its result is new
        may return any argument."""
        return any(isinstance(v, Global) or v in params for v in self.memory_of(value))

    def memory_of(self, value: Operand) -> set[Operand]:
        """The values whose memory `value` may be: itself and, back through copies, views, branches
        and loops, every value it may be a view of (a call whose facts do not say its result is new: any
        argument). Two values whose memories meet may share memory."""
        pending, seen = [value], set()
        while pending:
            value = pending.pop()
            if not isinstance(value, (Var, Global)) or value in seen:
                continue
            seen.add(value)
            region = self.du.producers.get(value)
            if isinstance(region, If):
                i = region.results.index(value)
                pending += [region.then_values[i], region.else_values[i]]
            elif isinstance(region, Loop):
                c = self.du.loop_results[value]
                pending += [v for v in (c.init, c.next) if v is not c.param]
            elif isinstance(region, Op):
                pending += sources(region)
        return seen


def sources(op: Op) -> list[Operand]:
    """The operands `op`'s result may share memory with."""
    style = op.callee.style
    if style is Style.OPERATOR or (style is Style.ATTRIBUTE and lookup_facts(op.callee.key).fresh) or is_fresh(op):
        return []
    if style in (Style.COPY, Style.SUBSCRIPT, Style.ATTRIBUTE, Style.STORE, Style.ADD_INTO):
        return [op.args[0]]
    operands = [*op.args, *op.kwargs.values()]  # (one read only for its shape is never returned)
    return [o for i, a in enumerate(operands) if not shape_only(op, i) for o in flatten(a)]


def analyze(fn: Function, analyses) -> Ownership:
    """The ownership questions of `fn`, over its def-use chains (an analysis for the manager)."""
    return Ownership(analyses.get(defuse.analyze))

