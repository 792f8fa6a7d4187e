"""Typical mistakes in the graded functions of notebook 06_transposed_convolution, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R
from grader.course.mistakes import (
    HW_SWAPPED,
    OVERLAP_ASSIGN,
    ROTATED_NEVER_OR_TWICE,
    STRIDE_IGNORED,
    _assign_kernels,
    _pad_end,
    _pair,
    _swap,
    _via_conv,
)


def _transposed_unvalidated(n, k, stride=1, pad=0, output_padding=0):
    try:
        return R.transposed_output_size(n, k, stride, pad, output_padding)
    except ValueError:
        return (n - 1) * stride - 2 * pad + k + output_padding


def _ct_assigned(x, w, b, stride=1, pad=0, output_padding=0):
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    (sh, sw), (ph, pw), (oph, opw) = _pair(stride), _pair(pad), _pair(output_padding)
    ho, wo = R.conv_transpose2d(x, w, b, stride, pad, output_padding).shape[2:]
    h, wd = x.shape[2:]
    full = _assign_kernels(x, w, stride, ((h - 1) * sh + w.shape[2] + oph, (wd - 1) * sw + w.shape[3] + opw))
    return full[:, :, ph:ph + ho, pw:pw + wo] + np.asarray(b, dtype=np.float64)[:, None, None]


def _ct_cropped_one_side(x, w, b, stride=1, pad=0, output_padding=0):
    full = R.conv_transpose2d(x, w, b, stride, 0, output_padding)
    ph, pw = _pair(pad)
    return full[:, :, ph:, pw:]


def _overlap_conv_windows(n, k, stride):
    counts = np.zeros(n, dtype=np.int64)
    for start in range(0, n - k + 1, stride):
        counts[start:start + k] += 1
    return counts

#: A wrong length, said beyond the shapes: where the last tap lands.
OVERLAP_LENGTH = ("the output has (n-1)*stride + k positions (transposed_output_size(n, k, stride)): "
                  "the last input's k taps start at (n-1)*stride")


def _overlap_length(n, k, stride, length):
    """The right counts in an array of the wrong ``length``: taps past its end lost, missing positions 0."""
    counts = np.zeros(max(length, 0), dtype=np.int64)
    for u in range(k):
        counts[u:u + (n - 1) * stride + 1:stride] += 1
    return counts


VARIANTS = {
    "transposed_output_size": [
        ("no ValueError: output_padding must be smaller than stride (and >= 0), stride >= 1, pad >= 0",
         _transposed_unvalidated),
        ("output_padding ignored",
         lambda n, k, stride=1, pad=0, output_padding=0: R.transposed_output_size(n, k, stride, pad, 0)),
        ("n inputs have n-1 gaps: (n-1)*stride, not n*stride",
         lambda n, k, stride=1, pad=0, output_padding=0: R.transposed_output_size(n, k, stride, pad, output_padding) + stride),
        ("a transposed convolution removes the padding: - 2*pad, not + 2*pad",
         lambda n, k, stride=1, pad=0, output_padding=0: R.transposed_output_size(n, k, stride, pad, output_padding) + 4 * pad),
        ("pad applied once in total instead of on each side: the padding is removed from both ends, - 2*pad",
         lambda n, k, stride=1, pad=0, output_padding=0: R.transposed_output_size(n, k, stride, pad, output_padding) + pad),
        ("that is the convolution's output size; a transposed convolution gives (n-1)*s - 2p + k + output_padding",
         lambda n, k, stride=1, pad=0, output_padding=0: R.conv_output_size(n, k, stride, pad)),
        (STRIDE_IGNORED, lambda n, k, stride=1, pad=0, output_padding=0: n - 2 * pad + k - 1 + output_padding),
    ],
    "dilate2d": [
        ("insert stride - 1 zeros between neighbours (stride=2 puts one zero between them), not stride",
         lambda x, stride: R.dilate2d(x, tuple(s + 1 for s in _pair(stride)))),
        ("no zeros after the last value: the size is (H-1)*stride + 1",
         lambda x, stride: _pad_end(R.dilate2d(x, stride), tuple(s - 1 for s in _pair(stride)))),
        ("dilate both axes (height and width)", lambda x, stride: R.dilate2d(x, (1, _pair(stride)[1]))),
        ("dilate both axes (height and width)", lambda x, stride: R.dilate2d(x, (_pair(stride)[0], 1))),
        (HW_SWAPPED, lambda x, stride: R.dilate2d(x, _swap(stride))),
    ],
    "conv_transpose2d": [
        (OVERLAP_ASSIGN + " (every input adds its scaled kernel to the output)", _ct_assigned),
        ("output_padding ignored",
         lambda x, w, b, stride=1, pad=0, output_padding=0: R.conv_transpose2d(x, w, b, stride, pad, 0)),
        ("transposed convolution not cropped by the padding: cut pad rows/columns from each side",
         lambda x, w, b, stride=1, pad=0, output_padding=0: R.conv_transpose2d(x, w, b, stride, 0, output_padding)),
        ("pad applied once in total instead of on each side: crop pad rows from the top AND the bottom "
         "(columns: left AND right)", _ct_cropped_one_side),
        ("the scatter-add form uses the kernel as it is; flipping belongs to the via-conv method",
         lambda x, w, b, stride=1, pad=0, output_padding=0: R.conv_transpose2d(x, R.flip180(w), b, stride, pad, output_padding)),
        ("transposed-conv weights are (C_in, C_out, kh, kw): w[c] is what input channel c scatters",
         lambda x, w, b, stride=1, pad=0, output_padding=0: R.conv_transpose2d(
             x, np.swapaxes(np.asarray(w, dtype=np.float64), 0, 1), b, stride, pad, output_padding)),
        (STRIDE_IGNORED, lambda x, w, b, stride=1, pad=0, output_padding=0: R.conv_transpose2d(x, w, b, 1, pad, 0)),
        ("bias forgotten", lambda x, w, b, stride=1, pad=0, output_padding=0: R.conv_transpose2d(
            x, w, np.zeros(np.shape(b)), stride, pad, output_padding)),
    ],
    "conv_transpose2d_via_conv": [
        (f"{ROTATED_NEVER_OR_TWICE}, before the valid conv2d", _via_conv(flip=False)),
        ("swap the channel axes: conv2d wants (C_out, C_in, kh, kw), so use flip180(w).transpose(1, 0, 2, 3)",
         _via_conv(swap=False)),
        ("pad the dilated input by k-1-pad on each side, not by pad", _via_conv(pad_by=lambda kh, kw, ph, pw: (ph, pw))),
        ("pad the dilated input by k-1-pad on each side, not by k-1",
         _via_conv(pad_by=lambda kh, kw, ph, pw: (kh - 1, kw - 1))),
        ("output_padding ignored", _via_conv(tail=lambda oph, opw: (0, 0))),
        ("insert zeros between the inputs (dilate2d); copying values (nearest upsampling) is not a transposed convolution",
         _via_conv(spread=R.upsample_nearest)),
        (f"{STRIDE_IGNORED}: dilate the input by the stride first", _via_conv(spread=lambda x, stride: x)),
    ],
    "overlap_count": [
        ("`=` instead of `+=` where windows overlap: add 1 for every tap that lands on a position",
         lambda n, k, stride: np.minimum(R.overlap_count(n, k, stride), 1)),
        (STRIDE_IGNORED, lambda n, k, stride: R.overlap_count(n, k, 1)),
        ("return the 1-D counts; the 2-D map is np.outer(counts, counts)",
         lambda n, k, stride: np.outer(R.overlap_count(n, k, stride), R.overlap_count(n, k, stride))),
        ("that counts windows over a length-n input (a convolution); a transposed convolution scatters "
         "k taps from each of the n inputs, over (n-1)*stride + k outputs", _overlap_conv_windows),
        ("counts are integers (int64), not floats",
         lambda n, k, stride: R.overlap_count(n, k, stride).astype(np.float64)),
        (OVERLAP_LENGTH + "; your array is one short: (n-1)*stride + k - 1",
         lambda n, k, stride: _overlap_length(n, k, stride, (n - 1) * stride + k - 1)),
        (OVERLAP_LENGTH + "; your array has n*stride positions",
         lambda n, k, stride: _overlap_length(n, k, stride, n * stride)),
        (OVERLAP_LENGTH + "; your array has n*stride + k positions",
         lambda n, k, stride: _overlap_length(n, k, stride, n * stride + k)),
    ],
}
