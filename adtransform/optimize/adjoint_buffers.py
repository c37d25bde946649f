"""Fewer temporaries in a gradient: what a hand-written gradient does without thinking.

Three rewrites, each computing the same values in the same dtype:

* a sign after the sum: `unbroadcast(-g, b)` -> `-unbroadcast(g, b)`. Negation is exact and
  commutes with rounding, so the sum is the same (up to the sign of a zero sum, which a gradient
  does not mean), and the negation runs over `b`'s shape instead of `g`'s; added to something, it
  is a subtraction (`1.0 + -t` -> `1.0 - t`).
* a reduction's seed kept broadcastable: `unreduce(g, x, ...)` read only by arithmetic operators
  becomes `spread(g, x, ...)`, a read-only broadcast view of the seed. The operator reading it
  builds a new array of the same values (and dtype) as it would from the filled one, which is
  therefore never allocated (`mul_bar = unreduce(-(1.0 / n), mul)` then `mul_bar * Y`).
* the last read of a dead temporary hosts the result: `r = a + b` (or `b + a`, `a - b`, `a * b`,
  `b * a`) where `a` is a new array made in the same block (an operator's result, a helper or call
  whose facts say its result is new, or an earlier such rewrite; in the backward sweep or the
  user's computation) becomes `r = add_into(a, b)`, computed in `a`'s buffer, when this is `a`'s
  last read: every other read is earlier in the same block and keeps no reference (its result is
  new, or nothing: `np.sum(a)`, a check), or reads only `a`'s shape and dtype (which the write keeps).
  A read that may keep a reference (a view, a stack push, a tuple, a branch or loop handing `a` on,
  the returns) or comes later, in another block or in a later iteration keeps `a` as it is. Same
  block: an operand made before a loop and read inside it is read again next iteration. A unary
  function of such an `a` (`np.exp(a)`, in either sweep) becomes `np.exp(a, out=a)` through
  `unary_into`. Where neither operand is dead, a dead new array `t` of the block that is not an
  operand hosts the result (`mul_in(t, a, b)`: `mul = x * x` read by `np.sum` alone hosts
  `mul_bar * x`). A pullback (`vjp`) may run several times: it writes only into what it made. The
  helpers check shape and dtype at run time and compute the plain operation otherwise; float
  addition and multiplication commute. Not for values the rank analysis proves scalars (under the
  version's check, if any): no buffer.

Runs once, last (after in_place: it reasons about buffers, and what it writes into is dead).
Analyses: def-use (producers, reads, blocks, positions); ownership (what a read does with a value:
`lets_go`); facts of the calls (`is_fresh`, `shape_only`).
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime
from ..ad import runtime_refs
from ..analysis import defuse
from ..analysis import rank as rank_analysis
from ..analysis.defuse import DefUse
from ..analysis.manager import PassContext
from ..analysis.ownership import Ownership, shape_only_use
from ..frontend.resolve import Scope
from ..ir.nodes import Callee, Function, Global, If, Loop, Op, Stmt, Style, Sweep, Var, walk
from ..rules.registry import Kind, lookup_adjoint
from .purity import is_fresh

_NEG = Callee(operator.neg, Style.OPERATOR, symbol="-")
_ADD = Callee(operator.add, Style.OPERATOR, symbol="+")
_SUB = Callee(operator.sub, Style.OPERATOR, symbol="-")
#: operators reading a broadcast view as a plain array and returning a new one
_ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, operator.pow}
#: operator -> (helper, whether the operands commute)
_INTO = {operator.add: ("add_into", True), operator.mul: ("mul_into", True), operator.sub: ("sub_into", False)}
#: operator -> helper computing it into a third array's buffer
_IN = {operator.add: "add_in", operator.mul: "mul_in", operator.sub: "sub_in"}
#: unary ufuncs whose result has their float operand's dtype and shape (`np.exp(a, out=a)` is `np.exp(a)`)
_UNARY = frozenset({np.exp, np.expm1, np.exp2, np.log, np.log1p, np.log2, np.log10, np.sqrt, np.cbrt, np.sin, np.cos,
                    np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh,
                    np.arctanh, np.negative, np.absolute, np.fabs, np.square, np.reciprocal, np.deg2rad, np.rad2deg})
_BOTH = frozenset({Sweep.PRIMAL, Sweep.ADJOINT})
_ONE_PULLBACK = frozenset({Sweep.ADJOINT})
#: helpers whose result is the adjoint of an array the user reduced or multiplied as matrices
_ARRAY_MAKERS = {runtime.unreduce, runtime.spread, runtime.extremum_adjoint, runtime.matmul_lhs_adjoint,
                 runtime.matmul_rhs_adjoint}
#: helpers returning their argument `g` itself or a new array
_PASSES_ON = {runtime.unbroadcast, runtime.as_gradient}
#: helpers whose result has the shape of their argument `x` (the second)
_SHAPED_LIKE_X = {runtime.unbroadcast, runtime.unreduce, runtime.spread, runtime.extremum_adjoint, runtime.as_gradient}


def transform(fn: Function, cx: PassContext) -> bool:
    changed = _signs_after_sums(fn, defuse.analyze(fn), cx)
    changed |= _spread_seeds(fn, defuse.analyze(fn))
    return _accumulate_in_place(fn, defuse.analyze(fn)) or changed


def _blocks(block: list[Stmt]):
    yield block
    for stmt in block:
        if isinstance(stmt, If):
            yield from _blocks(stmt.then_body)
            yield from _blocks(stmt.else_body)
        elif isinstance(stmt, Loop):
            yield from _blocks(stmt.cond_body)
            yield from _blocks(stmt.body)


def _is_helper(op: object, helper: object) -> bool:
    return isinstance(op, Op) and op.callee.style is Style.FUNCTION and op.callee.key is helper


def _signs_after_sums(fn: Function, du: DefUse, cx: PassContext) -> bool:
    changed = False
    for block in list(_blocks(fn.body)):
        for op in list(block):
            if not (_is_helper(op, runtime.unbroadcast) and op.sweep is Sweep.ADJOINT and len(op.args) == 2
                    and not op.kwargs and isinstance(op.args[0], Var) and op.result is not None):
                continue
            neg = du.producers.get(op.args[0])
            if not (isinstance(neg, Op) and neg.callee.style is Style.OPERATOR and neg.callee.key is operator.neg
                    and neg.sweep is Sweep.ADJOINT and du.reads[op.args[0]] == 1
                    and du.defined_by[neg.result][1] is block):
                continue
            total = Var(cx.namer.fresh(f"{op.result.name}_sum"))
            op.args[0], result, op.result = neg.args[0], op.result, total
            if not _subtracts(result, total, du):
                block.insert(block.index(op) + 1, Op(result, _NEG, [total], line=op.line, sweep=Sweep.ADJOINT))
            block.remove(neg)  # (its only reader now reads `g`)
            changed = True
    return changed


def _subtracts(negated: Var, total: Var, du: DefUse) -> bool:
    """Where the only reader of `negated` (= -total) adds it (`a + negated`, `negated + a`, `a - negated`),
    it subtracts `total` instead (or adds it): IEEE defines `a - t` as `a + (-t)`."""
    uses = du.uses.get(negated, ())
    if len(uses) != 1 or uses[0].op is None:
        return False
    reader = uses[0].op
    if reader.callee.style is not Style.OPERATOR or reader.sweep is not Sweep.ADJOINT or len(reader.args) != 2 \
            or reader.args[0] is reader.args[1] or not any(a is negated for a in reader.args):
        return False
    at = 0 if reader.args[0] is negated else 1  # (not the def-use position: an earlier rewrite may have moved it)
    if reader.callee.key is operator.add:
        reader.callee, reader.args = _SUB, [reader.args[1 - at], total]
    elif reader.callee.key is operator.sub and at == 1:
        reader.callee, reader.args = _ADD, [reader.args[0], total]
    else:
        return False
    return True


def _spread_seeds(fn: Function, du: DefUse) -> bool:
    changed = False
    for block in _blocks(fn.body):
        for op in block:
            if not (_is_helper(op, runtime.unreduce) and op.sweep is Sweep.ADJOINT and op.result is not None):
                continue
            uses = du.uses.get(op.result, ())
            if uses and all(u.op is not None and u.op.callee.style is Style.OPERATOR
                            and u.op.callee.key in _ARITHMETIC for u in uses):
                op.callee = runtime_refs.callee("spread")
                changed = True
    return changed


def _accumulate_in_place(fn: Function, du: DefUse) -> bool:
    # A guarded version runs only on calls whose parameters have the ranks the analysis assumes.
    ranks = _adjoint_ranks(fn, rank_analysis.analyze(fn, scalar_output=False, scalar_params=fn.guard is not None))
    arrays = _arrays(fn, ranks)
    own = Ownership(du)
    pullback = fn.pullback_param is not None
    changed = False
    made: set[Var] = set()  # results of the rewrites so far: `a`'s buffer, as new as `a` was
    for block in _blocks(fn.body):
        hosts: list[Var] = []  # new arrays made so far in the block: dead ones may host a result
        for op in block:
            if not isinstance(op, Op) or op.sweep is Sweep.CHECK or op.result is None or op.kwargs:
                continue
            if _unary_in_place(op, block, du, own, made, arrays, pullback):
                _give_away(op.args[1], hosts)
                changed = True
            elif op.callee.style is Style.OPERATOR and op.callee.key in _INTO and len(op.args) == 2:
                changed |= _binary(op, block, du, own, made, arrays, pullback, hosts)
            if op.result in arrays and _new_buffer(op.result, block, du, made, _BOTH):
                hosts.append(op.result)
    return changed


def _binary(op: Op, block: list[Stmt], du: DefUse, own: Ownership, made: set[Var], arrays: set[Var],
            pullback: bool, hosts: list[Var]) -> bool:
    """`a + b` -> `add_into(a, b)` on the last read of a dead new array `a`, else -> `add_in(t, a, b)`
    into a dead new array `t` of the block (the latest) that is not an operand."""
    inside = _inside_expression(op, du)
    helper, commutes = _INTO[op.callee.key]
    for at in (0, 1):
        acc, other = op.args[at], op.args[1 - at]
        if isinstance(acc, Var) and acc in arrays and _last_read(acc, op, block, du, own, made, pullback) \
                and (acc in made or du.defined_by[acc][0].callee.style is not Style.OPERATOR
                     or (op.callee.key is not operator.mul and not inside)):
            # `add_into(b, a)` computes `b + a` where it cannot write: only for the backward sweep's
            # numbers; the user's `a + b` may join strings or lists. Elsewhere `add_in(b, a, b)`.
            if at == 0 or (commutes and op.sweep is Sweep.ADJOINT):
                op.callee, op.args = runtime_refs.callee(helper), [acc, other]
            else:
                op.callee, op.args = runtime_refs.callee(_IN[op.callee.key]), [acc, *op.args]
            made.add(op.result)
            _give_away(acc, hosts)
            return True
    if inside or op.result not in arrays:
        return False
    for host in reversed(hosts):
        if not any(a is host for a in op.args) and _last_read(host, op, block, du, own, made, pullback):
            op.args = [host, *op.args]
            op.callee = runtime_refs.callee(_IN[op.callee.key])
            made.add(op.result)
            _give_away(host, hosts)
            return True
    return False


def _give_away(var: Var, hosts: list[Var]) -> None:
    """`var`'s buffer is now another value's: it hosts nothing more."""
    if var in hosts:
        hosts.remove(var)


def _unary_in_place(op: Op, block: list[Stmt], du: DefUse, own: Ownership, made: set[Var], arrays: set[Var],
                    pullback: bool) -> bool:
    """`np.exp(a)` -> `unary_into(np.exp, a)` (`np.exp(a, out=a)`) on the last read of a dead new array."""
    if not (op.callee.style is Style.FUNCTION and op.callee.ref is not None and _is_unary(op.callee.key)
            and len(op.args) == 1):
        return False
    a = op.args[0]
    if not (isinstance(a, Var) and a in arrays and _last_read(a, op, block, du, own, made, pullback)):
        return False
    op.args = [Global(op.callee.ref), a]
    op.callee = runtime_refs.callee("unary_into")
    made.add(op.result)
    return True


def _is_unary(key: object) -> bool:
    try:
        return key in _UNARY
    except TypeError:  # (an unhashable callable)
        return False


def _inside_expression(op: Op, du: DefUse) -> bool:
    """`op` is a step of an expression the code writes on one line (`h_bar * h / add * exp`): its
    only reader is arithmetic of the same line. An operator's result is not written into there
    (NumPy reuses such temporaries of large arrays itself), a call's result or an earlier rewrite's
    is; a product is written in place only into those, for the same reason (`mul_into(a_bar,
    tie_share_1)`, not `mul_into(z1_bar * 2, z4)`)."""
    readers = du.uses.get(op.result, ())
    return len(readers) == 1 and readers[0].op is not None and readers[0].op.line == op.line \
        and readers[0].op.callee.style is Style.OPERATOR and readers[0].op.callee.key in _ARITHMETIC


def _adjoint_ranks(fn: Function, ranks: dict) -> dict:
    """`ranks` and the ranks of the adjoints: a helper that gives `g` the shape of its argument `x`
    has `x`'s rank, arithmetic the largest rank of its operands (in program order, one pass)."""
    for op in walk(fn.body):
        if not isinstance(op, Op) or op.result is None or ranks.get(op.result) is not None:
            continue
        if op.callee.style is Style.FUNCTION and op.callee.key in _SHAPED_LIKE_X and len(op.args) >= 2:
            rank = rank_analysis.rank_of(op.args[1], ranks)
        elif op.callee.style is Style.COPY:
            rank = rank_analysis.rank_of(op.args[0], ranks)
        elif op.callee.style is Style.OPERATOR and op.callee.key in _ARITHMETIC and not op.kwargs:
            found = [rank_analysis.rank_of(a, ranks) for a in op.args]
            rank = None if None in found or not found else max(found)
        else:
            continue
        if rank is not None:
            ranks[op.result] = rank
    return ranks


