"""Random programs around a max shift: where the shift's zero adjoint is proven, the gradient equals the
one computed without the proof (the shift differentiated as before) up to rounding; where it is not,
the generated code is unchanged. Programs mix the softmax patterns with random axes, keepdims,
spellings, extra uses and operands of other shapes, and random chains of the operations the proof
knows and some it does not.
"""

import importlib.util
import random

import numpy as np
import pytest

import adtransform as ad
from adtransform.analysis import activity
from adtransform.optimize.driver import optimize_primal
from adtransform.pipeline import primal_ir

AXES_2D = ["None", "0", "1", "-1", "-2", "(0, 1)", "(1,)", "(-1,)"]
AXES_3D = [*AXES_2D, "2", "(1, 2)", "(-1, -2)", "(0, 2)", "(-2,)"]
SEEDS = range(300)


def _axis(rng, three_d):
    return rng.choice(AXES_3D if three_d else AXES_2D)


def _reduce(rng, fn, a, three_d, method_ok=True, keep=None, axis=None):
    axis = axis or _axis(rng, three_d)
    keepdims = rng.random() < 0.8 if keep is None else keep
    kw = f"axis={axis}" if rng.random() < 0.8 or axis == "None" else axis
    kw += ", keepdims=True" if keepdims else rng.choice(["", ", keepdims=False"])
    if method_ok and fn in ("max", "min", "sum") and rng.random() < 0.3:
        return f"{a}.{fn}({kw})"
    return f"np.{fn}({a}, {kw})"


def _pattern(rng, three_d):
    """A softmax, log-softmax or logsumexp around a shift, each part spelled at random (mostly
    consistently: the same axes for the shift and the sum)."""
    axis = _axis(rng, three_d)
    shift = _reduce(rng, rng.choice(["max", "max", "amax", "min", "nanmax"]), "x", three_d,
                    keep=rng.random() < 0.9, axis=axis)
    if rng.random() < 0.25:  # reduced without keepdims, the axis put back
        shift = _reduce(rng, "max", "x", three_d, keep=False, axis=axis)
        shift = rng.choice([f"{shift}[{rng.choice([':, None', '..., None', 'None', ':, :, None', '..., None, :'])}]",
                            f"np.expand_dims({shift}, {rng.choice([axis, _axis(rng, three_d)])})"])
    lines = [f"m = {shift}"]
    lines.append("s = " + rng.choice(["x - m", "x - m", "-m + x", "x + (-m)", "(x - m) - m", "x - m + 0.5"]))
    lines.append("e = np.exp(s)")
    same = rng.random() < 0.75
    total = _reduce(rng, "sum", "e", three_d, keep=same or rng.random() < 0.5, axis=axis if same else None)
    lines.append(f"S = {total}")
    kind = rng.choice(["logsoftmax", "softmax", "recip", "lse", "lse_m"])
    out = {"logsoftmax": "s - np.log(S)", "softmax": "e / S", "recip": "e * (1.0 / S)",
           "lse": "m + np.log(S)", "lse_m": "np.log(S) + m"}[kind]
    if rng.random() < 0.25:
        out = rng.choice(["Y * e / S", "(Y * e) / S", "e / S * Y", "Y * (s - np.log(S))"]) \
            if kind in ("softmax", "logsoftmax") else out
    lines.append(f"r = {out}")
    extra = rng.choice(["", "", "", "", "", "", " + np.sum(s)", " + np.sum(m)", " + np.sum(e)",
                        " + np.sum(np.log(S))", " + np.sum(Y * s)", " + np.sum(S * Y)"])
    lines.append(f"return np.sum(np.sin(r)){extra}")
    return lines


def _chain(rng, three_d):
    """Random operations over the shift, x, Y and constants."""
    lines = [f"m = {_reduce(rng, rng.choice(['max', 'min']), 'x', three_d)}"]
    pool, positive = ["x", "m"], set()
    for i in range(rng.randint(3, 7)):
        a, b = rng.choice(pool), rng.choice([*pool, "Y", "2.0", "0.5", "x"])
        choice = rng.random()
        if choice < 0.35:
            expr = f"{a} {rng.choice(['-', '+', '*', '/'])} {b}"
        elif choice < 0.5:
            expr = f"np.exp({a})"
        elif choice < 0.6 and (pos := [p for p in pool if p in positive]):
            expr = f"np.log({rng.choice(pos)})"
        elif choice < 0.8:
            expr = _reduce(rng, rng.choice(["sum", "sum", "max"]), a, three_d)
        elif choice < 0.9:
            expr = f"-{a}"
        else:
            expr = f"np.tanh({a})"
        name = f"v{i}"
        if expr.startswith(("np.exp", "np.sum(v", "np.max(v")) and (expr.startswith("np.exp") or a in positive):
            positive.add(name)
        lines.append(f"{name} = {expr}")
        pool.append(name)
    uses = rng.sample(pool[2:], k=min(len(pool) - 2, rng.choice([1, 1, 2])))
    lines.append("return " + " + ".join(f"np.sum(np.sin({u}))" for u in uses))
    return lines


def _program(seed):
    rng = random.Random(seed)
    three_d = rng.random() < 0.3
    body = _pattern(rng, three_d) if rng.random() < 0.7 else _chain(rng, three_d)
    return three_d, "import numpy as np\n\n\ndef f(x, Y):\n" + "".join(f"    {line}\n" for line in body)


def _load(path, text):
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def _proven(f):
    fn, ctx = primal_ir(f)
    optimize_primal(fn, ctx.namer)
    return bool(activity.zero_adjoint_shifts(fn))


@pytest.mark.parametrize("seed", SEEDS)
def test_proof_changes_the_gradient_by_rounding_only(seed, tmp_path, monkeypatch):
    three_d, text = _program(seed)
    shape = (2, 3, 4) if three_d else (3, 4)
    data = np.random.default_rng(seed)
    x = data.uniform(-2.0, 2.0, shape)
    Y = data.uniform(-1.0, 1.0, [shape, shape[-1:], (2, *shape)][seed % 3])
    on, off = tmp_path / f"on_{seed}.py", tmp_path / f"off_{seed}.py"
    with_proof, without = _load(on, text), _load(off, text)
    with np.errstate(all="ignore"):
        try:
            with_proof(x, Y)
        except (ValueError, TypeError, IndexError, np.exceptions.AxisError):
            pytest.skip("the program itself raises (broadcasting, a duplicate axis)")
        proven = _proven(with_proof)
        g_on = ad.grad(with_proof)
        source_on = g_on.source.replace(str(on), "f.py").replace("on_", "")
        g_on = g_on(x, Y)
        monkeypatch.setattr(activity, "zero_adjoint_shifts", lambda fn: set())
        g_off = ad.grad(without)
        source_off = g_off.source.replace(str(off), "f.py").replace("off_", "")
        g_off = g_off(x, Y)
    if not proven:
        assert source_on == source_off, text
    if not np.all(np.isfinite(g_off)):
        return  # (a non-finite gradient: the dropped term may differ, see shift_invariance.py)
    scale = max(1.0, float(np.max(np.abs(g_off))))
    np.testing.assert_allclose(g_on, g_off, rtol=1e-9, atol=1e-12 * scale, err_msg=text)


def test_generator_makes_both_kinds(tmp_path):
    """The random programs include proven shifts and refused ones, many of each."""
    proven = [_proven(_load(tmp_path / f"p{seed}.py", _program(seed)[1])) for seed in SEEDS]
    assert sum(proven) >= 30 and len(proven) - sum(proven) >= 30, sum(proven)
    print(f"{sum(proven)} of {len(proven)} proven")
