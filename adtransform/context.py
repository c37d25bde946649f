"""State shared by the passes that transform one function."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .frontend.resolve import Namespace
from .frontend.source import SourceInfo
from .syntax.naming import Namer


@dataclass
class Context:
    info: SourceInfo
    namespace: Namespace
    namer: Namer
    # Local names of the function (parameters and assigned names): everything else is free.
    locals: set[str] = field(default_factory=set)
    # Parameters the alias analysis took to hold arrays or numbers: checked at call time (True: no
    # list or tuple at all; False: a list or tuple of numbers is fine).
    array_params: dict[str, bool] = field(default_factory=dict)
    # Names canonicalization gave runtime helpers it calls (`writable_copy`): lowered as injected references.
    helpers: dict[str, Any] = field(default_factory=dict)
