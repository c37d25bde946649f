"""The one readable list of stages that turns a Python function into its gradient.

Each line is a stage of ../DESIGN.md; the comments give the ordering constraints.
"""

from __future__ import annotations

import keyword
import os
import re
import types
from dataclasses import dataclass, field
from typing import Any

from .. import rules, specialize  # noqa: F401  (rules: registers the derivative rules)
from ..ad import reverse, runtime_refs
from ..analysis import aliases
from ..canonicalize import comprehensions
from ..canonicalize.schedule import canonicalize
from ..codegen import emit, load
from ..errors import TransformError
from ..frontend import fence, function_args, inline, inline_objects, resolve, source
from ..frontend.context import Context
from ..frontend.resolve import UNBOUND, Namespace, Ref, Scope
from ..ir import lower
from ..ir.nodes import Const, Function, Global, Op, Var
from ..ir.operands import consulting
from ..ir.printer import format_function
from ..ir.verify import verify
from ..optimize.driver import optimize, optimize_primal
from ..runtime.guards import ABSENT, FUNC
from ..syntax.naming import Namer
from .apart import apart_checks
from .blockers import Blockers
from .callee_loops import callee_loops
from .guard import transform_guarded

# A free name (or module attribute path) the transform read, the object it found, and whether the
# transform relied on that very object (a function, module or class: its rule, its facts) or only on
# its type (data: a global array is read again at each call, so rebinding it to another array is fine).
Dependency = tuple[tuple[str, ...], Any, bool]
# Parameters passed as containers: (name, runtime.pytrees.Tree) pairs, hashable for the cache.
Structure = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Transformed:
    loaded: load.Loaded
    name: str
    dependencies: tuple[Dependency, ...]  # what the transform resolved: validated at each call and cache hit
    roots: dict[str, Any] = field(default_factory=dict)  # names of dependencies not the user's (callees')


class _RecordingNamespace(Namespace):
    """Records every free name and module attribute path the stages resolve, with what they found."""

    def __init__(self, fn: types.FunctionType):
        super().__init__(fn)
        self.read: dict[tuple[str, ...], Any] = {}
        self.identity: set[tuple[str, ...]] = set()  # paths relied on by identity whatever they hold

    def user_lookup(self, identifier: str) -> Any:
        value = super().user_lookup(identifier)
        if value is not UNBOUND:
            self.read.setdefault((identifier,), value)
        return value

    def resolve(self, path: tuple[str, ...]) -> Ref:
        ref = super().resolve(path)
        if isinstance(ref.obj, types.MethodType) and len(ref.path) > 1 \
                and super().resolve(ref.path[:-1]).obj is ref.obj.__self__:
            # A registered method of an object (`stats.norm.logpdf`), a new bound method at each read:
            # the transform relied on that very object and on the function its class binds.
            self.read.setdefault(ref.path[:-1], ref.obj.__self__)
            self.identity.add(ref.path[:-1])
            self.read.setdefault((*ref.path, FUNC), ref.obj.__func__)
        elif ref.obj is not UNBOUND:
            self.read.setdefault(ref.path, ref.obj)
        return ref


