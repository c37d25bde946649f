"""`if`/`elif`/`else`: structured branches in the IR and their adjoints, checked against finite differences."""

import numpy as np
import pytest
from gradcheck import check_grad

import adtransform as ad
from adtransform.ir.nodes import If, Op
from adtransform.ir.printer import format_function
from adtransform.pipeline import primal_ir


def piecewise(x):
    if x > 1.0:
        y = x * x
    elif x > -1.0:
        y = np.sin(x) + 2.0
    else:
        y = -x
    return y * 3.0


def nested(x, w):
    h = np.tanh(x * w)
    if np.sum(h) > 0:
        if np.max(h) > 0.5:
            h = h * 2.0
        else:
            h = h + w
        s = np.sum(h ** 2)
    else:
        s = np.sum(np.exp(h))
    return s * np.sum(w)


def one_sided(x, y):
    z = x * y
    if np.sum(x) > 0:
        z = z + np.cos(y)
    return np.sum(z)


def branch_uses_later_values(x):
    a = np.sin(x)
    b = a * 2.0
    if np.sum(x) < 0.5:
        c = a * b
    else:
        c = b
    return np.sum(c * a)


def inactive_condition_on_parameter(x, mode):
    if mode == "square":
        out = x * x
    else:
        out = x * 3.0
    return np.sum(out)


@pytest.mark.parametrize("x", [2.0, 0.3, -0.2, -3.0])
def test_elif_chain(x):
    check_grad(piecewise, (x,))


@pytest.mark.parametrize("scale", [1.0, 0.1, -1.0])
def test_nested_branches_on_array_values(scale):
    rng = np.random.default_rng(7)
    x = scale * rng.normal(size=4)
    w = rng.normal(size=4) + 0.5
    check_grad(nested, (x, w), wrt=(0, 1))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_variable_redefined_on_one_branch_only(sign):
    x = sign * np.array([0.5, 1.0, 2.0])
    check_grad(one_sided, (x, np.array([0.1, -0.3, 0.7])), wrt=(0, 1))


@pytest.mark.parametrize("x", [np.array([-1.0, 0.2]), np.array([1.0, 2.0])])
def test_branch_reads_values_computed_before_it(x):
    check_grad(branch_uses_later_values, (x,))


@pytest.mark.parametrize("mode", ["square", "triple"])
def test_condition_on_a_non_differentiated_argument(mode):
    check_grad(inactive_condition_on_parameter, (np.array([1.0, -2.0]), mode))


def test_float32_through_branches():
    x = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    g = ad.grad(one_sided)(x, np.ones(3, dtype=np.float32))
    assert g.dtype == np.float32


def test_zero_gradient_on_the_branch_that_ignores_a_parameter():
    gx, gy = ad.grad(one_sided, wrt=(0, 1))(np.array([-1.0, -2.0]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(gy, [-1.0, -2.0])
    gx, gy = ad.grad(one_sided, wrt=(0, 1))(np.array([1.0, 2.0]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(gy, [1.0 - np.sin(0.5), 2.0 - np.sin(0.5)])


def test_ir_has_a_region_with_merged_results():
    fn, _ = primal_ir(one_sided)
    (region,) = [s for s in fn.body if isinstance(s, If)]
    ops = {s.result: s for s in fn.body if isinstance(s, Op) and s.result is not None}
    then_ops = {s.result: s for s in region.then_body if isinstance(s, Op)}
    (merged,), (then_z,), (else_z,) = region.results, region.then_values, region.else_values
    # z merges the branch's new z (`z + cos(y)`, computed inside) with the z from before (`x * y`)
    assert str(then_ops[then_z].callee) == "+" and ops[else_z].args == [fn.params[0].var, fn.params[1].var]
    assert str(ops[else_z].callee) == "*" and then_ops[then_z].args[0] is else_z
    (final,) = [s for s in fn.body if isinstance(s, Op) and merged in s.args]   # the merged z is read after
    assert str(final.callee) == "np.sum"
    assert format_function(fn).count("yield") == 2


def test_generated_code_is_an_if_on_the_same_condition():
    src = ad.grad(one_sided, wrt=(0, 1)).source
    assert src.count("    if cond:") == 2
    line = one_sided.__code__.co_firstlineno + 2
    assert f"    # adjoint of line {line}: if np.sum(x) > 0:" in src


def conditionally_defined(x):
    if x > 0:
        y = x * 2.0
    return y


def test_a_name_bound_on_one_branch_only():
    df = ad.grad(conditionally_defined)
    assert df(1.5) == pytest.approx(2.0)
    with pytest.raises(UnboundLocalError, match="'y'"):  # as Python raises
        df(-1.5)


def test_value_and_grad_through_branches():
    v, g = ad.value_and_grad(piecewise)(0.3)
    assert v == pytest.approx(piecewise(0.3))
    assert g == pytest.approx(3.0 * np.cos(0.3))
