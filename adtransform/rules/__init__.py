"""Derivative rules, one module per library, registered through the public `adjoint` decorator."""

from . import math, numpy, numpy_elementwise, numpy_reductions, operators, runtime, sequences  # noqa: F401  (importing registers the rules)

# isort: split
from . import inplace  # noqa: F401  (the in-place contract of `y op= v`)

# isort: split
from . import numpy_linalg, numpy_products  # noqa: F401  (products and linear algebra)

# isort: split
from . import numpy_select, numpy_shape  # noqa: F401  (shapes, selection)

# isort: split
from . import conversions, numpy_astype, numpy_gaps  # noqa: F401  (lists converted by NumPy; np.astype; masked reductions, ...)

# isort: split
from . import numpy_diff  # noqa: F401  (np.diff)

# isort: split
from . import effects, library  # noqa: F401  (last: facts of functions without rules, and refinements)
