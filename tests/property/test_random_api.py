"""Random programs over adtransform's API surface: every registered primitive and common NumPy calls.

Where ``test_random_programs.py`` and ``test_random_control_flow.py`` vary the grammar (expressions,
loops, branches), this test varies what the programs *call* and *pass*: the generator
(``api_programs.py``) reads the rule registry, so each registered primitive is called with the
keyword arguments NumPy documents for it (negative and tuple axes, ``keepdims``, ``order``,
``out=``, ``where=``, ``initial=``, ``dtype=``, ``ddof``), next to NumPy calls the registry does not
know, on arguments of random shapes (size 1, empty axes, broadcasting pairs) and kinds (Python
floats, ``np.float64``/``np.float32`` scalars, 0-d arrays, float32 arrays, ``np.matrix`` and masked
arrays, non-differentiated arrays, an int, exact zeros and ties), through views (also ones the
alias analysis may not know: ``conj``, ``einsum``, ``view``, ...) written through, index reads and
writes (negative, wrapping and repeated indices, ``y[idx] += v``, loops from -1), ``out=`` buffers
reused in loops, in-place methods, complex intermediates, builtins shadowed by local names and
function-valued globals.

The oracle, for each program and each differentiated parameter, is one of:

* a gradient: ``grad`` and ``value_and_grad`` give the same gradient (and a second call the same
  again), of the parameter's shape and dtype (float32 stays float32; a Python float or NumPy scalar
  gives a number of its dtype), equal to central finite differences of the function as NumPy runs it
  (in float64 for programs with float32 values; two step sizes must agree, else the example is
  rejected), and to autograd's gradient where autograd runs the program and agrees with finite
  differences; ``value_and_grad``'s value is the function's; the caller's arguments are unchanged;
  no gradient shares memory with an argument. When the program calls a function-valued global, the
  global is then rebound to another function and the same gradient function must follow (or refuse);
* a refusal: ``UnsupportedSyntaxError``, ``NoAdjointRuleError`` or ``UnsupportedArgumentError``
  located at a line of ``f`` in the program's file (in ``location`` or the ``file:line:col:`` its
  message starts with), or an ``UnsupportedArgumentError`` at the call naming the parameter whose
  value it refuses (``np.matrix``, a masked array).

Where the point sits exactly on a kink the derivative is not unique: a one-sided derivative is
accepted there, and with exact zeros or ties in the arguments (there to reach the removable
``0 * inf`` of class 9) a finite mismatch, or a non-finite gradient autograd cannot check, is
skipped; a non-finite gradient where autograd's is non-finite too (``inf * 0`` through a value that
is zero whatever the input) is skipped. Anything else (a wrong, NaN-where-finite or zero gradient,
another exception, changed arguments) is a failure whose message holds the program, its arguments
and the generated source. The classes of failure still open are switched off in
``api_programs.KNOWN_BUGS`` (described in tests/property/FINDINGS.md). Long run:
``ADTRANSFORM_EXAMPLES=500 python -m pytest tests/property/test_random_api.py --hypothesis-seed=N``,
or ``python tests/property/explore_random_api.py --examples 500 --seed N --shrink``, which collects
and shrinks every failure.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings

import api_programs
import harness
import numpy as np
import pytest
from api_programs import ApiProgram, arg_source
from api_programs import api_programs as programs
from hypothesis import assume, given
from hypothesis import event as _event
from hypothesis import note as _note
from hypothesis.errors import InvalidArgument

import adtransform as ad

ATOL = 1e-6
ATOL_F32 = 3e-3
AUTOGRAD_RTOL = 1e-7
REFUSALS = (ad.UnsupportedSyntaxError, ad.NoAdjointRuleError, ad.UnsupportedArgumentError)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("random_api")


def event(text):
    with contextlib.suppress(InvalidArgument):  # called outside a test (explore_random_api.py)
        _event(text)


def note(text):
    with contextlib.suppress(InvalidArgument):
        _note(text)


def rebind(module, name, value):
    """``module.NAME = value``, or ``module.CFG.act = value`` for a dotted name."""
    *path, last = name.split(".")
    target = module
    for part in path:
        target = getattr(target, part)
    setattr(target, last, value)


def fresh(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def uses_float32(program: ApiProgram) -> bool:
    return "float32" in program.source or any(np.asarray(a).dtype == np.float32 for a in program.args)


def _as_float64(arg):
    """The argument in float64, of the same kind (a Python float, a NumPy scalar, an array)."""
    if isinstance(arg, float):
        return arg
    if isinstance(arg, np.floating):
        return np.float64(arg)
    return np.asarray(arg, dtype=np.float64).copy()


def _shifted(arg, idx, delta):
    if isinstance(arg, float):
        return arg + delta
    if isinstance(arg, np.floating):
        return np.float64(arg) + delta
    a = np.array(arg, dtype=np.float64)
    a[idx] += delta
    return a


def _value(fn, args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = fn(*fresh(args))
    assert np.shape(out) == (), f"the generated program returned shape {np.shape(out)}"  # generator bug
    return float(out)


def central_fd(fn, args, i, step):
    """Central differences with respect to ``args[i]``, computed in float64, keeping the argument's kind."""
    base = list(args)
    base[i] = _as_float64(args[i])
    x = np.asarray(base[i], dtype=np.float64)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        h = step * max(1.0, abs(float(x[idx])))
        vals = []
        for sign in (1.0, -1.0):
            new = list(base)
            new[i] = _shifted(base[i], idx, sign * h)
            vals.append(_value(fn, new))
        grad[idx] = (vals[0] - vals[1]) / (2 * h)
    return grad


