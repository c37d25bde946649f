"""Reverse rules for scipy.stats (loaded only once a program imports it: rules/optional.py)."""

try:
    from scipy import special, stats  # noqa: F401  (special: digamma in the rules of shape parameters)
except ImportError as exc:  # only rules/optional.py imports this module, and only when SciPy is
    raise ImportError("adtransform's rules for scipy.stats need SciPy, an optional dependency "
                      "(pip install scipy)") from exc


from .notation import adjoint, d
from .registry import Returns


@adjoint(stats.norm.logpdf, elementwise=True, returns=Returns.NEW)
def norm_logpdf(y, x, loc=0.0, scale=1.0):
    d[x] = -d[y] * (x - loc) / (scale * scale)
    d[loc] = d[y] * (x - loc) / (scale * scale)
    d[scale] = d[y] * (((x - loc) / scale) ** 2 - 1.0) / scale
