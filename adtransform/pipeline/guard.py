"""What escapes a transform: adtransform's own located errors, or an internal error naming the user's function.

Three guards around the whole pipeline:

* deep expressions: a 300-term sum is 300 nested `BinOp` nodes, and the AST libraries the
  pipeline relies on (gast's conversion, `ast.unparse`) recurse once per level, past Python's
  default recursion limit. A transform that hits it runs again with a deeper limit, up to a
  bound (beyond it, a located error asks to split the expression);
* anything else that is not an `AdtransformError` is a bug of the compiler: it is reported as
  `InternalError` with the function's name, file and line, chained to the original exception;
* the cyclic garbage collector is paused: a transform makes many small objects that live until it
  ends, and the collector would scan them again at every generation threshold (27% of a
  1,000-statement transform, 40% of a 3,000-statement one: its time grew faster than the function).
  Reference counting still frees what dies at once; the cycles left over are collected after the
  transform (measured: peak memory of a 3,000-statement transform 206 -> 239 MB). The collector
  is left as the transform found it (a change another thread makes meanwhile is not kept).
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import types
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import AdtransformError, InternalError, Location, UnsupportedSyntaxError

T = TypeVar("T")

_LIMITS = (8_000, 20_000)  # frames; each nesting level of an expression costs about ten
_STACK_BYTES = 512 * 1024 * 1024  # the C stack of the thread a deep transform runs in
_lock = threading.Lock()
_deep = 0  # transforms running with a raised limit
_saved = 0


def transform_guarded(fn: types.FunctionType, build: Callable[[], T]) -> T:
    """`build()`, with RecursionError retried under deeper limits and internal errors located."""
    with _collector_paused():
        return _guarded(fn, build)


@contextlib.contextmanager
def _collector_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _guarded(fn: types.FunctionType, build: Callable[[], T]) -> T:
    try:
        try:
            return build()
        except RecursionError:
            pass
        for limit in _LIMITS:
            try:
                return _on_a_deep_stack(build, limit)
            except RecursionError:
                continue
        raise UnsupportedSyntaxError(
            "an expression is nested too deeply to transform (thousands of operations in one expression); "
            "split it into several statements", _where(fn), "deeply nested expression")
    except (AdtransformError, MemoryError):
        raise
    except Exception as exc:
        raise InternalError(
            f"{_where(fn)}: internal error of adtransform while transforming {fn.__qualname__} "
            f"({type(exc).__name__}: {exc}); please report it with this function") from exc


def _on_a_deep_stack(build: Callable[[], T], limit: int) -> T:
    """`build()` under a recursion limit of `limit`, in a thread with a C stack to match.

    A higher limit lets C code recurse deeper too (the compiler scales its own limits from it):
    on the caller's stack that ends in a segmentation fault, not a RecursionError. The thread's
    stack is reserved, not committed: only what the recursion touches is used.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with _recursion_limit(limit):
                outcome["value"] = build()
        except BaseException as exc:  # handed to the caller, which raises it
            outcome["error"] = exc

    with _lock:  # the stack size applies to the threads started while it is set
        previous = threading.stack_size(_STACK_BYTES)
        try:
            worker = threading.Thread(target=run, name="adtransform-deep-transform")
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _where(fn: types.FunctionType) -> Location:
    code = fn.__code__
    return Location(code.co_filename, code.co_firstlineno)


class _recursion_limit:
    """Raise the interpreter's recursion limit while any deep transform runs (it is process-wide)."""

    def __init__(self, limit: int):
        self.limit = limit

    def __enter__(self) -> None:
        global _deep, _saved
        with _lock:
            if _deep == 0:
                _saved = sys.getrecursionlimit()
            _deep += 1
            if sys.getrecursionlimit() < self.limit:
                sys.setrecursionlimit(self.limit)

    def __exit__(self, *exc: object) -> None:
        global _deep
        with _lock:
            _deep -= 1
            if _deep == 0:
                sys.setrecursionlimit(_saved)
