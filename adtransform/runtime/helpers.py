"""Adjoint helpers whose shape logic is too branchy to write as a rule expression.

Each has a fast path for the common shapes (2-D matrices, matching shapes,
Python scalars) and is exact for the rest of NumPy's semantics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedArgumentError
from .broadcast import _filled, _shape, adjoint_dtype, unbroadcast
from .checks import Unassigned

_SCALARS = (float, int, np.floating, np.integer)
_NDARRAY = np.ndarray  # (`np.ndarray` is a module attribute lookup each time: numpy's `__getattr__`)
_NAN = float("nan")


def zeros_like(x: Any) -> Any:
    """The zero gradient with `x`'s shape and dtype (built only when a caller must receive it)."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, _SCALARS):
        return type(x)(0)
    return 0.0 if type(x) is Unassigned else np.zeros_like(x)  # (a loop's variable before its first trip)


def full_like(x: Any, value: Any) -> Any:
    if isinstance(x, np.ndarray):
        return np.full_like(x, value)
    return type(x)(value) if isinstance(x, _SCALARS) else np.full_like(x, value)


def copy_gradient(g: Any, x: Any) -> Any:
    """A gradient that would alias an input (or a global) is copied, so callers may mutate it;
    the copy has the parameter's dtype (see `as_gradient`)."""
    if isinstance(g, np.ndarray):
        return g.astype(x.dtype) if isinstance(x, np.ndarray) else g.copy()
    return as_gradient(g, x)


def as_gradient(g: Any, x: Any) -> Any:
    """`g` in the dtype of the parameter `x` it is the gradient of.

    The user's own code may compute in a wider type (`np.float64(2.0) ** x`, `math.cos(x)` of a
    float32 `x`); the gradient still belongs to `x`: float32 stays float32. A Python float
    parameter gets a Python float (not float32 from a float32 array it met). The common cases
    (a Python float, an array whose gradient already has its dtype) return after type tests.
    """
    kind = type(x)
    if kind is float:
        return g if type(g) is float else float(g)
    if kind is _NDARRAY:
        dtype = x.dtype
        return g if getattr(g, "dtype", None) is dtype else np.asarray(g, dtype=dtype)
    dtype = getattr(x, "dtype", None)
    if dtype is None or getattr(g, "dtype", None) is dtype:  # (other numbers: as they are)
        return g
    if isinstance(x, np.ndarray):
        return np.asarray(g, dtype=dtype)
    return dtype.type(g) if isinstance(x, np.generic) else g


def tie_share(a: Any, b: Any) -> Any:
    """d max(a, b) / da: 1 where a wins, 0 where b wins, 1/2 on ties (as JAX does); NaN where
    either is NaN (so is the maximum), for Python scalars as for arrays."""
    if isinstance(a, _SCALARS) and isinstance(b, _SCALARS):
        return 1.0 if a > b else (0.0 if a < b else (0.5 if a == b else _NAN))
    # heaviside(a - b, 1/2): two passes, and float32 stays float32.
    return np.heaviside(np.subtract(a, b), 0.5)


def fmax_share(a: Any, b: Any) -> Any:
    """d fmax(a, b) / da: `tie_share`, except that a NaN loses (fmax returns the other operand);
    of two NaNs, neither gets the derivative (the result is NaN)."""
    if isinstance(a, _SCALARS) and isinstance(b, _SCALARS):
        if a != a:
            return 0.0
        return 1.0 if (a > b or b != b) else (0.5 if a == b else 0.0)
    share = np.heaviside(np.subtract(a, b), 0.5)  # nan where either is NaN
    return np.where(np.isnan(a), 0.0, np.where(np.isnan(b), 1.0, share))


def floor_quotient(x: Any, y: Any) -> Any:
    """floor(x / y), the integer `x % y` takes away: `x // y`, which Python and NumPy compute
    consistently with `%`. For string formatting (`"%.2f" % y`) the result is text, piecewise
    constant in `y`: 0."""
    if isinstance(x, (str, bytes)):
        return 0.0
    return x // y


