"""Compile a rule written in the `d[x]` notation into an IR template.

A rule is a Python function: its first parameter is the primitive's output,
the others mirror the primitive's parameters (defaults included). Its body
reads `d[y]` (the output's adjoint) and assigns `d[x] = <expression>` for each
input it differentiates. The body goes through the same canonicalization and
lowering as user code, so the optimizer sees adjoint code as ordinary IR.
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from ..canonicalize import anf
from ..errors import RuleDefinitionError
from ..frontend.context import Context
from ..frontend.resolve import Namespace, Scope
from ..frontend.source import parse_function
from ..ir.lower import lower_with_env
from ..ir.nodes import Function, Var
from ..rules.registry import AdjointRule
from ..syntax import build
from ..syntax.naming import Namer


@dataclass
class Template:
    rule: AdjointRule
    body: Function            # params: output, inputs..., adjoint of the output
    output: Var
    inputs: dict[str, Var]
    adjoint: Var
    contributions: dict[str, object]  # input name -> operand holding d[input]


def compile_template(rule: AdjointRule) -> Template:
    parsed = parse_function(rule.fn)
    node = parsed.node
    arg_names = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    if node.args.vararg is not None:  # `*shape`: the rule reads the tuple of those arguments
        arg_names.append(node.args.vararg.id)
    output_name, input_names = arg_names[0], arg_names[1:]
    taken = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
    namer = Namer(taken | {"d"})
    adjoint_name = namer.fresh(f"{output_name}_bar")
    out_names: dict[str, str] = {}
    where = f"{parsed.info.filename}:{parsed.info.line_offset + 1}"

    def rewrite(expr: gast.AST) -> None:
        for child in gast.walk(expr):
            for field_name, value in gast.iter_fields(child):
                if _is_d(value):
                    target = value.slice.id
                    if target != output_name:
                        raise RuleDefinitionError(f"{where}: rule {rule.fn.__qualname__} may only read "
                                                  f"d[{output_name}], not d[{target}]")
                    setattr(child, field_name, build.name(adjoint_name))
                elif isinstance(value, list):
                    for i, item in enumerate(value):
                        if _is_d(item):
                            value[i] = build.name(adjoint_name)

    body: list[gast.stmt] = []
    for stmt in node.body:
        if anf._is_docstring(stmt):
            continue
        if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
            raise RuleDefinitionError(f"{where}: rule bodies are assignments (`d[x] = ...`), got {type(stmt).__name__}")
        target = stmt.targets[0]
        holder = build.tuple_([stmt.value])  # so a bare `d[z]` value is rewritten too
        rewrite(holder)
        stmt.value = holder.elts[0]
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) and target.value.id == "d":
            input_name = getattr(target.slice, "id", None)
            if input_name not in input_names:
                raise RuleDefinitionError(f"{where}: d[{input_name}] is not a parameter of the primitive")
            if input_name in out_names:
                raise RuleDefinitionError(f"{where}: d[{input_name}] assigned twice")
            out_names[input_name] = namer.fresh(f"{input_name}_bar")
            stmt = build.assign(out_names[input_name], stmt.value, stmt.lineno)
        body.append(stmt)
    fn_args = build.arguments([], [*arg_names, adjoint_name], [])
    synthetic = build.function_def(node.name, fn_args, [*body, build.return_(build.constant(None))])
    ctx = Context(parsed.info, Namespace(rule.fn, Scope.INJECTED), namer,
                  {*arg_names, adjoint_name, *out_names.values()})
    ctx.locals |= {n.id for s in body for n in gast.walk(s)
                   if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    anf.transform(synthetic, ctx)
    fn, env = lower_with_env(synthetic, ctx)
    params = fn.param_vars()
    return Template(
        rule=rule, body=fn, output=params[0], inputs=dict(zip(input_names, params[1:-1])),
        adjoint=params[-1], contributions={name: env[out] for name, out in out_names.items()},
    )


def _is_d(node: object) -> bool:
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == "d" and isinstance(node.slice, gast.Name)
