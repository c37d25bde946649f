"""Turn an IR function into readable Python source text.

Guarantees: one statement per line, the user's names, a comment before each
group of statements naming the user's source line it comes from (`# line 9:`
in the forward sweep, `# adjoint of line 9:` in the backward sweep).
Each statement is built as gast (syntax/build.py) and printed with
`ast.unparse`; comments are placed between the printed statements because
the ast module has no comments.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from .. import runtime
from ..frontend.resolve import Ref, Scope
from ..ir.nodes import (
    Carried,
    Const,
    Function,
    Global,
    If,
    Index,
    Loop,
    LoopKind,
    Op,
    Operand,
    ParamKind,
    SliceItem,
    Stmt,
    Style,
    Sweep,
    Var,
    flatten,
    read_counts,
    walk,
)
from ..optimize.purity import is_pure
from ..syntax import build
from ..syntax.naming import Namer
from ..syntax.parse import to_source

INDENT = "    "


@dataclass
class Emitted:
    text: str
    injected: dict[str, Any] = field(default_factory=dict)  # closure name -> object
    # Names the generated code reads from the user's namespace for its own purposes (`reversed`,
    # `np` in a rule) because they meant that object at transform time: a cache must recheck them.
    shared: dict[str, Any] = field(default_factory=dict)


class _Names:
    """Chooses how generated code spells each injected reference (a runtime helper, `np` in a rule)."""

    def __init__(self, namer: Namer, user_lookup: Callable[[str], Any], user_locals: set[str]):
        self.namer = namer
        self.user_lookup = user_lookup
        self.user_locals = user_locals
        self.by_root: dict[int, str] = {}
        self.injected: dict[str, Any] = {}
        self.shared: dict[str, Any] = {}
        self.renamed: dict[Var, str] = {}  # branch values written straight into their `if`'s result
        self.guard: tuple[Var, str] | None = None  # the versioning check, and the call it falls back to
        self.reads: Counter[Var] = Counter()  # how often each value is read, for the recording peepholes
        self.widths: dict[Var, int] = {}  # a recording stack -> the length of the tuples pushed onto it
        self.readable: set[Var] = set()  # values named after the user's variables: always spelled out
        self.fused: dict[Var, Op] = {}  # temporaries written inside the expression that reads them
        self.var_names: set[str] = set()  # every value's name: a shared name must not be one of them
        self.unused_name: str | None = None

    def unused(self) -> str:
        """The target of a loop that does not read it: `_`, unless that is a name of the user's."""
        if self.unused_name is None:
            taken = self.namer.is_taken("_") or "_" in self.var_names  # the function mentions `_`
            self.unused_name = self.namer.fresh("unused") if taken else "_"
        return self.unused_name

    def builtin(self, obj: Any) -> gast.expr:
        """A builtin the generated code calls itself (`range`, `slice`): the user's name for it if that
        is the builtin in their function, else an injected name (a user's `range = ...` cannot shadow it)."""
        return self.spell(Ref((obj.__name__,), obj, Scope.INJECTED, obj))

    def var(self, var: Var) -> str:
        return self.renamed.get(var, var.name)

    def root_name(self, ref: Ref) -> str:
        if ref.scope is Scope.USER:
            return ref.path[0]
        key = id(ref.root)
        if key not in self.by_root:
            preferred = ref.path[0]
            if preferred not in self.user_locals and preferred not in self.var_names \
                    and self.user_lookup(preferred) is ref.root:
                # The user's function sees the same object under this name: share it.
                self.by_root[key] = preferred
                self.shared[preferred] = ref.root
                self.namer.reserve(preferred)
            else:
                name = self.namer.fresh(preferred)
                self.by_root[key] = name
                self.injected[name] = ref.root
        return self.by_root[key]

    def spell(self, ref: Ref) -> gast.expr:
        return build.dotted((self.root_name(ref), *ref.path[1:]))


