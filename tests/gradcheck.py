"""Finite-difference gradient checker for ``adtransform``.

Usage::

    from gradcheck import check_grad
    check_grad(f, (x, y), wrt=(0, "y"))

``check_grad`` builds ``ad.grad(f, wrt=wrt)``, calls it on ``args`` and compares
the result against central finite differences of ``f`` computed in float64:

* arguments with at most ``max_full`` elements get a full elementwise FD
  gradient;
* bigger arrays get a directional (dot-product) test: for several seeded random
  directions ``d`` the FD derivative of ``t -> f(x + t d)`` is compared with
  ``sum(grad * d)``.

float32 arguments are copied to float64 for the FD reference, compared with a
looser tolerance, and the returned gradient must still be float32. Every
gradient must have the shape and dtype of its argument (a Python float gives a
float64 scalar). The inputs must not be mutated by the gradient function.

The FD stencil is the 4-point central difference (error O(h^4)) with a step
relative to the magnitude of each input element, so float64 gradients can be
checked to about 1e-7 relative accuracy.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "F32_TOL",
    "F64_TOL",
    "check_grad",
    "check_grad_values",
    "directional_fd",
    "numeric_grad",
    "resolve_wrt",
]

#: default (rtol, atol) when every floating input is float64 / a Python float
F64_TOL = (1e-6, 1e-8)
#: default (rtol, atol) when any floating input is float32
F32_TOL = (1e-4, 1e-5)

_MAX_SOURCE_LINES = 80


# --------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Where a differentiated argument lives: ``args[index]`` or ``kwargs[name]``."""

    label: str  # human readable, e.g. "arg 0 ('x')"
    index: int | None = None
    name: str | None = None

    def get(self, args: Sequence[Any], kwargs: dict) -> Any:
        return args[self.index] if self.index is not None else kwargs[self.name]

    def replaced(self, args: Sequence[Any], kwargs: dict, value: Any):
        args = list(args)
        kwargs = dict(kwargs)
        if self.index is not None:
            args[self.index] = value
        else:
            kwargs[self.name] = value
        return args, kwargs


def _param_names(f: Callable) -> list[str]:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def resolve_wrt(f: Callable, args: Sequence[Any], kwargs: dict, wrt) -> list[Slot]:
    """Turn ``wrt`` (int, parameter name or tuple of them) into a list of slots."""
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    names = _param_names(f)
    slots = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise TypeError(f"wrt item {item!r} must be an int or a parameter name")
        if isinstance(item, numbers.Integral):
            i = int(item)
            if not -len(args) <= i < len(args):
                raise IndexError(f"wrt={item!r} out of range for {len(args)} positional args")
            i %= len(args)
            pname = names[i] if i < len(names) else "?"
            slots.append(Slot(f"arg {i} ({pname!r})", index=i))
        elif isinstance(item, str):
            if item in names and names.index(item) < len(args):
                i = names.index(item)
                slots.append(Slot(f"arg {i} ({item!r})", index=i))
            elif item in kwargs:
                slots.append(Slot(f"kwarg {item!r}", name=item))
            else:
                raise ValueError(f"wrt name {item!r} is not a parameter of {f.__name__}")
        else:
            raise TypeError(f"wrt item {item!r} must be an int or a parameter name")
    return slots


def _is_floating(a: Any) -> bool:
    if isinstance(a, (bool, np.bool_)):
        return False
    if isinstance(a, float):
        return True
    return isinstance(a, (np.ndarray, np.generic)) and np.issubdtype(a.dtype, np.floating)


def _to_float64(a: Any) -> Any:
    """float64 copy of a floating argument; other arguments are returned as is."""
    if not _is_floating(a) or isinstance(a, float):
        return a
    if isinstance(a, np.ndarray):
        return a.astype(np.float64)
    return np.float64(a)


def _has_float32(args: Sequence[Any], kwargs: dict) -> bool:
    return any(_is_floating(a) and np.asarray(a).dtype == np.float32 for a in list(args) + list(kwargs.values()))


def _expected_dtype(a: Any) -> np.dtype:
    if isinstance(a, float):
        return np.dtype(np.float64)
    return np.asarray(a).dtype


