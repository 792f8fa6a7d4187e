"""Reference implementations of notebook 07_tiny_cnn (the capstone): relu, relu_backward,
softmax_cross_entropy, tiny_cnn_forward, tiny_cnn_backward, sgd_step, train_tiny_cnn.

The network is conv (same padding, stride 1) -> ReLU -> 2x2 max-pool -> flatten -> dense, with
``params = (w1, b1, w2, b2)`` and ``grads`` in the same order (tuples: the course's records
compare tuples of arrays, and a tuple argument changed in place is noticed). It is built from the
earlier notebooks' reference layers, as the student's is built from their own.
Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numbers

import numpy as np

from grader.course.notebooks.nb03_correlation_convolution.reference import conv2d
from grader.course.notebooks.nb04_pooling_unpooling.reference import max_pool2d
from grader.course.notebooks.nb05_backprop.reference import conv2d_backward, dense_backward, max_pool2d_backward
from grader.course.validation import _array, _int

__all__ = ["relu", "relu_backward", "softmax_cross_entropy", "tiny_cnn_forward", "tiny_cnn_backward",
           "sgd_step", "train_tiny_cnn"]


def relu(x):
    """
    Rectified linear unit, elementwise: max(0, x).

    Inputs:
    - x: array of any shape

    Returns:
    - y: new float64 array of the same shape, y = max(0, x)
    """
    x = _array(x, "x", None, spatial=False)
    return np.maximum(x, 0.0)


def relu_backward(dout, x):
    """
    Backward pass of relu: the gradient passes where x > 0 and is 0 elsewhere (also at x == 0).

    Inputs:
    - dout: upstream gradient, same shape as x
    - x: the input relu was called on

    Returns:
    - dx: float64 array of x's shape, dout * (x > 0)
    """
    dout = _array(dout, "dout", None, spatial=False)
    x = _array(x, "x", None, spatial=False)
    if dout.shape != x.shape:
        raise ValueError(f"dout and x must have the same shape, got {dout.shape} and {x.shape}")
    return np.where(x > 0, dout, 0.0)


def _labels(y, n, k):
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(f"y must be an int array of shape ({n},), got {y.dtype} {y.shape}")
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"y must hold class indices in 0..{k - 1}")
    return y


def softmax(scores):
    """Row-wise softmax of (N, K) scores, shifted by each row's maximum so exp never overflows."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(scores, y):
    """
    Softmax followed by the cross-entropy loss, averaged over the batch, and its gradient.

    Inputs:
    - scores: array of shape (N, K), one row of class scores (logits) per example
    - y: int array of shape (N,), the right class of each example, in 0..K-1

    Returns a tuple of:
    - loss: float, -(1/N) sum_n log p[n, y_n] with p = softmax(scores) row by row
    - dscores: array of shape (N, K), d loss / d scores = (p - onehot(y)) / N
    """
    scores = _array(scores, "scores", (2,), "(N, K)", spatial=False)
    n, k = scores.shape
    y = _labels(y, n, k)
    shifted = scores - scores.max(axis=1, keepdims=True)              # softmax is unchanged by a shift
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -float(log_p[np.arange(n), y].mean())
    dscores = np.exp(log_p)
    dscores[np.arange(n), y] -= 1.0
    return loss, dscores / n


def _params(params):
    if not isinstance(params, (tuple, list)) or len(params) != 4:
        raise ValueError("params must be the tuple (w1, b1, w2, b2)")
    w1 = _array(params[0], "w1", (4,), "(F, C, kh, kw)")
    b1 = _array(params[1], "b1", (1,), "(F,)", spatial=False)
    w2 = _array(params[2], "w2", (2,), "(D, K)", spatial=False)
    b2 = _array(params[3], "b2", (1,), "(K,)", spatial=False)
    return w1, b1, w2, b2


def _same_pad(w1):
    kh, kw = w1.shape[2:]
    return kh // 2, kw // 2


