"""Reverse mode for calls whose keywords change the rule that differentiates them (rules/keywords.py).

`np.sum(x, where=m)` is differentiated by its keyword variant's rule; a ufunc's own keywords
(`dtype=`, `casting=`, `order=`, `subok=`) are taken out before the elementwise rule binds the call,
and with `dtype=` each contribution is cast back to its input's dtype (`as_gradient`), since the
ufunc computed in another precision than its inputs have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Location, Problem
from ..ir.nodes import Op, Operand
from ..ir.operands import known_value
from ..rules.keywords import keyword_variant, ufunc_keywords

__all__ = ["Keywords", "read_keywords"]


@dataclass
class Keywords:
    key: Any                      # the primitive whose rule differentiates the call
    kwargs: dict[str, Operand]    # the keywords that rule binds
    cast: bool                    # cast each contribution to its input's dtype
    problem: Problem | None       # why the call is refused


def read_keywords(op: Op, key: Any, filename: str) -> Keywords:
    """How `op` (whose rule would be `key`'s) is differentiated, given its keywords."""
    ufunc = ufunc_keywords(key, op.kwargs, known_value)
    if ufunc.refused is not None:
        problem = Problem(Location(filename, op.line or 0, op.col), f"call of `{op.callee}`", ufunc.refused)
        return Keywords(key, op.kwargs, False, problem)
    return Keywords(keyword_variant(key, ufunc.kwargs, known_value), ufunc.kwargs, ufunc.cast, None)
