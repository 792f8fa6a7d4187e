"""Typical mistakes in the graded functions of notebook 07_tiny_cnn, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R

# --------------------------------------------------------------------------- relu


def _relu_abs(x):
    return np.abs(np.asarray(x, dtype=np.float64))


def _relu_min(x):
    return np.minimum(np.asarray(x, dtype=np.float64), 0.0)


# --------------------------------------------------------------------------- relu_backward


def _relu_back_at_zero(dout, x):
    return np.where(np.asarray(x) >= 0, np.asarray(dout, dtype=np.float64), 0.0)


def _relu_back_by_dout(dout, x):
    dout = np.asarray(dout, dtype=np.float64)
    return np.where(dout > 0, dout, 0.0)


def _relu_back_mask_only(dout, x):
    return (np.asarray(x) > 0).astype(np.float64)


# --------------------------------------------------------------------------- softmax_cross_entropy


def _ce_sum(scores, y):
    loss, dscores = R.softmax_cross_entropy(scores, y)
    n = np.shape(scores)[0]
    return loss * n, dscores * n


def _ce_grad_not_averaged(scores, y):
    loss, dscores = R.softmax_cross_entropy(scores, y)
    return loss, dscores * np.shape(scores)[0]


def _ce_no_minus_one(scores, y):
    loss, dscores = R.softmax_cross_entropy(scores, y)
    n = np.shape(scores)[0]
    dscores = dscores.copy()
    dscores[np.arange(n), y] += 1.0 / n
    return loss, dscores


def _ce_unshifted(scores, y):
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(scores)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -float(np.mean(np.log(p[np.arange(n), y])))
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1.0
    return loss, dscores / n


# --------------------------------------------------------------------------- tiny_cnn_forward


def _forward_parts(x, params, relu=True):
    w1, b1, w2, b2 = params
    kh, kw = np.shape(w1)[2:]
    z = R.conv2d(x, w1, b1, stride=1, pad=(kh // 2, kw // 2))
    a = R.relu(z) if relu else z
    p, switches = R.max_pool2d(a, 2)
    return z, a, p, switches, np.asarray(w2, dtype=np.float64), np.asarray(b2, dtype=np.float64)


def _forward_no_relu(x, params):
    z, a, p, switches, w2, b2 = _forward_parts(x, params, relu=False)
    return p.reshape(len(p), -1) @ w2 + b2, (z, a, p, switches)


def _forward_relu_after_pool(cached_a_is_z: bool):
    def wrong(x, params):
        z, a, _, _, w2, b2 = _forward_parts(x, params)
        pooled, switches = R.max_pool2d(z, 2)
        p = R.relu(pooled)
        return p.reshape(len(p), -1) @ w2 + b2, (z, z if cached_a_is_z else a, p, switches)
    return wrong


def _forward_channels_last(x, params):
    z, a, p, switches, w2, b2 = _forward_parts(x, params)
    return p.transpose(0, 2, 3, 1).reshape(len(p), -1) @ w2 + b2, (z, a, p, switches)


def _one_pad(w1, axis: int) -> tuple[int, int]:
    """The slip of a non-square filter: one axis's half-kernel used for both axes."""
    half = np.shape(w1)[2 + axis] // 2
    return half, half


def _forward_one_pad(axis: int, keep_size: bool):
    """Both axes padded by kh // 2 (axis 0) or kw // 2 (axis 1); ``keep_size``: a loop that writes only H x W outputs."""
    def wrong(x, params):
        w1, b1, w2, b2 = params
        h, w = np.shape(x)[2:]
        z = R.conv2d(x, w1, b1, stride=1, pad=_one_pad(w1, axis))
        z = z[:, :, :h, :w] if keep_size else z
        a = R.relu(z)
        p, switches = R.max_pool2d(a, 2)
        return p.reshape(len(p), -1) @ np.asarray(w2, dtype=np.float64) + b2, (z, a, p, switches)
    return wrong


def _forward_cache_order(x, params):
    scores, (z, a, p, switches) = R.tiny_cnn_forward(x, params)
    return scores, (a, z, p, switches)


def _forward_no_dense_bias(x, params):
    scores, cache = R.tiny_cnn_forward(x, params)
    return scores - np.asarray(params[3], dtype=np.float64), cache


# --------------------------------------------------------------------------- tiny_cnn_backward


