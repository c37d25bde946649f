"""Check the IR's invariants: every Var is defined once, before it is used, in a scope that sees it.

Run between passes in tests and when ADTRANSFORM_VERIFY=1, so a pass that
breaks SSA fails at the pass, not as a wrong gradient three stages later.
Values defined inside a branch are visible only in that branch (and in its
yielded values); after the `If`, only its results are.
"""

from __future__ import annotations

from .nodes import Function, If, Loop, Operand, Stmt, Var, defined_in
from .printer import format_op


class IRVerificationError(AssertionError):
    pass


def verify(fn: Function) -> None:
    defined: set[Var] = set(fn.param_vars())
    if fn.pullback_param is not None:
        defined.add(fn.pullback_param)
    if len(defined) != len(fn.params) + (fn.pullback_param is not None):
        raise IRVerificationError(f"{fn.name}: duplicate parameter")
    names = {v.name for v in defined}
    _block(fn, fn.body, defined, names, set())
    _check_uses(fn, fn.returns, defined, "return")


def _check_uses(fn: Function, operands: list[Operand], visible: set[Var], where: str) -> None:
    for use in operands:
        if isinstance(use, Var) and use not in visible:
            raise IRVerificationError(f"{fn.name}: {use!r} used before definition (or out of scope) in {where}")


def _define(fn: Function, var: Var, visible: set[Var], names: set[str], everywhere: set[Var]) -> None:
    if var in everywhere or var in visible:
        raise IRVerificationError(f"{fn.name}: {var!r} defined twice")
    if var.name in names:
        raise IRVerificationError(f"{fn.name}: name {var.name!r} given to two values")
    visible.add(var)
    everywhere.add(var)
    names.add(var.name)


def _block(fn: Function, body: list[Stmt], visible: set[Var], names: set[str], everywhere: set[Var]) -> None:
    for stmt in body:
        if isinstance(stmt, If):
            _check_uses(fn, [stmt.cond], visible, "an if condition")
            mirrored = (stmt.mirror.then_body, stmt.mirror.else_body) if stmt.mirror else ([], [])
            for (branch, values), primal in zip(((stmt.then_body, stmt.then_values),
                                                 (stmt.else_body, stmt.else_values)), mirrored):
                inner = set(visible) | defined_in(primal)
                _block(fn, branch, inner, names, everywhere)
                _check_uses(fn, values, inner, "a branch's yielded values")
                if len(values) != len(stmt.results):
                    raise IRVerificationError(f"{fn.name}: a branch yields {len(values)} values for "
                                              f"{len(stmt.results)} results")
            for r in stmt.results:
                _define(fn, r, visible, names, everywhere)
            continue
        if isinstance(stmt, Loop):
            _check_uses(fn, stmt.iter_args + [c.init for c in stmt.carried], visible, "a loop's inputs")
            inner = set(visible)
            for var in [c.param for c in stmt.carried] + ([stmt.target] if stmt.target else []):
                _define(fn, var, inner, names, everywhere)
            _block(fn, stmt.cond_body, inner, names, everywhere)
            if stmt.cond is not None:
                _check_uses(fn, [stmt.cond], inner, "a loop condition")
            _block(fn, stmt.body, inner, names, everywhere)
            _check_uses(fn, [c.next for c in stmt.carried], inner, "a loop's carried values")
            for c in stmt.carried:
                _define(fn, c.result, visible, names, everywhere)
            continue
        _check_uses(fn, list(stmt.uses()), visible, f"`{format_op(stmt)}`")
        if stmt.result is not None:
            _define(fn, stmt.result, visible, names, everywhere)
