"""04_pooling_unpooling: max and mean pooling, max unpooling with switches, nearest upsampling."""
from __future__ import annotations

import numpy as np

from grader.course.catalogue import correct, wrong

CORRECT = {
    "max_pool2d": correct("max_pool2d", '''
        def max_pool2d(x, size=2, stride=None):
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            if stride is None:
                stride = (kh, kw)
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
            y = np.zeros((N, C, Ho, Wo))
            switches = np.zeros((N, C, Ho, Wo), dtype=np.int64)
            for n in range(N):
                for c in range(C):
                    for i in range(Ho):
                        for j in range(Wo):
                            best, where = None, None
                            for u in range(kh):          # row-major scan: keep the first maximum
                                for v in range(kw):
                                    r, col = i * sh + u, j * sw + v
                                    if best is None or x[n, c, r, col] > best:
                                        best, where = x[n, c, r, col], r * W + col
                            y[n, c, i, j] = best
                            switches[n, c, i, j] = where
            return y, switches
    '''),
    "mean_pool2d": correct("mean_pool2d", '''
        def mean_pool2d(x, size=2, stride=None):
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            if stride is None:
                stride = (kh, kw)
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
            y = np.zeros((N, C, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].mean(axis=(2, 3))
            return y
    '''),
    "max_unpool2d": correct("max_unpool2d", '''
        def max_unpool2d(y, switches, output_size):
            N, C, Ho, Wo = y.shape
            H, W = output_size
            x = np.zeros((N, C, H, W))
            for n in range(N):
                for c in range(C):
                    for i in range(Ho):
                        for j in range(Wo):
                            r, col = divmod(int(switches[n, c, i, j]), W)
                            x[n, c, r, col] = y[n, c, i, j]
            return x
    '''),
    "upsample_nearest": correct("upsample_nearest", '''
        def upsample_nearest(y, scale=2):
            sh, sw = (scale, scale) if isinstance(scale, int) else scale
            H, W = y.shape[-2:]
            x = np.zeros(y.shape[:-2] + (H * sh, W * sw))
            for i in range(H * sh):
                for j in range(W * sw):
                    x[..., i, j] = y[..., i // sh, j // sw]
            return x
    '''),
}

_POOL_HEAD = '''
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1'''

