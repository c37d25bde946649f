"""Keywords that change which rule differentiates a call, or that the rule never sees.

Two kinds, both facts about primitives, declared here and read by reverse mode (ad/keywords.py):

* A keyword variant: `np.sum(x, where=m)` is differentiated by the rule of another primitive (a masked
  sum) when the call passes `where=` with a value other than `True`, so the rule of the common call
  stays as simple as it was (and its generated code unchanged).
* The keywords every NumPy ufunc takes (`np.exp(x, dtype=np.float32, casting=..., order=..., subok=...)`):
  the elementwise rules are written for the ufunc's arguments alone. `order=` and `subok=` change the
  memory layout and the array class of the result, not its values; `casting=` only decides whether
  NumPy accepts the call. `dtype=` (a floating one) is the precision the ufunc computes in: the
  derivative is the same function's, and each contribution goes back in its input's dtype. `where=`
  without `out=` leaves the unselected elements of the result uninitialised: it is refused with advice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .registry import RUNTIME

__all__ = ["UfuncKeywords", "declare_keyword_variant", "keyword_variant", "ufunc_keywords"]

_VARIANTS: dict[Any, tuple[str, Any, Any]] = {}

_IGNORED = ("casting", "order", "subok")
_WHERE_ADVICE = ("`where=` without `out=` leaves the unselected elements of the result uninitialised (NumPy "
                 "writes only where the mask holds); write `np.where(m, np.exp(x), 0.0)` instead")


def declare_keyword_variant(primitive: Any, parameter: str, variant: Any, default: Any = True) -> None:
    """Calls of `primitive` passing the keyword `parameter` with a value other than `default` are
    differentiated by the rule registered on `variant` (which takes the same parameters)."""
    _VARIANTS[primitive] = (parameter, variant, default)


def keyword_variant(key: Any, kwargs: dict[str, Any], known: Callable[[Any], Any]) -> Any:
    """The primitive whose rule differentiates this call of `key` (`key` itself but for a variant)."""
    try:
        declared = _VARIANTS.get(key)
    except TypeError:  # (an unhashable key)
        return key
    if declared is None or declared[0] not in kwargs:
        return key
    parameter, variant, default = declared
    value = known(kwargs[parameter])
    if value is not RUNTIME and value is default:
        return key
    return variant


class UfuncKeywords:
    """What reverse mode does with the ufunc keywords of a call: the keywords left for the rule, whether
    each contribution is cast back to its input's dtype, and why the call is refused (or None)."""

    def __init__(self, kwargs: dict[str, Any], cast: bool = False, refused: str | None = None):
        self.kwargs = kwargs
        self.cast = cast
        self.refused = refused


def ufunc_keywords(key: Any, kwargs: dict[str, Any], known: Callable[[Any], Any]) -> UfuncKeywords:
    """Take the ufunc keywords out of a call of `key` (see the module's docstring)."""
    if not isinstance(key, np.ufunc) or not kwargs:
        return UfuncKeywords(kwargs)
    if "where" in kwargs:
        if known(kwargs["where"]) is not True:
            return UfuncKeywords(kwargs, refused=_WHERE_ADVICE)
        kwargs = {name: value for name, value in kwargs.items() if name != "where"}
    if "signature" in kwargs:
        return UfuncKeywords(kwargs, refused="`signature=` is not supported; use `dtype=` (a floating dtype)")
    left = {name: value for name, value in kwargs.items() if name not in (*_IGNORED, "dtype")}
    if "dtype" not in kwargs:
        return UfuncKeywords(left)
    dtype = known(kwargs["dtype"])
    if dtype is RUNTIME:
        return UfuncKeywords(left, refused="`dtype=` must be known when the function is transformed (a value "
                                           "such as `np.float32`); got a value computed at run time")
    try:
        floating = dtype is None or np.dtype(dtype).kind == "f"
    except TypeError:
        floating = False
    if not floating:
        return UfuncKeywords(left, refused=f"only a floating `dtype=` keeps a derivative (an integer, boolean or "
                                           f"complex result is not differentiated here); got {dtype!r}")
    return UfuncKeywords(left, cast=dtype is not None)
