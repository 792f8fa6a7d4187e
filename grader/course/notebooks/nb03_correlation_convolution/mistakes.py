"""Typical mistakes in the graded functions of notebook 03_correlation_convolution, each with its hint (see grader/course/mistakes.py)."""
from __future__ import annotations

import numpy as np

from grader.course import reference as R
from grader.course.mistakes import (
    HW_SWAPPED,
    LAYER_FLIPPED,
    OFF_BY_ONE,
    ONE_INSIDE_DIVISION,
    PAD_IGNORED,
    PAD_ONCE,
    STRIDE_IGNORED,
    _fit,
    _pad_end,
    _pair,
    _size_plus_one_inside,
    _swap,
    one_number_of_pair,
)


def _pad_start(x, pad):
    """Pad rows at the top and columns at the left only (one-sided padding)."""
    ph, pw = (pad, pad) if np.ndim(pad) == 0 else pad
    x = np.asarray(x, dtype=np.float64)
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(int(ph), 0), (int(pw), 0)])


def _conv2d_size_plus_one_inside(x, w, b, stride=1, pad=0):
    """The right values, in a map of (H + 2p - k + 1) // s rows and columns (cut, or zeros past the end)."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    (kh, kw), (h, wd) = np.shape(w)[2:], np.shape(x)[2:]
    return _fit(R.conv2d(x, w, b, stride, pad), (_size_plus_one_inside(h, kh, sh, ph), _size_plus_one_inside(wd, kw, sw, pw)))


VARIANTS = {
    "flip180": [
        ("np.rot90(k, 2) (or k[::-1, ::-1]) turns the FIRST two axes of 4-D weights (filters and channels); "
         "rotate the last two: np.rot90(k, 2, axes=(-2, -1)) or k[..., ::-1, ::-1]",
         lambda k: np.rot90(np.asarray(k, dtype=np.float64), 2).copy()),
        ("np.flip(k) without axes reverses EVERY axis, also the filters and channels of 4-D weights; "
         "flip only the last two: np.flip(k, axis=(-2, -1))",
         lambda k: np.flip(np.asarray(k, dtype=np.float64)).copy()),
        ("flipped only up-down: a 180-degree rotation flips both axes",
         lambda k: np.asarray(k, dtype=np.float64)[..., ::-1, :].copy()),
        ("flipped only left-right: a 180-degree rotation flips both axes",
         lambda k: np.asarray(k, dtype=np.float64)[..., :, ::-1].copy()),
        ("transposing is not a 180-degree rotation", lambda k: np.swapaxes(np.asarray(k, dtype=np.float64), -1, -2).copy()),
        ("rotated by 90 degrees, not 180", lambda k: np.rot90(np.asarray(k, dtype=np.float64), 1, axes=(-2, -1)).copy()),
    ],
    "cross_correlate2d": [
        (LAYER_FLIPPED, lambda x, k: R.convolve2d(x, k)),
        (OFF_BY_ONE, lambda x, k: R.cross_correlate2d(x, k)[:-1, :-1]),
        ("transposed kernel: x[i+u, j+v] pairs with k[u, v] (row with row), not with k[v, u]",
         lambda x, k: R.cross_correlate2d(x, np.transpose(k))),
        ("valid mode: no padding, the output is (H-kh+1, W-kw+1)",
         lambda x, k: R.cross_correlate2d(R.pad2d(x, (np.shape(k)[0] - 1, np.shape(k)[1] - 1)), k)),
    ],
    "convolve2d": [
        ("your convolution did not flip the kernel (that is cross-correlation; flip it by 180 degrees), or "
         "flipped it twice (e.g. flip180 and then reversed indices): rotate it exactly once",
         lambda x, k: R.cross_correlate2d(x, k)),
        ("flipped only up-down: convolution rotates the kernel by 180 degrees (both axes)",
         lambda x, k: R.cross_correlate2d(x, np.asarray(k, dtype=np.float64)[::-1, :])),
        ("flipped only left-right: convolution rotates the kernel by 180 degrees (both axes)",
         lambda x, k: R.cross_correlate2d(x, np.asarray(k, dtype=np.float64)[:, ::-1])),
        ("transposing the kernel is not a 180-degree rotation", lambda x, k: R.cross_correlate2d(x, np.transpose(k))),
        (OFF_BY_ONE, lambda x, k: R.convolve2d(x, k)[:-1, :-1]),
    ],
    "conv2d": [
        (LAYER_FLIPPED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, R.flip180(w), b, stride, pad)),
        ("`=` instead of `+=` over the input channels: each filter sums over ALL input channels",
         lambda x, w, b, stride=1, pad=0: R.conv2d(np.asarray(x)[:, -1:], np.asarray(w)[:, -1:], b, stride, pad)),
        ("only input channel 0 was used: each filter sums over ALL input channels (loop over c in range(C))",
         lambda x, w, b, stride=1, pad=0: R.conv2d(np.asarray(x)[:, :1], np.asarray(w)[:, :1], b, stride, pad)),
        ("windows must start at (i*stride, j*stride), not at (i, j)",
         lambda x, w, b, stride=1, pad=0: _fit(R.conv2d(x, w, b, 1, pad), R.conv2d(x, w, b, stride, pad).shape[2:])),
        (STRIDE_IGNORED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, 1, pad)),
        (PAD_ONCE, lambda x, w, b, stride=1, pad=0: R.conv2d(_pad_end(x, pad), w, b, stride, 0)),
        (PAD_ONCE, lambda x, w, b, stride=1, pad=0: R.conv2d(_pad_start(x, pad), w, b, stride, 0)),
        (PAD_IGNORED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, stride, 0)),
        (ONE_INSIDE_DIVISION, _conv2d_size_plus_one_inside),
        (HW_SWAPPED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, _swap(stride), _swap(pad))),
        (one_number_of_pair("stride", "first"),
         lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, _pair(stride)[0], pad)),
        (one_number_of_pair("stride", "second"),
         lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, _pair(stride)[1], pad)),
        (one_number_of_pair("pad", "first"), lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, stride, _pair(pad)[0])),
        (one_number_of_pair("pad", "second"), lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, stride, _pair(pad)[1])),
        ("bias forgotten: add b[f] to every position of feature map f",
         lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, np.zeros(np.shape(b)), stride, pad)),
        ("the filters or the channels are used in reverse order: np.rot90(w, 2) or w[::-1, ::-1] turns the F and C "
         "axes (and a conv layer does not flip its kernels at all)",
         lambda x, w, b, stride=1, pad=0: R.conv2d(x, np.asarray(w, dtype=np.float64)[::-1, ::-1], b, stride, pad)),
        ("the output is in (N, Ho, Wo, F) order: move the filter axis to position 1, (N, F, Ho, Wo)",
         lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, stride, pad).transpose(0, 2, 3, 1).copy()),
    ],
}