def _arrays(fn: Function, ranks: dict) -> set[Var]:
    """Values that are arrays (rank >= 1, proven) or all but surely are: what the user reduced or
    transposed, a matrix product, a new value an adjoint helper of adtransform makes (the adjoint of a
    reduction, a matrix product, a solve), elementwise results, copies of such values, and
    `unbroadcast(g, x)` of two such. Elsewhere (scalar code: `z4 = 1 / x` of a float, `x[i] * x[i]` in
    a loop) a helper would cost a call for nothing."""
    ops = [op for op in walk(fn.body) if isinstance(op, Op) and op.result is not None]
    found = {v for v, r in ranks.items() if isinstance(v, Var) and r}
    found |= {op.args[0] for op in ops if op.args and isinstance(op.args[0], Var) and _kind(op) is Kind.REDUCTION}
    for op in ops:
        if ranks.get(op.result) == 0:
            continue
        style, key = op.callee.style, op.callee.key
        first, second = [*op.args, None, None][:2]
        helper = style is Style.FUNCTION and op.callee.ref is not None and op.callee.ref.scope is Scope.INJECTED
        if (helper and (key in _ARRAY_MAKERS or (is_fresh(op) and op.sweep is Sweep.ADJOINT))) \
                or (style is Style.OPERATOR and key is operator.matmul) \
                or (style is Style.ATTRIBUTE and op.callee.symbol in ("T", "mT")) \
                or (style is Style.FUNCTION and key in _PASSES_ON and isinstance(first, Var) and first in found
                    and isinstance(second, Var) and second in found) \
                or ((style is Style.COPY or _kind(op) is Kind.ELEMENTWISE)
                    and any(isinstance(a, Var) and a in found for a in op.args)):
            found.add(op.result)
    return {v for v in found if ranks.get(v) != 0}  # (a proven scalar reduced, `np.sum(exp)`: no buffer)