WRONG = [
    # max_pool2d
    wrong("max_pool2d", "ties: >= keeps the last maximum", '''
        def max_pool2d(x, size=2, stride=None):''' + _POOL_HEAD + '''
            y = np.full((N, C, Ho, Wo), -np.inf)
            switches = np.zeros((N, C, Ho, Wo), dtype=np.int64)
            for i in range(Ho):
                for j in range(Wo):
                    for u in range(kh):
                        for v in range(kw):
                            r, col = i * sh + u, j * sw + v
                            better = x[:, :, r, col] >= y[:, :, i, j]
                            y[:, :, i, j] = np.where(better, x[:, :, r, col], y[:, :, i, j])
                            switches[:, :, i, j] = np.where(better, r * W + col, switches[:, :, i, j])
            return y, switches
    ''', hint="ties: the last maximum won"),
    wrong("max_pool2d", "switches relative to the window", '''
        def max_pool2d(x, size=2, stride=None):''' + _POOL_HEAD + '''
            y = np.zeros((N, C, Ho, Wo))
            switches = np.zeros((N, C, Ho, Wo), dtype=np.int64)
            for i in range(Ho):
                for j in range(Wo):
                    window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, C, -1)
                    switches[:, :, i, j] = np.argmax(window, axis=2)
                    y[:, :, i, j] = window.max(axis=2)
            return y, switches
    ''', hint="switches stored relative to the window"),
    wrong("max_pool2d", "switches as row * H + col", '''
        def max_pool2d(x, size=2, stride=None):''' + _POOL_HEAD + '''
            y = np.zeros((N, C, Ho, Wo))
            switches = np.zeros((N, C, Ho, Wo), dtype=np.int64)
            for i in range(Ho):
                for j in range(Wo):
                    window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, C, -1)
                    local = np.argmax(window, axis=2)
                    y[:, :, i, j] = window.max(axis=2)
                    switches[:, :, i, j] = (i * sh + local // kw) * H + (j * sw + local % kw)
            return y, switches
    ''', hint="height and width swapped"),
    wrong("max_pool2d", "stride defaults to 1", '''
        def max_pool2d(x, size=2, stride=1):
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
            y = np.zeros((N, C, Ho, Wo))
            switches = np.zeros((N, C, Ho, Wo), dtype=np.int64)
            for i in range(Ho):
                for j in range(Wo):
                    window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, C, -1)
                    local = np.argmax(window, axis=2)
                    y[:, :, i, j] = window.max(axis=2)
                    switches[:, :, i, j] = (i * sh + local // kw) * W + (j * sw + local % kw)
            return y, switches
    ''', hint="stride defaults to size"),
    wrong("max_pool2d", "float switches", '''
        def max_pool2d(x, size=2, stride=None):''' + _POOL_HEAD + '''
            y = np.zeros((N, C, Ho, Wo))
            switches = np.zeros((N, C, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, C, -1)
                    local = np.argmax(window, axis=2)
                    y[:, :, i, j] = window.max(axis=2)
                    switches[:, :, i, j] = (i * sh + local // kw) * W + (j * sw + local % kw)
            return y, switches
    ''', hint="int64"),
    wrong("max_pool2d", "stride argument ignored", '''
        def max_pool2d(x, size=2, stride=None):
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            Ho, Wo = H // kh, W // kw
            y = np.zeros((N, C, Ho, Wo))
            switches = np.zeros((N, C, Ho, Wo), dtype=np.int64)
            for i in range(Ho):
                for j in range(Wo):
                    window = x[:, :, i * kh:(i + 1) * kh, j * kw:(j + 1) * kw].reshape(N, C, -1)
                    local = np.argmax(window, axis=2)
                    y[:, :, i, j] = window.max(axis=2)
                    switches[:, :, i, j] = (i * kh + local // kw) * W + (j * kw + local % kw)
            return y, switches
    ''', hint="stride ignored"),
    # mean_pool2d
    wrong("mean_pool2d", "sum instead of mean", '''
        def mean_pool2d(x, size=2, stride=None):''' + _POOL_HEAD + '''
            y = np.zeros((N, C, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].sum(axis=(2, 3))
            return y
    ''', hint="summed instead of averaged"),
    wrong("mean_pool2d", "stride defaults to 1", '''
        def mean_pool2d(x, size=2, stride=1):
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
            y = np.zeros((N, C, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].mean(axis=(2, 3))
            return y
    ''', hint="stride defaults to size"),
    wrong("mean_pool2d", "stride ignored", '''
        def mean_pool2d(x, size=2, stride=None):
            N, C, H, W = x.shape
            kh, kw = (size, size) if isinstance(size, int) else size
            Ho, Wo = H // kh, W // kw
            y = np.zeros((N, C, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, :, i, j] = x[:, :, i * kh:(i + 1) * kh, j * kw:(j + 1) * kw].mean(axis=(2, 3))
            return y
    ''', hint="stride ignored"),
    wrong("mean_pool2d", "size pair read as (w, h)", '''
        def mean_pool2d(x, size=2, stride=None):
            N, C, H, W = x.shape
            kw, kh = (size, size) if isinstance(size, int) else size
            sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride[::-1])
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
            y = np.zeros((N, C, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].mean(axis=(2, 3))
            return y
    ''', hint="height and width swapped"),
    # max_unpool2d
    wrong("max_unpool2d", "value copied into the whole window", '''
        def max_unpool2d(y, switches, output_size):
            N, C, Ho, Wo = y.shape
            H, W = output_size
            kh, kw = H // Ho, W // Wo
            x = np.zeros((N, C, H, W))
            for i in range(Ho):
                for j in range(Wo):
                    x[:, :, i * kh:(i + 1) * kh, j * kw:(j + 1) * kw] = y[:, :, i, j, None, None]
            return x
    ''', hint="copied the value into the whole window"),
    wrong("max_unpool2d", "values added at shared switches", '''
        def max_unpool2d(y, switches, output_size):
            N, C, Ho, Wo = y.shape
            H, W = output_size
            x = np.zeros((N, C, H * W))
            for n in range(N):
                for c in range(C):
                    np.add.at(x[n, c], switches[n, c].ravel(), y[n, c].ravel())
            return x.reshape(N, C, H, W)
    ''', hint="do not add"),
    wrong("max_unpool2d", "np.put into the whole array", '''
        def max_unpool2d(y, switches, output_size):
            N, C = y.shape[:2]
            x = np.zeros((N, C) + tuple(output_size))
            np.put(x, switches, y)
            return x
    ''', hint="plane by plane"),
    # upsample_nearest
    wrong("upsample_nearest", "np.tile", '''
        def upsample_nearest(y, scale=2):
            sh, sw = (scale, scale) if isinstance(scale, int) else scale
            reps = (1,) * (y.ndim - 2) + (sh, sw)
            return np.tile(y, reps)
    ''', hint="np.tile"),
    wrong("upsample_nearest", "value only at the top-left of its block", '''
        def upsample_nearest(y, scale=2):
            sh, sw = (scale, scale) if isinstance(scale, int) else scale
            H, W = y.shape[-2:]
            x = np.zeros(y.shape[:-2] + (H * sh, W * sw))
            x[..., ::sh, ::sw] = y
            return x
    ''', hint="WHOLE block"),
    wrong("upsample_nearest", "repeated rows only", '''
        def upsample_nearest(y, scale=2):
            sh, sw = (scale, scale) if isinstance(scale, int) else scale
            return np.repeat(y, sh, axis=-2)
    ''', hint="both the height and the width"),
    wrong("upsample_nearest", "scale pair read as (w, h)", '''
        def upsample_nearest(y, scale=2):
            sw, sh = (scale, scale) if isinstance(scale, int) else scale
            return np.repeat(np.repeat(y, sh, axis=-2), sw, axis=-1)
    ''', hint="height and width swapped"),
]


