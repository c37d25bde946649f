"""What the random-program property tests share: loading a generated program, the finite-difference
reference and the comparison of adtransform's gradients with it.

A generated program is Python source holding ``def f(...)`` and its *probe* twin ``def probe(...,
_rec)`` (the same code with recording calls; see each test's docstring). It is written to a real
``.py`` file and imported, because adtransform reads the function's source with
``inspect.getsource``. Every call of a generated function gets fresh copies of the array
arguments: a program may update its arguments in place.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import itertools
import os
import sys
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, assume, event, settings

import adtransform as ad

# CI runs each property test on a fixed set of examples. For a long run on fresh seeds:
#   ADTRANSFORM_EXAMPLES=5000 python -m pytest tests/property --hypothesis-seed=$RANDOM
EXAMPLES = os.environ.get("ADTRANSFORM_EXAMPLES")


def property_settings(max_examples: int = 200, **kwargs):
    """The settings of a random-program test: `max_examples` derandomized examples in CI, or
    ADTRANSFORM_EXAMPLES examples drawn from pytest's `--hypothesis-seed` when that is set."""
    options = dict(deadline=None, derandomize=EXAMPLES is None, database=None,
                   phases=(Phase.explicit, Phase.generate),
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much])
    options.update(kwargs)
    return settings(max_examples=int(EXAMPLES) if EXAMPLES else max_examples, **options)

KINK_MARGIN = 1e-3  # minimum distance to a kink (a data-dependent condition's threshold) at the evaluation point
MAX_MAGNITUDE = 1e4  # larger intermediate values make the FD reference too noisy
FD_STEPS = (1e-6, 1e-5)  # relative to max(1, |x_i|); the first one is the reference
RTOL = 1e-5


@dataclass(frozen=True)
class Program:
    source: str
    params: tuple  # parameter names in order
    shapes: tuple  # () for a Python float, a shape for an array, None for the int argument n
    wrt: object
    kwargs: dict = field(default_factory=dict)
    tags: frozenset = frozenset()  # what the generator put in, for the statistics

    def wrt_names(self):
        items = self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)
        return [self.params[i] if isinstance(i, int) else i for i in items]

    def __repr__(self):
        return (f"Program(wrt={self.wrt!r}, params={self.params!r}, shapes={self.shapes!r}, kwargs={self.kwargs!r}, "
                f"source=\n{self.source})")


# --------------------------------------------------------------------------------------------
# loading and calling
# --------------------------------------------------------------------------------------------

_counter = itertools.count()


@contextlib.contextmanager
def loaded(source, directory, prefix):
    """Write ``source`` to a new module file in ``directory`` and import it; yields ``(path, module)``."""
    name = f"_adt_{prefix}_{next(_counter)}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield path, module
    finally:
        sys.modules.pop(name, None)


