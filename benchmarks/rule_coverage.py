"""Which of NumPy's public functions and ndarray methods adtransform differentiates, against autograd.

For every public name of `np`, `np.linalg`, `np.fft` (functions and ufuncs; classes, dtypes and
constants are not counted) and every public ndarray method or attribute, the status in
adtransform's registry (rules/registry.py), as reverse mode sees it:

  rule      a derivative rule is registered (`@adjoint`)
  nondiff   declared non-differentiable: runs, its result carries no derivative (`nondifferentiable`)
  facts     facts only: runs on any value, refused where it gets a differentiated one
            (`declare_facts`, and ufuncs, whose facts NumPy's ufunc interface gives)
  unknown   nothing registered: run as unknown code (its arguments copied), refused on differentiated values

and the same name in autograd (when installed), from autograd's own tables: `rule` a VJP in
`autograd.core.primitive_vjps`, or a function autograd writes in Python over its primitives
(`autograd.numpy.stack`); `nondiff` in `autograd.tracer.notrace_primitives` or wrapped untraced;
`facts` a primitive without a VJP (runs, raises when differentiated); `unknown` absent.

Prints the counts, writes the lists to benchmarks/rule_coverage.md; `--readme` also rewrites the
README's section between its `rule-coverage` markers (so the numbers are updated by one command).
Run from the repository root: `python benchmarks/rule_coverage.py [--readme] [--out FILE]`.

Why benchmarks/: the repository's measurement scripts (and their recorded results, *.md) live
there, run by hand against the installed package; it is not part of the package and not a test.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adtransform.rules import registry  # noqa: E402  (after the path, so the checkout is measured)

STATUSES = ("rule", "nondiff", "facts", "unknown")
NAMESPACES = ("np", "np.linalg", "np.fft", "ndarray")
BEGIN, END = "<!-- rule-coverage:begin -->", "<!-- rule-coverage:end -->"


@dataclass
class Entry:
    namespace: str
    name: str
    obj: object
    ours: str = ""
    autograd: str = ""


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)
    autograd_version: str | None = None

    def count(self, namespace: str | None, side: str, status: str) -> int:
        return sum(1 for e in self.entries
                   if (namespace is None or e.namespace == namespace) and getattr(e, side) == status)

    def total(self, namespace: str | None = None) -> int:
        return sum(1 for e in self.entries if namespace is None or e.namespace == namespace)


def _is_function(obj: object) -> bool:
    return callable(obj) and not isinstance(obj, (type, types.ModuleType))


def public_names() -> list[Entry]:
    """The public functions of np, np.linalg, np.fft, and the ndarray methods and attributes."""
    entries = []
    for namespace, module, names in (("np", np, dir(np)), ("np.linalg", np.linalg, np.linalg.__all__),
                                     ("np.fft", np.fft, np.fft.__all__)):
        for name in sorted(n for n in names if not n.startswith("_")):
            try:
                obj = getattr(module, name)
            except AttributeError:  # a deprecated or removed name NumPy still lists
                continue
            if _is_function(obj):
                entries.append(Entry(namespace, name, obj))
    for name in sorted(n for n in dir(np.ndarray) if not n.startswith("_")):
        entries.append(Entry("ndarray", name, getattr(np.ndarray, name)))
    return entries


def ours(obj: object) -> str:
    if registry.lookup_adjoint(obj) is not None:
        return "rule"
    if registry.is_nondifferentiable(obj):
        return "nondiff"
    return "facts" if registry.lookup_facts(obj).known else "unknown"


def _autograd_tables():
    """autograd's records: (module per namespace, primitive_vjps, untraced primitives), or None."""
    try:
        import autograd.numpy as anp
        import autograd.numpy.fft as afft
        import autograd.numpy.linalg as alinalg
        from autograd.core import VJPNode, primitive_vjps
        from autograd.numpy.numpy_boxes import ArrayBox
        from autograd.tracer import notrace_primitives
    except ImportError:
        return None
    modules = {"np": anp, "np.linalg": alinalg, "np.fft": afft}
    return importlib.metadata.version("autograd"), modules, primitive_vjps, notrace_primitives[VJPNode], ArrayBox


