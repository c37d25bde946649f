"""benchmarks/rule_coverage.py runs, and its counts agree with the rule registry."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from adtransform.rules.registry import _registry, is_nondifferentiable, lookup_adjoint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("rule_coverage", ROOT / "benchmarks" / "rule_coverage.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(coverage):
    return coverage.build()


def test_every_public_primitive_with_a_rule_is_counted_as_one(report):
    registered = set(_registry.adjoints)
    counted = {id(e.obj) for e in report.entries if e.ours == "rule"}
    assert counted == {id(e.obj) for e in report.entries if e.obj in registered}
    nondiff = {id(e.obj) for e in report.entries if e.ours == "nondiff"}
    assert nondiff == {id(e.obj) for e in report.entries
                       if e.obj in _registry.nondifferentiable and e.obj not in registered}


def test_statuses_partition_every_namespace(coverage, report):
    for namespace in (*coverage.NAMESPACES, None):
        assert sum(report.count(namespace, "ours", s) for s in coverage.STATUSES) == report.total(namespace) > 0
        if report.autograd_version:
            assert sum(report.count(namespace, "autograd", s) for s in coverage.STATUSES) == report.total(namespace)


def test_known_statuses(report):
    status = {(e.namespace, e.name): (e.ours, e.autograd) for e in report.entries}
    assert lookup_adjoint(np.sum) is not None and status["np", "sum"][0] == "rule"
    assert is_nondifferentiable(np.argmax) and status["np", "argmax"][0] == "nondiff"
    assert status["ndarray", "shape"][0] == "nondiff" and status["ndarray", "T"][0] == "rule"
    assert status["np", "busday_count"][0] == "unknown"
    assert ("np", "float64") not in status and ("np", "linalg") not in status  # classes, modules: not functions
    if report.autograd_version:
        assert status["np", "sum"][1] == "rule" and status["np", "argmax"][1] == "nondiff"
        assert status["np", "stack"][1] == "rule"  # written in Python over autograd's primitives
        assert status["ndarray", "T"][1] == "rule" and status["ndarray", "shape"][1] == "nondiff"
        assert status["np.linalg", "solve"][1] == "rule"


def test_script_writes_the_lists_and_updates_a_readme(coverage, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{coverage.BEGIN}\nold numbers\n{coverage.END}\nafter\n")
    out = tmp_path / "coverage.md"
    report = coverage.main(["--out", str(out), "--readme", str(readme)])
    printed = capsys.readouterr().out
    table = coverage.summary_table(report)
    assert table in printed and table in out.read_text() and table in readme.read_text()
    text = readme.read_text()
    assert "old numbers" not in text and text.startswith("# x\n\nbefore\n") and text.endswith("after\n")
    rules = report.count(None, "ours", "rule")
    assert f"adtransform has a derivative rule for {rules} " in text
    for e in report.entries:
        if e.ours == "rule" and e.namespace == "np":
            assert f"`{e.name}`" in out.read_text()


def test_repository_readme_has_the_section(coverage):
    text = (ROOT / "README.md").read_text()
    assert text.count(coverage.BEGIN) == 1 and text.index(coverage.BEGIN) < text.index(coverage.END)
