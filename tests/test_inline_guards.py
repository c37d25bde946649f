"""The dependency guard after inlining (review of issue 12, findings 2-5): a method shadowed later
by an instance attribute, entries edited in place in a container the transform read (a partial's
keywords, defaults), a user's name equal to a generated temporary's, and a nested `def` inside an
inlined helper. Each gradient is compared with central finite differences, from a gradient made
BEFORE the change and from a fresh grad()."""

from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pytest

import adtransform as ad
from adtransform.errors import UnsupportedSyntaxError
from tests.gradcheck import numeric_grad

X = np.array([0.3, 0.7, 1.1])


@pytest.fixture
def module(tmp_path, monkeypatch):
    """A module written into a fresh directory on sys.path (the transform reads source files)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(name: str, text: str):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
        importlib.invalidate_caches()
        written.append(name)
        return importlib.import_module(name)

    yield write
    for name in written:
        sys.modules.pop(name, None)


def _agrees(fn, made_before, *args) -> None:
    expected = numeric_grad(fn, (X, *args))
    np.testing.assert_allclose(made_before(X, *args), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ad.grad(fn)(X, *args), expected, rtol=1e-6, atol=1e-6)


# -- 2: an instance attribute shadows the class's method ---------------------------------------------

SHADOW = """
    import numpy as np

    class Lin:
        def __init__(self, w):
            self.w = w

        def act(self, x):
            return np.sum(np.sin(self.w * x))

    LIN = Lin(np.array([1.0, 2.0, 3.0]))

    def f(x):
        return LIN.act(x)

    def g(x):
        return helper(x) * 2.0

    def helper(x):
        return LIN.act(x * x)
"""


def test_instance_attribute_set_later_shadows_the_method(module):
    m = module("guard_shadow_a", SHADOW)
    df = ad.grad(m.f)
    _agrees(m.f, df)
    m.LIN.act = lambda x: np.sum(x * 100.0)
    _agrees(m.f, df)
    np.testing.assert_allclose(df(X), 100.0)
    del m.LIN.act  # the method again
    _agrees(m.f, df)


def test_rebinding_the_receiver_to_an_instance_with_its_own_attribute(module):
    m = module("guard_shadow_b", SHADOW)
    df = ad.grad(m.f)
    _agrees(m.f, df)
    other = m.Lin(np.array([0.5, 0.5, 0.5]))
    other.act = lambda x: np.sum(np.exp(x))
    m.LIN = other
    _agrees(m.f, df)


def test_shadowed_inside_a_helper(module):
    m = module("guard_shadow_c", SHADOW)
    dg = ad.grad(m.g)
    _agrees(m.g, dg)
    m.LIN.act = lambda x: np.sum(x ** 3)
    _agrees(m.g, dg)


CLASSMETHOD = """
    import numpy as np

    class M:
        @classmethod
        def create(cls, x):
            return np.sum(np.sin(x) * 2.0)

    def f(x):
        return M.create(x)
"""


def test_classmethod_replaced_by_a_plain_function(module):
    """The guard read `M.create.__func__`, which a plain function lacks: no AttributeError, rederived."""
    m = module("guard_shadow_d", CLASSMETHOD)
    df = ad.grad(m.f)
    _agrees(m.f, df)
    m.M.create = lambda x: np.sum(x ** 3)
    _agrees(m.f, df)


# -- 3: containers edited in place ------------------------------------------------------------------

CONTAINERS = """
    import functools
    import numpy as np

    def scale(x, k):
        return x * k

    P = functools.partial(scale, k=2.0)
    Q = functools.partial(scale, 3.0)

    def f(x):
        return np.sum(P(x) * x)

    def hk(x, *, c=2.0):
        return x * c

    def hd(x, c=2.0, d=np.array([1.0, 2.0, 3.0])):
        return x * c * d

    def f_kw(x):
        return np.sum(hk(x) * x)

    def f_pos(x):
        return np.sum(hd(x) * x)

    def top(x, *, c=2.0):
        return np.sum(x * x * c)
