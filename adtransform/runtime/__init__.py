"""Everything generated code may import from adtransform, and nothing else.

Kept small and dependency-free (NumPy only) so that generated source can be
saved and run on its own with `from adtransform.runtime import *`.
"""

from .accumulate import add_in, add_into, mul_in, mul_into, spread, sub_in, sub_into, unary_into
from .arrays import (
    arange_start_adjoint,
    arange_step_adjoint,
    fill_adjoint,
    linspace_adjoint,
    reshape_adjoint,
    transpose_adjoint,
)
from .broadcast import reduced_size, unbroadcast, unreduce
from .checks import (
    all_scalars,
    ensure_all_differentiable,
    ensure_apart,
    ensure_argument,
    ensure_arguments,
    ensure_array_argument,
    ensure_cotangent,
    ensure_differentiable,
    ensure_float_target,
    ensure_number,
    ensure_scalar,
    has_ranks,
)
from .contractions import (
    cross_adjoint,
    einsum_adjoint,
    inner_adjoint,
    kron_adjoint,
    multi_dot_adjoint,
    tensordot_adjoint,
    trace_adjoint,
)
from .dtypes import ensure_real
from .effects import raise_exception
from .elementwise import (
    as_gradient,
    clip_share,
    copy_gradient,
    extremum_adjoint,
    floor_quotient,
    fmax_share,
    full_like,
    has_python_floats,
    numpy_float,
    python_max_share,
    python_pick_adjoint,
    tie_share,
    zeros_like,
)
from .floats import divide_as_numpy, floor_divide_as_numpy, mod_as_numpy, power_as_numpy
from .helpers import (
    ensure_distinct_slots,
    ensure_whole_write,
    index_update,
    replay_record,
    slot_adjoint,
    writable_copy,
)
from .inplace import copy_like, in_place_result
from .items import float_items, from_items, getitem_accumulate, getitem_adjoint, zeros_items
from .linalg import (
    cholesky_adjoint,
    det_adjoint,
    eigh_adjoint,
    eigvalsh_adjoint,
    inv_adjoint,
    lstsq_adjoint,
    matrix_power_adjoint,
    pinv_adjoint,
    qr_adjoint,
    slogdet_adjoint,
    solve_cotangent,
    solve_lhs_adjoint,
    svd_adjoint,
)
from .norms import norm_adjoint
from .products import (
    dot_lhs_adjoint,
    dot_lhs_adjoint_sum,
    dot_rhs_adjoint,
    dot_rhs_adjoint_sum,
    matmul_lhs_adjoint,
    matmul_lhs_adjoint_sum,
    matmul_rhs_adjoint,
    matmul_rhs_adjoint_sum,
)
from .reductions import (
    average_adjoint,
    cumprod_adjoint,
    cumsum_adjoint,
    drop_initial,
    median_adjoint,
    nanmean_adjoint,
    nansum_adjoint,
    prod_adjoint,
    prod_initial_adjoint,
    ptp_adjoint,
    quantile_adjoint,
    quantile_q_adjoint,
    std_adjoint,
    var_adjoint,
)
from .rows import (
    dot_rows,
    dot_rows_lhs_adjoint,
    dot_rows_rhs_adjoint,
    matmul_rows,
    matmul_rows_lhs_adjoint,
    matmul_rows_rhs_adjoint,
    rows_dot,
    rows_dot_lhs_adjoint,
    rows_dot_rhs_adjoint,
    rows_matmul,
    rows_matmul_lhs_adjoint,
    rows_matmul_rhs_adjoint,
    rows_of_steps,
)
from .scipy_linalg import (
    cho_factor_adjoint,
    cho_solve_adjoint,
    expm_adjoint,
    scipy_solve_adjoint,
    solve_triangular_adjoint,
)
from .sequences import (
    array_adjoint,
    concatenate_adjoint,
    list_append,
    list_length,
    sequence_add,
    sequence_concat_adjoint,
    sequence_copy,
    sequence_fill,
    sequence_index_accumulate,
    sequence_index_adjoint,
    sequence_item_adjoint,
    sequence_or_zero,
    sequence_pick,
    sequence_pop,
    sequence_reduction_adjoint,
    sequence_take,
    stack_adjoint,
    stacking_adjoint,
    unpack_check,
)
from .ufuncs import astype_adjoint, clip_bound, item_adjoint, sinc_slope
from .witnesses import broadcast_like

