"""Statements run for their effect: print, logging, warnings, assert and raise.

They run in the forward sweep exactly as written (the same output, in the same order relative to
the computation, once per call), carry no adjoint, and an `assert` or `raise` that fires raises the
user's exception from the gradient function. Each gradient is compared with finite differences of
the user's function and with autograd on the same computation without its effects (autograd would
print its boxes); each printed output with the output of the user's function itself.
"""

import contextlib
import io
import logging
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad

X = np.array([0.3, -0.2, 0.5, 0.1])


def _quiet(f):
    def run(*args):
        with contextlib.redirect_stdout(io.StringIO()):
            return f(*args)
    return run


def _same_effects_and_gradient(capsys, f, args, twin=None, wrt=0):
    """The gradient function prints what `f` prints, and its gradient is right."""
    capsys.readouterr()
    f(*args)
    expected = capsys.readouterr().out
    grad = ad.grad(f, wrt=wrt)(*args)
    assert capsys.readouterr().out == expected
    np.testing.assert_allclose(grad, numeric_grad(_quiet(f), args, wrt=wrt), rtol=1e-6, atol=1e-9)
    if twin is not None:
        np.testing.assert_allclose(grad, autograd.grad(twin, wrt)(*args), rtol=1e-12, atol=1e-12)
    return expected


def prints_values(x):
    y = np.sin(x)
    print("y =", y)
    s = np.sum(y * y)
    print(s, f"{s:.4f}", "%.3f" % s, "{:+.2e}".format(s), sep=" | ", end="!\n")  # noqa: UP031, UP032
    return s


def prints_values_twin(x):
    y = anp.sin(x)
    return anp.sum(y * y)


def test_print_shows_the_same_values_and_the_gradient_is_untouched(capsys):
    out = _same_effects_and_gradient(capsys, prints_values, (X,), prints_values_twin)
    assert out.count("\n") == 2 and out.endswith("!\n")


def prints_in_a_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i % 4] * x[(i + 1) % 4]
        print(f"step {i}: s={s!r} {s:>10.5f}")
        if s > 0.0:
            print("positive at", i)
    k = 0
    while True:
        k = k + 1
        print("while", k, s * k)
        if k >= 2:
            break
    return s * s


def prints_in_a_loop_twin(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i % 4] * x[(i + 1) % 4]
    return s * s


def test_a_print_in_a_loop_prints_every_iteration_in_order(capsys):
    out = _same_effects_and_gradient(capsys, prints_in_a_loop, (X, 6), prints_in_a_loop_twin)
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("step")] == \
        [f"step {i}" for i in range(6)]


def prints_before_and_after_updates(x):
    y = x * 2.0
    t = y
    print("before", y, "{}".format(t), f"{t}")  # noqa: UP032
    y += 1.0
    print("after", y)
    y[0] = 5.0
    print("written", y)
    z = y * y
    print("z", z[1:])
    return np.sum(z)


def prints_before_and_after_updates_twin(x):
    y = x * 2.0 + 1.0
    y = anp.concatenate([anp.array([5.0]), y[1:]])
    return anp.sum(y * y)


def test_printed_values_are_those_of_the_statement_s_place_in_the_computation(capsys):
    out = _same_effects_and_gradient(capsys, prints_before_and_after_updates, (X,),
                                     prints_before_and_after_updates_twin)
    assert out.splitlines()[0] == f"before {X * 2.0} {X * 2.0} {X * 2.0}"


def prints_a_dead_value(x, verbose):
    if verbose:
        print("norm", np.sqrt(np.sum(x * x)))
    return np.sum(x * 3.0)


def test_a_print_of_a_value_nothing_else_uses_is_kept(capsys):
    _same_effects_and_gradient(capsys, prints_a_dead_value, (X, True))
    assert ad.grad(prints_a_dead_value)(X, False).tolist() == [3.0] * 4
    assert capsys.readouterr().out == ""


