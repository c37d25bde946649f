"""Random straight-line programs: adtransform's gradients against finite differences.

A hypothesis strategy writes small NumPy programs in the subset the README
documents as supported (assignments, augmented assignments, tuple unpacking,
nested expressions over operators, NumPy functions, ``math`` on scalars,
reductions, ``.T``, ``@``, indexing, broadcasting) as *source text*. Each
program is written to a real ``.py`` file and imported, because adtransform
reads the function's source with ``inspect.getsource``. The test then checks,
for every differentiated parameter, the gradient's shape and dtype and its
values against central finite differences, and that ``value_and_grad`` returns
the primal value.

Besides the operators and functions, programs use int/float literals on either
side, constant arrays (``np.ones``, ``np.linspace(..).reshape(..)``), module
globals (changed after ``grad`` to check they are read at call time), a closure
cell, a defaulted parameter (sometimes passed by keyword), chained, annotated
and unpacking assignments. The gradient function must not modify its arguments
nor return arrays that share memory with them or with module globals.

Soundness of the reference (so that a failure means a wrong gradient):

* divisors, ``log``/``sqrt``/fractional-power arguments are structurally
  positive (``1.0 + e * e``, ``np.exp(np.tanh(e))``, ``2.0 + np.sin(e)``, ...),
  ``exp`` only sees bounded or non-positive arguments;
* every program comes with a *probe* twin: the same statements with recording
  calls inserted, which measures, at the evaluation point, the distance to every
  kink (the two arguments of ``maximum``/``minimum``, the two sides of a
  ``where`` condition, the argument of ``abs``, the candidates of a
  ``max``/``min`` reduction) and the magnitude of every assigned value; the
  example is rejected (``assume``) when a kink is within ``KINK_MARGIN`` (exact
  ties are kept where the tie convention decides, see ``Recorder``) or a value
  is huge or non-finite;
* finite differences with two step sizes must agree, otherwise the example is
  rejected (a kink, or round-off dominating the difference quotient);
* ``x += e`` is NumPy's in-place update, which adtransform lowers to
  ``x = x + e`` (see canonicalize/aug_assign.py); the two only differ when
  another live name aliases ``x``'s buffer, so the generator tracks views
  (``y = x``, ``x.T``, ``x[0]``, ``x.reshape(...)``) and only emits an augmented
  assignment whose target buffer is not shared. Every call gets fresh copies of
  the arguments.

On failure the message contains the program's source, the arguments and the
generated gradient's source; hypothesis also prints the (shrunk) program.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import harness
import numpy as np
import pytest
from harness import KINK_MARGIN, Program
from hypothesis import assume, event, given, note
from hypothesis import strategies as st

import adtransform as ad

# --------------------------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------------------------

#: every shape an expression may have
SHAPES: tuple[tuple[int, ...], ...] = (
    (), (1,), (2,), (3,), (6,), (2, 1), (1, 2), (1, 3), (3, 1), (2, 2), (2, 3), (3, 2), (3, 3),
)

#: the parameters of one program draw their shapes from one of these families, so that
#: broadcasting pairs ((3,) with (2, 3), (2, 1) with (1, 3)) and matmul partners meet often
PARAM_FAMILIES: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((),),
    ((), (3,)),
    ((3,), (2, 3)),
    ((), (3,), (2, 3)),
    ((2, 1), (1, 3)),
    ((), (2, 1), (1, 3)),
    ((2, 3), (3,), (2,)),
    ((2, 3), (3, 2)),
    ((2, 2), (2,)),
)

CONST = "const"  # pseudo shape: a Python int/float literal
#: pseudo shapes: constant arrays built in the program (np.ones, np.linspace, np.arange, ...)
ARRAY_CONSTS = tuple(("const", s) for s in ((2,), (3,), (2, 1), (1, 3), (2, 2), (2, 3), (3, 2)))


def _is_const(s):
    return s == CONST or (isinstance(s, tuple) and len(s) == 2 and s[0] == "const")


def _shape_of(s):
    """The array shape of a shape or a constant's pseudo shape."""
    if s == CONST:
        return ()
    return s[1] if _is_const(s) else s


INT_CONSTS = (2, 3, -1, 1, 4)
CONST_EXPRS = ("(2 * 3)", "(1 / 4)", "(2 ** -1)", "math.sqrt(2.0)", "np.sin(1.0)", "math.pi", "np.pi", "(-(3))",
               "(7 // 2)", "(7 % 3)", "float(2)", "(3 - 1.5)", "np.exp(0.5)", "math.log(3.0)")
