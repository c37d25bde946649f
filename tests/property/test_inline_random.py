"""Random programs of test_random_programs.py, their body moved into a function of their own that `f`
calls (issue 12): the gradient through the inlined call must match finite differences exactly as the
flat program's does (the same checks: values, shapes, dtypes, arguments untouched, globals re-read)."""

from __future__ import annotations

import ast
import copy
import dataclasses

import harness
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_random_programs import _check, programs


def outlined(source: str, by_keyword: bool) -> str:
    """`def f(a, b, scale=0.5): body` -> `def f_body(...): body` and `def f(...): return f_body(a, b, scale=scale)`
    (in the same scope: a closure cell of a factory stays one)."""
    tree = ast.parse(source)
    for parent in ast.walk(tree):
        body = getattr(parent, "body", None)
        if not isinstance(body, list):
            continue
        for i, node in enumerate(body):
            if isinstance(node, ast.FunctionDef) and node.name == "f":
                inner = copy.deepcopy(node)
                inner.name = "f_body"
                args = node.args
                positional = [a.arg for a in [*args.posonlyargs, *args.args]]
                call = ast.Call(
                    func=ast.Name("f_body", ast.Load()),
                    args=[] if by_keyword else [ast.Name(p, ast.Load()) for p in positional],
                    keywords=[ast.keyword(p, ast.Name(p, ast.Load()))
                              for p in ([*positional] if by_keyword else []) + [a.arg for a in args.kwonlyargs]])
                node.body = [ast.Return(call)]
                body.insert(i, inner)
                return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise AssertionError("no `def f` in the program")


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("inline_random_programs")


@harness.property_settings()
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_through_a_call(program, seed, module_dir):
    program = dataclasses.replace(program, source=outlined(program.source, by_keyword=seed % 2 == 1))
    args = harness.random_args(program, seed)
    with harness.loaded(program.source, module_dir, "inline_program") as (_, module):
        _check(program, args, module)

