"""IR operands as the rule registry sees them (rules/ is the bottom layer and imports no stage)."""

from __future__ import annotations

from typing import Any

from ..rules.registry import RUNTIME, Operands
from .nodes import Const, Global


def known_value(operand: Any) -> Any:
    """The value `operand` holds when the function is transformed (a constant, a global's object), else RUNTIME."""
    if isinstance(operand, Const):
        return operand.value
    if isinstance(operand, Global):
        return operand.ref.obj
    return RUNTIME


# What a rule's `bind` needs: a default becomes a constant operand; a known value is tested by `Accepts`.
RULE_OPERANDS = Operands(constant=Const, known=known_value)
