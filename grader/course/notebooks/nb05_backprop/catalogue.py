"""05_backprop: dense and conv backward passes, pooling backward passes, gradient checking."""
from __future__ import annotations

import numpy as np

from grader.course.catalogue import correct, out_size, pair, wrong
from grader.course.notebooks.nb04_pooling_unpooling.catalogue import CORRECT as POOLING

CORRECT = {
    "dense_backward": correct("dense_backward", '''
        def dense_backward(dout, x, w):
            N, D = x.shape
            M = w.shape[1]
            dx = np.zeros((N, D))
            dw = np.zeros((D, M))
            db = np.zeros(M)
            for n in range(N):  # dE/dw_ij = sum over samples of a_i * delta_j
                dx[n] = w @ dout[n]
                dw += np.outer(x[n], dout[n])
                db += dout[n]
            return dx, dw, db
    '''),
    "numerical_gradient": correct("numerical_gradient", '''
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            flat = x.reshape(-1)
            for i in range(flat.size):
                plus = flat.copy()
                plus[i] = flat[i] + h
                minus = flat.copy()
                minus[i] = flat[i] - h
                grad.reshape(-1)[i] = (f(plus.reshape(x.shape)) - f(minus.reshape(x.shape))) / (2 * h)
            return grad
    '''),
    "relative_error": correct("relative_error", '''
        def relative_error(a, b):
            a = np.asarray(a, dtype=float).ravel()
            b = np.asarray(b, dtype=float).ravel()
            worst = 0.0
            for u, v in zip(a, b):
                worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
            return float(worst)
    '''),
    "conv2d_backward": correct("conv2d_backward", '''
        def conv2d_backward(dout, x, w, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho, Wo = dout.shape[2:]
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            dxp = np.zeros(xp.shape)
            dw = np.zeros(w.shape)
            db = np.zeros(F)
            for n in range(N):
                for f in range(F):
                    for i in range(Ho):
                        for j in range(Wo):
                            g = dout[n, f, i, j]
                            rows = slice(i * sh, i * sh + kh)
                            cols = slice(j * sw, j * sw + kw)
                            dxp[n, :, rows, cols] += g * w[f]
                            dw[f] += g * xp[n, :, rows, cols]
                            db[f] += g
            return dxp[:, :, ph:ph + H, pw:pw + W], dw, db
    '''),
    "max_pool2d_backward": correct("max_pool2d_backward", '''
        def max_pool2d_backward(dout, switches, input_shape):
            N, C, H, W = input_shape
            dx = np.zeros((N, C, H, W))
            for n in range(N):
                for c in range(C):
                    for i in range(dout.shape[2]):
                        for j in range(dout.shape[3]):
                            r, col = divmod(int(switches[n, c, i, j]), W)
                            dx[n, c, r, col] += dout[n, c, i, j]
            return dx
    '''),
    "mean_pool2d_backward": correct("mean_pool2d_backward", '''
        def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
            kh, kw = (size, size) if isinstance(size, int) else size
            if stride is None:
                stride = (kh, kw)
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            dx = np.zeros(input_shape)
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += dout[:, :, i:i + 1, j:j + 1] / (kh * kw)
            return dx
    '''),
}

_CONV_BACK = '''
        def conv2d_backward(dout, x, w, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho, Wo = dout.shape[2:]
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            dxp = np.zeros(xp.shape)
            dw = np.zeros(w.shape)
            db = np.zeros(F)
            for n in range(N):
                for i in range(Ho):
                    for j in range(Wo):
                        g = dout[n, :, i, j]
                        rows = slice(i * sh, i * sh + kh)
                        cols = slice(j * sw, j * sw + kw)
                        DX_LINE
                        DW_LINE
            DB_LINE
            return RETURN
'''


def _conv_back(dx="dxp[n, :, rows, cols] += np.tensordot(g, w, axes=(0, 0))",
               dw="dw += np.tensordot(g, xp[n, :, rows, cols], axes=0)",
               db="db = dout.sum(axis=(0, 2, 3))",
               ret="dxp[:, :, ph:ph + H, pw:pw + W], dw, db") -> str:
    """The loop form of conv2d_backward (looping n, i, j), with one line made wrong."""
    return (_CONV_BACK.replace("DX_LINE", dx).replace("DW_LINE", dw)
            .replace("DB_LINE", db).replace("RETURN", ret))


