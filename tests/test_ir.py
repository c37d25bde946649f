"""SSA lowering, the IR printer and the verifier."""

import doctest
import operator

import numpy as np
import pytest
from source_patterns import has

from adtransform.ir import printer
from adtransform.ir.nodes import Callee, Const, Function, Op, Param, ParamKind, Style, Var
from adtransform.ir.printer import format_function
from adtransform.ir.verify import IRVerificationError, verify
from adtransform.pipeline import primal_ir

OFFSET = 0.5


def mlp_layer(W, x, b):
    h = np.tanh(x @ W + b)
    h = h * 2.0
    h += OFFSET
    return h.sum(axis=0).max()


def test_lowered_ir_is_ssa_with_user_names():
    fn, _ = primal_ir(mlp_layer)
    line = mlp_layer.__code__.co_firstlineno
    assert format_function(fn) == "\n".join([
        "func mlp_layer(%W, %x, %b):",
        f"  %matmul = @(%x, %W)    # line {line + 1}",
        f"  %add = +(%matmul, %b)    # line {line + 1}",
        f"  %h = np.tanh(%add)    # line {line + 1}",
        f"  %h_1 = *(%h, 2.0)    # line {line + 2}",
        f"  %add_1 = +(%h_1, @OFFSET)    # line {line + 3}",
        f"  %h_2 = in_place_result(%add_1, %h_1, symbol='+')    # line {line + 3}",  # (NumPy's in-place contract)
        f"  %sum_1 = sum(%h_2, axis=0)    # line {line + 4}",
        f"  %max_1 = max(%sum_1)    # line {line + 4}",
        "  return %max_1",
    ])
    verify(fn)
    readable = {v.name for v in fn.readable}
    assert readable == {"W", "x", "b", "h", "h_1", "h_2"}


def indexing(x, k):
    return x[1:k, ::2] + x[0]


def test_subscripts_with_constant_and_variable_parts():
    fn, _ = primal_ir(indexing)
    text = format_function(fn)
    assert "%x_item = [](%x, [1:%k:, ::2])" in text
    assert has("%{x_item} = [](%x, 0)", text)


def methods_and_keywords(x, n=2):
    return np.sum(x.reshape(n, -1).T, axis=(0,), keepdims=False)


def test_methods_attributes_keywords_defaults():
    fn, _ = primal_ir(methods_and_keywords)
    ops = fn.body
    assert [op.callee.style for op in ops] == [Style.METHOD, Style.ATTRIBUTE, Style.FUNCTION]
    assert ops[0].callee.key is np.ndarray.reshape and ops[1].callee.key is np.ndarray.T
    assert ops[2].kwargs == {"axis": Const((0,)), "keepdims": Const(False)}
    assert fn.params[1].default_source == "2"


def test_ops_carry_line_and_column_of_the_expression():
    fn, ctx = primal_ir(mlp_layer)
    tanh = fn.body[2]
    assert tanh.line == mlp_layer.__code__.co_firstlineno + 1
    assert tanh.col == 8


def _fn(body, returns, params=("x",)):
    ps = [Param(Var(p), ParamKind.POSITIONAL_OR_KEYWORD) for p in params]
    return Function("f", ps, body, returns)


def test_verify_rejects_use_before_definition():
    a, b = Var("a"), Var("b")
    add = Callee(operator.add, Style.OPERATOR, symbol="+")
    fn = _fn([Op(b, add, [a, Const(1.0)]), Op(a, add, [Const(1.0), Const(2.0)])], [b])
    with pytest.raises(IRVerificationError, match="used before definition"):
        verify(fn)


def test_verify_rejects_double_definition_and_name_clash():
    a = Var("a")
    add = Callee(operator.add, Style.OPERATOR, symbol="+")
    fn = _fn([Op(a, add, [Const(1.0), Const(2.0)]), Op(a, add, [Const(1.0), Const(2.0)])], [a])
    with pytest.raises(IRVerificationError, match="defined twice"):
        verify(fn)
    fn = _fn([Op(Var("x"), add, [Const(1.0), Const(2.0)])], [])
    with pytest.raises(IRVerificationError, match="two values"):
        verify(fn)


def test_printer_docstring():
    assert doctest.testmod(printer).failed == 0
