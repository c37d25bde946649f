"""Codegen and loading: generated code is debuggable and shares the user's globals and cells."""

import inspect
import linecache
import pdb
import re
import sys
import traceback

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import has

import adtransform as ad

SCALE = 2.0


def uses_global(x):
    return np.sum(x * SCALE)


def test_generated_code_reads_globals_at_call_time():
    global SCALE
    df = ad.grad(uses_global)
    x = np.ones(3)
    np.testing.assert_allclose(df(x), 2.0)
    SCALE = 5.0
    try:
        np.testing.assert_allclose(df(x), 5.0)
    finally:
        SCALE = 2.0


def test_generated_code_shares_closure_cells():
    def make(scale):
        def f(x):
            return x * scale * x

        def rebind(value):
            nonlocal scale
            scale = value

        return f, rebind

    f, rebind = make(3.0)
    df = ad.grad(f)
    assert df(2.0) == pytest.approx(12.0)
    rebind(10.0)
    assert df(2.0) == pytest.approx(40.0)


def test_injected_names_do_not_collide_with_user_names():
    def f(x, unbroadcast, ensure_scalar):
        return np.sum(x.T.T * unbroadcast + ensure_scalar)  # ranks unknown: unbroadcast is called

    x, u, e = np.ones((2, 3)), np.arange(3.0), np.ones((2, 1))
    gx, gu, ge = ad.grad(f, wrt=(0, 1, 2))(x, u, e)
    np.testing.assert_allclose(gx, np.broadcast_to(u, (2, 3)))
    np.testing.assert_allclose(gu, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(ge, [[3.0], [3.0]])
    src = ad.source(ad.grad(f, wrt=(0, 1, 2)))
    assert re.search(r"\bunbroadcast_\d+\(", src) and not re.search(r"(?<![\w.])unbroadcast\(", src)


def test_source_registered_in_linecache_and_inspect():
    df = ad.grad(uses_global)
    filename = df.__code__.co_filename
    assert filename.startswith("<adtransform: duses_global_dx")
    assert "".join(linecache.getlines(filename)) == df.source
    assert inspect.getsource(df) == df.source


def nonscalar(x):
    y = np.sin(x)
    return y


def test_traceback_shows_generated_lines():
    df = ad.grad(nonscalar)
    with pytest.raises(ad.NonScalarOutputError) as info:
        df(np.ones(3))
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if f.filename.startswith("<adtransform")]
    assert generated and generated[0].line == "ensure_scalar(y, 'nonscalar')"
    assert "vjp" in str(info.value)


def test_pdb_can_step_into_generated_code(monkeypatch, capsys):
    df = ad.grad(uses_global)
    commands = iter(["step", "step", "list", "continue"])
    monkeypatch.setattr("sys.stdin", _Lines(commands))
    debugger = pdb.Pdb(stdin=sys.stdin, stdout=sys.stdout)
    debugger.runcall(df, np.ones(2))
    out = capsys.readouterr().out
    assert "ensure_differentiable(x, 'x')" in out


class _Lines:
    def __init__(self, lines):
        self.lines = lines

    def readline(self):
        return next(self.lines, "continue") + "\n"


def test_each_block_is_commented_with_its_source_line():
    src = ad.grad(uses_global).source
    line = uses_global.__code__.co_firstlineno + 1
    assert f"# line {line}: return np.sum(x * SCALE)" in src
    assert f"# adjoint of line {line}: return np.sum(x * SCALE)" in src


def test_signature_defaults_and_keywords_pass_through():
    def f(x, y=2.0, *, power=3):
        return np.sum(x ** power) * y

    df = ad.grad(f)
    assert inspect.signature(df) == inspect.signature(f)
    assert "def df_dx(x, y=2.0, *, power=3):" in df.source
    np.testing.assert_allclose(df(np.ones(2)), [6.0, 6.0])
    np.testing.assert_allclose(df(np.ones(2), power=2, y=1.0), [2.0, 2.0])


