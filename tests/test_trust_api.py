"""Issue 10, the API classes: what a gradient may be called with (6), names rebound between calls (7),
source edited after import (8), messages that say what is wrong (13), what the cache keeps and who
waits for whom (14). Every returned gradient is compared with central finite differences."""

import functools
import gc
import importlib
import linecache
import sys
import textwrap
import threading
import types
import weakref
from fractions import Fraction

import numpy as np
import pytest
from gradcheck import numeric_grad

import adtransform as ad
from adtransform import api, pipeline


def close(fn, args, wrt=0):
    """The gradient adtransform returns equals central finite differences."""
    got = ad.grad(fn, wrt=wrt)(*args)
    want = numeric_grad(fn, args, wrt=wrt)
    if isinstance(wrt, tuple):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    return got


X = np.array([0.3, -0.5, 1.2])


# --- class 6: complex numbers and NumPy subclasses ---------------------------------------------------

def weighted(w, M):
    return np.sum(M * w)


def mean_of(w, M):
    return np.mean(M * w ** 2)


@pytest.mark.parametrize("M, what", [
    (np.matrix(np.eye(3)), "numpy.matrix"),
    (np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]), "MaskedArray"),
    (np.ones(3) + 0j, "complex array"),
    (np.array([1.0, None, 2.0], dtype=object), "dtype object"),
    ([1.0, 2j, 3.0], "complex number"),
    ((np.ones(3), np.matrix(np.ones(3))), "numpy.matrix"),
    (np.complex128(1.0), "complex number"),
    (Fraction(1, 3), "its own arithmetic"),
    ({"a": np.ones(3) + 1j}, "complex array"),
    (types.SimpleNamespace(M=np.matrix(np.ones(3))), "numpy.matrix"),
])
@pytest.mark.parametrize("fn", [weighted, mean_of])
def test_every_argument_is_checked_not_only_wrt(fn, M, what):
    with pytest.raises(ad.UnsupportedArgumentError, match=what):
        ad.grad(fn)(X.copy(), M)


@pytest.mark.parametrize("w", [np.matrix(X), np.ma.masked_array(X, mask=[0, 1, 0]), X + 0j, 1j, np.complex64(1.0)])
def test_differentiated_argument_must_be_a_real_plain_array(w):
    with pytest.raises(ad.UnsupportedArgumentError):
        ad.grad(weighted)(w, np.ones(3))


def test_subclass_message_says_what_to_do():
    with pytest.raises(ad.UnsupportedArgumentError, match=r"np.asarray\(M\).*`@`"):
        ad.grad(weighted)(X, np.matrix(np.ones(3)))
    with pytest.raises(ad.UnsupportedArgumentError, match=r"M.filled"):
        ad.grad(weighted)(X, np.ma.masked_array(np.ones(3)))


@pytest.mark.parametrize("M", [
    np.array([1.0, -2.0, 0.5]), np.float64(2.5), np.array(1.5), 3, True, [1.0, 2.0, 3.0], (0.5, 1.0, 2.0),
    np.array([1, 2, 3]), np.array([True, False, True]),
])
def test_plain_arguments_still_differentiate(M):
    close(weighted, (X.copy(), M))
    close(mean_of, (X.copy(), M))


def with_options(w, M, label="sum", unused=None):
    s = np.sum(M * w)
    if label == "double":
        s = s * 2.0
    return s


def from_containers(w, p, d):
    return np.sum(p["a"] * w) + np.sum(d.X @ w)


def test_dicts_and_objects_of_plain_arrays_pass():
    close(from_containers, (X.copy(), {"a": np.arange(3.0)}, types.SimpleNamespace(X=np.ones((2, 3)))))


@pytest.mark.parametrize("label, unused", [("double", None), ("sum", 2.0), ("x", np.float32(0.5))])
def test_strings_none_and_floats_pass(label, unused):
    close(with_options, (X.copy(), np.array([1.0, -1.0, 2.0]), label, unused))


def complex_literal(w, a):
    return np.abs(1.0 / (1j * w + a)) ** 2


def complex_call(w, a):
    return np.abs(complex(w, a))


def complex_dtype(w, a):
    z = np.asarray(w, dtype=np.complex128)
    return np.sum(np.abs(z * a))


def complex_astype(w, a):
    z = w.astype("complex64")
    return np.sum(np.abs(z * a))


