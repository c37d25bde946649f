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
from ..ir.nodes import Const, Function, Global, If, Loop, Op, Operand, Style, Sweep, Var, walk
from ..syntax.naming import Namer

_VIEW_METHODS = {"T", "reshape", "transpose", "ravel", "view", "swapaxes"}


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
    while True:
        region = producers.get(value) if isinstance(value, Var) else None
        if isinstance(region, If):
            i = region.results.index(value)
            return any(_may_alias_input(v, producers, params) for v in (region.then_values[i], region.else_values[i]))
        if isinstance(region, Loop):
            c = next(c for c in region.carried if c.result is value)
            return any(_may_alias_input(v, producers, params) for v in (c.init, c.next) if v is not c.param)
        if isinstance(value, Global) or value in params:
            return True
        op = producers.get(value) if isinstance(value, Var) else None
        if op is None:
            return False
        style = op.callee.style
        is_view = style in (Style.COPY, Style.SUBSCRIPT) or (
            style in (Style.ATTRIBUTE, Style.METHOD) and op.callee.symbol in _VIEW_METHODS
        ) or getattr(op.callee.key, "__name__", "") in ("reshape", "transpose", "ravel")
        if not is_view:
            return False
        value = op.args[0]


def _emit(fn: Function, namer: Namer, helper: str, args: list[Operand], param: Var) -> Var:
    result = Var(namer.fresh(f"{param.name}_grad"))
    fn.body.append(Op(result, runtime_refs.callee(helper), args, sweep=Sweep.ADJOINT))
    return result
