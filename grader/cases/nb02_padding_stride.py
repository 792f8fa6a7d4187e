"""Test cases of notebook 02_padding_stride (填充与步幅), one case set per test cell.

Visible sets are small and readable (students see the calls); hidden sets add random
sizes and the edge cases weaker courses never try: a stride that does not divide
``n + 2p - k`` (the remainder is dropped), dilation, non-square pads, 4-D batches with
``H != W``, a pad value other than zero, invalid arguments (the reference raises
``ValueError``, so the student's function must raise too), deep stacks.
"""
from __future__ import annotations

import numpy as np

from grader.cases import Case, hidden, rng, visible


def _grid(*shape: int) -> np.ndarray:
    """1, 2, 3, ... in the given shape, as float64: easy to read in a failure message."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)


# --- conv_output_size -----------------------------------------------------------------------------


@visible("conv_output_size")
def conv_output_size_visible() -> list[Case]:
    return [
        Case(dict(n=5, k=3), "5x5 input, 3x3 filter, stride 1 -> 3"),
        Case(dict(n=5, k=3, stride=2), "5x5 input, 3x3 filter, stride 2 -> 2"),
        Case(dict(n=5, k=3, pad=1), "pad 1 on each side keeps a 5x5 map at 5 (same padding)"),
        Case(dict(n=5, k=3, pad=2), "pad 2 on each side grows it: 5 + 2*2 - 3 + 1 = 7"),
        Case(dict(n=6, k=3, stride=2), "(6 - 3) / 2 = 1.5: the remainder is dropped -> 2"),
        Case(dict(n=7, k=3, stride=3), "(7 - 3) / 3 = 1.33: rounded down, never up -> 2"),
        Case(dict(n=7, k=3, dilation=2), "dilation 2 spreads a 3-tap kernel over 5 pixels -> 3"),
        Case(dict(n=10, k=3, dilation=3), "dilation 3 spreads it over 3*(3-1)+1 = 7 pixels -> 4"),
        Case(dict(n=5, k=3, stride=0), "stride 0 is invalid: raise ValueError naming stride", names=("stride",)),
        Case(dict(n=2, k=3), "a 3x3 kernel does not fit in a 2x2 input: raise ValueError"),
    ]


@hidden("conv_output_size")
def conv_output_size_hidden() -> list[Case]:
    g = rng(2021)
    cases = []
    while len(cases) < 4:  # random valid sizes, with a remainder to drop
        n, k = int(g.integers(6, 60)), int(g.integers(2, 8))
        s, p, d = int(g.integers(2, 5)), int(g.integers(0, 4)), int(g.integers(1, 4))
        span = d * (k - 1) + 1
        if span <= n + 2 * p and (n + 2 * p - span) % s:
            cases.append(Case(dict(n=n, k=k, stride=s, pad=p, dilation=d),
                              "random size, stride, padding and dilation (remainder dropped)"))
    return cases + [
        Case(dict(n=227, k=11, stride=4), "AlexNet conv1: 227, 11x11, stride 4 -> 55"),
        Case(dict(n=224, k=7, stride=2, pad=3), "ResNet stem: 224, 7x7, stride 2, pad 3 -> 112"),
        Case(dict(n=11, k=3, stride=3), "(11 - 3) / 3 = 2.67: floor, not round or ceil"),
        Case(dict(n=10, k=3, stride=3), "(10 - 3) / 3 = 2.33: floor, not ceil"),
        Case(dict(n=12, k=2, stride=4), "(12 - 2) / 4 = 2.5: floor, not round half up"),
        Case(dict(n=9, k=1, stride=4), "1x1 kernel with stride 4 larger than the kernel"),
        Case(dict(n=4, k=6, pad=1), "kernel exactly as large as the padded input -> 1"),
        Case(dict(n=10, k=3, dilation=4), "dilation counts: effective kernel 4*(3-1)+1 = 9"),
        Case(dict(n=5, k=3, dilation=3), "a dilated kernel larger than the input: raise ValueError"),
        Case(dict(n=8, k=3, pad=-1), "negative pad: raise ValueError naming pad", names=("pad",)),
        Case(dict(n=8, k=3, dilation=0), "dilation 0: raise ValueError naming dilation", names=("dilation",)),
        Case(dict(n=8, k=0), "kernel size 0: raise ValueError naming k", names=("k",)),
        Case(dict(n=0, k=1), "input size 0: raise ValueError naming n", names=("n",)),
        Case(dict(n=9, k=3, stride=-2), "negative stride: raise ValueError naming stride", names=("stride",)),
    ]


# --- pad2d ----------------------------------------------------------------------------------------


@visible("pad2d")
def pad2d_visible() -> list[Case]:
    return [
        Case(dict(x=_grid(3, 3), pad=1), "3x3 image, pad 1 per side -> 5x5 with a border of zeros"),
        Case(dict(x=_grid(2, 3), pad=(1, 2)), "pad (1, 2): 1 row top and bottom, 2 columns left and right"),
        Case(dict(x=_grid(2, 2), pad=1, value=-1.0), "pad with value -1 instead of 0"),
        Case(dict(x=_grid(2, 3, 2, 2), pad=1), "a 4-D batch (N, C, H, W): only the last two axes are padded"),
        Case(dict(x=_grid(3, 4), pad=0), "pad 0 returns an equal (new) array"),
        Case(dict(x=_grid(2, 2), pad=(2, 1)), "the image sits in the middle: rows 2..3, columns 1..2"),
    ]


@hidden("pad2d")
def pad2d_hidden() -> list[Case]:
    g = rng(2022)
    return [
        Case(dict(x=g.standard_normal((2, 3, 4, 7)), pad=2), "random 4-D batch with N, C > 1 and H != W, pad 2"),
        Case(dict(x=g.standard_normal((3, 2, 5, 3)), pad=(0, 2)), "4-D, pad (0, 2): columns only"),
        Case(dict(x=g.standard_normal((1, 4, 3, 6)), pad=(2, 0)), "4-D, pad (2, 0): rows only"),
        Case(dict(x=g.standard_normal((4, 9)), pad=(3, 1)), "2-D, non-square input and pad (3, 1)"),
        Case(dict(x=g.standard_normal((2, 2, 3, 5)), pad=(1, 3), value=2.5), "4-D, pad (1, 3) with value 2.5"),
        Case(dict(x=g.standard_normal((3, 4)), pad=1, value=-np.inf), "pad with -inf (as max pooling would)"),
        Case(dict(x=g.standard_normal((2, 3)), pad=4), "pad wider than the image itself"),
        Case(dict(x=g.standard_normal((1, 5)), pad=(2, 1)), "a single-row image"),
        Case(dict(x=g.standard_normal((2, 1, 3, 2)), pad=0), "pad 0 on a 4-D batch: an equal, new array"),
        Case(dict(x=g.standard_normal((2, 3, 4, 5)), pad=(0, 0), value=7.0), "pad (0, 0): nothing added"),
    ]


# --- same_padding ---------------------------------------------------------------------------------


@visible("same_padding")
def same_padding_visible() -> list[Case]:
    return [
        Case(dict(k=3), "3x3 kernel: pad 1 per side keeps the size"),
        Case(dict(k=5), "5x5 kernel: pad 2"),
        Case(dict(k=1), "1x1 kernel needs no padding"),
        Case(dict(k=3, dilation=2), "3x3 kernel with dilation 2 spans 5 pixels: pad 2"),
        Case(dict(k=4), "4x4 kernel: the effective kernel is even, raise ValueError naming k", names=("k",)),
    ]


@hidden("same_padding")
def same_padding_hidden() -> list[Case]:
    return [
        Case(dict(k=7), "7x7 kernel (ResNet stem)"),
        Case(dict(k=11), "11x11 kernel (AlexNet conv1)"),
        Case(dict(k=31), "a large kernel"),
        Case(dict(k=3, dilation=4), "3x3 kernel with dilation 4"),
        Case(dict(k=5, dilation=3), "5x5 kernel with dilation 3"),
        Case(dict(k=1, dilation=5), "1x1 kernel: dilation changes nothing"),
        Case(dict(k=2, dilation=2), "even k but odd effective kernel 2*(2-1)+1 = 3: allowed"),
        Case(dict(k=4, dilation=2), "even k but odd effective kernel 2*(4-1)+1 = 7: allowed"),
        Case(dict(k=2), "2x2 kernel: even, raise ValueError naming k", names=("k",)),
        Case(dict(k=6, dilation=1), "6x6 kernel: even, raise ValueError naming k", names=("k",)),
        Case(dict(k=4, dilation=3), "effective kernel 3*(4-1)+1 = 10 is even: raise ValueError naming k and dilation",
             names=("k", "dilation")),
        Case(dict(k=0), "kernel size 0: raise ValueError naming k", names=("k",)),
        Case(dict(k=3, dilation=0), "dilation 0: raise ValueError naming dilation", names=("dilation",)),
    ]


# --- receptive_field ------------------------------------------------------------------------------

ALEXNET = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
VGG16 = ([(3, 1)] * 2 + [(2, 2)]) * 2 + ([(3, 1)] * 3 + [(2, 2)]) * 3


@visible("receptive_field")
def receptive_field_visible() -> list[Case]:
    return [
        Case(dict(layers=[(3, 1)]), "one 3x3 layer sees 3 pixels"),
        Case(dict(layers=[(3, 1), (3, 1)]), "two 3x3 layers see as much as one 5x5 (VGG's idea)"),
        Case(dict(layers=[(3, 1)] * 3), "three 3x3 layers see 7"),
        Case(dict(layers=[(2, 2), (3, 1)]), "a stride-2 layer first: each later tap jumps 2 pixels"),
        Case(dict(layers=[(3, 2), (3, 2)]), "two 3x3 stride-2 layers"),
        Case(dict(layers=[(3, 2)] * 3), "three 3x3 stride-2 layers: the jumps multiply, 1 + 2 + 4 + 8 = 15"),
        Case(dict(layers=[(5, 1), (3, 2)]), "a stride-2 layer last: its stride widens no later layer, 1 + 4 + 2 = 7"),
    ]


@hidden("receptive_field")
def receptive_field_hidden() -> list[Case]:
    g = rng(2023)
    random_stacks = [
        [(int(g.integers(1, 8)), int(g.integers(1, 4))) for _ in range(depth)] for depth in (4, 6, 9)
    ]
    return [Case(dict(layers=stack), "a random stack of (k, s) layers") for stack in random_stacks] + [
        Case(dict(layers=ALEXNET), "AlexNet-like: 5 convs and 3 max-pools -> 195"),
        Case(dict(layers=VGG16), "VGG16-like: 13 3x3 convs and 5 2x2 pools -> 212"),
        Case(dict(layers=[(7, 2), (3, 2)]), "ResNet stem: 7x7 stride 2, then 3x3 pool stride 2"),
        Case(dict(layers=[(3, 2), (5, 1)]), "order matters: stride-2 layer first (input to output)"),
        Case(dict(layers=[(5, 1), (3, 2)]), "order matters: stride-2 layer last"),
        Case(dict(layers=[(1, 1)] * 4), "1x1 layers never widen the view"),
        Case(dict(layers=[(1, 2), (1, 2), (3, 1)]), "1x1 stride-2 layers widen later layers' jumps"),
        Case(dict(layers=[(2, 3), (2, 3), (2, 1)]), "stride larger than the kernel (gaps between windows)"),
        Case(dict(layers=[]), "no layers at all: a pixel sees itself -> 1"),
    ]
