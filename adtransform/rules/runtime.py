"""Reverse rules for the runtime helpers that passes put into the primal computation.

Contract: see rules/notation.py. A pass may replace user operations by a helper
before reverse mode (optimize/hoist_projections.py); the helper is then a
primitive like any other, and generated code fed back into `grad` finds its rule.
The `@` helpers' `product` (`@` or np.matmul, whichever the loop called) carries
no derivative and needs no rule of its own: both are differentiated as `@`.
"""

import operator

from .. import runtime as _rt
from ..runtime import (
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
)
from .notation import adjoint, d, declare_facts
from .registry import Returns


@adjoint(matmul_rows, nondiff=("start", "stop", "step", "product"), returns=Returns.NEW)
def matmul_rows_rule(y, a, x, start, stop, step, product=operator.matmul):
    d[a] = matmul_rows_lhs_adjoint(d[y], a, x, start, stop, step)
    d[x] = matmul_rows_rhs_adjoint(d[y], a, x, start, stop, step)


@adjoint(rows_matmul, nondiff=("start", "stop", "step", "product"), returns=Returns.NEW)
def rows_matmul_rule(y, x, b, start, stop, step, product=operator.matmul):
    d[x] = rows_matmul_lhs_adjoint(d[y], x, b, start, stop, step)
    d[b] = rows_matmul_rhs_adjoint(d[y], x, b, start, stop, step)


@adjoint(dot_rows, nondiff=("start", "stop", "step"), returns=Returns.NEW)
def dot_rows_rule(y, a, x, start, stop, step):
    d[a] = dot_rows_lhs_adjoint(d[y], a, x, start, stop, step)
    d[x] = dot_rows_rhs_adjoint(d[y], a, x, start, stop, step)


@adjoint(rows_dot, nondiff=("start", "stop", "step"), returns=Returns.NEW)
def rows_dot_rule(y, x, b, start, stop, step):
    d[x] = rows_dot_lhs_adjoint(d[y], x, b, start, stop, step)
    d[b] = rows_dot_rhs_adjoint(d[y], x, b, start, stop, step)


# --- facts of the helpers generated code calls -----------------------------------------------------

declare_facts(_rt.zeros_like, _rt.full_like, _rt.getitem_adjoint, _rt.zeros_items, returns=Returns.NEW,
              shape_only=("x",))
declare_facts(_rt.reduced_size, returns=Returns.NUMBER, shape_only=("x",))
declare_facts(_rt.unbroadcast, _rt.unreduce, returns=Returns.VIEW, shape_only=("x",))  # may return `g` itself
declare_facts(_rt.spread, returns=Returns.VIEW, shape_only=("x",))  # a read-only view of `g`
# They compute in their first argument's buffer (optimize/adjoint_buffers.py) and return it.
declare_facts(_rt.add_into, _rt.sub_into, _rt.mul_into, _rt.unary_into, returns=Returns.VIEW, mutates=("acc",))
declare_facts(_rt.add_in, _rt.sub_in, _rt.mul_in, returns=Returns.VIEW, mutates=("buf",))
declare_facts(_rt.broadcast_like, returns=Returns.VIEW, shape_only=("a", "b"))  # (a view of a new zero)
declare_facts(_rt.slot_adjoint, returns=Returns.NEW, shape_only=("value",))
declare_facts(_rt.copy_gradient, _rt.tie_share, _rt.extremum_adjoint, _rt.matmul_lhs_adjoint,
              _rt.matmul_rhs_adjoint, _rt.dot_lhs_adjoint, _rt.dot_rhs_adjoint, _rt.matmul_lhs_adjoint_sum,
              _rt.matmul_rhs_adjoint_sum, _rt.dot_lhs_adjoint_sum, _rt.dot_rhs_adjoint_sum, _rt.replay_record,
              _rt.matmul_rows_lhs_adjoint, _rt.matmul_rows_rhs_adjoint, _rt.rows_matmul_lhs_adjoint,
              _rt.rows_matmul_rhs_adjoint, _rt.dot_rows_lhs_adjoint, _rt.dot_rows_rhs_adjoint,
              _rt.rows_dot_lhs_adjoint, _rt.rows_dot_rhs_adjoint, _rt.rows_of_steps, returns=Returns.NEW)
