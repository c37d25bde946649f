"""Typed registries of derivative rules, reached through functions.

One registry per kind of fact: adjoint rules, and primitives whose output
carries no derivative (comparisons, `np.shape`, `np.sign`). Rules for NumPy,
`math` and operators register through the same `adjoint` decorator users call.
"""

from __future__ import annotations

import enum
import inspect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import RuleDefinitionError


class Kind(enum.Enum):
    """What the compiler may assume about a primitive's shapes."""

    ELEMENTWISE = "inputs broadcast against each other; contributions are unbroadcast to each input's shape"
    SCALAR = "the output is a scalar whatever the inputs (math module functions, float())"
    REDUCTION = "reduces over `axis` (None: to a scalar) unless `keepdims`"
    OTHER = "no shape assumption: the rule handles shapes itself"


@dataclass(frozen=True)
class AdjointRule:
    primitive: Any
    fn: Callable[..., None]
    kind: Kind
    nondiff: frozenset[str]
    signature: inspect.Signature = field(compare=False)

    def bind(self, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Map a call's arguments to the rule's parameter names (defaults filled in)."""
        from ..ir.nodes import Const

        arguments = dict(self.signature.bind(*args, **kwargs).arguments)
        for name, param in self.signature.parameters.items():
            if name not in arguments and param.default is not param.empty:
                arguments[name] = Const(param.default)
            # A parameter annotated with the values the rule handles (rules/notation.py `Accepts`)
            # refuses the others: the call then fails to bind, with the reason.
            refuse = getattr(param.annotation, "refuse", None)
            reason = refuse(arguments[name]) if refuse is not None and name in arguments else None
            if reason:
                raise TypeError(f"`{name}=`: {reason}")
        return arguments


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.adjoints: dict[Any, AdjointRule] = {}
        self.nondifferentiable: set[Any] = set()
        self.templates: dict[Any, Any] = {}
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
    return _registry.version
