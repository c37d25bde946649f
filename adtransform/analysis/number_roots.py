"""Which values are Python numbers whenever another one is: the roots of arithmetic.

Arithmetic with one NumPy operand (a NumPy scalar, an array) is NumPy's; so a value built by
arithmetic operators alone is a Python number only if every value it was built from (its roots:
a parameter, a function's result, a loop's target) is one. The user's `x / y` that ran at a Python
zero `y` had a NumPy `x`; if `x` is a Python number whenever `y` is (the roots `x` may take its
type from are among those `y` must), that cannot happen, and the adjoint's `g / y` divides by no
Python zero (specialize/floats.py protects the other divisions). Newton's `x = 0.5 * (x + a / x)`
from `x = a`: `x` is a Python number only where `a` is, so `a / x` raised where `x` was zero.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from ..ir.nodes import Const, Function, If, Loop, Op, Operand, Stmt, Style, Var

_ARITHMETIC = (operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
               operator.pow, operator.neg, operator.pos)

Roots = frozenset[Var]


class _Roots:
    """`may[v]`: the roots a NumPy type of `v` may come from; `must[v]`: roots that are Python
    numbers wherever `v` is one (None: every value, the start of a loop's greatest fixpoint)."""

    def __init__(self) -> None:
        self.may: dict[Var, Roots] = {}
        self.must: dict[Var, Roots | None] = {}

    def of(self, operand: Operand) -> tuple[Roots, Roots | None] | None:
        """The roots of an operand, or None: not built of values (a global, an index)."""
        if isinstance(operand, Const):
            return frozenset(), frozenset()
        if isinstance(operand, Var):
            return self.may.get(operand, frozenset((operand,))), self.must.get(operand, frozenset((operand,)))
        return None

    def leaf(self, v: Var) -> None:
        self.may[v] = self.must[v] = frozenset((v,))

    def body(self, body: list[Stmt]) -> None:
        for s in body:
            if isinstance(s, Op):
                self.op(s)
            elif isinstance(s, If):
                self.body(s.then_body)
                self.body(s.else_body)
                for result, a, b in zip(s.results, s.then_values, s.else_values, strict=False):
                    self.join(result, [a, b])
            elif isinstance(s, Loop):
                self.loop(s)

    def op(self, s: Op) -> None:
        if s.result is None:
            return
        arithmetic = s.callee.style is Style.OPERATOR and any(s.callee.key is f for f in _ARITHMETIC)
        if not (arithmetic or s.callee.style is Style.COPY):
            self.leaf(s.result)
            return
        roots = [self.of(a) for a in s.args]
        if any(r is None for r in roots):
            self.leaf(s.result)
            return
        self.may[s.result] = frozenset().union(*(r[0] for r in roots))
        musts = [r[1] for r in roots]
        self.must[s.result] = None if any(m is None for m in musts) else frozenset().union(*musts)

    def join(self, result: Var, values: list[Operand]) -> None:
        """A value that is one of `values` (a branch's, or a loop's start and its next)."""
        roots = [self.of(v) for v in values]
        if any(r is None for r in roots):
            self.leaf(result)
            return
        self.may[result] = frozenset().union(*(r[0] for r in roots))
        known = [r[1] for r in roots if r[1] is not None]
        self.must[result] = frozenset.intersection(*known) if known else None

    def loop(self, loop: Loop) -> None:
        """The carried values to a fixpoint: the roots they may have grow, those they must shrink.
        A root inside the loop is another value in each iteration: the carried value stands for it."""
        inner = loop.inner()
        if loop.target is not None:
            self.leaf(loop.target)
        for c in loop.carried:
            start = self.of(c.init)
            self.may[c.param] = start[0] if start else frozenset((c.param,))
            self.must[c.param] = None if start else frozenset((c.param,))
        for _ in range(len(loop.carried) + 8):
            self.body(loop.cond_body)
            self.body(loop.body)
            changed = False
            for c in loop.carried:
                before = self.may[c.param], self.must[c.param]
                self.join(c.param, [c.init, c.next])
                may = self.may[c.param]
                if may & inner:
                    may = (may - inner) | {c.param}
                must = self.must[c.param]
                self.may[c.param], self.must[c.param] = may, None if must is None else must - inner
                changed |= (self.may[c.param], self.must[c.param]) != before
            if not changed:
                break
        else:  # (no fixpoint so soon: each carried value its own root)
            for c in loop.carried:
                self.leaf(c.param)
            self.body(loop.cond_body)
            self.body(loop.body)
        for c in loop.carried:
            self.leaf(c.result)


def python_whenever(fn: Function) -> Callable[[Operand, Operand], bool]:
    """`python_whenever(fn)(x, y)`: whether `x` is a Python number wherever `y` is one (both read
    at the same place of `fn`'s body)."""
    roots = _Roots()
    for p in fn.param_vars():
        roots.leaf(p)
    roots.body(fn.body)

    def whenever(x: Operand, y: Operand) -> bool:
        rx, ry = roots.of(x), roots.of(y)
        if rx is None or ry is None:
            return False
        return ry[1] is not None and rx[0] <= ry[1]

    return whenever
