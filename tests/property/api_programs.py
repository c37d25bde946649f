"""The generator of ``test_random_api.py``: random programs that attack adtransform's API surface.

A program is a short straight-line function (a loop of two trips now and then) whose statements
call what the rule registry knows (every registered primitive, read from the registry, so a new
rule is covered as soon as it is registered) and common NumPy calls it does not know, with their
keyword arguments drawn by name (``axis`` negative or a tuple, ``keepdims``, ``order``, ``out``,
``where``, ``initial``, ``dtype``, ``ddof``, ...), on arguments of random shapes (size-1 and
empty axes, broadcasting pairs), views, index reads and writes with negative and repeated
indices, ``out=`` buffers (reused in loops), in-place methods (``sort``, ``fill``, ``np.add.at``,
...), Python floats, NumPy scalars, 0-d arrays, float32 arrays and function-valued globals.

The generator runs every candidate statement with NumPy on the example's own arguments and keeps
it only when it runs without a warning and leaves every float value finite and moderate, so a
program is valid by construction whatever a primitive's signature is; a call the generator does
not know how to spell is simply never kept. The readout (``np.sum(np.sin(v))`` and the like over
a few live values) makes the result a scalar.

``KNOWN_BUGS`` switches off, class by class, the features (generator gates) that reach a known
bug, so the derandomized CI run passes while the bug is open; remove an entry when its fix is in.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import math
import operator
import re
import types
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from hypothesis import strategies as st

import adtransform  # noqa: F401  (registers the rules)
from adtransform.rules import registry as _registry_module

# --------------------------------------------------------------------------------------------
# known bugs: class -> the generator gates it switches off (see tests/property/FINDINGS.md for each class)
# --------------------------------------------------------------------------------------------

KNOWN_BUGS: dict[str, tuple[str, ...]] = {
}


def gate_on(gate: str) -> bool:
    return not any(gate in gates for gates in KNOWN_BUGS.values())


# NumPy calls that join arrays through concatenate (or build the 3-d matrices it breaks on), refused while an
# np.matrix is about: a NumPy heap corruption, not an adtransform bug (see ``Gen.joins_a_matrix``).
_JOINING = re.compile(r"\b(concatenate|[hvd]?stack|column_stack|row_stack|unstack|block|append|insert|atleast_[123]d"
                      r"|expand_dims|diff|resize|split|array_split|cov|histogram|interp|piecewise|union1d"
                      r"|intersect1d|setxor1d)\b")


def _holds_matrix(value) -> bool:
    if isinstance(value, np.matrix):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_matrix(v) for v in value)


# --------------------------------------------------------------------------------------------
# the primitives: what the registry knows, and common NumPy calls it does not know
# --------------------------------------------------------------------------------------------

INFIX = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/", operator.pow: "**",
         operator.matmul: "@", operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
         operator.eq: "==", operator.ne: "!=", operator.floordiv: "//", operator.mod: "%"}
PREFIX = {operator.neg: "-", operator.pos: "+"}
# np.empty/np.empty_like give uninitialized memory (the program would not be a function of its arguments);
# adtransform's own helpers and stop_gradient change the mathematics on purpose.
UNINITIALIZED = {np.empty, np.empty_like}
SKIPPED = UNINITIALIZED | {operator.getitem, operator.and_, operator.or_, operator.xor, operator.invert,
                           operator.lshift, operator.rshift, operator.is_, operator.is_not, operator.not_}
# (indexing and masks have statements of their own)

UNREGISTERED_NAMES = [
    "np.cumsum", "np.cumprod", "np.prod", "np.var", "np.std", "np.sort", "np.flip", "np.roll", "np.diff",
    "np.clip", "np.tile", "np.repeat", "np.squeeze", "np.expand_dims", "np.swapaxes", "np.moveaxis",
    "np.atleast_2d", "np.broadcast_to", "np.sinc", "np.logaddexp", "np.fmod", "np.mod", "np.heaviside",
    "np.nan_to_num", "np.real", "np.conj", "np.ptp", "np.median", "np.average", "np.trace", "np.diag",
    "np.diagonal", "np.linalg.norm", "np.kron", "np.inner", "np.vdot", "np.tensordot", "np.full_like",
    "np.array", "np.asarray", "np.ascontiguousarray", "np.copysign", "np.deg2rad", "np.sign", "np.fabs",
    "np.negative", "np.float_power", "np.logaddexp2", "np.rad2deg", "np.take", "np.einsum", "np.concatenate",
    "np.stack", "np.nansum", "np.amax", "np.cross", "np.polyval", "np.interp", "np.append", "np.triu",
    "np.rot90", "np.fliplr", "np.cosh", "np.sort_complex", "np.ravel_multi_index",
    ".cumsum", ".prod", ".var", ".std", ".clip", ".squeeze", ".swapaxes", ".take", ".repeat", ".conj",
    ".view", ".astype", ".item", ".tolist", ".trace", ".diagonal", ".round", ".ptp", ".all", ".any",
    ".argsort", ".nonzero", ".compress", ".choose",
    "np.add.reduce", "np.maximum.accumulate", "np.multiply.outer", "np.add.accumulate", "np.minimum.reduce",
]


def _resolve(spelling):
    if spelling.startswith("."):
        return getattr(np.ndarray, spelling[1:], None)
    obj = {"np": np, "math": math}[spelling.split(".")[0]]
    for part in spelling.split(".")[1:]:
        obj = getattr(obj, part, None)
    return obj


def _spelling(p):
    """How a program calls ``p``: "np.exp", "math.sin", "float", ".sum" (a method), "T" (an attribute)."""
    if p in INFIX or p in PREFIX:
        return "op"
    kind = type(p).__name__
    if kind == "getset_descriptor" and getattr(p, "__objclass__", None) is np.ndarray:
        return "attr." + p.__name__
    if kind == "method_descriptor" and getattr(p, "__objclass__", None) is np.ndarray:
        return "." + p.__name__
    name = getattr(p, "__name__", None)
    for module, prefix in ((np, "np."), (math, "math."), (builtins, "")):
        if name and getattr(module, name, None) is p:
            return prefix + name
    for module, prefix in ((np, "np."), (math, "math.")):
        for other in dir(module):
            if getattr(module, other, None) is p:
                return prefix + other
    return None


def registered_primitives():
    """Every primitive the registry has a fact about (an adjoint rule or non-differentiability)."""
    reg = _registry_module._registry
    seen = []
    for table in ("adjoints", "nondifferentiable", "facts", "primitives"):
        for p in getattr(reg, table, ()) or ():
            if p not in seen:
                seen.append(p)
    return seen


def _signature(p, spelling):
    """The parameters NumPy documents for ``p`` (a method: the function's, without its array)."""
    if spelling.startswith("."):
        twin = getattr(np, spelling[1:], None)
        candidates = [twin, p] if twin is not None else [p]
    else:
        candidates = [p]
    for c in candidates:
        try:
            params = list(inspect.signature(c).parameters.values())
        except (TypeError, ValueError):
            continue
        if spelling.startswith(".") and params:
            params = params[1:]
        return [q for q in params if q.name not in ("self", "like", "device", "subok", "casting", "signature",
                                                    "extobj", "args", "kwargs")]
    if isinstance(p, np.ufunc):
        return [inspect.Parameter(f"x{i + 1}", inspect.Parameter.POSITIONAL_ONLY) for i in range(p.nin)]
    return None


@dataclass(frozen=True)
class Primitive:
    spelling: str
    obj: object
    registered: bool
    params: tuple  # inspect.Parameter, or None for operators/attributes

    @property
    def is_ufunc(self):
        return isinstance(self.obj, np.ufunc)


def _catalogue():
    prims = []
    own = ("adtransform.",)
    for p in registered_primitives():
        if p in SKIPPED or (getattr(p, "__module__", "") and str(getattr(p, "__module__", "")).startswith(own)):
            continue
        spelling = _spelling(p)
        if spelling is None:
            continue
        params = None if spelling == "op" or spelling.startswith("attr.") else _signature(p, spelling)
        if params is None and spelling != "op" and not spelling.startswith("attr."):
            continue
        prims.append(Primitive(spelling, p, True, tuple(params or ())))
    known = {id(q.obj) for q in prims}
    for spelling in UNREGISTERED_NAMES:
        p = _resolve(spelling)
        if p is None or id(p) in known:
            continue
        params = _signature(p, spelling) or ()
        known.add(id(p))
        prims.append(Primitive(spelling, p, False, tuple(params)))
    return prims


# sorted: the registry keeps some facts in sets, whose order changes from run to run (ids), and the
# derandomized CI examples must be the same every run
PRIMITIVES = sorted(_catalogue(), key=lambda p: (not p.registered, p.spelling, repr(p.obj)))
UFUNCS_1 = [p for p in PRIMITIVES if p.is_ufunc and p.obj.nin == 1 and p.obj.nout == 1]

# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------

SHAPES = [(), (1,), (3,), (4,), (0,), (2, 3), (3, 1), (1, 3), (2, 1), (1, 1), (2, 0), (3, 3), (2, 1, 3)]
ARG_KINDS = ["array", "array", "array", "float", "f64", "0d", "f32array", "f32"]
MAX_ABS = 1e3


def is_float(v):
    return (isinstance(v, (float, np.floating))
            or (isinstance(v, np.ndarray) and v.dtype.kind == "f"))


def is_int_array(v):
    return isinstance(v, np.ndarray) and v.dtype.kind in "iu"


def arg_source(value):
    """Python source that rebuilds an argument exactly (in failure messages)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, np.floating):
        return f"np.{value.dtype.name}({float(value)!r})"
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, np.ma.MaskedArray):
        return f"np.ma.masked_array({arg_source(value.data)}, mask={arg_source(np.ma.getmaskarray(value))})"
    if isinstance(value, np.matrix):
        return f"np.matrix({arg_source(np.asarray(value))})"
    body = np.array2string(value, precision=17, separator=", ", threshold=10**6)
    shape = "" if value.size else f".reshape({value.shape})"
    return f"np.array({body}, dtype=np.{value.dtype.name}){shape}"


def make_arg(kind, shape, rng, special=False):
    """An argument of ``kind``; ``special``: exact zeros and ties among its values (where the limits matter)."""
    def vals(s):
        v = rng.uniform(-1.5, 1.5, size=s)
        if special and np.size(v):
            flat = np.reshape(v, -1)
            flat[rng.integers(0, flat.size)] = 0.0 if rng.uniform() < 0.6 else flat[0]
            v = np.reshape(flat, np.shape(v)) if np.ndim(v) else flat[0]
        return v
    if kind == "float":
        return float(vals(()))
    if kind == "f64":
        return np.float64(vals(()))
    if kind == "f32":
        return np.float32(vals(()))
    if kind == "0d":
        return np.array(vals(()))
    if kind == "f32array":
        return vals(shape).astype(np.float32)
    if kind == "matrix":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.matrix(vals(shape if len(shape) == 2 else (2, 2)))
    if kind == "masked":
        data = vals(shape)
        return np.ma.masked_array(data, mask=np.reshape(np.arange(data.size) % 2 == 0, data.shape))
    return vals(shape)


@dataclass
class ApiProgram:
    source: str
    params: tuple
    args: tuple
    wrt: object  # a name, or a tuple of names
    tags: frozenset = frozenset()
    rebind: tuple = ()  # (global name, another function's spelling) to set after `grad`
    nonwrt_ints: tuple = ()

    def wrt_names(self):
        return list(self.wrt) if isinstance(self.wrt, tuple) else [self.wrt]

    def __repr__(self):
        args = "\n".join(f"{p} = {arg_source(a)}" for p, a in zip(self.params, self.args))
        return f"ApiProgram(wrt={self.wrt!r}, tags={sorted(self.tags)}, rebind={self.rebind!r})\n{args}\n{self.source}"


class Rejected(Exception):
    pass


def _finite_moderate(v):
    if is_float(v) and np.asarray(v).dtype == np.float16:  # np.cos(True): too coarse for finite differences
        return False
    if is_float(v):
        a = np.asarray(v, dtype=np.float64)
        return bool(np.all(np.isfinite(a))) and (a.size == 0 or float(np.max(np.abs(a))) < MAX_ABS)
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "biu"
    return not isinstance(v, (complex, np.complexfloating))


@contextlib.contextmanager
def quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="ignore"):
            yield


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------


def _float_to_float(ufunc):
    """Whether ``ufunc`` maps float64 to float64 (a rebound global stays a function of floats)."""
    with quiet_numpy():
        try:
            return np.asarray(ufunc(np.array([0.5]))).dtype == np.float64
        except Exception:
            return False


def _alias_key(form):
    """``np.einsum``, ``.conj``, ... for an alias-making form of ``Gen.ALIASES``."""
    return form.split("(")[0].replace("{y}", "")


def _fancy(idx):
    """(whether an index holds an index array or list, whether it also indexes other axes)."""
    import ast
    node = ast.parse(f"y[{idx}]", mode="eval").body.slice
    parts = node.elts if isinstance(node, ast.Tuple) else [node]
    fancy = any(isinstance(p, (ast.List, ast.Call, ast.Name)) for p in parts)
    return fancy, fancy and len(parts) > 1


def _repeats(idx, n):
    """Whether an index's literal integers name a position twice on an axis of length ``n``
    (``[0, 0]``, ``np.array([1, -1, 1])``, ``[-1, 2]`` when n is 3)."""
    import re
    ints = [int(t) for t in re.findall(r"-?\d+", idx)]
    return len(ints) != len({i % n if n else i for i in ints})


# weights that differ by position, so a gradient in the wrong order (C for F, transposed) shows
POSITIONAL_READOUT = "np.sum(np.sin({a}) * np.arange(1.0, np.size({a}) + 1.0).reshape(np.shape({a})))"


class Gen:
    def __init__(self, draw):
        # one number from hypothesis, every choice from it: uniform over the (long) catalogue, where
        # hypothesis' own draws favour the first items
        self.rng = np.random.default_rng(draw(st.integers(0, 2**63 - 1)))
        self.lines: list[str] = []  # the body of f (without the return)
        self.globals: dict[str, str] = {}  # global name -> spelling
        self.params: list[str] = []
        self.args: list = []
        self.ns: dict = {}
        self.count = 0
        self.tags: set[str] = set()
        self.changed: list[str] = []  # names updated in place (read out preferably)
        self.unknown_call = False  # drawing the arguments of a call the registry does not know

    # -- helpers ---------------------------------------------------------------------------
    def pick(self, items):
        items = list(items)
        return items[int(self.rng.integers(len(items)))]

    def chance(self, p):
        return bool(self.rng.random() < p)

    def integer(self, lo, hi):
        return int(self.rng.integers(lo, hi + 1))

    SHADOWED: ClassVar[list] = ["len", "min", "max", "range", "slice", "reversed", "list", "sum", "zip",
                                "enumerate", "tuple", "float", "abs", "int"]

    def fresh(self, prefix="v"):
        self.count += 1
        if prefix == "v" and gate_on("shadow-builtins") and self.chance(0.04):
            name = self.pick(self.SHADOWED)
            if name not in self.ns or name in self.user_values():
                self.tags.add("shadow-builtins")
                return name
        return f"{prefix}{self.count}"

    def base_ns(self):
        ns = {"np": np, "math": math}
        for g, spelling in self.globals.items():
            ns[g] = eval(spelling, {"np": np, "math": math, "types": types})
        for p, a in zip(self.params, self.args):
            ns[p] = a.copy() if isinstance(a, np.ndarray) else a
        return ns

    def run(self, lines):
        ns = self.base_ns()
        with quiet_numpy():
            exec(compile("\n".join(lines) or "pass", "<gen>", "exec"), ns)
        return ns

    def user_values(self, ns=None):
        ns = self.ns if ns is None else ns
        return {k: v for k, v in ns.items() if k not in ("np", "math", "__builtins__") and k not in self.globals
                and not k.startswith("_")}

    def try_commit(self, new_lines, tags=()):
        """Run ``new_lines`` after the program so far; keep them when NumPy runs them cleanly."""
        if self.joins_a_matrix(new_lines):
            return False
        try:
            with quiet_numpy():
                exec(compile("\n".join(new_lines), "<gen>", "exec"), self.ns)
            ok = all(_finite_moderate(v) for v in self.user_values().values())
        except Exception:
            ok = False
        if not ok:
            self.ns = self.run(self.lines)
            return False
        self.lines.extend(new_lines)
        self.tags.update(tags)
        return True

    def joins_a_matrix(self, new_lines):
        """Whether ``new_lines`` would call a joining function while an ``np.matrix`` is about (NumPy bug, below).

        NumPy's concatenate corrupts the heap when its inputs are ``np.matrix`` objects of 3 or more dimensions
        (made by indexing with ``np.newaxis``, as ``np.atleast_3d`` does) joined on an axis >= 2: the result is
        allocated as a matrix, whose ``__array_finalize__`` squeezes it to 2-d, and concatenate then writes its
        shape and data past the end of that 2-d array (``np.dstack(m)`` of a 2-d matrix ``m`` returns garbage;
        repeated, the interpreter aborts or crashes later in an unrelated place). Not run at all, not merely
        rejected afterwards: running it once is enough to corrupt the generator's process.
        """
        text = "\n".join(new_lines)
        if not _JOINING.search(text):
            return False
        return "matrix" in text or any(_holds_matrix(v) for v in self.user_values().values())

    def floats(self, scalar_only=False, arrays_only=False):
        out = []
        for k, v in self.user_values().items():
            if not is_float(v):
                continue
            if scalar_only and np.ndim(v) != 0:
                continue
            if arrays_only and not isinstance(v, np.ndarray):
                continue
            out.append(k)
        return out

    def value(self, name):
        return self.ns[name]

    def operand(self, scalar_only=False, literal=0.15):
        """A float operand: a live value (sometimes wrapped to stay in a domain) or a literal."""
        names = self.floats(scalar_only=scalar_only)
        if not names or self.chance(literal):
            literals = ["0.5", "1.5", "-0.75", "2.0", "np.float64(0.3)", "np.float32(1.25)", "3"]
            if self.unknown_call and not gate_on("numpy-scalar-into-unknown-call"):
                literals = [t for t in literals if not t.startswith("np.")]
            return self.pick(literals)
        return self.pick(names)

    # -- parameters --------------------------------------------------------------------------
    def make_params(self, rng):
        n = self.integer(1, 3)
        wrt = []
        for i in range(n):
            kind = self.pick(ARG_KINDS if gate_on("float32") else [k for k in ARG_KINDS if "32" not in k])
            shape = self.pick(SHAPES) if "array" in kind else ()
            name = "xyzw"[i]
            if self.chance(0.05) and gate_on("subclass-args"):
                kind = self.pick(["matrix", "masked"])
                shape = self.pick([(2, 3), (2, 2), (3,)]) if kind == "masked" else self.pick([(2, 3), (2, 2)])
            special = self.chance(0.15) and gate_on("special-values")
            self.params.append(name)
            self.args.append(make_arg(kind, shape, rng, special))
            if special:
                self.tags.add("arg:special-values")
            self.tags.add(f"arg:{kind}")
            wrt.append(name)
        if self.chance(0.4):  # a non-wrt array argument
            self.params.append("c")
            self.args.append(make_arg("array", self.pick(SHAPES[1:]), rng))
            self.tags.add("arg:nonwrt")
        if self.chance(0.2) and gate_on("int-param"):
            self.params.append("k")
            self.args.append(int(self.pick([-1, 0, 1, -2])))
            self.tags.add("arg:int")
        k = self.integer(1, len(wrt))
        chosen = wrt[:k] if self.chance(0.5) else wrt[len(wrt) - k:]
        if len(chosen) == 1 and self.chance(0.5):
            return chosen[0]
        return tuple(chosen)

    # -- statements ----------------------------------------------------------------------------
    STATEMENTS: ClassVar[list] = [("complex", 1), ("call", 10), ("binop", 5), ("view", 4), ("index_read", 4),
                                  ("index_write", 4), ("out_buffer", 3), ("inplace", 4), ("scalar", 3),
                                  ("global_fn", 2), ("loop", 2),
                                  ("alias_write", 2), ("index_loop", 2), ("einsum", 1), ("broadcast", 3),
                                  ("layout", 3), ("zero_base", 1)]

    def statement(self):
        kinds = [k for k, w in self.STATEMENTS for _ in range(w) if gate_on(f"stmt:{k}")]
        kind = self.pick(kinds)
        return kind, getattr(self, f"stmt_{kind}")()

    # a call of a primitive, its arguments and keywords drawn by parameter name
    def stmt_call(self, loop=False):
        registered = self.chance(0.75) or not gate_on("unregistered")
        prims = [p for p in PRIMITIVES if p.spelling != "op" and gate_on(f"prim:{p.spelling}")
                 and p.registered == registered]
        prim = self.pick(prims)
        text = self.render_call(prim)
        if text is None:
            return None
        tags = {f"prim:{prim.spelling}", "registered" if prim.registered else "unregistered"}
        if text[1]:
            tags.update(text[1])
        return [f"{self.fresh()} = {text[0]}"], tags

    def render_call(self, prim):
        self.unknown_call = not prim.registered
        try:
            return self._render_call(prim)
        finally:
            self.unknown_call = False

    def _render_call(self, prim):
        spelling = prim.spelling
        if spelling.startswith("attr."):
            arrays = self.floats(arrays_only=True)
            if not arrays:
                return None
            return f"{self.pick(arrays)}.{spelling[5:]}", set()
        positional, keywords, tags = [], [], set()
        method_self = None
        if spelling.startswith("."):
            arrays = self.floats(arrays_only=True)
            if not arrays:
                return None
            method_self = self.pick(arrays)
        required = [q for q in prim.params if q.default is inspect.Parameter.empty
                    and q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)]
        optional = [q for q in prim.params if q.default is not inspect.Parameter.empty
                    and q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD, q.KEYWORD_ONLY)]
        if prim.is_ufunc and not required:
            required = [inspect.Parameter(f"x{i + 1}", inspect.Parameter.POSITIONAL_ONLY)
                        for i in range(prim.obj.nin)]
        first = method_self
        for q in required:
            text = self.argument(q.name, first)
            if text is None:
                return None
            if first is None and text in self.ns:
                first = text
            positional.append(text)
        var_positional = [q for q in prim.params if q.kind == q.VAR_POSITIONAL]
        if var_positional and self.chance(0.4):
            text = self.argument(var_positional[0].name, first)
            if text is not None:
                positional.append(text)
        for q in optional:
            if not self.chance(0.3) or not gate_on(f"kw:{q.name}"):
                continue
            text = self.argument(q.name, first, keyword=True)
            if text is None:
                continue
            tags.add(f"kw:{q.name}")
            if q.kind == q.KEYWORD_ONLY or self.chance(0.7):
                keywords.append(f"{q.name}={text}")
            else:  # positionally, when every parameter before it is given too
                positional.append(text) if len(positional) == optional.index(q) + len(required) else \
                    keywords.append(f"{q.name}={text}")
        args = ", ".join(positional + keywords)
        if method_self is not None:
            if self.chance(0.25) and gate_on("method-through-class") and (not keywords
                                                                         or gate_on("method-through-class-kw")):
                tags.add("method-through-class")
                return f"np.ndarray.{spelling[1:]}({method_self}{', ' if args else ''}{args})", tags
            return f"{method_self}{spelling}({args})", tags
        return f"{spelling}({args})", tags

    def argument(self, name, first, keyword=False):
        """Source for an argument named ``name`` (``first``: the call's array, for axes and shapes)."""
        v = self.ns.get(first) if first else None
        ndim = np.ndim(v) if v is not None else 1
        size = int(np.size(v)) if v is not None else 3
        shape = np.shape(v) if v is not None else (3,)
        if name in ("axis", "axis1", "axis2", "source", "destination", "start_axis"):
            if ndim == 0:
                return "None" if name == "axis" else None
            choices = [str(a) for a in range(-ndim, ndim)]
            if name == "axis":
                choices.append("None")
                if ndim >= 2 and gate_on("axis-tuple"):
                    choices += ["(0, -1)", "(-1, 0)", f"({ndim - 2}, {ndim - 1})", "(-2,)"]
            return self.pick(choices)
        if name == "keepdims":
            return self.pick(["True", "False"])
        if name == "order":
            return self.pick(["'C'", "'F'", "'A'", "'K'"])
        if name == "dtype":
            return self.pick(["np.float64", "np.float32", "float"])
        if name == "ddof":
            return self.pick(["0", "1"])
        if name == "initial":
            return self.pick(["0.0", "-1.0", "2.0"])
        if name == "where":
            return self.mask(shape)
        if name == "out":
            return None  # out= buffers have their own statement
        if name in ("axes",):
            if ndim < 2:
                return None if ndim == 0 else self.pick(["(0,)", "(-1,)"])
            perms = [tuple(reversed(range(ndim))), tuple(range(ndim))]
            perm = self.pick(perms)
            perm = tuple(a - ndim if self.chance(0.5) else a for a in perm)
            return str(perm)
        if name in ("shape", "newshape"):
            if first is None:
                return self.pick(["(3,)", "(2, 3)", "()", "(0,)", "3"])
            choices = ["-1", f"({size},)", str(tuple(reversed(shape))), "(1, -1)", "(-1, 1)", str(shape)]
            if size % 2 == 0 and size:
                choices.append(f"(2, {size // 2})")
            return self.pick(choices)
        if name in ("shift", "repeats", "reps", "n", "k", "decimals", "N", "num", "ndigits"):
            return self.pick(["1", "2", "-1", "0"]) if name in ("shift", "k") else self.pick(["1", "2", "3"])
        if name in ("indices", "ind"):
            return self.pick(["[0, -1]", "[0, 0]", "-1", "np.array([1, -1, 1])"])
        if name == "condition":
            return self.mask(shape)
        if name in ("subscripts",):
            return None
        if name in ("q",):
            return "50.0"
        if name in ("kind",):
            return self.pick(["'stable'", "'quicksort'"])
        if name in ("copy", "endpoint", "retstep", "stable", "mode", "side", "sorter", "weights", "returned",
                    "overwrite_input", "method", "interpolation", "nan", "posinf", "neginf", "bias", "fweights",
                    "aweights", "ord", "correction", "mean", "bins", "range", "density", "equal_nan",
                    "fill_value", "periodic", "left", "right", "period", "deg", "append", "prepend", "max_work"):
            if keyword:
                return None
            return self.operand()
        if name in ("a_min", "a_max", "min", "max"):
            return self.pick(["-0.5", "0.5", "None"]) if keyword else self.pick(["-0.5", "0.5"])
        if keyword:
            return None
        return self.operand()

    def mask(self, shape):
        names = [n for n in self.floats() if np.shape(self.ns[n]) == tuple(shape)]
        if names and self.chance(0.7):
            return f"{self.pick(names)} > {self.pick(['0.0', '0.3', '-0.2'])}"
        return self.pick(["True", "False"]) if self.chance(0.3) else None

    def stmt_binop(self):
        ops = [p for p in PRIMITIVES if p.spelling == "op" and gate_on(f"op:{INFIX.get(p.obj, PREFIX.get(p.obj))}")]
        op = self.pick(ops).obj
        a = self.operand(literal=0.1)
        if op in PREFIX:
            return [f"{self.fresh()} = {PREFIX[op]}{a}"], {f"op:{PREFIX[op]}"}
        b = self.operand(literal=0.3)
        sym = INFIX[op]
        if a == b and sym in ("-", "/", "%", "//"):
            # `x - x` is zero whatever x: inf * 0 downstream (sqrt, arcsin at 1) is NaN in every AD tool
            b = self.pick(["0.5", "1.5"])
        if sym == "**":
            a = f"(1.5 + np.tanh({a}))" if self.chance(0.7) else a
            b = self.pick(["2", "3", "0.5", "-1", "2.0", "0", "1", b])
        if sym == "/":
            b = self.pick([f"(1.5 + np.cos({b}))", b])
        if self.chance(0.5):
            a, b = b, a
        return [f"{self.fresh()} = {a} {sym} {b}"], {f"op:{sym}"}

    VIEWS: ClassVar[list] = [
             "{a}[::-1]", "{a}[1:]", "{a}[-2:]", "{a}[::-2]", "{a}.T", "{a}.reshape(-1)", "{a}[..., ::-1]",
             "{a}[None]", "{a}[:, None]", "{a}[-1::-1]", "{a}[1:][::-1]", "np.transpose({a})", "{a}.ravel()",
             "{a}[2:1]", "{a}[...]", "{a}.reshape({a}.shape)", "{a}[..., 0]", "{a}[:, -1]"]

    def stmt_view(self):
        arrays = self.floats(arrays_only=True)
        if not arrays:
            return None
        a = self.pick(arrays)
        return [f"{self.fresh()} = {self.pick(self.VIEWS).format(a=a)}"], {"view"}

    def index(self, shape):
        """An index for an array of ``shape``: negative, repeated, lists, arrays, masks, slices, tuples."""
        if not shape:
            return self.pick(["...", "()"])
        n = shape[0]
        ints = [i for i in range(-n, n)]
        choices = ["...", "::-1", "1:", "-1:", ":-1", "::-2"]
        if ints:
            i = self.pick(ints)
            j = self.pick(ints)
            choices += [str(i), f"[{i}, {j}]", f"[{i}, {i}]", f"np.array([{i}, {j}, {i}])", f"[{i}]"]
            if "k" in self.params and gate_on("int-param"):
                choices.append("k" if -n <= self.args[self.params.index("k")] < n else str(i))
        masks = [m for m in self.floats(arrays_only=True) if np.shape(self.ns[m]) == tuple(shape)]
        if masks and gate_on("mask-index"):
            choices.append(f"{self.pick(masks)} > 0.1")
        ints_arrays = [m for m, v in self.user_values().items() if is_int_array(v) or isinstance(v, np.integer)]
        if ints_arrays:
            choices.append(self.pick(ints_arrays))
        if len(shape) >= 2:
            m = shape[1]
            if m and n:
                i, j = self.pick(range(-n, n)), self.pick(range(-m, m))
                choices += [f"{i}, {j}", f":, {j}", f"{i}, ::-1", f"[{i}, {i}], [{j}, {j}]", f"..., {j}"]
        return self.pick(choices)

    def stmt_index_read(self):
        arrays = self.floats(arrays_only=True)
        if not arrays:
            return None
        a = self.pick(arrays)
        idx = self.index(np.shape(self.ns[a]))
        return [f"{self.fresh()} = {a}[{idx}]"], {"index_read"}

    def target(self):
        """An array to update in place: a new copy, a view of one, an existing value or a parameter."""
        arrays = self.floats(arrays_only=True)
        if not arrays:
            return None, []
        a = self.pick(arrays)
        how = self.pick(["copy", "copy", "mul", "zeros", "existing", "view"]
                        + (["param"] if gate_on("write-param") else []))
        if how == "existing" or (how == "param" and a in self.params):
            self.tags.add("write-existing" if a not in self.params else "write-param")
            return a, []
        y = self.fresh("y")
        if how == "copy":
            return y, [f"{y} = {a}.copy()"]
        if how == "mul":
            return y, [f"{y} = {a} * 1.0"]
        if how == "zeros":
            return y, [f"{y} = np.zeros_like({a})"]
        if how == "view":
            self.tags.add("write-view")
            return y, [f"{y} = {a}[::-1]" if np.ndim(self.ns[a]) else f"{y} = {a}[...]"]
        return a, []

    def stmt_index_write(self):
        y, setup = self.target()
        if y is None:
            return None
        shape = np.shape(self.ns[y]) if y in self.ns else None
        if shape is None:  # made by `setup`: run it to know the shape
            ns = dict(self.ns)
            try:
                with quiet_numpy():
                    exec("\n".join(setup), ns)
            except Exception:
                return None
            shape = np.shape(ns[y])
        idx = self.index(shape)
        if not shape and not gate_on("write-0d"):
            return None
        fancy, multi = _fancy(idx)
        if fancy and multi and not gate_on("write-fancy-2d"):
            return None  # `y[[0, 0], [1, 1]]`, `y[-1, [0, 0]]`
        if fancy and _repeats(idx, shape[0] if shape else 0) and not gate_on("write-fancy-repeat"):
            return None
        op = self.pick(["=", "+=", "-=", "*="] if gate_on("index-augassign") else ["="])
        e = self.operand(literal=0.3)
        if self.chance(0.3):
            e = f"np.sin({e})"
        if self.chance(0.15) and gate_on("write-value-extra-axes"):
            e = f"np.asarray({e})[None]"
        if not gate_on("write-value-extra-axes"):
            try:
                with quiet_numpy():
                    ns = dict(self.ns)
                    exec("\n".join(setup), ns)
                    if np.ndim(eval(e, ns)) > np.ndim(eval(f"{y}[{idx}]", ns)):
                        return None
            except Exception:
                return None
        self.changed.append(y)
        return [*setup, f"{y}[{idx}] {op} {e}"], {"index_write", f"index_write{op}"}

    def stmt_out_buffer(self):
        if not gate_on("out="):
            return None
        ufuncs = [p for p in PRIMITIVES if p.is_ufunc and p.obj.nout == 1 and gate_on(f"prim:{p.spelling}")
                  and (p.registered or gate_on("unregistered"))]
        prim = self.pick(ufuncs)
        args = [self.operand(literal=0.2) for _ in range(prim.obj.nin)]
        call = f"{prim.spelling}({', '.join(args)}"
        # the result's shape and dtype, to make (or reuse) a buffer
        try:
            with quiet_numpy():
                res = eval(call + ")", dict(self.ns))
        except Exception:
            return None
        if not isinstance(res, np.ndarray) or res.dtype.kind != "f":
            return None
        reuse = [n for n, v in self.user_values().items()
                 if isinstance(v, np.ndarray) and v.shape == res.shape and v.dtype == res.dtype
                 and n not in self.params and self.chance(0.5)]
        lines, tags = [], {"out=", f"prim:{prim.spelling}"}
        if reuse and gate_on("out=reuse"):
            buf = self.pick(reuse)
            tags.add("out=reuse")
        else:
            buf = self.fresh("b")
            lines.append(f"{buf} = np.zeros({res.shape}{', dtype=np.float32' if res.dtype == np.float32 else ''})")
        kw = f", out={buf}"
        if self.chance(0.2) and gate_on("kw:where"):
            m = self.mask(res.shape)
            if m:
                kw += f", where={m}"
                tags.add("kw:where")
        full = call + kw + ")"
        self.changed.append(buf)
        if self.chance(0.5):
            lines.append(f"{self.fresh()} = {full}")
        else:
            lines.append(full)
        return lines, tags

    INPLACE: ClassVar[list] = [
               ".sort()", ".sort(axis=0)", ".fill({s})", "np.add.at({y}, {i}, {e})", "np.subtract.at({y}, {i}, {e})",
               "np.multiply.at({y}, {i}, 0.5)", ".partition(0)", "np.copyto({y}, {e})", "np.put({y}, {i}, {e})",
               "np.putmask({y}, {y} > 0.1, {e})", "np.place({y}, {y} > 0.1, {s})", "np.fill_diagonal({y}, {s})",
               "{y} += {e}", "{y} -= {e}", "{y} *= {e}", "{y} /= 2.0", "np.exp({y}, out={y})",
               "np.negative({y}, out={y})", "np.clip({y}, -0.5, 0.5, out={y})", "np.cumsum({y}, out={y})",
               "np.tanh({y}, out={y})", "{y}[...] = {e}", "np.sin({e}, out={y})"]

    def stmt_inplace(self):
        y, setup = self.target()
        if y is None:
            return None
        form = self.pick([f for f in self.INPLACE if gate_on(f"inplace:{f.split('(')[0]}")])
        shape_src = y
        ints = "[0, -1]" if self.chance(0.5) else "[-1, -1]"
        s = self.operand(scalar_only=True, literal=0.5)
        e = self.operand(literal=0.3)
        text = (f"{y}{form}" if form.startswith(".") else form).format(y=y, i=ints, e=e, s=s)
        del shape_src
        self.changed.append(y)
        return [*setup, text], {"inplace", f"inplace:{form.split('(')[0]}"}

    def stmt_scalar(self):
        a = self.operand()
        forms = ["float(np.sum({a}))", "np.float64(np.mean({a}))", "np.float32(np.sum({a}))", "np.array(np.sum({a}))",
                 "math.sin(float(np.sum({a})))", "math.exp(-float(np.sum({a} * {a})))", "np.sum({a}) * np.float64(0.5)",
                 "np.float32(0.5) * {a}", "{a} * np.array(0.25)", "math.tanh(float(np.max({a}, initial=0.0)))",
                 "math.hypot(float(np.sum({a})), 1.0)", "np.float64(2.0) ** {a}"]
        form = self.pick([f for f in forms if gate_on(f"scalar:{f.split('(')[0]}")
                          and ("initial=" not in f or gate_on("kw:initial"))])
        return [f"{self.fresh()} = {form.format(a=a)}"], {"scalar", f"scalar:{form.split('(')[0]}"}

    def stmt_complex(self):
        """A real value computed through complex intermediates (the complex values stay inside the statement)."""
        a, b = self.operand(), self.operand()
        form = self.pick(["np.abs({a} + 1j * {b})", "np.real(np.exp(1j * {a}))", "np.abs(1.0 / (1j * {a} + 2.0)) ** 2",
                          "(({a} + 0j) ** 2).real", "np.imag(np.exp(1j * {a}) * {b})", "np.angle({a} + 2j)"])
        return [f"{self.fresh()} = {form.format(a=a, b=b)}"], {"complex"}

    EINSUM: ClassVar[list] = [("'ii->i'", 2, True), ("'ij->ji'", 2, False), ("'ij->'", 2, False),
                              ("'i,i->'", 1, False), ("'ij,j->i'", 0, False), ("'i->i'", 1, False)]

    def stmt_einsum(self):
        form, ndim, square = self.pick(self.EINSUM)
        if form == "'ij,j->i'":
            mats = [n for n in self.floats(arrays_only=True) if np.ndim(self.ns[n]) == 2]
            if not mats:
                return None
            m = self.pick(mats)
            vecs = [n for n in self.floats(arrays_only=True) if np.shape(self.ns[n]) == (np.shape(self.ns[m])[1],)]
            if not vecs:
                return None
            return [f"{self.fresh()} = np.einsum({form}, {m}, {self.pick(vecs)})"], {"einsum"}
        names = [n for n in self.floats(arrays_only=True) if np.ndim(self.ns[n]) == ndim
                 and (not square or len(set(np.shape(self.ns[n]))) == 1)]
        if not names:
            return None
        a = self.pick(names)
        args = f"{a}, {a}" if form == "'i,i->'" else a
        return [f"{self.fresh()} = np.einsum({form}, {args})"], {"einsum"}

    ALIASES: ClassVar[list] = ["np.einsum('ii->i', {y})", "np.einsum('ij->ji', {y})", "np.einsum('i->i', {y})",
                               "{y}.conj()", "{y}.view()", "np.asarray({y})", "np.squeeze({y})", "np.real({y})",
                               "np.expand_dims({y}, 0)", "np.swapaxes({y}, 0, -1)", "np.moveaxis({y}, 0, -1)",
                               "np.atleast_2d({y})", "{y}.reshape({y}.shape)", "np.ravel({y})", "{y}.T", "{y}[::-1]",
                               "np.flip({y})", "np.fliplr({y})", "np.rot90({y})", "np.array({y}, copy=False)",
                               "np.ascontiguousarray({y})", "{y}.squeeze()", "{y}.swapaxes(0, -1)",
                               "np.transpose({y})", "{y}.astype(np.float64, copy=False)", "np.diagonal({y}).copy()"]

    def stmt_alias_write(self):
        """``t = <a view, or not, of a copy y>; t += e`` (or ``t[0] = e``), then y is read (the readout)."""
        arrays = self.floats(arrays_only=True)
        if not arrays:
            return None
        a = self.pick(arrays)
        y, t = self.fresh("y"), self.fresh("t")
        form = self.pick([f for f in self.ALIASES if gate_on(f"alias:{_alias_key(f)}")])
        update = self.pick(["{t} += {e}", "{t} *= {e}", "{t}[0] = {e}", "{t}[-1] -= {e}", "{t}[...] = {e}"])
        e = self.pick(["0.5", "np.sin(" + self.operand(scalar_only=True, literal=0.5) + ")"])
        self.changed.append(y)
        lines = [f"{y} = {a}.copy()" if self.chance(0.8) else f"{y} = {a} * 1.0", f"{t} = {form.format(y=y)}",
                 update.format(t=t, e=e)]
        return lines, {"alias_write", f"alias:{_alias_key(form)}"}

    def stmt_index_loop(self):
        """Loops whose indices are negative or repeat: ``x[t]`` for t from -1, ``y[t - 1] = ...``."""
        vecs = [n for n in self.floats(arrays_only=True) if np.ndim(self.ns[n]) == 1 and np.size(self.ns[n])]
        if not vecs:
            return None
        a = self.pick(vecs)
        n = np.size(self.ns[a])
        s = self.fresh()
        form = self.pick([
            [f"{s} = 0.0", f"for _t in range(-1, {n}):", f"    {s} = {s} + {a}[_t] ** 2"],
            [f"{s} = 0.0", f"for _t in range(-{n}, {n}):", f"    {s} = {s} + np.sin({a}[_t])"],
            [f"{s} = np.zeros({n})", f"for _t in range({n}):", f"    {s}[_t - 1] = {a}[_t] * 2.0"],
            [f"{s} = np.zeros({n})", f"for _t in range({n}):", f"    {s}[-1 - _t] = np.sin({a}[_t])"],
            [f"{s} = {a}.copy()", f"for _t in range(-1, {n} - 1):", f"    {s}[_t] = {s}[_t + 1] * 0.5"],
            [f"{s} = np.zeros({n})", f"for _t in range(-1, {n}):", f"    {s}[_t] += {a}[_t]"],
            [f"{s} = 0.0", f"for _t in range({n}):", f"    {s} = {s} + {a}[_t] * {a}[_t - 1]"],
        ])
        return form, {"index_loop"}

    def stmt_broadcast(self):
        """Two values of different shapes that broadcast ((3,) with (2, 1), (1,) with (2, 3), 0-d with (0,), ...)."""
        names = self.floats()
        pairs = []
        for a in names:
            for b in names:
                sa, sb = np.shape(self.ns[a]), np.shape(self.ns[b])
                if sa != sb:
                    try:
                        np.broadcast_shapes(sa, sb)
                    except ValueError:
                        continue
                    pairs.append((a, b))
        if not pairs:
            return None
        a, b = self.pick(pairs)
        binary = [p.spelling for p in PRIMITIVES if p.registered and p.is_ufunc and p.obj.nin == 2
                  and p.obj.nout == 1 and gate_on(f"prim:{p.spelling}")]
        form = self.pick(["{a} * {b}", "{a} - {b}", "{a} / (2.0 + np.cos({b}))", "np.where({a} > {b}, {a}, {b})",
                          "{f}({a}, {b})", "{f}({a}, {b})", "np.maximum({a}, {b})", "{a} + {b} * {a}"])
        return [f"{self.fresh()} = {form.format(a=a, b=b, f=self.pick(binary))}"], {"broadcast"}

    def stmt_layout(self):
        """Shape and order changes with their keywords: ``order=`` 'C' 'F' 'A' 'K' (also of a transposed
        array), axes with negative entries, through functions, methods and the class."""
        arrays = [n for n in self.floats(arrays_only=True) if np.ndim(self.ns[n]) >= 2 or self.chance(0.2)]
        if not arrays:
            return None
        a = self.pick(arrays)
        if self.chance(0.3):
            a = f"{a}.T"
        ndim = np.ndim(self.ns[a.removesuffix(".T")])
        order = self.pick(["'C'", "'F'", "'A'", "'K'"])
        perm = list(reversed(range(ndim))) if self.chance(0.7) else list(range(ndim))
        axes = str(tuple(p - ndim if self.chance(0.5) else p for p in perm))
        size = int(np.size(self.ns[a.removesuffix(".T")]))
        shape = self.pick(["-1", f"({size},)", "(1, -1)", "(-1, 1)"] + ([f"(2, {size // 2})"] if size % 2 == 0 and size
                                                                       else []))
        forms = [(f"{a}.ravel(order={order})", "kw:order"), (f"np.ravel({a}, order={order})", "kw:order"),
                 (f"{a}.flatten({order})", "kw:order"), (f"{a}.ravel({order})", "kw:order"),
                 (f"{a}.reshape({shape}, order={order})", "kw:order"),
                 (f"np.reshape({a}, {shape}, order={order})", "kw:order"),
                 (f"{a}.copy(order={order})", "kw:order"), (f"np.copy({a}, order={order})", "kw:order"),
                 (f"np.transpose({a}, {axes})", "kw:axes"), (f"np.transpose({a}, axes={axes})", "kw:axes"),
                 (f"{a}.transpose({axes})", "kw:axes"), (f"{a}.transpose(*{axes})", "kw:axes"),
                 (f"np.ndarray.transpose({a}, {axes})", "method-through-class"),
                 (f"np.ndarray.reshape({a}, {shape})", "method-through-class"),
                 (f"np.ndarray.ravel({a})", "method-through-class")]
        text, gate = self.pick([(t, g) for t, g in forms if gate_on(g)] or [(None, None)])
        if text is None:
            return None
        return [f"{self.fresh()} = {text}"], {"layout", gate}

    def stmt_zero_base(self):
        """Exact zeros where a derivative has a removable 0 * inf: powers of 0, x ** 0, hypot(0, 0)."""
        a = self.operand()
        form = self.pick(["np.maximum({a}, 0.0) ** 2.5", "np.power(np.maximum({a}, 0.0), 3)",
                          "0.0 ** (1.5 + np.tanh({a}))", "{a} ** 0", "np.maximum({a}, 0.0) ** 0",
                          "np.hypot(np.maximum({a}, 0.0), np.maximum({a}, 0.0))", "np.power(0.0, 2.0 + {a} * {a})"])
        return [f"{self.fresh()} = {form.format(a=a)}"], {"zero_base"}

    def stmt_global_fn(self):
        fns = [p.spelling for p in UFUNCS_1 if p.registered or gate_on("unregistered")]
        spelling = self.pick(fns)
        a = self.operand()
        if self.chance(0.4):  # a module attribute: `CFG1.act(a)`, rebound as `CFG1.act = ...`
            g = f"CFG{len(self.globals) + 1}"
            self.globals[g] = f"types.SimpleNamespace(act={spelling})"
            self.ns[g] = eval(self.globals[g], {"np": np, "types": types})
            return [f"{self.fresh()} = {g}.act({a})"], {"global_fn", "global_attribute_fn"}
        g = f"ACT{len(self.globals) + 1}"
        self.globals[g] = spelling
        self.ns[g] = eval(spelling, {"np": np})
        return [f"{self.fresh()} = {g}({a})"], {"global_fn"}

    def stmt_loop(self):
        """Two trips of a statement (buffers and in-place updates reused across trips)."""
        kind = self.pick([k for k in ("inplace", "out_buffer", "index_write", "binop", "call") if gate_on(f"stmt:{k}")])
        made = getattr(self, f"stmt_{kind}")()
        if not made:
            return None
        lines, tags = made
        setup = [line for line in lines[:-1]]
        return [*setup, "for _ in range(2):", "    " + lines[-1]], set(tags) | {"loop"}

    # -- the program ---------------------------------------------------------------------------
    def build(self):
        rng = np.random.default_rng(self.integer(0, 2**32 - 1))
        wrt = self.make_params(rng)
        self.ns = self.run([])
        n = self.integer(1, 8)
        for _ in range(n):
            for _attempt in range(6):
                _kind, made = self.statement()
                if made and self.try_commit(made[0], made[1]):
                    break
        floats = self.floats()
        candidates = list(dict.fromkeys([n for n in reversed(self.changed) if n in floats]
                                        + [n for n in reversed(floats) if n not in self.params]))
        chosen = ([c for i, c in enumerate(candidates) if i == 0 or self.chance(0.6)][:6]) if candidates else []
        if not chosen or self.chance(0.3):
            chosen.append(self.pick([p for p in self.params if p in floats]))
        terms = []
        for name in chosen:
            form = self.pick(["np.sum(np.sin({a}))", "np.sum({a} * {a})", "np.sum(np.cos({a}) * 0.5)",
                              "np.sum(np.tanh(1.3 * {a} + 0.2))", POSITIONAL_READOUT, POSITIONAL_READOUT,
                              POSITIONAL_READOUT, POSITIONAL_READOUT])
            terms.append(form.format(a=name))
        ret = f"return {' + '.join(terms)}"
        # the whole function must run cleanly and return a finite number
        try:
            ns = self.run([*self.lines, f"_out = {ret[7:]}"])
        except Exception:
            raise Rejected from None
        out = ns["_out"]
        if not (np.shape(out) == () and np.isfinite(out)):
            raise Rejected
        return self.source(ret), wrt

    def source(self, ret):
        head = ["import math", "import types", "", "import numpy as np", ""]
        for g, spelling in self.globals.items():
            head.append(f"{g} = {spelling}")
        body = [f"    {line}" for line in self.lines] + [f"    {ret}"]
        return "\n".join([*head, "", "", f"def f({', '.join(self.params)}):", *body]) + "\n"


@st.composite
def api_programs(draw):
    gen = Gen(draw)
    try:
        source, wrt = gen.build()
    except Rejected:
        from hypothesis import assume
        assume(False)
    rebind = ()
    if gen.globals and gate_on("rebind-global"):
        g = sorted(gen.globals)[0]
        other = gen.pick([p.spelling for p in UFUNCS_1 if p.registered and p.spelling not in gen.globals[g]
                          and _float_to_float(p.obj)])
        rebind = ((f"{g}.act" if g.startswith("CFG") else g, other),)
    return ApiProgram(source, tuple(gen.params), tuple(gen.args), wrt, frozenset(gen.tags), rebind)
