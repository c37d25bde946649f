"""One inlined call: the callee's body, renamed into the caller, its parameters bound, its returns assigned.

Names are the hard part. The callee's locals get fresh names (nothing clobbers the caller's
variables, or another inlined instance's). Its free names mean what they mean in the CALLEE's
namespace (its module's globals, its closure cells), so each becomes an expression that reads that
at run time: the same name when the caller's function sees the very same binding (`np`, a global of
the same module); else an alias the Namespace knows (frontend/resolve.py `aliases`): a module,
function or class by identity, a global array of another module as `helpers.W` (the module
injected, the array read at each call), a closure cell's value as `scale_cell.cell_contents`.
Everything the transform relied on that the caller's names do not show (the callee's code object,
its defaults, the bindings it read) is a dependency the cache and the generated code check.
"""

from __future__ import annotations

import builtins
import copy
import functools
import sys
import sysconfig
import types
from dataclasses import dataclass, field
from typing import Any

import gast

from ..errors import NameResolutionError, SourceUnavailableError, UnsupportedSyntaxError
from ..rules.registry import is_nondifferentiable, lookup_adjoint, lookup_facts
from ..runtime.guards import ABSENT, Content, Own, snapshot
from ..syntax import build
from ..syntax.naming import Namer
from . import inline_star, source
from .inline_returns import lower_returns, refuse_returned_function
from .resolve import UNBOUND, Namespace
from .segments import CompositeInfo

# (root object, attribute path from it, the object found there or its type, whether its identity counts,
# what to call the root in generated code)
CalleeDependency = tuple[Any, tuple[str, ...], Any, bool, str]

_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)
_NUMBERS = (int, float, bool, str, type(None), complex)
_LIBRARIES = frozenset({"numpy", "scipy", "adtransform", "autograd", "jax", "torch"})


def is_user_function(fn: Any) -> bool:
    """A Python function of the user's with no rule: not numpy's, the standard library's, an installed
    package's, nor one without source (built by exec: called as it is, as before inlining existed)."""
    if not isinstance(fn, types.FunctionType) or fn.__code__.co_filename.startswith("<"):
        return False
    if lookup_adjoint(fn) is not None or is_nondifferentiable(fn) or lookup_facts(fn).known:
        return False
    package = (getattr(fn, "__module__", None) or "").partition(".")[0]
    if package in _LIBRARIES or package in sys.stdlib_module_names:
        return False
    filename = fn.__code__.co_filename
    return not any(filename.startswith(p) for p in _installed())


@functools.lru_cache(maxsize=1)
def _installed() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(sorted({paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}))


@dataclass
class State:
    """What every inlined call of one transform shares."""

    info: CompositeInfo
    namespace: Namespace
    namer: Namer
    locals: set[str]  # names bound in the function being built (the caller's, the callees' renamed)
    dependencies: list[CalleeDependency] = field(default_factory=list)
    parsed: dict[types.CodeType, source.ParsedFunction] = field(default_factory=dict)
    alias_of: dict[tuple[int, str], str] = field(default_factory=dict)
    keep: list[Any] = field(default_factory=list)  # objects aliased: alive while their ids are keys
    # Parameters passed as containers (runtime/pytrees.py Tree by name) and never rebound: a method of an
    # object in them is known (frontend/inline_objects.py)
    structured: dict[str, Any] = field(default_factory=dict)
    # Names bound to a tuple or dict display nothing changes (`*args` of a callee, `args = (a, b)`): a call
    # spreading them is spelled out (frontend/inline_star.py)
    displays: dict[str, gast.expr] = field(default_factory=dict)
    # Run on each callee's copy before it is spliced (the pipeline's: comprehensions calling functions
    # become loops, whose calls are then inlined as the caller's are): (its def, the function, the info).
    prepare: Any = None

    def alias(self, hint: str, obj: Any) -> str:
        key = (id(obj), hint)
        if key not in self.alias_of:
            spelled = self.namer.fresh(hint)
            self.namespace.aliases[spelled] = obj
            self.alias_of[key] = spelled
            self.keep.append(obj)
        return self.alias_of[key]

    def structured_read(self, expr: gast.expr) -> Any:
        """The structure `expr` reads in a structured parameter (`params["net"]`, `model.layer`), or None."""
        keys: list[Any] = []
        while isinstance(expr, (gast.Attribute, gast.Subscript)):
            if isinstance(expr, gast.Subscript) and not (isinstance(expr.slice, gast.Constant)
                                                         and type(expr.slice.value) in (int, str)):
                return None
            keys.append(expr.attr if isinstance(expr, gast.Attribute) else expr.slice.value)
            expr = expr.value
        tree = self.structured.get(expr.id) if isinstance(expr, gast.Name) else None
        for key in reversed(keys):
            if tree is None or tree.is_leaf or tree.kind == "function":
                return None
            if tree.kind in ("dict", "object", "namedtuple") and key in tree.keys:
                tree = tree.children[tree.keys.index(key)]
            elif tree.kind in ("list", "tuple", "namedtuple") and type(key) is int \
                    and -len(tree.children) <= key < len(tree.children):
                tree = tree.children[key]
            else:
                return None
        return tree

    def depend(self, root: Any, path: tuple[str, ...], obj: Any, identity: bool | None = None,
               hint: str = "") -> None:
        """The transform relied on `root.path` being `obj` (identity), or of its type (data); `hint`
        names the root in generated code."""
        identity = relied_on_identity(obj) if identity is None else identity
        entry = (root, path, obj if identity else type(obj), identity)
        if not any(e[0] is root and e[1:4] == entry[1:] for e in self.dependencies):
            self.dependencies.append((*entry, hint or _hint(root)))


