"""Reference implementations of notebook 05_backprop (the functions in ``__all__``).

Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.course.notebooks.nb02_padding_stride.reference import pad2d
from grader.course.notebooks.nb03_correlation_convolution.reference import (
    _check_conv,
    conv2d,
    flip180,
)
from grader.course.notebooks.nb04_pooling_unpooling.reference import _scatter_planes
from grader.course.notebooks.nb06_transposed_convolution.reference import dilate2d
from grader.course.validation import (
    _NCHW,
    _array,
    _out_size,
    _pad_sides,
    _pair,
    _pool_args,
    _shape4,
)

__all__ = ["dense_backward", "numerical_gradient", "relative_error", "conv2d_backward", "max_pool2d_backward", "mean_pool2d_backward"]

def dense_backward(dout, x, w):
    """
    Backward pass of a fully-connected layer y = x @ w + b.

    Inputs:
    - dout: upstream gradient dE/dy of shape (N, M), the sensitivities delta_j
    - x: input of shape (N, D), the activations a_i
    - w: weights of shape (D, M)

    Returns a tuple of:
    - dx: gradient of shape (N, D), dout @ w.T
    - dw: gradient of shape (D, M), x.T @ dout  (dE/dw_ij = sum_n a_i * delta_j)
    - db: gradient of shape (M,), dout summed over the batch
    """
    dout = _array(dout, "dout", (2,), "(N, M)", spatial=False)
    x = _array(x, "x", (2,), "(N, D)", spatial=False)
    w = _array(w, "w", (2,), "(D, M)", spatial=False)
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"shape mismatch: x has D={x.shape[1]} but w expects {w.shape[0]}")
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], w.shape[1])}, got {dout.shape}")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def numerical_gradient(f, x, h=1e-5):
    """
    Central-difference gradient of a scalar function.

    Inputs:
    - f: function taking an array shaped like x and returning a scalar
    - x: point of any shape (not modified; f is called on a working copy)
    - h: step, > 0

    Returns:
    - grad: float64 array shaped like x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    if not isinstance(h, numbers.Real) or isinstance(h, bool) or not h > 0:
        raise ValueError(f"h must be a positive number, got {h!r}")
    point = np.array(x, dtype=np.float64)           # a copy: x itself is never touched
    grad = np.zeros_like(point)

    def value():
        out = np.asarray(f(point))
        if out.size != 1:
            raise ValueError(f"f must return a scalar, got an array of shape {out.shape}")
        return float(out.reshape(()))

    for index in np.ndindex(point.shape):
        kept = point[index]
        point[index] = kept + h
        plus = value()
        point[index] = kept - h
        minus = value()
        point[index] = kept
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """
    Largest elementwise relative error between two arrays of the same shape.

    Inputs:
    - a, b: arrays (or numbers) of the same shape

    Returns:
    - error: float, max |a - b| / max(1e-8, |a| + |b|)  (0.0 for empty arrays)
    """
    a = _array(a, "a", None, spatial=False)
    b = _array(b, "b", None, spatial=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def conv2d_backward(dout, x, w, stride=1, pad=0):
    """
    Backward pass of conv2d(x, w, b, stride, pad).

    Inputs:
    - dout: upstream gradient (the sensitivity map) of shape (N, F, Ho, Wo)
    - x: input of shape (N, C, H, W)
    - w: filters of shape (F, C, kh, kw)
    - stride, pad: as in the forward pass

    Returns a tuple of:
    - dx: gradient of shape (N, C, H, W): the full convolution of the stride-dilated
      sensitivity map with the kernel as it is, i.e. the cross-correlation of that map,
      zero-padded by k-1, with the kernel rotated by 180 degrees (rows and columns the
      forward pass dropped get zero), with the padding cut off
    - dw: gradient of shape (F, C, kh, kw): the cross-correlation of the padded input
      with the (stride-dilated) sensitivity map
    - db: gradient of shape (F,): the sensitivity map summed over n, i, j
    """
    x, w, _ = _check_conv(x, w, None)
    dout = _array(dout, "dout", (4,), "(N, F, Ho, Wo)")
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho = _out_size(h, kh, sh, ph, 1, f"kernel_size kh={kh}")
    wo = _out_size(wd, kw, sw, pw, 1, f"kernel_size kw={kw}")
    if dout.shape != (n, f, ho, wo):
        raise ValueError(f"dout must have the forward output's shape {(n, f, ho, wo)}, got {dout.shape}")

    db = dout.sum(axis=(0, 2, 3))

    # dw: correlate the padded input with the dilated sensitivity map; only its
    # nonzero taps are read (a window of span (Ho-1)*sh+1 sampled every sh).
    xp = pad2d(x, (ph, pw))
    span = ((ho - 1) * sh + 1, (wo - 1) * sw + 1)
    taps = sliding_window_view(xp, span, axis=(2, 3))[:, :, :kh, :kw, ::sh, ::sw]   # (N, C, kh, kw, Ho, Wo)
    dw = np.tensordot(dout, taps, axes=([0, 2, 3], [0, 4, 5]))                      # (F, C, kh, kw)

    # dx: full convolution = valid cross-correlation of the dilated map, padded by k-1,
    # with the flipped kernel whose channel axes are swapped.
    full = conv2d(pad2d(dilate2d(dout, (sh, sw)), (kh - 1, kw - 1)),
                  flip180(w).transpose(1, 0, 2, 3), np.zeros(c))                   # (N, C, span+k-1)
    hp, wp = h + 2 * ph, wd + 2 * pw
    full = _pad_sides(full, 0, hp - full.shape[2], 0, wp - full.shape[3])          # dropped rows/cols: 0
    dx = full[:, :, ph:ph + h, pw:pw + wd].copy()
    return dx, dw, db


def max_pool2d_backward(dout, switches, input_shape):
    """
    Backward pass of max_pool2d: each gradient goes to its window's maximum only.

    Inputs:
    - dout: upstream gradient of shape (N, C, Ho, Wo)
    - switches: int array of shape (N, C, Ho, Wo) from max_pool2d
    - input_shape: (N, C, H, W) of the pooled input

    Returns:
    - dx: gradient of shape (N, C, H, W); where overlapping windows share a maximum,
      their gradients add up
    """
    dout = _array(dout, "dout", (4,), _NCHW)
    n, c, h, w = _shape4(input_shape, "input_shape")
    if dout.shape[:2] != (n, c):
        raise ValueError(f"dout has N, C = {dout.shape[:2]} but input_shape has {(n, c)}")
    return _scatter_planes(dout, switches, n, c, h, w, accumulate=True)


def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
    """
    Backward pass of mean_pool2d: each gradient is shared evenly by the kh*kw inputs of its window.

    Inputs:
    - dout: upstream gradient of shape (N, C, Ho, Wo)
    - input_shape: (N, C, H, W) of the pooled input
    - size, stride: as in the forward pass (stride None means stride = size)

    Returns:
    - dx: gradient of shape (N, C, H, W); overlapping windows add up, inputs in no window get 0
    """
    dout = _array(dout, "dout", (4,), _NCHW)
    n, c, h, w = _shape4(input_shape, "input_shape")
    (kh, kw), (sh, sw) = _pool_args(size, stride)
    ho = _out_size(h, kh, sh, 0, 1, f"size kh={kh}")
    wo = _out_size(w, kw, sw, 0, 1, f"size kw={kw}")
    if dout.shape != (n, c, ho, wo):
        raise ValueError(f"dout must have the pooled shape {(n, c, ho, wo)}, got {dout.shape}")
    share = dout / (kh * kw)
    dx = np.zeros((n, c, h, w))
    for u in range(kh):
        for v in range(kw):
            dx[:, :, u:u + (ho - 1) * sh + 1:sh, v:v + (wo - 1) * sw + 1:sw] += share
    return dx
