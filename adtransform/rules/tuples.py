"""Primitives whose result is a tuple of arrays: `sign, logdet = np.linalg.slogdet(A)`.

Reverse mode gives such a result the adjoint of a sequence (a list of its items' adjoints,
runtime/sequences.py), exactly as for a tuple the function builds, so unpacking it and indexing it
(`np.linalg.slogdet(A)[1]`) need nothing new; the primitive's rule reads the items' cotangents with
`tuple_part` (runtime/linalg.py). NumPy 2 returns named tuples: `declare_tuple_result` names their fields, and reading
one (`np.linalg.slogdet(A).logabsdet`) is differentiated as indexing. `unless` names the argument value
for which the primitive returns a single array instead (`np.linalg.svd(A, compute_uv=False)`,
`np.linalg.qr(A, mode='r')`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .registry import RUNTIME

__all__ = ["TupleResult", "declare_takes_tuple", "declare_tuple_result", "takes_tuple", "tuple_result"]


@dataclass(frozen=True)
class TupleResult:
    fields: tuple[str, ...]
    unless: tuple[str, int, tuple[Any, ...]] | None = None  # (parameter, position, values): then an array
    absent: bool = True  # a call leaving `unless`'s parameter out returns a tuple (False: its default gives an array)

    def field_index(self, name: str) -> int | None:
        return self.fields.index(name) if name in self.fields else None


_TUPLE_RESULTS: dict[Any, TupleResult] = {}
_TAKES_TUPLES: set[Any] = set()


def declare_takes_tuple(*primitives: Any) -> None:
    """Declare primitives whose rules take a tuple argument themselves (`cho_solve((c, lower), b)`): its
    adjoint is then a list, one cotangent per item (None for items like `lower` that have none)."""
    _TAKES_TUPLES.update(primitives)


def takes_tuple(key: Any) -> bool:
    try:
        return key in _TAKES_TUPLES
    except TypeError:
        return False


def declare_tuple_result(primitive: Any, fields: tuple[str, ...],
                         unless: tuple[str, int, tuple[Any, ...]] | None = None, absent: bool = True) -> None:
    """Declare that `primitive` returns a tuple (named `fields` in order), except when the parameter
    `unless[0]` (at position `unless[1]`) is one of the values `unless[2]`, or is left out and `absent` is
    False (`logsumexp(a, return_sign=True)`)."""
    _TUPLE_RESULTS[primitive] = TupleResult(tuple(fields), unless, absent)


def tuple_result(key: Any, args: list[Any], kwargs: dict[str, Any],
                 known: Callable[[Any], Any]) -> TupleResult | None:
    """What a call of `key` with these operands returns, if a tuple. `known(operand)` is its value when
    the function is transformed, or RUNTIME: a value only known at run time counts as giving a tuple
    (the primitive's rule refuses such calls)."""
    try:
        declared = _TUPLE_RESULTS.get(key)
    except TypeError:  # an unhashable key
        return None
    if declared is None or declared.unless is None:
        return declared
    name, position, values = declared.unless
    operand = kwargs.get(name, args[position] if position < len(args) else None)
    if operand is None:
        return declared if declared.absent else None
    given = known(operand)
    return None if given is not RUNTIME and any(_equal(given, v) for v in values) else declared


def _equal(given: Any, value: Any) -> bool:
    try:
        return bool(given is value or given == value)
    except (TypeError, ValueError):  # (an array compares elementwise)
        return False
