"""Every blocker at once: what each stage refused, in one error raised when the pipeline stops.

A refused function usually has several problems, and fixing them one error at a time takes as many
runs. Stages that can go on after a refusal record it here and the pipeline goes on (the alias
analysis: its refusals are about what NumPy's in-place updates mean, which later stages read as new
values anyway); a stage that cannot (the fence, a canonicalization pass, lowering, reverse mode:
what follows needs what it did) stops the pipeline inside `stage`, and its error joins what was
recorded. A stage stopping the pipeline means the stages after it did not run: they may refuse more.

The refusals deferred to the call (`x += 1.0` accepted when `x` holds a number, refused for an
array) are reported with the others when something else refuses the function: they are what an
array argument meets, and the message says when they apply.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..errors import Problem, TransformError, UnsupportedSyntaxError, combined


class Blockers:
    """The refusals of one transform of the function named `function` (`<lambda>` for a lambda)."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.found: list[TransformError] = []
        self.deferred: dict[str, UnsupportedSyntaxError] = {}  # parameter -> refused unless it holds a number

    @contextlib.contextmanager
    def stage(self, name: str = "") -> Iterator[None]:
        """Stages whose refusal stops the pipeline: raise it with everything recorded before. `name`:
        of a stage that others follow (the message says they did not run, when other stages refused)."""
        try:
            yield
        except TransformError as error:
            joined = self.error(error)
            if name and (self.found or self.deferred):
                joined.args = (f"{joined}\n  ({name} refused: the stages after it did not run, and may refuse "
                               f"more)",)
            raise joined from None

    def raise_any(self) -> None:
        if self.found:
            raise self.error()

    def error(self, *stopped: TransformError) -> TransformError:
        errors = [*self.found, *stopped]
        for param, refusal in sorted(self.deferred.items()):
            errors.append(type(refusal).of([Problem(p.location, p.construct, f"{p.advice} (when `{param}` holds an "
                                                    f"array; accepted when it holds a number)")
                                            for p in refusal.problems]))
        joined = combined(errors, self.function)
        # refused only for what the parameters hold (the containers pass): the API may try containers
        joined.containers = bool(errors) and all(getattr(e, "containers", False) for e in errors)
        return joined
