"""Golden tests of generated source: a change in the emitted code shows up in review.

Regenerate after an intended change with ADTRANSFORM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
and read the diff.
"""

import os
import re
from pathlib import Path

import golden_functions as g
import numpy as np
import pytest
from source_patterns import code, has, names

import adtransform as ad

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "lecture": (g.lecture, 0),
    "sigmoid_mlp_loss": (g.sigmoid_mlp_loss, (0, 1, 2, 3)),
    "logistic_bce": (g.logistic_bce, (0, 1)),
    "rnn": (g.rnn, (0, 1, 3)),
    "newton_sqrt": (g.newton_sqrt, 0),
    "prefix_energy": (g.prefix_energy, 0),
    "helper_mlp_loss": (g.helper_mlp_loss, (0, 1, 2, 3)),
}


def _normalized(source: str) -> str:
    return source.replace(g.__file__, "golden_functions.py")


@pytest.mark.parametrize("name", CASES)
def test_generated_source_matches_golden(name):
    fn, wrt = CASES[name]
    source = _normalized(ad.grad(fn, wrt=wrt).source)
    path = GOLDEN / f"{name}.py.txt"
    if os.environ.get("ADTRANSFORM_UPDATE_GOLDEN"):
        path.write_text(source)
    assert source == path.read_text(), f"generated source of {name} changed; see {path}"


def test_lecture_adjoints_are_named_after_the_lecture_variables():
    source = ad.grad(g.lecture).source
    for name in ("z1_bar", "z2_bar", "z3_bar", "z4_bar", "x_bar"):
        assert f"    {name} = " in source


def test_lecture_values_through_the_generated_code():
    """Run the generated code line by line and read the intermediate adjoints the lecture prints."""
    x = 1.2
    env: dict = {}
    df = ad.grad(g.lecture)
    cells = dict(zip(df.__code__.co_freevars, (c.cell_contents for c in df.__closure__)))
    body = df.source.split('"""')[2]
    guard = ("if ", "return ", "# derived for")  # the check of the names the gradient was derived for, and returns
    exec("\n".join(line[4:] for line in body.splitlines() if not line.strip().startswith(guard)),
         {**df.__globals__, **cells, "x": x}, env)
    assert round(env["z1_bar"], 2) == 3.29
    assert round(env["z2_bar"], 2) == 0.88
    assert round(env["z3_bar"], 2) == 3.29
    assert round(env["z4_bar"], 2) == 5.48
    analytic = (-2 / x**3 + 1 / x) * 3 * np.sqrt(x) + (1 / x**2 + np.log(x)) * 1.5 / np.sqrt(x)
    assert df(x) == pytest.approx(analytic, rel=1e-14)
    assert round(df(x), 2) == 0.14


def test_prefix_energy_gradient_and_in_place_writes():
    x = np.array([0.5, -1.0, 2.0])
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    # d/dx_k sum_j c_j^2 = sum_{j > k} 2 c_j * 2 x_k
    expected = np.array([4 * x[k] * c[k + 1:].sum() for k in range(3)])
    np.testing.assert_allclose(ad.grad(g.prefix_energy)(x), expected)
    source = (GOLDEN / "prefix_energy.py.txt").read_text()
    assert "index_update" not in source  # both sweeps write slot by slot into one array
    (push,) = [line for line in code(source).splitlines() if "stack.append(" in line]
    written = names("{c}[{*slot}] = {*value}", code(source))   # what the backward sweep's slot_adjoint reads
    assert written and has("{x_item}", push) and has(f"{written['slot']}", push) and has(f"{written['value']}", push)
    assert not has("{c}", push)  # c itself is not recorded


def test_golden_sources_have_no_dead_code_or_zeros():
    # Loops start their adjoint accumulators from zero (as backprop through time written by hand does).
    for name in ("lecture", "sigmoid_mlp_loss", "logistic_bce"):
        code = [line for line in (GOLDEN / f"{name}.py.txt").read_text().splitlines()
                if not line.strip().startswith("#")]
        for line in code:
            assert not re.search(r"zeros|(?<![\w.])0(\.0)? \+|\+ 0(\.0)?(?![\w.])|\* 1\.0(?![\w.])|(?<![\w.])1\.0 \*",
                                 line), line
