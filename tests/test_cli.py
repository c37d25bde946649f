"""`python -m adtransform FILE:FUNCTION` prints the generated gradient."""

import subprocess
import sys
from pathlib import Path

import golden_functions
from source_patterns import has

FILE = Path(golden_functions.__file__)


def _run(*args):
    return subprocess.run([sys.executable, "-m", "adtransform", *args], capture_output=True, text=True)


def test_prints_generated_source():
    result = _run(f"{FILE}:lecture")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def dlecture_dx(x):")
    assert "z1_bar" in result.stdout


def test_wrt_names_and_value():
    result = _run(f"{FILE}:logistic_bce", "--wrt", "a", "b", "--value")
    assert result.returncode == 0, result.stderr
    assert "def dlogistic_bce_da_b(a, b, x, y):" in result.stdout
    last = result.stdout.rstrip().splitlines()[-1].strip()
    assert has("return ({neg}, (a_grad, b_grad))", last) and last.startswith("return (")


def test_errors_are_reported_not_raised(tmp_path):
    source = tmp_path / "tried.py"
    source.write_text("def f(x):\n    try:\n        x = x * x\n    finally:\n        pass\n    return x\n")
    result = _run(f"{source}:f")
    assert result.returncode == 1
    assert f"{source}:2:4: `try` statement" in result.stderr


def test_bad_target():
    assert _run("no_colon_here").returncode == 2
    assert "defines no `missing`" in _run(f"{FILE}:missing").stderr
