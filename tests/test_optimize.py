"""Optimization passes, each on its own, then the fixed point on real gradients."""

import operator

import numpy as np
from gradcheck import check_grad
from source_patterns import code, has

import adtransform as ad
from adtransform.analysis.manager import PassContext
from adtransform.ir.nodes import (
    AdjointZero,
    Callee,
    Carried,
    Const,
    Function,
    Loop,
    LoopKind,
    Op,
    Param,
    ParamKind,
    Style,
    Sweep,
    Var,
)
from adtransform.ir.printer import format_function
from adtransform.optimize import algebra, constant_fold, copy_prop, cse, dce, fresh_returns
from adtransform.syntax.naming import Namer

ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
MUL = Callee(operator.mul, Style.OPERATOR, symbol="*")
SUB = Callee(operator.sub, Style.OPERATOR, symbol="-")
NEG = Callee(operator.neg, Style.OPERATOR, symbol="-")
COPY = Callee(None, Style.COPY)
PRINT = Callee(print, Style.FUNCTION)


def _fn(body, returns, params=("x",), readable=()):
    ps = [Param(Var(p) if isinstance(p, str) else p, ParamKind.POSITIONAL_OR_KEYWORD) for p in params]
    return Function("f", ps, body, returns, readable=set(readable))


def test_constant_fold():
    t, u = Var("t"), Var("u")
    x = Var("x")
    fn = _fn([Op(t, SUB, [Const(2), Const(1)]), Op(u, MUL, [x, t])], [u], params=[x])
    assert constant_fold.transform(fn, PassContext.of(fn))
    assert format_function(fn).splitlines()[1] == "  %u = *(%x, 1)"
    assert not constant_fold.transform(fn, PassContext.of(fn))


def test_constant_fold_keeps_numpy_results_weak():
    t = Var("t")
    log = Callee(np.log, Style.FUNCTION)
    fn = _fn([Op(t, log, [Const(2.0)])], [t])
    constant_fold.transform(fn, PassContext.of(fn))
    assert type(fn.returns[0].value) is float


def test_algebra_only_touches_the_backward_sweep():
    x, a, b = Var("x"), Var("a"), Var("b")
    fn = _fn([Op(a, MUL, [Const(1.0), x]), Op(b, MUL, [Const(1.0), x], sweep=Sweep.ADJOINT)], [b], params=[x])
    assert algebra.transform(fn, PassContext.of(fn))
    assert fn.body[0].callee == MUL          # the user's `1.0 * x` keeps its semantics
    assert fn.body[1].callee == COPY and fn.body[1].args == [x]


def test_algebra_double_negation_and_zero_minus():
    x, a, b, c = Var("x"), Var("a"), Var("b"), Var("c")
    fn = _fn([Op(a, NEG, [x], sweep=Sweep.ADJOINT), Op(b, NEG, [a], sweep=Sweep.ADJOINT),
              Op(c, SUB, [Const(0), b], sweep=Sweep.ADJOINT)], [c], params=[x])
    algebra.transform(fn, PassContext.of(fn))
    assert fn.body[1].callee == COPY and fn.body[1].args == [x]
    assert fn.body[2].callee == NEG


def test_algebra_folds_negations_into_sums():
    x, y, g, n, p, q, r, s = (Var(v) for v in "xygnpqrs")
    adj = {"sweep": Sweep.ADJOINT}
    fn = _fn([Op(n, NEG, [g], **adj),
              Op(p, ADD, [x, n], **adj),         # x + (-g)   -> x - g
              Op(q, SUB, [y, n], **adj),         # y - (-g)   -> y + g
              Op(r, MUL, [n, y], **adj),         # (-g) * y, read once below
              Op(s, ADD, [r, x], **adj)],        # -> x - g * y
             [p, q, s], params=[x, y, g])
    while algebra.transform(fn, PassContext.of(fn)):
        pass
    dce.transform(fn, PassContext.of(fn))
    text = format_function(fn)
    assert "%p = -(%x, %g)" in text and "%q = +(%y, %g)" in text
    assert "%r = *(%g, %y)" in text and "%s = -(%x, %r)" in text
    assert "%n" not in text
    values = {"x": 0.7, "y": -1.3, "g": 0.1 + 0.2}
    env = dict(values)
    for op in fn.body:
        env[op.result.name] = op.callee.key(*(env[a.name] for a in op.args))
    g_, x_, y_ = values["g"], values["x"], values["y"]
    assert (env["p"], env["q"], env["s"]) == (x_ + (-g_), y_ - (-g_), (-g_) * y_ + x_)  # bit for bit


