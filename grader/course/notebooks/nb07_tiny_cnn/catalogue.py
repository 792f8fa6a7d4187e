"""07_tiny_cnn: deliberately wrong and independent correct student code for the capstone's graded functions.

The student's functions call their own ``conv2d``, ``max_pool2d`` and backward passes from earlier
notebooks; catalogue code must run on its own (a catalogue submission has no earlier notebooks), so
the network-level entries carry their layers inside the function, written with plain loops.
"""
from __future__ import annotations

import textwrap

import numpy as np

from grader.cases.nb07_tiny_cnn import _cache_and_dscores, _net
from grader.course.catalogue import correct, wrong

# The layers, as nested functions (indented to sit inside a def). ``TWIST`` switches pick one mistake.
_LAYERS = '''
def conv(x, w, b):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ph, pw = (kh // 2, kh // 2) if PAD_KH_BOTH else (kh // 2, kw // 2)
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    z = np.zeros((n, f, h, wd))
    for i in range(h):
        for j in range(wd):
            patch = xp[:, :, i:i + kh, j:j + kw].reshape(n, -1)
            z[:, :, i, j] = patch @ w.reshape(f, -1).T + b
    return z

def pool(a):
    n, f, h, wd = a.shape
    ho, wo = h // 2, wd // 2
    p = np.zeros((n, f, ho, wo))
    s = np.zeros((n, f, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            best = a[:, :, 2 * i, 2 * j].copy()
            where = np.full((n, f), (2 * i) * wd + 2 * j)
            for u, v in ((0, 1), (1, 0), (1, 1)):
                value = a[:, :, 2 * i + u, 2 * j + v]
                better = value > best
                best = np.where(better, value, best)
                where = np.where(better, (2 * i + u) * wd + 2 * j + v, where)
            p[:, :, i, j], s[:, :, i, j] = best, where
    return p, s

def forward(x, params):
    w1, b1, w2, b2 = params
    z = conv(x, w1, b1)
    a = z * (z > 0) if RELU else z.copy()
    p, s = pool(a)
    flat = p.transpose(0, 2, 3, 1).reshape(len(x), -1) if CHANNELS_LAST else p.reshape(len(x), -1)
    return flat @ w2 + b2, (z, a, p, s)

def backward(dscores, x, params, cache):
    w1, b1, w2, b2 = params
    z, a, p, s = cache
    n, f, h, wd = z.shape
    flat = p.reshape(n, -1)
    dw2, db2 = flat.T @ dscores, dscores.sum(axis=0)
    dp = (dscores @ w2.T).reshape(p.shape)
    da = np.zeros(n * f * h * wd)
    planes = (np.arange(n * f) * h * wd)[:, None]
    np.add.at(da, (planes + s.reshape(n * f, -1)).ravel(), dp.ravel())
    da = da.reshape(z.shape)
    dz = da * (z > 0) if RELU_BACK else da
    kh, kw = w1.shape[2:]
    ph, pw = (kh // 2, kh // 2) if PAD_KH_BOTH else (kh // 2, kw // 2)
    xp = np.zeros((n, x.shape[1], h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    dw1 = np.zeros(w1.shape)
    for u in range(kh):
        for v in range(kw):
            dw1[:, :, u, v] = np.einsum("nfij,ncij->fc", dz, xp[:, :, u:u + h, v:v + wd])
    return dw1, dz.sum(axis=(0, 2, 3)), dw2, db2

def ce(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return loss, d / len(y)
'''

_FLAGS = dict(RELU=True, CHANNELS_LAST=False, RELU_BACK=True, PAD_KH_BOTH=False)


def _with_layers(head: str, body: str, **flags) -> str:
    """``def head:`` holding the layers (with ``flags`` set) and then ``body``."""
    settings = "".join(f"{name} = {value!r}\n" for name, value in {**_FLAGS, **flags}.items())
    inner = textwrap.indent(settings + _LAYERS + textwrap.dedent(body), "    ")
    return f"def {head}:\n{inner}"


def _forward(**flags):
    return _with_layers("tiny_cnn_forward(x, params)", "return forward(x, params)\n", **flags)


def _backward(**flags):
    return _with_layers("tiny_cnn_backward(dscores, x, params, cache)", "return backward(dscores, x, params, cache)\n",
                        **flags)


_TRAIN_LOOP = '''
rng = np.random.default_rng(seed)
losses = []
for epoch in range(epochs):
    order = ORDER
    starts = range(0, len(x), batch_size)
    for start in starts:
        batch = order[start:start + batch_size]
        if SKIP_SHORT and len(batch) < batch_size:
            continue
        scores, cache = forward(x[batch], params)
        loss, dscores = ce(scores, y[batch])
        grads = backward(dscores, x[batch], params, cache)
        params = tuple(p - lr * g for p, g in zip(params, grads))
        losses.append(loss)
return params, np.array(losses)
'''


