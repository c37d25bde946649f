"""Control-flow canonicalization (returns, loop_exits, conditionals): text goldens and semantic checks.

A semantic check runs the original and the transformed function on inputs
that take every path and compares the results, the exception raised if any,
and the arguments afterwards (functions record side effects in a `log` list,
which shows short-circuiting and which branch of a conditional ran).
"""

import copy
import doctest
import random
import textwrap

import gast
import numpy as np
import pytest

from adtransform.canonicalize import anf, aug_assign, conditionals, jumps, loop_exits, returns, unpacking
from adtransform.canonicalize.testing import run_pass
from adtransform.runtime import in_place_result
from adtransform.runtime.sequences import unpack_check
from adtransform.syntax.parse import to_source


def tap(log, value):
    """Record `value` in `log` and pass it on: makes evaluation order and short-circuiting visible."""
    log.append(value)
    return value


NS = {"np": np, "tap": tap, "in_place_result": in_place_result, "unpack_check": unpack_check}
CONTROL = (returns, loop_exits, conditionals)
ALL = (*CONTROL, aug_assign, unpacking, anf)


def _compile(source: str):
    env = dict(NS)
    exec(textwrap.dedent(source), env)
    return env["f"]


def _outcome(fn, args):
    args = copy.deepcopy(args)
    try:
        result = fn(*args)
    except Exception as exc:  # the transformed function must fail the same way
        result = ("raised", type(exc).__name__)
    return result, args


def _assert_same(before: str, after: str, inputs):
    original, transformed = _compile(before), _compile(after)
    for args in inputs:
        expected, got = _outcome(original, args), _outcome(transformed, args)
        assert repr(got) == repr(expected), f"args={args!r}\n--- after\n{after}"


def _stages(passes, source: str) -> list[str]:
    """The text after each pass of `passes`, applied in order; each pass's post-condition is checked."""
    texts = []

    def apply(node, ctx):
        for k, module in enumerate(passes):
            module.transform(node, ctx)
            for done in passes[:k + 1]:  # later passes keep what earlier ones guaranteed
                _check_post_condition(done, node)
            texts.append(to_source(node))
        return True
    run_pass(apply, textwrap.dedent(source).strip(), NS)
    return texts


def _run_passes(passes, source: str) -> str:
    return _stages(passes, source)[-1]


def _check_post_condition(module, fn: gast.FunctionDef):
    nodes = list(gast.walk(fn))
    if module is returns:
        assert [n for n in nodes if isinstance(n, gast.Return)] == [fn.body[-1]]
    if module is loop_exits:
        assert not any(isinstance(n, (gast.Break, gast.Continue)) for n in nodes)
        assert not any(isinstance(n, (gast.For, gast.While)) and n.orelse for n in nodes)
    if module is conditionals:
        assert not any(isinstance(n, (gast.IfExp, gast.BoolOp)) for n in nodes)
        assert not any(isinstance(n, gast.Compare) and len(n.ops) > 1 for n in nodes)
    for n in nodes:  # no empty block
        assert all(getattr(n, field, None) != [] for field in ("body",)), to_source(fn)


def _check(module, before: str, after: str, inputs):
    """Text golden for one pass, its post-condition, and the semantics on `inputs`."""
    before, after = textwrap.dedent(before).strip(), textwrap.dedent(after).strip()
    out = _run_passes([module], before)
    assert out == after
    _assert_same(before, after, inputs)


# ---------------------------------------------------------------- returns

def test_returns_single_final_return_is_unchanged():
    source = "def f(x):\n    if x > 0:\n        x = -x\n    return x"
    changed = []
    out = run_pass(lambda node, ctx: changed.append(returns.transform(node, ctx)), source)
    assert out == source and changed == [False]


def test_returns_if_else_at_the_end_needs_no_flag():
    _check(returns, """
        def f(x):
            y = x * 2
            if y > 1:
                return y
            else:
                return -y
    """, """
        def f(x):
            y = x * 2
            if y > 1:
                retval = y
            else:
                retval = -y
            return retval
    """, [(x,) for x in (-2, 0, 0.5, 1, 3)])


def test_returns_guard_clauses_become_elif():
    _check(returns, """
        def f(x):
            if x < 0:
                return -1
            if x == 0:
                return 0
            x = x * 2
            return x
    """, """
        def f(x):
            if x < 0:
                retval = -1
            elif x == 0:
                retval = 0
            else:
                x = x * 2
                retval = x
            return retval
    """, [(x,) for x in (-3, 0, 4)])


