"""What reverse mode refuses, or checks at run time, before it differentiates a function.

Each check guards a case where the derivative would otherwise be silently wrong: a call changing
a differentiated value in place (no rule says how), an integer array receiving a differentiated
value (truncated), an index array that may name an element twice (NumPy leaves unsaid which value
stays).
"""

from __future__ import annotations

import functools
import types

import numpy as np

from ..analysis.effects import changed_operands, facts_of, may_change_globals
from ..errors import Location, NoAdjointRuleError, Problem
from ..frontend.fence import distribution_advice
from ..ir.nodes import Const, Function, Global, If, Index, Loop, Op, Operand, SliceItem, Stmt, Style, Sweep, Var, walk
from ..ir.operators import INDEX_UPDATE
from ..rules.registry import lookup_adjoint
from . import runtime_refs


def no_rule(op: Op, filename: str) -> NoAdjointRuleError:
    callee = op.callee
    label = str(callee)
    if (getattr(callee.key, "__module__", None) or "").startswith("adtransform.runtime"):  # what the passes added: a
        # helper of the compiler's (the copy made before a call changing its argument) is not the user's to name
        return NoAdjointRuleError(
            "the value this call changes in place depends on the differentiated input, and the compiler cannot "
            "differentiate the copy it makes for that call here; compute a new value instead of changing one in "
            "place (`y = np.sort(y)`, `lst = lst + [v]`)", Location(filename, op.line or 0, op.col),
            "call changing a differentiated value in place")
    if isinstance(callee.key, type) and issubclass(callee.key, BaseException):
        msg = (f"`{callee}` runs code of its own (`__init__` or `__new__`), which may change its arguments; "
               f"if it changes none, say so with `adtransform.declare_facts({callee}, returns="
               f"adtransform.Returns.NEW)`")
    elif callee.style is Style.CALL_VALUE:
        msg = (f"`{callee}` holds a function only known when the gradient runs (a parameter, or a value "
               f"stored in a variable): adtransform inlines the functions it resolves when it transforms "
               f"(module functions, methods of global objects, nested functions and lambdas called where "
               f"they are defined); call the function by its name, or register its derivative with "
               f"@adtransform.adjoint")
    elif isinstance(callee.key, types.FunctionType):
        msg = ("calls to user-defined Python functions are not supported yet; inline the function, "
               "or register its derivative with @adtransform.adjoint")
    elif callee.style in (Style.TUPLE, Style.LIST):
        msg = "tuples and lists of differentiated values are not supported yet"
    else:
        owner = op.args[0].ref.obj if callee.style is Style.METHOD and op.args and isinstance(op.args[0], Global) \
            else None
        advice = distribution_advice(owner) if owner is not None else ""
        if owner is not None:  # a method of a global object (`stats.halfnorm.logpdf`, `np.maximum.reduce`): in full
            named = label = f"{op.args[0].ref.spelling}.{callee.symbol}"
            shown = f"`{named}`"
        else:
            name = getattr(callee.key, "__qualname__", None) or getattr(callee.key, "__name__", None)
            module = getattr(callee.key, "__module__", None) or ("numpy" if isinstance(callee.key, np.ufunc) else None)
            named = f"{module}.{name}" if module and name else name
            shown = f"`{callee}`" + (f" ({named})" if named and not str(callee).endswith(str(name)) else "")
        msg = advice or _wrapped(callee.key, f"`{callee}`") or (
            f"no derivative rule is registered for {shown}; register one with @adtransform.adjoint({named or callee})")
    what = f"call of `{label}`" if callee.style in (Style.FUNCTION, Style.METHOD, Style.CALL_VALUE) \
        else f"`{label}`"
    return NoAdjointRuleError(msg, Location(filename, op.line or 0, op.col), what)


def _dotted(func: object) -> str:
    owner = getattr(func, "__self__", None)
    if isinstance(owner, np.ufunc):  # (`np.add.reduce`: the ufunc's method)
        return f"numpy.{owner.__name__}.{getattr(func, '__name__', '')}"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    module = getattr(func, "__module__", None) or ("numpy" if isinstance(func, np.ufunc) else None)
    return f"{module}.{name}" if module else name


