"""Stand-ins for values read only for their shape and dtype (optimize/shape_witness.py decides where).

`broadcast_like('*', a, b)` replaces `a * b` (or `+`, `-`) whose every read asks only its shape and
dtype (`spread(g, a * b)`, `unbroadcast(g, a * b)`): a read-only view of one zero with the broadcast
shape of `a` and `b` and their result dtype, so the product is never computed. NumPy's own error
where they do not broadcast, so a program whose forward pass fails still fails there. Where the
dtype is not plainly a float array's (Python numbers on both sides, integers or booleans, which may
overflow or refuse the operator, lists, other objects), the operation is computed as written.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import accumulate

_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
#: Python integers this small convert to every float dtype (float16 included) without overflow
_SMALL_INT = 1024


def _plain(v: Any) -> bool:
    kind = type(v)
    if kind is np.ndarray:
        return v.dtype.kind in "biuf"
    if kind is int:
        return -_SMALL_INT <= v <= _SMALL_INT
    return kind is float or kind is bool or isinstance(v, (np.floating, np.integer, np.bool_))


def _large(v: Any) -> bool:
    """An array whose operation costs more than making the view (a few microseconds): else computed."""
    return type(v) is np.ndarray and v.nbytes >= accumulate.IN_PLACE_FROM


def broadcast_like(symbol: str, a: Any, b: Any) -> Any:
    """Something with the shape and dtype of `a <symbol> b`, for reads of its shape and dtype only."""
    if (_large(a) or _large(b)) and _plain(a) and _plain(b):
        dtype = np.result_type(a, b)
        if dtype.kind == "f":
            shape = np.broadcast_shapes(np.shape(a), np.shape(b))
            # (0-d operands give a NumPy scalar, as the operator does)
            return np.broadcast_to(np.zeros((), dtype), shape) if shape else dtype.type(0)
    return _OPERATORS[symbol](a, b)
