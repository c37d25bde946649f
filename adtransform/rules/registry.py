"""Typed registries of derivative rules and of facts about primitives, reached through functions.

One registry per kind of fact: adjoint rules; primitives whose output carries no derivative
(comparisons, `np.shape`, `np.sign`); and `Facts`, what a primitive returns (new memory or a view),
which arguments it changes in place, which it reads only for their shape, and whether it has other
effects. Every pass that needs such a fact asks `lookup_facts`; a primitive nobody declared is
assumed to return a view of its arguments, change all of them and have effects. Rules for NumPy,
`math` and operators register their facts through the same decorators users call.
"""

from __future__ import annotations

import enum
import inspect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..errors import RuleDefinitionError
from .optional import load_optional_rules


class Kind(enum.Enum):
    """What the compiler may assume about a primitive's shapes."""

    ELEMENTWISE = "inputs broadcast against each other; contributions are unbroadcast to each input's shape"
    SCALAR = "the output is a scalar whatever the inputs (math module functions, float())"
    REDUCTION = "reduces over `axis` (None: to a scalar) unless `keepdims`"
    OTHER = "no shape assumption: the rule handles shapes itself"


class _Runtime(enum.Enum):
    RUNTIME = "the value of an operand computed at run time (not known when the function is transformed)"


RUNTIME = _Runtime.RUNTIME


class Operands(NamedTuple):
    """How the caller's IR spells a rule's arguments: passed in by the caller, since this bottom layer imports no
    stage. `constant(value)` is the operand of a parameter's default; `known(operand)` is the value an operand
    holds when the function is transformed (a constant, a global's object), or `RUNTIME`."""

    constant: Callable[[Any], Any]
    known: Callable[[Any], Any]


@dataclass(frozen=True)
class AdjointRule:
    primitive: Any
    fn: Callable[..., None]
    kind: Kind
    nondiff: frozenset[str]
    signature: inspect.Signature = field(compare=False)

    def bind(self, args: list[Any], kwargs: dict[str, Any], operands: Operands) -> dict[str, Any]:
        """Map a call's arguments (IR operands) to the rule's parameter names (defaults filled in)."""
        arguments = dict(self.signature.bind(*args, **kwargs).arguments)
        for name, param in self.signature.parameters.items():
            if name not in arguments and param.default is not param.empty:
                arguments[name] = operands.constant(param.default)
            # A parameter annotated with the values the rule handles (rules/notation.py `Accepts`)
            # refuses the others: the call then fails to bind, with the reason.
            refuse = getattr(param.annotation, "refuse", None)
            reason = refuse(operands.known(arguments[name])) if refuse is not None and name in arguments else None
            if reason:
                raise TypeError(f"`{name}=`: {reason}")
        return arguments


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.adjoints: dict[Any, AdjointRule] = {}
        self.nondifferentiable: set[Any] = set()
        self.templates: dict[Any, Any] = {}
        self.facts: dict[Any, Facts] = {}
        self.version = 0


_registry = _Registry()


def _hashable(primitive: Any) -> Any:
    try:
        hash(primitive)
    except TypeError:
        raise RuleDefinitionError(f"cannot register a rule on unhashable {primitive!r}") from None
    return primitive


def register_adjoint(primitive: Any, fn: Callable[..., None], kind: Kind = Kind.OTHER,
                     nondiff: Iterable[str] = ()) -> AdjointRule:
    params = list(inspect.signature(fn).parameters.values())
    if not params:
        raise RuleDefinitionError(f"adjoint rule {fn.__qualname__} must take the output as its first parameter")
    rule = AdjointRule(primitive, fn, kind, frozenset(nondiff), inspect.Signature(params[1:]))
    with _registry.lock:
        _registry.adjoints[_hashable(primitive)] = rule
        _registry.templates.pop(primitive, None)
        _registry.version += 1
    return rule


def lookup_adjoint(primitive: Any) -> AdjointRule | None:
    load_optional_rules()  # (SciPy's rules, once the program imported SciPy: rules/optional.py)
    try:
        return _registry.adjoints.get(primitive)
    except TypeError:
        return None


def register_nondifferentiable(*primitives: Any) -> None:
    with _registry.lock:
        for p in primitives:
            _registry.nondifferentiable.add(_hashable(p))
        _registry.version += 1


def is_nondifferentiable(primitive: Any) -> bool:
    load_optional_rules()
    try:
        return primitive in _registry.nondifferentiable
    except TypeError:
        return False


def cached_template(rule: AdjointRule, build: Callable[[AdjointRule], Any]) -> Any:
    """The compiled template of a rule, compiled once per registration."""
    with _registry.lock:
        template = _registry.templates.get(rule.primitive)
    if template is None or template.rule is not rule:
        template = build(rule)
        with _registry.lock:
            _registry.templates[rule.primitive] = template
    return template


def registry_version() -> int:
    """Changes whenever a rule is registered, so cached gradients built before are rebuilt."""
    load_optional_rules()
    return _registry.version


