"""Messages name what the user wrote: their variable, file and line; never a name the compiler made
(`TUP_item`, a leaf parameter `P_a`, a runtime helper such as `writable_copy`), and in plain English
("an object", "a global list")."""

import dataclasses
import inspect
import re

import numpy as np
import pytest

import adtransform as ad
from adtransform.ad.checks import no_rule
from adtransform.ad.runtime_refs import callee
from adtransform.errors import AdtransformError, NoAdjointRuleError, UnsupportedSyntaxError
from adtransform.ir.nodes import Op, Var

X = np.array([0.3, 0.7, 1.1])
# Names the passes make: a hint and a suffix (`TUP_item`, `P_a`, `s_unassigned`), runtime helpers.
INTERNAL = re.compile(r"_item\b|\bP_[ab]\b|writable_copy|_unassigned|\bitems_?\d*`|\bkey_?\d*`")


def _a1(v):
    return v * 2.0


ACTS = [_a1]  # (a list: a tuple of functions is read as its functions, frontend/function_args.py)
LOG = []


def called_from_a_tuple(x):
    return np.sum(ACTS[0](x))


def packed(P):
    a = P["a"]
    a += 1.0
    return np.sum(a * P["b"])


@dataclasses.dataclass
class Scaled:
    w: np.ndarray

    def double(self):
        return self.w * 2.0


def method_of_a_local_object(x):
    s = Scaled(x)
    t = s.double
    return np.sum(t)


def appends_to_a_global_list(x):
    LOG.append(x)
    return np.sum(x)


def runtime_keys(x, n):
    d = {i: x[i] for i in range(n)}
    return d[0]


def _bump(v, e):
    v += e
    return v


def helper_updates_the_callers_array(x):
    y = _bump(x, 1.0)
    return np.sum(y * x)


def _line(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return next(i for i, src in enumerate(lines, start) if text in src)


def _message(fn, *args):
    with pytest.raises(AdtransformError) as info:
        ad.grad(fn)(*args)
    return str(info.value)


def _clean(message):
    assert not INTERNAL.search(message), f"an internal name in: {message}"


def test_called_value_named_as_written():
    message = _message(called_from_a_tuple, X.copy())
    assert f"test_lang_messages.py:{_line(called_from_a_tuple, 'ACTS[0](x)')}:" in message
    assert "`ACTS[0]`" in message
    _clean(message)


def test_shared_leaves_named_as_read():
    y = X.copy()
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.grad(packed)({"a": y, "b": y[1:]})
    message = str(info.value)
    assert f"test_lang_messages.py:{_line(packed, 'a += 1.0')}:" in message
    assert "`P['a']` and `P['b']`" in message
    _clean(message)


def test_an_object_not_a_object():
    message = _message(method_of_a_local_object, X.copy())
    assert "a object" not in message
    _clean(message)


def test_a_global_list_is_called_a_list():
    message = _message(appends_to_a_global_list, X.copy())
    assert "global list `LOG`" in message and "global array" not in message
    assert f"test_lang_messages.py:{_line(appends_to_a_global_list, 'LOG.append(x)')}:" in message
    assert LOG == []
    _clean(message)


def test_dict_comprehension_refusal_names_no_temporary():
    message = _message(runtime_keys, X.copy(), 2)
    assert f"test_lang_messages.py:{_line(runtime_keys, 'd = {i: x[i]')}:" in message
    assert "dict comprehension" in message
    _clean(message)


def test_an_inlined_helpers_names_as_it_wrote_them():
    message = _message(helper_updates_the_callers_array, X.copy())
    assert f"test_lang_messages.py:{_line(_bump, 'v += e')}:" in message
    assert "`v` may share memory with `x`" in message
    assert not re.search(r"`v_\d+`", message)
    _clean(message)


def test_a_runtime_helper_without_a_rule_is_not_named():
    op = Op(Var("c_1"), callee("writable_copy"), [Var("c")], line=7, col=4)
    error = no_rule(op, "user.py")
    assert isinstance(error, NoAdjointRuleError)
    assert "user.py:7:4" in str(error) and "in place" in str(error)
    _clean(str(error))
