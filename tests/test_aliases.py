"""In-place updates (`y += e`) against names sharing memory: refused when NumPy's meaning differs.

adtransform differentiates `y += e` as `y = y + e`. Each refused function below would otherwise
get a silently wrong gradient (found by the random-program property tests); each accepted one is
checked against finite differences.
"""

import copy
import inspect
import math
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_grad, check_grad_values

import adtransform as ad


def ternary_alias(x):
    t = x if np.sum(x) > 0 else x * 2.0
    x -= 0.5 * np.tanh(x)
    return np.sum(x * t)


def tuple_alias(x):
    t, u = x, 1.0
    x -= 0.5 * np.tanh(x)
    return np.sum(x * t * u)


def loop_row_alias(M):
    for row in M:
        row *= 2.0
    return np.sum(M * M)


def enumerate_row_alias(M):
    s = 0.0
    for i, row in enumerate(M):
        row *= float(i + 1)
        s = s + np.sum(M)
    return s


def branch_alias(x):
    if np.sum(x) > 0:
        t = x
    else:
        t = x * 2.0
    x += np.sin(x)
    return np.sum(x * t)


def chain_alias(x):
    t = x
    u = t
    x *= 3.0
    return np.sum(u)


def stale_copy_alias(x):
    t = x.T
    x += 1.0
    u = t
    return np.sum(u * u)


def helper(a):
    return a


def call_alias(x):
    t = helper(x)
    x *= 2.0
    return np.sum(t * x)


def asarray_alias(x):
    t = np.asarray(x)
    x *= 2.0
    return np.sum(t * x)


def update_of_the_stale_name(x):
    t = x
    x += 1.0
    t += 1.0
    return np.sum(x)


def aliased_in_a_later_iteration(x):
    t = x * 1.0
    s = 0.0
    for i in range(3):
        x += 1.0
        s = s + np.sum(t * t)  # from the second iteration on, `t` is x's buffer
        t = x
    return s


@pytest.mark.parametrize("fn", [ternary_alias, tuple_alias, loop_row_alias, enumerate_row_alias, branch_alias,
                                chain_alias, stale_copy_alias, call_alias, asarray_alias,
                                update_of_the_stale_name, aliased_in_a_later_iteration])
def test_update_seen_through_another_name_is_refused(fn):
    # (refused when called with an array: accepted for numbers, which `+=` rebinds; test_effects_numbers.py)
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias") as info:
        ad.grad(fn)(np.ones((2, 3)))
    # (with what later stages refuse: `call_alias` calls a user function)
    error = next(p for p in info.value.problems if p.construct == "in-place update of an alias")
    assert error.location.filename == __file__
    source_line = Path(__file__).read_text().splitlines()[error.location.line - 1]
    assert "=" in source_line and source_line.split("=")[0].strip()[-1] in "+-*/"  # points at the update


def carried(x):
    # `t` is x's buffer from the second iteration on, but it is read before the update changes it.
    t = x * 1.0
    for i in range(2):
        x += np.sin(t)
        t = x
    return np.sum(x * t)


def rows_not_read_again(M):
    s = 0.0
    for row in M:
        row *= 2.0
        s = s + np.sum(row * row)
    return s


def unpacked_parts(v):
    a, b = v
    a += 3.0 * b
    return a * b


def rebound_before_read(x):
    t = x
    x += 1.0
    t = np.tanh(x)
    return np.sum(t * x)