def one_sided_fd(fn, args, i, step=1e-7):
    """Forward and backward differences with respect to ``args[i]`` (float64, elementwise)."""
    base = list(args)
    base[i] = _as_float64(args[i])
    x = np.asarray(base[i], dtype=np.float64)
    at = _value(fn, base)
    fwd, bwd = np.zeros(x.shape), np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        h = step * max(1.0, abs(float(x[idx])))
        for sign, out in ((1.0, fwd), (-1.0, bwd)):
            new = list(base)
            new[i] = _shifted(base[i], idx, sign * h)
            out[idx] = sign * (_value(fn, new) - at) / h
    return fwd, bwd


def reference(program, args, f, atol, own=None):
    """``(value, [(fd, scale), ...])`` for the differentiated parameters, or why the point is unsuitable:
    finite differences of ``f`` (the float64 twin), the value of ``own`` (the program's ``f``)."""
    try:
        value = _value(own or f, args)
        if own is not None:
            _value(f, args)
    except Exception as exc:
        return f"the function raises {type(exc).__name__}"
    if not np.isfinite(value) or abs(value) > 1e4:
        return "non-finite or huge value"
    fds = []
    for name in program.wrt_names():
        i = program.params.index(name)
        try:
            fd1, fd2 = (central_fd(f, args, i, step) for step in harness.FD_STEPS)
        except Exception as exc:
            return f"FD raises {type(exc).__name__}"
        if not (np.all(np.isfinite(fd1)) and np.all(np.isfinite(fd2))):
            return "non-finite FD"
        scale = max(1.0, abs(value), float(np.max(np.abs(fd1), initial=0.0)))
        if not harness.close(fd2, fd1, scale, atol):
            return "FD with two steps disagree"
        fds.append((fd1, scale))
    return value, fds


def _float64_twin(program, module, module_dir):
    """The function whose finite differences are the reference: ``f`` itself, or for a program with float32
    values, ``f`` computed in float64 (float32 arguments and ``np.float32`` promoted), whose differences are
    not swamped by float32 rounding."""
    if not uses_float32(program):
        return module.f
    source = program.source.replace("np.float32", "np.float64")
    with harness.loaded(source, module_dir, "random_api_f64") as (_, twin):
        for name, value in vars(module).items():  # the globals as they are now (a rebound function)
            if name.isupper():
                setattr(twin, name, value)
        twin_f = twin.f

    def f64(*args, **kwargs):
        return twin_f(*(_promoted(a) for a in args), **kwargs)
    return f64


def _promoted(arg):
    if isinstance(arg, np.float32):
        return np.float64(arg)
    if isinstance(arg, np.ndarray) and arg.dtype == np.float32:
        return arg.astype(np.float64)
    return arg


def describe(program, path=None):
    args = "\n".join(f"{p} = {arg_source(a)}" for p, a in zip(program.params, program.args))
    rebind = f", then {program.rebind[0][0]} = {program.rebind[0][1]}" if program.rebind else ""
    return (f"\n--- program (wrt={program.wrt!r}{rebind}){f' in {path}' if path else ''} ---\n{program.source}"
            f"--- arguments ---\n{args}")


