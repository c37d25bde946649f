"""Refactorings that keep a generated program's meaning: the same computation through calls.

`outline(source, rng, times)` moves random pieces of `f` into helper functions defined next to it:

* a run of statements becomes `a, b = _h0(x, y)` with `def _h0(x, y): <the statements>; return a, b`
  (its parameters are the names the run reads or rebinds, its results every name it binds);
* a sub-expression becomes a call `_e1(x, y)` of `def _e1(x, y): return <the expression>`, anywhere an
  expression is evaluated: inside other expressions, as a call argument, in a `while` condition
  (evaluated again each trip), on one side of `and`/`or`/`... if ... else ...` (evaluated or not);
* later rounds may outline from a helper (helpers calling helpers) or wrap a call already made.

Python passes arrays by reference, so an in-place update in a helper (`x += e`) changes the caller's
array exactly as the statement did in `f`; a helper returns every name its statements bind, so the
caller sees rebinding too. A piece is only moved when that is provably the same program: every local
it reads is bound on every path to it, every name it binds is bound on every path through it (or never
read outside it), and a run holds no `return` and no `break`/`continue` of a loop outside it.
"""

from __future__ import annotations

import ast
import random

Scope = ast.FunctionDef


def outline(source: str, rng: random.Random, times: int) -> tuple[str, int]:
    """`source` with up to `times` pieces of `f` (and of the helpers made so far) outlined; the
    number of pieces actually moved."""
    tree = ast.parse(source)
    parent, f = _find(tree, "f")
    functions = [f]
    moved = 0
    for k in range(times):
        target = rng.choice(functions)
        made = _outline_statements(target, rng, f"_h{k}") if rng.random() < 0.5 else None
        if made is None:
            made = _outline_expression(target, rng, f"_e{k}")
        if made is None:
            continue
        parent.body.insert(parent.body.index(f), made)
        functions.append(made)
        moved += 1
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", moved


def _find(tree: ast.Module, name: str) -> tuple[ast.Module | ast.FunctionDef, ast.FunctionDef]:
    for node in ast.walk(tree):
        for child in getattr(node, "body", []):
            if isinstance(child, ast.FunctionDef) and child.name == name:
                return node, child
    raise LookupError(name)


# --------------------------------------------------------------------------------------------
# which names are bound where
# --------------------------------------------------------------------------------------------


def _stored(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _locals(fn: Scope) -> set[str]:
    return {a.arg for a in fn.args.args + fn.args.kwonlyargs} | _stored(fn)


def _after(stmts: list[ast.stmt], bound: frozenset[str]) -> frozenset[str]:
    """The names bound on every path after `stmts`, given those bound before."""
    for stmt in stmts:
        if isinstance(stmt, ast.If):
            bound = bound | (_after(stmt.body, bound) & _after(stmt.orelse, bound))
        elif isinstance(stmt, (ast.For, ast.While)):
            pass  # may run zero times; a `while True` left by `break` is not followed
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)):
            bound = bound | _stored(stmt)
    return bound


class _Site:
    """A statement list of a function and the names bound on every path to each of its positions."""

    def __init__(self, body: list[ast.stmt], before: frozenset[str], loops: int):
        self.body, self.before, self.loops = body, before, loops

    def bound_at(self, i: int) -> frozenset[str]:
        return _after(self.body[:i], self.before)


def _sites(fn: Scope) -> list[_Site]:
    found: list[_Site] = []

    def visit(body: list[ast.stmt], bound: frozenset[str], loops: int) -> None:
        site = _Site(body, bound, loops)
        found.append(site)
        for i, stmt in enumerate(body):
            here = site.bound_at(i)
            if isinstance(stmt, ast.If):
                visit(stmt.body, here, loops)
                visit(stmt.orelse, here, loops)
            elif isinstance(stmt, ast.For):
                visit(stmt.body, here | _stored(stmt.target), loops + 1)
            elif isinstance(stmt, ast.While):
                visit(stmt.body, here, loops + 1)

    visit(fn.body, frozenset(a.arg for a in fn.args.args + fn.args.kwonlyargs), 0)
    return [s for s in found if s.body]