def tiny_cnn_forward(x, params):
    """
    Forward pass of the tiny CNN: conv (same padding) -> ReLU -> 2x2 max-pool -> flatten -> dense.

    Inputs:
    - x: images of shape (N, C, H, W)
    - params: tuple (w1, b1, w2, b2) with w1 (F, C, kh, kw) (odd kh, kw), b1 (F,),
      w2 (F * (H//2) * (W//2), K), b2 (K,)

    Returns a tuple of:
    - scores: array of shape (N, K), flat @ w2 + b2
    - cache: tuple (z, a, p, switches), what the backward pass needs:
      z = conv2d(x, w1, b1, stride=1, pad=(kh//2, kw//2)) of shape (N, F, H, W),
      a = relu(z), (p, switches) = max_pool2d(a, 2) of shape (N, F, H//2, W//2),
      and flat = p.reshape(N, -1) (row-major: channel, then row, then column)
    """
    w1, b1, w2, b2 = _params(params)
    z = conv2d(x, w1, b1, stride=1, pad=_same_pad(w1))
    a = relu(z)
    p, switches = max_pool2d(a, 2)
    flat = p.reshape(p.shape[0], -1)
    if flat.shape[1] != w2.shape[0]:
        raise ValueError(f"w2 must have {flat.shape[1]} rows (F * H//2 * W//2), got {w2.shape[0]}")
    if b2.shape != (w2.shape[1],):
        raise ValueError(f"b2 must have shape ({w2.shape[1]},), got {b2.shape}")
    return flat @ w2 + b2, (z, a, p, switches)


def tiny_cnn_backward(dscores, x, params, cache):
    """
    Backward pass of tiny_cnn_forward: the gradient of the loss with respect to every parameter.

    Inputs:
    - dscores: upstream gradient d loss / d scores of shape (N, K)
    - x, params: what tiny_cnn_forward was called with
    - cache: the tuple (z, a, p, switches) tiny_cnn_forward returned

    Returns:
    - grads: tuple (dw1, db1, dw2, db2), shaped like (w1, b1, w2, b2)
    """
    w1, b1, w2, b2 = _params(params)
    z, a, p, switches = cache
    p = np.asarray(p, dtype=np.float64)
    flat = p.reshape(p.shape[0], -1)
    dflat, dw2, db2 = dense_backward(dscores, flat, w2)
    da = max_pool2d_backward(dflat.reshape(p.shape), switches, np.shape(a))
    dz = relu_backward(da, z)
    _, dw1, db1 = conv2d_backward(dz, x, w1, stride=1, pad=_same_pad(w1))
    return dw1, db1, dw2, db2


def sgd_step(params, grads, lr):
    """
    One step of gradient descent: every parameter moves against its gradient.

    Inputs:
    - params: tuple of arrays (w1, b1, w2, b2)
    - grads: tuple of arrays of the same shapes (dw1, db1, dw2, db2)
    - lr: float > 0, the learning rate

    Returns:
    - new_params: a new tuple of new arrays, param - lr * grad for each pair; params is not modified
    """
    if not isinstance(params, (tuple, list)) or not isinstance(grads, (tuple, list)) or len(params) != len(grads):
        raise ValueError("params and grads must be tuples of the same length")
    if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    out = []
    for i, (p, g) in enumerate(zip(params, grads)):
        p, g = _array(p, f"params[{i}]", None, spatial=False), _array(g, f"grads[{i}]", None, spatial=False)
        if p.shape != g.shape:
            raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has {p.shape}")
        out.append(p - lr * g)
    return tuple(out)


def train_tiny_cnn(params, x, y, epochs=1, batch_size=32, lr=0.1, seed=0):
    """
    Train the tiny CNN with mini-batch stochastic gradient descent on softmax cross-entropy.

    Inputs:
    - params: tuple (w1, b1, w2, b2), the starting point (not modified)
    - x: training images of shape (N, C, H, W); y: int labels of shape (N,)
    - epochs: int >= 1, passes over the training set
    - batch_size: int >= 1; the last batch of an epoch may be smaller
    - lr: float > 0, the learning rate
    - seed: int; rng = np.random.default_rng(seed) is made once, and each epoch visits the
      examples in the order rng.permutation(N), batch_size at a time

    Returns a tuple of:
    - params: the trained tuple (w1, b1, w2, b2)
    - losses: float64 array of shape (number of steps,), each batch's loss before its step
    """
    epochs, batch_size = _int(epochs, "epochs", 1), _int(batch_size, "batch_size", 1)
    x = _array(x, "x", (4,), "(N, C, H, W)")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            scores, cache = tiny_cnn_forward(x[batch], params)
            loss, dscores = softmax_cross_entropy(scores, y[batch])
            grads = tiny_cnn_backward(dscores, x[batch], params, cache)
            params = sgd_step(params, grads, lr)
            losses.append(loss)
    return tuple(params), np.array(losses, dtype=np.float64)
