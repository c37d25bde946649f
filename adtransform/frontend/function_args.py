"""Functions passed as arguments (`loss(params, x, act=np.tanh)`): the gradient specialises on them.

The API knows the function at the call (pipeline/pytrees.py keys the transform on its identity, as it
keys a container on its structure), so the parameter is no parameter of the transform: its name means
that very function, as a global bound to it would (an alias of the Namespace, injected into the
generated code). `act(z)` is then compiled as a call of it: a rule for `np.tanh`, the body inlined for a
function of the user's (guarded like any callee: its code, defaults and the names it reads), a located
refusal for a function with no rule. A function never gets a gradient. A global (or closure) tuple of
functions (`ACTS = (np.tanh, relu)`) is read as such a container of functions is, relied on by identity.
"""

from __future__ import annotations

import builtins
import copy
from typing import Any

import gast

from ..errors import UnsupportedSyntaxError
from ..runtime.pytrees import Tree, is_function
from ..syntax.parse import to_source
from .resolve import Namespace, scan_names
from .source import SourceInfo


def bind_functions(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace,
                   functions: dict[str, Any]) -> None:
    """Take the parameters given functions out of `node`'s signature; their names mean those functions."""
    if not functions:
        return
    for child in gast.walk(node):
        if isinstance(child, gast.Name) and child.id in functions and isinstance(child.ctx, (gast.Store, gast.Del)):
            raise UnsupportedSyntaxError(
                f"`{child.id}` is given a function and assigned in the body; use another name for the new value",
                info.location(child), f"assignment of `{child.id}`")
    args = node.args  # (the flattened function is always called with every argument: no defaults)
    args.posonlyargs = [a for a in args.posonlyargs if a.id not in functions]
    args.args = [a for a in args.args if a.id not in functions]
    args.defaults = []
    args.kwonlyargs = [a for a in args.kwonlyargs if a.id not in functions]
    args.kw_defaults = [None] * len(args.kwonlyargs)
    for name, value in functions.items():
        namespace.aliases[name] = value


def bind_tables(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace, trees: dict[str, Any]) -> None:
    """Containers given functions (`acts=[np.tanh, relu]`, `cfg={"act": relu, "W": W}`): each read of a
    function in them by constant keys (`acts[0]`, `cfg["act"]`, `cfg.act`) means that function (an alias,
    as a parameter given a function), and a `for` loop over them (`for act in acts`, `for i in
    range(len(acts))`, `zip`, `enumerate`) is unrolled first, its variable replaced by each element, so
    that its calls are resolved too (a loop over objects likewise, for their methods:
    frontend/inline_objects.py). Other reads keep the leaf, a value the transform cannot call (refused
    where it is called)."""
    trees = {**_global_tables(node, info, namespace, trees), **trees}
    if not any(map(_callable_parts, trees.values())):
        return
    stored = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del))}
    trees = {k: t for k, t in trees.items() if k not in stored}  # (rebound: not the argument everywhere)
    if trees:
        _Tables(node, namespace, trees).rewrite()
        _refuse_unresolved(node, info, {k for k, t in trees.items() if _callable_parts(t)})


def _global_tables(node: gast.FunctionDef, info: SourceInfo, namespace: Namespace,
                   trees: dict[str, Any]) -> dict[str, Any]:
    """Global (or closure) tuples of functions the function reads (`ACTS = (np.tanh, relu)`), as tables
    given as arguments are: `ACTS[0]` is that function, `for act in ACTS` is unrolled. A tuple cannot
    change in place, so the transform relies on the very tuple (guarded by identity); a list, which
    may, or a tuple holding anything but functions keeps the general path."""
    identity = getattr(namespace, "identity", None)
    if identity is None:
        return {}
    args = node.args
    local = scan_names(node)[0] | {a.id for a in (args.vararg, args.kwarg) if a is not None}
    found = {}
    for name in sorted({n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}):
        if name in local or name in trees or name in namespace.aliases:
            continue
        value = namespace.lookup(name)
        tree = _function_tuple(value)
        if tree is not None:
            identity.add((name,))
            found[name] = tree
        elif type(value) is list and _function_tuple(tuple(value)) is not None:
            _refuse_called_list(node, info, name)
    return found