def _escapes(stmts: list[ast.stmt]) -> bool:
    """A `return`, or a `break`/`continue` of a loop the statements do not hold."""
    def go(node: ast.AST, in_loop: bool) -> bool:
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.Break, ast.Continue)):
            return not in_loop
        inner = in_loop or isinstance(node, (ast.For, ast.While))
        return any(go(child, inner) for child in ast.iter_child_nodes(node)
                   if not (isinstance(node, (ast.For, ast.While)) and child in node.orelse and not in_loop))
    return any(go(s, False) for s in stmts)


def _call(name: str, params: list[str]) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), [ast.Name(p, ast.Load()) for p in params], [])


def _helper(name: str, params: list[str], body: list[ast.stmt]) -> ast.FunctionDef:
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], kwonlyargs=[], kw_defaults=[],
                         defaults=[])
    return ast.FunctionDef(name, args, body, [], None, type_params=[])


# --------------------------------------------------------------------------------------------
# the two refactorings
# --------------------------------------------------------------------------------------------


def _outline_statements(fn: Scope, rng: random.Random, name: str) -> ast.FunctionDef | None:
    sites = _sites(fn)
    site = rng.choice(sites)
    i = rng.randrange(len(site.body))
    j = rng.randrange(i + 1, len(site.body) + 1)
    run = site.body[i:j]
    if _escapes(run) or any(isinstance(s, ast.Return) for s in run):
        return None
    local = _locals(fn)
    bound = site.bound_at(i)
    used = (_loaded(ast.Module(run, [])) | _stored(ast.Module(run, []))) & local
    params = sorted(used & bound)
    if not _reads_bound(run, local, bound):
        return None  # reads a local that may be unbound here (or is bound by an earlier trip)
    out_bound = _after(run, frozenset(params))
    stored = _stored(ast.Module(run, [])) & local
    outside = _loaded_outside(fn, run)
    if (stored - out_bound) & outside:
        return None  # a name bound on some paths only, and read elsewhere
    results = sorted(stored & out_bound)
    body = [*run, ast.Return(_pack(results))]
    call = _call(name, params)
    if not results:
        replacement: ast.stmt = ast.Expr(call)
    else:
        replacement = ast.Assign([_pack(results, ast.Store())], call)
    site.body[i:j] = [replacement]
    return _helper(name, params, body)


def _reads_bound(run: list[ast.stmt], local: set[str], bound: frozenset[str]) -> bool:
    """Every local the run reads is bound before the run, or by a plain assignment of the run before
    the statement reading it."""
    defined = set(bound)
    for stmt in run:
        if (_loaded(stmt) & local) - defined:
            return False
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            defined |= _stored(stmt)
    return True


def _loaded_outside(fn: Scope, run: list[ast.stmt]) -> set[str]:
    inside = {id(n) for s in run for n in ast.walk(s)}
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and id(n) not in inside}


def _pack(names: list[str], ctx: ast.expr_context | None = None) -> ast.expr:
    ctx = ctx or ast.Load()
    if len(names) == 1:
        return ast.Name(names[0], ctx)
    return ast.Tuple([ast.Name(n, ctx) for n in names], ctx)


def _outline_expression(fn: Scope, rng: random.Random, name: str) -> ast.FunctionDef | None:
    """Replace one sub-expression evaluated by a statement by a call returning it."""
    local = _locals(fn)
    candidates: list[tuple[ast.AST, str, int | None, ast.expr, frozenset[str]]] = []
    for site in _sites(fn):
        for i, stmt in enumerate(site.body):
            bound = site.bound_at(i)
            roots: list[ast.AST] = []
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)):
                roots = [stmt.value] if stmt.value is not None else []
            elif isinstance(stmt, (ast.If, ast.While)):
                roots = [stmt.test]
            for root in roots:
                for parent in [stmt, *ast.walk(root)]:
                    for field, value in ast.iter_fields(parent):
                        if parent is stmt and value is not root:
                            continue
                        items = value if isinstance(value, list) else [value]
                        for k, child in enumerate(items):
                            if isinstance(child, ast.expr) and not isinstance(parent, ast.keyword) \
                                    and not isinstance(child, (ast.Starred, ast.Slice)) \
                                    and not (isinstance(child, ast.Constant) and not isinstance(child.value, float)) \
                                    and isinstance(getattr(child, "ctx", ast.Load()), ast.Load):
                                candidates.append((parent, field, k if isinstance(value, list) else None,
                                                   child, bound))
    if not candidates:
        return None
    parent, field, k, expr, bound = rng.choice(candidates)
    if any(isinstance(n, ast.Slice) for n in ast.walk(expr)):
        return None  # `M[:, 2]`'s index is no expression a function can return
    if (isinstance(parent, ast.Call) and field == "func") or \
            (isinstance(expr, (ast.Name, ast.Attribute)) and not _loaded(expr) & local):
        return None  # a function or module as a value: not what this test is about
    if isinstance(expr, ast.Constant) and rng.random() < 0.7:
        return None  # rarely worth a call
    reads = _loaded(expr) & local
    if reads - bound:
        return None
    params = sorted(reads)
    call = _call(name, params)
    if k is None:
        setattr(parent, field, call)
    else:
        getattr(parent, field)[k] = call
    return _helper(name, params, [ast.Return(expr)])


