"""The rule table is complete: every registered derivative rule is used by some row's gradient.

"A row uses rule P" is measured, not guessed from the row's text: each row's function is
transformed (the same pipeline `grad` runs, with the row's `wrt`) while reverse mode's rule
lookup is recorded. So a row counts for what its gradient actually differentiates: the rules of
the compiler's own primitives (`list_append`, `index_update`, `matmul_rows`) are counted for rows
that write the user-level form they lower to, and a row calling P only on values that carry no
derivative does not count for P. The same transform gives the primitives declared
non-differentiable that a row calls: every call of the function activity analysis is given (their
declaration is checked by the row's finite differences: a wrongly declared primitive would give a
zero contribution).

Rows are collected from every tests/test_rules*.py module: any module-level `Rule`, list or tuple
of them, so a new family's module is picked up without being named here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path

import numpy as np
import pytest
from rule_table import Rule, wrt_of

from adtransform import api, pipeline
from adtransform.ad import reverse
from adtransform.analysis import activity
from adtransform.ir.nodes import Op, Style, walk
from adtransform.rules.notation import stop_gradient
from adtransform.rules.optional import load_optional_rules
from adtransform.rules.registry import _registry, is_nondifferentiable, lookup_adjoint, lookup_facts

TESTS = Path(__file__).resolve().parent

# Registered primitives no row has to use, each with the reason (none so far).
NO_ROW_NEEDED: dict[object, str] = {}
# Non-differentiable declarations no row has to call, each with the reason.
NONDIFF_NO_ROW_NEEDED: dict[object, str] = {
    stop_gradient: "cuts a derivative that exists, so finite differences (which see it) cannot check a row "
                   "using it; tests/test_api.py and test_trust_rules.py test it against analytic gradients",
}


def table_modules() -> dict[str, object]:
    """The table modules by name, but those skipped on import (an optional library not installed)."""
    modules = {}
    for path in sorted(TESTS.glob("test_rules*.py")):
        try:
            modules[path.stem] = importlib.import_module(path.stem)
        except pytest.skip.Exception:
            continue
    return modules


def table_rows() -> list[tuple[str, Rule]]:
    """(module, row) for every row of every table module, each row once."""
    rows: dict[int, tuple[str, Rule]] = {}
    for name, module in table_modules().items():
        for value in vars(module).values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                if isinstance(item, Rule):
                    rows.setdefault(id(item), (name, item))
                elif hasattr(item, "rule") and isinstance(item.rule, Rule):  # a Case
                    rows.setdefault(id(item.rule), (name, item.rule))
    return list(rows.values())


def _label(primitive: object) -> str:
    owner = getattr(primitive, "__objclass__", None)
    name = getattr(primitive, "__qualname__", None) or getattr(primitive, "__name__", None) or repr(primitive)
    if owner is not None:
        return f"{owner.__module__}.{owner.__qualname__}.{getattr(primitive, '__name__', name)}"
    module = getattr(primitive, "__module__", None) or type(primitive).__module__
    return f"{module}.{name}" if module not in (None, "builtins") else name


class Recorder:
    """The rules reverse mode looked up, and the non-differentiable primitives the differentiated function calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.adjoints: set[object] = set()
        self.nondiff: set[object] = set()
        lookup, analyze = reverse.lookup_adjoint, activity.analyze

        def recorded_lookup(key):
            rule = lookup(key)
            if rule is not None:
                self.adjoints.add(key)
            return rule

        def recorded_analyze(fn, wrt):
            for stmt in walk(fn.body):  # every call, those whose result is unused (`np.random.seed(0)`) too
                if isinstance(stmt, Op) and stmt.callee.style is not Style.COPY \
                        and is_nondifferentiable(stmt.callee.key):
                    self.nondiff.add(stmt.callee.key)
            return analyze(fn, wrt)

        monkeypatch.setattr(reverse, "lookup_adjoint", recorded_lookup)
        monkeypatch.setattr(activity, "analyze", recorded_analyze)


def _transform(rule: Rule) -> None:
    """The row's gradient, transformed afresh (not from `grad`'s cache, which would skip the recording)."""
    indices, is_tuple = api._wrt_indices(rule.fn, wrt_of(rule))
    pipeline.gradient(rule.fn, indices, wrt_is_tuple=is_tuple, mode=reverse.Mode.GRAD)


