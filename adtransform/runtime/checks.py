"""Run-time checks generated code performs on its inputs and output.

Types are only known at call time, so these run once per call; the common
case (a float array or a Python float) returns after one type test.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ..errors import (
    NonDifferentiableInputError,
    NonScalarOutputError,
    Problem,
    TransformError,
    UnsupportedArgumentError,
)

_FLOAT_KINDS = "f"
_FLOAT64 = np.dtype(np.float64)  # (an identity test: the common case pays no `.kind` lookup)
# Bound once: `np.ndarray` is a module attribute lookup each time (numpy's module `__getattr__`
# keeps CPython from caching it), which costs as much as the rest of a fast path.
_NDARRAY, _NP_FLOAT64 = np.ndarray, np.float64
_NUMBERS = (float, int, np.generic)
_PLAIN_KINDS = "fiub"  # float, integer and boolean arrays: what the rules' arithmetic means
# Types whose values other than NumPy's own are assumed to mean something else under `*`, `@`, `+`, np.mean...
_NUMERIC_HOOKS = ("__array__", "__array_ufunc__", "__array_function__", "__array_interface__",
                  "__mul__", "__matmul__", "__add__", "__truediv__", "__pow__")


def ensure_differentiable(x: Any, name: str) -> None:
    kind = type(x)
    if kind is float or (kind is _NDARRAY and (x.dtype is _FLOAT64 or x.dtype.kind == "f")):
        return
    if isinstance(x, np.floating):
        return
    _refuse_unsupported(x, name)
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, np.ndarray) and x.dtype.kind == "b"):
        what = "booleans"
    elif isinstance(x, (int, np.integer)) or (isinstance(x, np.ndarray) and x.dtype.kind in "iu"):
        what = "integers"
    elif isinstance(x, np.ndarray):
        what = f"an array of dtype {x.dtype}"
    elif isinstance(x, (dict, list, tuple)) or hasattr(x, "__dict__"):
        raise NonDifferentiableInputError(
            f"`{name}` holds a {type(x).__name__}, but this gradient was made for arrays and numbers: the "
            f"function was not seen using `{name}` as a container (it reaches it only through a use the "
            f"compiler cannot follow when `grad` is called, such as a method of an object called with it). "
            f"Read the entries of `{name}` in the function itself, or pass them as separate arguments.")
    else:
        what = f"a value of type {type(x).__name__}"
    raise NonDifferentiableInputError(
        f"cannot differentiate with respect to `{name}`: it holds {what}. Gradients are defined "
        f"for floating-point inputs; pass a float or a float array (e.g. np.asarray({name}, dtype=float)), "
        f"or leave `{name}` out of `wrt`."
    )


def ensure_all_differentiable(names: str, *values: Any) -> None:
    """`ensure_differentiable` for several parameters in one call (the call costs more than the
    common case's type test); `names`: theirs, separated by spaces."""
    for x in values:
        kind = type(x)
        if kind is float or (kind is _NDARRAY and (x.dtype is _FLOAT64 or x.dtype.kind == "f")):
            continue
        for name, value in zip(names.split(), values):  # (the rare case: find which, and say why)
            ensure_differentiable(value, name)
        return


def ensure_argument(x: Any, name: str) -> None:
    """Every argument, differentiated or not, must mean what the derivative rules assume: an exact
    ndarray (not np.matrix, whose `*` is a matrix product, nor a masked array, whose mean skips
    masked entries), real numbers (complex values need conjugates the rules do not take), or a
    list or tuple of those; other objects pass when they have no numeric operators."""
    kind = type(x)
    if (kind is _NDARRAY and (x.dtype is _FLOAT64 or x.dtype.kind in _PLAIN_KINDS)) or kind is float \
            or kind is int or kind is bool or x is None:
        return
    _refuse_unsupported(x, name)


def ensure_arguments(names: str, *values: Any) -> None:
    """`ensure_argument` for several arguments in one call: the call costs more than the common
    case's type test, and small functions with many parameters are called in tight loops."""
    for x in values:
        kind = type(x)
        if kind is float or (kind is _NDARRAY and (x.dtype is _FLOAT64 or x.dtype.kind in _PLAIN_KINDS)) \
                or kind is int or kind is bool or x is None:
            continue
        for name, value in zip(names.split(), values):  # (the rare case: find which, and say why)
            ensure_argument(value, name)
        return


def _refuse_unsupported(x: Any, name: str) -> None:
    problem = _unsupported(x)
    if problem is not None:
        raise UnsupportedArgumentError(
            f"`{name}` holds {problem}. adtransform differentiates code on real float arrays and numbers; "
            f"{_advice(x, name)}")


def _unsupported(x: Any, depth: int = 0) -> str | None:
    """What makes `x` unsupported, or None."""
    kind = type(x)
    if kind is _NDARRAY:
        if x.dtype.kind == "c":
            return f"a complex array (dtype {x.dtype})"
        if x.dtype.kind == "O":
            return "an array of Python objects (dtype object)"
        return None
    if isinstance(x, np.ndarray):
        return f"an instance of {kind.__module__}.{kind.__qualname__}, a subclass of np.ndarray"
    if isinstance(x, (complex, np.complexfloating)):
        return f"a complex number ({kind.__name__})"
    if isinstance(x, np.generic):
        return "a NumPy object scalar" if x.dtype.kind == "O" else None
    if kind in (float, int, bool, str) or x is None:
        return None
    if isinstance(x, (list, tuple, dict)):
        if depth > 50:
            return None
        for item in (x.values() if isinstance(x, dict) else x):
            problem = _unsupported(item, depth + 1)
            if problem is not None:
                return f"a {kind.__name__} with an element that is {problem}"
        return None
    if any(hasattr(kind, hook) for hook in _NUMERIC_HOOKS):
        return f"a {kind.__module__}.{kind.__qualname__}, an object with its own arithmetic or NumPy conversion"
    if depth < 2 and not callable(x) and not isinstance(x, (type, types.ModuleType)):
        # An object whose attributes the function reads (`data.X`): one level of them.
        for value in getattr(x, "__dict__", {}).values():
            problem = _unsupported(value, depth + 1)
            if problem is not None:
                return f"a {kind.__name__} with an attribute that is {problem}"
    return None


def _advice(x: Any, name: str) -> str:
    if isinstance(x, np.ma.MaskedArray):
        return (f"a masked array's reductions skip masked entries, which the derivative rules do not: pass "
                f"{name}.filled(value) or {name}.compressed(), or the data and the mask as two arrays")
    if isinstance(x, np.matrix):
        return f"np.matrix's `*` is a matrix product: pass np.asarray({name}) and write `@` for products"
    if isinstance(x, (complex, np.complexfloating)) or (isinstance(x, np.ndarray) and x.dtype.kind == "c"):
        return ("complex numbers are not supported: pass the real and imaginary parts as separate real "
                "arrays (np.real, np.imag)")
    return f"pass a plain array (np.asarray({name}, dtype=float)) or numbers"


def ensure_array_argument(x: Any, name: str, numbers_ok: bool = False) -> None:
    """The in-place updates were checked taking `name` to hold an array or a number: a list's or
    tuple's copy (or sum with another) holds the same elements, which an update would change in both.
    `numbers_ok`: only its elements' sharing mattered, so a list or tuple of numbers is fine too."""
    kind = type(x)
    if kind is float or (kind is _NDARRAY and (x.dtype is _FLOAT64 or x.dtype.kind in _PLAIN_KINDS)):
        return
    _refuse_unsupported(x, name)
    if isinstance(x, np.ndarray) or _immutable(x):
        return
    if numbers_ok and isinstance(x, (list, tuple)) and all(_immutable(e) for e in x):
        return
    raise UnsupportedArgumentError(
        f"`{name}` holds a {type(x).__name__}: this function's in-place updates were checked assuming `{name}` "
        f"holds an array or a number (a copy of a list, or its sum with another, holds the same elements, so "
        f"updating an element in place would change both); pass an array (np.asarray({name})).")


def _immutable(x: Any) -> bool:
    """A number, string or None, or a tuple of those: nothing an update could change in place."""
    if isinstance(x, (np.generic, float, int, complex, str)) or x is None:
        return True
    return isinstance(x, tuple) and all(_immutable(e) for e in x)


def ensure_float_target(a: Any, name: str) -> None:
    """`a[i] = v` with `v` depending on the differentiated input: an integer `a` would truncate `v`."""
    if isinstance(a, np.ndarray) and a.dtype.kind not in _FLOAT_KINDS:
        raise NonDifferentiableInputError(
            f"`{name}` holds {a.dtype} values, so writing a differentiated value into it truncates it and "
            f"its derivative is lost; create `{name}` with a float dtype (e.g. np.zeros(n))")


def all_scalars(*values: Any) -> bool:
    """True when every argument is a scalar (Python number or 0-d): then no adjoint needs unbroadcasting."""
    for v in values:
        kind = type(v)
        if kind is float or kind is int or kind is bool or kind is _NP_FLOAT64:
            continue
        if kind is _NDARRAY:
            if v.ndim:
                return False
            continue
        if np.ndim(v) != 0:
            return False
    return True


def has_ranks(ranks: tuple[int, ...], *values: Any) -> bool:
    """True when each value has the number of axes given for it (a Python number has none)."""
    i = 0  # (an index, not zip: zip's pairs cost more than the tests here)
    for v in values:  # Python floats first: scalar parameters are the many
        kind = type(v)
        if kind is float or kind is int:
            if ranks[i]:
                return False
        elif kind is _NDARRAY:
            if v.ndim != ranks[i]:
                return False
        elif np.ndim(v) != ranks[i]:
            return False
        i += 1  # noqa: SIM113  (enumerate is slower here, as zip is)
    return True


def ensure_cotangent(ct: Any, y: Any) -> None:
    """A pullback's cotangent must have the output's shape (it would broadcast silently otherwise)."""
    if np.shape(ct) != np.shape(y):
        raise ValueError(f"the cotangent passed to the pullback has shape {np.shape(ct)}, but the "
                         f"function's output has shape {np.shape(y)}")


def ensure_scalar(y: Any, function: str) -> None:
    if isinstance(y, _NUMBERS):
        return
    if type(y) is Unassigned:
        y.fail()
    if y is None:
        raise NonScalarOutputError(f"{function} returned None on this call (a path without `return <value>`), "
                                   f"so it has no gradient")
    if np.ndim(y) == 0:
        return
    if type(y) in (tuple, list, dict):
        raise NonScalarOutputError(
            f"grad({function}) needs a function that returns a scalar, but it returned a {type(y).__name__}; "
            f"use adtransform.vjp for several outputs, or return the one to differentiate")
    raise NonScalarOutputError(
        f"grad({function}) needs a function that returns a scalar, but it returned a value of shape "
        f"{np.shape(y)}. For vector outputs use adtransform.vjp (vector-Jacobian product), "
        f"or reduce the output (e.g. np.sum) inside the function."
    )


class Unassigned:
    """What a variable holds on a path that does not assign it (`if c: y = ...` then `return y`, or
    a loop's variable after zero trips): any use raises the UnboundLocalError the function raises."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name} unassigned>"

    def fail(self, *args: Any, **kwargs: Any) -> Any:
        raise UnboundLocalError(f"cannot access local variable '{self.name}' where it is not associated "
                                f"with a value (it is assigned only on some paths)")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = fail
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = __matmul__ = __rmatmul__ = fail
    __neg__ = __pos__ = __abs__ = __bool__ = __float__ = __int__ = __index__ = __len__ = __iter__ = fail
    __lt__ = __le__ = __gt__ = __ge__ = __getitem__ = __setitem__ = __call__ = fail
    __array_ufunc__ = __array_function__ = fail


def ensure_number(x: Any, name: str, refusal: TransformError) -> None:
    """The in-place updates were checked taking `name` to hold an immutable number, which `x += 1.0`
    rebinds; an array there would be changed in place, the caller's too, as no gradient can follow:
    such a call gets the refusals an array there always met (`refusal`, every problem of it)."""
    if type(x) in (float, int, bool) or isinstance(x, (np.number, np.bool_)):
        return
    kind = f"an array of shape {x.shape}" if isinstance(x, np.ndarray) else f"a value of type {type(x).__name__}"
    raise type(refusal).of([Problem(p.location, p.construct, f"{p.advice} (accepted when `{name}` holds a number; "
                                    f"it holds {kind})") for p in refusal.problems], refusal.function)


def ensure_apart(refusal: TransformError, names: str, x: Any, *others: Any) -> None:
    """`x` (the first of `names`) is updated in place, which the compiler reads as a new value: right
    only if nothing else the function reads (`others`, the rest of `names`: the other arguments, then
    the globals it reads, marked `^`) holds memory it holds (`f(a, a)`, a dict whose two entries are one
    array, `f(G)` reading `G` too), which NumPy's update would change too: such a call is refused."""
    if not isinstance(x, np.ndarray):
        return
    first, *rest = names.split("\n")
    for name, other in zip(rest, others):
        if any(np.may_share_memory(x, array) for array in _arrays_in(other, 0)):
            why = (f"`{first}` is passed an array sharing memory with `{name[1:]}`, which the function reads from "
                   f"outside it: pass a copy") if name.startswith("^") else \
                f"`{first}` and `{name}` are passed arrays sharing memory: pass a copy of one"
            raise type(refusal).of([Problem(p.location, p.construct, f"{p.advice} ({why})")
                                    for p in refusal.problems], refusal.function)


def _arrays_in(value: Any, depth: int) -> Any:
    """The arrays `value` holds: itself, or those of a list, tuple or dict, or of an object's attributes
    (a few levels deep: what a function reads through `obj.layer.W`)."""
    if type(value) is _NDARRAY or isinstance(value, np.ndarray):
        yield value
    elif depth > 4 or isinstance(value, (str, bytes, int, float, complex, type, types.ModuleType, np.generic)):
        return
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays_in(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays_in(item, depth + 1)
    elif isinstance(getattr(value, "__dict__", None), dict) and not callable(value):
        for item in vars(value).values():
            yield from _arrays_in(item, depth + 1)
