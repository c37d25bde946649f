"""The common rules' gradients: time and temporaries against a hand-written gradient, and autograd.

Run from the repository root:

    python benchmarks/bench_rules.py            # full run (~1 min)
    python benchmarks/bench_rules.py --quick    # smoke run
    python benchmarks/bench_rules.py --problems softmax_ce,gauss --show-source

Problems (each written as users write it, a hand-written gradient, an autograd.numpy copy):
  softmax_ce        log-softmax by the max shift, cross-entropy with one-hot labels, wrt the logits
  softmax_ce_scipy  the same with scipy.special.logsumexp (when SciPy is installed)
  logsumexp         max-shifted log-sum-exp of a vector, written out
  logsumexp_scipy   scipy.special.logsumexp of a vector
  norm              np.linalg.norm of a vector;  norm_sqrt: the same written np.sqrt(np.sum(x * x))
  gauss             Gaussian log-likelihood of N points with np.linalg.solve and slogdet, wrt (mu, S)
  mlp               bench_foundation.py's 784-100-10 MLP, wrt (W1, b1, W2, b2)

A problem whose gradient adtransform refuses (a rule not written yet) is reported as skipped with
the error's message; any wrong gradient aborts the run. Checks first (hand-written against finite
differences, each tool against the hand-written), then the tools are timed interleaved (timing.py).

Temporaries are counted by allocations.py: every NumPy data buffer allocated during one gradient
call (a separate, untimed call), so temporaries freed before the call returns count too. Reported:
buffers of >= 1 KiB (array temporaries; the 0-d results of scalar arithmetic are left out), all
bytes allocated, and the peak of bytes live at once above what existed before the call.
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if ROOT not in sys.path:
    sys.path.insert(1, ROOT)

import allocations  # noqa: E402
import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import bench_foundation  # noqa: E402
import numpy as np  # noqa: E402
import timing  # noqa: E402
import torch  # noqa: E402  (timing.setup sets its threads with numpy's)

ad, AD_IMPORT_ERROR = timing.import_adtransform()
try:
    import autograd.scipy.special as asp
    import scipy.special as sp
except ImportError:  # SciPy is optional: its rows are skipped
    sp = asp = None


# --- softmax cross-entropy ----------------------------------------------------------------


def softmax_ce_f(z, Y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def softmax_ce_scipy_f(z, Y):
    logp = z - sp.logsumexp(z, axis=1, keepdims=True)
    return -np.sum(Y * logp) / z.shape[0]


def softmax_ce_hand(z, Y):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    g = e / e.sum(axis=1, keepdims=True)  # softmax; rows of Y sum to 1
    g -= Y
    g *= 1.0 / z.shape[0]
    return g


def softmax_ce_anp(z, Y):
    s = z - anp.max(z, axis=1, keepdims=True)
    logp = s - anp.log(anp.sum(anp.exp(s), axis=1, keepdims=True))
    return -anp.sum(Y * logp) / z.shape[0]


def softmax_ce_scipy_anp(z, Y):
    return -anp.sum(Y * (z - asp.logsumexp(z, axis=1, keepdims=True))) / z.shape[0]


# --- logsumexp and norm of a vector -----------------------------------------------------------


def logsumexp_f(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_scipy_f(x):
    return sp.logsumexp(x)


def logsumexp_hand(x):
    e = np.exp(x - np.max(x))
    e /= e.sum()
    return e


def logsumexp_anp(x):
    m = anp.max(x)
    return m + anp.log(anp.sum(anp.exp(x - m)))


def logsumexp_scipy_anp(x):
    return asp.logsumexp(x)


def norm_f(x):
    return np.linalg.norm(x)


def norm_sqrt_f(x):
    return np.sqrt(np.sum(x * x))


def norm_hand(x):
    return x / np.sqrt(np.dot(x, x))


def norm_anp(x):
    return anp.linalg.norm(x)


def norm_sqrt_anp(x):
    return anp.sqrt(anp.sum(x * x))


# --- Gaussian log-likelihood ----------------------------------------------------------------


def gauss_f(mu, S, X):
    R = X - mu
    A = np.linalg.solve(S, R.T)
    _, logdet = np.linalg.slogdet(S)
    return -0.5 * np.sum(R.T * A) - 0.5 * X.shape[0] * logdet


def gauss_hand(mu, S, X):
    # d/dS of -r' S^-1 r / 2 is S^-T r r' S^-T / 2, of -N logdet(S) / 2 is -N S^-T / 2 (S symmetric here)
    A = np.linalg.solve(S, (X - mu).T)
    dS = A @ A.T
    dS -= X.shape[0] * np.linalg.inv(S)
    dS *= 0.5
    return A.sum(axis=1), dS


def gauss_anp(mu, S, X):
    R = X - mu
    A = anp.linalg.solve(S, R.T)
    _, logdet = anp.linalg.slogdet(S)
    return -0.5 * anp.sum(R.T * A) - 0.5 * X.shape[0] * logdet


# --- problems ---------------------------------------------------------------------------------


def _problem(key, title, f, hand, f_anp, args, wrt, names, needs_scipy=False):
    ag = autograd.grad(f_anp, argnum=wrt) if f_anp is not None else None
    return dict(key=key, title=title, primal=f, args=args, wrt=wrt, names=names,
                hand=lambda: hand(*args), autograd=(lambda: ag(*args)) if ag else None,
                missing="SciPy is not installed" if needs_scipy and sp is None else None)


def problems(quick):
    rng = np.random.default_rng(7)
    B, C = 256, 100
    z = rng.standard_normal((B, C)) * 3.0
    Y = np.eye(C)[rng.integers(0, C, B)]
    x = rng.standard_normal(10_000) * 3.0
    d, N = 30, 500
    L = rng.standard_normal((d, d)) / np.sqrt(d)
    S = L @ L.T + np.eye(d)
    mu = rng.standard_normal(d) * 0.1
    X = rng.multivariate_normal(np.zeros(d), S, N)
    mlp = bench_foundation.mlp_problem()
    ce = f"softmax cross-entropy, {B} x {C} logits, one-hot labels, wrt the logits"
    return {
        "softmax_ce": lambda: _problem("softmax_ce", ce + " (max-shifted log-softmax)", softmax_ce_f,
                                       softmax_ce_hand, softmax_ce_anp, (z, Y), 0, ("z",)),
        "softmax_ce_scipy": lambda: _problem("softmax_ce_scipy", ce + " (scipy.special.logsumexp)",
                                             softmax_ce_scipy_f, softmax_ce_hand, softmax_ce_scipy_anp,
                                             (z, Y), 0, ("z",), needs_scipy=True),
        "logsumexp": lambda: _problem("logsumexp", f"max-shifted logsumexp of {x.size} values", logsumexp_f,
                                      logsumexp_hand, logsumexp_anp, (x,), 0, ("x",)),
        "logsumexp_scipy": lambda: _problem("logsumexp_scipy", f"scipy.special.logsumexp of {x.size} values",
                                            logsumexp_scipy_f, logsumexp_hand, logsumexp_scipy_anp, (x,), 0,
                                            ("x",), needs_scipy=True),
        "norm": lambda: _problem("norm", f"np.linalg.norm of {x.size} values", norm_f, norm_hand, norm_anp,
                                 (x,), 0, ("x",)),
        "norm_sqrt": lambda: _problem("norm_sqrt", f"np.sqrt(np.sum(x * x)) of {x.size} values", norm_sqrt_f,
                                      norm_hand, norm_sqrt_anp, (x,), 0, ("x",)),
        "gauss": lambda: _problem("gauss", f"Gaussian log-likelihood, {N} points in {d} dimensions, "
                                  "solve + slogdet, wrt (mu, S)", gauss_f, gauss_hand, gauss_anp,
                                  (mu, S, X), (0, 1), ("mu", "S")),
        "mlp": lambda: dict(mlp, autograd=mlp["autograd"], missing=None),
    }


# --- running --------------------------------------------------------------------------------

TOOLS = ("adtransform", "hand-written", "autograd")


def _gradient(prob):
    """adtransform's gradient function, or the message of its refusal."""
    if ad is None:
        return None, f"adtransform does not import: {AD_IMPORT_ERROR}"
    try:
        df = ad.grad(prob["primal"], wrt=prob["wrt"])
        df(*prob["args"])
    except ad.AdtransformError as exc:
        return None, str(exc).strip()
    return df, None


