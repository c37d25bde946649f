"""benchmarks/bench_rules.py runs (smoke, no timing asserted) and its allocation counter counts right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def test_allocation_counter_sees_each_buffer_and_frees():
    allocations = pytest.importorskip("allocations")
    x = np.linspace(0.0, 1.0, 1000)

    def two_temporaries():
        return float(np.sum(np.exp(x) * 2.0))

    counts = allocations.count_call(two_temporaries)
    assert counts.big == 2 and counts.bytes >= 2 * x.nbytes  # exp(x), then the product: both freed
    assert counts.live == 0 and x.nbytes <= counts.peak < 3 * x.nbytes
    kept = allocations.count_call(lambda: np.exp(x))
    assert kept.big == 1 and kept.bytes == x.nbytes == kept.peak
    with allocations.counting() as counts:
        y = np.empty((50, 50))
        y = np.concatenate([y, y])  # the first buffer is freed here, by its own allocator
    assert counts.big == 2 and counts.live == y.nbytes
    np.testing.assert_array_equal(np.zeros(3) + 1.0, np.ones(3))  # arrays made after: default allocator


def test_bench_rules_quick_runs():
    pytest.importorskip("autograd")
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_rules.py", "--quick", "--samples", "1", "--target-ms", "1",
         "--problems", "softmax_ce,norm_sqrt,gauss"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert out.count("Gradient check (") >= 2 and "### Summary" in out
    # the general baselines are checked where the usual ones' assumptions fail (Y, S as the function allows)
    assert "Gradient check on such inputs" in out and "hand-written (general)" in out
    for key in ("softmax_ce", "norm_sqrt", "gauss"):
        assert f"| {key} |" in out
    # gauss needs the np.linalg rules: either it is checked and timed, or skipped with the refusal
    assert ("| gauss | skipped |" in out and "np.linalg.solve" in out) or "| gauss | skipped |" not in out
