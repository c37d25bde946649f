"""The analysis manager: each analysis of a function computed once, when a pass first asks for it.

A pass asks `cx.analyses.get(defuse.analyze)`; the manager runs `defuse.analyze(fn)` the first time
and hands back the same result until a pass reports that it changed the function, when the driver
calls `invalidate()` (as pythran's pass manager does). An analysis is a function
`analyze(fn, analyses) -> result`: adding one is writing that function; it asks `analyses` for the
analyses it builds on (ownership reads the def-use chains). A pass that changes the function and then asks again within
the same run invalidates first (the manager cannot see the change until the pass returns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..ir.nodes import Function
from ..syntax.naming import Namer

T = TypeVar("T")


class Analyses:
    """The cached analyses of one IR function."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self._cache: dict[Callable[..., Any], Any] = {}

    def get(self, analysis: Callable[[Function, Analyses], T]) -> T:
        if analysis not in self._cache:
            self._cache[analysis] = analysis(self.fn, self)
        return self._cache[analysis]

    def invalidate(self) -> None:
        """The function changed: every analysis is computed again when next asked for."""
        self._cache.clear()


@dataclass
class PassContext:
    """What every optimization pass receives besides the function: names for new values and the
    function's analyses."""

    namer: Namer
    analyses: Analyses

    @classmethod
    def of(cls, fn: Function, namer: Namer | None = None) -> PassContext:
        """A context for passes over `fn` (a namer reserving nothing when none is given: tests)."""
        return cls(namer if namer is not None else Namer(), Analyses(fn))
