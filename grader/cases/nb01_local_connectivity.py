"""Test cases of notebook 01_local_connectivity (局部连接与权值共享), one case set per test cell.

Visible sets are small and readable (students see the calls) and tell the typical mistakes
apart: a bias per output versus per input, the input depth forgotten, stride and padding
ignored, height and width swapped (every visible set has a non-square case), one weight set
used everywhere. Hidden sets add random non-square inputs and kernels, ``(h, w)`` pairs for
kernel, stride and pad, remainders to drop, batches and channel counts above one, tied
weights, and the AlexNet conv1 numbers. No invalid arguments: this notebook does not grade
validation (course-spec.md, "Conventions").
"""
from __future__ import annotations

import numpy as np

from cnn_course.pairs import pair as _pair
from grader.cases import Case, hidden, rng, visible


def _grid(*shape: int) -> np.ndarray:
    """1, 2, 3, ... in the given shape, as float64: easy to read in a failure message."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)


def _out(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def _layer(g: np.random.Generator, n: int, c: int, h: int, w: int, f: int, kernel, stride=1, pad=0,
           integers: bool = False) -> dict:
    """Arguments of a locally connected layer: x (N, C, H, W), w (Ho, Wo, F, C, kh, kw), b (F, Ho, Wo)."""
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(pad)
    ho, wo = _out(h, kh, sh, ph), _out(w, kw, sw, pw)

    def draw(*shape: int) -> np.ndarray:
        return g.integers(-3, 4, shape).astype(np.float64) if integers else g.standard_normal(shape)

    args = dict(x=draw(n, c, h, w), w=draw(ho, wo, f, c, kh, kw), b=draw(f, ho, wo))
    if stride != 1:
        args["stride"] = stride
    if pad != 0:
        args["pad"] = pad
    return args


# --- dense_param_count ----------------------------------------------------------------------------


@visible("dense_param_count")
def dense_param_count_visible() -> list[Case]:
    return [
        Case(dict(n_in=4, n_out=3), "4 inputs, 3 neurons: 4*3 weights + 3 biases"),
        Case(dict(n_in=2, n_out=5), "2 inputs, 5 neurons: one bias per neuron, not per input"),
        Case(dict(n_in=4, n_out=3, bias=False), "bias=False: weights only"),
        Case(dict(n_in=784, n_out=100), "a 28x28 image flattened into 784 inputs, 100 neurons"),
    ]


@hidden("dense_param_count")
def dense_param_count_hidden() -> list[Case]:
    g = rng(1011)
    cases = [Case(dict(n_in=int(g.integers(2, 5000)), n_out=int(g.integers(2, 500))), "random layer sizes")
             for _ in range(3)]
    cases += [Case(dict(n_in=int(g.integers(2, 5000)), n_out=int(g.integers(2, 500)), bias=False),
                   "random layer sizes, bias=False") for _ in range(2)]
    return cases + [
        Case(dict(n_in=1, n_out=1), "one input, one neuron"),
        Case(dict(n_in=1, n_out=7), "one input, several neurons"),
        Case(dict(n_in=9, n_out=1, bias=True), "many inputs, one neuron, bias=True given explicitly"),
        Case(dict(n_in=3 * 227 * 227, n_out=96 * 55 * 55),
             "AlexNet's input (3x227x227) fully connected to as many neurons as conv1 has outputs"),
        Case(dict(n_in=3 * 224 * 224, n_out=1000, bias=False), "a 224x224 colour image straight to 1000 classes"),
    ]


# --- local_param_count ----------------------------------------------------------------------------


@visible("local_param_count")
def local_param_count_visible() -> list[Case]:
    return [
        Case(dict(in_shape=(1, 5, 5), out_channels=1, kernel_size=3),
             "5x5 image, one 3x3 filter: 3x3 positions, each with 9 weights + 1 bias"),
        Case(dict(in_shape=(1, 5, 5), out_channels=1, kernel_size=3, stride=2),
             "stride 2: only 2x2 positions, each with its own weights"),
        Case(dict(in_shape=(1, 5, 5), out_channels=1, kernel_size=3, pad=1),
             "pad 1 per side: 5x5 positions"),
        Case(dict(in_shape=(1, 4, 4), out_channels=1, kernel_size=3, pad=2),
             "pad 2 per side: the 4x4 image becomes 8x8, so 6x6 positions"),
        Case(dict(in_shape=(3, 5, 5), out_channels=2, kernel_size=3),
             "3 input channels, 2 filters: each unit has 3*3*3 weights + 1 bias"),
        Case(dict(in_shape=(1, 5, 5), out_channels=2, kernel_size=3, bias=False), "bias=False: weights only"),
        Case(dict(in_shape=(2, 4, 6), out_channels=1, kernel_size=(3, 2)),
             "non-square input (H=4, W=6) and kernel (kh=3, kw=2)"),
        Case(dict(in_shape=(3, 227, 227), out_channels=96, kernel_size=11, stride=4),
             "AlexNet conv1 without weight sharing"),
    ]


@hidden("local_param_count")
def local_param_count_hidden() -> list[Case]:
    g = rng(1012)
    cases = []
    while len(cases) < 4:  # random non-square layers, with pairs and remainders
        c, h, w, f = int(g.integers(1, 5)), int(g.integers(5, 20)), int(g.integers(5, 20)), int(g.integers(1, 6))
        kernel = (int(g.integers(1, 5)), int(g.integers(1, 5)))
        stride, pad = (int(g.integers(1, 4)), int(g.integers(1, 4))), (int(g.integers(0, 3)), int(g.integers(0, 3)))
        if h != w and kernel[0] != kernel[1] and stride[0] != stride[1]:
            cases.append(Case(dict(in_shape=(c, h, w), out_channels=f, kernel_size=kernel, stride=stride, pad=pad),
                              "random non-square input, kernel, stride and padding pairs"))
    return cases + [
        Case(dict(in_shape=(2, 7, 9), out_channels=3, kernel_size=(3, 2), stride=(2, 1), pad=(1, 0)),
             "every argument a (h, w) pair with different values"),
        Case(dict(in_shape=(3, 8, 5), out_channels=4, kernel_size=3, stride=3, pad=1, bias=False),
             "stride 3 with a remainder to drop, padding, bias=False"),
        Case(dict(in_shape=(1, 6, 11), out_channels=2, kernel_size=(1, 4), stride=(1, 3)),
             "a wide input and a 1x4 kernel, strided along the width only"),
        Case(dict(in_shape=(4, 6, 6), out_channels=5, kernel_size=1), "a 1x1 kernel: one position per pixel"),
        Case(dict(in_shape=(3, 4, 5), out_channels=6, kernel_size=(4, 5)),
             "the kernel covers the whole image: one position, a fully-connected layer"),
        Case(dict(in_shape=(2, 9, 4), out_channels=3, kernel_size=3, pad=(0, 2), bias=False),
             "padding along the width only, bias=False"),
        Case(dict(in_shape=(16, 12, 10), out_channels=8, kernel_size=(5, 3), stride=2, pad=2),
             "many channels, stride 2 and pad 2 on a non-square input"),
        Case(dict(in_shape=(3, 227, 227), out_channels=96, kernel_size=11, stride=4, bias=False),
             "AlexNet conv1 without weight sharing, weights only"),
    ]


# --- conv_param_count -----------------------------------------------------------------------------


@visible("conv_param_count")
def conv_param_count_visible() -> list[Case]:
    return [
        Case(dict(in_channels=1, out_channels=1, kernel_size=3), "one 3x3 filter on a grey image: 9 weights + 1 bias"),
        Case(dict(in_channels=3, out_channels=2, kernel_size=3),
             "3 input channels, 2 filters: each filter is 3 deep (3*3*3 weights + 1 bias)"),
        Case(dict(in_channels=2, out_channels=4, kernel_size=3, bias=False), "bias=False: weights only"),
        Case(dict(in_channels=2, out_channels=3, kernel_size=(3, 1)), "a non-square 3x1 kernel"),
        Case(dict(in_channels=3, out_channels=96, kernel_size=11), "AlexNet conv1 with weight sharing"),
    ]


@hidden("conv_param_count")
def conv_param_count_hidden() -> list[Case]:
    g = rng(1013)
    cases = [Case(dict(in_channels=int(g.integers(2, 65)), out_channels=int(g.integers(2, 129)),
                       kernel_size=(int(g.integers(1, 4)), int(g.integers(4, 8)))),
                  "random channels and a non-square kernel") for _ in range(3)]
    return cases + [
        Case(dict(in_channels=5, out_channels=7, kernel_size=(1, 5)), "a 1x5 kernel (height 1)"),
        Case(dict(in_channels=4, out_channels=3, kernel_size=(5, 2), bias=False), "a 5x2 kernel, bias=False"),
        Case(dict(in_channels=64, out_channels=128, kernel_size=1), "a 1x1 convolution mixing channels"),
        Case(dict(in_channels=512, out_channels=512, kernel_size=3), "a VGG16 layer: 512 to 512 channels, 3x3"),
        Case(dict(in_channels=1, out_channels=6, kernel_size=5), "LeNet-5's first layer"),
        Case(dict(in_channels=3, out_channels=64, kernel_size=(7, 7)), "ResNet's first layer, kernel given as a pair"),
        Case(dict(in_channels=3, out_channels=96, kernel_size=11, bias=False), "AlexNet conv1, weights only"),
    ]


# --- locally_connected2d --------------------------------------------------------------------------


@visible("locally_connected2d")
def locally_connected2d_visible() -> list[Case]:
    g = rng(1014)
    return [
        Case(dict(x=_grid(1, 1, 3, 3), w=_grid(2, 2, 1, 1, 2, 2) / 4, b=np.array([[[1.0, 2.0], [3.0, 4.0]]])),
             "3x3 image, 2x2 kernel: 4 positions, each with its own weights and bias"),
        Case(_layer(g, 1, 1, 4, 5, 1, (2, 3), integers=True),
             "non-square image (4x5) and kernel (2x3), integer values"),
        Case(_layer(g, 1, 1, 5, 5, 1, 3, stride=2, integers=True), "stride 2: windows start at rows and columns 0, 2"),
        Case(_layer(g, 1, 1, 3, 3, 1, 3, pad=1, integers=True), "pad 1 (zeros): 3x3 positions"),
        Case(_layer(g, 1, 2, 4, 4, 3, 3), "2 input channels, 3 filters: each unit sums over both channels"),
        Case(_layer(g, 2, 1, 3, 4, 2, 2), "a batch of 2 images"),
    ]


@hidden("locally_connected2d")
def locally_connected2d_hidden() -> list[Case]:
    g = rng(1015)
    tied_w, tied_hw = g.standard_normal((3, 2, 2, 3)), (_out(6, 2, 2, 1), _out(7, 3, 1, 1))
    tied = dict(x=g.standard_normal((2, 2, 6, 7)), w=np.array(np.broadcast_to(tied_w, tied_hw + tied_w.shape)),
                b=np.array(np.broadcast_to(g.standard_normal((3, 1, 1)), (3,) + tied_hw)), stride=(2, 1), pad=1)
    return [
        Case(_layer(g, 2, 3, 5, 7, 2, (3, 2)), "random batch, 3 channels, non-square input and kernel"),
        Case(_layer(g, 3, 2, 7, 6, 4, (2, 3), stride=(2, 1), pad=(1, 0)), "stride and padding as (h, w) pairs"),
        Case(_layer(g, 2, 2, 8, 5, 3, 3, stride=3), "stride 3 with a remainder to drop"),
        Case(_layer(g, 1, 3, 6, 5, 2, 2, stride=2, pad=2), "stride 2 and pad 2"),
        Case(_layer(g, 2, 1, 5, 9, 2, (1, 4), stride=(1, 3), pad=(0, 1)), "a 1x4 kernel strided along the width"),
        Case(_layer(g, 4, 2, 4, 3, 3, 1), "a 1x1 kernel: every pixel has its own channel mixing"),
        Case(_layer(g, 2, 3, 4, 5, 4, (4, 5)), "the kernel covers the whole image: a fully-connected layer"),
        Case(_layer(g, 1, 2, 6, 6, 2, 2, stride=3), "stride 3 larger than the 2x2 kernel (gaps between windows)"),
        Case(tied, "the same weights and bias at every position: a convolution layer"),
        Case(_layer(g, 5, 4, 9, 8, 6, (3, 4), stride=2, pad=(2, 1)), "a larger random layer"),
    ]


# --- tie_weights ----------------------------------------------------------------------------------


@visible("tie_weights")
def tie_weights_visible() -> list[Case]:
    return [
        Case(dict(w=_grid(1, 1, 2, 2), out_hw=(2, 3)), "one 2x2 filter copied to 2x3 output positions"),
        Case(dict(w=_grid(2, 3, 1, 2), out_hw=(1, 2)), "2 filters of 3 channels, 1x2 positions"),
        Case(dict(w=_grid(2, 1, 2, 1), out_hw=(3, 1)), "a 2x1 kernel, 3x1 positions"),
        Case(dict(w=_grid(1, 1, 1, 1), out_hw=(1, 1)), "a single weight at a single position"),
    ]


@hidden("tie_weights")
def tie_weights_hidden() -> list[Case]:
    g = rng(1016)
    return [
        Case(dict(w=g.standard_normal((3, 2, 3, 2)), out_hw=(4, 5)), "random filters, non-square kernel and positions"),
        Case(dict(w=g.standard_normal((2, 4, 2, 3)), out_hw=(5, 2)), "more rows of positions than columns"),
        Case(dict(w=g.standard_normal((4, 3, 5, 5)), out_hw=(6, 6)), "4 filters of 3x5x5 at 6x6 positions"),
        Case(dict(w=g.standard_normal((1, 1, 1, 4)), out_hw=(1, 6)), "a 1x4 kernel along one row of positions"),
        Case(dict(w=g.standard_normal((5, 1, 3, 3)), out_hw=(2, 2)), "5 filters of 1 channel"),
        Case(dict(w=g.standard_normal((2, 2, 2, 2)), out_hw=(3, 7)), "a wide grid of positions"),
    ]