def accumulator(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    total = s
    s *= 2.0
    return s + total * 0.0 + np.sum(x)


def fresh_from_numpy(x):
    t = np.tanh(x)
    t += x
    y = x.sum()
    y *= 2.0
    return np.sum(t * x) + y


@pytest.mark.parametrize("fn, shape", [(carried, (3,)), (rows_not_read_again, (3, 2)), (unpacked_parts, (2,)),
                                       (rebound_before_read, (3,)), (fresh_from_numpy, (4,))])
def test_update_no_other_name_sees_is_differentiated(fn, shape):
    x = np.random.default_rng(0).normal(size=shape)
    check_grad(fn, (x,))


def test_accumulator_copied_before_its_update_is_refused():
    # `total = s` binds the same object; for a scalar `s *= 2.0` rebinds, for an array it writes in place.
    with pytest.raises(ad.UnsupportedSyntaxError, match="may share memory with `total`"):
        ad.grad(accumulator)


# Calls made for what they change are invisible to SSA: refused when they touch a differentiated value.

def extended(x):
    lst = []
    if x.size > 0: lst.insert(0, x * 2.0)  # noqa: E701  (grown in a branch: stays a list, whose `insert` has no rule)
    return np.sum(lst[0] * x)


def sorted_in_place(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(3.0))


def written_through_out(x):
    y = np.zeros(3)
    np.sin(x, out=y, where=x > 0.0)  # (without `where`, an index write of a new value: differentiated)
    return np.sum(y * x)


@pytest.mark.parametrize("fn, construct", [(extended, "call of `insert` for its effect"),
                                           (sorted_in_place, "call of `sort` for its effect"),
                                           (written_through_out, "`out=`")])
def test_calls_that_change_a_differentiated_value_are_refused(fn, construct):
    with pytest.raises(ad.NoAdjointRuleError, match="changes its argument in place") as info:
        ad.grad(fn)
    assert info.value.construct == construct
    assert info.value.location.line == fn.__code__.co_firstlineno + 2


def printed(x):
    y = np.tanh(x)
    print("y is", y)
    return np.sum(y)


def test_printing_a_differentiated_value_is_fine(capsys):
    x = np.array([0.2, -0.4, 0.9])
    check_grad(printed, (x,))


# Found by the in-place property test: loops over an array that the body updates, and parts of
# one array reached through different routes (unpacking, loop rows, reversed views).

def updates_the_iterated_array(x):
    s = 0.0
    for e in x:
        s = s + e * e
        x += 1.0
    return s


def updates_the_iterated_rows(x):
    M = x * np.ones((2, 3))
    s = 0.0
    for row in M:
        s = s + np.sum(row * row)
        M += 1.0
    return s


def loop_row_meets_unpacked_row(x):
    M = x * np.ones((2, 3))
    a, b = M
    for row in M:
        row *= 2.0
    return np.sum(a * a)


def reversed_view_meets_unpacked_row(x):
    M = x * np.ones((2, 3))
    a, b = M
    c, d = M[::-1]
    c *= 2.0
    return np.sum(b * b)


def reversed_view_write(x):
    M = x * np.ones((2, 3))
    a, b = M
    c, d = M[::-1]
    c[1] = 5.0 * x[0]
    return np.sum(b * b)


@pytest.mark.parametrize("fn", [updates_the_iterated_array, updates_the_iterated_rows, loop_row_meets_unpacked_row,
                                reversed_view_meets_unpacked_row, reversed_view_write])
def test_parts_of_one_array_reached_two_ways_are_refused(fn):
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an (alias|iterated array)") as info:
        ad.grad(fn)
    assert info.value.location.filename == __file__


def test_iterated_array_refusal_suggests_valid_python():
    def f(x):
        s = 0.0
        for i, (a, b) in enumerate(zip(x, x[1:])):  # noqa: RUF007 (the advice names both arrays)
            s = s + i * a * b
            x += 1.0
        return s
    with pytest.raises(ad.UnsupportedSyntaxError, match="iterated array") as info:
        ad.grad(f)
    advice = str(info.value).split("(`", 1)[1].split("`)", 1)[0]
    assert advice == "for i, (a, b) in enumerate(zip(x.copy(), x[1:].copy())):"
    compile(advice + " pass", "<advice>", "exec")


# A list's (or tuple's) copy, sum or repetition is a new container holding the same arrays: an
# in-place update of one of them is seen through both. (Each gave a silently wrong gradient.)

def list_copy_iterated(x):
    a = np.ones(3)
    s = 0.0
    for e in [a, a].copy():
        a += x
        s = s + np.sum(e * x)
    return s


def list_copy_read(x):
    a = np.ones(3)
    pair = [a, a]
    copied = pair.copy()
    a += x
    return np.sum(copied[0] * x)


def list_sum_read(x):
    a = np.ones(3)
    pair = [a] + [a]  # noqa: RUF005
    a += x
    return np.sum(pair[0] * x)


def list_repeat_read(x):
    a = np.ones(3)
    pair = [a] * 2
    a += x
    return np.sum(pair[1] * x)


def tuple_sum_read(x):
    a = np.ones(3)
    pair = (a, a) + ()  # noqa: RUF005
    a += x
    return np.sum(pair[0] * x)


def element_of_copy_updated(x):
    a = np.ones(3)
    copied = [a, a].copy()
    copied[0] += x
    return np.sum(a * x)


def element_of_original_updated(x):
    a = np.ones(3)
    pair = [a, a]
    copied = pair.copy()
    for e in pair:
        e += x
    return np.sum(copied[0] * x)


@pytest.mark.parametrize("fn", [list_copy_iterated, list_copy_read, list_sum_read, list_repeat_read, tuple_sum_read,
                                element_of_copy_updated, element_of_original_updated])
def test_copies_of_lists_share_their_elements(fn):
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias") as info:
        ad.grad(fn)
    assert info.value.location.filename == __file__


def list_summed_with_start(x):
    a = np.ones(3)
    pair = sum([[a], [a]], [])  # noqa: RUF017
    a += x
    return np.sum(pair[0] * x)


def list_copied_by_copy_module(x):
    a = np.ones(3)
    pair = copy.copy([a, a])
    a += x
    return np.sum(pair[0] * x)


def list_extended_in_place(x):
    a = np.ones(3)
    items = []
    items += [a]
    a += x
    return np.sum(items[0] * x)


def list_extended_in_a_loop(x):
    a = np.ones(3)
    items = []
    for _ in range(2):
        items += [a]
    a += x
    return np.sum(items[1] * x)


def list_appended(x):
    a = np.ones(3)
    items = []
    items.append(a)
    a += x
    return np.sum(items[0] * x)


def list_extended_by_method(x):
    a = np.ones(3)
    items = []
    items.extend([a])
    a += x
    return np.sum(items[0] * x)


def list_element_stored(x):
    a = np.ones(3)
    items = [np.zeros(3)]
    items[0] = a
    a += x
    return np.sum(items[0] * x)


def shadowing_builtin_returns_its_argument(x):
    a = np.ones(3)
    b = abs(a)
    a += x
    return np.sum(b * x)


def numpy_view_under_another_name(x):
    a = np.ones(4)
    b = numpy_module.reshape(a, (2, 2))
    a += x
    return np.sum(b[0] * x[:2])


def abs(v):  # shadows the builtin: may return its argument
    return v


numpy_module = np


@pytest.mark.parametrize("fn", [list_summed_with_start, list_copied_by_copy_module, list_extended_in_place,
                                list_extended_in_a_loop, list_appended, list_extended_by_method, list_element_stored,
                                shadowing_builtin_returns_its_argument, numpy_view_under_another_name])
def test_lists_filled_in_other_ways_share_their_elements(fn):
    """Each gave a silently wrong gradient: the list (or result) holds `a` itself."""
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias") as info:
        ad.grad(fn)
    assert info.value.location.filename == __file__


def array_copy_then_update(x, c):
    b = np.tanh(c) * x
    y = b.copy()
    z = b * 2.0 + x
    b += x
    z += b
    return np.sum(y * x) + np.sum(b * x) + np.sum(z * z)


def test_copies_of_arrays_are_apart():
    rng = np.random.default_rng(3)
    x, c = rng.normal(size=3), rng.normal(size=3)
    check_grad(array_copy_then_update, (x, c), wrt=0)


def list_argument_copied(x, xs):
    ys = xs.copy()
    xs[0] += x
    return np.sum(ys[0] * x)


def test_argument_taken_for_an_array_is_checked_at_call_time():
    """The analysis takes `xs` to be an array (its copy is then apart); a list is refused when called."""
    rng = np.random.default_rng(4)
    x, xs = rng.normal(size=3), rng.normal(size=(2, 3))
    g = ad.grad(list_argument_copied, wrt=0)(x, xs.copy())
    check_grad_values(lambda x, xs: list_argument_copied(x, xs.copy()), (x, xs), g, wrt=0)
    with pytest.raises(ad.UnsupportedArgumentError, match="`xs` holds a list"):
        ad.grad(list_argument_copied, wrt=0)(x, [np.ones(3), np.ones(3)])


def loop_over_list_argument(x, scales):
    out = np.zeros(3)
    for k in scales:
        out[0] += k * x[0]
    return np.sum(out * x)


def test_list_arguments_need_no_check_where_nothing_is_copied():
    x = np.array([0.3, -1.2, 2.1])
    assert ad.grad(loop_over_list_argument, wrt=0)(x, [1.0, 2.0])[0] == pytest.approx(6.0 * x[0])


def coefficient_scaled(x, coeffs):
    z = coeffs[0] * x
    z += 1.0
    return np.sum(z * coeffs[1])


def coefficients_unpacked(x, coeffs):
    a, b = coeffs
    z = a * x
    z += b
    return np.sum(z * z)


def coefficients_iterated(x, coeffs):
    z = x * 1.0
    for c in coeffs:
        w = c * x
        z += w
    return np.sum(z * z)


@pytest.mark.parametrize("fn", [coefficient_scaled, coefficients_unpacked, coefficients_iterated])
@pytest.mark.parametrize("coeffs", [[0.5, 2.0], (0.5, 2.0)])
def test_lists_of_numbers_pass_the_call_time_check(fn, coeffs):
    """Only their elements' sharing mattered: numbers are never changed in place (refused before)."""
    check_grad(fn, (np.array([0.3, -1.2, 2.1]), coeffs), wrt=0)


def numbers_plus_array_list(x, coeffs):
    a = np.ones(3)
    items = coeffs + [a]  # noqa: RUF005
    a += x
    return np.sum(items[-1] * x)


def numbers_copied_then_extended(x, coeffs):
    a = np.ones(3)
    items = coeffs.copy()
    items += [a]
    a += x
    return np.sum(items[-1] * x)


def numbers_repeated_then_appended(x, coeffs):
    a = np.ones(3)
    items = coeffs * 1
    items.append(a)
    a += x
    return np.sum(items[-1] * x)


def numbers_copied_then_stored_into(x, coeffs):
    a = np.ones(3)
    items = coeffs.copy()
    items[0] = a
    a += x
    return np.sum(items[0] * x)


@pytest.mark.parametrize("fn", [numbers_plus_array_list, numbers_copied_then_extended, numbers_repeated_then_appended,
                                numbers_copied_then_stored_into])
def test_lists_of_numbers_that_gain_arrays_are_refused_at_call_time(fn):
    """The analysis took `coeffs` to be no list at all: the result would hold `a` itself."""
    x = np.array([0.3, -1.2, 2.1])
    with pytest.raises(ad.UnsupportedArgumentError, match="`coeffs` holds a list"):
        ad.grad(fn, wrt=0)(x, [0.5, 2.0])


# The builtin `sum(items, start)` is `start` itself when there are no items, and `start + item + ...`: a new
# list (or tuple) of the items' elements when `start` is one. (Each gave a silently wrong gradient.)

def sum_of_nothing_updated(x):
    a = np.tanh(x)
    c = sum([], a)
    c += x
    return np.sum(np.sin(a) * x)


def sum_with_start_keyword_updated(x):
    a = np.tanh(x)
    c = sum((), start=a)
    c *= x
    return np.sum(np.sin(a) * x)


def sum_of_lists_element_updated(x):
    a = np.tanh(x)
    q = sum([[a], [x * 2.0]], [])  # noqa: RUF017
    u = q[0]
    u += x
    return np.sum(np.sin(a) * x)


def sum_of_tuples_iterated(x):
    a, b = np.tanh(x), x * 2.0
    for v in sum(((a,), (b,)), ()):
        v += x
    return np.sum(a * b)


@pytest.mark.parametrize("fn", [sum_of_nothing_updated, sum_with_start_keyword_updated, sum_of_lists_element_updated,
                                sum_of_tuples_iterated])
def test_builtin_sum_with_a_start_shares_it(fn):
    """Refused with the location (as now), or right: never NumPy's value with the functional gradient."""
    try:
        check_grad(fn, (np.array([0.3, -1.2, 2.1]),), wrt=0)
    except ad.UnsupportedSyntaxError as exc:
        assert "in-place update of an alias" in str(exc) and exc.location.filename == __file__, str(exc)


def sum_of_numbers_then_update(x):
    k = sum([1.0, 2.0], 0.5)
    y = x * k
    y += x
    return np.sum(y * x) + k


def test_builtin_sum_with_a_number_start_shares_nothing():
    check_grad(sum_of_numbers_then_update, (np.array([0.3, -1.2, 2.1]),), wrt=0)


# Numbers are immutable: `s += e` on a name proven to hold a number rebinds it and changes no alias.
# Proven: literals, `float()`, `int()`, `len()`, `math` functions, `range`/`enumerate` counters and
# arithmetic on those. Each accepted function has a close twin where the alias can really be seen.

def float_copied(x):
    s = float(np.sum(x * x))
    t = s
    s += 1.0
    s *= 2.0
    return t * np.sum(x) + s


def math_accumulator(x):
    s = 0.5
    out = 0.0
    for i in range(len(x)):
        total = s
        s += math.sin(float(i))  # a number plus a number
        out = out + x[i] * total * s
    return out


def counter_copied(x):
    s = 0.0
    for i in range(3):
        j = i
        i += 1
        s = s + x[j] * i
    for k, e in enumerate(x):
        m = k
        k *= 2
        s = s + e * (m + k)
    return s


def parameter_copied(s, x):
    # `s` may be a 0-d array, which `+=` changes in place: `t` changes too.
    t = s
    s += 1.0
    return t * np.sum(x) + s


def became_an_array(x):
    s = 0.0
    s += x  # now an array: the next `+=` writes into it
    t = s
    s += 1.0
    return np.sum(t * x) + np.sum(s)


def float_shadowed(x, float):
    s = float(x)  # not the builtin: here `np.asarray`, which returns `x` itself
    t = s
    s += 1.0
    return np.sum(t * x)


def math_prod_copied(x):
    s = math.prod([x, x])  # multiplies arrays: an array
    t = s
    s += 1.0
    return np.sum(t * x)


@pytest.mark.parametrize("fn", [float_copied, math_accumulator, counter_copied])
def test_numbers_copied_then_updated_are_differentiated(fn):
    x = np.array([0.3, -0.7, 1.1])
    check_grad(fn, (x,))


@pytest.mark.parametrize("fn, args", [(parameter_copied, (np.array(0.5), np.ones(3))),
                                      (became_an_array, (np.ones(3),)),
                                      (float_shadowed, (np.ones(3), np.asarray)),
                                      (math_prod_copied, (np.ones(3),))])
def test_values_not_proven_numbers_are_refused(fn, args):
    # (`float_shadowed`: a function without facts may return memory it keeps: refused at the update)
    with pytest.raises(ad.UnsupportedSyntaxError,
                       match="in-place update of (an alias|an unknown function's result)") as info:
        ad.grad(fn)(*args)
    assert info.value.location.filename == __file__
    assert "`t`" in str(info.value) or "what `float` returns" in str(info.value)
    # The alias is real: NumPy's value differs from the one of `t = s; s = s + 1.0`.
    source = inspect.getsource(fn).replace("s += 1.0", "s = s + 1.0").replace(fn.__name__, "functional")
    namespace = dict(fn.__globals__)
    exec(compile(source, "<functional>", "exec"), namespace)
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    assert not np.allclose(fn(*args), namespace["functional"](*copies))


# Recency: a loop that builds a new array each iteration keeps the new one apart from the old ones.

def new_array_each_iteration(x):
    cur = x * 1.0
    s = 0.0
    for i in range(3):
        prev = cur
        cur = np.tanh(cur)
        prev *= 2.0  # the previous iteration's array: `cur` is a new one
        s = s + np.sum(prev * cur)
    return s


def swapped_with_a_new_array(x):
    a = x * 1.0
    b = x * 2.0
    s = 0.0
    for i in range(3):
        a, b = b, np.sin(a)
        a *= 0.5
        s = s + np.sum(a * b)
    return s


def view_each_iteration(x):
    cur = x * 1.0
    s = 0.0
    for i in range(3):
        prev = cur
        cur = cur[::-1]  # a view: `prev *= 2.0` changes it
        prev *= 2.0
        s = s + np.sum(prev * cur)
    return s


def test_new_arrays_in_loops_are_differentiated():
    x = np.array([0.3, -0.7, 1.1])
    check_grad(new_array_each_iteration, (x,))
    check_grad(swapped_with_a_new_array, (x,))


def test_views_in_loops_are_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="`prev` may share memory with `cur`"):
        ad.grad(view_each_iteration)


