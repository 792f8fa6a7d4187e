"""02_padding_stride: output size, zero padding, same padding, receptive field."""
from __future__ import annotations

import numpy as np

from grader.course.catalogue import correct, wrong

CORRECT = {
    "conv_output_size": correct("conv_output_size", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            for name, value, least in (("n", n, 1), ("k", k, 1), ("stride", stride, 1),
                                       ("pad", pad, 0), ("dilation", dilation, 1)):
                if value < least:
                    raise ValueError(f"{name} must be >= {least}, got {value}")
            span = dilation * (k - 1) + 1
            if span > n + 2 * pad:
                raise ValueError(f"kernel k={k} (span {span}) is larger than the padded input")
            count, start = 0, 0
            while start + span <= n + 2 * pad:  # count the window positions one by one
                count += 1
                start += stride
            return count
    '''),
    "pad2d": correct("pad2d", '''
        def pad2d(x, pad, value=0.0):
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            H, W = x.shape[-2:]
            out = np.full(x.shape[:-2] + (H + 2 * ph, W + 2 * pw), float(value))
            for i in range(H):
                out[..., ph + i, pw:pw + W] = x[..., i, :]
            return out
    '''),
    "same_padding": correct("same_padding", '''
        def same_padding(k, dilation=1):
            if k < 1 or dilation < 1:
                raise ValueError("k and dilation must be >= 1")
            span = dilation * (k - 1) + 1
            if span % 2 == 0:
                raise ValueError(f"k={k}, dilation={dilation}: even effective kernel {span}")
            pad = 0
            while 2 * pad + 1 < span:
                pad += 1
            return pad
    '''),
    "receptive_field": correct("receptive_field", '''
        def receptive_field(layers):
            r = 1
            for k, s in reversed(layers):  # walk back from one output unit to the input
                r = (r - 1) * s + k
            return r
    '''),
}

WRONG = [
    # conv_output_size
    wrong("conv_output_size", "forgot the + 1", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError("invalid arguments")
            return (n + 2 * pad - dilation * (k - 1) - 1) // stride
    ''', hint="forget the + 1"),
    wrong("conv_output_size", "ceil instead of floor", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            import math
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError("invalid arguments")
            return math.ceil((n + 2 * pad - dilation * (k - 1) - 1) / stride) + 1
    ''', hint="ceil"),
    wrong("conv_output_size", "round instead of floor", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError(f"invalid arguments: stride={stride}, pad={pad}, dilation={dilation}, k={k}, n={n}")
            return round((n + 2 * pad - dilation * (k - 1) - 1) / stride) + 1
    ''', hint="rounded to the nearest integer (round)"),
    wrong("conv_output_size", "stride ignored", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError("invalid arguments")
            return n + 2 * pad - dilation * (k - 1)
    ''', hint="stride ignored"),
    wrong("conv_output_size", "pad counted once", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError("invalid arguments")
            return (n + pad - dilation * (k - 1) - 1) // stride + 1
    ''', hint="pad applied once in total"),
    wrong("conv_output_size", "padding ignored", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n:
                raise ValueError("invalid arguments")
            return (n - dilation * (k - 1) - 1) // stride + 1
    ''', hint="padding ignored"),
    wrong("conv_output_size", "dilation ignored", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or k > n + 2 * pad:
                raise ValueError("invalid arguments")
            return (n + 2 * pad - k) // stride + 1
    ''', hint="dilation ignored"),
    wrong("conv_output_size", "effective kernel d*k", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * k > n + 2 * pad:
                raise ValueError("invalid arguments")
            return (n + 2 * pad - dilation * k) // stride + 1
    ''', hint="not d*k"),
    wrong("conv_output_size", "no validation", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            return (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    ''', hint="no ValueError"),
    wrong("conv_output_size", "float division", '''
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError("invalid arguments")
            return (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1
    ''', hint="use //"),
    # pad2d
    wrong("pad2d", "pad added at the bottom/right only", '''
        def pad2d(x, pad, value=0.0):
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            widths = [(0, 0)] * (x.ndim - 2) + [(0, ph), (0, pw)]
            return np.pad(x, widths, constant_values=value)
    ''', hint="pad applied once in total"),
    wrong("pad2d", "pad split between the two sides", '''
        def pad2d(x, pad, value=0.0):
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            H, W = x.shape[-2:]
            out = np.full(x.shape[:-2] + (H + ph, W + pw), float(value))
            out[..., ph:, pw:] = x
            return out
    ''', hint="pad applied once in total"),
    wrong("pad2d", "pad pair read as (w, h)", '''
        def pad2d(x, pad, value=0.0):
            pw, ph = (pad, pad) if isinstance(pad, int) else pad
            widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
            return np.pad(x, widths, constant_values=value)
    ''', hint="height and width swapped"),
    wrong("pad2d", "first number of the pair for both axes", '''
        def pad2d(x, pad, value=0.0):
            p = pad if isinstance(pad, int) else pad[0]
            out = np.full(x.shape[:-2] + (x.shape[-2] + 2 * p, x.shape[-1] + 2 * p), value)
            out[..., p:p + x.shape[-2], p:p + x.shape[-1]] = x
            return out
    ''', hint="you used the first number for both"),
    wrong("pad2d", "value ignored", '''
        def pad2d(x, pad, value=0.0):
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            H, W = x.shape[-2:]
            out = np.zeros(x.shape[:-2] + (H + 2 * ph, W + 2 * pw))
            out[..., ph:ph + H, pw:pw + W] = x
            return out
    ''', hint="value ignored"),
    wrong("pad2d", "out[p:-p] slice, empty for pad 0", '''
        def pad2d(x, pad, value=0.0):
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            H, W = x.shape[-2:]
            out = np.full(x.shape[:-2] + (H + 2 * ph, W + 2 * pw), float(value))
            out[..., ph:-ph, pw:-pw] = x
            return out
    ''', hint="the slice out[p:-p] is empty"),
    wrong("pad2d", "image at the top-left corner", '''
        def pad2d(x, pad, value=0.0):
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            H, W = x.shape[-2:]
            out = np.full(x.shape[:-2] + (H + 2 * ph, W + 2 * pw), float(value))
            out[..., :H, :W] = x
            return out
    ''', hint="the image must sit in the middle"),
    wrong("pad2d", "all axes padded", '''
        def pad2d(x, pad, value=0.0):
            return np.pad(x, pad, mode="constant", constant_values=value)
    ''', hint="not N and C"),
    # same_padding
    wrong("same_padding", "no error for an even kernel", '''
        def same_padding(k, dilation=1):
            return dilation * (k - 1) // 2
    ''', hint="raise ValueError"),
    wrong("same_padding", "total padding instead of per side", '''
        def same_padding(k, dilation=1):
            span = dilation * (k - 1) + 1
            if span % 2 == 0:
                raise ValueError("even kernel")
            return span - 1
    ''', hint="per side"),
    wrong("same_padding", "dilation ignored", '''
        def same_padding(k, dilation=1):
            if k % 2 == 0:
                raise ValueError("k must be odd")
            return (k - 1) // 2
    ''', hint="dilation ignored"),
    wrong("same_padding", "float result", '''
        def same_padding(k, dilation=1):
            span = dilation * (k - 1) + 1
            if span % 2 == 0:
                raise ValueError("even kernel")
            return (span - 1) / 2
    ''', hint="int"),
    # receptive_field
    wrong("receptive_field", "previous stride only", '''
        def receptive_field(layers):
            r = 1
            previous_stride = 1
            for k, s in layers:
                r += (k - 1) * previous_stride
                previous_stride = s
            return r
    ''', hint="strides not multiplied"),
    wrong("receptive_field", "strides ignored", '''
        def receptive_field(layers):
            r = 1
            for k, s in layers:
                r += k - 1
            return r
    ''', hint="stride ignored"),
    wrong("receptive_field", "walked output to input with the forward rule", '''
        def receptive_field(layers):
            r, jump = 1, 1
            for k, s in reversed(layers):
                r += (k - 1) * jump
                jump *= s
            return r
    ''', hint="the other way"),
    wrong("receptive_field", "own stride included", '''
        def receptive_field(layers):
            r, jump = 1, 1
            for k, s in layers:
                jump *= s
                r += (k - 1) * jump
            return r
    ''', hint="own stride"),
    wrong("receptive_field", "started from 0", '''
        def receptive_field(layers):
            r, jump = 0, 1
            for k, s in layers:
                r += (k - 1) * jump
                jump *= s
            return r
    ''', hint="starts at 1"),
]


