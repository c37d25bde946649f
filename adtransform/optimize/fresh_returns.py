"""Make returned gradients safe to hand to the caller.

Guarantees: no returned gradient is (a view of) a parameter, a global or another
returned gradient (`np.sum(x + y)` wrt both: one array twice), so a caller may
update each in place without changing its inputs or the others; every gradient has
its parameter's dtype (the user's code may promote a float32 parameter to
float64 along the way); a constant gradient also has its parameter's shape.
Requires: runs after copy propagation and algebra, which can turn
`x_bar = 1.0 * W` into `x_bar = W`.
Analyses: def-use (producers) and ownership (`may_alias_input`, `memory_of`).
"""

from __future__ import annotations

from ..ad import runtime_refs
from ..analysis import defuse, ownership
from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, If, Op, Operand, Sweep, Var
from ..syntax.naming import Namer


def transform(fn: Function, cx: PassContext) -> bool:
    namer = cx.namer
    producers = cx.analyses.get(defuse.analyze).producers
    own = cx.analyses.get(ownership.analyze)
    params = set(fn.param_vars())
    changed = False
    handed: set[Operand] = set()  # the memory of the gradients returned before this one
    for position, param in fn.gradient_of.items():
        ret = fn.returns[position]
        memory = own.memory_of(ret) if isinstance(ret, Var) and not _is_copy(ret, producers) else set()
        shared, handed = bool(memory & handed), handed | memory
        if isinstance(ret, Const):
            fn.returns[position] = _emit(fn, namer, "full_like", [param, ret], param)
            changed = True
        elif shared or (own.may_alias_input(ret, params) and not _is_copy(ret, producers)):
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


def _is_copy(value: Operand, producers: dict[Var, Op | If]) -> bool:
    """A new array this pass made (`as_gradient` may return its argument itself)."""
    op = producers.get(value) if isinstance(value, Var) else None
    return isinstance(op, Op) and op.callee.key in (runtime_refs.runtime.copy_gradient, runtime_refs.runtime.full_like)


def _emit(fn: Function, namer: Namer, helper: str, args: list[Operand], param: Var) -> Var:
    result = Var(namer.fresh(f"{param.name}_grad"))
    fn.body.append(Op(result, runtime_refs.callee(helper), args, sweep=Sweep.ADJOINT))
    return result
