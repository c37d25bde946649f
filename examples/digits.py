"""Digit classification on scikit-learn's bundled 8×8 digits: an MLP and a small convolutional network in NumPy.

The lecture trains an MNIST CNN in PyTorch; here both networks are plain NumPy functions and
adtransform writes their gradients. The convolution is a sum over the kernel offsets of shifted
slices of the images times one weight per filter: slicing, broadcasting and sums, nothing else.
Minibatch SGD; prints the test accuracy and the confusion matrix, plots the learning curves and the
misclassified test digits.

Run:  python examples/digits.py [--out DIR] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import adtransform as ad

# ---------------------------------------------------------------- the two networks


def cross_entropy(logits, onehot):
    """Mean softmax cross-entropy, with the maximum subtracted so exp never overflows."""
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=1))


def mlp(params, images):
    """64 pixels -> 64 tanh units -> 10 logits."""
    x = images.reshape(images.shape[0], -1)
    h = np.tanh(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def conv2d(images, kernels, bias):
    """Valid convolution (cross-correlation, as in deep learning): (n, H, W) * (c, k, k) -> (n, c, H-k+1, W-k+1)."""
    k = kernels.shape[-1]
    height = images.shape[1] - k + 1
    width = images.shape[2] - k + 1
    out = bias[None, :, None, None]
    for i in range(k):
        for j in range(k):
            out = out + images[:, None, i:i + height, j:j + width] * kernels[None, :, i, j, None, None]
    return out


def cnn(params, images):
    """3×3 convolution with 8 filters -> ReLU -> 2×2 max pooling -> 10 logits."""
    h = np.maximum(conv2d(images, params["kernels"], params["conv_b"]), 0.0)
    n, c, height, width = h.shape
    pooled = h.reshape(n, c, height // 2, 2, width // 2, 2).max(axis=(3, 5))
    return pooled.reshape(n, -1) @ params["W"] + params["b"]


def mlp_loss(params, images, onehot):
    return cross_entropy(mlp(params, images), onehot)


def cnn_loss(params, images, onehot):
    return cross_entropy(cnn(params, images), onehot)


def init_mlp(rng):
    return {"W1": rng.normal(0, 1 / 8, (64, 64)), "b1": np.zeros(64),
            "W2": rng.normal(0, 1 / 8, (64, 10)), "b2": np.zeros(10)}


def init_cnn(rng):
    return {"kernels": rng.normal(0, 1 / 3, (8, 3, 3)), "conv_b": np.zeros(8),
            "W": rng.normal(0, 1 / np.sqrt(72), (72, 10)), "b": np.zeros(10)}


# ---------------------------------------------------------------- training


def progress(iterable, total: int, desc: str):
    """tqdm if installed, else a few lines of our own."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _plain_progress(iterable, total, desc)
    return tqdm(iterable, total=total, desc=desc, mininterval=0.5)


def _plain_progress(iterable, total, desc):
    start, shown = time.perf_counter(), -1
    for i, item in enumerate(iterable):
        yield item
        percent = 100 * (i + 1) // total
        if percent // 10 != shown:
            shown = percent // 10
            sys.stderr.write(f"\r{desc}: {percent:3d}% ({time.perf_counter() - start:.1f} s)")
            sys.stderr.flush()
    sys.stderr.write("\n")


def accuracy(model, params, images, labels) -> float:
    return float(np.mean(np.argmax(model(params, images), axis=1) == labels))


def train(name, model, loss, params, data, epochs, lr, batch, rng):
    """Minibatch SGD; returns the parameters and, per epoch, the training loss and the test accuracy."""
    train_x, train_y, test_x, test_y = data
    onehot = np.eye(10)[train_y]
    dloss = ad.value_and_grad(loss, wrt="params")
    batches = (len(train_x) + batch - 1) // batch
    history = {"loss": [], "test_accuracy": []}
    start = time.perf_counter()
    epoch_losses = []

    def steps():
        for _ in range(epochs):
            order = rng.permutation(len(train_x))
            for b in range(batches):
                yield order[b * batch:(b + 1) * batch], b == batches - 1

    for rows, last in progress(steps(), epochs * batches, name):
        value, grads = dloss(params, train_x[rows], onehot[rows])
        params = {key: params[key] - lr * grads[key] for key in params}
        epoch_losses.append(float(value))
        if last:
            history["loss"].append(float(np.mean(epoch_losses)))
            history["test_accuracy"].append(accuracy(model, params, test_x, test_y))
            epoch_losses = []
    seconds = time.perf_counter() - start
    print(f"{name}: {epochs} epochs of {batches} minibatches in {seconds:.1f} s "
          f"({1e3 * seconds / (epochs * batches):.2f} ms per step); "
          f"test accuracy {100 * history['test_accuracy'][-1]:.1f}%")
    return params, history, dloss


