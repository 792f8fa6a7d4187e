"""Reference implementations of every graded function of notebooks 01-06.

The grading process judges students' outcomes against these functions, so they
follow ``course-spec.md`` to the letter:

- arrays are float64, batched tensors NCHW, conv weights ``(F, C, kh, kw)``,
  transposed-conv weights ``(C_in, C_out, kh, kw)`` (PyTorch orders);
- ``stride``, ``pad``, ``dilation``, ``size``, ``scale``, ``output_padding`` are an
  int or an ``(h, w)`` pair; ``pad`` is per side;
- output size ``floor((n + 2p - d*(k-1) - 1) / s) + 1`` (the remainder is dropped);
- max pooling: unpadded windows, ``stride`` defaults to ``size``, ties go to the
  first maximum in row-major order, switches are int64 flat indices into each
  input ``H*W`` plane;
- gradients of overlapping windows accumulate;
- inputs are never modified, and every invalid argument raises ``ValueError``
  with a message that names the argument.

Everything is vectorised: the only Python loops run over kernel taps
(``kh*kw``), over the elements of ``numerical_gradient``'s input (that is the
method), or over the few layers of ``receptive_field``. ``tools/compare_with_torch.py``
checks these functions against PyTorch.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    # 01_local_connectivity
    "dense_param_count", "local_param_count", "conv_param_count", "locally_connected2d", "tie_weights",
    # 02_padding_stride
    "conv_output_size", "pad2d", "same_padding", "receptive_field",
    # 03_correlation_convolution
    "flip180", "cross_correlate2d", "convolve2d", "conv2d",
    # 04_pooling_unpooling
    "max_pool2d", "mean_pool2d", "max_unpool2d", "upsample_nearest",
    # 05_backprop
    "dense_backward", "numerical_gradient", "relative_error", "conv2d_backward",
    "max_pool2d_backward", "mean_pool2d_backward",
    # 06_transposed_convolution
    "transposed_output_size", "dilate2d", "conv_transpose2d", "conv_transpose2d_via_conv", "overlap_count",
]

_NCHW = "(N, C, H, W)"


# --------------------------------------------------------------------------- validation helpers

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


# --------------------------------------------------------------------------- array helpers

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


# --------------------------------------------------------------------------- 01_local_connectivity

def dense_param_count(n_in, n_out, bias=True):
    """
    Number of parameters of a fully-connected layer.

    Inputs:
    - n_in: int >= 1, number of inputs
    - n_out: int >= 1, number of outputs (neurons)
    - bias: whether each output has a bias

    Returns:
    - count: int, n_in * n_out weights (+ n_out biases)
    """
    n_in, n_out = _int(n_in, "n_in", 1), _int(n_out, "n_out", 1)
    return n_in * n_out + (n_out if bias else 0)


def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    """
    Number of parameters of a locally connected layer (untied weights).

    Every output unit (f, i, j) has its own C*kh*kw weights and, with bias, its own bias.

    Inputs:
    - in_shape: (C, H, W) of the input
    - out_channels: int F >= 1
    - kernel_size: int or (kh, kw)
    - stride, pad: int or (h, w) pair; pad is per side

    Returns:
    - count: int, Ho*Wo*F*C*kh*kw (+ Ho*Wo*F biases)
    """
    if not isinstance(in_shape, (tuple, list)) or len(in_shape) != 3:
        raise ValueError(f"in_shape must be a 3-tuple (C, H, W), got {in_shape!r}")
    c, h, w = (_int(v, "in_shape", 1) for v in in_shape)
    f = _int(out_channels, "out_channels", 1)
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    ho = _out_size(h, kh, sh, ph, 1, f"kernel_size kh={kh}")
    wo = _out_size(w, kw, sw, pw, 1, f"kernel_size kw={kw}")
    units = ho * wo * f
    return units * c * kh * kw + (units if bias else 0)


def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
    """
    Number of parameters of a convolutional layer (weights shared over positions).

    Inputs:
    - in_channels: int C >= 1
    - out_channels: int F >= 1
    - kernel_size: int or (kh, kw)

    Returns:
    - count: int, F*C*kh*kw (+ F biases)
    """
    c, f = _int(in_channels, "in_channels", 1), _int(out_channels, "out_channels", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    return f * c * kh * kw + (f if bias else 0)


def locally_connected2d(x, w, b, stride=1, pad=0):
    """
    Forward pass of a locally connected layer: a convolution whose weights differ at every output position.

    Inputs:
    - x: input of shape (N, C, H, W)
    - w: weights of shape (Ho, Wo, F, C, kh, kw); w[i, j] is the filter bank used at output (i, j)
    - b: biases of shape (F, Ho, Wo)
    - stride, pad: int or (h, w) pair; pad is per side (zeros)

    Returns:
    - y: output of shape (N, F, Ho, Wo),
      y[n, f, i, j] = sum_{c,u,v} xpad[n, c, i*sh+u, j*sw+v] * w[i, j, f, c, u, v] + b[f, i, j]
    """
    x = _array(x, "x", (4,), _NCHW)
    w = _array(w, "w", (6,), "(Ho, Wo, F, C, kh, kw)")
    b = _array(b, "b", (3,), "(F, Ho, Wo)")
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    ho_w, wo_w, f, c, kh, kw = w.shape
    if x.shape[1] != c:
        raise ValueError(f"channel mismatch: x has C={x.shape[1]} but w expects {c}")
    ho = _out_size(x.shape[2], kh, stride[0], pad[0], 1, f"kernel_size kh={kh}")
    wo = _out_size(x.shape[3], kw, stride[1], pad[1], 1, f"kernel_size kw={kw}")
    if (ho_w, wo_w) != (ho, wo):
        raise ValueError(f"w has {ho_w}x{wo_w} output positions but x, stride and pad give {ho}x{wo}")
    if b.shape != (f, ho, wo):
        raise ValueError(f"b must have shape {(f, ho, wo)}, got {b.shape}")
    cols = _windows(pad2d(x, pad), (kh, kw), stride)          # (N, C, Ho, Wo, kh, kw)
    y = np.einsum("ncijuv,ijfcuv->nfij", cols, w, optimize=True)
    return y + b


def tie_weights(w, out_hw):
    """
    Repeat a convolution weight at every output position (weight sharing as a locally connected layer).

    Inputs:
    - w: conv weights of shape (F, C, kh, kw)
    - out_hw: int or (Ho, Wo), the output size

    Returns:
    - w_local: array of shape (Ho, Wo, F, C, kh, kw) with w_local[i, j] == w, a new
      (writable) array, so locally_connected2d(x, tie_weights(w, (Ho, Wo)), b_local) is a conv layer
    """
    w = _array(w, "w", (4,), "(F, C, kh, kw)")
    ho, wo = _pair(out_hw, "out_hw", 1)
    return np.array(np.broadcast_to(w, (ho, wo) + w.shape))


# --------------------------------------------------------------------------- 02_padding_stride

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


# --------------------------------------------------------------------------- 03_correlation_convolution

def flip180(k):
    """
    Rotate the last two axes by 180 degrees (flip up-down and left-right).

    Inputs:
    - k: array with ndim >= 2, e.g. a kernel (kh, kw) or conv weights (F, C, kh, kw)

    Returns:
    - flipped: new float64 array of the same shape, flipped[..., i, j] = k[..., kh-1-i, kw-1-j]
    """
    k = _array(k, "k", None)
    return k[..., ::-1, ::-1].copy()


def cross_correlate2d(x, k):
    """
    Valid-mode 2-D cross-correlation (what CNN layers compute).

    Inputs:
    - x: input of shape (H, W)
    - k: kernel of shape (kh, kw), kh <= H and kw <= W

    Returns:
    - y: array of shape (H-kh+1, W-kw+1), y[i, j] = sum_{u,v} x[i+u, j+v] * k[u, v]
    """
    x = _array(x, "x", (2,), "(H, W)")
    k = _array(k, "k", (2,), "(kh, kw)")
    if k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
        raise ValueError(f"k of shape {k.shape} is larger than x of shape {x.shape}")
    return np.tensordot(_windows(x, k.shape, (1, 1)), k, axes=([2, 3], [0, 1]))


def convolve2d(x, k):
    """
    Valid-mode 2-D true convolution: cross-correlation with the kernel rotated by 180 degrees.

    Inputs:
    - x: input of shape (H, W)
    - k: kernel of shape (kh, kw), kh <= H and kw <= W

    Returns:
    - y: array of shape (H-kh+1, W-kw+1), y[i, j] = sum_{u,v} x[i+u, j+v] * k[kh-1-u, kw-1-v]
    """
    return cross_correlate2d(x, flip180(_array(k, "k", (2,), "(kh, kw)")))


def _check_conv(x, w, b, transposed=False):
    """Validate a batch, weights (conv: (F, C, kh, kw); transposed: (C_in, C_out, kh, kw)) and a bias.

    Returns them as float64 arrays (b may be None: not checked).
    """
    x = _array(x, "x", (4,), _NCHW)
    w = _array(w, "w", (4,), "(C_in, C_out, kh, kw)" if transposed else "(F, C, kh, kw)")
    in_axis, out_axis = (0, 1) if transposed else (1, 0)
    if x.shape[1] != w.shape[in_axis]:
        raise ValueError(f"channel mismatch: x has C={x.shape[1]} but w expects {w.shape[in_axis]}")
    if b is not None:
        b = _array(b, "b", (1,), "(F,)", spatial=False)
        if b.shape != (w.shape[out_axis],):
            raise ValueError(f"b must have shape ({w.shape[out_axis]},) to match w, got {b.shape}")
    return x, w, b


def conv2d(x, w, b, stride=1, pad=0):
    """
    Forward pass of a convolutional layer (cross-correlation, as in PyTorch).

    Each of the F filters spans all C input channels and gives one feature map.

    Inputs:
    - x: input of shape (N, C, H, W)
    - w: filters of shape (F, C, kh, kw)
    - b: biases of shape (F,)
    - stride: int or (sh, sw)
    - pad: int or (ph, pw), zeros added on each side

    Returns:
    - y: output of shape (N, F, Ho, Wo), Ho = floor((H + 2ph - kh)/sh) + 1 (same for Wo),
      y[n, f, i, j] = sum_{c,u,v} xpad[n, c, i*sh+u, j*sw+v] * w[f, c, u, v] + b[f]
    """
    x, w, b = _check_conv(x, w, b)
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    kh, kw = w.shape[2:]
    _out_size(x.shape[2], kh, stride[0], pad[0], 1, f"kernel_size kh={kh}")
    _out_size(x.shape[3], kw, stride[1], pad[1], 1, f"kernel_size kw={kw}")
    cols = _windows(pad2d(x, pad), (kh, kw), stride)            # (N, C, Ho, Wo, kh, kw)
    y = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))      # (N, Ho, Wo, F)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2)) + b[:, None, None]


# --------------------------------------------------------------------------- 04_pooling_unpooling

def _pool_windows(x, size, stride):
    x = _array(x, "x", (4,), _NCHW)
    kernel, stride = _pool_args(size, stride)
    _out_size(x.shape[2], kernel[0], stride[0], 0, 1, f"size kh={kernel[0]}")
    _out_size(x.shape[3], kernel[1], stride[1], 0, 1, f"size kw={kernel[1]}")
    return x, kernel, stride, _windows(x, kernel, stride)


def max_pool2d(x, size=2, stride=None):
    """
    Max pooling of each channel on its own (depth stays C), with the positions of the maxima.

    Inputs:
    - x: input of shape (N, C, H, W)
    - size: int or (kh, kw), the window (not padded)
    - stride: int or (sh, sw); None means stride = size

    Returns a tuple of:
    - y: output of shape (N, C, Ho, Wo), Ho = floor((H - kh)/sh) + 1
    - switches: int64 array of shape (N, C, Ho, Wo), the flat index (row * W + col) into
      the input's H*W plane of each maximum; on ties the first maximum in row-major
      order inside the window wins (PyTorch's return_indices convention)
    """
    x, (kh, kw), (sh, sw), windows = _pool_windows(x, size, stride)
    n, c, ho, wo = windows.shape[:4]
    flat = windows.reshape(n, c, ho, wo, kh * kw)               # row-major order inside each window
    local = np.argmax(flat, axis=-1)                            # first maximum wins
    y = np.take_along_axis(flat, local[..., None], axis=-1)[..., 0]
    rows = np.arange(ho)[:, None] * sh + local // kw
    cols = np.arange(wo)[None, :] * sw + local % kw
    switches = (rows * x.shape[3] + cols).astype(np.int64)
    return y, switches


def mean_pool2d(x, size=2, stride=None):
    """
    Mean (average) pooling of each channel on its own.

    Inputs:
    - x: input of shape (N, C, H, W)
    - size: int or (kh, kw), the window (not padded)
    - stride: int or (sh, sw); None means stride = size

    Returns:
    - y: output of shape (N, C, Ho, Wo), the mean of each window
    """
    cols = _pool_windows(x, size, stride)[3]
    return cols.mean(axis=(-2, -1))


def _check_switches(switches, shape, name="switches"):
    s = np.asarray(switches)
    if s.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {s.dtype}")
    if s.shape != shape:
        raise ValueError(f"{name} must have the shape {shape} of the pooled values, got {s.shape}")
    return s.astype(np.int64)


def _scatter_planes(values, switches, n, c, h, w, accumulate):
    """Put ``values`` (N, C, ...) at flat plane positions ``switches`` of a zero (N, C, h, w) array."""
    s = _check_switches(switches, values.shape)
    if s.size and (s.min() < 0 or s.max() >= h * w):
        raise ValueError(f"switches must lie in [0, H*W) = [0, {h * w}), got values in [{s.min()}, {s.max()}]")
    offsets = (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, *([1] * (values.ndim - 2)))
    where = (s + offsets).ravel()
    if accumulate:
        out = np.bincount(where, weights=values.ravel(), minlength=n * c * h * w)
    else:
        out = np.zeros(n * c * h * w)
        out[where] = values.ravel()      # repeated switch: the last in row-major order wins
    return out.reshape(n, c, h, w)


def max_unpool2d(y, switches, output_size):
    """
    Max unpooling: put each pooled value back at the position of its maximum, zeros elsewhere.

    Inputs:
    - y: pooled values of shape (N, C, Ho, Wo)
    - switches: int array of shape (N, C, Ho, Wo), flat indices into each H*W plane (from max_pool2d)
    - output_size: (H, W) of the unpooled output

    Returns:
    - x: array of shape (N, C, H, W)

    Values are assigned, not added (as PyTorch's max_unpool2d). When overlapping windows
    share a switch, max_pool2d gave them the same value, so the result is the same;
    for arbitrary y, the last value in row-major order wins (single-threaded PyTorch).
    """
    y = _array(y, "y", (4,), _NCHW)
    h, w = _pair(output_size, "output_size", 1)
    return _scatter_planes(y, switches, y.shape[0], y.shape[1], h, w, accumulate=False)


def upsample_nearest(y, scale=2):
    """
    Nearest-neighbour upsampling: copy each value into its scale_h x scale_w block (no positions used).

    Inputs:
    - y: array of shape (H, W) or (N, C, H, W)
    - scale: int or (scale_h, scale_w), >= 1

    Returns:
    - x: array of shape (..., H*scale_h, W*scale_w), x[..., i, j] = y[..., i // scale_h, j // scale_w]
      (PyTorch's interpolate(mode="nearest") with an integer scale_factor)
    """
    y = _array(y, "y", (2, 4), "(H, W) or (N, C, H, W)")
    sh, sw = _pair(scale, "scale", 1)
    return np.repeat(np.repeat(y, sh, axis=-2), sw, axis=-1)


# --------------------------------------------------------------------------- 05_backprop

def dense_backward(dout, x, w):
    """
    Backward pass of a fully-connected layer y = x @ w + b.

    Inputs:
    - dout: upstream gradient dE/dy of shape (N, M), the sensitivities delta_j
    - x: input of shape (N, D), the activations a_i
    - w: weights of shape (D, M)

    Returns a tuple of:
    - dx: gradient of shape (N, D), dout @ w.T
    - dw: gradient of shape (D, M), x.T @ dout  (dE/dw_ij = sum_n a_i * delta_j)
    - db: gradient of shape (M,), dout summed over the batch
    """
    dout = _array(dout, "dout", (2,), "(N, M)", spatial=False)
    x = _array(x, "x", (2,), "(N, D)", spatial=False)
    w = _array(w, "w", (2,), "(D, M)", spatial=False)
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"shape mismatch: x has D={x.shape[1]} but w expects {w.shape[0]}")
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], w.shape[1])}, got {dout.shape}")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def numerical_gradient(f, x, h=1e-5):
    """
    Central-difference gradient of a scalar function.

    Inputs:
    - f: function taking an array shaped like x and returning a scalar
    - x: point of any shape (not modified; f is called on a working copy)
    - h: step, > 0

    Returns:
    - grad: float64 array shaped like x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    if not isinstance(h, numbers.Real) or isinstance(h, bool) or not h > 0:
        raise ValueError(f"h must be a positive number, got {h!r}")
    point = np.array(x, dtype=np.float64)           # a copy: x itself is never touched
    grad = np.zeros_like(point)

    def value():
        out = np.asarray(f(point))
        if out.size != 1:
            raise ValueError(f"f must return a scalar, got an array of shape {out.shape}")
        return float(out.reshape(()))

    for index in np.ndindex(point.shape):
        kept = point[index]
        point[index] = kept + h
        plus = value()
        point[index] = kept - h
        minus = value()
        point[index] = kept
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """
    Largest elementwise relative error between two arrays of the same shape.

    Inputs:
    - a, b: arrays (or numbers) of the same shape

    Returns:
    - error: float, max |a - b| / max(1e-8, |a| + |b|)  (0.0 for empty arrays)
    """
    a = _array(a, "a", None, spatial=False)
    b = _array(b, "b", None, spatial=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def conv2d_backward(dout, x, w, stride=1, pad=0):
    """
    Backward pass of conv2d(x, w, b, stride, pad).

    Inputs:
    - dout: upstream gradient (the sensitivity map) of shape (N, F, Ho, Wo)
    - x: input of shape (N, C, H, W)
    - w: filters of shape (F, C, kh, kw)
    - stride, pad: as in the forward pass

    Returns a tuple of:
    - dx: gradient of shape (N, C, H, W): the full convolution of the stride-dilated
      sensitivity map with the 180-degree-flipped kernel (rows and columns the forward
      pass dropped get zero), with the padding cut off
    - dw: gradient of shape (F, C, kh, kw): the cross-correlation of the padded input
      with the (stride-dilated) sensitivity map
    - db: gradient of shape (F,): the sensitivity map summed over n, i, j
    """
    x, w, _ = _check_conv(x, w, None)
    dout = _array(dout, "dout", (4,), "(N, F, Ho, Wo)")
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho = _out_size(h, kh, sh, ph, 1, f"kernel_size kh={kh}")
    wo = _out_size(wd, kw, sw, pw, 1, f"kernel_size kw={kw}")
    if dout.shape != (n, f, ho, wo):
        raise ValueError(f"dout must have the forward output's shape {(n, f, ho, wo)}, got {dout.shape}")

    db = dout.sum(axis=(0, 2, 3))

    # dw: correlate the padded input with the dilated sensitivity map; only its
    # nonzero taps are read (a window of span (Ho-1)*sh+1 sampled every sh).
    xp = pad2d(x, (ph, pw))
    span = ((ho - 1) * sh + 1, (wo - 1) * sw + 1)
    taps = sliding_window_view(xp, span, axis=(2, 3))[:, :, :kh, :kw, ::sh, ::sw]   # (N, C, kh, kw, Ho, Wo)
    dw = np.tensordot(dout, taps, axes=([0, 2, 3], [0, 4, 5]))                      # (F, C, kh, kw)

    # dx: full convolution = valid cross-correlation of the dilated map, padded by k-1,
    # with the flipped kernel whose channel axes are swapped.
    full = conv2d(pad2d(dilate2d(dout, (sh, sw)), (kh - 1, kw - 1)),
                  flip180(w).transpose(1, 0, 2, 3), np.zeros(c))                   # (N, C, span+k-1)
    hp, wp = h + 2 * ph, wd + 2 * pw
    full = _pad_sides(full, 0, hp - full.shape[2], 0, wp - full.shape[3])          # dropped rows/cols: 0
    dx = full[:, :, ph:ph + h, pw:pw + wd].copy()
    return dx, dw, db


def max_pool2d_backward(dout, switches, input_shape):
    """
    Backward pass of max_pool2d: each gradient goes to its window's maximum only.

    Inputs:
    - dout: upstream gradient of shape (N, C, Ho, Wo)
    - switches: int array of shape (N, C, Ho, Wo) from max_pool2d
    - input_shape: (N, C, H, W) of the pooled input

    Returns:
    - dx: gradient of shape (N, C, H, W); where overlapping windows share a maximum,
      their gradients add up
    """
    dout = _array(dout, "dout", (4,), _NCHW)
    n, c, h, w = _shape4(input_shape, "input_shape")
    if dout.shape[:2] != (n, c):
        raise ValueError(f"dout has N, C = {dout.shape[:2]} but input_shape has {(n, c)}")
    return _scatter_planes(dout, switches, n, c, h, w, accumulate=True)


def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
    """
    Backward pass of mean_pool2d: each gradient is shared evenly by the kh*kw inputs of its window.

    Inputs:
    - dout: upstream gradient of shape (N, C, Ho, Wo)
    - input_shape: (N, C, H, W) of the pooled input
    - size, stride: as in the forward pass (stride None means stride = size)

    Returns:
    - dx: gradient of shape (N, C, H, W); overlapping windows add up, inputs in no window get 0
    """
    dout = _array(dout, "dout", (4,), _NCHW)
    n, c, h, w = _shape4(input_shape, "input_shape")
    (kh, kw), (sh, sw) = _pool_args(size, stride)
    ho = _out_size(h, kh, sh, 0, 1, f"size kh={kh}")
    wo = _out_size(w, kw, sw, 0, 1, f"size kw={kw}")
    if dout.shape != (n, c, ho, wo):
        raise ValueError(f"dout must have the pooled shape {(n, c, ho, wo)}, got {dout.shape}")
    share = dout / (kh * kw)
    dx = np.zeros((n, c, h, w))
    for u in range(kh):
        for v in range(kw):
            dx[:, :, u:u + (ho - 1) * sh + 1:sh, v:v + (wo - 1) * sw + 1:sw] += share
    return dx


# --------------------------------------------------------------------------- 06_transposed_convolution

def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
    """
    Output size of a transposed convolution along one axis.

    Inputs:
    - n: int >= 1, input size
    - k: int >= 1, kernel size
    - stride: int >= 1
    - pad: int >= 0, removed from each side of the full output
    - output_padding: int, 0 <= output_padding < stride, extra rows at the end

    Returns:
    - size: int, (n - 1)*stride - 2*pad + k + output_padding (must be >= 1)
    """
    n, k = _int(n, "n", 1), _int(k, "k", 1)
    s, p = _int(stride, "stride", 1), _int(pad, "pad", 0)
    op = _int(output_padding, "output_padding", 0)
    if op >= s:
        raise ValueError(f"output_padding must be smaller than stride ({s}), got {op}")
    size = (n - 1) * s - 2 * p + k + op
    if size < 1:
        raise ValueError(f"pad={p} is too large: the output size would be {size}")
    return size


def dilate2d(x, stride):
    """
    Insert stride-1 zeros between neighbouring values on the last two axes.

    Inputs:
    - x: array of shape (H, W) or (N, C, H, W)
    - stride: int or (sh, sw), >= 1

    Returns:
    - xd: new array of shape (..., (H-1)*sh + 1, (W-1)*sw + 1), xd[..., i*sh, j*sw] = x[..., i, j]
    """
    x = _array(x, "x", (2, 4), "(H, W) or (N, C, H, W)")
    sh, sw = _pair(stride, "stride", 1)
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((h - 1) * sh + 1, (w - 1) * sw + 1))
    out[..., ::sh, ::sw] = x
    return out


def _transposed_args(x, w, b, stride, pad, output_padding):
    x, w, b = _check_conv(x, w, b, transposed=True)
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    op = _pair(output_padding, "output_padding", 0)
    size = tuple(transposed_output_size(x.shape[2 + a], w.shape[2 + a], stride[a], pad[a], op[a]) for a in (0, 1))
    return x, w, b, stride, pad, op, size


def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):
    """
    Transposed convolution ("deconvolution"), scatter-add form.

    Every input value x[n, c, i, j] adds the kernel w[c] scaled by it to the output,
    at rows i*sh .. i*sh+kh-1 and columns j*sw .. j*sw+kw-1 of the full output;
    then pad rows/columns are cut from each side (output_padding extra at the end).

    Inputs:
    - x: input of shape (N, C_in, H, W)
    - w: weights of shape (C_in, C_out, kh, kw) (PyTorch order)
    - b: biases of shape (C_out,)
    - stride, pad, output_padding: int or (h, w) pair; 0 <= output_padding < stride

    Returns:
    - y: output of shape (N, C_out, Ho, Wo), Ho = (H-1)*sh - 2*ph + kh + oph
    """
    x, w, b, (sh, sw), (ph, pw), _, (ho, wo) = _transposed_args(x, w, b, stride, pad, output_padding)
    n, _, h, wd = x.shape
    kh, kw = w.shape[2:]
    # the full (uncropped) output, long enough for the output_padding rows too
    full = np.zeros((n, w.shape[1], max((h - 1) * sh + kh, ph + ho), max((wd - 1) * sw + kw, pw + wo)))
    contrib = np.tensordot(x, w, axes=([1], [0]))           # (N, H, W, C_out, kh, kw)
    contrib = contrib.transpose(0, 3, 4, 5, 1, 2)           # (N, C_out, kh, kw, H, W)
    for u in range(kh):
        for v in range(kw):
            full[:, :, u:u + (h - 1) * sh + 1:sh, v:v + (wd - 1) * sw + 1:sw] += contrib[:, :, u, v]
    return full[:, :, ph:ph + ho, pw:pw + wo] + b[:, None, None]


def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):
    """
    Transposed convolution computed as upsample-then-convolve.

    Dilate x by the stride, pad k-1-p on each side (plus output_padding at the
    bottom/right; a negative amount crops), then a valid, stride-1 conv2d with the
    180-degree-flipped kernel whose channel axes are swapped (C_out, C_in, kh, kw).
    E.g. a 3x3 input, k=3, stride 2, pad 1: dilate to 5x5, pad to 7x7, convolve to 5x5.

    Inputs and output: as conv_transpose2d (same result).
    """
    x, w, b, stride, (ph, pw), (oph, opw), _ = _transposed_args(x, w, b, stride, pad, output_padding)
    kh, kw = w.shape[2:]
    top, left = kh - 1 - ph, kw - 1 - pw
    xd = _pad_sides(dilate2d(x, stride), top, top + oph, left, left + opw)
    return conv2d(xd, flip180(w).transpose(1, 0, 2, 3), b)


def overlap_count(n, k, stride):
    """
    How many kernel taps of a 1-D transposed convolution reach each output position.

    Inputs:
    - n: int >= 1, input length
    - k: int >= 1, kernel size
    - stride: int >= 1

    Returns:
    - counts: int64 array of length (n-1)*stride + k; counts[t] = #{(i, u): i*stride + u = t}.
      The 2-D map is np.outer(counts_h, counts_w): a checkerboard when k % stride != 0.
    """
    n, k, s = _int(n, "n", 1), _int(k, "k", 1), _int(stride, "stride", 1)
    counts = np.zeros(transposed_output_size(n, k, s), dtype=np.int64)
    for u in range(k):
        counts[u:u + (n - 1) * s + 1:s] += 1
    return counts
