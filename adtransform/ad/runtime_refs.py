"""How generated code refers to the runtime helpers (`unbroadcast`, the checks)."""

from __future__ import annotations

from .. import runtime
from ..frontend.resolve import Ref, Scope
from ..ir.nodes import Callee, Op, Operand, Style, Sweep


def callee(helper: str) -> Callee:
    obj = getattr(runtime, helper)
    return Callee(obj, Style.FUNCTION, ref=Ref((helper,), obj, Scope.INJECTED, obj))


def check_op(helper: str, args: list[Operand], line: int | None) -> Op:
    return Op(None, callee(helper), list(args), line=line, sweep=Sweep.CHECK)