def primal_ir(fn: types.FunctionType, blockers: Blockers | None = None,
              structured: Structure = (), *, opaque: frozenset[types.CodeType] = frozenset(),
              sources: list[source.SourceInfo] | None = None) -> tuple[Function, Context]:
    """The stages up to SSA IR: the user's function as verified IR (`structured`: the parameters
    holding containers, with their structure). `blockers` (given) collects what they refuse for the
    caller to raise with what later stages refuse; else it is raised here. Calls of the functions
    whose code is in `opaque` are not inlined; `sources` receives the SourceInfo (which locates the
    inlined callees)."""
    own = blockers is None
    blockers = blockers or Blockers(fn.__name__)
    parsed = source.parse_function(fn)                   # frontend: source text -> gast
    node, info = parsed.node, parsed.info
    namespace = _RecordingNamespace(fn)
    # (functions given as arguments, and held in containers: frontend/function_args.py)
    function_args.bind_functions(node, info, namespace, {k: t.cls for k, t in structured if t.kind == "function"})
    trees = {k: t for k, t in structured if t.kind != "function"}
    function_args.bind_tables(node, info, namespace, trees)
    helpers = {}
    if inline.calls_in_comprehensions(node, info, namespace) or inline_objects.in_comprehensions(
            node, info, namespace, trees):  # made loops first, so their calls can be inlined
        early = Context(info, namespace, Namer(resolve.scan_names(node)[1]), resolve.local_names(node))
        with blockers.stage():
            comprehensions.transform(node, early)
        helpers = early.helpers
    with blockers.stage():                               # calls of the user's functions spliced in
        info, callees = inline.inline(node, info, namespace, fn.__code__, opaque, trees, callee_loops)
    if sources is not None:
        sources.append(info)
    with blockers.stage():
        fence.check(node, info, namespace)               # refuse early, while nodes point at user code
    # In-place updates NumPy would share (refusals recorded; those fine for numbers checked at call time).
    apart: dict[str, TransformError] = {}  # (parameters updated in place: checked apart at the call)
    array_params = aliases.refuse_aliased_updates(node, info, namespace, blockers.deferred, blockers.found, apart)
    local_names, all_names = resolve.scan_names(node)
    namespace.locals = set(local_names)
    # (a name read from the user's namespace, kept by the guard even if inlining took it out of the body)
    reserved = set(all_names) | {path[0] for path in namespace.read}
    ctx = Context(info, namespace, Namer(reserved), local_names, array_params, structured=dict(structured),
                  helpers=helpers, callees=callees)
    with blockers.stage("canonicalization or lowering"):
        canonicalize(node, ctx)                          # canonicalize/schedule.py: no jumps, one op a statement
        primal = lower.lower(node, ctx)                  # SSA IR
    primal.body[:0] = [_ensure_number(var, blockers.deferred[var.name])
                       for var in primal.param_vars() if var.name in blockers.deferred] \
        + apart_checks(primal, ctx, apart)
    verify(primal)
    _debug("lower", primal)
    if own:
        blockers.raise_any()
    return primal, ctx


def _ensure_number(param: Var, refusal: TransformError) -> Op:
    """`ensure_number(a, 'a', a_array_refusal)`: the refusals an array in `a` meets, raised at the call."""
    ref = Ref((f"{param.name}_array_refusal",), refusal, Scope.INJECTED, refusal)
    return runtime_refs.check_op("ensure_number", [param, Const(param.name), Global(ref)], line=None)


def gradient(fn: types.FunctionType, wrt: tuple[int, ...], *, wrt_is_tuple: bool,
             mode: reverse.Mode, structured: Structure = ()) -> Transformed:
    """`structured`: the parameters passed as containers, with their structure (runtime/pytrees.py);
    `wrt` then counts the parameters of the flattened function (each leaf one)."""
    return _gradient(fn, wrt, wrt_is_tuple=wrt_is_tuple, mode=mode, versioned=True, structured=structured)


def _gradient(fn: types.FunctionType, wrt: tuple[int, ...], *, wrt_is_tuple: bool,
              mode: reverse.Mode, versioned: bool, structured: Structure = ()) -> Transformed:
    return transform_guarded(fn, lambda: _stages(fn, wrt, wrt_is_tuple=wrt_is_tuple, mode=mode,
                                                 versioned=versioned, structured=structured))


def _stages(fn: types.FunctionType, wrt: tuple[int, ...], *, wrt_is_tuple: bool, mode: reverse.Mode,
            versioned: bool, structured: Structure, opaque: frozenset[types.CodeType] = frozenset()) -> Transformed:
    """All stages; a callee whose inlined body is refused (a logger writing a global list, say) is
    called as before instead (run as it is, refused only where it gets a differentiated value), and
    if that is refused too, the error is the one naming what the callee does."""
    sources: list[source.SourceInfo] = []
    try:
        return _all_stages(fn, wrt, wrt_is_tuple=wrt_is_tuple, mode=mode, versioned=versioned,
                           structured=structured, opaque=opaque, sources=sources)
    except TransformError as err:
        culprits = sources[0].callees_at([p.location for p in err.problems]) - opaque \
            if sources and hasattr(sources[0], "callees_at") else frozenset()
        if not culprits:
            raise
        try:
            return _stages(fn, wrt, wrt_is_tuple=wrt_is_tuple, mode=mode, versioned=versioned,
                           structured=structured, opaque=opaque | culprits)
        except TransformError:
            raise err from None