def fresh(args):
    """Copies of the array arguments (the callee may write into them)."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def call(fn, args):
    return fn(*fresh(args))


def scalar(fn, args):
    out = np.asarray(call(fn, args))
    assert out.shape == (), f"the generated program returned shape {out.shape}"  # generator bug
    return float(out)


def central_fd(fn, args, i, step):
    """Central differences of ``fn`` with respect to ``args[i]`` (float64, elementwise)."""
    x = np.asarray(args[i], dtype=np.float64)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        h = step * max(1.0, abs(float(x[idx])))
        vals = []
        for sign in (1.0, -1.0):
            xp = x.copy()
            xp[idx] += sign * h
            new = list(args)
            new[i] = float(xp) if isinstance(args[i], float) else xp
            vals.append(scalar(fn, new))
        grad[idx] = (vals[0] - vals[1]) / (2 * h)
    return grad


def close(a, b, scale, atol, rtol=RTOL):
    return bool(np.all(np.abs(a - b) <= atol * scale + rtol * np.abs(b)))


def random_args(program, seed, n=None):
    """Arguments for ``program``: floats and arrays uniform in [-1.5, 1.5], ``n`` for the int parameter."""
    rng = np.random.default_rng(seed)
    args = []
    for shape in program.shapes:
        if shape is None:
            args.append(n)
        elif shape == ():
            args.append(float(rng.uniform(-1.5, 1.5)))
        else:
            args.append(rng.uniform(-1.5, 1.5, size=shape))
    return args


def format_args(program, args):
    return "\n".join(f"{p} = {np.array2string(np.asarray(a), precision=17, separator=', ')}"
                     + ("  # a Python float" if isinstance(a, float) else "")
                     for p, a in zip(program.params, args))


def describe(program, args):
    """The failure context: the program, how it is called and the arguments."""
    how = f", called as f(*args, **{program.kwargs!r})" if program.kwargs else ""
    return (f"\n--- program (wrt={program.wrt!r}{how}) ---\n{program.source}"
            f"\n--- arguments ---\n{format_args(program, args)}")


def function_lines(source, name="f"):
    """The line numbers (1-based, in the file) of the function ``name`` defined in ``source``."""
    lines = source.splitlines()
    start = next(k for k, line in enumerate(lines) if line.lstrip().startswith(f"def {name}("))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return range(start + 1, end + 1)


def assert_located(exc, path, source, context=""):
    """A refusal must name the program's file and a line of ``f``."""
    where = exc.location
    assert where is not None and where.filename == str(path) and where.line in function_lines(source), (
        f"the refusal is not located in f (file {path}, lines {function_lines(source)}): {exc}{context}")


# --------------------------------------------------------------------------------------------
# the reference
# --------------------------------------------------------------------------------------------


class Recorder:
    """What the probe twin measures at the evaluation point: magnitudes and finiteness of the values
    (``val``) and closeness to kinks (subclasses set ``near_kink``)."""

    kink_reason = "too close to a kink"

    def __init__(self):
        self.near_kink = False
        self.max_abs = 0.0
        self.finite = True

    def val(self, *values):
        for v in values:
            arr = np.asarray(v, dtype=np.float64)
            if not np.all(np.isfinite(arr)):
                self.finite = False
            elif arr.size:
                self.max_abs = max(self.max_abs, float(np.max(np.abs(arr))))

    def verdict(self):
        """Why the point is unsuitable for finite differences, or None."""
        if not self.finite:
            return "non-finite intermediate value"
        if self.max_abs >= MAX_MAGNITUDE:
            return "huge intermediate value"
        if self.near_kink:
            return self.kink_reason
        return None


def reference(program, args, module, recorder, atol):
    """The value of ``f`` and its finite-difference gradients at ``args``: ``(value, [(fd, scale), ...])``
    for the differentiated parameters, or a string saying why this point is unsuitable."""
    with np.errstate(all="ignore"):
        call(lambda *a: module.probe(*a, recorder, **program.kwargs), args)
    why = recorder.verdict()
    if why:
        return why
    f = functools.partial(module.f, **program.kwargs)
    value = scalar(f, args)
    fds = []
    for name in program.wrt_names():
        i = program.params.index(name)
        with np.errstate(all="ignore"):
            fd1, fd2 = (central_fd(f, args, i, step) for step in FD_STEPS)
        if not (np.all(np.isfinite(fd1)) and np.all(np.isfinite(fd2))):
            return "non-finite FD"
        scale = max(1.0, abs(value), float(np.max(np.abs(fd1))))
        if not close(fd2, fd1, scale, atol):
            return "FD with two steps disagree"  # a kink the probe missed, or round-off
        fds.append((fd1, scale))
    return value, fds


def usable_reference(program, args, module, recorder, atol):
    """``reference``, or reject the example (hypothesis ``assume``) with an event saying why."""
    ref = reference(program, args, module, recorder, atol)
    if isinstance(ref, str):
        event(f"rejected: {ref}")
    assume(not isinstance(ref, str))
    return ref


# --------------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------------


def _refused_for_an_array(exc, program, args) -> bool:
    """The refusal of an in-place update the transform accepted for a parameter holding a number, met
    because it holds an array (the update would change it, and the caller's array, in place)."""
    marker = "(accepted when `"
    if exc.construct != "in-place update of an alias" or marker not in str(exc) or exc.location is None:
        return False
    name = str(exc).split(marker)[1].split("`")[0]
    held = dict(zip(program.params, args)).get(name)
    return isinstance(held, np.ndarray)


