"""Reverse rules for NumPy's products: einsum, tensordot, inner, vdot, kron, trace, cross,
np.linalg.multi_dot (np.dot, np.matmul, `@` and np.outer are in rules/numpy.py).

Contract: see rules/notation.py. Each operand's cotangent is a contraction of the output's with the
other operands (runtime/contractions.py).
"""

import numpy as np

from ..runtime import (
    cross_adjoint,
    einsum_adjoint,
    inner_adjoint,
    kron_adjoint,
    multi_dot_adjoint,
    tensordot_adjoint,
    trace_adjoint,
)
from .notation import FLOAT_DTYPE, Accepts, adjoint, d, declare_facts
from .registry import Returns
from .tuples import declare_takes_tuple

SUBSCRIPTS = Accepts(lambda v: isinstance(v, str), "einsum is differentiated when its subscripts are a string "
                     "(`np.einsum('ij,jk->ik', a, b)`), not in the sublist form", runtime=True)


@adjoint(np.einsum, returns=Returns.VIEW)
def einsum(y, subscripts: SUBSCRIPTS, op0, op1=None, op2=None, op3=None, op4=None, op5=None, op6=None, op7=None,
           *, out=None, optimize=False, dtype: FLOAT_DTYPE = None, order="K", casting="safe"):
    # Up to eight operands; `optimize=` only chooses the order of the forward contraction.
    d[op0] = einsum_adjoint(d[y], subscripts, 0, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op1] = einsum_adjoint(d[y], subscripts, 1, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op2] = einsum_adjoint(d[y], subscripts, 2, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op3] = einsum_adjoint(d[y], subscripts, 3, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op4] = einsum_adjoint(d[y], subscripts, 4, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op5] = einsum_adjoint(d[y], subscripts, 5, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op6] = einsum_adjoint(d[y], subscripts, 6, op0, op1, op2, op3, op4, op5, op6, op7)
    d[op7] = einsum_adjoint(d[y], subscripts, 7, op0, op1, op2, op3, op4, op5, op6, op7)


@adjoint(np.tensordot, nondiff=("axes",), returns=Returns.NEW)
def tensordot(y, a, b, axes=2):
    d[a] = tensordot_adjoint(d[y], a, b, axes, False)
    d[b] = tensordot_adjoint(d[y], a, b, axes, True)


@adjoint(np.inner, returns=Returns.NEW)
def inner(y, a, b):
    d[a] = inner_adjoint(d[y], a, b, False)
    d[b] = inner_adjoint(d[y], a, b, True)


@adjoint(np.vdot, returns=Returns.NEW)
def vdot(y, a, b):
    # Real inputs: the dot product of the flattened arrays.
    d[a] = d[y] * np.reshape(b, np.shape(a))
    d[b] = d[y] * np.reshape(a, np.shape(b))


@adjoint(np.kron, returns=Returns.NEW)
def kron(y, a, b):
    d[a] = kron_adjoint(d[y], a, b, False)
    d[b] = kron_adjoint(d[y], a, b, True)


@adjoint(np.trace, np.ndarray.trace, nondiff=("offset", "axis1", "axis2"), returns=Returns.NEW)
def trace(y, a, offset=0, axis1=0, axis2=1, dtype: FLOAT_DTYPE = None, out=None):
    d[a] = trace_adjoint(d[y], a, offset, axis1, axis2)


@adjoint(np.cross, nondiff=("axisa", "axisb", "axisc", "axis"), returns=Returns.NEW)
def cross(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = cross_adjoint(d[y], a, b, axisa, axisb, axisc, axis, False)
    d[b] = cross_adjoint(d[y], a, b, axisa, axisb, axisc, axis, True)


@adjoint(np.linalg.multi_dot, returns=Returns.NEW)
def multi_dot(y, arrays, *, out=None):
    # `arrays` is a list: its adjoint is the list of the matrices' cotangents.
    d[arrays] = multi_dot_adjoint(d[y], arrays)


declare_takes_tuple(np.linalg.multi_dot)

# The helpers of the backward sweep build new arrays; einsum's may return a view of the cotangent
# (`'ij->ji'` of one operand).
declare_facts(tensordot_adjoint, inner_adjoint, kron_adjoint, trace_adjoint, cross_adjoint, returns=Returns.NEW)
declare_facts(multi_dot_adjoint, returns=Returns.NEW_ITEMS)
declare_facts(einsum_adjoint, returns=Returns.VIEW)
