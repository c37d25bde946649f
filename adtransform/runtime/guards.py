"""What a dependency guard reads that is no plain attribute path."""

from __future__ import annotations

from typing import Any


class Own(str):
    """A step of a dependency path: the object's OWN attribute of that name (its instance
    `__dict__`), or ABSENT; an instance attribute set later shadows the class's method."""


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def own_attribute(obj: Any, name: str) -> Any:
    """`obj`'s own attribute `name` (not its class's), or ABSENT."""
    return getattr(obj, "__dict__", {}).get(name, ABSENT)
