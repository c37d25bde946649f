"""The to-be-recorded analysis alone, on the primal IR of tiny loops (analysis/recorded.py)."""

import numpy as np

from adtransform.analysis import rank
from adtransform.analysis.recorded import to_be_recorded
from adtransform.ir.nodes import Loop, Op, defined_in
from adtransform.ir.printer import format_function
from adtransform.pipeline import primal_ir


def _loop(fn):
    """The function's IR, its only loop, and its values by name."""
    ir, _ = primal_ir(fn)
    loop = next(s for s in ir.body if isinstance(s, Loop))
    values = {v.name: v for v in defined_in(ir.body) | set(ir.param_vars())}
    return ir, loop, values


def rnn(x, n):
    h = x
    for t in range(n):
        h = np.tanh(h * 2.0)
    return h


def prices(price, w):
    s = 0.0
    for t in range(3):
        s = s + price[t] * w
    return s


def halve(x):
    while x > 1.0:
        x = x * 0.5
    return x


def test_outside_values_and_the_target_are_read_where_they_are():
    _, loop, v = _loop(rnn)
    out = to_be_recorded(loop, [v["n"], v["t"], v["x"], v["mul"], v["h_1"], v["mul"]], {})
    assert out.recorded == [v["mul"], v["h_1"]]  # in the order read, once each
    assert out.shifted == {} and out.reread == {}


def test_a_next_value_read_with_its_param_is_passed_down_not_recorded():
    _, loop, v = _loop(rnn)
    # tanh's adjoint reads its output h_2 (the next value of h), the product's reads h_1 (h's param)
    out = to_be_recorded(loop, [v["h_2"], v["h_1"]], {})
    (carried,) = [c for c in loop.carried if c.param is v["h_1"]]
    assert out.shifted == {v["h_2"]: carried}
    assert out.recorded == [v["h_1"]]
    # alone, the next value has no param popped before it to be had from: it is recorded
    assert to_be_recorded(loop, [v["h_2"]], {}).recorded == [v["h_2"]]


def test_scalar_items_of_an_array_the_loop_leaves_alone_are_read_again():
    ir, loop, v = _loop(prices)
    ranks = rank.analyze(ir, scalar_output=True, scalar_params=True)  # `price` a vector, its items scalars
    out = to_be_recorded(loop, [v["price_item"], v["w"]], ranks)
    (read,) = [s for s in loop.body if isinstance(s, Op) and s.result is v["price_item"]]
    assert out.reread == {v["price_item"]: read} and out.recorded == []
    # an item not proven a scalar could be a row: recorded
    assert to_be_recorded(loop, [v["price_item"]], {}).recorded == [v["price_item"]]


def test_a_while_loop_rereads_nothing():
    ir, loop, v = _loop(halve)
    ranks = rank.analyze(ir, scalar_output=True, scalar_params=True)
    out = to_be_recorded(loop, [v["x_1"], v["x_2"]], ranks)
    (carried,) = [c for c in loop.carried if c.param is v["x_1"]]
    assert out.reread == {} and out.shifted == {v["x_2"]: carried} and out.recorded == [v["x_1"]]


def test_the_analysis_changes_nothing():
    ir, loop, v = _loop(prices)
    before = format_function(ir)  # (the printed IR: an operation changed in place shows too)
    to_be_recorded(loop, list(loop.inner()), rank.analyze(ir, scalar_output=True, scalar_params=True))
    assert format_function(ir) == before