def _refuse_called_list(node: gast.FunctionDef, info: SourceInfo, name: str) -> None:
    """A global list of functions called through (`for act in ACTS: act(h)`, `ACTS[0](h)`): a list may
    change while the function runs (a tuple may not): refused where it is read, saying so."""
    for child in gast.walk(node):
        loop = isinstance(child, gast.For) and isinstance(child.iter, gast.Name) and child.iter.id == name
        called = isinstance(child, gast.Call) and isinstance(child.func, gast.Subscript) \
            and isinstance(child.func.value, gast.Name) and child.func.value.id == name
        if loop:
            targets = {n.id for n in gast.walk(child.target) if isinstance(n, gast.Name)}
            loop = any(isinstance(c, gast.Call) and isinstance(c.func, gast.Name) and c.func.id in targets
                       for s in child.body for c in gast.walk(s))
        if loop or called:
            where = child.iter if loop else child.func
            raise UnsupportedSyntaxError(
                f"call of a function held in the global list `{name}`: a list may change while the function "
                f"runs, so which function is called is not known when it is transformed; make `{name}` a tuple "
                f"(`{name} = ({', '.join('...' for _ in range(2))})`), which is read as its functions",
                info.location(where), f"call of a function in `{name}`" if loop else f"call of `{to_source(where)}`")


def _function_tuple(value: Any, depth: int = 0) -> Any:
    """The structure of a (nested) tuple of functions, else None."""
    if type(value) is not tuple or not value or depth > 8:
        return None
    children = []
    for item in value:
        child = _function_tuple(item, depth + 1) if type(item) is tuple else \
            Tree("leaf", ("function",), cls=item) if is_function(item) else None
        if child is None:
            return None
        children.append(child)
    return Tree("tuple", children=tuple(children))


def _callable_parts(tree: Any) -> bool:
    """Whether a structure holds a function, or an object (whose methods may be called)."""
    return tree.keys == ("function",) or tree.kind == "object" or any(map(_callable_parts, tree.children))


def _refuse_unresolved(node: gast.FunctionDef, info: SourceInfo, tables: set[str]) -> None:
    """`acts[j](z)` with `j` known only at run time: which function it calls is not known here."""
    for call in gast.walk(node):
        if not isinstance(call, gast.Call) or not isinstance(call.func, gast.Subscript):
            continue
        root, constant = call.func, True
        while isinstance(root, (gast.Subscript, gast.Attribute)):
            constant = constant and (isinstance(root, gast.Attribute) or isinstance(root.slice, gast.Constant))
            root = root.value
        if isinstance(root, gast.Name) and root.id in tables and not constant:
            raise UnsupportedSyntaxError(
                f"call of a function held in `{root.id}` at an index known only when the gradient runs; index it "
                f"with a constant, or loop over `{root.id}` (or `range(len({root.id}))`), which is unrolled",
                info.location(call), f"call of `{root.id}[...]`")


_UNROLLED = 256  # elements at most: a longer loop stays a loop (its calls of them refused, located)