def depend_not_shadowed(state: State, func: gast.Attribute, owner: Any) -> None:
    """The method found on `owner`'s class is what `owner.attr` means only while `owner` itself
    holds no attribute of that name: checked on whatever the function's global names when the
    receiver is one (it may be rebound), else on that very object."""
    namespace = state.namespace
    read = getattr(namespace, "read", None)
    receiver = func.value.id if isinstance(func.value, gast.Name) else None
    if read is not None and receiver is not None and receiver not in state.locals \
            and receiver not in namespace.aliases and namespace.lookup(receiver) is owner:
        read.setdefault((receiver, Own(func.attr)), ABSENT)
    else:
        state.depend(owner, (Own(func.attr),), ABSENT, identity=True, hint=type(owner).__name__.lower())


def _hint(root: Any) -> str:
    name = getattr(root, "__name__", None) or type(root).__name__
    name = "lambda" if name == "<lambda>" else name.rpartition(".")[2]
    kind = "module" if isinstance(root, types.ModuleType) else "class" if isinstance(root, type) else \
        "fn" if isinstance(root, types.FunctionType) else ""
    return f"{name}_{kind}" if kind else name


def relied_on_identity(obj: Any) -> bool:
    """As pipeline's dependencies: functions, classes and modules by identity, data by type."""
    return callable(obj) or isinstance(obj, types.ModuleType)


@dataclass
class Call:
    """A call being inlined: its arguments (already free of inlinable calls) and where it is."""

    node: gast.Call
    args: list[gast.expr]
    keywords: list[tuple[str, gast.expr]]


def instance(state: State, fn: types.FunctionType, call: Call) -> tuple[list[gast.stmt], str]:
    """The statements computing `fn(*args, **keywords)` in the caller, and the name of the result."""
    parsed = state.parsed.get(fn.__code__)
    if parsed is None:
        try:
            parsed = state.parsed[fn.__code__] = source.parse_function(fn)
        except SourceUnavailableError as exc:
            raise UnsupportedSyntaxError(
                f"cannot inline {fn.__qualname__}: {exc}", state.info.location(call.node),
                f"call of `{fn.__qualname__}`") from None
    node = copy.deepcopy(parsed.node)
    lines = (parsed.info.line_offset + 1, parsed.info.line_offset + (parsed.node.end_lineno or 1))
    base = state.info.add(parsed.info, fn.__qualname__, lines, fn.__code__)
    state.info.shift(node, parsed.info, base)
    state.depend(fn, ("__code__",), fn.__code__, identity=True)
    _mangle(node, fn)
    if state.prepare is not None:
        state.prepare(node, fn, state.info)
    own, nested, stored = own_scope(node)
    refuse_returned_function(node.body, fn.__qualname__, state.info)
    free = _free_names(node, own | nested)
    clash = sorted(free & nested)
    if clash:
        raise UnsupportedSyntaxError(
            f"`{clash[0]}` is both a free name of {fn.__qualname__} and a local of a function nested in it; "
            f"rename one of them", state.info.location(node), f"`{clash[0]}` in {fn.__qualname__}")
    defaults = _runtime_defaults(state, fn, node)
    label = "lambda" if fn.__name__ == "<lambda>" else fn.__name__
    free_names = {name: _free_expression(state, fn, name, node) for name in sorted(free)}
    return splice(state, fn.__qualname__, label, node, call, (own | nested, stored), defaults, free_names)


