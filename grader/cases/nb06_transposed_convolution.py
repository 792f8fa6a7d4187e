"""Test cases of notebook 06_transposed_convolution (反卷积 / 转置卷积), one case set per test cell.

Hidden sets use non-square inputs and kernels, stride pairs, padding, output_padding, several input
and output channels and batches, and kernels with k % stride != 0 (uneven overlap): every typical
mistake (overlaps assigned instead of added, output_padding ignored, crop on one side only, kernel
flipped or not, channel axes not swapped, nearest upsampling instead of zero insertion...) changes
at least one of these answers.
"""
from __future__ import annotations

import numpy as np

from grader.cases import Case, hidden, rng, visible


def _grid(*shape: int) -> np.ndarray:
    """1, 2, 3, ... in the given shape, as float64: easy to read in a failure message."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)


def _layer(g, n, c_in, c_out, h, w, kh, kw) -> dict:
    return dict(x=g.standard_normal((n, c_in, h, w)), w=g.standard_normal((c_in, c_out, kh, kw)),
                b=g.standard_normal(c_out))


# --- transposed_output_size -----------------------------------------------------------------------


@visible("transposed_output_size")
def transposed_output_size_visible() -> list[Case]:
    return [
        Case(dict(n=3, k=3), "stride 1, no padding: a 3-wide input grows to 3 + 3 - 1 = 5"),
        Case(dict(n=3, k=3, stride=2), "stride 2: (3-1)*2 + 3 = 7"),
        Case(dict(n=3, k=3, stride=2, pad=1), "stride 2, pad 1: (3-1)*2 - 2 + 3 = 5 (the 3 -> 7 -> 5 example)"),
        Case(dict(n=3, k=3, stride=2, pad=1, output_padding=1), "output_padding 1 adds one row at the end: 6"),
        Case(dict(n=4, k=4, stride=2, pad=1), "k=4, s=2, p=1 doubles the size: 8"),
        Case(dict(n=3, k=3, stride=2, output_padding=2), "output_padding 2 with stride 2: raise ValueError naming output_padding",
             names=("output_padding",)),
    ]


@hidden("transposed_output_size")
def transposed_output_size_hidden() -> list[Case]:
    g = rng(2061)
    cases = []
    for _ in range(4):
        n, k, s = int(g.integers(2, 20)), int(g.integers(1, 7)), int(g.integers(1, 5))
        p = int(g.integers(0, (k + 1) // 2 + 1))
        op = int(g.integers(0, s))
        if (n - 1) * s - 2 * p + k + op >= 1:
            cases.append(Case(dict(n=n, k=k, stride=s, pad=p, output_padding=op),
                              "random size, kernel, stride, padding and output_padding"))
    return cases + [
        Case(dict(n=7, k=4, stride=2, pad=1), "a DCGAN-style layer doubling the size"),
        Case(dict(n=5, k=5, stride=3, pad=2, output_padding=2), "stride 3 with the largest allowed output_padding"),
        Case(dict(n=1, k=3, stride=4), "a single input value: the output is just the kernel"),
        Case(dict(n=6, k=1, stride=2), "1x1 kernel, stride 2: gaps between the copies"),
        Case(dict(n=4, k=3, stride=2, output_padding=1), "output_padding without padding"),
        Case(dict(n=3, k=3, stride=1, output_padding=1), "output_padding 1 with stride 1: raise ValueError naming output_padding",
             names=("output_padding",)),
        Case(dict(n=3, k=3, stride=2, output_padding=-1), "negative output_padding: raise ValueError naming output_padding",
             names=("output_padding",)),
        Case(dict(n=3, k=3, stride=0), "stride 0: raise ValueError naming stride", names=("stride",)),
        Case(dict(n=3, k=3, pad=-1), "negative pad: raise ValueError naming pad", names=("pad",)),
        Case(dict(n=2, k=2, stride=1, pad=2), "a pad larger than the output itself: raise ValueError naming pad",
             names=("pad",)),
    ]


# --- dilate2d -------------------------------------------------------------------------------------


@visible("dilate2d")
def dilate2d_visible() -> list[Case]:
    return [
        Case(dict(x=_grid(2, 2), stride=2), "2x2 with stride 2: one zero between neighbours -> 3x3"),
        Case(dict(x=_grid(3, 3), stride=2), "3x3 with stride 2 -> 5x5 (the first step of the 3 -> 7 -> 5 example)"),
        Case(dict(x=_grid(2, 3), stride=(3, 2)), "a (3, 2) pair: two zeros between rows, one between columns"),
        Case(dict(x=_grid(2, 2), stride=1), "stride 1 inserts nothing (an equal, new array)"),
    ]


@hidden("dilate2d")
def dilate2d_hidden() -> list[Case]:
    g = rng(2062)
    return [
        Case(dict(x=g.standard_normal((2, 3, 3, 4)), stride=2), "a 4-D batch: only the last two axes are dilated"),
        Case(dict(x=g.standard_normal((1, 2, 4, 2)), stride=(1, 3)), "4-D, stride (1, 3): columns only"),
        Case(dict(x=g.standard_normal((3, 5)), stride=(2, 1)), "2-D, stride (2, 1): rows only"),
        Case(dict(x=g.standard_normal((4, 3)), stride=4), "stride 4: three zeros between neighbours"),
        Case(dict(x=g.standard_normal((1, 6)), stride=2), "a single row"),
        Case(dict(x=g.standard_normal((1, 1, 1, 1)), stride=3), "a single value: nothing to insert between"),
    ]


# --- conv_transpose2d and conv_transpose2d_via_conv -----------------------------------------------


def _transposed_visible() -> list[Case]:
    # One kernel of ones (the overlaps read as counts); the others 1..9, so a flipped kernel shows in most checks.
    ones = dict(x=_grid(1, 1, 2, 2), w=np.ones((1, 1, 3, 3)), b=np.zeros(1))
    one = dict(x=_grid(1, 1, 2, 2), w=_grid(1, 1, 3, 3), b=np.zeros(1))
    return [
        Case(dict(ones), "2x2 input, 3x3 kernel of ones, stride 1: overlapping copies add up -> 4x4"),
        Case(dict(one), "2x2 input, 3x3 kernel 1..9, stride 1: each input value stamps the kernel as it is -> 4x4"),
        Case(dict(one, stride=2), "stride 2, kernel 1..9: the copies overlap on one row and one column -> 5x5"),
        Case(dict(one, stride=2, pad=1), "stride 2, pad 1: one row/column cut from each side -> 3x3"),
        Case(dict(one, stride=2, pad=1, output_padding=1), "output_padding 1: one more row and column -> 4x4"),
        Case(dict(x=_grid(1, 2, 2, 2), w=_grid(2, 3, 2, 2) / 10, b=np.array([1.0, -1.0, 0.5])),
             "2 input channels, 3 output channels, bias added"),
        Case(dict(x=_grid(1, 1, 2, 3), w=_grid(1, 1, 3, 2) / 10, b=np.zeros(1), stride=(2, 1)),
             "non-square: a 2x3 input, a 3x2 kernel, stride (2, 1) -> 5x4 (rows and columns kept apart)"),
    ]


def _transposed_hidden(seed: int) -> list[Case]:
    g = rng(seed)
    return [
        Case(dict(_layer(g, 2, 3, 2, 3, 4, 3, 3), stride=2, pad=1), "batch of 2, 3 -> 2 channels, stride 2, pad 1"),
        Case(dict(_layer(g, 1, 2, 3, 4, 3, 3, 2), stride=(2, 1), pad=(1, 0), output_padding=(1, 0)),
             "non-square input and kernel, stride (2, 1), pad (1, 0), output_padding (1, 0)"),
        Case(dict(_layer(g, 2, 2, 2, 3, 3, 4, 4), stride=2, pad=1), "k=4, stride 2: even overlap, size doubles"),
        Case(dict(_layer(g, 1, 1, 2, 2, 3, 2, 3), stride=3, output_padding=2),
             "stride 3 larger than the kernel: no overlap, output_padding 2"),
        Case(dict(_layer(g, 3, 2, 1, 4, 4, 3, 3)), "stride 1, no padding: a full convolution"),
        Case(dict(_layer(g, 1, 3, 3, 3, 5, 5, 3), stride=(1, 2), pad=(2, 1), output_padding=(0, 1)),
             "stride (1, 2), pad (2, 1), output_padding (0, 1)"),
        Case(dict(_layer(g, 2, 1, 1, 3, 3, 3, 3), stride=2, pad=1, output_padding=1),
             "one channel, k=3, stride 2, pad 1, output_padding 1 (doubles 3 -> 6)"),
        Case(dict(_layer(g, 1, 1, 1, 4, 4, 2, 2), stride=2, pad=2),
             "pad 2 larger than k-1 = 1 (k=2, stride 2): the dilated input is cropped by p-(k-1), not padded -> 4x4"),
    ]


@visible("conv_transpose2d")
def conv_transpose2d_visible() -> list[Case]:
    return _transposed_visible()


@hidden("conv_transpose2d")
def conv_transpose2d_hidden() -> list[Case]:
    return _transposed_hidden(2063)


@visible("conv_transpose2d_via_conv")
def conv_transpose2d_via_conv_visible() -> list[Case]:
    return _transposed_visible()


@hidden("conv_transpose2d_via_conv")
def conv_transpose2d_via_conv_hidden() -> list[Case]:
    return _transposed_hidden(2064)


# --- overlap_count --------------------------------------------------------------------------------


@visible("overlap_count")
def overlap_count_visible() -> list[Case]:
    return [
        Case(dict(n=3, k=3, stride=2), "k=3, stride 2: every other position is reached twice (the checkerboard)"),
        Case(dict(n=3, k=4, stride=2), "k=4, stride 2: k divisible by the stride, even overlap inside"),
        Case(dict(n=3, k=2, stride=3), "stride larger than the kernel: gaps reached by no tap"),
        Case(dict(n=4, k=3, stride=1), "stride 1: the counts ramp up to k and down again"),
    ]


@hidden("overlap_count")
def overlap_count_hidden() -> list[Case]:
    return [
        Case(dict(n=5, k=5, stride=2), "k=5, stride 2"),
        Case(dict(n=6, k=5, stride=3), "k=5, stride 3: uneven overlap"),
        Case(dict(n=4, k=6, stride=3), "k=6, stride 3: k divisible by the stride"),
        Case(dict(n=2, k=7, stride=2), "a long kernel over two inputs"),
        Case(dict(n=7, k=1, stride=2), "1-tap kernel: ones and gaps"),
        Case(dict(n=1, k=3, stride=4), "one input: each tap once"),
        Case(dict(n=5, k=3, stride=3), "k equal to the stride: each position exactly once"),
    ]
