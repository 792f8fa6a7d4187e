"""01_local_connectivity: parameter counts, the locally connected layer, tying its weights."""
from __future__ import annotations

import numpy as np

from grader.course.catalogue import correct, out_size, pair, wrong

CORRECT = {
    "dense_param_count": correct("dense_param_count", '''
        def dense_param_count(n_in, n_out, bias=True):
            count = 0
            for _ in range(n_out):  # each output neuron: one weight per input, plus its bias
                count += n_in
                if bias:
                    count += 1
            return count
    '''),
    "local_param_count": correct("local_param_count", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            rows = len(range(0, H + 2 * ph - kh + 1, sh))
            cols = len(range(0, W + 2 * pw - kw + 1, sw))
            per_unit = C * kh * kw + (1 if bias else 0)
            return rows * cols * out_channels * per_unit
    '''),
    "conv_param_count": correct("conv_param_count", '''
        def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            per_filter = in_channels * kh * kw
            if bias:
                per_filter += 1
            return out_channels * per_filter
    '''),
    "locally_connected2d": correct("locally_connected2d", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
            xp[:, :, ph:ph + H, pw:pw + W] = x
            y = np.zeros((N, F, Ho, Wo))
            for n in range(N):
                for i in range(Ho):
                    for j in range(Wo):
                        patch = xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                        for f in range(F):
                            y[n, f, i, j] = np.sum(patch * w[i, j, f]) + b[f, i, j]
            return y
    '''),
    "tie_weights": correct("tie_weights", '''
        def tie_weights(w, out_hw):
            Ho, Wo = (out_hw, out_hw) if isinstance(out_hw, int) else out_hw
            w_local = np.zeros((Ho, Wo) + w.shape)
            for i in range(Ho):
                for j in range(Wo):
                    w_local[i, j] = w
            return w_local
    '''),
}

WRONG = [
    # dense_param_count
    wrong("dense_param_count", "no bias", '''
        def dense_param_count(n_in, n_out, bias=True):
            return n_in * n_out
    ''', hint="without bias"),
    wrong("dense_param_count", "one bias per input", '''
        def dense_param_count(n_in, n_out, bias=True):
            count = n_in * n_out
            if bias:
                count += n_in
            return count
    ''', hint="one bias per output"),
    wrong("dense_param_count", "bias counted even when bias=False", '''
        def dense_param_count(n_in, n_out, bias=True):
            return n_in * n_out + n_out
    ''', hint="bias=False"),
    # local_param_count
    wrong("local_param_count", "weights shared (a conv layer's count)", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * (C * kh * kw + (1 if bias else 0))
    ''', hint="locally connected count shared the weights"),
    wrong("local_param_count", "one bias per filter", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho = (H + 2 * ph - kh) // sh + 1
            Wo = (W + 2 * pw - kw) // sw + 1
            count = Ho * Wo * out_channels * C * kh * kw
            if bias:
                count += out_channels
            return count
    ''', hint="one bias per output unit"),
    wrong("local_param_count", "stride ignored", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho = H + 2 * ph - kh + 1
            Wo = W + 2 * pw - kw + 1
            return Ho * Wo * out_channels * (C * kh * kw + (1 if bias else 0))
    ''', hint="stride ignored"),
    wrong("local_param_count", "input depth forgotten", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho = (H + 2 * ph - kh) // sh + 1
            Wo = (W + 2 * pw - kw) // sw + 1
            return Ho * Wo * out_channels * (kh * kw + (1 if bias else 0))
    ''', hint="input channels"),
    wrong("local_param_count", "padding ignored", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            Ho = (H - kh) // sh + 1
            Wo = (W - kw) // sw + 1
            return Ho * Wo * out_channels * (C * kh * kw + (1 if bias else 0))
    ''', hint="padding ignored"),
    wrong("local_param_count", "in_shape read as (C, W, H)", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, W, H = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho = (H + 2 * ph - kh) // sh + 1
            Wo = (W + 2 * pw - kw) // sw + 1
            return Ho * Wo * out_channels * (C * kh * kw + (1 if bias else 0))
    ''', hint="height and width swapped"),
    wrong("local_param_count", "output size without + 1", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho = (H + 2 * ph - kh) // sh
            Wo = (W + 2 * pw - kw) // sw
            return Ho * Wo * out_channels * (C * kh * kw + (1 if bias else 0))
    ''', hint="forget the + 1"),
    wrong("local_param_count", "pad counted once", '''
        def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
            C, H, W = in_shape
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho = (H + ph - kh) // sh + 1
            Wo = (W + pw - kw) // sw + 1
            return Ho * Wo * out_channels * (C * kh * kw + (1 if bias else 0))
    ''', hint="pad applied once"),
    # conv_param_count
    wrong("conv_param_count", "no bias", '''
        def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * in_channels * kh * kw
    ''', hint="without bias"),
    wrong("conv_param_count", "filter depth forgotten", '''
        def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            n = out_channels * kh * kw
            if bias:
                n += out_channels
            return n
    ''', hint="all input channels"),
    wrong("conv_param_count", "kernel_size assumed square", '''
        def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
            k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
            return out_channels * (in_channels * k * k + (1 if bias else 0))
    ''', hint="kh * kw"),
    # locally_connected2d
    wrong("locally_connected2d", "weights of position (0, 0) everywhere", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w[0, 0]) + b[:, i, j]
            return y
    ''', hint="one weight set for every position"),
    wrong("locally_connected2d", "windows at i instead of i*stride", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, :, i:i + kh, j:j + kw]
                    y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w[i, j]) + b[:, i, j]
            return y
    ''', hint="stride ignored"),
    wrong("locally_connected2d", "kernel flipped", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    kernel = w[i, j, :, :, ::-1, ::-1]
                    y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, kernel) + b[:, i, j]
            return y
    ''', hint="flipped the kernel"),
    wrong("locally_connected2d", "bias forgotten", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w[i, j])
            return y
    ''', hint="bias"),
    wrong("locally_connected2d", "all the padding at the bottom and right", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)))
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w[i, j]) + b[:, i, j]
            return y
    ''', hint="bottom and the right"),
    wrong("locally_connected2d", "w[j, i] instead of w[i, j]", '''
        def locally_connected2d(x, w, b, stride=1, pad=0):
            N, C, H, W = x.shape
            Ho, Wo, F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            y = np.zeros((N, F, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w[j, i]) + b[:, i, j]
            return y
    ''', hint="you used w[j, i]"),
    # tie_weights
    wrong("tie_weights", "np.tile on the existing axes", '''
        def tie_weights(w, out_hw):
            Ho, Wo = out_hw
            return np.tile(w, (Ho, Wo, 1, 1))
    ''', hint="np.tile"),
    wrong("tie_weights", "positions put last", '''
        def tie_weights(w, out_hw):
            Ho, Wo = out_hw
            return np.repeat(np.repeat(w[..., None, None], Ho, axis=-2), Wo, axis=-1)
    ''', hint="(Ho, Wo, F, C, kh, kw)"),
    wrong("tie_weights", "height and width swapped", '''
        def tie_weights(w, out_hw):
            Ho, Wo = out_hw
            w_local = np.zeros((Wo, Ho) + w.shape)
            w_local[:] = w
            return w_local
    ''', hint="height and width swapped"),
    wrong("tie_weights", "a broadcast view of w", '''
        def tie_weights(w, out_hw):
            Ho, Wo = out_hw
            return np.broadcast_to(w, (Ho, Wo) + w.shape)
    ''', hint="shares memory with its input w"),
]