def clip_share(a: Any, lo: Any, hi: Any, of: int) -> Any:
    """d clip(a, lo, hi) / d(a, lo, hi)[of]: NumPy defines clip as minimum(maximum(a, lo), hi),
    so the shares are those of `tie_share` (1/2 on ties, as JAX's clip); a bound of None is absent."""
    m = a if lo is None else np.maximum(a, lo)
    if of == 2:
        return tie_share(m, hi)
    upper = 1.0 if hi is None else tie_share(hi, m)
    if lo is None:
        return upper
    return upper * (tie_share(a, lo) if of == 0 else tie_share(lo, a))


def extremum_adjoint(g: Any, x: Any, y: Any, axis: Any = None, keepdims: bool = False, where: Any = True) -> Any:
    """Adjoint of max/min reductions: split equally among the elements that attain the extremum.

    None attains it where `initial=` wins (or the input holds a NaN): those outputs pass no
    derivative to `x`. Elements a `where=` mask leaves out take no part.
    """
    shape = _shape(x)
    if not shape:
        return g * ((x == y) & where)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
        y = np.expand_dims(y, axis)
    mask = x == y
    if where is not True:
        mask &= where
    dtype = adjoint_dtype(g, x)
    count = np.maximum(np.sum(mask, axis=axis, keepdims=True), 1).astype(dtype)
    return _filled(mask * (g / count), x, shape)


def matmul_lhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    """d(a @ b)/da applied to g, for every combination of 1-D, 2-D and batched operands."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 2 and a_nd <= 2:
        return g @ b.T                      # (m,k)@(k,n) and (k,)@(k,n)
    if a_nd == 1 and b_nd == 1:
        return g * b
    if a_nd == 2 and b_nd == 1:
        return np.multiply.outer(g, b)
    a2 = a if a_nd >= 2 else np.reshape(a, (1, -1))
    b2 = b if b_nd >= 2 else np.reshape(b, (-1, 1))
    g2 = g if a_nd >= 2 else np.expand_dims(g, -2)
    g2 = g2 if b_nd >= 2 else np.expand_dims(g2, -1)
    da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2)
    return np.reshape(da, _shape(a))


def matmul_rhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    """d(a @ b)/db applied to g."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd <= 2:
        return a.T @ g                      # (m,k)@(k,n) and (m,k)@(k,)
    if a_nd == 1 and b_nd == 1:
        return g * a
    if a_nd == 1 and b_nd == 2:
        return np.multiply.outer(a, g)
    a2 = a if a_nd >= 2 else np.reshape(a, (1, -1))
    b2 = b if b_nd >= 2 else np.reshape(b, (-1, 1))
    g2 = g if a_nd >= 2 else np.expand_dims(g, -2)
    g2 = g2 if b_nd >= 2 else np.expand_dims(g2, -1)
    db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2)
    return np.reshape(db, _shape(b))


