"""`in_place_result(new, old)` (`y op= v`) where `old` is provably no array: the plain `new`.

canonicalize/aug_assign.py lowers every `y op= v` to `y = in_place_result(y op v, y)`, which keeps
NumPy's in-place contract for arrays and returns `new` for anything else. A scalar loop
(`s += x[t] * w[t]`) would call it once per step for nothing. A value of rank 0 is no array when
it is a constant, an operator's result (NumPy's arithmetic on a 0-d array gives a scalar), an
item read with an index, a `math` function's result, or an `in_place_result` of such a value;
through loops and branches when every value flowing in is one. A parameter, or what a NumPy
function returns, may be a 0-d array, whose contract (its dtype, staying an array) still holds.

Requires: the ranks this version of the derivative relies on. Guarantees: each rewritten call
returned `new` on every call the version serves.
"""

from __future__ import annotations

from ..analysis.rank import Ranks
from ..ir.nodes import Callee, Const, Function, If, Index, Loop, Op, Style, Var, walk
from ..runtime.inplace import in_place_result

_COPY = Callee(None, Style.COPY)


def resolve(fn: Function, ranks: Ranks) -> bool:
    """Rewrite the calls whose `old` is no array under `ranks`; whether any was."""
    scalars = _no_arrays(fn, ranks)
    changed = False
    for op in walk(fn.body):
        if isinstance(op, Op) and op.callee.key is in_place_result and isinstance(op.args[1], Var) \
                and op.args[1] in scalars:
            op.callee, op.args, op.kwargs = _COPY, [op.args[0]], {}
            changed = True
    return changed


def _no_arrays(fn: Function, ranks: Ranks) -> set[Var]:
    """The values of rank 0 that are no array: the largest set closed under the rules above (a loop's
    value is one when its entering value and every next one are)."""
    flows = _flows(fn)
    calls = {op.result: op for op in walk(fn.body) if isinstance(op, Op) and op.callee.key is in_place_result}
    fixed = {op.result for op in walk(fn.body) if isinstance(op, Op) and _never_array(op)}
    inside = {v for v, r in ranks.items() if isinstance(v, Var) and r == 0 and (v in fixed or v in flows or v in calls)}
    while True:
        wrong = {v for v in inside if v not in fixed and not (
            all(_is_scalar(o, inside) for o in flows[v]) if v in flows
            else _is_scalar(calls[v].args[0], inside) and _is_scalar(calls[v].args[1], inside))}
        if not wrong:
            return inside
        inside -= wrong


def _never_array(op: Op) -> bool:
    if op.callee.style is Style.OPERATOR:
        return True  # (rank 0: NumPy's arithmetic on 0-d arrays gives scalars)
    if op.callee.style is Style.SUBSCRIPT:  # an item: `x[i]` (not `a[...]` of a 0-d array, a 0-d view)
        index = op.args[1]
        items = index.items if isinstance(index, Index) else index.value if isinstance(index, Const) \
            and isinstance(index.value, tuple) else (index,)
        return all(isinstance(i, Var) or (isinstance(i, Const) and type(i.value) is int) or type(i) is int
                   for i in items)
    return op.callee.style is Style.FUNCTION and getattr(op.callee.key, "__module__", None) == "math"


def _is_scalar(operand: object, inside: set[Var]) -> bool:
    if isinstance(operand, Const):
        return type(operand.value) in (int, float, bool)
    return isinstance(operand, Var) and operand in inside


def _flows(fn: Function) -> dict[Var, list[object]]:
    """For each copy's, loop's and branch's value, the operands flowing into it."""
    flows: dict[Var, list[object]] = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Op) and stmt.callee.style is Style.COPY and stmt.result is not None:
            flows.setdefault(stmt.result, []).append(stmt.args[0])
        elif isinstance(stmt, Loop):
            for c in stmt.carried:
                flows.setdefault(c.param, []).extend((c.init, c.next))
                flows.setdefault(c.result, []).extend((c.init, c.next))
        elif isinstance(stmt, If):
            for r, a, b in zip(stmt.results, stmt.then_values, stmt.else_values):
                flows.setdefault(r, []).extend((a, b))
    return flows
