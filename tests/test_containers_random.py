"""Random programs over tuples, lists and dicts of arrays, differentiated and compared with autograd.

Each program builds containers, reads and writes their entries with constant indices and keys,
loops over them, rebinds a tuple in a branch, aliases a list, unpacks and appends. A program the
compiler refuses must say where (a located UnsupportedSyntaxError); every gradient it gives must
match autograd's.
"""

from __future__ import annotations

import importlib
import random
import sys
import types

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adtransform as ad

PROGRAMS = 40


class _Program:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.tuple_len = 0
        self.list_len = 0
        self.dict_keys: list[str] = []

    def expr(self) -> str:
        r = self.rng.random()
        options = ["a", "b", "a * b", "np.tanh(a)", "np.sin(b) * 0.5", "a * 0.7 + b"]
        if self.tuple_len and r < 0.3:
            return f"T[{self.rng.randrange(-self.tuple_len, self.tuple_len)}]"
        if self.list_len and r < 0.5:
            return f"L[{self.rng.randrange(self.list_len)}]"
        if self.dict_keys and r < 0.65:
            return f"D[{self.rng.choice(self.dict_keys)!r}]"
        return self.rng.choice(options)

    def statement(self, indent: str = "    ") -> None:
        kind = self.rng.randrange(17)
        emit = self.lines.append
        if kind == 0 or not (self.tuple_len or self.list_len or self.dict_keys):
            n = self.rng.randrange(1, 4)
            emit(f"{indent}T = ({', '.join(self.expr() for _ in range(n))},)")
            self.tuple_len = n
        elif kind == 1:
            n = self.rng.randrange(1, 4)
            emit(f"{indent}L = [{', '.join(self.expr() for _ in range(n))}]")
            self.list_len = n
        elif kind == 2:
            keys = self.rng.sample(["p", "q", "r"], self.rng.randrange(1, 4))
            emit(f"{indent}D = {{{', '.join(f'{k!r}: {self.expr()}' for k in keys)}}}")
            self.dict_keys = keys
        elif kind == 3:
            emit(f"{indent}{self.rng.choice('ab')} = {self.expr()} * 0.9 + {self.expr()}")
        elif kind == 4 and self.list_len:
            emit(f"{indent}L[{self.rng.randrange(self.list_len)}] = {self.expr()} * 1.1")
        elif kind == 5 and self.dict_keys:
            emit(f"{indent}D[{self.rng.choice(self.dict_keys)!r}] = {self.expr()} * a")
        elif kind == 6 and self.tuple_len:
            emit(f"{indent}for v in T:")
            emit(f"{indent}    a = a + np.sin(v) * 0.5")
        elif kind == 7 and self.dict_keys:
            emit(f"{indent}for k, v in D.items():")
            emit(f"{indent}    b = b + v * (0.5 if k == 'p' else 0.25)")
        elif kind == 8 and self.tuple_len:
            n = self.tuple_len
            emit(f"{indent}if np.sum(a) > 0:")
            emit(f"{indent}    T = ({', '.join(f'T[{(i + 1) % n}]' for i in range(n))},)")
            emit(f"{indent}else:")
            emit(f"{indent}    T = ({', '.join(f'T[{i}] * 2.0' for i in range(n))},)")
        elif kind == 9 and self.list_len >= 2:
            emit(f"{indent}a, b = L[0], L[1]")
        elif kind == 10 and self.list_len:
            emit(f"{indent}L.append({self.expr()} * 0.2)")
            self.list_len += 1
        elif kind == 11 and self.list_len:
            emit(f"{indent}M = L")
            emit(f"{indent}M[{self.rng.randrange(self.list_len)}] = np.cos({self.expr()})")
        elif kind == 12 and self.tuple_len:
            n = self.tuple_len
            emit(f"{indent}for _ in range(2):")
            emit(f"{indent}    T = ({', '.join(f'np.tanh(T[{(i + 1) % n}]) + T[{i}] * 0.5' for i in range(n))},)")
        elif kind == 13 and self.tuple_len and self.list_len:
            emit(f"{indent}N = (L, T)")
            i, j = self.rng.randrange(self.list_len), self.rng.randrange(self.tuple_len)
            emit(f"{indent}a = a + N[0][{i}] * N[1][{j}]")
        elif kind == 15 and self.dict_keys:
            key = self.rng.choice(self.dict_keys)
            emit(f"{indent}k = 0")
            emit(f"{indent}while k < 2:")
            emit(f"{indent}    D[{key!r}] = D[{key!r}] * 0.9 + {self.expr()}")
            emit(f"{indent}    k = k + 1")
        elif kind == 16 and self.list_len:
            emit(f"{indent}for i in range({self.list_len}):")
            emit(f"{indent}    if np.sum(L[i]) > 0.2:")
            emit(f"{indent}        L[i] = L[i] * 0.5 + {self.expr()}")
        elif kind == 14 and self.tuple_len >= 2:
            emit(f"{indent}first, *rest = T")
            emit(f"{indent}b = b * 0.5 + first * rest[-1]")

    def source(self, name: str) -> str:
        for _ in range(self.rng.randrange(3, 9)):
            self.statement()
        head = [f"def {name}(x, y):", "    a = x * 1.0", "    b = y * 1.0"]
        return "\n".join([*head, *self.lines, "    return np.sum(a * b) + np.sum(np.tanh(a))", ""])


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    path = tmp_path_factory.mktemp("containers") / "random_container_programs.py"
    path.write_text("import numpy as np\n\n\n" + "\n\n".join(_Program(s).source(f"f{s}") for s in range(PROGRAMS)))
    sys.path.insert(0, str(path.parent))
    try:
        yield importlib.import_module("random_container_programs")
    finally:
        sys.path.remove(str(path.parent))
        sys.modules.pop("random_container_programs", None)


def test_random_container_programs_match_autograd(programs):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=3), rng.normal(size=3)
    refused = 0
    for seed in range(PROGRAMS):
        fn = getattr(programs, f"f{seed}")
        try:
            ours = ad.grad(fn, wrt=(0, 1))(x, y)
        except ad.UnsupportedSyntaxError as err:  # conservative, but located in the program
            assert err.location is not None and err.location.filename.endswith("random_container_programs.py")
            refused += 1
            continue
        twin = types.FunctionType(fn.__code__, {"np": anp})
        for i in (0, 1):
            np.testing.assert_allclose(ours[i], autograd.grad(twin, i)(x, y), rtol=1e-9, atol=1e-12,
                                       err_msg=f"f{seed}, argument {i}")
    assert refused < PROGRAMS // 2
