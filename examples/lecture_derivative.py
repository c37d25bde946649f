"""The lecture's derivative: y = 3√x (log x + 1/x²) through z1..z4, differentiated by adtransform.

The lecture computes this function step by step in PyTorch, calls `y.backward()` and reads the
adjoints of the intermediates (`z1.grad`, ..., kept by `retain_grad()`). Here the gradient is a
Python function adtransform wrote: its local variables `z1_bar`..`z4_bar` ARE those adjoints
(dy/dz1..dy/dz4), and we read them from the generated code as a debugger would.

Run:  python examples/lecture_derivative.py [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import adtransform as ad


def lecture(x):
    z2 = 3 * np.sqrt(x)
    z3 = np.log(x)
    z4 = 1 / x
    z1 = z4**2 + z3
    y = z1 * z2
    return y


def analytic_derivative(x):
    """By hand: y = (x⁻² + log x) · 3√x, so y' = (-2x⁻³ + 1/x) · 3√x + (x⁻² + log x) · 3/(2√x)."""
    return (-2 * x**-3 + 1 / x) * 3 * np.sqrt(x) + (x**-2 + np.log(x)) * 1.5 / np.sqrt(x)


def analytic_adjoints(x):
    """By hand, backwards from y = z1·z2: z1̄ = z2, z2̄ = z1, z3̄ = z1̄ (z1 = z4² + z3), z4̄ = z1̄ · 2 z4."""
    z2, z4 = 3 * np.sqrt(x), 1 / x
    z1 = z4**2 + np.log(x)
    return {"z1": z2, "z2": z1, "z3": z2, "z4": z2 * 2 * z4}


def adjoints_in(gradient, *args):
    """Call a generated gradient and return its local variables named `<name>_bar` (the adjoints).

    The generated gradient is plain Python, so its locals can be read when it returns, the way a
    debugger shows them (`sys.setprofile` sees the frame; nothing else is hooked).
    """
    seen: dict = {}

    def watch(frame, event, _arg):
        if event == "return" and frame.f_code is gradient.__code__:
            seen.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        gradient(*args)
    finally:
        sys.setprofile(previous)
    return {name[: -len("_bar")]: float(v) for name, v in seen.items() if name.endswith("_bar")}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="The lecture's derivative, by adtransform.")
    parser.add_argument("--out", default=".", help="directory for the PNG figure (default: here)")
    parser.add_argument("--quick", action="store_true", help="fewer plot points (used by the tests)")
    args = parser.parse_args(argv)

    dlecture = ad.grad(lecture)
    print("The generated gradient (dlecture.source):\n")
    print(dlecture.source)

    x = 1.2
    dydx = float(dlecture(x))
    print(f"y({x}) = {lecture(x):.4f}")
    print(f"dy/dx = {dydx:.2f}   (analytic: {analytic_derivative(x):.2f}; "
          f"difference {abs(dydx - analytic_derivative(x)):.1e})")

    adjoints = adjoints_in(dlecture, x)
    by_hand = analytic_adjoints(x)
    print("\nadjoints of the intermediates, read from the generated code (the lecture's retain_grad):")
    for name in ("z1", "z2", "z3", "z4"):
        print(f"  {name}_bar = dy/d{name} = {adjoints[name]:.2f}   (analytic: {by_hand[name]:.2f})")

    xs = np.linspace(0.5, 3.0, 26 if args.quick else 251)
    ys = lecture(xs)
    slopes = np.array([dlecture(float(xi)) for xi in xs])
    print(f"\nlargest |dy/dx - analytic| on [0.5, 3]: {np.max(np.abs(slopes - analytic_derivative(xs))):.1e}")
    figures = plot(xs, ys, slopes, x, Path(args.out))
    return {"dydx": dydx, "adjoints": adjoints, "xs": xs, "slopes": slopes, "figures": figures}


def plot(xs, ys, slopes, x0, out: Path) -> list[Path]:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plots skipped (pip install -e '.[examples]')")
        return []
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=90)
    ax.plot(xs, ys, label="y = 3√x (log x + 1/x²)")
    ax.plot(xs, slopes, label="dy/dx (adtransform)")
    ax.axhline(0.0, color="grey", lw=0.5)
    ax.axvline(x0, color="grey", lw=0.5, ls=":")
    ax.set_xlabel("x")
    ax.legend()
    ax.set_title("The lecture's function and its derivative")
    fig.tight_layout()
    path = out / "lecture_derivative.png"
    fig.savefig(path)
    plt.close(fig)
    print(f"saved {path}")
    return [path]


if __name__ == "__main__":
    main()
