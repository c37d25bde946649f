"""`L[k] op= e` through a container's entry: NumPy changes the array held there, which every other
holder sees (another entry, a name, a global). Refused with the location, or accepted where the
entries are provably each a new array or a number (then checked against finite differences)."""

import inspect

import aliases_container_programs as P
import autograd
import numpy as np
import pytest

import adtransform as ad
from adtransform.errors import UnsupportedSyntaxError

X = np.array([0.3, 0.7, 1.1])

REFUSED = [
    (P.f_static, (), "L[0] += 1.0"),
    (P.f_repeat, (), "L[0] += 1.0"),
    (P.f_repeat_new, (), "L[0] += 1.0"),
    (P.f_comprehension, (), "L[0] += 1.0"),
    (P.f_list_of_tuple, (), "L[0] += 1.0"),
    (P.f_list_add, (), "L[1] *= 3.0"),
    (P.f_dict, (), 'd["a"] += 1.0'),
    (P.f_appended, (3,), "L[0] += 1.0"),
    (P.f_loop, (3,), "L[i] += 1.0"),
    (P.f_helper, (), "L[0] += 1.0"),
    (P.f_name, (), "L[0] += 1.0"),
    (P.f_global, (), 'd["a"] += 1.0'),
    (P.f_entry_written_then_shared, (), "y += 1.0"),
    (P.f_dict_holds_name, (), "y += 1.0"),
]


def _line_of(fn, text: str) -> int:
    """The line of `text` in `fn` (in the helper it calls, for `f_helper`)."""
    lines, start = inspect.getsourcelines(P.bump if fn is P.f_helper else fn)
    return next(i for i, line in enumerate(lines, start) if line.strip() == text)


@pytest.mark.parametrize("fn, extra, text", REFUSED, ids=[f.__name__ for f, _, _ in REFUSED])
def test_shared_entry_update_refused_with_location(fn, extra, text):
    before = P.G.copy()
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.grad(fn)(X.copy(), *extra)
    message = str(info.value)
    assert f"aliases_container_programs.py:{_line_of(fn, text)}:" in message
    assert "in-place update" in message
    np.testing.assert_array_equal(P.G, before)  # the global is left alone


def _central(fn, x, extra, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (fn(x + e, *extra) - fn(x - e, *extra)) / (2 * eps)
    return g


ACCEPTED = [(P.ok_new_entries, ()), (P.ok_dict_new, ()), (P.ok_appended_new, (3,)), (P.ok_numbers, ()),
            (P.ok_comprehension_new, ())]


@pytest.mark.parametrize("fn, extra", ACCEPTED, ids=[f.__name__ for f, _ in ACCEPTED])
def test_unshared_entry_update_accepted(fn, extra):
    x = X.copy()
    value, grad = ad.value_and_grad(fn)(x, *extra)
    np.testing.assert_array_equal(x, X)  # the caller's array is unchanged
    assert value == pytest.approx(fn(X.copy(), *extra))
    np.testing.assert_allclose(grad, _central(fn, X.copy(), extra), rtol=1e-5, atol=1e-7)
    # autograd reads `L[k] += e` as a new value bound to the entry: right here, as no other holder sees it
    np.testing.assert_allclose(grad, autograd.grad(fn)(X.copy(), *extra), rtol=1e-10)


def _line(fn, text: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return next(i for i, line in enumerate(lines, start) if line.strip() == text)


SHARED_ARGUMENTS = [
    (P.p_flat, lambda a: (a, a), "a += 1.0"),
    (P.p_flat, lambda a: (a, a[::2]), "a += 1.0"),  # a view of it
    (P.p_leaf, lambda a: ({"a": a, "b": a},), 'd["a"] += 1.0'),
    (P.p_list, lambda a: ([a, a],), "L[0] *= 2.0"),
]


@pytest.mark.parametrize("fn, args, text", SHARED_ARGUMENTS, ids=["flat", "view", "dict", "list"])
def test_argument_updated_in_place_sharing_memory_refused_at_call(fn, args, text):
    a = X.copy()
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.value_and_grad(fn)(*args(a))
    message = str(info.value)
    assert f"aliases_container_programs.py:{_line(fn, text)}:" in message
    assert "sharing memory" in message
    np.testing.assert_array_equal(a, X)  # the caller's array is unchanged


def test_argument_updated_in_place_apart_accepted():
    """The same functions, given arrays that share nothing: the gradient NumPy's meaning has."""
    b = X * 3.0 - 0.2
    value, (ga, gb) = ad.value_and_grad(P.p_flat, wrt=(0, 1))(X.copy(), b.copy())
    assert value == pytest.approx(P.p_flat(X.copy(), b.copy()))
    np.testing.assert_allclose(ga, _central(lambda a: P.p_flat(a, b.copy()), X.copy(), ()), rtol=1e-5)
    np.testing.assert_allclose(gb, autograd.grad(P.p_flat, 1)(X.copy(), b.copy()), rtol=1e-10)
    grads = ad.grad(P.p_leaf)({"a": X.copy(), "b": b.copy()})
    np.testing.assert_allclose(grads["a"], _central(lambda a: P.p_leaf({"a": a, "b": b.copy()}), X.copy(), ()),
                               rtol=1e-5)
    np.testing.assert_allclose(grads["b"], X + 1.0, rtol=1e-12)
    grads = ad.grad(P.p_list)([X.copy(), b.copy()])
    np.testing.assert_allclose(grads[0], 2.0 * b, rtol=1e-12)  # d/dL0 of sum(2 L0 * L1)
    np.testing.assert_allclose(grads[1], 2.0 * X, rtol=1e-12)
