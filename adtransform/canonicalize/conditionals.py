"""Conditional expressions, boolean operators and chained comparisons to statements.

Post-condition: no IfExp, no BoolOp and no Compare with more than one
operator remains (`not x` does: it is a unary operation).
- `t = a if c else b` becomes `if c: t = a` / `else: t = b`: only the chosen
  branch is evaluated.
- `t = a and b` becomes `t = a` / `if t: t = b` (`or`: `if not t:`), which
  keeps short-circuiting and Python's value semantics (`x and y` is `x` when
  `x` is falsy).
- `t = a < b < c` becomes `t = a < b` / `if t: t = b < c`, with `b` bound to a
  temporary first unless it is a name or a constant, so it is evaluated once.
  When a later operand reads `t` itself (`x = y and x`), the partial results
  go to a temporary that is assigned to `t` at the end.
Nested in a larger expression, each construct is computed into a temporary
(`choice`, `both`, `either`, `cond`) that the expression then reads. The
operands evaluated before it in the same statement are bound to temporaries
first (unless they are names, constants or module references like `np.pi`:
nothing evaluated meanwhile can rebind a local; rebinding a global in the
middle of an expression is not supported), so evaluation order is kept.
The test of an `if` is lowered before the `if`. The test of a `while` must be
evaluated again before every iteration: it is computed into a flag before the
loop and again at the end of the body (`cond = <test>` / `while cond:` /
`<body>` / `cond = <test>`).
Accepts: the output of loop_exits (`while not broke and <test>:`).
Requires: loop_exits — the end of a `while` body must be reached on every
iteration, which a `continue` would skip. The fence: lambdas and
comprehensions, whose bodies cannot be moved into statements, are left alone.
Why: SSA lowering maps a choice to an `If` region; in an expression it has
nowhere to put one.

>>> from adtransform.canonicalize.testing import run_pass
>>> print(run_pass(transform, '''
... def f(x, y):
...     z = x if x > 0 else -x
...     if z > 1 and y < 2:
...         z = 0 < y < 3
...     return z'''))
def f(x, y):
    if x > 0:
        z = x
    else:
        z = -x
    cond = z > 1
    if cond:
        cond = y < 2
    if cond:
        z = 0 < y
        if z:
            z = y < 3
    return z
"""

from __future__ import annotations

import copy

import gast

from ..frontend.context import Context
from ..syntax import build
from .anf import is_constant, static_path
from .blocks import rewrite_blocks
from .jumps import make_if, not_

# Expressions with bodies of their own: nothing inside them can move out.
_OPAQUE = (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)
_OP_HINTS = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "div", gast.MatMult: "matmul",
             gast.Pow: "pow", gast.Mod: "mod", gast.FloorDiv: "floordiv"}

# A slot is where an operand sits: (node, field, index in the field's list or None).
_Slot = tuple[gast.AST, str, "int | None"]


def transform(node: gast.FunctionDef, ctx: Context) -> bool:
    return rewrite_blocks(node, _Lowering(ctx).statement)


def has_choice(node: gast.AST) -> bool:
    """`node` holds an IfExp, a BoolOp or a chained comparison outside any lambda or comprehension."""
    if isinstance(node, _OPAQUE):
        return False
    return _is_choice(node) or any(has_choice(child) for child in gast.iter_child_nodes(node))


def _is_choice(node: gast.AST) -> bool:
    return isinstance(node, (gast.IfExp, gast.BoolOp)) or (isinstance(node, gast.Compare) and len(node.ops) > 1)


