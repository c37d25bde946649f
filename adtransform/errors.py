"""The exception hierarchy users see.

Every error raised while transforming a function says where (file, line,
column), what construct was involved, and what to do instead. Errors raised
by generated code at run time (non-scalar output, integer input) carry the
function's name so the user knows which gradient complained.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A position in the user's source file (1-based line, 0-based column)."""

    filename: str
    line: int
    col: int = 0

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}"


class AdtransformError(Exception):
    """Base class of every error adtransform raises on purpose."""


class TransformError(AdtransformError):
    """A problem found while transforming a function, located in its source."""

    def __init__(self, message: str, location: Location | None = None, construct: str = ""):
        self.location = location
        self.construct = construct
        self.detail = message
        where = f"{location}: " if location else ""
        what = f"{construct}: " if construct else ""
        super().__init__(f"{where}{what}{message}")


class UnsupportedSyntaxError(TransformError):
    """The function uses a construct the compiler does not handle (yet)."""


class NameResolutionError(TransformError):
    """A free name could not be resolved when the function was transformed."""


class NoAdjointRuleError(TransformError):
    """A differentiable value flows into a call that has no derivative rule."""


class SourceUnavailableError(AdtransformError):
    """The function's source code cannot be read (builtin, C function, REPL lambda)."""


class StaleSourceError(SourceUnavailableError):
    """The function's source file no longer holds the code that runs (edited after it was imported)."""


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
