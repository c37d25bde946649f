"""Frontend: source retrieval, name resolution, and the fence of unsupported constructs."""

import math
import types

import numpy as np
import pytest

import adtransform as ad
from adtransform.frontend import fence
from adtransform.frontend.resolve import UNBOUND, Namespace, Scope, local_names
from adtransform.frontend.source import parse_function

GLOBAL_SCALE = 3.0


def plain(x):
    return x * 2.0


@staticmethod
def _decorated_helper(x):
    return x


def decorated_target(x):
    return np.sin(x)


def test_parse_plain_function_keeps_file_positions():
    parsed = parse_function(plain)
    assert parsed.node.name == "plain"
    ret = parsed.node.body[0]
    loc = parsed.info.location(ret)
    assert loc.filename == __file__
    assert loc.line == plain.__code__.co_firstlineno + 1
    assert loc.col == 4


def test_parse_strips_decorators_and_dedents_methods():
    class Holder:
        @staticmethod
        def method(x):
            return x + 1.0

    parsed = parse_function(Holder.method)
    assert parsed.node.decorator_list == []
    assert parsed.info.col_offset == 8
    assert parsed.info.location(parsed.node.body[0]).col == 12


def test_lambda_becomes_a_def():
    f = lambda x, y: x * y + 1.0
    parsed = parse_function(f)
    assert [a.id for a in parsed.node.args.args] == ["x", "y"]
    assert ad.grad(f, wrt=1)(2.0, 5.0) == pytest.approx(2.0)


def test_lambda_inside_a_larger_statement():
    results = [ad.grad(lambda x: x * x)(3.0)]  # a lambda that is not a statement by itself
    assert results == [pytest.approx(6.0)]


def test_two_lambdas_with_same_parameters_on_one_line_is_ambiguous():
    fs = [lambda x: x * 2.0, lambda x: x * 3.0]
    with pytest.raises(ad.SourceUnavailableError, match="several lambdas"):
        ad.grad(fs[0])


def test_no_source_for_exec_defined_function():
    ns: dict = {}
    exec("def g(x):\n    return x * 2.0\n", ns)
    with pytest.raises(ad.SourceUnavailableError, match="interactive prompt"):
        ad.grad(ns["g"])


@pytest.mark.parametrize("obj", [np.exp, math.sin, len, np.ndarray.sum])
def test_no_source_for_builtins_and_c_functions(obj):
    with pytest.raises(ad.SourceUnavailableError, match="register their derivative|def"):
        ad.grad(obj)


def test_bound_method_is_refused_with_advice():
    class Model:
        def loss(self, x):
            return x * 2.0

    with pytest.raises(ad.SourceUnavailableError, match="bound method"):
        ad.grad(Model().loss)


def test_namespace_resolves_closure_globals_and_builtins():
    scale = 2.0

    def f(x):
        return np.exp(x) * scale * GLOBAL_SCALE + abs(x)

    ns = Namespace(f)
    assert ns.lookup("scale") == 2.0
    assert ns.lookup("GLOBAL_SCALE") == 3.0
    assert ns.lookup("abs") is abs
    assert ns.lookup("nope") is UNBOUND
    ref = ns.resolve(("np", "linalg", "norm"))
    assert ref.obj is np.linalg.norm and ref.path == ("np", "linalg", "norm") and ref.scope is Scope.USER


def test_resolution_stops_at_values():
    ref = Namespace(plain).resolve(("GLOBAL_SCALE", "real"))
    assert ref.path == ("GLOBAL_SCALE",)


def test_local_names():
    node = parse_function(plain).node
    assert local_names(node) == {"x"}


def _fence_error(fn):
    parsed = parse_function(fn)
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        fence.check(parsed.node, parsed.info)
    return info.value


def with_try(x):
    try:
        x = x / 2.0
    finally:
        pass
    return x


def with_nested_subscript_write(x):
    x[0][1] = 1.0
    return np.sum(x)


def without_return(x):
    x = x * 2.0


def with_star_args(*xs):
    return xs[0]


def with_comprehension(x):
    return sum({x * i for i in range(3)})


def with_nested_def(x):
    def inner(y):
        return y

    return inner(x)


@pytest.mark.parametrize("fn, construct, offset, col", [
    (with_try, "`try` statement", 1, 4),
    (with_nested_subscript_write, "assignment into a nested subscript or attribute", 1, 4),
    (without_return, "missing `return`", 1, 4),
    (with_star_args, "`*xs` parameter", 0, 0),
    (with_comprehension, "set comprehension", 1, 15),
    (with_nested_def, "nested function", 1, 4),
])
def test_fence_names_file_line_column_and_construct(fn, construct, offset, col):
    err = _fence_error(fn)
    assert err.construct == construct
    assert err.location.filename == __file__
    assert err.location.line == fn.__code__.co_firstlineno + offset
    assert err.location.col == col
    assert str(err).startswith(f"{__file__}:{err.location.line}:{col}: {construct}: ")


def test_grad_raises_the_fence_error_at_transform_time():
    with pytest.raises(ad.UnsupportedSyntaxError, match="exception handling"):
        ad.grad(with_try)


def test_unresolvable_callee_is_a_located_error():
    def f(x):
        return not_defined_anywhere(x)  # noqa: F821

    with pytest.raises(ad.NameResolutionError, match="not_defined_anywhere"):
        ad.grad(f)


def test_function_type_guard():
    assert isinstance(plain, types.FunctionType)