def _train(order="rng.permutation(len(x))", skip_short=False):
    body = _TRAIN_LOOP.replace("ORDER", order).replace("SKIP_SHORT", repr(skip_short))
    return _with_layers("train_tiny_cnn(params, x, y, epochs=1, batch_size=32, lr=0.1, seed=0)", body)


CORRECT = {
    "relu": correct("relu", '''
        def relu(x):
            out = np.array(x, dtype=float)
            out[out < 0] = 0.0
            return out
    '''),
    "relu_backward": correct("relu_backward", '''
        def relu_backward(dout, x):
            return dout * (x > 0)
    '''),
    "softmax_cross_entropy": correct("softmax_cross_entropy", '''
        def softmax_cross_entropy(scores, y):
            n = scores.shape[0]
            top = scores.max(axis=1, keepdims=True)
            log_sum = top[:, 0] + np.log(np.sum(np.exp(scores - top), axis=1))   # log sum exp, stably
            loss = float(np.sum(log_sum - scores[np.arange(n), y]) / n)
            p = np.exp(scores - log_sum[:, None])
            onehot = np.zeros_like(p)
            onehot[np.arange(n), y] = 1.0
            return loss, (p - onehot) / n
    '''),
    "tiny_cnn_forward": correct("tiny_cnn_forward", _forward()),
    "tiny_cnn_backward": correct("tiny_cnn_backward", _backward()),
    "sgd_step": correct("sgd_step", '''
        def sgd_step(params, grads, lr):
            new = []
            for p, g in zip(params, grads):
                new.append(p - lr * g)
            return tuple(new)
    '''),
    "train_tiny_cnn": correct("train_tiny_cnn", _train()),
}

WRONG = [
    wrong("relu", "absolute value", '''
        def relu(x):
            return np.abs(x)
    ''', hint="not their absolute value"),
    wrong("relu", "minimum", '''
        def relu(x):
            return np.minimum(x, 0.0)
    ''', hint="min instead of max"),
    wrong("relu_backward", "x >= 0", '''
        def relu_backward(dout, x):
            return dout * (x >= 0)
    ''', hint="x > 0, not x >= 0"),
    wrong("relu_backward", "mask from dout", '''
        def relu_backward(dout, x):
            return np.maximum(dout, 0)
    ''', hint="not from the sign of dout"),
    wrong("relu_backward", "mask only", '''
        def relu_backward(dout, x):
            return (x > 0) * 1.0
    ''', hint="multiply it by dout"),
    wrong("softmax_cross_entropy", "no overflow guard", '''
        def softmax_cross_entropy(scores, y):
            n = len(y)
            p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), y]).mean()
            p[np.arange(n), y] -= 1
            return loss, p / n
    ''', hint="subtract each row's maximum"),
    wrong("softmax_cross_entropy", "summed", '''
        def softmax_cross_entropy(scores, y):
            n = len(y)
            s = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), y]).sum()
            p[np.arange(n), y] -= 1
            return loss, p
    ''', hint="summed over the batch"),
    wrong("softmax_cross_entropy", "gradient not averaged", '''
        def softmax_cross_entropy(scores, y):
            n = len(y)
            s = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), y]).mean()
            p[np.arange(n), y] -= 1
            return loss, p
    ''', hint="not divided by N"),
    wrong("softmax_cross_entropy", "no minus one", '''
        def softmax_cross_entropy(scores, y):
            n = len(y)
            s = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
            loss = -np.log(p[np.arange(n), y]).mean()
            return loss, p / n
    ''', hint="subtract 1 at the right class"),
    wrong("tiny_cnn_forward", "no relu", _forward(RELU=False), hint="the ReLU is missing"),
    wrong("tiny_cnn_forward", "channels-last flatten", _forward(CHANNELS_LAST=True), hint="flattened in the wrong order"),
    wrong("tiny_cnn_forward", "both axes padded by kh // 2", _forward(PAD_KH_BOTH=True), hint="pad=(kh // 2, kw // 2)"),
    wrong("tiny_cnn_forward", "both axes padded by kh // 2, with @", '''
        def tiny_cnn_forward(x, params):
            w1, b1, w2, b2 = params
            n, c, h, wd = x.shape
            f, _, kh, kw = w1.shape
            xp = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kh // 2, kh // 2)))
            ho, wo = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
            z = np.zeros((n, f, ho, wo))
            for i in range(ho):
                for j in range(wo):
                    z[:, :, i, j] = np.tensordot(xp[:, :, i:i + kh, j:j + kw], w1, axes=([1, 2, 3], [1, 2, 3])) + b1
            a = np.maximum(z, 0)
            win = a[:, :, :ho // 2 * 2, :wo // 2 * 2].reshape(n, f, ho // 2, 2, wo // 2, 2).transpose(0, 1, 2, 4, 3, 5)
            win = win.reshape(n, f, ho // 2, wo // 2, 4)
            best = win.argmax(axis=-1)
            p = win.max(axis=-1)
            rows = np.arange(ho // 2)[:, None] * 2 + best // 2
            cols = np.arange(wo // 2)[None, :] * 2 + best % 2
            switches = (rows * wo + cols).astype(np.int64)
            return p.reshape(n, -1) @ w2 + b2, (z, a, p, switches)
    ''', hint="pad=(kh // 2, kw // 2)"),
    wrong("tiny_cnn_backward", "no relu backward", _backward(RELU_BACK=False), hint="backward pass is missing"),
    wrong("tiny_cnn_backward", "grads in the wrong order", _with_layers(
        "tiny_cnn_backward(dscores, x, params, cache)",
        "dw1, db1, dw2, db2 = backward(dscores, x, params, cache)\nreturn dw2, db2, dw1, db1\n"),
        hint="in the order of params"),
    wrong("tiny_cnn_backward", "both axes padded by kh // 2", _backward(PAD_KH_BOTH=True), hint="pad=(kh // 2, kw // 2)"),
    wrong("sgd_step", "ascent", '''
        def sgd_step(params, grads, lr):
            return tuple(p + lr * g for p, g in zip(params, grads))
    ''', hint="subtracts it"),
    wrong("sgd_step", "no learning rate", '''
        def sgd_step(params, grads, lr):
            return tuple(p - g for p, g in zip(params, grads))
    ''', hint="learning rate is missing"),
    wrong("train_tiny_cnn", "no shuffling", _train(order="np.arange(len(x))"), hint="no shuffling"),
    wrong("train_tiny_cnn", "rng made every epoch", _train(order="np.random.default_rng(seed).permutation(len(x))"),
          hint="made again each epoch"),
    wrong("train_tiny_cnn", "last batch skipped", _train(skip_short=True), hint="last, smaller batch"),
]


