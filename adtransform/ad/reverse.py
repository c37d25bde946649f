"""Reverse mode: turn a primal IR function into one that also computes adjoints.

Walks the primal body backwards; for every active operation it instantiates
the primitive's rule template, renaming the template's values to fresh names
(`h_bar` for the adjoint of `h`). The machinery, not the rules, accumulates
fan-out (`x_bar_2 = x_bar + x_bar_1`), unbroadcasts contributions of
elementwise primitives (unless the ranks specialize/ gives it prove both sides scalars),
and skips inactive inputs. Adjoints start as symbolic zeros: an adjoint that
never receives a contribution is never built, except where the caller must
receive an array (`zeros_like` at the return).

Requires: a verified primal Function. Guarantees: a verified Function whose
body is the primal ops, the run-time checks, then the backward sweep.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from dataclasses import dataclass

from ..analysis import activity as activity_analysis
from ..analysis import number_roots
from ..analysis import rank as rank_analysis
from ..analysis.sequences import mixed_sequences, sequence_values
from ..errors import Location, NoAdjointRuleError, Problem
from ..ir.nodes import (
    AdjointZero,
    Callee,
    Const,
    Function,
    If,
    Layout,
    Loop,
    Op,
    Operand,
    Stmt,
    Style,
    Sweep,
    Var,
    defined_in,
    substitute,
)
from ..ir.operands import RULE_OPERANDS
from ..rules.registry import Kind, cached_template, lookup_adjoint
from ..syntax.naming import Namer
from . import runtime_refs, sequences
from .checks import check_write_indices, check_write_targets, no_rule, untracked_effects
from .dtype_checks import check_runtime_dtypes
from .keywords import read_keywords
from .loops import differentiate_loop
from .template import Template, compile_template

_ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
_INDEX_ADJOINT = runtime_refs.runtime.sequence_index_adjoint
_COPY = Callee(None, Style.COPY)


_DIVISIONS = (operator.truediv, operator.floordiv, operator.mod)



# What to write instead, for the calls whose rules take fewer forms than the function (their parameters would leak).
_UNBOUND_HINTS = {
    f: f"the builtin `{f.__name__}` is differentiated for two values (`{f.__name__}(a, b)`) or a list; for an "
       f"array use np.{'max' if f is max else 'min'}(x), for more values nest them "
       f"(`{f.__name__}(a, {f.__name__}(b, c))`)"
    for f in (max, min)
}

class Mode(enum.Enum):
    """What the generated function returns."""

    GRAD = "the gradient of a scalar output (seeded with 1.0)"
    VALUE_AND_GRAD = "the output and its gradient"
    VJP = "the output and a pullback closure taking the output's cotangent"


def reverse(primal: Function, wrt: list[int], namer: Namer, filename: str, *,
            mode: Mode, wrt_is_tuple: bool, fn_label: str, active: activity_analysis.Activity,
            ranks: rank_analysis.RankAnalyses, hypothesis: Hypothesis,
            array_params: dict[str, bool] | None = None) -> Function:
    """`active`, `ranks` (of `primal`) and `hypothesis` come from specialize/, which chose the
    version of the derivative this is and places its run-time check afterwards if `hypothesis.used`."""
    params = primal.param_vars()
    wrt_vars = [params[i] for i in wrt]
    output = primal.returns[0]
    effects = untracked_effects(primal, active.varied, filename)
    if effects:
        raise NoAdjointRuleError.of(effects, fn_label)
    check_write_targets(primal.body, active.varied)
    check_write_indices(primal.body, active.varied, filename, rank_analysis.integers(primal))
    check_runtime_dtypes(primal.body, filename)
    builder = _Backward(namer, ranks.get(scalar_output=mode is not Mode.VJP), filename, primal.readable)
    builder.hypothesis = hypothesis
    builder.python_whenever = number_roots.python_whenever(primal)
    sequences.name_fields(primal.body)
    builder.sequences = sequence_values(primal)
    builder.mixed = mixed_sequences(primal)
    sequences.convert_lists(primal.body, builder.sequences, active, namer)
    builder.lengths = sequences.take_lengths(primal.body, builder.sequences, active, namer)
    differentiated = list(dict.fromkeys(wrt_vars))
    body: list[Op] = [_one_check("ensure_differentiable", "ensure_all_differentiable", differentiated)] \
        if differentiated else []
    array_params = array_params or {}
    body += [runtime_refs.check_op("ensure_array_argument",  # (wrt: checked above)
                                   [var, Const(var.name), *([] if array_params[var.name] else [Const(True)])],
                                   line=None)
             for var in params if var.name in array_params and var not in wrt_vars]
    # Every other argument too: an np.matrix, a masked array or a complex value changes what the code means.
    others = [var for var in params if var.name not in array_params and var not in wrt_vars]
    if others:
        body.append(_one_check("ensure_argument", "ensure_arguments", others))
    body.extend(primal.body)
    seed: Operand = Const(1.0)
    pullback_param = None
    if mode is Mode.VJP:
        pullback_param = Var(namer.fresh(f"{getattr(output, 'name', 'out')}_bar"))
        seed = pullback_param
        builder.ops.append(runtime_refs.check_op("ensure_cotangent", [seed, output], line=None))
        builder.ops[-1].sweep = Sweep.ADJOINT
    elif rank_analysis.rank_of(output, ranks.get(scalar_output=False)) != 0 and rank_analysis.rank_of(
            output, ranks.get(scalar_output=False, arrays=frozenset(wrt_vars))) != 0:
        # A scalar output proven without assuming it (a full reduction, divided by `x.shape[0]` of a
        # differentiated `x`, which `ensure_differentiable` checks is a float or a float array) needs
        # no run-time check, so computing the output value itself is dead code unless a rule reads it.
        body.append(runtime_refs.check_op("ensure_scalar", [output, Const(fn_label)], line=None))
    if isinstance(output, Var) and active.is_active(output):
        builder.adjoints[output] = seed
        if output in builder.sequences:  # (the caller's cotangent list: the sweep pops from a copy)
            builder.adjoints[output] = builder.emit(runtime_refs.callee("sequence_copy"), [seed], output, None)
        try:
            builder.sweep(body, active)
        except Exception:
            if builder.refused:  # what went wrong after an operation was skipped: the refusals first
                raise NoAdjointRuleError.of(builder.refused, fn_label) from None
            raise
        if builder.refused:
            raise NoAdjointRuleError.of(builder.refused, fn_label)
    gradients = [builder.finish(var) for var in wrt_vars]
    body.extend(builder.ops)
    with_value = mode is not Mode.GRAD
    returns = ([output] if with_value else []) + gradients
    first = len(returns) - len(gradients)
    layout: Layout = tuple(range(first, len(returns))) if wrt_is_tuple else first
    if with_value:
        layout = (0, layout)
    return Function(primal.name, primal.params, body, returns, layout=layout,
                    gradient_of={first + i: var for i, var in enumerate(wrt_vars)},
                    readable=primal.readable | builder.readable, pullback_param=pullback_param)


# The checks of the arguments that open the derivative, before the primal body.
ARGUMENT_CHECKS = tuple(getattr(runtime_refs.runtime, h) for h in (
    "ensure_differentiable", "ensure_all_differentiable", "ensure_array_argument", "ensure_argument",
    "ensure_arguments"))


@dataclass(eq=False)
class Hypothesis:
    """The ranks reverse mode may rely on, chosen by specialize/: they hold on every call this
    version of the derivative serves (a run-time check decides which). Relying on one that is not
    proven on every call (an unbroadcast dropped, a scalar zero) sets `used`: the check is needed."""

    ranks: rank_analysis.Ranks
    used: bool = False


class _Backward:
    def __init__(self, namer: Namer, ranks: rank_analysis.Ranks, filename: str, user_vars: set[Var]):
        self.user_vars = user_vars
        self.readable: set[Var] = set()
        self.namer = namer
        self.ranks = ranks
        self.filename = filename
        self.adjoints: dict[Var, Operand] = {}
        self.ops: list[Stmt] = []
        self.hypothesis: Hypothesis  # the ranks this version may rely on (set by `reverse`)
        # Operations with no usable rule: skipped, and all refused together once the sweep is done.
        self.refused: list[Problem] = []
        self.sequences: set[Var] = set()  # the lists and tuples the function builds (their adjoints are lists)
        self.lengths: dict[int, Var] = {}  # by `id` of a read `L[i]`: the length of `L` taken before it
        self.mixed: set[Var] = set()  # lists that may hold both lists and other values
        # whether an operand is a Python number wherever another is (analysis/number_roots.py)
        self.python_whenever: Callable[[Operand, Operand], bool] = lambda x, y: False

    def child(self) -> _Backward:
        """A builder for one branch: its own ops, adjoints starting from the current ones."""
        branch = _Backward(self.namer, self.ranks, self.filename, self.user_vars)
        branch.readable = self.readable
        branch.hypothesis = self.hypothesis
        branch.adjoints = dict(self.adjoints)
        branch.refused = self.refused
        branch.sequences = self.sequences
        branch.lengths = self.lengths
        branch.mixed = self.mixed
        branch.python_whenever = self.python_whenever
        return branch

    def sweep(self, body: list[Stmt], active: activity_analysis.Activity) -> None:
        for stmt in reversed(list(body)):
            if isinstance(stmt, Loop):
                if any(active.is_active(c.result) and c.result in self.adjoints for c in stmt.carried):
                    differentiate_loop(self, stmt, active, body)
            elif isinstance(stmt, If):
                if any(active.is_active(r) and r in self.adjoints for r in stmt.results):
                    self.differentiate_branch(stmt, active)
            elif stmt.result is not None and active.is_active(stmt.result) and stmt.result in self.adjoints:
                self.differentiate(stmt, active)

    def differentiate_branch(self, region: If, active: activity_analysis.Activity) -> None:
        """The adjoint of an `if` is an `if` on the same condition; adjoints of outer values merge after it."""
        branches = []
        for body, values in ((region.then_body, region.then_values), (region.else_body, region.else_values)):
            branch = self.child()
            for result, value in zip(region.results, values):
                if result in self.adjoints and active.is_active(value):
                    branch.accumulate(value, self.adjoints[result], region.line)
            branch.sweep(body, active)
            branches.append(branch)
        then, other = branches
        inside = defined_in(region.then_body) | defined_in(region.else_body) | set(region.results)
        adjoint = If(region.cond, then.ops, other.ops, line=region.line, col=region.col,
                     sweep=Sweep.ADJOINT, mirror=region)
        for var in dict.fromkeys([*then.adjoints, *other.adjoints]):
            before = self.adjoints.get(var)
            if var in inside or (then.adjoints.get(var) is before and other.adjoints.get(var) is before):
                continue
            adjoint.then_values.append(then.adjoints.get(var) or then.zero(var))
            adjoint.else_values.append(other.adjoints.get(var) or other.zero(var))
            merged = Var(self.namer.fresh(f"{var.name}_bar"))
            if var in self.user_vars:
                self.readable.add(merged)
            adjoint.results.append(merged)
            self.adjoints[var] = merged
        self.ops.append(adjoint)

    def zero(self, var: Var) -> Operand:
        """A branch that gives `var` no contribution, merged with one that does, yields a real zero.

        A proven scalar's zero is `0.0` (Python's weak float: adding it keeps any float type),
        marked as an adjoint's zero so that the optimizer may drop it from the sums it enters.
        A list's is `None` (runtime/sequences.py).
        """
        if var in self.sequences:
            return Const(None)
        if self.hypothesis.ranks.get(var) == 0:
            if self.ranks.get(var) != 0:
                self.hypothesis.used = True
            return self.emit(_COPY, [AdjointZero(0.0)], var, None)
        return self.emit(runtime_refs.callee("zeros_like"), [var], var, None)

    def differentiate(self, op: Op, active: activity_analysis.Activity) -> None:
        active_inputs = [a for a in op.args + list(op.kwargs.values()) if active.is_active(a)]
        if not active_inputs:
            return
        if op.callee.style is Style.COPY:
            self.accumulate(op.args[0], self.adjoints[op.result], op.line)
            return
        if op.callee.style in (Style.LIST, Style.TUPLE):
            sequences.differentiate_display(self, op, active)
            return
        key = op.callee.key
        if any(isinstance(a, Var) and a in self.sequences for a in active_inputs) \
                or (key in sequences.SEQUENCE_FORMS and isinstance(op.args[0], Var) and op.args[0] in self.sequences):
            key, problem = sequences.rule_key(op, self.sequences, self.mixed, active, self.filename)
            if problem is not None:
                self.refuse(problem, op, active_inputs)
                return
        keywords = read_keywords(op, key, self.filename)
        if keywords.problem is not None:
            self.refuse(keywords.problem, op, active_inputs)
            return
        key, args = keywords.key, op.args
        if key is sequences.list_getitem and id(op) in self.lengths:
            key, args = sequences.list_getitem_sized, [*op.args, self.lengths[id(op)]]
        rule = lookup_adjoint(key)
        if rule is None:
            self.refuse(self.no_rule(op).problems[0], op, active_inputs)
            return
        template = cached_template(rule, compile_template)
        try:
            bound = rule.bind(args, keywords.kwargs, RULE_OPERANDS)
        except TypeError as exc:
            why = _UNBOUND_HINTS.get(op.callee.key) \
                or f"the derivative rule for `{op.callee}` does not accept this call ({exc})"
            self.refuse(Problem(self.location(op), f"call of `{op.callee}`", why), op, active_inputs)
            return
        # A `*args` parameter binds a tuple: it is wanted when any of its items is active.
        wanted = {name for name, operand in bound.items()
                  if any(active.is_active(o) for o in (operand if isinstance(operand, tuple) else (operand,)))}
        missing = [name for name in sorted(wanted - set(template.contributions)) if name not in rule.nondiff]
        if missing:
            self.refuse(Problem(
                self.location(op), f"argument `{missing[0]}` of `{op.callee}`",
                f"the derivative rule for `{op.callee}` gives no derivative with respect to its "
                f"argument `{missing[0]}`, which depends on the differentiated input"), op, active_inputs)
            return
        elementwise = {name for name in wanted if rule.kind is Kind.ELEMENTWISE}
        broadcast = {name for name in elementwise if not self.same_shape(bound[name], op, self.hypothesis.ranks)}
        if any(not self.same_shape(bound[name], op, self.ranks) for name in elementwise - broadcast):
            self.hypothesis.used = True  # an unbroadcast only the hypothesis removes
        contributions = self.instantiate(template, op, bound, wanted, broadcast)
        for name, contribution in contributions.items():
            operand = bound[name]
            if name in broadcast:
                contribution = self.emit(runtime_refs.callee("unbroadcast"), [contribution, operand],
                                         operand, op.line)
            if keywords.cast:  # (a ufunc's `dtype=`: the contribution in its input's dtype)
                contribution = self.emit(runtime_refs.callee("as_gradient"), [contribution, operand], operand, op.line)
            self.accumulate(operand, contribution, op.line)

    def refuse(self, problem: Problem, op: Op, active_inputs: list[Operand]) -> None:
        """Record why `op` cannot be differentiated. The sweep goes on as if `op` passed its adjoint
        to its inputs, so that the operations before it are checked too: the function is refused
        once the sweep is done, with every problem found (the code built meanwhile is dropped)."""
        self.refused.append(problem)
        for operand in active_inputs:
            if isinstance(operand, Var):
                self.accumulate(operand, self.adjoints[op.result], op.line)

    def instantiate(self, template: Template, op: Op, bound: dict[str, Operand],
                    wanted: set[str], broadcast: set[str]) -> dict[str, Operand]:
        """Copy the template ops that compute the wanted contributions, renamed for this op.

        A contribution is named after its input (`x_bar`) unless it is still to be
        unbroadcast, in which case the unbroadcast result takes that name.
        """
        mapping: dict[Var, Operand] = {template.output: op.result, template.adjoint: self.adjoints[op.result]}
        for name, var in template.inputs.items():
            value = bound.get(name, Const(None))
            mapping[var] = self.pack(value, op.line) if isinstance(value, tuple) else value
        contributions = {n: v for n, v in template.contributions.items() if n in wanted}
        needed = {v for v in contributions.values() if isinstance(v, Var)}
        ops = []
        for t_op in reversed(template.body.body):
            if t_op.result in needed:
                needed.update(t_op.uses())
                ops.append(t_op)
        contributed = {id(v): name for name, v in contributions.items()}
        for t_op in reversed(ops):
            target = contributed.get(id(t_op.result))
            input_var = bound.get(target)
            if not isinstance(input_var, Var):
                hint = t_op.result.name
            elif target in broadcast:
                hint, input_var = f"{input_var.name}_contrib", None
            else:
                hint = f"{input_var.name}_bar"
            new = Op(Var(self.namer.fresh(hint)), t_op.callee, list(t_op.args), dict(t_op.kwargs),
                     line=op.line, sweep=Sweep.ADJOINT,
                     rule_division=t_op.callee.key in _DIVISIONS and self.may_raise(op))
            new.replace_uses(mapping)
            mapping[t_op.result] = new.result
            if isinstance(input_var, Var) and input_var in self.user_vars:
                self.readable.add(new.result)
            self.ops.append(new)
        return {name: substitute(v, mapping) for name, v in contributions.items()}

    def may_raise(self, op: Op) -> bool:
        """Whether a division of `op`'s rule may raise on Python numbers where `op` did not: a
        function's (np.log's `g / x` at 0.0), or the adjoint `g / y` of the user's `x / y` that ran
        at a Python zero `y` with a NumPy `x` (not when `x` is a Python number wherever `y` is)."""
        return not (op.callee.style is Style.OPERATOR and op.callee.key is operator.truediv
                    and self.python_whenever(op.args[0], op.args[1]))

    def pack(self, values: tuple[Operand, ...], line: int | None) -> Operand:
        """The arguments a rule's `*args` parameter collected, as one operand."""
        if all(isinstance(v, Const) for v in values):
            return Const(tuple(v.value for v in values))
        result = Var(self.namer.fresh("args"))
        self.ops.append(Op(result, Callee(tuple, Style.TUPLE), list(values), line=line, sweep=Sweep.ADJOINT))
        return result

    @staticmethod
    def same_shape(operand: Var, op: Op, ranks: rank_analysis.Ranks) -> bool:
        """Proven by `ranks`: the contribution already has `operand`'s shape, so no unbroadcast."""
        if ranks.get(operand) == 0 and ranks.get(op.result) == 0:
            return True
        others = [a for a in (*op.args, *op.kwargs.values()) if a is not operand]
        return all(rank_analysis.rank_of(a, ranks) == 0 for a in others)

    def emit(self, callee: Callee, args: list[Operand], adjoint_of: Var, line: int | None) -> Var:
        result = Var(self.namer.fresh(f"{adjoint_of.name}_bar"))
        if adjoint_of in self.user_vars:
            self.readable.add(result)
        self.ops.append(Op(result, callee, args, line=line, sweep=Sweep.ADJOINT))
        return result

    def accumulate(self, var: Var, contribution: Operand, line: int | None) -> None:
        previous = self.adjoints.get(var)
        if previous is None:
            self.adjoints[var] = contribution
        elif var in self.sequences:
            last = self.ops[-1] if self.ops else None
            if last is not None and last.result is contribution and last.callee.key is _INDEX_ADJOINT:
                # `L[i]` read again: its item added into the adjoint list in place, no `Item` in between
                self.ops.pop()
                self.adjoints[var] = self.emit(runtime_refs.callee("sequence_index_accumulate"),
                                               [previous, *last.args], var, line)
            else:
                self.adjoints[var] = self.emit(runtime_refs.callee("sequence_add"), [previous, contribution], var,
                                               line)
        else:
            self.adjoints[var] = self.emit(_ADD, [previous, contribution], var, line)

    def finish(self, var: Var) -> Operand:
        adjoint = self.adjoints.get(var)
        if adjoint is None:
            return self.emit(runtime_refs.callee("zeros_like"), [var], var, None)
        return adjoint

    def location(self, op: Op) -> Location:
        return Location(self.filename, op.line or 0, op.col)

    def no_rule(self, op: Op) -> NoAdjointRuleError:
        return no_rule(op, self.filename)


def _one_check(single: str, several: str, params: list[Var]) -> Op:
    """`single(x, 'x')` for one parameter, `several('x y', x, y)` for more: one call per
    function, since a call costs more than the common case's type test."""
    if len(params) == 1:
        return runtime_refs.check_op(single, [params[0], Const(params[0].name)], line=None)
    return runtime_refs.check_op(several, [Const(" ".join(v.name for v in params)), *params], line=None)
