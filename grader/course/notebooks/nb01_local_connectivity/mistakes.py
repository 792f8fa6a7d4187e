"""Typical mistakes in the graded functions of notebook 01_local_connectivity, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R
from grader.course.mistakes import (
    HW_SWAPPED,
    LAYER_FLIPPED,
    OFF_BY_ONE,
    PAD_IGNORED,
    PAD_ONCE,
    STRIDE_IGNORED,
    _pad_end,
    _pair,
    _swap,
)


def _local_shared_bias(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    weights = R.local_param_count(in_shape, out_channels, kernel_size, stride, pad, bias=False)
    return weights + (out_channels if bias else 0)


def _local_hw_swapped(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    c, h, w = in_shape
    return R.local_param_count((c, w, h), out_channels, kernel_size, stride, pad, bias)


def _local_no_depth(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    c, h, w = in_shape
    return R.local_param_count((1, h, w), out_channels, kernel_size, stride, pad, bias)


def _lc_windows_unstrided(x, w, b, stride=1, pad=0):
    ho, wo, _, _, kh, kw = np.shape(w)
    xp = R.pad2d(x, pad)[:, :, :ho + kh - 1, :wo + kw - 1]
    return R.locally_connected2d(xp, w, b, 1, 0)


def _local_no_plus_one(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    c, h, w = in_shape
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size), _pair(stride), _pair(pad)
    units = (h + 2 * ph - kh) // sh * ((w + 2 * pw - kw) // sw) * out_channels
    return units * (c * kh * kw + (1 if bias else 0))


def _local_pad_once(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    c, h, w = in_shape
    ph, pw = _pair(pad)
    return R.local_param_count((c, h + ph, w + pw), out_channels, kernel_size, stride, 0, bias)


def _lc_pad_one_side(x, w, b, stride=1, pad=0):
    ph, pw = _pair(pad)
    return R.locally_connected2d(_pad_end(x, (2 * ph, 2 * pw)), w, b, stride, 0)


def _lc_positions_swapped(x, w, b, stride=1, pad=0):
    return R.locally_connected2d(x, np.swapaxes(np.asarray(w, dtype=np.float64), 0, 1), b, stride, pad)


def _lc_shared(x, w, b, stride=1, pad=0):
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return R.locally_connected2d(x, R.tie_weights(w[0, 0], w.shape[:2]), b, stride, pad)

VARIANTS = {
    "dense_param_count": [
        ("dense layer counted without bias: each output neuron has one bias",
         lambda n_in, n_out, bias=True: R.dense_param_count(n_in, n_out, bias=False)),
        ("bias counted even though bias=False",
         lambda n_in, n_out, bias=True: R.dense_param_count(n_in, n_out, bias=True)),
        ("one bias per output neuron (n_out), not one per input",
         lambda n_in, n_out, bias=True: n_in * n_out + (n_in if bias else 0)),
    ],
    "local_param_count": [
        ("locally connected count shared the weights (that is a conv layer): every output "
         "position has its own weights and bias",
         lambda in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True:
             R.conv_param_count(in_shape[0], out_channels, kernel_size, bias)),
        ("one bias per output unit (F*Ho*Wo), not one per filter", _local_shared_bias),
        ("locally connected count without bias: one bias per output unit",
         lambda in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True:
             R.local_param_count(in_shape, out_channels, kernel_size, stride, pad, bias=False)),
        (f"{STRIDE_IGNORED}: the number of output positions is Ho*Wo with Ho = (H + 2p - kh) // s + 1",
         lambda in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True:
             R.local_param_count(in_shape, out_channels, kernel_size, 1, pad, bias)),
        (f"{PAD_IGNORED}: padding adds output positions, each with its own weights",
         lambda in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True:
             R.local_param_count(in_shape, out_channels, kernel_size, stride, 0, bias)),
        ("each output unit's weights span all input channels: C*kh*kw weights, not kh*kw", _local_no_depth),
        (HW_SWAPPED, _local_hw_swapped),
        (f"{OFF_BY_ONE}; here Ho = (H + 2p - kh) // s + 1", _local_no_plus_one),
        (PAD_ONCE, _local_pad_once),
    ],
    "conv_param_count": [
        ("conv layer counted without bias: one bias per filter (out_channels)",
         lambda in_channels, out_channels, kernel_size, bias=True:
             R.conv_param_count(in_channels, out_channels, kernel_size, bias=False)),
        ("each filter spans all input channels: C*kh*kw weights per filter, not kh*kw",
         lambda in_channels, out_channels, kernel_size, bias=True:
             R.conv_param_count(1, out_channels, kernel_size, bias)),
        ("one bias per filter (out_channels), not per input channel",
         lambda in_channels, out_channels, kernel_size, bias=True:
             R.conv_param_count(in_channels, out_channels, kernel_size, False) + (in_channels if bias else 0)),
        ("a non-square kernel has kh * kw taps: you used one side squared",
         lambda in_channels, out_channels, kernel_size, bias=True:
             R.conv_param_count(in_channels, out_channels, _pair(kernel_size)[0], bias)),
    ],
    "locally_connected2d": [
        ("you used one weight set for every position (that is weight sharing, a conv layer); "
         "a locally connected layer uses w[i, j] at output position (i, j)", _lc_shared),
        (f"{STRIDE_IGNORED}: output (i, j) reads the window starting at (i*stride, j*stride)", _lc_windows_unstrided),
        (LAYER_FLIPPED, lambda x, w, b, stride=1, pad=0: R.locally_connected2d(x, R.flip180(w), b, stride, pad)),
        ("bias forgotten: add b[f, i, j] at each output position",
         lambda x, w, b, stride=1, pad=0: R.locally_connected2d(x, w, np.zeros(np.shape(b)), stride, pad)),
        ("the bias of position (0, 0) used everywhere: a locally connected layer has its own bias b[f, i, j] at "
         "each output position (i, j)",
         lambda x, w, b, stride=1, pad=0: R.locally_connected2d(x, w, np.zeros(np.shape(b)), stride, pad)
         + np.asarray(b, dtype=np.float64)[:, :1, :1]),
        ("all the padding went to the bottom and the right: pad p rows on top AND p at the bottom, "
         "p columns on the left AND p on the right", _lc_pad_one_side),
        ("w[i, j] belongs to output row i, column j: you used w[j, i]", _lc_positions_swapped),
    ],
    "tie_weights": [
        ("np.tile repeats along the existing axes (F, C...); add two new leading axes first (w[None, None])",
         lambda w, out_hw: np.tile(np.asarray(w, dtype=np.float64), _pair(out_hw) + (1, 1))),
        ("axes in the wrong order: the positions come first, (Ho, Wo, F, C, kh, kw)",
         lambda w, out_hw: np.moveaxis(R.tie_weights(w, out_hw), (0, 1), (-2, -1))),
        (HW_SWAPPED, lambda w, out_hw: R.tie_weights(w, _swap(_pair(out_hw)))),
    ],
}