def test_returns_partial_return_in_nested_branch_sets_a_flag():
    _check(returns, """
        def f(x, y):
            if x > 0:
                if y > 0:
                    return x + y
                x = -x
            z = x * y
            return z
    """, """
        def f(x, y):
            returned = False
            if x > 0:
                if y > 0:
                    retval = x + y
                    returned = True
                else:
                    x = -x
            if not returned:
                z = x * y
                retval = z
            return retval
    """, [(x, y) for x in (-1, 0, 2) for y in (-1, 0, 3)])


def test_returns_in_a_loop_break_it_and_guard_what_follows():
    _check(returns, """
        def f(xs, y):
            if y < 0:
                return 0.0
            for x in xs:
                if x > y:
                    return x
            return y
    """, """
        def f(xs, y):
            if y < 0:
                retval = 0.0
            else:
                returned = False
                for x in xs:
                    if x > y:
                        retval = x
                        returned = True
                        break
                if not returned:
                    retval = y
            return retval
    """, [(xs, y) for xs in ([], [1, 5, 2], [0, 0]) for y in (-1, 0, 3, 9)])


def test_returns_in_nested_loops_stop_the_outer_loop_too():
    _check(returns, """
        def f(rows, target):
            count = 0
            for row in rows:
                for x in row:
                    if x == target:
                        return count
                    count += 1
                count += 10
            return -count
    """, """
        def f(rows, target):
            count = 0
            returned = False
            for row in rows:
                for x in row:
                    if x == target:
                        retval = count
                        returned = True
                        break
                    else:
                        count += 1
                if returned:
                    break
                count += 10
            if not returned:
                retval = -count
            return retval
    """, [(rows, t) for rows in ([], [[1, 2], [3]], [[], [4, 1]]) for t in (1, 3, 7)])


def test_returns_falling_off_the_end_returns_none():
    _check(returns, """
        def f(x, log):
            if x > 0:
                return x
            log.append(x)
    """, """
        def f(x, log):
            retval = None
            if x > 0:
                retval = x
            else:
                log.append(x)
            return retval
    """, [(x, []) for x in (-1, 0, 2)])


def test_returns_bare_and_missing_returns_return_none():
    _check(returns, """
        def f(x, log):
            if x:
                log.append(x)
                return
            return x
    """, """
        def f(x, log):
            if x:
                log.append(x)
                retval = None
            else:
                retval = x
            return retval
    """, [(x, []) for x in (0, 3)])
    _check(returns, "def f(log):\n    log.append(1)", "def f(log):\n    log.append(1)\n    return None", [([],)])


def test_returns_in_while_else():
    _check(returns, """
        def f(n):
            i = 0
            while i < n:
                if i * i > n:
                    return i
                i += 1
            else:
                i = -i
            return i
    """, """
        def f(n):
            i = 0
            returned = False
            while i < n:
                if i * i > n:
                    retval = i
                    returned = True
                    break
                else:
                    i += 1
            else:
                i = -i
            if not returned:
                retval = i
            return retval
    """, [(n,) for n in range(-1, 12)])


# ---------------------------------------------------------------- loop_exits

def test_loop_exits_continue_as_guard_clause_needs_no_flag():
    _check(loop_exits, """
        def f(xs):
            total = 0
            for x in xs:
                if x < 0:
                    continue
                total += x
            return total
    """, """
        def f(xs):
            total = 0
            for x in xs:
                if not x < 0:
                    total += x
            return total
    """, [([],), ([1, -2, 3],), ([-1, -1],)])


def test_loop_exits_partial_continue_resets_its_flag_each_iteration():
    _check(loop_exits, """
        def f(xs):
            total = 0
            for x in xs:
                if x > 0:
                    if x % 2 == 0:
                        continue
                    total += 100
                total += x
            return total
    """, """
        def f(xs):
            total = 0
            for x in xs:
                continued = False
                if x > 0:
                    if x % 2 == 0:
                        continued = True
                    else:
                        total += 100
                if not continued:
                    total += x
            return total
    """, [([],), ([1, 2, 3, -4],), ([2, 2, 5],)])


def test_loop_exits_while_true_with_break():
    _check(loop_exits, """
        def f(n):
            i = 0
            while True:
                i += 1
                if i >= n:
                    break
            return i
    """, """
        def f(n):
            i = 0
            broke = False
            while not broke:
                i += 1
                if i >= n:
                    broke = True
            return i
    """, [(n,) for n in range(-1, 5)])


