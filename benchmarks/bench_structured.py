"""Structured programs: helpers and dicts of parameters cost nothing at run time.

Run from the repository root:

    python benchmarks/bench_structured.py            # full run (~2 min)
    python benchmarks/bench_structured.py --quick    # smoke run

The MLP of bench_foundation.py, and the RNN and the 1000-step Euler ODE (Python floats) of
bench_control_flow.py, each written four ways and differentiated by adtransform in one process:

  flat     - one function, parameters as separate arguments (the existing benchmark)
  helpers  - the same model calling small helper functions (`dense`, `relu`,
             `log_softmax`, `cross_entropy`; `rnn_cell`, `squared_norm`)
  dict     - parameters in one dict, gradient w.r.t. it (a dict of gradients back)
  model    - dict of parameters AND helpers, the way model code is usually written

Each variant's gradient is checked against the hand-written one (itself checked
against finite differences); all are timed interleaved with the hand-written
gradient and autograd (which runs the helper version: it follows calls and dicts
natively). The summary gives each variant's gradient/hand-written ratio and how
far it is from the flat version's (issue 12 asks: within 5%).

Calls are inlined (frontend/inline.py). To weigh the other design, a generated adjoint per callee
(a forward function recording what its backward needs, and a backward function), the RNN and the
ODE have an informational row running that design's code written by hand: the backward of the
RNN cell can only form its own step's weight gradient, and the ODE pays two more Python calls per
step and per sweep.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if ROOT not in sys.path:
    sys.path.insert(1, ROOT)

import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import bench_control_flow as cf  # noqa: E402
import bench_foundation as fd  # noqa: E402
import numpy as np  # noqa: E402
import timing  # noqa: E402
import torch  # noqa: E402

ad, AD_IMPORT_ERROR = timing.import_adtransform()

TOLERANCE = 0.05  # a variant's ratio to hand-written, relative to the flat version's
VARIANTS = ("flat", "helpers", "dict", "model")


# ===========================================================================
# MLP 784-100-10 (bench_foundation.mlp_f), four ways
# ===========================================================================


def dense(x, W, b):
    return x @ W + b


def relu(h):
    return np.maximum(h, 0.0)


def log_softmax(logits):
    s = logits - np.max(logits, axis=1, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))


def cross_entropy(logprobs, Y):
    return -np.sum(Y * logprobs) / Y.shape[0]


def mlp_helpers(W1, b1, W2, b2, X, Y):
    a = relu(dense(X, W1, b1))
    return cross_entropy(log_softmax(dense(a, W2, b2)), Y)


def mlp_dict(params, X, Y):
    h = X @ params["W1"] + params["b1"]
    a = np.maximum(h, 0.0)
    logits = a @ params["W2"] + params["b2"]
    m = np.max(logits, axis=1, keepdims=True)
    s = logits - m
    logprobs = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(Y * logprobs) / X.shape[0]


def mlp_model(params, X, Y):
    a = relu(dense(X, params["W1"], params["b1"]))
    return cross_entropy(log_softmax(dense(a, params["W2"], params["b2"])), Y)


def _dense_anp(x, W, b):
    return anp.dot(x, W) + b


def _log_softmax_anp(logits):
    s = logits - anp.max(logits, axis=1, keepdims=True)
    return s - anp.log(anp.sum(anp.exp(s), axis=1, keepdims=True))


def mlp_model_anp(params, X, Y):
    a = anp.maximum(_dense_anp(X, params["W1"], params["b1"]), 0.0)
    return -anp.sum(Y * _log_softmax_anp(_dense_anp(a, params["W2"], params["b2"]))) / Y.shape[0]


MLP_NAMES = ("W1", "b1", "W2", "b2")


def mlp_case():
    prob = fd.mlp_problem()
    W1, b1, W2, b2, X, Y = prob["args"]
    params = dict(zip(MLP_NAMES, (W1, b1, W2, b2), strict=True))
    ag = autograd.grad(mlp_model_anp)
    return dict(
        prob=prob,
        variants={
            "flat": (fd.mlp_f, (0, 1, 2, 3), prob["args"], None),
            "helpers": (mlp_helpers, (0, 1, 2, 3), prob["args"], None),
            "dict": (mlp_dict, "params", (params, X, Y), MLP_NAMES),
            "model": (mlp_model, "params", (params, X, Y), MLP_NAMES),
        },
        autograd=lambda: tuple(ag(params, X, Y)[k] for k in MLP_NAMES),
    )


# ===========================================================================
# RNN, T = 50, hidden 32, input 16 (bench_control_flow.rnn_f), four ways
# ===========================================================================


def rnn_cell(W, U, h, x_t):
    return np.tanh(W @ h + U @ x_t)


def squared_norm(v):
    return np.sum(v**2)


def rnn_helpers(W, U, h0, x):
    h = h0
    for t in range(x.shape[0]):
        h = rnn_cell(W, U, h, x[t])
    return squared_norm(h)


def rnn_dict(params, x):
    h = params["h0"]
    for t in range(x.shape[0]):
        h = np.tanh(params["W"] @ h + params["U"] @ x[t])
    return np.sum(h**2)


def rnn_model(params, x):
    h = params["h0"]
    for t in range(x.shape[0]):
        h = rnn_cell(params["W"], params["U"], h, x[t])
    return squared_norm(h)


def rnn_model_anp(params, x):
    h = params["h0"]
    for t in range(x.shape[0]):
        h = anp.tanh(anp.dot(params["W"], h) + anp.dot(params["U"], x[t]))
    return anp.sum(h**2)


RNN_NAMES = ("W", "U", "h0")


def rnn_case():
    prob = cf.rnn_problem()
    W, U, h0, x = prob["args"]
    params = dict(zip(RNN_NAMES, (W, U, h0), strict=True))
    ag = autograd.grad(rnn_model_anp)
    return dict(
        prob=prob,
        variants={
            "flat": (cf.rnn_f, (0, 1, 2), prob["args"], None),
            "helpers": (rnn_helpers, (0, 1, 2), prob["args"], None),
            "dict": (rnn_dict, "params", (params, x), RNN_NAMES),
            "model": (rnn_model, "params", (params, x), RNN_NAMES),
        },
        autograd=lambda: tuple(ag(params, x)[k] for k in RNN_NAMES),
        extra={"per-callee adjoints (hand-emulated, info)": lambda: rnn_per_callee(*prob["args"])},
    )


def rnn_cell_fwd(W, U, h, x_t):
    return np.tanh(W @ h + U @ x_t)


def rnn_cell_bwd(W, h, x_t, h_new, g):
    a_bar = g * (1.0 - h_new * h_new)
    return np.outer(a_bar, h), np.outer(a_bar, x_t), W.T @ a_bar


def rnn_per_callee(W, U, h0, x):
    """What a generated adjoint per callee would run (hand-written here, to weigh that design): the
    caller records each call's inputs and output, and its backward loop calls the callee's backward,
    which can only form its own step's weight gradient (an outer product per step)."""
    hs = [h0]
    h = h0
    for t in range(x.shape[0]):
        h = rnn_cell_fwd(W, U, h, x[t])
        hs.append(h)
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    g = 2.0 * h
    for t in range(x.shape[0] - 1, -1, -1):
        gW, gU, g = rnn_cell_bwd(W, hs[t], x[t], hs[t + 1], g)
        dW += gW
        dU += gU
    return dW, dU, g