def _autograd_status(wrapped: object, vjps, untraced) -> str:
    if wrapped is None:
        return "unknown"
    if wrapped in vjps:
        return "rule"
    qualname = getattr(wrapped, "__qualname__", "")
    if wrapped in untraced or qualname.startswith("notrace_primitive."):
        return "nondiff"
    if qualname.startswith("primitive."):
        return "facts"  # a primitive autograd records but cannot differentiate: raises when asked
    module = getattr(wrapped, "__module__", "") or ""
    return "rule" if module.startswith("autograd") else "unknown"  # written over autograd's primitives


def _autograd_method(name: str, box, modules, vjps, untraced) -> str:
    """An ndarray method or attribute on autograd's ArrayBox: a function, or a property reading one."""
    attr = box.__dict__.get(name)
    if attr is None:
        return "unknown"
    if isinstance(attr, property):  # `T` calls anp.transpose; `shape` reads the value
        called = [getattr(modules["np"], n, None) for n in attr.fget.__code__.co_names]
        return "rule" if any(c in vjps for c in called if c is not None) else "nondiff"
    return _autograd_status(attr, vjps, untraced)


def build() -> Report:
    report = Report(public_names())
    tables = _autograd_tables()
    if tables is not None:
        report.autograd_version, modules, vjps, untraced, box = tables
    for entry in report.entries:
        entry.ours = ours(entry.obj)
        if tables is None:
            continue
        if entry.namespace == "ndarray":
            entry.autograd = _autograd_method(entry.name, box, modules, vjps, untraced)
        else:
            entry.autograd = _autograd_status(getattr(modules[entry.namespace], entry.name, None), vjps, untraced)
    return report


def registered() -> tuple[int, int]:
    """The package's own adjoint rules (primitives) and non-differentiable declarations, with the
    SciPy rules when SciPy is installed (they load once their subpackage is imported)."""
    import importlib

    from adtransform.rules.optional import load_optional_rules, optional_libraries

    for library in optional_libraries():
        try:
            importlib.import_module(library)
        except ImportError:
            continue
    load_optional_rules()
    rules = sum(1 for rule in list(registry._registry.adjoints.values())
                if rule.fn.__module__.startswith("adtransform."))
    nondiff = sum(1 for p in list(registry._registry.nondifferentiable)
                  if not str(getattr(p, "__module__", "") or "").startswith(("test", "conftest", "__main__")))
    return rules, nondiff


def table_counts() -> tuple[int, int, int]:
    """Rows and cases of the rule table (tests/test_rules*.py), and how many modules hold them."""
    import importlib

    import pytest  # the table modules are pytest modules

    sys.path.insert(0, str(ROOT / "tests"))
    rows, cases, modules = set(), 0, 0
    for path in sorted((ROOT / "tests").glob("test_rules*.py")):
        try:
            module = importlib.import_module(path.stem)
        except (ImportError, pytest.skip.Exception):  # an optional library (SciPy) not installed
            continue
        modules += 1
        found = getattr(module, "CASES", [])
        cases += len(found)
        rows.update(id(case.rule) for case in found)
    return len(rows), cases, modules


