"""The ungraded depth sections compute what they say: their own helpers, run here, agree with scipy,
and every number their prose states is recomputed.

03: a dilated convolution is a cross-correlation with a dilated kernel, and grouped / depthwise
separable convolutions with AlexNet's counts; 05: the delta recursion's vanishing factor; 06: nearest
and bilinear upsampling as transposed convolutions with fixed kernels.
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import jupytext
import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from grader.course import reference as R

ROOT = Path(__file__).resolve().parent.parent


@cache
def _source(assignment: str) -> str:
    return (ROOT / "solutions" / assignment / f"{assignment}.py").read_text()


def _prose(assignment: str) -> str:
    """The notebook's text on one line (a number may be split over two comment lines)."""
    return " ".join(_source(assignment).replace("#", " ").split())


def _notebook_function(assignment: str, name: str, **names):
    """The function `name` as the notebook defines it in a plain cell, bound to `names` (the student's functions)."""
    cells = jupytext.reads(_source(assignment), fmt="py:percent").cells
    cell = next(c for c in cells if c.cell_type == "code" and f"def {name}(" in c.source)
    tree = ast.parse(cell.source)
    tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
    namespace = {"np": np, **names}
    exec(compile(tree, f"{assignment}: {name}", "exec"), namespace)
    return namespace[name]


def _spread(k: np.ndarray, d: int) -> np.ndarray:
    """An independent dilated kernel, for the receptive fields."""
    out = np.zeros((d * (k.shape[0] - 1) + 1, d * (k.shape[1] - 1) + 1))
    out[::d, ::d] = k
    return out


@pytest.mark.parametrize("d", [2, 3])
def test_03_dilated_convolution_reads_every_dth_pixel(d):
    """Output phase (a, b) of a dilated cross-correlation is scipy's cross-correlation of the subsampled image."""
    dilate_kernel = _notebook_function("03_correlation_convolution", "dilate_kernel")
    g = np.random.default_rng(d)
    x, k = g.standard_normal((13, 11)), g.standard_normal((3, 2))
    y = R.cross_correlate2d(x, dilate_kernel(k, d))
    assert y.shape == (13 - d * 2, 11 - d * 1)
    for a in range(d):
        for b in range(d):
            expected = scipy.signal.correlate2d(x[a::d, b::d], k, mode="valid")
            np.testing.assert_allclose(y[a::d, b::d], expected[:len(range(a, y.shape[0], d)), :len(range(b, y.shape[1], d))],
                                       rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dilations, side, reached", [((1, 1, 1), 7, 49), ((1, 2, 4), 15, 225), ((2, 2, 2), 13, 49)])
def test_03_the_receptive_fields_it_states(dilations, side, reached):
    seen = np.zeros((31, 31))
    seen[15, 15] = 1.0
    for d in dilations:
        seen = scipy.signal.correlate2d(seen, _spread(np.ones((3, 3)), d), mode="valid")
    rows, cols = np.nonzero(seen)
    assert (np.ptp(rows) + 1, np.ptp(cols) + 1, len(rows)) == (side, side, reached)
    assert f"{side}×{side}" in _prose("03_correlation_convolution")
    if reached != side * side:
        assert f"{reached} of {side * side} pixels" in _prose("03_correlation_convolution")


def test_03_grouped_convolution_is_a_convolution_per_block():
    grouped_conv2d = _notebook_function("03_correlation_convolution", "grouped_conv2d", conv2d=R.conv2d)
    g = np.random.default_rng(0)
    x, w, b = g.standard_normal((2, 6, 5, 7)), g.standard_normal((4, 3, 3, 2)), g.standard_normal(4)
    y = grouped_conv2d(x, w, b, 2)
    for n in range(2):
        for f in range(4):
            block = range(3) if f < 2 else range(3, 6)             # filters 0, 1 see channels 0-2; 2, 3 see 3-5
            expected = b[f] + sum(scipy.signal.correlate2d(x[n, c], w[f, c - block[0]], mode="valid") for c in block)
            np.testing.assert_allclose(y[n, f], expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="groups=4"):
        grouped_conv2d(x, w, b, 4)


def test_03_the_alexnet_counts_it_states():
    text = _prose("03_correlation_convolution")
    stated = {
        "conv2, two groups": 256 * 48 * 5 * 5 + 256,
        "conv2, one group": 256 * 96 * 5 * 5 + 256,
        "conv2, separable weights": 96 * 5 * 5 + 96 * 256 * 1 * 1,
        "conv2 multiplications, two groups": 256 * 48 * 5 * 5 * 27 * 27,
        "conv2 multiplications, one group": 256 * 96 * 5 * 5 * 27 * 27,
        "conv4, two groups": 384 * 192 * 3 * 3 + 384,
        "conv4, one group": 384 * 384 * 3 * 3 + 384,
        "conv4, separable weights": 384 * 3 * 3 + 384 * 384,
    }
    for what, number in stated.items():
        assert f"{number:,}" in text or f"{number:,}".replace(",", "{,}") in text, what
    assert f"{1 / 256 + 1 / 25:.1%}" == "4.4%" and "approx 4.4\\%" in text


def test_05_the_vanishing_factor_it_states():
    assert f"{4.0 ** -10:.1e}" == "9.5e-07"
    assert "4^{-10} \\approx 9.5 \\cdot 10^{-7}" in _prose("05_backprop")
    assert re.search(r"\\delta_l = \\left\(W_\{l\+1\}\^\\top \\delta_\{l\+1\}\\right\) \\odot f'\(z_l\)", _prose("05_backprop"))


@pytest.mark.parametrize("scale, taps, pad, stated", [
    (2, [1, 3, 3, 1], 3, r"t = (\tfrac14, \tfrac34, \tfrac34, \tfrac14)$, stride 2, pad 3"),
    (4, [1, 3, 5, 7, 7, 5, 3, 1], 6, "$t = (1, 3, 5, 7, 7, 5, 3, 1)/8$ at stride 4, with pad 6"),
])
def test_06_bilinear_upsampling_is_a_transposed_convolution(scale, taps, pad, stated):
    """The kernel and pad 06 states, on the edge-padded input, give scipy's bilinear zoom (half-pixel centres)."""
    t = np.array(taps) / sum(taps) * scale
    x = np.random.default_rng(scale).standard_normal((5, 7))
    y = R.conv_transpose2d(np.pad(x, 1, mode="edge")[None, None], np.outer(t, t)[None, None], np.zeros(1), stride=scale, pad=pad)
    np.testing.assert_allclose(y[0, 0], scipy.ndimage.zoom(x, scale, order=1, grid_mode=True, mode="nearest"), atol=1e-12)
    assert stated in _prose("06_transposed_convolution")


def test_06_nearest_upsampling_is_a_transposed_convolution_with_ones():
    x = np.random.default_rng(0).standard_normal((1, 1, 3, 4))
    np.testing.assert_array_equal(R.conv_transpose2d(x, np.ones((1, 1, 2, 2)), np.zeros(1), stride=2), R.upsample_nearest(x, 2))