def check_gradients(program, args, grad_fn, vg_fn, ref, context, atol, others=()):
    """Call ``grad_fn`` and ``vg_fn`` on copies of ``args`` and check them against ``ref``: the value,
    the structure, shape, dtype and values of the gradients, that the caller's arguments are unchanged
    and that no gradient shares memory with an argument or with one of ``others`` (``(name, array)``)."""
    value, fds = ref
    names = program.wrt_names()
    gen = f"\n--- generated gradient ---\n{grad_fn.source}"
    passed, vg_passed = fresh(args), fresh(args)
    try:
        grads = grad_fn(*passed, **program.kwargs)
        vg_value, vg_grads = vg_fn(*vg_passed, **program.kwargs)
    except ad.UnsupportedSyntaxError as exc:
        if not _refused_for_an_array(exc, program, args):
            raise AssertionError(f"the gradient function raised {type(exc).__name__}: {exc}{context}{gen}") from exc
        event("refused at the call: an in-place update accepted for numbers, of an array")
        return
    except Exception as exc:
        raise AssertionError(f"the gradient function raised {type(exc).__name__}: {exc}{context}{gen}") from exc
    for fn, after_call in (("grad", passed), ("value_and_grad", vg_passed)):
        for name, before, after in zip(program.params, args, after_call):
            assert np.array_equal(before, after), (
                f"the {fn} function modified its argument {name}:\nbefore {before!r}\nafter {after!r}{context}{gen}")

    assert isinstance(vg_value, (float, np.floating, np.ndarray)) and np.shape(vg_value) == (), (
        f"value_and_grad returned the value {vg_value!r}{context}")
    assert abs(float(vg_value) - value) <= 1e-12 * max(1.0, abs(value)), (
        f"value_and_grad returned the value {float(vg_value)!r}, the function returns {value!r}{context}"
        f"\n--- generated value_and_grad ---\n{vg_fn.source}")

    if isinstance(program.wrt, tuple):
        assert isinstance(grads, tuple) and len(grads) == len(names), (
            f"expected a tuple of {len(names)} gradients, got {type(grads).__name__}{context}{gen}")
        assert isinstance(vg_grads, tuple) and len(vg_grads) == len(names), (
            f"value_and_grad: expected a tuple of {len(names)} gradients{context}")
    else:
        grads, vg_grads = (grads,), (vg_grads,)

    # gradients are fresh arrays (the caller may update them in place): no aliasing of inputs or globals
    shared = [(p, a) for p, a in zip(program.params, passed) if isinstance(a, np.ndarray)] + list(others)
    for name, g in zip(names, grads):
        for other, arr in shared:
            assert not (isinstance(g, np.ndarray) and np.shares_memory(g, arr)), (
                f"d/d{name} shares memory with {other}{context}{gen}")

    for name, g, vg, (fd, scale) in zip(names, grads, vg_grads, fds):
        x = args[program.params.index(name)]
        assert isinstance(g, (float, np.floating, np.ndarray)), f"d/d{name} has type {type(g).__name__}{context}{gen}"
        garr = np.asarray(g)
        assert garr.shape == np.shape(x), f"d/d{name} has shape {garr.shape}, expected {np.shape(x)}{context}{gen}"
        assert garr.dtype == np.float64, f"d/d{name} has dtype {garr.dtype}, expected float64{context}{gen}"
        assert close(garr, fd, scale, atol), (
            f"d/d{name} does not match finite differences\ngot:\n{garr!r}\nFD:\n{fd!r}{context}{gen}")
        assert np.allclose(np.asarray(vg), garr, rtol=1e-12, atol=1e-14), (
            f"value_and_grad's d/d{name} differs from grad's\n{np.asarray(vg)!r}\n{garr!r}{context}"
            f"\n--- generated value_and_grad ---\n{vg_fn.source}")