def emit(fn: Function, *, name: str, docstring: str, line_text: Callable[[int], str],
         namer: Namer, user_lookup: Callable[[str], Any], user_locals: set[str],
         fallback: tuple[str, Any] | None = None, general: bool = False) -> Emitted:
    """`fallback`: the name and object of the general version that calls failing `fn.guard` go to,
    and calls this version cannot compute with Python floats. `general`: this is the general
    version; its fallback is the same code, run again with Python floats made NumPy scalars."""
    names = _Names(namer, user_lookup, user_locals)
    names.reads, names.widths, names.readable = read_counts(fn), _record_widths(fn), fn.readable
    names.var_names = _var_names(fn)
    fallback_expr = None
    if fallback is not None:
        names.injected[fallback[0]] = fallback[1]
        fallback_expr = fallback_call(fn, fallback[0])
        if fn.guard is not None:
            names.guard = (fn.guard, fallback_expr)
    lines = [_signature(fn, name), docstring_text(docstring)]

    def pack(layout: Any) -> gast.expr:
        # Read names only now: emitting the body decides how loop results are spelled.
        if isinstance(layout, int):
            return _operand(fn.returns[layout], names)
        return build.tuple_([pack(x) for x in layout])

    if fn.pullback_param is None and fallback_expr is not None and (_reads_python_floats(fn)
                                                                    or may_raise_on_floats(fn)):
        # Python floats (read from vectors, or passed in) raise where NumPy scalars give inf or nan
        # (overflow, division by zero): such calls go to the general version, computing as NumPy does.
        if names.guard is not None:
            at = next(i for i, s in enumerate(fn.body) if isinstance(s, Op) and s.result is names.guard[0]) + 1
        else:
            at = next((i for i, s in enumerate(fn.body) if not (isinstance(s, Op) and s.sweep is Sweep.CHECK)),
                      len(fn.body))
        lines += _block(fn.body[:at], names, line_text, INDENT)
        lines.append(f"{INDENT}try:")
        lines += _block(fn.body[at:], names, line_text, INDENT * 2)
        lines.append(INDENT * 2 + to_source(build.return_(pack(fn.layout))))
        lines.append(f"{INDENT}except (OverflowError, ZeroDivisionError):")
        if general:
            params = [p.var.name for p in fn.params]
            check, convert = (to_source(names.spell(Ref((h,), getattr(runtime, h), Scope.INJECTED,
                                                         getattr(runtime, h))))
                              for h in ("has_python_floats", "numpy_float"))
            lines.append(f"{INDENT * 2}if not {check}({', '.join(params)}):")
            lines.append(f"{INDENT * 3}raise")
            lines += [f"{INDENT * 2}{p} = {convert}({p})" for p in params]
        lines.append(f"{INDENT * 2}return {fallback_expr}")
    elif fn.pullback_param is None:
        lines += _block(fn.body, names, line_text, INDENT)
        lines.append(INDENT + to_source(build.return_(pack(fn.layout))))
    else:
        # VJP: the backward sweep becomes a closure over the forward values.
        forward = [op for op in fn.body if op.sweep is not Sweep.ADJOINT]
        backward = [op for op in fn.body if op.sweep is Sweep.ADJOINT]
        pullback = namer.fresh("pullback")
        lines += _block(forward, names, line_text, INDENT)
        lines.append(f"{INDENT}def {pullback}({fn.pullback_param.name}):")
        lines += _replay_records(forward, backward, names, namer)
        lines += _block(backward, names, line_text, INDENT * 2)
        output, gradients = fn.layout
        lines.append(INDENT * 2 + to_source(build.return_(pack(gradients))))
        lines.append(INDENT + to_source(build.return_(build.tuple_([pack(output), build.name(pullback)]))))
    return Emitted("\n".join(lines) + "\n", names.injected, names.shared)