def dot_lhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    """d np.dot(a, b)/da applied to g; a 0-d operand makes dot a product."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 2 and a_nd in (1, 2):
        return g @ b.T                      # matmul_lhs_adjoint's first case, without a second dispatch
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd == 1 or (a_nd <= 2 and b_nd == 2):
        return matmul_lhs_adjoint(g, a, b)
    # N-D: dot contracts a's last axis with b's second-to-last; the others of b come last in g.
    b_free = [*range(b_nd - 2), b_nd - 1]
    return np.tensordot(g, b, axes=(list(range(a_nd - 1, g.ndim)), b_free))


def dot_rhs_adjoint(g: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd in (1, 2):
        return a.T @ g                      # matmul_rhs_adjoint's first case (a recurrence's W.T @ g)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if b_nd == 1 or (a_nd <= 2 and b_nd == 2):
        return matmul_rhs_adjoint(g, a, b)
    contracted = np.tensordot(a, g, axes=(list(range(a_nd - 1)), list(range(a_nd - 1))))
    return np.moveaxis(contracted, 0, b_nd - 2)


def matmul_lhs_adjoint_sum(gs: list, a: Any, bs: list) -> Any:
    """`sum(matmul_lhs_adjoint(g, a, b) for g, b in zip(gs, bs))`, the steps of a loop in one product.

    A loop accumulating `a_bar = a_bar + matmul_lhs_adjoint(g, a, b)` with `a` fixed appends
    its `g` and `b` instead and calls this once after it (optimize/batch_accumulate.py).
    For 1-D steps, sum_t outer(g_t, b_t) = G.T @ B with the steps as the rows of G and B;
    for 2-D steps (a batch in the columns), sum_t g_t @ b_t.T contracts the step and batch axes
    of the stacked steps at once ([g_1 .. g_T] @ [b_1 .. b_T].T).
    Other shapes add the steps one by one; no steps give zeros shaped like `a`.
    """
    return _steps_sum(gs, a, bs, matmul_lhs_adjoint, lhs=True)


def matmul_rhs_adjoint_sum(gs: list, as_: list, b: Any) -> Any:
    """`sum(matmul_rhs_adjoint(g, a, b) for g, a in zip(gs, as_))` with `b` fixed (see the lhs version).

    1-D steps: sum_t outer(a_t, g_t) = A.T @ G; 2-D steps (a batch in the rows):
    sum_t a_t.T @ g_t = [a_1; ..; a_T].T @ [g_1; ..; g_T].
    """
    return _steps_sum(gs, b, as_, matmul_rhs_adjoint, lhs=False)


def dot_lhs_adjoint_sum(gs: list, a: Any, bs: list) -> Any:
    """`sum(dot_lhs_adjoint(g, a, b) ...)`: on the shapes the product covers, np.dot is matmul."""
    return _steps_sum(gs, a, bs, dot_lhs_adjoint, lhs=True)


def dot_rhs_adjoint_sum(gs: list, as_: list, b: Any) -> Any:
    return _steps_sum(gs, b, as_, dot_rhs_adjoint, lhs=False)


def _steps_sum(gs: list, fixed: Any, others: list, single: Any, lhs: bool) -> Any:
    """Sum over the steps of `single(g, fixed, other)` (lhs) or `single(g, other, fixed)` (rhs)."""
    if not gs:
        return zeros_like(fixed)
    out = _stacked_product(gs, fixed, others, lhs)
    if out is None:
        for i, (g, other) in enumerate(zip(gs, others)):
            step = single(g, fixed, other) if lhs else single(g, other, fixed)
            out = step if i == 0 else out + step
    # As `zeros_like(fixed) + step + ...` would: float32 steps of a float64 operand give float64.
    dtype = fixed.dtype if isinstance(fixed, np.ndarray) else np.asarray(fixed).dtype
    if isinstance(out, np.ndarray) and np.result_type(dtype, out.dtype) != out.dtype:
        out = out.astype(np.result_type(dtype, out.dtype))
    return out


def _stacked_product(gs: list, fixed: Any, others: list, lhs: bool) -> Any:
    """The sum of the steps as one matrix product, or None when the shapes are not the plain ones."""
    shape = _shape(fixed)
    if len(shape) != 2 or type(gs[0]) is not np.ndarray or type(others[0]) is not np.ndarray:
        return None
    try:
        g, o = np.array(gs), np.array(others)  # (steps, ...): every step has the first one's shape
    except ValueError:
        return None                            # steps of different shapes
    if g.dtype == object or o.dtype == object:
        return None
    steps, (rows, cols) = len(gs), shape
    if lhs:  # fixed a (rows, cols); g_t (rows,) or (rows, n); b_t (cols,) or (cols, n)
        if g.shape == (steps, rows) and o.shape == (steps, cols):
            return g.T @ o
        if g.ndim == 3 and g.shape[:2] == (steps, rows) and o.shape == (steps, cols, g.shape[2]):
            return np.tensordot(g, o, axes=([0, 2], [0, 2]))
    else:    # fixed b (rows, cols); a_t (rows,) or (m, rows); g_t (cols,) or (m, cols)
        if o.shape == (steps, rows) and g.shape == (steps, cols):
            return o.T @ g
        if o.ndim == 3 and o.shape[::2] == (steps, rows) and g.shape == (steps, o.shape[1], cols):
            return np.tensordot(o, g, axes=([0, 1], [0, 1]))
    return None


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def getitem_adjoint(g: Any, x: Any, index: Any) -> Any:
    """Scatter the adjoint of `x[index]` into zeros shaped like `x` (repeated indices add up).

    `g` may still carry the axes along which `x[index]` was broadcast: they are summed here.
    """
    dtype = adjoint_dtype(g, x)  # (first: it refuses a list that makes no array, which has no shape)
    out = np.zeros(_shape(x), dtype=dtype)
    return _scatter_add(out, g, x, index)


_ITEMS_LIMIT = 1 << 16  # beyond this, converting may cost more than reading a few items saves
_FLOAT64 = np.dtype(np.float64)  # NumPy's own instance: `is` costs half of `==`, and a miss only skips the listing



def float_items(x: Any) -> Any:
    """A float64 vector's items as Python floats, for code that reads it one element at a time.

    Arithmetic on Python floats costs a fraction of NumPy scalars' (and gives the same IEEE
    doubles); anything else (another dtype, a large vector) is returned as it is, and reads
    `x[i]` of either give the same values.
    """
    if type(x) is np.ndarray and x.dtype is _FLOAT64 and x.ndim == 1 and x.size <= _ITEMS_LIMIT:
        return x.tolist()
    return x


def zeros_items(x: Any) -> Any:
    """The zero adjoint of a vector that `float_items` lists, as a list of Python floats (else an array).

    Generated code adds into it one element at a time (`x_bar[t] += g`), which costs a
    fraction on a list of what it costs on an array; `from_items` makes the array at the end.
    """
    if type(x) is np.ndarray and x.dtype is _FLOAT64 and x.ndim == 1 and x.size <= _ITEMS_LIMIT:
        return [0.0] * x.size
    return zeros_like(x)


def from_items(acc: Any) -> Any:
    """The array of an adjoint `zeros_items` started as a list (float64, like the vector)."""
    return np.fromiter(acc, np.float64, len(acc)) if type(acc) is list else acc  # fromiter: a tenth cheaper


def getitem_accumulate(acc: Any, g: Any, x: Any, index: Any) -> Any:
    """`acc + getitem_adjoint(g, x, index)`, added into `acc` in place when it is an array of `x`'s shape.

    Generated code calls it only on an accumulator no other value shares (its own zeros), so a
    loop reading `x[i]` updates one adjoint buffer instead of building a zero array per read.
    """
    if type(acc) is not np.ndarray or acc.shape != _shape(x) or getattr(g, "dtype", acc.dtype) != acc.dtype:
        return acc + getitem_adjoint(g, x, index)
    if type(index) is int:
        if acc.ndim == 1 and (type(g) is float or type(g) is np.float64):
            acc[index] += g  # the common case: one element of a vector, read in a loop
            return acc
        if type(g) is np.ndarray and g.shape == acc.shape[1:]:
            acc[index] += g  # one row of a matrix (a loop reading the rows of a stacked product)
            return acc
    return _scatter_add(acc, g, x, index)


def _scatter_add(out: np.ndarray, g: Any, x: Any, index: Any) -> np.ndarray:
    if _is_basic(index):
        part = out[index]
        if getattr(g, "shape", ()) != getattr(part, "shape", ()):
            g = unbroadcast(g, part)
        out[index] += g
    else:
        np.add.at(out, index, unbroadcast(g, np.asarray(x)[index]))
    return out


def transpose_adjoint(g: Any, axes: Any = None) -> Any:
    """Undo `np.transpose(a, axes)`: transpose back with the inverse permutation.

    `axes` as NumPy takes them: a sequence (`np.transpose(a, (1, 0))`, `x.transpose([1, 0])`),
    the method's separate integers (`x.transpose(1, 0)`, collected as a tuple), negative axes
    counted from the end, or None / nothing (reverse the axes).
    """
    if axes is not None and len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]  # x.transpose((1, 0)), x.transpose(None): the method's one argument
    if axes is None or len(axes) == 0:
        return np.transpose(g)
    ndim = np.ndim(g)
    return np.transpose(g, np.argsort([int(axis) % ndim for axis in axes]))


def reshape_adjoint(g: Any, a: Any, order: Any = "C") -> Any:
    """Undo `np.reshape(a, shape, order)`, `a.ravel(order)` or `a.flatten(order)`.

    The primal read `a`'s elements in `order` and wrote them in the same order, so `g` goes
    back the same way. 'A' reads in Fortran order when `a` is Fortran-contiguous (and not
    C-contiguous), and 'K' (ravel, flatten) in the order of `a`'s memory: both depend on the
    layout of `a` at run time, which the backward sweep reads from the same array.
    """
    shape = _shape(a)
    if order is None or order == "C":
        return np.reshape(g, shape)
    order = str(order).upper()
    if order in ("A", "K"):
        array = a if isinstance(a, np.ndarray) else np.asarray(a)
        if array.flags.c_contiguous:
            order = "C"
        elif array.flags.f_contiguous:
            order = "F"
        elif order == "A":
            order = "C"
        else:
            return _unravel_in_memory_order(g, array)
    return np.reshape(g, shape, order=order)


def _unravel_in_memory_order(g: Any, array: np.ndarray) -> np.ndarray:
    """Undo `array.ravel('K')` of a non-contiguous array: label each element with its C-order
    position in an array laid out like `array` (NumPy's 'K' rule picks the same order for both),
    ravel that, and scatter `g` to the positions it lists."""
    labels = np.empty_like(array, dtype=np.intp, order="K")
    labels[...] = np.arange(array.size).reshape(array.shape)
    out = np.empty(array.size, dtype=np.result_type(g, array))
    out[labels.ravel("K")] = np.ravel(g)
    return out.reshape(array.shape)


def _inexact(y: Any) -> bool:
    return np.result_type(y).kind in "fc"


def fill_adjoint(g: Any, y: Any, value: Any) -> Any:
    """The adjoint of `value` in `y = np.full(shape, value)` (or `np.full_like`): `g` summed over
    the places `value` was broadcast to; zero when `y` holds integers (its `dtype`, or `a`'s
    for `full_like`), which are piecewise constant in `value`."""
    if not _inexact(y):
        return zeros_like(value)
    return unbroadcast(g, value)


def arange_start_adjoint(g: Any, y: Any, start: Any, stop: Any) -> Any:
    """The adjoint of `start` in `y = np.arange(start, stop, step)`: y[i] = start + i * step.

    Called with one argument, `np.arange(n)` takes it as the stop, which sets only the length
    (a piecewise constant function of it): no derivative.
    """
    if stop is None or not _inexact(y):
        return zeros_like(start)
    return np.sum(g)


def arange_step_adjoint(g: Any, y: Any, step: Any) -> Any:
    """The adjoint of `step` in `y = np.arange(start, stop, step)`: y[i] = start + i * step."""
    if not _inexact(y):
        return zeros_like(step)
    return np.dot(np.arange(np.size(g), dtype=np.result_type(g)), g)


def linspace_adjoint(g: Any, y: Any, end: Any, num: Any, endpoint: Any, axis: Any, at_stop: bool) -> Any:
    """The adjoint of `start` (`at_stop` False) or `stop` in `y = np.linspace(start, stop, num)`.

    y[i] = start + (stop - start) * t[i] with t[i] = i / (num - 1) (i / num without the
    endpoint; t = 0 for a single sample), along `axis` when start and stop are arrays.
    """
    if not _inexact(y):
        return zeros_like(end)
    div = num - 1 if endpoint else num
    dtype = np.result_type(g)
    t = np.arange(num, dtype=dtype) / div if div > 0 else np.zeros(num, dtype=dtype)
    if not at_stop:
        t = 1.0 - t
    axis = axis % np.ndim(y)
    t = np.reshape(t, (num,) + (1,) * (np.ndim(y) - 1 - axis))
    return unbroadcast(np.sum(g * t, axis=axis), end)


def _is_mask(index: Any) -> bool:
    """A boolean array, or a list of booleans (NumPy reads both as a mask)."""
    if isinstance(index, np.ndarray):
        return index.dtype == bool
    return isinstance(index, list) and len(index) > 0 and all(isinstance(i, (bool, np.bool_)) for i in index)


def repeated_slot(shape: tuple[int, ...], index: Any) -> bool:
    """Whether `a[index] = v` writes some element of `a` twice (negative indices normalized).

    NumPy does not say which of the values then stays ("not possible to predict the final
    result"), so no gradient is right. Basic indices and masks never repeat a position;
    otherwise the positions the index selects are looked up in a table of flat positions.
    """
    if _is_basic(index) or _is_mask(index):
        return False
    if isinstance(index, (list, np.ndarray)) and len(shape) >= 1:
        flat = np.asarray(index)
        if flat.ndim == 1 and flat.dtype.kind in "iu":
            flat = np.where(flat < 0, flat + shape[0], flat)
            return bool(np.unique(flat).size != flat.size)
    if isinstance(index, tuple) and 0 < len(index) <= len(shape) and all(
            isinstance(i, (int, np.integer, list, np.ndarray)) and not isinstance(i, bool)
            and np.asarray(i).dtype.kind in "iu" for i in index):
        # Integer arrays on the leading axes (`K[i, j]`): the elements they pick, by flat position.
        arrays = np.broadcast_arrays(*(np.asarray(i) for i in index))
        normal = [np.where(a < 0, a + n, a) for a, n in zip(arrays, shape)]
        flat = np.ravel(np.ravel_multi_index(normal, shape[:len(index)]))
        return bool(np.unique(flat).size != flat.size)
    positions = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)[index]
    positions = np.ravel(positions)
    return bool(np.unique(positions).size != positions.size)


def ensure_distinct_slots(a: Any, index: Any, where: str) -> None:
    """`a[index] = v` with `v` differentiated: refuse an index naming an element twice (see `repeated_slot`)."""
    try:
        repeated = repeated_slot(np.shape(a), index)
    except (IndexError, ValueError, TypeError):
        return  # an index NumPy refuses: the write itself raises NumPy's own error
    if repeated:
        raise UnsupportedArgumentError(
            f"{where}: the index names an element of the array more than once; NumPy does not say which "
            f"of the values written there stays, so the gradient is not defined. Use distinct indices "
            f"(combine the values meant for one position before writing them)")


def ensure_whole_write(buf: Any, value: Any, exact: bool, where: str) -> None:
    """`f(x, out=buf)`, `buf.fill(v)` and `np.copyto(buf, v)` are differentiated as `buf[...] = value`,
    which means the same only where `buf` is an array (a NumPy scalar's `fill` changes nothing) and,
    for `out=` (`exact`), where the result has `buf`'s shape (NumPy refuses other shapes for ufuncs
    and lays some out its own way for other functions: `np.cumsum(y, out=y)` with y of shape (3, 1))."""
    if type(buf) is np.ndarray and (not exact or np.shape(value) == buf.shape):
        return
    if not isinstance(buf, np.ndarray):
        why = (f"the array written into is a {type(buf).__name__}, not an array (arithmetic on a 0-d array "
               f"gives a NumPy scalar, which `fill` leaves unchanged); write `y = np.full_like(y, v)` instead")
    elif type(buf) is not np.ndarray:
        why = f"the array written into is a {type(buf).__name__}, a subclass of ndarray"
    else:
        why = (f"the result has shape {np.shape(value)} and `out=` shape {buf.shape}; "
               f"give `out=` the result's shape, or assign the result")
    raise UnsupportedArgumentError(f"{where}: {why}")


def has_python_floats(*values: Any) -> bool:
    """Whether an argument is a Python float (arithmetic on it raises where NumPy's gives inf or nan)."""
    return any(type(v) is float for v in values)


def numpy_float(x: Any) -> Any:
    """A Python float as a NumPy float64 (which gives inf or nan where a Python float raises); else `x`.

    Only for a call that raised with Python floats: NumPy scalars promote float32 arrays to float64.
    """
    return np.float64(x) if type(x) is float else x


def index_update(a: Any, index: Any, value: Any) -> Any:
    """`a[index] = value` without changing `a`: the functional form the compiler differentiates.

    Generated code writes in place instead wherever nothing else reads `a` afterwards
    (see optimize/in_place.py); this copy is what remains where something does.
    """
    out = a.copy() if isinstance(a, list) else np.array(a, copy=True)
    out[index] = value
    return out


def slot_adjoint(g: Any, index: Any, value: Any) -> Any:
    """The adjoint of `value` in `a[index] = value`: the slot of `g` it went to, summed to its shape.

    A copy, never a view of `g`: the backward sweep then zeroes that slot of `g` in place.
    (`a` is a float array: `ensure_float_target` checked it in the forward sweep, and an index
    naming an element twice was refused there, located, by `ensure_distinct_slots`.)
    """
    if not isinstance(g, np.ndarray):
        g = np.asarray(g)  # the adjoint of a 0-d array may be a number (arithmetic on 0-d arrays gives one)
    slot = g[index]
    if isinstance(slot, np.ndarray):
        slot = slot.copy()
    extra = np.ndim(value) - np.ndim(slot)
    if extra > 0:  # NumPy drops a value's leading size-1 axes to fit the slot (`y[...] = x`, x (1, 1), y (4,))
        shape = np.shape(value)
        return np.reshape(unbroadcast(slot, np.reshape(value, shape[extra:])), shape)
    return unbroadcast(slot, value)


def replay_record(record: list) -> list:
    """A copy of a loop's record for a pullback to pop, with the records of inner loops (lists
    in it) copied too: `vjp`'s pullback may be called more than once. Values are shared."""
    return [_replayed(item) for item in record]


def _replayed(item: Any) -> Any:
    if type(item) is list:
        return replay_record(item)
    if type(item) is tuple:
        return tuple(_replayed(x) for x in item)
    return item


def writable_copy(x: Any, deep: bool = False) -> Any:
    """A copy of `x` for a call that changes its argument in place (`c.sort()`, `np.put(c, ...)`).

    The compiler rebinds the name to the copy before the call, so the value before the call (still
    read by the backward sweep, or the caller's own array) stays as it was; where nothing reads that
    value any more, optimize/in_place.py drops the copy (the call then works on it). Arrays, lists, tuples
    and dicts are copied (`deep`: the arrays they hold too, for a call that may change them);
    numbers are immutable and anything else (a random generator) is returned as it is, so its own
    changes stay visible.
    """
    if isinstance(x, np.ndarray):
        return x.copy()
    if type(x) in (list, tuple):
        return type(x)(writable_copy(item, True) for item in x) if deep else type(x)(x)
    if type(x) is dict:
        return {key: writable_copy(value, True) for key, value in x.items()} if deep else dict(x)
    return x
