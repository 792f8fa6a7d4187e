"""Reference implementations of notebook 02_padding_stride (the functions in ``__all__``).

Conventions and validation as in ``grader/course/reference.py``; the grading process judges students against these.
"""
from __future__ import annotations

import numbers

from grader.course.validation import _array, _int, _out_size, _pad_sides, _pair

__all__ = ["conv_output_size", "pad2d", "same_padding", "receptive_field"]

def conv_output_size(n, k, stride=1, pad=0, dilation=1):
    """
    Output size of a convolution (or pooling) along one axis.

    Inputs:
    - n: int >= 1, input size
    - k: int >= 1, kernel size
    - stride: int >= 1
    - pad: int >= 0, zeros added on each side
    - dilation: int >= 1, spacing between kernel taps

    Returns:
    - size: int, floor((n + 2*pad - dilation*(k-1) - 1) / stride) + 1

    Raises ValueError when an argument is out of range or the (dilated) kernel is
    larger than the padded input.
    """
    n, k = _int(n, "n", 1), _int(k, "k", 1)
    s, p, d = _int(stride, "stride", 1), _int(pad, "pad", 0), _int(dilation, "dilation", 1)
    return _out_size(n, k, s, p, d, f"kernel size k={k}")


def pad2d(x, pad, value=0.0):
    """
    Pad the last two axes (height, width) of a 2-D or 4-D array with a constant.

    Inputs:
    - x: array of shape (H, W) or (N, C, H, W)
    - pad: int or (ph, pw), rows added at the top AND at the bottom, columns at the left AND the right
    - value: the constant (float)

    Returns:
    - xp: new float64 array of shape (..., H + 2*ph, W + 2*pw)
    """
    x = _array(x, "x", (2, 4), "(H, W) or (N, C, H, W)")
    ph, pw = _pair(pad, "pad", 0)
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"value must be a real number, got {value!r}")
    return _pad_sides(x, ph, ph, pw, pw, float(value))


def same_padding(k, dilation=1):
    """
    Per-side padding that keeps the size unchanged at stride 1 ("same" convolution).

    Inputs:
    - k: int >= 1, kernel size
    - dilation: int >= 1

    Returns:
    - pad: int, (dilation*(k-1)) // 2

    Raises ValueError when the effective kernel dilation*(k-1)+1 is even (no symmetric padding exists).
    """
    k, d = _int(k, "k", 1), _int(dilation, "dilation", 1)
    span = d * (k - 1) + 1
    if span % 2 == 0:
        raise ValueError(f"k={k} with dilation={d} gives an even effective kernel ({span}); "
                         "no per-side padding keeps the size")
    return (span - 1) // 2


def receptive_field(layers):
    """
    Receptive field (in input pixels, along one axis) of one unit of the last layer of a stack.

    Inputs:
    - layers: list of (k, s) pairs (kernel size, stride), from the input to the output

    Returns:
    - r: int, 1 + sum_l (k_l - 1) * prod_{m<l} s_m  (1 for an empty list)
    """
    if not isinstance(layers, (list, tuple)):
        raise ValueError(f"layers must be a list of (k, s) pairs, got {type(layers).__name__}")
    field, jump = 1, 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise ValueError(f"layers[{i}] must be a (k, s) pair, got {layer!r}")
        k, s = _int(layer[0], f"layers[{i}] k", 1), _int(layer[1], f"layers[{i}] s", 1)
        field += (k - 1) * jump
        jump *= s
    return field
