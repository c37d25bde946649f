"""Facts of what a function calls for its effect: printing, logging, warnings, raising.

These change nothing the program can see (no argument changes, the result is a number, a string
or None) but do something observable, so a call is never removed, merged or moved (`effects`),
and their results carry no derivative: a value printed or logged is not differentiated through
the call. canonicalize/statements.py turns `raise`, `assert` and f-strings into calls of these.
"""

import builtins
import logging
import warnings

from ..runtime import raise_exception
from .notation import nondifferentiable
from .registry import Returns

_LEVELS = "debug info warning warn error exception critical fatal log"

nondifferentiable(print, warnings.warn, warnings.warn_explicit, returns=Returns.NUMBER, effects=True)
nondifferentiable(*[getattr(logging, name) for name in _LEVELS.split() if hasattr(logging, name)],
                  returns=Returns.NUMBER, effects=True)
for _owner in (logging.Logger, logging.LoggerAdapter):
    nondifferentiable(*[getattr(_owner, name) for name in _LEVELS.split() if hasattr(_owner, name)],
                      returns=Returns.NUMBER, effects=True)
nondifferentiable(raise_exception, returns=Returns.NUMBER, effects=True)

# A string built from values (an f-string becomes `str.format`, `"{}".format(s)` too): a new string;
# the other methods of strings make new strings, or new lists or tuples of them.
nondifferentiable(str.format, returns=Returns.NUMBER)
nondifferentiable(*[f for name, f in vars(str).items() if callable(f) and not name.startswith("_")
                    and f is not str.format and name != "maketrans"], returns=Returns.NEW)
# Building a builtin exception stores its arguments and changes none of them.
nondifferentiable(*sorted((e for e in vars(builtins).values() if isinstance(e, type) and issubclass(e, BaseException)),
                          key=lambda e: e.__name__), returns=Returns.NEW)