def complex_fft(w, a):
    return np.sum(np.abs(np.fft.fft(w * a)))


PHASE = np.exp(1j * np.arange(3.0))


def complex_global(w, a):
    return np.sum(np.abs(w * PHASE)) * a


def complex_positional(w, a):
    return np.sum(np.abs(np.zeros(3, "complex") + w)) * a


def complex_eigenvalues(w, a):
    return np.sum(np.abs(np.linalg.eigvals(np.array([[0.0, -1.0], [1.0, 0.0]])) * w)) * a


@pytest.mark.parametrize("fn", [complex_literal, complex_call, complex_dtype, complex_astype, complex_fft,
                                complex_global, complex_positional, complex_eigenvalues])
def test_complex_values_made_inside_are_refused_where_written(fn):
    with pytest.raises(ad.UnsupportedSyntaxError, match="complex") as info:
        ad.grad(fn)
    assert info.value.location is not None and info.value.location.filename == __file__


def as_matrix(w, a):
    return np.sum(np.asmatrix(w) * a)


def view_matrix(w, a):
    return np.sum(w.view(np.matrix) * a)


def masked_mean(w, a):
    return np.ma.mean(np.ma.masked_less(w * a, 0.0))


def masked_module(w, a):
    ma = np.ma
    return np.sum(ma.array(w, mask=[0, 1, 0]) * a)


@pytest.mark.parametrize("fn", [as_matrix, view_matrix, masked_mean])
def test_subclasses_made_inside_are_refused_where_written(fn):
    with pytest.raises(ad.UnsupportedSyntaxError, match="subclass") as info:
        ad.grad(fn)
    assert info.value.location is not None and info.value.location.filename == __file__


def test_a_module_of_subclasses_bound_to_a_local_is_refused():
    with pytest.raises(ad.AdtransformError):
        ad.grad(masked_module)


def fortran_order(w, a):
    return np.sum(np.ravel(np.outer(w, a), "F") * np.arange(9.0))


def test_real_code_with_f_order_is_not_taken_for_complex():
    try:  # (the F order itself is another class of issue 10: a rule may refuse it)
        ad.grad(fortran_order)
    except ad.AdtransformError as exc:
        assert "complex" not in str(exc)


# --- class 7: names rebound between calls -------------------------------------------------------------

ACT = np.tanh


def uses_act(x):
    return np.sum(ACT(x) * x)


def test_rebinding_a_global_function_follows_what_is_called():
    global ACT
    g = ad.grad(uses_act)
    try:
        for act in (np.tanh, np.sin, np.exp, np.tanh, np.sin):
            ACT = act
            np.testing.assert_allclose(g(X), numeric_grad(uses_act, (X,)), rtol=1e-5, atol=1e-7)
            close(uses_act, (X,))  # a fresh grad(f) too
    finally:
        ACT = np.tanh


def test_value_and_grad_and_vjp_follow_a_rebinding_too():
    global ACT
    vg = ad.value_and_grad(uses_act)
    try:
        for act in (np.sin, np.arctan):
            ACT = act
            value, grad = vg(X)
            assert value == pytest.approx(uses_act(X))
            np.testing.assert_allclose(grad, numeric_grad(uses_act, (X,)), rtol=1e-5)
            out, pullback = ad.vjp(uses_act, X)
            np.testing.assert_allclose(pullback(1.0)[0], numeric_grad(uses_act, (X,)), rtol=1e-5)
    finally:
        ACT = np.tanh


def test_rebinding_back_reuses_the_earlier_transform(monkeypatch):
    global ACT
    calls = []
    real = pipeline.gradient
    monkeypatch.setattr(pipeline, "gradient", lambda *a, **k: calls.append(1) or real(*a, **k))
    api._cache.clear()
    try:
        g = ad.grad(uses_act)
        for act in (np.sin, np.tanh, np.sin, np.tanh):
            ACT = act
            g(X)
        assert len(calls) == 2
    finally:
        ACT = np.tanh


def make_closure():
    act = np.tanh

    def inner(x):
        return np.sum(act(x) ** 2)

    def rebind(new):
        nonlocal act
        act = new

    return inner, rebind