def test_a_product_read_twice_keeps_its_negation():
    x, g, n, r, s, t = (Var(v) for v in "xgnrst")
    adj = {"sweep": Sweep.ADJOINT}
    fn = _fn([Op(n, NEG, [g], **adj), Op(r, MUL, [n, x], **adj), Op(s, ADD, [x, r], **adj),
              Op(t, MUL, [r, x], **adj)], [s, t], params=[x, g])
    algebra.transform(fn, PassContext.of(fn))
    assert fn.body[1].args == [n, x] and fn.body[2].callee == ADD


def test_algebra_squares_by_multiplying_in_the_backward_sweep_only():
    pow_ = Callee(operator.pow, Style.OPERATOR, symbol="**")
    x, a, b = Var("x"), Var("a"), Var("b")
    fn = _fn([Op(a, pow_, [x, Const(2)]), Op(b, pow_, [x, Const(2)], sweep=Sweep.ADJOINT)], [a, b], params=[x])
    assert algebra.transform(fn, PassContext.of(fn))
    assert fn.body[0].callee == pow_  # the user's `x ** 2` keeps libm's rounding
    assert fn.body[1].callee == MUL and fn.body[1].args == [x, x]


def test_copy_prop_keeps_readable_names():
    x, t, z_bar, u = Var("x"), Var("t"), Var("z_bar"), Var("u")
    fn = _fn([Op(t, COPY, [x]), Op(z_bar, COPY, [t]), Op(u, MUL, [z_bar, t])], [u], params=[x],
             readable=[z_bar])
    assert copy_prop.transform(fn, PassContext.of(fn))
    assert [op.result for op in fn.body] == [z_bar, u]
    assert fn.body[0].args == [x] and fn.body[1].args == [z_bar, x]


def test_copy_prop_makes_a_temporary_under_the_readable_name_it_is_copied_to():
    x, g, t_bar, u, v, w_bar = (Var(n) for n in ["x", "g", "t_bar", "u", "v", "w_bar"])
    fn = _fn([Op(g, MUL, [x, x]), Op(t_bar, COPY, [g]),                      # g read by the copy only
              Op(u, ADD, [x, x]), Op(w_bar, COPY, [u]), Op(v, MUL, [u, w_bar])],  # u read twice: kept
             [t_bar, v], params=[x], readable=[t_bar, w_bar])
    assert copy_prop.transform(fn, PassContext.of(fn))
    assert [op.result for op in fn.body] == [t_bar, u, w_bar, v]
    assert fn.body[0].callee == MUL and fn.body[0].args == [x, x]
    assert not copy_prop.transform(fn, PassContext.of(fn))  # a fixed point: nothing left to do


def test_copy_prop_reads_a_constant_adjoint_itself():
    """`h_bar = 0.0; h_1_bar = h_bar` entering a loop: the loop starts from `0.0` (readable names
    or not); the user's own `x = 1.0` stays as written."""
    g, x, y, h_bar, p, q, r = (Var(v) for v in ("g", "x", "y", "h_bar", "h_1_bar", "h_2_bar", "h_3_bar"))
    adj = {"sweep": Sweep.ADJOINT}
    loop = Loop(LoopKind.RANGE, [Const(0), Const(3), Const(1)], Var("i"), [Carried(h_bar, p, q, r)],
                [Op(q, ADD, [p, g], **adj)], sweep=Sweep.ADJOINT)
    fn = _fn([Op(x, COPY, [Const(1.0)]), Op(y, MUL, [x, g]), Op(h_bar, COPY, [AdjointZero(0.0)], **adj), loop],
             [y, r], params=[g], readable=[x, h_bar, p, q, r])
    assert copy_prop.transform(fn, PassContext.of(fn))
    assert [s.result for s in fn.body[:2]] == [x, y] and fn.body[1].args == [x, g]
    assert isinstance(loop.carried[0].init, AdjointZero)
    assert "%h_bar" not in format_function(fn)


def test_algebra_drops_an_adjoints_zero_from_sums():
    g, a, b, c, d = (Var(v) for v in "gabcd")
    adj = {"sweep": Sweep.ADJOINT}
    zero = AdjointZero(0.0)
    fn = _fn([Op(a, ADD, [zero, g], **adj), Op(b, ADD, [g, zero], **adj), Op(c, SUB, [g, zero], **adj),
              Op(d, SUB, [zero, g], **adj)], [a, b, c, d], params=[g])
    assert algebra.transform(fn, PassContext.of(fn))
    assert [(op.callee, op.args) for op in fn.body] == [(COPY, [g]), (COPY, [g]), (COPY, [g]), (NEG, [g])]