def run_problem(prob, a, log):
    print(f"\n### {prob['key']}: {prob['title']}\n")
    if prob["missing"]:
        print(f"SKIPPED: {prob['missing']}")
        return None
    df, refused = _gradient(prob)
    if refused:
        print(f"SKIPPED: adtransform refuses the gradient (a rule not written yet?):\n```\n{refused}\n```")
        return None
    if a.show_source:
        print(f"adtransform generated source:\n```python\n{df.source.rstrip()}\n```\n")
    fd_err, _ = timing.check_hand_against_fd(prob)
    want = timing.as_tuple(prob["hand"](), len(prob["names"]))
    args = prob["args"]
    callables = {"primal": lambda: prob["primal"](*args), "adtransform": lambda: df(*args),
                 "hand-written": prob["hand"], "autograd": prob["autograd"]}
    checks = [f"hand-written vs finite differences: rel. err {fd_err:.1e}"]
    for tool in TOOLS:
        checks.append(f"{tool}: max rel. err {timing.compare_gradients(prob, tool, callables[tool](), want):.1e}")
    print(f"Gradient check (rtol={timing.RTOL}, atol={timing.ATOL}) OK - " + "; ".join(checks) + "\n")
    res = timing.interleaved(callables, samples=a.samples, target_ms=a.target_ms, progress=log)
    medians = timing.print_table(res, ("primal", *TOOLS))
    counts = {tool: allocations.count_call(callables[tool]) for tool in TOOLS}
    print("\n| tool | buffers >= 1 KiB | all buffers | MB allocated | peak MB live |\n|---|---:|---:|---:|---:|")
    for tool, c in counts.items():
        print(f"| {tool} | {c.big} | {c.allocations} | {c.bytes / 1e6:.3f} | {c.peak / 1e6:.3f} |")
    return medians, counts


