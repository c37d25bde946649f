"""adtransform in one minute: differentiate ordinary NumPy code and read the gradient it generates.

Run:  python examples/quickstart.py
"""

import numpy as np

import adtransform as ad


def loss(W, x, y):
    """Mean squared error of a one-layer tanh network."""
    h = np.tanh(x @ W)
    return np.mean((h - y) ** 2)


dloss = ad.grad(loss)                      # gradient with respect to the first parameter, W

rng = np.random.default_rng(0)
W = rng.normal(size=(3, 2))
x = rng.normal(size=(5, 3))
y = rng.normal(size=(5, 2))

dW = dloss(W, x, y)
print("dloss/dW =")
print(dW)

# Check against the gradient written by hand.
h = np.tanh(x @ W)
by_hand = x.T @ (2 * (h - y) / h.size * (1 - h**2))
print("matches the hand-written gradient:", np.allclose(dW, by_hand))

print("\nThe generated gradient (dloss.source):\n")
print(dloss.source)

# Several parameters at once, and the value too.
value, (dW, dy) = ad.value_and_grad(loss, wrt=("W", "y"))(W, x, y)
print(f"loss = {value:.6f}; dloss/dy has shape {dy.shape}")