def _all_stages(fn: types.FunctionType, wrt: tuple[int, ...], *, wrt_is_tuple: bool, mode: reverse.Mode,
                versioned: bool, structured: Structure, opaque: frozenset[types.CodeType],
                sources: list[source.SourceInfo]) -> Transformed:
    with consulting() as consulted:
        return _consulting_stages(fn, wrt, wrt_is_tuple=wrt_is_tuple, mode=mode, versioned=versioned,
                                  structured=structured, opaque=opaque, sources=sources, consulted=consulted)


def _consulting_stages(fn: types.FunctionType, wrt: tuple[int, ...], *, wrt_is_tuple: bool, mode: reverse.Mode,
                       versioned: bool, structured: Structure, opaque: frozenset[types.CodeType],
                       sources: list[source.SourceInfo], consulted: list[Ref]) -> Transformed:
    blockers = Blockers(fn.__name__)
    primal, ctx = primal_ir(fn, blockers, structured, opaque=opaque, sources=sources)
    info, namer = ctx.info, ctx.namer
    param_names = [p.var.name for p in primal.params]
    label = _label(fn.__name__)
    optimize_primal(primal, namer)                       # before AD: fewer values to record and differentiate
    verify(primal)
    _debug("optimize_primal", primal)
    with blockers.stage():
        adjoint = specialize.derive(                     # reverse mode, in the version it pays to specialize to
            primal, [primal.params[i].var for i in wrt], namer, scalar_output=mode is not reverse.Mode.VJP,
            versioned=versioned,
            differentiate=lambda active, ranks, hypothesis: reverse.reverse(
                primal, list(wrt), namer, info.filename, mode=mode, wrt_is_tuple=wrt_is_tuple, fn_label=label,
                active=active, ranks=ranks, hypothesis=hypothesis, array_params=ctx.array_params))
    blockers.raise_any()                                 # (what the alias analysis refused)
    verify(adjoint)
    _debug("reverse", adjoint)
    optimize(adjoint, namer)                             # after AD: rules leave 1.0 * g, copies, dead code
    verify(adjoint)
    _debug("optimize", adjoint)
    wrt_names = list(dict.fromkeys(ctx.leaf_owner.get(param_names[i], param_names[i]) for i in wrt))
    name = f"d{label}_d{'_'.join(wrt_names)}"
    if mode is reverse.Mode.VJP:
        name = f"{label}_vjp"
    wrt_text = ", ".join(wrt_names)
    what = {reverse.Mode.GRAD: "Gradient", reverse.Mode.VALUE_AND_GRAD: "Value and gradient",
            reverse.Mode.VJP: "Value and pullback (vector-Jacobian product)"}[mode]
    shown = fn.__name__ if re.fullmatch(r'[^"\\\n]*', fn.__name__) else label  # (inside a docstring)
    doc = (f"{what} of {shown} "
           f"({info.filename}:{info.line_offset + 1}) with respect to {wrt_text}.\n\n"
           f"    Generated by adtransform: edit {shown}, not this function.\n    ")
    # Calls breaking the body's rank assumption go to the general version, and calls whose Python
    # floats raise (the general version computes those operations as NumPy does: specialize/floats.py).
    fallback = specialize.fallback(adjoint, name, namer, versioned=versioned, general=lambda: load.Deferred(
        lambda user_fn: _gradient(user_fn, wrt, wrt_is_tuple=wrt_is_tuple, mode=mode, versioned=False,
                                  structured=structured).loaded))
    emitted = emit.emit(adjoint, name=name, docstring=doc, line_text=info.line_text, namer=namer,
                        user_lookup=ctx.namespace.lookup, user_locals=ctx.locals, fallback=fallback,
                        line_label=getattr(info, "line_label", str))
    aliases = ctx.namespace.aliases  # the inliner's names of a callee's objects: the generated code's own
    emitted.injected.update({n: aliases[n] for n in emitted.shared if n in aliases})
    # (a name the generated code binds to a helper of its own cannot be read there as the user's)
    consulted_callees = _consulted(consulted, ctx.namespace)
    dependencies = tuple(d for d in _dependencies(ctx.namespace) if d[0][0] not in emitted.injected)
    # (checked from objects injected)
    roots, callee_dependencies = _callee_roots((*ctx.callees, *consulted_callees), namer)
    emitted.injected.update(roots)
    dependencies += callee_dependencies
    if versioned and dependencies:                       # the general version is only reached past this check
        emitted = emit.guard_dependencies(emitted, dependencies, adjoint, name, namer,
                                          load.Rederive(wrt, wrt_is_tuple, (mode, structured) if structured else mode))
    loaded = load.compile_source(emitted.text, name, emitted.injected, fn.__code__.co_freevars)
    return Transformed(loaded, name, dependencies, roots)


