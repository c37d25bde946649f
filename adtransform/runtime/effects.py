"""The statements the user's function runs for their effect, as calls generated code can make.

`raise` is a statement, and the compiler's IR holds calls: canonicalize/statements.py turns
`raise E(...)` (and a failing `assert`) into a call of `raise_exception`, which raises exactly
what the user's statement raises, in the forward sweep where the user wrote it.
"""

from __future__ import annotations

from typing import Any, NoReturn


class _NoCause:
    def __repr__(self) -> str:
        return "NO_CAUSE"


_NO_CAUSE: Any = _NoCause()


def raise_exception(error: Any, cause: Any = _NO_CAUSE) -> NoReturn:
    """`raise error` (`raise error from cause` when a cause is given, `None` included)."""
    if cause is _NO_CAUSE:
        raise error
    raise error from cause
