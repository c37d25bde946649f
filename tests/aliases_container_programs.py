"""Programs for tests/test_aliases_containers.py: in-place updates through a container's entry."""

import numpy as np


def bump(L):
    L[0] += 1.0


def f_static(x):
    y = x * 2.0
    L = [y, y]
    L[0] += 1.0
    return np.sum(L[1] * x)


def f_repeat(x):
    y = x * 2.0
    L = [y] * 3
    L[0] += 1.0
    return np.sum(L[1] * x)


def f_repeat_new(x):
    L = [x * 2.0] * 3
    L[0] += 1.0
    return np.sum(L[1] * x)


def f_comprehension(x):
    y = x * 2.0
    L = [y for _ in range(3)]
    L[0] += 1.0
    return np.sum(L[1] * x)


def f_list_of_tuple(x):
    y = x * 2.0
    L = list((y, y))
    L[0] += 1.0
    return np.sum(L[1] * x)


def f_list_add(x):
    y = x * 2.0
    L = [y] + [y]  # noqa: RUF005 (the construct under test)
    L[1] *= 3.0
    return np.sum(L[0] * x)


def f_dict(x):
    y = x * 2.0
    d = {"a": y, "b": y}
    d["a"] += 1.0
    return np.sum(d["b"] * x)


def f_appended(x, n):
    L = []
    y = x * 2.0
    for i in range(n):
        L.append(y)
    L[0] += 1.0
    return np.sum(L[1] * x)


def f_loop(x, n):
    L = []
    y = x * 1.0
    for i in range(n):
        L.append(y)
    for i in range(n):
        L[i] += 1.0
    return np.sum(L[0] * x)


def f_helper(x):
    y = x * 2.0
    L = [y, y]
    bump(L)
    return np.sum(L[1] * x)


def f_name(x):
    y = x * 2.0
    L = [y, x]
    L[0] += 1.0
    return np.sum(y * x)


G = np.array([1.0, 2.0, 3.0])


def f_global(x):
    d = {"a": G, "b": x}
    d["a"] += 1.0
    return np.sum(d["a"] * d["b"])


def f_entry_written_then_shared(x):
    y = x * 2.0
    L = [y, y]
    L[0] = x * 3.0
    y += 1.0
    return np.sum(L[1] * x)


# Accepted: the entries are each a new array (or numbers), so no other holder sees the update.
def ok_new_entries(x):
    L = [x * 2.0, x * 3.0]
    L[0] += 1.0
    return np.sum(L[0] * L[1])


def ok_dict_new(x):
    d = {"a": x * 2.0, "b": np.sin(x)}
    d["a"] *= 3.0
    return np.sum(d["a"] * d["b"])


def ok_appended_new(x, n):
    L = []
    for i in range(n):
        L.append(x * (i + 1.0))
    for i in range(n):
        L[i] += 1.0
    return np.sum(L[0] * L[n - 1])


def ok_numbers(x):
    L = [0.0] * 3
    for i in range(3):
        L[i] += float(i) * 2.0
    return np.sum(x * L[1])


def ok_comprehension_new(x):
    L = [x * float(i) for i in range(3)]
    L[1] += 1.0
    return np.sum(L[1] * L[2])


def f_dict_holds_name(x):
    y = x * 2.0
    d = {"a": y}
    y += 1.0
    return np.sum(d["a"] * x)


# Parameters updated in place: right when no other argument holds the same memory, refused at the call else.
def p_flat(a, b):
    a += 1.0
    return np.sum(a * b)


def p_leaf(d):
    d["a"] += 1.0
    return np.sum(d["a"] * d["b"])


def p_list(L):
    L[0] *= 2.0
    return np.sum(L[0] * L[1])
