"""syntax/layout.py: statements built as gast laid out as text, with what ast.unparse cannot write."""

import ast

from adtransform.syntax import build, layout


def _name(n):
    return build.name(n)


def test_comments_stand_alone_or_follow_a_statement():
    stmts = [build.comment("line 3: y = x"), build.comment("kept", build.assign("y", _name("x")))]
    assert layout.lines(stmts, "  ") == ["  # line 3: y = x", "  y = x  # kept"]


def test_an_empty_body_is_pass_and_an_empty_else_is_left_out():
    text = layout.text([build.if_else(_name("c"), [], [])])
    assert text == "if c:\n    pass\n"
    text = layout.text([build.if_else(_name("c"), [build.assign("a", _name("b"))], [build.assign("a", _name("d"))])])
    assert text == "if c:\n    a = b\nelse:\n    a = d\n"


def test_an_else_holding_an_if_is_not_written_as_elif():
    inner = build.if_else(_name("d"), [build.pass_()], [])
    text = layout.text([build.if_else(_name("c"), [build.pass_()], [inner])])
    assert "elif" not in text and "else:\n    if d:\n        pass\n" in text


def test_loops_and_try_are_laid_out_with_their_bodies():
    loop = build.for_(build.name("t", "store"), build.call(_name("range"), [_name("n")]), [])
    spin = build.while_(_name("c"), [build.assign("c", build.constant(False))])
    guarded = build.try_except([build.return_(_name("a"))], [_name("OverflowError"), _name("ZeroDivisionError")],
                               [build.raise_(None)])
    assert layout.lines([loop, spin, guarded]) == [
        "for t in range(n):", "    pass", "while c:", "    c = False",
        "try:", "    return a", "except (OverflowError, ZeroDivisionError):", "    raise"]


def test_a_tuple_assigned_to_a_tuple_has_no_parentheses_but_a_tuple_value_alone_does():
    lhs = build.tuple_([build.name("a", "store"), build.name("b", "store")])
    swap = build.assign_to(lhs, build.tuple_([_name("b"), build.constant(-1.0)]))
    packed = build.assign("t", build.tuple_([_name("a"), _name("b")]))
    assert layout.lines([swap, packed]) == ["a, b = b, -1.0", "t = (a, b)"]


def test_a_function_keeps_its_docstring_and_its_defaults_as_written():
    args = build.arguments(["p"], ["a", "b"], ["k", "m"], [build.verbatim("1e-3")], [None, build.verbatim("N // 2")])
    fn = build.function_def("f", args, [build.docstring('say "" """ \\ here\n    '), build.return_(_name("a"))])
    text = layout.text([fn])
    assert text.splitlines()[0] == "def f(p, /, a, b=1e-3, *, k, m=N // 2):"
    assert text.splitlines()[1] == '    """say "" \\"\\"\\" \\\\ here'
    ast.parse(text)  # the escaped docstring is still one string


def test_a_long_or_test_is_wrapped_one_continuation_line_at_a_time():
    tests = [build.compare("is not", build.dotted(("module", f"name{i}")), _name(f"name{i}_seen_before"))
             for i in range(6)]
    short = layout.lines([build.if_(build.bool_op("or", tests[:2]), [build.pass_()])], "    ")
    assert short[0] == "    if module.name0 is not name0_seen_before or module.name1 is not name1_seen_before:"
    wrapped = layout.lines([build.if_(build.bool_op("or", tests), [build.pass_()])], "    ")
    head = [line for line in "\n".join(wrapped).splitlines() if not line.endswith("pass")]
    assert head[0].startswith("    if (module.name0") and head[-1].endswith("):") and len(head) > 1
    assert all(len(line) <= layout.WIDTH for line in head)
    assert all(line.startswith(" " * 12 + "or ") for line in head[1:])
    compile("\n".join(["def f():", *wrapped]), "<test>", "exec")


def test_names_and_comparisons_spelled_without_unparse_are_spelled_as_unparse_would():
    from adtransform.syntax.parse import to_source

    dotted = build.dotted(("np", "linalg", "norm"))
    shapes = [_name("x"), dotted, build.compare("is not", dotted, _name("seen")),
              build.compare("<=", _name("a"), dotted)]
    for node in shapes:
        assert layout._is_plain(node) and layout._plain(node) == to_source(node)
        assert layout.lines([build.assign("y", node)]) == [to_source(build.assign("y", node))]
    assert not layout._is_plain(build.call(_name("f"), []))


def test_the_dependency_guard_comes_right_after_the_docstring():
    import numpy as np

    from adtransform.codegen import emit
    from adtransform.pipeline import primal_ir

    def f(x):
        return np.sin(x)

    fn, ctx = primal_ir(f)
    emitted = emit.emit(fn, name="g", docstring="doc", line_text=ctx.info.line_text, namer=ctx.namer,
                        user_lookup=ctx.namespace.lookup, user_locals=ctx.locals)
    guarded = emit.guard_dependencies(emitted, ((("np",), np, True), (("SCALE",), 2.0, False)), fn, "g",
                                      ctx.namer, rederive="again")
    lines = guarded.text.splitlines()
    assert lines[:5] == ["def g(x):", '    """doc"""',
                         "    # derived for these bindings; if one changed, the gradient of what is called now",
                         "    if np is not np_seen or SCALE.__class__ is not SCALE_type:",
                         "        return g_rederived(x)"]
    assert guarded.injected["np_seen"] is np and guarded.injected["SCALE_type"] == 2.0
    assert guarded.injected["g_rederived"] == "again" and "g_rederived" not in emitted.injected