def test_algebra_keeps_other_zeros_in_sums():
    """`0.0 + x` is `+0.0` where `x` is `-0.0`: only an adjoint's zero may go (a rule's or the user's stays)."""
    g, a, b = Var("g"), Var("a"), Var("b")
    fn = _fn([Op(a, ADD, [Const(0.0), g], sweep=Sweep.ADJOINT), Op(b, ADD, [AdjointZero(0.0), g])], [a, b],
             params=[g])
    assert not algebra.transform(fn, PassContext.of(fn))
    assert Const(0.0) != AdjointZero(0.0)  # CSE never merges the two


def test_copy_prop_names_an_operation_after_the_copy_it_feeds():
    s, c, t, u, k_bar, w_bar = (Var(v) for v in ("s", "c", "t", "u", "k_bar", "w_bar"))
    adj = {"sweep": Sweep.ADJOINT}
    fn = _fn([Op(t, Callee(operator.truediv, Style.OPERATOR, symbol="/"), [s, c], **adj),
              Op(k_bar, COPY, [t], **adj),
              Op(u, MUL, [s, c], **adj), Op(w_bar, COPY, [u], **adj)],
             [k_bar, w_bar, u], params=[s, c], readable=[k_bar, w_bar])
    assert copy_prop.transform(fn, PassContext.of(fn))
    assert [op.result for op in fn.body] == [k_bar, u, w_bar]  # `u` is read twice: its copy stays
    assert fn.body[0].args == [s, c]
    assert not copy_prop.transform(fn, PassContext.of(fn))


def tanks(a, b, k, c):
    for i in range(6):
        flow = k * (a - b)
        a = a - flow / c
        b = b + flow * 0.5
    return b * b


def tanks_vec(a, b, k, c):
    for i in range(6):
        flow = k * (a - b)
        a = a - flow / c
        b = b + flow * 0.5
    return np.sum(b * b)


def test_loops_whose_carried_adjoint_starts_at_zero():
    """`a` leaves the loop unread: its adjoint enters the backward loop as zero, and so do the
    accumulated adjoints of `k` and `c`."""
    src = ad.grad(tanks, wrt=(0, 1, 2, 3)).source
    code = src.split("reversed(range(6))")[0].rsplit("stack.append", 1)[1]
    assert has("{a_bar} = 0.0", code) and has("{k_bar} = 0.0", code)
    assert "0.0 +" not in src and "+ 0.0" not in src and "- 0.0" not in src
    check_grad(tanks, (1.5, 0.3, 0.4, 2.0), wrt=(0, 1, 2, 3))
    check_grad(tanks, (-0.0, 0.0, 0.4, 2.0), wrt=(0, 1, 2, 3))
    check_grad(tanks, (np.float32(1.5), np.float32(0.3), np.float32(0.4), np.float32(2.0)), wrt=(0, 1, 2, 3))
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=3), rng.normal(size=3)
    check_grad(tanks_vec, (a, b, 0.4, 2.0), wrt=(0, 1, 2, 3))  # the general version: zeros are arrays
    check_grad(tanks_vec, (a, b, rng.uniform(0.1, 0.5, size=3), 2.0), wrt=(0, 1, 2, 3))
    f32 = (a.astype(np.float32), b.astype(np.float32), np.float32(0.4), np.float32(2.0))
    check_grad(tanks_vec, f32, wrt=(0, 1, 2, 3))


def test_cse_merges_pure_ops_only():
    x, a, b, c, p1, p2 = (Var(n) for n in ["x", "a", "b", "c", "p1", "p2"])
    cos = Callee(np.cos, Style.FUNCTION)
    fn = _fn([Op(a, cos, [x]), Op(b, cos, [x]), Op(c, ADD, [a, b]),
              Op(p1, PRINT, [x]), Op(p2, PRINT, [x])], [c], params=[x])
    assert cse.transform(fn, PassContext.of(fn))
    assert [op.result for op in fn.body] == [a, c, p1, p2]
    assert fn.body[1].args == [a, a]


def test_dce_keeps_effects():
    x, a, b = Var("x"), Var("a"), Var("b")
    fn = _fn([Op(a, MUL, [x, x]), Op(None, PRINT, [x]), Op(b, PRINT, [x])], [x], params=[x])
    assert dce.transform(fn, PassContext.of(fn))
    assert [op.callee for op in fn.body] == [PRINT, PRINT]


