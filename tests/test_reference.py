"""Tests of ``grader.course.reference`` against independent oracles, never against itself.

Oracles: scipy.signal, the plain-loop definitions in ``tests/oracle_naive.py``,
central finite differences for every gradient, algebraic identities (adjoint,
"transposed convolution is the input-gradient of convolution"), and the numbers
the course spec fixes (AlexNet, the 5x5 and 3x3 -> 7x7 -> 5x5 examples). Agreement with PyTorch is
checked by the dev tool ``tools/compare_with_torch.py`` (torch is not a dependency).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.course import reference as R

ROOT = Path(__file__).resolve().parent.parent

try:                                 # tests/ as a package, or as a plain folder on sys.path
    from tests import oracle_naive as naive
except ImportError:                  # pragma: no cover
    import oracle_naive as naive

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIGHT = dict(rtol=1e-12, atol=1e-12)
FD = dict(rtol=1e-6, atol=1e-7)       # finite differences


def rng_of(seed):
    return np.random.default_rng(seed)


def frozen(*arrays):
    """Read-only copies: any in-place write by the function under test raises."""
    out = []
    for a in arrays:
        a = np.array(a)
        a.flags.writeable = False
        out.append(a)
    return out


def pair_or_int(draw, lo, hi):
    a, b = draw(st.integers(lo, hi)), draw(st.integers(lo, hi))
    return a if a == b and draw(st.booleans()) else (a, b)


@st.composite
def conv_cases(draw, max_hw=9):
    """x, w, b, stride, pad with non-square shapes; the kernel fits the padded input."""
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = pair_or_int(draw, 1, 3)
    pad = pair_or_int(draw, 0, 2)
    ph, pw = naive.pair(pad)
    h = draw(st.integers(max(1, kh - 2 * ph), max_hw))
    w = draw(st.integers(max(1, kw - 2 * pw), max_hw))
    r = rng_of(draw(st.integers(0, 2**32 - 1)))
    return (r.standard_normal((n, c, h, w)), r.standard_normal((f, c, kh, kw)), r.standard_normal(f), stride, pad)


@st.composite
def pool_cases(draw, ties=False):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    size = pair_or_int(draw, 1, 4)
    kh, kw = naive.pair(size)
    stride = draw(st.none() | st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    h, w = draw(st.integers(kh, 9)), draw(st.integers(kw, 9))
    r = rng_of(draw(st.integers(0, 2**32 - 1)))
    x = r.integers(0, 3, (n, c, h, w)).astype(float) if ties else r.standard_normal((n, c, h, w))
    return x, size, stride


@st.composite
def transposed_cases(draw):
    n, cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    oph, opw = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    ph = draw(st.integers(0, ((h - 1) * sh + kh + oph - 1) // 2))   # output size stays >= 1
    pw = draw(st.integers(0, ((w - 1) * sw + kw + opw - 1) // 2))
    r = rng_of(draw(st.integers(0, 2**32 - 1)))
    return (r.standard_normal((n, cin, h, w)), r.standard_normal((cin, cout, kh, kw)), r.standard_normal(cout),
            (sh, sw), (ph, pw), (oph, opw))


# --------------------------------------------------------------------------- 01 local connectivity

def test_alexnet_conv1_parameter_counts():
    assert R.conv_param_count(3, 96, 11) == 34_944
    assert R.local_param_count((3, 227, 227), 96, 11, stride=4) == 105_705_600
    assert R.dense_param_count(3 * 227 * 227, 96 * 55 * 55) == 3 * 227 * 227 * 96 * 55 * 55 + 96 * 55 * 55


@SETTINGS
@given(st.integers(1, 50), st.integers(1, 50), st.booleans())
def test_dense_param_count(n_in, n_out, bias):
    got = R.dense_param_count(n_in, n_out, bias)
    assert type(got) is int and got == np.zeros((n_in, n_out)).size + (n_out if bias else 0)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 12), st.integers(1, 12), st.integers(1, 5), st.data())
def test_param_counts_from_explicit_weight_arrays(c, h, w, f, data):
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    sh, sw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    bias = data.draw(st.booleans())
    ho, wo = len(naive.positions(h, kh, sh)), len(naive.positions(w, kw, sw))
    untied = np.zeros((ho, wo, f, c, kh, kw)).size + (f * ho * wo if bias else 0)
    got = R.local_param_count((c, h, w), f, (kh, kw), stride=(sh, sw), bias=bias)
    assert type(got) is int and got == untied
    tied = R.conv_param_count(c, f, (kh, kw), bias=bias)
    assert type(tied) is int and tied == np.zeros((f, c, kh, kw)).size + (f if bias else 0)


@SETTINGS
@given(conv_cases(max_hw=7), st.integers(0, 2**32 - 1))
def test_locally_connected2d_matches_loops_and_tied_weights_give_conv(case, seed):
    x, w, b, stride, pad = case
    y_conv = naive.conv2d(x, w, b, stride, pad)
    ho, wo = y_conv.shape[2:]
    r = rng_of(seed)
    w_local = r.standard_normal((ho, wo) + w.shape)
    b_local = r.standard_normal((w.shape[0], ho, wo))
    xf, wf, bf = frozen(x, w_local, b_local)
    np.testing.assert_allclose(R.locally_connected2d(xf, wf, bf, stride, pad),
                               naive.locally_connected2d(x, w_local, b_local, stride, pad), **TIGHT)
    tied = R.tie_weights(w, (ho, wo))
    assert tied.shape == (ho, wo) + w.shape and tied.flags.writeable
    b_tied = np.broadcast_to(b[:, None, None], (len(b), ho, wo))
    np.testing.assert_allclose(R.locally_connected2d(x, tied, b_tied, stride, pad), y_conv, **TIGHT)


def test_tie_weights_is_a_new_array():
    w = np.arange(2 * 1 * 2 * 3, dtype=float).reshape(2, 1, 2, 3)
    tied = R.tie_weights(w, 2)
    tied[0, 0] = -1
    assert tied.shape == (2, 2, 2, 1, 2, 3) and w[0, 0, 0, 0] == 0 and np.all(tied[1, 1] == w)


# --------------------------------------------------------------------------- 02 padding and stride

def test_spec_examples_5x5_with_3x3():
    assert R.conv_output_size(5, 3) == 3 and R.conv_output_size(5, 3, stride=2) == 2
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    assert R.conv2d(x, w, np.zeros(1)).shape == (1, 1, 3, 3)
    assert R.conv2d(x, w, np.zeros(1), stride=2).shape == (1, 1, 2, 2)
    # padding keeps edge pixels in play: the corner reaches 1 output unpadded, 4 with pad 1
    assert R.conv2d_backward(np.ones((1, 1, 3, 3)), x, w)[0][0, 0, 0, 0] == 1
    assert R.conv2d_backward(np.ones((1, 1, 5, 5)), x, w, pad=1)[0][0, 0, 0, 0] == 4


@SETTINGS
@given(st.integers(1, 20), st.integers(1, 6), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_conv_output_size_counts_window_positions(n, k, s, p, d):
    expected = len(naive.positions(n, k, s, p, d))
    if expected == 0:
        with pytest.raises(ValueError, match=r"k=\d+.*larger than padded input"):
            R.conv_output_size(n, k, s, p, d)
    else:
        got = R.conv_output_size(n, k, stride=s, pad=p, dilation=d)
        assert type(got) is int and got == expected


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 4))
def test_same_padding_keeps_size_or_refuses_even_kernels(k, d):
    span = d * (k - 1) + 1
    if span % 2 == 0:
        with pytest.raises(ValueError, match="even"):
            R.same_padding(k, d)
        return
    p = R.same_padding(k, dilation=d)
    assert type(p) is int
    for n in range(1, 12):
        if span <= n + 2 * p:
            assert len(naive.positions(n, k, 1, p, d)) == n


def test_pad2d_matches_np_pad_for_2d_and_4d():
    r = rng_of(1)
    x2, x4 = frozen(r.standard_normal((3, 4)), r.standard_normal((2, 3, 4, 5)))
    np.testing.assert_array_equal(R.pad2d(x2, 2), np.pad(x2, 2))
    np.testing.assert_array_equal(R.pad2d(x4, (1, 2), value=-3.5),
                                  np.pad(x4, [(0, 0), (0, 0), (1, 1), (2, 2)], constant_values=-3.5))
    np.testing.assert_array_equal(R.pad2d(x2, 0), x2)
    assert R.pad2d(np.ones((2, 2), dtype=int), 1).dtype == np.float64


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3)), max_size=6))
def test_receptive_field_walks_back_intervals(layers):
    got = R.receptive_field(layers)
    assert type(got) is int and got == naive.receptive_field(layers)


def test_receptive_field_examples():
    assert R.receptive_field([]) == 1
    assert R.receptive_field([(3, 1), (3, 1)]) == 5
    assert R.receptive_field([(3, 1)] * 3) == 7
    assert R.receptive_field([(2, 2), (3, 1)]) == 6          # pool then conv


# --------------------------------------------------------------------------- 03 correlation and convolution

@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.data())
def test_correlation_and_convolution_match_scipy(h, w, data):
    kh, kw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    r = rng_of(data.draw(st.integers(0, 2**32 - 1)))
    x, k = frozen(r.standard_normal((h, w)), r.standard_normal((kh, kw)))
    np.testing.assert_allclose(R.cross_correlate2d(x, k), scipy.signal.correlate2d(x, k, mode="valid"), **TIGHT)
    np.testing.assert_allclose(R.convolve2d(x, k), scipy.signal.convolve2d(x, k, mode="valid"), **TIGHT)
    np.testing.assert_allclose(R.cross_correlate2d(x, k), naive.correlate_valid(x, k), **TIGHT)


def test_flip180():
    k = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(R.flip180(k), np.rot90(k, 2, axes=(-2, -1)))
    np.testing.assert_array_equal(R.flip180(R.flip180(k[0, 0])), k[0, 0])
    assert R.flip180(k[0, 0]).flags.writeable and not np.shares_memory(R.flip180(k), k)


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_loops(case):
    x, w, b, stride, pad = case
    xf, wf, bf = frozen(x, w, b)
    y = R.conv2d(xf, wf, bf, stride=stride, pad=pad)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, naive.conv2d(x, w, b, stride, pad), **TIGHT)


def test_conv2d_one_channel_is_scipy_correlation_plus_bias():
    r = rng_of(2)
    x, w = r.standard_normal((1, 2, 6, 8)), r.standard_normal((3, 2, 3, 2))
    b = r.standard_normal(3)
    y = R.conv2d(x, w, b)
    for f in range(3):
        expected = sum(scipy.signal.correlate2d(x[0, c], w[f, c], mode="valid") for c in range(2)) + b[f]
        np.testing.assert_allclose(y[0, f], expected, **TIGHT)


def test_conv2d_with_integer_inputs_returns_float64():
    y = R.conv2d(np.ones((1, 1, 3, 3), dtype=int), np.ones((1, 1, 2, 2), dtype=int), np.zeros(1, dtype=int))
    assert y.dtype == np.float64 and np.all(y == 4)


# --------------------------------------------------------------------------- 04 pooling and unpooling

@SETTINGS
@given(st.booleans().flatmap(lambda ties: pool_cases(ties=ties)))
def test_pooling_matches_loops_including_ties(case):
    x, size, stride = case
    (xf,) = frozen(x)
    y, switches = R.max_pool2d(xf, size, stride)
    y_naive, s_naive = naive.max_pool2d(x, size, stride)
    assert y.dtype == np.float64 and switches.dtype == np.int64
    np.testing.assert_array_equal(y, y_naive)
    np.testing.assert_array_equal(switches, s_naive)
    np.testing.assert_allclose(R.mean_pool2d(xf, size, stride), naive.mean_pool2d(x, size, stride), **TIGHT)


@pytest.mark.parametrize("size, stride", [(2, None), ((2, 3), (1, 2)), (3, 2)])
def test_tie_policy_constant_input_gives_first_element_of_each_window(size, stride):
    h, w = 7, 8
    y, switches = R.max_pool2d(np.full((1, 2, h, w), 5.0), size, stride)
    sh, sw = naive.pair(size if stride is None else stride)
    ho, wo = y.shape[2:]
    expected = (np.arange(ho)[:, None] * sh) * w + np.arange(wo)[None, :] * sw
    np.testing.assert_array_equal(switches, np.broadcast_to(expected, switches.shape))
    assert np.all(y == 5.0)


def test_switches_are_flat_indices_into_each_plane():
    x = np.zeros((2, 2, 4, 6))
    x[1, 1, 3, 5] = 9.0                 # last plane, last pixel
    x[0, 0, 1, 0] = x[0, 0, 1, 1] = 7   # a tie in the first window's second row: leftmost wins
    _, switches = R.max_pool2d(x, 2)
    assert switches[1, 1, 1, 2] == 3 * 6 + 5
    assert switches[0, 0, 0, 0] == 1 * 6 + 0
    assert switches.max() < 4 * 6


@SETTINGS
@given(pool_cases())
def test_max_unpool2d_matches_loops_and_inverts_pooling_at_the_maxima(case):
    x, size, stride = case
    y, switches = R.max_pool2d(x, size, stride)
    yf, sf = frozen(y, switches)
    unpooled = R.max_unpool2d(yf, sf, x.shape[2:])
    np.testing.assert_array_equal(unpooled, naive.max_unpool2d(y, switches, x.shape[2:]))
    kept = unpooled != 0
    np.testing.assert_array_equal(unpooled[kept], x[kept])


def test_max_unpool2d_assigns_repeated_switches_but_backward_adds():
    x = np.array([[[[5.0, 9.0, 1.0]]]])
    y, switches = R.max_pool2d(x, (1, 2), 1)          # both windows pick the 9
    assert switches.ravel().tolist() == [1, 1]
    np.testing.assert_array_equal(R.max_unpool2d(y, switches, (1, 3)), [[[[0, 9, 0]]]])
    np.testing.assert_array_equal(R.max_pool2d_backward(np.ones((1, 1, 1, 2)), switches, x.shape), [[[[0, 2, 0]]]])
    # arbitrary values on a repeated switch: the last in row-major order wins (as single-threaded PyTorch)
    np.testing.assert_array_equal(R.max_unpool2d(np.array([[[[1.0, 2.0]]]]), switches, (1, 3)), [[[[0, 2, 0]]]])


@SETTINGS
@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3)), st.integers(0, 2**32 - 1))
def test_upsample_nearest_matches_loops(n, c, h, w, scale, seed):
    y = rng_of(seed).standard_normal((n, c, h, w))
    (yf,) = frozen(y)
    np.testing.assert_array_equal(R.upsample_nearest(yf, scale), naive.upsample_nearest(y, scale))
    np.testing.assert_array_equal(R.upsample_nearest(yf[0, 0], scale), naive.upsample_nearest(y[0, 0], scale))


def test_pooling_keeps_depth():
    x = np.zeros((3, 5, 8, 6))
    assert R.max_pool2d(x)[0].shape == (3, 5, 4, 3) and R.mean_pool2d(x, 3, 1).shape == (3, 5, 6, 4)


# --------------------------------------------------------------------------- 05 backprop

def test_numerical_gradient_on_known_functions():
    x = rng_of(3).standard_normal((2, 3, 4))
    (xf,) = frozen(x)
    g = R.numerical_gradient(lambda v: np.sum(v ** 3), xf)
    assert g.shape == x.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(R.numerical_gradient(lambda v: float(np.sin(v).sum()), x, h=1e-4),
                               np.cos(x), rtol=1e-7, atol=1e-8)
    assert R.numerical_gradient(lambda v: v * v, np.float64(3.0)) == pytest.approx(6.0)


def test_numerical_gradient_works_on_a_copy():
    x = np.arange(4.0)
    seen = []
    R.numerical_gradient(lambda v: (seen.append(v is x), v.sum())[1], x)
    assert not any(seen) and np.array_equal(x, np.arange(4.0))


def test_relative_error_definition():
    assert R.relative_error(np.ones(3), np.ones(3)) == 0.0
    assert R.relative_error(np.array([1.0, 2.0]), np.array([3.0, 2.0])) == pytest.approx(0.5)
    assert R.relative_error(np.zeros(2), np.array([0.0, 1e-9])) == pytest.approx(0.1)   # 1e-8 floor
    assert type(R.relative_error(np.ones((2, 2)), 2 * np.ones((2, 2)))) is float


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_dense_backward_against_finite_differences(n, d, m, seed):
    r = rng_of(seed)
    x, w, b, dout = r.standard_normal((n, d)), r.standard_normal((d, m)), r.standard_normal(m), r.standard_normal((n, m))
    dx, dw, db = R.dense_backward(*frozen(dout, x, w))
    loss = lambda x_, w_, b_: np.sum((x_ @ w_ + b_) * dout)   # noqa: E731
    np.testing.assert_allclose(dx, naive.finite_difference(lambda v: loss(v, w, b), x), **FD)
    np.testing.assert_allclose(dw, naive.finite_difference(lambda v: loss(x, v, b), w), **FD)
    np.testing.assert_allclose(db, naive.finite_difference(lambda v: loss(x, w, v), b), **FD)
    np.testing.assert_allclose(dw, np.einsum("ni,nj->ij", x, dout), **TIGHT)   # dE/dw_ij = a_i * delta_j


@settings(max_examples=15, deadline=None)
@given(conv_cases(max_hw=7))
def test_conv2d_backward_against_finite_differences(case):
    x, w, b, stride, pad = case
    dout = rng_of(0).standard_normal(naive.conv2d(x, w, b, stride, pad).shape)
    dx, dw, db = R.conv2d_backward(*frozen(dout, x, w), stride=stride, pad=pad)
    loss = lambda x_, w_, b_: np.sum(naive.conv2d(x_, w_, b_, stride, pad) * dout)   # noqa: E731
    np.testing.assert_allclose(dx, naive.finite_difference(lambda v: loss(v, w, b), x), **FD)
    np.testing.assert_allclose(dw, naive.finite_difference(lambda v: loss(x, v, b), w), **FD)
    np.testing.assert_allclose(db, naive.finite_difference(lambda v: loss(x, w, v), b), **FD)


def test_conv2d_backward_fixed_case_stride_pad_remainder():
    """Non-square, stride 2x3, pad 1x2, (H + 2p - k) % s != 0 on both axes: the dropped rows get zero."""
    r = rng_of(4)
    x, w, b = r.standard_normal((2, 2, 8, 9)), r.standard_normal((3, 2, 3, 2)), r.standard_normal(3)
    stride, pad = (2, 3), (1, 2)
    assert (8 + 2 - 3) % 2 and (9 + 4 - 2) % 3
    dout = r.standard_normal(naive.conv2d(x, w, b, stride, pad).shape)
    dx, dw, db = R.conv2d_backward(dout, x, w, stride, pad)
    loss = lambda x_, w_: np.sum(naive.conv2d(x_, w_, b, stride, pad) * dout)   # noqa: E731
    np.testing.assert_allclose(dx, naive.finite_difference(lambda v: loss(v, w), x), **FD)
    np.testing.assert_allclose(dw, naive.finite_difference(lambda v: loss(x, v), w), **FD)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 2, 3)), **TIGHT)


@SETTINGS
@given(conv_cases())
def test_transposed_convolution_is_the_input_gradient_of_convolution(case):
    x, w, b, stride, pad = case
    y = naive.conv2d(x, w, b, stride, pad)
    dout = rng_of(1).standard_normal(y.shape)
    (sh, sw), (ph, pw) = naive.pair(stride), naive.pair(pad)
    # output_padding recovers the rows/columns the forward pass dropped
    op = ((x.shape[2] + 2 * ph - w.shape[2]) % sh, (x.shape[3] + 2 * pw - w.shape[3]) % sw)
    dx = R.conv2d_backward(dout, x, w, stride, pad)[0]
    np.testing.assert_allclose(dx, R.conv_transpose2d(dout, w, np.zeros(x.shape[1]), stride, pad, op), **TIGHT)
    np.testing.assert_allclose(dx, naive.conv_transpose2d(dout, w, np.zeros(x.shape[1]), stride, pad, op), **TIGHT)


@SETTINGS
@given(pool_cases())
def test_pooling_backward_against_finite_differences(case):
    x, size, stride = case                         # continuous values: no ties, so max is differentiable
    y, switches = R.max_pool2d(x, size, stride)
    dout = rng_of(2).standard_normal(y.shape)
    doutf, sf = frozen(dout, switches)
    dx = R.max_pool2d_backward(doutf, sf, x.shape)
    np.testing.assert_allclose(dx, naive.finite_difference(
        lambda v: np.sum(naive.max_pool2d(v, size, stride)[0] * dout), x), **FD)
    dx_mean = R.mean_pool2d_backward(doutf, x.shape, size, stride)
    np.testing.assert_allclose(dx_mean, naive.finite_difference(
        lambda v: np.sum(naive.mean_pool2d(v, size, stride) * dout), x), **FD)


@SETTINGS
@given(pool_cases(ties=True))
def test_max_pool2d_backward_equals_unpooling_the_gradient_for_non_overlapping_windows(case):
    x, size, _ = case
    y, switches = R.max_pool2d(x, size)            # stride = size: windows do not overlap
    dout = rng_of(5).standard_normal(y.shape)
    np.testing.assert_array_equal(R.max_pool2d_backward(dout, switches, x.shape),
                                  R.max_unpool2d(dout, switches, x.shape[2:]))


# --------------------------------------------------------------------------- 06 transposed convolution

@SETTINGS
@given(transposed_cases())
def test_conv_transpose2d_scatter_and_via_conv_match_loops(case):
    x, w, b, stride, pad, op = case
    expected = naive.conv_transpose2d(x, w, b, stride, pad, op)
    xf, wf, bf = frozen(x, w, b)
    got = R.conv_transpose2d(xf, wf, bf, stride, pad, op)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, **TIGHT)
    np.testing.assert_allclose(R.conv_transpose2d_via_conv(xf, wf, bf, stride, pad, op), expected, **TIGHT)
    for axis in (0, 1):
        size = R.transposed_output_size(x.shape[2 + axis], w.shape[2 + axis], stride[axis], pad[axis], op[axis])
        assert type(size) is int and size == expected.shape[2 + axis]


@SETTINGS
@given(conv_cases())
def test_adjoint_identity(case):
    x, w, _, stride, pad = case
    (sh, sw), (ph, pw) = naive.pair(stride), naive.pair(pad)
    op = ((x.shape[2] + 2 * ph - w.shape[2]) % sh, (x.shape[3] + 2 * pw - w.shape[3]) % sw)
    y = rng_of(3).standard_normal(naive.conv2d(x, w, np.zeros(w.shape[0]), stride, pad).shape)
    lhs = np.vdot(R.conv2d(x, w, np.zeros(w.shape[0]), stride, pad), y)
    rhs = np.vdot(x, R.conv_transpose2d(y, w, np.zeros(x.shape[1]), stride, pad, op))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_spec_deconvolution_example_3x3_to_7x7_to_5x5():
    r = rng_of(6)
    x, w, b = r.standard_normal((1, 1, 3, 3)), r.standard_normal((1, 1, 3, 3)), r.standard_normal(1)
    dilated = R.dilate2d(x, 2)
    assert dilated.shape == (1, 1, 5, 5)
    padded = R.pad2d(dilated, 3 - 1 - 1)
    assert padded.shape == (1, 1, 7, 7)
    y = R.conv2d(padded, R.flip180(w).transpose(1, 0, 2, 3), b)
    assert y.shape == (1, 1, 5, 5) and R.transposed_output_size(3, 3, stride=2, pad=1) == 5
    np.testing.assert_allclose(R.conv_transpose2d_via_conv(x, w, b, stride=2, pad=1), y, **TIGHT)
    np.testing.assert_allclose(R.conv_transpose2d(x, w, b, stride=2, pad=1), y, **TIGHT)
    np.testing.assert_allclose(y, naive.conv_transpose2d(x, w, b, 2, 1), **TIGHT)


@SETTINGS
@given(st.integers(1, 2), st.integers(1, 2), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4),
       st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_dilate2d_matches_loops(n, c, h, w, sh, sw, seed):
    x = rng_of(seed).standard_normal((n, c, h, w))
    (xf,) = frozen(x)
    np.testing.assert_array_equal(R.dilate2d(xf, (sh, sw)), naive.dilate2d(x, (sh, sw)))
    np.testing.assert_array_equal(R.dilate2d(xf[0, 0], sh), naive.dilate2d(x[0, 0], sh))


@SETTINGS
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 4))
def test_overlap_count_matches_loops_and_the_2d_map_is_the_outer_product(n, k, s):
    counts = R.overlap_count(n, k, s)
    assert counts.dtype.kind == "i" and len(counts) == R.transposed_output_size(n, k, s)
    np.testing.assert_array_equal(counts, naive.overlap_count(n, k, s))
    ones = naive.conv_transpose2d(np.ones((1, 1, n, n + 1)), np.ones((1, 1, k, k)), np.zeros(1), s)
    np.testing.assert_array_equal(ones[0, 0], np.outer(counts, R.overlap_count(n + 1, k, s)))


def test_overlap_count_checkerboard():
    np.testing.assert_array_equal(R.overlap_count(3, 3, 2), [1, 1, 2, 1, 2, 1, 1])
    assert len(set(R.overlap_count(4, 4, 2)[2:-2])) == 1      # k divisible by s: even coverage inside


def test_transposed_output_size_examples():
    assert R.transposed_output_size(3, 3, 2) == 7
    assert R.transposed_output_size(3, 3, 2, 1, 1) == 6
    assert R.transposed_output_size(4, 4, 2, 1) == 8


# --------------------------------------------------------------------------- validation

X = np.zeros((1, 3, 5, 6))
W = np.zeros((2, 3, 3, 3))
B = np.zeros(2)
WT = np.zeros((3, 2, 3, 3))

BAD_CALLS = [
    ("conv2d stride 0", lambda: R.conv2d(X, W, B, stride=0), r"stride must be >= 1, got 0"),
    ("conv2d stride pair", lambda: R.conv2d(X, W, B, stride=(1, 0)), r"stride must be >= 1"),
    ("conv2d stride triple", lambda: R.conv2d(X, W, B, stride=(1, 1, 1)), r"stride"),
    ("conv2d stride float", lambda: R.conv2d(X, W, B, stride=1.5), r"stride"),
    ("conv2d pad -1", lambda: R.conv2d(X, W, B, pad=-1), r"pad must be >= 0, got -1"),
    ("conv2d kernel too big", lambda: R.conv2d(X, np.zeros((2, 3, 8, 3)), B, pad=1),
     r"kernel_size.*larger than padded input"),
    ("conv2d channels", lambda: R.conv2d(X, np.zeros((2, 2, 3, 3)), B), r"channel mismatch: x has C=3 but w expects 2"),
    ("conv2d ndim", lambda: R.conv2d(X[0], W, B), r"x must be 4-D \(N, C, H, W\), got shape \(3, 5, 6\)"),
    ("conv2d w ndim", lambda: R.conv2d(X, W[0], B), r"w must be 4-D"),
    ("conv2d bias", lambda: R.conv2d(X, W, np.zeros(3)), r"b must have shape \(2,\)"),
    ("locally_connected2d positions", lambda: R.locally_connected2d(X, np.zeros((2, 2, 2, 3, 3, 3)),
                                                                    np.zeros((2, 2, 2))), r"w has 2x2 output positions"),
    ("tie_weights out_hw", lambda: R.tie_weights(W, 0), r"out_hw"),
    ("local_param_count in_shape", lambda: R.local_param_count((3, 5), 2, 3), r"in_shape"),
    ("local_param_count kernel", lambda: R.local_param_count((3, 5, 5), 2, 7), r"kernel_size.*larger than padded"),
    ("conv_param_count channels", lambda: R.conv_param_count(0, 2, 3), r"in_channels must be >= 1"),
    ("dense_param_count", lambda: R.dense_param_count(3, 0), r"n_out must be >= 1"),
    ("conv_output_size stride", lambda: R.conv_output_size(5, 3, stride=0), r"stride must be >= 1"),
    ("conv_output_size pad", lambda: R.conv_output_size(5, 3, pad=-1), r"pad must be >= 0"),
    ("conv_output_size dilation", lambda: R.conv_output_size(5, 3, dilation=0), r"dilation must be >= 1"),
    ("conv_output_size kernel", lambda: R.conv_output_size(5, 4, dilation=2), r"k=4 .*larger than padded input"),
    ("conv_output_size n", lambda: R.conv_output_size(0, 1), r"n must be >= 1"),
    ("conv_output_size bool", lambda: R.conv_output_size(5, True), r"k must be an int"),
    ("same_padding even", lambda: R.same_padding(4), r"k=4 .*even"),
    ("same_padding k", lambda: R.same_padding(0), r"k must be >= 1"),
    ("pad2d pad", lambda: R.pad2d(np.zeros((2, 2)), -1), r"pad must be >= 0"),
    ("pad2d ndim", lambda: R.pad2d(np.zeros((2, 2, 2)), 1), r"x must be 2-D or 4-D"),
    ("receptive_field", lambda: R.receptive_field([(3, 1), (3,)]), r"layers\[1\]"),
    ("receptive_field stride", lambda: R.receptive_field([(3, 0)]), r"layers\[0\] s must be >= 1"),
    ("cross_correlate2d", lambda: R.cross_correlate2d(np.zeros((3, 3)), np.zeros((4, 1))), r"k of shape .* larger"),
    ("convolve2d ndim", lambda: R.convolve2d(np.zeros((3, 3)), np.zeros((1, 2, 2))), r"k must be 2-D"),
    ("max_pool2d size", lambda: R.max_pool2d(X, 0), r"size must be >= 1"),
    ("max_pool2d stride", lambda: R.max_pool2d(X, 2, 0), r"stride must be >= 1"),
    ("max_pool2d too big", lambda: R.max_pool2d(X, 6), r"size kh=6 is larger than padded input"),
    ("mean_pool2d ndim", lambda: R.mean_pool2d(X[0]), r"x must be 4-D"),
    ("max_unpool2d range", lambda: R.max_unpool2d(np.ones((1, 1, 1, 1)), np.array([[[[4]]]]), (2, 2)),
     r"switches must lie in \[0, H\*W\)"),
    ("max_unpool2d dtype", lambda: R.max_unpool2d(np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)), (2, 2)),
     r"switches must hold integers"),
    ("max_unpool2d shape", lambda: R.max_unpool2d(np.ones((1, 1, 1, 2)), np.zeros((1, 1, 1, 1), int), (2, 2)),
     r"switches must have the shape"),
    ("max_unpool2d output_size", lambda: R.max_unpool2d(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1, 1), int), 0),
     r"output_size must be >= 1"),
    ("upsample_nearest scale", lambda: R.upsample_nearest(X, 0), r"scale must be >= 1"),
    ("dense_backward", lambda: R.dense_backward(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((5, 3))),
     r"x has D=4 but w expects 5"),
    ("dense_backward dout", lambda: R.dense_backward(np.zeros((2, 2)), np.zeros((2, 4)), np.zeros((4, 3))), r"dout"),
    ("numerical_gradient h", lambda: R.numerical_gradient(np.sum, np.zeros(2), h=0), r"h must be a positive"),
    ("numerical_gradient f", lambda: R.numerical_gradient(None, np.zeros(2)), r"f must be callable"),
    ("numerical_gradient scalar", lambda: R.numerical_gradient(lambda v: v, np.zeros(2)), r"f must return a scalar"),
    ("relative_error shapes", lambda: R.relative_error(np.zeros(2), np.zeros(3)), r"a and b must have the same shape"),
    ("conv2d_backward dout", lambda: R.conv2d_backward(np.zeros((1, 2, 3, 3)), X, W), r"dout must have"),
    ("conv2d_backward stride", lambda: R.conv2d_backward(np.zeros((1, 2, 3, 4)), X, W, stride=0), r"stride"),
    ("max_pool2d_backward shape", lambda: R.max_pool2d_backward(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1), int),
                                                                (1, 1, 2)), r"input_shape"),
    ("mean_pool2d_backward dout", lambda: R.mean_pool2d_backward(np.zeros((1, 3, 3, 3)), X.shape), r"dout must have"),
    ("transposed_output_size op", lambda: R.transposed_output_size(3, 3, 2, 0, 2),
     r"output_padding must be smaller than stride"),
    ("transposed_output_size pad", lambda: R.transposed_output_size(1, 1, 1, 1), r"pad=1 is too large"),
    ("conv_transpose2d op", lambda: R.conv_transpose2d(X, WT, B, stride=2, output_padding=2), r"output_padding"),
    ("conv_transpose2d channels", lambda: R.conv_transpose2d(X, W, B), r"channel mismatch: x has C=3 but w expects 2"),
    ("conv_transpose2d_via_conv op", lambda: R.conv_transpose2d_via_conv(X, WT, B, output_padding=1),
     r"output_padding must be smaller than stride"),
    ("conv_transpose2d_via_conv pad", lambda: R.conv_transpose2d_via_conv(X, WT, B, pad=-1), r"pad must be >= 0"),
    ("dilate2d stride", lambda: R.dilate2d(X, 0), r"stride must be >= 1"),
    ("overlap_count stride", lambda: R.overlap_count(3, 3, 0), r"stride must be >= 1"),
    ("flip180 ndim", lambda: R.flip180(np.zeros(3)), r"k must have at least one row and one column"),
]


@pytest.mark.parametrize("call, pattern", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_invalid_arguments_raise_value_error_naming_the_argument(call, pattern):
    with pytest.raises(ValueError) as error:
        call()
    assert re.search(pattern, str(error.value)), str(error.value)


def contract_signatures() -> dict[str, dict[str, list[tuple[str, object]]]]:
    """``{notebook: {function: [(argument, default), ...]}}`` read from docs/course-spec.md."""
    import ast
    signatures, notebook = {}, None
    for line in (ROOT / "docs" / "course-spec.md").read_text().splitlines():
        heading = re.match(r"### (\d\d_\w+)", line)
        if heading:
            notebook = heading.group(1)
            signatures[notebook] = {}
        call = re.match(r"- `(\w+)\((.*?)\)( ->|`)", line)
        if call and notebook:
            node = ast.parse(f"def {call.group(1)}({call.group(2)}): pass").body[0].args
            defaults = [None] * (len(node.args) - len(node.defaults)) + [ast.literal_eval(d) for d in node.defaults]
            signatures[notebook][call.group(1)] = [(a.arg, d) for a, d in zip(node.args, defaults)]
    return signatures


def test_every_graded_function_follows_the_contract_and_is_documented():
    import inspect

    from grader.course import notebooks
    contract = contract_signatures()
    for assignment in notebooks.assignments():
        assert list(contract[assignment]) == notebooks.functions(assignment), assignment
        for name, arguments in contract[assignment].items():
            parameters = inspect.signature(getattr(R, name)).parameters.values()
            assert [(p.name, None if p.default is p.empty else p.default) for p in parameters] == arguments, name
            doc = getattr(R, name).__doc__
            assert doc and ("Returns" in doc or "Inputs and output" in doc), name
