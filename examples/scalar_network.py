"""A scalar network without arrays, written the way micrograd's demo writes it: floats, lists and loops.

The parameters are a list of layers, each a list of neurons, each a (weights, bias) pair of Python
floats; a neuron is `sum(wi * xi for wi, xi in zip(ws, xs)) + b`. Trained on two moons with
micrograd's max-margin loss and L2 penalty. adtransform reads this Python and writes its gradient
as Python again: no tape is recorded at run time. We print the time per gradient next to the forward
pass and to autograd's (a tape of boxed floats), if installed.

Run:  python examples/scalar_network.py [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

import adtransform as ad


def relu(v):
    return v if v > 0.0 else 0.0


def neuron(ws, b, xs, nonlinear):
    act = sum(wi * xi for wi, xi in zip(ws, xs)) + b
    return relu(act) if nonlinear else act


def forward(params, x):
    h = x
    for k, layer in enumerate(params):
        nonlinear = k < len(params) - 1
        out = []
        for ws, b in layer:  # micrograd writes `[n(x) for n in self.neurons]`: see the note in main()
            out.append(neuron(ws, b, h, nonlinear))
        h = out
    return h[0]


def loss(params, X, y, alpha=1e-4):
    """Mean hinge loss (labels ±1) plus alpha times the sum of the squared weights."""
    total = 0.0
    for xi, yi in zip(X, y):
        total += relu(1.0 - yi * forward(params, xi))
    penalty = 0.0
    for layer in params:
        for ws, b in layer:
            for w in ws:
                penalty += w * w
            penalty += b * b
    return total / len(X) + alpha * penalty


def init_params(sizes, rng: random.Random):
    return [[([rng.uniform(-1, 1) for _ in range(n_in)], 0.0) for _ in range(n_out)]
            for n_in, n_out in itertools.pairwise(sizes)]


def two_moons(n, noise, seed):
    """Two interleaving half circles, labels ±1 (scikit-learn's make_moons if installed)."""
    try:
        from sklearn.datasets import make_moons
    except ImportError:
        rng = np.random.default_rng(seed)
        t = rng.uniform(0, math.pi, n)
        upper = rng.uniform(size=n) < 0.5
        X = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
        return X + rng.normal(0, noise, X.shape), np.where(upper, -1.0, 1.0)
    X, labels = make_moons(n_samples=n, noise=noise, random_state=seed)
    return X, 2.0 * labels - 1.0


def sgd_step(params, grads, lr):
    return [[([w - lr * gw for w, gw in zip(ws, gws)], b - lr * gb) for (ws, b), (gws, gb) in zip(layer, glayer)]
            for layer, glayer in zip(params, grads)]


def accuracy(params, X, y) -> float:
    return float(np.mean([(forward(params, xi) > 0) == (yi > 0) for xi, yi in zip(X, y)]))


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


def best_time(fn, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def compare_speed(params, X, y, dloss, repeat) -> dict:
    """Seconds per call: the forward pass, adtransform's gradient, autograd's (if installed)."""
    times = {"forward": best_time(lambda: loss(params, X, y), repeat),
             "adtransform": best_time(lambda: dloss(params, X, y), repeat)}
    try:
        from autograd import value_and_grad as autograd_value_and_grad
    except ImportError:
        print("autograd is not installed: no tape-based timing to compare with")
        return times
    tape = autograd_value_and_grad(loss)
    value, grads = tape(params, X, y)
    mine = dloss(params, X, y)
    assert abs(value - mine[0]) < 1e-12 and abs(grads[0][0][0][0] - mine[1][0][0][0][0]) < 1e-12
    times["autograd"] = best_time(lambda: tape(params, X, y), 1)
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="A micrograd-style scalar network on two moons.")
    parser.add_argument("--out", default=".", help="directory for the PNG figure (default: here)")
    parser.add_argument("--quick", action="store_true", help="fewer samples and steps (used by the tests)")
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args(argv)
    # micrograd's demo uses [2, 16, 16, 1]; every neuron of every layer becomes lines of the generated
    # gradient (the list of parameters has a known structure, so its loops are unrolled), and at 16x16
    # that takes ~10 s to generate and ~0.5 s a call today: two hidden layers of 6 keep this under a minute.
    samples, steps, sizes = (40, 15, [2, 6, 6, 1]) if args.quick else (100, 100, [2, 6, 6, 1])

    X, y = two_moons(samples, 0.1, args.seed)
    params = init_params(sizes, random.Random(args.seed))
    # The natural micrograd form builds each layer with `[neuron(ws, b, h, nonlinear) for ws, b in layer]`;
    # a list comprehension calling a function, inside a called function, is refused today, so `forward`
    # appends in a loop (the same list, built the long way).
    dloss = ad.value_and_grad(loss, wrt="params")
    dloss(params, X, y)  # generated at the first call, for the structure of `params`
    print("The generated gradient (dloss.source):\n")
    print(dloss.source)

    losses = []
    start = time.perf_counter()
    for k in progress(range(steps), steps, "training"):
        value, grads = dloss(params, X, y)
        params = sgd_step(params, grads, lr=1.0 - 0.9 * k / steps)  # micrograd's decaying learning rate
        losses.append(value)
    seconds = time.perf_counter() - start
    n_params = sum(len(ws) + 1 for layer in params for ws, _ in layer)
    trained = accuracy(params, X, y)
    print(f"{steps} steps on {samples} points, {n_params} parameters, in {seconds:.1f} s; "
          f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, accuracy {100 * trained:.0f}%")

    times = compare_speed(params, X[:20] if args.quick else X, y[:20] if args.quick else y, dloss,
                          repeat=2 if args.quick else 5)
    line = ", ".join(f"{name} {1e3 * t:.2f} ms" for name, t in times.items())
    print(f"time per call on {20 if args.quick else samples} points: {line}")
    print(f"  adtransform's gradient costs {times['adtransform'] / times['forward']:.1f} forward passes"
          + (f"; autograd's tape {times['autograd'] / times['adtransform']:.0f} times adtransform's"
             if "autograd" in times else ""))
    figures = plot(params, X, y, losses, Path(args.out))
    return {"params": params, "losses": losses, "accuracy": trained, "times": times, "X": X, "y": y,
            "figures": figures}


def plot(params, X, y, losses, out: Path) -> list[Path]:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plots skipped (pip install -e '.[examples]')")
        return []
    out.mkdir(parents=True, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4), dpi=90, gridspec_kw={"width_ratios": [1.3, 1]})
    gx, gy = np.meshgrid(np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 60),
                         np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 60))
    scores = np.array([forward(params, point) for point in np.c_[gx.ravel(), gy.ravel()]]).reshape(gx.shape)
    left.contourf(gx, gy, scores > 0, levels=1, cmap="coolwarm", alpha=0.35)
    left.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=14, edgecolors="k", linewidths=0.3)
    left.set_title("Decision boundary")
    right.plot(losses, color="C1")
    right.set(xlabel="step", ylabel="loss", title="Training loss")
    fig.tight_layout()
    file = out / "scalar_network.png"
    fig.savefig(file)
    plt.close(fig)
    print(f"saved {file}")
    return [file]


if __name__ == "__main__":
    main()
