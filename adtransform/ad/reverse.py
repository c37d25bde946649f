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
import types
from dataclasses import dataclass

import numpy as np

from ..analysis import activity as activity_analysis
from ..analysis import rank as rank_analysis
from ..analysis.effects import changed_operands, facts_of, may_change_globals
from ..errors import Location, NoAdjointRuleError
from ..ir.nodes import (
    AdjointZero,
    Callee,
    Const,
    Function,
    Global,
    If,
    Index,
    Layout,
    Loop,
    Op,
    Operand,
    SliceItem,
    Stmt,
    Style,
    Sweep,
    Var,
    defined_in,
    substitute,
    walk,
)
from ..ir.operands import RULE_OPERANDS
from ..ir.operators import INDEX_UPDATE
from ..rules.registry import Kind, cached_template, lookup_adjoint
from ..syntax.naming import Namer
from . import runtime_refs
from .loops import differentiate_loop
from .template import Template, compile_template

_ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
_COPY = Callee(None, Style.COPY)


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
    _refuse_untracked_effects(primal, active.varied, filename)
    _check_write_targets(primal.body, active.varied, [])
    _check_write_indices(primal.body, active.varied, filename, rank_analysis.integers(primal))
    builder = _Backward(namer, ranks.get(scalar_output=mode is not Mode.VJP), filename, primal.readable)
    builder.hypothesis = hypothesis
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
    elif rank_analysis.rank_of(output, ranks.get(scalar_output=False)) != 0:
        # A scalar output proven without assuming it (a full reduction) needs no run-time check,
        # so computing the output value itself is dead code unless a rule reads it.
        body.append(runtime_refs.check_op("ensure_scalar", [output, Const(fn_label)], line=None))
    if isinstance(output, Var) and active.is_active(output):
        builder.adjoints[output] = seed
        builder.sweep(body, active)
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

    def child(self) -> _Backward:
        """A builder for one branch: its own ops, adjoints starting from the current ones."""
        branch = _Backward(self.namer, self.ranks, self.filename, self.user_vars)
        branch.readable = self.readable
        branch.hypothesis = self.hypothesis
        branch.adjoints = dict(self.adjoints)
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

    def zero(self, var: Var) -> Var:
        """A branch that gives `var` no contribution, merged with one that does, yields a real zero.

        A proven scalar's zero is `0.0` (Python's weak float: adding it keeps any float type),
        marked as an adjoint's zero so that the optimizer may drop it from the sums it enters.
        """
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
        rule = lookup_adjoint(op.callee.key)
        if rule is None:
            raise self.no_rule(op)
        template = cached_template(rule, compile_template)
        try:
            bound = rule.bind(op.args, op.kwargs, RULE_OPERANDS)
        except TypeError as exc:
            raise NoAdjointRuleError(
                f"the derivative rule for `{op.callee}` does not accept this call ({exc})",
                self.location(op), f"call of `{op.callee}`") from None
        # A `*args` parameter binds a tuple: it is wanted when any of its items is active.
        wanted = {name for name, operand in bound.items()
                  if any(active.is_active(o) for o in (operand if isinstance(operand, tuple) else (operand,)))}
        for name in sorted(wanted - set(template.contributions)):
            if name not in rule.nondiff:
                raise NoAdjointRuleError(
                    f"the derivative rule for `{op.callee}` gives no derivative with respect to its "
                    f"argument `{name}`, which depends on the differentiated input",
                    self.location(op), f"argument `{name}` of `{op.callee}`")
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
            self.accumulate(operand, contribution, op.line)

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
                     line=op.line, sweep=Sweep.ADJOINT)
            new.replace_uses(mapping)
            mapping[t_op.result] = new.result
            if isinstance(input_var, Var) and input_var in self.user_vars:
                self.readable.add(new.result)
            self.ops.append(new)
        return {name: substitute(v, mapping) for name, v in contributions.items()}

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
        return _no_rule(op, self.filename)


def _no_rule(op: Op, filename: str) -> NoAdjointRuleError:
    callee = op.callee
    if callee.style is Style.CALL_VALUE or isinstance(callee.key, types.FunctionType):
        msg = ("calls to user-defined Python functions are not supported yet; inline the function, "
               "or register its derivative with @adtransform.adjoint")
    elif callee.style in (Style.TUPLE, Style.LIST):
        msg = "tuples and lists of differentiated values are not supported yet"
    else:
        msg = (f"no derivative rule is registered for `{callee}`; register one with "
               f"@adtransform.adjoint({callee})")
    what = f"call of `{callee}`" if callee.style in (Style.FUNCTION, Style.METHOD, Style.CALL_VALUE) \
        else f"`{callee}`"
    return NoAdjointRuleError(msg, Location(filename, op.line or 0, op.col), what)


def _one_check(single: str, several: str, params: list[Var]) -> Op:
    """`single(x, 'x')` for one parameter, `several('x y', x, y)` for more: one call per
    function, since a call costs more than the common case's type test."""
    if len(params) == 1:
        return runtime_refs.check_op(single, [params[0], Const(params[0].name)], line=None)
    return runtime_refs.check_op(several, [Const(" ".join(v.name for v in params)), *params], line=None)


