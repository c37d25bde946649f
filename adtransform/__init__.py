"""adtransform: source-to-source automatic differentiation for Python and NumPy.

    import adtransform as ad

    @ad.grad
    def dloss(W, x, y):
        return np.mean((np.tanh(x @ W) - y) ** 2)

    print(dloss.source)   # the generated gradient, as readable Python
"""

from .api import grad, source, value_and_grad, vjp
from .errors import (
    AdtransformError,
    NameResolutionError,
    NoAdjointRuleError,
    NonDifferentiableInputError,
    NonScalarOutputError,
    RuleDefinitionError,
    SourceUnavailableError,
    StaleSourceError,
    TransformError,
    UnsupportedArgumentError,
    UnsupportedSyntaxError,
    WrtError,
)
from .rules.notation import EVERY, Returns, adjoint, d, declare_facts, nondifferentiable, stop_gradient

__all__ = [
    "EVERY", "AdtransformError", "NameResolutionError", "NoAdjointRuleError", "NonDifferentiableInputError",
    "NonScalarOutputError", "Returns", "RuleDefinitionError", "SourceUnavailableError", "StaleSourceError",
    "TransformError",
    "UnsupportedArgumentError", "UnsupportedSyntaxError", "WrtError", "adjoint", "d", "declare_facts", "grad",
    "nondifferentiable", "source", "stop_gradient", "value_and_grad", "vjp",
]
__version__ = "0.1.0"
