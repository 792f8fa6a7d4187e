"""Reference implementations of notebook 04_pooling_unpooling (the functions in ``__all__``).

Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numpy as np

from grader.course.validation import _NCHW, _array, _out_size, _pair, _pool_args, _windows

__all__ = ["max_pool2d", "mean_pool2d", "max_unpool2d", "upsample_nearest"]

def _pool_windows(x, size, stride):
    x = _array(x, "x", (4,), _NCHW)
    kernel, stride = _pool_args(size, stride)
    _out_size(x.shape[2], kernel[0], stride[0], 0, 1, f"size kh={kernel[0]}")
    _out_size(x.shape[3], kernel[1], stride[1], 0, 1, f"size kw={kernel[1]}")
    return x, kernel, stride, _windows(x, kernel, stride)


def max_pool2d(x, size=2, stride=None):
    """
    Max pooling of each channel on its own (depth stays C), with the positions of the maxima.

    Inputs:
    - x: input of shape (N, C, H, W)
    - size: int or (kh, kw), the window (not padded)
    - stride: int or (sh, sw); None means stride = size

    Returns a tuple of:
    - y: output of shape (N, C, Ho, Wo), Ho = floor((H - kh)/sh) + 1
    - switches: int64 array of shape (N, C, Ho, Wo), the flat index (row * W + col) into
      the input's H*W plane of each maximum; on ties the first maximum in row-major
      order inside the window wins (PyTorch's return_indices convention)
    """
    x, (kh, kw), (sh, sw), windows = _pool_windows(x, size, stride)
    n, c, ho, wo = windows.shape[:4]
    flat = windows.reshape(n, c, ho, wo, kh * kw)               # row-major order inside each window
    local = np.argmax(flat, axis=-1)                            # first maximum wins
    y = np.take_along_axis(flat, local[..., None], axis=-1)[..., 0]
    rows = np.arange(ho)[:, None] * sh + local // kw
    cols = np.arange(wo)[None, :] * sw + local % kw
    switches = (rows * x.shape[3] + cols).astype(np.int64)
    return y, switches


def mean_pool2d(x, size=2, stride=None):
    """
    Mean (average) pooling of each channel on its own.

    Inputs:
    - x: input of shape (N, C, H, W)
    - size: int or (kh, kw), the window (not padded)
    - stride: int or (sh, sw); None means stride = size

    Returns:
    - y: output of shape (N, C, Ho, Wo), the mean of each window
    """
    cols = _pool_windows(x, size, stride)[3]
    return cols.mean(axis=(-2, -1))


def _check_switches(switches, shape, name="switches"):
    s = np.asarray(switches)
    if s.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {s.dtype}")
    if s.shape != shape:
        raise ValueError(f"{name} must have the shape {shape} of the pooled values, got {s.shape}")
    return s.astype(np.int64)


def _scatter_planes(values, switches, n, c, h, w, accumulate):
    """Put ``values`` (N, C, ...) at flat plane positions ``switches`` of a zero (N, C, h, w) array."""
    s = _check_switches(switches, values.shape)
    if s.size and (s.min() < 0 or s.max() >= h * w):
        raise ValueError(f"switches must lie in [0, H*W) = [0, {h * w}), got values in [{s.min()}, {s.max()}]")
    offsets = (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, *([1] * (values.ndim - 2)))
    where = (s + offsets).ravel()
    if accumulate:
        out = np.bincount(where, weights=values.ravel(), minlength=n * c * h * w)
    else:
        out = np.zeros(n * c * h * w)
        out[where] = values.ravel()      # repeated switch: the last in row-major order wins
    return out.reshape(n, c, h, w)


def max_unpool2d(y, switches, output_size):
    """
    Max unpooling: put each pooled value back at the position of its maximum, zeros elsewhere.

    Inputs:
    - y: pooled values of shape (N, C, Ho, Wo)
    - switches: int array of shape (N, C, Ho, Wo), flat indices into each H*W plane (from max_pool2d)
    - output_size: (H, W) of the unpooled output

    Returns:
    - x: array of shape (N, C, H, W)

    Values are assigned, not added (as PyTorch's max_unpool2d). When overlapping windows
    share a switch, max_pool2d gave them the same value, so the result is the same;
    for arbitrary y, the last value in row-major order wins (single-threaded PyTorch).
    """
    y = _array(y, "y", (4,), _NCHW)
    h, w = _pair(output_size, "output_size", 1)
    return _scatter_planes(y, switches, y.shape[0], y.shape[1], h, w, accumulate=False)


def upsample_nearest(y, scale=2):
    """
    Nearest-neighbour upsampling: copy each value into its scale_h x scale_w block (no positions used).

    Inputs:
    - y: array of shape (H, W) or (N, C, H, W)
    - scale: int or (scale_h, scale_w), >= 1

    Returns:
    - x: array of shape (..., H*scale_h, W*scale_w), x[..., i, j] = y[..., i // scale_h, j // scale_w]
      (PyTorch's interpolate(mode="nearest") with an integer scale_factor)
    """
    y = _array(y, "y", (2, 4), "(H, W) or (N, C, H, W)")
    sh, sw = _pair(scale, "scale", 1)
    return np.repeat(np.repeat(y, sh, axis=-2), sw, axis=-1)
