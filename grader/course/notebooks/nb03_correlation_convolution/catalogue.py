"""03_correlation_convolution: flipping, cross-correlation, convolution, the conv layer."""
from __future__ import annotations

import numpy as np

from grader.course.catalogue import correct, pair, wrong

CORRECT = {
    "flip180": correct("flip180", '''
        def flip180(k):
            kh, kw = k.shape[-2:]
            out = np.empty(k.shape)
            for i in range(kh):
                for j in range(kw):
                    out[..., i, j] = k[..., kh - 1 - i, kw - 1 - j]
            return out
    '''),
    "cross_correlate2d": correct("cross_correlate2d", '''
        def cross_correlate2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    total = 0.0
                    for u in range(kh):
                        for v in range(kw):
                            total += x[i + u, j + v] * k[u, v]
                    y[i, j] = total
            return y
    '''),
    "convolve2d": correct("convolve2d", '''
        def convolve2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    for u in range(kh):
                        for v in range(kw):
                            # true convolution: y[i, j] = sum x[i + u, j + v] * k[kh-1-u, kw-1-v]
                            y[i, j] += x[i + u, j + v] * k[kh - 1 - u, kw - 1 - v]
            return y
    '''),
    "conv2d": correct("conv2d", '''
        def conv2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
            xp[:, :, ph:ph + H, pw:pw + W] = x
            Ho = (H + 2 * ph - kh) // sh + 1
            Wo = (W + 2 * pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for n in range(N):
                for f in range(F):
                    for i in range(Ho):
                        for j in range(Wo):
                            window = xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                            y[n, f, i, j] = np.sum(window * w[f]) + b[f]
            return y
    '''),
}

_CONV_HEAD = '''
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad'''

WRONG = [
    # flip180
    wrong("flip180", "np.rot90 on the first two axes", '''
        def flip180(k):
            return np.rot90(k, 2)
    ''', hint="FIRST two axes"),
    wrong("flip180", "up-down only", '''
        def flip180(k):
            return np.flipud(k) if k.ndim == 2 else k[..., ::-1, :]
    ''', hint="only up-down"),
    wrong("flip180", "transposed", '''
        def flip180(k):
            return np.swapaxes(k, -1, -2).copy()
    ''', hint="transposing"),
    wrong("flip180", "rotated by 90 degrees", '''
        def flip180(k):
            return np.rot90(k, axes=(-2, -1)).copy()
    ''', hint="90 degrees"),
    wrong("flip180", "np.flip over every axis", '''
        def flip180(k):
            return np.flip(k).copy()
    ''', hint="reverses EVERY axis"),
    wrong("flip180", "a reversed view of k", '''
        def flip180(k):
            return k[..., ::-1, ::-1]
    ''', hint="shares memory with its input k"),
    # cross_correlate2d
    wrong("cross_correlate2d", "kernel flipped", '''
        def cross_correlate2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            k = k[::-1, ::-1]
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    y[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
            return y
    ''', hint="you flipped the kernel"),
    wrong("cross_correlate2d", "range without + 1", '''
        def cross_correlate2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kh, W - kw))
            for i in range(H - kh):
                for j in range(W - kw):
                    y[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
            return y
    ''', hint="forget the + 1"),
    wrong("cross_correlate2d", "full mode", '''
        def cross_correlate2d(x, k):
            kh, kw = k.shape
            xp = np.pad(x, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
            H, W = xp.shape
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    y[i, j] = np.sum(xp[i:i + kh, j:j + kw] * k)
            return y
    ''', hint="valid mode"),
    wrong("cross_correlate2d", "kernel indices swapped", '''
        def cross_correlate2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kw + 1, W - kh + 1))
            for i in range(H - kw + 1):
                for j in range(W - kh + 1):
                    for u in range(kw):
                        for v in range(kh):
                            y[i, j] += x[i + u, j + v] * k[v, u]
            return y
    ''', hint="transposed kernel"),
    # convolve2d
    wrong("convolve2d", "flipped twice", '''
        def convolve2d(x, k):
            k = k[::-1, ::-1]
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    for u in range(kh):
                        for v in range(kw):
                            y[i, j] += x[i + u, j + v] * k[kh - 1 - u, kw - 1 - v]
            return y
    ''', hint="flipped it twice"),
    wrong("convolve2d", "no flip (cross-correlation)", '''
        def convolve2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    y[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
            return y
    ''', hint="did not flip the kernel"),
    wrong("convolve2d", "flipped up-down only", '''
        def convolve2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            k = np.flipud(k)
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    y[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
            return y
    ''', hint="only up-down"),
    wrong("convolve2d", "kernel transposed", '''
        def convolve2d(x, k):
            k = k.T
            H, W = x.shape
            kh, kw = k.shape
            y = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    y[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
            return y
    ''', hint="transposing"),
    wrong("convolve2d", "range without + 1", '''
        def convolve2d(x, k):
            H, W = x.shape
            kh, kw = k.shape
            kf = k[::-1, ::-1]
            y = np.zeros((H - kh, W - kw))
            for i in range(H - kh):
                for j in range(W - kw):
                    y[i, j] = np.sum(x[i:i + kh, j:j + kw] * kf)
            return y
    ''', hint="forget the + 1"),
    # conv2d
    wrong("conv2d", "kernel flipped", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            wf = w[:, :, ::-1, ::-1]
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, wf, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="you flipped the kernel"),
    wrong("conv2d", "`=` over input channels", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for n in range(N):
                for f in range(F):
                    for c in range(C):
                        for i in range(Ho):
                            for j in range(Wo):
                                window = xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                                y[n, f, i, j] = np.sum(window * w[f, c]) + b[f]
            return y
    ''', hint="sums over ALL input channels"),
    wrong("conv2d", "windows at i instead of i*stride", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i:i + kh, j:j + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="windows must start at"),
    wrong("conv2d", "stride ignored", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = H + 2 * ph - kh + 1, W + 2 * pw - kw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i:i + kh, j:j + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="stride ignored"),
    wrong("conv2d", "pad only at the bottom/right", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)))
            Ho, Wo = (H + ph - kh) // sh + 1, (W + pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="pad applied once in total"),
    wrong("conv2d", "pad only at the top/left", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, 0), (pw, 0)))
            Ho, Wo = (H + ph - kh) // sh + 1, (W + pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="pad applied once in total"),
    wrong("conv2d", "weights rotated with np.rot90 (filter and channel axes)", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            w = np.rot90(w, 2)
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="reverse order"),
    wrong("conv2d", "output left in (N, Ho, Wo, F) order", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            cols = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
            return np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3])) + b
    ''', hint="(N, Ho, Wo, F) order"),
    wrong("conv2d", "padding ignored", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="padding ignored"),
    wrong("conv2d", "stride and pad pairs read as (w, h)", '''
        def conv2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sw, sh = (stride, stride) if isinstance(stride, int) else stride
            pw, ph = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
            return y
    ''', hint="height and width swapped"),
    wrong("conv2d", "bias forgotten", '''
        def conv2d(x, w, b, stride=1, pad=0):''' + _CONV_HEAD + '''
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))
            return y
    ''', hint="bias forgotten"),
]