def _replay_records(forward: list[Stmt], backward: list[Stmt], names: _Names, namer: Namer) -> list[str]:
    """A pullback pops copies of the forward sweep's records, so that it can be called again.

    A record holding inner loops' records (lists popped in turn) is copied with them.
    """
    read = {v for stmt in walk(backward) if isinstance(stmt, Op) for v in stmt.uses()}
    stacks = [op.result for op in forward if isinstance(op, Op) and op.callee.style is Style.LIST
              and not op.args and op.result in read]
    popped = {s.args[0] for s in walk(backward) if isinstance(s, Op) and s.callee.key is list.pop}
    nested = bool(popped - set(stacks))
    lines = []
    for stack in stacks:
        recorded = names.var(stack)
        names.renamed[stack] = namer.fresh(f"{recorded}_replay")
        ref = Ref(("replay_record",), runtime.replay_record, Scope.INJECTED, runtime.replay_record)
        copy = f"{to_source(names.spell(ref))}({recorded})" if nested else f"{recorded}.copy()"
        lines.append(f"{INDENT * 2}{names.renamed[stack]} = {copy}  # the pullback may be called again")
    return lines


def _block(ops: list[Stmt], names: _Names, line_text: Callable[[int], str], indent: str) -> list[str]:
    _fuse(ops, names)
    ops = [op for op in ops if not (isinstance(op, Op) and op.result in names.fused)]
    lines = []
    group: tuple[Sweep, int | None] | None = None
    skip = 0
    for at, op in enumerate(ops):
        if skip:
            skip -= 1
            continue
        key = (op.sweep, op.line)
        if key != group and op.line is not None and op.sweep is not Sweep.CHECK:
            where = "adjoint of line" if op.sweep is Sweep.ADJOINT else "line"
            lines.append(f"{indent}# {where} {op.line}: {line_text(op.line)}")
        group = key
        if isinstance(op, If):
            lines += _branch(op, names, line_text, indent)
            group = None
        elif isinstance(op, Loop):
            lines += _loop(op, names, line_text, indent)
            group = None
        elif op.callee.style in (Style.STORE, Style.ADD_INTO):
            lines += [indent + line for line in _store(op, names)]
        elif (record := _record_traffic(ops, at, names)) is not None:
            text, skip = record
            lines.append(indent + text)
        elif names.guard is not None and op.result is names.guard[0]:
            lines.append(f"{indent}if not {to_source(_expression(op, names))}:")
            lines.append(f"{indent}{INDENT}return {names.guard[1]}")
        else:
            lines.append(indent + to_source(_statement(op, names)))
    return lines


_FUSIBLE = (Style.OPERATOR, Style.SUBSCRIPT, Style.FUNCTION)
_PLAIN = (*_FUSIBLE, Style.ATTRIBUTE, Style.COPY, Style.TUPLE)


def _fuse(ops: list[Stmt], names: _Names) -> None:
    """Write temporaries inside the expression of their only reader, within one source line.

    `sub = T_out_item - T; div_1 = sub / R; T_1 = T + div * (div_1 + h)` reads as the user's
    `T = T + dt / C * ((T_out[t] - T) / R + h)` again, and each name binding it saves is paid
    per iteration in a loop. Only pure operations move, and only past pure operations that
    bind their own names: an effect (a push, a write into an array, a loop) or a rebinding of
    a name (a loop's next value spelled as its parameter) in between could change what the
    moved expression reads. Values named after the user's variables stay, but for a partial
    adjoint read only by the sum that accumulates it (`c_bar = c_bar - a_bar * v`): the sum
    is the adjoint the user looks for.
    """
    pending: dict[Var, Op] = {}
    popped: set[Var] = set()
    for op in ops:
        if not isinstance(op, Op):
            pending.clear()
            continue
        for v in _fusable_reads(op):
            candidate = pending.pop(v, None) if isinstance(v, Var) else None
            if candidate is not None and _joins(candidate, op, names):
                names.fused[v] = candidate
        if op.callee.key is list.pop:
            popped.add(op.result)
        if op.callee.style not in _PLAIN or op.sweep is Sweep.CHECK or not is_pure(op):
            pending.clear()
        elif op.result in names.renamed:  # rebinds a name: what reads it cannot move past
            rebound = names.renamed[op.result]
            pending = {v: c for v, c in pending.items() if rebound not in _spelled_reads(c, names)}
        elif op.result is not None and op.line is not None and names.reads[op.result] == 1 \
                and (op.callee.style in _FUSIBLE or (op.callee.style is Style.COPY and op.result in names.readable)) \
                and not (op.callee.style is Style.SUBSCRIPT and op.args[0] in popped) \
                and not (op.callee.style is Style.FUNCTION and op.callee.ref.scope is Scope.INJECTED):
            pending[op.result] = op  # adtransform's own helpers keep a line each: they are steps to see