def _snapshot(a: Any) -> Any:
    return a.copy() if isinstance(a, np.ndarray) else a


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=True)
        )
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:  # pragma: no cover - exotic objects
        return a is b


# --------------------------------------------------------------------------
# finite differences (float64)
# --------------------------------------------------------------------------

# 4-point central stencil: f'(x) ~ sum(c_k f(x + k h)) / h, error O(h^4)
_STENCIL = ((-2.0, 1.0 / 12.0), (-1.0, -8.0 / 12.0), (1.0, 8.0 / 12.0), (2.0, -1.0 / 12.0))


def _scalar_output(f: Callable, args, kwargs) -> float:
    out = f(*args, **kwargs)
    arr = np.asarray(out)
    if arr.ndim != 0:
        raise AssertionError(f"{getattr(f, '__name__', f)} must return a scalar, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise AssertionError(f"{getattr(f, '__name__', f)} returned non-numeric {out!r}")
    return float(arr)


def _with_value(x0: Any, value: np.ndarray) -> Any:
    """Give ``value`` the container type of ``x0`` (Python float stays float)."""
    if isinstance(x0, float):
        return float(value)
    if isinstance(x0, np.generic):
        return np.float64(value)
    return np.asarray(value, dtype=np.float64).reshape(np.shape(x0))


def _directional(f, args64, kwargs64, slot: Slot, direction: np.ndarray, eps: float) -> float:
    """d/dt f(x + t*direction) at t=0 in float64 (``direction`` already scaled)."""
    x0 = slot.get(args64, kwargs64)
    base = np.asarray(x0, dtype=np.float64)
    total = 0.0
    for k, c in _STENCIL:
        a, kw = slot.replaced(args64, kwargs64, _with_value(x0, base + (k * eps) * direction))
        total += c * _scalar_output(f, a, kw)
    return total / eps


def _step_scale(x: np.ndarray) -> np.ndarray:
    return np.maximum(1.0, np.abs(x))


def numeric_grad(f, args, wrt=0, kwargs=None, eps: float = 1e-3):
    """Full elementwise FD gradient of ``f`` (in float64) wrt ``wrt``.

    Returns a float64 array (or a tuple of them for a tuple ``wrt``) with the
    shape of each differentiated argument.
    """
    kwargs = dict(kwargs or {})
    args64 = [_to_float64(a) for a in args]
    kwargs64 = {k: _to_float64(v) for k, v in kwargs.items()}
    slots = resolve_wrt(f, args, kwargs, wrt)
    out = []
    for slot in slots:
        x = np.asarray(slot.get(args64, kwargs64), dtype=np.float64)
        scale = _step_scale(x)
        g = np.zeros(x.shape, dtype=np.float64)
        for idx in np.ndindex(x.shape):
            d = np.zeros(x.shape)
            d[idx] = scale[idx]
            g[idx] = _directional(f, args64, kwargs64, slot, d, eps) / scale[idx]
        out.append(g)
    return tuple(out) if isinstance(wrt, tuple) else out[0]


def directional_fd(f, args, direction, wrt=0, kwargs=None, eps: float = 1e-3) -> float:
    """FD derivative of ``f`` along ``direction`` of the single argument ``wrt``."""
    kwargs = dict(kwargs or {})
    args64 = [_to_float64(a) for a in args]
    kwargs64 = {k: _to_float64(v) for k, v in kwargs.items()}
    (slot,) = resolve_wrt(f, args, kwargs, wrt)
    d = np.asarray(direction, dtype=np.float64)
    m = np.max(np.abs(d)) if d.size else 0.0
    if m == 0:
        return 0.0
    x = np.asarray(slot.get(args64, kwargs64), dtype=np.float64)
    s = float(np.max(_step_scale(x))) / m  # so that max|s*d| = step scale of x
    return _directional(f, args64, kwargs64, slot, s * d, eps) / s


# --------------------------------------------------------------------------
# the checker
# --------------------------------------------------------------------------


def _fmt(a) -> str:
    return np.array2string(np.asarray(a), precision=8, max_line_width=100, threshold=40)


def _source_of(grad_fn) -> str:
    src = getattr(grad_fn, "source", None)
    if not isinstance(src, str):
        return ""
    lines = src.splitlines()
    if len(lines) > _MAX_SOURCE_LINES:
        lines = [*lines[:_MAX_SOURCE_LINES], f"... ({len(lines) - _MAX_SOURCE_LINES} more lines)"]
    return "\n--- generated source ---\n" + "\n".join(lines)


def _check_meta(fname: str, slot: Slot, x: Any, g: Any, extra: str) -> None:
    """Shape / dtype / finiteness of one gradient."""
    want_shape = np.shape(x)
    want_dtype = _expected_dtype(x)
    if g is None:
        raise AssertionError(f"{fname}: gradient wrt {slot.label} is None{extra}")
    if not isinstance(g, (numbers.Number, np.ndarray, np.generic)):
        raise AssertionError(
            f"{fname}: gradient wrt {slot.label} has type {type(g).__name__}, expected an array or a number{extra}"
        )
    garr = np.asarray(g)
    if garr.shape != want_shape:
        raise AssertionError(
            f"{fname}: gradient wrt {slot.label} has shape {garr.shape}, "
            f"expected {want_shape} (the argument's shape){extra}"
        )
    if garr.dtype != want_dtype:
        raise AssertionError(
            f"{fname}: gradient wrt {slot.label} has dtype {garr.dtype}, "
            f"expected {want_dtype} (the argument's dtype){extra}"
        )
    if not np.all(np.isfinite(garr)):
        raise AssertionError(f"{fname}: gradient wrt {slot.label} is not finite:\n{_fmt(garr)}{extra}")


def check_grad_values(
    f: Callable,
    args: Sequence[Any],
    grads,
    wrt=0,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    kwargs: dict | None = None,
    n_dirs: int = 3,
    max_full: int = 20,
    eps: float = 1e-3,
    extra_msg: str = "",
):
    """Compare already computed ``grads`` (structured like ``ad.grad``'s output
    for this ``wrt``) against float64 finite differences of ``f``."""
    kwargs = dict(kwargs or {})
    fname = getattr(f, "__name__", repr(f))
    slots = resolve_wrt(f, args, kwargs, wrt)
    if isinstance(wrt, tuple):
        if not isinstance(grads, tuple) or len(grads) != len(slots):
            raise AssertionError(
                f"{fname}: wrt={wrt!r} should give a tuple of {len(slots)} gradients, "
                f"got {type(grads).__name__}"
                + (f" of length {len(grads)}" if isinstance(grads, (tuple, list)) else "")
                + extra_msg
            )
        grad_list = list(grads)
    else:
        if isinstance(grads, (tuple, list)):
            raise AssertionError(
                f"{fname}: wrt={wrt!r} (not a tuple) should give a single gradient, "
                f"got a {type(grads).__name__}{extra_msg}"
            )
        grad_list = [grads]

    default = F32_TOL if _has_float32(args, kwargs) else F64_TOL
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol

    rng = np.random.default_rng(seed)
    args64 = [_to_float64(a) for a in args]
    kwargs64 = {k: _to_float64(v) for k, v in kwargs.items()}

    for slot, g in zip(slots, grad_list, strict=True):
        x = slot.get(args, kwargs)
        if not _is_floating(x):
            raise AssertionError(f"{fname}: {slot.label} is not a floating value: {x!r}")
        _check_meta(fname, slot, x, g, extra_msg)
        g64 = np.asarray(g, dtype=np.float64)
        x64 = np.asarray(slot.get(args64, kwargs64), dtype=np.float64)
        scale = _step_scale(x64)

        if x64.size <= max_full:
            fd = np.zeros(x64.shape)
            for idx in np.ndindex(x64.shape):
                d = np.zeros(x64.shape)
                d[idx] = scale[idx]
                fd[idx] = _directional(f, args64, kwargs64, slot, d, eps) / scale[idx]
            err = np.abs(g64 - fd)
            gscale = max(1.0, float(np.max(np.abs(fd)))) if fd.size else 1.0
            tol = atol * gscale + rtol * np.abs(fd)
            if np.any(err > tol):
                worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err - tol)), err.shape))
                raise AssertionError(
                    f"{fname}: gradient wrt {slot.label} does not match finite differences "
                    f"(rtol={rtol:g}, atol={atol:g}); worst at index {worst}: "
                    f"got {float(g64[worst])!r}, FD {float(fd[worst])!r}, "
                    f"|err| {float(err[worst]):.3g}\n"
                    f"got:\n{_fmt(g64)}\nFD:\n{_fmt(fd)}{extra_msg}"
                )
        else:
            for k in range(n_dirs):
                v = rng.standard_normal(x64.shape)
                v /= np.max(np.abs(v))
                d = v * scale
                fd_d = _directional(f, args64, kwargs64, slot, d, eps)
                ad_d = float(np.sum(g64 * d))
                mag = float(np.sum(np.abs(g64 * d)))
                tol = atol * max(1.0, mag) + rtol * max(abs(fd_d), mag)
                if not abs(ad_d - fd_d) <= tol:
                    raise AssertionError(
                        f"{fname}: directional derivative #{k} wrt {slot.label} "
                        f"(shape {x64.shape}) does not match finite differences: "
                        f"<grad, d> = {ad_d!r}, FD = {fd_d!r}, |err| {abs(ad_d - fd_d):.3g} "
                        f"> tol {tol:.3g} (rtol={rtol:g}, atol={atol:g}, seed={seed})"
                        f"\ngrad:\n{_fmt(g64)}{extra_msg}"
                    )
    return grads


