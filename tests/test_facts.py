"""The facts registry (rules/registry.py): declarations checked against NumPy, conservative defaults,
calls that change their arguments (issue 10, class 4) and views the analysis must know (class 5)."""

from __future__ import annotations

import functools
import itertools
import math
import operator
import types

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.rules.registry import Returns as R
from adtransform.rules.registry import _registry, lookup_facts

# --- the declared facts, checked empirically ---------------------------------------------------------


def _samples() -> list[np.ndarray]:
    base = np.arange(1.0, 13.0).reshape(3, 4) / 7.0
    return [base[0].copy(), base, base[:, 1::2], base.T, np.array(0.75), np.array([0.5]),
            np.array([[0.25]]), base[1], np.arange(4), np.array([True, False, True])]  # views, 0-d, size-1,
    # transposed, integers, booleans


_EXTRA = [(), (0,), (1,), (-1,), ((2, 2),), ((3, 4),), (0.5,), ([0],), (None,)]


def _arrays_in(value: object) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in _arrays_in(item)]
    return []


def _numpy_primitives() -> list[object]:
    found = []
    for primitive in list(_registry.facts):
        module = getattr(primitive, "__module__", None) or ""
        owner = getattr(primitive, "__objclass__", None)
        if (isinstance(primitive, np.ufunc) or module.startswith("numpy") or owner is np.ndarray) \
                and "random" not in module:
            found.append(primitive)
    return found


def _calls(primitive: object):
    """(args) tuples the primitive accepts, with one or two sample arrays and an optional extra."""
    yield from [(3,), ((2, 3),), (4, 0.5), (2, 3)]
    for a, extra in itertools.product(_samples(), _EXTRA):
        yield (a, *extra)
    for a, b in itertools.product(_samples()[:4], repeat=2):
        yield (a, b)
    for a in _samples():
        yield from [(a, 0, 1), (a, [0], 0.5), (a, a, a), (a, a > 0.5, 0.5), (a, 1, 0)]


@pytest.mark.parametrize("primitive", _numpy_primitives(), ids=lambda p: getattr(p, "__qualname__", repr(p)))
def test_declared_facts_hold_for_numpy(primitive):
    """A result declared new shares no memory with any argument, and no argument not declared
    changed is changed (views, 0-d and size-1 inputs included): a wrong declaration fails here."""
    facts = lookup_facts(primitive)
    ran = 0
    for args in _calls(primitive):
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        try:
            result = primitive.__get__(copies[0]) if isinstance(primitive, types.GetSetDescriptorType) \
                else primitive(*copies)
        except Exception:  # an argument pattern the primitive does not take
            continue
        ran += 1
        for i, (before, after) in enumerate(zip(args, copies)):
            if isinstance(before, np.ndarray) and not facts.changes(position=i):
                assert np.array_equal(before, after, equal_nan=True), f"{primitive} changed argument {i}"
        if facts.fresh and not any(facts.changes(position=i) for i in range(len(args))):  # (outputs)
            for out in _arrays_in(result):
                for arg in copies:
                    if isinstance(arg, np.ndarray):
                        assert not np.shares_memory(out, arg), f"{primitive} declared new returns a view: {args}"
    if not ran:
        pytest.skip(f"no sample call of {primitive} runs")


def test_facts_of_numbers_are_numbers():
    for f in (math.exp, math.log, math.sqrt, math.sin, math.atan2, math.hypot, math.gamma, float, int, len):
        assert lookup_facts(f).returns is R.NUMBER
    assert isinstance(math.gamma(2.5), float)
    assert lookup_facts(math.floor).returns is R.MAY_SHARE  # calls `x.__floor__()`: may return anything