def battery() -> dict[str, list[dict]]:
    rng = np.random.default_rng(202)
    return {
        "conv_output_size": [
            {"n": 5, "k": 3}, {"n": 5, "k": 3, "stride": 2}, {"n": 6, "k": 3, "stride": 2},
            {"n": 11, "k": 3, "stride": 3}, {"n": 7, "k": 3, "stride": 3}, {"n": 7, "k": 3, "pad": 1}, {"n": 8, "k": 4, "stride": 3, "pad": 2},
            {"n": 12, "k": 3, "pad": 2}, {"n": 10, "k": 3, "dilation": 2}, {"n": 11, "k": 3, "dilation": 3}, {"n": 13, "k": 3, "stride": 2, "pad": 1, "dilation": 3},
            {"n": 227, "k": 11, "stride": 4},
            {"n": 5, "k": 3, "stride": 0}, {"n": 2, "k": 3}, {"n": 8, "k": 3, "pad": -1},
            {"n": 5, "k": 3, "dilation": 3}, {"n": 8, "k": 3, "dilation": 0},
        ],
        "pad2d": [
            {"x": rng.standard_normal((3, 4)), "pad": 1},
            {"x": rng.standard_normal((2, 3)), "pad": (1, 2)},
            {"x": rng.standard_normal((3, 2)), "pad": (2, 1), "value": -1.5},
            {"x": rng.standard_normal((2, 3, 2, 4)), "pad": 1},
            {"x": rng.standard_normal((1, 2, 3, 2)), "pad": (0, 2), "value": 7.0},
        ],
        "same_padding": [
            {"k": 3}, {"k": 5}, {"k": 7, "dilation": 2}, {"k": 3, "dilation": 3}, {"k": 2, "dilation": 3},
            {"k": 4}, {"k": 2}, {"k": 1},
        ],
        "receptive_field": [
            {"layers": [(3, 1), (3, 1)]},
            {"layers": [(3, 2), (3, 2), (3, 1)]},
            {"layers": [(7, 2), (3, 2), (3, 1), (3, 2), (2, 1)]},
            {"layers": [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1)]},
            {"layers": [(5, 1)]},
        ],
    }