def test_positional_only_parameters():
    def f(x, /, y):
        return x * y

    df = ad.grad(f)
    assert "def df_dx(x, /, y):" in df.source
    assert df(2.0, 3.0) == 3.0


def cooling(heat, T_out, T0):
    T = T0
    cost = 0.0
    for t in range(heat.shape[0]):
        T = T + 0.1 * ((T_out[t] - T) / 2.0 + heat[t])
        cost = cost + (T - 21.0) ** 2
    return cost


def parallel(x, n):
    s, w = x, 0.5 * x
    for _ in range(n):
        s, w = s * np.cos(w) + 0.5, w + s * x  # the new w reads the old s
        w, s = s - w * 0.1, w * s  # and a swap, each side reading the old values
    return np.sum(s * w)


def test_a_source_line_is_written_as_one_expression():
    # Temporaries read once, on the same line, are written inside their reader: the loop's
    # statement reads as the user's, and each binding saved is saved per iteration.
    src = ad.grad(cooling).source
    assert has("{T} = {T} + 0.1 * ((T_out_items[t] - {T}) / 2.0 + heat_items[t])\n", src), src
    rng = np.random.default_rng(0)
    check_grad(cooling, (rng.normal(size=5), rng.normal(size=5), 18.0))


@pytest.mark.parametrize("x", [0.3, np.array([0.2, -0.4, 0.7])])
def test_expressions_are_not_moved_past_the_rebinding_of_a_name_they_read(x):
    check_grad(parallel, (x, 3))


def scaled_steps(k, x0):
    x = x0
    for _ in range(4):
        x = x - 0.1 * k * x
    return np.sum(x)


def test_the_general_version_is_built_by_the_first_call_that_needs_it(monkeypatch):
    from adtransform import pipeline

    built = []
    real = pipeline._gradient

    def counting(fn, wrt, **kwargs):
        built.append(kwargs["versioned"])
        return real(fn, wrt, **kwargs)

    monkeypatch.setattr(pipeline, "_gradient", counting)
    df = ad.grad(scaled_steps, wrt=(0, 1))
    check_grad(scaled_steps, (0.5, 2.0), wrt=(0, 1))
    assert False not in built  # Python floats: the version for scalars only
    ad.api._cache.clear()
    built.clear()
    df = ad.grad(scaled_steps, wrt=(0, 1))
    df(0.5, 2.0)
    assert built == [True]
    df(0.5, np.array([2.0, -1.0]))  # breaks the scalar assumption: the general version, built now
    df(0.5, np.array([1.0, 3.0]))
    assert built == [True, False]
    check_grad(scaled_steps, (0.5, np.array([2.0, -1.0])), wrt=(0, 1))


def spring(k, c, x0, v0):
    x, v = x0, v0
    for _ in range(30):
        a = -k * x - c * v
        x = x + 0.05 * v
        v = v + 0.05 * a
    return np.sum(x * x + v * v)


def test_partial_adjoints_are_written_inside_the_sum_that_accumulates_them():
    # `c_bar_1 = a_bar * v; c_bar = c_bar - c_bar_1` is `c_bar = c_bar - a_bar * v`, and the copy
    # `x_bar_1 = x_bar` taken before `v_bar` is rebound is read in place: the loop reads as by hand.
    src = ad.grad(spring, wrt=(0, 1)).source
    loop = src.split("reversed(")[1]
    assert re.search(r"^ +c_bar = c_bar - a_\d+_bar \* v_\d+$", loop, re.M), loop
    assert not re.search(r"^ +(\w+)_bar_\d+ = \1_bar$", loop, re.M), loop  # no copies of a carried adjoint
    check_grad(spring, (4.0, 0.3, 1.0, 0.0), wrt=(0, 1, 2, 3))
    check_grad(spring, (4.0, 0.3, np.array([1.0, -0.5]), 0.0), wrt=(0, 1, 2, 3))  # the general version
