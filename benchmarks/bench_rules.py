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

Two hand-written baselines where the usual one knows more than the function says: the softmax
gradients `(softmax - Y) / B` assume the rows of Y sum to 1 (one-hot labels), the Gaussian one that S
is symmetric. The function as written is defined for any Y and any invertible S, and so is
adtransform's gradient; "hand-written (general)" is a hand-written gradient right for every such
input, checked against finite differences on inputs where the assumption fails (Y rows not summing
to 1, a non-symmetric S), where adtransform and autograd are checked against it too. The summary
gives ratios and buffer counts against both baselines.

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
import types

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


def softmax_ce_hand_general(z, Y):
    # d/dz of -sum(Y * log softmax(z)) / B: (softmax(z) * Y.sum(axis=1) - Y) / B, for any Y
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    g = e * (Y.sum(axis=1, keepdims=True) / e.sum(axis=1, keepdims=True))
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


def gauss_hand_general(mu, S, X):
    # With B = S^-T R^T beside A = S^-1 R^T: d/dmu = (A + B).sum(axis=1) / 2, d/dS = (B A^T - N S^-T) / 2
    # (a second solve, with S^T, as the primal's solve: inv(S) @ R^T would be faster and less accurate)
    Rt = (X - mu).T
    A = np.linalg.solve(S, Rt)
    B = np.linalg.solve(S.T, Rt)
    dS = B @ A.T
    inverse = np.linalg.inv(S)
    inverse *= X.shape[0]
    dS -= inverse.T
    dS *= 0.5
    dmu = A.sum(axis=1)
    dmu += B.sum(axis=1)
    dmu *= 0.5
    return dmu, dS


def gauss_anp(mu, S, X):
    R = X - mu
    A = anp.linalg.solve(S, R.T)
    _, logdet = anp.linalg.slogdet(S)
    return -0.5 * anp.sum(R.T * A) - 0.5 * X.shape[0] * logdet


def mlp_hand_general(W1, b1, W2, b2, X, Y):
    # bench_foundation.mlp_hand without its one-hot assumption: softmax * Y.sum(axis=1) - Y
    h = X @ W1 + b1
    a = np.maximum(h, 0.0)
    logits = a @ W2 + b2
    e = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    g = e * (Y.sum(axis=1, keepdims=True) / e.sum(axis=1, keepdims=True))
    g -= Y
    g *= 1.0 / X.shape[0]
    dW2 = a.T @ g
    db2 = g.sum(axis=0)
    da = g @ W2.T
    da *= h > 0
    return X.T @ da, da.sum(axis=0), dW2, db2


# --- problems ---------------------------------------------------------------------------------

GENERAL = "hand-written (general)"


def _problem(key, title, f, hand, f_anp, args, wrt, names, needs_scipy=False, general=None):
    """`general`: (hand-written gradient right for every input, what the usual one assumes, inputs
    where that assumption fails)."""
    ag = autograd.grad(f_anp, argnum=wrt) if f_anp is not None else None
    return dict(key=key, title=title, primal=f, args=args, wrt=wrt, names=names,
                hand=lambda: hand(*args), hand_fn=hand, autograd=(lambda: ag(*args)) if ag else None, ag=ag,
                general=general, missing="SciPy is not installed" if needs_scipy and sp is None else None)


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
    # inputs the general baselines are checked on: label weights whose rows do not sum to 1, and a
    # non-symmetric S (its symmetric part positive definite: det > 0, well conditioned)
    Y_weights = rng.uniform(0.0, 1.0, (B, C)) * rng.uniform(0.2, 3.0, (B, 1))
    K = rng.standard_normal((d, d)) / np.sqrt(d)
    S_general = S + 0.5 * (K - K.T) + 0.2 * K
    mlp = bench_foundation.mlp_problem()
    W1, b1, W2, b2, X_mlp, Y_mlp = mlp["args"]
    mlp_weights = rng.uniform(0.0, 1.0, Y_mlp.shape)
    one_hot = "rows of Y sum to 1 (one-hot labels)"
    ce_general = (softmax_ce_hand_general, one_hot, (z, Y_weights))
    ce = f"softmax cross-entropy, {B} x {C} logits, one-hot labels, wrt the logits"
    return {
        "softmax_ce": lambda: _problem("softmax_ce", ce + " (max-shifted log-softmax)", softmax_ce_f,
                                       softmax_ce_hand, softmax_ce_anp, (z, Y), 0, ("z",), general=ce_general),
        "softmax_ce_scipy": lambda: _problem("softmax_ce_scipy", ce + " (scipy.special.logsumexp)",
                                             softmax_ce_scipy_f, softmax_ce_hand, softmax_ce_scipy_anp,
                                             (z, Y), 0, ("z",), needs_scipy=True, general=ce_general),
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
                                  (mu, S, X), (0, 1), ("mu", "S"),
                                  general=(gauss_hand_general, "S is symmetric", (mu, S_general, X))),
        "mlp": lambda: dict(mlp, autograd=mlp["autograd"], missing=None, hand_fn=bench_foundation.mlp_hand,
                            ag=autograd.grad(bench_foundation.mlp_f_anp, argnum=(0, 1, 2, 3)),
                            general=(mlp_hand_general, one_hot, (W1, b1, W2, b2, X_mlp, mlp_weights))),
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