def test_fresh_returns_copies_aliases_and_fills_constants():
    x, W, t = Var("x"), Var("W"), Var("t")
    fn = _fn([Op(t, Callee(np.ndarray.T, Style.ATTRIBUTE, symbol="T"), [W])], [t, Const(1.0)], params=[x, W])
    fn.gradient_of = {0: x, 1: W}
    fn.layout = (0, 1)
    assert fresh_returns.transform(fn, PassContext.of(fn, Namer({"x", "W", "t"})))
    helpers = [op.callee.ref.path[0] for op in fn.body[1:]]
    assert helpers == ["copy_gradient", "full_like"]


def scale_and_sum(x, W):
    return np.sum(x * W)


def test_gradient_never_aliases_an_input():
    x, W = np.ones(3), np.arange(3.0)
    g = ad.grad(scale_and_sum)(x, W)
    assert g is not W and not np.shares_memory(g, W)
    np.testing.assert_array_equal(g, W)


def linear(x):
    return 3.0 * x


def test_constant_gradient_has_the_input_dtype():
    g = ad.grad(linear)(np.float32(2.0))
    assert g == 3.0 and g.dtype == np.float32


def lecture(x):
    z2 = 3 * np.sqrt(x)
    z3 = np.log(x)
    z4 = 1 / x
    z1 = z4 ** 2 + z3
    y = z1 * z2
    return y


def test_fixed_point_leaves_no_dead_or_trivial_code():
    src = ad.grad(lecture).source.split('"""')[2]  # the code, not the docstring naming this file's path
    assert "1.0 *" not in src and "* 1.0" not in src and "** 1" not in src
    assert "0 +" not in src and "zeros" not in src and "unbroadcast" not in src
    assert "d[" not in src


def squared_error(out, y):
    sub = out - y
    return np.mean(sub ** 2)


def test_shape_witness_frees_values_read_only_for_their_shape():
    src = ad.grad(squared_error).source
    assert has("{sub} = out - y", src) and "**" not in code(src)   # the square is never computed
    assert has("spread(1.0 / {reduced_size}, {sub}, None, False)", src)  # its shape is read from `sub`
    out, y = np.array([1.0, 2.0, 4.0], dtype=np.float32), np.zeros(3, dtype=np.float32)
    g = ad.grad(squared_error)(out, y)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * out / 3, rtol=1e-6)


# --- in_place: `index_update` becomes a write into the old buffer only when that buffer is dead ---

ZEROS = Callee(np.zeros, Style.FUNCTION)
TUPLE = Callee(tuple, Style.TUPLE)


def _write(result, old, index, value):
    from adtransform.ir.operators import INDEX_UPDATE
    return Op(result, INDEX_UPDATE, [old, Const(index), value])


def test_in_place_writes_into_a_fresh_dead_array():
    from adtransform.optimize import in_place
    x, y, y1 = Var("x"), Var("y"), Var("y_1")
    fn = _fn([Op(y, ZEROS, [Const(3)]), _write(y1, y, 0, x)], [y1], params=[x])
    assert in_place.transform(fn, PassContext.of(fn))
    assert fn.body[1].callee.style is Style.STORE


def test_in_place_copies_a_parameter():
    from adtransform.optimize import in_place
    x, v, x1 = Var("x"), Var("v"), Var("x_1")
    fn = _fn([_write(x1, x, 0, v)], [x1], params=[x, v])
    assert not in_place.transform(fn, PassContext.of(fn))        # the caller's array must not change


def test_in_place_copies_when_the_old_version_is_read_after_the_write():
    from adtransform.optimize import in_place
    x, y, y1, z = Var("x"), Var("y"), Var("y_1"), Var("z")
    fn = _fn([Op(y, ZEROS, [Const(3)]), _write(y1, y, 0, x), Op(z, MUL, [y, y1])], [z], params=[x])
    assert not in_place.transform(fn, PassContext.of(fn))


def test_in_place_accepts_reads_finished_before_the_write():
    from adtransform.optimize import in_place
    x, y, y1, z, w = Var("x"), Var("y"), Var("y_1"), Var("z"), Var("w")
    fn = _fn([Op(y, ZEROS, [Const(3)]), Op(z, MUL, [y, x]), _write(y1, y, 0, x), Op(w, MUL, [z, y1])], [w],
             params=[x])
    assert in_place.transform(fn, PassContext.of(fn))


def test_in_place_copies_an_array_kept_in_a_tuple():
    from adtransform.optimize import in_place
    x, y, y1, t = Var("x"), Var("y"), Var("y_1"), Var("t")
    fn = _fn([Op(y, ZEROS, [Const(3)]), Op(t, TUPLE, [y]), _write(y1, y, 0, x)], [y1, t], params=[x])
    assert not in_place.transform(fn, PassContext.of(fn))        # a stack push would see the write