def test_rebinding_a_closure_cell_through_nonlocal():
    inner, rebind = make_closure()
    g = ad.grad(inner)
    np.testing.assert_allclose(g(X), numeric_grad(inner, (X,)), rtol=1e-5)
    rebind(np.sin)
    np.testing.assert_allclose(g(X), numeric_grad(inner, (X,)), rtol=1e-5)
    rebind(np.arctan)
    np.testing.assert_allclose(g(X), numeric_grad(inner, (X,)), rtol=1e-5)


def test_closures_made_by_one_factory_get_their_own_rules():
    funcs = []
    for act in (np.tanh, np.sin, np.exp):
        inner, rebind = make_closure()
        rebind(act)
        funcs.append(inner)
    for inner in funcs:
        close(inner, (X,))


cfg = types.ModuleType("cfg")
cfg.act = np.tanh
cfg.scale = 2.0


def uses_module_attribute(x):
    return np.sum(cfg.act(x)) * cfg.scale


def test_rebinding_a_module_attribute():
    g = ad.grad(uses_module_attribute)
    try:
        close(uses_module_attribute, (X,))
        cfg.act = np.sin
        np.testing.assert_allclose(g(X), numeric_grad(uses_module_attribute, (X,)), rtol=1e-5)
        close(uses_module_attribute, (X,))  # a fresh grad(f): the cache must not hand back tanh's
        cfg.act, cfg.scale = np.cos, 3.0
        np.testing.assert_allclose(g(X), numeric_grad(uses_module_attribute, (X,)), rtol=1e-5)
    finally:
        cfg.act, cfg.scale = np.tanh, 2.0


LIB = np


def uses_module_alias(x):
    return np.sum(LIB.tanh(x))


def test_rebinding_the_module_itself():
    global LIB
    g = ad.grad(uses_module_alias)
    fake = types.ModuleType("fake")
    fake.tanh = np.sin
    try:
        LIB = fake
        np.testing.assert_allclose(g(X), np.cos(X), rtol=1e-12)
    finally:
        LIB = np
    np.testing.assert_allclose(g(X), 1 - np.tanh(X) ** 2, rtol=1e-12)


DATA = np.array([1.0, 2.0, 3.0])


def uses_data(x):
    return np.sum(np.sin(x) * DATA)


def test_rebinding_data_is_read_at_call_time_without_transforming_again(monkeypatch):
    global DATA
    calls = []
    real = pipeline.gradient
    monkeypatch.setattr(pipeline, "gradient", lambda *a, **k: calls.append(1) or real(*a, **k))
    api._cache.clear()
    g = ad.grad(uses_data)
    try:
        for k in range(5):
            DATA = np.arange(3.0) * k - 1.0
            np.testing.assert_allclose(g(X), np.cos(X) * DATA, rtol=1e-12)
            ad.grad(uses_data)
        assert len(calls) == 1
    finally:
        DATA = np.array([1.0, 2.0, 3.0])


# --- class 8: source edited after import --------------------------------------------------------------

MODULE = '''
import numpy as np


def f(x):
    return np.sum(np.tanh(x) * 2.0)


def make(c):
    def h(x):
        return np.sum(np.exp(x) * c)
    return h


class K:
    s = 2.0

    def m(self, x):
        return np.sum(x ** 2) * self.s

    def sup(self, x):
        base = super().__class__  # zero-argument super(): the method's __class__ cell
        return np.sum(np.sin(x) * x)


lam = lambda x: np.sum(np.cos(x) * x)


def loop(x):
    s = 0.0
    for i in range(3):
        if s > 1.0:
            s = s + x[i] * np.sin(x[i])
        else:
            s = s - x[i] * 2.0
    return s
'''


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    path = tmp_path / "adt_trust_edited.py"
    path.write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("adt_trust_edited", None)
    module = importlib.import_module("adt_trust_edited")
    yield module, path
    sys.modules.pop("adt_trust_edited", None)
    linecache.checkcache(str(path))


def test_unedited_functions_of_every_kind_pass(module_file):
    m, _ = module_file
    close(m.f, (X,))
    close(m.make(1.5), (X,))
    close(m.K.m, (m.K(), X), wrt=1)
    close(m.K.sup, (m.K(), X), wrt=1)
    close(m.lam, (X,))
    close(m.loop, (X,))