def test_outputs_are_changed_whatever_the_declaration():
    assert lookup_facts(np.exp).changes(position=1)        # np.exp(x, buf)
    assert not lookup_facts(np.exp).changes(position=0)
    assert lookup_facts(np.sum).changes(keyword="out")
    assert lookup_facts(np.sum).changes(position=3)        # np.sum(a, axis, dtype, out)
    assert lookup_facts(np.dot).changes(position=2)        # np.dot(a, b, out)
    assert lookup_facts(np.add.at).changes(position=0)     # a ufunc method: derived
    assert lookup_facts(np.ndarray.sort).changes(position=0)


def test_conservative_defaults():
    def unknown(a):
        return a

    facts = lookup_facts(unknown)
    assert facts.returns is R.MAY_SHARE and facts.changes(position=0) and facts.effects and not facts.known
    # A rule that declares nothing: its result may share memory; it changes only `out`.
    def opaque(a, out=None):
        return a

    @ad.adjoint(opaque)
    def opaque_rule(y, a, out=None):
        ad.d[a] = ad.d[y]

    facts = lookup_facts(opaque)
    assert facts.returns is R.MAY_SHARE and not facts.changes(position=0) and facts.changes(position=1)
    assert facts.known and not facts.effects


def test_runtime_helpers_are_declared():
    import adtransform.runtime as rt

    for name in rt.__all__:
        assert lookup_facts(getattr(rt, name)).known, name


# --- class 4: calls that change an argument ------------------------------------------------------------


def _fd_safe(f):
    """`f` on copies of its arguments: the finite differences must not see f's own changes."""
    @functools.wraps(f)
    def run(*args):
        return f(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args])
    return run


def _check(f, args, wrt=0):
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    check_grad(_fd_safe(f), args, wrt=wrt, grad_fn=ad.grad(f, wrt=wrt))
    for a, b in zip(args, before):  # the caller's arguments never change
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


def sorted_parameter(x, c):
    y = x * c
    c.sort()
    return np.sum(y * c) + np.sum(x * c[0])


def filled(x, c):
    y = x * c
    c.fill(2.0)
    return np.sum(y * c)


def put_into(x, c):
    y = x * c
    np.put(c, [0, 2], [5.0, -1.0])
    return np.sum(y * c)


def put_masked(x, c):
    y = x * c
    np.putmask(c, c > 1.5, 0.5)
    return np.sum(y * c)


def placed(x, c):
    y = x * c
    np.place(c, c > 1.5, [4.0])
    return np.sum(y * c)


def copied_to(x, c):
    y = x * c
    np.copyto(c, x)  # an index write of x: differentiated
    return np.sum(y * c)


def added_at(x, c):
    y = x * c
    np.add.at(c, [0, 0, 1], 1.0)
    return np.sum(y * c)


def diagonal_filled(x, M):
    y = x @ M
    np.fill_diagonal(M, 3.0)
    return np.sum((y @ M) ** 2)


def put_along(x, M):
    y = x @ M
    np.put_along_axis(M, np.array([[0], [1], [2]]), 9.0, axis=1)
    return np.sum(y @ M)


def partitioned(x, c):
    y = x * c
    c.partition(1)
    return np.sum(y * c)


def multiplied_into(x, c):
    buf = np.zeros(3)
    np.multiply(x, c, out=buf)
    return np.sum(buf * buf)


def cumsum_into(x, c):
    buf = np.empty(3)
    np.cumsum(c, out=buf)
    return np.sum(buf * x)


def exp_in_place(x):
    buf = x * 1.0
    t = np.exp(buf, out=buf)  # `t` is `buf`: kept, never dropped
    return np.sum(t * x)


def sin_of_parameter_in_place(x):
    np.sin(x, out=x)  # the caller's `x` must not change
    return np.sum(x * x)


def reused_buffer_in_a_loop(x, c):
    buf = np.zeros(3)
    s = 0.0
    for k in range(3):
        np.multiply(x, c * k, out=buf)
        s = s + np.sum(buf * x)
    return s


def positional_out(x, c):
    buf = np.zeros(3)
    np.add(x, c, buf)
    return np.sum(buf ** 2)


