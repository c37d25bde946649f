"""The reverse rule of NumPy 2's function form of `astype`, `np.astype(x, dtype)`: as the ndarray
method's (rules/numpy_elementwise.py), the identity on values for a floating dtype and no derivative
for an integer or boolean one (the activity analysis stops it there: analysis/activity.py).

Contract: see rules/notation.py.
"""

import numpy as np

from ..runtime.ufuncs import astype_adjoint
from .notation import adjoint, d
from .registry import Returns

if hasattr(np, "astype"):  # (NumPy >= 2.1)

    @adjoint(np.astype, returns=Returns.VIEW, shape_only=("dtype",))
    def astype_function(y, x, dtype, /, *, copy=True, device=None):
        # `copy=False` may return `x` itself: the facts say so (VIEW).
        d[x] = astype_adjoint(d[y], x, y)
