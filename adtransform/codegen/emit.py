"""Turn an IR function into readable Python source text.

Guarantees: one statement per line, the user's names, a comment before each
group of statements naming the user's source line it comes from (`# line 9:`
in the forward sweep, `# adjoint of line 9:` in the backward sweep).
Every statement is built as gast (syntax/build.py), the peepholes of
codegen/peephole.py deciding how; syntax/layout.py lays them out as text,
with the comments the ast module does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gast

from .. import runtime
from ..frontend.resolve import Ref, Scope
from ..ir.nodes import (
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
    read_counts,
    walk,
)
from ..runtime.guards import Content, Func, Own, function_of, own_attribute, same_content
from ..specialize import Fallback
from ..syntax import build, layout
from ..syntax.naming import Namer
from . import peephole
from .names import Names

__all__ = ["Emitted", "emit", "guard_dependencies"]


@dataclass
class Emitted:
    function: gast.FunctionDef
    injected: dict[str, Any] = field(default_factory=dict)  # closure name -> object
    # Names the generated code reads from the user's namespace for its own purposes (`reversed`,
    # `np` in a rule) because they meant that object at transform time: a cache must recheck them.
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return layout.text([self.function])


def emit(fn: Function, *, name: str, docstring: str, line_text: Callable[[int], str],
         namer: Namer, user_lookup: Callable[[str], Any], user_locals: set[str],
         fallback: Fallback | None = None, line_label: Callable[[int], str] = str) -> Emitted:
    """`fallback`: where calls failing `fn.guard` go, and calls this version cannot compute with
    Python floats (specialize/). `line_label`: how comments cite a line (an inlined callee's names it)."""
    names = Names(namer, user_lookup, user_locals)
    names.line_label = line_label
    names.reads, names.widths, names.readable = read_counts(fn), peephole.record_widths(fn), fn.readable
    names.var_names = _var_names(fn)
    if fallback is not None:
        names.injected[fallback.name] = fallback.target
        if fn.guard is not None:
            names.guard = (fn.guard, lambda: _fallback_call(fn, fallback.name))
    body: list[gast.stmt] = [build.docstring(docstring)]

    def pack(layout: Any) -> gast.expr:
        # Read names only now: emitting the body decides how loop results are spelled.
        if isinstance(layout, int):
            return _operand(fn.returns[layout], names)
        return build.tuple_([pack(x) for x in layout])

    if fallback is not None and fallback.protect_from is not None:
        # Python floats (read from vectors, or passed in) raise where NumPy scalars give inf or nan
        # (overflow, division by zero): such calls go to the general version, computing as NumPy does.
        at = fallback.protect_from
        body += _block(fn.body[:at], names, line_text)
        protected = _block(fn.body[at:], names, line_text)
        protected.append(build.return_(pack(fn.layout)))
        handler: list[gast.stmt] = []
        if fallback.general:
            params = [build.name(p.var.name) for p in fn.params]
            check, convert = (names.spell(Ref((h,), getattr(runtime, h), Scope.INJECTED, getattr(runtime, h)))
                              for h in ("has_python_floats", "numpy_float"))
            handler.append(build.if_(build.unaryop("not", build.call(check, params)), [build.raise_(None)]))
            handler += [build.assign(p.id, build.call(convert, [build.name(p.id)])) for p in params]
        handler.append(build.return_(_fallback_call(fn, fallback.name)))
        errors = [build.name("OverflowError"), build.name("ZeroDivisionError")]
        body.append(build.try_except(protected, errors, handler))
    elif fn.pullback_param is None:
        body += _block(fn.body, names, line_text)
        body.append(build.return_(pack(fn.layout)))
    else:
        # VJP: the backward sweep becomes a closure over the forward values.
        forward = [op for op in fn.body if op.sweep is not Sweep.ADJOINT]
        backward = [op for op in fn.body if op.sweep is Sweep.ADJOINT]
        pullback = namer.fresh("pullback")
        body += _block(forward, names, line_text)
        inner = _replay_records(forward, backward, names, namer)
        inner += _block(backward, names, line_text)
        output, gradients = fn.layout
        inner.append(build.return_(pack(gradients)))
        body.append(build.function_def(pullback, build.arguments([], [fn.pullback_param.name], []), inner))
        body.append(build.return_(build.tuple_([pack(output), build.name(pullback)])))
    function = build.function_def(name, _parameters(fn), body)
    return Emitted(function, names.injected, names.shared)


def guard_dependencies(emitted: Emitted, dependencies: tuple[tuple[tuple[str, ...], Any, bool], ...],
                       fn: Function, name: str, namer: Namer, rederive: Any) -> Emitted:
    """First thing in the generated function, after its docstring: are the names it was derived
    for bound as they were? Otherwise (`ACT = np.sin` after `grad(f)` saw `np.tanh`) the gradient
    of what is called now, from `rederive`. A dependency is a path of names, the object found
    there, and whether the transform relied on that object (else only on its type)."""
    injected = dict(emitted.injected)
    tests = []
    for path, expected, identity in dependencies:
        seen = namer.fresh("_".join(path) + ("_seen" if identity else "_type"))
        injected[seen] = expected
        spelled = _spelled(path if identity else (*path, "__class__"), injected, namer)
        if isinstance(path[-1], Content):  # entries compared with a snapshot
            helper = _helper(injected, namer, same_content)
            tests.append(build.unaryop("not", build.call(build.name(helper), [spelled, build.name(seen)])))
        else:
            tests.append(build.compare("is not", spelled, build.name(seen)))
    again = namer.fresh(f"{name}_rederived")
    injected[again] = rederive
    docstring, *body = emitted.function.body
    guard = [build.comment("derived for these bindings; if one changed, the gradient of what is called now"),
             build.if_(build.bool_op("or", tests), [build.return_(_fallback_call(fn, again))])]
    function = build.function_def(emitted.function.name, emitted.function.args, [docstring, *guard, *body])
    return Emitted(function, injected, emitted.shared)


def _spelled(path: tuple[str, ...], injected: dict[str, Any], namer: Namer) -> gast.expr:
    """`a.b.c`, with `own_attribute(a, 'b')` for a step that reads an object's own attribute."""
    node = build.name(path[0])
    for part in path[1:]:
        if isinstance(part, Own):
            node = build.call(build.name(_helper(injected, namer, own_attribute)), [node, build.constant(str(part))])
        elif isinstance(part, Func):
            node = build.call(build.name(_helper(injected, namer, function_of)), [node])
        else:
            node = build.attribute(node, part)
    return node


def _helper(injected: dict[str, Any], namer: Namer, helper: Callable[..., Any]) -> str:
    """The generated code's name for a runtime helper of the guard (injected once)."""
    for name, value in injected.items():
        if value is helper:
            return name
    name = namer.fresh(helper.__name__)
    injected[name] = helper
    return name


def _parameters(fn: Function) -> gast.arguments:
    """The user's parameters, with their defaults as the user wrote them."""
    def of(*kinds: ParamKind) -> list[str]:
        return [p.var.name for p in fn.params if p.kind in kinds]

    positional = [p for p in fn.params if p.kind is not ParamKind.KEYWORD_ONLY]
    first_default = next((i for i, p in enumerate(positional) if p.default_source is not None), len(positional))
    defaults = [build.verbatim(p.default_source) for p in positional[first_default:]]
    kw_defaults = [None if p.default_source is None else build.verbatim(p.default_source)
                   for p in fn.params if p.kind is ParamKind.KEYWORD_ONLY]
    return build.arguments(of(ParamKind.POSITIONAL_ONLY), of(ParamKind.POSITIONAL_OR_KEYWORD),
                           of(ParamKind.KEYWORD_ONLY), defaults, kw_defaults)


def _replay_records(forward: list[Stmt], backward: list[Stmt], names: Names, namer: Namer) -> list[gast.stmt]:
    """A pullback pops copies of the forward sweep's records, so that it can be called again.

    A record holding inner loops' records (lists popped in turn) is copied with them.
    """
    read = {v for stmt in walk(backward) if isinstance(stmt, Op) for v in stmt.uses()}
    stacks = [op.result for op in forward if isinstance(op, Op) and op.callee.style is Style.LIST
              and not op.args and op.result in read]
    popped = {s.args[0] for s in walk(backward) if isinstance(s, Op) and s.callee.key is list.pop}
    nested = bool(popped - set(stacks))
    out: list[gast.stmt] = []
    for stack in stacks:
        recorded = build.name(names.var(stack))
        names.renamed[stack] = namer.fresh(f"{names.var(stack)}_replay")
        ref = Ref(("replay_record",), runtime.replay_record, Scope.INJECTED, runtime.replay_record)
        copy = build.call(names.spell(ref), [recorded]) if nested \
            else build.call(build.attribute(recorded, "copy"), [])
        out.append(build.comment("the pullback may be called again", build.assign(names.renamed[stack], copy)))
    return out


def _block(ops: list[Stmt], names: Names, line_text: Callable[[int], str]) -> list[gast.stmt]:
    peephole.fuse(ops, names)
    ops = [op for op in ops if not (isinstance(op, Op) and op.result in names.fused)]
    out: list[gast.stmt] = []
    group: tuple[Sweep, int | None] | None = None
    skip = 0
    for at, op in enumerate(ops):
        if skip:
            skip -= 1
            continue
        key = (op.sweep, op.line)
        if key != group and op.line is not None and op.sweep is not Sweep.CHECK:
            where = "adjoint of line" if op.sweep is Sweep.ADJOINT else "line"
            out.append(build.comment(f"{where} {names.line_label(op.line)}: {line_text(op.line)}"))
        group = key
        if isinstance(op, If):
            out += _branch(op, names, line_text)
            group = None
        elif isinstance(op, Loop):
            out += _loop(op, names, line_text)
            group = None
        elif op.callee.style in (Style.STORE, Style.ADD_INTO):
            out += _store(op, names)
        elif (push := peephole.packed_push(ops, at, names)) is not None:
            out.append(build.expr_stmt(build.call(build.attribute(_operand(push.args[0], names), "append"),
                                                  [_expression(op, names)])))
            skip = 1
        elif (items := peephole.unpacked_pop(ops, at, names)) is not None:
            targets = build.tuple_([build.name(names.var(s.result), "store") for s in items])
            targets.ctx = gast.Store()
            out.append(build.assign_to(targets, _expression(op, names)))
            skip = len(items)
        elif names.guard is not None and op.result is names.guard[0]:
            out.append(build.if_(build.unaryop("not", _expression(op, names)), [build.return_(names.guard[1]())]))
        else:
            out.append(_statement(op, names))
    return out


def _store(op: Op, names: Names) -> list[gast.stmt]:
    """`a[i] = v` (or `a[i] += g`); the new version of `a` is `a`'s own variable, unless a loop already named it."""
    if op.callee.style is Style.ADD_INTO:
        array, value, _, index = op.args
    else:
        array, index, value = op.args
    base = names.var(array)
    target = build.subscript(build.name(base), _index(index, names), ctx="store")
    adds = op.callee.style is Style.ADD_INTO and op.callee.symbol != "[]="  # "[]=": the slot still holds zero
    write = build.add_into if adds else build.assign_to
    out = [write(target, _operand(value, names))]
    if op.result in names.renamed and names.renamed[op.result] != base:
        out.append(build.assign(names.var(op.result), build.name(base)))
    else:
        names.renamed[op.result] = base
    return out


def _fallback_call(fn: Function, callee: str) -> gast.expr:
    """`general(a, b, c=c)`: every parameter passed on as it came (keyword-only ones by name)."""
    args = [build.name(p.var.name) for p in fn.params if p.kind is not ParamKind.KEYWORD_ONLY]
    kwargs = [(p.var.name, build.name(p.var.name)) for p in fn.params if p.kind is ParamKind.KEYWORD_ONLY]
    return build.call(build.name(callee), args, kwargs)


def _loop(loop: Loop, names: Names, line_text: Callable[[int], str]) -> list[gast.stmt]:
    """A Python loop; each carried value lives in one variable (its param's name) across iterations."""
    out: list[gast.stmt] = []
    for c in loop.carried:
        names.renamed.setdefault(c.result, names.var(c.param))
        if names.var(c.param) != _name_of(c.init, names):
            out.append(build.assign(names.var(c.param), _operand(c.init, names)))
    for c in loop.carried:
        if peephole.writes_in_place(loop, c):
            names.renamed[c.next] = names.var(c.param)
    if loop.kind is LoopKind.RANGE:
        start, stop, step = loop.iter_args
        args = [stop] if start == Const(0) and step == Const(1) else [start, stop] if step == Const(1) else [
            start, stop, step]
        target = names.var(loop.target) if loop.target is not None else names.unused()
        iterated = _range_call(loop, args, names)
    else:
        assert not loop.cond_body, "while loops compute their condition in the body"
        test = _operand(loop.cond, names)
    body = _block(loop.body, names, line_text)
    copies = [(names.var(c.param), c.next) for c in loop.carried if names.var(c.param) != _name_of(c.next, names)]
    targets = {name for name, _ in copies}
    if len(copies) > 1 and any(_name_of(value, names) in targets for _, value in copies):
        # `a, b = b, a`: one parallel assignment, so no copy reads a variable another just overwrote.
        lhs = build.tuple_([build.name(name, "store") for name, _ in copies])
        lhs.ctx = gast.Store()
        body.append(build.assign_to(lhs, build.tuple_([_operand(value, names) for _, value in copies])))
    else:
        body += [build.assign(name, _operand(value, names)) for name, value in copies]
    if loop.kind is LoopKind.RANGE:
        return [*out, build.for_(build.name(target, "store"), iterated, body)]
    return [*out, build.while_(test, body)]


def _range_call(loop: Loop, args: list[Operand], names: Names) -> gast.expr:
    call = build.call(names.builtin(range), [_operand(a, names) for a in args])
    return build.call(names.builtin(reversed), [call]) if loop.sweep is Sweep.ADJOINT else call


def _branch(region: If, names: Names, line_text: Callable[[int], str]) -> list[gast.stmt]:
    """`if c:` with each yielded value assigned to its result, written in place where possible."""
    test = _operand(region.cond, names)
    blocks = []
    for body, values in ((region.then_body, region.then_values), (region.else_body, region.else_values)):
        local = {s.result for s in body if isinstance(s, Op) and s.result is not None}
        copies = []
        for result, value in zip(region.results, values):
            if value in local and value not in names.renamed:
                names.renamed[value] = names.var(result)
            else:
                copies.append((result, value))
        block = _block(body, names, line_text)
        # Spelled after the block: a loop in it decides how its results are named. A branch that raises
        # never gets there (its value for a name bound on the other path only is `name_unassigned`).
        if not any(isinstance(s, Op) and s.callee.key is runtime.raise_exception for s in body):
            block += [build.assign(names.var(r), _operand(v, names)) for r, v in copies]
        blocks.append(block)
    return [build.if_else(test, *blocks)]


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


def _name_of(operand: Operand, names: Names) -> str | None:
    return names.var(operand) if isinstance(operand, Var) else None



def _statement(op: Op, names: Names) -> gast.stmt:
    value = _expression(op, names)
    if op.result is None:
        return build.expr_stmt(value)
    return build.assign(names.var(op.result), value)


def _expression(op: Op, names: Names) -> gast.expr:
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


def _operand(operand: Operand, names: Names) -> gast.expr:
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


def _constant(value: Any, names: Names) -> gast.expr:
    if isinstance(value, slice):
        parts = [_constant(value.start, names), _constant(value.stop, names), _constant(value.step, names)]
        return build.call(names.builtin(slice), parts)
    if isinstance(value, tuple) and any(isinstance(v, slice) for v in value):
        return build.tuple_([_constant(v, names) for v in value])
    return build.constant(value)


def _slice_call(item: SliceItem, names: Names) -> gast.expr:
    parts = [build.constant(None) if p is None else _operand(p, names) for p in (item.lower, item.upper, item.step)]
    return build.call(names.builtin(slice), parts)


def _index(operand: Operand, names: Names) -> gast.expr:
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