def read_across_a_change(x, c):
    a = float(c[0])
    c.sort()
    b = c[0]  # not the same value as `a`: never merged
    return np.sum(x * a + x ** 2 * b)


def _unknown(source: str, name: str):
    """A function the compiler knows nothing about: without a source file it is not inlined (issue 12)."""
    made: dict = {"__builtins__": __builtins__, **globals()}
    exec(source, made)
    return made[name]


# changes its argument
scramble = _unknown("def scramble(a):\n    a[0] = 7.0\n    return 1.0\n", "scramble")


def unknown_call_changes(x, c):
    y = x * c
    scramble(c)
    return np.sum(y * c)


@pytest.mark.parametrize("f", [sorted_parameter, filled, put_into, put_masked, placed, copied_to, added_at,
                               partitioned, multiplied_into, cumsum_into, reused_buffer_in_a_loop, positional_out,
                               read_across_a_change, unknown_call_changes])
def test_calls_that_change_an_array_are_seen(f):
    x = np.array([0.3, -1.2, 0.8])
    c = np.array([3.0, 1.0, 2.0])
    _check(f, (x, c))


@pytest.mark.parametrize("f", [diagonal_filled, put_along])
def test_matrix_changes_are_seen(f):
    x = np.array([0.3, -1.2, 0.8])
    M = np.arange(9.0).reshape(3, 3) / 5.0
    _check(f, (x, M))


@pytest.mark.parametrize("f", [exp_in_place, sin_of_parameter_in_place])
def test_outputs_written_in_place_are_differentiated(f):
    _check(f, (np.array([0.3, -1.2, 0.8]),))


def test_an_effect_is_not_dropped():
    src = ad.grad(exp_in_place).source
    assert "np.exp(" in src


def sorted_differentiated(x):
    y = x * 2.0
    y.sort()
    return np.sum(y * np.arange(3.0))


def put_differentiated(x, c):
    np.put(c, [0], x[1])
    return np.sum(c * x)


def added_at_parameter(x):
    np.add.at(x, [0, 0], 1.0)
    return np.sum(x * x)


def unknown_changes_differentiated(x):
    scramble(x)
    return np.sum(x * x)


def list_inserted(x):
    items = [x]
    if x.size: items.insert(0, x * 2.0)  # noqa: E701  (grown in a branch: stays a list, whose `insert` has no rule)
    return np.sum(items[1])


@pytest.mark.parametrize("f, line", [(sorted_differentiated, 2), (put_differentiated, 1), (added_at_parameter, 1),
                                     (unknown_changes_differentiated, 1), (list_inserted, 2)])
def test_changes_of_differentiated_values_are_refused(f, line):
    with pytest.raises(ad.NoAdjointRuleError, match="changes its argument in place") as info:
        ad.grad(f)(np.array([0.3, -1.2, 0.8]), *([np.ones(3)] if f is put_differentiated else []))
    assert info.value.location.line == f.__code__.co_firstlineno + line


def alias_sees_the_sort(x, c):
    t = c
    c.sort()
    return np.sum(x * t)


def view_sees_the_fill(x, c):
    t = c[1:]
    c.fill(0.0)
    return np.sum(x[1:] * t)


def unnamed_view_changed(x, c):
    c[1:].sort()
    return np.sum(x * c)


G = np.array([3.0, 1.0, 2.0])


def global_sorted(x):
    G.sort()
    return np.sum(x * G)


@pytest.mark.parametrize("f, match", [(alias_sees_the_sort, "`c` may share memory with `t`"),
                                      (view_sees_the_fill, "`c` may share memory with `t`"),
                                      (unnamed_view_changed, "may share memory with `c`"),
                                      (global_sorted, "global `G`")])
def test_changes_seen_through_other_names_are_refused(f, match):
    with pytest.raises(ad.UnsupportedSyntaxError, match=match) as info:
        ad.grad(f)
    assert info.value.location.filename == __file__


