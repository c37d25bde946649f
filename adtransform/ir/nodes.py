"""IR node classes.

A `Function` is parameters, a list of `Op`s and the operands it returns. Each
`Op` defines at most one `Var` (SSA: a Var is defined once). Operands are a
`Var`, a `Const` (a Python literal), a `Global` (something read from outside
the function, like `np.pi` or a user's global array) or an `Index` (the inside
of `x[...]`). Control-flow regions (If/For/While with explicit merged and
loop-carried values, as in MLIR's scf dialect) are the next extension; the
passes walk `Function.body` through `Op` only, so they slot in here.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..frontend.resolve import Ref


class Var:
    """An SSA value. Compared by identity; `name` is what the generated code calls it."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"%{self.name}"


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class AdjointZero(Const):
    """The `0.0` an adjoint starts from when nothing has flowed into it yet (a symbolic zero
    made concrete), emitted by reverse mode only for values proven to be scalars.

    It is written as `0.0`, and it is a `Const` everywhere; it differs from a constant the
    user or a rule wrote in one way only: the optimizer may drop it from a sum
    (`AdjointZero + g -> g`), because an adjoint's value is a real number whose sign of zero
    nobody observes, while the user's arithmetic keeps its exact IEEE results
    (`-0.0 + 0.0` is `0.0`). Not equal to `Const(0.0)`, so CSE never merges the two.
    """


@dataclass(frozen=True)
class Global:
    ref: Ref


@dataclass(frozen=True)
class SliceItem:
    lower: Operand | None
    upper: Operand | None
    step: Operand | None


@dataclass(frozen=True)
class Index:
    """`x[a, 1:n]` with non-constant parts; all-constant indices are `Const`s."""

    items: tuple[Operand | SliceItem, ...]
    is_tuple: bool


Operand = Var | Const | Global | Index
Layout = int | tuple  # an index into `returns`, or a tuple of layouts


class Style(enum.Enum):
    """How an operation is written in Python (and so in generated code)."""

    OPERATOR = "infix or prefix operator: a + b, -a, a < b"
    FUNCTION = "call of a referenced function: np.exp(a)"
    METHOD = "method call on the first argument: a.sum(axis=0)"
    ATTRIBUTE = "attribute of the first argument: a.T"
    SUBSCRIPT = "indexing: a[i]"
    COPY = "plain copy: a = b"
    TUPLE = "tuple display: (a, b)"
    LIST = "list display: [a, b]"
    CALL_VALUE = "call of a value computed in the function: f(a)"
    STORE = "a write into the first argument's buffer: a[i] = v (the result is `a` itself)"
    ADD_INTO = "an addition into the first argument's buffer: a[i] += g (args a, g, x, i; the result is `a`)"


@dataclass(frozen=True)
class Callee:
    """What an operation computes. `key` is what derivative rules are registered on."""

    key: Any
    style: Style
    ref: Ref | None = None  # FUNCTION: how to spell the function
    symbol: str = ""        # OPERATOR symbol, METHOD/ATTRIBUTE name

    def __str__(self) -> str:
        if self.style is Style.FUNCTION and self.ref is not None:
            return self.ref.spelling
        return self.symbol or self.style.name.lower()


class Sweep(enum.Enum):
    """Which part of a generated function an operation belongs to (for comments and order)."""

    PRIMAL = "the user's computation"
    CHECK = "run-time checks of the inputs and the output"
    ADJOINT = "the backward sweep"


@dataclass(eq=False)
class Op:
    result: Var | None
    callee: Callee
    args: list[Operand]
    kwargs: dict[str, Operand] = field(default_factory=dict)
    line: int | None = None  # the user's source line this operation comes from
    col: int = 0
    sweep: Sweep = Sweep.PRIMAL
    # A division of the backward sweep that may raise on Python floats where the function gave inf: a
    # function's rule's (np.log, special.logit), the user's `x / y`'s unless `x` is a Python number
    # wherever `y` is (then the user's own `/` raised first); specialize/floats.py protects it.
    rule_division: bool = False
    # An operation of the user's whose result nobody reads, kept because it may raise where f raises
    # (`_ = np.linalg.cholesky(S)` as a check): never removed (optimize/validations.py).
    validates: bool = False

    def operands(self) -> Iterator[Operand]:
        for operand in (*self.args, *self.kwargs.values()):
            yield from flatten(operand)

    def uses(self) -> Iterator[Var]:
        return (o for o in self.operands() if isinstance(o, Var))

    def replace_uses(self, mapping: dict[Var, Operand]) -> None:
        self.args = [substitute(a, mapping) for a in self.args]
        self.kwargs = {k: substitute(v, mapping) for k, v in self.kwargs.items()}

    def defines(self) -> list[Var]:
        return [self.result] if self.result is not None else []