def _wrapped(key: object, shown: str) -> str:
    """What to say of a wrapper with no rule, named as the wrapper it is (the rules are registered on
    functions, not on the objects wrapping them): "" for anything else."""
    if isinstance(key, np.vectorize):
        inner, name = _dotted(key.pyfunc), getattr(key.pyfunc, "__name__", "")
        instead = f"`np.{name}`" if inner == f"math.{name}" and isinstance(getattr(np, name, None), np.ufunc) \
            else "a function written with NumPy operations"
        return (f"{shown} is an `np.vectorize` of `{inner}`, which runs that Python function once per element "
                f"and has no derivative rule; pass {instead} instead, or register a rule with "
                f"@adtransform.adjoint on that np.vectorize object")
    if isinstance(key, functools.partial):
        inner = _dotted(key.func)
        return (f"{shown} is a `functools.partial` of `{inner}`, which has no derivative rule (a partial of "
                f"a function of yours or of a NumPy function with a rule is inlined); register one with "
                f"@adtransform.adjoint({inner})")
    owner = getattr(key, "__self__", None)
    if isinstance(owner, np.ufunc) and callable(key):
        return (f"no derivative rule is registered for {shown} (numpy.{owner.__name__}.{key.__name__}, a method "
                f"of a ufunc); call the NumPy function it stands for (`np.sum` for `np.add.reduce`), or register "
                f"one with @adtransform.adjoint(np.{owner.__name__}.{key.__name__})")
    return ""


def untracked_effects(fn: Function, varied: set[Var], filename: str) -> list[Problem]:
    """A call that changes an argument in place (`lst.append(v)`, `y.sort()`, `np.put(y, i, v)`, an
    unknown function) works on a copy bound to the name it changes (canonicalize/effects.py), but
    no rule says how the changed value depends on the old one and on the other arguments: with any
    of them differentiated its derivative would be silently wrong, so the call is refused (reverse
    mode refuses all such calls in one error). The facts registry says which calls change which
    arguments; an undeclared call may change all of them."""
    # Global arrays the function reads (a view of one may be read by the backward sweep too).
    arrays = [o.ref.spelling for op in walk(fn.body) if isinstance(op, Op) and op.sweep is not Sweep.CHECK
              for o in op.operands() if isinstance(o, Global) and isinstance(o.ref.obj, (np.ndarray, list))]
    problems = []
    for op in walk(fn.body):
        if not isinstance(op, Op) or op.sweep is Sweep.CHECK:
            continue
        where = Location(filename, op.line or 0, op.col)
        if arrays and may_change_globals(op):
            problems.append(Problem(where, f"call of `{op.callee}`", (
                f"`{op.callee}` may change the global `{arrays[0]}`, which the backward sweep reads after the "
                f"function has run; if it changes none, say so with `adtransform.declare_facts({op.callee}, "
                f"returns=...)`")))
            continue
        if not any(a in varied for a in op.uses()) or not changed_operands(op):
            continue
        if op.callee.key is runtime_refs.runtime.list_append:
            continue  # it changes the copy canonicalize made for it, and its rule differentiates its result
        if op.result is not None and not facts_of(op).known and lookup_adjoint(op.callee.key) is None:
            problems.extend(no_rule(op, filename).problems)  # an unknown function of a differentiated value
            continue
        writes_out = op.kwargs.get("out", Const(None)) != Const(None)
        what = "`out=`" if writes_out else f"call of `{op.callee}` for its effect"
        advice = "" if facts_of(op).known else (
            f"; if `{op.callee}` changes none of its arguments, say so with "
            f"`adtransform.declare_facts({op.callee}, returns=..., mutates=())`")
        problems.append(Problem(where, what, (
            f"`{op.callee}` changes its argument in place, which the compiler cannot follow through a "
            f"value that depends on the differentiated input; compute a new value instead "
            f"(`y = np.sort(y)`, `lst = lst + [v]`){advice}")))
    return problems


