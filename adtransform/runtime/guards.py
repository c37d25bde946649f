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


class Content(str):
    """The last step of a dependency path: that attribute is a container (a partial's keywords, a
    function's `__defaults__`) whose entries the transform read; the guard compares them, one by one
    by identity, with a snapshot (an entry changed in place: derived again)."""


def same_content(current: Any, snapshot: Any) -> bool:
    """Whether container `current` holds the very objects `snapshot` (a tuple or dict copy) holds."""
    if snapshot is None or current is None:
        return current is snapshot
    if type(current) is not type(snapshot) or len(current) != len(snapshot):
        return False
    if isinstance(snapshot, dict):
        return all(k1 == k2 and current[k1] is v for k1, (k2, v) in zip(current, snapshot.items()))
    return all(a is b for a, b in zip(current, snapshot))


def snapshot(container: Any) -> Any:
    """The entries of a tuple or dict (None stays None), for `same_content`."""
    return None if container is None else type(container)(container)


class Func(str):
    """A step of a dependency path: the function a method object wraps (`__func__`), or ABSENT when
    what is there now is no method (a plain function assigned in its place)."""


FUNC = Func("__func__")


def function_of(method: Any) -> Any:
    """`method.__func__`, or ABSENT."""
    return getattr(method, "__func__", ABSENT)