def tally(a):  # changes nothing: once declared, a call of it copies nothing
    return float(np.sum(a))


ad.declare_facts(tally, returns=ad.Returns.NUMBER)


def uses_tally(x, c):
    return np.sum(x * c) * tally(c)


def test_declared_facts_let_a_call_through():
    assert "writable_copy" not in ad.grad(uses_tally).source
    _check(uses_tally, (np.array([0.3, -1.2, 0.8]), np.array([3.0, 1.0, 2.0])))


# --- class 5: views the analysis did not know ----------------------------------------------------------


def einsum_diagonal(x, M):
    D = np.einsum("ii->i", M)
    D += x
    return np.sum(M * x)


def conj_of_real(x, c):
    d = c.conj()  # a real array's conj() is the array itself
    d += x
    return np.sum(c * x)


def view_method(x, c):
    v = c.view()
    v += x
    return np.sum(c * x)


def from_buffer(x, c):
    v = np.frombuffer(c)
    c += x
    return np.sum(v * x)


def base_attribute(x, c):
    t = c[1:]
    b = t.base
    c += x
    return np.sum(b * x)


def einsum_transpose(x, M):
    T = np.einsum("ij->ji", M)
    M += 1.0
    return np.sum(T @ x)


def as_array(x, c):
    a = np.asarray(c)
    c += x
    return np.sum(a * x)


def strided(x, c):
    w = np.lib.stride_tricks.sliding_window_view(c, 2)
    c += x
    return np.sum(w[0] * x[:2])


@pytest.mark.parametrize("f", [einsum_diagonal, conj_of_real, view_method, from_buffer, base_attribute,
                               einsum_transpose, as_array, strided])
def test_unknown_views_are_refused(f):
    # (called with arrays: an update of a parameter nothing indexes is accepted when it holds a number)
    with pytest.raises(ad.UnsupportedSyntaxError, match="may share memory") as info:
        ad.grad(f)(np.ones(2), np.ones((2, 2)))
    assert info.value.construct == "in-place update of an alias"
    assert info.value.location.filename == __file__


def conj_updated_alone(x, c):
    d = c.conj()
    d += x
    return np.sum(d * x)


def einsum_then_new(x, M):
    D = np.einsum("ii->i", M)
    D = D + x
    return np.sum(D * x) + np.sum(M)


@pytest.mark.parametrize("f", [conj_updated_alone, einsum_then_new])
def test_views_updated_alone_are_differentiated(f):
    x = np.array([0.3, -1.2, 0.8])
    second = np.arange(9.0).reshape(3, 3) if f is einsum_then_new else np.array([3.0, 1.0, 2.0])
    _check(f, (x, second))


def test_an_unknown_function_may_return_its_argument():
    def ident(a):
        return a

    assert lookup_facts(ident).returns is R.MAY_SHARE


def reshaped_under_alias(x, c):
    r = xp.reshape(c, (3, 1))
    c += x
    return np.sum(r[:, 0] * x)


def reshaped_imported(x, c):
    r = reshape(c, (3, 1))
    c += x
    return np.sum(r[:, 0] * x)


xp = np
reshape = np.reshape


@pytest.mark.parametrize("f", [reshaped_under_alias, reshaped_imported])
def test_functions_resolve_through_the_namespace(f):
    with pytest.raises(ad.UnsupportedSyntaxError, match="`c` may share memory with `r`"):
        ad.grad(f)


def test_operators_are_new():
    assert lookup_facts(operator.add).fresh and lookup_facts(operator.getitem).returns is R.VIEW


_KEPT = np.array([1.0, 2.0, 3.0])


# returns memory it keeps: an update through its result changes a global
kept_array = _unknown("def kept_array():\n    return _KEPT\n", "kept_array")


def unknown_result_updated(x):
    t = kept_array()
    t += x
    return np.sum(t * x)