def _dependencies(namespace: Namespace) -> tuple[Dependency, ...]:
    """What the transform read from outside the function, minus the function's own locals (and the
    inliner's aliases: what they stand for is a callee dependency)."""
    read = getattr(namespace, "read", {})
    local = getattr(namespace, "locals", set()) | set(namespace.aliases)
    identity = getattr(namespace, "identity", set())
    return tuple((path, obj, True) if _relied_on_identity(obj) or path in identity else (path, type(obj), False)
                 for path, obj in sorted(read.items()) if path[0] not in local)


def _label(name: str) -> str:
    """The user's function name as generated code can spell it (`loss (v2)` from a factory, `<lambda>`)."""
    if name == "<lambda>":
        return "lambda"
    label = re.sub(r"\W+", "_", name).strip("_") or "fn"
    return label if label.isidentifier() and not keyword.iskeyword(label) else f"fn_{label}"


def _consulted(consulted: list[Ref], namespace: Namespace) -> list[tuple[Any, tuple[Any, ...], Any, bool, str]]:
    """Data globals whose value decided the transform (`hermitian=HERM`, `mode=MODE`) are relied on by
    identity: the user's own marked so in `namespace`, a callee's (read through an alias of its module or
    cell) returned as callee dependencies. Guarding them by type only would keep a stale gradient."""
    aliases = namespace.aliases
    identity = getattr(namespace, "identity", None)
    found = []
    for ref in consulted:
        if _relied_on_identity(ref.obj):
            continue
        if ref.path[0] in aliases:
            found.append((aliases[ref.path[0]], ref.path[1:], ref.obj, True, ref.path[0]))
        elif ref.scope is Scope.USER and identity is not None:
            identity.add(ref.path)
    return found


def _callee_roots(callees: tuple[Any, ...], namer: Namer) -> tuple[dict[str, Any], tuple[Dependency, ...]]:
    """A fresh name for each root object of the inlined callees' dependencies (a function, module,
    class or closure cell), and those dependencies as paths from that name."""
    names: dict[int, str] = {}
    roots: dict[str, Any] = {}
    found = []
    for root, path, expected, identity, hint in callees:
        if id(root) not in names:
            names[id(root)] = namer.fresh(hint)
            roots[names[id(root)]] = root
        found.append(((names[id(root)], *path), expected, identity))
    return roots, tuple(found)


def _relied_on_identity(obj: Any) -> bool:
    return callable(obj) or isinstance(obj, types.ModuleType) or obj is ABSENT  # (no own attribute)


def _debug(stage: str, fn: Function) -> None:
    if stage in os.environ.get("ADTRANSFORM_TRACE", "").split(","):
        print(f"--- IR after {stage}\n{format_function(fn)}")
