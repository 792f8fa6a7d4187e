"""Typical mistakes in every graded function, each with the hint that names it.

``VARIANTS[name]`` is a list of ``(hint, wrong_function)`` pairs. A wrong function takes
exactly the keyword arguments of the graded function and returns what a student who made
that one mistake would return. ``grader.verdict.variant_outcomes`` runs them on a failing
call; ``cnn_course.checks.diagnose`` gives the hint of the **first** variant whose outcome
equals the student's, so the most specific variants come first. A variant that raises, or
that happens to agree with the right answer on a call, is ignored for that call.

Variants are built from ``grader.reference`` with a twist (a flipped kernel, a dropped
argument, a crop, a swapped pair) rather than by re-implementing the operation; where the
twist lives inside a loop (``=`` instead of ``+=``, the last of tied maxima) a small private
helper below does the loop. ``tests/test_catalogue.py`` checks that each variant differs from
the reference somewhere, and that the catalogue of wrong student code in ``tests/catalogue/``
gets the hint meant for it.
"""
from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from . import reference as R

# --------------------------------------------------------------------------- small helpers


def _pair(value) -> tuple[int, int]:
    if isinstance(value, numbers.Integral):
        return int(value), int(value)
    return int(value[0]), int(value[1])


def _swap(value):
    """An ``(h, w)`` pair read as ``(w, h)``; an int is left alone."""
    if isinstance(value, numbers.Integral):
        return value
    return (value[1], value[0])


def _pad_end(x, pad):
    """Pad rows at the bottom and columns at the right only (the pad applied once, not per side)."""
    ph, pw = _pair(pad)
    x = np.asarray(x, dtype=np.float64)
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, ph), (0, pw)])


def _fit(x, shape):
    """Zero-pad (bottom/right) or crop ``x`` to ``shape`` on its last two axes."""
    h, w = shape
    x = x[..., :h, :w]
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, h - x.shape[-2]), (0, w - x.shape[-1])])


def _with_grad(result, index, value):
    """A copy of the tuple ``result`` with element ``index`` replaced."""
    out = list(result)
    out[index] = value
    return tuple(out)


def _stride_or_size(size, stride):
    return size if stride is None else stride


