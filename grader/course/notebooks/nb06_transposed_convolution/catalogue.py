"""06_transposed_convolution: output size, dilation, transposed convolution two ways, the checkerboard."""
from __future__ import annotations

import numpy as np

from grader.course.catalogue import correct, pair, wrong

CORRECT = {
    "transposed_output_size": correct("transposed_output_size", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if n < 1 or k < 1 or stride < 1:
                raise ValueError("n, k and stride must be >= 1")
            if pad < 0:
                raise ValueError("pad must be >= 0")
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must satisfy 0 <= output_padding < stride")
            full = 0
            for i in range(n):  # the last tap of input i lands at i*stride + k - 1
                full = max(full, i * stride + k)
            size = full - 2 * pad + output_padding
            if size < 1:
                raise ValueError("pad too large")
            return size
    '''),
    "dilate2d": correct("dilate2d", '''
        def dilate2d(x, stride):
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            H, W = x.shape[-2:]
            out = np.zeros(x.shape[:-2] + ((H - 1) * sh + 1, (W - 1) * sw + 1))
            for i in range(H):
                for j in range(W):
                    out[..., i * sh, j * sw] = x[..., i, j]
            return out
    '''),
    "conv_transpose2d": correct("conv_transpose2d", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):
            N, Cin, H, W = x.shape
            _, Cout, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            oph, opw = (output_padding, output_padding) if isinstance(output_padding, int) else output_padding
            full = np.zeros((N, Cout, (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw))
            for n in range(N):
                for c in range(Cin):
                    for i in range(H):
                        for j in range(W):
                            full[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += x[n, c, i, j] * w[c]
            Ho = (H - 1) * sh - 2 * ph + kh + oph
            Wo = (W - 1) * sw - 2 * pw + kw + opw
            y = full[:, :, ph:ph + Ho, pw:pw + Wo]
            return y + b.reshape(1, Cout, 1, 1)
    '''),
    "conv_transpose2d_via_conv": correct("conv_transpose2d_via_conv", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):
            N, Cin, H, W = x.shape
            _, Cout, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            oph, opw = (output_padding, output_padding) if isinstance(output_padding, int) else output_padding
            # 1. dilate: stride-1 zeros between neighbours
            Hd, Wd = (H - 1) * sh + 1, (W - 1) * sw + 1
            xd = np.zeros((N, Cin, Hd, Wd))
            xd[:, :, ::sh, ::sw] = x
            # 2. pad k-1-p on each side, output_padding more at the bottom/right (a negative pad crops)
            qh, qw = kh - 1 - ph, kw - 1 - pw
            Hq, Wq = Hd + 2 * qh + oph, Wd + 2 * qw + opw
            xq = np.zeros((N, Cin, Hq, Wq))
            r0, c0, r1, c1 = max(0, -qh), max(0, -qw), min(Hd, Hq - qh), min(Wd, Wq - qw)  # rows of xd that land
            xq[:, :, r0 + qh:r1 + qh, c0 + qw:c1 + qw] = xd[:, :, r0:r1, c0:c1]
            # 3. valid stride-1 cross-correlation with the flipped, channel-swapped kernel
            k = np.zeros((Cout, Cin, kh, kw))
            for co in range(Cout):
                for ci in range(Cin):
                    k[co, ci] = w[ci, co, ::-1, ::-1]
            Ho, Wo = xq.shape[2] - kh + 1, xq.shape[3] - kw + 1
            y = np.zeros((N, Cout, Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    window = xq[:, :, i:i + kh, j:j + kw]
                    y[:, :, i, j] = np.einsum("nchw,ochw->no", window, k) + b
            return y
    '''),
    "overlap_count": correct("overlap_count", '''
        def overlap_count(n, k, stride):
            length = (n - 1) * stride + k
            counts = np.zeros(length, dtype=np.int64)
            for t in range(length):
                for i in range(n):
                    if 0 <= t - i * stride < k:
                        counts[t] += 1
            return counts
    '''),
}

_CT_HEAD = '''
            N, Cin, H, W = x.shape
            _, Cout, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            oph, opw = (output_padding, output_padding) if isinstance(output_padding, int) else output_padding'''

_VIA_HEAD = _CT_HEAD + '''
            kf = np.transpose(w[:, :, ::-1, ::-1], (1, 0, 2, 3))'''

_VIA_TAIL = '''
            Ho, Wo = xq.shape[2] - kh + 1, xq.shape[3] - kw + 1
            y = np.zeros((N, kf.shape[0], Ho, Wo))
            for i in range(Ho):
                for j in range(Wo):
                    y[:, :, i, j] = np.tensordot(xq[:, :, i:i + kh, j:j + kw], kf, axes=([1, 2, 3], [1, 2, 3])) + b
            return y'''

WRONG = [
    # transposed_output_size
    wrong("transposed_output_size", "output_padding ignored", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must be smaller than stride")
            return (n - 1) * stride - 2 * pad + k
    ''', hint="output_padding ignored"),
    wrong("transposed_output_size", "n * stride", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must be smaller than stride")
            return n * stride - 2 * pad + k + output_padding
    ''', hint="n-1"),
    wrong("transposed_output_size", "+ 2 * pad", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must be smaller than stride")
            return (n - 1) * stride + 2 * pad + k + output_padding
    ''', hint="removes the padding"),
    wrong("transposed_output_size", "pad subtracted once", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must be smaller than stride")
            return (n - 1) * stride - pad + k + output_padding
    ''', hint="pad applied once in total"),
    wrong("transposed_output_size", "the convolution's formula", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must be smaller than stride")
            return (n + 2 * pad - k) // stride + 1
    ''', hint="convolution's output size"),
    wrong("transposed_output_size", "stride ignored", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            if not 0 <= output_padding < stride:
                raise ValueError("output_padding must be smaller than stride")
            return n - 1 - 2 * pad + k + output_padding
    ''', hint="stride ignored"),
    wrong("transposed_output_size", "no validation", '''
        def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
            return (n - 1) * stride - 2 * pad + k + output_padding
    ''', hint="no ValueError"),
    # dilate2d
    wrong("dilate2d", "stride zeros instead of stride - 1", '''
        def dilate2d(x, stride):
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            H, W = x.shape[-2:]
            out = np.zeros(x.shape[:-2] + (H * (sh + 1) - sh, W * (sw + 1) - sw))
            out[..., ::sh + 1, ::sw + 1] = x
            return out
    ''', hint="stride - 1 zeros"),
    wrong("dilate2d", "zeros after the last value", '''
        def dilate2d(x, stride):
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            H, W = x.shape[-2:]
            out = np.zeros(x.shape[:-2] + (H * sh, W * sw))
            out[..., ::sh, ::sw] = x
            return out
    ''', hint="no zeros after the last value"),
    wrong("dilate2d", "width only", '''
        def dilate2d(x, stride):
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            W = x.shape[-1]
            out = np.zeros(x.shape[:-1] + ((W - 1) * sw + 1,))
            out[..., ::sw] = x
            return out
    ''', hint="both axes"),
    wrong("dilate2d", "stride pair read as (w, h)", '''
        def dilate2d(x, stride):
            sw, sh = (stride, stride) if isinstance(stride, int) else stride
            H, W = x.shape[-2:]
            out = np.zeros(x.shape[:-2] + ((H - 1) * sh + 1, (W - 1) * sw + 1))
            out[..., ::sh, ::sw] = x
            return out
    ''', hint="height and width swapped"),
    # conv_transpose2d
    wrong("conv_transpose2d", "`=` instead of `+=`", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            full = np.zeros((N, Cout, (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw))
            for n in range(N):
                for i in range(H):
                    for j in range(W):
                        full[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] = np.tensordot(x[n, :, i, j], w, axes=(0, 0))
            Ho, Wo = full.shape[2] - 2 * ph, full.shape[3] - 2 * pw
            return full[:, :, ph:ph + Ho, pw:pw + Wo] + b[:, None, None]
    ''', hint="`=` instead of `+=`"),
    wrong("conv_transpose2d", "output_padding ignored", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            full = np.zeros((N, Cout, (H - 1) * sh + kh, (W - 1) * sw + kw))
            for n in range(N):
                for i in range(H):
                    for j in range(W):
                        full[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.tensordot(x[n, :, i, j], w, axes=(0, 0))
            return full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw] + b[:, None, None]
    ''', hint="output_padding ignored"),
    wrong("conv_transpose2d", "not cropped", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            full = np.zeros((N, Cout, (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw))
            for n in range(N):
                for i in range(H):
                    for j in range(W):
                        full[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.tensordot(x[n, :, i, j], w, axes=(0, 0))
            return full + b[:, None, None]
    ''', hint="not cropped by the padding"),
    wrong("conv_transpose2d", "cropped at the top/left only", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            full = np.zeros((N, Cout, (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw))
            for n in range(N):
                for i in range(H):
                    for j in range(W):
                        full[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.tensordot(x[n, :, i, j], w, axes=(0, 0))
            return full[:, :, ph:, pw:] + b[:, None, None]
    ''', hint="pad applied once in total"),
    wrong("conv_transpose2d", "kernel flipped", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            wf = w[:, :, ::-1, ::-1]
            full = np.zeros((N, Cout, (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw))
            for n in range(N):
                for i in range(H):
                    for j in range(W):
                        full[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.tensordot(x[n, :, i, j], wf, axes=(0, 0))
            Ho, Wo = full.shape[2] - 2 * ph, full.shape[3] - 2 * pw
            return full[:, :, ph:ph + Ho, pw:pw + Wo] + b[:, None, None]
    ''', hint="uses the kernel as it is"),
    wrong("conv_transpose2d", "stride ignored", '''
        def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            full = np.zeros((N, Cout, H - 1 + kh, W - 1 + kw))
            for n in range(N):
                for i in range(H):
                    for j in range(W):
                        full[n, :, i:i + kh, j:j + kw] += np.tensordot(x[n, :, i, j], w, axes=(0, 0))
            Ho, Wo = full.shape[2] - 2 * ph, full.shape[3] - 2 * pw
            return full[:, :, ph:ph + Ho, pw:pw + Wo] + b[:, None, None]
    ''', hint="stride ignored"),
    # conv_transpose2d_via_conv
    wrong("conv_transpose2d_via_conv", "kernel not flipped", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            kf = np.transpose(w, (1, 0, 2, 3))  # forgot to flip
            xd = np.zeros((N, Cin, (H - 1) * sh + 1, (W - 1) * sw + 1))
            xd[:, :, ::sh, ::sw] = x
            xq = np.pad(xd, ((0, 0), (0, 0), (kh - 1 - ph, kh - 1 - ph + oph), (kw - 1 - pw, kw - 1 - pw + opw)))''' + _VIA_TAIL + '''
    ''', hint="rotate the kernel by 180 degrees"),
    wrong("conv_transpose2d_via_conv", "channels not swapped", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):''' + _CT_HEAD + '''
            kf = w[:, :, ::-1, ::-1]  # still (C_in, C_out, kh, kw)
            xd = np.zeros((N, Cin, (H - 1) * sh + 1, (W - 1) * sw + 1))
            xd[:, :, ::sh, ::sw] = x
            xq = np.pad(xd, ((0, 0), (0, 0), (kh - 1 - ph, kh - 1 - ph + oph), (kw - 1 - pw, kw - 1 - pw + opw)))''' + _VIA_TAIL + '''
    ''', hint="swap the channel axes"),
    wrong("conv_transpose2d_via_conv", "padded by pad", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):''' + _VIA_HEAD + '''
            xd = np.zeros((N, Cin, (H - 1) * sh + 1, (W - 1) * sw + 1))
            xd[:, :, ::sh, ::sw] = x
            xq = np.pad(xd, ((0, 0), (0, 0), (ph, ph + oph), (pw, pw + opw)))''' + _VIA_TAIL + '''
    ''', hint="k-1-pad"),
    wrong("conv_transpose2d_via_conv", "output_padding ignored", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):''' + _VIA_HEAD + '''
            xd = np.zeros((N, Cin, (H - 1) * sh + 1, (W - 1) * sw + 1))
            xd[:, :, ::sh, ::sw] = x
            xq = np.pad(xd, ((0, 0), (0, 0), (kh - 1 - ph, kh - 1 - ph), (kw - 1 - pw, kw - 1 - pw)))''' + _VIA_TAIL + '''
    ''', hint="output_padding ignored"),
    wrong("conv_transpose2d_via_conv", "upsampled by copying", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):''' + _VIA_HEAD + '''
            xd = np.repeat(np.repeat(x, sh, axis=2), sw, axis=3)
            xq = np.pad(xd, ((0, 0), (0, 0), (kh - 1 - ph, kh - 1 - ph + oph), (kw - 1 - pw, kw - 1 - pw + opw)))''' + _VIA_TAIL + '''
    ''', hint="copying values"),
    wrong("conv_transpose2d_via_conv", "input not dilated", '''
        def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):''' + _VIA_HEAD + '''
            xq = np.pad(x, ((0, 0), (0, 0), (kh - 1 - ph, kh - 1 - ph + oph), (kw - 1 - pw, kw - 1 - pw + opw)))''' + _VIA_TAIL + '''
    ''', hint="stride ignored"),
    # overlap_count
    wrong("overlap_count", "`=` instead of `+=`", '''
        def overlap_count(n, k, stride):
            counts = np.zeros((n - 1) * stride + k, dtype=np.int64)
            for i in range(n):
                counts[i * stride:i * stride + k] = 1
            return counts
    ''', hint="`=` instead of `+=`"),
    wrong("overlap_count", "stride ignored", '''
        def overlap_count(n, k, stride):
            counts = np.zeros(n - 1 + k, dtype=np.int64)
            for i in range(n):
                counts[i:i + k] += 1
            return counts
    ''', hint="stride ignored"),
    wrong("overlap_count", "convolution windows over the input", '''
        def overlap_count(n, k, stride):
            counts = np.zeros(n, dtype=np.int64)
            for start in range(0, n - k + 1, stride):
                counts[start:start + k] += 1
            return counts
    ''', hint="counts windows over a length-n input"),
    wrong("overlap_count", "2-D map", '''
        def overlap_count(n, k, stride):
            c = np.zeros((n - 1) * stride + k, dtype=np.int64)
            for i in range(n):
                c[i * stride:i * stride + k] += 1
            return np.outer(c, c)
    ''', hint="1-D counts"),
    wrong("overlap_count", "length n * stride", '''
        def overlap_count(n, k, stride):
            counts = np.zeros(n * stride, dtype=np.int64)
            for i in range(n):
                counts[i * stride:i * stride + k] += 1
            return counts
    ''', hint="(n-1)*stride + k positions"),
]


def battery() -> dict[str, list[dict]]:
    rng = np.random.default_rng(606)

    def tconv(N, Cin, Cout, H, W, k, stride=1, pad=0, output_padding=0):
        kh, kw = pair(k)
        args = {"x": rng.standard_normal((N, Cin, H, W)), "w": rng.standard_normal((Cin, Cout, kh, kw)),
                "b": rng.standard_normal(Cout)}
        for name, value in (("stride", stride), ("pad", pad), ("output_padding", output_padding)):
            if value != 0 and not (name == "stride" and value == 1):
                args[name] = value
        return args

    tconvs = [
        tconv(2, 2, 3, 3, 3, 3, stride=2, pad=1),                                  # the 3x3 -> 7x7 -> 5x5 example
        tconv(2, 2, 3, 3, 4, 3, stride=2, pad=1, output_padding=1),
        tconv(1, 3, 2, 4, 3, (3, 2), stride=(2, 1), pad=(1, 0), output_padding=(1, 0)),
        tconv(2, 2, 2, 3, 2, 4, stride=2, pad=1),                                  # C_in == C_out, k % s == 0
        tconv(1, 2, 3, 2, 3, 2, stride=3, output_padding=2),                       # no overlap, big output_padding
        tconv(2, 1, 2, 4, 4, 3),                                                   # stride 1
        tconv(1, 2, 2, 3, 3, (2, 3), stride=(1, 2), pad=(0, 1), output_padding=(0, 1)),
    ]
    return {
        "transposed_output_size": [
            {"n": 3, "k": 3, "stride": 2, "pad": 1}, {"n": 3, "k": 3, "stride": 2, "pad": 1, "output_padding": 1},
            {"n": 4, "k": 4, "stride": 2, "pad": 1}, {"n": 5, "k": 2, "stride": 3, "output_padding": 2},
            {"n": 6, "k": 3}, {"n": 7, "k": 5, "stride": 3, "pad": 2, "output_padding": 1},
            {"n": 3, "k": 3, "stride": 2, "output_padding": 2}, {"n": 3, "k": 3, "output_padding": 1},
            {"n": 3, "k": 3, "stride": 2, "output_padding": -1},
        ],
        "dilate2d": [
            {"x": rng.standard_normal((3, 4)), "stride": 2},
            {"x": rng.standard_normal((2, 3, 2, 3)), "stride": (2, 3)},
            {"x": rng.standard_normal((3, 2)), "stride": (3, 1)},
            {"x": rng.standard_normal((1, 1, 2, 2)), "stride": 1},
        ],
        "conv_transpose2d": tconvs,
        "conv_transpose2d_via_conv": [dict(call) for call in tconvs],
        "overlap_count": [
            {"n": 4, "k": 3, "stride": 2}, {"n": 5, "k": 4, "stride": 2}, {"n": 3, "k": 2, "stride": 3},
            {"n": 6, "k": 5, "stride": 3}, {"n": 4, "k": 3, "stride": 1},
        ],
    }
