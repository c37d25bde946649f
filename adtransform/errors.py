"""The exception hierarchy users see.

Every error raised while transforming a function says where (file, line,
column), what construct was involved, and what to do instead. Errors raised
by generated code at run time (non-scalar output, integer input) carry the
function's name so the user knows which gradient complained.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Location:
    """A position in the user's source file (1-based line, 0-based column)."""

    filename: str
    line: int
    col: int = 0

    def __post_init__(self) -> None:
        # A function with callees spliced into it numbers their lines apart (frontend/segments.py).
        real = getattr(self.filename, "real", None)
        if real is not None:
            filename, line = real(self.line)
            object.__setattr__(self, "filename", filename)
            object.__setattr__(self, "line", line)

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}"


class AdtransformError(Exception):
    """Base class of every error adtransform raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One located reason a function is refused: where, what construct, what to do instead."""

    location: Location | None
    construct: str
    advice: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.construct}: " if self.construct else ""
        return f"{where}{what}{self.advice}"


class TransformError(AdtransformError):
    """A problem found while transforming a function, located in its source.

    A refused function is reported with all the problems of one kind a stage found, not only the
    first (fixing them one error at a time would take as many runs): `problems` lists them in
    source order, and `location`, `construct` and `detail` describe the first. With one problem the
    message is that problem alone; with several, a header line naming the function, then one line
    each.
    """

    several = "problems"  # what the header calls several problems of this kind

    def __init__(self, message: str, location: Location | None = None, construct: str = "", *,
                 more: Sequence[Problem] = (), function: str = ""):
        self.location = location
        self.construct = construct
        self.detail = message
        self.function = function
        self.problems: tuple[Problem, ...] = (Problem(location, construct, message), *more)
        if len(self.problems) == 1:
            super().__init__(str(self.problems[0]))
            return
        name = f" {function}" if function else ""
        lines = [f"cannot differentiate{name}: {len(self.problems)} {self.several}",
                 *(f"  {p}" for p in self.problems)]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple:
        """Pickled by its problems (an error crossing to another process, xdist or multiprocessing,
        keeps them), and a combined kind by the kinds it combines (its class is made at run time)."""
        return _remade, (getattr(type(self), "kinds", (type(self),)), self.problems, self.function, self.args)

    @classmethod
    def of(cls: type[_E], problems: Iterable[Problem], function: str = "") -> _E:
        """One error reporting every problem once, in source order (at least one problem)."""
        unique = sorted(dict.fromkeys(problems), key=_source_order)
        first, *rest = unique
        return cls(first.advice, first.location, first.construct, more=rest, function=function)


_E = TypeVar("_E", bound=TransformError)


def combined(errors: Sequence[TransformError], function: str = "") -> TransformError:
    """One error reporting the problems of every stage that refused, once each, in source order. Of
    each stage's kind of error (several kinds: a class deriving from each), so that an `except` for
    any of them catches it."""
    kinds = tuple(dict.fromkeys(type(e) for e in errors))
    kind = kinds[0] if len(kinds) == 1 else _mixed(kinds)
    return kind.of([p for e in errors for p in e.problems], function)


@functools.cache
def _mixed(kinds: tuple[type[TransformError], ...]) -> type[TransformError]:
    name = "And".join(k.__name__.removesuffix("Error") for k in kinds) + "Error"
    return type(name, kinds, {"__module__": __name__, "several": "problems", "kinds": kinds})


def _remade(kinds: tuple[type[TransformError], ...], problems: Sequence[Problem], function: str,
            args: tuple) -> TransformError:
    error = (kinds[0] if len(kinds) == 1 else _mixed(kinds)).of(problems, function)
    error.args = args
    return error


def _source_order(problem: Problem) -> tuple[int, int]:
    where = problem.location
    return (where.line, where.col) if where else (0, 0)


class UnsupportedSyntaxError(TransformError):
    """The function uses a construct the compiler does not handle (yet)."""

    several = "unsupported constructs"


class NameResolutionError(TransformError):
    """A free name could not be resolved when the function was transformed."""


class NoAdjointRuleError(TransformError):
    """A differentiable value flows into a call that has no derivative rule."""

    several = "operations without a usable derivative"


class SourceUnavailableError(AdtransformError):
    """The function's source code cannot be read (builtin, C function, REPL lambda)."""


class StaleSourceError(SourceUnavailableError):
    """The function's source file no longer holds the code that runs (edited after it was imported)."""


class AsyncFunctionError(UnsupportedSyntaxError, SourceUnavailableError):
    """An `async def` function: an unsupported construct, whose source holds no plain `def` either."""


class WrtError(AdtransformError, ValueError):
    """The `wrt` argument does not name parameters of the function."""


class NonScalarOutputError(AdtransformError, ValueError):
    """`grad` was asked for a function whose output is not a scalar."""


class NonDifferentiableInputError(AdtransformError, TypeError):
    """A `wrt` argument holds integers or booleans, which have no gradient."""


class UnsupportedArgumentError(AdtransformError, TypeError):
    """An argument breaks an assumption the transform made about it (a list where it took an array)."""


class RuleDefinitionError(AdtransformError):
    """A derivative rule is malformed (raised when it is registered)."""


class InternalError(AdtransformError):
    """A bug of adtransform itself, reported with the user's function it happened on."""
