"""Which operations may be removed or merged: see analysis/effects.py (the facts registry decides)."""

from ..analysis.effects import (
    changed_operands,
    facts_of,
    is_foldable,
    is_fresh,
    is_pure,
    may_change_globals,
    shape_only,
)

__all__ = ["changed_operands", "facts_of", "is_foldable", "is_fresh", "is_pure", "may_change_globals", "shape_only"]
