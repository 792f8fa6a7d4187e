"""Test cases of notebook 04_pooling_unpooling (池化与上池化), one case set per test cell.

Visible sets are small and readable (the notebook prints their inputs): the 4x4 map of the
lesson, a window with tied maxima, a non-square map, overlapping windows, a batch with
several channels. Hidden sets add what weaker courses never try: windows and maps that are
not square, strides different from the window (overlaps and gaps), ``stride=None`` spelled
out, ties everywhere (constant windows, repeated maxima, small-integer maps), batches with
N > 1 and C > 1, rows and columns left over (dropped), unpooling into an output larger than
the pooled extent, and ``(h, w)`` scale pairs. Validation is not graded here (the course
spec grades it only in conv_output_size, same_padding and transposed_output_size), so there
are no invalid-argument cases.
"""
from __future__ import annotations

import numpy as np

from cnn_course.pairs import pair as _pair
from grader.cases import Case, hidden, rng, visible

#: The 4x4 feature map of the lesson (no ties): 2x2 windows, stride 2 give [[6, 8], [3, 4]].
LESSON_MAP = np.array([[1, 1, 2, 4],
                       [5, 6, 7, 8],
                       [3, 2, 1, 0],
                       [1, 2, 3, 4]], dtype=np.float64)

#: Two 2x2 windows with tied maxima: 3 at (0,0) and (1,0); a constant window of 2s.
TIES_MAP = np.array([[3, 1, 2, 2],
                     [3, 0, 2, 2]], dtype=np.float64)

#: A 4x6 map: a column index and a row index of its switches must not be confused.
WIDE_MAP = np.array([[0, 9, 2, 1, 4, 3],
                     [5, 1, 8, 7, 0, 2],
                     [6, 3, 1, 2, 9, 5],
                     [2, 7, 4, 0, 1, 8]], dtype=np.float64)

#: A 3x3 map whose maximum sits in the centre: every 2x2 window at stride 1 picks it.
PEAK_MAP = np.array([[1, 2, 1],
                     [3, 9, 0],
                     [2, 4, 5]], dtype=np.float64)


def _nchw(plane: np.ndarray) -> np.ndarray:
    """One (H, W) plane as a (1, 1, H, W) batch."""
    return plane[None, None].copy()


