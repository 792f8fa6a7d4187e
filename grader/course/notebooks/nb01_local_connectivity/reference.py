"""Reference implementations of notebook 01_local_connectivity (the functions in ``__all__``).

Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numpy as np

from grader.course.notebooks.nb02_padding_stride.reference import pad2d
from grader.course.validation import _NCHW, _array, _int, _out_size, _pair, _windows

__all__ = ["dense_param_count", "local_param_count", "conv_param_count", "locally_connected2d", "tie_weights"]

def dense_param_count(n_in, n_out, bias=True):
    """
    Number of parameters of a fully-connected layer.

    Inputs:
    - n_in: int >= 1, number of inputs
    - n_out: int >= 1, number of outputs (neurons)
    - bias: whether each output has a bias

    Returns:
    - count: int, n_in * n_out weights (+ n_out biases)
    """
    n_in, n_out = _int(n_in, "n_in", 1), _int(n_out, "n_out", 1)
    return n_in * n_out + (n_out if bias else 0)


def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    """
    Number of parameters of a locally connected layer (untied weights).

    Every output unit (f, i, j) has its own C*kh*kw weights and, with bias, its own bias.

    Inputs:
    - in_shape: (C, H, W) of the input
    - out_channels: int F >= 1
    - kernel_size: int or (kh, kw)
    - stride, pad: int or (h, w) pair; pad is per side

    Returns:
    - count: int, Ho*Wo*F*C*kh*kw (+ Ho*Wo*F biases)
    """
    if not isinstance(in_shape, (tuple, list)) or len(in_shape) != 3:
        raise ValueError(f"in_shape must be a 3-tuple (C, H, W), got {in_shape!r}")
    c, h, w = (_int(v, "in_shape", 1) for v in in_shape)
    f = _int(out_channels, "out_channels", 1)
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    ho = _out_size(h, kh, sh, ph, 1, f"kernel_size kh={kh}")
    wo = _out_size(w, kw, sw, pw, 1, f"kernel_size kw={kw}")
    units = ho * wo * f
    return units * c * kh * kw + (units if bias else 0)


def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
    """
    Number of parameters of a convolutional layer (weights shared over positions).

    Inputs:
    - in_channels: int C >= 1
    - out_channels: int F >= 1
    - kernel_size: int or (kh, kw)

    Returns:
    - count: int, F*C*kh*kw (+ F biases)
    """
    c, f = _int(in_channels, "in_channels", 1), _int(out_channels, "out_channels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    return f * c * kh * kw + (f if bias else 0)


def locally_connected2d(x, w, b, stride=1, pad=0):
    """
    Forward pass of a locally connected layer: a convolution whose weights differ at every output position.

    Inputs:
    - x: input of shape (N, C, H, W)
    - w: weights of shape (Ho, Wo, F, C, kh, kw); w[i, j] is the filter bank used at output (i, j)
    - b: biases of shape (F, Ho, Wo)
    - stride, pad: int or (h, w) pair; pad is per side (zeros)

    Returns:
    - y: output of shape (N, F, Ho, Wo),
      y[n, f, i, j] = sum_{c,u,v} xpad[n, c, i*sh+u, j*sw+v] * w[i, j, f, c, u, v] + b[f, i, j]
    """
    x = _array(x, "x", (4,), _NCHW)
    w = _array(w, "w", (6,), "(Ho, Wo, F, C, kh, kw)")
    b = _array(b, "b", (3,), "(F, Ho, Wo)")
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    ho_w, wo_w, f, c, kh, kw = w.shape
    if x.shape[1] != c:
        raise ValueError(f"channel mismatch: x has C={x.shape[1]} but w expects {c}")
    ho = _out_size(x.shape[2], kh, stride[0], pad[0], 1, f"kernel_size kh={kh}")
    wo = _out_size(x.shape[3], kw, stride[1], pad[1], 1, f"kernel_size kw={kw}")
    if (ho_w, wo_w) != (ho, wo):
        raise ValueError(f"w has {ho_w}x{wo_w} output positions but x, stride and pad give {ho}x{wo}")
    if b.shape != (f, ho, wo):
        raise ValueError(f"b must have shape {(f, ho, wo)}, got {b.shape}")
    cols = _windows(pad2d(x, pad), (kh, kw), stride)          # (N, C, Ho, Wo, kh, kw)
    y = np.einsum("ncijuv,ijfcuv->nfij", cols, w, optimize=True)
    return y + b


def tie_weights(w, out_hw):
    """
    Repeat a convolution weight at every output position (weight sharing as a locally connected layer).

    Inputs:
    - w: conv weights of shape (F, C, kh, kw)
    - out_hw: int or (Ho, Wo), the output size

    Returns:
    - w_local: array of shape (Ho, Wo, F, C, kh, kw) with w_local[i, j] == w, a new
      (writable) array, so locally_connected2d(x, tie_weights(w, (Ho, Wo)), b_local) is a conv layer
    """
    w = _array(w, "w", (4,), "(F, C, kh, kw)")
    ho, wo = _pair(out_hw, "out_hw", 1)
    return np.array(np.broadcast_to(w, (ho, wo) + w.shape))