def _spelled_reads(op: Op, names: _Names) -> set[str]:
    """The names the expression of `op` reads, with the expressions written inside it."""
    out: set[str] = set()
    for v in _fusable_reads(op):
        if isinstance(v, Var):
            out |= _spelled_reads(names.fused[v], names) if v in names.fused else {names.var(v)}
    return out


def _joins(candidate: Op, reader: Op, names: _Names) -> bool:
    if candidate.sweep is not reader.sweep:
        return False
    if candidate.result not in names.readable:
        return candidate.line == reader.line
    accumulates = reader.callee.style is Style.OPERATOR and reader.callee.key in (operator.add, operator.sub) \
        and reader.result in names.readable
    return accumulates and (candidate.line == reader.line or candidate.callee.style is Style.COPY)


def _fusable_reads(op: Op) -> list[Operand]:
    """The operands of `op` that its emitted form spells with `_operand` (a written array is named)."""
    if op.callee.style is Style.STORE:
        return [op.args[2]]
    if op.callee.style is Style.ADD_INTO:
        return [op.args[1]]
    if op.sweep is Sweep.CHECK:
        return []
    return [v for a in (*op.args, *op.kwargs.values()) for v in flatten(a)]


def may_raise_on_floats(fn: Function) -> bool:
    """Whether the backward sweep raises a power of a Python float that NumPy computes: a rule's
    `x ** (y - 1)` at `x = 0.0` (ZeroDivisionError) where the user's `x ** y` did not raise."""
    for s in walk(fn.body):
        if isinstance(s, Op) and s.sweep is Sweep.ADJOINT and s.callee.key in (operator.pow, math.pow) \
                and len(s.args) == 2:
            exponent = s.args[1]
            if not (isinstance(exponent, Const) and isinstance(exponent.value, (int, float))
                    and exponent.value >= 0):
                return True
    return False


def _reads_python_floats(fn: Function) -> bool:
    return any(isinstance(s, Op) and s.callee.style is Style.FUNCTION and getattr(s.callee.ref, "path", None)
               == ("float_items",) for s in fn.body)


def _record_widths(fn: Function) -> dict[Var, int]:
    """Stacks every push of which is a tuple of a known length (a pop may then be unpacked)."""
    tuples = {s.result: len(s.args) for s in walk(fn.body) if isinstance(s, Op) and s.callee.style is Style.TUPLE}
    widths: dict[Var, int | None] = {}
    for s in walk(fn.body):
        if isinstance(s, Op) and s.callee.key is list.append and s.callee.style is Style.METHOD:
            stack, item = s.args[0], s.args[1] if len(s.args) == 2 else None
            width = tuples.get(item) if isinstance(item, Var) else None
            if isinstance(stack, Var):
                widths[stack] = width if widths.get(stack, width) == width else None
    return {stack: width for stack, width in widths.items() if width is not None}


