"""In-place updates the alias analysis now tells apart: each entry of a display (`L = [y, x * 3.0]`) holds
its own memory, so does each constant entry of a parameter (`P["a"]`, `P[0]`: checked apart at call
time), and `a, b = L` binds each name to its entry's. Accepted programs are checked against central
finite differences (and autograd where it runs them); programs where the update really does reach
another name (the adversarial half) must be refused, located, or give NumPy's gradient."""

import copy
import dataclasses
import inspect
import logging

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from gradcheck import assert_trees_close, check_grad, tree_fd

import adtransform as ad
from adtransform.errors import UnsupportedSyntaxError

X = np.array([0.3, 0.7, 1.1])


def _pair(x):
    return x * 2.0, x


def unpacked_helper_result(x):
    h, x = _pair(x)
    h -= x
    return np.sum(h * x)


def unpacked_helper_numbers(a, b):
    h, b = _pair(a + b)
    h -= b
    return h * b


def _bump(v, w):
    v += w
    return v * 2.0


def fresh_argument_updated_in_helper(x):
    y = _bump(x * 3.0, x)
    return np.sum(y * x)


def display_entry(x):
    y = x * 2.0
    L = [y, x * 3.0]
    L[1] += 1.0
    return np.sum(y * L[1])


def dict_display_entry(x):
    y = np.sin(x)
    d = {"a": y, "b": x * 2.0}
    d["b"] *= 3.0
    return np.sum(y * d["b"] + d["a"])


def unpacked_display(x):
    y = np.cos(x)
    L = [x * 2.0, y]
    a, b = L
    a += 1.0
    return np.sum(a * b * y)


def matrix_rows(P):
    a = P[0]
    b = P[1]
    a += 1.0
    return np.sum(np.sin(a) * b)


def packed_entries(P):
    a = P["a"]
    b = P["b"]
    a += b
    b *= 2.0
    return np.sum(a * b)


def packed_in_place(P):
    P["a"] -= 0.1 * P["b"]
    P["b"] -= 0.2 * P["a"]
    return np.sum(P["a"] * np.tanh(P["b"]))


def other_entry_read(P):
    a = P["a"]
    a += 1.0
    return np.sum(a * P["b"])


def display_other_entry_read(x):
    y = x * 2.0
    L = [y, x * 3.0]
    y += 1.0
    return np.sum(L[1] * y)


def nested_entries(P):
    x = P[0][0]
    y = P[1][0]
    x -= y * 0.5
    return np.sum(np.sin(x) * y)


def dict_copy_written(p, x):
    d2 = dict(p)
    d2["W"] = p["W"] * x
    d2["b"] = d2["b"] * 2.0
    return np.sum(np.sin(d2["W"]) + d2["b"] * p["b"])


@dataclasses.dataclass
class Config:
    scale: float
    shift: np.ndarray


def replaced_config(x):
    cfg = Config(2.0, x * 0.5)
    c2 = dataclasses.replace(cfg, shift=np.sin(x))
    return np.sum(c2.scale * c2.shift * cfg.shift)


def replaced_parameter(cfg, x):
    c2 = dataclasses.replace(cfg, scale=cfg.scale * 3.0)
    return np.sum(c2.scale * np.tanh(c2.shift * x))


def with_logger(x):
    log = logging.getLogger(__name__)
    log.debug("loss of %s", x.shape)
    return np.sum(x ** 2)


ARRAY = [unpacked_helper_result, fresh_argument_updated_in_helper, display_entry, dict_display_entry,
         unpacked_display, replaced_config, with_logger]


@pytest.mark.parametrize("fn", ARRAY, ids=lambda f: f.__name__)
def test_accepted_against_finite_differences(fn):
    check_grad(fn, (X.copy(),))


def test_display_entry_against_autograd():
    def ref(x):
        return anp.sum(2.0 * x * (3.0 * x + 1.0))
    np.testing.assert_allclose(ad.grad(display_entry)(X), autograd.grad(ref)(X), rtol=1e-12)