def _grid(*shape: int) -> np.ndarray:
    """1, 2, 3, ... in the given shape, as float64: easy to read in a failure message."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)


def _small_ints(g: np.random.Generator, shape: tuple[int, ...], high: int = 3) -> np.ndarray:
    """Random integers 0 .. high-1 as floats: many windows hold tied maxima."""
    return g.integers(0, high, size=shape).astype(np.float64)


def _pool(x: np.ndarray, size, stride=None) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling with switches, written out (first maximum in row-major order), to build unpooling inputs."""
    kh, kw = _pair(size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    n, c, h, w = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.zeros((n, c, ho, wo))
    switches = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(n, c, kh * kw)
            local = window.argmax(axis=-1)              # np.argmax: the first maximum
            y[:, :, i, j] = window.max(axis=-1)
            switches[:, :, i, j] = (i * sh + local // kw) * w + (j * sw + local % kw)
    return y, switches


def _unpool_case(x: np.ndarray, size, stride=None, output_size=None) -> dict:
    y, switches = _pool(x, size, stride)
    return dict(y=y, switches=switches, output_size=tuple(output_size or x.shape[2:]))


# --- max_pool2d ----------------------------------------------------------------------------------


@visible("max_pool2d")
def max_pool2d_visible() -> list[Case]:
    return [
        Case(dict(x=_nchw(LESSON_MAP), size=2), "the lesson's 4x4 map, 2x2 windows, stride None (= 2) -> 2x2"),
        Case(dict(x=_nchw(TIES_MAP), size=2), "ties: 3 twice in the first window, a window of 2s: the first maximum wins"),
        Case(dict(x=_nchw(WIDE_MAP), size=2), "a 4x6 map: switches are row * W + col with W = 6"),
        Case(dict(x=_nchw(WIDE_MAP), size=(2, 3)), "a 2x3 window (height 2, width 3) on the 4x6 map -> 2x2"),
        Case(dict(x=_nchw(PEAK_MAP), size=2, stride=1), "overlapping windows (stride 1 < size 2): all four share the 9"),
        Case(dict(x=_grid(2, 2, 2, 4), size=2), "a batch of 2 images with 2 channels: each 2x4 plane on its own"),
        Case(dict(x=_nchw(_grid(5, 5)), size=2), "a 5x5 map with 2x2 windows: the last row and column are dropped"),
    ]


@hidden("max_pool2d")
def max_pool2d_hidden() -> list[Case]:
    g = rng(4041)
    return [
        Case(dict(x=g.standard_normal((2, 3, 8, 10)), size=2), "random batch, N = 2, C = 3, 2x2 windows, stride None"),
        Case(dict(x=g.standard_normal((2, 2, 9, 7)), size=3, stride=2),
             "overlapping 3x3 windows at stride 2 on a 9x7 map (a column left over)"),
        Case(dict(x=g.standard_normal((1, 3, 6, 9)), size=(2, 3)), "non-square 2x3 windows, stride None"),
        Case(dict(x=g.standard_normal((3, 1, 7, 8)), size=(3, 2), stride=(2, 3)),
             "non-square window (3, 2) with stride (2, 3): overlap down, a gap across"),
        Case(dict(x=g.standard_normal((2, 2, 8, 7)), size=2, stride=3), "stride 3 > size 2: gaps between windows"),
        Case(dict(x=g.standard_normal((1, 2, 5, 6)), size=3, stride=(2, 1)), "stride (2, 1): overlap along both axes"),
        Case(dict(x=g.standard_normal((2, 1, 6, 5)), size=2, stride=None), "stride=None passed explicitly"),
        Case(dict(x=_small_ints(g, (2, 3, 6, 8)), size=2), "ties everywhere: values 0, 1, 2 only"),
        Case(dict(x=_small_ints(g, (2, 2, 7, 6)), size=3, stride=1), "ties in overlapping 3x3 windows at stride 1"),
        Case(dict(x=_small_ints(g, (1, 2, 6, 9), high=2), size=(3, 2), stride=(1, 2)),
             "ties with a (3, 2) window and stride (1, 2)"),
        Case(dict(x=np.zeros((2, 2, 4, 6)), size=2), "a constant map: every window ties, the first position wins"),
        Case(dict(x=np.full((1, 3, 5, 7), -1.5), size=(2, 3), stride=(1, 2)), "a constant negative map, overlapping windows"),
        Case(dict(x=np.tile(np.array([[4.0, 4.0, 1.0], [4.0, 2.0, 4.0]]), (2, 2, 2, 3)), size=(2, 3), stride=(2, 2)),
             "repeated maxima: 4 appears three times in every window"),
        Case(dict(x=-np.abs(g.standard_normal((2, 2, 6, 6))) - 1, size=2), "every value negative"),
        Case(dict(x=g.standard_normal((2, 3, 7, 9)), size=(7, 9)), "one window as large as the map -> 1x1"),
        Case(dict(x=g.standard_normal((1, 2, 3, 5)), size=1), "1x1 windows: every value is its own maximum"),
        Case(dict(x=g.standard_normal((4, 2, 11, 13)), size=(4, 5), stride=(3, 4)),
             "a larger batch, odd sizes, remainders dropped along both axes"),
    ]


# --- mean_pool2d ---------------------------------------------------------------------------------


@visible("mean_pool2d")
def mean_pool2d_visible() -> list[Case]:
    return [
        Case(dict(x=_nchw(LESSON_MAP), size=2), "the lesson's 4x4 map, 2x2 windows -> 2x2 of means"),
        Case(dict(x=_nchw(WIDE_MAP), size=(2, 3)), "a 2x3 window (height 2, width 3) on the 4x6 map"),
        Case(dict(x=_nchw(PEAK_MAP), size=2, stride=1), "overlapping windows, stride 1 -> 2x2"),
        Case(dict(x=_nchw(_grid(7, 6)), size=3), "3x3 windows, stride None (= 3), on a 7x6 map: a row left over"),
        Case(dict(x=_grid(2, 3, 2, 4), size=2), "a batch of 2 images with 3 channels: each plane on its own"),
    ]


@hidden("mean_pool2d")
def mean_pool2d_hidden() -> list[Case]:
    g = rng(4042)
    return [
        Case(dict(x=g.standard_normal((2, 3, 8, 10)), size=2), "random batch, N = 2, C = 3, 2x2 windows"),
        Case(dict(x=g.standard_normal((2, 2, 9, 7)), size=3, stride=2), "overlapping 3x3 windows at stride 2"),
        Case(dict(x=g.standard_normal((1, 3, 6, 9)), size=(2, 3)), "non-square 2x3 windows, stride None"),
        Case(dict(x=g.standard_normal((3, 1, 7, 8)), size=(3, 2), stride=(2, 3)), "window (3, 2), stride (2, 3)"),
        Case(dict(x=g.standard_normal((2, 2, 8, 7)), size=2, stride=3), "stride 3 > size 2: gaps between windows"),
        Case(dict(x=g.standard_normal((1, 2, 5, 6)), size=3, stride=(2, 1)), "stride (2, 1)"),
        Case(dict(x=g.standard_normal((2, 1, 6, 5)), size=2, stride=None), "stride=None passed explicitly"),
        Case(dict(x=g.standard_normal((2, 3, 7, 9)), size=(7, 9)), "one window as large as the map: the mean of each plane"),
        Case(dict(x=g.standard_normal((1, 2, 3, 5)), size=1), "1x1 windows: the map itself"),
        Case(dict(x=g.standard_normal((4, 2, 11, 13)), size=(4, 5), stride=(3, 4)),
             "a larger batch, odd sizes, remainders dropped along both axes"),
    ]


# --- max_unpool2d --------------------------------------------------------------------------------


@visible("max_unpool2d")
def max_unpool2d_visible() -> list[Case]:
    return [
        Case(_unpool_case(_nchw(LESSON_MAP), 2), "unpool the lesson's 2x2 result back to 4x4: zeros except at the maxima"),
        Case(_unpool_case(_nchw(WIDE_MAP), 2), "unpool to a 4x6 map: a switch s is row s // 6, column s % 6"),
        Case(_unpool_case(_nchw(_grid(5, 5)), 2), "pooled from 5x5 (last row and column dropped): unpool to 5x5"),
        Case(_unpool_case(_nchw(PEAK_MAP), 2, 1), "overlapping windows: all four values go to the same place, 9 (not 36)"),
        Case(_unpool_case(_grid(2, 2, 2, 4), 2), "a batch of 2 images with 2 channels: each plane on its own"),
    ]


@hidden("max_unpool2d")
def max_unpool2d_hidden() -> list[Case]:
    g = rng(4043)
    return [
        Case(_unpool_case(g.standard_normal((2, 3, 8, 10)), 2), "random batch, N = 2, C = 3, 2x2 windows"),
        Case(_unpool_case(g.standard_normal((1, 3, 6, 9)), (2, 3)), "non-square 2x3 windows, non-square map"),
        Case(_unpool_case(g.standard_normal((2, 2, 9, 7)), 3, 2), "overlapping 3x3 windows at stride 2, odd sizes"),
        Case(_unpool_case(g.standard_normal((3, 1, 7, 8)), (3, 2), (2, 3)), "window (3, 2), stride (2, 3)"),
        Case(_unpool_case(g.standard_normal((2, 2, 8, 7)), 2, 3), "stride 3 > size 2: gaps between windows"),
        Case(_unpool_case(_small_ints(g, (2, 2, 7, 6)), 3, 1), "ties and overlapping windows: shared switches"),
        Case(_unpool_case(_small_ints(g, (2, 3, 6, 8)), 2), "ties: values 0, 1, 2 only"),
        Case(_unpool_case(np.zeros((2, 2, 4, 6)), 2), "a constant map"),
        Case(_unpool_case(g.standard_normal((2, 2, 7, 9)), 2), "pooled from 7x9: the last row and column stay zero"),
        Case(_unpool_case(g.standard_normal((1, 2, 6, 6)), 2, output_size=(7, 9)),
             "output_size (7, 9) larger than the pooled 6x6 extent"),
        Case(_unpool_case(g.standard_normal((2, 3, 11, 13)), (4, 5), (3, 4)),
             "a larger batch, odd sizes, remainders dropped along both axes"),
        Case(_unpool_case(np.tile(np.array([[1.0, 5.0], [5.0, 2.0]]), (2, 1, 3, 3)), 3, 1),
             "repeated maxima in overlapping windows: each value lands once"),
    ]


# --- upsample_nearest ----------------------------------------------------------------------------


@visible("upsample_nearest")
def upsample_nearest_visible() -> list[Case]:
    return [
        Case(dict(y=np.array([[6.0, 8.0], [3.0, 4.0]])), "the lesson's pooled 2x2, scale 2 -> 4x4 of 2x2 blocks"),
        Case(dict(y=_grid(2, 3), scale=3), "a 2x3 map, scale 3 -> 6x9"),
        Case(dict(y=_grid(2, 2), scale=(2, 3)), "scale (2, 3): rows doubled, columns tripled -> 4x6"),
        Case(dict(y=_grid(2, 2, 2, 3)), "a 4-D batch (N, C, H, W): only the last two axes grow"),
        Case(dict(y=_grid(2, 3), scale=1), "scale 1: an equal (new) array"),
    ]


@hidden("upsample_nearest")
def upsample_nearest_hidden() -> list[Case]:
    g = rng(4044)
    return [
        Case(dict(y=g.standard_normal((2, 3, 3, 4))), "random 4-D batch, N = 2, C = 3, scale 2"),
        Case(dict(y=g.standard_normal((3, 5)), scale=4), "a 3x5 map, scale 4"),
        Case(dict(y=g.standard_normal((2, 2, 3, 2)), scale=(2, 3)), "4-D, scale (2, 3)"),
        Case(dict(y=g.standard_normal((1, 3, 2, 5)), scale=(3, 1)), "scale (3, 1): rows only"),
        Case(dict(y=g.standard_normal((4, 3)), scale=(1, 2)), "scale (1, 2): columns only"),
        Case(dict(y=g.standard_normal((3, 1, 4, 3)), scale=(4, 2)), "4-D, scale (4, 2)"),
        Case(dict(y=g.standard_normal((1, 7)), scale=3), "a single-row map"),
        Case(dict(y=g.standard_normal((2, 2, 1, 1)), scale=(2, 5)), "1x1 planes become 2x5 blocks"),
        Case(dict(y=g.standard_normal((2, 3, 2, 2)), scale=1), "scale 1 on a 4-D batch: an equal, new array"),
    ]
