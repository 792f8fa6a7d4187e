"""Typical mistakes in the graded functions of notebook 04_pooling_unpooling, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R
from grader.course.mistakes import (
    FLAT_INDEX_POOLED_WIDTH,
    FLAT_INDEX_WITH_H,
    HW_SWAPPED,
    LAST_TWO_AXES,
    STRIDE_DEFAULT,
    STRIDE_IGNORED,
    _block,
    _fit,
    _into_flat_array,
    _pad_end,
    _pair,
    _scatter_with_width,
    _stride_or_size,
    _swap,
    _switch_parts,
    _windows,
)


def _max_pool_float_switches(x, size=2, stride=None):
    y, switches = R.max_pool2d(x, size, stride)
    return y, switches.astype(np.float64)



def _max_pool_last_tie(x, size=2, stride=None):
    y, _ = R.max_pool2d(x, size, stride)
    flat = _windows(x, size, stride)
    (_, kw), (sh, sw) = _pair(size), _pair(_stride_or_size(size, stride))
    local = flat.shape[-1] - 1 - np.argmax(flat[..., ::-1], axis=-1)
    ho, wo = local.shape[-2:]
    rows = (np.arange(ho) * sh)[:, None] + local // kw
    cols = (np.arange(wo) * sw)[None, :] + local % kw
    return y, (rows * np.shape(x)[3] + cols).astype(np.int64)


def _max_pool_relative(x, size=2, stride=None):
    y, switches = R.max_pool2d(x, size, stride)
    kw = _pair(size)[1]
    rows, cols, top, left = _switch_parts(switches, size, stride, np.shape(x)[3])
    return y, ((rows - top) * kw + (cols - left)).astype(np.int64)


def _max_pool_row_times_h(x, size=2, stride=None):
    y, switches = R.max_pool2d(x, size, stride)
    h, w = np.shape(x)[2:]
    return y, (switches // w * h + switches % w).astype(np.int64)


def _max_pool_pooled_width(x, size=2, stride=None):
    y, switches = R.max_pool2d(x, size, stride)
    w = np.shape(x)[3]
    return y, (switches // w * y.shape[3] + switches % w).astype(np.int64)


def _max_pool_global(x, size=2, stride=None):
    y, switches = R.max_pool2d(x, size, stride)
    n, c, h, w = np.shape(x)
    planes = (np.arange(n * c).reshape(n, c, 1, 1) * (h * w)).astype(np.int64)
    return y, switches + planes






def _unpool_whole_window(y, switches, output_size):
    y = np.asarray(y, dtype=np.float64)
    out_size = _pair(output_size)
    return _fit(R.upsample_nearest(y, _block(y.shape, out_size)), out_size)


def _unpool_added(y, switches, output_size):
    y = np.asarray(y, dtype=np.float64)
    return R.max_pool2d_backward(y, switches, y.shape[:2] + _pair(output_size))


def _upsample_top_left(y, scale=2):
    sh, sw = _pair(scale)
    return _pad_end(R.dilate2d(y, scale), (sh - 1, sw - 1))

VARIANTS = {
    "max_pool2d": [
        ("ties: the last maximum won instead of the first in row-major order (use np.argmax, "
         "and only replace on a strictly larger value)", _max_pool_last_tie),
        ("switches stored relative to the window instead of as flat indices into the H*W plane "
         "(row * W + col of the input)", _max_pool_relative),
        ("switches index each H*W plane on its own (PyTorch's return_indices), not the whole N*C*H*W array",
         _max_pool_global),
        (FLAT_INDEX_WITH_H, _max_pool_row_times_h),
        (FLAT_INDEX_POOLED_WIDTH, _max_pool_pooled_width),
        ("switches must be int64 indices, not floats", _max_pool_float_switches),
        (STRIDE_DEFAULT,
         lambda x, size=2, stride=None: R.max_pool2d(x, size, 1 if stride is None else stride)),
        (STRIDE_IGNORED, lambda x, size=2, stride=None: R.max_pool2d(x, size)),
        (HW_SWAPPED, lambda x, size=2, stride=None: R.max_pool2d(x, _swap(size), None if stride is None else _swap(stride))),
        ("return a tuple (y, switches)", lambda x, size=2, stride=None: R.max_pool2d(x, size, stride)[0]),
    ],
    "mean_pool2d": [
        ("summed instead of averaged: divide each window's sum by its size kh*kw",
         lambda x, size=2, stride=None: R.mean_pool2d(x, size, stride) * np.prod(_pair(size))),
        ("divide each window's sum by the window's size kh*kw, not by the stride's sh*sw",
         lambda x, size=2, stride=None: R.mean_pool2d(x, size, stride) * np.prod(_pair(size))
         / np.prod(_pair(_stride_or_size(size, stride)))),
        (STRIDE_DEFAULT, lambda x, size=2, stride=None: R.mean_pool2d(x, size, 1 if stride is None else stride)),
        (STRIDE_IGNORED, lambda x, size=2, stride=None: R.mean_pool2d(x, size)),
        (HW_SWAPPED, lambda x, size=2, stride=None: R.mean_pool2d(x, _swap(size), None if stride is None else _swap(stride))),
        ("the maximum is max pooling; mean pooling averages each window",
         lambda x, size=2, stride=None: R.max_pool2d(x, size, stride)[0]),
    ],
    "max_unpool2d": [
        ("unpooling copied the value into the whole window instead of placing it at the switch "
         "(that is nearest upsampling)", _unpool_whole_window),
        ("unpooling places each value at its switch (=); where overlapping windows share a switch, "
         "do not add the values up", _unpool_added),
        ("switches index each H*W plane on its own: unpool plane by plane (n, c), not into the flattened "
         "whole array", lambda y, switches, output_size: _into_flat_array(y, switches, output_size, accumulate=False)),
        (FLAT_INDEX_WITH_H,
         lambda y, switches, output_size: _scatter_with_width(y, switches, output_size, _pair(output_size)[0], accumulate=False)),
        (FLAT_INDEX_POOLED_WIDTH, lambda y, switches, output_size:
             _scatter_with_width(y, switches, output_size, np.shape(y)[3], accumulate=False)),
    ],
    "upsample_nearest": [
        ("np.tile repeats the whole map; nearest upsampling copies each value into its own block (np.repeat)",
         lambda y, scale=2: np.tile(np.asarray(y, dtype=np.float64), (1,) * (np.ndim(y) - 2) + _pair(scale))),
        ("each value goes into its WHOLE block, not only the top-left corner (zeros elsewhere is unpooling)",
         _upsample_top_left),
        ("repeat along both the height and the width axes",
         lambda y, scale=2: R.upsample_nearest(y, (_pair(scale)[0], 1))),
        ("repeat along both the height and the width axes",
         lambda y, scale=2: R.upsample_nearest(y, (1, _pair(scale)[1]))),
        (HW_SWAPPED, lambda y, scale=2: R.upsample_nearest(y, _swap(scale))),
        (f"{LAST_TWO_AXES}: np.repeat(y, s, axis=-2), then axis=-1",
         lambda y, scale=2: np.repeat(np.repeat(np.asarray(y, dtype=np.float64), _pair(scale)[0], axis=0),
                                      _pair(scale)[1], axis=1)),
    ],
}
