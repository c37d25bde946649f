"""Vectors read element by element as lists of Python floats (specialize/scalar_reads.py)."""

import numpy as np
import pytest
from gradcheck import check_grad
from source_patterns import blocks, code, has

import adtransform as ad
from adtransform.runtime import float_items


def schedule(heating, T_out, T0):
    T = T0
    cost = 0.0
    for t in range(len(heating)):
        T = T + 0.1 * (T_out[t] - T + heating[t])
        cost = cost + 0.3 * heating[t] + (T - 21.0) ** 2
    return cost + heating[0] * T_out[-1]


def first_only(x, y):
    return x[0] * y[1] + np.sum(x[1:] * y[:-1])


def conjugated(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i].sum() * x[i]
    return s


@pytest.fixture
def args():
    rng = np.random.default_rng(3)
    return rng.normal(size=6) + 2.0, rng.normal(size=6), 18.0


def test_loops_read_lists_of_floats(args):
    src = ad.grad(schedule, wrt=(0, 1)).source
    assert "heating_items = float_items(heating)" in src and "T_out_items = float_items(T_out)" in src
    assert "heating_items[t]" in src
    code = [line for line in src.splitlines() if not line.strip().startswith("#")]
    assert not any("heating[t]" in line for line in code)
    check_grad(schedule, args, wrt=(0, 1))


def test_other_dtypes_and_sequences_keep_their_reads(args):
    heating, T_out, T0 = args
    check_grad(schedule, (heating.astype(np.float32), T_out.astype(np.float32), T0), wrt=(0, 1))
    expected = ad.grad(schedule)(heating, T_out, T0)
    np.testing.assert_allclose(ad.grad(schedule)(heating, list(T_out), T0), expected, rtol=1e-15)
    check_grad(schedule, (heating, T_out, np.array(T0)), wrt=(0, 1, 2))


def test_reads_outside_loops_and_items_used_as_objects_stay_arrays():
    assert "float_items" not in ad.grad(first_only, wrt=(0, 1)).source
    check_grad(first_only, (np.array([0.5, 1.5, -2.0]), np.array([1.0, 2.0, 3.0])), wrt=(0, 1))
    assert "float_items" not in ad.grad(conjugated).source
    check_grad(conjugated, (np.array([0.5, 1.5, -2.0]),))


def test_float_items():
    x = np.array([0.1, 2.0])
    assert float_items(x) == [0.1, 2.0] and type(float_items(x)[0]) is float
    for other in (x.astype(np.float32), np.arange(3), np.zeros((2, 2)), np.zeros(1 << 17), [1.0, 2.0]):
        assert float_items(other) is other


def running_cost(heating, T0):
    T = T0
    cost = 0.0
    for t in range(len(heating)):
        T = 0.9 * T + heating[t]
        cost = cost + (T - 21.0) ** 2
    return cost


def test_the_scalar_version_does_not_compute_the_output_it_proves_scalar(args):
    src = ad.grad(running_cost).source
    ((_, forward),) = blocks("for t in range({*}):", code(src))
    # the cost is never summed (nor checked), while the loop computes what the cost's adjoint reads
    assert "ensure_scalar" not in src and not has("{cost} = ", code(src)) and not has("{*} = {cost}", code(src))
    assert "has_ranks(" in src and has("{sub} = {T} - 21.0", forward) and has("stack.append({sub})", forward)
    check_grad(running_cost, (args[0], 18.0))
    with pytest.raises(ad.NonScalarOutputError, match="returned a value of shape \\(2,\\)"):
        ad.grad(running_cost)(args[0], np.array([18.0, 19.0]))  # the general version checks


def read_after(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] ** 2
    return s + np.sum(x * 3.0)


def test_element_adjoints_add_into_a_list_of_floats(args):
    heating, T_out, T0 = args
    src = ad.grad(running_cost).source
    assert "= zeros_items(heating)" in src and "heating_grad = from_items(heating_bar)" in src
    g = ad.grad(running_cost)(heating, T0)
    assert type(g) is np.ndarray and g.dtype == np.float64
    # float32 (and vectors too long to list) keep the array: the gradient keeps the dtype.
    assert ad.grad(running_cost)(heating.astype(np.float32), T0).dtype == np.float32
    check_grad(running_cost, (heating.astype(np.float32), T0))
    long = np.linspace(0.5, 1.5, (1 << 16) + 1) * 1e-3
    T, Ts = 18.0, []
    for h in long:
        T = 0.9 * T + h
        Ts.append(T)
    lam, expected = 0.0, np.empty_like(long)
    for t in range(len(long) - 1, -1, -1):   # d cost / d h_t = sum over s >= t of 2 (T_s - 21) 0.9^(s - t)
        lam = 2.0 * (Ts[t] - 21.0) + 0.9 * lam
        expected[t] = lam
    np.testing.assert_allclose(ad.grad(running_cost)(long, 18.0), expected, rtol=1e-12)
    # An adjoint that also receives a whole-array contribution stays an array.
    assert "zeros_items" not in ad.grad(read_after).source
    check_grad(read_after, (heating,))


def gaussian_sum(x):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + np.exp(-x[t] ** 2)
    return s


def bump_sum(x):
    s = 0.0
    for t in range(x.shape[0]):
        s = s + np.exp(-1.0 / (x[t] * x[t]))
    return s


def test_where_python_floats_raise_the_call_computes_as_numpy_does():
    # Found in review: x[t] ** 2 overflows (OverflowError) and 1.0 / 0.0 raises on Python floats,
    # where the user's function, on NumPy scalars, gives inf and a finite result.
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(ad.grad(gaussian_sum)(np.array([1e200, 0.5])), [0.0, -np.exp(-0.25)])
        g = ad.grad(bump_sum)(np.array([0.0, 0.5, 1.0]))
    assert np.isnan(g[0])  # NumPy's 0 * inf, as in the general version
    check_grad(bump_sum, (np.array([0.7, 0.5, 1.0]),))
    assert "except (OverflowError, ZeroDivisionError):" in ad.grad(gaussian_sum).source