def _switches(x, size, stride=None):
    y, switches = CORRECT["max_pool2d"](x, size, stride)
    return y, switches


def battery() -> dict[str, list[dict]]:
    rng = np.random.default_rng(404)

    def ties(*shape):
        return rng.integers(0, 3, size=shape).astype(np.float64)

    pools = [
        {"x": rng.standard_normal((2, 3, 4, 6))},
        {"x": ties(2, 2, 7, 6), "size": 3, "stride": 2},
        {"x": rng.standard_normal((1, 2, 6, 9)), "size": (2, 3)},
        {"x": ties(2, 1, 5, 7), "size": (3, 2), "stride": (1, 2)},
        {"x": ties(1, 3, 6, 6), "size": 2, "stride": 1},
        {"x": rng.standard_normal((3, 2, 5, 5)), "size": 3, "stride": (2, 1)},
    ]
    unpools = []
    for x, size, stride in [(ties(2, 2, 6, 6), 2, None), (ties(2, 2, 7, 6), 3, 2),
                            (rng.standard_normal((1, 3, 4, 6)), (2, 3), None),
                            (ties(1, 2, 5, 8), (3, 2), (2, 2)), (rng.standard_normal((2, 1, 6, 4)), 2, None)]:
        y, switches = _switches(x, size, stride)
        unpools.append({"y": y, "switches": switches, "output_size": x.shape[2:]})
    return {
        "max_pool2d": pools,
        "mean_pool2d": [dict(case) for case in pools],
        "max_unpool2d": unpools,
        "upsample_nearest": [
            {"y": rng.standard_normal((2, 3, 2, 3))},
            {"y": rng.standard_normal((3, 2)), "scale": 3},
            {"y": rng.standard_normal((1, 2, 3, 2)), "scale": (2, 3)},
            {"y": rng.standard_normal((2, 2)), "scale": (3, 1)},
        ],
    }
