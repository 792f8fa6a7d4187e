"""Typical mistakes in the graded functions of notebook 02_padding_stride, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R
from grader.course.mistakes import (
    HW_SWAPPED,
    ONE_INSIDE_DIVISION,
    PAD_IGNORED,
    PAD_ONCE,
    STRIDE_IGNORED,
    _pair,
    _raw_out,
    _size_plus_one_inside,
    _swap,
    one_number_of_pair,
)


def _crop_end(x, pad):
    """Drop the last pad rows and columns (what is left: padding at the top/left only)."""
    ph, pw = _pair(pad)
    return x[..., :x.shape[-2] - ph, :x.shape[-1] - pw]


def _round_out(n, k, stride, pad, dilation):
    """The output size with the division rounded to the nearest integer (Python's round) instead of down."""
    return round((n + 2 * pad - dilation * (k - 1) - 1) / stride) + 1


def _pad_with_minus_slice(x, pad, value):
    """``out[..., p:-p, p:-p] = x``: right for p > 0, but for p = 0 the slice 0:-0 is empty (numpy raises)."""
    ph, pw = _pair(pad)
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw), float(value))
    out[..., ph:-ph, pw:-pw] = x
    return out


def _pad_at_top_left(x, pad, value):
    """The right shape and fill, but the image written at rows 0..H-1, columns 0..W-1."""
    h, w = np.shape(x)[-2:]
    out = R.pad2d(np.zeros_like(np.asarray(x, dtype=np.float64)), pad, value)
    out[..., :h, :w] = x
    return out


#: Notebook 02 writes no kernel size kh: the + 1 in its own words.
OFF_BY_ONE_02 = ("output size off by one: did you forget the + 1? (the first window position counts too: "
                 "with no room to move, n + 2p = d(k-1) + 1, there is exactly 1 position)")


def _rf_own_stride(layers):
    """Each layer's (k-1) scaled by the product of the strides up to AND including its own."""
    field, jump = 1, 1
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
    return field


def _rf_previous_stride_only(layers):
    """Each layer's (k-1) scaled by the previous layer's stride alone (not the product of all)."""
    field, previous = 1, 1
    for k, s in layers:
        field += (k - 1) * previous
        previous = s
    return field

VARIANTS = {
    "conv_output_size": [
        ("no ValueError for invalid arguments: check stride >= 1, pad >= 0, dilation >= 1, and "
         "that the (dilated) kernel fits in the padded input",
         lambda n, k, stride=1, pad=0, dilation=1: _raw_out(n, k, stride, pad, dilation)),
        (OFF_BY_ONE_02, lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, stride, pad, dilation) - 1),
        ("you rounded to the nearest integer (round); the remainder is always dropped: round down with //",
         lambda n, k, stride=1, pad=0, dilation=1: _round_out(n, k, stride, pad, dilation)),
        ("you rounded half up (int(x + 0.5)); the remainder is always dropped: round down with //",
         lambda n, k, stride=1, pad=0, dilation=1: int((n + 2 * pad - dilation * (k - 1) - 1) / stride + 0.5) + 1),
        ("you rounded up (ceil) instead of down (floor): the remainder is dropped",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n + stride - 1, k, stride, pad, dilation)),
        ("you divided with / (a float); use // so the size is an int, rounded down",
         lambda n, k, stride=1, pad=0, dilation=1: (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1),
        (f"{STRIDE_IGNORED}: the window jumps `stride` pixels, so divide the free room by the stride",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, 1, pad, dilation)),
        (PAD_ONCE, lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n + pad, k, stride, 0, dilation)),
        (ONE_INSIDE_DIVISION,
         lambda n, k, stride=1, pad=0, dilation=1: _size_plus_one_inside(n, k, stride, pad, dilation)),
        (f"{PAD_IGNORED}: the padded input is n + 2*pad wide",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, stride, 0, dilation)),
        ("dilation: the effective kernel is d*(k-1)+1, not d*k",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n - dilation + 1, k, stride, pad, dilation)),
        ("dilation ignored: a dilated kernel spans dilation*(k-1)+1 pixels",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, stride, pad, 1)),
    ],
    "pad2d": [
        (f"{PAD_IGNORED}: add pad rows above and below and pad columns left and right of the image",
         lambda x, pad, value=0.0: np.array(x, dtype=np.float64)),
        (PAD_ONCE, lambda x, pad, value=0.0: R.pad2d(x, pad, value)[..., _pair(pad)[0]:, _pair(pad)[1]:]),
        (PAD_ONCE, lambda x, pad, value=0.0: _crop_end(R.pad2d(x, pad, value), pad)),
        (HW_SWAPPED, lambda x, pad, value=0.0: R.pad2d(x, _swap(pad), value)),
        ("value ignored: fill the border with `value`, not zeros", lambda x, pad, value=0.0: R.pad2d(x, pad)),
        ("for pad 0 the slice out[p:-p] is empty (-0 is 0, so p:-p is 0:0): write the image into "
         "rows p:p+H and columns p:p+W instead",
         lambda x, pad, value=0.0: _pad_with_minus_slice(x, pad, value)),
        ("the image must sit in the middle: rows p..p+H-1 and columns p..p+W-1 of the output, "
         "not at the top-left corner",
         lambda x, pad, value=0.0: _pad_at_top_left(x, pad, value)),
        (one_number_of_pair("pad", "first"),
         lambda x, pad, value=0.0: R.pad2d(x, _pair(pad)[0], value)),
        (one_number_of_pair("pad", "second"),
         lambda x, pad, value=0.0: R.pad2d(x, _pair(pad)[1], value)),
        ("pad only the last two axes (H and W), not N and C: np.pad(x, pad) pads every axis, and reads a pair "
         "(a, b) as a before and b after on each; give it ((0, 0),) * (x.ndim - 2) + ((ph, ph), (pw, pw))",
         lambda x, pad, value=0.0: np.pad(np.asarray(x, dtype=np.float64), pad, constant_values=value)),
    ],
    "same_padding": [
        ("an even effective kernel cannot keep the size with the same pad on both sides: raise ValueError",
         lambda k, dilation=1: dilation * (k - 1) // 2),
        ("dilation ignored: the effective kernel is dilation*(k-1)+1", lambda k, dilation=1: R.same_padding(k)),
        ("pad is per side: (k-1)/2 on each side, not the total k-1",
         lambda k, dilation=1: 2 * R.same_padding(k, dilation)),
        ("the pad must be an int: use // (integer division)", lambda k, dilation=1: float(R.same_padding(k, dilation))),
        ("pad k // 2 is for odd kernels at dilation 1; the effective kernel is dilation*(k-1)+1",
         lambda k, dilation=1: k // 2),
    ],
    "receptive_field": [
        ("receptive field: strides not multiplied: layer l's (k-1) is scaled by the product of ALL "
         "earlier strides, not just the previous one",
         _rf_previous_stride_only),
        (f"{STRIDE_IGNORED}: each layer's (k-1) is scaled by the product of the earlier strides",
         lambda layers: R.receptive_field([(k, 1) for k, _ in layers])),
        ("layers are listed from the input to the output; you went the other way",
         lambda layers: R.receptive_field(list(layers)[::-1])),
        ("a layer's own stride does not widen its receptive field; only the earlier layers' strides do",
         _rf_own_stride),
        ("the receptive field starts at 1 (one pixel), not 0",
         lambda layers: R.receptive_field(layers) - 1),
    ],
}