__all__ = [
    "add_in",
    "add_into",
    "all_scalars",
    "arange_start_adjoint",
    "arange_step_adjoint",
    "array_adjoint",
    "as_gradient",
    "astype_adjoint",
    "average_adjoint",
    "broadcast_like",
    "cho_factor_adjoint",
    "cho_solve_adjoint",
    "cholesky_adjoint",
    "clip_bound",
    "clip_share",
    "concatenate_adjoint",
    "copy_gradient",
    "cross_adjoint",
    "cumprod_adjoint",
    "cumsum_adjoint",
    "det_adjoint",
    "dot_lhs_adjoint",
    "dot_lhs_adjoint_sum",
    "dot_rhs_adjoint",
    "dot_rhs_adjoint_sum",
    "dot_rows",
    "dot_rows_lhs_adjoint",
    "dot_rows_rhs_adjoint",
    "drop_initial",
    "eigh_adjoint",
    "eigvalsh_adjoint",
    "einsum_adjoint",
    "ensure_all_differentiable",
    "ensure_apart",
    "ensure_argument",
    "ensure_arguments",
    "ensure_array_argument",
    "ensure_cotangent",
    "ensure_differentiable",
    "ensure_distinct_slots",
    "ensure_float_target",
    "ensure_number",
    "ensure_real",
    "ensure_scalar",
    "ensure_whole_write",
    "expm_adjoint",
    "extremum_adjoint",
    "fill_adjoint",
    "float_items",
    "floor_quotient",
    "fmax_share",
    "from_items",
    "full_like",
    "getitem_accumulate",
    "getitem_adjoint",
    "has_python_floats",
    "has_ranks",
    "index_update",
    "inner_adjoint",
    "inv_adjoint",
    "item_adjoint",
    "kron_adjoint",
    "linspace_adjoint",
    "list_append",
    "list_length",
    "lstsq_adjoint",
    "matmul_lhs_adjoint",
    "matmul_lhs_adjoint_sum",
    "matmul_rhs_adjoint",
    "matmul_rhs_adjoint_sum",
    "matmul_rows",
    "matmul_rows_lhs_adjoint",
    "matmul_rows_rhs_adjoint",
    "matrix_power_adjoint",
    "median_adjoint",
    "mul_in",
    "mul_into",
    "multi_dot_adjoint",
    "nanmean_adjoint",
    "nansum_adjoint",
    "norm_adjoint",
    "numpy_float",
    "pinv_adjoint",
    "prod_adjoint",
    "prod_initial_adjoint",
    "ptp_adjoint",
    "python_max_share",
    "python_pick_adjoint",
    "qr_adjoint",
    "quantile_adjoint",
    "quantile_q_adjoint",
    "raise_exception",
    "reduced_size",
    "replay_record",
    "reshape_adjoint",
    "rows_dot",
    "rows_dot_lhs_adjoint",
    "rows_dot_rhs_adjoint",
    "rows_matmul",
    "rows_matmul_lhs_adjoint",
    "rows_matmul_rhs_adjoint",
    "rows_of_steps",
    "scipy_solve_adjoint",
    "sequence_add",
    "sequence_concat_adjoint",
    "sequence_copy",
    "sequence_fill",
    "sequence_index_accumulate",
    "sequence_index_adjoint",
    "sequence_item_adjoint",
    "sequence_or_zero",
    "sequence_pick",
    "sequence_pop",
    "sequence_reduction_adjoint",
    "sequence_take",
    "sinc_slope",
    "slogdet_adjoint",
    "slot_adjoint",
    "solve_cotangent",
    "solve_lhs_adjoint",
    "solve_triangular_adjoint",
    "spread",
    "stack_adjoint",
    "stacking_adjoint",
    "std_adjoint",
    "sub_in",
    "sub_into",
    "svd_adjoint",
    "tensordot_adjoint",
    "tie_share",
    "trace_adjoint",
    "transpose_adjoint",
    "unary_into",
    "unbroadcast",
    "unpack_check",
    "unreduce",
    "var_adjoint",
    "writable_copy",
    "zeros_items",
    "zeros_like",
]

# scipy.special and scipy.stats helpers (NumPy only; SciPy is imported by a helper when it runs)
from .scipy_special import (
    log_softmax_adjoint,
    logsumexp_a_adjoint,
    logsumexp_b_adjoint,
    multigammaln_share,
    softmax_adjoint,
)
from .scipy_stats import (
    dirichlet_alpha_adjoint,
    dirichlet_backward,
    dirichlet_x_adjoint,
    mvn_backward,
    mvn_cov_adjoint,
    mvn_mean_adjoint,
    mvn_x_adjoint,
)

__all__ += [
    "dirichlet_alpha_adjoint",
    "dirichlet_backward",
    "dirichlet_x_adjoint",
    "log_softmax_adjoint",
    "logsumexp_a_adjoint",
    "logsumexp_b_adjoint",
    "multigammaln_share",
    "mvn_backward",
    "mvn_cov_adjoint",
    "mvn_mean_adjoint",
    "mvn_x_adjoint",
    "softmax_adjoint",
]

# scipy.stats cdf/sf/ppf and scipy.special incomplete gamma/beta: shape derivatives by quadrature
from .scipy_incomplete import betainc_da, betainc_db, density_ratio, gammainc_da, t_cdf_ddf, value_ratio  # noqa: E402
from .scipy_special_extra import boxcox_lmbda_share, logsumexp_cotangent, logsumexp_value  # noqa: E402

__all__ += ["betainc_da", "betainc_db", "boxcox_lmbda_share", "density_ratio", "gammainc_da", "logsumexp_cotangent",
            "logsumexp_value", "t_cdf_ddf", "value_ratio"]

# isort: split
from . import selection, shapes  # noqa: E402
from .selection import *  # noqa: E402, F403
from .shapes import *  # noqa: E402, F403

__all__ += selection.__all__ + shapes.__all__
__all__ += ["copy_like", "in_place_result"]

# isort: split
from .gaps import sequence_array  # noqa: E402

__all__ += ["sequence_array"]
__all__ += ["divide_as_numpy", "floor_divide_as_numpy", "mod_as_numpy", "power_as_numpy"]

# isort: split
from .picks import clip_adjoint, fmax_adjoint, tie_adjoint, times_share  # noqa: E402

__all__ += ["clip_adjoint", "fmax_adjoint", "tie_adjoint", "times_share"]

# isort: split
from .diffs import diff_adjoint  # noqa: E402

__all__ += ["diff_adjoint"]