FLOAT_CONSTS = (0.5, 2.0, 1.5, -0.5, 3.0, 0.25, -2.0)

ATOL = 1e-6  # with harness.RTOL


def _bcast(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _apply_index(shape, index_src):
    """Shape of ``zeros(shape)[index]``, or None if that index does not apply."""
    if not shape:
        return None
    try:
        out = eval(f"_z[{index_src}]", {"_z": np.zeros(shape)})  # our own literal index strings
    except IndexError:
        return None
    out_shape = np.shape(out)
    return out_shape if out_shape in SHAPES else None


INDEX_SOURCES = ("0", "-1", "1:", ":2", "::2", ":, 0", ":, -1", ":, 1:", ":, :2", "0, 1", "-1, 0",
                 "None", ":, None", "0:1", "[0, 0, 1]", "[1, 0]", ":, [0, 0]", "..., 0", "::-1")
INDEX_TABLE = {s: [(i, _apply_index(s, i)) for i in INDEX_SOURCES if _apply_index(s, i) is not None]
               for s in SHAPES}


def _matmul_shape(s1, s2):
    if not s1 or not s2:
        return None
    try:
        out = np.zeros(s1) @ np.zeros(s2)
    except ValueError:
        return None
    return np.shape(out) if np.shape(out) in SHAPES else None


def _reduced(shape, axis, keepdims):
    """Shape after reducing ``shape`` over ``axis`` (an int or a tuple), or None."""
    if not shape:
        return None
    try:
        out = np.sum(np.zeros(shape), axis=axis, keepdims=keepdims)
    except (ValueError, np.exceptions.AxisError):
        return None
    return np.shape(out) if np.shape(out) in SHAPES else None


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


#: how often each kind of expression node is chosen (among those that can make the shape);
#: the order is the shrinking order, simplest first
KIND_WEIGHTS = {
    "unary": 8, "binary_scalar": 4, "binary": 7, "math": 5, "reduce": 3, "where": 2, "extremum": 1, "extremum_const": 1,
    "extremum_self": 1, "binary_array": 2, "matmul": 2, "matmul_const": 1, "index": 2, "transpose": 2, "reshape": 1,
    "scaledot": 1,
}
KIND_ORDER = tuple(KIND_WEIGHTS)

_ALL_SHAPES = (*SHAPES, *(_shape_of(c) for c in ARRAY_CONSTS))
BCAST = {(a, b): _bcast(a, b) for a in _ALL_SHAPES for b in _ALL_SHAPES}
MATMUL = {(a, b): _matmul_shape(a, b) for a in _ALL_SHAPES for b in _ALL_SHAPES}
REDUCE = {t: [(axis, keepdims, _reduced(t, axis, keepdims)) for axis in (0, 1, -1, (0, 1))
              for keepdims in (False, True) if _reduced(t, axis, keepdims) is not None] for t in SHAPES}


@functools.cache
def _productions(target, avail):
    """Ways to build an expression of shape ``target`` from sub-expressions whose shapes are in
    ``avail`` (plus literals). Grouped by kind; each production is a tuple of data for ``render``."""
    leafy = [*sorted(avail), CONST, *ARRAY_CONSTS]
    prods = {}

    def add(kind, *data):
        prods.setdefault(kind, []).append(data)

    if target in avail:
        add("unary", target)
        add("where", target)
        add("extremum_self", target)
        if target == ():
            add("math", target)
    for s1, s2 in itertools.product(leafy, leafy):
        if not (_is_const(s1) and _is_const(s2)) and BCAST[_shape_of(s1), _shape_of(s2)] == target:
            suffix = "_array" if CONST not in (s1, s2) and (_is_const(s1) or _is_const(s2)) else ""
            suffix = "_scalar" if CONST in (s1, s2) else suffix
            add("binary" + suffix, s1, s2)
            add("extremum" + ("_const" if suffix else ""), s1, s2)
    for t in sorted(avail):
        for axis, keepdims, out in REDUCE[t]:
            if out == target:
                add("reduce", t, axis, keepdims)
        if target == () and t != ():
            add("reduce", t, None, False)
        for index_src, out in INDEX_TABLE[t]:
            if out == target:
                add("index", t, index_src)
        if t and target and t != target and _size(t) == _size(target):
            add("reshape", t)
    if target and len(target) <= 2 and target[::-1] in avail:
        add("transpose", target[::-1])  # .T of a 1-D array is the array itself
    if target and target in avail:
        add("scaledot", CONST)
        if () in avail:
            add("scaledot", ())
    for s1, s2 in itertools.product([*sorted(avail), *ARRAY_CONSTS], repeat=2):
        if not (_is_const(s1) and _is_const(s2)) and MATMUL[_shape_of(s1), _shape_of(s2)] == target:
            add("matmul_const" if _is_const(s1) or _is_const(s2) else "matmul", s1, s2)
    return prods


@functools.cache
def _reachable(env_shapes, depth):
    """Shapes an expression of depth <= ``depth`` can have, given variables of ``env_shapes``."""
    if depth == 0:
        return frozenset(env_shapes)
    below = _reachable(env_shapes, depth - 1)
    return below | frozenset(s for s in SHAPES if _productions(s, below))


# --------------------------------------------------------------------------------------------
# program generator
# --------------------------------------------------------------------------------------------


@dataclass
class Expr:
    src: str  # always an atom (a name, a call, a literal or a parenthesized expression)
    shape: object  # a shape tuple, or CONST
    probes: list = field(default_factory=list)  # probe calls to run before the statement
    base: object = None  # the buffer it views (variables and views of them), None when fresh


class Gen:
    """Builds one program from hypothesis draws (index 0 of each choice is the simplest option,
    so hypothesis shrinks towards small programs)."""

    def __init__(self, draw):
        self.draw = draw
        self.env = {}  # variable name -> shape
        self.buf = {}  # variable name -> buffer id (names sharing an id alias each other)
        self.next_buf = 0
        self.scalar_names = []  # names of non-differentiated scalar constants visible to f
        self.globals = {}  # module-level constants: name -> source

    # -- choices ---------------------------------------------------------------------------
    def pick(self, seq):
        seq = list(seq)
        return seq[self.draw(st.integers(0, len(seq) - 1))]

    def pick_weighted(self, items):
        """One of ``(value, integer weight)`` pairs, with probability proportional to its weight."""
        i = self.draw(st.integers(0, sum(w for _, w in items) - 1))
        for value, weight in items:
            if i < weight:
                return value
            i -= weight
        raise AssertionError("unreachable")

    def maybe(self, percent):
        """True with about ``percent``% probability; shrinks to False."""
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def fresh_buf(self):
        self.next_buf += 1
        return self.next_buf

    # -- expressions -----------------------------------------------------------------------
    def env_shapes(self):
        return frozenset(self.env.values())

    def reach(self, depth):
        return _reachable(self.env_shapes(), depth)

    def some_shape(self, depth):
        """A shape for a statement's value: usually one a variable already has."""
        if self.maybe(65):
            return self.pick(sorted(self.env_shapes()))
        return self.pick(sorted(self.reach(depth)))

    def const(self, marker=CONST):
        if marker != CONST:
            shape = marker[1]
            n = _size(shape)
            dims = ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
            form = self.pick((f"np.ones(({dims}))", f"np.full(({dims}), 0.5)",
                              f"np.linspace(0.5, 2.0, {n}).reshape(({dims}))",
                              f"(np.arange({n}).reshape(({dims})) + 1)",
                              f"np.array({np.linspace(-1.5, 1.2, n).reshape(shape).round(2).tolist()})",
                              "GLOBAL"))
            if form == "GLOBAL":  # a module-level array, read at call time
                form = "A_" + "x".join(map(str, shape))
                self.globals[form] = f"np.linspace(-1.2, 1.3, {n}).reshape(({dims}))"
            return Expr(form, marker)
        if self.scalar_names and self.maybe(25):  # a default argument, a global or a closure cell
            return Expr(self.pick(self.scalar_names), CONST)
        if self.maybe(10):  # an expression of constants only (never zero)
            return Expr(self.pick(CONST_EXPRS), CONST)
        value = self.pick(FLOAT_CONSTS + INT_CONSTS) if self.maybe(50) else self.pick(FLOAT_CONSTS)
        src = repr(value)
        return Expr(f"({src})" if value < 0 else src, CONST)

    def leaf(self, shape):
        names = sorted(n for n, s in self.env.items() if s == shape)
        name = self.pick(names)
        return Expr(name, shape, [], self.buf[name])

    def expr(self, shape, depth):
        """A non-constant expression of exactly ``shape`` with nesting depth <= ``depth``."""
        if _is_const(shape):
            return self.const(shape)
        assert shape in self.reach(depth), (shape, depth, self.env)
        can_leaf = shape in self.env_shapes()
        if depth == 0 or (can_leaf and not self.maybe(70)):
            return self.leaf(shape)
        prods = _productions(shape, self.reach(depth - 1))
        kind = self.pick_weighted([(k, KIND_WEIGHTS[k]) for k in KIND_ORDER if k in prods])
        return self.render(kind, self.pick(prods[kind]), shape, depth - 1)

    def positive(self, shape, depth):
        """An expression of ``shape`` that is > 0.2 everywhere, with one level of wrapping."""
        e = self.expr(shape, depth)
        forms = (
            f"(1.0 + {e.src} * {e.src})",
            f"(1 + np.square({e.src}))",
            f"np.exp(np.tanh({e.src}))",
            f"(2.0 + np.sin({e.src}))",
            f"np.cosh({e.src})",
            f"(1.5 + np.cos({e.src}))",
            f"np.sqrt(1.0 + {e.src} ** 2)",
        )
        return Expr(self.pick(forms), shape, e.probes)

    def distinct(self, a, b):
        """``b``, shifted when it is the same expression as ``a`` (``maximum(x, x)`` is a tie everywhere)."""
        if a.src == b.src:
            return Expr(f"({b.src} + 0.5)", b.shape, b.probes)
        return b

    def sub(self, shape, depth):
        """A child expression (literal allowed where ``shape`` is CONST)."""
        return self.const(shape) if _is_const(shape) else self.expr(shape, depth)

    def render(self, kind, data, shape, depth):
        if kind == "unary":
            return self.unary(shape, depth)
        if kind == "math":
            return self.math_call(depth)
        if kind.startswith("binary"):
            return self.binary(*data, shape, depth)
        if kind == "extremum_self":
            # against a rearranged copy of itself: exact ties of the same function (all of
            # `e + 0.0`, the diagonal of `e.T`, the middle of `e[::-1]`), where the derivative is
            # e' whatever the tie convention, as long as the shares add up to one
            e = self.expr(shape, depth)
            twins = [f"({e.src} + 0.0)", f"(1.0 * {e.src})"]
            if len(shape) == 2 and shape[0] == shape[1]:
                twins.append(f"{e.src}.T")
            if len(shape) == 1 and shape[0] % 2:
                twins.append(f"{e.src}[::-1]")
            twin = self.pick(twins)
            fn = self.pick(("np.maximum", "np.minimum"))
            return Expr(f"{fn}({e.src}, {twin})", shape, [*e.probes, f"_rec.gap({fn!r}, {e.src}, {twin})"])
        if kind.startswith("extremum"):
            a, b = self.sub(data[0], depth), self.sub(data[1], depth)
            b = self.distinct(a, b)
            fn = self.pick(("np.maximum", "np.minimum"))
            return Expr(f"{fn}({a.src}, {b.src})", shape, [*a.probes, *b.probes, f"_rec.gap({fn!r}, {a.src}, {b.src})"])
        if kind == "where":
            return self.where(shape, depth)
        if kind == "reduce":
            return self.reduce(*data, depth)
        if kind == "index":
            t, index_src = data
            e = self.expr(t, depth)
            return Expr(f"{e.src}[{index_src}]", shape, e.probes, e.base)
        if kind == "reshape":
            e = self.expr(data[0], depth)
            dims = ", ".join(map(str, shape))
            free = ", ".join(["-1", *map(str, shape[1:])])  # the first dimension left to NumPy
            if len(shape) == 1 and self.maybe(50):
                src = self.pick((f"np.ravel({e.src})", f"{e.src}.ravel()", f"{e.src}.flatten()",
                                 f"np.reshape({e.src}, -1)", f"{e.src}.reshape(-1)"))
            else:
                src = self.pick((f"np.reshape({e.src}, ({dims},))", f"{e.src}.reshape(({dims},))",
                                 f"{e.src}.reshape({dims})", f"{e.src}.reshape({free})",
                                 f"np.reshape({e.src}, ({free},))"))
            return Expr(src, shape, e.probes, e.base)
        if kind == "transpose":
            e = self.expr(data[0], depth)
            forms = [f"{e.src}.T", f"np.transpose({e.src})", f"{e.src}.transpose()"]
            if len(shape) == 2:
                forms += [f"np.transpose({e.src}, (1, 0))", f"{e.src}.transpose(1, 0)",
                          f"np.transpose({e.src}, axes=(1, 0))"]
            src = self.pick(forms)
            return Expr(src, shape, e.probes, e.base)
        if kind.startswith("matmul"):
            a, b = self.sub(data[0], depth), self.sub(data[1], depth)
            src = self.pick((f"({a.src} @ {b.src})", f"np.dot({a.src}, {b.src})", f"np.matmul({a.src}, {b.src})",
                             f"{a.src}.dot({b.src})"))
            return Expr(src, shape, a.probes + b.probes)
        if kind == "scaledot":  # np.dot with a 0-d operand is a product
            a, b = self.sub(data[0], depth), self.expr(shape, depth)
            if self.maybe(50):
                a, b = b, a
            return Expr(f"np.dot({a.src}, {b.src})", shape, a.probes + b.probes)
        raise AssertionError(kind)

    def unary(self, shape, depth):
        form = self.pick(("neg", "sin", "cos", "tanh", "square", "pow_int", "exp", "log", "sqrt", "pow_frac",
                          "recip", "abs", "misc"))
        if form in ("log", "sqrt", "pow_frac", "recip"):
            p = self.positive(shape, depth)
            src = {
                "log": self.pick((f"np.log({p.src})", f"np.log2({p.src})", f"np.log10({p.src})")),
                "sqrt": self.pick((f"np.sqrt({p.src})", f"np.cbrt({p.src})")),
                "pow_frac": self.pick((f"({p.src} ** 0.5)", f"({p.src} ** 1.5)", f"({p.src} ** -1)",
                                       f"({p.src} ** -0.5)", f"np.power({p.src}, 2.5)", f"({p.src} ** -2)",
                                       f"({p.src} ** np.tanh({p.src}))", f"({p.src} ** 1)",
                                       f"np.power({p.src}, np.sin({p.src}))")),
                "recip": self.pick((f"np.reciprocal({p.src})", f"(1.0 / {p.src})", f"(2 / {p.src})")),
            }[form]
            return Expr(src, shape, p.probes)
        e = self.expr(shape, depth)
        probes = list(e.probes)
        if form == "neg":
            src = self.pick((f"(-{e.src})", f"np.negative({e.src})"))
        elif form in ("sin", "cos", "tanh", "square"):
            src = f"np.{form}({e.src})"
        elif form == "pow_int":
            src = self.pick((f"({e.src} ** 2)", f"({e.src} ** 3)", f"({e.src} ** 2.0)", f"np.power({e.src}, 2)",
                             f"(1.5 ** {e.src})"))
        elif form == "exp":
            src = self.pick((f"np.exp(np.tanh({e.src}))", f"np.exp(np.sin({e.src}))", f"np.exp(-({e.src} ** 2))",
                             f"np.expm1(np.cos({e.src}))"))
        elif form == "abs":
            src = f"np.abs({e.src})"
            probes.append(f"_rec.gap('np.abs', {e.src}, 0.0)")
        else:
            src = self.pick((f"np.arctan({e.src})", f"np.sinh({e.src})", f"np.log1p({e.src} * {e.src})",
                             f"np.arcsin(0.5 * np.sin({e.src}))", f"np.arccos(0.5 * np.tanh({e.src}))",
                             f"np.tan(np.tanh({e.src}))"))
        return Expr(src, shape, probes)

    def math_call(self, depth):
        e = self.expr((), depth)
        s = e.src
        forms = (f"math.sin({s})", f"math.cos({s})", f"math.tanh({s})", f"math.atan({s})",
                 f"math.exp(math.tanh({s}))", f"math.log(1.0 + {s} * {s})", f"math.sqrt(2.0 + math.sin({s}))",
                 f"math.pow(1.0 + {s} * {s}, 1.5)", f"math.log1p({s} ** 2)", f"math.sinh({s})",
                 f"math.erf({s})", f"math.hypot({s}, 2.0)", f"math.exp(-{s} * {s})",
                 f"math.log(2.0 + math.cos({s}), 3.0)", "TWO")
        form = self.pick(forms)
        if form != "TWO":
            return Expr(form, (), e.probes)
        t = self.expr((), depth)  # a second scalar operand
        form = self.pick((f"math.hypot({s}, {t.src})", f"math.atan2({s}, 2.0 + math.cos({t.src}))",
                          f"math.pow(1.0 + {s} * {s}, math.tanh({t.src}))",
                          f"math.log(2.0 + math.sin({s}), 2.0 + math.cos({t.src}))"))
        return Expr(form, (), e.probes + t.probes)

    def binary(self, s1, s2, shape, depth):
        a = self.sub(s1, depth)
        op = self.pick(("+", "-", "*", "/"))
        if op == "/":
            b = self.const(s2) if _is_const(s2) else self.positive(s2, depth)
        else:
            b = self.sub(s2, depth)
        return Expr(f"({a.src} {op} {b.src})", shape, a.probes + b.probes)

    def where(self, shape, depth):
        avail = self.reach(depth)
        into = [s for s in sorted(avail) if _bcast(s, shape) == shape]
        into_c = into + [c for c in (CONST, *ARRAY_CONSTS) if _bcast(_shape_of(c), shape) == shape]
        # one of the four operands has the full shape, the others broadcast against it
        full = self.pick(("x", "y", "ca", "cb"))
        x = self.expr(shape if full == "x" else self.pick(into), depth)
        y = self.sub(shape if full == "y" else self.pick(into_c), depth)
        ca = self.expr(shape if full == "ca" else self.pick(into), depth)
        cb = self.distinct(ca, self.sub(shape if full == "cb" else self.pick(into_c), depth))
        cmp = self.pick((">", "<", ">="))
        if self.maybe(50):
            x, y = y, x
        probes = [*ca.probes, *cb.probes, *x.probes, *y.probes, f"_rec.gap('np.where', {ca.src}, {cb.src})"]
        return Expr(f"np.where({ca.src} {cmp} {cb.src}, {x.src}, {y.src})", shape, probes)

    def reduce(self, t, axis, keepdims, depth):
        e = self.expr(t, depth)
        out = () if axis is None else _reduced(t, axis, keepdims)
        fn = self.pick(("sum", "mean", "max", "min"))
        args = "" if axis is None else f", axis={axis!r}"
        if keepdims:
            args += ", keepdims=True"
        elif axis is not None and self.maybe(30):
            args = f", {axis!r}"  # positional axis
        if self.maybe(40):
            src = f"{e.src}.{fn}({args[2:]})"
        else:
            src = f"np.{fn}({e.src}{args})"
        probes = list(e.probes)
        if fn in ("max", "min"):
            probes.append(f"_rec.top2({e.src}, {axis!r}, {fn == 'max'})")
        return Expr(src, out, probes)

    # -- statements ------------------------------------------------------------------------
    def statement(self, new_names):
        """One statement; returns (source line, probe lines, assigned names)."""
        kind = self.pick(("assign", "update", "augassign", "tuple", "unpack", "chained", "annotated"))
        names = sorted(self.env)
        if kind == "augassign":
            ok = [n for n in names if sum(b == self.buf[n] for b in self.buf.values()) == 1]
            if ok:
                target = self.pick(ok)
                tshape = self.env[target]
                depth = self.pick((1, 2, 3))
                op = self.pick(("+=", "-=", "*=", "/="))
                if op == "/=":  # the positive wrapper is one more level
                    depth -= 1
                into = [s for s in sorted(self.reach(depth)) if _bcast(s, tshape) == tshape]
                e = self.positive(self.pick(into), depth) if op == "/=" else self.expr(self.pick(into), depth)
                return f"{target} {op} {e.src}", e.probes, [target]
            kind = "assign"
        if kind == "update":
            target = self.pick(names)
            shape = self.env[target]
            form = self.pick(("tanh", "op_expr", "sin", "square", "scale"))
            if form == "op_expr":
                depth = self.pick((1, 2))
                partner = [s for s in sorted(self.reach(depth)) if _bcast(s, shape) in SHAPES]
                e = self.expr(self.pick(partner), depth)
                op = self.pick(("+", "-", "*"))
                self.bind(target, Expr("", _bcast(shape, e.shape)))
                return f"{target} = {target} {op} {e.src}", e.probes, [target]
            src = {"tanh": f"np.tanh({target})", "sin": f"np.sin({target})", "square": f"np.square({target})",
                   "scale": f"0.5 * {target}"}[form]
            self.bind(target, Expr("", shape))
            return f"{target} = {src}", [], [target]
        if kind == "tuple":
            t1 = self.pick(names + new_names[:1])
            t2 = self.pick([n for n in names + new_names[1:2] if n != t1])
            if self.maybe(50) and t2 in self.env:  # the classic swap: a, b = b, a * c
                e1 = Expr(t2, self.env[t2], [], self.buf[t2])
                depth = self.pick((1, 2))
                e2 = self.expr(self.some_shape(depth), depth)
            else:
                d1, d2 = self.pick((0, 1, 2, 3)), self.pick((0, 1, 2, 3))
                e1 = self.expr(self.some_shape(d1), d1)
                e2 = self.expr(self.some_shape(d2), d2)
            self.bind(t1, e1, later=[(t2, e2)])
            return f"{t1}, {t2} = {e1.src}, {e2.src}", e1.probes + e2.probes, [t1, t2]
        if kind == "unpack":  # a, b = e: iterate over the first axis of an array
            depth = self.pick((0, 1, 2))
            splittable = [s for s in sorted(self.reach(depth)) if s and s[0] in (2, 3)]
            if splittable:
                shape = self.pick(splittable)
                e = self.expr(shape, depth)
                targets = [self.pick(names + new_names[:1])]
                rest = [n for n in names + new_names if n not in targets]
                while len(targets) < shape[0]:
                    targets.append(rest.pop(self.draw(st.integers(0, len(rest) - 1))))
                bufs = [e.base if e.base is not None else self.fresh_buf() for _ in targets]
                for t, b in zip(targets, bufs):
                    self.env[t] = shape[1:]
                    self.buf[t] = b
                return f"{', '.join(targets)} = {e.src}", e.probes, targets
        # plain assignment, to a new name or (reassignment) an old one; maybe chained or annotated
        target = self.pick(new_names[:1] + names) if new_names else self.pick(names)
        depth = self.pick((1, 2, 3))
        e = self.expr(self.some_shape(depth), depth)
        if kind == "chained":
            other = self.pick([n for n in names + new_names if n != target])
            self.bind(target, e)
            self.env[other], self.buf[other] = self.env[target], self.buf[target]  # the same object
            return f"{target} = {other} = {e.src}", e.probes, [target, other]
        self.bind(target, e)
        if kind == "annotated":
            return f"{target}: {'float' if e.shape == () else 'np.ndarray'} = {e.src}", e.probes, [target]
        return f"{target} = {e.src}", e.probes, [target]

    def bind(self, target, e, later=()):
        values = [(target, e), *later]
        bufs = [(n, v.base if v.base is not None else self.fresh_buf(), v.shape) for n, v in values]
        for n, b, s in bufs:
            self.env[n] = s
            self.buf[n] = b

    def program(self):
        n_params = self.pick((1, 2, 3))
        family = self.pick(PARAM_FAMILIES)
        params = ["x", "y", "z"][:n_params]
        shapes = [self.pick(family) for _ in params]
        for p, s in zip(params, shapes):
            self.env[p] = s
            self.buf[p] = self.fresh_buf()
        pool = ["h", "u", "v", "a", "b", "c", "t", "s", "w", "q", "r", "k"]
        default = self.maybe(20)  # a trailing parameter with a default, never differentiated
        closure = self.maybe(15)  # f is defined inside a factory and reads a closure cell
        if default:
            self.scalar_names.append("scale")
        if closure:
            self.scalar_names.append("gain")
        if self.maybe(20):
            self.scalar_names.append("OFFSET")
            self.globals["OFFSET"] = "0.3"
        n_stmts = self.draw(st.integers(2, 10))
        body, probe_body = [], []
        last = []
        for _ in range(n_stmts):
            new_names = [n for n in pool if n not in self.env][:2]
            line, probes, targets = self.statement(new_names)
            body.append(line)
            probe_body.extend(probes)
            probe_body.append(line)
            probe_body.extend(f"_rec.val({t})" for t in targets)
            last = targets
        # the return: a scalar summary of the last assigned variable, maybe plus another term
        target = last[0]
        tshape = self.env[target]
        if tshape == ():
            ret = self.pick((target, f"math.tanh({target})", f"np.sum({target})", f"(2.0 * {target})"))
        else:
            ret = self.pick((f"np.sum({target})", f"np.mean({target})", f"{target}.sum()",
                             f"np.sum({target} * {target})", f"np.mean(np.sin({target}))"))
        ret_probes = []
        if self.maybe(50):
            depth = self.pick((1, 2))
            extra = self.expr((), depth)
            ret = f"{ret} {self.pick(('+', '-', '*'))} {extra.src}"
            ret_probes = extra.probes
        body.append(f"return {ret}")
        probe_body.extend(ret_probes)
        probe_body.append(f"_rec.val({ret})")
        sig = ", ".join(params)
        tail = ", scale=0.75" if default else ""
        functions = (
            f"def f({sig}{tail}):\n" + "".join(f"    {line}\n" for line in body)
            + f"\n\ndef probe({sig}, _rec{tail}):\n" + "".join(f"    {line}\n" for line in probe_body)
        )
        if closure:
            inner = "".join(f"    {line}\n" if line else "\n" for line in functions.splitlines())
            functions = (f"def make():\n    gain = 1.25\n\n{inner}\n    return f, probe\n\n\n"
                         "f, probe = make()\n")
        source = "import math\n\nimport numpy as np\n\n"
        source += "".join(f"{name} = {value}\n" for name, value in sorted(self.globals.items()))
        source += "\n\n" + functions
        # which parameters to differentiate, and how to spell it
        chosen = [p for p in params if self.maybe(60)] or [self.pick(params)]
        if len(chosen) > 1 and self.maybe(30):
            chosen = chosen[::-1]
        spelling = self.pick(("name", "index"))
        items = tuple(p if spelling == "name" else params.index(p) for p in chosen)
        wrt = items[0] if len(items) == 1 and self.maybe(50) else items
        kwargs = {"scale": 0.6} if default and self.maybe(50) else {}  # passed by keyword
        return Program(source, tuple(params), tuple(shapes), wrt, kwargs)


@st.composite
def programs(draw):
    return Gen(draw).program()


# --------------------------------------------------------------------------------------------
# running a program
# --------------------------------------------------------------------------------------------


class Recorder(harness.Recorder):
    """What the probe twin measures at the evaluation point.

    A kink argument pair that is *exactly* tied (up to rounding) is allowed for ``maximum``,
    ``minimum``, ``abs`` and ``max``/``min`` reductions: at the points drawn here that happens when
    both sides are the same function near the point (``maximum(x, x[None])``, two clamps at the
    same constant, broadcast copies in a ``max`` reduction), where either side has the same
    derivative and the gradient must follow the tie convention correctly. Not for ``where``: its
    branches differ, and rounding picks one. A pair that is close but not tied is a kink the finite
    differences might straddle: the example is rejected.
    """

    def __init__(self):
        super().__init__()
        self.ties = set()  # kinds of kinks seen exactly tied

    def _classify(self, kind, diff, scale, self_ties=0):
        diff = np.abs(diff)
        tied = diff <= 1e-12 * (1.0 + scale)
        if np.count_nonzero(tied) > self_ties:
            if kind == "np.where":
                # `v > np.mean(v)` with v constant along the axis: the same function on both sides,
                # but rounding decides the branch, differently at the FD points
                self.near_kink = True
            self.ties.add(kind)
        if np.any(~tied & (diff < KINK_MARGIN)):
            self.near_kink = True

    def gap(self, kind, a, b):
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        self._classify(kind, a - b, np.maximum(np.abs(a), np.abs(b)))

    def top2(self, e, axis, is_max):
        """Distances from the extremum a ``max``/``min`` reduction over ``axis`` picks to every
        other candidate."""
        arr = np.asarray(e, dtype=np.float64)
        if axis is None or isinstance(axis, tuple):  # (0, 1) reduces a 2-D array completely
            arr, axis = arr.reshape(-1), 0
        if arr.ndim == 0:
            return
        best = (np.max if is_max else np.min)(arr, axis=axis, keepdims=True)
        # the extremum ties with itself
        self._classify("max/min reduction", best - arr, np.abs(arr), self_ties=best.size)


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("random_programs")


@harness.property_settings()
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_program_gradients(program, seed, module_dir):
    args = harness.random_args(program, seed)
    with harness.loaded(program.source, module_dir, "random_program") as (_, module):
        _check(program, args, module)


def _reference(program, args, module):
    rec = Recorder()
    ref = harness.reference(program, args, module, rec, ATOL)
    if not isinstance(ref, str):
        for kind in sorted(rec.ties):
            event(f"exact tie at a kink of {kind}")
    return ref


def _check(program, args, module):
    context = harness.describe(program, args)
    note(context)
    ref = _reference(program, args, module)
    if isinstance(ref, str):
        event(f"rejected: {ref}")
    assume(not isinstance(ref, str))

    try:
        grad_fn = ad.grad(module.f, wrt=program.wrt)
        vg_fn = ad.value_and_grad(module.f, wrt=program.wrt)
    except ad.AdtransformError as exc:  # the README says all of this is supported
        raise AssertionError(f"adtransform refused a supported program: {type(exc).__name__}: {exc}{context}") from exc
    except Exception as exc:
        raise AssertionError(f"adtransform crashed: {type(exc).__name__}: {exc}{context}") from exc
    _compare(program, args, module, grad_fn, vg_fn, ref, context)

    # globals are read at call time: change them and check the same gradient function again
    changed = [n for n in vars(module) if n == "OFFSET" or n.startswith("A_")]
    if changed:
        for name in changed:
            setattr(module, name, 0.1 - 0.7 * getattr(module, name))
        ref = _reference(program, args, module)
        if not isinstance(ref, str):
            event("checked again after changing globals")
            _compare(program, args, module, grad_fn, vg_fn, ref,
                     f"{context}\n--- after setting {', '.join(f'{n} = 0.1 - 0.7 * {n}' for n in changed)} ---")


def _compare(program, args, module, grad_fn, vg_fn, ref, context):
    arrays = [(n, v) for n, v in vars(module).items() if isinstance(v, np.ndarray)]  # module globals
    harness.check_gradients(program, args, grad_fn, vg_fn, ref, context, ATOL, others=arrays)
