"""Test cases of notebook 05_backprop (卷积层与池化层的反向传播), one case set per test cell.

Visible sets are small integer examples a student can check by hand, each chosen so that the
typical mistakes give different answers (an asymmetric kernel for the flip, N != M for the axes
of db, overlapping windows for ``=`` versus ``+=``, a stride of 2 for the zeros of the dilated
sensitivity map). Hidden sets add random float data with non-square inputs and kernels, stride
pairs, padding pairs, batches and channels > 1, strides that leave rows unused, strides larger
than the kernel, overlapping pooling windows and ties.

``numerical_gradient`` needs a function as its argument, and visible cases are stored as data:
its cases use :class:`cnn_course.probes.Probe`, a named function that ``cnn_course.record``
stores by its name and reads back as the probe (the student package holds them, so this module
imports ``cnn_course.probes`` besides numpy: kernel-safe, no answers in it).

Max-pooling switches are inputs of ``max_pool2d_backward``; they are computed here with plain
numpy by the course's convention (the first maximum of a window in row-major order, int64 flat
indices into each H*W plane), never with the reference.
"""
from __future__ import annotations

import numpy as np

from cnn_course.pairs import pair as _pair
from cnn_course.probes import Probe
from grader.cases import Case, hidden, rng, visible


def _grid(*shape: int) -> np.ndarray:
    """1, 2, 3, ... in the given shape, as float64: easy to read in a failure message."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape)


def _ints(g: np.random.Generator, *shape: int, low: int = -3, high: int = 4) -> np.ndarray:
    """Small random integers as float64 (readable, exact)."""
    return g.integers(low, high, size=shape).astype(np.float64)


def _out(n: int, k: int, s: int = 1, p: int = 0) -> int:
    return (n + 2 * p - k) // s + 1


# --- dense_backward -------------------------------------------------------------------------------


@visible("dense_backward")
def dense_backward_visible() -> list[Case]:
    return [
        Case(dict(dout=np.array([[1.0, -2.0, 3.0]]), x=np.array([[2.0, -1.0]]), w=_grid(2, 3)),
             "one sample: dw[i, j] = a_i * delta_j is the outer product of x and dout"),
        Case(dict(dout=np.array([[1.0, 0.0], [2.0, -1.0], [0.0, 3.0]]),
                  x=np.array([[1.0, 2.0, 0.0, -1.0], [0.0, 1.0, 3.0, 1.0], [2.0, -2.0, 1.0, 0.0]]),
                  w=_grid(4, 2) / 2),
             "three samples: dw and db add up every sample's share (N=3, D=4, M=2)"),
        Case(dict(dout=np.array([[1.0, -1.0, 2.0], [0.5, 2.0, -1.0]]), x=np.array([[3.0, 1.0], [-1.0, 2.0]]),
                  w=np.array([[1.0, 0.0, -2.0], [2.0, 1.0, 1.0]])),
             "two samples, M=3 outputs: dx = dout @ w.T, db has one entry per output"),
    ]


@hidden("dense_backward")
def dense_backward_hidden() -> list[Case]:
    g = rng(5051)

    def case(n, d, m, note):
        return Case(dict(dout=g.standard_normal((n, m)), x=g.standard_normal((n, d)), w=g.standard_normal((d, m))), note)

    return [
        case(5, 7, 3, "random batch of 5, 7 inputs, 3 outputs"),
        case(1, 4, 6, "a single sample"),
        case(4, 4, 4, "D = M = N = 4: a transposed dw has the right shape but wrong values"),
        case(16, 3, 2, "a batch of 16: sums over the batch, not means"),
        case(3, 1, 5, "a single input feature (D = 1)"),
        case(6, 5, 1, "a single output (M = 1)"),
        case(2, 9, 7, "random, more outputs than samples"),
    ]


# --- numerical_gradient ---------------------------------------------------------------------------


@visible("numerical_gradient")
def numerical_gradient_visible() -> list[Case]:
    return [
        Case(dict(f=Probe("sum_of_squares"), x=np.array([[1.0, 2.0], [-3.0, 0.5]])),
             "f(x) = sum(x**2), gradient 2x: central differences are exact for a quadratic"),
        Case(dict(f=Probe("cubic_mix"), x=np.array([[0.5, -1.0, 2.0, 0.0], [1.5, -0.5, 1.0, -2.0], [0.25, 3.0, -1.5, 0.75]])),
             "f(x) = sum(x**3) + sum(sin x) * sum(x): each element's slope depends on all the others (3x4)"),
        Case(dict(f=Probe("cubic_mix"), x=np.array([[1.0, -2.0, 0.5], [2.0, 0.0, -1.0]]), h=1e-3),
             "the same f with h = 1e-3: use the step you are given"),
        Case(dict(f=Probe("log_sum_exp"), x=np.array([0.0, 1.0, -1.0, 2.0, 0.5])),
             "f(x) = log(sum(exp(x))) on a vector: its gradient is softmax(x)"),
    ]


@hidden("numerical_gradient")
def numerical_gradient_hidden() -> list[Case]:
    g = rng(5052)
    return [
        Case(dict(f=Probe("weighted_squares"), x=g.standard_normal((2, 2, 3, 3))), "a 4-D (N, C, H, W) point"),
        Case(dict(f=Probe("tanh_dot"), x=g.standard_normal((3, 2, 4))), "a 3-D point, f couples every element"),
        Case(dict(f=Probe("cubic_mix"), x=g.standard_normal((5,)), h=1e-4), "a vector with h = 1e-4"),
        Case(dict(f=Probe("cubic_mix"), x=g.standard_normal((3, 3)), h=1e-2), "a large step h = 1e-2"),
        Case(dict(f=Probe("log_sum_exp"), x=50 + g.standard_normal((4, 3))), "large values (log-sum-exp near 50)"),
        Case(dict(f=Probe("sum_of_squares"), x=np.array([0.75])), "a single element"),
        Case(dict(f=Probe("tanh_dot"), x=g.standard_normal((1, 6)), h=1e-6), "a row vector with h = 1e-6"),
        Case(dict(f=Probe("weighted_squares"), x=g.standard_normal((4, 5))), "non-square 2-D point"),
    ]


# --- relative_error -------------------------------------------------------------------------------


@visible("relative_error")
def relative_error_visible() -> list[Case]:
    return [
        Case(dict(a=np.array([1.0, 2.0, 3.0]), b=np.array([1.0, 2.0, 3.3])), "one element differs: 0.3 / 6.3"),
        Case(dict(a=np.array([[1.0, -2.0], [100.0, 4.0]]), b=np.array([[1.1, -2.0], [101.0, 4.0]])),
             "the largest RELATIVE error (0.1/2.1), not the largest difference (1)"),
        Case(dict(a=np.array([1.0, -1.0, 2.0]), b=np.array([-1.0, 1.0, 2.0])), "opposite signs: |a| + |b| = 2, error 1"),
        Case(dict(a=np.array([0.0, 0.0, 1e-9]), b=np.array([0.0, 0.0, -1e-9])),
             "zeros give 0; tiny values are divided by at least 1e-8"),
        Case(dict(a=np.array([1.0, 5.0]), b=np.array([2.0, 5.0])), "a < b: the difference counts with its absolute value"),
    ]


@hidden("relative_error")
def relative_error_hidden() -> list[Case]:
    g = rng(5053)
    a = g.standard_normal((2, 3, 4, 5))
    close = a * (1 + 1e-7 * g.standard_normal(a.shape))
    mixed = g.standard_normal(6)
    return [
        Case(dict(a=a, b=close), "random 4-D arrays that agree to about 1e-7"),
        Case(dict(a=a[0, 0], b=a[0, 0]), "equal arrays: 0.0"),
        Case(dict(a=np.zeros((3, 3)), b=np.zeros((3, 3))), "all zeros: 0.0, no division by zero"),
        Case(dict(a=np.array([1e-12, 3.0, -2.0]), b=np.array([-1e-12, 3.0, -2.0])), "tiny opposite values"),
        Case(dict(a=-np.abs(mixed), b=-np.abs(mixed) * 1.5), "all negative values"),
        Case(dict(a=np.array([1000.0, 1.0, 2.0, 3.0]), b=np.array([1001.0, 1.5, 2.0, 3.0])),
             "one big absolute difference, a bigger relative one elsewhere"),
        Case(dict(a=mixed, b=-mixed), "b = -a: every element has error 1"),
        Case(dict(a=np.array([2.0, -4.0, 0.0, 1.0]), b=np.array([1.0, -4.5, 0.5, 1.0])), "a zero against a non-zero: error 1"),
        Case(dict(a=np.float64(3.0), b=np.float64(2.5)), "two single numbers (0-d arrays)"),
    ]


# --- conv2d_backward ------------------------------------------------------------------------------


def _conv_case(x: np.ndarray, w: np.ndarray, dout: np.ndarray | None = None, g: np.random.Generator | None = None,
               stride=1, pad=0) -> dict:
    """Arguments of one conv2d_backward call; dout random (or given) of the forward output's shape."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    shape = (n, f, _out(h, kh, sh, ph), _out(wd, kw, sw, pw))
    if dout is None:
        dout = g.standard_normal(shape)
    assert dout.shape == shape, (dout.shape, shape)
    args = dict(dout=dout, x=x, w=w)
    if stride != 1:
        args["stride"] = stride
    if pad != 0:
        args["pad"] = pad
    return args