def confusion_matrix(true, predicted) -> np.ndarray:
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="An MLP and a CNN in NumPy on the 8x8 digits.")
    parser.add_argument("--out", default=".", help="directory for the PNG figures (default: here)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs (used by the tests)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("scikit-learn is not installed: this example needs its bundled digits data set "
              "(pip install -e '.[examples]'); nothing to do")
        return {}

    digits = load_digits()
    images, labels = digits.images / 16.0, digits.target
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(images))
    test, train_rows = order[:360], order[360:]
    data = (images[train_rows], labels[train_rows], images[test], labels[test])
    print(f"{len(train_rows)} training and {len(test)} test images of 8x8 pixels")

    mlp_epochs, cnn_epochs = (30, 3) if args.quick else (30, 20)
    mlp_params, mlp_history, _ = train("MLP", mlp, mlp_loss, init_mlp(rng), data, mlp_epochs, 0.1, 32, rng)
    cnn_params, cnn_history, dcnn = train("CNN", cnn, cnn_loss, init_cnn(rng), data, cnn_epochs, 0.3, 32, rng)
    print("\nThe generated gradient of the CNN's loss (dcnn.source):\n")
    print(dcnn.source)

    results = {"mlp_accuracy": mlp_history["test_accuracy"][-1], "cnn_accuracy": cnn_history["test_accuracy"][-1],
               "mlp_history": mlp_history, "cnn_history": cnn_history}
    for name, model, params in (("MLP", mlp, mlp_params), ("CNN", cnn, cnn_params)):
        predicted = np.argmax(model(params, data[2]), axis=1)
        matrix = confusion_matrix(data[3], predicted)
        results[f"{name.lower()}_confusion"] = matrix
        print(f"\n{name}: test accuracy {100 * np.mean(predicted == data[3]):.1f}%; confusion matrix "
              f"(rows: true digit, columns: predicted)")
        print("     " + " ".join(f"{d:3d}" for d in range(10)))
        for d in range(10):
            print(f"  {d}: " + " ".join(f"{n:3d}" for n in matrix[d]))
    predicted = np.argmax(cnn(cnn_params, data[2]), axis=1)
    results["figures"] = plot(mlp_history, cnn_history, data[2], data[3], predicted, Path(args.out))
    return results


def plot(mlp_history, cnn_history, test_x, test_y, predicted, out: Path) -> list[Path]:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: plots skipped (pip install -e '.[examples]')")
        return []
    out.mkdir(parents=True, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=90)
    for name, history in (("MLP", mlp_history), ("CNN", cnn_history)):
        epochs = np.arange(1, len(history["loss"]) + 1)
        left.plot(epochs, history["loss"], "o-", ms=3, label=name)
        right.plot(epochs, 100 * np.array(history["test_accuracy"]), "o-", ms=3, label=name)
    left.set(xlabel="epoch", ylabel="training loss", yscale="log", title="Learning curves")
    right.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    left.legend()
    right.legend()
    fig.tight_layout()
    curves = out / "digits_curves.png"
    fig.savefig(curves)
    plt.close(fig)

    wrong = np.flatnonzero(predicted != test_y)[:16]
    fig, axes = plt.subplots(2, 8, figsize=(8, 2.6), dpi=90)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(test_x[i], cmap="gray_r")
        ax.set_title(f"{test_y[i]} → {predicted[i]}", fontsize=9)
    fig.suptitle(f"Misclassified test digits (CNN): true → predicted ({np.sum(predicted != test_y)} of "
                 f"{len(test_y)})", fontsize=10)
    fig.tight_layout()
    mistakes = out / "digits_misclassified.png"
    fig.savefig(mistakes)
    plt.close(fig)
    print(f"saved {curves} and {mistakes}")
    return [curves, mistakes]


if __name__ == "__main__":
    main()
