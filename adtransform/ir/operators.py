"""Python operators (and subscript writes) as the functions derivative rules are registered on."""

from __future__ import annotations

import operator

import gast

from .. import runtime
from ..frontend.resolve import Ref, Scope
from .nodes import Callee, Style

# gast operator class -> (function, symbol)
BINARY = {
    gast.Add: (operator.add, "+"), gast.Sub: (operator.sub, "-"), gast.Mult: (operator.mul, "*"),
    gast.Div: (operator.truediv, "/"), gast.FloorDiv: (operator.floordiv, "//"),
    gast.Mod: (operator.mod, "%"), gast.Pow: (operator.pow, "**"), gast.MatMult: (operator.matmul, "@"),
    gast.BitAnd: (operator.and_, "&"), gast.BitOr: (operator.or_, "|"), gast.BitXor: (operator.xor, "^"),
    gast.LShift: (operator.lshift, "<<"), gast.RShift: (operator.rshift, ">>"),
}
UNARY = {
    gast.USub: (operator.neg, "-"), gast.UAdd: (operator.pos, "+"),
    gast.Not: (operator.not_, "not"), gast.Invert: (operator.invert, "~"),
}
COMPARE = {
    gast.Eq: (operator.eq, "=="), gast.NotEq: (operator.ne, "!="), gast.Lt: (operator.lt, "<"),
    gast.LtE: (operator.le, "<="), gast.Gt: (operator.gt, ">"), gast.GtE: (operator.ge, ">="),
    gast.Is: (operator.is_, "is"), gast.IsNot: (operator.is_not, "is not"),
    gast.In: (operator.contains, "in"), gast.NotIn: (operator.contains, "not in"),
}
SYMBOLS = {fn: sym for table in (BINARY, UNARY, COMPARE) for fn, sym in table.values()}
UNARY_FUNCTIONS = {fn for fn, _ in UNARY.values()}
COMPARISONS = {fn for fn, _ in COMPARE.values()}

# `y[i] = v` as a value: the new version of `y` (a copy, or `y` itself written in place when safe).
INDEX_UPDATE = Callee(runtime.index_update, Style.FUNCTION,
                      ref=Ref(("index_update",), runtime.index_update, Scope.INJECTED, runtime.index_update))