@visible("conv2d_backward")
def conv2d_backward_visible() -> list[Case]:
    g = rng(505)
    corner = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    return [
        Case(_conv_case(_grid(1, 1, 3, 4), corner, np.ones((1, 1, 2, 3))),
             "one channel, 2x2 kernel, stride 1, dout all ones: the windows overlap, so dx adds up"),
        Case(_conv_case(_grid(1, 1, 3, 3), corner, np.array([[[[1.0, 0.0], [0.0, 0.0]]]])),
             "a single error at output (0, 0): dx is the kernel itself in the top-left corner, dw the top-left patch"),
        Case(_conv_case(_grid(1, 1, 5, 5), np.array([[[[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 3.0]]]]),
                        np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), stride=2),
             "stride 2 (5x5 input, 3x3 kernel): the sensitivity map gets a zero between its entries"),
        Case(_conv_case(_grid(1, 1, 3, 3) - 5, corner, _ints(g, 1, 1, 4, 4), pad=1),
             "pad 1: dx covers only the 3x3 input, not the padding"),
        Case(_conv_case(_ints(g, 2, 2, 3, 3), _ints(g, 3, 2, 2, 2), _ints(g, 2, 3, 2, 2)),
             "batch of 2, 2 channels, 3 filters: dw and db add up over the batch"),
        Case(_conv_case(_grid(1, 1, 4, 5), np.array([[[[1.0, -1.0, 2.0], [0.0, 3.0, 1.0]]]]),
                        _ints(g, 1, 1, 3, 3), stride=(2, 1), pad=(1, 0)),
             "non-square: 2x3 kernel, stride (2, 1), pad (1, 0)"),
    ]