class _Tables:
    def __init__(self, node: gast.FunctionDef, namespace: Namespace, trees: dict[str, Any]):
        self.node = node
        self.namespace = namespace
        self.trees = trees
        self.locals, self.taken = scan_names(node)
        self.names: dict[tuple, str] = {}
        self.tables = {k for k, t in trees.items() if _callable_parts(t)}

    def rewrite(self) -> None:
        self.node.body = self.block(self.node.body)

    def block(self, stmts: list[gast.stmt]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for stmt in stmts:
            unrolled = self.unroll(stmt) if isinstance(stmt, gast.For) else None
            if unrolled is not None:
                out.extend(self.block(unrolled))
                continue
            reads = _Reads(self)
            for field, value in gast.iter_fields(stmt):
                if isinstance(value, list) and value and isinstance(value[0], gast.stmt):
                    setattr(stmt, field, self.block(value))
                elif isinstance(value, gast.AST):
                    setattr(stmt, field, reads.visit(value))
                elif isinstance(value, list):
                    setattr(stmt, field, [reads.visit(v) if isinstance(v, gast.AST) else v for v in value])
            out.append(stmt)
        return out

    # -- the tree a read reaches ----------------------------------------------------------------

    def path(self, expr: gast.expr) -> tuple[str, tuple] | None:
        """`acts[0]["f"]`, `cfg.act`: (parameter, constant keys), or None."""
        keys: list[Any] = []
        while isinstance(expr, (gast.Subscript, gast.Attribute)):
            if isinstance(expr, gast.Attribute):
                keys.append(expr.attr)
            elif isinstance(expr.slice, gast.Constant) and type(expr.slice.value) in (int, str):
                keys.append(expr.slice.value)
            else:
                return None
            expr = expr.value
        if isinstance(expr, gast.Name) and expr.id in self.trees:
            return expr.id, tuple(reversed(keys))
        return None

    def tree(self, expr: gast.expr) -> Any:
        found = self.path(expr)
        if found is None:
            return None
        tree = self.trees[found[0]]
        for key in found[1]:
            tree = _child(tree, key)
            if tree is None:
                return None
        return tree

    def alias(self, expr: gast.expr) -> gast.Name | None:
        tree = self.tree(expr)
        if tree is None or tree.keys != ("function",):
            return None
        param, keys = self.path(expr)
        spelled = self.names.get((param, keys))
        if spelled is None:
            base = "_".join([param, *(str(k) for k in keys)])
            spelled, n = base, 1
            while spelled in self.taken or spelled in self.namespace.aliases:
                n += 1
                spelled = f"{base}_{n}"
            self.taken.add(spelled)
            self.names[(param, keys)] = spelled
            self.namespace.aliases[spelled] = tree.cls
        return gast.copy_location(gast.Name(spelled, gast.Load(), None, None), expr)

    # -- loops ----------------------------------------------------------------------------------

    def unroll(self, loop: gast.For) -> list[gast.stmt] | None:
        """The loop's body once per element, its variable replaced by the element (only for a loop whose
        elements are known here and which reads a container holding functions)."""
        target_names = {n.id for n in gast.walk(loop.target) if isinstance(n, gast.Name)}
        if loop.orelse or not self.calls_element(loop, target_names) or _jumps(loop.body):
            return None
        elements = self.elements(loop.iter)
        if elements is None or len(elements) > _UNROLLED:
            return None
        assigned = {n.id for s in loop.body for n in gast.walk(s)
                    if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)}
        out: list[gast.stmt] = []
        for element in elements:
            binding = self.bind(loop.target, element)
            if binding is None or target_names & assigned:
                return None
            body = [_Substitute(binding).visit(copy.deepcopy(s)) for s in loop.body]
            out.extend(body)
        if elements and self.read_elsewhere(loop, target_names):  # (the variable keeps the last element)
            out.append(gast.copy_location(gast.Assign(targets=[loop.target], value=_as_expr(elements[-1]),
                                                      type_comment=None), loop))
        return out

    def calls_element(self, loop: gast.For, targets: set[str]) -> bool:
        """Whether the body calls what the loop variable gives (`act(h)`, `layer.forward(h)`,
        `acts[i](h)`) over a container holding functions or objects: else the loop stays a loop."""
        if not any(isinstance(n, gast.Name) and n.id in self.tables for n in gast.walk(loop.iter)) and not any(
                isinstance(n, gast.Name) and n.id in self.tables for s in loop.body for n in gast.walk(s)):
            return False
        for call in (c for s in loop.body for c in gast.walk(s) if isinstance(c, gast.Call)):
            func, indices = call.func, []
            while isinstance(func, (gast.Attribute, gast.Subscript)):
                if isinstance(func, gast.Subscript):
                    indices.append(func.slice)
                func = func.value
            if isinstance(func, gast.Name) and (func.id in targets or (func.id in self.tables and any(
                    isinstance(n, gast.Name) and n.id in targets for i in indices for n in gast.walk(i)))):
                return True
        return False

    def unroll_comprehension(self, node: gast.ListComp | gast.GeneratorExp) -> gast.List | None:
        """`[act(h) for act in acts]`: a list display of the item once per element (as `unroll`); a
        generator so given to a builtin that consumes it (`sum(...)`) is the same display."""
        if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async:
            return None
        gen = node.generators[0]
        names = {n.id for n in gast.walk(gen.target) if isinstance(n, gast.Name)}
        rebinding = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp, gast.Lambda, gast.NamedExpr)
        if any(isinstance(n, rebinding) for n in gast.walk(node.elt)):
            return None  # (a nested scope may bind the same names: not substituted)
        loop = gast.For(target=gen.target, iter=gen.iter, body=[gast.Expr(value=node.elt)], orelse=[],
                        type_comment=None)
        elements = self.elements(gen.iter) if self.calls_element(loop, names) else None
        if elements is None or len(elements) > _UNROLLED:
            return None
        items = []
        for element in elements:
            binding = self.bind(gen.target, element)
            if binding is None:
                return None
            items.append(_Substitute(binding).visit(copy.deepcopy(node.elt)))
        return gast.copy_location(gast.List(elts=items, ctx=gast.Load()), node)

    def read_elsewhere(self, loop: gast.For, names: set[str]) -> bool:
        inside = {id(n) for n in gast.walk(loop)}
        return any(isinstance(n, gast.Name) and n.id in names and id(n) not in inside for n in gast.walk(self.node))

    def elements(self, expr: gast.expr) -> list[Any] | None:
        """The elements `expr` iterates over (expressions, or tuples of them), if known here."""
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and not expr.keywords \
                and expr.func.id in ("range", "zip", "enumerate") and expr.func.id not in self.locals:
            name = expr.func.id
            if self.namespace.lookup(name) is not getattr(builtins, name):
                return None
            if name == "range":
                bounds = [self.integer(a) for a in expr.args]
                if None in bounds or not 1 <= len(bounds) <= 3 or (len(bounds) == 3 and bounds[2] == 0):
                    return None
                return [gast.Constant(k, None) for k in range(*bounds)]
            parts = [self.elements(a) for a in expr.args]
            if not parts or None in parts:
                return None
            if name == "zip":
                return [tuple(p[k] for p in parts) for k in range(min(map(len, parts)))]
            if name == "enumerate" and len(parts) == 1:
                return [(gast.Constant(k, None), e) for k, e in enumerate(parts[0])]
            return None
        if isinstance(expr, (gast.Tuple, gast.List)) and all(map(_constant, expr.elts)):
            return list(expr.elts)  # (`zip(acts, (1.0, -2.0))`: constants, read as often as wanted)
        tree = self.tree(expr)
        if tree is None or tree.kind not in ("list", "tuple", "dict", "namedtuple"):
            return None
        if tree.kind == "dict":
            return [gast.Constant(k, None) for k in tree.keys]
        return [gast.Subscript(value=copy.deepcopy(expr), slice=gast.Constant(k, None), ctx=gast.Load())
                for k in range(len(tree.children))]

    def integer(self, expr: gast.expr) -> int | None:
        if isinstance(expr, gast.Constant) and type(expr.value) is int:
            return expr.value
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and expr.func.id == "len" \
                and len(expr.args) == 1 and "len" not in self.locals and self.namespace.lookup("len") is builtins.len:
            tree = self.tree(expr.args[0])
            if tree is not None and not tree.is_leaf and tree.kind != "object":
                return len(tree.children)
        return None

    def bind(self, target: gast.expr, element: Any) -> dict[str, gast.expr] | None:
        if isinstance(target, gast.Name):
            return {target.id: _as_expr(element)}
        if not isinstance(target, (gast.Tuple, gast.List)) or any(isinstance(t, gast.Starred) for t in target.elts):
            return None
        if isinstance(element, tuple):
            items = list(element)
        else:
            tree = self.tree(element)
            if tree is None or tree.kind not in ("list", "tuple", "namedtuple"):
                return None
            items = [gast.Subscript(value=copy.deepcopy(element), slice=gast.Constant(k, None), ctx=gast.Load())
                     for k in range(len(tree.children))]
        if len(items) != len(target.elts):
            return None
        found: dict[str, gast.expr] = {}
        for t, item in zip(target.elts, items):
            part = self.bind(t, item)
            if part is None:
                return None
            found.update(part)
        return found