def test_loop_exits_break_flag_is_tested_before_the_while_test():
    # After the break, `xs[i]` would raise: the flag must short-circuit it.
    _check(loop_exits, """
        def f(xs):
            i = 0
            while xs[i] != 0:
                i += 1
                if i == len(xs):
                    break
            return i
    """, """
        def f(xs):
            i = 0
            broke = False
            while not broke and xs[i] != 0:
                i += 1
                if i == len(xs):
                    broke = True
            return i
    """, [([1, 2],), ([1, 0, 3],), ([0],), ([],)])


def test_loop_exits_for_else_keeps_the_loop_variable_of_the_break():
    _check(loop_exits, """
        def f(xs, target):
            for i, x in enumerate(xs):
                if x == target:
                    break
            else:
                i = -1
            return i
    """, """
        def f(xs, target):
            broke = False
            for i_x in enumerate(xs):
                if not broke:
                    i, x = i_x
                    if x == target:
                        broke = True
            if not broke:
                i = -1
            return i
    """, [(xs, t) for xs in ([], [4, 5, 6], [5, 5]) for t in (4, 5, 7)])


def test_loop_exits_else_without_break_always_runs():
    _check(loop_exits, """
        def f(n):
            total = 0
            while total < n:
                total += 3
            else:
                total -= 1
            return total
    """, """
        def f(n):
            total = 0
            while total < n:
                total += 3
            total -= 1
            return total
    """, [(n,) for n in range(-1, 8)])


def test_loop_exits_nested_loops_have_their_own_flags():
    # The `continue` in the inner loop's `else` belongs to the outer loop.
    _check(loop_exits, """
        def f(rows):
            hits = 0
            for row in rows:
                for x in row:
                    if x < 0:
                        break
                    hits += x
                else:
                    continue
                break
            return hits
    """, """
        def f(rows):
            hits = 0
            broke = False
            for row in rows:
                if not broke:
                    broke_1 = False
                    for x in row:
                        if not broke_1:
                            if x < 0:
                                broke_1 = True
                            else:
                                hits += x
                    if broke_1:
                        broke = True
            return hits
    """, [([],), ([[1, 2], [3]],), ([[1, -1, 5], [7]],), ([[2], [-3], [9]],)])


def test_loop_exits_break_and_continue_from_one_branch():
    _check(loop_exits, """
        def f(xs):
            total = 0
            for x in xs:
                if x > 0:
                    if x > 10:
                        break
                    if x % 2:
                        continue
                total += x
            return total
    """, """
        def f(xs):
            total = 0
            broke = False
            for x in xs:
                if not broke:
                    continued = False
                    if x > 0:
                        if x > 10:
                            broke = True
                        elif x % 2:
                            continued = True
                    if not broke:
                        if not continued:
                            total += x
            return total
    """, [([],), ([1, 2, -3, 4],), ([2, 11, 4],), ([-1, 3, 12, 6],)])


def test_loop_exits_reports_no_change_for_plain_loops():
    source = "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t"
    changed = []
    out = run_pass(lambda node, ctx: changed.append(loop_exits.transform(node, ctx)), source)
    assert out == source and changed == [False]


# ---------------------------------------------------------------- conditionals

def test_conditionals_if_expression_assigns_in_each_branch():
    _check(conditionals, """
        def f(x, log):
            y = tap(log, x) if x > 0 else tap(log, -x)
            return y
    """, """
        def f(x, log):
            if x > 0:
                y = tap(log, x)
            else:
                y = tap(log, -x)
            return y
    """, [(x, []) for x in (-2, 0, 3)])


def test_conditionals_nested_if_expressions_become_elif():
    _check(conditionals, """
        def f(x):
            y = 1 if x > 0 else (0 if x == 0 else -1)
            return y
    """, """
        def f(x):
            if x > 0:
                y = 1
            elif x == 0:
                y = 0
            else:
                y = -1
            return y
    """, [(x,) for x in (-2, 0, 3)])


def test_conditionals_operands_evaluated_before_a_choice_are_hoisted():
    _check(conditionals, """
        def f(x, c, log):
            y = tap(log, x) + (tap(log, 1) if c else tap(log, 2)) * 2
            return y
    """, """
        def f(x, c, log):
            tap_1 = tap(log, x)
            if c:
                choice = tap(log, 1)
            else:
                choice = tap(log, 2)
            y = tap_1 + choice * 2
            return y
    """, [(x, c, []) for x in (1, 5) for c in (True, False)])


