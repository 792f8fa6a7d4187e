"""Developer tool: compare ``grader.course.reference`` with PyTorch on random float64 cases.

Not a test and not a dependency of the course: PyTorch is needed only here, and is
installed by hand in a separate environment, e.g.::

    python3 -m venv /tmp/torch-venv
    /tmp/torch-venv/bin/pip install torch numpy
    PYTHONPATH=. /tmp/torch-venv/bin/python tools/compare_with_torch.py [--cases 200] [--seed 0]

(run from the repository root; ``grader.course.reference`` needs only numpy). pytest never
collects this file (it lives outside ``tests/`` and its name does not start with ``test_``).

For each operation it draws random non-square inputs, kernels, strides, paddings
and output paddings (including ``(H + 2p - k) % s != 0``) and prints the largest
``relative_error`` against ``conv2d``, ``conv_transpose2d``, ``max_pool2d`` (with
``return_indices``, on inputs with ties), ``avg_pool2d``, ``max_unpool2d``,
``interpolate(mode="nearest")`` and autograd gradients. It exits 1 when any exceeds
1e-10 or any switch differs.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from grader.course import reference as R

TOLERANCE = 1e-10


def t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def rand_conv_case(rng):
    """x, w, b, stride, pad with a kernel that fits the padded input."""
    n, c, f = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 4)
    kh, kw = rng.integers(1, 6, size=2)
    sh, sw = rng.integers(1, 4, size=2)
    ph, pw = rng.integers(0, 3, size=2)
    h = rng.integers(max(1, kh - 2 * ph), 12)
    w = rng.integers(max(1, kw - 2 * pw), 12)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((f, c, kh, kw))
    b = rng.standard_normal(f)
    return x, wt, b, (int(sh), int(sw)), (int(ph), int(pw))


def rand_transposed_case(rng):
    n, cin, cout = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 4)
    kh, kw = rng.integers(1, 6, size=2)
    sh, sw = (int(v) for v in rng.integers(1, 4, size=2))
    h, w = rng.integers(1, 7, size=2)
    oph, opw = int(rng.integers(0, sh)), int(rng.integers(0, sw))
    # PyTorch needs a positive output size
    ph = int(rng.integers(0, max(1, ((h - 1) * sh + kh + oph) // 2)))
    pw = int(rng.integers(0, max(1, ((w - 1) * sw + kw + opw) // 2)))
    x = rng.standard_normal((n, cin, h, w))
    wt = rng.standard_normal((cin, cout, kh, kw))
    b = rng.standard_normal(cout)
    return x, wt, b, (sh, sw), (ph, pw), (oph, opw)


def rand_pool_case(rng, ties):
    n, c = rng.integers(1, 3), rng.integers(1, 4)
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    stride = None if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 4, size=2))
    h, w = rng.integers(kh, 12), rng.integers(kw, 12)
    x = rng.integers(0, 3, size=(n, c, h, w)).astype(float) if ties else rng.standard_normal((n, c, h, w))
    return x, (kh, kw), stride


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    torch.set_num_threads(1)   # max_unpool2d's winner among repeated switches is only defined single-threaded
    worst: dict[str, float] = {}
    switch_mismatches = 0

    def note(name, ours, theirs):
        theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
        err = R.relative_error(ours, theirs) if np.shape(ours) == np.shape(theirs) else float("inf")
        worst[name] = max(worst.get(name, 0.0), err)

    for _ in range(args.cases):
        # conv2d forward and autograd
        x, w, b, s, p = rand_conv_case(rng)
        xt, wt, bt = (t(a).requires_grad_() for a in (x, w, b))
        yt = F.conv2d(xt, wt, bt, stride=s, padding=p)
        note("conv2d", R.conv2d(x, w, b, s, p), yt)
        dout = rng.standard_normal(yt.shape)
        yt.backward(t(dout))
        dx, dw, db = R.conv2d_backward(dout, x, w, s, p)
        note("conv2d_backward dx", dx, xt.grad)
        note("conv2d_backward dw", dw, wt.grad)
        note("conv2d_backward db", db, bt.grad)
        # transposed conv: the input-gradient of conv2d equals conv_transpose2d of dout
        op = tuple(x.shape[2 + a] + 2 * p[a] - w.shape[2 + a] - (dout.shape[2 + a] - 1) * s[a] for a in (0, 1))
        if op[0] < s[0] and op[1] < s[1]:
            note("conv_transpose2d(dout) vs conv2d dx", R.conv_transpose2d(dout, w, np.zeros(x.shape[1]), s, p, op),
                 xt.grad)

        # locally connected with tied weights == conv2d
        ho, wo = yt.shape[2:]
        b_local = np.broadcast_to(b[:, None, None], (len(b), ho, wo))
        note("locally_connected2d(tie_weights)", R.locally_connected2d(x, R.tie_weights(w, (ho, wo)), b_local, s, p),
             yt)

        # conv_transpose2d forward (both forms) and autograd
        x, w, b, s, p, op = rand_transposed_case(rng)
        xt, wt, bt = (t(a).requires_grad_() for a in (x, w, b))
        yt = F.conv_transpose2d(xt, wt, bt, stride=s, padding=p, output_padding=op)
        note("conv_transpose2d", R.conv_transpose2d(x, w, b, s, p, op), yt)
        note("conv_transpose2d_via_conv", R.conv_transpose2d_via_conv(x, w, b, s, p, op), yt)

        # pooling, forward and backward, with and without ties
        for ties in (False, True):
            x, size, stride = rand_pool_case(rng, ties)
            xt = t(x).requires_grad_()
            yt, it = F.max_pool2d(xt, size, stride, return_indices=True)
            y, sw = R.max_pool2d(x, size, stride)
            note("max_pool2d" + (" (ties)" if ties else ""), y, yt)
            switch_mismatches += int(sw.dtype != np.int64 or not np.array_equal(sw, it.numpy()))
            dout = rng.standard_normal(yt.shape)
            yt.backward(t(dout))
            note("max_pool2d_backward" + (" (ties)" if ties else ""), R.max_pool2d_backward(dout, sw, x.shape), xt.grad)
            unpooled = torch._C._nn.max_unpool2d(t(dout), it, tuple(x.shape[2:]))
            note("max_unpool2d", R.max_unpool2d(dout, sw, x.shape[2:]), unpooled)

            xt = t(x).requires_grad_()
            yt = F.avg_pool2d(xt, size, stride)
            note("mean_pool2d", R.mean_pool2d(x, size, stride), yt)
            yt.backward(t(dout))
            note("mean_pool2d_backward", R.mean_pool2d_backward(dout, x.shape, size, stride), xt.grad)

        # nearest upsampling
        x = rng.standard_normal((int(rng.integers(1, 3)), 2, int(rng.integers(1, 6)), int(rng.integers(1, 6))))
        scale = tuple(int(v) for v in rng.integers(1, 4, size=2))
        note("upsample_nearest", R.upsample_nearest(x, scale),
             F.interpolate(t(x), scale_factor=scale, mode="nearest"))

        # dense layer backward
        n, d, m = (int(v) for v in rng.integers(1, 6, size=3))
        x, w, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
        xt, wt, bt = (t(a).requires_grad_() for a in (x, w, b))
        yt = xt @ wt + bt
        dout = rng.standard_normal((n, m))
        yt.backward(t(dout))
        for name, ours, theirs in zip(("dx", "dw", "db"), R.dense_backward(dout, x, w), (xt.grad, wt.grad, bt.grad)):
            note("dense_backward " + name, ours, theirs)

    failed = switch_mismatches > 0
    print(f"torch {torch.__version__}, {args.cases} random cases per operation, seed {args.seed}")
    for name, err in worst.items():
        flag = "" if err <= TOLERANCE else "   <-- FAIL"
        failed |= err > TOLERANCE
        print(f"  {name:40s} max relative error {err:.3e}{flag}")
    print(f"  {'max_pool2d switches':40s} {switch_mismatches} mismatching cases")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