def test_other_entry_read_after_an_update():
    P = {"a": X.copy(), "b": X + 1.0}
    out = ad.grad(other_entry_read)(P)
    assert_trees_close(out, tree_fd(lambda p: other_entry_read({k: np.copy(v) for k, v in p.items()}), (P,), 0))
    check_grad(display_other_entry_read, (X.copy(),))


def test_nested_entries_of_a_packed_parameter():
    P = [[X.copy(), X + 1.0], [X + 2.0]]
    out = ad.grad(nested_entries)(P)
    assert_trees_close(out, tree_fd(lambda p: nested_entries([[np.copy(v) for v in row] for row in p]), (P,), 0))


def test_dict_copy_written():
    p = {"W": X * 1.5, "b": X + 0.2}
    out = ad.grad(dict_copy_written, wrt=(0, 1))(p, X.copy())
    assert_trees_close(out[0], tree_fd(lambda q, x: dict_copy_written({k: v.copy() for k, v in q.items()}, x),
                                       (p, X.copy()), 0))
    np.testing.assert_allclose(out[1], tree_fd(dict_copy_written, (p, X.copy()), 1), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(p["b"], X + 0.2)


def test_dict_copy_new_entry_updated():
    p = {"W": X.copy(), "b": X + 1.0}
    out = ad.grad(dict_copy_entry_new)(p)
    assert_trees_close(out, tree_fd(dict_copy_entry_new, (p,), 0))


def test_replaced_parameter_object():
    cfg = Config(0.7, X.copy())
    out = ad.grad(replaced_parameter)(cfg, X + 0.1)
    assert isinstance(out, Config)
    assert_trees_close(out, tree_fd(replaced_parameter, (cfg, X + 0.1), 0))


def test_logger_still_logs(caplog):
    with caplog.at_level(logging.DEBUG, logger=__name__):
        ad.grad(with_logger)(X.copy())
    assert "loss of (3,)" in caplog.text


def test_numbers_through_a_helper():
    check_grad(unpacked_helper_numbers, (0.3, 0.5), wrt=(0, 1))


def test_rows_of_a_matrix_parameter():
    check_grad(matrix_rows, (np.array([[0.3, 0.7], [1.1, -0.4]]),))


@pytest.mark.parametrize("fn", [packed_entries, packed_in_place], ids=lambda f: f.__name__)
@pytest.mark.parametrize("leaf", ["float", "array"])
def test_entries_of_a_packed_parameter(fn, leaf):
    P = {"a": 0.3, "b": 0.5} if leaf == "float" else {"a": X.copy(), "b": X + 1.0}
    before = {k: np.copy(v) for k, v in P.items()}
    out = ad.grad(fn)(P)
    assert_trees_close(out, tree_fd(lambda p: fn({k: np.copy(v) for k, v in p.items()}), (P,), 0),
                       rtol=1e-6, atol=1e-8)
    for k in P:  # the caller's arguments are left alone
        np.testing.assert_array_equal(P[k], before[k])


def test_one_array_in_two_entries_refused_at_the_call():
    with pytest.raises(UnsupportedSyntaxError) as info:
        y = X.copy()
        ad.grad(packed_entries)({"a": y, "b": y[:]})  # (a view: the same memory)
    assert "test_lang_alias_precision.py:" in str(info.value)


# --- the update really reaches another name: refused, located, or NumPy's gradient -------------------

def same_array_twice(x):
    y = x * 2.0
    L = [y, y]
    L[0] += 1.0
    return np.sum(L[1] * x)


def entry_is_a_name(x):
    y = x * 2.0
    L = [y, x * 3.0]
    L[0] += 1.0
    return np.sum(y * x)


def entry_read_before(x):
    L = [x * 2.0, x * 3.0]
    z = L[1]
    L[1] += 1.0
    return np.sum(z * L[1])


def entries_moved(x):
    y = x * 2.0
    L = [y, x * 3.0]
    L.insert(0, x * 5.0)
    L[1] += 1.0
    return np.sum(y * L[0])


def unpacked_name_updated(x):
    y = np.cos(x)
    L = [x * 2.0, y]
    a, b = L
    b += 1.0
    return np.sum(y * a)


def joined_displays(x, c):
    y = x * 2.0
    if c:
        L = [y, x * 3.0]
    else:
        L = [x * 3.0, y]
    L[1] += 1.0
    return np.sum(y * L[0])


def aged_entry(x):
    y = x * 2.0
    old = y
    L = [y]
    for _ in range(2):
        old = y
        L = [y, x]
        y = np.sin(y)
    L[0] += 1.0
    return np.sum(old * y)


def dict_copy_shares(p):
    d2 = dict(p)
    d2["b"] *= 2.0
    return np.sum(d2["b"] * p["b"])


def dict_copy_entry_moved(p):
    d2 = dict(p)
    d2["W"] = p["b"]
    d2["W"] += 1.0
    return np.sum(d2["b"] * d2["W"])


def dict_copy_entry_new(p):
    d2 = dict(p)
    d2["W"] = p["b"] * 2.0
    d2["W"] += 1.0
    return np.sum(d2["b"] * d2["W"])


def both_entries_updated(P):
    a = P["a"]
    b = P["b"]
    b += 1.0
    a += 1.0
    return np.sum(P["b"] * x_global())


def x_global():
    return X


def display_entry_read_after(x):
    y = x * 2.0
    L = [y, x * 3.0]
    y += 1.0
    return np.sum(L[0] * L[1])


def nested_same_entry(P):
    x = P[0][0]
    y = P[0][0]
    x -= 0.5
    return np.sum(np.sin(x) * y)


def nested_inside_updated(P):
    x = P[0]
    y = P[0][1]
    x *= 2.0
    return np.sum(np.sin(x[0]) * y)


def same_key_twice(P):
    a = P["a"]
    b = P["a"]
    a += 1.0
    return np.sum(a * b)


def negative_row(P):
    a = P[-1]
    b = P[1]
    a += 1.0
    return np.sum(np.sin(a) * b)


ALIASED = [
    (same_array_twice, (X,), "L[0] += 1.0"),
    (entry_is_a_name, (X,), "L[0] += 1.0"),
    (entry_read_before, (X,), "L[1] += 1.0"),
    (entries_moved, (X,), "L[1] += 1.0"),
    (unpacked_name_updated, (X,), "b += 1.0"),
    (joined_displays, (X, False), "L[1] += 1.0"),
    (aged_entry, (X,), "L[0] += 1.0"),
    (same_key_twice, ({"a": X, "b": X + 1.0},), "a += 1.0"),
    (nested_same_entry, ([[X, X + 1.0], [X + 2.0]],), "x -= 0.5"),
    (nested_inside_updated, (np.array([[[0.3, 0.7], [1.1, 0.2]], [[0.5, 0.1], [0.9, 1.3]]]),), "x *= 2.0"),
    (both_entries_updated, ({"a": X, "b": X + 1.0},), "a += 1.0"),
    (display_entry_read_after, (X,), "y += 1.0"),
    (dict_copy_shares, ({"a": X, "b": X + 1.0},), 'd2["b"] *= 2.0'),
    (dict_copy_entry_moved, ({"W": X, "b": X + 1.0},), 'd2["W"] += 1.0'),
    (negative_row, (np.array([[0.3, 0.7], [1.1, -0.4]]),), "a += 1.0"),
]


@pytest.mark.parametrize("fn, args, text", ALIASED, ids=[a[0].__name__ for a in ALIASED])
def test_real_aliases_refused_or_right(fn, args, text):
    """NumPy's meaning (the function run as written, on copies) is the truth the gradient must match."""
    def run(*a):
        return fn(*[copy.deepcopy(x) for x in a])
    try:
        out = ad.grad(fn)(*args)
    except UnsupportedSyntaxError as err:
        lines, start = inspect.getsourcelines(fn)
        line = next(i for i, src in enumerate(lines, start) if src.strip() == text)
        assert f"test_lang_alias_precision.py:{line}:" in str(err)
        return
    assert_trees_close(out, tree_fd(run, args, 0), rtol=1e-5, atol=1e-7)