def _refuse_untracked_effects(fn: Function, varied: set[Var], filename: str) -> None:
    """A call that changes an argument in place (`lst.append(v)`, `y.sort()`, `np.put(y, i, v)`, an
    unknown function) works on a copy bound to the name it changes (canonicalize/effects.py), but
    no rule says how the changed value depends on the old one and on the other arguments: with any
    of them differentiated its derivative would be silently wrong, so the call is refused. The facts
    registry says which calls change which arguments; an undeclared call may change all of them."""
    # Global arrays the function reads (a view of one may be read by the backward sweep too).
    arrays = [o.ref.spelling for op in walk(fn.body) if isinstance(op, Op) and op.sweep is not Sweep.CHECK
              for o in op.operands() if isinstance(o, Global) and isinstance(o.ref.obj, (np.ndarray, list))]
    for op in walk(fn.body):
        if not isinstance(op, Op) or op.sweep is Sweep.CHECK:
            continue
        if arrays and may_change_globals(op):
            raise NoAdjointRuleError(
                f"`{op.callee}` may change the global `{arrays[0]}`, which the backward sweep reads after the "
                f"function has run; if it changes none, say so with `adtransform.declare_facts({op.callee}, "
                f"returns=...)`", Location(filename, op.line or 0, op.col), f"call of `{op.callee}`")
        if not any(a in varied for a in op.uses()) or not changed_operands(op):
            continue
        if op.result is not None and not facts_of(op).known and lookup_adjoint(op.callee.key) is None:
            raise _no_rule(op, filename)  # an unknown function of a differentiated value
        writes_out = op.kwargs.get("out", Const(None)) != Const(None)
        what = "`out=`" if writes_out else f"call of `{op.callee}` for its effect"
        advice = "" if facts_of(op).known else (
            f"; if `{op.callee}` changes none of its arguments, say so with "
            f"`adtransform.declare_facts({op.callee}, returns=..., mutates=())`")
        raise NoAdjointRuleError(
            f"`{op.callee}` changes its argument in place, which the compiler cannot follow through a "
            f"value that depends on the differentiated input; compute a new value instead "
            f"(`y = np.sort(y)`, `lst = lst + [v]`){advice}", Location(filename, op.line or 0, op.col), what)


def _check_write_indices(block: list[Stmt], varied: set[Var], filename: str, ints: set[Var]) -> None:
    """Before `a[index] = v` with `v` varied and an index that may name an element twice (an index
    array), check at run time that it does not: NumPy leaves unsaid which value stays there."""
    for at in reversed(range(len(block))):
        stmt = block[at]
        if isinstance(stmt, If):
            _check_write_indices(stmt.then_body, varied, filename, ints)
            _check_write_indices(stmt.else_body, varied, filename, ints)
        elif isinstance(stmt, Loop):
            _check_write_indices(stmt.body, varied, filename, ints)
        elif stmt.callee.key is INDEX_UPDATE.key and isinstance(stmt.args[2], Var) and stmt.args[2] in varied \
                and not _basic_index(stmt.args[1], ints):
            where = f"{Location(filename, stmt.line or 0, stmt.col)}: `{stmt.args[0].name}[index] = value`"
            block.insert(at, runtime_refs.check_op("ensure_distinct_slots", [stmt.args[0], stmt.args[1], Const(where)],
                                                   line=stmt.line))


def _basic_index(index: Operand, ints: set[Var]) -> bool:
    """Integers, slices, `None` and `...` only: such an index never names an element twice."""
    items = index.items if isinstance(index, Index) else [index]
    for item in items:
        if isinstance(item, Const):
            values = item.value if isinstance(item.value, tuple) else (item.value,)
            if not all(v is None or v is Ellipsis or isinstance(v, slice)
                       or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
                return False
        elif not (isinstance(item, SliceItem) or item in ints):
            return False
    return True


def _check_write_targets(block: list[Stmt], varied: set[Var], loops: list[tuple[Loop, list[Stmt]]]) -> None:
    """Before `a[i] = v` with `v` varied, check once that `a` holds floats (an integer array would
    truncate `v`: its derivative would be silently lost). Loops do not change an array's dtype, so
    the check of a loop-carried array goes before the outermost loop, on the array it starts from."""
    checks: list[tuple[Op, Stmt, list[Stmt]]] = []
    for stmt in block:
        if isinstance(stmt, If):
            _check_write_targets(stmt.then_body, varied, loops)
            _check_write_targets(stmt.else_body, varied, loops)
        elif isinstance(stmt, Loop):
            _check_write_targets(stmt.body, varied, [*loops, (stmt, block)])
        elif stmt.callee.key is INDEX_UPDATE.key and isinstance(stmt.args[2], Var) and stmt.args[2] in varied:
            root, level, before, where = stmt.args[0], len(loops), stmt, block
            while level and isinstance(root, Var):
                loop, outer = loops[level - 1]
                carried = next((c for c in loop.carried if c.param is root), None)
                if carried is None:
                    break
                root, level, before, where = carried.init, level - 1, loop, outer
            if isinstance(root, Var):
                check = runtime_refs.check_op("ensure_float_target", [root, Const(root.name)], line=stmt.line)
                checks.append((check, before, where))
    for check, before, where in checks:
        if not any(isinstance(s, Op) and s.callee == check.callee and s.args == check.args for s in where):
            where.insert(next(i for i, s in enumerate(where) if s is before), check)