@pytest.fixture(scope="module")
def used(request):
    """What the rows' gradients use, and the rows that failed to transform."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        recorder = Recorder(monkeypatch)
        failed = []
        for module, row in table_rows():
            try:
                _transform(row)
            except Exception as exc:  # reported below, with the row
                failed.append(f"{module}: {row.name!r}: {type(exc).__name__}: {exc}")
    return recorder, failed


def test_every_table_module_has_rows():
    modules = {m for m, _ in table_rows()}
    assert set(table_modules()) == modules, f"table modules without rows: {sorted(set(table_modules()) - modules)}"


def test_every_row_transforms(used):
    _, failed = used
    assert not failed, "rows whose gradient cannot be derived (stale rows?):\n" + "\n".join(failed)


def library_adjoints() -> list[object]:
    """The primitives whose rule the package registers (tests register rules of their own functions);
    the SciPy rules of every subpackage imported so far (by the table modules) are loaded first."""
    load_optional_rules()
    return [p for p, rule in list(_registry.adjoints.items()) if rule.fn.__module__.startswith("adtransform.")]


def library_nondifferentiable() -> list[object]:
    """The package's declarations (as test_trust_rules.py tells them from those of tests)."""
    return [p for p in list(_registry.nondifferentiable)
            if not str(getattr(p, "__module__", "") or "").startswith(("test", "conftest", "__main__"))]


def missing_rows(recorder: Recorder) -> list[str]:
    return sorted(_label(p) for p in library_adjoints() if p not in recorder.adjoints and p not in NO_ROW_NEEDED)


def test_every_adjoint_rule_has_a_row(used):
    missing = missing_rows(used[0])
    assert not missing, (
        f"{len(missing)} registered derivative rules are used by no row of tests/test_rules*.py "
        f"(add a row whose function calls each on a differentiated value):\n  " + "\n  ".join(missing))


def missing_nondiff_rows(recorder: Recorder) -> list[str]:
    return sorted(_label(p) for p in library_nondifferentiable()
                  if p not in recorder.nondiff and p not in NONDIFF_NO_ROW_NEEDED)


def test_every_nondifferentiable_declaration_has_a_row(used):
    missing = missing_nondiff_rows(used[0])
    assert not missing, (
        f"{len(missing)} primitives declared non-differentiable are called by no row of tests/test_rules*.py "
        f"(add a row calling each on the differentiated input, its result multiplying or selecting a "
        f"differentiable term, inputs away from its jumps: see test_rules_nondiff.py):\n  " + "\n  ".join(missing))


def test_no_row_needed_entries_are_registered():
    stale = [_label(p) for p in NO_ROW_NEEDED if lookup_adjoint(p) is None]
    stale += [_label(p) for p in NONDIFF_NO_ROW_NEEDED if not is_nondifferentiable(p)]
    assert not stale, f"entries of NO_ROW_NEEDED with no rule or declaration: {stale}"


def _called_objects(fn) -> list[tuple[str, object]]:
    """The dotted names a row's function calls (`np.linalg.solve`, `math.exp`), resolved through its globals."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        parts, target = [], node.func
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if not isinstance(target, ast.Name) or target.id not in fn.__globals__:
            continue
        obj = fn.__globals__[target.id]
        for attr in reversed(parts):
            obj = getattr(obj, attr, None)
        if parts:
            found.append((".".join([target.id, *reversed(parts)]), obj))
    return found


def unknown_calls(rows: list[tuple[str, Rule]]) -> list[str]:
    """Rows calling a NumPy, SciPy or math function nothing declares (no rule, not non-differentiable,
    no facts): they test a primitive that is not registered (stale or misspelt)."""
    stale = []
    for module, row in rows:
        for name, obj in _called_objects(row.fn):
            library = (getattr(obj, "__module__", None) or "").split(".")[0]
            if library not in ("numpy", "scipy", "math") or not callable(obj):
                continue
            if lookup_adjoint(obj) is None and not is_nondifferentiable(obj) and not lookup_facts(obj).known:
                stale.append(f"{module}: {row.name!r} calls {name}, which has no rule and no facts")
    return stale


def test_rows_call_only_known_library_functions():
    stale = unknown_calls(table_rows())
    assert not stale, "\n".join(stale)


# --- the checks themselves: they fail where they should ----------------------------------------


def _unlisted(x):
    return x * 1.0


def _calls_unknown(x):
    return np.sum(np.busday_count(x, x)) + x


def test_check_names_a_rule_no_row_uses(monkeypatch):
    from adtransform.rules.notation import adjoint, d

    def _unlisted_rule(y, x):
        d[x] = d[y]

    recorder = Recorder(monkeypatch)
    try:
        adjoint(_unlisted)(_unlisted_rule)
        assert not any(m.endswith("_unlisted") for m in missing_rows(recorder))  # a test's own rule
        _unlisted_rule.__module__ = "adtransform.rules.an_area"  # as if the package registered it
        assert any(m.endswith("_unlisted") for m in missing_rows(recorder))
    finally:
        with _registry.lock:
            _registry.adjoints.pop(_unlisted, None)
            _registry.facts.pop(_unlisted, None)
            _registry.version += 1


def test_check_names_a_row_calling_an_unregistered_primitive():
    assert not lookup_facts(np.busday_count).known  # else pick another function nothing declares
    stale = unknown_calls([("here", Rule("busday", _calls_unknown, (None,), []))])
    assert stale == ["here: 'busday' calls np.busday_count, which has no rule and no facts"]