def numpy_out(x):
    buf = np.zeros(3)
    t = np.multiply(np.ones(3), 2.0, out=buf)  # returns `buf`
    buf += 1.0
    return np.sum(t * x)


def test_out_argument_is_what_a_call_returns():
    # Was differentiated as if `t` were a new array: gradient 2 where NumPy's function has slope 3.
    with pytest.raises(ad.UnsupportedSyntaxError, match="`buf` may share memory with `t`"):
        ad.grad(numpy_out)


# Nothing runs after `return`, `break` or `continue`: an alias made just before one is not seen by
# the statements that follow in the loop body, nor on the path that falls through the `if`.

def aliased_then_returned(x, n):
    a = x * 1.0
    b = x * 2.0
    for i in range(n):
        if i == 2:
            b = a
            return np.sum(b * x)
        a *= 0.5
    return np.sum(a * b)


def aliased_then_broke(x, n):
    a = x * 1.0
    b = x * 2.0
    for i in range(n):
        if i == 1:
            b = a
            break
        a *= 0.5
    return np.sum(a * b * x)


def aliased_then_continued(x, n):
    a = x * 1.0
    b = x * 2.0
    for i in range(n):
        if i == 1:
            b = a
            continue  # the next iteration's update changes `b` too
        a *= 0.5
    return np.sum(a * b * x)