@pytest.mark.parametrize("edit", [
    lambda s: s.replace("np.tanh(x) * 2.0", "np.sin(x) * 2.0"),      # the function's own text
    lambda s: s.replace("np.tanh(x) * 2.0", "np.tanh(x) * 3.0"),     # a constant
    lambda s: s.replace("def f(x):\n", "def f(x):\n    x = x * 2.0\n"),   # a line added
])
def test_edited_source_is_refused(module_file, edit):
    m, path = module_file
    path.write_text(edit(MODULE))
    linecache.checkcache(str(path))
    api._cache.clear()
    with pytest.raises(ad.SourceUnavailableError, match="reload"):
        ad.grad(m.f)


def test_edited_closure_and_loop_are_refused(module_file):
    m, path = module_file
    path.write_text(MODULE.replace("np.exp(x) * c", "np.exp(x) + c").replace("x[i] * 2.0", "x[i] * 4.0"))
    linecache.checkcache(str(path))
    api._cache.clear()
    with pytest.raises(ad.StaleSourceError):
        ad.grad(m.make(1.5))
    with pytest.raises(ad.StaleSourceError):
        ad.grad(m.loop)


def test_a_reloaded_module_is_differentiated_as_it_now_reads(module_file):
    m, path = module_file
    close(m.f, (X,))  # linecache now holds the first text
    path.write_text(MODULE.replace("np.tanh(x) * 2.0", "np.sin(x) * 2.5 + x ** 3"))
    m = importlib.reload(m)
    got = close(m.f, (X,))
    np.testing.assert_allclose(got, 2.5 * np.cos(X) + 3 * X ** 2, rtol=1e-12)


# --- class 13: messages -------------------------------------------------------------------------------

def branch_only(x):
    if x > 0:
        y = x * 2
    return y


def loop_only(x, n):
    for i in range(n):
        y = x * i
    return y


def used_after(x):
    if x > 0:
        y = x * 2
    z = np.sin(y) + 1.0
    return z


@pytest.mark.parametrize("fn, args", [(branch_only, (-1.0,)), (loop_only, (1.0, 0)), (used_after, (-1.0,)),
                                      (branch_only, (np.array(-2.0),))])
def test_unassigned_variable_raises_the_users_unboundlocalerror(fn, args):
    with pytest.raises(UnboundLocalError):
        fn(*args)
    with pytest.raises(UnboundLocalError, match="'y'"):
        ad.grad(fn)(*args)


def test_assigned_path_still_differentiates():
    close(branch_only, (1.5,))
    close(loop_only, (1.5, 3))
    close(used_after, (0.7,))


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@logged
def decorated(x):
    return np.sum(x ** 2)


def test_functools_wraps_wrapper_message():
    with pytest.raises(ad.SourceUnavailableError, match=r"wrapper.*__wrapped__") as info:
        ad.grad(decorated)
    assert "async" not in str(info.value)
    close(decorated.__wrapped__, (X,))


@pytest.mark.parametrize("make", [ad.grad, ad.value_and_grad, lambda f: ad.grad(f, wrt=(0,))])
def test_grad_of_a_gradient_says_higher_order_is_not_supported(make):
    with pytest.raises(ad.SourceUnavailableError, match="higher-order") as info:
        ad.grad(make(lambda x: x ** 3))
    assert "async" not in str(info.value)


# --- class 14: what the cache keeps, who waits ---------------------------------------------------------

def _generated_entries() -> int:
    return sum(1 for name in linecache.cache if name.startswith("<adtransform: "))


def _made_at_run_time(k: int):
    namespace = {"np": np}
    text = f"def made(x):\n    return np.sum(np.sin(x) * {k + 1}.0)\n"
    name = f"<trust-api-exec-{k}>"
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    exec(compile(text, name, "exec"), namespace)
    return namespace["made"], name


def test_functions_made_at_run_time_do_not_accumulate():
    gc.collect()
    before = _generated_entries()
    refs = []
    for k in range(30):
        fn, name = _made_at_run_time(k)
        np.testing.assert_allclose(ad.grad(fn)(X), np.cos(X) * (k + 1), rtol=1e-12)
        refs.append(weakref.ref(fn))
        del fn
        linecache.cache.pop(name)
    gc.collect()
    assert all(r() is None for r in refs)
    assert _generated_entries() <= before + 2