@hidden("conv2d_backward")
def conv2d_backward_hidden() -> list[Case]:
    g = rng(5054)

    def case(x_shape, w_shape, note, stride=1, pad=0):
        x, w = g.standard_normal(x_shape), g.standard_normal(w_shape)
        return Case(_conv_case(x, w, g=g, stride=stride, pad=pad), note)

    return [
        case((2, 3, 7, 6), (4, 3, 3, 2), "random N=2, C=3, F=4, 3x2 kernel, stride (2, 1), pad (1, 0)",
             stride=(2, 1), pad=(1, 0)),
        case((3, 2, 6, 7), (2, 2, 2, 3), "random N=3, 2x3 kernel, stride (1, 2), pad (0, 1)", stride=(1, 2), pad=(0, 1)),
        case((2, 2, 8, 8), (3, 2, 3, 3), "stride 2 leaves the last row and column unused: their gradient is 0",
             stride=2),
        case((1, 2, 7, 7), (2, 2, 2, 2), "stride 3 larger than the 2x2 kernel, pad 1 (gaps between windows)",
             stride=3, pad=1),
        case((2, 1, 5, 6), (3, 1, 1, 1), "1x1 kernel with stride 2", stride=2),
        case((2, 3, 4, 5), (2, 3, 4, 5), "kernel as large as the input: a 1x1 sensitivity map"),
        case((1, 1, 4, 4), (1, 1, 3, 3), "pad 2 with a 3x3 kernel: outputs that see mostly padding", pad=2),
        case((4, 2, 5, 4), (1, 2, 3, 3), "a batch of 4, one filter, pad 1", pad=1),
        case((2, 2, 9, 7), (2, 2, 3, 2), "stride (3, 2), pad (2, 1)", stride=(3, 2), pad=(2, 1)),
        case((1, 4, 6, 6), (5, 4, 3, 3), "many channels and filters (C=4, F=5), stride 1"),
    ]


