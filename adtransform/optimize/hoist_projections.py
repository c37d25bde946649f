"""Products of a fixed matrix with the rows a loop reads become one product before the loop.

    for t in range(T):                         U_x = matmul_rows(U, x, 0, T, 1)
        x_item = x[t]                   ->     for t in range(T):
        proj = U @ x_item                          proj = U_x[t]
        h = np.tanh(W @ h + proj)                  h = np.tanh(W @ h + proj)

Why: the input projections of a recurrent network do not depend on the
recurrence. Per step they are one small matrix-vector product each, paid with
Python and NumPy call overhead; before the loop they are one GEMM over the
stacked rows (`x @ U.T`), as backpropagation through time written by hand
computes them. Reverse mode then differentiates one primitive instead of one
product per step: the backward loop only collects `proj`'s adjoints into the
rows of `U_x`'s adjoint (scatter_in_place writes them into one buffer, and no
step has to record `x[t]` or the product), and after it U's gradient is one
GEMM over all steps (`U_x_bar.T @ x`).

Why a runtime helper rather than `x @ U.T`: which batched product equals
`U @ x[t]` row by row depends on ranks the compiler does not know (`x @ U.T`
for rows that are vectors, `U @ x` with broadcasting for rows that are
matrices, none at all for scalars or lists), and the product must not raise
where the loop would not (a loop that does not run, a range visiting rows the
shapes of which the product cannot take). `matmul_rows(U, x, start, stop, step)`
(runtime/rows.py) takes the loop's own range: it computes nothing for a loop
that does not run, one product over exactly the visited rows for the plain
shapes (all of `x`, unindexed, for a range covering it), and otherwise the rows
one by one as the loop would, raising what the loop raises at its first step.
Its rule (rules/runtime.py) is registered through the public `@adjoint` API.
`x[t] @ V` becomes `rows_matmul(x, V, ...)` alike.

Cost: the product covers only the rows the range visits, so a loop that runs
over few rows pays for few. A loop that may stop early (`break`, an early
`return`) could pay for rows it never reaches: canonicalization guards the
rest of such a loop's body by a flag, and only operations at the top level of
the body (run in every iteration the range makes) are rewritten, so such loops
keep their per-step products.

`np.matmul(U, x[t])` and `np.dot(U, x[t])` are the same projection spelled as
a call, and cost the same per step, so they are moved too, but each keeps its
own semantics: np.matmul is `@` for arrays only (`@` dispatches to the
`__matmul__` of other operands), so `matmul_rows` is handed `np.matmul` to call
on its row-by-row path; np.dot contracts other axes than `@` once an operand
has more than two dimensions, so it has helpers of its own (`dot_rows`,
`rows_dot`) whose one-product path stops at rows of rank 2 and whose
row-by-row path calls np.dot and is differentiated by np.dot's adjoints. The
method `U.dot(x[t])` is np.dot too (methods are ndarray's: lowering assumes so).

Applies to a `range` loop whose body has no operation with effects (they could
change `x` or `U` behind SSA's back), and to `P = U @ xt` (or np.matmul, np.dot,
with two positional arguments) at the top level of its body where `xt = x[t]`
(also at the top level) indexes `x` by the loop's target alone, and `U` and `x`
are defined outside the loop (or globals).

Requires: nothing (runs with the primal passes, after LICM so that invariant
operands computed in the body are outside it). Guarantees: every rewritten
product reads the same value as before (up to the order of floating-point
additions inside the product); `x[t]` stays where something else reads it.
"""

from __future__ import annotations

import operator

import numpy as np

from ..ad import runtime_refs
from ..analysis.manager import PassContext
from ..ir.nodes import Const, Function, Global, If, Index, Loop, LoopKind, Op, Operand, Stmt, Style, Var, blocks
from ..syntax.naming import Namer
from .licm import invariant
from .purity import is_pure

_GETITEM_KEY = operator.getitem


def transform(fn: Function, cx: PassContext) -> bool:
    namer = cx.namer
    changed = False
    for block in list(blocks(fn.body)):
        for loop in [s for s in block if isinstance(s, Loop)]:
            changed |= _hoist(loop, block, namer)
    return changed


def _hoist(loop: Loop, block: list[Stmt], namer: Namer) -> bool:
    if loop.kind is not LoopKind.RANGE or loop.target is None or len(loop.iter_args) != 3:
        return False
    if not all(is_pure(s) for s in loop.body if isinstance(s, (Op, If, Loop))):
        return False
    inner = loop.inner()
    rows = {s.result: s.args[0] for s in loop.body if _is_row_read(s, loop.target) and invariant(s.args[0], inner)}
    before: list[Op] = []
    for op in loop.body:
        helpers = _helpers(op) if isinstance(op, Op) else None
        if helpers is None:
            continue
        fixed_left, fixed_right, called = helpers
        left, right = op.args
        if right in rows and invariant(left, inner) and left is not rows[right]:
            helper, args = fixed_left, [left, rows[right]]
        elif left in rows and invariant(right, inner) and right is not rows[left]:
            helper, args = fixed_right, [rows[left], right]
        else:
            continue
        product = Var(namer.fresh(f"{_name(args[0])}_{_name(args[1])}"))
        before.append(Op(product, runtime_refs.callee(helper), [*args, *loop.iter_args, *called],
                         line=op.line, col=op.col))
        subscript = next(s for s in loop.body if isinstance(s, Op) and s.result in (left, right) and s.result in rows)
        op.callee = subscript.callee
        op.args = [product, Index((loop.target,), False)]
    if not before:
        return False
    at = next(i for i, s in enumerate(block) if s is loop)
    block[at:at] = before
    return True


def _helpers(op: Op) -> tuple[str, str, list[Operand]] | None:
    """For a product the pass moves: its helpers for a fixed left and a fixed right operand, and
    the arguments that tell the helper which function the loop called."""
    if op.result is None or len(op.args) != 2 or op.kwargs:
        return None
    callee = op.callee
    if callee.style is Style.OPERATOR and callee.key is operator.matmul:
        return "matmul_rows", "rows_matmul", []
    if callee.style is Style.METHOD and callee.key is np.ndarray.dot:  # `U.dot(x[t])`: np.dot(U, x[t])
        return "dot_rows", "rows_dot", []
    if callee.style is not Style.FUNCTION or callee.ref is None:
        return None
    if callee.key is np.matmul:
        return "matmul_rows", "rows_matmul", [Global(callee.ref)]
    if callee.key is np.dot:
        return "dot_rows", "rows_dot", []
    return None


def _is_row_read(stmt: Stmt, target: Var) -> bool:
    """`x[t]`: a subscript by the loop's target alone."""
    return isinstance(stmt, Op) and stmt.result is not None and stmt.callee.style is Style.SUBSCRIPT \
        and stmt.callee.key is _GETITEM_KEY and len(stmt.args) == 2 and not stmt.kwargs \
        and stmt.args[1] == Index((target,), False)


def _name(operand: Operand) -> str:
    if isinstance(operand, Var):
        return operand.name
    if isinstance(operand, Global):
        return operand.ref.path[-1]
    return "rows" if not isinstance(operand, Const) else "const"
