"""Reject what the compiler does not handle, with a located, actionable error.

Runs on the parsed function before any transformation, so every message
points at the user's own code. Everything not listed in `_ALLOWED` is refused:
new syntax in a future Python cannot slip through silently.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator

import gast
import numpy as np

from ..errors import Problem, UnsupportedSyntaxError
from .resolve import UNBOUND, Namespace, scan_names
from .source import SourceInfo

# Construct -> (name shown to the user, what to do instead).
_REFUSED: dict[type, tuple[str, str]] = {
    gast.Try: ("`try` statement", "exception handling cannot be differentiated"),
    gast.With: ("`with` statement", "context managers are not supported"),
    gast.Lambda: ("nested lambda", "nested functions are not supported; define it at module level"),
    gast.FunctionDef: ("nested function", "nested functions are not supported; define it at module level"),
    gast.ClassDef: ("class definition", "define classes outside the differentiated function"),
    gast.SetComp: ("set comprehension", "sets are not supported; build a list or a dict"),
    gast.Yield: ("`yield`", "generators cannot be differentiated"),
    gast.YieldFrom: ("`yield from`", "generators cannot be differentiated"),
    gast.Await: ("`await`", "coroutines cannot be differentiated"),
    gast.Global: ("`global` statement", "differentiated functions cannot rebind globals"),
    gast.Nonlocal: ("`nonlocal` statement", "differentiated functions cannot rebind closure variables"),
    gast.Delete: ("`del` statement", "remove the `del`; variables are freed automatically"),
    gast.NamedExpr: ("assignment expression `:=`", "assign in a separate statement"),
    gast.Import: ("`import` statement", "import at module level"),
    gast.ImportFrom: ("`import` statement", "import at module level"),
    gast.Set: ("set literal", "sets are not supported"),
}

_ALLOWED = (
    gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return, gast.Expr, gast.Pass, gast.If, gast.For, gast.While,
    gast.Break, gast.Continue, gast.IfExp, gast.BoolOp, gast.boolop,
    gast.Assert, gast.Raise, gast.JoinedStr, gast.FormattedValue,  # for their effect: canonicalize/statements.py
    gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.Call, gast.keyword, gast.Attribute,
    gast.Subscript, gast.Slice, gast.Tuple, gast.List, gast.Dict, gast.Starred, gast.Compare,
    gast.ListComp, gast.GeneratorExp, gast.DictComp, gast.comprehension,  # (canonicalize/comprehensions.py: into loops)
    gast.expr_context, gast.operator, gast.unaryop, gast.cmpop,
)


def check(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace | None = None) -> None:
    """Raise UnsupportedSyntaxError naming every construct we cannot differentiate, in source order
    (`namespace`, the function's free names, resolves `complex` and `np.complex128` where the code
    names them). A real program refused usually has several: all are reported in one error."""
    found = _Problems(info)
    _check_signature(node, found)
    returns = []
    for stmt in node.body:
        for child in _own_nodes(stmt, found):
            if isinstance(child, gast.Return):
                returns.append(child)
    _check_returns(node, returns, found)
    _refuse_complex(node, found, namespace)
    _refuse_made_distributions(node, found, namespace)
    found.raise_any(node.name)


class _Problems:
    """The refused constructs found so far: the first found at each node."""

    def __init__(self, info: SourceInfo):
        self.info = info
        self.by_node: dict[tuple[int, str], Problem] = {}

    def add(self, node: gast.AST, construct: str, advice: str, tag: str = "") -> None:
        """`tag` tells apart two problems located at one node (`*args` and `**kwargs` at the `def`)."""
        self.by_node.setdefault((id(node), tag), Problem(self.info.location(node), construct, advice))

    def reported(self, node: gast.AST) -> bool:
        return (id(node), "") in self.by_node

    def raise_any(self, function: str) -> None:
        if self.by_node:
            raise UnsupportedSyntaxError.of(self.by_node.values(), function)


# What only occurs inside another construct (`except` clause, `with` item, f-string field), refused with it.
_PARTS = (gast.excepthandler, gast.withitem, gast.comprehension, gast.alias, gast.arguments, gast.FormattedValue,
          gast.match_case, gast.pattern)

# Their bodies are another function's: refused as a whole, not searched for more problems.
_SCOPES = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef)


def _own_nodes(root: gast.AST, found: _Problems) -> Iterator[gast.AST]:
    """Every node of `root` outside nested scopes, each checked (refusals go to `found`) before
    its children are visited. A part of a refused construct (`except` clause, `with` item) is not
    reported again on its own."""
    stack = [(root, False)]
    while stack:
        node, in_refused = stack.pop()
        if in_refused and isinstance(node, _PARTS):
            part_of_refused = True  # an `except` clause, a `with` item, a comprehension's `for`
        else:
            _check_node(node, found)
            part_of_refused = found.reported(node)
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend((child, part_of_refused) for child in reversed(list(gast.iter_child_nodes(node))))


def _check_signature(node: gast.FunctionDef, found: _Problems) -> None:
    args = node.args
    if args.vararg is not None:
        found.add(node, f"`*{args.vararg.id}` parameter",
                  "variadic parameters are not supported; name each parameter")
    if args.kwarg is not None:
        found.add(node, f"`**{args.kwarg.id}` parameter",
                  "variadic keyword parameters are not supported; name each parameter", tag="**")


def _check_node(node: gast.AST, found: _Problems) -> None:
    if type(node) in _REFUSED:
        construct, advice = _REFUSED[type(node)]
        found.add(node, construct, advice)
        return
    if not isinstance(node, _ALLOWED):
        found.add(node, type(node).__name__, "this construct is not supported")
        return
    if isinstance(node, (gast.Assign, gast.AugAssign, gast.AnnAssign)):
        targets = node.targets if isinstance(node, gast.Assign) else [node.target]
        for target in targets:
            _check_target(target, found, top=True)
        if isinstance(node, gast.AnnAssign) and node.value is None:
            found.add(node, "annotation without value", "assign a value or remove the line")
    if isinstance(node, gast.Raise) and node.exc is None:
        found.add(node, "bare `raise`", "re-raises the exception being handled, of which a differentiated function has "
                  "none; raise an exception explicitly (`raise ValueError(...)`)")
    if isinstance(node, gast.Call):
        for kw in node.keywords:
            if kw.arg is None:
                found.add(kw.value, "`**` argument unpacking", "pass keyword arguments explicitly")


def _check_target(target: gast.AST, found: _Problems, top: bool) -> None:
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):  # `(p, q), r = e`, `a, *rest = e`
        if sum(isinstance(elt, gast.Starred) for elt in target.elts) > 1:
            found.add(target, "two starred targets", "unpack with one starred name at most")
        for elt in target.elts:
            _check_target(elt.value if isinstance(elt, gast.Starred) else elt, found, top=False)
        return
    if isinstance(target, gast.Subscript):
        if not top:
            found.add(target, "subscript in a tuple target", "assign each element in its own statement")
        elif not isinstance(target.value, gast.Name):
            found.add(target, "assignment into a nested subscript or attribute",
                      "write into a named array with one index, `a[i, j] = v` rather than `a[i][j] = v`")
        return
    if isinstance(target, gast.Attribute):
        found.add(target, "assignment to an attribute", "differentiated functions cannot mutate objects")
        return
    found.add(target, "assignment target", "assign to names, or to an element of a named array")


def _check_returns(node: gast.FunctionDef, returns: list[gast.Return], found: _Problems) -> None:
    valued = [r for r in returns if r.value is not None
              and not (isinstance(r.value, gast.Constant) and r.value.value is None)]
    if not valued:
        last = node.body[-1] if node.body else node
        found.add(last, "missing `return`", "the function must return a value to have a gradient")


_COMPLEX_ADVICE = ("complex numbers are not supported (the derivative rules take no conjugates, so a complex "
                   "intermediate gives a wrong gradient); compute with the real and imaginary parts as real arrays")
_COMPLEX_MODULES = ("numpy.fft", "numpy.lib.scimath", "numpy.lib._scimath_impl", "numpy.emath", "cmath")
_COMPLEX_NAMES = {"complex", "complex64", "complex128", "complex256", "c8", "c16", "c32", "cfloat", "cdouble",
                  "csingle", "clongdouble", "clongfloat", "complex_"}
# Functions whose results may be complex for real arguments.
_COMPLEX_RESULTS = (np.roots, np.linalg.eig, np.linalg.eigvals)


def _refuse_complex(node: gast.FunctionDef, found: _Problems, namespace: Namespace | None) -> None:
    """A complex value made inside the function (a `1j` literal, `complex(...)`, `dtype=complex`,
    np.fft, np.emath, cmath) or read from a global: refused where it is written. Complex arguments
    are refused when the gradient is called (runtime.checks)."""
    local = scan_names(node)[0]
    for child in _scope_nodes(node):
        if isinstance(child, gast.Constant) and isinstance(child.value, complex):
            found.add(child, f"complex literal `{child.value!r}`", _COMPLEX_ADVICE)
        if isinstance(child, gast.keyword) and child.arg == "dtype" and _complex_dtype(child.value, namespace, local):
            found.add(child.value, "complex dtype", _COMPLEX_ADVICE)
        if isinstance(child, gast.Call) and isinstance(child.func, gast.Attribute) \
                and child.func.attr in ("astype", "dtype", "view") and child.args \
                and _complex_dtype(child.args[0], namespace, local):
            found.add(child.args[0], "complex dtype", _COMPLEX_ADVICE)
        if isinstance(child, gast.Call):
            at = _dtype_position(child, namespace, local)  # np.zeros(3, "D"), np.full(n, v, DS)
            if at is not None and at < len(child.args) and _complex_dtype(child.args[at], namespace, local):
                found.add(child.args[at], "complex dtype", _COMPLEX_ADVICE)
            for arg in child.args:  # np.zeros(3, "complex"); not "F" (an order as often as a dtype)
                if isinstance(arg, gast.Constant) and isinstance(arg.value, str) \
                        and arg.value.lower().lstrip("<>=|") in _COMPLEX_NAMES:
                    found.add(arg, "complex dtype", _COMPLEX_ADVICE)
        if namespace is not None and isinstance(child, (gast.Name, gast.Attribute)) \
                and isinstance(getattr(child, "ctx", None), gast.Load):
            path = _dotted(child)
            if path is None or path[0] in local:
                continue
            obj = namespace.resolve(path).obj
            what = _complex_object(obj)
            if what:
                found.add(child, f"`{'.'.join(path)}`, {what}", _COMPLEX_ADVICE)
            if _makes_subclass(obj):
                found.add(child, f"`{'.'.join(path)}`", _SUBCLASS_ADVICE)


def _scope_nodes(node: gast.FunctionDef) -> Iterator[gast.AST]:
    """Every node of the function, its signature included, but not the bodies of nested scopes."""
    stack: list[gast.AST] = [node]
    while stack:
        child = stack.pop()
        yield child
        if child is node or not isinstance(child, _SCOPES):
            stack.extend(gast.iter_child_nodes(child))


_SUBCLASS_ADVICE = ("NumPy's array subclasses give operators and reductions other meanings (np.matrix's `*` is a "
                    "matrix product, a masked array's mean skips masked entries) than the derivative rules; "
                    "use plain arrays (`@` for products, the mask as an array of weights)")
_SUBCLASS_MODULES = ("numpy.ma", "numpy.matrixlib", "numpy.rec", "numpy.char")


def _makes_subclass(obj: object) -> bool:
    """np.matrix, np.asmatrix, np.ma.*: something that makes an ndarray subclass."""
    if isinstance(obj, type):
        return issubclass(obj, np.ndarray) and obj is not np.ndarray
    if any(obj is f for f in (np.asmatrix, np.bmat)):
        return True
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    return isinstance(module, str) and any(module == m or module.startswith(m + ".") for m in _SUBCLASS_MODULES)


def _dotted(node: gast.expr) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    return (node.id, *reversed(parts)) if isinstance(node, gast.Name) else None


def _complex_object(obj: object) -> str:
    if obj is UNBOUND:
        return ""
    if obj is complex or (isinstance(obj, type) and issubclass(obj, np.complexfloating)):
        return "a complex type"
    if isinstance(obj, (complex, np.complexfloating)) or (isinstance(obj, np.ndarray) and obj.dtype.kind == "c"):
        return "a complex value"
    if any(obj is f for f in _COMPLEX_RESULTS):
        return "a function whose results may be complex"
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    if isinstance(module, str) and any(module == m or module.startswith(m + ".") for m in _COMPLEX_MODULES):
        return "a function of complex numbers"
    return ""


def _complex_dtype(value: gast.expr, namespace: Namespace | None, local: set[str]) -> bool:
    """A dtype written as a complex one: a string (`"complex128"`, char codes `"D"`, `"F"`, `"G"`), a
    global string or dtype, a complex type. A dtype computed at run time is checked where it is used
    (ad/dtype_checks.py)."""
    if isinstance(value, gast.Constant) and isinstance(value.value, str):
        return _is_complex_spec(value.value)
    path = _dotted(value)
    if path is None or namespace is None or path[0] in local:
        return False
    obj = namespace.resolve(path).obj
    return bool(_complex_object(obj)) or (isinstance(obj, (str, np.dtype)) and _is_complex_spec(obj))


def _is_complex_spec(spec: object) -> bool:
    try:
        return np.dtype(spec).kind == "c"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _dtype_position(call: gast.Call, namespace: Namespace | None, local: set[str]) -> int | None:
    """Where the function called takes `dtype` by position: a global function's (np.zeros: 1) from its
    signature, a method of a local value as an array's method (`y.sum(0, "D")`: 1, the receiver aside)."""
    path = _dotted(call.func)
    if path is None or namespace is None:
        return None
    if path[0] in local:
        method = getattr(np.ndarray, path[-1], None) if len(path) == 2 else None
        at = _signature_position(method)
        return None if at is None or at == 0 else at - 1
    return _signature_position(namespace.resolve(path).obj)