def flatten(operand: Operand | SliceItem | None) -> Iterator[Operand]:
    """The plain operands inside an operand (an `Index` holds several)."""
    if operand is None:
        return
    if isinstance(operand, Index):
        for item in operand.items:
            yield from flatten(item)
    elif isinstance(operand, SliceItem):
        for part in (operand.lower, operand.upper, operand.step):
            yield from flatten(part)
    else:
        yield operand


def substitute(operand: Any, mapping: dict[Var, Operand]) -> Any:
    if isinstance(operand, Var):
        return mapping.get(operand, operand)
    if isinstance(operand, Index):
        return Index(tuple(substitute(i, mapping) for i in operand.items), operand.is_tuple)
    if isinstance(operand, SliceItem):
        return SliceItem(*(substitute(p, mapping) for p in (operand.lower, operand.upper, operand.step)))
    return operand


@dataclass(eq=False)
class If:
    """A structured branch: `results[i]` is `then_values[i]` or `else_values[i]` (a phi).

    Values defined inside a branch are visible only inside it; what flows out
    flows through `results`, so no analysis has to rebuild control flow.
    """

    cond: Operand
    then_body: list[Stmt]
    else_body: list[Stmt]
    results: list[Var] = field(default_factory=list)
    then_values: list[Operand] = field(default_factory=list)
    else_values: list[Operand] = field(default_factory=list)
    line: int | None = None
    col: int = 0
    sweep: Sweep = Sweep.PRIMAL
    # The backward sweep of a branch runs under the same condition as the primal branch, so it
    # reads the values that branch defined: `mirror` is that primal region.
    mirror: If | None = None

    def operands(self) -> Iterator[Operand]:
        yield from flatten(self.cond)
        for stmt in (*self.then_body, *self.else_body):
            yield from stmt.operands()
        yield from self.then_values
        yield from self.else_values

    def uses(self) -> Iterator[Var]:
        return (o for o in self.operands() if isinstance(o, Var))

    def replace_uses(self, mapping: dict[Var, Operand]) -> None:
        self.cond = substitute(self.cond, mapping)
        for stmt in (*self.then_body, *self.else_body):
            stmt.replace_uses(mapping)
        self.then_values = [substitute(v, mapping) for v in self.then_values]
        self.else_values = [substitute(v, mapping) for v in self.else_values]

    def defines(self) -> list[Var]:
        return list(self.results)


class LoopKind(enum.Enum):
    RANGE = "for target in range(start, stop, step): iter_args are start, stop, step"
    WHILE = "while cond: cond_body computes cond at the top of every iteration"


@dataclass(eq=False)
class Carried:
    """A value a loop updates: `init` enters, `param` is it at the top of an iteration,
    `next` at the end of one (the next iteration's `param`), `result` after the loop.

    `next` is any operand visible at the end of the body: a value of the body, a value from
    before the loop (CSE and LICM make the recomputed `v = np.dot(x, x)` the one made before
    it), a param of this loop (its own, or another's in a swap) or a constant; every pass and
    reverse mode must handle each."""

    init: Operand
    param: Var
    next: Operand
    result: Var


@dataclass(eq=False)
class Loop:
    """A structured loop whose loop-carried values are explicit (as MLIR's scf.for / scf.while)."""

    kind: LoopKind
    iter_args: list[Operand]
    target: Var | None
    carried: list[Carried]
    body: list[Stmt]
    cond_body: list[Stmt] = field(default_factory=list)
    cond: Operand | None = None
    line: int | None = None
    col: int = 0
    sweep: Sweep = Sweep.PRIMAL

    def operands(self) -> Iterator[Operand]:
        for a in self.iter_args:
            yield from flatten(a)
        for c in self.carried:
            yield from flatten(c.init)
            yield from flatten(c.next)
        for stmt in (*self.cond_body, *self.body):
            yield from stmt.operands()
        if self.cond is not None:
            yield from flatten(self.cond)

    def uses(self) -> Iterator[Var]:
        return (o for o in self.operands() if isinstance(o, Var))

    def replace_uses(self, mapping: dict[Var, Operand]) -> None:
        self.iter_args = [substitute(a, mapping) for a in self.iter_args]
        for c in self.carried:
            c.init = substitute(c.init, mapping)
            c.next = substitute(c.next, mapping)
        for stmt in (*self.cond_body, *self.body):
            stmt.replace_uses(mapping)
        self.cond = substitute(self.cond, mapping)

    def defines(self) -> list[Var]:
        return [c.result for c in self.carried]

    def inner(self) -> set[Var]:
        """Values visible only inside the loop: the target, the params, the bodies' definitions."""
        out = {c.param for c in self.carried} | defined_in(self.body) | defined_in(self.cond_body)
        if self.target is not None:
            out.add(self.target)
        return out


Stmt = Op | If | Loop