@pytest.mark.parametrize("fn", [aliased_then_returned, aliased_then_broke])
def test_alias_made_before_leaving_is_differentiated(fn):
    x = np.array([0.3, -0.7, 1.1])
    for n in range(5):
        check_grad(fn, (x, n))


def test_alias_made_before_continue_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="`a` may share memory with `b`"):
        ad.grad(aliased_then_continued)
    x = np.array([0.3, -0.7, 1.1])
    assert aliased_then_continued(x.copy(), 3) != np.sum(x * 0.25 * x * x)  # what `a = a * 0.5` would give


def array_without_copy(x):
    buf = np.ones(3)
    t = np.array(buf, copy=False)  # `buf` itself
    buf += 1.0
    return np.sum(t * x)


def test_array_without_copy_is_its_argument():
    with pytest.raises(ad.UnsupportedSyntaxError, match="`buf` may share memory with `t`"):
        ad.grad(array_without_copy)


# Names swapped in a loop each may point to both arrays, yet never share memory: known to be apart.

def double_buffer(x):
    cur = x * 1.0
    nxt = np.zeros(3)
    for i in range(3):
        nxt[:] = np.tanh(cur) + 0.5 * cur[::-1]
        cur, nxt = nxt, cur
    return np.sum(cur * cur)


def swapped_then_updated(x):
    a = x * 1.0
    b = x * 2.0
    for i in range(3):
        a, b = b, a
        a *= 0.5 + 0.1 * i
        b = b + 0.0 * i if i == 1 else b
    return np.sum(a * b)