"""


def test_partial_keywords_edited(module):
    m = module("guard_cont_a", CONTAINERS)
    df = ad.grad(m.f)
    _agrees(m.f, df)
    m.P.keywords["k"] = 5.0
    _agrees(m.f, df)
    m.P.keywords["k"] = np.array([1.0, -1.0, 2.0])  # now an array: derived again, not a stale constant
    _agrees(m.f, df)


def test_helper_kwdefaults_edited(module):
    m = module("guard_cont_b", CONTAINERS)
    df = ad.grad(m.f_kw)
    _agrees(m.f_kw, df)
    m.hk.__kwdefaults__["c"] = 6.0
    _agrees(m.f_kw, df)


def test_helper_defaults_replaced_or_their_array_edited(module):
    m = module("guard_cont_c", CONTAINERS)
    df = ad.grad(m.f_pos)
    _agrees(m.f_pos, df)
    m.hd.__defaults__ = (4.0, np.array([1.0, 1.0, -1.0]))
    _agrees(m.f_pos, df)
    m.hd.__defaults__[1][0] = 7.0  # the very array, read where it is used
    _agrees(m.f_pos, df)


def test_own_kwdefaults_edited(module):
    m = module("guard_cont_d", CONTAINERS)
    dtop = ad.grad(m.top)
    _agrees(m.top, dtop)
    m.top.__kwdefaults__["c"] = 6.0
    _agrees(m.top, dtop)
    np.testing.assert_allclose(dtop(X), 12.0 * X)


def test_guard_source_compares_the_entries(module):
    m = module("guard_cont_e", CONTAINERS)
    text = ad.grad(m.f).source
    assert "same_content(partial.keywords, partial_keywords_seen)" in text


# -- 4: a user's name equal to a generated temporary's -----------------------------------------------

COLLISIONS = """
    import numpy as np

    def mul(x):
        return x * 3.0

    def f_mul(x):
        return np.sum(mul(x) * x)

    def cond(x):
        return np.sum(x) < 10.0

    def f_cond(x):
        while cond(x):
            x = x * 2.0
        return np.sum(x)

    def x_bar(x):
        return x * 3.0

    def f_x_bar(x):
        return np.sum(x_bar(x) * x)

    def trips(x):
        return x * 3.0

    def f_trips(x):
        i = 0
        while i < 2:
            x = trips(x)
            i += 1
        return np.sum(x)

    def sin(x):
        return x * 3.0

    def f_sin(x):
        return np.sum(sin(x) * np.sin(x))

    def stack(x):
        return x * 2.0

    def f_stack(x):
        s = 0.0
        for i in range(2):
            s = s + np.sum(stack(x) * x)
        return s
"""


@pytest.mark.parametrize("name", ["f_mul", "f_cond", "f_x_bar", "f_trips", "f_sin", "f_stack"])
def test_user_names_like_temporaries(module, name):
    m = module(f"guard_names_{name}", COLLISIONS)
    fn = getattr(m, name)
    _agrees(fn, ad.grad(fn))


# -- 5: a nested def inside an inlined helper --------------------------------------------------------

NESTED = """
    import numpy as np

    def helper(x):
        def sq(v):
            return v * v
        return sq(x) + x

    def f(x):
        return np.sum(helper(x) * helper(2.0 * x))

    def early(x):
        def pick(v):
            if np.sum(v) > 0.0:
                return v * 3.0
            return v
        return pick(x)

    def f_early(x):
        return np.sum(early(x) * x)

    def make(c):
        def h(y):
            return y * c
        return h

    def f_factory(x):
        h = make(x)
        return np.sum(h(x))

    def make_lambda(c):
        h = lambda y: y * c
        return (h, c)

    def f_factory_lambda(x):
        h, c = make_lambda(x)
        return np.sum(h(x))
"""


@pytest.mark.parametrize("name", ["f", "f_early"])
def test_nested_def_called_inside_the_helper(module, name):
    m = module(f"guard_nested_{name}", NESTED)
    fn = getattr(m, name)
    _agrees(fn, ad.grad(fn))


@pytest.mark.parametrize("name, line", [("f_factory", 25), ("f_factory_lambda", 33)])
def test_returned_nested_function_is_refused_where_returned(module, name, line):
    m = module(f"guard_escape_{name}", NESTED)
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.grad(getattr(m, name))(X)
    message = str(info.value)
    assert f"guard_escape_{name}.py:{line}:" in message
    assert "returns its nested function `h`" in message
