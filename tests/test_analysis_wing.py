"""The analysis manager, def-use chains and ownership, each on IR from a tiny function."""

import numpy as np

from adtransform.analysis import defuse, ownership
from adtransform.analysis.manager import Analyses, PassContext
from adtransform.ir.nodes import If, Loop, Op, walk
from adtransform.optimize import driver, schedule
from adtransform.pipeline import primal_ir


def _ops(fn, symbol=None):
    return [s for s in walk(fn.body) if isinstance(s, Op) and (symbol is None or str(s.callee) == symbol)]


def straight(x):
    y = np.sin(x)
    z = y * y
    return z + x


def branchy(x, c):
    if c > 0:
        y = np.sin(x)
    else:
        y = x
    return y


def looping(x, n):
    y = np.zeros(3)
    for i in range(n):
        y = y + x
    return y


def test_manager_computes_once_and_again_after_invalidation():
    fn, _ = primal_ir(straight)
    calls = []

    def counting(f, analyses):
        calls.append(f)
        return len(f.body)

    analyses = Analyses(fn)
    assert analyses.get(counting) == analyses.get(counting) == len(fn.body)
    assert calls == [fn]
    analyses.invalidate()
    analyses.get(counting)
    assert calls == [fn, fn]


def test_ownership_reads_the_cached_defuse():
    fn, _ = primal_ir(looping)
    analyses = Analyses(fn)
    assert analyses.get(ownership.analyze).du is analyses.get(defuse.analyze)


def test_defuse_definitions_and_uses():
    fn, _ = primal_ir(straight)
    du = defuse.analyze(fn)
    sin, = _ops(fn, "np.sin")
    mul, = _ops(fn, "*")
    assert du.defined_by[sin.result] == (sin, fn.body) and du.producers[sin.result] is sin
    assert [(u.op, u.position) for u in du.uses[sin.result]] == [(mul, 0), (mul, 1)]  # read twice by `y * y`
    assert du.reads[sin.result] == 2 and du.readers(sin.result) == [mul]  # one reader, once
    ret = fn.returns[0]
    assert any(u.stmt is None for u in du.uses[ret])  # the returns read it
    assert du.position(mul) == fn.body.index(mul)


def test_defuse_regions():
    fn, _ = primal_ir(branchy)
    du = defuse.analyze(fn)
    region, = [s for s in fn.body if isinstance(s, If)]
    result = region.results[0]
    assert du.merged_by[result] == (region, 0) and du.producers[result] is region
    assert du.parent[id(region.then_body)] == (region, fn.body)
    assert defuse.region_operands(region) == [region.cond, *region.then_values, *region.else_values]
    # the region's own reads: its condition and what each branch yields
    for value in (region.cond, region.then_values[0], region.else_values[0]):
        assert [(u.stmt, u.op, u.block) for u in du.uses[value] if u.op is None] == [(region, None, fn.body)]


def test_defuse_loops():
    fn, _ = primal_ir(looping)
    du = defuse.analyze(fn)
    loop, = [s for s in fn.body if isinstance(s, Loop)]
    zeros, = _ops(fn, "np.zeros")
    c, = [c for c in loop.carried if c.init is zeros.result]
    assert du.carried_by[c.param] == (c, loop, fn.body)
    assert du.loop_results[c.result] is c and du.producers[c.result] is loop
    assert du.targets[loop.target] is loop


def test_ownership_of_allocations_parameters_and_loops():
    fn, _ = primal_ir(looping)
    own = ownership.analyze(fn, Analyses(fn))
    x = fn.params[0].var
    loop, = [s for s in fn.body if isinstance(s, Loop)]
    zeros, = _ops(fn, "np.zeros")
    c, = [c for c in loop.carried if c.init is zeros.result]
    assert not own.owned_value(x, None)           # a parameter is the caller's buffer
    assert own.owned_value(c.init, None)          # np.zeros(3) is this function's
    assert own.loop_param(c.result) is c.param and own.loop_param(x) is None
    assert own.loop_owns(c.param)                 # each iteration's `y + x` is a new array
    assert own.may_alias_input(x, {x}) and not own.may_alias_input(c.init, {x})


def test_may_alias_input_follows_branches():
    fn, _ = primal_ir(branchy)
    own = ownership.analyze(fn, Analyses(fn))
    x = fn.params[0].var
    result = fn.returns[0]
    assert own.may_alias_input(result, {x})        # the else branch hands x itself on
    sin, = _ops(fn, "np.sin")
    assert not own.may_alias_input(sin.result, {x})


def test_exclusive_needs_a_single_reader():
    fn, _ = primal_ir(straight)
    own = ownership.analyze(fn, Analyses(fn))
    mul, = _ops(fn, "*")
    assert own.exclusive(mul.result)             # `y * y` is new and read once
    assert not own.exclusive(fn.params[0].var)    # a parameter


def test_every_scheduled_pass_has_the_one_signature_and_says_whether_it_changed():
    passes = {p for steps in (schedule.PRIMAL, schedule.ADJOINT) for p in _passes(steps)}
    assert len(passes) == 18
    for p in passes:
        fn, ctx = primal_ir(looping)
        driver.run(schedule.PRIMAL, fn, PassContext.of(fn, ctx.namer))
        assert p.transform(fn, PassContext.of(fn, ctx.namer)) in (True, False)
        assert p.transform(fn, PassContext.of(fn, ctx.namer)) is False or p.__name__.endswith("fresh_returns"), p


def _passes(steps):
    for step in steps:
        if isinstance(step, schedule.FixedPoint):
            yield from step.passes
        else:
            yield step.pass_
            yield from _passes(step.then)


def twice(x):
    a = np.sin(x)
    b = np.sin(x)
    return a + b


def test_driver_reports_change_and_reaches_a_fixed_point():
    fn, ctx = primal_ir(twice)
    cx = PassContext.of(fn, ctx.namer)
    assert len(_ops(fn, "np.sin")) == 2
    assert driver.run(schedule.PRIMAL, fn, cx) is True   # CSE merged the two, DCE dropped one
    assert len(_ops(fn, "np.sin")) == 1
    assert driver.run(schedule.PRIMAL, fn, cx) is False  # nothing left to do


def test_driver_drops_the_analyses_after_a_change():
    fn, ctx = primal_ir(twice)
    cx = PassContext.of(fn, ctx.namer)
    before = cx.analyses.get(defuse.analyze)
    driver.run(schedule.PRIMAL, fn, cx)
    after = cx.analyses.get(defuse.analyze)
    assert after is not before and len(after.defined_by) < len(before.defined_by)


def nested(x, n):
    y = x * 1.0
    for i in range(n):
        for j in range(n):
            if j > 1:
                y = np.sin(y) + i
    return y


def test_defined_inside_agrees_with_walking_the_loop():
    fn, _ = primal_ir(nested)
    du = defuse.analyze(fn)
    loops = [s for s in walk(fn.body) if isinstance(s, Loop)]
    assert len(loops) == 2
    every = set(du.defined_by) | set(du.carried_by) | set(du.targets) | set(du.region_results) \
        | {p.var for p in fn.params}
    for loop in loops:
        inner = loop.inner()
        assert {v for v in every if du.defined_inside(v, loop)} == inner
        assert inner  # (not vacuous: the loop defines values)


def test_the_cheap_read_counts_agree_with_the_chains():
    for f in (straight, branchy, looping, nested):
        fn, _ = primal_ir(f)
        counts = defuse.reads(fn)
        assert counts and defuse.analyze(fn).reads == counts, f.__name__
