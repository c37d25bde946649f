"""Gradient descent on y = x² + 2x + 3 from x = 2, step 0.1, 100 steps: it ends at the minimum x = -1, y = 2.

The loop is the lecture's, with `dy/dx` from the gradient adtransform generates (printed once).

Run:  python examples/gradient_descent.py [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import adtransform as ad


def f(x):
    return x**2 + 2 * x + 3


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Gradient descent on x² + 2x + 3.")
    parser.add_argument("--out", default=".", help="directory for the PNG figure (default: here)")
    parser.add_argument("--quick", action="store_true", help="accepted for uniformity: 100 steps already take <1 ms")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)

    df = ad.grad(f)
    print("The generated gradient (df.source):\n")
    print(df.source)

    x = 2.0
    path = [x]
    for step in range(args.steps):
        x = x - args.lr * df(x)
        path.append(x)
        if step < 3 or step == args.steps - 1:
            print(f"step {step + 1:3d}: x = {x: .6f}, y = {f(x):.6f}")
    print(f"after {args.steps} steps: x = {x:.2f}, y = {f(x):.2f}   (the minimum: x = -1, y = 2)")
    figures = plot(np.array(path), Path(args.out))
    return {"x": x, "y": f(x), "path": path, "figures": figures}


def plot(path, out: Path) -> list[Path]:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plots skipped (pip install -e '.[examples]')")
        return []
    out.mkdir(parents=True, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4), dpi=90)
    xs = np.linspace(-3.0, 2.5, 200)
    left.plot(xs, f(xs), color="grey", label="y = x² + 2x + 3")
    left.plot(path, f(path), "o-", ms=3, lw=0.8, color="C1", label="gradient descent")
    left.set_xlabel("x")
    left.legend()
    left.set_title("The path on the curve")
    right.plot(np.arange(len(path)), f(path), color="C1")
    right.set_xlabel("step")
    right.set_ylabel("y")
    right.set_title("y against the step")
    fig.tight_layout()
    file = out / "gradient_descent.png"
    fig.savefig(file)
    plt.close(fig)
    print(f"saved {file}")
    return [file]


if __name__ == "__main__":
    main()
