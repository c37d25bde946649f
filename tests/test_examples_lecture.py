"""The lecture's examples (examples/*.py, issue 14) run in their short mode and compute the right numbers.

Each example is run in-process through its `main(argv)` (quick mode, figures into a temporary
directory, matplotlib's Agg backend) and its results are compared with values derived independently
here: analytic derivatives, the minimum of the parabola, finite differences, autograd. Each is also run
as a script (`python examples/NAME.py --quick`) with matplotlib, tqdm and scikit-learn hidden, which
must still succeed and say that the plots were skipped.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OPTIONAL = ("matplotlib", "tqdm", "sklearn")

pytest.importorskip("matplotlib", reason="the examples extra is not installed")  # pip install -e '.[test]' has it


def load(name: str):
    """Import examples/NAME.py as a module (its `main` is not run)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(name: str, out: Path, *extra: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    return load(name).main(["--quick", "--out", str(out), *extra])


def check_png(path: Path, min_width: int = 300) -> None:
    """A PNG file of sane size: the signature, an image header of a real width and height, 5-300 KB."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    assert min_width <= width <= 2000 and 150 <= height <= 2000, (path, width, height)
    assert 5_000 <= len(data) <= 300_000, (path, len(data))


def run_script(name: str, cwd: Path, *args: str, hide: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`python examples/NAME.py ARGS` in `cwd`, with the packages in `hide` made unimportable."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    blocker = "".join(f"sys.modules[{m!r}] = None; " for m in hide)
    code = (f"import runpy, sys; {blocker}sys.argv = [{str(EXAMPLES / (name + '.py'))!r}, *{list(args)!r}]; "
            f"runpy.run_path(sys.argv[0], run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


# ---------------------------------------------------------------- 1. the lecture's derivative


def test_lecture_derivative_and_adjoints_are_the_analytic_ones(tmp_path):
    results = run_main("lecture_derivative", tmp_path)
    x = 1.2
    z2, z3, z4 = 3 * np.sqrt(x), np.log(x), 1 / x
    z1 = z4**2 + z3
    # by hand: y = z1 z2 with z1 = z4² + z3, z2 = 3√x, z3 = log x, z4 = 1/x
    dydx = z2 * (-2 * x**-3 + 1 / x) + z1 * 1.5 / np.sqrt(x)
    assert round(results["dydx"], 2) == 0.14
    assert results["dydx"] == pytest.approx(dydx, rel=1e-13)
    want = {"z1": z2, "z2": z1, "z3": z2, "z4": z2 * 2 * z4}
    got = results["adjoints"]
    assert tuple(round(got[k], 2) for k in ("z1", "z2", "z3", "z4")) == (3.29, 0.88, 3.29, 5.48)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-13), k
    xs = results["xs"]
    assert xs[0] == 0.5 and xs[-1] == 3.0
    slope = 1.5 / np.sqrt(xs) * (xs**-2 + np.log(xs)) + 3 * np.sqrt(xs) * (-2 * xs**-3 + 1 / xs)
    np.testing.assert_allclose(results["slopes"], slope, rtol=1e-12)
    assert [p.name for p in results["figures"]] == ["lecture_derivative.png"]
    check_png(tmp_path / "lecture_derivative.png")


def test_lecture_derivative_script_prints_the_gradient_and_saves_here(tmp_path):
    out = run_script("lecture_derivative", tmp_path, "--quick").stdout
    assert "def dlecture_dx(x):" in out and "z4_bar = " in out
    assert "dy/dx = 0.14" in out
    for line in ("z1_bar = dy/dz1 = 3.29", "z2_bar = dy/dz2 = 0.88", "z3_bar = dy/dz3 = 3.29",
                 "z4_bar = dy/dz4 = 5.48"):
        assert line in out
    check_png(tmp_path / "lecture_derivative.png")  # no --out: next to where it runs


# ---------------------------------------------------------------- 2. gradient descent


def test_gradient_descent_ends_at_the_minimum(tmp_path):
    results = run_main("gradient_descent", tmp_path)
    path = np.array(results["path"])
    assert len(path) == 101 and path[0] == 2.0
    # x_{k+1} = x_k - 0.1 (2 x_k + 2): x_k + 1 = 3 · 0.8^k exactly
    np.testing.assert_allclose(path + 1.0, 3.0 * 0.8 ** np.arange(101), rtol=1e-12, atol=1e-15)
    assert results["x"] == pytest.approx(-1.0, abs=1e-8)
    assert results["y"] == pytest.approx(2.0, abs=1e-12)
    check_png(tmp_path / "gradient_descent.png")


# ---------------------------------------------------------------- 3. nonlinear regression


def test_regression_loss_falls_and_gradient_is_right(tmp_path):
    from gradcheck import numeric_grad

    results = run_main("regression", tmp_path)
    losses = np.array(results["losses"])
    assert len(losses) == 1_000
    assert losses[-1] < 0.1 * losses[0]
    assert np.all(np.diff(losses) <= 1e-12)  # full-batch steps this small only go down here
    check_png(tmp_path / "regression.png")

    example = load("regression")
    import adtransform as ad

    rng = np.random.default_rng(3)
    params = example.init_params(rng)
    x = rng.uniform(-1.5, 1.5, (20, 1))
    y = example.truth(x)
    grads = ad.grad(example.loss, wrt="params")(params, x, y)

    def flat_loss(W1, b1, W2, b2):
        return example.loss({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, x, y)

    args = tuple(params[k] for k in ("W1", "b1", "W2", "b2"))
    for i, name in enumerate(("W1", "b1", "W2", "b2")):
        np.testing.assert_allclose(grads[name], numeric_grad(flat_loss, args, wrt=i), rtol=1e-6, atol=1e-8,
                                   err_msg=name)


# ---------------------------------------------------------------- 4. digits: an MLP and a CNN in NumPy


def test_digits_accuracy_confusion_and_figures(tmp_path):
    pytest.importorskip("sklearn", reason="the digits example reads scikit-learn's bundled data")
    results = run_main("digits", tmp_path)
    # The quick mode trains the MLP as the full mode does (30 epochs, ~1 s); only the CNN gets fewer
    # epochs (3 instead of 20). So the MLP must reach the 95%; the CNN, after 3 epochs of 45
    # minibatches, is far above chance (10%): 80% leaves room for other BLAS roundings (89.7% here).
    assert results["mlp_accuracy"] >= 0.95
    assert results["cnn_accuracy"] >= 0.80
    for name in ("mlp", "cnn"):
        matrix = results[f"{name}_confusion"]
        assert matrix.shape == (10, 10) and matrix.sum() == 360
        assert np.trace(matrix) / 360 == pytest.approx(results[f"{name}_accuracy"])
        history = results[f"{name}_history"]
        assert history["loss"][-1] < history["loss"][0]
    for png in ("digits_curves.png", "digits_misclassified.png"):
        check_png(tmp_path / png)


def test_digits_gradients_match_finite_differences():
    from gradcheck import assert_trees_close, tree_fd

    import adtransform as ad

    example = load("digits")
    rng = np.random.default_rng(4)
    images = rng.uniform(0, 1, (5, 8, 8))
    onehot = np.eye(10)[rng.integers(0, 10, 5)]
    for loss, params in ((example.cnn_loss, example.init_cnn(rng)), (example.mlp_loss, example.init_mlp(rng))):
        params = {key: value + rng.normal(0, 0.1, value.shape) for key, value in params.items()}  # biases not 0
        got = ad.grad(loss, wrt="params")(params, images, onehot)
        want = tree_fd(loss, (params, images, onehot), 0)
        assert_trees_close(got, want, rtol=1e-6, atol=1e-9)


def test_convolution_is_the_textbook_sum():
    example = load("digits")
    rng = np.random.default_rng(5)
    images, kernels, bias = rng.normal(size=(2, 6, 7)), rng.normal(size=(3, 3, 3)), rng.normal(size=3)
    out = example.conv2d(images, kernels, bias)
    assert out.shape == (2, 3, 4, 5)
    for n, c, i, j in np.ndindex(out.shape):
        assert out[n, c, i, j] == pytest.approx(np.sum(images[n, i:i + 3, j:j + 3] * kernels[c]) + bias[c])


# ---------------------------------------------------------------- 5. a scalar network of floats and lists


def test_scalar_network_trains_and_its_gradient_is_right(tmp_path):
    results = run_main("scalar_network", tmp_path)
    losses = results["losses"]
    assert len(losses) == 15 and losses[-1] < 0.7 * losses[0]
    assert results["accuracy"] >= 0.75
    assert set(results["times"]) >= {"forward", "adtransform"}
    check_png(tmp_path / "scalar_network.png")


def test_scalar_network_gradient_matches_finite_differences_and_autograd():
    import random

    from gradcheck import assert_trees_close, tree_fd

    import adtransform as ad

    example = load("scalar_network")
    X, y = example.two_moons(12, 0.1, 3)
    params = example.init_params([2, 4, 3, 1], random.Random(3))
    params = [[(ws, random.Random(k).uniform(-0.3, 0.3)) for k, (ws, _) in enumerate(layer)] for layer in params]
    value, got = ad.value_and_grad(example.loss, wrt="params")(params, X, y)
    assert value == pytest.approx(example.loss(params, X, y), rel=1e-14)
    assert isinstance(got, list) and isinstance(got[0][0], tuple) and isinstance(got[0][0][0], list)
    assert_trees_close(got, tree_fd(example.loss, (params, X, y), 0), rtol=1e-6, atol=1e-9)
    autograd = pytest.importorskip("autograd")
    assert_trees_close(got, autograd.grad(example.loss)(params, X, y), rtol=1e-12, atol=1e-14)


def test_two_moons_without_scikit_learn(monkeypatch):
    example = load("scalar_network")
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    X, y = example.two_moons(50, 0.1, 0)
    assert X.shape == (50, 2) and set(np.unique(y)) == {-1.0, 1.0}


# ---------------------------------------------------------------- every example, without the optional packages


@pytest.mark.parametrize("name", ["lecture_derivative", "gradient_descent", "regression", "scalar_network"])
def test_runs_without_the_optional_packages(name, tmp_path):
    result = run_script(name, tmp_path, "--quick", hide=OPTIONAL)
    assert "plots skipped" in result.stdout
    assert not list(tmp_path.glob("*.png"))


def test_digits_without_scikit_learn_says_so_and_succeeds(tmp_path):
    result = run_script("digits", tmp_path, "--quick", hide=OPTIONAL)
    assert "scikit-learn is not installed" in result.stdout
    assert not list(tmp_path.glob("*.png"))