def _expected_kind(arg):
    """(shape, dtype) a gradient with respect to ``arg`` must have."""
    if isinstance(arg, float):
        return (), np.dtype(np.float64)
    return np.shape(arg), np.asarray(arg).dtype


def _autograd(program, module_dir, args, finite=True, rebound=()):
    """autograd's gradients (one per differentiated parameter), or None where autograd cannot run the program."""
    import autograd

    source = program.source.replace("import numpy as np", "import autograd.numpy as np", 1)
    try:
        with harness.loaded(source, module_dir, "random_api_autograd") as (_, module):
            for g_name, other in rebound:
                rebind(module, g_name, eval(other, {"np": module.np}))
            out = []
            for name in program.wrt_names():
                i = program.params.index(name)
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    g = autograd.grad(module.f, i)(*fresh(args))
                g = np.asarray(g, dtype=np.float64)
                if g.shape != np.shape(args[i]) or (finite and not np.all(np.isfinite(g))):
                    return None
                out.append(g)
            return out
    except Exception:
        return None


def check(program: ApiProgram, module, path, module_dir):
    context = describe(program, path)
    note(context)
    f32 = uses_float32(program)
    atol = ATOL_F32 if f32 else ATOL
    args = list(program.args)
    ref = reference(program, args, _float64_twin(program, module, module_dir), atol, module.f)
    if isinstance(ref, str):
        event(f"rejected: {ref}")
    assume(not isinstance(ref, str))

    try:
        grad_fn = ad.grad(module.f, wrt=program.wrt)
        vg_fn = ad.value_and_grad(module.f, wrt=program.wrt)
    except REFUSALS as exc:
        _check_refusal(exc, path, program, context)
        return
    except Exception as exc:
        raise AssertionError(f"grad raised {type(exc).__name__}: {exc}{context}") from exc

    peer = functools.partial(_autograd, program, module_dir, args, finite=False)
    twin = _float64_twin(program, module, module_dir)
    called = _call_and_compare(program, args, grad_fn, vg_fn, ref, context, atol, path, peer,
                               functools.partial(one_sided_fd, twin, args))
    if not called:
        return
    grads, kinks = called
    if True:
        ag = _autograd(program, module_dir, args)
        if ag is None:
            event("autograd cannot run the program")
        else:
            for name, g_ad, g, (fd, scale) in zip(program.wrt_names(), ag, grads, ref[1]):
                if name in kinks:
                    continue
                if not np.all(np.isfinite(np.asarray(g))) and not api_programs.gate_on("oracle:nonfinite"):
                    continue  # KNOWN_BUGS class 9
                if not harness.close(g_ad, fd, scale, atol):
                    event("autograd disagrees with FD (skipped)")
                    continue
                tol = atol if f32 else AUTOGRAD_RTOL
                assert harness.close(np.asarray(g, dtype=np.float64), g_ad, scale, tol), (
                    f"d/d{name} differs from autograd's\ngot:\n{np.asarray(g)!r}\nautograd:\n{g_ad!r}{context}"
                    f"\n--- generated gradient ---\n{grad_fn.source}")
                event("checked against autograd")

    for g_name, other in program.rebind:  # the derivative must follow the function the global now holds
        rebind(module, g_name, eval(other, {"np": np}))
        ref = reference(program, args, _float64_twin(program, module, module_dir), atol, module.f)
        if isinstance(ref, str):
            event(f"rebound global: rejected: {ref}")
            continue
        event("rebound global: checked")
        try:
            rebound_peer = functools.partial(_autograd, program, module_dir, args, finite=False,
                                             rebound=((g_name, other),))
            _call_and_compare(program, args, grad_fn, vg_fn, ref, f"{context}\n--- after {g_name} = {other} ---",
                              atol, path, rebound_peer, functools.partial(
                                  one_sided_fd, _float64_twin(program, module, module_dir), args))
        except AssertionError as exc:
            raise AssertionError(f"after rebinding the global {g_name}: {exc}") from exc


def _located(exc):
    """(file, line) of a refusal: its ``location``, or the ``file:line:col:`` its message starts with."""
    where = getattr(exc, "location", None)
    if where is not None:
        return where.filename, where.line
    found = re.match(r"(.+?):(\d+):(\d+): ", str(exc))
    return (found.group(1), int(found.group(2))) if found else (None, None)


