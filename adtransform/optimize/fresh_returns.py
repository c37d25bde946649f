"""Make returned gradients safe to hand to the caller.

Guarantees: no returned gradient is (a view of) a parameter or a global, so a
caller may update it in place without changing its inputs; every gradient has
its parameter's dtype (the user's code may promote a float32 parameter to
float64 along the way); a constant gradient also has its parameter's shape.
Requires: runs after copy propagation and algebra, which can turn
`x_bar = 1.0 * W` into `x_bar = W`.
"""

from __future__ import annotations

from ..ad import runtime_refs
from ..ir.nodes import Const, Function, Global, If, Loop, Op, Operand, Style, Sweep, Var, flatten, walk
from ..rules.registry import lookup_facts
from ..syntax.naming import Namer
from .purity import is_fresh, shape_only


def transform(fn: Function, namer: Namer) -> bool:
    producers: dict[Var, Op | If] = {}
    for stmt in walk(fn.body):
        for var in stmt.defines():
            producers[var] = stmt
    params = set(fn.param_vars())
    changed = False
    for position, param in fn.gradient_of.items():
        ret = fn.returns[position]
        if isinstance(ret, Const):
            fn.returns[position] = _emit(fn, namer, "full_like", [param, ret], param)
            changed = True
        elif _may_alias_input(ret, producers, params):
            fn.returns[position] = _emit(fn, namer, "copy_gradient", [ret, param], param)
            changed = True
        elif not _is_cast(ret, producers):
            fn.returns[position] = _emit(fn, namer, "as_gradient", [ret, param], param)
            changed = True
    return changed


def _is_cast(value: Operand, producers: dict[Var, Op | If]) -> bool:
    """Made by this pass already (it runs to a fixed point with the others)."""
    op = producers.get(value) if isinstance(value, Var) else None
    return isinstance(op, Op) and op.callee.key in (runtime_refs.runtime.as_gradient,
                                                     runtime_refs.runtime.copy_gradient,
                                                     runtime_refs.runtime.full_like)


def _may_alias_input(value: Operand, producers: dict[Var, Op | If], params: set[Var]) -> bool:
    """Whether `value` may be (a view of) a parameter or a global: followed back through copies,
    views, branches and loops; a call whose facts do not say its result is new may return any
    argument."""
    pending, seen = [value], set()
    while pending:
        value = pending.pop()
        if not isinstance(value, (Var, Global)) or value in seen:
            continue
        seen.add(value)
        if isinstance(value, Global) or value in params:
            return True
        region = producers.get(value)
        if isinstance(region, If):
            i = region.results.index(value)
            pending += [region.then_values[i], region.else_values[i]]
        elif isinstance(region, Loop):
            c = next(c for c in region.carried if c.result is value)
            pending += [v for v in (c.init, c.next) if v is not c.param]
        elif isinstance(region, Op):
            pending += _sources(region)
    return False


def _sources(op: Op) -> list[Operand]:
    """The operands `op`'s result may share memory with."""
    style = op.callee.style
    if style is Style.OPERATOR or (style is Style.ATTRIBUTE and lookup_facts(op.callee.key).fresh) or is_fresh(op):
        return []
    if style in (Style.COPY, Style.SUBSCRIPT, Style.ATTRIBUTE, Style.STORE, Style.ADD_INTO):
        return [op.args[0]]
    operands = [*op.args, *op.kwargs.values()]  # (one read only for its shape is never returned)
    return [o for i, a in enumerate(operands) if not shape_only(op, i) for o in flatten(a)]


def _emit(fn: Function, namer: Namer, helper: str, args: list[Operand], param: Var) -> Var:
    result = Var(namer.fresh(f"{param.name}_grad"))
    fn.body.append(Op(result, runtime_refs.callee(helper), args, sweep=Sweep.ADJOINT))
    return result
