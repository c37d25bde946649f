"""Reverse rules for scipy.special (loaded once a program imports it: rules/optional.py).

Contract: see rules/notation.py. The ufuncs are elementwise; `logsumexp`, `softmax`, `log_softmax`
reduce over `axis` (runtime/scipy_special.py). Conventions where a derivative is infinite or
undefined follow JAX: `xlogy(x, y)` has d/dx = log(y) and d/dy = x / y everywhere (so at x == 0,
d/dy is 0 for y > 0; at (0, 0), -inf and nan), `xlog1py` likewise with 1 + y.
"""

try:
    from scipy import special
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.special need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from ..runtime import (
    log_softmax_adjoint,
    logsumexp_a_adjoint,
    logsumexp_b_adjoint,
    logsumexp_cotangent,
    logsumexp_value,
    multigammaln_share,
    softmax_adjoint,
    unbroadcast,
)
from .notation import Accepts, adjoint, d
from .registry import Kind, Returns
from .tuples import declare_tuple_result

_SQRT_PI_2 = 0.886226925452758  # sqrt(pi) / 2
_TWO_SQRT_PI = 1.1283791670955126  # 2 / sqrt(pi)
_SQRT_2PI = 2.5066282746310002
_INV_SQRT_2PI = 0.3989422804014327

# --- elementwise functions of one argument ---------------------------------------------------


@adjoint(special.expit, elementwise=True, returns=Returns.NEW)
def expit(y, x):
    d[x] = d[y] * y * (1.0 - y)


@adjoint(special.log_expit, elementwise=True, returns=Returns.NEW)
def log_expit(y, x):
    # log(expit(x)): 1 - expit(x) = expit(-x), exact in both tails.
    d[x] = d[y] * special.expit(-x)


@adjoint(special.logit, elementwise=True, returns=Returns.NEW)
def logit(y, x):
    d[x] = d[y] / (x * (1.0 - x))


@adjoint(special.gammaln, elementwise=True, returns=Returns.NEW)
def gammaln(y, x):
    # log|Gamma(x)|: its derivative is digamma(x) for negative non-integer x too.
    d[x] = d[y] * special.digamma(x)


@adjoint(special.loggamma, elementwise=True, returns=Returns.NEW)
def loggamma(y, x):
    # (real x > 0, where SciPy's value is real; a complex x is refused when the gradient is called)
    d[x] = d[y] * special.digamma(x)


@adjoint(special.multigammaln, elementwise=True, nondiff=("d",), returns=Returns.NEW)
def multigammaln(y, a, d):
    # log of the multivariate gamma function of dimension `d`: sum of gammaln(a - j / 2), j < d.
    d[a] = d[y] * multigammaln_share(a, d)


@adjoint(special.gamma, elementwise=True, returns=Returns.NEW)
def gamma(y, x):
    d[x] = d[y] * y * special.digamma(x)


@adjoint(special.digamma, elementwise=True, returns=Returns.NEW)
def digamma(y, x):
    d[x] = d[y] * special.polygamma(1, x)


@adjoint(special.polygamma, elementwise=True, nondiff=("n",), returns=Returns.NEW)
def polygamma(y, n, x):
    d[x] = d[y] * special.polygamma(n + 1, x)


@adjoint(special.erf, elementwise=True, returns=Returns.NEW)
def erf(y, x):
    d[x] = d[y] * _TWO_SQRT_PI * np.exp(-x * x)


@adjoint(special.erfc, elementwise=True, returns=Returns.NEW)
def erfc(y, x):
    d[x] = -d[y] * _TWO_SQRT_PI * np.exp(-x * x)


@adjoint(special.erfinv, elementwise=True, returns=Returns.NEW)
def erfinv(y, x):
    d[x] = d[y] * _SQRT_PI_2 * np.exp(y * y)


@adjoint(special.erfcinv, elementwise=True, returns=Returns.NEW)
def erfcinv(y, x):
    d[x] = -d[y] * _SQRT_PI_2 * np.exp(y * y)


