"""Typical mistakes in the graded functions of notebook 05_backprop, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R
from grader.course.mistakes import (
    BATCH_AVERAGED,
    FLAT_INDEX_POOLED_WIDTH,
    FLAT_INDEX_WITH_H,
    OVERLAP_ASSIGN,
    STRIDE_IGNORED,
    _assign_kernels,
    _assign_planes,
    _assign_windows,
    _block,
    _differences,
    _fit,
    _into_flat_array,
    _pair,
    _relative,
    _relative_of_extremes,
    _scatter_with_width,
    _stride_or_size,
    _with_grad,
)


def _conv_back_not_flipped(dout, x, w, stride=1, pad=0):
    right = R.conv2d_backward(dout, x, w, stride, pad)
    return _with_grad(right, 0, R.conv2d_backward(dout, x, R.flip180(w), stride, pad)[0])


def _conv_back_assigned(dout, x, w, stride=1, pad=0):
    right = R.conv2d_backward(dout, x, w, stride, pad)
    n, c, h, wd = np.shape(x)
    ph, pw = _pair(pad)
    full = _assign_kernels(np.asarray(dout, dtype=np.float64), np.asarray(w, dtype=np.float64),
                           stride, (h + 2 * ph, wd + 2 * pw))
    return _with_grad(right, 0, full[:, :, ph:ph + h, pw:pw + wd])


def _conv_back_undilated(dout, x, w, stride=1, pad=0):
    right = R.conv2d_backward(dout, x, w, stride, pad)
    dx = R.conv_transpose2d(dout, w, np.zeros(np.shape(w)[1]), 1, pad)
    return _with_grad(right, 0, dx)


def _conv_back_uncropped(dout, x, w, stride=1, pad=0):
    right = R.conv2d_backward(dout, x, w, stride, pad)
    return _with_grad(right, 0, R.conv2d_backward(dout, R.pad2d(x, pad), w, stride, 0)[0])


def _conv_back_dw_last_sample(dout, x, w, stride=1, pad=0):
    right = R.conv2d_backward(dout, x, w, stride, pad)
    return _with_grad(right, 1, R.conv2d_backward(np.asarray(dout)[-1:], np.asarray(x)[-1:], w, stride, pad)[1])


def _conv_back_dw_flipped(dout, x, w, stride=1, pad=0):
    right = R.conv2d_backward(dout, x, w, stride, pad)
    return _with_grad(right, 1, R.flip180(right[1]))


def _conv_back_db(axes):
    def wrong(dout, x, w, stride=1, pad=0):
        right = R.conv2d_backward(dout, x, w, stride, pad)
        return _with_grad(right, 2, np.asarray(dout, dtype=np.float64).sum(axis=axes))
    return wrong


def _mean_back_assigned(dout, input_shape, size=2, stride=None):
    (kh, kw) = _pair(size)
    return _assign_windows(np.asarray(dout, dtype=np.float64) / (kh * kw), tuple(input_shape), size, stride)


def _mean_back_top_left(dout, input_shape, size=2, stride=None):
    dout = np.asarray(dout, dtype=np.float64)
    return _fit(R.dilate2d(dout, _stride_or_size(size, stride)), tuple(input_shape)[2:])


def _max_back_whole_window(dout, switches, input_shape, share=False):
    dout = np.asarray(dout, dtype=np.float64)
    block = _block(dout.shape, tuple(input_shape)[2:])
    spread = R.upsample_nearest(dout, block) / (block[0] * block[1] if share else 1)
    return _fit(spread, tuple(input_shape)[2:])

VARIANTS = {
    "dense_backward": [
        ("weight gradient not summed over the batch: dw = x.T @ dout adds every sample's a_i * delta_j",
         lambda dout, x, w: _with_grad(R.dense_backward(dout, x, w), 1, R.dense_backward(dout, x, w)[1] / np.shape(x)[0])),
        ("weight gradient not summed over the batch: you kept only the last sample (`=` in the loop)",
         lambda dout, x, w: _with_grad(R.dense_backward(dout, x, w), 1,
                                       R.dense_backward(np.asarray(dout)[-1:], np.asarray(x)[-1:], w)[1])),
        ("bias gradient not summed over the batch: db = dout.sum(axis=0)",
         lambda dout, x, w: _with_grad(R.dense_backward(dout, x, w), 2, np.asarray(dout, dtype=np.float64))),
        ("bias gradient summed over the wrong axis: sum over the batch (axis 0), giving shape (M,)",
         lambda dout, x, w: _with_grad(R.dense_backward(dout, x, w), 2, np.asarray(dout, dtype=np.float64).sum(axis=1))),
        (f"bias gradient {BATCH_AVERAGED}",
         lambda dout, x, w: _with_grad(R.dense_backward(dout, x, w), 2, np.asarray(dout, dtype=np.float64).mean(axis=0))),
        ("dw must have w's shape (D, M): dE/dw_ij = a_i * delta_j, i.e. x.T @ dout",
         lambda dout, x, w: _with_grad(R.dense_backward(dout, x, w), 1, R.dense_backward(dout, x, w)[1].T.copy())),
    ],
    "numerical_gradient": [
        ("forward differences instead of central differences: (f(x+h) - f(x-h)) / (2h)",
         lambda f, x, h=1e-5: _differences(f, x, h, 0, 1)),
        ("backward differences instead of central differences: (f(x+h) - f(x-h)) / (2h)",
         lambda f, x, h=1e-5: _differences(f, x, h, -1, 0)),
        ("central difference divides by 2h, not h", lambda f, x, h=1e-5: 2 * R.numerical_gradient(f, x, h)),
        ("restore x[i] after probing it: the perturbations piled up",
         lambda f, x, h=1e-5: _differences(f, x, h, -1, 1, restore=False)),
        ("the step h argument was ignored", lambda f, x, h=1e-5: R.numerical_gradient(f, x)),
    ],
    "relative_error": [
        ("return the largest elementwise error, not the mean", lambda a, b: _relative(a, b, reduce=np.mean)),
        ("that is the absolute error: divide by max(1e-8, |a| + |b|)",
         lambda a, b: float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b)))),
        ("the denominator is |a| + |b| (absolute values)", lambda a, b: _relative(a, b, signed_sum=True)),
        ("the error is elementwise: divide each |a - b| by its own |a| + |b|, then take the largest",
         _relative_of_extremes),
        ("the numerator is |a - b| (absolute value)", lambda a, b: _relative(a, b, signed_difference=True)),
    ],
    "conv2d_backward": [
        ("kernel not flipped in the input gradient (or flipped twice, which undoes it): dx is the FULL "
         "convolution: cross-correlate the zero-padded sensitivity map with the kernel rotated by 180 degrees",
         _conv_back_not_flipped),
        (OVERLAP_ASSIGN + " (dx)", _conv_back_assigned),
        (f"{STRIDE_IGNORED} in dx: dilate the sensitivity map by the stride (insert stride-1 zeros) "
         "before the full convolution", _conv_back_undilated),
        ("dx still includes the padding: crop pad rows/columns from each side", _conv_back_uncropped),
        ("weight gradient not summed over the batch: dw adds the contribution of every sample",
         _conv_back_dw_last_sample),
        ("the weight gradient is the cross-correlation of the input with the sensitivity map (no flip)",
         _conv_back_dw_flipped),
        ("bias gradient not summed over the batch (and positions): db sums dout over n, i and j",
         _conv_back_db((2, 3))),
        ("bias gradient not summed over the batch (and positions): db sums dout over n, i and j",
         _conv_back_db((0,))),
        ("bias gradient not summed over the batch (and positions): db sums dout over n, i and j",
         _conv_back_db((0, 2))),
        (f"bias gradient {BATCH_AVERAGED}: db sums dout over n, i and j",
         lambda dout, x, w, stride=1, pad=0: _with_grad(R.conv2d_backward(dout, x, w, stride, pad), 2,
                                                        R.conv2d_backward(dout, x, w, stride, pad)[2] / len(dout))),
        (f"weight gradient {BATCH_AVERAGED}",
         lambda dout, x, w, stride=1, pad=0: _with_grad(R.conv2d_backward(dout, x, w, stride, pad), 1,
                                                        R.conv2d_backward(dout, x, w, stride, pad)[1] / len(dout))),
    ],
    "max_pool2d_backward": [
        (OVERLAP_ASSIGN, lambda dout, switches, input_shape: _assign_planes(dout, switches, input_shape)),
        ("the gradient went to every element of the window instead of only the maximum",
         lambda dout, switches, input_shape: _max_back_whole_window(dout, switches, input_shape)),
        ("the gradient was shared evenly (that is mean pooling); max pooling routes it to the maximum only",
         lambda dout, switches, input_shape: _max_back_whole_window(dout, switches, input_shape, share=True)),
        ("switches index each H*W plane on its own: route plane by plane (n, c), not into the flattened "
         "whole array", lambda dout, switches, input_shape:
             _into_flat_array(dout, switches, tuple(input_shape)[2:], accumulate=True)),
        (FLAT_INDEX_WITH_H, lambda dout, switches, input_shape:
             _scatter_with_width(dout, switches, tuple(input_shape)[2:], tuple(input_shape)[2], accumulate=True)),
        (FLAT_INDEX_POOLED_WIDTH, lambda dout, switches, input_shape:
             _scatter_with_width(dout, switches, tuple(input_shape)[2:], np.shape(dout)[3], accumulate=True)),
    ],
    "mean_pool2d_backward": [
        ("mean-pool gradient not divided by the window size (kh*kw)",
         lambda dout, input_shape, size=2, stride=None:
             R.mean_pool2d_backward(dout, input_shape, size, stride) * np.prod(_pair(size))),
        ("divide by the number of elements in the window, kh*kw, not by one side",
         lambda dout, input_shape, size=2, stride=None:
             R.mean_pool2d_backward(dout, input_shape, size, stride) * _pair(size)[0]),
        (OVERLAP_ASSIGN, _mean_back_assigned),
        ("the whole gradient went to one element (the window's top-left); mean pooling shares it evenly",
         _mean_back_top_left),
    ],
}