def check_grad(
    f: Callable,
    args: Sequence[Any],
    wrt=0,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    kwargs: dict | None = None,
    n_dirs: int = 3,
    max_full: int = 20,
    eps: float = 1e-3,
    grad_fn: Callable | None = None,
):
    """Check ``ad.grad(f, wrt=wrt)(*args, **kwargs)`` against finite differences.

    ``rtol``/``atol`` default to :data:`F64_TOL`, or :data:`F32_TOL` when any
    floating input is float32. ``grad_fn`` replaces ``ad.grad(f, wrt=wrt)``
    (used to validate this checker against another AD tool). Returns the
    gradient(s) as produced by the gradient function.
    """
    args = tuple(args)
    kwargs = dict(kwargs or {})
    fname = getattr(f, "__name__", repr(f))
    if grad_fn is None:
        import adtransform as ad

        grad_fn = ad.grad(f, wrt=wrt)
    before = [_snapshot(a) for a in args]
    before_kw = {k: _snapshot(v) for k, v in kwargs.items()}
    grads = grad_fn(*args, **kwargs)
    src = _source_of(grad_fn)
    for i, (a, b) in enumerate(zip(args, before, strict=True)):
        if not _same(a, b):
            raise AssertionError(f"{fname}: gradient function mutated positional arg {i}{src}")
    for k, b in before_kw.items():
        if not _same(kwargs[k], b):
            raise AssertionError(f"{fname}: gradient function mutated kwarg {k!r}{src}")
    return check_grad_values(
        f,
        args,
        grads,
        wrt=wrt,
        rtol=rtol,
        atol=atol,
        seed=seed,
        kwargs=kwargs,
        n_dirs=n_dirs,
        max_full=max_full,
        eps=eps,
        extra_msg=src,
    )


