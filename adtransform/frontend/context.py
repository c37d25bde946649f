"""State shared by the passes that transform one function."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

from ..syntax.naming import Namer
from .resolve import Namespace
from .source import SourceInfo


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
    # Names the passes gave the builtins and runtime helpers their own code calls (`len_1` -> len,
    # `writable_copy`): unlike the names the user wrote, these mean that object whatever the user's
    # function or module binds to the name; lowered as injected references.
    helpers: dict[str, Any] = field(default_factory=dict)
    # Parameters the API passes as containers (runtime/pytrees.py Tree by name): canonicalize/aggregates.py
    # makes each leaf a parameter of its own.
    structured: dict[str, Any] = field(default_factory=dict)
    leaf_owner: dict[str, str] = field(default_factory=dict)  # leaf parameter -> the structured one it is in
    # A name the passes made for something the user wrote (a leaf parameter `P_a`, a called value `TUP_item`)
    # -> how the user wrote it (`P["a"]`, `TUP[0]`): what messages call it.
    spellings: dict[str, str] = field(default_factory=dict)
    # What inlining the user's functions relied on in their own namespaces (frontend/inline_callee.py):
    # (root object, attribute path, object or type found, whether its identity counts, its name's hint).
    callees: tuple[tuple[Any, tuple[str, ...], Any, bool, str], ...] = ()

    def builtin(self, name: str) -> str:
        """The name generated code uses for the builtin `name`, one a user's name never shadows."""
        obj = getattr(builtins, name)
        spelled = next((k for k, v in self.helpers.items() if v is obj), None)
        if spelled is None:
            if not self.namer.is_taken(name) and self.namespace.lookup(name) is obj:
                spelled = name  # the function never mentions `name`, and it is the builtin there
                self.namer.reserve(name)
            else:
                spelled = self.namer.fresh(name)
            self.helpers[spelled] = obj
        return spelled

    def is_builtin(self, identifier: str, obj: Any) -> bool:
        """Whether `identifier`, read in the function, is the builtin `obj` (a helper name or the user's)."""
        if identifier in self.helpers:
            return self.helpers[identifier] is obj
        return identifier not in self.locals and self.namespace.lookup(identifier) is obj

    def helper_name(self, helper: Any) -> str:
        """The name generated code calls the runtime `helper` by (not reserved: code generation injects
        it under that name); one name per helper, never a name of the user's."""
        spelled = next((k for k, v in self.helpers.items() if v is helper), None)
        if spelled is None:
            spelled = helper.__name__
            while self.namer.is_taken(spelled) or spelled in self.helpers:
                spelled += "_"
            self.helpers[spelled] = helper
        return spelled
