"""Imports follow the pipeline: no module imports a later stage, no import cycles, no oversized module.

Every module under ``adtransform/`` is parsed (never imported), so the check sees imports at module level, inside
functions and under ``if TYPE_CHECKING:`` alike. Stage order counts all of them (a lazy import of a later stage is
still a backward dependency); the cycle check counts those that run (everything but ``TYPE_CHECKING`` blocks).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

import adtransform

# The pipeline, earliest first. A module may import its own stage and earlier ones only.
STAGES = ("frontend", "canonicalize", "ir", "analysis", "ad", "specialize", "optimize", "codegen", "pipeline", "api")
# Importable by every stage; imports none of them (only itself).
BOTTOM = frozenset({"errors", "syntax", "runtime", "rules"})
MAX_LINES = 450
# Modules over MAX_LINES at the time this test was written, with their size then. A size may only shrink; once a
# module is split below MAX_LINES, its entry must go (the test says so).
OVERSIZED: dict[str, int] = {}

ROOT = Path(adtransform.__file__).parent
PACKAGE = "adtransform"


class Import(NamedTuple):
    line: int
    target: str  # dotted name of the imported module (a module of the package, or a package's __init__)
    runtime: bool  # False under `if TYPE_CHECKING:`


def _module_name(path: Path) -> str:
    parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules an import statement loads (a `from X import name` loads X.name if it is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return submodules if len(submodules) == len(node.names) else [base, *submodules]


def _imports(module: str, source: str) -> list[Import]:
    """The package modules `module` (whose text is `source`) imports, at any depth."""
    found: list[Import] = []

    def visit(node: ast.AST, runtime: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.extend(Import(node.lineno, target, runtime) for target in _targets(module, node)
                         if target.split(".")[0] == PACKAGE)
        for child in ast.iter_child_nodes(node):
            type_only = isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body
            visit(child, runtime and not type_only)

    visit(ast.parse(source), True)
    return found


IMPORTS = {module: _imports(module, path.read_text()) for module, path in MODULES.items()}


def _layer(module: str) -> str:
    """The stage a module belongs to, or "bottom"."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "api"
    return "bottom" if parts[1] in BOTTOM else parts[1]


def _where(module: str, imp: Import) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{imp.line} imports {imp.target}"


def test_every_module_has_a_known_layer():
    unknown = [module for module in MODULES if _layer(module) not in (*STAGES, "bottom")]
    assert not unknown, f"modules outside STAGES and BOTTOM: {unknown}"


_ORDER = {"bottom": -1, **{stage: rank for rank, stage in enumerate(STAGES)}}


def _wrong_way(layer: str, target: str) -> str | None:
    """Why a module of `layer` may not import one of `target`, or None."""
    if layer == "bottom" and target != "bottom":
        return "the bottom layer imports no stage"
    if _ORDER[target] > _ORDER[layer]:
        return f"stage {layer} imports the later stage {target}"
    return None


def test_imports_follow_the_pipeline():
    wrong = [f"{_where(module, imp)}: {why}" for module, imports in IMPORTS.items() for imp in imports
             if (why := _wrong_way(_layer(module), _layer(imp.target)))]
    assert not wrong, "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles as strongly connected components: modules that reach each other (the graph is small)."""
    reach = {}
    for start in graph:
        seen, todo = set(), [start]
        while todo:
            for succ in graph[todo.pop()] - seen:
                seen.add(succ)
                todo.append(succ)
        reach[start] = seen
    components = {tuple(sorted(m for m in reach[module] if module in reach.get(m, ()))) for module in graph
                  if module in reach[module]}
    return sorted(list(component) for component in components)


def test_no_import_cycles():
    graph = {module: {imp.target for imp in imports if imp.runtime} for module, imports in IMPORTS.items()}
    messages = []
    for component in _cycles(graph):
        members = set(component)
        edges = [_where(module, imp) for module in component for imp in IMPORTS[module]
                 if imp.runtime and imp.target in members]
        messages.append("import cycle:\n  " + "\n  ".join(edges))
    assert not messages, "\n".join(messages)


def test_no_module_is_oversized():
    wrong = []
    for path in MODULES.values():
        name = str(path.relative_to(ROOT.parent))
        lines = len(path.read_text().splitlines())
        allowed = OVERSIZED.get(name, MAX_LINES)
        if lines > allowed:
            wrong.append(f"{name}: {lines} lines (at most {allowed}); split it")
        elif name in OVERSIZED and lines <= MAX_LINES:
            wrong.append(f"{name}: {lines} lines, within {MAX_LINES}; remove it from OVERSIZED")
    wrong += [f"{name}: in OVERSIZED but no longer exists" for name in OVERSIZED
              if not (ROOT.parent / name).exists()]
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_the_imports_and_would_fail():
    """The checker itself: it finds imports at every depth, resolves relative ones to the submodule, tells
    TYPE_CHECKING imports from runtime ones, and rejects a backward import, a stage under the bottom, a cycle."""
    assert len(MODULES) > 50 and _layer("adtransform.rules.registry") == "bottom"
    assert any(i.target == "adtransform.ad.loops" and i.runtime for i in IMPORTS["adtransform.ad.reverse"])
    source = ("from typing import TYPE_CHECKING\nfrom ..ir import nodes\nif TYPE_CHECKING:\n"
              "    from .loops import X\ndef f():\n    from .. import api\n")
    assert _imports("adtransform.ad.reverse", source) == [
        Import(2, "adtransform.ir.nodes", True), Import(4, "adtransform.ad.loops", False),
        Import(6, "adtransform.api", True)]
    assert _wrong_way("ad", "optimize") and _wrong_way("bottom", "ir") and _wrong_way("codegen", "api")
    assert not _wrong_way("optimize", "ad") and not _wrong_way("ir", "bottom") and not _wrong_way("ad", "ad")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}, "b": set()}) == [["a"]]
