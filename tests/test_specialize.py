"""specialize/: the version of a derivative for scalar code, its run-time check and its fallback."""

import numpy as np
import pytest

from adtransform import runtime, specialize
from adtransform.ad import reverse
from adtransform.analysis import rank
from adtransform.ir.nodes import Op, Sweep
from adtransform.pipeline import primal_ir
from adtransform.specialize import floats


def _derive(f, wrt=(0,), mode=reverse.Mode.GRAD, versioned=True):
    primal, ctx = primal_ir(f)
    adjoint = specialize.derive(
        primal, [primal.params[i].var for i in wrt], ctx.namer, scalar_output=mode is not reverse.Mode.VJP,
        versioned=versioned,
        differentiate=lambda active, ranks, hypothesis: reverse.reverse(
            primal, list(wrt), ctx.namer, ctx.info.filename, mode=mode, wrt_is_tuple=False, fn_label="f",
            active=active, ranks=ranks, hypothesis=hypothesis, array_params=ctx.array_params))
    return adjoint, ctx


def _checks(fn):
    return [op.callee.key for op in fn.body if isinstance(op, Op) and op.sweep is Sweep.CHECK]


def scaled(x, k):
    return np.sum(k * x * x)  # scalars only under the hypothesis: `np.sum` proves nothing of `x`


def running(heating, T0):
    T = T0
    for t in range(3):
        T = T + heating[t] * T
    return T


def test_scalar_code_is_checked_once_after_the_arguments():
    adjoint, _ = _derive(scaled)
    checks = _checks(adjoint)
    assert checks[:3] == [runtime.ensure_differentiable, runtime.ensure_argument, runtime.all_scalars]
    assert not any(isinstance(op, Op) and op.callee.key is runtime.unbroadcast for op in adjoint.body)
    guard = adjoint.body[2]
    assert guard.result is adjoint.guard and guard.args == [p.var for p in adjoint.params]


def test_the_general_version_assumes_nothing_and_checks_nothing():
    adjoint, _ = _derive(scaled, versioned=False)
    assert adjoint.guard is None
    assert runtime.all_scalars not in _checks(adjoint) and runtime.has_ranks not in _checks(adjoint)
    assert any(isinstance(op, Op) and op.callee.key is runtime.unbroadcast for op in adjoint.body)


def test_an_indexed_parameter_is_checked_to_be_a_vector():
    adjoint, _ = _derive(running, wrt=(0, 1))
    guard = next(op for op in adjoint.body if isinstance(op, Op) and op.result is adjoint.guard)
    assert guard.callee.key is runtime.has_ranks
    assert guard.args[0].value == (1, 0) and guard.args[1:] == [p.var for p in adjoint.params]


def test_an_output_the_check_proves_scalar_needs_no_check_of_its_own():
    assert runtime.ensure_scalar not in _checks(_derive(running, wrt=(0, 1))[0])
    assert runtime.ensure_scalar in _checks(_derive(running, wrt=(0, 1), versioned=False)[0])


def test_array_code_is_not_versioned():
    def f(W, x):
        return np.sum(np.tanh(W @ x))

    assert _derive(f)[0].guard is None


@pytest.mark.parametrize("mode", list(reverse.Mode))
def test_each_rank_analysis_of_the_primal_runs_once(monkeypatch, mode):
    asked = []
    real = rank.analyze

    def counting(fn, scalar_output, scalar_params=False, arrays=frozenset()):
        asked.append((id(fn), scalar_output, scalar_params, arrays))
        return real(fn, scalar_output, scalar_params, arrays)

    monkeypatch.setattr(rank, "analyze", counting)
    _derive(running, wrt=(0, 1), mode=mode)
    assert asked and len(asked) == len(set(asked)), asked


def test_a_power_with_a_variable_exponent_falls_back_from_its_float_errors():
    def f(x, y):
        return np.sum(x ** y)

    adjoint, ctx = _derive(f)
    assert floats.may_raise_on_floats(adjoint)
    plan = specialize.fallback(adjoint, "df", ctx.namer, versioned=True, general=lambda: "general")
    assert plan is not None and plan.target == "general" and not plan.general
    guard_at = next(i for i, op in enumerate(adjoint.body) if isinstance(op, Op) and op.result is adjoint.guard)
    assert plan.protect_from == guard_at + 1  # past the checks: they raise by design


def test_code_that_cannot_raise_on_floats_and_assumes_nothing_has_no_fallback():
    def f(W, x):
        return np.sum(np.tanh(W @ x))

    adjoint, ctx = _derive(f)
    assert specialize.fallback(adjoint, "df", ctx.namer, versioned=True, general=lambda: "general") is None