def _check_argument_refusal(exc, path, program, context):
    """A call refused for what an argument holds (np.matrix, a masked array) names that parameter; a refusal
    of what the code does with an argument is located at a line of f."""
    if not any(f"`{p}`" in str(exc) for p in program.params):
        _check_refusal(exc, path, program, context)
    event("refused: UnsupportedArgumentError")


def _check_refusal(exc, path, program, context):
    filename, line = _located(exc)
    lines = harness.function_lines(program.source)
    assert filename == str(path) and line in lines, (
        f"{type(exc).__name__} not located at a line of f (file {path}, lines {lines}): {exc}{context}")
    event(f"refused: {type(exc).__name__}")


def _call_and_compare(program, args, grad_fn, vg_fn, ref, context, atol, path, peer=None, one_sided=None):
    """The gradients of both functions, checked; None when the call was refused (located)."""
    value, fds = ref
    names = program.wrt_names()
    gen = f"\n--- generated gradient ---\n{getattr(grad_fn, 'source', '?')}"
    passed, vg_passed = fresh(args), fresh(args)
    for which, fn in (("grad", grad_fn), ("value_and_grad", vg_fn)):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if which == "grad":
                    grads = fn(*passed)
                else:
                    vg_value, vg_grads = fn(*vg_passed)
        except ad.UnsupportedArgumentError as exc:
            _check_argument_refusal(exc, path, program, context)
            return None
        except REFUSALS as exc:
            _check_refusal(exc, path, program, context)
            return None
        except Exception as exc:
            raise AssertionError(f"the {which} function raised {type(exc).__name__}: {exc}{context}"
                                 f"\n--- generated {which} ---\n{getattr(fn, 'source', '?')}") from exc
    for fn, after_call in (("grad", passed), ("value_and_grad", vg_passed)):
        for name, before, after in zip(program.params, args, after_call):
            assert type(before) is type(after) and np.array_equal(before, after), (
                f"the {fn} function modified its argument {name}:\nbefore {before!r}\nafter {after!r}{context}{gen}")

    f32 = atol == ATOL_F32
    assert np.shape(vg_value) == () and np.isfinite(float(vg_value)), f"value_and_grad returned {vg_value!r}{context}"
    assert abs(float(vg_value) - value) <= (1e-5 if f32 else 1e-12) * max(1.0, abs(value)), (
        f"value_and_grad returned the value {float(vg_value)!r}, the function returns {value!r}{context}"
        f"\n--- generated value_and_grad ---\n{vg_fn.source}")
    if isinstance(program.wrt, tuple):
        assert isinstance(grads, tuple) and len(grads) == len(names), (
            f"expected a tuple of {len(names)} gradients, got {type(grads).__name__}{context}{gen}")
        assert isinstance(vg_grads, tuple) and len(vg_grads) == len(names), (
            f"value_and_grad: expected a tuple of {len(names)} gradients{context}")
    else:
        grads, vg_grads = (grads,), (vg_grads,)

    for name, g in zip(names, grads):
        for other, arr in zip(program.params, passed):
            assert not (isinstance(g, np.ndarray) and isinstance(arr, np.ndarray) and np.shares_memory(g, arr)), (
                f"d/d{name} shares memory with {other}{context}{gen}")

    again = fresh(args)  # a second call (nothing kept from the first one) gives the same gradients
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        second = grad_fn(*again)
    second = second if isinstance(program.wrt, tuple) else (second,)
    for name, g, g2 in zip(names, grads, second):
        assert np.array_equal(np.asarray(g), np.asarray(g2), equal_nan=True), (
            f"a second call of the grad function gives another d/d{name}:\n{np.asarray(g2)!r}\nfirst:\n"
            f"{np.asarray(g)!r}{context}{gen}")

    kinks = set()
    for name, g, vg, (fd, scale) in zip(names, grads, vg_grads, fds):
        x = args[program.params.index(name)]
        shape, dtype = _expected_kind(x)
        assert isinstance(g, (float, np.floating, np.ndarray)), f"d/d{name} has type {type(g).__name__}{context}{gen}"
        garr = np.asarray(g)
        assert np.array_equal(np.asarray(vg), garr, equal_nan=True), (
            f"value_and_grad's d/d{name} differs from grad's\n{np.asarray(vg)!r}\n{garr!r}{context}"
            f"\n--- generated value_and_grad ---\n{vg_fn.source}")
        assert garr.shape == shape, f"d/d{name} has shape {garr.shape}, expected {shape}{context}{gen}"
        if api_programs.gate_on("oracle:dtype-mixed") or not uses_float32(program):
            assert garr.dtype == dtype, f"d/d{name} has dtype {garr.dtype}, expected {dtype}{context}{gen}"
        if not np.all(np.isfinite(garr)) and not api_programs.gate_on("oracle:nonfinite"):
            event("non-finite gradient (KNOWN_BUGS class 9)")
            continue
        if not np.all(np.isfinite(garr)) and peer is not None:
            theirs = peer()
            if theirs is not None and not np.all(np.isfinite(theirs[names.index(name)])):
                event("non-finite gradient, as autograd's (skipped)")  # sqrt(y - y): inf * 0
                continue
            if theirs is None and "arg:special-values" in program.tags:
                # an exact zero where the function has no derivative (cos(cbrt(x)) at 0: symmetric FD gives 0)
                event("non-finite gradient at an exact zero or tie, autograd cannot tell (skipped)")
                continue
        assert np.all(np.isfinite(garr)), f"d/d{name} is not finite:\n{garr!r}\nFD:\n{fd!r}{context}{gen}"
        if not harness.close(garr.astype(np.float64), fd, scale, atol) and one_sided is not None:
            # exactly at a kink (an exact zero or tie: abs(0), max of equal values), a one-sided derivative
            # is as good as the central one; elsewhere the one-sided ones equal the central one
            fwd, bwd = one_sided(program.params.index(name))
            g64 = garr.astype(np.float64)
            tol = 1e-4 * scale
            if np.all((np.abs(g64 - fwd) <= tol) | (np.abs(g64 - bwd) <= tol)):
                event("a one-sided derivative at a kink")
                kinks.add(name)
                continue
        if not harness.close(garr.astype(np.float64), fd, scale, atol) and "arg:special-values" in program.tags:
            # exact zeros and ties in the arguments (there for class 9) may put an intermediate exactly on a
            # kink, where the chain rule of subgradients need not give the derivative (copysign(x, x) at 0)
            event("a mismatch at an exact zero or tie (skipped)")
            kinks.add(name)
            continue
        assert harness.close(garr.astype(np.float64), fd, scale, atol), (
            f"d/d{name} does not match finite differences\ngot:\n{garr!r}\nFD:\n{fd!r}{context}{gen}")
    return grads, kinks