def _backward_parts(dscores, x, params, cache, relu=True, pool="max", conv_back=None):
    w1, b1, w2, b2 = params
    z, a, p, switches = cache
    p = np.asarray(p, dtype=np.float64)
    kh, kw = np.shape(w1)[2:]
    dflat, dw2, db2 = R.dense_backward(dscores, p.reshape(len(p), -1), w2)
    if pool == "max":
        da = R.max_pool2d_backward(dflat.reshape(p.shape), switches, np.shape(a))
    else:
        da = R.mean_pool2d_backward(dflat.reshape(p.shape), np.shape(a), 2)
    dz = R.relu_backward(da, z) if relu else da
    if conv_back is not None:
        return conv_back(dz, x, w1), dz.sum(axis=(0, 2, 3)), dw2, db2
    _, dw1, db1 = R.conv2d_backward(dz, x, w1, stride=1, pad=(kh // 2, kw // 2))
    return dw1, db1, dw2, db2


def _backward_one_pad(axis: int):
    """dw1 of an input padded by kh // 2 (axis 0) or kw // 2 (axis 1) on both axes, taps read from its corner."""
    def conv_back(dz, x, w1):
        kh, kw = np.shape(w1)[2:]
        ph, pw = _one_pad(w1, axis)
        xp = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        h, w = dz.shape[2:]
        if xp.shape[2] < h + kh - 1 or xp.shape[3] < w + kw - 1:
            raise ValueError("the padded input is too small for the kernel")
        dw1 = np.zeros(np.shape(w1))
        for u in range(kh):
            for v in range(kw):
                dw1[:, :, u, v] = np.einsum("nfij,ncij->fc", dz, xp[:, :, u:u + h, v:v + w])
        return dw1

    def wrong(dscores, x, params, cache):
        return _backward_parts(dscores, x, params, cache, conv_back=conv_back)
    return wrong


def _backward_no_relu(dscores, x, params, cache):
    return _backward_parts(dscores, x, params, cache, relu=False)


def _backward_mean_pool(dscores, x, params, cache):
    return _backward_parts(dscores, x, params, cache, pool="mean")


def _backward_order(dscores, x, params, cache):
    dw1, db1, dw2, db2 = R.tiny_cnn_backward(dscores, x, params, cache)
    return dw2, db2, dw1, db1


# --------------------------------------------------------------------------- sgd_step


def _sgd_ascent(params, grads, lr):
    return R.sgd_step(params, tuple(-np.asarray(g, dtype=np.float64) for g in grads), lr)


def _sgd_no_lr(params, grads, lr):
    return R.sgd_step(params, grads, 1.0)


# --------------------------------------------------------------------------- train_tiny_cnn


def _train(params, x, y, epochs, batch_size, lr, seed, shuffle=True, rng_per_epoch=False, drop_last=False,
           loss_after=False):
    rng = np.random.default_rng(seed)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    losses = []
    for _ in range(epochs):
        if rng_per_epoch:
            rng = np.random.default_rng(seed)
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            if drop_last and len(batch) < batch_size:
                continue
            scores, cache = R.tiny_cnn_forward(x[batch], params)
            loss, dscores = R.softmax_cross_entropy(scores, y[batch])
            params = R.sgd_step(params, R.tiny_cnn_backward(dscores, x[batch], params, cache), lr)
            if loss_after:
                loss = R.softmax_cross_entropy(R.tiny_cnn_forward(x[batch], params)[0], y[batch])[0]
            losses.append(loss)
    return tuple(params), np.array(losses, dtype=np.float64)


def _train_twist(**twist):
    def wrong(params, x, y, epochs=1, batch_size=32, lr=0.1, seed=0):
        return _train(params, x, y, epochs, batch_size, lr, seed, **twist)
    return wrong


PAD_HINT = ("a non-square filter pads each axis by its own half: pad=(kh // 2, kw // 2), "
            "not the same half-kernel on both axes")


VARIANTS = {
    "relu": [
        ("negative values must become 0, not their absolute value: max(0, x)", _relu_abs),
        ("min instead of max: relu keeps the positive values, max(0, x)", _relu_min),
    ],
    "relu_backward": [
        ("the gradient passed where x == 0: relu's slope there is taken as 0, so use x > 0, not x >= 0",
         _relu_back_at_zero),
        ("the mask must come from the forward input x (x > 0), not from the sign of dout", _relu_back_by_dout),
        ("returned the mask (x > 0) alone: multiply it by dout (the chain rule)", _relu_back_mask_only),
    ],
    "softmax_cross_entropy": [
        ("summed over the batch instead of averaging: divide the loss and the gradient by N", _ce_sum),
        ("the gradient is not divided by N (the loss is a mean, so its gradient is (p - onehot) / N)",
         _ce_grad_not_averaged),
        ("forgot to subtract 1 at the right class: dscores = (p - onehot(y)) / N", _ce_no_minus_one),
        ("exp overflowed: subtract each row's maximum from its scores before exp (softmax does not change)",
         _ce_unshifted),
    ],
    "tiny_cnn_forward": [
        ("the ReLU is missing: a = relu(z) goes between the convolution and the pooling", _forward_no_relu),
        *[("the ReLU comes before the pooling: pool a = relu(z) (the maxima agree, but in a window with no positive "
           "value the switch is the first 0 of a, not the maximum of z)", _forward_relu_after_pool(cached))
          for cached in (False, True)],
        ("flattened in the wrong order: p.reshape(N, -1) on (N, F, H, W) (filter, then row, then column), "
         "without a transpose", _forward_channels_last),
        ("the cache must be (z, a, p, switches) in that order: the conv output z first, then a = relu(z)",
         _forward_cache_order),
        ("the dense layer's bias b2 is missing: scores = flat @ w2 + b2", _forward_no_dense_bias),
        *[(PAD_HINT, _forward_one_pad(axis, keep_size)) for keep_size in (True, False) for axis in (0, 1)],
    ],
    "tiny_cnn_backward": [
        ("the ReLU's backward pass is missing: dz = relu_backward(da, z) before the conv's backward pass",
         _backward_no_relu),
        ("the pooling gradient was shared over the window: max pooling sends it to the maximum only (switches)",
         _backward_mean_pool),
        ("grads must be in the order of params: (dw1, db1, dw2, db2)", _backward_order),
        *[(PAD_HINT, _backward_one_pad(axis)) for axis in (0, 1)],
    ],
    "sgd_step": [
        ("added the gradient: a descent step subtracts it, param - lr * grad", _sgd_ascent),
        ("the learning rate is missing: param - lr * grad", _sgd_no_lr),
    ],
    "train_tiny_cnn": [
        ("no shuffling: each epoch visits the examples in the order rng.permutation(N)", _train_twist(shuffle=False)),
        ("the random generator was made again each epoch: make rng = np.random.default_rng(seed) once, "
         "before the epochs, so each epoch gets a new order", _train_twist(rng_per_epoch=True)),
        ("the last, smaller batch of each epoch was skipped: use it too (range(0, N, batch_size))",
         _train_twist(drop_last=True)),
        ("recorded the loss after the step: record each batch's loss before its update", _train_twist(loss_after=True)),
    ],
}