def summary(results):
    print("\n### Summary\n")
    print("| problem | adtransform / hand-written | autograd / hand-written | buffers >= 1 KiB (adtransform, "
          "hand-written, autograd) | MB allocated (adtransform / hand-written) | peak MB (adtransform / hand) |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, result in results.items():
        if result is None:
            print(f"| {key} | skipped | | | | |")
            continue
        m, c = result
        hand = m["hand-written"]
        noisy = " (noisy)" if m["_noisy"] & {"adtransform", "hand-written"} else ""
        ad_c, hand_c, ag_c = c["adtransform"], c["hand-written"], c["autograd"]
        print(f"| {key} | {m['adtransform'] / hand:.2f}x{noisy} | {m['autograd'] / hand:.2f}x "
              f"| {ad_c.big}, {hand_c.big}, {ag_c.big} | {ad_c.bytes / 1e6:.2f} / {hand_c.bytes / 1e6:.2f} "
              f"| {ad_c.peak / 1e6:.2f} / {hand_c.peak / 1e6:.2f} |")
    print(f"\nLoad average (1/5/15 min) at the end: {timing.load_average()}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    timing.add_common_arguments(p)
    p.add_argument("--problems", default=None, help="comma-separated subset (default: all)")
    p.add_argument("--show-source", action="store_true", help="print adtransform's generated gradients")
    a = p.parse_args(argv)
    table = problems(a.quick)
    wanted = [s.strip() for s in (a.problems or ",".join(table)).split(",") if s.strip()]
    unknown = [s for s in wanted if s not in table]
    if unknown:
        p.error(f"unknown problem(s): {unknown}; known: {', '.join(table)}")
    modules = ("autograd", "scipy") + (("adtransform",) if ad is not None else ())
    log = timing.setup("adtransform rule benchmark", a, torch, modules, AD_IMPORT_ERROR)
    results = {key: run_problem(table[key](), a, log) for key in wanted}
    summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
