"""Read a vector element by element from a list of Python floats.

    heating_item = heating[t]      ->     heating_items = float_items(heating)   (once, at the top)
                                          heating_item = heating_items[t]

Why: `x[t]` of a float64 array is a NumPy scalar, and every operation on one
costs several times an operation on a Python float (the same IEEE double).
Scalar code reading a vector in a loop spends most of its time there; a
hand-written gradient reads `x.tolist()` instead.

Only in the version of the gradient whose run-time check (`has_ranks`) proves
the vector has one axis, for reads with one integer index (a `range` loop
variable, integer arithmetic on it, a constant); every other read (a slice, the
shape, the adjoint's buffer) keeps the array. `float_items` returns anything
but a float64 vector unchanged, so the reads mean the same for every call.
Python floats raise where NumPy scalars give inf or nan (`1.0 / 0.0`, an
overflowing `**`): codegen wraps this version so that such a call is handed to
the general version, which computes as the user's function does.

The adjoint of such a vector, added into one element at a time (`x_bar[t] +=
g`, from scatter_in_place), starts as a list of zeros too (`zeros_items`) when
nothing but those additions and the loops carrying it reads it before it is
returned; `from_items` makes it the float64 array returned.

Requires: runs once, after the value-level passes and scatter_in_place (the optimizer schedules it:
it must see their result, and fresh_returns and in_place must see its).
Guarantees: the rewritten reads give the same numbers, and the gradient is an array.
"""

from __future__ import annotations

import operator

from .. import runtime
from ..ad import runtime_refs
from ..analysis.effects import observable
from ..analysis.manager import PassContext
from ..analysis.rank import integers
from ..ir.nodes import Const, Function, If, Index, Loop, Op, Style, Sweep, Var, flatten, walk
from ..ir.operators import COMPARISONS
from ..syntax.naming import Namer


def transform(fn: Function, cx: PassContext) -> bool:
    namer = cx.namer
    guard = next((s for s in fn.body if isinstance(s, Op) and fn.guard is not None and s.result is fn.guard), None)
    if guard is None or guard.callee.key is not runtime.has_ranks or not isinstance(guard.args[0], Const):
        return False
    if _bool_arithmetic(fn) or _fractional_powers(fn):
        return False
    if any(observable(op) for op in walk(fn.body) if isinstance(op, Op)):
        return False  # a vector's items printed as NumPy scalars (their repr differs), nothing run twice
    vectors = {v for r, v in zip(guard.args[0].value, guard.args[1:]) if r == 1 and isinstance(v, Var)}
    vectors &= set(fn.param_vars())
    ints = integers(fn)
    reads: dict[Var, list[Op]] = {}
    in_loops: set[Var] = set()
    for stmt in walk(fn.body):
        if isinstance(stmt, Loop):
            in_loops |= {op.args[0] for op in walk(stmt.body) if _element_read(op, vectors, ints)}
        elif _element_read(stmt, vectors, ints):
            reads.setdefault(stmt.args[0], []).append(stmt)
    # An item whose own attributes or methods are read (`x[t].item()`) stays a NumPy scalar.
    items = {op.result: vector for vector, ops in reads.items() for op in ops}
    for stmt in walk(fn.body):
        if isinstance(stmt, Op) and stmt.callee.style in (Style.ATTRIBUTE, Style.METHOD) \
                and isinstance(stmt.args[0], Var) and stmt.args[0] in items:
            in_loops.discard(items[stmt.args[0]])
    # So does one whose type is observed, or that of arithmetic on it (`isinstance(x[t] * 2, np.floating)`).
    derived = _derived(fn, items)
    for stmt in walk(fn.body):
        if isinstance(stmt, Op) and stmt.callee.key in _OBSERVE_TYPES:
            for arg in stmt.args:
                if isinstance(arg, Var) and arg in derived:
                    in_loops.discard(derived[arg])
    at = fn.body.index(guard) + 1
    listed_adjoints = _list_adjoints(fn, in_loops, namer)
    for vector in sorted(in_loops, key=lambda v: v.name, reverse=True):
        listed = Var(namer.fresh(f"{vector.name}_items"))
        fn.body.insert(at, Op(listed, runtime_refs.callee("float_items"), [vector], sweep=Sweep.PRIMAL))
        for op in reads[vector]:
            op.args[0] = listed
    return bool(in_loops) or listed_adjoints


def _derived(fn: Function, items: dict[Var, Var]) -> dict[Var, Var]:
    """The values computed from the items by arithmetic, through loops and branches: each with its vector."""
    derived = dict(items)
    changed = True
    while changed:
        changed = False
        for stmt in walk(fn.body):
            pairs: list[tuple[object, Var]] = []
            if isinstance(stmt, Op) and stmt.result is not None and stmt.callee.style is Style.OPERATOR:
                pairs = [(a, stmt.result) for a in stmt.args]
            elif isinstance(stmt, Loop):
                pairs = [(o, v) for c in stmt.carried for o in (c.init, c.next) for v in (c.param, c.result)]
            elif isinstance(stmt, If):
                pairs = [(o, r) for r, a, b in zip(stmt.results, stmt.then_values, stmt.else_values) for o in (a, b)]
            for operand, result in pairs:
                if isinstance(operand, Var) and operand in derived and result not in derived:
                    derived[result] = derived[operand]
                    changed = True
    return derived