def test_conditionals_module_references_and_names_are_not_hoisted():
    _check(conditionals, """
        def f(x, c):
            y = np.sin(x) + np.pi * np.cos(x if c else -x)
            return y
    """, """
        def f(x, c):
            sin = np.sin(x)
            if c:
                choice = x
            else:
                choice = -x
            y = sin + np.pi * np.cos(choice)
            return y
    """, [(x, c) for x in (0.5, -1.0) for c in (0, 1)])


def test_conditionals_boolean_operators_keep_values_and_short_circuit():
    _check(conditionals, """
        def f(a, b, c, log):
            x = a and b and c
            y = a or tap(log, b)
            z = tap(log, b) and tap(log, a)
            return x, y, z
    """, """
        def f(a, b, c, log):
            x = a
            if x:
                x = b
                if x:
                    x = c
            y = a
            if not y:
                y = tap(log, b)
            z = tap(log, b)
            if z:
                z = tap(log, a)
            return (x, y, z)
    """, [(a, b, c, []) for a in (0, 2, "", "s") for b in (0, [], 3) for c in (None, 5)])


def test_conditionals_boolean_operator_reading_its_target_uses_a_temporary():
    _check(conditionals, """
        def f(x, y):
            x = y and x
            return x
    """, """
        def f(x, y):
            both = y
            if both:
                both = x
            x = both
            return x
    """, [(x, y) for x in (0, 4) for y in (0, 5)])


def test_conditionals_chained_comparison_evaluates_the_middle_once():
    _check(conditionals, """
        def f(x, lo, hi, log):
            inside = lo <= tap(log, x + 1) < hi
            return inside
    """, """
        def f(x, lo, hi, log):
            tap_1 = tap(log, x + 1)
            inside = lo <= tap_1
            if inside:
                inside = tap_1 < hi
            return inside
    """, [(x, 0, 3, []) for x in range(-2, 4)])


def test_conditionals_chained_comparison_short_circuits():
    _check(conditionals, """
        def f(a, b, c, log):
            ok = tap(log, a) < tap(log, b) < tap(log, c) is not None
            return ok
    """, """
        def f(a, b, c, log):
            tap_1 = tap(log, a)
            tap_2 = tap(log, b)
            ok = tap_1 < tap_2
            if ok:
                tap_3 = tap(log, c)
                ok = tap_2 < tap_3
                if ok:
                    ok = tap_3 is not None
            return ok
    """, [(a, b, c, []) for a in (0, 2) for b in (1, 3) for c in (2, 4)])


def test_conditionals_if_and_elif_tests():
    _check(conditionals, """
        def f(x, y):
            if x > 0 and y > 0:
                z = 1
            elif x < 0 or 0 < y < 5:
                z = 2
            else:
                z = 3
            return z
    """, """
        def f(x, y):
            cond = x > 0
            if cond:
                cond = y > 0
            if cond:
                z = 1
            else:
                cond_1 = x < 0
                if not cond_1:
                    cond_1 = 0 < y
                    if cond_1:
                        cond_1 = y < 5
                if cond_1:
                    z = 2
                else:
                    z = 3
            return z
    """, [(x, y) for x in (-1, 0, 1) for y in (-1, 0, 3, 7)])


def test_conditionals_while_test_is_evaluated_before_every_iteration():
    _check(conditionals, """
        def f(xs, n):
            i = 0
            while not i >= n and xs[i] > 0:
                i += 1
            return i
    """, """
        def f(xs, n):
            i = 0
            cond = not i >= n
            if cond:
                cond = xs[i] > 0
            while cond:
                i += 1
                cond = not i >= n
                if cond:
                    cond = xs[i] > 0
            return i
    """, [([1, 2, 0, 4], n) for n in range(6)] + [([3, 3], n) for n in range(4)])


def test_conditionals_expression_statement_and_subscript():
    _check(conditionals, """
        def f(x, log):
            x > 0 and log.append(x)
            return x
    """, """
        def f(x, log):
            both = x > 0
            if both:
                both = log.append(x)
            return x
    """, [(x, []) for x in (-1, 2)])
    _check(conditionals, """
        def f(x, k, c):
            y = x[k + 1:][0 if c else 1]
            return y
    """, """
        def f(x, k, c):
            x_item = x[k + 1:]
            if c:
                choice = 0
            else:
                choice = 1
            y = x_item[choice]
            return y
    """, [([1, 2, 3, 4], k, c) for k in (0, 1) for c in (0, 1)])