def vector_items_printed(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * x[i]
        print(repr(x[i]), [x[i]])
    return s


def test_items_of_a_vector_print_as_the_user_s_code_prints_them(capsys):
    """The scalar version reads vectors as Python floats, whose repr differs from NumPy's scalars:
    not in a function that prints."""
    out = _same_effects_and_gradient(capsys, vector_items_printed, (X,))
    assert out.splitlines()[0].startswith(repr(X[0]))
    assert "float_items" not in ad.source(ad.grad(vector_items_printed))


def prints_then_power(x):
    print("x is", x)
    return x ** 0.5


def test_a_function_with_effects_is_not_run_twice_to_recover_from_python_float_errors(capsys):
    """At x = 0.0 the power's derivative divides by zero: a Python float raises, NumPy gives inf. A
    function without effects is run again with NumPy scalars; one that prints would print twice."""
    with pytest.warns(RuntimeWarning):
        grad = ad.grad(prints_then_power)(0.0)
    assert grad == np.inf
    assert capsys.readouterr().out == "x is 0.0\n"
    assert ad.grad(prints_then_power)(4.0) == 0.25
    assert capsys.readouterr().out == "x is 4.0\n"


def test_value_and_grad_and_vjp_run_the_effects_once(capsys):
    value, grad = ad.value_and_grad(prints_values)(X)
    once = capsys.readouterr().out
    assert once.count("y =") == 1
    out, pullback = ad.vjp(prints_values, X)
    assert capsys.readouterr().out == once
    (dx,) = pullback(1.0)
    assert capsys.readouterr().out == ""
    np.testing.assert_allclose(dx, grad)
    assert value == out


# --- assert and raise --------------------------------------------------------------------------


def asserts(x, bound):
    s = np.sum(x * x)
    assert s < bound, f"sum of squares {s:.3f} is not below {bound}"
    assert np.all(np.abs(x) < 100.0)
    return s


def asserts_twin(x, bound):
    return anp.sum(x * x)


def test_an_assert_that_holds_changes_nothing(capsys):
    _same_effects_and_gradient(capsys, asserts, (X, 10.0), asserts_twin)


def test_an_assert_that_fails_raises_the_user_s_assertion_error():
    with pytest.raises(AssertionError, match=r"^sum of squares 0\.390 is not below 0\.1$"):
        ad.grad(asserts)(X, 0.1)
    with pytest.raises(AssertionError) as info:
        ad.grad(asserts)(np.array([200.0, 1.0, 0.0, 0.0]), np.inf)
    assert info.value.args == ()


class TooBig(ValueError):
    pass


def raises_in_a_branch(x, limit):
    s = np.sum(x * x)
    for i in range(3):
        s = s * 1.5
        if s > limit:
            raise TooBig(s, i)
    if s < 0.0:
        raise ValueError("negative") from None
    return s


def raises_in_a_branch_twin(x, limit):
    return anp.sum(x * x) * 1.5 ** 3


def test_a_raise_that_does_not_fire_changes_nothing(capsys):
    _same_effects_and_gradient(capsys, raises_in_a_branch, (X, 10.0), raises_in_a_branch_twin)


def test_a_raise_that_fires_raises_the_user_s_exception_with_its_values():
    with pytest.raises(TooBig) as info:
        ad.grad(raises_in_a_branch)(X, 1.0)
    s = np.sum(X * X)
    assert info.value.args == (s * 1.5 * 1.5 * 1.5, 2) and type(info.value.args[0]) is np.float64


def raises_at_the_end(x):
    if x > 0.0:
        return x * x
    raise ValueError(f"not positive: {x}")


def test_a_raise_ending_the_function():
    assert ad.grad(raises_at_the_end)(3.0) == 6.0
    with pytest.raises(ValueError, match="^not positive: -1.0$"):
        ad.grad(raises_at_the_end)(-1.0)


def raises_from(x):
    y = x * 2.0
    if y[0] > 100.0:
        raise RuntimeError("too large") from KeyError("cause")
    return np.sum(y)


def test_raise_from_keeps_the_cause():
    with pytest.raises(RuntimeError) as info:
        ad.grad(raises_from)(X * 1000.0)
    assert isinstance(info.value.__cause__, KeyError)
    np.testing.assert_allclose(ad.grad(raises_from)(X), 2.0 * np.ones(4))


class Loud(Exception):
    def __init__(self, value):
        super().__init__(value)


def raises_own_init(x):
    s = np.sum(x)
    if s > 10.0:
        raise Loud(s)
    return s


class Quiet(Exception):
    def __init__(self, value):
        super().__init__(value)


def raises_declared(x):
    s = np.sum(x)
    if s > 10.0:
        raise Quiet(s)
    return s


def test_an_exception_with_code_of_its_own_taking_a_differentiated_value_is_refused_located():
    with pytest.raises(ad.NoAdjointRuleError) as info:
        ad.grad(raises_own_init)(X)
    line = raises_own_init.__code__.co_firstlineno + 3
    assert (info.value.location.filename, info.value.location.line) == (__file__, line)
    assert "declare_facts(Loud" in str(info.value)
    # The advice given: its facts declared.
    ad.declare_facts(Quiet, returns=ad.Returns.NEW)
    assert ad.grad(raises_declared)(X).tolist() == [1.0] * 4
    with pytest.raises(Quiet, match="^40.7$"):
        ad.grad(raises_declared)(X + 10.0)


def bare_raise(x):
    if x > 0.0:
        raise
    return x


def test_a_bare_raise_is_refused_located():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(bare_raise)(1.0)
    line = bare_raise.__code__.co_firstlineno + 2
    assert (info.value.location.line, info.value.location.col) == (line, 8)
    assert info.value.construct == "bare `raise`"


# --- logging and warnings ----------------------------------------------------------------------

_log = logging.getLogger("adtransform.tests.effects")


def logs(x):
    s = np.sum(np.tanh(x))
    _log.debug("not shown %s", s)
    _log.info("sum %.4f", s)
    _log.warning("twice %s", s * 2.0)
    warnings.warn(f"careful: {s:.2f}", UserWarning, stacklevel=1)
    return s * s


def logs_twin(x):
    s = anp.sum(anp.tanh(x))
    return s * s


def test_logging_and_warnings_run_as_written(caplog):
    caplog.set_level(logging.INFO, logger="adtransform.tests.effects")
    s = np.sum(np.tanh(X))
    with pytest.warns(UserWarning, match=f"^careful: {s:.2f}$"):
        grad = ad.grad(logs)(X)
    assert [r.getMessage() for r in caplog.records] == [f"sum {s:.4f}", f"twice {s * 2.0}"]
    np.testing.assert_allclose(grad, autograd.grad(logs_twin)(X), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(grad, numeric_grad(logs, (X,)), rtol=1e-6)


def test_the_generated_source_runs_the_effects_in_the_forward_sweep():
    source = ad.source(ad.grad(raises_in_a_branch))
    forward, backward = source.split("# adjoint of", 1)
    assert "raise_exception(TooBig" in forward.replace("\n", "") or "TooBig(" in forward
    assert "raise_exception" not in backward and "print" not in backward
    printed = ad.source(ad.grad(prints_values))
    assert "print('y =', y)" in printed
    assert "str.format('{:.4f}', s)" in printed


def formats(x, width, digits):
    s = np.sum(x * x)
    print(f"{s=}", f"{s:{width}.{digits}f}|", f"{{literal}} {s!r:>30} {'nested ' + f'{digits}'}", f"{x}")
    print("%s and %r" % (s, x), "{0:.3f} {1}".format(s, digits), "{}".format(x[0]))  # noqa: UP030, UP031, UP032
    return s


def test_f_strings_and_format_strings_print_the_same_text(capsys):
    out = _same_effects_and_gradient(capsys, formats, (np.array([0.5, 1.5]), 12, 3),
                                     lambda x, width, digits: anp.sum(x * x))
    assert out.startswith("s=np.float64(2.5)" if np.__version__ >= "2" else "s=2.5")