def check_write_indices(block: list[Stmt], varied: set[Var], filename: str, ints: set[Var]) -> None:
    """Before `a[index] = v` with `v` varied and an index that may name an element twice (an index
    array), check at run time that it does not: NumPy leaves unsaid which value stays there."""
    for at in reversed(range(len(block))):
        stmt = block[at]
        if isinstance(stmt, If):
            check_write_indices(stmt.then_body, varied, filename, ints)
            check_write_indices(stmt.else_body, varied, filename, ints)
        elif isinstance(stmt, Loop):
            check_write_indices(stmt.body, varied, filename, ints)
        elif stmt.callee.key is INDEX_UPDATE.key and isinstance(stmt.args[2], Var) and stmt.args[2] in varied \
                and not basic_index(stmt.args[1], ints):
            where = f"{Location(filename, stmt.line or 0, stmt.col)}: `{stmt.args[0].name}[index] = value`"
            block.insert(at, runtime_refs.check_op("ensure_distinct_slots", [stmt.args[0], stmt.args[1], Const(where)],
                                                   line=stmt.line))


def basic_index(index: Operand, ints: set[Var]) -> bool:
    """Integers, slices, `None` and `...` only: such an index never names an element twice."""
    items = index.items if isinstance(index, Index) else [index]
    for item in items:
        if isinstance(item, Const):
            values = item.value if isinstance(item.value, tuple) else (item.value,)
            if not all(v is None or v is Ellipsis or isinstance(v, slice)
                       or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
                return False
        elif not (isinstance(item, SliceItem) or item in ints):
            return False
    return True


_FLOAT_TARGET = runtime_refs.runtime.ensure_float_target


def check_write_targets(body: list[Stmt], varied: set[Var]) -> None:
    """Before `a[i] = v` with `v` varied, check once that `a` holds floats (an integer array would
    truncate `v`: its derivative would be silently lost). Loops do not change an array's dtype, so
    the check of a loop-carried array goes before the outermost loop, on the array it starts from.

    Found in one walk, then each block is rebuilt once with its checks (inserting as they are found
    would rescan and shift the block for every write: quadratic in its length)."""
    checked: dict[int, set[Var]] = {}             # per block: the arrays a check already covers there
    inserts: dict[int, tuple[list[Stmt], dict[int, list[Op]]]] = {}

    def covered(where: list[Stmt]) -> set[Var]:
        if id(where) not in checked:
            checked[id(where)] = {s.args[0] for s in where if isinstance(s, Op) and s.callee.key is _FLOAT_TARGET}
        return checked[id(where)]

    def walk(block: list[Stmt], loops: list[tuple[Loop, list[Stmt]]]) -> None:
        found: list[tuple[Var, Stmt, list[Stmt], int | None]] = []
        for stmt in block:
            if isinstance(stmt, If):
                walk(stmt.then_body, loops)
                walk(stmt.else_body, loops)
            elif isinstance(stmt, Loop):
                walk(stmt.body, [*loops, (stmt, block)])
            elif stmt.callee.key is INDEX_UPDATE.key and isinstance(stmt.args[2], Var) and stmt.args[2] in varied:
                root, level, before, where = stmt.args[0], len(loops), stmt, block
                while level and isinstance(root, Var):
                    loop, outer = loops[level - 1]
                    carried = next((c for c in loop.carried if c.param is root), None)
                    if carried is None:
                        break
                    root, level, before, where = carried.init, level - 1, loop, outer
                if isinstance(root, Var):
                    found.append((root, before, where, stmt.line))
        for root, before, where, line in found:
            if root not in covered(where):
                covered(where).add(root)
                check = runtime_refs.check_op("ensure_float_target", [root, Const(root.name)], line=line)
                inserts.setdefault(id(where), (where, {}))[1].setdefault(id(before), []).append(check)

    walk(body, [])
    for where, before in inserts.values():
        where[:] = [new for stmt in where for new in (*before.get(id(stmt), ()), stmt)]

