"""Optimization passes, each on its own, then the fixed point on real gradients."""

import operator

import numpy as np

import adtransform as ad
from adtransform.ir.nodes import Callee, Const, Function, Op, Param, ParamKind, Style, Sweep, Var
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
    assert constant_fold.transform(fn)
    assert format_function(fn).splitlines()[1] == "  %u = *(%x, 1)"
    assert not constant_fold.transform(fn)


def test_constant_fold_keeps_numpy_results_weak():
    t = Var("t")
    log = Callee(np.log, Style.FUNCTION)
    fn = _fn([Op(t, log, [Const(2.0)])], [t])
    constant_fold.transform(fn)
    assert type(fn.returns[0].value) is float


def test_algebra_only_touches_the_backward_sweep():
    x, a, b = Var("x"), Var("a"), Var("b")
    fn = _fn([Op(a, MUL, [Const(1.0), x]), Op(b, MUL, [Const(1.0), x], sweep=Sweep.ADJOINT)], [b], params=[x])
    assert algebra.transform(fn)
    assert fn.body[0].callee == MUL          # the user's `1.0 * x` keeps its semantics
    assert fn.body[1].callee == COPY and fn.body[1].args == [x]


def test_algebra_double_negation_and_zero_minus():
    x, a, b, c = Var("x"), Var("a"), Var("b"), Var("c")
    fn = _fn([Op(a, NEG, [x], sweep=Sweep.ADJOINT), Op(b, NEG, [a], sweep=Sweep.ADJOINT),
              Op(c, SUB, [Const(0), b], sweep=Sweep.ADJOINT)], [c], params=[x])
    algebra.transform(fn)
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
    while algebra.transform(fn):
        pass
    dce.transform(fn)
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
    algebra.transform(fn)
    assert fn.body[1].args == [n, x] and fn.body[2].callee == ADD


def test_algebra_squares_by_multiplying_in_the_backward_sweep_only():
    pow_ = Callee(operator.pow, Style.OPERATOR, symbol="**")
    x, a, b = Var("x"), Var("a"), Var("b")
    fn = _fn([Op(a, pow_, [x, Const(2)]), Op(b, pow_, [x, Const(2)], sweep=Sweep.ADJOINT)], [a, b], params=[x])
    assert algebra.transform(fn)
    assert fn.body[0].callee == pow_  # the user's `x ** 2` keeps libm's rounding
    assert fn.body[1].callee == MUL and fn.body[1].args == [x, x]


def test_copy_prop_keeps_readable_names():
    x, t, z_bar, u = Var("x"), Var("t"), Var("z_bar"), Var("u")
    fn = _fn([Op(t, COPY, [x]), Op(z_bar, COPY, [t]), Op(u, MUL, [z_bar, t])], [u], params=[x],
             readable=[z_bar])
    assert copy_prop.transform(fn)
    assert [op.result for op in fn.body] == [z_bar, u]
    assert fn.body[0].args == [x] and fn.body[1].args == [z_bar, x]


def test_copy_prop_makes_a_temporary_under_the_readable_name_it_is_copied_to():
    x, g, t_bar, u, v, w_bar = (Var(n) for n in ["x", "g", "t_bar", "u", "v", "w_bar"])
    fn = _fn([Op(g, MUL, [x, x]), Op(t_bar, COPY, [g]),                      # g read by the copy only
              Op(u, ADD, [x, x]), Op(w_bar, COPY, [u]), Op(v, MUL, [u, w_bar])],  # u read twice: kept
             [t_bar, v], params=[x], readable=[t_bar, w_bar])
    assert copy_prop.transform(fn)
    assert [op.result for op in fn.body] == [t_bar, u, w_bar, v]
    assert fn.body[0].callee == MUL and fn.body[0].args == [x, x]
    assert not copy_prop.transform(fn)  # a fixed point: nothing left to do


def test_cse_merges_pure_ops_only():
    x, a, b, c, p1, p2 = (Var(n) for n in ["x", "a", "b", "c", "p1", "p2"])
    cos = Callee(np.cos, Style.FUNCTION)
    fn = _fn([Op(a, cos, [x]), Op(b, cos, [x]), Op(c, ADD, [a, b]),
              Op(p1, PRINT, [x]), Op(p2, PRINT, [x])], [c], params=[x])
    assert cse.transform(fn)
    assert [op.result for op in fn.body] == [a, c, p1, p2]
    assert fn.body[1].args == [a, a]


def test_dce_keeps_effects():
    x, a, b = Var("x"), Var("a"), Var("b")
    fn = _fn([Op(a, MUL, [x, x]), Op(None, PRINT, [x]), Op(b, PRINT, [x])], [x], params=[x])
    assert dce.transform(fn)
    assert [op.callee for op in fn.body] == [PRINT, PRINT]


def test_fresh_returns_copies_aliases_and_fills_constants():
    x, W, t = Var("x"), Var("W"), Var("t")
    fn = _fn([Op(t, Callee(np.ndarray.T, Style.ATTRIBUTE, symbol="T"), [W])], [t, Const(1.0)], params=[x, W])
    fn.gradient_of = {0: x, 1: W}
    fn.layout = (0, 1)
    assert fresh_returns.transform(fn, Namer({"x", "W", "t"}))
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
    src = ad.grad(lecture).source
    assert "1.0 *" not in src and "* 1.0" not in src and "** 1" not in src
    assert "0 +" not in src and "zeros" not in src and "unbroadcast" not in src
    assert "d[" not in src


def squared_error(out, y):
    sub = out - y
    return np.mean(sub ** 2)


def test_shape_witness_frees_values_read_only_for_their_shape():
    src = ad.grad(squared_error).source
    assert "= sub ** 2" not in src                    # the square is never computed
    assert "unreduce(div, sub, None, False)" in src   # its shape is read from `sub`
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
    assert in_place.transform(fn)
    assert fn.body[1].callee.style is Style.STORE


def test_in_place_copies_a_parameter():
    from adtransform.optimize import in_place
    x, v, x1 = Var("x"), Var("v"), Var("x_1")
    fn = _fn([_write(x1, x, 0, v)], [x1], params=[x, v])
    assert not in_place.transform(fn)        # the caller's array must not change


def test_in_place_copies_when_the_old_version_is_read_after_the_write():
    from adtransform.optimize import in_place
    x, y, y1, z = Var("x"), Var("y"), Var("y_1"), Var("z")
    fn = _fn([Op(y, ZEROS, [Const(3)]), _write(y1, y, 0, x), Op(z, MUL, [y, y1])], [z], params=[x])
    assert not in_place.transform(fn)


def test_in_place_accepts_reads_finished_before_the_write():
    from adtransform.optimize import in_place
    x, y, y1, z, w = Var("x"), Var("y"), Var("y_1"), Var("z"), Var("w")
    fn = _fn([Op(y, ZEROS, [Const(3)]), Op(z, MUL, [y, x]), _write(y1, y, 0, x), Op(w, MUL, [z, y1])], [w],
             params=[x])
    assert in_place.transform(fn)


def test_in_place_copies_an_array_kept_in_a_tuple():
    from adtransform.optimize import in_place
    x, y, y1, t = Var("x"), Var("y"), Var("y_1"), Var("t")
    fn = _fn([Op(y, ZEROS, [Const(3)]), Op(t, TUPLE, [y]), _write(y1, y, 0, x)], [y1, t], params=[x])
    assert not in_place.transform(fn)        # a stack push would see the write