# --- facts: what a primitive does besides computing its value ------------------------------------


class Returns(enum.Enum):
    """What a primitive's result may share memory with. Ordered from most to least known."""

    NUMBER = "an immutable number, bool, string or None: nothing can change it in place"
    NEW = "a new object sharing no memory with the arguments (a new array, a new list of numbers)"
    NEW_ITEMS = "a new list or tuple of new arrays (`np.nonzero`, `np.meshgrid`)"
    VIEW = "an array that may be one of its array arguments or a view of one (`reshape`, `asarray`, `conj`)"
    VIEWS = "a new list or tuple whose items may be views of the arguments (`np.split`)"
    MAY_SHARE = "anything: an argument itself, a view of one, or a container holding them"


class _Every:
    """`mutates=EVERY`: the primitive may change any argument it receives (the default for unknown calls)."""

    def __repr__(self) -> str:
        return "EVERY"


EVERY: Any = _Every()

Parameter = str | int  # a parameter named as in the primitive's signature, or its position


@dataclass(frozen=True)
class Facts:
    """What the compiler may assume about a primitive, besides its derivative.

    `mutates`: parameters it may change in place (EVERY: any argument; a call passing `out=` always
    changes `out`); `shape_only`: parameters read only for their shape and dtype; `effects`: it does
    something else a program can observe (prints, draws random numbers), so a call is never removed,
    merged or moved; `known`: declared (False: assumed, the conservative default for unknown calls).
    Positions count from 0; for a method the receiver is position 0."""

    returns: Returns = Returns.MAY_SHARE
    mutates: frozenset[Parameter] | _Every = frozenset()
    shape_only: frozenset[Parameter] = frozenset()
    effects: bool = False
    known: bool = True
    # Parameter names in positional order (a name ending in `*`: that and every later position).
    params: tuple[str, ...] = ()

    def _matches(self, chosen: frozenset[Parameter], position: int | None, keyword: str | None) -> bool:
        if keyword is not None:
            return keyword in chosen or (keyword in self.params and self.params.index(keyword) in chosen)
        assert position is not None
        if position in chosen:
            return True
        name = self._name_at(position)
        return name is not None and name in chosen

    def _name_at(self, position: int) -> str | None:
        for i, name in enumerate(self.params):
            if name.endswith("*"):
                return name[:-1] if position >= i else None
            if i == position:
                return name
        return None

    def changes(self, position: int | None = None, keyword: str | None = None) -> bool:
        """Whether the argument at `position` (or passed as `keyword`) may be changed in place."""
        if keyword == "out" or isinstance(self.mutates, _Every):
            return True
        if position is not None and self.params and not self.params[-1].endswith("*") \
                and (position >= len(self.params) or self.params[position] == "out"):
            return True  # `np.dot(a, b, buf)`: an output, or an argument the facts cannot name
        return self._matches(self.mutates, position, keyword)

    def shape_only_at(self, position: int | None = None, keyword: str | None = None) -> bool:
        return self._matches(self.shape_only, position, keyword)

    @property
    def pure(self) -> bool:
        """A call may be removed when unused, merged with an equal one, moved: nothing but its value."""
        return self.known and not self.effects and not self.mutates

    @property
    def fresh(self) -> bool:
        """The result shares no memory with the arguments (a new object each call)."""
        return self.returns in (Returns.NEW, Returns.NUMBER, Returns.NEW_ITEMS)


UNKNOWN = Facts(Returns.MAY_SHARE, EVERY, effects=True, known=False)


def _params_of(primitive: Any, rule: AdjointRule | None) -> tuple[str, ...]:
    """Parameter names in positional order, from the primitive's signature or else the rule's (which
    mirrors it)."""
    try:
        names = _positional_names(inspect.signature(primitive))
    except (TypeError, ValueError):
        return () if rule is None else _positional_names(rule.signature)
    if rule is not None and _open_keywords(primitive):
        # A C method's signature may stop at `**kwargs` (`ndarray.max(self, /, axis=None, out=None,
        # **kwargs)`) where NumPy takes more by position (`x.max(1, None, True)`: keepdims): the
        # rule's, which binds the call by those positions, names them.
        spelled = _positional_names(rule.signature)
        if len(spelled) > len(names) and not any(n.endswith("*") for n in names):
            return spelled
    return names


def _open_keywords(primitive: Any) -> bool:
    parameters = inspect.signature(primitive).parameters.values()
    return any(p.kind is p.VAR_KEYWORD for p in parameters)


def _positional_names(signature: inspect.Signature) -> tuple[str, ...]:
    names = []
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            names.append(p.name + "*")
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return tuple(names)


def _chosen(names: Iterable[Parameter] | _Every) -> frozenset[Parameter] | _Every:
    if isinstance(names, _Every):
        return names
    if isinstance(names, (str, int)):
        names = (names,)
    return frozenset(names)


