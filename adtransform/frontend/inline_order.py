"""The order Python evaluates the sub-expressions of an expression in (for the inliner's hoisting)."""

from __future__ import annotations

import gast


def slots(node: gast.expr) -> list[tuple[str, int | None]]:
    """The sub-expressions of `node`, in the order Python evaluates them."""
    if isinstance(node, gast.Dict):
        return [s for i in range(len(node.keys)) for s in (("keys", i), ("values", i)) if node.keys[i] is not None
                or s[0] == "values"]
    slots = []
    for field, value in gast.iter_fields(node):  # (a slice `a:b` is no gast.expr, yet evaluates its bounds)
        if isinstance(value, (gast.expr, gast.Slice)):
            slots.append((field, None))
        elif isinstance(value, list):
            slots += [(field, i) for i, v in enumerate(value) if isinstance(v, (gast.expr, gast.Slice))]
    return slots