def battery() -> dict[str, list[dict]]:
    g = np.random.default_rng(707)
    x0 = g.standard_normal((2, 3, 4))
    x0[0, 0, :2] = 0.0
    nets = [_net(g, n=2, c=1, h=4, w=4, f=2, k=3, classes=3), _net(g, n=3, c=2, h=5, w=6, f=3, k=3, classes=4),
            _net(g, n=2, c=1, h=6, w=6, f=2, k=5, classes=10), _net(g, n=2, c=1, h=4, w=6, f=2, k=(5, 3), classes=3),
            _net(g, n=2, c=2, h=5, w=4, f=2, k=(1, 3), classes=2)]
    x5, p5 = _net(g, n=5, c=1, h=4, w=4, f=2, k=3, classes=3, scale=0.5)
    y5 = np.array([0, 1, 2, 1, 0])
    x6, p6 = _net(g, n=6, c=2, h=4, w=6, f=2, k=3, classes=2, scale=0.5)
    shapes = [(2, 1, 3, 3), (2,), (8, 3), (3,)]
    return {
        "relu": [{"x": x0}, {"x": g.standard_normal(7)}, {"x": np.array([[-1.0, 0.0, 2.0]])}],
        "relu_backward": [{"dout": g.standard_normal(x0.shape), "x": x0},
                          {"dout": g.standard_normal((3, 3)), "x": g.standard_normal((3, 3))},
                          {"dout": np.array([-1.0, 2.0, 3.0]), "x": np.array([0.0, 1.0, -1.0])}],
        "softmax_cross_entropy": [
            {"scores": g.standard_normal((4, 5)), "y": np.array([0, 4, 2, 2])},
            {"scores": np.array([[900.0, 0.0, -3.0]]), "y": np.array([1])},
            {"scores": g.standard_normal((3, 2)), "y": np.array([1, 0, 1])},
        ],
        "tiny_cnn_forward": [{"x": x, "params": p} for x, p in nets],
        "tiny_cnn_backward": [_cache_and_dscores(g, 2, 1, 4, 4, 2, 3, 3), _cache_and_dscores(g, 3, 2, 5, 6, 3, 3, 4),
                              _cache_and_dscores(g, 2, 1, 6, 6, 2, 5, 10), _cache_and_dscores(g, 2, 1, 4, 6, 2, (5, 3), 3),
                              _cache_and_dscores(g, 2, 2, 5, 4, 2, (1, 3), 2)],
        "sgd_step": [
            {"params": tuple(g.standard_normal(s) for s in shapes), "grads": tuple(g.standard_normal(s) for s in shapes),
             "lr": 0.1},
            {"params": (np.ones(3),), "grads": (np.arange(3.0),), "lr": 0.5},
            {"params": (g.standard_normal((2, 2)), g.standard_normal(2)), "grads": (np.ones((2, 2)), np.ones(2)),
             "lr": 2.0},
        ],
        "train_tiny_cnn": [
            {"params": p5, "x": x5, "y": y5, "epochs": 1, "batch_size": 5, "lr": 0.1, "seed": 0},
            {"params": p5, "x": x5, "y": y5, "epochs": 2, "batch_size": 2, "lr": 0.1, "seed": 3},
            {"params": p6, "x": x6, "y": np.array([0, 1, 1, 0, 1, 0]), "epochs": 3, "batch_size": 4, "lr": 0.2,
             "seed": 1},
        ],
    }