def make_facts(primitive: Any, returns: Returns | None = None, mutates: Iterable[Parameter] | _Every = (),
               shape_only: Iterable[Parameter] = (), effects: bool = False,
               rule: AdjointRule | None = None) -> Facts:
    """Facts as declared; `returns` None: MAY_SHARE (a declaration that says nothing assumes the worst).
    A ufunc's outputs passed by position are written into whatever the declaration says."""
    changed = _chosen(mutates)
    if isinstance(primitive, np.ufunc) and not isinstance(changed, _Every):
        changed = changed | _ufunc_facts(primitive).mutates
    params = _ufunc_facts(primitive).params if isinstance(primitive, np.ufunc) else _params_of(primitive, rule)
    return Facts(returns or Returns.MAY_SHARE, changed, _chosen(shape_only), effects, True, params)


def register_facts(primitive: Any, facts: Facts) -> None:
    with _registry.lock:
        _registry.facts[_hashable(primitive)] = facts
        _registry.version += 1


def _ufunc_facts(ufunc: np.ufunc) -> Facts:
    """A ufunc computes a new array; its outputs (positions from `nin`, or `out=`) are written into."""
    params = tuple(f"x{i + 1}" for i in range(ufunc.nin)) + tuple(f"out{i + 1}" for i in range(ufunc.nout))
    return Facts(Returns.NEW if ufunc.nout == 1 else Returns.NEW_ITEMS,
                 frozenset(range(ufunc.nin, ufunc.nin + ufunc.nout)), params=params)


def _ufunc_method_facts(method: Any) -> Facts | None:
    """`np.add.at(a, i, v)` changes `a`; `reduce`, `accumulate`, `reduceat`, `outer` build new arrays."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, np.ufunc):
        return None
    name = getattr(method, "__name__", "")
    if name == "at":
        return Facts(Returns.NUMBER, frozenset({0}), params=("a", "indices", "b"))
    if name in ("reduce", "accumulate", "reduceat", "outer"):
        return Facts(Returns.NEW, frozenset({"out"}))
    return None


def lookup_facts(primitive: Any) -> Facts:
    """The facts of `primitive`: declared, derived (ufuncs and their methods), or the conservative default.

    Default for a primitive with a rule or registered non-differentiable that declares nothing: its
    result may share memory with its arguments (MAY_SHARE), it changes only `out=`, and it has no other
    effect. A rule says the primitive is a function of its inputs (its derivative is one), so a rule
    on a primitive changing its inputs would already be wrong; what a rule does not say is whether
    the result is new, and assuming it may not be costs at most a refused in-place update or a copy,
    never a wrong gradient. Anything else (no rule, no facts) is UNKNOWN: it may return a view of any
    argument, change any argument, and have effects."""
    load_optional_rules()
    try:
        declared = _registry.facts.get(primitive)
    except TypeError:
        return UNKNOWN
    if declared is not None:
        return declared
    if isinstance(primitive, np.ufunc):
        return _ufunc_facts(primitive)
    derived = _ufunc_method_facts(primitive)
    if derived is not None:
        return derived
    if _plain_exception(primitive):
        return Facts(Returns.NEW)
    rule = lookup_adjoint(primitive)
    if rule is not None or is_nondifferentiable(primitive):
        return Facts(Returns.MAY_SHARE, frozenset({"out"}), params=_params_of(primitive, rule))
    return UNKNOWN


def _plain_exception(obj: Any) -> bool:
    """An exception class whose construction runs no code but the builtins' (`class MyError(ValueError):
    pass`): it stores its arguments, changing none."""
    return isinstance(obj, type) and issubclass(obj, BaseException) and all(
        cls.__module__ == "builtins" or not {"__init__", "__new__"} & vars(cls).keys() for cls in obj.__mro__)


def join_facts(a: Facts, b: Facts) -> Facts:
    """What both `a` and `b` guarantee (a method that may be an array's or a list's)."""
    def returns() -> Returns:
        if Returns.MAY_SHARE in (a.returns, b.returns):
            return Returns.MAY_SHARE
        if a.returns == b.returns:
            return a.returns
        container = any(r in (Returns.NEW_ITEMS, Returns.VIEWS) for r in (a.returns, b.returns))
        shares = any(r in (Returns.VIEW, Returns.VIEWS) for r in (a.returns, b.returns))
        return {(False, False): Returns.NEW, (True, False): Returns.NEW_ITEMS,
                (False, True): Returns.VIEW, (True, True): Returns.VIEWS}[container, shares]
    if isinstance(a.mutates, _Every) or isinstance(b.mutates, _Every):
        mutates: frozenset[Parameter] | _Every = EVERY
    else:
        mutates = a.mutates | b.mutates
    params = a.params if a.params == b.params else ()
    if not params and not isinstance(mutates, _Every) and any(isinstance(m, str) for m in mutates):
        mutates = EVERY  # names that no longer map to positions: any argument
    return Facts(returns(), mutates, a.shape_only & b.shape_only, a.effects or b.effects,
                 a.known and b.known, params)
