"""The notation rules are written in, and the public decorators that register them.

A reverse rule is a Python function: its first parameter is the primitive's
output, the others mirror the primitive's own parameters (same names, same
defaults, so calls bind the same way). `d[v]` means "the adjoint of v": the
body reads `d[y]` and assigns each input's contribution to `d[x]`. The
compiler accumulates contributions, undoes broadcasting for elementwise
primitives and skips inputs that need no adjoint. Rules stay free of
bookkeeping. The body is a template: it is never called, it is compiled
into the generated code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .registry import (
    EVERY,
    RUNTIME,
    Kind,
    Parameter,
    Returns,
    make_facts,
    register_adjoint,
    register_facts,
    register_nondifferentiable,
)

__all__ = ["EVERY", "Returns", "adjoint", "d", "declare_facts", "nondifferentiable", "stop_gradient"]

F = TypeVar("F", bound=Callable[..., Any])


class _AdjointNotation:
    """`d[x]`: the adjoint of `x` inside a rule template. Never evaluated."""

    def __getitem__(self, key: object) -> Any:
        raise RuntimeError("`d[...]` is notation for derivative rules; rules are compiled, not called")

    def __setitem__(self, key: object, value: object) -> None:
        self.__getitem__(key)


d = _AdjointNotation()


def adjoint(*primitives: Any, elementwise: bool = False, kind: Kind | None = None,
            nondiff: Iterable[str] = (), returns: Returns | None = None,
            mutates: Iterable[Parameter] = (), shape_only: Iterable[Parameter] = ()) -> Callable[[F], F]:
    """Register a reverse-mode rule for one or more primitives (functions, ufuncs, methods).

    `elementwise=True` declares that the primitive broadcasts its inputs, so the
    compiler unbroadcasts each contribution to its input's shape. `nondiff`
    names parameters that carry no derivative (a `where` condition): any other
    parameter the rule does not assign is an error if a derivative flows into it.

    Facts about the primitive (see `declare_facts`): `returns` what its result may share memory
    with (left out: it may share memory with its arguments, so an in-place update of either is
    refused while the other is still read); `mutates`, the parameters it changes in place besides
    `out`; `shape_only`, those it reads only for their shape and dtype.
    """
    chosen = kind or (Kind.ELEMENTWISE if elementwise else Kind.OTHER)

    def register(fn: F) -> F:
        for primitive in primitives:
            rule = register_adjoint(primitive, fn, chosen, nondiff)
            register_facts(primitive, make_facts(primitive, returns, mutates, shape_only, rule=rule))
        return fn

    return register


class Accepts:
    """Annotates a rule parameter with the argument values the rule handles (`dtype: FLOAT_DTYPE`).

    A call passing another value is refused with a located NoAdjointRuleError instead of
    being differentiated wrongly. Values known when the function is transformed (constants,
    and module attributes such as `np.float32`) are tested; a value computed at run time is
    refused unless `runtime=True` says the rule handles whatever it is.
    """

    def __init__(self, test: Callable[[Any], bool], reason: str, runtime: bool = False):
        self.test = test
        self.reason = reason
        self.runtime = runtime

    def refuse(self, value: Any) -> str | None:
        """Why a call passing `value` (known when the function is transformed, or `RUNTIME`) cannot be
        differentiated, or None."""
        if value is RUNTIME:
            return None if self.runtime else f"{self.reason}; got a value computed at run time"
        try:
            accepted = bool(self.test(value))
        except (TypeError, ValueError):
            accepted = False
        return None if accepted else f"{self.reason}; got {value!r}"

    def __repr__(self) -> str:
        return f"Accepts({self.reason!r})"


def _float_dtype(value: Any) -> bool:
    import numpy as np

    return value is None or np.dtype(value).kind == "f"


FLOAT_DTYPE = Accepts(_float_dtype, "only a floating dtype (or none) keeps a derivative: an integer or "
                      "boolean result is piecewise constant; convert the result explicitly instead")
UNMASKED = Accepts(lambda value: value is True, "a `where=` mask is not supported here; multiply by the mask "
                   "instead (`np.sum(x * m)`)")


def nondifferentiable(*primitives: Any, returns: Returns | None = None, mutates: Iterable[Parameter] = (),
                      shape_only: Iterable[Parameter] = (), effects: bool = False) -> None:
    """Declare primitives whose outputs carry no derivative (comparisons, shapes, signs), with their
    facts as for `declare_facts` (left out: a result that may share memory with the arguments)."""
    register_nondifferentiable(*primitives)
    for primitive in primitives:
        register_facts(primitive, make_facts(primitive, returns, mutates, shape_only, effects))


def declare_facts(*primitives: Any, returns: Returns, mutates: Iterable[Parameter] = (),
                  shape_only: Iterable[Parameter] = (), effects: bool = False) -> None:
    """Declare what a primitive does besides computing its value, for primitives with or without a rule.

    `returns`: a `Returns` member (NEW: shares no memory with its arguments; VIEW: may be one of
    them or a view of one; MAY_SHARE: anything). `mutates`: the parameters (names or positions; a
    method's receiver is 0; `EVERY`: all) it may change in place; a call passing `out=` always
    changes `out`. `shape_only`: parameters read only for their shape and dtype. `effects`: it does
    something else observable (prints, draws random numbers), so calls are never removed or merged.
    A primitive nobody declared is assumed to return a view of, change, and have effects on all its
    arguments: the compiler then copies them before the call and refuses it on differentiated values.
    """
    for primitive in primitives:
        register_facts(primitive, make_facts(primitive, returns, mutates, shape_only, effects))


def stop_gradient(x: Any) -> Any:
    """Return `x` unchanged; no derivative flows through it (it is registered non-differentiable)."""
    return x


nondifferentiable(stop_gradient, returns=Returns.VIEW)
