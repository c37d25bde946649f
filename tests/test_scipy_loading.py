"""SciPy is optional: its rules load only once a program imports SciPy (adtransform/rules/optional.py).

Each scenario runs in a fresh interpreter, so what `import adtransform` imports is seen as a user sees it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BLOCK_SCIPY = """
import sys

class _NoSciPy:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy" or name.startswith("scipy."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, _NoSciPy())
"""


def _run(tmp_path: Path, body: str) -> None:
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(body))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout


def test_without_scipy_everything_else_works(tmp_path):
    _run(tmp_path, BLOCK_SCIPY + """
import types
import numpy as np
import adtransform
from adtransform.errors import NoAdjointRuleError

assert not [m for m in sys.modules if m.partition(".")[0] == "scipy"]

def f(x):
    return np.sum(np.tanh(x) ** 2)

x = np.linspace(-1.0, 1.0, 4)
assert np.allclose(adtransform.grad(f)(x), 2 * np.tanh(x) / np.cosh(x) ** 2)

# The rules modules say what they need when imported without SciPy.
for name in ("scipy_special", "scipy_stats"):
    try:
        __import__("adtransform.rules." + name)
    except ImportError as exc:
        assert "SciPy" in str(exc), exc
    else:
        raise AssertionError(name + " imported without SciPy")

# A stand-in module of that name (no SciPy behind it) gets no rule: a located refusal.
special = types.ModuleType("scipy.special")
special.expit = np.frompyfunc(lambda v: v, 1, 1)

def g(x):
    return np.sum(special.expit(x))

try:
    adtransform.grad(g)(x)
except NoAdjointRuleError as exc:
    assert "program.py:" in str(exc) and "special.expit" in str(exc), exc
else:
    raise AssertionError("no error")
assert np.allclose(adtransform.grad(f)(x), 2 * np.tanh(x) / np.cosh(x) ** 2)
print("OK")
""")


def test_rules_load_when_scipy_is_imported(tmp_path):
    pytest.importorskip("scipy")
    _run(tmp_path, """
import sys
import numpy as np
import adtransform
from adtransform.rules.registry import registry_version

assert "scipy.stats" not in sys.modules and "scipy.special" not in sys.modules  # not imported for us

def f(x):
    return np.sum(np.sin(x))

x = np.linspace(-1.0, 1.0, 4)
assert np.allclose(adtransform.grad(f)(x), np.cos(x))
before = registry_version()
assert "adtransform.rules.scipy_stats" not in sys.modules

from scipy import stats

def g(x):
    return np.sum(stats.norm.logpdf(x, 0.5, 2.0))

assert np.allclose(adtransform.grad(g)(x), -(x - 0.5) / 4.0)
assert registry_version() != before   # registering the rules invalidates gradients cached before
assert "adtransform.rules.scipy_stats" in sys.modules
assert "adtransform.rules.scipy_special" in sys.modules  # scipy.stats imports scipy.special
assert "adtransform.rules.scipy_stats_location" in sys.modules
assert np.allclose(adtransform.grad(f)(x), np.cos(x))
print("OK")
""")
