"""codegen/peephole.py: each peephole decided on a small IR of its own."""

import operator

from adtransform.codegen import peephole
from adtransform.codegen.names import Names
from adtransform.ir.nodes import (
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
    read_counts,
)
from adtransform.syntax.naming import Namer

ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
MUL = Callee(operator.mul, Style.OPERATOR, symbol="*")
TUPLE = Callee(tuple, Style.TUPLE)
APPEND = Callee(list.append, Style.METHOD, symbol="append")
POP = Callee(list.pop, Style.METHOD, symbol="pop")
GETITEM = Callee(operator.getitem, Style.SUBSCRIPT, symbol="[]")
PRINT = Callee(print, Style.FUNCTION)


def _names(fn):
    names = Names(Namer(set()), lambda name: None, set())
    names.reads, names.widths, names.readable = read_counts(fn), peephole.record_widths(fn), fn.readable
    return names


def _fn(body, returns, params):
    return Function("f", [Param(p, ParamKind.POSITIONAL_OR_KEYWORD) for p in params], body, returns)


def test_a_temporary_read_once_on_its_line_is_written_inside_its_reader():
    x, t, u, y = Var("x"), Var("t"), Var("t_1"), Var("y")
    body = [Op(t, MUL, [x, x], line=3), Op(u, ADD, [t, x], line=3), Op(y, MUL, [u, Const(2.0)], line=4)]
    fn = _fn(body, [y], [x])
    names = _names(fn)
    peephole.fuse(fn.body, names)
    assert names.fused == {t: body[0]}  # `u` is read on another line: it keeps its name


def test_nothing_moves_past_an_effect():
    x, t, y = Var("x"), Var("t"), Var("y")
    body = [Op(t, MUL, [x, x], line=3), Op(None, PRINT, [x], line=3), Op(y, ADD, [t, x], line=3)]
    fn = _fn(body, [y], [x])
    names = _names(fn)
    peephole.fuse(fn.body, names)
    assert names.fused == {}


def _record_loop():
    x, stack, a, b, pair, popped, a2, b2 = (Var(n) for n in ("x", "stack", "a", "b", "pair", "popped", "a2", "b2"))
    body = [Op(stack, Callee(list, Style.LIST), []),
            Op(a, MUL, [x, x]), Op(b, ADD, [x, x]), Op(pair, TUPLE, [a, b]), Op(None, APPEND, [stack, pair]),
            Op(popped, POP, [stack], sweep=Sweep.ADJOINT),
            Op(a2, GETITEM, [popped, Const(0)], sweep=Sweep.ADJOINT),
            Op(b2, GETITEM, [popped, Const(1)], sweep=Sweep.ADJOINT)]
    return _fn(body, [a2, b2], [x]), stack


def test_a_tuple_built_to_be_pushed_is_pushed_as_it_is_built():
    fn, stack = _record_loop()
    names = _names(fn)
    assert names.widths == {stack: 2}
    assert peephole.packed_push(fn.body, 3, names) is fn.body[4]
    assert peephole.packed_push(fn.body, 1, names) is None  # not a tuple


def test_a_popped_tuple_read_item_by_item_is_unpacked():
    fn, _ = _record_loop()
    names = _names(fn)
    assert peephole.unpacked_pop(fn.body, 5, names) == fn.body[6:8]
    fn.body[6], fn.body[7] = fn.body[7], fn.body[6]  # items out of order: read one by one
    assert peephole.unpacked_pop(fn.body, 5, names) is None


def test_a_next_value_is_written_in_place_unless_the_param_is_read_after_it():
    s, s_next, s_out, x, y, z = Var("s"), Var("s_1"), Var("s_2"), Var("x"), Var("y"), Var("z")
    loop = Loop(LoopKind.RANGE, [Const(0), Const(3), Const(1)], None, [Carried(x, s, s_next, s_out)],
                [Op(s_next, MUL, [s, Const(2.0)])])
    assert peephole.writes_in_place(loop, loop.carried[0])
    loop.body.append(Op(y, ADD, [s, Const(1.0)]))  # the old `s` is read after the next one is computed
    assert not peephole.writes_in_place(loop, loop.carried[0])
    loop.body[-1] = Op(z, ADD, [s_next, Const(1.0)])  # reading the next value is fine
    assert peephole.writes_in_place(loop, loop.carried[0])
