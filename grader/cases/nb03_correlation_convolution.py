"""Test cases of notebook 03_correlation_convolution (互相关与卷积), one case set per test cell.

Visible sets are small and readable: integer grids and kernels with a single 1 in a corner,
so that a missing, a double or a half flip shows at a glance. Hidden sets use random
non-square inputs and kernels that are NOT symmetric (a symmetric kernel hides every flip
mistake), 1xk and kx1 kernels, kernels as large as the input, 4-D weights for ``flip180``,
and for ``conv2d`` batches with N, C and F > 1, non-square stride and pad pairs whose two
numbers differ (an H/W swap shows), remainders that are dropped, strides larger than the
kernel and 1x1 convolutions. Invalid arguments are not graded here (the contract grades
validation only in notebook 02 and 06).
"""
from __future__ import annotations

import numpy as np

from grader.cases import Case, hidden, rng, visible


def _grid(*shape: int) -> np.ndarray:
    """1, 2, 3, ... in the given shape, as float64: easy to read in a failure message."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)


def _a(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


def _conv(g: np.random.Generator, N: int, C: int, H: int, W: int, F: int, k, **options) -> dict:
    kh, kw = (k, k) if isinstance(k, int) else k
    return dict(x=g.standard_normal((N, C, H, W)), w=g.standard_normal((F, C, kh, kw)),
                b=g.standard_normal(F), **options)


# --- flip180 --------------------------------------------------------------------------------------


@visible("flip180")
def flip180_visible() -> list[Case]:
    return [
        Case(dict(k=_grid(3, 3)), "3x3 kernel 1..9: the 9 moves to the top-left corner, the 1 to the bottom-right"),
        Case(dict(k=_grid(2, 3)), "2x3 kernel: the shape stays (2, 3) (a transpose or a 90-degree turn would not)"),
        Case(dict(k=_a([[1, 0, 0], [0, 0, 0]])), "a single 1 in the top-left corner moves to the bottom-right"),
        Case(dict(k=_grid(1, 4)), "1x4 kernel: only the left-right order changes"),
        Case(dict(k=_grid(2, 2, 2, 3)), "4-D weights (F=2, C=2, 2, 3): every 2x3 kernel is rotated, filters and channels stay in place"),
    ]


@hidden("flip180")
def flip180_hidden() -> list[Case]:
    g = rng(3031)
    return [
        Case(dict(k=g.standard_normal((3, 5))), "random non-square 2-D kernel"),
        Case(dict(k=g.standard_normal((4, 2))), "random tall 2-D kernel"),
        Case(dict(k=g.standard_normal((5, 1))), "a 5x1 column kernel"),
        Case(dict(k=g.standard_normal((1, 1))), "a 1x1 kernel stays itself"),
        Case(dict(k=g.standard_normal((3, 2, 3, 3))), "random 4-D weights (F=3, C=2, 3, 3)"),
        Case(dict(k=g.standard_normal((2, 4, 2, 5))), "random 4-D weights with non-square kernels (2x5)"),
        Case(dict(k=g.standard_normal((4, 3, 1, 3))), "4-D weights with 1x3 kernels: only the last axis reverses"),
        Case(dict(k=g.standard_normal((2, 2, 4, 1))), "4-D weights with 4x1 kernels"),
    ]


# --- cross_correlate2d ----------------------------------------------------------------------------


@visible("cross_correlate2d")
def cross_correlate2d_visible() -> list[Case]:
    return [
        Case(dict(x=_grid(3, 4), k=_a([[1, 0], [0, 0]])),
             "a single 1 in the kernel's top-left corner copies each window's top-left pixel: y = x[0:2, 0:3]"),
        Case(dict(x=_grid(4, 4), k=_a([[1, 2], [3, 4]])), "4x4 input, a 2x2 kernel with no symmetry -> 3x3"),
        Case(dict(x=_grid(4, 5), k=_a([[1, 0, -1], [2, 0, -2]])), "non-square: 4x5 input, 2x3 kernel -> 3x3"),
        Case(dict(x=_grid(2, 5), k=_a([[1, -1]])), "a 1x2 difference kernel: y[i, j] = x[i, j] - x[i, j+1]"),
        Case(dict(x=_grid(3, 3), k=_a([[0, 1, 0], [1, -4, 1], [0, 1, 0]])),
             "kernel as large as the input (a symmetric one): a single output value"),
    ]


@hidden("cross_correlate2d")
def cross_correlate2d_hidden() -> list[Case]:
    g = rng(3032)
    return [
        Case(dict(x=g.standard_normal((5, 7)), k=g.standard_normal((3, 2))), "random 5x7 input, 3x2 kernel"),
        Case(dict(x=g.standard_normal((8, 6)), k=g.standard_normal((2, 4))), "random 8x6 input, 2x4 kernel"),
        Case(dict(x=g.standard_normal((4, 9)), k=g.standard_normal((1, 3))), "a 1x3 row kernel"),
        Case(dict(x=g.standard_normal((7, 3)), k=g.standard_normal((4, 1))), "a 4x1 column kernel"),
        Case(dict(x=g.standard_normal((3, 5)), k=g.standard_normal((3, 5))), "kernel exactly as large as the input -> 1x1"),
        Case(dict(x=g.standard_normal((6, 4)), k=g.standard_normal((6, 2))), "kernel as tall as the input -> one row"),
        Case(dict(x=g.standard_normal((4, 6)), k=g.standard_normal((1, 1))), "a 1x1 kernel scales the input"),
        Case(dict(x=g.standard_normal((1, 8)), k=g.standard_normal((1, 3))), "a single-row input"),
        Case(dict(x=g.standard_normal((11, 9)), k=g.standard_normal((5, 3))), "a larger input and a 5x3 kernel"),
        Case(dict(x=g.standard_normal((6, 6)), k=_a([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])),
             "a Sobel kernel (symmetric left-right, not up-down)"),
    ]


# --- convolve2d -----------------------------------------------------------------------------------


@visible("convolve2d")
def convolve2d_visible() -> list[Case]:
    return [
        Case(dict(x=_grid(3, 4), k=_a([[1, 0], [0, 0]])),
             "a single 1 top-left: rotated it sits bottom-right, so y = x[1:3, 1:4]"),
        Case(dict(x=_grid(4, 4), k=_a([[1, 2], [3, 4]])), "4x4 input, a 2x2 kernel with no symmetry -> 3x3"),
        Case(dict(x=_grid(4, 5), k=_a([[1, 0, -1], [2, 0, -2]])), "non-square: 4x5 input, 2x3 kernel -> 3x3"),
        Case(dict(x=_grid(2, 5), k=_a([[1, -1]])), "a 1x2 difference kernel: y[i, j] = x[i, j+1] - x[i, j]"),
        Case(dict(x=_grid(3, 3), k=_a([[0, 1, 0], [1, -4, 1], [0, 1, 0]])),
             "a symmetric kernel: convolution and cross-correlation agree"),
    ]


@hidden("convolve2d")
def convolve2d_hidden() -> list[Case]:
    g = rng(3033)
    return [
        Case(dict(x=g.standard_normal((6, 5)), k=g.standard_normal((2, 3))), "random 6x5 input, 2x3 kernel"),
        Case(dict(x=g.standard_normal((5, 8)), k=g.standard_normal((3, 3))), "random 5x8 input, 3x3 kernel"),
        Case(dict(x=g.standard_normal((7, 7)), k=g.standard_normal((4, 2))), "random 7x7 input, 4x2 kernel"),
        Case(dict(x=g.standard_normal((3, 8)), k=g.standard_normal((1, 4))), "a 1x4 row kernel"),
        Case(dict(x=g.standard_normal((8, 2)), k=g.standard_normal((3, 1))), "a 3x1 column kernel"),
        Case(dict(x=g.standard_normal((4, 3)), k=g.standard_normal((4, 3))), "kernel exactly as large as the input -> 1x1"),
        Case(dict(x=g.standard_normal((5, 9)), k=g.standard_normal((2, 9))), "kernel as wide as the input -> one column"),
        Case(dict(x=g.standard_normal((10, 12)), k=g.standard_normal((3, 5))), "a larger input and a 3x5 kernel"),
        Case(dict(x=g.standard_normal((6, 7)), k=_a([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])),
             "the emboss kernel (symmetric about its anti-diagonal only)"),
        Case(dict(x=g.standard_normal((5, 5)), k=_a([[1, 0, -1], [2, 0, -2], [1, 0, -1]])),
             "a Sobel kernel (symmetric up-down, not left-right)"),
    ]


# --- conv2d ---------------------------------------------------------------------------------------


@visible("conv2d")
def conv2d_visible() -> list[Case]:
    one = _a([[[[1, 0], [0, -1]]]])                                    # (F=1, C=1, 2, 2)
    return [
        Case(dict(x=_grid(1, 1, 3, 4), w=one, b=_a([0.5])),
             "one image, one channel, one 2x2 filter: cross-correlation (no flip) plus the bias 0.5"),
        Case(dict(x=_grid(1, 2, 3, 3), w=_a([[[[1, 0], [0, 0]], [[0, 0], [0, 1]]]]), b=_a([0])),
             "two input channels: the one filter reads both and adds them into one map"),
        Case(dict(x=_grid(1, 1, 3, 3), w=_a([[[[1, 0], [0, 0]]], [[[0, 0], [0, 1]]], [[[1, 1], [1, 1]]]]),
                  b=_a([10, 20, 30])),
             "three filters -> three feature maps, each with its own bias"),
        Case(dict(x=_grid(2, 1, 5, 5), w=_a([[[[1, 0, 0], [0, 1, 0], [0, 0, 2]]]]), b=_a([0]), stride=2),
             "a batch of two 5x5 images, 3x3 filter, stride 2 -> 2x2 maps"),
        Case(dict(x=_grid(1, 1, 3, 3), w=_a([[[[0, 0, 0], [0, 1, 0], [0, 0, 2]]]]), b=_a([0]), pad=1),
             "pad 1 on each side: a 3x3 filter keeps the 3x3 size"),
        Case(dict(x=_grid(1, 1, 6, 6), w=_a([[[[1, 2, 0], [0, 0, 0], [0, 0, -1]]]]), b=_a([1]), stride=2),
             "6x6, 3x3 filter, stride 2: (6-3)/2 leaves a remainder, dropped -> 2x2"),
        Case(dict(x=_grid(1, 2, 4, 5), w=_a(np.arange(16).reshape(2, 2, 2, 2) % 3 - 1), b=_a([1, -1]),
                  stride=(2, 1), pad=(1, 0)),
             "pairs: stride (2, 1) and pad (1, 0), the first number is for the rows"),
    ]


@hidden("conv2d")
def conv2d_hidden() -> list[Case]:
    g = rng(3034)
    return [
        Case(_conv(g, 2, 3, 5, 7, 4, 3), "random batch: N=2, C=3, 5x7 images, F=4 filters of 3x3"),
        Case(_conv(g, 3, 2, 7, 6, 2, (2, 3), stride=2, pad=1), "N=3, C=2, 2x3 filters, stride 2, pad 1"),
        Case(_conv(g, 2, 3, 6, 8, 3, (3, 2), stride=(1, 2), pad=(2, 0)), "stride (1, 2) and pad (2, 0)"),
        Case(_conv(g, 2, 2, 9, 7, 3, 3, stride=(3, 2), pad=(0, 1)), "stride (3, 2), pad (0, 1), remainders dropped"),
        Case(_conv(g, 1, 4, 8, 5, 2, (1, 3), stride=(2, 1), pad=(1, 2)), "1x3 filters, stride (2, 1), pad (1, 2)"),
        Case(_conv(g, 2, 3, 4, 5, 5, 1), "1x1 filters: each output mixes the channels of one pixel"),
        Case(_conv(g, 2, 2, 3, 4, 3, (5, 6), pad=1), "filter as large as the padded input -> 1x1 maps"),
        Case(_conv(g, 2, 1, 7, 7, 2, 2, stride=3), "stride 3 larger than the 2x2 filter: gaps between windows"),
        Case(_conv(g, 1, 3, 5, 4, 2, (3, 1), pad=(0, 2)), "3x1 filters, pad (0, 2): only columns padded"),
        Case(_conv(g, 3, 3, 6, 6, 2, 3, stride=2, pad=2), "pad 2 at stride 2 (one-sided padding would show)"),
        Case(_conv(g, 2, 5, 4, 6, 1, (2, 4), stride=(1, 2)), "one filter over five channels (one map)"),
    ]
