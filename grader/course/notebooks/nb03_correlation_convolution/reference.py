"""Reference implementations of notebook 03_correlation_convolution (the functions in ``__all__``).

Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numpy as np

from grader.course.notebooks.nb02_padding_stride.reference import pad2d
from grader.course.validation import _NCHW, _array, _out_size, _pair, _windows

__all__ = ["flip180", "cross_correlate2d", "convolve2d", "conv2d"]

def flip180(k):
    """
    Rotate the last two axes by 180 degrees (flip up-down and left-right).

    Inputs:
    - k: array with ndim >= 2, e.g. a kernel (kh, kw) or conv weights (F, C, kh, kw)

    Returns:
    - flipped: new float64 array of the same shape, flipped[..., i, j] = k[..., kh-1-i, kw-1-j]
    """
    k = _array(k, "k", None)
    return k[..., ::-1, ::-1].copy()


def cross_correlate2d(x, k):
    """
    Valid-mode 2-D cross-correlation (what CNN layers compute).

    Inputs:
    - x: input of shape (H, W)
    - k: kernel of shape (kh, kw), kh <= H and kw <= W

    Returns:
    - y: array of shape (H-kh+1, W-kw+1), y[i, j] = sum_{u,v} x[i+u, j+v] * k[u, v]
    """
    x = _array(x, "x", (2,), "(H, W)")
    k = _array(k, "k", (2,), "(kh, kw)")
    if k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
        raise ValueError(f"k of shape {k.shape} is larger than x of shape {x.shape}")
    return np.tensordot(_windows(x, k.shape, (1, 1)), k, axes=([2, 3], [0, 1]))


def convolve2d(x, k):
    """
    Valid-mode 2-D true convolution: cross-correlation with the kernel rotated by 180 degrees.

    Inputs:
    - x: input of shape (H, W)
    - k: kernel of shape (kh, kw), kh <= H and kw <= W

    Returns:
    - y: array of shape (H-kh+1, W-kw+1), y[i, j] = sum_{u,v} x[i+u, j+v] * k[kh-1-u, kw-1-v]
    """
    return cross_correlate2d(x, flip180(_array(k, "k", (2,), "(kh, kw)")))


def _check_conv(x, w, b, transposed=False):
    """Validate a batch, weights (conv: (F, C, kh, kw); transposed: (C_in, C_out, kh, kw)) and a bias.

    Returns them as float64 arrays (b may be None: not checked).
    """
    x = _array(x, "x", (4,), _NCHW)
    w = _array(w, "w", (4,), "(C_in, C_out, kh, kw)" if transposed else "(F, C, kh, kw)")
    in_axis, out_axis = (0, 1) if transposed else (1, 0)
    if x.shape[1] != w.shape[in_axis]:
        raise ValueError(f"channel mismatch: x has C={x.shape[1]} but w expects {w.shape[in_axis]}")
    if b is not None:
        b = _array(b, "b", (1,), "(F,)", spatial=False)
        if b.shape != (w.shape[out_axis],):
            raise ValueError(f"b must have shape ({w.shape[out_axis]},) to match w, got {b.shape}")
    return x, w, b


def conv2d(x, w, b, stride=1, pad=0):
    """
    Forward pass of a convolutional layer (cross-correlation, as in PyTorch).

    Each of the F filters spans all C input channels and gives one feature map.

    Inputs:
    - x: input of shape (N, C, H, W)
    - w: filters of shape (F, C, kh, kw)
    - b: biases of shape (F,)
    - stride: int or (sh, sw)
    - pad: int or (ph, pw), zeros added on each side

    Returns:
    - y: output of shape (N, F, Ho, Wo), Ho = floor((H + 2ph - kh)/sh) + 1 (same for Wo),
      y[n, f, i, j] = sum_{c,u,v} xpad[n, c, i*sh+u, j*sw+v] * w[f, c, u, v] + b[f]
    """
    x, w, b = _check_conv(x, w, b)
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    kh, kw = w.shape[2:]
    _out_size(x.shape[2], kh, stride[0], pad[0], 1, f"kernel_size kh={kh}")
    _out_size(x.shape[3], kw, stride[1], pad[1], 1, f"kernel_size kw={kw}")
    cols = _windows(pad2d(x, pad), (kh, kw), stride)            # (N, C, Ho, Wo, kh, kw)
    y = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))      # (N, Ho, Wo, F)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2)) + b[:, None, None]
