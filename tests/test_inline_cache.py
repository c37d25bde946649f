"""The cache and the generated code's guard cover every inlined callee (issue 12, item 8): redefining
a helper, editing and reloading its module, assigning its `__code__`, or changing what a closure
captured all give the NEW gradient, from a gradient function made before and from a fresh grad()."""

from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pytest

import adtransform as ad

X = np.array([0.1, -0.2, 0.7])


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Write modules into a fresh directory on sys.path; import them by name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(name: str, text: str):
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(text))
        importlib.invalidate_caches()
        if name in sys.modules:
            return importlib.reload(sys.modules[name])
        written.append(name)
        return importlib.import_module(name)

    yield write
    for name in written:
        sys.modules.pop(name, None)


def _both(fn, made_before):
    """The gradient from the function made before the change and from a fresh grad()."""
    return made_before(X), ad.grad(fn)(X)


def test_redefining_a_helper_in_the_process(modules):
    main = modules("inl_main_a", """
        import numpy as np

        def act(v):
            return np.sin(v)

        def loss(x):
            return np.sum(act(x) * 2.0)
    """)
    other = modules("inl_other_a", """
        import numpy as np

        def act(v):
            return np.exp(v)
    """)
    dloss = ad.grad(main.loss)
    np.testing.assert_allclose(dloss(X), 2.0 * np.cos(X))
    main.act = other.act  # a new function under the same name
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 2.0 * np.exp(X))


def test_editing_and_reloading_the_helpers_module(modules):
    modules("inl_helpers_b", """
        import numpy as np

        def act(v):
            return np.sin(v)

        def outer(v):
            return act(v) + 1.0
    """)
    main = modules("inl_main_b", """
        import numpy as np
        import inl_helpers_b

        def loss(x):
            return np.sum(inl_helpers_b.outer(x))
    """)
    dloss = ad.grad(main.loss)
    np.testing.assert_allclose(dloss(X), np.cos(X))
    modules("inl_helpers_b", """
        import numpy as np

        def act(v):
            return np.tanh(v)

        def outer(v):
            return act(v) + 1.0
    """)
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 1.0 - np.tanh(X) ** 2)


def test_assigning_a_helpers_code(modules):
    main = modules("inl_main_c", """
        import numpy as np

        def act(v):
            return v * v

        def cube(v):
            return v * v * v

        def loss(x):
            return np.sum(act(x))
    """)
    dloss = ad.grad(main.loss)
    np.testing.assert_allclose(dloss(X), 2.0 * X)
    main.act.__code__ = main.cube.__code__
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 3.0 * X ** 2)


def test_a_closure_whose_captured_function_changes(modules):
    main = modules("inl_main_d", """
        import numpy as np

        def make(fn, k):
            def scaled(v):
                return fn(v) * k
            return scaled

        act = make(np.sin, 2.0)

        def loss(x):
            return np.sum(act(x))
    """)
    dloss = ad.grad(main.loss)
    np.testing.assert_allclose(dloss(X), 2.0 * np.cos(X))
    cells = dict(zip(main.act.__code__.co_freevars, main.act.__closure__))
    cells["fn"].cell_contents = np.exp
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 2.0 * np.exp(X))
    cells["k"].cell_contents = 3.0  # data in a cell: read at each call
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 3.0 * np.exp(X))


def test_a_method_redefined_on_its_class(modules):
    main = modules("inl_main_e", """
        import numpy as np

        class Model:
            def __init__(self):
                self.k = 2.0

            def forward(self, v):
                return np.sin(v) * self.k

        model = Model()

        def loss(x):
            return np.sum(model.forward(x))
    """)
    dloss = ad.grad(main.loss)
    np.testing.assert_allclose(dloss(X), 2.0 * np.cos(X))
    other = modules("inl_other_e", """
        import numpy as np

        def forward(self, v):
            return np.exp(v) * self.k
    """)
    main.Model.forward = other.forward
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 2.0 * np.exp(X))
    main.model.k = 5.0  # an attribute: read at each call
    for got in _both(main.loss, dloss):
        np.testing.assert_allclose(got, 5.0 * np.exp(X))
