"""Reference implementations of notebook 06_transposed_convolution (the functions in ``__all__``).

Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numpy as np

from grader.course.notebooks.nb03_correlation_convolution.reference import (
    _check_conv,
    conv2d,
    flip180,
)
from grader.course.validation import _array, _int, _pad_sides, _pair

__all__ = ["transposed_output_size", "dilate2d", "conv_transpose2d", "conv_transpose2d_via_conv", "overlap_count"]

def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
    """
    Output size of a transposed convolution along one axis.

    Inputs:
    - n: int >= 1, input size
    - k: int >= 1, kernel size
    - stride: int >= 1
    - pad: int >= 0, removed from each side of the full output
    - output_padding: int, 0 <= output_padding < stride, extra rows at the end

    Returns:
    - size: int, (n - 1)*stride - 2*pad + k + output_padding (must be >= 1)
    """
    n, k = _int(n, "n", 1), _int(k, "k", 1)
    s, p = _int(stride, "stride", 1), _int(pad, "pad", 0)
    op = _int(output_padding, "output_padding", 0)
    if op >= s:
        raise ValueError(f"output_padding must be smaller than stride ({s}), got {op}")
    size = (n - 1) * s - 2 * p + k + op
    if size < 1:
        raise ValueError(f"pad={p} is too large: the output size would be {size}")
    return size


def dilate2d(x, stride):
    """
    Insert stride-1 zeros between neighbouring values on the last two axes.

    Inputs:
    - x: array of shape (H, W) or (N, C, H, W)
    - stride: int or (sh, sw), >= 1

    Returns:
    - xd: new array of shape (..., (H-1)*sh + 1, (W-1)*sw + 1), xd[..., i*sh, j*sw] = x[..., i, j]
    """
    x = _array(x, "x", (2, 4), "(H, W) or (N, C, H, W)")
    sh, sw = _pair(stride, "stride", 1)
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((h - 1) * sh + 1, (w - 1) * sw + 1))
    out[..., ::sh, ::sw] = x
    return out


def _transposed_args(x, w, b, stride, pad, output_padding):
    x, w, b = _check_conv(x, w, b, transposed=True)
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    op = _pair(output_padding, "output_padding", 0)
    size = tuple(transposed_output_size(x.shape[2 + a], w.shape[2 + a], stride[a], pad[a], op[a]) for a in (0, 1))
    return x, w, b, stride, pad, op, size


def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):
    """
    Transposed convolution ("deconvolution"), scatter-add form.

    Every input value x[n, c, i, j] adds the kernel w[c] scaled by it to the output,
    at rows i*sh .. i*sh+kh-1 and columns j*sw .. j*sw+kw-1 of the full output;
    then pad rows/columns are cut from each side (output_padding extra at the end).

    Inputs:
    - x: input of shape (N, C_in, H, W)
    - w: weights of shape (C_in, C_out, kh, kw) (PyTorch order)
    - b: biases of shape (C_out,)
    - stride, pad, output_padding: int or (h, w) pair; 0 <= output_padding < stride

    Returns:
    - y: output of shape (N, C_out, Ho, Wo), Ho = (H-1)*sh - 2*ph + kh + oph
    """
    x, w, b, (sh, sw), (ph, pw), _, (ho, wo) = _transposed_args(x, w, b, stride, pad, output_padding)
    n, _, h, wd = x.shape
    kh, kw = w.shape[2:]
    # the full (uncropped) output, long enough for the output_padding rows too
    full = np.zeros((n, w.shape[1], max((h - 1) * sh + kh, ph + ho), max((wd - 1) * sw + kw, pw + wo)))
    contrib = np.tensordot(x, w, axes=([1], [0]))           # (N, H, W, C_out, kh, kw)
    contrib = contrib.transpose(0, 3, 4, 5, 1, 2)           # (N, C_out, kh, kw, H, W)
    for u in range(kh):
        for v in range(kw):
            full[:, :, u:u + (h - 1) * sh + 1:sh, v:v + (wd - 1) * sw + 1:sw] += contrib[:, :, u, v]
    return full[:, :, ph:ph + ho, pw:pw + wo] + b[:, None, None]


def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):
    """
    Transposed convolution computed as upsample-then-convolve.

    Dilate x by the stride, pad k-1-p on each side (plus output_padding at the
    bottom/right; a negative amount crops), then a valid, stride-1 conv2d with the
    180-degree-flipped kernel whose channel axes are swapped (C_out, C_in, kh, kw).
    E.g. a 3x3 input, k=3, stride 2, pad 1: dilate to 5x5, pad to 7x7, convolve to 5x5.

    Inputs and output: as conv_transpose2d (same result).
    """
    x, w, b, stride, (ph, pw), (oph, opw), _ = _transposed_args(x, w, b, stride, pad, output_padding)
    kh, kw = w.shape[2:]
    top, left = kh - 1 - ph, kw - 1 - pw
    xd = _pad_sides(dilate2d(x, stride), top, top + oph, left, left + opw)
    return conv2d(xd, flip180(w).transpose(1, 0, 2, 3), b)


def overlap_count(n, k, stride):
    """
    How many kernel taps of a 1-D transposed convolution reach each output position.

    Inputs:
    - n: int >= 1, input length
    - k: int >= 1, kernel size
    - stride: int >= 1

    Returns:
    - counts: int64 array of length (n-1)*stride + k; counts[t] = #{(i, u): i*stride + u = t}.
      The 2-D map is np.outer(counts_h, counts_w): a checkerboard when k % stride != 0.
    """
    n, k, s = _int(n, "n", 1), _int(k, "k", 1), _int(stride, "stride", 1)
    counts = np.zeros(transposed_output_size(n, k, s), dtype=np.int64)
    for u in range(k):
        counts[u:u + (n - 1) * s + 1:s] += 1
    return counts