# --- max_pool2d_backward --------------------------------------------------------------------------


def _switches(x: np.ndarray, size, stride=None) -> np.ndarray:
    """max_pool2d's switches by the course's rule: the first maximum in row-major order, index into the H*W plane."""
    (kh, kw) = _pair(size)
    (sh, sw) = _pair(size if stride is None else stride)
    n, c, h, w = x.shape
    ho, wo = _out(h, kh, sh), _out(w, kw, sw)
    switches = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(n, c, kh * kw)
            first = np.argmax(window, axis=2)               # argmax returns the first of tied maxima
            r, col = np.divmod(first, kw)
            switches[:, :, i, j] = (i * sh + r) * w + (j * sw + col)
    return switches


def _max_case(x: np.ndarray, size, stride=None, dout: np.ndarray | None = None,
              g: np.random.Generator | None = None) -> dict:
    switches = _switches(x, size, stride)
    if dout is None:
        dout = g.standard_normal(switches.shape)
    assert dout.shape == switches.shape
    return dict(dout=dout, switches=switches, input_shape=x.shape)


@visible("max_pool2d_backward")
def max_pool2d_backward_visible() -> list[Case]:
    g = rng(506)
    distinct = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 6.0], [7.0, 0.5, 1.5, 2.5], [9.0, 3.5, 4.5, 0.25]]]])
    peak = np.zeros((1, 1, 4, 4))
    peak[0, 0, 1, 2] = 9.0
    return [
        Case(_max_case(distinct, 2, dout=np.array([[[[1.0, 2.0], [3.0, 4.0]]]])),
             "2x2 windows, stride 2: each error goes to its window's maximum, zeros elsewhere"),
        Case(_max_case(peak, 3, 1, dout=np.array([[[[1.0, 2.0], [3.0, 4.0]]]])),
             "3x3 windows, stride 1, all four share one maximum: it receives 1 + 2 + 3 + 4"),
        Case(_max_case(np.ones((1, 1, 3, 4)), 2, 1, dout=_grid(1, 1, 2, 3)),
             "all values tie: the switches name the first of each window, overlaps add up"),
        Case(_max_case(_ints(g, 2, 2, 4, 6), 2, dout=_grid(2, 2, 2, 3)),
             "2 images x 2 channels: each plane has its own switches (indices 0 .. H*W-1)"),
        Case(_max_case(distinct[:, :, :, :3], (2, 3), (2, 1), dout=np.array([[[[1.0], [-2.0]]]])),
             "a 2x3 window with stride (2, 1) on a 4x3 input"),
    ]