def tree_fd(fn, args, i, eps=1e-6):
    """Central differences of `fn` w.r.t. every float leaf of `args[i]` (a pytree), in its structure
    (None for the other leaves)."""
    from adtransform.runtime.pytrees import flatten, unflatten

    leaves, tree = flatten(args[i])
    grads = []
    for k, leaf in enumerate(leaves):
        if not (isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f") and not isinstance(leaf, float):
            grads.append(None)
            continue
        base = np.asarray(leaf, dtype=np.float64)
        g = np.zeros_like(base)
        for j in np.ndindex(base.shape):
            values = []
            for sign in (1, -1):
                bumped = base.copy()
                bumped[j] += sign * eps
                new = list(leaves)
                new[k] = bumped if isinstance(leaf, np.ndarray) else float(bumped)
                moved = list(args)
                moved[i] = unflatten(tree, iter(new))
                values.append(fn(*moved))
            g[j] = (values[0] - values[1]) / (2 * eps)
        grads.append(g)
    return unflatten(tree, iter(grads))


def assert_trees_close(a, b, rtol=1e-6, atol=1e-8):
    """Two pytrees of gradients: the same leaves, None at the same places, the arrays close."""
    from adtransform.runtime.pytrees import flatten

    la, _ = flatten(a)
    lb, _ = flatten(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