def test_linecache_entry_lives_with_its_gradient():
    fn, name = _made_at_run_time(99)
    gc.collect()
    before = _generated_entries()
    g = ad.grad(fn)
    assert g.__code__.co_filename in linecache.cache  # tracebacks and inspect.getsource
    assert _generated_entries() == before + 1
    del g, fn
    linecache.cache.pop(name)
    gc.collect()
    assert _generated_entries() == before


def test_rebinding_many_times_keeps_a_bounded_number_of_transforms():
    global ACT
    gc.collect()
    before = _generated_entries()
    try:
        for k in range(3 * api._VARIANTS):
            ACT = functools.partial(np.polyval, [1.0, k])  # a new object each time: no rule, refused
            with pytest.raises(ad.AdtransformError):
                ad.grad(uses_act)
            ACT = [np.sin, np.cos, np.tanh, np.exp, np.arctan, np.sinh, np.cosh, np.log1p, np.expm1,
                   np.sqrt][k % 10]
            ad.grad(uses_act)(np.abs(X) + 0.1)
    finally:
        ACT = np.tanh
    gc.collect()
    entry = api._cache[uses_act.__code__]
    assert all(len(v) <= api._VARIANTS for v in entry.variants.values())
    assert _generated_entries() <= before + 2 * (api._VARIANTS + 1)  # (each may have its general version)


def test_a_cache_hit_does_not_wait_for_another_functions_transform(monkeypatch):
    def slow(x):
        return np.sum(np.cos(x))

    def quick(x):
        return np.sum(np.sin(x))

    ad.grad(quick)  # cached
    started, release = threading.Event(), threading.Event()
    real = pipeline.gradient

    def blocking(fn, *args, **kwargs):
        if fn is slow:
            started.set()
            release.wait(60)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(pipeline, "gradient", blocking)
    results = {}
    transform = threading.Thread(target=lambda: results.setdefault("slow", ad.grad(slow)(X)))
    transform.start()
    try:
        assert started.wait(60)
        hit = threading.Thread(target=lambda: results.setdefault("quick", ad.grad(quick)(X)))
        fresh = threading.Thread(target=lambda: results.setdefault("fresh", ad.grad(uses_data)(X)))
        hit.start()
        fresh.start()
        hit.join(60)
        fresh.join(60)
        assert not release.is_set() and "quick" in results and "fresh" in results  # neither waited
    finally:
        release.set()
        transform.join(60)
    np.testing.assert_allclose(results["quick"], np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(results["slow"], -np.sin(X), rtol=1e-12)


def test_closures_of_one_code_do_not_wait_for_each_other(monkeypatch):
    first, _ = make_closure()
    second, rebind = make_closure()
    rebind(np.sin)
    started, release = threading.Event(), threading.Event()
    real = pipeline.gradient

    def blocking(fn, *args, **kwargs):
        if fn is first:
            started.set()
            release.wait(60)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(pipeline, "gradient", blocking)
    api._cache.clear()
    results = {}
    blocked = threading.Thread(target=lambda: results.setdefault("first", ad.grad(first)(X)))
    blocked.start()
    try:
        assert started.wait(60)
        other = threading.Thread(target=lambda: results.setdefault("second", ad.grad(second)(X)))
        other.start()
        other.join(60)
        assert not release.is_set() and "second" in results
    finally:
        release.set()
        blocked.join(60)
    np.testing.assert_allclose(results["second"], numeric_grad(second, (X,)), rtol=1e-5)
    np.testing.assert_allclose(results["first"], numeric_grad(first, (X,)), rtol=1e-5)


def test_concurrent_first_calls_of_one_function_transform_it_once(monkeypatch):
    source = textwrap.dedent("""
        def shared(x):
            return np.sum(np.tanh(x) * 3.0)
    """)
    namespace = {"np": np}
    linecache.cache["<trust-api-shared>"] = (len(source), None, source.splitlines(True), "<trust-api-shared>")
    exec(compile(source, "<trust-api-shared>", "exec"), namespace)
    shared = namespace["shared"]
    calls = []
    real = pipeline.gradient
    monkeypatch.setattr(pipeline, "gradient", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = []
    threads = [threading.Thread(target=lambda: out.append(ad.grad(shared)(X))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(out) == 6
    for g in out:
        np.testing.assert_allclose(g, 3.0 * (1 - np.tanh(X) ** 2), rtol=1e-12)