@hidden("max_pool2d_backward")
def max_pool2d_backward_hidden() -> list[Case]:
    g = rng(5055)

    def case(x, note, size=2, stride=None):
        return Case(_max_case(x, size, stride, g=g), note)

    return [
        case(_ints(g, 2, 2, 7, 6, low=0, high=3), "overlapping 3x3 windows, stride 2, many ties", 3, 2),
        case(g.standard_normal((2, 3, 4, 6)), "random 2x2 pooling, N=2, C=3, 4x6 input"),
        case(_ints(g, 1, 2, 6, 7, low=0, high=3), "3x2 windows, stride (1, 2), ties", (3, 2), (1, 2)),
        case(_ints(g, 2, 1, 6, 6, low=0, high=2), "2x2 windows, stride 1: overlaps and ties", 2, 1),
        case(g.standard_normal((1, 2, 6, 9)), "non-square 2x3 windows", (2, 3)),
        case(g.standard_normal((2, 2, 7, 5)), "7x5 input: the last row and column are in no window"),
        case(g.standard_normal((1, 1, 5, 5)), "size 1: every input is its own maximum", 1),
        case(g.standard_normal((3, 1, 6, 6)), "a 6x6 window: one maximum per plane", 6),
        case(np.zeros((1, 3, 4, 4)), "all zeros (every value ties): first in row-major order", 3, 1),
    ]


# --- mean_pool2d_backward -------------------------------------------------------------------------


def _mean_case(input_shape, size=2, stride=None, dout: np.ndarray | None = None,
               g: np.random.Generator | None = None) -> dict:
    (kh, kw) = _pair(size)
    (sh, sw) = _pair(size if stride is None else stride)
    shape = tuple(input_shape[:2]) + (_out(input_shape[2], kh, sh), _out(input_shape[3], kw, sw))
    if dout is None:
        dout = g.standard_normal(shape)
    assert dout.shape == shape, (dout.shape, shape)
    args = dict(dout=dout, input_shape=tuple(input_shape), size=size)
    if stride is not None:
        args["stride"] = stride
    return args


@visible("mean_pool2d_backward")
def mean_pool2d_backward_visible() -> list[Case]:
    g = rng(507)
    return [
        Case(_mean_case((1, 1, 4, 4), 2, dout=np.array([[[[4.0, 8.0], [-4.0, 12.0]]]])),
             "2x2 windows: each of the 4 inputs of a window gets a quarter of its error"),
        Case(_mean_case((1, 1, 4, 4), 3, 1, dout=np.full((1, 1, 2, 2), 9.0)),
             "3x3 windows, stride 1, errors 9: overlapping windows add up (centre pixels get 4)"),
        Case(_mean_case((1, 1, 4, 6), (2, 3), dout=np.array([[[[6.0, 12.0], [-6.0, 3.0]]]])),
             "2x3 windows: divide by 6, the number of inputs in a window"),
        Case(_mean_case((2, 3, 4, 4), 2, dout=_ints(g, 2, 3, 2, 2)),
             "2 images x 3 channels: every plane on its own"),
        Case(_mean_case((1, 1, 5, 5), 2, dout=np.array([[[[4.0, 4.0], [4.0, 4.0]]]])),
             "5x5 input, 2x2 windows: the last row and column are in no window (gradient 0)"),
    ]


@hidden("mean_pool2d_backward")
def mean_pool2d_backward_hidden() -> list[Case]:
    g = rng(5056)

    def case(shape, note, size=2, stride=None):
        return Case(_mean_case(shape, size, stride, g=g), note)

    return [
        case((2, 2, 7, 6), "overlapping 3x3 windows, stride 2", 3, 2),
        case((2, 1, 5, 7), "3x2 windows, stride (1, 2)", (3, 2), (1, 2)),
        case((1, 3, 7, 8), "2x2 windows, stride 3: gaps between windows", 2, 3),
        case((3, 2, 6, 9), "non-square 2x3 windows, N=3", (2, 3)),
        case((1, 2, 5, 4), "a window as large as the input", (5, 4)),
        case((2, 2, 4, 4), "size 1: the gradient passes through unchanged", 1),
        case((1, 1, 6, 6), "4x4 windows, stride 1: up to 16 windows per input", 4, 1),
        case((2, 3, 8, 6), "random 2x2 pooling with a batch and channels"),
    ]