def _raw_out(n, k, stride, pad, dilation):
    """The output-size formula without any validation (what a student who never checks returns)."""
    return (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1


def _windows(x, size, stride):
    """``(N, C, Ho, Wo, kh*kw)``: the pooling windows, flattened in row-major order."""
    (kh, kw), (sh, sw) = _pair(size), _pair(_stride_or_size(size, stride))
    view = np.lib.stride_tricks.sliding_window_view(np.asarray(x, dtype=np.float64), (kh, kw), axis=(-2, -1))
    view = view[..., ::sh, ::sw, :, :]
    return view.reshape(view.shape[:4] + (kh * kw,))


def _switch_parts(switches, size, stride, width):
    """Row and column of each switch, and the row/column where its window starts."""
    (sh, sw) = _pair(_stride_or_size(size, stride))
    ho, wo = switches.shape[-2:]
    rows, cols = switches // width, switches % width
    top = (np.arange(ho) * sh)[:, None]
    left = (np.arange(wo) * sw)[None, :]
    return rows, cols, top, left


def _assign_planes(values, switches, shape):
    """``out.flat[switch] = value`` per (n, c) plane, in row-major order: the last write wins."""
    n, c, h, w = shape
    out = np.zeros((n * c, h * w))
    flat_values = np.asarray(values, dtype=np.float64).reshape(n * c, -1)
    flat_switches = np.asarray(switches).reshape(n * c, -1)
    for plane in range(n * c):
        for value, where in zip(flat_values[plane], flat_switches[plane]):
            out[plane, where] = value
    return out.reshape(n, c, h, w)


def _assign_windows(per_window, shape, size, stride):
    """Pooling scatter with ``=``: each window's value written over the whole window, row-major."""
    (kh, kw), (sh, sw) = _pair(size), _pair(_stride_or_size(size, stride))
    out = np.zeros(shape)
    ho, wo = per_window.shape[-2:]
    for i in range(ho):
        for j in range(wo):
            out[..., i * sh:i * sh + kh, j * sw:j * sw + kw] = per_window[..., i, j, None, None]
    return out


def _assign_kernels(x, w, stride, full_shape):
    """Scatter of ``x`` (N, A, H, W) through ``w`` (A, B, kh, kw) with ``=``, looping n, i, j.

    The (uncropped) output is ``(N, B) + full_shape``; where windows overlap, the later
    window overwrites the earlier one instead of adding to it.
    """
    sh, sw = _pair(stride)
    kh, kw = w.shape[2:]
    n_, _, h, wd = x.shape
    out = np.zeros((n_, w.shape[1]) + tuple(full_shape))
    for n in range(n_):
        for i in range(h):
            for j in range(wd):
                out[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] = np.tensordot(x[n, :, i, j], w, axes=(0, 0))
    return out


def _differences(f, x, h, low, high, restore=True):
    """(f(x + high*h e_i) - f(x + low*h e_i)) / ((high - low) * h), one element at a time."""
    point = np.array(x, dtype=np.float64)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        kept = point[index]
        point[index] = kept + high * h
        upper = float(f(point))
        point[index] = kept + low * h if restore else point[index] - (high - low) * h
        lower = float(f(point))
        if restore:
            point[index] = kept
        grad[index] = (upper - lower) / ((high - low) * h)
    return grad


def _relative(a, b, reduce=np.max, signed_difference=False, signed_sum=False):
    """A relative error with one part of the formula changed."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    difference = a - b if signed_difference else np.abs(a - b)
    total = a + b if signed_sum else np.abs(a) + np.abs(b)
    return float(reduce(difference / np.maximum(1e-8, total)))


def _relative_of_extremes(a, b):
    """The largest difference over the largest sum: not elementwise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def _via_conv(flip=True, swap=True, pad_by=None, tail=None, spread=None):
    """conv_transpose2d_via_conv built from the student's pieces, one of which is wrong.

    ``pad_by(kh, kw, ph, pw)``: per-side pad of the enlarged input (right: k-1-p);
    ``tail(oph, opw)``: extra rows/columns at the bottom/right (right: output_padding);
    ``spread(x, stride)``: how x is enlarged (right: dilate2d).
    """
    def wrong(x, w, b, stride=1, pad=0, output_padding=0):
        kh, kw = np.shape(w)[2:]
        (ph, pw), (oph, opw) = _pair(pad), _pair(output_padding)
        kernel = R.flip180(w) if flip else np.asarray(w, dtype=np.float64)
        if swap:
            kernel = kernel.transpose(1, 0, 2, 3)
        grown = spread(x, stride) if spread else R.dilate2d(x, stride)
        grown = R.pad2d(grown, pad_by(kh, kw, ph, pw) if pad_by else (kh - 1 - ph, kw - 1 - pw))
        grown = _pad_end(grown, tail(oph, opw) if tail else (oph, opw))
        return R.conv2d(grown, kernel, b)
    return wrong


# --------------------------------------------------------------------------- 01_local_connectivity


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


def _lc_shared(x, w, b, stride=1, pad=0):
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return R.locally_connected2d(x, R.tie_weights(w[0, 0], w.shape[:2]), b, stride, pad)


# --------------------------------------------------------------------------- 02_padding_stride


def _crop_end(x, pad):
    """Drop the last pad rows and columns (what is left: padding at the top/left only)."""
    ph, pw = _pair(pad)
    return x[..., :x.shape[-2] - ph, :x.shape[-1] - pw]


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


# --------------------------------------------------------------------------- 04_pooling_unpooling


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


def _max_pool_global(x, size=2, stride=None):
    y, switches = R.max_pool2d(x, size, stride)
    n, c, h, w = np.shape(x)
    planes = (np.arange(n * c).reshape(n, c, 1, 1) * (h * w)).astype(np.int64)
    return y, switches + planes


def _into_flat_array(values, switches, out_hw, accumulate):
    """Switches used as indices into the whole flattened (N, C, H, W) array (everything lands in plane 0)."""
    values = np.asarray(values, dtype=np.float64)
    h, w = _pair(out_hw)
    out = np.zeros(values.shape[0] * values.shape[1] * h * w)
    if accumulate:
        np.add.at(out, np.asarray(switches).ravel(), values.ravel())
    else:
        for value, where in zip(values.ravel(), np.asarray(switches).ravel()):
            out[where] = value
    return out.reshape(values.shape[:2] + (h, w))


def _block(y_shape, out_shape):
    """The block a student infers when no size is given: H // Ho by W // Wo."""
    return out_shape[0] // y_shape[-2], out_shape[1] // y_shape[-1]


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


# --------------------------------------------------------------------------- 05_backprop


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


# --------------------------------------------------------------------------- 06_transposed_convolution


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


# --------------------------------------------------------------------------- the table

STRIDE_IGNORED = "stride ignored"
PAD_IGNORED = "padding ignored"
PAD_ONCE = "pad applied once in total instead of on each side (pad=1 adds one row on top AND one at the bottom)"
HW_SWAPPED = "height and width swapped: the first number of a pair is for the height (rows)"
LAYER_FLIPPED = "you flipped the kernel; a conv layer computes cross-correlation, without flipping"
OFF_BY_ONE = "output size off by one: did you forget the + 1? (valid mode gives H - kh + 1 rows)"
STRIDE_DEFAULT = "stride defaults to size when it is None (non-overlapping windows), not to 1"
OVERLAP_ASSIGN = "`=` instead of `+=` where windows overlap: gradients of overlapping windows must accumulate"

VARIANTS: dict[str, list[tuple[str, Callable]]] = {
    # ----------------------------------------------------------------------- 01_local_connectivity
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
    ],
    "tie_weights": [
        ("np.tile repeats along the existing axes (F, C...); add two new leading axes first (w[None, None])",
         lambda w, out_hw: np.tile(np.asarray(w, dtype=np.float64), _pair(out_hw) + (1, 1))),
        ("axes in the wrong order: the positions come first, (Ho, Wo, F, C, kh, kw)",
         lambda w, out_hw: np.moveaxis(R.tie_weights(w, out_hw), (0, 1), (-2, -1))),
        (HW_SWAPPED, lambda w, out_hw: R.tie_weights(w, _swap(_pair(out_hw)))),
    ],
    # ----------------------------------------------------------------------- 02_padding_stride
    "conv_output_size": [
        ("no ValueError for invalid arguments: check stride >= 1, pad >= 0, dilation >= 1, and "
         "that the (dilated) kernel fits in the padded input",
         lambda n, k, stride=1, pad=0, dilation=1: _raw_out(n, k, stride, pad, dilation)),
        (OFF_BY_ONE, lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, stride, pad, dilation) - 1),
        ("you rounded up (ceil) instead of down (floor): the remainder is dropped",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n + stride - 1, k, stride, pad, dilation)),
        ("you divided with / (a float); use // so the size is an int, rounded down",
         lambda n, k, stride=1, pad=0, dilation=1: (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1),
        (f"{STRIDE_IGNORED}: the window jumps `stride` pixels, so divide the free room by the stride",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, 1, pad, dilation)),
        (PAD_ONCE, lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n + pad, k, stride, 0, dilation)),
        (f"{PAD_IGNORED}: the padded input is n + 2*pad wide",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, stride, 0, dilation)),
        ("dilation: the effective kernel is d*(k-1)+1, not d*k",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n - dilation + 1, k, stride, pad, dilation)),
        ("dilation ignored: a dilated kernel spans dilation*(k-1)+1 pixels",
         lambda n, k, stride=1, pad=0, dilation=1: R.conv_output_size(n, k, stride, pad, 1)),
    ],
    "pad2d": [
        (PAD_ONCE, lambda x, pad, value=0.0: R.pad2d(x, pad, value)[..., _pair(pad)[0]:, _pair(pad)[1]:]),
        (PAD_ONCE, lambda x, pad, value=0.0: _crop_end(R.pad2d(x, pad, value), pad)),
        (HW_SWAPPED, lambda x, pad, value=0.0: R.pad2d(x, _swap(pad), value)),
        ("value ignored: fill the border with `value`, not zeros", lambda x, pad, value=0.0: R.pad2d(x, pad)),
        ("a pair (ph, pw) pads rows by ph and columns by pw; you used the first number for both",
         lambda x, pad, value=0.0: R.pad2d(x, _pair(pad)[0], value)),
        ("a pair (ph, pw) pads rows by ph and columns by pw; you used the second number for both",
         lambda x, pad, value=0.0: R.pad2d(x, _pair(pad)[1], value)),
        ("pad only the last two axes (H and W), not N and C",
         lambda x, pad, value=0.0: np.pad(np.asarray(x, dtype=np.float64), _pair(pad)[0], constant_values=value)),
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
    # ----------------------------------------------------------------------- 03_correlation_convolution
    "flip180": [
        ("np.rot90(k, 2) rotates the FIRST two axes; rotate the last two (axes=(-2, -1))",
         lambda k: np.rot90(np.asarray(k, dtype=np.float64), 2).copy()),
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
        ("valid mode: no padding, the output is (H-kh+1, W-kw+1)",
         lambda x, k: R.cross_correlate2d(R.pad2d(x, (np.shape(k)[0] - 1, np.shape(k)[1] - 1)), k)),
    ],
    "convolve2d": [
        ("your convolution did not flip the kernel (that is cross-correlation; flip it by 180 degrees)",
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
        ("windows must start at (i*stride, j*stride), not at (i, j)",
         lambda x, w, b, stride=1, pad=0: _fit(R.conv2d(x, w, b, 1, pad), R.conv2d(x, w, b, stride, pad).shape[2:])),
        (STRIDE_IGNORED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, 1, pad)),
        (PAD_ONCE, lambda x, w, b, stride=1, pad=0: R.conv2d(_pad_end(x, pad), w, b, stride, 0)),
        (PAD_IGNORED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, stride, 0)),
        (HW_SWAPPED, lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, b, _swap(stride), _swap(pad))),
        ("bias forgotten: add b[f] to every position of feature map f",
         lambda x, w, b, stride=1, pad=0: R.conv2d(x, w, np.zeros(np.shape(b)), stride, pad)),
    ],
    # ----------------------------------------------------------------------- 04_pooling_unpooling
    "max_pool2d": [
        ("ties: the last maximum won instead of the first in row-major order (use np.argmax, "
         "and only replace on a strictly larger value)", _max_pool_last_tie),
        ("switches stored relative to the window instead of as flat indices into the H*W plane "
         "(row * W + col of the input)", _max_pool_relative),
        ("switches index each H*W plane on its own (PyTorch's return_indices), not the whole N*C*H*W array",
         _max_pool_global),
        ("height and width swapped in the switches: the flat index is row * W + col", _max_pool_row_times_h),
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
    ],
    # ----------------------------------------------------------------------- 05_backprop
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
        ("bias gradient averaged over the batch: it is the sum",
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
        ("kernel not flipped in the input gradient: dx is the FULL convolution with the 180-degree "
         "rotated kernel", _conv_back_not_flipped),
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
    # ----------------------------------------------------------------------- 06_transposed_convolution
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
        ("flip the kernel by 180 degrees before the valid convolution", _via_conv(flip=False)),
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
    ],
}
