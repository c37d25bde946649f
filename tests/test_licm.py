"""Loop-invariant code motion: on the IR, on generated code, and on gradients."""

import math

import numpy as np
from gradcheck import check_grad
from source_patterns import blocks, code, has, names

import adtransform as ad
from adtransform.analysis.manager import PassContext
from adtransform.ir.nodes import Loop, Op
from adtransform.optimize import dce, licm
from adtransform.pipeline import primal_ir


def _names(body):
    """The user's variable behind each value defined at the top of `body` (`mass_1` -> `mass`)."""
    return [s.result.name.rstrip("_0123456789") for s in body if isinstance(s, Op) and s.result is not None]


def _primal(f):
    fn, _ = primal_ir(f)
    dce.transform(fn, PassContext.of(fn))  # as before reverse mode: loops stop carrying values nobody reads after them
    return fn


def _loop(fn):
    return _loop_in(fn.body)


def _product(fn):
    """The first product at the top of `fn`."""
    return next(s.result for s in fn.body if isinstance(s, Op) and str(s.callee) == "*")


def _loop_in(body):
    return next(s for s in body if isinstance(s, Loop))


def heat(T0, area, density, p):
    T = T0
    for i in range(5):
        mass = area * density          # invariant
        flux = p * math.pi             # invariant (reads a global)
        T = T + flux / mass * T        # reads the carried T
    return T


def heat_sum(T0, area, density, p):
    T = T0
    for i in range(5):
        mass = area * density
        T = T + p / mass * T
    return np.sum(T)


def test_invariants_move_before_the_loop():
    fn = _primal(heat)
    assert licm.transform(fn, PassContext.of(fn))
    loop = _loop(fn)
    assert {"mass", "flux"} <= set(_names(fn.body))
    assert not {"mass", "flux"} & set(_names(loop.body))
    assert not licm.transform(fn, PassContext.of(fn))


def unknown_trips(T0, area, density, n):
    T = T0
    for i in range(n):
        T = T + 1.0 / (area * density)
    return T


def with_effect(T0, area, density):
    T = T0
    for i in range(3):
        print(i)
        T = T + 1.0 / (area * density)
    return T


def in_branch(T0, area, density):
    T = T0
    for i in range(3):
        if T > 0.0:
            T = T + area * density
    return T


def test_what_stays_in_the_loop():
    # A loop that may not run, a loop with an effect, an operation under a branch.
    for f in (unknown_trips, with_effect, in_branch):
        fn = _primal(f)
        assert not licm.transform(fn, PassContext.of(fn)), f.__name__


def test_generated_gradient_computes_invariants_once():
    src = code(ad.grad(heat, wrt=(0, 1, 2, 3)).source)
    head = src.partition("for i in range(5):")[0]
    ((_, forward),) = blocks("for i in range(5):", src)
    ((_, in_loop),) = blocks("for {*} in reversed(range(5)):", src)
    after = src.partition(in_loop)[2]
    mass, flux = names("{mass} = area * density", head)["mass"], names("{flux} = p * math.pi", head)["flux"]
    assert has(f"{{div}} = {flux} / {mass}", head)
    assert not has(f"{{*}} = {{...}}{mass}", forward) and not has(f"{{*}} = {{...}}{flux}", forward)
    assert not has("{mass}", forward) and not has("{flux}", forward)
    assert has("stack.append({T})", forward) and forward.count("stack.append(") == 1  # invariants not recorded
    # Their adjoints accumulate in the backward loop; their rules run once, after it.
    assert has("{div_bar} = {div_bar} + ", in_loop) and has("{div_bar}", after)
    assert not has("{mass_bar}", in_loop) and not has("{flux_bar}", in_loop)
    assert has("{mass_bar} = ", after) and has("{flux_bar} = ", after) and has("{area_bar} = ", after)
    check_grad(heat, (1.5, 2.0, 3.0, 0.25), wrt=(0, 1, 2, 3))
    check_grad(heat_sum, (np.array([1.5, 0.5]), 2.0, np.array([3.0, 4.0]), 0.25), wrt=(0, 1, 2, 3))


