"""Everything generated code may import from adtransform, and nothing else.

Kept small and dependency-free (NumPy only) so that generated source can be
saved and run on its own with `from adtransform.runtime import *`.
"""

from .broadcast import reduced_size, unbroadcast, unreduce
from .checks import (
    all_scalars,
    ensure_cotangent,
    ensure_differentiable,
    ensure_float_target,
    ensure_scalar,
    has_ranks,
)
from .helpers import (
    copy_gradient,
    dot_lhs_adjoint,
    dot_lhs_adjoint_sum,
    dot_rhs_adjoint,
    dot_rhs_adjoint_sum,
    extremum_adjoint,
    float_items,
    full_like,
    getitem_accumulate,
    getitem_adjoint,
    index_update,
    matmul_lhs_adjoint,
    matmul_lhs_adjoint_sum,
    matmul_rhs_adjoint,
    matmul_rhs_adjoint_sum,
    slot_adjoint,
    tie_share,
    transpose_adjoint,
    zeros_like,
)
from .rows import (
    matmul_rows,
    matmul_rows_lhs_adjoint,
    matmul_rows_rhs_adjoint,
    rows_matmul,
    rows_matmul_lhs_adjoint,
    rows_matmul_rhs_adjoint,
    rows_of_steps,
)

__all__ = [
    "all_scalars",
    "copy_gradient",
    "dot_lhs_adjoint",
    "dot_lhs_adjoint_sum",
    "dot_rhs_adjoint",
    "dot_rhs_adjoint_sum",
    "ensure_cotangent",
    "ensure_differentiable",
    "ensure_float_target",
    "ensure_scalar",
    "extremum_adjoint",
    "float_items",
    "full_like",
    "getitem_accumulate",
    "getitem_adjoint",
    "has_ranks",
    "index_update",
    "matmul_lhs_adjoint",
    "matmul_lhs_adjoint_sum",
    "matmul_rhs_adjoint",
    "matmul_rhs_adjoint_sum",
    "matmul_rows",
    "matmul_rows_lhs_adjoint",
    "matmul_rows_rhs_adjoint",
    "reduced_size",
    "rows_matmul",
    "rows_matmul_lhs_adjoint",
    "rows_matmul_rhs_adjoint",
    "rows_of_steps",
    "slot_adjoint",
    "tie_share",
    "transpose_adjoint",
    "unbroadcast",
    "unreduce",
    "zeros_like",
]
