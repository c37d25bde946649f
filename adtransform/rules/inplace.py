"""The in-place contract of `y op= v` and of index writes (runtime/inplace.py), as primitives.

`y = in_place_result(y op v, y, symbol=op)`: the operation's own rule differentiates `y op v`;
this one passes the adjoint through the cast to `y`'s dtype (a derivative of 1: the gradient
of the value f computes, rounded as f rounds it) and nothing to the old `y` directly. Its result
has the shape of `y op v` (or it raises), so the adjoint needs no unbroadcast, and rank analysis
takes it as elementwise (analysis/rank.py).
"""

from ..runtime import copy_like, in_place_result
from .notation import adjoint, d, declare_facts
from .registry import Returns


@adjoint(in_place_result, nondiff=("old", "symbol", "layout"), returns=Returns.VIEW)
def in_place_result_rule(y, new, old, symbol, layout=True):
    d[new] = d[y]


declare_facts(copy_like, returns=Returns.NEW)