def battery() -> dict[str, list[dict]]:
    rng = np.random.default_rng(303)

    def conv(N, C, H, W, F, k, stride=1, pad=0):
        kh, kw = pair(k)
        args = {"x": rng.standard_normal((N, C, H, W)), "w": rng.standard_normal((F, C, kh, kw)),
                "b": rng.standard_normal(F)}
        if stride != 1:
            args["stride"] = stride
        if pad != 0:
            args["pad"] = pad
        return args

    return {
        "flip180": [
            {"k": rng.standard_normal((3, 3))}, {"k": rng.standard_normal((2, 3))},
            {"k": rng.standard_normal((2, 3, 3, 2))}, {"k": rng.standard_normal((4, 1))},
        ],
        "cross_correlate2d": [
            {"x": rng.standard_normal((5, 5)), "k": rng.standard_normal((3, 3))},
            {"x": rng.standard_normal((4, 6)), "k": rng.standard_normal((2, 3))},
            {"x": rng.standard_normal((6, 5)), "k": rng.standard_normal((3, 2))},
        ],
        "convolve2d": [
            {"x": rng.standard_normal((5, 5)), "k": rng.standard_normal((3, 3))},
            {"x": rng.standard_normal((4, 6)), "k": rng.standard_normal((2, 3))},
            {"x": rng.standard_normal((6, 5)), "k": rng.standard_normal((3, 2))},
        ],
        "conv2d": [
            conv(2, 3, 5, 5, 2, 3),
            conv(2, 2, 6, 7, 3, (3, 2), stride=2, pad=1),
            conv(1, 3, 7, 5, 2, (2, 3), stride=(2, 1), pad=(1, 0)),
            conv(3, 2, 5, 6, 4, 3, stride=(1, 2), pad=(0, 2)),
            conv(1, 2, 7, 8, 2, 3, stride=2),  # 7 - 3 = 4 is even: (4 + 1) // 2 != 4 // 2 + 1
        ],
    }
