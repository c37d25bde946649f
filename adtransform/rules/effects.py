"""Facts of what a function calls for its effect: printing, logging, warnings, raising.

These change nothing the program can see (no argument changes, the result is a number, a string
or None) but do something observable, so a call is never removed, merged or moved (`effects`).
A value printed or logged is not differentiated through the call: its result (None, a string)
reaches no output, so reverse mode asks for no rule. canonicalize/statements.py turns `raise`,
`assert` and f-strings into calls of these.
"""

import builtins
import logging
import warnings

from ..runtime import raise_exception
from .notation import declare_facts
from .registry import Returns

_LEVELS = "debug info warning warn error exception critical fatal log"

declare_facts(print, warnings.warn, warnings.warn_explicit, returns=Returns.NUMBER, effects=True)
declare_facts(*[getattr(logging, name) for name in _LEVELS.split() if hasattr(logging, name)],
                  returns=Returns.NUMBER, effects=True)
for _owner in (logging.Logger, logging.LoggerAdapter):
    declare_facts(*[getattr(_owner, name) for name in _LEVELS.split() if hasattr(_owner, name)],
                      returns=Returns.NUMBER, effects=True)
declare_facts(raise_exception, returns=Returns.NUMBER, effects=True)
# A logger is looked up by name (made once, kept by `logging`): it holds no value of the program.
declare_facts(logging.getLogger, returns=Returns.NEW)

# A string built from values (an f-string becomes `str.format`, `"{}".format(s)` too): a new string;
# the other methods of strings make new strings, or new lists or tuples of them.
declare_facts(str.format, returns=Returns.NUMBER)
declare_facts(*[f for name, f in vars(str).items() if callable(f) and not name.startswith("_")
                    and f is not str.format and name != "maketrans"], returns=Returns.NEW)
# Building a builtin exception stores its arguments and changes none of them.
declare_facts(*sorted((e for e in vars(builtins).values() if isinstance(e, type) and issubclass(e, BaseException)),
                          key=lambda e: e.__name__), returns=Returns.NEW)