def _signature_position(fn: object) -> int | None:
    if fn is None or fn is UNBOUND or not callable(fn):
        return None
    try:
        names = list(inspect.signature(fn).parameters)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return names.index("dtype") if "dtype" in names else None


def distribution_advice(obj: object) -> str:
    """What to write instead of using `obj` when it is a SciPy distribution the rules cannot see: a frozen
    one (`stats.norm(0.0, 2.0)`) or a distribution class (`stats.norm_gen`); "" for anything else. The
    rules are registered on the methods of SciPy's own distributions (`stats.norm.logpdf`)."""
    kinds = {c.__name__ for c in (obj.__mro__ if isinstance(obj, type) else type(obj).__mro__)
             if c.__module__.startswith("scipy.stats")}
    if "rv_frozen" in kinds or "rv_continuous_frozen" in kinds or "rv_discrete_frozen" in kinds:
        return _FROZEN_ADVICE
    if isinstance(obj, type) and "rv_generic" in kinds:
        return ("a distribution made in the function has no derivative rule: use the one scipy.stats provides, "
                "e.g. `stats.norm.logpdf(x, loc, scale)`")
    return ""


def _refuse_made_distributions(node: gast.FunctionDef, found: _Problems, namespace: Namespace | None) -> None:
    """`stats.norm(0.0, 2.0).logpdf(x)`, `stats.norm.freeze(...)`, `stats.norm_gen()`: refused where written,
    with what to write instead (a frozen distribution's methods have no rules)."""
    if namespace is None:
        return
    local = scan_names(node)[0]
    for child in _scope_nodes(node):
        if not isinstance(child, gast.Call):
            continue
        path = _dotted(child.func)
        if path is None or path[0] in local:
            continue
        if path[-1] == "freeze" and len(path) > 1:
            path = path[:-1]
        ref = namespace.resolve(path)
        if len(ref.path) != len(path):
            continue  # (`stats.halfnorm.logpdf`: a method without a rule, named in full where it is refused)
        advice = _FROZEN_ADVICE if _is_distribution(ref.obj) else distribution_advice(ref.obj)
        if advice:
            found.add(child, f"`{'.'.join(path)}(...)`", advice)


def _is_distribution(obj: object) -> bool:
    """One of SciPy's distribution objects (`stats.norm`): calling it freezes it."""
    return not isinstance(obj, type) and any(c.__name__ == "rv_generic" and c.__module__.startswith("scipy.stats")
                                             for c in type(obj).__mro__)


_FROZEN_ADVICE = ("a frozen distribution has no derivative rule: call the distribution's own method with the "
                  "parameters, e.g. `stats.norm.logpdf(x, loc, scale)` for `stats.norm(loc, scale).logpdf(x)`")