def test_conditionals_reports_no_change_without_choices():
    source = "def f(x):\n    if not x > 0:\n        x = -x\n    return x"
    changed = []
    out = run_pass(lambda node, ctx: changed.append(conditionals.transform(node, ctx)), source)
    assert out == source and changed == [False]


# ---------------------------------------------------------------- the three passes, then the rest

LARGER = [
    ("""
    def f(rows, limit, log):
        total = 0
        for r, row in enumerate(rows):
            for x in row:
                if x is None:
                    continue
                if x < 0 and tap(log, r) > 0:
                    return -1 if total > limit else total
                total += x if x < limit else limit
                if total > 3 * limit:
                    break
            else:
                tap(log, "row done")
                continue
            tap(log, "broke")
        while total > limit or total < -limit:
            total = total // 2
            if total == 7:
                break
        return 0 < total < limit and total
    """, [(rows, limit, []) for rows in ([], [[1, 2], [None, 3]], [[1, -2, 5]], [[4, 4], [-1]], [[9, 9, 9], [1]])
          for limit in (2, 5, 20)]),
    ("""
    def f(x, n):
        acc = np.zeros_like(x)
        i = 0
        while i < n:
            i += 1
            if i % 3 == 0:
                continue
            acc = acc + (x * i if i % 2 else -x)
            if np.sum(acc) > 10.0:
                return acc, i
        else:
            acc = acc * 2.0
        return acc, -i
    """, [(np.arange(3.0), n) for n in range(8)] + [(-np.ones(2), n) for n in (0, 5)]),
    ("""
    def f(a, b, log):
        if a > 0:
            for k in range(3):
                if k == b:
                    return tap(log, k)
                elif k > b or a == k:
                    break
            else:
                return None
            a = a - 1
        elif a == 0 and (b if b > 1 else -b) > 0:
            return b
        y, z = (a, b) if a < b else (b, a)
        return y - z
    """, [(a, b, []) for a in range(-1, 4) for b in range(-2, 4)]),
]


@pytest.mark.parametrize("source, inputs", LARGER)
def test_all_passes_preserve_semantics(source, inputs):
    after = _run_passes(ALL, source)
    _assert_same(textwrap.dedent(source).strip(), after, inputs)


@pytest.mark.parametrize("module", [returns, loop_exits, conditionals])
def test_docstring_examples(module):
    failures, _ = doctest.testmod(module)
    assert failures == 0


# ---------------------------------------------------------------- random programs