# ===========================================================================
# Euler ODE, 1000 steps, Python floats (bench_control_flow.ode_f), four ways
# ===========================================================================


def accel(x, v, k, c):
    return -k * x - c * v


def euler_step(x, v, a, dt):
    return x + dt * v, v + dt * a


def energy(x, v):
    return x * x + v * v


def ode_helpers(k, c, x0, v0, dt):
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007 - the loop as a user writes it
        x, v = euler_step(x, v, accel(x, v, k, c), dt)
    return energy(x, v)


def ode_dict(params, x0, v0, dt):
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007 - the loop as a user writes it
        a = -params["k"] * x - params["c"] * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


def ode_model(params, x0, v0, dt):
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007 - the loop as a user writes it
        x, v = euler_step(x, v, accel(x, v, params["k"], params["c"]), dt)
    return energy(x, v)


def accel_bwd(x, v, k, c, g):
    return -k * g, -c * g, -x * g, -v * g


def euler_step_bwd(dt, gx, gv):
    return gx, dt * gx + gv, dt * gv


def ode_per_callee(k, c, x0, v0, dt):
    """A generated adjoint per callee, hand-written (see rnn_per_callee): each call's inputs recorded,
    the backward loop calling each callee's backward."""
    states = []
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007
        states.append((x, v))
        x, v = euler_step(x, v, accel(x, v, k, c), dt)
    gx = 2.0 * x
    gv = 2.0 * v
    kb = cb = 0.0
    for x, v in reversed(states):
        dx, dv, da = euler_step_bwd(dt, gx, gv)
        ax, av, ak, ac = accel_bwd(x, v, k, c, da)
        gx = dx + ax
        gv = dv + av
        kb += ak
        cb += ac
    return kb, cb


def _ode_anp(params, x0, v0, dt):
    x = x0
    v = v0
    for i in range(1000):  # noqa: B007
        a = -params["k"] * x - params["c"] * v
        x = x + dt * v
        v = v + dt * a
    return x * x + v * v


ODE_NAMES = ("k", "c")


