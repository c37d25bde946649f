"""Dead code elimination: drop pure operations whose results nobody reads.

Requires: nothing. Guarantees: every remaining pure op's result is used by a
later op or returned. Calls of unknown functions stay (they may print or draw
random numbers, as the user's function did).
"""

from __future__ import annotations

from ..ir.nodes import Function, Var
from .purity import is_pure


def transform(fn: Function) -> bool:
    live: set[Var] = {r for r in fn.returns if isinstance(r, Var)}
    kept = []
    for op in reversed(fn.body):
        if op.result is not None and op.result not in live and is_pure(op):
            continue
        live.update(op.uses())
        kept.append(op)
    kept.reverse()
    changed = len(kept) != len(fn.body)
    fn.body = kept
    return changed