WRONG = [
    # dense_backward
    wrong("dense_backward", "dw averaged over the batch", '''
        def dense_backward(dout, x, w):
            N = x.shape[0]
            return dout @ w.T, x.T @ dout / N, dout.sum(axis=0)
    ''', hint="weight gradient not summed over the batch"),
    wrong("dense_backward", "dw assigned in the batch loop", '''
        def dense_backward(dout, x, w):
            dx = dout @ w.T
            for n in range(x.shape[0]):
                dw = np.outer(x[n], dout[n])
            db = np.sum(dout, axis=0)
            return dx, dw, db
    ''', hint="weight gradient not summed over the batch"),
    wrong("dense_backward", "db = dout", '''
        def dense_backward(dout, x, w):
            return dout @ w.T, x.T @ dout, dout.copy()
    ''', hint="bias gradient not summed over the batch"),
    wrong("dense_backward", "db summed over axis 1", '''
        def dense_backward(dout, x, w):
            return dout @ w.T, x.T @ dout, np.sum(dout, axis=1)
    ''', hint="wrong axis"),
    wrong("dense_backward", "dw transposed", '''
        def dense_backward(dout, x, w):
            return dout @ w.T, dout.T @ x, dout.sum(axis=0)
    ''', hint="w's shape"),
    # numerical_gradient
    wrong("numerical_gradient", "forward differences", '''
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            fx = f(x)
            for idx in np.ndindex(x.shape):
                xp = x.copy()
                xp[idx] += h
                grad[idx] = (f(xp) - fx) / h
            return grad
    ''', hint="forward differences instead of central differences"),
    wrong("numerical_gradient", "divided by h", '''
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros(x.shape)
            for idx in np.ndindex(x.shape):
                xp = x.copy()
                xm = x.copy()
                xp[idx] += h
                xm[idx] -= h
                grad[idx] = (f(xp) - f(xm)) / h
            return grad
    ''', hint="2h"),
    wrong("numerical_gradient", "x not restored", '''
        def numerical_gradient(f, x, h=1e-5):
            x = x.copy()
            grad = np.zeros(x.shape)
            for idx in np.ndindex(x.shape):
                x[idx] += h
                fp = f(x)
                x[idx] -= 2 * h
                fm = f(x)
                grad[idx] = (fp - fm) / (2 * h)
            return grad
    ''', hint="restore x"),
    wrong("numerical_gradient", "h hard-coded", '''
        def numerical_gradient(f, x, h=1e-5):
            eps = 1e-5
            grad = np.zeros(x.shape)
            for idx in np.ndindex(x.shape):
                xp = x.copy()
                xm = x.copy()
                xp[idx] += eps
                xm[idx] -= eps
                grad[idx] = (f(xp) - f(xm)) / (2 * eps)
            return grad
    ''', hint="h argument"),
    # relative_error
    wrong("relative_error", "mean instead of max", '''
        def relative_error(a, b):
            return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
    ''', hint="not the mean"),
    wrong("relative_error", "absolute error", '''
        def relative_error(a, b):
            return float(np.max(np.abs(a - b)))
    ''', hint="absolute error"),
    wrong("relative_error", "no abs in the denominator", '''
        def relative_error(a, b):
            return float(np.max(np.abs(a - b) / np.maximum(1e-8, a + b)))
    ''', hint="|a| + |b|"),
    wrong("relative_error", "not elementwise", '''
        def relative_error(a, b):
            return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))
    ''', hint="elementwise"),
    # conv2d_backward
    wrong("conv2d_backward", "kernel not flipped in dx (full convolution)", '''
        def conv2d_backward(dout, x, w, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho, Wo = dout.shape[2:]
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            # sensitivity map, dilated by the stride and zero-padded by k - 1 (full convolution)
            d = np.zeros((N, F, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))
            d[:, :, ::sh, ::sw] = dout
            d = np.pad(d, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
            dxp = np.zeros(xp.shape)
            for i in range(min(xp.shape[2], d.shape[2] - kh + 1)):
                for j in range(min(xp.shape[3], d.shape[3] - kw + 1)):
                    window = d[:, :, i:i + kh, j:j + kw]
                    dxp[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [0, 2, 3]))  # w not flipped
            dw = np.zeros(w.shape)
            for u in range(kh):
                for v in range(kw):
                    patch = xp[:, :, u:u + (Ho - 1) * sh + 1:sh, v:v + (Wo - 1) * sw + 1:sw]
                    dw[:, :, u, v] = np.tensordot(dout, patch, axes=([0, 2, 3], [0, 2, 3]))
            return dxp[:, :, ph:ph + H, pw:pw + W], dw, dout.sum(axis=(0, 2, 3))
    ''', hint="kernel not flipped in the input gradient"),
    wrong("conv2d_backward", "`=` instead of `+=` in dx", _conv_back(
        dx="dxp[n, :, rows, cols] = np.tensordot(g, w, axes=(0, 0))"), hint="`=` instead of `+=`"),
    wrong("conv2d_backward", "dx not cropped", _conv_back(ret="dxp, dw, db"), hint="crop pad"),
    wrong("conv2d_backward", "dw reset for every sample", '''
        def conv2d_backward(dout, x, w, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho, Wo = dout.shape[2:]
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            dxp = np.zeros(xp.shape)
            for n in range(N):
                dw = np.zeros(w.shape)  # should be outside the batch loop
                for i in range(Ho):
                    for j in range(Wo):
                        rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                        for f in range(F):
                            dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]
                            dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
            db = dout.sum(axis=(0, 2, 3))
            return dxp[:, :, ph:ph + H, pw:pw + W], dw, db
    ''', hint="weight gradient not summed over the batch"),
    wrong("conv2d_backward", "db over positions only", _conv_back(db="db = dout.sum(axis=(2, 3))"),
          hint="bias gradient not summed over the batch"),
    wrong("conv2d_backward", "db over the batch only", _conv_back(db="db = dout.sum(axis=0)"),
          hint="bias gradient not summed over the batch"),
    wrong("conv2d_backward", "stride ignored in dx", '''
        def conv2d_backward(dout, x, w, stride=1, pad=0):
            N, C, H, W = x.shape
            F, _, kh, kw = w.shape
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
            Ho, Wo = dout.shape[2:]
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
            # cross-correlation of the padded sensitivity map with the flipped kernel (not dilated)
            d = np.pad(dout, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
            wf = w[:, :, ::-1, ::-1]
            full = np.zeros((N, C, Ho + kh - 1, Wo + kw - 1))
            for i in range(Ho + kh - 1):
                for j in range(Wo + kw - 1):
                    full[:, :, i, j] = np.tensordot(d[:, :, i:i + kh, j:j + kw], wf, axes=([1, 2, 3], [0, 2, 3]))
            dx = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
            dw = np.zeros(w.shape)
            for u in range(kh):
                for v in range(kw):
                    patch = xp[:, :, u:u + (Ho - 1) * sh + 1:sh, v:v + (Wo - 1) * sw + 1:sw]
                    dw[:, :, u, v] = np.tensordot(dout, patch, axes=([0, 2, 3], [0, 2, 3]))
            return dx, dw, dout.sum(axis=(0, 2, 3))
    ''', hint="dilate the sensitivity map"),
    # max_pool2d_backward
    wrong("max_pool2d_backward", "`=` instead of `+=`", '''
        def max_pool2d_backward(dout, switches, input_shape):
            N, C, H, W = input_shape
            dx = np.zeros((N, C, H, W))
            for n in range(N):
                for c in range(C):
                    for i in range(dout.shape[2]):
                        for j in range(dout.shape[3]):
                            s = switches[n, c, i, j]
                            dx[n, c, s // W, s % W] = dout[n, c, i, j]
            return dx
    ''', hint="`=` instead of `+=`"),
    wrong("max_pool2d_backward", "gradient copied to the whole window", '''
        def max_pool2d_backward(dout, switches, input_shape):
            N, C, H, W = input_shape
            Ho, Wo = dout.shape[2:]
            kh, kw = H // Ho, W // Wo
            dx = np.zeros((N, C, H, W))
            for i in range(Ho):
                for j in range(Wo):
                    dx[:, :, i * kh:(i + 1) * kh, j * kw:(j + 1) * kw] += dout[:, :, i:i + 1, j:j + 1]
            return dx
    ''', hint="every element of the window"),
    wrong("max_pool2d_backward", "gradient shared evenly", '''
        def max_pool2d_backward(dout, switches, input_shape):
            N, C, H, W = input_shape
            Ho, Wo = dout.shape[2:]
            kh, kw = H // Ho, W // Wo
            dx = np.zeros((N, C, H, W))
            for i in range(Ho):
                for j in range(Wo):
                    dx[:, :, i * kh:(i + 1) * kh, j * kw:(j + 1) * kw] += dout[:, :, i:i + 1, j:j + 1] / (kh * kw)
            return dx
    ''', hint="shared evenly"),
    wrong("max_pool2d_backward", "np.add.at on the flattened array", '''
        def max_pool2d_backward(dout, switches, input_shape):
            dx = np.zeros(input_shape)
            np.add.at(dx.reshape(-1), switches.reshape(-1), dout.reshape(-1))
            return dx
    ''', hint="plane by plane"),
    # mean_pool2d_backward
    wrong("mean_pool2d_backward", "not divided by the window size", '''
        def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
            dx = np.zeros(input_shape)
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += dout[:, :, i:i + 1, j:j + 1]
            return dx
    ''', hint="mean-pool gradient not divided by the window size"),
    wrong("mean_pool2d_backward", "divided by the side", '''
        def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
            dx = np.zeros(input_shape)
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += dout[:, :, i:i + 1, j:j + 1] / kw
            return dx
    ''', hint="not by one side"),
    wrong("mean_pool2d_backward", "`=` instead of `+=`", '''
        def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
            dx = np.zeros(input_shape)
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] = dout[:, :, i:i + 1, j:j + 1] / (kh * kw)
            return dx
    ''', hint="`=` instead of `+=`"),
    wrong("mean_pool2d_backward", "all to the top-left of the window", '''
        def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
            kh, kw = (size, size) if isinstance(size, int) else size
            sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
            dx = np.zeros(input_shape)
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[:, :, i * sh, j * sw] += dout[:, :, i, j]
            return dx
    ''', hint="shares it evenly"),
]


