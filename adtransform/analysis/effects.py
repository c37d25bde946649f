"""What an operation does besides computing its value, from the facts registry (rules/registry.py).

An analysis (imported by reverse mode and by the optimizer alike).

Passes ask here, never a table of their own: which operations may be removed or merged (pure ones),
which arguments an operation changes in place, whether its result is a new object, and which
arguments it reads only for their shape. A primitive without declared facts gets the conservative
default (it changes every argument and has effects), so an undeclared call is kept, never merged.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import types

import numpy as np

from ..frontend.calls import value_method_facts
from ..ir.nodes import Const, Global, If, Loop, Op, Operand, Style, Sweep, Var, walk
from ..rules.registry import UNKNOWN, Facts, lookup_facts

_PURE_STYLES = {Style.COPY, Style.OPERATOR, Style.ATTRIBUTE, Style.SUBSCRIPT, Style.TUPLE, Style.LIST}
_CALL_STYLES = {Style.FUNCTION, Style.METHOD, Style.CALL_VALUE}


def facts_of(op: Op) -> Facts:
    """The facts of the primitive `op` calls (a method's receiver is argument 0). A method arrays do
    not have (`L.append(v)`, keyed `("method", "append")`) has what the frontend gave it: those of the
    list and tuple methods of that name joined."""
    key = op.callee.key
    if not _unresolved_method(op):
        return lookup_facts(key)
    receiver = op.args[0]
    if isinstance(receiver, Var):
        return value_method_facts(key[1])
    if not isinstance(receiver, Global):
        return UNKNOWN
    owner = receiver.ref.obj
    if isinstance(owner, (types.ModuleType, type, np.ufunc)):
        # `np.add.at(c, i, v)`: a function of the module, class or ufunc; its position 0 is `c`
        target = getattr(owner, key[1], None)
        return UNKNOWN if target is None else _after_receiver(lookup_facts(target))
    method = getattr(type(owner), key[1], None)  # a global object's method: its class's function
    return UNKNOWN if method is None else lookup_facts(method)


def _unresolved_method(op: Op) -> bool:
    key = op.callee.key
    return op.callee.style is Style.METHOD and type(key) is tuple and len(key) == 2 and key[0] == "method" \
        and bool(op.args)


def is_value_method(op: Op) -> bool:
    """A method call on a local value that arrays do not have: the receiver is a list or tuple."""
    return _unresolved_method(op) and isinstance(op.args[0], Var)


def _after_receiver(facts: Facts) -> Facts:
    """The facts of a function called through the object holding it (`np.add.at` as a method of
    `np.add`): each position one later, the object itself at position 0."""
    def shift(chosen: frozenset) -> frozenset:
        return frozenset(p + 1 if isinstance(p, int) else p for p in chosen)
    mutates = facts.mutates if not isinstance(facts.mutates, frozenset) else shift(facts.mutates)
    return dataclasses.replace(facts, mutates=mutates, shape_only=shift(facts.shape_only),
                               params=("<receiver>", *facts.params) if facts.params else ())


def _passed(value: Operand) -> bool:
    return value != Const(None)  # `out=None` writes nothing


def changed_operands(op: Op) -> list[Operand]:
    """The arguments `op` may change in place (`out=`, a method's receiver for `c.sort()`, ...)."""
    if op.callee.style not in _CALL_STYLES:
        return []
    facts = facts_of(op)
    changed = [a for i, a in enumerate(op.args) if _passed(a) and facts.changes(position=i)]
    return changed + [v for k, v in op.kwargs.items() if _passed(v) and facts.changes(keyword=k)]


_ORDERINGS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge)


def is_pure(op: Op | If) -> bool:
    """Operators, and calls whose facts say they change no argument they receive and have no other
    effect, are pure. Calls of anything else (print, np.random.*, `c.sort()`, an unknown function)
    are kept even if their result is unused, and never merged. A region is pure when all of it is.
    """
    if isinstance(op, If):
        return all(is_pure(s) for s in walk(op.then_body + op.else_body) if isinstance(s, Op))
    if isinstance(op, Loop):
        return all(is_pure(s) for s in walk(op.cond_body + op.body) if isinstance(s, Op))
    if op.sweep is Sweep.CHECK or op.validates:
        return False
    if op.callee.style in _PURE_STYLES:
        return True
    facts = facts_of(op)
    if op.callee.style in (Style.STORE, Style.ADD_INTO):  # the result is the updated buffer: a value the IR tracks
        return facts.known and not facts.effects
    return op.callee.style in _CALL_STYLES and facts.known and not facts.effects and not changed_operands(op)


def observable(op: Op) -> bool:
    """Whether running `op` again would be seen outside the function: a call in the user's computation
    whose facts say it has effects (a print, a random draw, a `raise`), or of an unknown function."""
    return op.sweep is Sweep.PRIMAL and op.callee.style in _CALL_STYLES and facts_of(op).effects


def may_change_globals(stmt: Op | If | Loop) -> bool:
    """Whether a statement may change memory a global refers to: a call nobody declared facts for
    (`bump()` may write into a global array it sees) or one changing a global it receives."""
    if isinstance(stmt, (If, Loop)):
        return any(may_change_globals(s) for s in walk([stmt]) if isinstance(s, Op))
    if stmt.callee.style not in _CALL_STYLES or stmt.sweep is Sweep.CHECK:
        return False
    return not facts_of(stmt).known or any(isinstance(o, Global) for o in changed_operands(stmt))


def is_fresh(op: Op) -> bool:
    """Whether `op`'s result is a new object, never an argument or a view of one (`np.sin(y)`, `y * 2`;
    not `np.exp(x, out=buf)`, which returns `buf`, nor `np.array(x, copy=False)`)."""
    if op.callee.style is Style.OPERATOR:
        return True
    if op.callee.style not in _CALL_STYLES or not facts_of(op).fresh or changed_operands(op):
        return False
    return op.kwargs.get("copy", Const(True)) == Const(True)


def shape_only(op: Op, position: int) -> bool:
    """Whether `op` reads its operand number `position` (arguments, then keyword values) only for
    its shape and dtype (`zeros_like(x)`, `unbroadcast(g, x)`)."""
    if op.callee.style not in _CALL_STYLES:
        return False
    facts = facts_of(op)
    if position < len(op.args):
        return facts.shape_only_at(position=position)
    keyword = list(op.kwargs)[position - len(op.args)]
    return facts.shape_only_at(keyword=keyword)


def is_foldable(op: Op) -> bool:
    """Safe to evaluate at transform time when every argument is a constant."""
    key = op.callee.key
    if op.callee.style is Style.OPERATOR:
        # Comparisons only in adjoint code: rules guard a special case with one (`y - (y != 0)`),
        # which a constant argument must fold away; the user's own tests keep their text.
        return key in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                       operator.neg, operator.pos) or (op.sweep is Sweep.ADJOINT and key in _ORDERINGS)
    if op.callee.style is not Style.FUNCTION:
        return False
    return getattr(key, "__module__", None) == math.__name__ or isinstance(key, np.ufunc)
