"""Canonicalization passes: a text golden and a semantic check (original and transformed agree)."""

import doctest
import textwrap

import numpy as np
import pytest

from adtransform.canonicalize import anf, aug_assign, unpacking
from adtransform.canonicalize.testing import run_pass
from adtransform.runtime import in_place_result, unpack_check

NS = {"np": np}


def _run(source: str, args, namespace=None):
    env = dict(namespace or NS)
    exec(textwrap.dedent(source), env)
    fn = next(v for k, v in env.items() if k == "f")
    return fn(*args)


def _check(transform, before: str, after: str, args, namespace=None):
    before, after = textwrap.dedent(before).strip(), textwrap.dedent(after).strip()
    out = run_pass(transform, before, namespace or NS)
    assert out == after
    np.testing.assert_allclose(_run(after, args, namespace), _run(before, args, namespace))


def test_aug_assign():
    _check(aug_assign.transform, """
        def f(x, y):
            x += y
            x *= 2.0
            z: float = x ** 2
            return z
    """, """
        def f(x, y):
            x = in_place_result(x + y, x, symbol='+')
            x = in_place_result(x * 2.0, x, symbol='*')
            z = x ** 2
            return z
    """, (1.5, 2.0), {"np": np, "in_place_result": in_place_result})


def test_unpacking_literal_without_overlap_assigns_directly():
    _check(unpacking.transform, """
        def f(x, y):
            a, b = x * 2.0, y
            return a + b
    """, """
        def f(x, y):
            a = x * 2.0
            b = y
            return a + b
    """, (1.0, 3.0))


def test_unpacking_swap_goes_through_temporaries():
    _check(unpacking.transform, """
        def f(x, y):
            x, y = y, x * 2.0
            return x - y
    """, """
        def f(x, y):
            x_1 = y
            y_1 = x * 2.0
            x = x_1
            y = y_1
            return x - y
    """, (1.0, 5.0))


def test_unpacking_a_call_result_indexes_it_once():
    # (its length checked first, as Python does; optimize/unpack_checks.py drops the check of a tuple
    # result the primitive declares)
    _check(unpacking.transform, """
        def f(x):
            m, s = np.divmod(x, 2.0)
            return m + s
    """, """
        def f(x):
            m_s = np.divmod(x, 2.0)
            unpack_check(m_s, 2, False)
            m = m_s[0]
            s = m_s[1]
            return m + s
    """, (7.5,), {"np": np, "unpack_check": unpack_check})


def test_chained_assignment_evaluates_once():
    _check(unpacking.transform, """
        def f(x):
            a = b = x * 3.0
            return a + b
    """, """
        def f(x):
            b_1 = x * 3.0
            a = b_1
            b = b_1
            return a + b
    """, (2.0,))


def test_anf_one_operation_per_statement():
    _check(anf.transform, """
        def f(W, x, y):
            h = np.tanh(x @ W + 1.0)
            return np.mean((h - y) ** 2)
    """, """
        def f(W, x, y):
            matmul = x @ W
            add = matmul + 1.0
            h = np.tanh(add)
            sub = h - y
            pow_1 = sub ** 2
            mean = np.mean(pow_1)
            return mean
    """, (np.ones((3, 2)), np.arange(6.0).reshape(2, 3) / 10, np.ones((2, 2))))


def test_anf_keeps_module_references_and_constants_as_atoms():
    _check(anf.transform, """
        def f(x):
            return np.sum(np.sin(2 * np.pi * x), axis=(0,), keepdims=True) + -1.5
    """, """
        def f(x):
            mul = 2 * np.pi
            mul_1 = mul * x
            sin = np.sin(mul_1)
            sum_1 = np.sum(sin, axis=(0,), keepdims=True)
            add = sum_1 + -1.5
            return add
    """, (np.linspace(0, 1, 4),))


def test_anf_methods_attributes_and_subscripts():
    _check(anf.transform, """
        def f(x):
            y = (x.T @ x).sum(axis=0)[1:]
            return y.max()
    """, """
        def f(x):
            x_T = x.T
            matmul = x_T @ x
            sum_1 = matmul.sum(axis=0)
            y = sum_1[1:]
            max_1 = y.max()
            return max_1
    """, (np.arange(6.0).reshape(2, 3),))


def test_anf_drops_docstrings():
    out = run_pass(anf.transform, 'def f(x):\n    """doc"""\n    return x', NS)
    assert out == "def f(x):\n    return x"


@pytest.mark.parametrize("module", [anf, aug_assign, unpacking])
def test_docstring_examples(module):
    failures, _ = doctest.testmod(module)
    assert failures == 0