def _kind(op: Op) -> Kind | None:
    if op.callee.style is Style.OPERATOR and op.callee.key in _ARITHMETIC:
        return Kind.ELEMENTWISE
    if op.callee.style not in (Style.FUNCTION, Style.METHOD, Style.OPERATOR):
        return None
    rule = lookup_adjoint(op.callee.key)
    return rule.kind if rule else None


def _new_buffer(var: Var, block: list[Stmt], du: DefUse, made: set[Var], sweeps: frozenset[Sweep]) -> bool:
    """`var` is a new array made in `block` by an operation of `sweeps`: an operator's or a call's new
    result, an earlier rewrite's, or what `unbroadcast(g, x)` or `as_gradient(g, x)` makes of such a `g`
    read by it alone (they return `g` itself or a new array)."""
    if var not in du.defined_by:
        return False
    producer, home = du.defined_by[var]
    if home is not block or producer.sweep not in sweeps:
        return False
    if var in made or is_fresh(producer):
        return True
    if producer.callee.style is Style.FUNCTION and producer.callee.key in _PASSES_ON and producer.args:
        g = producer.args[0]
        return isinstance(g, Var) and du.reads[g] == 1 and _new_buffer(g, block, du, made, sweeps)
    return False


def _last_read(acc: Var, op: Op, block: list[Stmt], du: DefUse, own: Ownership, made: set[Var],
               pullback: bool) -> bool:
    """`acc` is a new array made in `block` and `op` (in `block`) is its last read: every other read is
    earlier in `block` and keeps no reference, or reads only the shape and dtype (which `op`'s write into
    `acc` keeps: the helpers write only a result of `acc`'s shape and dtype). A pullback (`vjp`) may be
    called several times: what it computes goes only into what it made itself, never into the primal's
    values it captured."""
    sweeps = _ONE_PULLBACK if op.sweep is Sweep.ADJOINT and pullback else _BOTH
    if not _new_buffer(acc, block, du, made, sweeps):
        return False
    at = du.position(op)
    for use in du.uses.get(acc, ()):
        if use.op is op or shape_only_use(use):
            continue
        if use.block is not block or use.op is None or du.position(use.stmt) >= at \
                or not (own.lets_go(use) or _operand_read(use.op, use.position)):
            return False
    return True


def _operand_read(op: Op, position: int) -> bool:
    """`op` is one of this pass's helpers reading the operand at `position` for its values: it returns
    its buffer argument's (the first) or a new array, never that operand."""
    if op.callee.style is not Style.FUNCTION:
        return False
    if op.callee.key in (runtime.add_into, runtime.sub_into, runtime.mul_into):
        return position == 1
    return op.callee.key in (runtime.add_in, runtime.sub_in, runtime.mul_in) and position in (1, 2)