def _later_versions(fn, seen=None, depth=0):
    """The sources of the versions `fn` falls back to that were compiled (a gradient specialised for
    scalar arguments sends arrays to its general version, compiled at the first such call): found
    among the closures of the generated function (codegen/load.py's Deferred keeps the text)."""
    seen = set() if seen is None else seen
    found = []
    cells = getattr(fn, "__closure__", None) or ()
    for name, cell in zip(getattr(getattr(fn, "__code__", None), "co_freevars", ()), cells):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        loaded = getattr(value, "_loaded", None)
        if loaded is not None and getattr(loaded, "text", None):
            found.append(loaded.text)
        elif isinstance(value, types.FunctionType) and depth < 3 and not name.endswith("_rederived"):
            found += _later_versions(value, seen, depth + 1)
    return found


def show_source(df):
    print(f"adtransform generated source:\n```python\n{df.source.rstrip()}\n```\n")
    for text in _later_versions(df):
        print(f"The version that ran for these arguments (the first falls back to it):\n```python\n"
              f"{text.rstrip()}\n```\n")


def _check_general(prob, df):
    """On inputs where the usual hand-written gradient's assumption fails: the general one against
    finite differences, adtransform and autograd against it; how far off the usual one is there."""
    hand, _, args = prob["general"]
    gprob = dict(prob, args=args, hand=lambda: hand(*args))
    fd_err, _ = timing.check_hand_against_fd(gprob)
    want = timing.as_tuple(hand(*args), len(prob["names"]))
    parts = [f"{GENERAL} vs finite differences: rel. err {fd_err:.1e}"]
    for tool, got in (("adtransform", df(*args)), ("autograd", prob["ag"](*args) if prob["ag"] else None)):
        if got is not None:
            parts.append(f"{tool}: max rel. err {timing.compare_gradients(gprob, tool, got, want):.1e}")
    usual = timing.as_tuple(prob["hand_fn"](*args), len(want))
    off = max(float(np.max(np.abs(u - w)) / max(float(np.max(np.abs(w))), 1e-300)) for u, w in zip(usual, want))
    parts.append(f"the usual hand-written gradient is off by {off:.1e} (max abs. error / max abs. gradient)")
    return parts


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
        show_source(df)
    fd_err, _ = timing.check_hand_against_fd(prob)
    want = timing.as_tuple(prob["hand"](), len(prob["names"]))
    args = prob["args"]
    callables = {"primal": lambda: prob["primal"](*args), "adtransform": lambda: df(*args),
                 "hand-written": prob["hand"], "autograd": prob["autograd"]}
    tools = TOOLS
    if prob.get("general"):
        general = prob["general"][0]
        callables[GENERAL] = lambda: general(*args)
        tools = (*TOOLS, GENERAL)
    checks = [f"hand-written vs finite differences: rel. err {fd_err:.1e}"]
    for tool in tools:
        checks.append(f"{tool}: max rel. err {timing.compare_gradients(prob, tool, callables[tool](), want):.1e}")
    print(f"Gradient check (rtol={timing.RTOL}, atol={timing.ATOL}) OK - " + "; ".join(checks) + "\n")
    if prob.get("general"):
        parts = _check_general(prob, df)
        print(f"The hand-written gradient assumes {prob['general'][1]}; where that fails (the inputs below), "
              f"it is wrong and the function's gradient is {GENERAL}'s.\nGradient check on such inputs "
              f"(rtol={timing.RTOL}, atol={timing.ATOL}) OK - " + "; ".join(parts) + "\n")
    res = timing.interleaved(callables, samples=a.samples, target_ms=a.target_ms, progress=log)
    medians = timing.print_table(res, ("primal", *tools))
    counts = {tool: allocations.count_call(callables[tool]) for tool in tools}
    print("\n| tool | buffers >= 1 KiB | all buffers | MB allocated | peak MB live |\n|---|---:|---:|---:|---:|")
    for tool, c in counts.items():
        print(f"| {tool} | {c.big} | {c.allocations} | {c.bytes / 1e6:.3f} | {c.peak / 1e6:.3f} |")
    return medians, counts, {tool: r.minimum for tool, r in res.items()}


def summary(results):
    print("\n### Summary\n")
    print("Baselines: hand-written as usually written (for the softmax rows it assumes one-hot labels, for "
          f"gauss a symmetric S), and {GENERAL}, right for every input the function accepts (where given). "
          "Time ratios: of the medians (of the fastest samples).\n")
    print("| problem | adtransform / hand-written | adtransform / general hand-written | autograd / hand-written "
          "| buffers >= 1 KiB (adtransform, hand-written, general hand-written, autograd) "
          "| MB allocated (adtransform / hand-written) | peak MB (adtransform / hand) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, result in results.items():
        if result is None:
            print(f"| {key} | skipped | | | | | |")
            continue
        m, c, least = result
        noisy = " noisy" if m["_noisy"] & {"adtransform", "hand-written"} else ""

        def ratio(tool, base, m=m, least=least):
            return f"{m[tool] / m[base]:.2f}x ({least[tool] / least[base]:.2f}x)"

        ad_c, hand_c, ag_c = c["adtransform"], c["hand-written"], c["autograd"]
        general = ratio("adtransform", GENERAL) if GENERAL in m else "-"
        general_c = str(c[GENERAL].big) if GENERAL in c else "-"
        print(f"| {key} | {ratio('adtransform', 'hand-written')}{noisy} | {general} "
              f"| {ratio('autograd', 'hand-written')} "
              f"| {ad_c.big}, {hand_c.big}, {general_c}, {ag_c.big} "
              f"| {ad_c.bytes / 1e6:.2f} / {hand_c.bytes / 1e6:.2f} "
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
