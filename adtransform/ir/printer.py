"""Print IR as text, one operation per line, for tests and debugging.

>>> from adtransform.ir.nodes import *
>>> import operator
>>> x, y = Var("x"), Var("y")
>>> add = Callee(operator.add, Style.OPERATOR, symbol="+")
>>> print(format_function(Function("f", [Param(x, ParamKind.POSITIONAL_OR_KEYWORD)],
...                                [Op(y, add, [x, Const(1.0)], line=3)], [y])))
func f(%x):
  %y = +(%x, 1.0)    # line 3
  return %y
"""

from __future__ import annotations

from .nodes import Const, Function, Global, If, Index, Loop, LoopKind, Op, Operand, SliceItem, Stmt, Sweep, Var


def format_operand(operand: Operand | SliceItem | None) -> str:
    if operand is None:
        return ""
    if isinstance(operand, Var):
        return repr(operand)
    if isinstance(operand, Const):
        return repr(operand.value)
    if isinstance(operand, Global):
        return f"@{operand.ref.spelling}"
    if isinstance(operand, SliceItem):
        return ":".join(format_operand(p) for p in (operand.lower, operand.upper, operand.step))
    if isinstance(operand, Index):
        return "[" + ", ".join(format_operand(i) for i in operand.items) + "]"
    raise TypeError(operand)


def format_op(op: Op) -> str:
    args = [format_operand(a) for a in op.args]
    args += [f"{k}={format_operand(v)}" for k, v in op.kwargs.items()]
    lhs = f"{op.result!r} = " if op.result is not None else ""
    text = f"{lhs}{op.callee}({', '.join(args)})"
    if op.sweep is not Sweep.PRIMAL:
        text += f"    [{op.sweep.name.lower()}]"
    if op.line is not None:
        text += f"    # line {op.line}"
    return text


def format_block(body: list[Stmt], indent: str) -> list[str]:
    lines: list[str] = []
    for stmt in body:
        if isinstance(stmt, If):
            results = ", ".join(repr(r) for r in stmt.results)
            lhs = f"{results} = " if results else ""
            line = f"    # line {stmt.line}" if stmt.line is not None else ""
            lines.append(f"{indent}{lhs}if {format_operand(stmt.cond)}:{line}")
            lines += format_block(stmt.then_body, indent + "  ")
            lines.append(f"{indent}  yield " + ", ".join(format_operand(v) for v in stmt.then_values))
            lines.append(f"{indent}else:")
            lines += format_block(stmt.else_body, indent + "  ")
            lines.append(f"{indent}  yield " + ", ".join(format_operand(v) for v in stmt.else_values))
        elif isinstance(stmt, Loop):
            results = ", ".join(repr(c.result) for c in stmt.carried)
            lhs = f"{results} = " if results else ""
            head = (f"for {stmt.target!r} in range({', '.join(format_operand(a) for a in stmt.iter_args)})"
                    if stmt.kind is LoopKind.RANGE else f"while {format_operand(stmt.cond)}")
            carried = ", ".join(f"{c.param!r}={format_operand(c.init)}" for c in stmt.carried)
            line = f"    # line {stmt.line}" if stmt.line is not None else ""
            lines.append(f"{indent}{lhs}{head} carrying ({carried}):{line}")
            lines += format_block(stmt.cond_body, indent + "  ")
            lines += format_block(stmt.body, indent + "  ")
            lines.append(f"{indent}  next " + ", ".join(format_operand(c.next) for c in stmt.carried))
        else:
            lines.append(indent + format_op(stmt))
    return lines


def format_function(fn: Function) -> str:
    params = ", ".join(repr(p.var) for p in fn.params)
    lines = [f"func {fn.name}({params}):"]
    lines += format_block(fn.body, "  ")
    lines.append("  return " + ", ".join(format_operand(r) for r in fn.returns))
    return "\n".join(lines)
