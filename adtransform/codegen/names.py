"""How generated code spells values and references, and what the peepholes decided so far.

One instance per generated function: the names of the injected helpers and of the user's
globals it shares, the values written under another value's name (a branch's value in its
`if`'s result, a loop's next value in its carried variable), and the temporaries written inside
the expression that reads them (codegen/peephole.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import gast

from ..frontend.resolve import Ref, Scope
from ..ir.nodes import Op, Var
from ..syntax import build
from ..syntax.naming import Namer


class Names:
    """Chooses how generated code spells each injected reference (a runtime helper, `np` in a rule)."""

    def __init__(self, namer: Namer, user_lookup: Callable[[str], Any], user_locals: set[str]):
        self.namer = namer
        self.user_lookup = user_lookup
        self.user_locals = user_locals
        self.by_root: dict[int, str] = {}
        self.injected: dict[str, Any] = {}
        self.shared: dict[str, Any] = {}
        self.renamed: dict[Var, str] = {}  # branch values written straight into their `if`'s result
        # the versioning check, and the call it falls back to (a new node each time)
        self.guard: tuple[Var, Callable[[], gast.expr]] | None = None
        self.reads: Counter[Var] = Counter()  # how often each value is read, for the recording peepholes
        self.widths: dict[Var, int] = {}  # a recording stack -> the length of the tuples pushed onto it
        self.readable: set[Var] = set()  # values named after the user's variables: always spelled out
        self.fused: dict[Var, Op] = {}  # temporaries written inside the expression that reads them
        self.var_names: set[str] = set()  # every value's name: a shared name must not be one of them
        self.unused_name: str | None = None
        self.line_label: Callable[[int], str] = str  # how comments cite a line of the user's source

    def unused(self) -> str:
        """The target of a loop that does not read it: `_`, unless that is a name of the user's."""
        if self.unused_name is None:
            taken = self.namer.is_taken("_") or "_" in self.var_names  # the function mentions `_`
            self.unused_name = self.namer.fresh("unused") if taken else "_"
        return self.unused_name

    def builtin(self, obj: Any) -> gast.expr:
        """A builtin the generated code calls itself (`range`, `slice`): the user's name for it if that
        is the builtin in their function, else an injected name (a user's `range = ...` cannot shadow it)."""
        return self.spell(Ref((obj.__name__,), obj, Scope.INJECTED, obj))

    def var(self, var: Var) -> str:
        return self.renamed.get(var, var.name)

    def root_name(self, ref: Ref) -> str:
        if ref.scope is Scope.USER:
            return ref.path[0]
        key = id(ref.root)
        if key not in self.by_root:
            preferred = ref.path[0]
            if preferred not in self.user_locals and preferred not in self.var_names \
                    and self.user_lookup(preferred) is ref.root:
                # The user's function sees the same object under this name: share it.
                self.by_root[key] = preferred
                self.shared[preferred] = ref.root
                self.namer.reserve(preferred)
            else:
                name = self.namer.fresh(preferred)
                self.by_root[key] = name
                self.injected[name] = ref.root
        return self.by_root[key]

    def spell(self, ref: Ref) -> gast.expr:
        return build.dotted((self.root_name(ref), *ref.path[1:]))
