"""Issue 10, classes 11 and 12: crashes become gradients or located errors, and generated code is hygienic.

Every gradient is compared with central finite differences (gradcheck), an analytic derivative, or
autograd; every refusal names the user's file and line.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import check_grad, numeric_grad

import adtransform as ad
from adtransform.errors import InternalError, UnsupportedArgumentError, UnsupportedSyntaxError

X3 = np.array([0.7, -1.3, 2.1])


def _module(tmp_path, name: str, source: str):
    """Import `source` as a module from a file (generated gradients need the function's source)."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- class 11: `is` / `is not` -------------------------------------------------------------------

def weighted(x, w=None):
    if w is None:
        return np.sum(x ** 2)
    return np.sum(w * x ** 3)


def weighted_not(x, w=None, scale=None):
    s = np.sum(np.sin(x))
    if w is not None:
        s = s + np.sum(w * x)
    if scale is not None:
        s = s * scale
    return s


_MISSING = object()


def sentinel(x, k=_MISSING):
    if k is _MISSING:
        k = 3.0
    return np.sum(k * np.exp(x))


@pytest.mark.parametrize("fn, args", [
    (weighted, (X3,)), (weighted, (X3, np.array([1.0, 2.0, -1.0]))),
    (weighted_not, (X3,)), (weighted_not, (X3, np.array([0.5, 1.5, 2.0]), 2.5)),
    (sentinel, (X3,)), (sentinel, (X3, 0.5)),
])
def test_identity_tests_on_constants_are_differentiated(fn, args):
    check_grad(fn, args)


def identity_of_two_values(x, y):
    if x is y:
        return np.sum(x)
    return np.sum(x * y)


def test_identity_between_two_computed_values_is_a_located_error():
    with pytest.raises(UnsupportedSyntaxError, match=r"test_trust_codegen.py:\d+.*`is`"):
        ad.grad(identity_of_two_values)(X3, X3 + 1.0)


# --- class 11: masks combined with & | ^ ~ -------------------------------------------------------

def band(x):
    m = (x > 0.0) & (x < 2.0)
    return np.sum(np.where(m, x ** 2, 3.0 * x))


def either(x):
    m = (x > 1.0) | (x < -1.0)
    return np.sum(np.where(m, np.sin(x), x ** 3))


def exclusive(x):
    m = (x > 0.0) ^ (x > 1.0)
    return np.sum(np.where(~m, x ** 2, np.cos(x)))


def negated(x):
    m = ~(x > 0.5)
    return np.sum(np.where(m, np.exp(x), x))


def masked_write(x):
    y = x * 1.0
    y[(x > 0.0) & (x < 1.0)] = 0.5
    return np.sum(y ** 2)


def scalar_masks(x):
    s = 0.0
    for t in range(x.shape[0]):
        m = ~(x[t] > 0.0)
        if m:
            s = s + x[t] ** 2
        else:
            s = s + 3.0 * x[t]
    return s


def scalar_bool_sum(x):
    s = 0.0
    for t in range(x.shape[0]):
        b = (x[t] > 0.0) + (x[t] > 1.0)   # NumPy booleans: logical or
        s = s + b * x[t]
    return s


@pytest.mark.parametrize("fn", [band, either, exclusive, negated, masked_write])
def test_masks_combined_with_bitwise_operators(fn):
    check_grad(fn, (np.array([0.3, -1.7, 2.6, 1.4, -0.4]),))


@pytest.mark.parametrize("fn, truth", [
    (scalar_masks, lambda x: np.where(~(x > 0.0), 2.0 * x, 3.0)),
    (scalar_bool_sum, lambda x: ((x > 0.0) | (x > 1.0)).astype(float)),
])
def test_masks_on_elements_read_in_a_loop_keep_numpy_boolean_semantics(fn, truth):
    x = np.array([1.0, -2.0, 3.0, 0.5])
    np.testing.assert_allclose(ad.grad(fn)(x), truth(x))


# --- class 11: index writes ----------------------------------------------------------------------

def jitter(x):
    K = np.outer(x, x)
    K[np.arange(3), np.arange(3)] += 0.1 * x
    return np.sum(K ** 2)


def scatter_pairs(x):
    K = np.zeros((3, 3))
    K[np.array([0, 2, 1]), np.array([1, 0, -1])] = x * x
    return np.sum(np.sin(K) * np.arange(9.0).reshape(3, 3))


def bool_list_add(x):
    y = x.copy()
    y[[True, False, True]] += x[:2].sum()
    return np.sum(y ** 2)


def bool_list_set(x):
    y = np.exp(x)
    y[[False, True, True]] = x[0] * x[1:]
    return np.sum(y ** 3)


def bool_list_2d(x):
    K = np.outer(x, x)
    K[[[True, False, False], [False, True, False], [True, False, True]]] = np.sin(x[0])
    return np.sum(K * K)


def negative_distinct(x):
    y = x.copy()
    y[np.array([0, -1])] += x[1] * x[:2]
    return np.sum(y ** 2)


@pytest.mark.parametrize("fn", [jitter, scatter_pairs, bool_list_add, bool_list_set, bool_list_2d,
                                negative_distinct])
def test_advanced_index_writes_with_distinct_positions(fn):
    check_grad(fn, (X3,))


def repeated_add(x, v):
    y = x.copy()
    y[[0, 0]] += v
    return np.sum(y ** 2)


def repeated_negative(x):
    y = x.copy()
    y[np.array([2, -1])] += x[:2]
    return np.sum(y ** 2)


def repeated_pairs(x):
    K = np.zeros((3, 3))
    K[[0, 1, 0], [1, 2, -2]] = x
    return np.sum(K ** 2)


@pytest.mark.parametrize("fn, args", [
    (repeated_add, (X3, 2.0)), (repeated_negative, (X3,)), (repeated_pairs, (X3,)),
])
def test_an_index_naming_an_element_twice_is_refused_at_the_users_line(fn, args):
    with pytest.raises(UnsupportedArgumentError, match=r"test_trust_codegen.py:\d+.*more than once"):
        ad.grad(fn)(*args)


def repeated_constant_write(x):
    y = x * 2.0
    y[[0, 0]] = 1.0           # no derivative flows through the written value: NumPy's result is clear
    return np.sum(y ** 2)


def test_a_repeated_index_without_a_differentiated_value_is_fine():
    check_grad(repeated_constant_write, (X3,))


# --- class 11: writes into 0-d arrays ------------------------------------------------------------

def zero_d_add(a):
    y = a.copy()
    y[...] += 0.5
    return y * y


def zero_d_set(a):
    y = a.copy()
    y[()] = np.sin(a) * y
    return y * a


def zero_d_mask(a):
    y = a.copy()
    y[a > 0] = a ** 3
    return y + a


@pytest.mark.parametrize("fn", [zero_d_add, zero_d_set, zero_d_mask])
@pytest.mark.parametrize("value", [1.3, -0.8])
def test_index_writes_into_0d_arrays(fn, value):
    check_grad(fn, (np.array(value),))


# --- class 11: long expressions ------------------------------------------------------------------

def _long_sum(terms: int) -> str:
    return "def f(x):\n    return " + " + ".join(f"x[{i % 3}] * {i}.0" for i in range(terms)) + "\n"


def _long_product(terms: int) -> str:
    return "def f(x):\n    return " + " * ".join(f"x[{i % 3}]" for i in range(terms)) + "\n"


def _nested(levels: int) -> str:
    return "import numpy as np\ndef f(x):\n    return np.sin(" + "-(" * levels + "x" + ")" * levels + ")\n"


@pytest.mark.parametrize("source, x", [
    (_long_sum(300), X3), (_long_sum(1000), X3),
    (_nested(150), np.array(0.4)),
])
def test_long_expressions_are_differentiated(tmp_path, source, x):
    limit = sys.getrecursionlimit()
    f = _module(tmp_path, "long_expression", source).f
    check_grad(f, (x,))
    assert sys.getrecursionlimit() == limit


def test_long_product_has_the_analytic_gradient(tmp_path):
    f = _module(tmp_path, "long_product", _long_product(300)).f
    x = np.array([1.001, 0.999, 1.0005])
    np.testing.assert_allclose(ad.grad(f)(x), 100 * np.prod(x) ** 100 / x, rtol=1e-10)


def test_long_sum_has_the_analytic_gradient(tmp_path):
    f = _module(tmp_path, "long_sum", _long_sum(300)).f
    weights = np.arange(300.0)
    expected = np.array([weights[k::3].sum() for k in range(3)])
    np.testing.assert_allclose(ad.grad(f)(X3), expected)


# --- class 11: Python floats where NumPy gives inf or nan ----------------------------------------

def root(x):
    return x ** 0.5


def root_mixed(x, y):
    return np.sum(y * x ** 0.5)


def powers(c, x):
    r = 0.0
    for i in range(c.shape[0]):
        r = r + c[i] * x ** i
    return r


def powers_scalar(x):
    s = 0.0
    for i in range(3):
        s = s + x ** i
    return s


@pytest.mark.parametrize("fn, args, truth", [
    (root, (0.0,), np.inf),
    (root_mixed, (0.0, np.ones(2)), np.inf),
])
def test_a_python_float_derivative_is_computed_as_numpy_does(fn, args, truth):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert ad.grad(fn)(*args) == truth


@pytest.mark.parametrize("fn, args", [
    (powers, (np.array([1.0, 2.0, 3.0]), 0.0)), (powers, (np.array([1.0, 2.0, 3.0]), 0.7)),
    (powers_scalar, (0.0,)), (powers_scalar, (1.5,)),
])
def test_powers_of_a_python_float_do_not_raise(fn, args):
    wrt = len(args) - 1
    reference = autograd.grad(lambda *a: fn(*a) if fn is powers_scalar else sum(
        a[0][i] * a[1] ** i for i in range(3)), wrt)(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ad.grad(fn, wrt=wrt)(*args)
    # nan where NumPy computes `0 * 0.0 ** -1` (issue 10 class 9 makes it the limit), else the derivative
    assert np.isnan(got) or np.isclose(got, reference), (got, reference)
    if args[-1] != 0.0:
        assert np.isclose(got, reference)


# --- class 11: internal errors -------------------------------------------------------------------

def plain(x):
    return np.sum(x * x)


def test_an_internal_exception_names_the_function_and_asks_for_a_report(monkeypatch):
    def broken(node, ctx):
        raise KeyError("is")

    monkeypatch.setattr("adtransform.canonicalize.anf.transform", broken)
    with pytest.raises(InternalError, match=r"test_trust_codegen.py:\d+:\d+: internal error .* plain .*please report"):
        ad.grad(plain)(X3)


# --- class 12: hygiene of generated code ---------------------------------------------------------

# Each program makes the generator call builtins of its own: a loop over a sequence (range, len,
# reversed), zip (min), enumerate over reversed, map (list), slices passed to helpers (slice), and
# rules that read `np` or call runtime helpers. None of them calls the shadowed name itself.
PROGRAMS = {
    "loop": "    s = 0.0\n    for xi in x:\n        s = s + xi ** 2\n    return s\n",
    "zip": "    s = 0.0\n    for a, b in zip(x, x[::-1]):\n        s = s + a * b\n    return s\n",
    "enum": "    s = 0.0\n    for i, a in enumerate(reversed(x)):\n        s = s + a * a * i\n    return s\n",
    "map": "    s = 0.0\n    for w in map(abs, [1.5, -2.0]):\n        s = s + w * numpy.sum(x ** 2)\n    return s\n",
    "slice": "    k = 1\n    return numpy.sum(x[k:] ** 2) + numpy.sum(x[1:3] * x[0])\n",
    "rule": "    return numpy.sum(numpy.cos(x) * numpy.tanh(x)) + numpy.sum(x[0] * x)\n",
}
USES = {"zip": {"zip"}, "enum": {"enumerate", "reversed"}, "map": {"map", "abs"}}
SHADOWED = ["range", "reversed", "len", "min", "list", "slice", "float", "abs", "tuple", "np", "math",
            "unbroadcast", "unreduce", "getitem_adjoint", "getitem_accumulate", "zeros_like"]
LEVELS = ["local", "parameter", "global"]


def _shadowing_module(tmp_path, name: str, program: str, level: str):
    head = "import numpy\n"
    local = params = ""
    if level == "local":
        local = f"    {name} = 0.5\n"
    elif level == "parameter":
        params = f", {name}=0.1"
    elif level == "global":
        head += f"{name} = False\n"
    else:  # `from numpy import *`: shadows min, max, abs, sum, round
        head += "from numpy import *\n"
    source = f"{head}def f(x{params}):\n{local}{PROGRAMS[program]}"
    return _module(tmp_path, f"shadow_{level}_{name}_{program}", source).f


CASES = [(n, p, lv) for n, p, lv in itertools.product(SHADOWED, PROGRAMS, LEVELS) if n not in USES.get(p, ())]
CASES += [("*", p, "star import") for p in PROGRAMS]


@pytest.mark.parametrize("name, program, level", CASES)
def test_generated_code_cannot_be_shadowed(tmp_path, name, program, level):
    f = _shadowing_module(tmp_path, name, program, level)
    check_grad(f, (np.array([0.3, -1.2, 2.0, 0.7]),))


def test_shadowing_changes_only_the_colliding_names(tmp_path):
    f = _shadowing_module(tmp_path, "reversed", "loop", "global")
    source = ad.grad(f).source
    assert "reversed(" not in source and "len(x)" in source  # the builtins nobody shadows keep their names
    assert "(range(" in source
    g = _shadowing_module(tmp_path, "len", "loop", "local")
    source = ad.grad(g).source
    assert "len(x)" not in source and "reversed(range(" in source


def test_unshadowed_generated_code_spells_builtins_plainly(tmp_path):
    f = _module(tmp_path, "plain_loop", "import numpy\ndef f(x):\n" + PROGRAMS["zip"]).f
    source = ad.grad(f).source
    for call in ("len(x)", "len(seq)", " = min(", " in range(", " in reversed(range("):
        assert call in source


def test_a_global_rebound_after_the_transform_gives_a_fresh_transform(tmp_path):
    module = _module(tmp_path, "rebound_reversed", "import numpy\ndef f(x):\n" + PROGRAMS["loop"])
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(ad.grad(module.f)(x), 2 * x)
    module.reversed = False
    np.testing.assert_allclose(ad.grad(module.f)(x), 2 * x)


def test_numpy_gradients_of_shadowing_programs_match_autograd(tmp_path):
    f = _shadowing_module(tmp_path, "np", "rule", "local")
    x = np.array([0.3, -1.2, 2.0])
    expected = autograd.grad(lambda v: anp.sum(anp.cos(v) * anp.tanh(v)) + anp.sum(v[0] * v))(x)
    np.testing.assert_allclose(ad.grad(f)(x), expected)
    np.testing.assert_allclose(ad.grad(f)(x), numeric_grad(f, (x,)), rtol=1e-6)


def underscore_kept(x):
    _ = np.exp(x)
    y = x
    while np.sum(y) < 100.0:
        y = y * 1.5
    return np.sum(y * _)


def underscore_scalar(a):
    _ = a * a
    s = a
    while s < 50.0:
        s = s * 2.0 + _
    return s * _


@pytest.mark.parametrize("fn, x", [(underscore_kept, np.array([1.0, 2.0])), (underscore_scalar, 1.3)])
def test_a_loop_without_target_does_not_overwrite_the_users_underscore(fn, x):
    check_grad(fn, (x,))
    assert " in reversed(range(" in ad.grad(fn).source and "for _ in" not in ad.grad(fn).source


# --- Python floats read from vectors compute as NumPy's float64 would -----------------------------

def fractional_power_loop(x):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + x[t] ** 1.5
    return s


def integer_power_loop(c, x):
    r = 0.0
    for i in range(c.shape[0]):
        r = r + c[i] * x ** i
    return r


def test_a_fractional_power_of_a_negative_element_is_nan_as_in_numpy():
    x = np.array([1.0, -2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ad.grad(fractional_power_loop)(x)
        expected = 1.5 * x ** 0.5
    np.testing.assert_allclose(got, expected, equal_nan=True)


@pytest.mark.parametrize("x", [0.5, -1.5, 2.0])
def test_integer_powers_in_a_loop_match_autograd(x):
    c = np.array([1.0, 2.0, 3.0, -0.5])
    expected = autograd.grad(lambda v: sum(c[i] * v ** i for i in range(4)))(x)
    np.testing.assert_allclose(ad.grad(integer_power_loop, wrt=1)(c, x), expected)


def test_every_operator_the_ir_knows_has_a_builder():
    """The root of `KeyError: 'is'`: lowering knew operators that codegen could not write."""
    from adtransform.ir import operators
    from adtransform.syntax import build

    for table, builders in ((operators.BINARY, build.BINOPS), (operators.UNARY, build.UNARYOPS),
                            (operators.COMPARE, build.COMPAREOPS)):
        for node_type, (_, symbol) in table.items():
            assert builders[symbol] is node_type, symbol


def shifts(x, k=2):
    n = (k << 1) >> 1
    return np.sum(x ** n)


def test_integer_shifts_and_bitwise_operators_on_non_differentiated_values():
    check_grad(shifts, (X3,))
    np.testing.assert_allclose(ad.grad(shifts)(X3), 2 * X3)