class _Program:
    """A random function `f(a, b, c, xs, log)` over small integers with nested control flow.

    Loops terminate (`range` of a small bound, `while` on a counter that is
    incremented first thing in the body, so `continue` cannot skip it);
    `tap(log, e)` makes the evaluation order part of the result.
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.loops = 0
        self.lines = ["def f(a, b, c, xs, log):", "    x = 0", "    y = 1"]

    def source(self) -> str:
        self.block(1, depth=0, scope=[], in_loop=False)
        if self.rng.random() < 0.8:
            self.emit(1, "return x, y")
        return "\n".join(self.lines)

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def block(self, indent: int, depth: int, scope: list[str], in_loop: bool) -> None:
        scope = list(scope)  # a `for` may add its variable for the statements after it
        for _ in range(self.rng.randint(1, 3)):
            self.statement(indent, depth, scope, in_loop)

    def statement(self, indent: int, depth: int, scope: list[str], in_loop: bool) -> None:
        kinds = ["assign", "assign", "aug", "tap"]
        if depth < 3:
            kinds += ["if", "if", "for", "while"]
        kinds += ["return"] * 1
        if in_loop:
            kinds += ["break", "continue"]
        kind = self.rng.choice(kinds)
        r = self.rng
        if kind == "assign":
            self.emit(indent, f"{r.choice('xy')} = {self.expr(scope, 2)}")
        elif kind == "aug":
            self.emit(indent, f"{r.choice('xy')} += {self.expr(scope, 2)}")
        elif kind == "tap":
            self.emit(indent, f"tap(log, {self.expr(scope, 2)})")
        elif kind == "return":
            self.emit(indent, f"return {self.expr(scope, 2)}, y")
        elif kind in ("break", "continue"):
            if r.random() < 0.7:
                self.emit(indent, f"if {self.cond(scope, 2)}:")
                indent += 1
            self.emit(indent, kind)
        elif kind == "if":
            self.emit(indent, f"if {self.cond(scope, 2)}:")
            self.block(indent + 1, depth + 1, scope, in_loop)
            while r.random() < 0.3:
                self.emit(indent, f"elif {self.cond(scope, 2)}:")
                self.block(indent + 1, depth + 1, scope, in_loop)
            if r.random() < 0.5:
                self.emit(indent, "else:")
                self.block(indent + 1, depth + 1, scope, in_loop)
        else:
            var = f"{'i' if kind == 'for' else 'w'}{self.loops}"
            self.loops += 1
            if kind == "for":
                iterable = r.choice([f"range({r.randint(0, 3)})", "range(a % 4)", "xs"])
                self.emit(indent, f"for {var} in {iterable}:")
            else:
                self.emit(indent, f"{var} = 0")
                bound = f"{var} < {r.randint(0, 3)}"
                test = r.choice([bound, f"{bound} and ({self.cond(scope, 1)})", f"({self.cond(scope, 1)}) and {bound}",
                                 f"-1 < {var} <= {r.randint(0, 3)}", "True"])
                self.emit(indent, f"while {test}:")
                self.emit(indent + 1, f"{var} += 1")
                if test == "True":
                    self.emit(indent + 1, f"if {var} > 3:")
                    self.emit(indent + 2, "break")
            self.block(indent + 1, depth + 1, [*scope, var], in_loop=True)
            if r.random() < 0.3:
                self.emit(indent, "else:")
                self.block(indent + 1, depth + 1, scope, in_loop)
            if kind == "for" and r.random() < 0.5:
                scope.append(var)  # read after the loop: its last value, or UnboundLocalError in both versions

    def expr(self, scope: list[str], depth: int) -> str:
        r = self.rng
        atoms = ["a", "b", "c", "x", "y", *scope, str(r.randint(0, 3))]
        if depth == 0 or r.random() < 0.3:
            return r.choice(atoms)
        e = lambda: self.expr(scope, depth - 1)
        return r.choice([
            lambda: f"{e()} + {e()}", lambda: f"{e()} - {e()}", lambda: f"{e()} * {r.randint(-2, 2)}",
            lambda: f"({e()} if {self.cond(scope, depth - 1)} else {e()})",
            lambda: f"({e()} and {e()})", lambda: f"({e()} or {e()})", lambda: f"tap(log, {e()})",
            lambda: f"({self.cond(scope, depth - 1)})",
        ])()

    def cond(self, scope: list[str], depth: int) -> str:
        r = self.rng
        e = lambda: self.expr(scope, max(depth - 1, 0))
        if depth == 0:
            return f"{e()} < {e()}"
        c = lambda: self.cond(scope, depth - 1)
        return r.choice([
            lambda: f"{e()} < {e()}", lambda: f"{e()} == {e()}", lambda: f"{e()} <= {e()} < {e()}",
            lambda: f"not {c()}", lambda: f"{c()} and {c()}", lambda: f"{c()} or {c()}", e,
        ])()


def _random_inputs(rng: random.Random, count: int):
    return [(rng.randint(-2, 3), rng.randint(-2, 3), rng.randint(-1, 2),
             [rng.randint(-1, 3) for _ in range(rng.randint(0, 3))], []) for _ in range(count)]


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_keep_their_semantics(seed):
    rng = random.Random(seed)
    for _ in range(20):
        source = _Program(rng).source()
        inputs = _random_inputs(rng, 12)
        before_anf = _stages(ALL[:-1], source)
        after_anf = _stages([anf], before_anf[-1])
        for after in before_anf + after_anf:
            _assert_same(source, after, inputs)


def test_anf_keeps_a_body_that_is_only_pass():
    # `for x in xs: continue` becomes `for x in xs: pass` after loop_exits (the loop still binds x).
    after = _run_passes(ALL, "def f(xs):\n    x = 0\n    for x in xs:\n        continue\n    return x")
    _assert_same("def f(xs):\n    x = 0\n    for x in xs:\n        continue\n    return x", after, [([1, 2],)])


def test_flag_helpers_tidy_empty_branches():
    node = gast.parse("if c:\n    done = True\nelse:\n    y = 1").body[0]
    (tidy,) = jumps.drop_flag([node], "done")
    assert to_source(tidy) == "if not c:\n    y = 1"
