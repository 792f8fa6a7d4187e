"""Test cases of notebook 07_tiny_cnn (the capstone), one case set per test cell.

Visible sets are small and readable; hidden sets add batches, several channels and filters,
non-square images with an odd height (pooling drops a row), 5x5 kernels, ties in pooling,
odd non-square filters (5x3, 3x1, 1x3: each axis is padded by its own half, so padding both by
kh // 2 fails; every set holds one, tests/test_case_sets.py),
huge scores (softmax must not overflow), exact zeros for the ReLU, and, for training, the
real digits: the hidden training case trains on the 1297 training digits with a fixed seed
and is judged by the accuracy of the returned parameters on the 500 held-out digits
(``judges.py``, in the grading process), not by equality with the reference.
"""
from __future__ import annotations

import numpy as np

from grader.cases import Case, hidden, rng, visible


def _kernel(k) -> tuple[int, int]:
    return (k, k) if np.ndim(k) == 0 else tuple(k)


def _net(g, n=2, c=1, h=4, w=4, f=2, k=3, classes=3, scale=1.0):
    """A batch x of shape (n, c, h, w) and parameters (w1, b1, w2, b2) for the tiny CNN; ``k``: int or (kh, kw)."""
    x = g.standard_normal((n, c, h, w))
    w1 = g.standard_normal((f, c) + _kernel(k)) * scale
    b1 = g.standard_normal(f) * 0.1
    w2 = g.standard_normal((f * (h // 2) * (w // 2), classes)) * 0.5
    b2 = g.standard_normal(classes) * 0.1
    return x, (w1, b1, w2, b2)


def _cache_and_dscores(g, n, c, h, w, f, k, classes):
    """Arguments for tiny_cnn_backward: a consistent forward pass, computed here without the reference."""
    x, params = _net(g, n, c, h, w, f, k, classes)
    w1, b1, w2, b2 = params
    kh, kw = _kernel(k)
    ph, pw = kh // 2, kw // 2
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    z = np.zeros((n, f, h, w))
    for i in range(h):
        for j in range(w):
            z[:, :, i, j] = np.tensordot(xp[:, :, i:i + kh, j:j + kw], w1, axes=([1, 2, 3], [1, 2, 3]))
    z += b1[:, None, None]
    a = np.maximum(z, 0.0)
    ho, wo = h // 2, w // 2
    windows = a[:, :, :2 * ho, :2 * wo].reshape(n, f, ho, 2, wo, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, f, ho, wo, 4)
    local = windows.argmax(axis=-1)
    p = windows.max(axis=-1)
    switches = ((np.arange(ho)[:, None] * 2 + local // 2) * w + np.arange(wo)[None, :] * 2 + local % 2).astype(np.int64)
    dscores = g.standard_normal((n, classes))
    return dict(dscores=dscores, x=x, params=params, cache=(z, a, p, switches))


# --- relu -----------------------------------------------------------------------------------------


@visible("relu")
def relu_visible() -> list[Case]:
    return [
        Case(dict(x=np.array([-2.0, -0.5, 0.0, 0.5, 2.0])), "negative values become 0, positive ones stay"),
        Case(dict(x=np.array([[1.0, -1.0], [-3.0, 4.0]])), "a 2x2 array: elementwise, same shape"),
        Case(dict(x=-np.ones((2, 1, 2, 2))), "all negative: all zeros (a 4-D batch)"),
    ]


@hidden("relu")
def relu_hidden() -> list[Case]:
    g = rng(7001)
    return [
        Case(dict(x=g.standard_normal((3, 2, 5, 4))), "random 4-D batch"),
        Case(dict(x=g.standard_normal(17)), "random 1-D vector"),
        Case(dict(x=np.array([0.0, -0.0, 1e-300, -1e-300])), "zeros and tiny values"),
        Case(dict(x=np.abs(g.standard_normal((2, 3)))), "all positive: unchanged values (a new array)"),
    ]


# --- relu_backward --------------------------------------------------------------------------------


@visible("relu_backward")
def relu_backward_visible() -> list[Case]:
    return [
        Case(dict(dout=np.array([1.0, 2.0, 3.0, 4.0]), x=np.array([-1.0, 2.0, -3.0, 4.0])),
             "the gradient passes where x > 0 and is 0 where x < 0"),
        Case(dict(dout=np.array([5.0, 5.0, 5.0]), x=np.array([-1.0, 0.0, 1.0])), "at x == 0 the gradient is 0"),
        Case(dict(dout=np.array([[-2.0, 3.0], [4.0, -5.0]]), x=np.array([[1.0, 1.0], [-1.0, 1.0]])),
             "negative upstream gradients pass too (the mask comes from x, not from dout)"),
    ]


@hidden("relu_backward")
def relu_backward_hidden() -> list[Case]:
    g = rng(7002)
    x = g.standard_normal((2, 3, 4, 5))
    x[0, 0, 0, :3] = 0.0
    return [
        Case(dict(dout=g.standard_normal(x.shape), x=x), "random 4-D batch with some exact zeros"),
        Case(dict(dout=g.standard_normal((4, 6)), x=g.standard_normal((4, 6))), "random 2-D arrays"),
        Case(dict(dout=g.standard_normal(5), x=-np.abs(g.standard_normal(5))), "all x negative: all zeros"),
    ]


# --- softmax_cross_entropy ------------------------------------------------------------------------


@visible("softmax_cross_entropy")
def softmax_cross_entropy_visible() -> list[Case]:
    return [
        Case(dict(scores=np.array([[0.0, 0.0, 0.0]]), y=np.array([1])), "equal scores: loss log 3, one example"),
        Case(dict(scores=np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]), y=np.array([0, 2])),
             "two examples: the loss and the gradient are averaged over the batch"),
        Case(dict(scores=np.array([[1000.0, 0.0], [0.0, 1000.0]]), y=np.array([0, 0])),
             "huge scores: subtract each row's maximum before exp (no overflow)"),
    ]


@hidden("softmax_cross_entropy")
def softmax_cross_entropy_hidden() -> list[Case]:
    g = rng(7003)
    return [
        Case(dict(scores=g.standard_normal((8, 10)) * 3, y=g.integers(0, 10, 8)), "random batch of 8, 10 classes"),
        Case(dict(scores=g.standard_normal((1, 4)), y=np.array([3])), "a single example, the last class"),
        Case(dict(scores=g.standard_normal((5, 2)) * 800, y=g.integers(0, 2, 5)), "very large scores of both signs"),
        Case(dict(scores=np.array([[20.0, -20.0, 0.0]]), y=np.array([1])), "a confident wrong answer: large loss"),
        Case(dict(scores=g.standard_normal((6, 3)) - 1000.0, y=np.array([0, 1, 2, 0, 1, 2])), "all scores very negative"),
    ]


# --- tiny_cnn_forward -----------------------------------------------------------------------------


@visible("tiny_cnn_forward")
def tiny_cnn_forward_visible() -> list[Case]:
    g = rng(7004)
    x, params = _net(g, n=1, c=1, h=4, w=4, f=1, k=3, classes=2)
    x2, params2 = _net(g, n=2, c=1, h=4, w=4, f=2, k=3, classes=3)
    return [
        Case(dict(x=x, params=params), "one 4x4 image, one 3x3 filter, two classes"),
        Case(dict(x=x2, params=params2), "two images, two filters (flatten: filter, then row, then column)"),
        Case(dict(zip(("x", "params"), _net(g, n=2, c=1, h=4, w=6, f=2, k=(5, 3), classes=2))),
             "a 5x3 filter on 4x6 images: each axis is padded by its own half, pad=(kh//2, kw//2) = (2, 1)"),
    ]


@hidden("tiny_cnn_forward")
def tiny_cnn_forward_hidden() -> list[Case]:
    g = rng(7005)
    x, params = _net(g, n=3, c=2, h=7, w=6, f=3, k=3, classes=4)
    ties_x = g.integers(-1, 2, (2, 1, 4, 4)).astype(np.float64)
    ties = (g.integers(-1, 2, (2, 1, 3, 3)).astype(np.float64), np.zeros(2), g.standard_normal((8, 3)), np.zeros(3))
    return [
        Case(dict(x=x, params=params), "3 images with 2 channels, 7x6 (pooling drops the last row), 3 filters"),
        Case(dict(zip(("x", "params"), _net(g, n=2, c=1, h=8, w=8, f=4, k=5, classes=10))), "8x8 digits-sized, 5x5 filters"),
        Case(dict(x=ties_x, params=ties), "small integers: ties in pooling (the first maximum wins)"),
        Case(dict(zip(("x", "params"), _net(g, n=5, c=3, h=4, w=6, f=2, k=1, classes=2))), "1x1 filters, 3 channels"),
        Case(dict(zip(("x", "params"), _net(g, n=2, c=2, h=6, w=5, f=3, k=(3, 1), classes=3))),
             "3x1 filters on 6x5 images: pad=(1, 0)"),
        Case(dict(zip(("x", "params"), _net(g, n=2, c=1, h=5, w=6, f=2, k=(1, 5), classes=4))),
             "1x5 filters on 5x6 images: pad=(0, 2)"),
    ]


# --- tiny_cnn_backward ----------------------------------------------------------------------------


@visible("tiny_cnn_backward")
def tiny_cnn_backward_visible() -> list[Case]:
    g = rng(7006)
    return [
        Case(_cache_and_dscores(g, 1, 1, 4, 4, 1, 3, 2), "one 4x4 image, one filter, two classes"),
        Case(_cache_and_dscores(g, 2, 1, 4, 4, 2, 3, 3), "two images, two filters, three classes"),
        Case(_cache_and_dscores(g, 2, 1, 4, 6, 2, (5, 3), 2),
             "a 5x3 filter on 4x6 images: the conv's backward pass pads each axis by its own half, (2, 1)"),
    ]


@hidden("tiny_cnn_backward")
def tiny_cnn_backward_hidden() -> list[Case]:
    g = rng(7007)
    return [
        Case(_cache_and_dscores(g, 3, 2, 7, 6, 3, 3, 4), "3 images with 2 channels, 7x6 (a row is dropped), 3 filters"),
        Case(_cache_and_dscores(g, 2, 1, 8, 8, 4, 5, 10), "8x8 digits-sized, 5x5 filters, 10 classes"),
        Case(_cache_and_dscores(g, 4, 3, 6, 4, 2, 1, 2), "1x1 filters, 3 channels"),
        Case(_cache_and_dscores(g, 2, 2, 6, 5, 3, (3, 1), 3), "3x1 filters on 6x5 images: pad=(1, 0)"),
        Case(_cache_and_dscores(g, 2, 1, 5, 6, 2, (1, 5), 4), "1x5 filters on 5x6 images: pad=(0, 2)"),
    ]


# --- sgd_step -------------------------------------------------------------------------------------


@visible("sgd_step")
def sgd_step_visible() -> list[Case]:
    return [
        Case(dict(params=(np.array([1.0, 2.0]), np.array([0.5])), grads=(np.array([10.0, -10.0]), np.array([1.0])),
                  lr=0.1), "two parameters: each moves by -lr * its gradient"),
        Case(dict(params=(np.ones((2, 2)),), grads=(np.full((2, 2), 4.0),), lr=0.5), "a 2x2 weight, lr 0.5"),
    ]


@hidden("sgd_step")
def sgd_step_hidden() -> list[Case]:
    g = rng(7008)
    shapes = [(4, 1, 3, 3), (4,), (64, 10), (10,)]
    params = tuple(g.standard_normal(s) for s in shapes)
    grads = tuple(g.standard_normal(s) for s in shapes)
    return [
        Case(dict(params=params, grads=grads, lr=0.05), "the tiny CNN's four parameters (params not modified)"),
        Case(dict(params=params[:2], grads=grads[:2], lr=1.0), "lr 1"),
        Case(dict(params=(g.standard_normal(3),), grads=(np.zeros(3),), lr=0.3), "zero gradient: nothing moves"),
    ]


# --- train_tiny_cnn -------------------------------------------------------------------------------


def digits_start(seed: int = 0, filters: int = 8, kernel=(3, 3)):
    """The hidden training case's starting parameters for 8x8 digits (He-style scales); ``kernel`` = (kh, kw)."""
    g = rng(seed)
    kh, kw = kernel
    w1 = g.standard_normal((filters, 1, kh, kw)) * np.sqrt(2 / (kh * kw))
    w2 = g.standard_normal((filters * 16, 10)) * np.sqrt(1 / (filters * 16))
    return w1, np.zeros(filters), w2, np.zeros(10)


@visible("train_tiny_cnn")
def train_tiny_cnn_visible() -> list[Case]:
    g = rng(7009)
    x, params = _net(g, n=5, c=1, h=4, w=4, f=2, k=3, classes=3, scale=0.5)
    y = np.array([0, 1, 2, 1, 0])
    return [
        Case(dict(params=params, x=x, y=y, epochs=1, batch_size=5, lr=0.1, seed=0),
             "one epoch, one batch of all 5 images: one step of gradient descent"),
        Case(dict(params=params, x=x, y=y, epochs=2, batch_size=2, lr=0.1, seed=3),
             "two epochs of batches of 2 (the last batch has 1 image), shuffled with rng.permutation"),
        Case(dict(params=_net(g, n=4, c=1, h=4, w=4, f=2, k=(3, 1), classes=2, scale=0.5)[1], x=x[:4],
                  y=np.array([0, 1, 1, 0]), epochs=1, batch_size=2, lr=0.1, seed=1),
             "3x1 filters (pad=(1, 0)): two steps of batches of 2"),
    ]


@hidden("train_tiny_cnn")
def train_tiny_cnn_hidden() -> list[Case]:
    from cnn_course.data import load_digits  # the kernel has the course package; never the reference

    x_train, y_train, _, _ = load_digits()
    return [
        Case(dict(params=digits_start(0, kernel=(5, 3)), x=x_train, y=y_train, epochs=5, batch_size=32, lr=0.2, seed=0),
             "5 epochs with 5x3 filters on the 1297 training digits: at least 90% right on the 500 held-out digits"),
    ]