def splice(state: State, qualname: str, label: str, node: gast.FunctionDef, call: Call,
           scope: tuple[set[str], set[str]], defaults: dict[str, gast.expr],
           free: dict[str, gast.expr]) -> tuple[list[gast.stmt], str]:
    """The statements computing a call of `node`: its parameters bound, its locals (`scope`: the names it
    binds, and those assigned) renamed fresh, its free names read as `free` says, its returns lowered to
    an assignment of the result (named after `label`), which is returned with them."""
    local_names, stored = scope
    bindings, substitute = bind(state, qualname, node, call, stored, defaults)
    renames: dict[str, gast.expr] = dict(substitute)
    for local in sorted(local_names):
        if local not in renames:
            renames[local] = build.name(state.namer.fresh(local))
            state.locals.add(renames[local].id)
    renames.update(free)
    params = {a.id for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    params |= {a.id for a in (node.args.vararg, node.args.kwarg) if a is not None}
    line = state.info.location(node).line
    body = [Rename(renames, {name: f"{'parameter' if name in params else 'a variable'} of helper `{label}`, line {line}"
                             for name in renames}).visit(stmt) for stmt in node.body]
    for renamed in bindings:
        renamed.targets[0] = build.name(renames[renamed.targets[0].id].id, "store")
    result = state.namer.fresh(f"{label}_out")
    flag = state.namer.fresh(f"{label}_returned")
    state.locals |= {result, flag}
    return [*bindings, *lower_returns(body, result, flag)], result


def _mangle(node: gast.FunctionDef, fn: types.FunctionType) -> None:
    """In a method, Python reads `self.__w` as `self._Model__w` (private name mangling): so must the caller."""
    parts = fn.__qualname__.split(".")
    cls = next((parts[i] for i in range(len(parts) - 2, -1, -1)
                if parts[i] != "<locals>" and parts[i + 1] != "<locals>"), None)
    if cls is None:
        return
    prefix = "_" + cls.lstrip("_")

    def mangled(name: str) -> str:
        return prefix + name if name.startswith("__") and not name.endswith("__") and cls.strip("_") else name

    for child in gast.walk(node):
        if isinstance(child, gast.Attribute):
            child.attr = mangled(child.attr)
        elif isinstance(child, gast.Name):
            child.id = mangled(child.id)


def own_scope(node: gast.FunctionDef) -> tuple[set[str], set[str], set[str]]:
    """(the callee's own locals, names bound in functions nested in it, names its own scope assigns)."""
    args = node.args
    params = [a.id for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if isinstance(a, gast.Name)]
    params += [a.id for a in (args.vararg, args.kwarg) if isinstance(a, gast.Name)]
    own, stored, nested = set(params), set(), set()
    stack: list[tuple[gast.AST, bool]] = [(stmt, False) for stmt in node.body]
    while stack:
        child, inside = stack.pop()
        if isinstance(child, (gast.FunctionDef, gast.ClassDef)):
            (nested if inside else own).add(child.name)
            if not inside:
                stored.add(child.name)
        if isinstance(child, gast.Name) and isinstance(child.ctx, (gast.Store, gast.Param)):
            (nested if inside else own).add(child.id)
            if not inside:
                stored.add(child.id)
        for sub in gast.iter_child_nodes(child):
            stack.append((sub, inside or isinstance(child, _SCOPES)))
    return own, nested - own, stored


def _free_names(node: gast.FunctionDef, bound: set[str]) -> set[str]:
    return {n.id for stmt in node.body for n in gast.walk(stmt)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in bound}


def _runtime_defaults(state: State, fn: types.FunctionType, node: gast.FunctionDef) -> dict[str, gast.expr]:
    """The objects `def` evaluated for `fn`'s defaults, as expressions (a constant, or that very object)."""
    args = node.args
    positional = [a.id for a in [*args.posonlyargs, *args.args]]
    values = fn.__defaults__ or ()
    found = {p: _default(state, fn, p, v, "__defaults__")
             for p, v in zip(positional[len(positional) - len(values):], values)}
    kwonly = {a.id for a in args.kwonlyargs}
    return found | {p: _default(state, fn, p, v, "__kwdefaults__")
                    for p, v in (fn.__kwdefaults__ or {}).items() if p in kwonly}


def bind(state: State, label: str, node: gast.FunctionDef, call: Call, stored: set[str],
         defaults: dict[str, gast.expr]) -> tuple[list[gast.Assign], dict[str, gast.expr]]:
    """Python's binding of the call's arguments to the parameters of `node` (`defaults`: the default of
    each parameter that has one): assignments `param = argument` in order (their targets still the
    callee's names), and the parameters simply replaced by the caller's name or constant (never
    assigned in the callee, so reading either is the same)."""
    args, where = node.args, call.node

    def refuse(message: str) -> UnsupportedSyntaxError:
        return UnsupportedSyntaxError(f"{message} (calling {label})", state.info.location(where),
                                      f"call of `{label}`")

    positional = [a.id for a in [*args.posonlyargs, *args.args]]
    posonly = {a.id for a in args.posonlyargs}
    keywords = dict(call.keywords)
    if len(keywords) != len(call.keywords):
        raise refuse("a keyword argument given twice")
    bound: list[tuple[str, gast.expr]] = []
    for i, param in enumerate(positional):
        if i < len(call.args):
            if param in keywords and param not in posonly:
                raise refuse(f"several values for argument `{param}`")
            bound.append((param, call.args[i]))
        elif param in keywords and param not in posonly:
            bound.append((param, keywords.pop(param)))
        elif param in defaults:
            bound.append((param, copy.deepcopy(defaults[param])))
        else:
            raise refuse(f"missing argument `{param}`")
    extra = call.args[len(positional):]
    if args.vararg is not None:
        bound.append((args.vararg.id, gast.copy_location(build.tuple_(list(extra)), where)))
    elif extra:
        raise refuse(f"{len(extra)} more positional arguments than {label} takes")
    for param in [a.id for a in args.kwonlyargs]:
        if param in keywords:
            bound.append((param, keywords.pop(param)))
        elif param in defaults:
            bound.append((param, copy.deepcopy(defaults[param])))
        else:
            raise refuse(f"missing keyword argument `{param}`")
    if args.kwarg is not None:
        bound.append((args.kwarg.id, gast.copy_location(gast.Dict(
            keys=[build.constant(k) for k in keywords], values=list(keywords.values())), where)))
    elif keywords:
        raise refuse(f"unexpected keyword argument `{next(iter(keywords))}`")
    assigns, substitute = [], {}
    spread = {a.id for a in (args.vararg, args.kwarg) if a is not None and a.id not in stored
              and inline_star.only_spread_or_read(node, a.id)}
    for param, value in bound:  # (an entry of a structured parameter: one of its leaves or records)
        if param not in stored and (_stable(value) or state.structured_read(value) is not None):
            substitute[param] = value
        else:
            assign = gast.copy_location(build.assign(param, value), where)
            assign.binding = True  # (synthetic: the IR may read the argument in its place, lower.py)
            setattr(assign, inline_star.LITERAL, param in spread)
            assigns.append(assign)
    return assigns, substitute


def _stable(node: gast.expr) -> bool:
    """A name, a constant, or an attribute of a name (`np.tanh`, `model.W`): reading it again where the
    parameter is read gives the same object (no callee rebinds the caller's names or sets attributes)."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, (gast.Name, gast.Constant))


def _default(state: State, fn: types.FunctionType, param: str, value: Any, where: str) -> gast.expr:
    """A parameter's default: the object `def` evaluated (a constant, or that very object)."""
    path = (Content(where),)  # (the tuple or dict edited in place, or replaced: derived again)
    if not any(e[0] is fn and e[1] == path for e in state.dependencies):
        state.depend(fn, path, snapshot(getattr(fn, where)), identity=True)
    if isinstance(value, _NUMBERS):
        return build.constant(value)
    return build.name(state.alias(f"{param}_default", value))


def _free_expression(state: State, fn: types.FunctionType, name: str, node: gast.FunctionDef) -> gast.expr:
    """What reads, at run time in the generated code, the object `name` means in `fn`."""
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    if name in cells:
        cell = cells[name]
        try:
            obj = cell.cell_contents
        except ValueError:
            raise NameResolutionError(f"free variable `{name}` of {fn.__qualname__} is not bound yet",
                                      state.info.location(node), f"`{name}`") from None
        state.depend(cell, ("cell_contents",), obj, hint=f"{name}_cell")
        if relied_on_identity(obj):
            return build.name(state.alias(name, obj))
        return build.attribute(build.name(state.alias(f"{name}_cell", cell)), "cell_contents")
    in_globals = name in fn.__globals__
    obj = fn.__globals__[name] if in_globals else _builtins(fn).get(name, UNBOUND)
    if obj is UNBOUND:
        raise NameResolutionError(f"name `{name}` is not defined where {fn.__qualname__} is defined",
                                  state.info.location(_first_use(node, name)), f"`{name}`")
    top = state.namespace
    visible = name not in state.locals and name not in top.closure and top.user_lookup(name) is obj
    same_place = (top.globals is fn.__globals__) if in_globals else name not in top.globals
    if visible and same_place:  # the caller's function reads this very binding: the caller checks it
        state.namer.reserve(name)
        return build.name(name)
    module = _module(fn) if in_globals else None
    if in_globals and module is None:
        raise NameResolutionError(
            f"{fn.__qualname__} reads the global `{name}` of a namespace that is no module (code built with "
            f"exec?), which the gradient could not read at run time", state.info.location(_first_use(node, name)),
            f"`{name}`")
    if visible and relied_on_identity(obj):  # (`np` in both modules)
        state.namer.reserve(name)
        if module is not None:
            state.depend(module, (name,), obj)
        return build.name(name)
    if relied_on_identity(obj):
        if module is not None:
            state.depend(module, (name,), obj)
        return build.name(state.alias(name, obj))
    assert module is not None  # (a builtin is a function or class)
    short = module.__name__.rpartition(".")[2]
    if short not in state.locals and short not in top.closure and top.user_lookup(short) is module:
        state.namer.reserve(short)
        return build.attribute(build.name(short), name)  # the caller's function imports that module too
    state.depend(module, (name,), obj)
    return build.attribute(build.name(state.alias(short, module)), name)


def _builtins(fn: types.FunctionType) -> dict[str, Any]:
    b = fn.__globals__.get("__builtins__", builtins)
    return b if isinstance(b, dict) else vars(b)


def _module(fn: types.FunctionType) -> types.ModuleType | None:
    module = sys.modules.get(fn.__globals__.get("__name__", fn.__module__))
    return module if module is not None and vars(module) is fn.__globals__ else None


def _first_use(node: gast.FunctionDef, name: str) -> gast.AST:
    return next((n for n in gast.walk(node) if isinstance(n, gast.Name) and n.id == name), node)


class Rename(gast.NodeTransformer):
    """Each name of the callee replaced by its expression in the caller (a fresh name, a constant, `helpers.W`)."""

    def __init__(self, renames: dict[str, gast.expr], where: dict[str, str] | None = None):
        self.renames = renames
        self.where = where or {}  # (what each name is in the callee, for messages: `parameter of helper f`)

    def visit_Name(self, node: gast.Name) -> gast.expr:
        new = self.renames.get(node.id)
        if new is None:
            return node
        if isinstance(new, gast.Name):
            if not hasattr(node, "spelled"):
                node.spelled = node.id  # (messages name it as the callee's source does)
                node.spelled_where = self.where.get(node.id)
            node.id = new.id
            return node
        return gast.copy_location(copy.deepcopy(new), node)

    def visit_FunctionDef(self, node: gast.FunctionDef) -> gast.FunctionDef:
        new = self.renames.get(node.name)
        if isinstance(new, gast.Name):
            node.name = new.id
        self.generic_visit(node)
        return node
