"""Copy propagation: uses of `a` where `a = b` read `b` instead, and the copy goes.

Requires: nothing. Guarantees: no copies into compiler temporaries remain.
Copies into values named after the user's variables (`z1_bar = z2`) are kept
on purpose: the generated code shows every adjoint the user may look for.
Where the copied value is a temporary read by nothing else, the operation
that made it takes the user's name instead (`sub_bar = 2.0 * s; T_bar =
sub_bar` -> `T_bar = 2.0 * s`): one line less to read, and in a loop one
binding less per iteration.
"""

from __future__ import annotations

from ..ir.nodes import (
    Function,
    If,
    Loop,
    Op,
    Operand,
    Stmt,
    Style,
    Var,
    blocks,
    read_counts,
    rewrite_region,
    substitute,
)

_WRITES = (Style.STORE, Style.ADD_INTO)  # their result is the array written into, spelled as it


def transform(fn: Function) -> bool:
    mapping: dict[Var, Operand] = {}
    fn.body = _propagate(fn.body, mapping, fn.readable)
    if mapping:
        fn.returns = [substitute(r, mapping) for r in fn.returns]
    return bool(mapping) | _coalesce(fn)


def _coalesce(fn: Function) -> bool:
    """A temporary read only by its copy into a user's name is made under that name."""
    reads = read_counts(fn)
    changed = False
    for block in list(blocks(fn.body)):
        made: dict[Var, Op] = {}
        kept: list[Stmt] = []
        for stmt in block:
            if isinstance(stmt, Op) and stmt.callee.style is Style.COPY and stmt.result in fn.readable:
                source = stmt.args[0]
                if isinstance(source, Var) and source in made and reads[source] == 1 and source not in fn.readable:
                    made.pop(source).result = stmt.result
                    changed = True
                    continue
            if isinstance(stmt, Op) and stmt.result is not None and stmt.callee.style not in _WRITES:
                made[stmt.result] = stmt
            kept.append(stmt)
        block[:] = kept
    return changed


def _propagate(body: list[Stmt], mapping: dict[Var, Operand], readable: set[Var]) -> list[Stmt]:
    kept: list[Stmt] = []
    for stmt in body:
        if isinstance(stmt, (If, Loop)):
            rewrite_region(stmt, mapping, lambda block: _propagate(block, mapping, readable))
        else:
            stmt.replace_uses(mapping)
            if stmt.callee.style is Style.COPY and stmt.result is not None and stmt.result not in readable:
                mapping[stmt.result] = stmt.args[0]
                continue
        kept.append(stmt)
    return kept