# --------------------------------------------------------------------------------------------
# parameters packed into containers (pytrees)
# --------------------------------------------------------------------------------------------


def random_structure(names: list[str], rng: random.Random, depth: int = 0):
    """A random nesting of dicts, lists and tuples whose leaves are `names` (each once, in order)."""
    parts: list = []
    rest = list(names)
    while rest:
        take = rng.randint(1, len(rest)) if depth < 2 else 1
        chunk, rest = rest[:take], rest[take:]
        leaf = len(chunk) == 1 and (depth > 0 or rng.random() < 0.5)
        parts.append(chunk[0] if leaf else random_structure(chunk, rng, depth + 1))
    kind = rng.choice(("dict", "list", "tuple"))
    if kind == "dict":
        return {f"k{i}": p for i, p in enumerate(parts)}
    return parts if kind == "list" else tuple(parts)


def paths(structure, prefix=()):
    """Each leaf name with the keys leading to it."""
    if isinstance(structure, str):
        return {structure: prefix}
    items = structure.items() if isinstance(structure, dict) else enumerate(structure)
    found = {}
    for key, value in items:
        found.update(paths(value, (*prefix, key)))
    return found


def build(structure, values: dict):
    """The container of `structure` holding `values[name]` at each leaf."""
    if isinstance(structure, str):
        return values[structure]
    if isinstance(structure, dict):
        return {k: build(v, values) for k, v in structure.items()}
    made = [build(v, values) for v in structure]
    return made if isinstance(structure, list) else tuple(made)


def read(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def pack(source: str, structure, rng: random.Random, container: str = "P") -> str:
    """`source` with a function `g(P, <the other parameters>)` added: `f`'s body, after a prologue
    taking the parameters named in `structure` out of the container `P` (by subscripts, or by
    unpacking a whole tuple or list)."""
    tree = ast.parse(source)
    parent, f = _find(tree, "f")
    packed = paths(structure)
    lines = []
    done: set[str] = set()

    def prologue(node, prefix):
        spelled = container + "".join(f"[{k!r}]" for k in prefix)
        if not isinstance(node, (str, dict)) and all(isinstance(v, str) for v in node) and rng.random() < 0.5:
            lines.append(f"{', '.join(node)}{',' if len(node) == 1 else ''} = {spelled}")
            done.update(node)
            return
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, str):
                lines.append(f"{value} = {container}{''.join(f'[{k!r}]' for k in (*prefix, key))}")
                done.add(value)
            else:
                prologue(value, (*prefix, key))

    prologue(structure, ())
    assert done == set(packed)
    g = ast.parse(ast.unparse(f)).body[0]
    g.name = "g"
    others = [a for a in g.args.args if a.arg not in packed]
    g.args.args = [ast.arg(container), *others]
    shift = len(f.args.args) - len(f.args.defaults)
    defaults = {a.arg: d for a, d in zip(f.args.args[shift:], f.args.defaults)}
    g.args.defaults = [defaults[a.arg] for a in others if a.arg in defaults]
    g.body = [*ast.parse("\n".join(lines)).body, *g.body]
    parent.body.insert(parent.body.index(f) + 1, g)
    if parent is not tree:  # `def make(): ... return f, probe` then `f, probe = make()`: export g too
        for stmt in parent.body:
            if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Tuple):
                stmt.value.elts.append(ast.Name("g", ast.Load()))
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Tuple) \
                    and isinstance(stmt.value, ast.Call) and getattr(stmt.value.func, "id", None) == parent.name:
                stmt.targets[0].elts.append(ast.Name("g", ast.Store()))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
