"""Facts of library functions without derivative rules: NumPy, `ndarray` and list methods, builtins.

A call nobody declared facts for is assumed to return a view of, and to change, every argument
(the compiler then copies the arguments first, and refuses the call on a differentiated value),
so the functions a program commonly calls on values that need no derivative are declared here:
what they return and what they change. tests/test_facts.py checks the NumPy ones against NumPy.
Names missing from the installed NumPy are skipped.
"""

import builtins
import copy
import dataclasses
import math
import operator
import types

import numpy as np

from .notation import declare_facts
from .registry import Returns

NUMBER, NEW, NEW_ITEMS, VIEW, VIEWS, MAY_SHARE = (
    Returns.NUMBER, Returns.NEW, Returns.NEW_ITEMS, Returns.VIEW, Returns.VIEWS, Returns.MAY_SHARE)


def _of(owner: object, names: str) -> list[object]:
    return [getattr(owner, name) for name in names.split() if hasattr(owner, name)]


# --- NumPy functions ---------------------------------------------------------------------------

declare_facts(*_of(np, """
    zeros ones empty full zeros_like ones_like empty_like full_like arange linspace logspace geomspace eye
    identity array concatenate concat stack hstack vstack column_stack row_stack
    tri convolve correlate
    ediff1d trapezoid interp polyval polyfit argsort lexsort searchsorted bincount count_nonzero argwhere
    flatnonzero isclose
    nanargmax nanargmin cov corrcoef clip
    round around fix piecewise
    vander digitize packbits unpackbits isin setdiff1d union1d intersect1d setxor1d
    sign floor ceil rint trunc argmax argmin isnan isfinite isinf vecdot matvec vecmat
    """), returns=NEW)
declare_facts(*_of(np, "shape ndim size array_equal array_equiv allclose"), returns=NUMBER)
declare_facts(*_of(np, "nonzero unique meshgrid indices gradient unravel_index diag_indices tril_indices "
                       "triu_indices"), returns=NEW_ITEMS)
# `histogram(a, bins=edges)` returns `edges`; `ix_` reshapes its arguments (np.diff: rules/numpy_diff.py).
declare_facts(*_of(np, "histogram_bin_edges"), returns=VIEW)
declare_facts(*_of(np, "histogram histogram2d histogramdd ix_"), returns=VIEWS)
declare_facts(*_of(np, """
    asarray asanyarray ascontiguousarray asfortranarray asarray_chkfinite require asmatrix reshape ravel
    transpose permute_dims
    real imag nan_to_num real_if_close trim_zeros frombuffer
    """), returns=VIEW)
# (atleast_nd has a rule for one array, rules/numpy_shape.py; given several, it returns a list)
declare_facts(*_of(np, "atleast_1d atleast_2d atleast_3d"), returns=VIEWS)
declare_facts(*_of(np.lib.stride_tricks, "as_strided sliding_window_view"), returns=VIEW)
# Functions that write into their first argument (and return None).
declare_facts(*_of(np, "put putmask place copyto fill_diagonal put_along_axis"), returns=NUMBER, mutates=(0,))
declare_facts(*_of(np.linalg, "matrix_rank cond eigvals tensorinv tensorsolve"), returns=NEW)
declare_facts(np.linalg.eig, returns=NEW_ITEMS)
# Random draws change the generator's state: never merged or removed.
declare_facts(*_of(np.random, "normal uniform rand randn randint random random_sample standard_normal "
                              "choice permutation exponential poisson binomial gamma beta laplace "
                              "lognormal multivariate_normal default_rng"), returns=NEW, effects=True)
declare_facts(*_of(np.random, "seed"), returns=NUMBER, effects=True)
declare_facts(*_of(np.random, "shuffle"), returns=NUMBER, mutates=(0,), effects=True)
declare_facts(*_of(np.random.Generator, "normal uniform random integers standard_normal choice permutation "
                                        "exponential poisson binomial gamma beta laplace lognormal "
                                        "multivariate_normal"), returns=NEW, effects=True)
declare_facts(*_of(np.random.Generator, "shuffle"), returns=NUMBER, mutates=(1,), effects=True)

# --- ndarray methods and attributes (a method's receiver is position 0) --------------------------

declare_facts(*_of(np.ndarray, """
    round clip argmax argmin argsort tolist flatten searchsorted
    compress choose tobytes nonzero
    """), returns=NEW)
declare_facts(np.ndarray.nonzero, returns=NEW_ITEMS)
declare_facts(*_of(np.ndarray, "shape ndim size dtype itemsize nbytes strides"), returns=NUMBER)
declare_facts(*_of(np.ndarray, "view real imag base "
                               "data getfield"), returns=VIEW)
declare_facts(*_of(np.ndarray, "sort partition fill put resize setfield setflags"), returns=NUMBER, mutates=(0,))
declare_facts(*_of(np.ndarray, "byteswap"), returns=VIEW, mutates=(0,))
declare_facts(*_of(np.ndarray, "tofile dump"), returns=NUMBER, effects=True)

# --- lists and tuples ---------------------------------------------------------------------------

declare_facts(list.append, list.extend, list.insert, list.remove, list.clear, list.sort, list.reverse,
              returns=NUMBER, mutates=(0,))
declare_facts(list.pop, returns=MAY_SHARE, mutates=(0,))
declare_facts(list.index, list.count, tuple.index, tuple.count, returns=NUMBER)
declare_facts(list.copy, dict.copy, returns=VIEWS)  # a new list holding the same elements
declare_facts(dict.items, dict.values, dict.keys, dict.get, returns=MAY_SHARE)  # views of its entries

# NumPy's scalar types: a new scalar, but given an array of their own dtype, that array itself.
declare_facts(*sorted({t for t in np.sctypeDict.values() if issubclass(t, np.generic)}, key=lambda t: t.__name__),
              returns=VIEW)
declare_facts(copy.copy, returns=MAY_SHARE)  # a shallow copy holds the same elements
declare_facts(copy.deepcopy, returns=NEW)
declare_facts(dataclasses.replace, returns=VIEWS)  # a new object holding the same values but those given

# --- builtins, `math` and `operator` ------------------------------------------------------------

declare_facts(int, bool, complex, len, isinstance, hasattr, id, str, repr, any, all, callable, hash,
              returns=NUMBER)
declare_facts(range, round, pow, returns=NEW)
declare_facts(min, max, builtins.sum, returns=MAY_SHARE)  # may return an argument (`sum([], a)` is `a`)
declare_facts(list, tuple, dict, sorted, zip, enumerate, reversed, iter, returns=VIEWS)  # the same elements
# `math` functions convert their arguments to numbers, except those calling a method of the argument
# (`floor`, `ceil`, `trunc`) or multiplying objects (`prod`, `sumprod`).
declare_facts(*[f for name, f in vars(math).items() if isinstance(f, types.BuiltinFunctionType)
                and name not in ("floor", "ceil", "trunc", "prod", "sumprod")], returns=NUMBER)
declare_facts(*_of(math, "floor ceil trunc prod sumprod"), returns=MAY_SHARE)
declare_facts(operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne, operator.floordiv,
              operator.mod, operator.and_, operator.or_, operator.xor, operator.invert, operator.lshift,
              operator.rshift, returns=NEW)
declare_facts(operator.not_, operator.is_, operator.is_not, operator.truth, returns=NUMBER)