def _record_traffic(ops: list[Stmt], at: int, names: _Names) -> tuple[str, int] | None:
    """A loop's record written as one statement: `stack.append((a, b))` and `a, b = stack.pop()`.

    Why: the tuple built only to be pushed, and a popped tuple read only item by item, cost
    a name binding and one subscript per item every iteration; the packed forms do not.
    Returns the line and how many of the following operations it also covers.
    """
    op = ops[at]
    if not isinstance(op, Op) or op.result is None or names.reads[op.result] == 0:
        return None
    following = ops[at + 1:at + 1 + names.reads[op.result]]  # a push reads its tuple once, a pop is read per item
    if op.callee.style is Style.TUPLE and following and names.reads[op.result] == 1:
        push = following[0]
        if isinstance(push, Op) and push.callee.key is list.append and push.callee.style is Style.METHOD \
                and len(push.args) == 2 and push.args[1] is op.result and push.result is None:
            call = build.call(build.attribute(_operand(push.args[0], names), "append"), [_expression(op, names)])
            return to_source(build.expr_stmt(call)), 1
    if op.callee.style is Style.METHOD and op.callee.key is list.pop and len(op.args) == 1:
        count = names.reads[op.result]
        items = following[:count]
        if count < 2 or names.widths.get(op.args[0]) != count or len(items) != count or not all(
                isinstance(s, Op) and s.callee.style is Style.SUBSCRIPT and s.result is not None
                and s.args[0] is op.result and isinstance(s.args[1], Const) and s.args[1].value == i
                for i, s in enumerate(items)):
            return None
        targets = build.tuple_([build.name(names.var(s.result), "store") for s in items])
        targets.ctx = gast.Store()
        return to_source(build.assign_to(targets, _expression(op, names))), count
    return None


def _store(op: Op, names: _Names) -> list[str]:
    """`a[i] = v` (or `a[i] += g`); the new version of `a` is `a`'s own variable, unless a loop already named it."""
    if op.callee.style is Style.ADD_INTO:
        array, value, _, index = op.args
    else:
        array, index, value = op.args
    base = names.var(array)
    target = build.subscript(build.name(base), _index(index, names), ctx="store")
    adds = op.callee.style is Style.ADD_INTO and op.callee.symbol != "[]="  # "[]=": the slot still holds zero
    write = build.add_into if adds else build.assign_to
    lines = [to_source(write(target, _operand(value, names)))]
    if op.result in names.renamed and names.renamed[op.result] != base:
        lines.append(to_source(build.assign(names.var(op.result), build.name(base))))
    else:
        names.renamed[op.result] = base
    return lines


def fallback_call(fn: Function, callee: str) -> str:
    """`general(a, b, c=c)`: every parameter passed on as it came (keyword-only ones by name)."""
    args = [p.var.name if p.kind is not ParamKind.KEYWORD_ONLY else f"{p.var.name}={p.var.name}"
            for p in fn.params]
    return f"{callee}({', '.join(args)})"


def _loop(loop: Loop, names: _Names, line_text: Callable[[int], str], indent: str) -> list[str]:
    """A Python loop; each carried value lives in one variable (its param's name) across iterations."""
    lines = []
    for c in loop.carried:
        names.renamed.setdefault(c.result, names.var(c.param))
        if names.var(c.param) != _name_of(c.init, names):
            lines.append(indent + to_source(build.assign(names.var(c.param), _operand(c.init, names))))
    for c in loop.carried:
        if _can_write_in_place(loop, c):
            names.renamed[c.next] = names.var(c.param)
    if loop.kind is LoopKind.RANGE:
        start, stop, step = loop.iter_args
        args = [stop] if start == Const(0) and step == Const(1) else [start, stop] if step == Const(1) else [
            start, stop, step]
        target = names.var(loop.target) if loop.target is not None else names.unused()
        head = f"for {target} in {_range_call(loop, args, names)}:"
    else:
        assert not loop.cond_body, "while loops compute their condition in the body"
        head = f"while {to_source(_operand(loop.cond, names))}:"
    lines.append(indent + head)
    body = _block(loop.body, names, line_text, indent + INDENT)
    copies = [(names.var(c.param), c.next) for c in loop.carried if names.var(c.param) != _name_of(c.next, names)]
    targets = {name for name, _ in copies}
    if len(copies) > 1 and any(_name_of(value, names) in targets for _, value in copies):
        # `a, b = b, a`: one parallel assignment, so no copy reads a variable another just overwrote.
        lhs = ", ".join(name for name, _ in copies)
        rhs = ", ".join(to_source(_operand(value, names)) for _, value in copies)
        body.append(f"{indent}{INDENT}{lhs} = {rhs}")
    else:
        body += [indent + INDENT + to_source(build.assign(name, _operand(value, names))) for name, value in copies]
    return lines + (body or [indent + INDENT + "pass"])