class _Lowering:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def statement(self, stmt: gast.stmt) -> list[gast.stmt] | None:
        """The statements replacing `stmt`, or None when it has nothing to lower."""
        out: list[gast.stmt] = []
        if isinstance(stmt, gast.While):
            if not has_choice(stmt.test):
                return None
            flag = self.ctx.namer.fresh("cond")
            self.assign_to(flag, stmt.test, out)
            stmt.test = build.name(flag)
            stmt.body = [*stmt.body, *copy.deepcopy(out)]  # the test again, for the next iteration
            return [*out, stmt]
        field = {gast.If: "test", gast.For: "iter"}.get(type(stmt), "value")
        value = getattr(stmt, field, None)
        if not isinstance(value, gast.expr) or not has_choice(value):
            return None
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and _is_choice(value):
            self.assign_to(stmt.targets[0].id, value, out)
            return out
        new = self.expr(value, out, hint="cond" if isinstance(stmt, gast.If) else None)
        if isinstance(stmt, gast.Expr) and self.is_atom(new):
            return out  # the statement only evaluated the expression, which `out` now does
        setattr(stmt, field, new)
        return [*out, stmt]

    def assign_to(self, target: str, node: gast.expr, out: list[gast.stmt]) -> None:
        """Append to `out` the statements that evaluate `node` into the variable `target`."""
        if isinstance(node, gast.IfExp):
            test = self.expr(node.test, out, hint="cond")
            body: list[gast.stmt] = []
            orelse: list[gast.stmt] = []
            self.assign_to(target, node.body, body)
            self.assign_to(target, node.orelse, orelse)
            out.extend(make_if(test, body, orelse))
        elif _is_choice(node):  # a BoolOp or a chained comparison
            # `target` holds a partial result while later operands are evaluated: they must not read it.
            later = node.values[1:] if isinstance(node, gast.BoolOp) else node.comparators
            if any(isinstance(n, gast.Name) and n.id == target for v in later for n in gast.walk(v)):
                temp = self.ctx.namer.fresh(_choice_hint(node))
                self.assign_to(temp, node, out)
                out.append(build.assign(target, build.name(temp)))
            elif isinstance(node, gast.BoolOp):
                self.bool_op(target, isinstance(node.op, gast.And), node.values, out)
            else:
                left = self.expr(node.left, out)
                self.compare_chain(target, left, node.ops, node.comparators, out)
        else:
            value = self.expr(node, out)
            if not (isinstance(value, gast.Name) and value.id == target):
                out.append(build.assign(target, value))

    def bool_op(self, target: str, is_and: bool, values: list[gast.expr], out: list[gast.stmt]) -> None:
        """`target = values[0]`, then the other operands while `target` decides the result is open."""
        self.assign_to(target, values[0], out)
        if len(values) > 1:
            rest: list[gast.stmt] = []
            self.bool_op(target, is_and, values[1:], rest)
            out.append(build.if_(build.name(target) if is_and else not_(target), rest))

    def compare_chain(self, target: str, left: gast.expr, ops: list[gast.cmpop], comparators: list[gast.expr],
                      out: list[gast.stmt]) -> None:
        """`target = left < comparators[0]`, and while it holds, the next comparison."""
        right, last = comparators[0], len(ops) == 1
        if not self.is_atom(left) and (has_choice(right) or not (last or self.is_atom(right))):
            left = self.atom(left, out)  # evaluate `left` before what `right` moves out
        right = self.expr(right, out)
        if not last:
            right = self.atom(right, out)  # read twice
        out.append(build.assign(target, build.compare_op(ops[0], left, right)))
        if not last:
            rest: list[gast.stmt] = []
            self.compare_chain(target, right, ops[1:], comparators[1:], rest)
            out.append(build.if_(build.name(target), rest))

    def expr(self, node: gast.expr, out: list[gast.stmt], hint: str | None = None) -> gast.expr:
        """`node` without choices: they move into statements appended to `out`, in evaluation order."""
        if not has_choice(node):
            return node
        if _is_choice(node):
            temp = self.ctx.namer.fresh(hint or _choice_hint(node))
            self.assign_to(temp, node, out)
            return build.name(temp)
        slots = _slots(node)
        last = max(k for k, slot in enumerate(slots) if has_choice(_get(slot)))
        for k, slot in enumerate(slots[:last + 1]):
            new = self.expr(_get(slot), out)
            if k < last:
                new = self.atom(new, out)  # evaluated before the choice that moves out of slot `last`
            _set(slot, new)
        return node

    def atom(self, node: gast.expr, out: list[gast.stmt]) -> gast.expr:
        if self.is_atom(node):
            return node
        temp = self.ctx.namer.fresh(_hint(node))
        out.append(build.assign(temp, node))
        return build.name(temp)

    def is_atom(self, node: gast.expr) -> bool:
        """Names, constants and module references: nothing evaluated meanwhile can change them."""
        if isinstance(node, gast.Name) or is_constant(node):
            return True
        return isinstance(node, gast.Attribute) and static_path(node, self.ctx) is not None


def _slots(node: gast.expr) -> list[_Slot]:
    """Where the operands of `node` sit, in the order Python evaluates them."""
    if isinstance(node, gast.Call):
        # The callee's receiver is evaluated first; a method stays a method (`x.sum(...)`).
        func = node.func
        slots: list[_Slot] = [(func, "value", None)] if isinstance(func, gast.Attribute) else [(node, "func", None)]
        slots += [(node, "args", i) for i in range(len(node.args))]
        return slots + [(kw, "value", None) for kw in node.keywords]
    if isinstance(node, gast.Subscript):
        return [(node, "value", None), *_index_slots(node, "slice")]
    slots = []
    for field, value in gast.iter_fields(node):
        if isinstance(value, list):
            slots += [(node, field, i) for i, v in enumerate(value) if isinstance(v, gast.expr)]
        elif isinstance(value, gast.expr):
            slots.append((node, field, None))
    return slots


def _index_slots(owner: gast.AST, field: str) -> list[_Slot]:
    """A subscript's index: a slice (`a:b`) cannot be bound to a name, so its parts are the operands."""
    index = getattr(owner, field)
    if isinstance(index, gast.Slice):
        return _slice_parts(index)
    if isinstance(index, gast.Tuple) and any(isinstance(e, gast.Slice) for e in index.elts):
        slots: list[_Slot] = []
        for i, elt in enumerate(index.elts):
            slots += _slice_parts(elt) if isinstance(elt, gast.Slice) else [(index, "elts", i)]
        return slots
    return [(owner, field, None)]


def _slice_parts(index: gast.Slice) -> list[_Slot]:
    return [(index, part, None) for part in ("lower", "upper", "step") if getattr(index, part) is not None]


def _get(slot: _Slot) -> gast.expr:
    owner, field, index = slot
    value = getattr(owner, field)
    return value if index is None else value[index]


def _set(slot: _Slot, new: gast.expr) -> None:
    owner, field, index = slot
    if index is None:
        setattr(owner, field, new)
    else:
        getattr(owner, field)[index] = new


def _choice_hint(node: gast.expr) -> str:
    if isinstance(node, gast.IfExp):
        return "choice"
    if isinstance(node, gast.BoolOp):
        return "both" if isinstance(node.op, gast.And) else "either"
    return "cond"


def _hint(node: gast.expr) -> str:
    if isinstance(node, gast.BinOp):
        return _OP_HINTS.get(type(node.op), "t")
    if isinstance(node, gast.Call):
        func = node.func
        return func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "call")
    if isinstance(node, (gast.Attribute, gast.Subscript)):
        base = node.value.id if isinstance(node.value, gast.Name) else "t"
        return f"{base}_{node.attr}" if isinstance(node, gast.Attribute) else f"{base}_item"
    return "cond" if isinstance(node, gast.Compare) else "t"
