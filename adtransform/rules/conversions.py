"""Functions that convert a list argument with `np.asarray` first: `np.var([a, b])` is
`np.var(np.asarray([a, b]))`, and so are NumPy's other reductions, the ufuncs, np.linalg.norm, the
products (`np.dot`, `np.cross`, ...) and the shape functions (`np.transpose`, `np.flip`, ...).

Reverse mode (ad/sequences.py) gives such a call, passed a list or tuple of differentiated values the
function built, the array made of it (`sequence_array`, whose rule hands each item its part of the
adjoint), and the function's rule for arrays differentiates the rest. Functions taking sequences
otherwise (`np.concatenate`, `np.stack`, `np.block`: their own rules) or reducing lists by rules of their
own (`np.sum`, `np.mean`: rules/sequences.py) are not declared here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime.gaps import sequence_array
from ..runtime.sequences import array_adjoint
from .notation import adjoint, d
from .registry import Returns
from .tuples import declare_takes_tuple

__all__ = ["converted", "declare_converts"]

_CONVERTS: dict[Any, tuple[int | str, ...]] = {}


def declare_converts(*primitives: Any, parameters: tuple[int | str, ...] = (0, "a")) -> None:
    """Declare primitives that convert the arguments at these positions or names with `np.asarray`."""
    for primitive in primitives:
        _CONVERTS[primitive] = parameters


def converted(key: Any) -> tuple[int | str, ...]:
    """The positions and names of the arguments `key` converts with `np.asarray` (a ufunc: its inputs)."""
    if isinstance(key, np.ufunc):
        return tuple(range(key.nin))
    try:
        return _CONVERTS.get(key, ())
    except TypeError:  # (an unhashable key)
        return ()


@adjoint(sequence_array, returns=Returns.NEW)
def sequence_array_rule(y, seq):
    d[seq] = array_adjoint(d[y], seq)


declare_takes_tuple(sequence_array)

declare_converts(
    np.var, np.std, np.prod, np.max, np.amax, np.min, np.amin, np.ptp, np.median, np.nansum, np.nanmean,
    np.nanvar, np.nanstd, np.nanprod, np.nanmax, np.nanmin, np.nanmedian, np.cumsum, np.cumprod, np.nancumsum,
    np.nancumprod, np.partition,
)
declare_converts(np.cumulative_sum, np.cumulative_prod, parameters=(0, "x"))
declare_converts(np.average, parameters=(0, "a", 2, "weights"))
declare_converts(np.quantile, np.percentile, parameters=(0, "a", 1, "q"))
declare_converts(np.linalg.norm, parameters=(0, "x"))
# Products, and the shape functions, of arrays given as lists (`np.dot([a, b], w)`, `np.cross(u, [x, y, z])`).
declare_converts(np.dot, np.inner, np.outer, np.tensordot, np.vdot, np.kron, np.cross, parameters=(0, "a", 1, "b"))
declare_converts(np.transpose, np.reshape, np.ravel, np.squeeze, np.roll, np.sort, np.trace, np.expand_dims,
                 np.swapaxes, np.moveaxis, np.repeat, np.diagonal)
declare_converts(np.flip, np.tril, np.triu, parameters=(0, "m"))
declare_converts(np.tile, parameters=(0, "A"))
declare_converts(np.pad, parameters=(0, "array"))
declare_converts(np.append, parameters=(0, "arr", 1, "values"))
