"""Reverse rule for `np.diff` (n-th differences along an axis, with `prepend=` and `append=`).

Contract: see rules/notation.py. The differences are linear in the joined array, so each input receives
its slice of the adjoint of the join (runtime/diffs.py). `n=0` returns `a` itself: the facts say the
result may be a view of it. `None` stands for `prepend`/`append` not given (NumPy's own default is a
private sentinel; passing None itself makes NumPy raise)."""

import numpy as np

from ..runtime.diffs import diff_adjoint
from .conversions import declare_converts
from .notation import adjoint, d, declare_facts
from .registry import Returns


@adjoint(np.diff, returns=Returns.VIEW)
def diff(y, a, n=1, axis=-1, prepend=None, append=None):
    d[a] = diff_adjoint(d[y], a, n, axis, prepend, append, 0)
    d[prepend] = diff_adjoint(d[y], a, n, axis, prepend, append, 1)
    d[append] = diff_adjoint(d[y], a, n, axis, prepend, append, 2)


declare_facts(diff_adjoint, returns=Returns.VIEW, shape_only=("a", "prepend", "append"))  # (`n=0`: `g` itself)
declare_converts(np.diff, parameters=(0, "a", 3, "prepend", 4, "append"))  # (as NumPy does: np.asanyarray)
