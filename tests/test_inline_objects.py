"""Methods of objects the function reads (issue 12, item 4): `obj.method(x)`, `obj(x)` (`__call__`),
`Class.method(obj, x)`, static and class methods, properties read as values, an object captured by a
closure; `self.W` is read when the gradient runs. Against finite differences and autograd."""

from __future__ import annotations

import autograd
import inline_object_programs as programs
import numpy as np
import pytest
from gradcheck import check_grad
from inline_reference import autograd_copy

import adtransform as ad

X = np.array([[0.3, -0.4, 0.9], [1.1, 0.2, -0.5]])
PROGRAMS_AG = autograd_copy(programs)


@pytest.mark.parametrize("name", ["methods", "reads_a_property", "calls_the_closure", "calls_a_bound_method",
                                  "reads_a_private_attribute"])
def test_gradient_matches_finite_differences_and_autograd(name):
    got = check_grad(getattr(programs, name), (X,))
    np.testing.assert_allclose(got, autograd.grad(getattr(PROGRAMS_AG, name))(X), rtol=1e-10)


def test_attributes_are_read_when_the_gradient_runs():
    dfn = ad.grad(programs.reads_a_property)
    saved = programs.layer.W
    try:
        programs.layer.W = saved * 3.0
        PROGRAMS_AG.layer.W = programs.layer.W
        np.testing.assert_allclose(dfn(X), autograd.grad(PROGRAMS_AG.reads_a_property)(X), rtol=1e-10)
    finally:
        programs.layer.W = saved
        PROGRAMS_AG.layer.W = saved


def test_the_method_is_inlined_with_self_the_object():
    source = ad.grad(programs.methods).source
    assert "layer.W" in source and "apply" in source  # `self.W` became `layer.W`; comments name `Layer.apply`
    assert "of Layer.apply (inline_object_programs.py:" in source
