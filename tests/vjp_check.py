"""The vector-Jacobian dot-product check of a table row: <v, J u> == <vjp(v), u>.

`J u` is the central difference of the row's un-reduced function along a random direction `u` of
all differentiated arguments at once, `vjp(v)` comes from `adtransform.vjp` with a random cotangent
`v` of the output's shape. This reaches what the gradient of `np.sum(np.sin(y))` does not: reverse
mode seeded with an arbitrary non-scalar cotangent (Mode.VJP), and every input's contribution at
once (cross terms between arguments).

The un-reduced function is the row's `raw=`, or else derived from the row's function when it ends
with `return np.sum(np.sin(E))` (the convention of the table modules): the same body returning `E`,
compiled from that text (registered in linecache, so adtransform reads its source like any other),
and checked as the map x -> sin(E(x)) (elementwise, unreduced): the row's inputs keep sin(E) smooth,
not necessarily E (arctan2 jumps by 2 pi on its branch cut, which sin does not see).
Rows differentiating only some arguments (`wrt=`) and rows of another form are checked through the
reduced function, with a random scalar cotangent.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import zlib
from collections.abc import Callable

import numpy as np
from gradcheck import F32_TOL, F64_TOL

import adtransform

_vjp, _grad = adtransform.vjp, adtransform.grad  # replaced in the checker's own tests

_STENCIL = ((-2, 1 / 12), (-1, -8 / 12), (1, 8 / 12), (2, -1 / 12))
_derived: dict[Callable, Callable | None] = {}


def _resolves(node: ast.expr, fn: Callable, target: object) -> bool:
    """`node` is a dotted name (`np.sum`) that means `target` in `fn`'s module."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in fn.__globals__:
        return False
    obj = fn.__globals__[node.id]
    for attr in reversed(parts):
        obj = getattr(obj, attr, None)
    return obj is target


def _reduced(node: ast.expr | None, fn: Callable) -> ast.expr | None:
    """E when `node` is `np.sum(np.sin(E))` (no other arguments), else None."""
    for target in (np.sum, np.sin):
        if not (isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1
                and _resolves(node.func, fn, target)):
            return None
        node = node.args[0]
    return node


def derived_raw(fn: Callable) -> Callable | None:
    """`fn` without its final `np.sum(np.sin(...))`, or None when it does not end so."""
    if fn in _derived:
        return _derived[fn]
    raw = None
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    if isinstance(node, ast.FunctionDef) and not node.decorator_list and isinstance(node.body[-1], ast.Return):
        inner = _reduced(node.body[-1].value, fn)
        if inner is not None:
            node.body[-1] = ast.Return(value=inner)
            node.name = f"{fn.__name__}__raw"
            text = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
            filename = f"<rule table: {fn.__module__}.{node.name}>"
            linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
            namespace: dict = {}
            exec(compile(text, filename, "exec"), fn.__globals__, namespace)
            raw = namespace[node.name]
    _derived[fn] = raw
    return raw


def _floating(value: object) -> bool:
    return isinstance(value, float) or (isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind == "f")


def _at(args: tuple, positions: tuple[int, ...], directions: list, t: float) -> list:
    """The arguments in float64, moved by `t * direction` at `positions`."""
    moved = [np.asarray(a, dtype=np.float64) if _floating(a) and not isinstance(a, float) else a for a in args]
    for i, u in zip(positions, directions, strict=True):
        value = np.asarray(args[i], dtype=np.float64) + t * u
        moved[i] = float(value) if isinstance(args[i], float) else value
    return moved


def check_vjp(fn: Callable, args: tuple, wrt: int | tuple, raw: Callable | None, case_id: str) -> None:
    """<v, J u> (central differences) == <vjp(v), u> for random `u` over the `wrt` arguments and `v`."""
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    every = positions == tuple(range(len(args))) and all(_floating(a) for a in args)
    target = raw if raw is not None else (derived_raw(fn) if every else None)
    out = target(*args) if target is not None else None
    if out is None or not _floating(out):
        target, out = fn, fn(*args)
    # A derived E is checked as x -> sin(E(x)), elementwise: the row's inputs keep sin(E) smooth, not E
    # (arctan2 jumps by 2 pi where sin does not see it). Its pullback is E's, given v * cos(E(x)).
    wrapped = raw is None and target is not fn
    rng = np.random.default_rng(zlib.crc32(f"vjp {case_id}".encode()))
    v = rng.standard_normal(np.shape(out))
    directions = [rng.standard_normal(np.shape(args[i])) for i in positions]
    largest = max([0.0, *(float(np.max(np.abs(u), initial=0.0)) for u in directions)])
    # steps as gradcheck's: at most 1e-3 * max(1, |x|) for each entry
    directions = [u / largest * np.maximum(1.0, np.abs(np.asarray(args[i], dtype=np.float64)))
                  for i, u in zip(positions, directions, strict=True)] if largest else directions

    if target is fn:  # a scalar output: the vector-Jacobian product is v times the gradient
        grads = tuple(float(v) * np.asarray(g, dtype=np.float64) for g in _grad(fn, wrt=positions)(*args))
    else:
        seed = v * np.cos(np.asarray(out, dtype=np.float64)) if wrapped else v
        cotangent = seed.astype(out.dtype) if isinstance(out, np.ndarray) else float(seed)
        before = [np.array(a, copy=True) for a in args]
        _, pullback = _vjp(target, *args)
        pulled = pullback(cotangent)
        changed = [i for i, (a, b) in enumerate(zip(args, before, strict=True)) if not np.array_equal(a, b)]
        assert not changed, f"{target.__name__}: vjp changed its arguments at positions {changed}"
        grads = tuple(pulled[i] for i in positions)
        for i, g in zip(positions, grads, strict=True):
            want = np.float64 if isinstance(args[i], float) else args[i].dtype
            assert g is not None and np.shape(g) == np.shape(args[i]) and np.asarray(g).dtype == want, (
                f"{target.__name__}: vjp wrt arg {i} has shape {np.shape(g)} and dtype "
                f"{np.asarray(g).dtype}, expected {np.shape(args[i])} and {want}")
    ad_side = sum(float(np.sum(np.asarray(g, dtype=np.float64) * u)) for g, u in zip(grads, directions, strict=True))
    terms = sum(float(np.sum(np.abs(np.asarray(g, dtype=np.float64) * u))) for g, u in zip(grads, directions,
                                                                                            strict=True))

    eps = 1e-3
    fd_side = 0.0
    for k, c in _STENCIL:
        y = np.asarray(target(*_at(args, positions, directions, k * eps)), dtype=np.float64)
        y = np.sin(y) if wrapped else y
        fd_side += c * float(np.sum(v * y))
    fd_side /= eps

    f32 = any(isinstance(a, (np.ndarray, np.generic)) and a.dtype == np.float32 for a in args)
    rtol, atol = F32_TOL if f32 else F64_TOL
    tol = atol * max(1.0, terms) + rtol * max(abs(fd_side), terms)
    assert abs(ad_side - fd_side) <= tol, (
        f"{target.__name__}: vector-Jacobian product does not match finite differences: "
        f"<vjp(v), u> = {ad_side!r}, <v, J u> = {fd_side!r}, |err| {abs(ad_side - fd_side):.3g} > tol {tol:.3g}")