def ode_case():
    prob = cf.ode_problem()
    k, c, x0, v0, dt = prob["args"]
    params = {"k": k, "c": c}
    ag = autograd.grad(_ode_anp)
    return dict(
        prob=prob,
        variants={
            "flat": (cf.ode_f, (0, 1), prob["args"], None),
            "helpers": (ode_helpers, (0, 1), prob["args"], None),
            "dict": (ode_dict, "params", (params, x0, v0, dt), ODE_NAMES),
            "model": (ode_model, "params", (params, x0, v0, dt), ODE_NAMES),
        },
        autograd=lambda: tuple(ag(params, x0, v0, dt)[k_] for k_ in ODE_NAMES),
        extra={"per-callee adjoints (hand-emulated, info)": lambda: ode_per_callee(*prob["args"])},
    )


CASES = {"mlp": mlp_case, "rnn": rnn_case, "ode": ode_case}


# ===========================================================================
# Running
# ===========================================================================


def _gradient_call(fn, wrt, args, keys):
    """The adtransform gradient of one variant as a no-argument callable returning a tuple."""
    df = ad.grad(fn, wrt=wrt)
    if keys is None:
        return df, (lambda: df(*args))
    def call():
        out = df(*args)
        return tuple(out[k] for k in keys)

    return df, call


def run_case(key, case, a, log):
    prob = case["prob"]
    print(f"\n### {key}: {prob['title']}\n")
    fd_err, _ = timing.check_hand_against_fd(prob)
    want = timing.as_tuple(prob["hand"](), len(prob["names"]))
    checks = [f"hand-written vs finite differences: rel. err {fd_err:.1e}"]
    callables = {"primal": (lambda f=prob["primal"], args=prob["args"]: f(*args))}
    refused = {}
    for variant, (fn, wrt, args, keys) in case["variants"].items():
        if ad is None:
            break
        try:
            df, call = _gradient_call(fn, wrt, args, keys)
            got = call()
        except Exception as exc:  # a variant the compiler refuses is reported, not fatal
            refused[variant] = "".join(traceback.format_exception_only(exc)).strip().splitlines()[0]
            continue
        err = timing.compare_gradients(prob, f"adtransform ({variant})", got, want)
        checks.append(f"{variant}: max rel. err {err:.1e}")
        callables[f"adtransform ({variant})"] = call
        if a.show_source:
            print(f"adtransform generated source ({variant}):\n```python\n{df.source.rstrip()}\n```\n")
    callables["hand-written"] = prob["hand"]
    err = timing.compare_gradients(prob, "autograd", case["autograd"](), want)
    checks.append(f"autograd (dict + helpers): max rel. err {err:.1e}")
    callables["autograd"] = case["autograd"]
    for name, extra in case.get("extra", {}).items():
        err = timing.compare_gradients(prob, name, extra(), want)
        checks.append(f"{name}: max rel. err {err:.1e}")
        callables[name] = extra
    print(f"Gradient check (rtol={timing.RTOL}, atol={timing.ATOL}) OK - " + "; ".join(checks) + "\n")
    for variant, why in refused.items():
        print(f"adtransform ({variant}): REFUSED - {why}")
    res = timing.interleaved(callables, samples=a.samples, target_ms=a.target_ms, progress=log)
    order = ("primal", *(f"adtransform ({v})" for v in VARIANTS), "hand-written", "autograd", *case.get("extra", {}))
    return timing.print_table(res, [n for n in order if n in res]), refused


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    timing.add_common_arguments(p)
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of: " + ",".join(CASES))
    p.add_argument("--show-source", action="store_true", help="print each variant's generated gradient")
    a = p.parse_args(argv)
    wanted = [s.strip() for s in a.cases.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in CASES]
    if unknown:
        p.error(f"unknown case(s): {unknown}")
    modules = ("autograd", "torch") + (("adtransform",) if ad is not None else ())
    log = timing.setup("adtransform structured-programs benchmark", a, torch, modules, AD_IMPORT_ERROR)

    lines, ok_all = [], True
    for key in wanted:
        medians, refused = run_case(key, CASES[key](), a, log)
        hand = medians["hand-written"]
        flat = medians.get("adtransform (flat)")
        parts = []
        for variant in VARIANTS:
            name = f"adtransform ({variant})"
            if variant in refused or name not in medians:
                parts.append(f"{variant} refused")
                ok_all = False
                continue
            ratio = medians[name] / hand
            if flat is None or variant == "flat":
                parts.append(f"{variant} {ratio:.2f}")
                continue
            off = medians[name] / flat - 1.0
            ok = abs(off) <= TOLERANCE
            ok_all &= ok
            parts.append(f"{variant} {ratio:.2f} ({100 * off:+.1f}% vs flat, {'PASS' if ok else 'FAIL'})")
        lines.append(f"{key}: gradient / hand-written: " + ", ".join(parts))
    print("\n### Summary\n")
    print(f"Load average (1/5/15 min) at the end: {timing.load_average()}\n")
    for line in lines:
        print(line)
    print(f"Overall: {'every variant within 5% of flat' if ok_all else 'SOME VARIANTS MISSED'}")
    return 0


if __name__ == "__main__":
    np.random.seed(0)
    sys.exit(main())
