"""Typical mistakes: the helpers and hints shared by the notebooks, and the table of all of them.

Each notebook's ``grader/course/notebooks/nbNN_topic/mistakes.py`` defines ``VARIANTS``: for each of
its graded functions a list of ``(hint, wrong_function)`` pairs. A wrong function takes exactly
the keyword arguments of the graded function and returns what a student who made that one
mistake would return. ``grader.course.verdict.variant_outcomes`` runs them on a failing call; when
several variants explain a wrong answer, the hint that explains the most failing cases of the
case set wins (``cnn_course.checks.judge_cases``; ties go to the earlier variant). A variant
that happens to agree with the right answer on a call is ignored for that call; one that raises
where the right answer does not (``out[p:-p] = x`` with ``p = 0``) names only a student's error
of the same type with the same message.

Variants are built from ``grader.course.reference`` with a twist (a flipped kernel, a dropped
argument, a crop, a swapped pair) rather than by re-implementing the operation; where the
twist lives inside a loop (``=`` instead of ``+=``, the last of tied maxima) a small private
helper does the loop. ``tests/test_catalogue.py`` checks that each variant differs from the
reference somewhere, and that the catalogue of wrong student code gets the hint meant for it.
"""
from __future__ import annotations

import numbers
from functools import lru_cache
from typing import Callable

import numpy as np

from cnn_course.pairs import pair as _pair

from . import reference as R

# --------------------------------------------------------------------------- small helpers


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


def _scatter_with_width(values, switches, out_hw, width, accumulate):
    """Each value at its switch, per (n, c) plane, the switch decoded as row s // width, column s % width
    (indices outside the plane dropped): a switch read with the wrong width."""
    values, switches = np.asarray(values, dtype=np.float64), np.asarray(switches)
    h, w = _pair(out_hw)
    out = np.zeros(values.shape[:2] + (h, w))
    rows, cols = switches // width, switches % width
    inside = (rows < h) & (cols < w)
    for index in zip(*np.nonzero(inside)):
        at = index[:2] + (rows[index], cols[index])
        out[at] = out[at] + values[index] if accumulate else values[index]
    return out


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


# --------------------------------------------------------------------------- hints used by several notebooks

STRIDE_IGNORED = "stride ignored"
PAD_IGNORED = "padding ignored"
PAD_ONCE = "pad applied once in total instead of on each side (pad=1 adds one row on top AND one at the bottom)"
HW_SWAPPED = "height and width swapped: the first number of a pair is for the height (rows)"
LAYER_FLIPPED = "you flipped the kernel; a conv layer computes cross-correlation, without flipping"
OFF_BY_ONE = "output size off by one: did you forget the + 1? (valid mode gives H - kh + 1 rows)"
STRIDE_DEFAULT = "stride defaults to size when it is None (non-overlapping windows), not to 1"
OVERLAP_ASSIGN = "`=` instead of `+=` where windows overlap: gradients of overlapping windows must accumulate"
# Mistake families: one wording in every function that can make the mistake.


def one_number_of_pair(name: str, which: str) -> str:
    """An ``(h, w)`` pair read as one number for both axes (``which``: "first" or "second")."""
    return (f"a {name} pair (h, w) means h for the rows and w for the columns; you used the {which} number "
            "for both")


#: The kernel used as it is where a rotation belongs: not rotated, or rotated twice (which undoes it).
ROTATED_NEVER_OR_TWICE = ("rotate the kernel by 180 degrees exactly once: it was used as it is (not rotated, or "
                          "rotated twice, which undoes it)")
#: A flat index into an H x W plane decoded or encoded with the height.
FLAT_INDEX_WITH_H = ("height and width swapped in a flat index: s in an H x W plane is row s // W, column s % W, "
                     "and s = row * W + col (W, the width)")
#: An output size with the + 1 inside the floor division.
ONE_INSIDE_DIVISION = ("output size: the + 1 comes after the division, (n + 2p - k) // s + 1; "
                       "(n + 2p - k + 1) // s differs whenever s > 1")


def _size_plus_one_inside(n, k, stride, pad, dilation=1):
    return (n + 2 * pad - dilation * (k - 1)) // stride


#: A flat index into the input plane made or read with the pooled map's width.
FLAT_INDEX_POOLED_WIDTH = ("a switch is a flat index into the INPUT plane: s = row * W + col with W the input's "
                           "width (x.shape[3]), not the pooled map's")
#: An operation on images applied to the batch and channel axes.
LAST_TWO_AXES = "work on the last two axes (H and W), not on N and C"


#: A gradient averaged over the batch where the samples' contributions add up.
BATCH_AVERAGED = ("averaged over the batch: a parameter's gradient is the SUM of every sample's contribution "
                  "(any 1/N of the loss is already in dout)")


# --------------------------------------------------------------------------- the table


@lru_cache(maxsize=None)
def all_variants() -> dict[str, list[tuple[str, Callable]]]:
    """Every notebook's ``VARIANTS``, merged: ``{function name: [(hint, wrong_function), ...]}``."""
    from . import notebooks

    table: dict[str, list[tuple[str, Callable]]] = {}
    for assignment in notebooks.assignments():
        module = notebooks.module(assignment, "mistakes")
        if module is not None:
            table.update(module.VARIANTS)
    return table


def variants_for(function: str) -> list[tuple[str, Callable]]:
    """The typical mistakes of one graded function (empty when it has none)."""
    return all_variants().get(function, [])