declare_facts(_rt.transpose_adjoint, _rt.float_items, _rt.from_items, returns=Returns.VIEW)
declare_facts(_rt.all_scalars, _rt.has_ranks, _rt.python_max_share, returns=Returns.NUMBER)
declare_facts(_rt.python_pick_adjoint, returns=Returns.NEW)  # (a share of `g`, computed anew)
# `getitem_accumulate` adds into its accumulator and returns it.
declare_facts(_rt.getitem_accumulate, returns=Returns.VIEW, mutates=("acc",), shape_only=("x",))
# Checks raise on a wrong input: never removed, merged or moved.
declare_facts(_rt.ensure_scalar, _rt.ensure_differentiable, _rt.ensure_all_differentiable, _rt.ensure_cotangent,
              _rt.ensure_array_argument, _rt.ensure_float_target, _rt.ensure_number, _rt.ensure_apart, _rt.ensure_real,
              returns=Returns.NUMBER,
              effects=True)
# A new buffer each call, written into by the call that follows: never merged with another or moved.
declare_facts(_rt.writable_copy, returns=Returns.NEW, effects=True)
# The rules' own helpers: they read `y` for its dtype only; those that may hand `g` back are views.
declare_facts(_rt.tie_adjoint, _rt.fmax_adjoint, _rt.clip_adjoint, returns=Returns.NEW)
declare_facts(_rt.times_share, returns=Returns.VIEW, mutates=("share",))  # (the product in `share`'s buffer)
declare_facts(_rt.fmax_share, _rt.clip_share, _rt.floor_quotient, _rt.arange_step_adjoint, returns=Returns.NEW)
declare_facts(_rt.fill_adjoint, _rt.arange_start_adjoint, _rt.linspace_adjoint, returns=Returns.VIEW,
              shape_only=("y",))
# `reshape_adjoint` reads `a`'s layout too (order 'A'/'K'): not shape-only, or a witness of another layout answers.
declare_facts(_rt.reshape_adjoint, returns=Returns.VIEW)
declare_facts(_rt.as_gradient, returns=Returns.VIEW, shape_only=("x",))
declare_facts(_rt.numpy_float, returns=Returns.VIEW)
declare_facts(_rt.has_python_floats, returns=Returns.NUMBER)
declare_facts(_rt.divide_as_numpy, _rt.floor_divide_as_numpy, _rt.mod_as_numpy, _rt.power_as_numpy, returns=Returns.NEW)
declare_facts(_rt.ensure_argument, _rt.ensure_arguments, _rt.ensure_distinct_slots, _rt.ensure_whole_write,
              returns=Returns.NUMBER,
              effects=True)
# scipy.special and scipy.stats helpers (declared here, not in the SciPy rules modules, which load lazily)
declare_facts(_rt.logsumexp_a_adjoint, _rt.logsumexp_b_adjoint, _rt.softmax_adjoint, _rt.log_softmax_adjoint,
              _rt.multigammaln_share, _rt.mvn_x_adjoint, _rt.mvn_mean_adjoint, _rt.mvn_cov_adjoint,
              _rt.dirichlet_x_adjoint, _rt.dirichlet_alpha_adjoint, returns=Returns.NEW)
declare_facts(_rt.mvn_backward, _rt.dirichlet_backward, returns=Returns.VIEWS)  # parts may be the arguments
declare_facts(_rt.gammainc_da, _rt.betainc_da, _rt.betainc_db, _rt.t_cdf_ddf, _rt.density_ratio, _rt.value_ratio,
              _rt.boxcox_lmbda_share, returns=Returns.NEW)
declare_facts(_rt.logsumexp_value, _rt.logsumexp_cotangent, returns=Returns.VIEW)  # (the result, or its item)
