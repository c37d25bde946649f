"""Deterministic, collision-free names for generated code.

Names follow the user (`h`, `h_1` for SSA versions, `h_bar` for adjoints) and
never collide with a name the user's function reads or writes: Tangent once
named the adjoint of a bias `b` as `bb`, which shadowed a user variable.
"""

from __future__ import annotations

import builtins
import keyword
import re

_SUFFIX = re.compile(r"^(.*?)_(\d+)$")


class Namer:
    """Hands out fresh identifiers; `reserve` marks names as taken.

    >>> n = Namer({"h", "h_1"})
    >>> n.fresh("h"), n.fresh("h"), n.fresh("tmp"), n.fresh("tmp")
    ('h_2', 'h_3', 'tmp', 'tmp_1')
    """

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()):
        self._taken: set[str] = set(reserved) | set(keyword.kwlist)
        self._next: dict[str, int] = {}

    def reserve(self, identifier: str) -> None:
        self._taken.add(identifier)

    def is_taken(self, identifier: str) -> bool:
        return identifier in self._taken

    def fresh(self, hint: str) -> str:
        base = sanitize(hint)
        if base not in self._taken and not hasattr(builtins, base):
            self._taken.add(base)
            return base
        stem = base
        match = _SUFFIX.match(base)
        if match and match.group(1):
            stem = match.group(1)
        counter = self._next.get(stem, 1)
        while f"{stem}_{counter}" in self._taken:
            counter += 1
        self._next[stem] = counter + 1
        result = f"{stem}_{counter}"
        self._taken.add(result)
        return result


def sanitize(hint: str) -> str:
    cleaned = re.sub(r"\W", "_", hint).strip("_") or "t"
    if cleaned[0].isdigit():
        cleaned = "t" + cleaned
    return cleaned
