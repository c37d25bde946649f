"""Parse Python text to gast and turn gast back into text."""

from __future__ import annotations

import ast

import gast


def parse(text: str) -> gast.Module:
    return gast.parse(text)


def to_source(node: gast.AST) -> str:
    """gast -> ast -> text via the standard library (astunparse is unmaintained)."""
    tree = gast.gast_to_ast(node)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree)
