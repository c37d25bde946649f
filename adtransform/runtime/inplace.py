"""What NumPy's in-place operations leave behind, computed without changing anything in place.

The compiler turns `y[i] = v` and `y op= v` into new values (reverse mode differentiates
values). Those new values must be what f's array is afterwards, in everything a later
operation can read:

* the layout that `ravel`/`reshape`/`flatten`/`copy` read with order 'A' (Fortran order
  only for a Fortran-contiguous array) and 'K' (the order of the strides): `copy_like`;
* the in-place contract of `y op= v` on an array: the result keeps `y`'s shape (NumPy raises
  when `v` would broadcast it larger) and dtype (cast with `same_kind`, else NumPy raises):
  `in_place_result`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["copy_like", "in_place_result"]

_NDARRAY = np.ndarray

# `y op= v` by the operator's symbol (canonicalize/aug_assign.py passes the symbol, a constant).
UFUNCS = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "//": np.floor_divide,
    "%": np.remainder, "**": np.power, "@": np.matmul, "&": np.bitwise_and, "|": np.bitwise_or,
    "^": np.bitwise_xor, "<<": np.left_shift, ">>": np.right_shift,
}


def _blank_like(a: np.ndarray, dtype: Any = None) -> np.ndarray:
    """An uninitialised array of `a`'s shape that orders 'A' and 'K' read as they read `a`.

    `np.empty_like(a, order='K')` keeps the order of `a`'s strides ('K'); but when `a` is not
    contiguous and that order is Fortran's, the new array would be Fortran-contiguous, which 'A'
    reads in Fortran order where it read `a` in C order. A view of a buffer one row longer along the
    fastest axis keeps the order and is not contiguous either."""
    blank = np.empty_like(a, dtype=dtype, order="K")
    flags = blank.flags
    if flags.f_contiguous and not flags.c_contiguous and not a.flags.f_contiguous:
        padded = np.empty_like(a, dtype=dtype, order="F", shape=(a.shape[0] + 1, *a.shape[1:]))
        blank = padded[:a.shape[0]]
    return blank


def copy_like(a: Any) -> Any:
    """A copy of `a` that later reads cannot tell from `a` (a list: a new list; an array: its layout
    as far as orders 'A' and 'K' read it, see `_blank_like`)."""
    if type(a) is list:
        return a.copy()
    if not isinstance(a, _NDARRAY):
        return np.array(a, copy=True)
    out = np.array(a, copy=True, subok=True)  # (order K; a subclass stays one, as f's array does)
    if not out.flags.f_contiguous or out.flags.c_contiguous or a.flags.f_contiguous:
        return out
    out = _blank_like(a)
    out[...] = a
    return out


def in_place_result(new: Any, old: Any, symbol: str, layout: bool = True) -> Any:
    """What `old op= v` leaves in `old`, given `new = old op v` (computed functionally).

    Only an array has an in-place contract: the result has `old`'s shape, its dtype (cast from
    `new`'s under 'same_kind') and its layout; where `new` breaks it, NumPy's error (a cast it
    refuses first, then a non-broadcastable output). Anything else (numbers, NumPy scalars, tuples,
    lists) gets `new`, as Python's `x = x op v`. `layout=False`: the result is written into a slot at once
    (`y[i] op= v`), so its own layout does not matter."""
    if not isinstance(old, _NDARRAY):
        return new
    if type(new) is _NDARRAY and new.shape == old.shape and (new.dtype is old.dtype or new.dtype == old.dtype) \
            and (new.strides == old.strides or not layout or _same_layout(new, old)):
        return new  # the common case: one check, no copy
    shape, dtype = old.shape, old.dtype
    if not np.can_cast(np.result_type(new), dtype, "same_kind"):
        _refuse_cast(old, np.result_type(new), symbol)
    if np.shape(new) != shape:
        if symbol == "@":
            raise ValueError(f"matmul: the in-place result has shape {np.shape(new)}, not the shape {shape} "
                             f"of the array it is written into")
        raise ValueError(f"non-broadcastable output operand with shape {_spelled(shape)} doesn't match the "
                         f"broadcast shape {_spelled(np.shape(new))}")
    out = _blank_like(old) if layout else np.empty_like(old)
    out[...] = new  # (a cast to `old`'s dtype, which 'same_kind' allows)
    return out


def _refuse_cast(old: np.ndarray, dtype: np.dtype, symbol: str) -> None:
    """Raise the error NumPy's in-place `old op= v` raises when its result's `dtype` cannot be cast to
    `old`'s: the ufunc itself, run on arguments of those dtypes into an array like `old`."""
    ufunc = UFUNCS.get(symbol, np.add)
    core = (1, 1) if symbol == "@" else ()
    out = np.zeros(core, old.dtype)
    operand = np.zeros(core, dtype)
    ufunc(operand, operand, out=out)  # (a cast 'same_kind' refuses: NumPy raises here)
    raise TypeError(f"Cannot cast the in-place `{symbol}=` result from {dtype} to {old.dtype} with casting rule "
                    f"'same_kind'")


def _spelled(shape: tuple[int, ...]) -> str:
    """A shape as NumPy's messages spell it: `(2,3)`, `(3,)`."""
    return f"({','.join(map(str, shape))}{',' if len(shape) == 1 else ''})"


def _same_layout(new: np.ndarray, old: np.ndarray) -> bool:
    """Whether orders 'A' and 'K' read `new` as they read `old` (a vector, both C-contiguous, or both
    Fortran-contiguous; otherwise the slower path copies `new` into an array laid out like `old`)."""
    if old.ndim < 2:
        return True  # (every order reads a vector the same way)
    a, b = new.flags, old.flags
    return (a.c_contiguous and b.c_contiguous) or (a.f_contiguous and b.f_contiguous
                                                   and a.c_contiguous == b.c_contiguous)
