"""The alias interpreter and its call facts alone, on tiny functions (no return: the state at the end
is what is checked)."""

import gast
import numpy as np
import pytest

from adtransform.analysis.aliases.facts import CallFacts
from adtransform.analysis.aliases.interpreter import Interpreter
from adtransform.analysis.aliases.lattice import NUMBER, State, sites_overlap
from adtransform.errors import UnsupportedSyntaxError
from adtransform.frontend.resolve import Namespace
from adtransform.frontend.source import parse_function


def analyse(fn) -> tuple[Interpreter, State]:
    parsed = parse_function(fn)
    node = parsed.node
    params = [a.id for a in node.args.args]
    local = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    local |= set(params)
    updated = {n.target.id for n in gast.walk(node) if isinstance(n, gast.AugAssign)}
    interpreter = Interpreter(parsed.info, Namespace(fn), frozenset(local))
    start = State({p: frozenset({("parameter", p)}) for p in params}, frozenset(updated))
    state = interpreter.block(node.body, start)
    for error, _ in interpreter.refuse.found.values():  # (the interpreter collects its refusals)
        raise error
    return interpreter, state


def shares(state: State, a: str, b: str) -> bool:
    return sites_overlap(state.sites[a], state.sites[b]) and not state.paired(a, b)


def views_and_copies(x):
    t = x
    v = x[0]
    w = x.T
    c = x * 2.0
    n = float(len(x))
    s = np.tanh(x)


def test_assignment_binds_views_and_new_values():
    _, state = analyse(views_and_copies)
    assert state.sites["t"] == state.sites["x"]
    assert shares(state, "v", "x") and shares(state, "w", "x")
    assert not shares(state, "c", "x") and not shares(state, "s", "x")
    assert state.sites["n"] == {NUMBER}


def update_of_a_view(x):
    t = x[0]
    u = x * 2.0
    x += 1.0


def test_update_makes_every_other_name_sharing_it_stale():
    _, state = analyse(update_of_a_view)
    assert set(state.stale) == {"t"}  # u is a new array: untouched
    assert not shares(state, "x", "t")  # as the compiler reads it, x is a new value


def read_after_update(x):
    t = x
    x *= 2.0
    y = t + 1.0


def test_reading_a_stale_name_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="may share memory with `t`"):
        analyse(read_after_update)


def swapped_in_a_loop(x):
    cur = x * 1.0
    nxt = x * 2.0
    for i in range(3):
        cur, nxt = nxt, cur
        cur += 1.0


def test_loop_fixed_point_keeps_swapped_arrays_apart():
    _, state = analyse(swapped_in_a_loop)
    assert sites_overlap(state.sites["cur"], state.sites["nxt"])  # each may be either array...
    assert state.known_apart("cur", "nxt")  # ...yet they never share
    assert not state.stale


def recency(x):
    cur = x * 1.0
    for i in range(3):
        prev = cur
        cur = np.tanh(cur)
        prev *= 2.0


def test_recency_tells_the_latest_object_from_older_ones_in_a_loop():
    _, state = analyse(recency)
    assert "cur" not in state.stale and not shares(state, "prev", "cur")


def alias_before_break(x):
    for i in range(3):
        if i > 1:
            t = x
            break
        x += 1.0
    y = t + 0.0


def alias_without_break(x):
    for i in range(3):
        if i > 1:
            t = x
        x += 1.0
    y = t + 0.0


def test_break_ends_a_path_before_the_update():
    _, state = analyse(alias_before_break)  # the alias never reaches `x += 1.0`
    assert not state.stale
    with pytest.raises(UnsupportedSyntaxError, match="may share memory with `t`"):
        analyse(alias_without_break)


def deep(x):
    h = x * 1.0
    acc = 0.0
    for i0 in range(2):
        h = np.tanh(h * 0.9)
        for i1 in range(2):
            h = h * 0.5 + np.tanh(h) * 0.4
            for i2 in range(2):
                acc = acc + np.sum(h) * 0.01
                for i3 in range(2):
                    h = np.tanh(h * 0.9)
                    for i4 in range(2):
                        h = h * 0.5 + np.tanh(h) * 0.4
                        for i5 in range(2):
                            acc = acc + np.sum(h) * 0.01
                            for i6 in range(2):
                                h = np.tanh(h + acc * 0.1)


def test_nested_loops_are_not_iterated_again_per_round_of_each_enclosing_loop(monkeypatch):
    rounds: dict[str, int] = {}  # rounds of each loop's body, by its counter's name
    bind = Interpreter.bind_iteration

    def counted(self, target, iterable, state, loop):
        rounds[target.id] = rounds.get(target.id, 0) + 1
        return bind(self, target, iterable, state, loop)

    monkeypatch.setattr(Interpreter, "bind_iteration", counted)
    analyse(deep)
    assert len(rounds) == 7
    # Iterated from scratch in each round of the loops around it, the innermost body would run
    # about 2**7 times; from the last fixed point, a few rounds per round of the loop just outside.
    assert rounds["i6"] <= 4 * 7


def facts_of(fn) -> tuple[CallFacts, list[gast.Call]]:
    node = parse_function(fn).node
    calls = [n for n in gast.walk(node.body[0]) if isinstance(n, gast.Call)]
    names = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    return CallFacts(Namespace(fn), frozenset(names | {"x", "c"})), calls


def returned(fn) -> list[str]:
    facts, calls = facts_of(fn)
    return facts.flowing_names(calls[0], lambda node: False)


def unknown(a):
    return a


def test_call_facts_say_what_a_call_may_return():
    assert returned(lambda x: np.tanh(x)) == []
    assert returned(lambda x: np.asarray(x)) == ["x"]
    assert returned(lambda x: x.reshape(3)) == ["x"]
    # An undeclared function may return its argument (which it may change too) or memory it keeps.
    assert set(returned(lambda x: unknown(x))) == {"x", "<what `unknown` returns>"}
    assert returned(lambda x, c: np.exp(x, out=c)) == ["c"]  # `out=` is what it returns


def test_call_facts_say_which_arguments_a_call_changes_and_what_is_new():
    facts, calls = facts_of(lambda x, c: c.sort())
    assert [a.id for a in facts.changed(calls[0])] == ["c"]
    facts, calls = facts_of(lambda x, c: np.exp(x, out=c))
    assert [a.id for a in facts.changed(calls[0])] == ["c"] and not facts.new_each_time(calls[0])
    facts, calls = facts_of(lambda x, c: np.tanh(x))
    assert facts.changed(calls[0]) == [] and facts.new_each_time(calls[0])
    facts, calls = facts_of(lambda x, c: unknown(x))
    assert not facts.known(calls[0]) and [a.id for a in facts.changed(calls[0])] == ["x"]