def _constant(node: gast.expr) -> bool:
    """A constant as written (`2.0`, `-2.0`, `"a"`)."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, gast.Constant)


def _child(tree: Any, key: Any) -> Any:
    if tree.is_leaf or tree.kind == "function":
        return None
    if tree.kind in ("list", "tuple", "namedtuple") and type(key) is int:
        return tree.children[key] if -len(tree.children) <= key < len(tree.children) else None
    if tree.kind in ("dict", "object", "namedtuple") and key in tree.keys:
        return tree.children[tree.keys.index(key)]
    return None


def _as_expr(element: Any) -> gast.expr:
    if isinstance(element, tuple):
        return gast.Tuple(elts=[_as_expr(e) for e in element], ctx=gast.Load())
    return copy.deepcopy(element)


def _jumps(body: list[gast.stmt]) -> bool:
    """A `break` or `continue` of this loop (not of a loop nested in it), or a nested scope."""
    scopes = (gast.FunctionDef, gast.Lambda, gast.ClassDef)
    stack: list[gast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (gast.Break, gast.Continue, *scopes)):
            return True
        if isinstance(node, (gast.For, gast.While)):
            if any(isinstance(n, scopes) for n in gast.walk(node)):
                return True
            continue
        stack.extend(gast.iter_child_nodes(node))
    return False


class _Substitute(gast.NodeTransformer):
    def __init__(self, binding: dict[str, gast.expr]):
        self.binding = binding

    def visit_Name(self, node: gast.Name) -> gast.expr:
        if isinstance(node.ctx, gast.Load) and node.id in self.binding:
            return gast.copy_location(copy.deepcopy(self.binding[node.id]), node)
        return node


class _Reads(gast.NodeTransformer):
    """Each read of a function in a container by constant keys: that function's alias."""

    def __init__(self, tables: _Tables):
        self.tables = tables

    def visit_Subscript(self, node: gast.Subscript) -> gast.expr:
        found = self.tables.alias(node) if isinstance(node.ctx, gast.Load) else None
        return found or self.generic_visit(node)

    visit_Attribute = visit_Subscript  # type: ignore[assignment]

    def visit_ListComp(self, node: gast.ListComp) -> gast.expr:
        found = self.tables.unroll_comprehension(node)
        return self.visit(found) if found is not None else self.generic_visit(node)

    def visit_Call(self, node: gast.Call) -> gast.expr:
        """`sum(act(h) for act in acts)`: a builtin consuming a generator takes the list display alike."""
        if len(node.args) == 1 and not node.keywords and isinstance(node.args[0], gast.GeneratorExp) \
                and isinstance(node.func, gast.Name) and node.func.id in _CONSUMERS \
                and node.func.id not in self.tables.locals \
                and self.tables.namespace.lookup(node.func.id) is getattr(builtins, node.func.id):
            found = self.tables.unroll_comprehension(node.args[0])
            if found is not None:
                node.args = [found]
        return self.generic_visit(node)


# Builtins that consume the generator they are given, whatever its type: a list of the same items is alike.
_CONSUMERS = frozenset(("sum", "list", "tuple", "min", "max", "sorted"))  # (not `any`: it may stop early)
