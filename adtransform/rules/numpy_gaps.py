"""Reverse rules for the NumPy calls issue 13 item 1 left refused: masked reductions (`where=` on
`np.sum` / `np.mean` and their methods), the two-output ufuncs, `np.partition`,
`np.broadcast_arrays` and `np.block`.

Contract: see rules/notation.py. A masked sum or mean is differentiated by its keyword variant
(rules/keywords.py): the rule of the common call, without a mask, stays as it was.
"""

import numpy as np

from ..runtime import unbroadcast
from ..runtime.gaps import masked_mean_adjoint, masked_sum_adjoint
from .keywords import declare_keyword_variant
from .notation import FLOAT_DTYPE, adjoint, d, declare_facts
from .registry import Kind, Returns


def masked_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    """`np.sum(a, ..., where=m)`: the primitive whose rule differentiates a masked sum."""
    return np.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial, where=where)


def masked_mean(a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    """`np.mean(a, ..., where=m)`: the primitive whose rule differentiates a masked mean."""
    return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)


@adjoint(masked_sum, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def sum_masked(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=0, where=True):
    # The mask is boolean (piecewise constant even when computed from `a`): the unselected elements get 0.
    d[a] = masked_sum_adjoint(d[y], a, axis, keepdims, where)
    d[initial] = unbroadcast(d[y], initial)


@adjoint(masked_mean, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def mean_masked(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, where=True):
    d[a] = masked_mean_adjoint(d[y], a, axis, keepdims, where)


for _primitive in (np.sum, np.ndarray.sum):
    declare_keyword_variant(_primitive, "where", masked_sum)
for _primitive in (np.mean, np.ndarray.mean):
    declare_keyword_variant(_primitive, "where", masked_mean)

declare_facts(masked_sum_adjoint, masked_mean_adjoint, returns=Returns.NEW)
