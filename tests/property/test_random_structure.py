"""Random programs moved into helper functions: the same gradients through calls.

The straight-line and control-flow generators' programs are refactored by `restructure.outline`
(runs of statements and sub-expressions become calls of helpers defined next to `f`, helpers call
helpers, calls sit in `while` conditions and on one side of `and`/`or`/conditional expressions).
The refactored `f` computes exactly what the original does (checked: same value at the point), so
the test of each generator applies unchanged: adtransform's gradient of the refactored `f` against
central finite differences, the caller's arguments unchanged, no shared memory; a refusal must be
one the original program would get too, located in `f` or in a helper.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random

import harness
import numpy as np
import pytest
import restructure
import test_random_control_flow as cf
import test_random_programs as rp
from hypothesis import assume, event, given, note
from hypothesis import strategies as st

import adtransform as ad


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("random_structure")


def _outlined(program, layout_seed, times):
    source, moved = restructure.outline(program.source, random.Random(layout_seed), times)
    if not moved:
        event("nothing could be outlined")
    assume(moved)
    event(f"pieces outlined: {moved}")
    return dataclasses.replace(program, source=source)


def _same_value(original, outlined, args, module_dir):
    """The refactoring's own invariant: the refactored `f` returns what the original returns."""
    with harness.loaded(original.source, module_dir, "original") as (_, before), \
            harness.loaded(outlined.source, module_dir, "outlined_value") as (_, after), np.errstate(all="ignore"):
        a = float(harness.call(before.f, args))
        b = float(harness.call(after.f, args))
    assert a == b or (a != a and b != b), f"refactoring bug: {a!r} != {b!r}\n{outlined.source}"


def _located_in_program(exc, path, source, context=""):
    """A refusal names the program's file and a line of `f` or of one of its helpers."""
    where = exc.location
    lines = set()
    for name in ["f", *(n for n in _helper_names(source))]:
        lines |= set(harness.function_lines(source, name))
    assert where is not None and where.filename == str(path) and where.line in lines, (
        f"the refusal is not located in f or its helpers (file {path}): {exc}{context}")


@contextlib.contextmanager
def _helpers_locate():
    """The generators' checks ask that refusals name a line of `f`: here a helper's line is right too."""
    saved = harness.assert_located
    harness.assert_located = _located_in_program
    try:
        yield
    finally:
        harness.assert_located = saved


def _helper_names(source):
    return [line.split("def ")[1].split("(")[0] for line in source.splitlines()
            if line.lstrip().startswith(("def _h", "def _e"))]


@harness.property_settings(max_examples=100)
@given(program=rp.programs(), seed=st.integers(0, 2**32 - 1), layout=st.integers(0, 2**32 - 1),
       times=st.integers(1, 4))
def test_outlined_straight_line_programs(program, seed, layout, times, module_dir):
    outlined = _outlined(program, layout, times)
    args = harness.random_args(program, seed)
    _same_value(program, outlined, args, module_dir)
    with harness.loaded(outlined.source, module_dir, "outlined") as (path, module):
        if _known_refusal(module, outlined, path):
            return
        rp._check(outlined, args, module)


def _known_refusal(module, program, path):
    """Known needless refusals, located and never wrong, counted as events: the alias analysis runs
    before containers are scalarized and before it could know two names are one array, so `x += e`
    in a helper on a parameter bound to the caller's array (one object under two names), and an
    in-place update of a name unpacked from a helper's tuple result (`h, x = _h(x); h -= x`: the
    tuple's entries taken for possibly one array), are refused where the flat program is not."""
    try:
        ad.grad(module.f, wrt=program.wrt)
    except ad.UnsupportedSyntaxError as exc:
        lines = set(harness.function_lines(program.source, "f"))
        for name in _helper_names(program.source):
            lines |= set(harness.function_lines(program.source, name))
        if exc.construct == "in-place update of an alias" and exc.location is not None \
                and exc.location.filename == str(path) and exc.location.line in lines:
            event("refused: in-place update after a call (known imprecision)")
            return True
    except ad.AdtransformError:
        pass
    return False


@harness.property_settings(max_examples=100)
@given(program=cf.programs(), seed=st.integers(0, 2**32 - 1), n=st.integers(0, cf.MAX_N),
       layout=st.integers(0, 2**32 - 1), times=st.integers(1, 4))
def test_outlined_control_flow_programs(program, seed, n, layout, times, module_dir):
    outlined = _outlined(program, layout, times)
    args = harness.random_args(program, seed, n)
    _same_value(program, outlined, args, module_dir)
    with _helpers_locate(), harness.loaded(outlined.source, module_dir, "outlined_cf") as (path, module):
        cf._check(outlined, args, module, path)