def _range_call(loop: Loop, args: list[Operand], names: _Names) -> str:
    call = build.call(names.builtin(range), [_operand(a, names) for a in args])
    return to_source(build.call(names.builtin(reversed), [call]) if loop.sweep is Sweep.ADJOINT else call)


def _var_names(fn: Function) -> set[str]:
    out = {p.var.name for p in fn.params}
    for stmt in walk(fn.body):
        if isinstance(stmt, Op):
            out |= {v.name for v in (stmt.result, *stmt.uses()) if isinstance(v, Var)}
        elif isinstance(stmt, Loop):
            out |= {v.name for c in stmt.carried for v in (c.param, c.result) if isinstance(v, Var)}
            if stmt.target is not None:
                out.add(stmt.target.name)
        else:
            out |= {v.name for v in stmt.results}
    return out


def _name_of(operand: Operand, names: _Names) -> str | None:
    return names.var(operand) if isinstance(operand, Var) else None


def _can_write_in_place(loop: Loop, carried: Carried) -> bool:
    """`next` may be computed straight into the param's variable if nothing reads the param afterwards."""
    nxt = carried.next
    position = next((i for i, s in enumerate(loop.body) if isinstance(s, Op) and s.result is nxt), None)
    if position is None:
        return False
    later = [*loop.body[position + 1:]]
    reads = {u for s in later for u in s.uses()}
    reads |= {c.next for c in loop.carried if c is not carried and isinstance(c.next, Var)}
    # A write into the param's buffer (`x[0] = v`) names its new version after the param: reads of
    # that version read the param's variable too.
    spelled_as_param = {carried.param}
    for s in loop.body:
        if isinstance(s, Op) and s.callee.style in (Style.STORE, Style.ADD_INTO) and s.args[0] in spelled_as_param:
            spelled_as_param.add(s.result)
    return not spelled_as_param & reads and nxt not in {c.next for c in loop.carried if c is not carried}


def _branch(region: If, names: _Names, line_text: Callable[[int], str], indent: str) -> list[str]:
    """`if c:` with each yielded value assigned to its result, written in place where possible."""
    lines = [f"{indent}if {to_source(_operand(region.cond, names))}:"]
    for body, values in ((region.then_body, region.then_values), (region.else_body, region.else_values)):
        local = {s.result for s in body if isinstance(s, Op) and s.result is not None}
        copies = []
        for result, value in zip(region.results, values):
            if value in local and value not in names.renamed:
                names.renamed[value] = names.var(result)
            else:
                copies.append((result, value))
        block = _block(body, names, line_text, indent + INDENT)
        # Spelled after the block: a loop in it decides how its results are named.
        block += [indent + INDENT + to_source(build.assign(names.var(r), _operand(v, names))) for r, v in copies]
        if body is region.else_body:
            if not block:
                break
            lines.append(f"{indent}else:")
        lines += block or [indent + INDENT + "pass"]
    return lines