def rewrite_region(stmt: If | Loop, mapping: dict[Var, Operand],
                   rewrite_block: Callable[[list[Stmt]], list[Stmt]]) -> None:
    """Substitute `mapping` in a region's own operands and rewrite its blocks, in execution order."""
    if isinstance(stmt, If):
        stmt.cond = substitute(stmt.cond, mapping)
        stmt.then_body = rewrite_block(stmt.then_body)
        stmt.else_body = rewrite_block(stmt.else_body)
        stmt.then_values = [substitute(v, mapping) for v in stmt.then_values]
        stmt.else_values = [substitute(v, mapping) for v in stmt.else_values]
        return
    stmt.iter_args = [substitute(a, mapping) for a in stmt.iter_args]
    for c in stmt.carried:
        c.init = substitute(c.init, mapping)
    stmt.cond_body = rewrite_block(stmt.cond_body)
    stmt.cond = substitute(stmt.cond, mapping)
    stmt.body = rewrite_block(stmt.body)
    for c in stmt.carried:
        c.next = substitute(c.next, mapping)


def blocks(body: list[Stmt]) -> Iterator[list[Stmt]]:
    """Every block of statements (a body, a branch, a loop's body), outer blocks first."""
    yield body
    for stmt in walk(body):
        if isinstance(stmt, If):
            yield from (stmt.then_body, stmt.else_body)
        elif isinstance(stmt, Loop):
            yield from (stmt.cond_body, stmt.body)


def walk(body: list[Stmt]) -> Iterator[Stmt]:
    """Every statement of a body, entering regions (a region comes before its contents).

    A stack of the blocks being walked, not a generator per region: each statement costs the
    same however deeply it is nested."""
    stack: list[Iterator[Stmt]] = [iter(body)]
    while stack:
        for stmt in stack[-1]:
            yield stmt
            if isinstance(stmt, (If, Loop)):
                stack.append(_inner(stmt))
                break
        else:
            stack.pop()


def _inner(stmt: If | Loop) -> Iterator[Stmt]:
    """A region's statements, block after block (each block read when it is reached)."""
    if isinstance(stmt, If):
        yield from stmt.then_body
        yield from stmt.else_body
    else:
        yield from stmt.cond_body
        yield from stmt.body


def read_counts(fn: Function) -> Counter[Var]:
    """How many times each value is read: by operations, by regions (conditions, yields,
    carried values, bounds) and by the returns."""
    reads: Counter[Var] = Counter(v for r in fn.returns for v in flatten(r) if isinstance(v, Var))
    for stmt in walk(fn.body):
        if isinstance(stmt, Op):
            reads.update(stmt.uses())
        else:
            reads.update(v for o in region_operands(stmt) for v in flatten(o) if isinstance(v, Var))
    return reads


def region_operands(stmt: If | Loop) -> list[Operand | None]:
    """What a region reads itself: a condition, yields, a loop's bounds, condition and carried values
    (the one list of them; its contents are read by their own operations)."""
    if isinstance(stmt, If):
        return [stmt.cond, *stmt.then_values, *stmt.else_values]
    return [*stmt.iter_args, stmt.cond, *(o for c in stmt.carried for o in (c.init, c.next))]


def defined_in(body: list[Stmt]) -> set[Var]:
    """Every value a body defines, at any depth (loop params and targets included)."""
    out: set[Var] = set()
    for stmt in walk(body):
        if isinstance(stmt, Op) and stmt.result is not None:
            out.add(stmt.result)
        elif isinstance(stmt, If):
            out.update(stmt.results)
        elif isinstance(stmt, Loop):
            out.update(stmt.defines())
            out.update(c.param for c in stmt.carried)
            if stmt.target is not None:
                out.add(stmt.target)
    return out


class ParamKind(enum.Enum):
    POSITIONAL_ONLY = "before `/`"
    POSITIONAL_OR_KEYWORD = "an ordinary parameter"
    KEYWORD_ONLY = "after `*`"


@dataclass(eq=False)
class Param:
    var: Var
    kind: ParamKind
    default_source: str | None = None  # the user's default expression, shown in generated code


@dataclass(eq=False)
class Function:
    name: str
    params: list[Param]
    body: list[Stmt]
    returns: list[Operand]
    # How `returns` is packed: an index into it, or a (nested) tuple of layouts.
    layout: Layout = 0
    # Return position -> the parameter whose gradient it is (gradients must match its shape and dtype).
    gradient_of: dict[int, Var] = field(default_factory=dict)
    # Values named after the user's variables (and their adjoints): copies into them are kept.
    readable: set[Var] = field(default_factory=set)
    # VJP: the backward sweep is emitted as a closure `pullback(<this>)`; the function
    # returns (output, pullback) and the closure returns the gradients.
    pullback_param: Var | None = None
    # Versioning: the value of this run-time check (a CHECK op) decides whether the body's
    # assumptions hold; when it is false the call goes to a general version of the function.
    guard: Var | None = None

    def param_vars(self) -> list[Var]:
        return [p.var for p in self.params]
