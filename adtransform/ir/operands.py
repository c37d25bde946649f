"""IR operands as the rule registry sees them (rules/ is the bottom layer and imports no stage)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from ..rules.registry import RUNTIME, Operands
from .nodes import Const, Global

# The globals whose value a transform consulted (a rule's `Accepts`, a tuple result's mode): the
# pipeline guards them by identity, not only by type as it guards the data a gradient merely reads.
_consulted: ContextVar[list[Any] | None] = ContextVar("consulted", default=None)


@contextlib.contextmanager
def consulting() -> Iterator[list[Any]]:
    """Collect the references (`Global.ref`) whose value `known_value` handed out meanwhile."""
    token = _consulted.set([])
    try:
        yield _consulted.get()
    finally:
        _consulted.reset(token)


def known_value(operand: Any) -> Any:
    """The value `operand` holds when the function is transformed (a constant, a global's object), else RUNTIME."""
    if isinstance(operand, Const):
        return operand.value
    if isinstance(operand, Global):
        consulted = _consulted.get()
        if consulted is not None:
            consulted.append(operand.ref)
        return operand.ref.obj
    return RUNTIME


# What a rule's `bind` needs: a default becomes a constant operand; a known value is tested by `Accepts`.
RULE_OPERANDS = Operands(constant=Const, known=known_value)
