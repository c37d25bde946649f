"""Reverse rules for NumPy's reductions and scans beyond sum/mean/max/min (rules/numpy.py):
var, std, prod, cumsum, cumprod, cumulative_sum/prod, ptp, average, median, quantile, percentile,
the NaN-skipping variants and np.linalg.norm, with their ndarray methods.

Contract: see rules/notation.py. Parameter names mirror NumPy's, so keyword calls bind as they
bind to NumPy; `axis` may be an int, a tuple, negative or None, and the helpers in
runtime/reductions.py and runtime/norms.py read it as NumPy does. Conventions where a derivative
is undefined (std and norm at zero, ties of max-like reductions and medians) are documented there.
"""

import numpy as np

from ..runtime import extremum_adjoint, unbroadcast
from ..runtime.norms import norm_adjoint
from ..runtime.reductions import (
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
from .notation import FLOAT_DTYPE, Accepts, adjoint, d, declare_facts, nondifferentiable
from .registry import Kind, Returns

NO_MEAN = Accepts(lambda value: value is None, "a precomputed `mean=` is not supported; leave it out (NumPy "
                                               "computes the same mean)")
NOT_RETURNED = Accepts(lambda value: value is False, "`returned=True` (a tuple result) is not supported; compute "
                                                     "the sum of the weights separately")
NOT_OVERWRITTEN = Accepts(lambda value: value is False, "`overwrite_input=True` changes the argument in place; "
                                                        "leave it out")


@adjoint(np.var, np.ndarray.var, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def var(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, ddof=0, keepdims=False, *, where=True,
        mean: NO_MEAN = None, correction=None):
    d[a] = var_adjoint(d[y], a, axis, ddof, keepdims, where, correction)


@adjoint(np.std, np.ndarray.std, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def std(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, ddof=0, keepdims=False, *, where=True,
        mean: NO_MEAN = None, correction=None):
    d[a] = std_adjoint(d[y], a, y, axis, ddof, keepdims, where, correction)


@adjoint(np.prod, np.ndarray.prod, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def prod(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=1, where=True):
    d[a] = prod_adjoint(d[y], a, axis, keepdims, initial, where)
    d[initial] = prod_initial_adjoint(d[y], a, initial, axis, keepdims, where)


@adjoint(np.cumsum, np.ndarray.cumsum, returns=Returns.NEW)
def cumsum(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None):
    d[a] = cumsum_adjoint(d[y], a, axis)


@adjoint(np.cumprod, np.ndarray.cumprod, returns=Returns.NEW)
def cumprod(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None):
    d[a] = cumprod_adjoint(d[y], a, y, axis)


@adjoint(np.cumulative_sum, returns=Returns.NEW)
def cumulative_sum(y, x, /, *, axis=None, dtype: FLOAT_DTYPE = None, out=None, include_initial=False):
    d[x] = cumsum_adjoint(drop_initial(d[y], axis, include_initial), x, axis)


@adjoint(np.cumulative_prod, returns=Returns.NEW)
def cumulative_prod(y, x, /, *, axis=None, dtype: FLOAT_DTYPE = None, out=None, include_initial=False):
    d[x] = cumprod_adjoint(drop_initial(d[y], axis, include_initial), x, drop_initial(y, axis, include_initial),
                           axis)


@adjoint(np.ptp, kind=Kind.REDUCTION, returns=Returns.NEW)
def ptp(y, a, axis=None, out=None, keepdims=False):
    d[a] = ptp_adjoint(d[y], a, axis, keepdims)


@adjoint(np.average, kind=Kind.REDUCTION, returns=Returns.NEW)
def average(y, a, axis=None, weights=None, returned: NOT_RETURNED = False, *, keepdims=False):
    d[a] = average_adjoint(d[y], a, weights, y, axis, keepdims, False)
    d[weights] = average_adjoint(d[y], a, weights, y, axis, keepdims, True)


@adjoint(np.nansum, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def nansum(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=0, where=True):
    d[a] = nansum_adjoint(d[y], a, axis, keepdims, where)
    d[initial] = unbroadcast(d[y], initial)


@adjoint(np.nanmean, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def nanmean(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, *, where=True):
    d[a] = nanmean_adjoint(d[y], a, axis, keepdims, where)


@adjoint(np.median, kind=Kind.REDUCTION, returns=Returns.NEW)
def median(y, a, axis=None, out=None, overwrite_input: NOT_OVERWRITTEN = False, keepdims=False):
    d[a] = median_adjoint(d[y], a, y, axis, keepdims, False)


@adjoint(np.nanmedian, kind=Kind.REDUCTION, returns=Returns.NEW)
def nanmedian(y, a, axis=None, out=None, overwrite_input: NOT_OVERWRITTEN = False, keepdims=False):
    d[a] = median_adjoint(d[y], a, y, axis, keepdims, True)


LINEAR = Accepts(lambda value: value == "linear", "only the default `method='linear'` is supported")
UNWEIGHTED = Accepts(lambda value: value is None, "`weights=` is not supported")


@adjoint(np.quantile, returns=Returns.NEW)
def quantile(y, a, q, axis=None, out=None, overwrite_input: NOT_OVERWRITTEN = False, method: LINEAR = "linear",
             keepdims=False, *, weights: UNWEIGHTED = None):
    # The result has q's axes first (not a reduction's shape when q is an array): Kind.OTHER.
    d[a] = quantile_adjoint(d[y], a, q, axis, keepdims, 1.0)
    d[q] = quantile_q_adjoint(d[y], a, q, axis, keepdims, 1.0)


@adjoint(np.percentile, returns=Returns.NEW)
def percentile(y, a, q, axis=None, out=None, overwrite_input: NOT_OVERWRITTEN = False, method: LINEAR = "linear",
               keepdims=False, *, weights: UNWEIGHTED = None):
    d[a] = quantile_adjoint(d[y], a, q, axis, keepdims, 100.0)
    d[q] = quantile_q_adjoint(d[y], a, q, axis, keepdims, 100.0)


# --- NaN-skipping variants: the reduction over the elements that are not NaN ------------------------


@adjoint(np.nanmax, np.nanmin, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def nanextremum(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    # A NaN never equals the extremum, so it gets no share (extremum_adjoint's mask `a == y`).
    d[a] = extremum_adjoint(d[y], a, y, axis, keepdims, where)


@adjoint(np.nanvar, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def nanvar(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, ddof=0, keepdims=False, *, where=True,
           mean: NO_MEAN = None, correction=None):
    d[a] = var_adjoint(d[y], a, axis, ddof, keepdims, np.logical_and(np.logical_not(np.isnan(a)), where), correction)


@adjoint(np.nanstd, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def nanstd(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, ddof=0, keepdims=False, *, where=True,
           mean: NO_MEAN = None, correction=None):
    d[a] = std_adjoint(d[y], a, y, axis, ddof, keepdims, np.logical_and(np.logical_not(np.isnan(a)), where),
                       correction)


@adjoint(np.nanprod, kind=Kind.REDUCTION, nondiff=("where",), returns=Returns.NEW)
def nanprod(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None, keepdims=False, initial=1, where=True):
    d[a] = prod_adjoint(d[y], a, axis, keepdims, initial, np.logical_and(np.logical_not(np.isnan(a)), where))
    d[initial] = prod_initial_adjoint(d[y], a, initial, axis, keepdims,
                                      np.logical_and(np.logical_not(np.isnan(a)), where))


@adjoint(np.nancumsum, returns=Returns.NEW)
def nancumsum(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None):
    d[a] = np.where(np.isnan(a), 0.0, cumsum_adjoint(d[y], a, axis))


@adjoint(np.nancumprod, returns=Returns.NEW)
def nancumprod(y, a, axis=None, dtype: FLOAT_DTYPE = None, out=None):
    # NaNs count as 1.
    d[a] = np.where(np.isnan(a), 0.0, cumprod_adjoint(d[y], np.where(np.isnan(a), 1.0, a), y, axis))


@adjoint(np.linalg.norm, kind=Kind.REDUCTION, returns=Returns.NEW)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_adjoint(d[y], x, y, ord, axis, keepdims)


# Boolean results: piecewise constant.
nondifferentiable(np.all, np.any, np.ndarray.all, np.ndarray.any, returns=Returns.NEW)


declare_facts(drop_initial, returns=Returns.VIEW)
declare_facts(var_adjoint, std_adjoint, prod_adjoint, prod_initial_adjoint, cumsum_adjoint, cumprod_adjoint,
              ptp_adjoint, average_adjoint, median_adjoint, quantile_adjoint, quantile_q_adjoint, nansum_adjoint,
              nanmean_adjoint, norm_adjoint, returns=Returns.NEW)