# Calls that tell a NumPy scalar from a Python float (`np.float64` is a `float`, but not of type float).
_OBSERVE_TYPES = frozenset({isinstance, type, repr, hasattr, getattr, dir, vars, id})

_LOGICAL = (operator.and_, operator.or_, operator.xor, operator.invert, operator.not_)
_BOOL_SENSITIVE = (operator.invert, operator.add, operator.sub, operator.neg, operator.pos)


def _bool_arithmetic(fn: Function) -> bool:
    """Whether arithmetic reads a comparison's result: on Python floats it is a `bool`, which
    computes otherwise than NumPy's (`~True == -2`, `True + True == 2`; NumPy: False, True)."""
    booleans: set[Var] = set()
    changed = True
    while changed:
        changed = False
        for s in walk(fn.body):
            found: list[Var] = []
            if isinstance(s, Op) and s.result is not None and s.result not in booleans:
                logical = s.callee.style is Style.OPERATOR and (s.callee.key in COMPARISONS or (
                    s.callee.key in _LOGICAL and any(a in booleans for a in s.args if isinstance(a, Var))))
                copied = s.callee.style is Style.COPY and any(isinstance(a, Var) and a in booleans for a in s.args)
                if logical or copied:
                    found.append(s.result)
            elif isinstance(s, If):
                found += [r for r, a, b in zip(s.results, s.then_values, s.else_values)
                          if r not in booleans and any(isinstance(v, Var) and v in booleans for v in (a, b))]
            if found:
                booleans.update(found)
                changed = True
    return any(isinstance(s, Op) and s.callee.style is Style.OPERATOR and s.callee.key in _BOOL_SENSITIVE
               and any(isinstance(a, Var) and a in booleans for a in s.args) for s in walk(fn.body))


def _fractional_powers(fn: Function) -> bool:
    """Whether a power's exponent may be fractional: a negative Python float to it is complex
    (`(-2.0) ** 0.5`), where NumPy's float64 gives nan; no exception sends the call elsewhere."""
    ints = integers(fn)
    for s in walk(fn.body):
        if isinstance(s, Op) and s.callee.style is Style.OPERATOR and s.callee.key is operator.pow:
            exponent = s.args[1]
            whole = (isinstance(exponent, Var) and exponent in ints) or (
                isinstance(exponent, Const) and isinstance(exponent.value, (int, float))
                and float(exponent.value).is_integer())
            if not whole:
                return True
    return False


def _list_adjoints(fn: Function, vectors: set[Var], namer: Namer) -> bool:
    """`zeros_like(x)` -> `zeros_items(x)` for adjoints only added into element by element and returned."""
    users: dict[Var, list[object]] = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Op):
            for a in stmt.uses():
                users.setdefault(a, []).append(stmt)
            continue
        own = [stmt.cond, *stmt.then_values, *stmt.else_values] if isinstance(stmt, If) \
            else [*stmt.iter_args, stmt.cond]
        for v in (v for o in own for v in flatten(o) if isinstance(v, Var)):
            users.setdefault(v, []).append(None)
        for c in stmt.carried if isinstance(stmt, Loop) else ():
            for role, v in (("init", c.init), ("next", c.next)):
                if isinstance(v, Var):
                    users.setdefault(v, []).append((role, c))
    for i, r in enumerate(fn.returns):
        if isinstance(r, Var):
            users.setdefault(r, []).append(("return", i))
    changed = False
    for op in [s for s in fn.body if isinstance(s, Op)]:
        if op.callee.key is not runtime.zeros_like or op.callee.style is not Style.FUNCTION \
                or op.args[0] not in vectors:
            continue
        end = _follow(op.result, op.args[0], users, stop=None)
        if end is None:
            continue
        position = next(i for i, r in enumerate(fn.returns) if r is end)
        op.callee = runtime_refs.callee("zeros_items")
        array = Var(namer.fresh(f"{op.args[0].name}_grad"))
        fn.body.append(Op(array, runtime_refs.callee("from_items"), [end], sweep=Sweep.ADJOINT))
        fn.returns[position] = array
        changed = True
    return changed


def _follow(value: Var, vector: Var, users: dict, stop: Var | None, depth: int = 0) -> Var | None:
    """Where the accumulation starting at `value` ends: returned (or, in a loop, handed on as `stop`)."""
    while depth < 64:
        depth += 1
        if value is stop:
            return value
        found = users.get(value, [])
        if len(found) != 1:
            return None
        (user,) = found
        if isinstance(user, Op):
            added = user.callee.style is Style.ADD_INTO and user.args[0] is value and user.args[2] is vector
            if not (added or user.callee.style is Style.COPY):
                return None
            value = user.result
        elif isinstance(user, tuple) and user[0] == "init":
            c = user[1]
            if _follow(c.param, vector, users, stop=c.next, depth=depth) is None:
                return None
            value = c.result
        elif isinstance(user, tuple) and user[0] == "return" and stop is None:
            return value
        else:
            return None
    return None


def _element_read(stmt: object, vectors: set[Var], ints: set[Var]) -> bool:
    if not isinstance(stmt, Op) or stmt.callee.style is not Style.SUBSCRIPT or stmt.callee.key is not operator.getitem:
        return False
    if len(stmt.args) != 2 or stmt.args[0] not in vectors:
        return False
    index = stmt.args[1]
    if isinstance(index, Index):
        if index.is_tuple or len(index.items) != 1:
            return False
        index = index.items[0]
    return (isinstance(index, Const) and type(index.value) is int) or (isinstance(index, Var) and index in ints)
