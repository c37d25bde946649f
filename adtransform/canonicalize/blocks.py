"""Apply a statement rewrite to every block of a function: its body and each nested body.

Why: every canonicalization pass works statement by statement, and compound
statements (`if`, loops) hold blocks of statements of their own.
"""

from __future__ import annotations

from collections.abc import Callable

import gast

_BLOCK_FIELDS = ("body", "orelse")


def rewrite_blocks(node: gast.AST, rewrite: Callable[[gast.stmt], list[gast.stmt] | None]) -> bool:
    """`rewrite(stmt)` returns the statements replacing `stmt`, or None to keep it.

    New statements take `stmt`'s location; compound statements among them are
    then entered, so nested blocks are rewritten too.
    """
    changed = False
    for field in _BLOCK_FIELDS:
        block = getattr(node, field, None)
        if not isinstance(block, list) or (field == "orelse" and isinstance(node, gast.FunctionDef)):
            continue
        new_block: list[gast.stmt] = []
        for stmt in block:
            replaced = rewrite(stmt)
            if replaced is None:
                replaced = [stmt]
            else:
                changed = True
                for s in replaced:  # new statements, nested ones too, point at the statement they replace
                    for part in gast.walk(s):
                        if isinstance(part, gast.stmt) and getattr(part, "lineno", None) is None:
                            gast.copy_location(part, stmt)
            for new in replaced:
                changed |= rewrite_blocks(new, rewrite) if _is_compound(new) else False
            new_block.extend(replaced)
        setattr(node, field, new_block)
    return changed


def _is_compound(stmt: gast.stmt) -> bool:
    return isinstance(stmt, (gast.If, gast.For, gast.While))