def double_buffer_of_one_array(x):
    cur = x * 1.0
    nxt = cur  # one array under two names: the write changes `cur` too
    for i in range(3):
        nxt[:] = np.tanh(cur) + 0.5 * cur[::-1]
        cur, nxt = nxt, cur
    return np.sum(cur * cur)


def swapped_views(x):
    a = x * 1.0
    b = a[::-1]  # a view of `a`: swapping does not make them apart
    for i in range(3):
        a, b = b, a
        a *= 0.5
    return np.sum(a * b)


def test_swapped_arrays_are_differentiated():
    x = np.array([0.3, -0.7, 1.1])
    check_grad(double_buffer, (x,))
    check_grad(swapped_then_updated, (x,))


@pytest.mark.parametrize("fn", [double_buffer_of_one_array, swapped_views])
def test_swapped_names_of_shared_memory_are_refused(fn):
    with pytest.raises(ad.UnsupportedSyntaxError, match="in-place update of an alias"):
        ad.grad(fn)


# A global array changed in place would stay changed for later calls: refused, even through an alias.

GLOBAL_WEIGHTS = np.array([1.0, 2.0, 3.0])
GLOBAL_SCALE = 2.0


def updates_a_global_through_an_alias(x):
    w = GLOBAL_WEIGHTS
    w += 1.0  # NumPy changes GLOBAL_WEIGHTS, for this call and the next ones
    return np.sum(GLOBAL_WEIGHTS * x)


