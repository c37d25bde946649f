"""Helpers in a module of their own, called by the programs of tests/test_inline_*.py.

Their free names must be read in THIS module: `xp` is numpy under another name, `SCALE` a global
array of this module (read again at each call), `tanh` a local alias the caller's module lacks.
"""

import numpy as xp
from numpy import tanh

SCALE = xp.array([1.0, 2.0, 3.0])
OFFSET = 0.5


def scaled(v):
    return v * SCALE + OFFSET


def activate(v, slope=0.1):
    return tanh(v) + slope * v


def two_level(v):
    return activate(scaled(v)) * 2.0


def clipped_sum(v, limit):
    total = 0.0
    for i in range(v.shape[0]):
        if v[i] > limit:
            return total + limit
        total = total + v[i] * v[i]
    return total


def broken(v):
    try:
        w = v * 2.0
    except ValueError:
        w = v
    return w


def countdown(v, n):
    if n == 0:
        return v
    return countdown(v * 1.5, n - 1)


def no_rule(v):
    return xp.linalg.cond(v)