def battery() -> dict[str, list[dict]]:
    rng = np.random.default_rng(101)

    def locally(N, C, H, W, F, k, stride, pad):
        kh, kw = pair(k)
        (sh, sw), (ph, pw) = pair(stride), pair(pad)
        Ho, Wo = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
        return {
            "x": rng.standard_normal((N, C, H, W)),
            "w": rng.standard_normal((Ho, Wo, F, C, kh, kw)),
            "b": rng.standard_normal((F, Ho, Wo)),
            "stride": stride, "pad": pad,
        }

    return {
        "dense_param_count": [
            {"n_in": 784, "n_out": 10}, {"n_in": 3, "n_out": 7, "bias": False}, {"n_in": 5, "n_out": 2, "bias": True},
            {"n_in": 150528, "n_out": 1000},
        ],
        "local_param_count": [
            {"in_shape": (3, 227, 227), "out_channels": 96, "kernel_size": 11, "stride": 4},
            {"in_shape": (2, 7, 9), "out_channels": 3, "kernel_size": (3, 2), "stride": (2, 1), "pad": (1, 0)},
            {"in_shape": (1, 6, 5), "out_channels": 4, "kernel_size": 3, "stride": 2, "pad": 1, "bias": False},
            {"in_shape": (3, 5, 8), "out_channels": 2, "kernel_size": (2, 3)},
        ],
        "conv_param_count": [
            {"in_channels": 3, "out_channels": 96, "kernel_size": 11},
            {"in_channels": 4, "out_channels": 5, "kernel_size": (3, 2)},
            {"in_channels": 2, "out_channels": 3, "kernel_size": (1, 5), "bias": False},
        ],
        "locally_connected2d": [
            locally(2, 3, 5, 6, 2, 3, 1, 0),
            locally(2, 2, 7, 6, 3, (3, 2), (2, 1), (1, 0)),
            locally(1, 2, 6, 5, 2, 2, 2, 1),
            locally(3, 1, 4, 7, 2, (2, 3), 1, (0, 1)),
            locally(2, 2, 5, 5, 3, 3, 1, 1),
        ],
        "tie_weights": [
            {"w": rng.standard_normal((2, 3, 2, 3)), "out_hw": (3, 4)},
            {"w": rng.standard_normal((4, 1, 3, 1)), "out_hw": (2, 5)},
            {"w": rng.standard_normal((1, 2, 2, 2)), "out_hw": (2, 2)},
        ],
    }
