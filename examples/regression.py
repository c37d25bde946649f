"""Nonlinear regression: a 1-10-1 sigmoid network fits y = x³ - 3.2x² + 1.3x - 2 on 20 random points.

Plain (full-batch) SGD, learning rate 0.01, 10,000 steps, as in the lecture's PyTorch version; the
parameters are a dict, and `ad.grad(loss, wrt="params")` returns a dict of gradients.

Run:  python examples/regression.py [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import adtransform as ad


def truth(x):
    return x**3 - 3.2 * x**2 + 1.3 * x - 2


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def predict(params, x):
    """x: (n, 1) -> (n, 1)."""
    h = sigmoid(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def loss(params, x, y):
    return np.mean((predict(params, x) - y) ** 2)


def init_params(rng):
    return {
        "W1": rng.normal(0.0, 1.0, (1, 10)),
        "b1": np.zeros(10),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(10), (10, 1)),
        "b2": np.zeros(1),
    }


def progress(iterable, total: int, desc: str):
    """tqdm if installed, else a few lines of our own."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _plain_progress(iterable, total, desc)
    return tqdm(iterable, total=total, desc=desc, mininterval=0.5)


def _plain_progress(iterable, total, desc):
    start, shown = time.perf_counter(), -1
    for i, item in enumerate(iterable):
        yield item
        percent = 100 * (i + 1) // total
        if percent // 10 != shown:
            shown = percent // 10
            sys.stderr.write(f"\r{desc}: {percent:3d}% ({time.perf_counter() - start:.1f} s)")
            sys.stderr.flush()
    sys.stderr.write("\n")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Nonlinear regression with a 1-10-1 sigmoid network.")
    parser.add_argument("--out", default=".", help="directory for the PNG figure (default: here)")
    parser.add_argument("--quick", action="store_true", help="1,000 steps instead of 10,000 (used by the tests)")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = 1_000 if args.quick else 10_000

    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-1.5, 1.5, (20, 1))
    y = truth(x)
    params = init_params(rng)

    dloss = ad.value_and_grad(loss, wrt="params")
    dloss(params, x, y)  # a dict of parameters: the gradient is generated for its structure at the first call
    print("The generated gradient (dloss.source), one parameter per entry of the dict:\n")
    print(dloss.source)

    losses = []
    start = time.perf_counter()
    for _ in progress(range(steps), steps, "training"):
        value, grads = dloss(params, x, y)
        losses.append(float(value))
        params = {name: params[name] - args.lr * grads[name] for name in params}
    seconds = time.perf_counter() - start
    print(f"{steps} steps in {seconds:.2f} s ({1e6 * seconds / steps:.0f} µs per step, gradient included)")
    print(f"loss: {losses[0]:.3f} at the start, {losses[-1]:.4f} after {steps} steps")
    figures = plot(x, y, params, np.array(losses), Path(args.out))
    return {"losses": losses, "params": params, "figures": figures}


def plot(x, y, params, losses, out: Path) -> list[Path]:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plots skipped (pip install -e '.[examples]')")
        return []
    out.mkdir(parents=True, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4), dpi=90)
    grid = np.linspace(-1.5, 1.5, 200).reshape(-1, 1)
    left.plot(grid, truth(grid), color="grey", label="true curve")
    left.plot(grid, predict(params, grid), color="C1", label="network")
    left.plot(x, y, "o", ms=4, color="C0", label="data")
    left.set_xlabel("x")
    left.legend()
    left.set_title("Fit")
    right.semilogy(losses, color="C1")
    right.set_xlabel("step")
    right.set_ylabel("mean squared error")
    right.set_title("Loss")
    fig.tight_layout()
    file = out / "regression.png"
    fig.savefig(file)
    plt.close(fig)
    print(f"saved {file}")
    return [file]


if __name__ == "__main__":
    main()
