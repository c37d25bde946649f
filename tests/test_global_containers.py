"""Global dicts, sets and nested lists a function reads (review 13, finding 11): loops over them and
constant-key reads compile (references are compared by identity, never hashed by value) and iterate
as Python does (a dict's keys, its `items()` and `values()`, which change nothing)."""

from __future__ import annotations

import sys
import types

import numpy as np
from gradcheck import check_grad

D = {"a": np.eye(3) * 0.5, "b": np.ones((3, 3)) * 0.1}
NEST = {"l1": {"W": np.eye(3) * 0.5}, "l2": {"W": np.eye(3) * 0.3}}
LL = [[np.eye(3) * 0.5]]
S = {1.0, 2.0}
CFG = types.ModuleType("fix1_cfg")
CFG.D = D
sys.modules["fix1_cfg"] = CFG
X = np.array([0.5, -1.0, 2.0])


def over_keys(x):
    s = 0.0
    for k in D:
        s = s + np.sum(np.tanh(D[k] @ x))
    return s


def over_items(x):
    s = 0.0
    for k, w in D.items():
        s = s + np.sum(np.tanh(w @ x)) * len(k)
    return s


def over_values(x):
    s = 0.0
    for w in D.values():
        s = s + np.sum(np.tanh(w @ x))
    return s


def over_module_dict(x):
    s = 0.0
    for k in CFG.D:
        s = s + np.sum(np.sin(CFG.D[k] @ x))
    return s


def over_set(x):
    s = 0.0
    for c in S:
        s = s + c * np.sum(x * x)
    return s


def nested_dict_reads(x):
    h = x
    for name in ("l1", "l2"):
        h = np.tanh(NEST[name]["W"] @ h)
    return np.sum(h) + np.sum(NEST["l1"]["W"] @ x)


def nested_list_read(x):
    return np.sum(np.tanh(LL[0][0] @ x))


def test_loops_over_global_dicts_and_sets():
    for f in (over_keys, over_items, over_values, over_module_dict, over_set):
        check_grad(f, (X,))


def test_constant_key_reads_of_nested_globals():
    for f in (nested_dict_reads, nested_list_read):
        check_grad(f, (X,))
