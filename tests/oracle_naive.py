"""Independent oracles for the reference implementations: direct definitions, written as plain loops.

Nothing here imports ``grader``: every function is the textbook definition, one output
element (or one input element, for scatter forms) at a time, so it is slow but obviously
right. Used by ``tests/test_reference.py`` on small arrays only.
"""
from __future__ import annotations

import numpy as np


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def zero_pad(x, ph, pw):
    """Zero-pad the last two axes by building a bigger array and copying x into its middle."""
    out = np.zeros(x.shape[:-2] + (x.shape[-2] + 2 * ph, x.shape[-1] + 2 * pw))
    out[..., ph:ph + x.shape[-2], pw:pw + x.shape[-1]] = x
    return out


def positions(n, k, s, p=0, d=1):
    """Start indices of the windows along one axis of the padded input (brute force)."""
    return [i for i in range(0, n + 2 * p, s) if i + d * (k - 1) < n + 2 * p]


def conv2d(x, w, b, stride=1, pad=0):
    (sh, sw), (ph, pw) = pair(stride), pair(pad)
    xp = zero_pad(x, ph, pw)
    n, c, _, _ = x.shape
    f, _, kh, kw = w.shape
    rows, cols = positions(x.shape[2], kh, sh, ph), positions(x.shape[3], kw, sw, pw)
    y = np.zeros((n, f, len(rows), len(cols)))
    for a in range(n):
        for o in range(f):
            for i, r in enumerate(rows):
                for j, q in enumerate(cols):
                    total = b[o]
                    for ch in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                total += xp[a, ch, r + u, q + v] * w[o, ch, u, v]
                    y[a, o, i, j] = total
    return y


def locally_connected2d(x, w, b, stride=1, pad=0):
    (sh, sw), (ph, pw) = pair(stride), pair(pad)
    xp = zero_pad(x, ph, pw)
    ho, wo, f, c, kh, kw = w.shape
    y = np.zeros((x.shape[0], f, ho, wo))
    for a in range(x.shape[0]):
        for o in range(f):
            for i in range(ho):
                for j in range(wo):
                    patch = xp[a, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[a, o, i, j] = np.sum(patch * w[i, j, o]) + b[o, i, j]
    return y


def correlate_valid(x, k):
    h, w = x.shape
    kh, kw = k.shape
    y = np.zeros((h - kh + 1, w - kw + 1))
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            y[i, j] = sum(x[i + u, j + v] * k[u, v] for u in range(kh) for v in range(kw))
    return y


def max_pool2d(x, size, stride=None):
    """Scan each window in row-major order, keeping the first strictly larger value."""
    kh, kw = pair(size)
    sh, sw = pair(size if stride is None else stride)
    n, c, h, w = x.shape
    rows, cols = positions(h, kh, sh), positions(w, kw, sw)
    y = np.zeros((n, c, len(rows), len(cols)))
    sw_ = np.zeros((n, c, len(rows), len(cols)), dtype=np.int64)
    for a in range(n):
        for ch in range(c):
            for i, r in enumerate(rows):
                for j, q in enumerate(cols):
                    best, where = -np.inf, None
                    for u in range(kh):
                        for v in range(kw):
                            if where is None or x[a, ch, r + u, q + v] > best:
                                best, where = x[a, ch, r + u, q + v], (r + u) * w + (q + v)
                    y[a, ch, i, j], sw_[a, ch, i, j] = best, where
    return y, sw_


def mean_pool2d(x, size, stride=None):
    kh, kw = pair(size)
    sh, sw = pair(size if stride is None else stride)
    n, c, h, w = x.shape
    rows, cols = positions(h, kh, sh), positions(w, kw, sw)
    y = np.zeros((n, c, len(rows), len(cols)))
    for a in range(n):
        for ch in range(c):
            for i, r in enumerate(rows):
                for j, q in enumerate(cols):
                    y[a, ch, i, j] = sum(x[a, ch, r + u, q + v] for u in range(kh) for v in range(kw)) / (kh * kw)
    return y


def max_unpool2d(y, switches, output_size):
    h, w = output_size
    n, c = y.shape[:2]
    x = np.zeros((n, c, h, w))
    for index in np.ndindex(y.shape):
        s = switches[index]
        x[index[0], index[1], s // w, s % w] = y[index]
    return x


def upsample_nearest(y, scale):
    sh, sw = pair(scale)
    out = np.zeros(y.shape[:-2] + (y.shape[-2] * sh, y.shape[-1] * sw))
    for i in range(out.shape[-2]):
        for j in range(out.shape[-1]):
            out[..., i, j] = y[..., i // sh, j // sw]
    return out


def dilate2d(x, stride):
    sh, sw = pair(stride)
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + ((h - 1) * sh + 1, (w - 1) * sw + 1))
    for i in range(h):
        for j in range(w):
            out[..., i * sh, j * sw] = x[..., i, j]
    return out


def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):
    """Scatter: every input value stamps its scaled kernel into a big buffer; then crop."""
    (sh, sw), (ph, pw), (oph, opw) = pair(stride), pair(pad), pair(output_padding)
    n, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    full = np.zeros((n, cout, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    for a in range(n):
        for ci in range(cin):
            for i in range(h):
                for j in range(wd):
                    full[a, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += x[a, ci, i, j] * w[ci]
    ho = (h - 1) * sh - 2 * ph + kh + oph
    wo = (wd - 1) * sw - 2 * pw + kw + opw
    return full[:, :, ph:ph + ho, pw:pw + wo] + b[None, :, None, None]


def overlap_count(n, k, stride):
    counts = np.zeros((n - 1) * stride + k, dtype=np.int64)
    for i in range(n):
        for u in range(k):
            counts[i * stride + u] += 1
    return counts


def receptive_field(layers):
    """Walk back from one output unit: the interval of input indices it depends on."""
    lo, hi = 0, 0
    for k, s in reversed(layers):
        lo, hi = lo * s, hi * s + k - 1
    return hi - lo + 1


def finite_difference(f, x, h=1e-6):
    """Central differences of the scalar f at x (x untouched)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (f(x + e) - f(x - e)) / (2 * h)
    return grad
