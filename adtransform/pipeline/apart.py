"""The call-time checks that an argument updated in place shares memory with nothing else the function
reads: another argument (`f(a, a)`, a dict whose two entries are one array) or data read from a global,
a closure cell or a callee's module (`f(G)` where the function also reads `G`). The compiler reads the
update as a new value, NumPy's changes the other too: such a call is refused (runtime ensure_apart).

Only parameters updated in place get a check: the common function pays nothing.
"""

from __future__ import annotations

import types

import numpy as np

from ..ad import runtime_refs
from ..errors import TransformError
from ..frontend.context import Context
from ..frontend.resolve import Ref, Scope
from ..ir.nodes import Const, Function, Global, Op, Operand, walk

# Objects a function reads that hold no array data it could also be handed.
_NO_DATA = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
            np.ufunc, np.dtype, str, bytes, int, float, complex, bool, type(None), np.generic)


def apart_checks(primal: Function, ctx: Context, apart: dict[str, TransformError]) -> list[Op]:
    """`ensure_apart(refusal, 'a\\nb\\n^G', a, b, G)` for each parameter (or leaf of one) updated in place:
    the call is refused when it shares memory with another argument or with data read from outside
    (`^` marks a global's name)."""
    params = primal.param_vars()
    updated = [var for var in params if ctx.leaf_owner.get(var.name, var.name) in apart]
    outside = _data_read(primal) if updated else []
    checks = []
    for index, var in enumerate(updated):
        owner = ctx.leaf_owner.get(var.name, var.name)
        others: list[Operand] = [v for v in params if v is not var and v not in updated[:index]]  # (each pair once)
        others += outside
        if others:
            ref = Ref((f"{owner}_shared_refusal",), apart[owner], Scope.INJECTED, apart[owner])
            spelled = [("^" + v.ref.spelling) if isinstance(v, Global) else ctx.spellings.get(v.name, v.name)
                       for v in [var, *others]]  # (as the user reads them)
            names = "\n".join(spelled)
            checks.append(runtime_refs.check_op("ensure_apart", [Global(ref), Const(names), var, *others], line=None))
    return checks


def _data_read(primal: Function) -> list[Global]:
    """The globals (closure cells, callees' module attributes) the function reads that may hold arrays:
    arrays, containers, objects with attributes; read again at each call by the check."""
    found: dict[Ref, Global] = {}
    for stmt in walk(primal.body):
        for operand in stmt.operands():
            if isinstance(operand, Global) and not isinstance(operand.ref.obj, _NO_DATA) \
                    and not callable(operand.ref.obj) and operand.ref not in found:
                found[operand.ref] = operand
    return list(found.values())