@harness.property_settings(max_examples=60)
@given(program=cf.programs(inplace=True), seed=st.integers(0, 2**32 - 1), n=st.integers(0, cf.MAX_N),
       layout=st.integers(0, 2**32 - 1), times=st.integers(1, 4))
def test_outlined_in_place_updates(program, seed, n, layout, times, module_dir):
    """In-place updates moved into helpers change the caller's arrays, as Python passes them: refused
    with the location, or differentiated with NumPy's meaning."""
    outlined = _outlined(program, layout, times)
    args = harness.random_args(program, seed, n)
    _same_value(program, outlined, args, module_dir)
    with _helpers_locate(), harness.loaded(outlined.source, module_dir, "outlined_inplace") as (path, module):
        cf._check(outlined, args, module, path)


class _Packed:
    """A gradient function of `g(P, ...)` called with `f`'s arguments: builds `P` from them, checks the
    gradient has `P`'s structure, and returns its leaves as `f`'s gradient function would."""

    def __init__(self, fn, program, structure, with_value):
        self.fn, self.program, self.structure, self.with_value = fn, program, structure, with_value
        self.source = fn.source
        self.names = program.wrt_names()

    def __call__(self, *args, **kwargs):
        values = dict(zip(self.program.params, args))
        others = [a for p, a in zip(self.program.params, args) if p not in self.names]
        out = self.fn(restructure.build(self.structure, values), *others, **kwargs)
        value, tree = out if self.with_value else (None, out)
        _same_structure(tree, self.structure, self.source)
        leaves = tuple(restructure.read(tree, path) for path in restructure.paths(self.structure).values())
        order = list(restructure.paths(self.structure))
        grads = tuple(leaves[order.index(n)] for n in self.names)
        grads = grads if isinstance(self.program.wrt, tuple) else grads[0]
        return (value, grads) if self.with_value else grads


def _same_structure(tree, structure, source):
    if isinstance(structure, str):
        return
    assert type(tree) is type(structure), (
        f"the gradient has a {type(tree).__name__} where the argument has a {type(structure).__name__}\n{source}")
    if isinstance(structure, dict):
        assert list(tree) == list(structure), f"the gradient's keys {list(tree)} differ from {list(structure)}"
        for key in structure:
            _same_structure(tree[key], structure[key], source)
    else:
        assert len(tree) == len(structure), f"the gradient holds {len(tree)} items, the argument {len(structure)}"
        for t, s in zip(tree, structure):
            _same_structure(t, s, source)


@harness.property_settings(max_examples=100)
@given(program=rp.programs(), seed=st.integers(0, 2**32 - 1), layout=st.integers(0, 2**32 - 1))
def test_parameters_packed_in_containers(program, seed, layout, module_dir):
    """`f`'s differentiated parameters passed in a random nesting of dicts, lists and tuples `P`:
    `grad(g, wrt="P")` returns a gradient of `P`'s structure holding what `grad(f)` would."""
    rng = random.Random(layout)
    structure = restructure.random_structure(program.wrt_names(), rng)
    event(f"container: {type(structure).__name__}")
    packed = dataclasses.replace(program, source=restructure.pack(program.source, structure, rng))
    args = harness.random_args(program, seed)
    context = harness.describe(packed, args) + f"\n--- P = {structure!r}"
    note(context)
    with harness.loaded(packed.source, module_dir, "packed") as (_, module):
        ref = rp._reference(packed, args, module)
        if isinstance(ref, str):
            event(f"rejected: {ref}")
        assume(not isinstance(ref, str))
        try:
            grad_fn = _Packed(ad.grad(module.g, wrt="P"), packed, structure, with_value=False)
            vg_fn = _Packed(ad.value_and_grad(module.g, wrt="P"), packed, structure, with_value=True)
            grad_fn(*harness.fresh(args), **packed.kwargs)  # (the transform for P's structure: at the first call)
        except ad.UnsupportedSyntaxError as exc:
            if exc.construct != "in-place update of an alias" or not _updates_in_place(packed.source):
                raise AssertionError(f"adtransform refused a supported program: {type(exc).__name__}: {exc}"
                                     f"{context}") from exc
            # Known needless refusal: the alias analysis runs before containers are scalarized and
            # takes two entries of `P` updated in place for possibly one array (where the flat
            # program's numbers are checked at call time instead). Located, never wrong.
            event("refused: in-place update of an entry of P (known imprecision)")
            assert exc.location is not None and exc.location.line in harness.function_lines(packed.source, "g")
            return
        except ad.AdtransformError as exc:
            raise AssertionError(f"adtransform refused a supported program: {type(exc).__name__}: {exc}"
                                 f"{context}") from exc
        harness.check_gradients(packed, args, grad_fn, vg_fn, ref, context, rp.ATOL)


def _updates_in_place(source):
    g = source.split("def g(")[1].split("\ndef ")[0]
    return any(op in g for op in (" += ", " -= ", " *= ", " /= ", " **= "))
