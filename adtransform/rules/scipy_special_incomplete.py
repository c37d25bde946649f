"""Reverse rules for scipy.special's incomplete gamma and beta functions, their inverses, kl_div and boxcox
(loaded once a program imports scipy.special: rules/optional.py).

In x the derivative of gammainc and betainc is the density (closed form); in the shape parameters it is
computed by quadrature to about 1e-11 relative (runtime/scipy_incomplete.py), only where a shape carries
a derivative. An inverse's derivatives follow by the implicit function theorem: 1 / density in the
probability, -(d function / d shape) / density in a shape. kl_div(x, y) = x log(x / y) - x + y for
x, y > 0 (at x == 0, d/dx = log 0 = -inf, d/dy = 1, as JAX).
"""

try:
    from scipy import special
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.special need SciPy, an optional dependency "
                      "(pip install scipy)") from exc

import numpy as np

from ..runtime import betainc_da, betainc_db, boxcox_lmbda_share, gammainc_da
from .notation import adjoint, d
from .registry import Returns

# --- incomplete gamma ------------------------------------------------------------------------------------


@adjoint(special.gammainc, elementwise=True, returns=Returns.NEW)
def gammainc(y, a, x):
    d[x] = d[y] * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a))
    d[a] = d[y] * gammainc_da(a, x)


@adjoint(special.gammaincc, elementwise=True, returns=Returns.NEW)
def gammaincc(y, a, x):
    d[x] = -d[y] * np.exp(special.xlogy(a - 1.0, x) - x - special.gammaln(a))
    d[a] = -d[y] * gammainc_da(a, x)


@adjoint(special.gammaincinv, elementwise=True, returns=Returns.NEW)
def gammaincinv(y, a, p):
    # gammainc(a, y) == p: dy/dp = 1 / density(y), dy/da = -(d gammainc / da) / density(y).
    slope = np.exp(special.gammaln(a) + y - special.xlogy(a - 1.0, y))
    d[p] = d[y] * slope
    d[a] = -d[y] * slope * gammainc_da(a, y)


@adjoint(special.gammainccinv, elementwise=True, returns=Returns.NEW)
def gammainccinv(y, a, q):
    slope = np.exp(special.gammaln(a) + y - special.xlogy(a - 1.0, y))
    d[q] = -d[y] * slope
    d[a] = -d[y] * slope * gammainc_da(a, y)


# --- incomplete beta -------------------------------------------------------------------------------------


@adjoint(special.betainc, elementwise=True, returns=Returns.NEW)
def betainc(y, a, b, x):
    d[x] = d[y] * np.exp(special.xlogy(a - 1.0, x) + special.xlog1py(b - 1.0, -x) - special.betaln(a, b))
    d[a] = d[y] * betainc_da(a, b, x)
    d[b] = d[y] * betainc_db(a, b, x)


@adjoint(special.betaincinv, elementwise=True, returns=Returns.NEW)
def betaincinv(y, a, b, p):
    slope = np.exp(special.betaln(a, b) - special.xlogy(a - 1.0, y) - special.xlog1py(b - 1.0, -y))
    d[p] = d[y] * slope
    d[a] = -d[y] * slope * betainc_da(a, b, y)
    d[b] = -d[y] * slope * betainc_db(a, b, y)


# --- kl_div, boxcox ----------------------------------------------------------------------------------------


@adjoint(special.kl_div, elementwise=True, returns=Returns.NEW)
def kl_div(z, x, y):
    d[x] = d[z] * np.log(x / y)
    d[y] = d[z] * (1.0 - x / y)


@adjoint(special.boxcox, elementwise=True, returns=Returns.NEW)
def boxcox(y, x, lmbda):
    # (x^lmbda - 1) / lmbda, log x at lmbda == 0.
    d[x] = d[y] * np.exp((lmbda - 1.0) * np.log(x))
    d[lmbda] = d[y] * boxcox_lmbda_share(np.log(x), lmbda)


@adjoint(special.boxcox1p, elementwise=True, returns=Returns.NEW)
def boxcox1p(y, x, lmbda):
    d[x] = d[y] * np.exp((lmbda - 1.0) * np.log1p(x))
    d[lmbda] = d[y] * boxcox_lmbda_share(np.log1p(x), lmbda)