def test_unknown_result_updated_in_place_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="what `kept_array` returns") as info:
        ad.grad(unknown_result_updated)
    assert info.value.location.line == unknown_result_updated.__code__.co_firstlineno + 2
    np.testing.assert_array_equal(_KEPT, [1.0, 2.0, 3.0])


_COUNTER = np.array([1.0, 2.0])


# changes a global behind the function's back: no argument says so
_bump = _unknown("def _bump():\n    _COUNTER[0] += 1.0\n", "_bump")


def global_read_across_an_unknown_call(x):
    a = _COUNTER[0]
    _bump()
    b = _COUNTER[0]  # not `a`: an unknown call may change what a global refers to
    return x * a + x * x * b


def test_reads_of_globals_across_unknown_calls_are_refused():
    # (was: both reads merged into one, a silently wrong gradient; CSE no longer merges them either)
    with pytest.raises(ad.NoAdjointRuleError, match="may change the global `_COUNTER`"):
        ad.grad(global_read_across_an_unknown_call)


def global_read_by_the_backward_sweep(x):
    y = np.sum(x * _COUNTER)
    _bump()  # the backward sweep would read `_COUNTER` after this change
    return y


def test_unknown_calls_are_refused_where_the_backward_sweep_reads_a_global():
    with pytest.raises(ad.NoAdjointRuleError, match="may change the global `_COUNTER`") as info:
        ad.grad(global_read_by_the_backward_sweep)
    assert info.value.location.line == global_read_by_the_backward_sweep.__code__.co_firstlineno + 2


def global_view_read_by_the_backward_sweep(x):
    v = _COUNTER[0:2]
    y = np.sum(x[:2] * v)
    _bump()
    return y


def test_unknown_calls_are_refused_where_a_global_view_is_read():
    with pytest.raises(ad.NoAdjointRuleError, match="may change the global `_COUNTER`"):
        ad.grad(global_view_read_by_the_backward_sweep)


def out_as_a_tuple(x, c):
    buf = np.zeros(3)
    np.multiply(x, c, out=(buf,))
    return np.sum(buf * x)


def out_nested_in_an_expression(x, c):
    buf = np.zeros(3)
    y = np.sum(np.multiply(c, 2.0, out=buf)) + np.sum(buf * x)
    return y


@pytest.mark.parametrize("f", [out_as_a_tuple, out_nested_in_an_expression])
def test_outputs_in_other_forms(f):
    _check(f, (np.array([0.3, -1.2, 0.8]), np.array([3.0, 1.0, 2.0])))


_module = types.ModuleType("holder")  # a module holding an array
_module.MODULE_ARRAY = np.array([1.0, 2.0])


def module_array_changed(x):
    np.put(_module.MODULE_ARRAY, [0], 9.0)
    return np.sum(x)


def test_a_module_array_changed_by_a_call_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="global `_module.MODULE_ARRAY`"):
        ad.grad(module_array_changed)
    np.testing.assert_array_equal(_module.MODULE_ARRAY, [1.0, 2.0])


def method_with_out(x, c):
    M = np.outer(x, c)
    buf = np.zeros(3)
    M.sum(axis=0, out=buf)
    return np.sum(buf * buf)


def test_a_method_writing_into_out_is_differentiated():
    _check(method_with_out, (np.array([0.3, -1.2, 0.8]), np.array([3.0, 1.0, 2.0])))


_DRAWS = [0.0]


def _draw():  # a sampler: each call differs
    _DRAWS[0] += 1.0
    return _DRAWS[0]


ad.declare_facts(_draw, returns=ad.Returns.NUMBER, effects=True)


def two_draws(x):
    a = _draw()
    b = _draw()  # never merged with `a`: the facts say the call has effects
    return x * a + x * x * b


def test_calls_with_effects_are_never_merged():
    _DRAWS[0] = 0.0
    assert ad.grad(two_draws)(2.0) == pytest.approx(1.0 + 2.0 * 2.0 * 2.0)
    assert "writable_copy" not in ad.grad(two_draws).source  # declared: changes nothing