def writes_a_global_row_through_an_alias(x):
    w = GLOBAL_WEIGHTS[0:2]
    w[0] = 5.0
    return np.sum(GLOBAL_WEIGHTS * x)


def updates_a_copy_of_a_global_number(x):
    s = GLOBAL_SCALE
    s += 1.0  # a number: rebinds `s` only
    return np.sum(s * x * GLOBAL_SCALE)


@pytest.mark.parametrize("fn", [updates_a_global_through_an_alias, writes_a_global_row_through_an_alias])
def test_global_arrays_changed_through_an_alias_are_refused(fn):
    with pytest.raises(ad.UnsupportedSyntaxError, match="may share memory with the global `GLOBAL_WEIGHTS`") as info:
        ad.grad(fn)
    assert info.value.construct == "in-place update of a global array"
    assert info.value.location.line == fn.__code__.co_firstlineno + 2


def test_global_number_copied_then_updated_is_differentiated():
    check_grad(updates_a_copy_of_a_global_number, (np.array([0.3, -0.7, 1.1]),))


def test_numpy_functions_that_may_return_their_argument_are_views():
    # Found in review: np.real_if_close returns a real array itself, np.trim_zeros a slice of it.
    def through_real_if_close(x):
        y = x * 1.0
        z = np.real_if_close(y)
        z *= 2.0
        return np.sum(y * x)

    def through_trim_zeros(x):
        y = x * 1.0
        z = np.trim_zeros(y)
        z *= 2.0
        return np.sum(y * x)

    for f in (through_real_if_close, through_trim_zeros):
        with pytest.raises(ad.UnsupportedSyntaxError, match="z"):
            ad.grad(f)