def _signature(fn: Function, name: str) -> str:
    parts: list[str] = []
    kinds = [p.kind for p in fn.params]
    for i, p in enumerate(fn.params):
        if p.kind is ParamKind.KEYWORD_ONLY and (i == 0 or kinds[i - 1] is not ParamKind.KEYWORD_ONLY):
            parts.append("*")
        parts.append(p.var.name + (f"={p.default_source}" if p.default_source is not None else ""))
        last_positional_only = i + 1 == len(kinds) or kinds[i + 1] is not ParamKind.POSITIONAL_ONLY
        if p.kind is ParamKind.POSITIONAL_ONLY and last_positional_only:
            parts.append("/")
    return f"def {name}({', '.join(parts)}):"


def docstring_text(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'{INDENT}"""{body}"""'


def _statement(op: Op, names: _Names) -> gast.stmt:
    value = _expression(op, names)
    if op.result is None:
        return build.expr_stmt(value)
    return build.assign(names.var(op.result), value)


def _expression(op: Op, names: _Names) -> gast.expr:
    callee, style = op.callee, op.callee.style
    args = [_operand(a, names) for a in op.args]
    kwargs = [(k, _operand(v, names)) for k, v in op.kwargs.items()]
    if style is Style.COPY:
        return args[0]
    if style is Style.OPERATOR:
        if len(args) == 1:
            return build.unaryop(callee.symbol, args[0])
        if callee.symbol in build.COMPAREOPS:
            return build.compare(callee.symbol, args[0], args[1])
        return build.binop(callee.symbol, args[0], args[1])
    if style is Style.FUNCTION:
        return build.call(names.spell(callee.ref), args, kwargs)
    if style is Style.METHOD:
        return build.call(build.attribute(args[0], callee.symbol), args[1:], kwargs)
    if style is Style.ATTRIBUTE:
        return build.attribute(args[0], callee.symbol)
    if style is Style.SUBSCRIPT:
        return build.subscript(args[0], _index(op.args[1], names))
    if style is Style.TUPLE:
        return build.tuple_(args)
    if style is Style.LIST:
        return build.list_(args)
    if style is Style.CALL_VALUE:
        return build.call(args[0], args[1:], kwargs)
    raise AssertionError(f"no emitter for {style}")


def _operand(operand: Operand, names: _Names) -> gast.expr:
    """An operand outside of `[...]`: slices are written as `slice(...)` calls."""
    if isinstance(operand, Var):
        fused = names.fused.get(operand)
        return _expression(fused, names) if fused is not None else build.name(names.var(operand))
    if isinstance(operand, Global):
        return names.spell(operand.ref)
    if isinstance(operand, Const):
        return _constant(operand.value, names)
    if isinstance(operand, Index):
        items = [_slice_call(i, names) if isinstance(i, SliceItem) else _operand(i, names) for i in operand.items]
        return build.tuple_(items) if operand.is_tuple else items[0]
    raise AssertionError(f"cannot emit operand {operand!r}")


def _constant(value: Any, names: _Names) -> gast.expr:
    if isinstance(value, slice):
        parts = [_constant(value.start, names), _constant(value.stop, names), _constant(value.step, names)]
        return build.call(names.builtin(slice), parts)
    if isinstance(value, tuple) and any(isinstance(v, slice) for v in value):
        return build.tuple_([_constant(v, names) for v in value])
    return build.constant(value)


def _slice_call(item: SliceItem, names: _Names) -> gast.expr:
    parts = [build.constant(None) if p is None else _operand(p, names) for p in (item.lower, item.upper, item.step)]
    return build.call(names.builtin(slice), parts)


def _index(operand: Operand, names: _Names) -> gast.expr:
    """The inside of `x[...]`, with slice syntax."""
    if isinstance(operand, Const):
        return build.constant(operand.value)
    if isinstance(operand, Index):
        def item(i: Operand | SliceItem) -> gast.expr:
            if isinstance(i, SliceItem):
                return gast.Slice(*(None if p is None else _operand(p, names) for p in (i.lower, i.upper, i.step)))
            return _operand(i, names)
        items = [item(i) for i in operand.items]
        return build.tuple_(items) if operand.is_tuple else items[0]
    return _operand(operand, names)
