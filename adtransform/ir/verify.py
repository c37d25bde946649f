"""Check the IR's invariants: every Var is defined once, before it is used.

Run between passes in tests and when ADTRANSFORM_VERIFY=1, so a pass that
breaks SSA fails at the pass, not as a wrong gradient three stages later.
"""

from __future__ import annotations

from .nodes import Function, Var
from .printer import format_op


class IRVerificationError(AssertionError):
    pass


def verify(fn: Function) -> None:
    defined: set[Var] = set(fn.param_vars())
    if fn.pullback_param is not None:
        defined.add(fn.pullback_param)
    if len(defined) != len(fn.params) + (fn.pullback_param is not None):
        raise IRVerificationError(f"{fn.name}: duplicate parameter")
    names = {v.name for v in defined}
    for op in fn.body:
        for use in op.uses():
            if use not in defined:
                raise IRVerificationError(f"{fn.name}: {use!r} used before definition in `{format_op(op)}`")
        if op.result is not None:
            if op.result in defined:
                raise IRVerificationError(f"{fn.name}: {op.result!r} defined twice")
            if op.result.name in names:
                raise IRVerificationError(f"{fn.name}: name {op.result.name!r} given to two values")
            defined.add(op.result)
            names.add(op.result.name)
    for ret in fn.returns:
        if isinstance(ret, Var) and ret not in defined:
            raise IRVerificationError(f"{fn.name}: returns undefined {ret!r}")
