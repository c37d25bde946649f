"""The backward-sweep builder as the reverse mode of loops sees it.

`ad/reverse.py` builds the backward sweep and calls `ad/loops.py` for each loop; the loop's reverse
mode drives a builder for its body in turn. Both name the builder through this protocol, so neither
module imports the other's internals and the imports stay acyclic (reverse -> loops -> builder).
"""

from __future__ import annotations

from typing import Protocol

from ..analysis.activity import Activity
from ..analysis.rank import Ranks
from ..ir.nodes import Operand, Stmt, Var
from ..syntax.naming import Namer


class Hypothesis(Protocol):
    ranks: Ranks  # the ranks the generated code may rely on (those of its scalar version, if it has one)


class Builder(Protocol):
    """Builds the backward sweep of one block: its statements and the adjoint of every value so far."""

    namer: Namer
    adjoints: dict[Var, Operand]
    ops: list[Stmt]
    user_vars: set[Var]  # values the user named (their adjoints are worth a readable name)
    readable: set[Var]
    hypothesis: Hypothesis

    def child(self) -> Builder:
        """A builder for a nested block: its own statements, adjoints starting from the current ones."""
        ...

    def sweep(self, body: list[Stmt], active: Activity) -> None:
        """Append the adjoint of `body` (walked backwards)."""
        ...

    def zero(self, var: Var) -> Operand:
        """A zero adjoint for `var`."""
        ...

    def accumulate(self, var: Var, contribution: Operand, line: int | None) -> None:
        """Add `contribution` to the adjoint of `var`."""
        ...
