"""How generated code refers to the runtime helpers (`unbroadcast`, the checks)."""

from __future__ import annotations

from .. import runtime
from ..frontend.resolve import Ref, Scope
from ..ir.nodes import Callee, Op, Operand, Style, Sweep

# Helper -> positions of arguments it reads only for their shape and dtype.
SHAPE_ONLY_ARGUMENTS = {
    runtime.unbroadcast: (1,),
    runtime.unreduce: (1,),
    runtime.reduced_size: (0,),
    runtime.zeros_like: (0,),
    runtime.getitem_adjoint: (1,),
    runtime.slot_adjoint: (2,),
}


def callee(helper: str) -> Callee:
    obj = getattr(runtime, helper)
    return Callee(obj, Style.FUNCTION, ref=Ref((helper,), obj, Scope.INJECTED, obj))


def check_op(helper: str, args: list[Operand], line: int | None) -> Op:
    return Op(None, callee(helper), list(args), line=line, sweep=Sweep.CHECK)
