"""Binding a rule to a call: the registry (bottom layer) sees IR operands only through `Operands`."""

import numpy as np
import pytest

from adtransform.frontend.resolve import Ref
from adtransform.ir.nodes import Const, Global, Var
from adtransform.ir.operands import RULE_OPERANDS, known_value
from adtransform.rules.registry import RUNTIME, Operands, lookup_adjoint

SUM = lookup_adjoint(np.sum)  # sum(a, axis=None, dtype: FLOAT_DTYPE = None, ..., where: UNMASKED = True)


def test_known_value_of_each_operand_kind():
    assert known_value(Const(2.5)) == 2.5
    assert known_value(Global(Ref(("np", "float32"), np.float32))) is np.float32
    assert known_value(Var("x")) is RUNTIME
    assert known_value((Const(1), Var("y"))) is RUNTIME  # a `*args` tuple is not one known value


def test_bind_fills_defaults_as_ir_constants():
    x = Var("x")
    bound = SUM.bind([x], {"axis": Const(0)}, RULE_OPERANDS)
    assert bound["a"] is x and bound["axis"] == Const(0)
    assert bound["keepdims"] == Const(False) and bound["dtype"] == Const(None)


def test_bind_refuses_known_values_the_rule_does_not_accept():
    with pytest.raises(TypeError, match="dtype=.*floating dtype.*int32"):
        SUM.bind([Var("x")], {"dtype": Global(Ref(("np", "int32"), np.int32))}, RULE_OPERANDS)
    with pytest.raises(TypeError, match="dtype=.*computed at run time"):
        SUM.bind([Var("x")], {"dtype": Var("d")}, RULE_OPERANDS)
    assert SUM.bind([Var("x")], {"dtype": Const(np.float32)}, RULE_OPERANDS)["dtype"] == Const(np.float32)


def test_bind_works_on_any_spelling_of_operands():
    """The registry needs no IR: operands spelled as ("const", value) / ("var", name) bind alike."""
    spelled = Operands(constant=lambda value: ("const", value),
                       known=lambda operand: operand[1] if operand[0] == "const" else RUNTIME)
    bound = SUM.bind([("var", "x")], {"dtype": ("const", None)}, spelled)
    assert bound["keepdims"] == ("const", False)
    with pytest.raises(TypeError, match="where="):
        SUM.bind([("var", "x")], {"where": ("var", "m")}, spelled)
