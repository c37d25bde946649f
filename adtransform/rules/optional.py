"""Rules for SciPy, an optional library: loaded when a program can call it, never imported for it.

Each module rules/scipy_<name>.py registers the rules of one subpackage `scipy.<name>` and imports
that subpackage at its top. adtransform depends on gast and NumPy only, and importing `scipy.stats`
takes longer than importing adtransform itself, so `import adtransform` loads none of them. A program
can call a SciPy function only once its subpackage is imported (by the program, or by another
subpackage), so the registry (rules/registry.py) calls `load_optional_rules` before it answers: a
rules module whose subpackage is in `sys.modules` is imported then, at no import cost of its own,
and registering its rules changes `registry_version`, so gradients cached before are derived again.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
import warnings
from pathlib import Path

_PREFIX = "scipy_"


def _rules_modules() -> dict[str, list[str]]:
    """`scipy.<name>` -> the rules modules for it: rules/scipy_<name>.py and rules/scipy_<name>_<part>.py
    (SciPy's subpackage names have no underscore)."""
    found: dict[str, list[str]] = {}
    for name in sorted(module.name for module in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if name.startswith(_PREFIX):
            library = "scipy." + name[len(_PREFIX):].partition("_")[0]
            found.setdefault(library, []).append(f"{__package__}.{name}")
    return found


# `scipy.<name>` -> the rules modules that register its rules, while not yet loaded.
_pending: dict[str, list[str]] = _rules_modules()
# Reentrant: a lookup made while a rules module registers (same thread) finds it already taken off
# `_pending`; another thread waits until the module is loaded, so it never sees half the rules.
_lock = threading.RLock()


def load_optional_rules() -> None:
    """Load the rules of every SciPy subpackage imported so far whose rules are not loaded yet."""
    if not _pending:
        return
    ready = [library for library in tuple(_pending) if library in sys.modules]
    if not ready:
        return
    with _lock:
        for library in ready:
            for module in _pending.pop(library, ()):
                try:
                    importlib.import_module(module)
                except Exception as exc:  # a broken or stand-in SciPy must not break gradients without it
                    warnings.warn(f"adtransform: the derivative rules in {module} could not be loaded "
                                  f"({type(exc).__name__}: {exc}); calls of {library} get no derivative",
                                  RuntimeWarning, stacklevel=2)


def optional_libraries() -> tuple[str, ...]:
    """The SciPy subpackages some rules module covers (loaded or not)."""
    return tuple(sorted(_rules_modules()))
