"""Structured parameters (pytrees at the API): each leaf becomes a parameter of its own."""

from __future__ import annotations

from typing import Any

import gast

from .record_exprs import Exprs


def bind_parameters(x: Exprs, node: gast.FunctionDef, structured: dict[str, Any]) -> list[gast.stmt]:
    return []