def summary_table(report: Report) -> str:
    """Counts per namespace: adtransform's four statuses, autograd's rules."""
    sides = ["adtransform " + s for s in STATUSES]
    if report.autograd_version:
        sides += [f"autograd {s}" for s in ("rule", "nondiff")]
    lines = ["| namespace | names | " + " | ".join(sides) + " |", "| --- " * (len(sides) + 2) + "|"]
    for namespace in (*NAMESPACES, None):
        cells = [str(report.count(namespace, "ours", s)) for s in STATUSES]
        if report.autograd_version:
            cells += [str(report.count(namespace, "autograd", s)) for s in ("rule", "nondiff")]
        label = namespace or "**total**"
        lines.append(f"| {label} | {report.total(namespace)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _names(report: Report, side: str, status: str, namespace: str) -> str:
    names = [e.name for e in report.entries if e.namespace == namespace and getattr(e, side) == status]
    return ", ".join(f"`{n}`" for n in names) or "none"


def markdown(report: Report) -> str:
    version = f"autograd {report.autograd_version}" if report.autograd_version else "autograd not installed"
    parts = [
        "# Rule coverage of NumPy's public functions\n",
        f"Generated by `python benchmarks/rule_coverage.py` (NumPy {np.__version__}, {version}). "
        "Statuses: see the script's docstring.\n",
        summary_table(report), "",
    ]
    for namespace in NAMESPACES:
        parts.append(f"\n## {namespace}\n")
        for status in STATUSES:
            parts.append(f"**adtransform {status}** ({report.count(namespace, 'ours', status)}): "
                         f"{_names(report, 'ours', status, namespace)}\n")
        if report.autograd_version:
            gained = [e.name for e in report.entries if e.namespace == namespace
                      and e.autograd == "rule" and e.ours != "rule"]
            parts.append(f"**autograd has a rule, adtransform not** ({len(gained)}): "
                         + (", ".join(f"`{n}`" for n in gained) or "none") + "\n")
    return "\n".join(parts)


def readme_section(report: Report) -> str:
    total = report.total()
    ours_rule = report.count(None, "ours", "rule")
    ours_nondiff = report.count(None, "ours", "nondiff")
    text = [BEGIN,
            f"Of {total} public NumPy names (functions of `np`, `np.linalg`, `np.fft`, and ndarray methods "
            f"and attributes), adtransform has a derivative rule for {ours_rule} and declares {ours_nondiff} "
            "non-differentiable"]
    if report.autograd_version:
        text[-1] += (f"; autograd {report.autograd_version} has a rule for {report.count(None, 'autograd', 'rule')} "
                     f"and {report.count(None, 'autograd', 'nondiff')} non-differentiable")
    text[-1] += (". The lists: [benchmarks/rule_coverage.md](benchmarks/rule_coverage.md); update both with "
                 "`python benchmarks/rule_coverage.py --readme`.\n")
    rules, nondiff = registered()
    rows, cases, modules = table_counts()
    text += [summary_table(report), "",
             f"The registry holds {rules} adjoint rules (one per primitive; aliases such as `np.abs` and "
             f"`np.absolute` count apart, Python operators and `math` functions included) and {nondiff} "
             f"non-differentiable declarations; the rule table (tests/test_rules*.py, {modules} modules) "
             f"has {rows} rows expanded into {cases} cases.", END]
    return "\n".join(text)


def update_readme(report: Report, path: Path) -> None:
    text = path.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no section between {BEGIN} and {END} to update")
    path.write_text(text[:start] + readme_section(report) + text[end + len(END):])


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "rule_coverage.md")
    parser.add_argument("--readme", nargs="?", const=ROOT / "README.md", type=Path, default=None,
                        help="also rewrite the rule-coverage section of this README (default README.md)")
    args = parser.parse_args(argv)
    report = build()
    print(summary_table(report))
    rules, nondiff = registered()
    rows, cases, modules = table_counts()
    print(f"\nregistry: {rules} adjoint rules, {nondiff} non-differentiable declarations; "
          f"rule table: {rows} rows, {cases} cases in {modules} modules")
    args.out.write_text(markdown(report))
    print(f"\nlists written to {args.out}")
    if args.readme is not None:
        update_readme(report, args.readme)
        print(f"section updated in {args.readme}")
    return report


if __name__ == "__main__":
    main()