def _cubic(z):
    return float(np.sum(z ** 3) + np.sum(np.sin(z)) * np.sum(z))


def _weighted(z):
    return float(np.sum(np.arange(1, z.size + 1).reshape(z.shape) * z ** 2))


def battery() -> dict[str, list[dict]]:
    rng = np.random.default_rng(505)

    def conv_back(N, C, H, W, F, k, stride=1, pad=0):
        (kh, kw), (sh, sw), (ph, pw) = pair(k), pair(stride), pair(pad)
        Ho, Wo = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
        args = {"dout": rng.standard_normal((N, F, Ho, Wo)), "x": rng.standard_normal((N, C, H, W)),
                "w": rng.standard_normal((F, C, kh, kw))}
        if stride != 1:
            args["stride"] = stride
        if pad != 0:
            args["pad"] = pad
        return args

    def ties(*shape):
        return rng.integers(0, 3, size=shape).astype(np.float64)

    max_back = []
    for x, size, stride in [(ties(2, 2, 7, 6), 3, 2), (rng.standard_normal((2, 3, 4, 6)), 2, None),
                            (ties(1, 2, 6, 7), (3, 2), (1, 2)), (ties(2, 1, 6, 6), 2, 1),
                            (rng.standard_normal((1, 2, 6, 9)), (2, 3), None)]:
        _, switches = POOLING["max_pool2d"](x, size, stride)
        max_back.append({"dout": rng.standard_normal(switches.shape), "switches": switches,
                         "input_shape": x.shape})

    mean_back = []
    for shape, size, stride in [((2, 3, 4, 6), 2, None), ((2, 2, 7, 6), 3, 2), ((1, 2, 6, 9), (2, 3), None),
                                ((2, 1, 5, 7), (3, 2), (1, 2)), ((1, 3, 7, 5), 2, None)]:
        (kh, kw), (sh, sw) = pair(size), pair(size if stride is None else stride)
        dout = rng.standard_normal(shape[:2] + (out_size(shape[2], kh, sh), out_size(shape[3], kw, sw)))
        call = {"dout": dout, "input_shape": shape, "size": size}
        if stride is not None:
            call["stride"] = stride
        mean_back.append(call)

    return {
        "dense_backward": [
            {"dout": rng.standard_normal((4, 3)), "x": rng.standard_normal((4, 5)), "w": rng.standard_normal((5, 3))},
            {"dout": rng.standard_normal((3, 2)), "x": rng.standard_normal((3, 6)), "w": rng.standard_normal((6, 2))},
            {"dout": rng.standard_normal((2, 4)), "x": rng.standard_normal((2, 4)), "w": rng.standard_normal((4, 4))},
        ],
        "numerical_gradient": [
            {"f": _cubic, "x": rng.standard_normal((3, 4))},
            {"f": _weighted, "x": rng.standard_normal(5), "h": 1e-3},
            {"f": _cubic, "x": rng.standard_normal((2, 2, 3)), "h": 1e-4},
        ],
        "relative_error": [
            {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal((3, 4))},
            {"a": np.array([1.0, -2.0, 3.0, 1e-12]), "b": np.array([1.0 + 1e-7, -2.5, 3.0, -1e-12])},
            {"a": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([[1.1, 2.0], [3.0, 4.4]])},
            {"a": np.array([-1.0, -2.0, 0.5]), "b": np.array([-1.2, -2.0, 0.25])},
        ],
        "conv2d_backward": [
            conv_back(2, 3, 5, 5, 2, 3),
            conv_back(2, 2, 7, 6, 3, 3, stride=2, pad=1),
            conv_back(2, 2, 8, 7, 2, (3, 2), stride=(2, 1), pad=(1, 0)),
            conv_back(3, 1, 6, 7, 2, (2, 3), stride=(1, 2), pad=(0, 1)),
            conv_back(2, 2, 7, 7, 2, 2, stride=3, pad=1),
        ],
        "max_pool2d_backward": max_back,
        "mean_pool2d_backward": mean_back,
    }
