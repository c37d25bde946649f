"""Helpers of the rules in rules/numpy_gaps.py: masked sums and means (`where=`), the two-output
ufuncs (`divmod`, `modf`, `frexp`), `np.partition`, `np.broadcast_arrays` and `np.block`.

Each takes the output's adjoint `g` (for a tuple result, the list of its items' adjoints, None where
nothing flowed) and the arguments as NumPy received them. Constants are Python floats (weak in NumPy's
promotion), so float32 inputs keep their dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .broadcast import adjoint_dtype
from .reductions import _in_shape, kept


def masked_sum_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, where: Any = True) -> Any:
    """`np.sum(a, axis, where=m)`: each selected element gets the adjoint of its output, the others 0."""
    x = np.asarray(a)
    out = np.where(where, kept(g, x.ndim, axis, keepdims), 0.0)
    return _in_shape(out, x, adjoint_dtype(g, x))


def masked_mean_adjoint(g: Any, a: Any, axis: Any = None, keepdims: Any = False, where: Any = True) -> Any:
    """`np.mean(a, axis, where=m)`: each selected element gets its output's adjoint over the count of
    elements selected along `axis`, the others 0. An output with none selected is NaN (as NumPy's):
    no element of `a` reaches it."""
    x = np.asarray(a)
    mask = np.broadcast_to(where, x.shape)
    count = np.sum(mask, axis=axis, keepdims=True)
    out = np.where(mask, kept(g, x.ndim, axis, keepdims) / np.maximum(count, 1), 0.0)
    return _in_shape(out, x, adjoint_dtype(g, x))
