"""Argument checks and array helpers shared by the reference implementations (numpy only).

Every check raises ``ValueError`` with a message that names the argument.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_NCHW = "(N, C, H, W)"

def _int(value, name: str, minimum: int | None = None) -> int:
    """``value`` as a Python int (bools and floats refused), checked against ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _pair(value, name: str, minimum: int | None = None) -> tuple[int, int]:
    """An int or an ``(h, w)`` pair of ints as ``(h, w)``, each checked against ``minimum``."""
    values = tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else (value, value)
    if len(values) != 2 or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {value!r}")
    return _int(values[0], name, minimum), _int(values[1], name, minimum)


def _array(x, name: str, ndims: tuple[int, ...] | None, layout: str = "", spatial: bool = True) -> np.ndarray:
    """``x`` as a float64 array (a copy only when needed; never written to).

    ``ndims``: the allowed numbers of axes (None: any); ``spatial``: the last two axes must not be empty.
    """
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers: {error}") from None
    if ndims is not None and array.ndim not in ndims:
        wanted = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name} must be {wanted}{' ' + layout if layout else ''}, got shape {array.shape}")
    if spatial and (array.ndim < 2 or 0 in array.shape[-2:]):
        raise ValueError(f"{name} must have at least one row and one column, got shape {array.shape}")
    return array


def _shape4(value, name: str) -> tuple[int, int, int, int]:
    """A 4-tuple ``(N, C, H, W)`` of ints (N >= 0, the others >= 1)."""
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        raise ValueError(f"{name} must be a 4-tuple {_NCHW}, got {value!r}")
    n, c, h, w = value
    return _int(n, name, 0), _int(c, name, 1), _int(h, name, 1), _int(w, name, 1)


def _out_size(n: int, k: int, s: int, p: int, d: int, what: str) -> int:
    """``floor((n + 2p - d(k-1) - 1)/s) + 1``; ValueError naming ``what`` when the kernel does not fit."""
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        effective = f" (effective size {span} with dilation {d})" if d > 1 else ""
        raise ValueError(f"{what}{effective} is larger than padded input ({n} + 2*{p} = {n + 2 * p})")
    return (n + 2 * p - span) // s + 1


def _pool_args(size, stride) -> tuple[tuple[int, int], tuple[int, int]]:
    kernel = _pair(size, "size", 1)
    return kernel, kernel if stride is None else _pair(stride, "stride", 1)



def _pad_sides(x: np.ndarray, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> np.ndarray:
    """Pad (positive) or crop (negative) the last two axes of ``x`` on each side; returns a new array."""
    h, w = x.shape[-2:]
    x = x[..., max(0, -top):h - max(0, -bottom), max(0, -left):w - max(0, -right)]
    widths = [(0, 0)] * (x.ndim - 2) + [(max(0, top), max(0, bottom)), (max(0, left), max(0, right))]
    return np.pad(x, widths, mode="constant", constant_values=value)


def _windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Read-only view ``(..., Ho, Wo, kh, kw)`` of the strided ``kh x kw`` windows of the last two axes."""
    view = sliding_window_view(x, kernel, axis=(-2, -1))
    return view[..., ::stride[0], ::stride[1], :, :]
