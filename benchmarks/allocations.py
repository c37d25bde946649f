"""Count NumPy's array-data allocations made by a call: how many, how many bytes, peak live bytes.

Why this measure: a gradient's temporaries are the array buffers it allocates and frees; counting
them needs every allocation, including those freed before the call returns, which memory snapshots
(tracemalloc's live blocks) do not see. NumPy (>= 1.22) lets a program install its own data
allocator (NEP 49, `PyDataMem_SetHandler`): `counting()` installs one that forwards to the C
library's malloc/calloc/realloc/free and counts. It applies to the current thread's context only,
and every array remembers the allocator that made it, so arrays made before or after are freed by
their own. Each data buffer counts, 0-d results included; small objects that are not array data
(Python floats, shape tuples) do not.

The callbacks go through ctypes, so a counted call is much slower: count in a separate run, never
while timing.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

_SIZE, _PTR = ctypes.c_size_t, ctypes.c_void_p
_MALLOC = ctypes.CFUNCTYPE(_PTR, _PTR, _SIZE)
_CALLOC = ctypes.CFUNCTYPE(_PTR, _PTR, _SIZE, _SIZE)
_REALLOC = ctypes.CFUNCTYPE(_PTR, _PTR, _PTR, _SIZE)
_FREE = ctypes.CFUNCTYPE(None, _PTR, _PTR, _SIZE)


class _Allocator(ctypes.Structure):
    _fields_ = [("ctx", _PTR), ("malloc", _MALLOC), ("calloc", _CALLOC), ("realloc", _REALLOC), ("free", _FREE)]


class _Handler(ctypes.Structure):  # PyDataMem_Handler, version 1 (numpy/ndarraytypes.h)
    _fields_ = [("name", ctypes.c_char * 127), ("version", ctypes.c_uint8), ("allocator", _Allocator)]


BIG = 1024  # bytes: a buffer at least this big is an array temporary, not a 0-d result or a shape's


@dataclass
class Counts:
    allocations: int = 0
    big: int = 0  # allocations of at least BIG bytes
    bytes: int = 0
    live: int = 0
    peak: int = 0  # most bytes allocated in the window and not yet freed at one time

    def add(self, size: int) -> None:
        self.allocations += 1
        self.big += size >= BIG
        self.bytes += size
        self.live += size
        self.peak = max(self.peak, self.live)


_libc = ctypes.CDLL(None)
_libc.malloc.restype = _libc.calloc.restype = _libc.realloc.restype = _PTR
_libc.malloc.argtypes = [_SIZE]
_libc.calloc.argtypes = [_SIZE, _SIZE]
_libc.realloc.argtypes = [_PTR, _SIZE]
_libc.free.argtypes = [_PTR]
_sizes: dict[int, int] = {}  # live buffers made by the counting allocator: address -> size
_current: list[Counts] = []


def _note(ptr: int | None, size: int) -> None:
    if ptr:
        _sizes[ptr] = size
        if _current:
            _current[-1].add(size)


def _malloc(ctx, size):
    ptr = _libc.malloc(size or 1)
    _note(ptr, size)
    return ptr


def _calloc(ctx, nelem, elsize):
    ptr = _libc.calloc(nelem or 1, elsize or 1)
    _note(ptr, nelem * elsize)
    return ptr


def _realloc(ctx, ptr, size):
    old = _sizes.pop(ptr, 0) if ptr else 0
    if _current:
        _current[-1].live -= old
    new = _libc.realloc(ptr, size or 1)
    _note(new, size)
    return new


def _free(ctx, ptr, size):
    if ptr:
        size = _sizes.pop(ptr, size)
        if _current:
            _current[-1].live -= size
        _libc.free(ptr)


_callbacks = (_MALLOC(_malloc), _CALLOC(_calloc), _REALLOC(_realloc), _FREE(_free))  # kept alive
_handler = _Handler(b"adtransform-counting", 1, _Allocator(None, *_callbacks))
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype, _capsule_new.argtypes = ctypes.py_object, [_PTR, ctypes.c_char_p, _PTR]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype, _capsule_pointer.argtypes = _PTR, [ctypes.py_object, ctypes.c_char_p]
_NAME = b"mem_handler"  # the capsule name NumPy requires
_capsule = _capsule_new(ctypes.addressof(_handler), _NAME, None)  # arrays keep a reference: never freed
_api = ctypes.cast(_capsule_pointer(np._core._multiarray_umath._ARRAY_API, None), ctypes.POINTER(_PTR))
_set_handler = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(_api[304])  # PyDataMem_SetHandler


@contextlib.contextmanager
def counting() -> Iterator[Counts]:
    """Count the array-data allocations made in this thread inside the `with` block."""
    counts = Counts()
    _current.append(counts)
    previous = _set_handler(_capsule)
    try:
        yield counts
    finally:
        _set_handler(previous)
        _current.pop()


def count_call(fn: Callable[[], object], repeat: int = 3) -> Counts:
    """The allocations of one call of `fn` (after `repeat - 1` warm-up calls, so caches are filled)."""
    for _ in range(max(repeat - 1, 0)):
        fn()
    with counting() as counts:
        result = fn()
    del result
    return counts
