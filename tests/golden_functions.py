"""Canonical functions whose generated gradients are kept as golden files in tests/golden/.

Line numbers matter (the generated code cites them): add new functions at the end.
"""

import numpy as np


def lecture(x):
    z2 = 3 * np.sqrt(x)
    z3 = np.log(x)
    z4 = 1 / x
    z1 = z4**2 + z3
    y = z1 * z2
    return y


def sigmoid_mlp_loss(W1, b1, W2, b2, x, y):
    h = 1.0 / (1.0 + np.exp(-(x @ W1 + b1)))
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def logistic_bce(a, b, x, y):
    p = 1.0 / (1.0 + np.exp(-(a * x + b)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def rnn(W, U, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h**2)


def newton_sqrt(a):
    x = a
    while np.abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def prefix_energy(x):
    # an output array built in a loop: written in place, slot by slot, in both sweeps
    c = np.zeros(x.shape[0] + 1)
    for i in range(x.shape[0]):
        c[i + 1] = c[i] + x[i] * x[i]
    return np.sum(c * c)


def dict_mlp_loss(params, x, y):
    h = 1.0 / (1.0 + np.exp(-(x @ params["W1"] + params["b1"])))
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


# A helper-heavy MLP (issue 12): the same model as sigmoid_mlp_loss, written with functions of its own.
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def dense(W, b, x):
    return x @ W + b


def mse(out, y):
    return np.mean((out - y) ** 2)


def helper_mlp_loss(W1, b1, W2, b2, x, y):
    h = sigmoid(dense(W1, b1, x))
    return mse(dense(W2, b2, h), y)