@harness.property_settings(max_examples=500)
@given(program=programs())
def test_random_api_programs(program, module_dir):
    with harness.loaded(program.source, module_dir, "random_api") as (path, module):
        check(program, module, path, module_dir)


def test_catalogue_reads_the_registry():
    """Every registered primitive the generator can spell is in its catalogue (new rules are covered)."""
    spelled = {p.spelling for p in api_programs.PRIMITIVES if p.registered}
    for needed in ("np.exp", "np.sum", ".sum", "np.where", "np.transpose", "math.sin", "attr.T"):
        assert needed in spelled, needed
    assert any(not p.registered for p in api_programs.PRIMITIVES)


def test_generator_never_runs_a_join_while_a_matrix_is_about():
    """NumPy's concatenate writes past a 2-d np.matrix result when joining 3-d matrices on axis >= 2 (what
    ``np.dstack(m)`` does), corrupting the heap of the whole test run: the generator must not even try it."""
    gen = api_programs.Gen(lambda strategy: 0)
    gen.ns = {"np": np, "m": np.matrix([[1.0, 2.0], [3.0, 4.0]]), "v": np.ones((2, 2))}
    for line in ("v1 = np.dstack(m)", "v1 = np.concatenate([np.atleast_3d(m)] * 2, axis=2)",
                 "v1 = np.stack([v, v], axis=-1)", "v1 = np.append(m, v)"):
        assert gen.joins_a_matrix([line]), line
        assert not gen.try_commit([line]) and "v1" not in gen.ns, line
    gen.ns["parts"] = [np.ones(2), np.asmatrix(np.ones((1, 2)))]
    del gen.ns["m"]
    assert gen.joins_a_matrix(["v1 = np.hstack(parts)"])
    del gen.ns["parts"]
    assert gen.joins_a_matrix(["v1 = np.dstack(np.asmatrix(v))"])
    assert not gen.joins_a_matrix(["v1 = np.dstack(v)", "v2 = np.sin(v)"])
    assert gen.try_commit(["v1 = np.dstack(v)"]) and np.shape(gen.ns["v1"]) == (1, 2, 2)
