"""State shared by the passes that transform one function."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # Parameters the alias analysis took to hold arrays or numbers: checked at call time.
    array_params: frozenset[str] = frozenset()