def nested(x, w):
    s = 0.0
    for i in range(3):
        for j in range(2):
            s = s + np.sum(np.tanh(w * 2.0) * x) * (i + 1)
    return s


def test_nested_loops_hoist_through_both_levels():
    fn = _primal(nested)
    licm.transform(fn, PassContext.of(fn))
    assert "tanh" in _names(fn.body)
    outer = _loop(fn).body                                      # tanh is before the outer loop, in neither loop
    inner = [s for s in outer + _loop_in(outer).body if isinstance(s, Op)]
    assert inner and not any(str(s.callee) == "np.tanh" for s in inner)   # in neither loop
    check_grad(nested, (np.array([0.3, -0.2]), np.array([0.5, 1.5])), wrt=(0, 1))
    check_grad(unknown_trips, (1.0, 2.0, 3.0, 0), wrt=(0, 1, 2))
    check_grad(unknown_trips, (1.0, 2.0, 3.0, 4), wrt=(0, 1, 2))
    check_grad(in_branch, (1.0, 2.0, 3.0), wrt=(0, 1, 2))


def swap_in_loop(x):
    s = 0.0
    a = 0.5
    for i in range(3):
        s, a = a, x * 2.0
    return np.sum(s)


def test_next_values_of_carried_stay_in_the_loop():
    fn = _primal(swap_in_loop)
    assert licm.transform(fn, PassContext.of(fn))                                            # x * 2.0 leaves the loop
    loop = _loop(fn)
    s, a = loop.carried                                         # in the order the user wrote them
    inside = {op.result: op for op in loop.body if isinstance(op, Op)}
    before = {op.result: op for op in fn.body if isinstance(op, Op)}
    # s's next value is a copy of a's param: it stays in the loop, and still reads the param
    assert s.next in inside
    value = s.next
    while value in inside and str(inside[value].callee) == "copy":
        value = inside[value].args[0]
    assert value is a.param
    # a's next value does not read the loop's params: it is computed once, before the loop
    value = a.next
    while value in before and str(before[value].callee) == "copy":
        value = before[value].args[0]
    assert value in before and str(before[value].callee) == "*" and not any(
        str(op.callee) == "*" for op in inside.values())
    check_grad(swap_in_loop, (np.array([0.3, 1.0]),))


def running_cost(p, w):
    cost = 0.0
    T = 1.0
    for t in range(6):
        T = T * 0.5 + p
        cost = cost + w * T**2
    return cost


def test_a_value_handed_on_unchanged_is_no_longer_carried():
    # The backward loop's adjoint of `cost` is the same every iteration (cost is a sum).
    src = code(ad.grad(running_cost, wrt=(0, 1)).source)
    ((_, backward),) = blocks("for {*} in reversed(range(6)):", src)
    # not carried: the rule reading it runs before the loop (`w * 2`, hoisted), and nothing in the loop
    # computes an adjoint of `cost` (while those of the values it carries, T and the parameters, are there)
    assert not has("{cost_bar} = ", backward) and has("{T_bar} = ", backward) and has("{p_bar} = ", backward)
    assert has("{mul} = w * 2", src.partition(backward)[0]) and "w * 2" not in backward
    check_grad(running_cost, (0.3, 1.7), wrt=(0, 1))


def unchanged_while(x, n):
    y = x
    z = x * 2.0
    i = 0
    while i < n:
        y = y * z
        z = z
        i = i + 1
    return y


def test_unchanged_values_of_while_and_nested_loops():
    before = _primal(unchanged_while)                           # z is carried before the pass: the check can fail
    assert any(c.init is _product(before) for c in _loop(before).carried)
    fn = _primal(unchanged_while)
    licm.transform(fn, PassContext.of(fn))
    loop = _loop(fn)
    z = _product(fn)                                            # z = x * 2.0
    assert not any(c.init is z for c in loop.carried) and len(loop.carried) == 3   # y, i and the test stay
    (product,) = [s for s in loop.body if isinstance(s, Op) and str(s.callee) == "*"]
    assert product.args[1] is z                                # the body reads z itself
    for n in (0, 1, 3):
        check_grad(unchanged_while, (0.7, n))
    check_grad(nested, (np.array([0.3, -0.2]), np.array([0.5, 1.5])), wrt=(0, 1))