@adjoint(special.ndtr, elementwise=True, returns=Returns.NEW)
def ndtr(y, x):
    d[x] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * x * x)


@adjoint(special.log_ndtr, elementwise=True, returns=Returns.NEW)
def log_ndtr(y, x):
    # pdf / cdf, as exp(log pdf - log cdf): finite far in the left tail, where both underflow.
    d[x] = d[y] * _INV_SQRT_2PI * np.exp(-0.5 * x * x - y)


@adjoint(special.ndtri, elementwise=True, returns=Returns.NEW)
def ndtri(y, x):
    d[x] = d[y] * _SQRT_2PI * np.exp(0.5 * y * y)


@adjoint(special.log1p, elementwise=True, returns=Returns.NEW)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(special.expm1, elementwise=True, returns=Returns.NEW)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(special.entr, elementwise=True, returns=Returns.NEW)
def entr(y, x):
    # -x log x: -(log x + 1) (infinite at x == 0, where the function is continuous).
    d[x] = -d[y] * (np.log(x) + 1.0)


# --- elementwise functions of two arguments --------------------------------------------------


@adjoint(special.beta, elementwise=True, returns=Returns.NEW)
def beta(y, a, b):
    d[a] = d[y] * y * (special.digamma(a) - special.digamma(a + b))
    d[b] = d[y] * y * (special.digamma(b) - special.digamma(a + b))


@adjoint(special.betaln, elementwise=True, returns=Returns.NEW)
def betaln(y, a, b):
    d[a] = d[y] * (special.digamma(a) - special.digamma(a + b))
    d[b] = d[y] * (special.digamma(b) - special.digamma(a + b))


@adjoint(special.xlogy, elementwise=True, returns=Returns.NEW)
def xlogy(z, x, y):
    d[x] = d[z] * np.log(y)
    d[y] = d[z] * x / y


@adjoint(special.xlog1py, elementwise=True, returns=Returns.NEW)
def xlog1py(z, x, y):
    d[x] = d[z] * np.log1p(y)
    d[y] = d[z] * x / (1.0 + y)


@adjoint(special.rel_entr, elementwise=True, returns=Returns.NEW)
def rel_entr(z, x, y):
    # x log(x / y) for x, y > 0.
    d[x] = d[z] * (np.log(x / y) + 1.0)
    d[y] = -d[z] * x / y


# --- reductions --------------------------------------------------------------------------------

_SIGN = Accepts(lambda v: isinstance(v, (bool, np.bool_)), "it must be the constant True or False, which "
                                                            "decides whether a (value, sign) pair is returned")
declare_tuple_result(special.logsumexp, (), unless=("return_sign", 4, (False,)), absent=False)


@adjoint(special.logsumexp, kind=Kind.OTHER, returns=Returns.NEW)
def logsumexp(y, a, axis=None, b=None, keepdims=False, return_sign: _SIGN = False):
    # y = log(sum(b * exp(a))): d/da = b * exp(a - y), d/db = exp(a - y), over the reduced axes. With
    # return_sign=True, y = (log|sum|, sign): the value's cotangent times the sign (runtime/scipy_special_extra.py).
    g = logsumexp_cotangent(d[y], y, return_sign)
    d[a] = unbroadcast(logsumexp_a_adjoint(g, logsumexp_value(y, return_sign), a, axis, b, keepdims), a)
    d[b] = unbroadcast(logsumexp_b_adjoint(g, logsumexp_value(y, return_sign), a, axis, b, keepdims), b)


@adjoint(special.softmax, returns=Returns.NEW)
def softmax(y, x, axis=None):
    d[x] = softmax_adjoint(d[y], y, axis)


@adjoint(special.log_softmax, returns=Returns.NEW)
def log_softmax(y, x, axis=None):
    d[x] = log_softmax_adjoint(d[y], y, axis)
