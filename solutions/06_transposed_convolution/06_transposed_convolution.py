# %% [markdown]
# # 06 · Transposed convolution — 反卷积（转置卷积）
#
# A convolution with stride 2 halves an image; pooling (04) halves it too. That is what a
# classifier wants: less and less *where*, more and more *what*. But many tasks need an answer
# **for every pixel** — which pixels are road, which are a tumour — so a network must also
# grow maps back to the input's resolution. Upsampling (上采样) raises resolution;
# the layer that *learns* how to upsample is the **transposed convolution**, also called
# **deconvolution** (反卷积, 转置卷积). Networks built this way map an image to an image,
# end to end (a fully convolutional network for segmentation, the decoder of a U-Net, the
# generator of a GAN).
#
# **You will**
#
# 1. compute the output size of a transposed convolution, with `output_padding` (`transposed_output_size`);
# 2. write it the direct way: every input value stamps a scaled copy of the kernel (`conv_transpose2d`);
# 3. write it the second way: insert zeros (插零, `dilate2d`), pad, and run the layer's `conv2d` (a
#    cross-correlation) with the kernel rotated by 180 degrees (`conv_transpose2d_via_conv`),
#    reproducing 3×3 → 7×7 → 5×5;
# 4. see why it is called *transposed*, and that it is exactly the gradient of a convolution with
#    respect to its input (05);
# 5. count where the stamps overlap (`overlap_count`) and watch checkerboard artifacts (棋盘效应) appear.
#
# **Points.** Each function has a visible test cell (2 points; run it as often as you like, it names
# typical mistakes) and a hidden test cell (3 points; used for grading, it only says what it covers).
# A test cell scores all of its points or none: every check in it must pass. 25 points in all.

# %% readonly grade_id="setup"
import numpy as np
import matplotlib.pyplot as plt

from cnn_course.checks import check
from cnn_course.data import grayscale_photo
from cnn_course.widgets.checkerboard import checkerboard_widget

# %% [markdown]
# ## Your functions from earlier notebooks
#
# The second method reuses your `pad2d` (02), your `flip180` and `conv2d` (03), and the picture at
# the end uses your `upsample_nearest` (04). The next cells copy *your own* code from those
# notebooks into this one (run them once; save the earlier notebooks first). If one is not
# finished yet, the cell says so and the parts that need it will tell you when they run.

# %% earlier from="02_padding_stride"
from cnn_course.earlier import bring

pad2d = bring("02_padding_stride", "pad2d")


# %% earlier from="03_correlation_convolution"
from cnn_course.earlier import bring

flip180, conv2d = bring("03_correlation_convolution", "flip180", "conv2d")


# %% earlier from="04_pooling_unpooling"
from cnn_course.earlier import bring

upsample_nearest = bring("04_pooling_unpooling", "upsample_nearest")


# %% [markdown]
# ## 1. How big is the output?
#
# Think of a convolution with kernel $k$, stride $s$ and padding $p$ that takes an $o$-wide input
# to an $n$-wide output. The transposed convolution goes the other way, from $n$ back to $o$.
# Read it directly: $n$ input values, placed $s$ apart, span $(n-1)s + 1$ positions; each stamps a
# kernel $k$ wide, so the full output is $(n-1)s + k$ wide. Padding $p$ in a convolution *added*
# $p$ on each side; here it is *removed* from each side:
#
# $$o = (n-1)\,s - 2p + k + \text{output\_padding}$$
#
# Why `output_padding`? A stride-2 convolution with $k=3, p=1$ sends both a 5-wide and a 6-wide
# input to 3 (the remainder is dropped, 02). Going back from 3 the formula gives 5; to get 6 you
# ask for one extra row at the end: `output_padding=1`. It must satisfy $0 \le$ `output_padding`
# $< s$ — a larger value would be a size no convolution with that stride could have come from.
#
# | in the formula | in the code |
# |---|---|
# | input spread out: $(n-1)s$ | `(n - 1) * stride` |
# | padding removed from both sides: $-2p$ | `- 2 * pad` |
# | one kernel at the end: $+k$ | `+ k` |
#
# **Invalid arguments (graded).** Raise `ValueError` with a message that names the argument when
# `n`, `k` or `stride` is below 1, `pad` is negative, `output_padding` is not in $[0, s)$, or the
# result would be below 1 (too much padding), e.g.
# `raise ValueError(f"output_padding must be smaller than stride ({stride}), got {output_padding}")`.

# %% solution grade_id="transposed_output_size"
def transposed_output_size(n, k, stride=1, pad=0, output_padding=0):
    """
    Output size of a transposed convolution along one axis.

    Inputs:
    - n: int >= 1, input size
    - k: int >= 1, kernel size
    - stride: int >= 1, distance between the copies of the kernel
    - pad: int >= 0, removed from EACH side of the full output
    - output_padding: int, 0 <= output_padding < stride, extra rows at the end

    Returns:
    - o: int, (n - 1)*stride - 2*pad + k + output_padding

    Raises:
    - ValueError, naming the argument, when n, k or stride < 1, pad < 0,
      output_padding is not in [0, stride), or the result would be < 1.
    """
    ### BEGIN SOLUTION
    for name, value, least in (("n", n, 1), ("k", k, 1), ("stride", stride, 1), ("pad", pad, 0)):
        if value < least:
            raise ValueError(f"{name} must be >= {least}, got {value}")
    if not 0 <= output_padding < stride:
        raise ValueError(f"output_padding must be in [0, stride={stride}), got {output_padding}")
    o = (n - 1) * stride - 2 * pad + k + output_padding     # (n-1)s - 2p + k + output_padding
    if o < 1:
        raise ValueError(f"pad={pad} is too large: the output would have size {o}")
    return o
    ### END SOLUTION


# %% tests grade_id="test_transposed_output_size_visible" points=2
# Checks stride 1 and 2, padding, output_padding, k=4 doubling the size, and an invalid output_padding.
check("test_transposed_output_size_visible", transposed_output_size)

# %% tests grade_id="test_transposed_output_size_hidden" points=3
# Hidden tests: random sizes, a single input, 1x1 kernels, the largest allowed output_padding, and every kind of invalid argument.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_transposed_output_size_hidden", transposed_output_size)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The direct way: every input stamps the kernel
#
# In a convolution each output value *gathers* a $k\times k$ window of inputs. A transposed
# convolution does the opposite: each input value $x_{ij}$ *scatters* — it adds the kernel,
# scaled by itself, to the output window whose top-left corner is at $(i s_h, j s_w)$:
#
# $$y_{\text{full}}[\,i s_h + u,\; j s_w + v\,] \mathrel{+}= x_{ij}\, w_{uv}$$
#
# Where two windows overlap, the stamps **add up** (`+=`, never `=`). With channels, weights are
# `(C_in, C_out, kh, kw)` (PyTorch's order for this layer): input channel $c$ stamps `w[c]`, a
# `(C_out, kh, kw)` block, into every output channel at once. Finally cut `pad` rows and columns
# from each side of the full output (keeping `output_padding` extra at the bottom and right: take
# rows `pad .. pad + Ho - 1` of the full output, which you make tall enough), and add the bias of
# each output channel.

# %% [markdown]
# See one stamp at a time: a 2×2 input, a 3×3 kernel of ones, stride 2. The four copies overlap
# on the middle row and column, which therefore receive two or four stamps:

# %%
stamp = np.zeros((5, 5))
for i, j in np.ndindex(2, 2):
    stamp[2 * i:2 * i + 3, 2 * j:2 * j + 3] += 1      # input (i, j) stamps at (2i, 2j)
print(stamp.astype(int))

# %% solution grade_id="conv_transpose2d"
def conv_transpose2d(x, w, b, stride=1, pad=0, output_padding=0):
    """
    Transposed convolution ("deconvolution"), scatter-add form.

    Inputs:
    - x: input of shape (N, C_in, H, W)
    - w: weights of shape (C_in, C_out, kh, kw) (PyTorch's order for this layer)
    - b: biases of shape (C_out,)
    - stride, pad, output_padding: int or (h, w) pair; 0 <= output_padding < stride

    Returns:
    - y: new array of shape (N, C_out, Ho, Wo) with
      Ho = (H - 1)*sh - 2*ph + kh + oph and Wo = (W - 1)*sw - 2*pw + kw + opw
    """
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if np.ndim(v) == 0 else tuple(v)   # noqa: E731
    (sh, sw), (ph, pw), (oph, opw) = pair(stride), pair(pad), pair(output_padding)
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    N, C_in, H, W = x.shape
    _, C_out, kh, kw = w.shape
    Ho, Wo = (H - 1) * sh - 2 * ph + kh + oph, (W - 1) * sw - 2 * pw + kw + opw
    full = np.zeros((N, C_out, max((H - 1) * sh + kh, ph + Ho), max((W - 1) * sw + kw, pw + Wo)))
    for i in range(H):
        for j in range(W):
            # input (i, j) of every channel stamps w[c] scaled by x[n, c, i, j]: (N, C_out, kh, kw)
            full[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    return full[:, :, ph:ph + Ho, pw:pw + Wo] + np.asarray(b, dtype=np.float64)[None, :, None, None]
    ### END SOLUTION


# %% tests grade_id="test_conv_transpose2d_visible" points=2
# Checks a 2x2 input stamping a 3x3 kernel at stride 1 and 2, pad 1, output_padding 1, several channels with a bias,
# and a 2x3 input with a 3x2 kernel at stride (2, 1).
check("test_conv_transpose2d_visible", conv_transpose2d)

# %% tests grade_id="test_conv_transpose2d_hidden" points=3
# Hidden tests: batches, several channels, non-square inputs and kernels, stride and pad pairs, output_padding, kernels smaller than the stride.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_conv_transpose2d_hidden", conv_transpose2d)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The second way: insert zeros, then slide the layer over them
#
# Put $s-1$ zeros between neighbouring input values (inserting zeros, 插零: `dilate2d`), pad the
# result, and slide an ordinary stride-1 layer, `conv2d` (a cross-correlation, notebook 03), over
# it. A 3×3 input, $k = 3$, $s = 2$, $p = 1$:
#
# 1. **dilate**: one zero between neighbours, $3 \to (3-1)\cdot 2 + 1 = 5$;
# 2. **pad** by $k - 1 - p = 1$ on each side: $5 \to 7$ — the 3×3 image has become a 7×7 one, mostly zeros;
# 3. **valid `conv2d`** with a 3×3 kernel: $7 - 3 + 1 = 5$ — the formula's $(3-1)\cdot 2 - 2 + 3 = 5$.
#
# Upsampling made the image bigger but empty; the learned convolution fills the content in.
#
# Two details make it equal to the direct way. The cross-correlation uses the kernel **rotated by
# 180 degrees** (a stamp of $w$ read back through a sliding window is seen upside down; rotating
# once turns the cross-correlation into a convolution with $w$ as it is), and its channel axes are
# **swapped**: `conv2d` wants `(C_out, C_in, kh, kw)`, the transposed layer stores
# `(C_in, C_out, kh, kw)`, so use `flip180(w).transpose(1, 0, 2, 3)`. `output_padding` adds rows
# at the bottom and columns at the right before the convolution.
#
# | step | in the code |
# |---|---|
# | zeros between neighbours, $(H-1)s+1$ | `dilate2d(x, stride)` |
# | pad $k-1-p$ on each side, `output_padding` more at the end; when $p > k-1$ that is a **crop** by $p-(k-1)$ (PyTorch allows any $p$ the output size permits) | `pad2d(...)` or `np.pad`, then extra zeros at the bottom/right; a slice for a crop |
# | valid `conv2d` (a cross-correlation), rotated and swapped kernel | `conv2d(xd, flip180(w).transpose(1, 0, 2, 3), b)` |

# %% solution grade_id="dilate2d"
def dilate2d(x, stride):
    """
    Insert stride-1 zeros between neighbouring values on the last two axes.

    Inputs:
    - x: array of shape (H, W) or (N, C, H, W)
    - stride: int or (sh, sw) pair, >= 1

    Returns:
    - xd: new float64 array of shape (..., (H-1)*sh + 1, (W-1)*sw + 1) with
      xd[..., i*sh, j*sw] = x[..., i, j] and zeros everywhere else
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    H, W = x.shape[-2:]
    xd = np.zeros(x.shape[:-2] + ((H - 1) * sh + 1, (W - 1) * sw + 1))
    xd[..., ::sh, ::sw] = x                  # every sh-th row and sw-th column holds the input
    return xd
    ### END SOLUTION


# %% tests grade_id="test_dilate2d_visible" points=2
# Checks 2x2 and 3x3 inputs at stride 2, a (3, 2) stride pair, and stride 1.
check("test_dilate2d_visible", dilate2d)

# %% tests grade_id="test_dilate2d_hidden" points=3
# Hidden tests: 4-D batches, stride pairs on one axis only, large strides, a single row, a single value.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_dilate2d_hidden", dilate2d)
### END HIDDEN TESTS

# %% solution grade_id="conv_transpose2d_via_conv"
def conv_transpose2d_via_conv(x, w, b, stride=1, pad=0, output_padding=0):
    """
    Transposed convolution as dilate -> pad -> valid convolution (uses your dilate2d, flip180
    and conv2d). Padding by k-1-p is a crop by p-(k-1) when p > k-1.

    Inputs and output: exactly as conv_transpose2d (the same numbers).
    """
    ### BEGIN SOLUTION
    pair = lambda v: (v, v) if np.ndim(v) == 0 else tuple(v)   # noqa: E731
    (ph, pw), (oph, opw) = pair(pad), pair(output_padding)
    w = np.asarray(w, dtype=np.float64)
    kh, kw = w.shape[2:]
    top, left = kh - 1 - ph, kw - 1 - pw                               # k-1-p on each side ...
    bottom, right = top + oph, left + opw                              # ... and output_padding at the end
    xd = dilate2d(x, stride)
    xd = np.pad(xd, ((0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
    h, wd = xd.shape[2:]                                               # a negative amount crops (p > k-1)
    xd = xd[:, :, max(-top, 0):h - max(-bottom, 0), max(-left, 0):wd - max(-right, 0)]
    return conv2d(xd, flip180(w).transpose(1, 0, 2, 3), b)              # flipped, channels swapped
    ### END SOLUTION


# %% tests grade_id="test_conv_transpose2d_via_conv_visible" points=2
# The same checks as conv_transpose2d: both methods must give the same numbers.
check("test_conv_transpose2d_via_conv_visible", conv_transpose2d_via_conv)

# %% tests grade_id="test_conv_transpose2d_via_conv_hidden" points=3
# Hidden tests: the same kinds of layers as conv_transpose2d's hidden tests, with other random numbers.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_conv_transpose2d_via_conv_hidden", conv_transpose2d_via_conv)
### END HIDDEN TESTS

# %% [markdown]
# The 3×3 → 7×7 → 5×5 example, step by step (zeros shown as dots):

# %%
try:
    x = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    w = np.random.default_rng(0).standard_normal((1, 1, 3, 3))
    dilated = dilate2d(x, 2)
    padded = pad2d(dilated, 3 - 1 - 1)
    print("3x3 input -> dilate2d -> 5x5 -> pad by k-1-p = 1 -> 7x7:")
    print("\n".join(" ".join(f"{v:2.0f}" if v else " ." for v in row) for row in padded[0, 0]))
    y_direct = conv_transpose2d(x, w, np.zeros(1), stride=2, pad=1)
    y_conv = conv_transpose2d_via_conv(x, w, np.zeros(1), stride=2, pad=1)
    print("valid 3x3 convolution ->", y_conv.shape[2:], "; largest difference from the direct way:",
          float(np.abs(y_direct - y_conv).max()))
except NotImplementedError as missing:
    print(f"Not yet: {str(missing) or 'a function above is still a stub'}. Implement it, then run this cell again.")

# %% [markdown]
# **The first way, as a full convolution.** With stride 1 there is nothing to dilate, and padding
# by $k-1$ on each side before a valid cross-correlation with the rotated kernel is what signal
# processing calls a **full convolution** (完全卷积, also 宽卷积; not 全卷积, fully convolutional) with
# the kernel as it is: every
# position where kernel and input overlap by at least one pixel. So a stride-1 transposed
# convolution *is* a full convolution with the kernel as it is (equivalently, a full
# cross-correlation with the kernel rotated by 180°) — the output grows from $n$ to $n + k - 1$. With stride $s$ the same picture holds after the zeros are inserted.
#
# Worked on a 3×3 input and a 3×3 kernel at stride 1: pad the input by $k-1 = 2$ on each side
# (3×3 → 7×7), then slide the rotated kernel over it (7×7 → 5×5 = $(3-1)\cdot 1 + 3$). The cell
# does both ways in plain numpy, so it runs before your functions do: stamping each input value's
# copy of the kernel, and the full convolution.

# %%
x_small = np.arange(1.0, 10.0).reshape(3, 3)                      # the 3x3 input
k_small = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [0.5, 1.0, 0.5]])  # a 3x3 kernel, not symmetric
stamped = np.zeros((5, 5))
for i in range(3):
    for j in range(3):
        stamped[i:i + 3, j:j + 3] += x_small[i, j] * k_small           # each input value stamps the kernel as it is
padded_small = np.pad(x_small, 2)                                  # 3x3 -> 7x7: k-1 = 2 zeros on each side
rotated = k_small[::-1, ::-1]
full = np.array([[np.sum(padded_small[i:i + 3, j:j + 3] * rotated) for j in range(5)] for i in range(5)])
print("input", x_small.shape, "-> padded", padded_small.shape, "-> full convolution", full.shape)
print("full convolution == stamping:", np.allclose(full, stamped))
print(full)

# %% [markdown]
# ## 4. Why "transposed"?
#
# A convolution is linear: write the input as a vector $\mathbf{x}$ and the output as
# $\mathbf{y} = C\mathbf{x}$ for a big, mostly-zero matrix $C$ whose rows hold the kernel at each
# position. The transposed convolution multiplies by $C^\top$: each *input* value now spreads along
# a row of $C^\top$, exactly the stamping of section 2. Two facts follow, and both can be checked
# with numbers:
#
# 1. **The adjoint identity**: $\langle C\mathbf{x}, \mathbf{y}\rangle = \langle \mathbf{x}, C^\top\mathbf{y}\rangle$,
#    i.e. `(conv2d(x, w) * y).sum() == (x * conv_transpose2d(y, w)).sum()` with the same `w`
#    (a conv weight `(F, C, kh, kw)` read as a transposed weight `(C_in=F, C_out=C, kh, kw)`).
# 2. **The transposed convolution is the input-gradient of a convolution**: if
#    $E = \langle C\mathbf{x}, \mathbf{y}\rangle$ then $\partial E/\partial\mathbf{x} = C^\top\mathbf{y}$ —
#    the "full convolution with the kernel as it is" of notebook 05's backward pass.

# %%
try:
    g = np.random.default_rng(1)
    x = g.standard_normal((2, 3, 7, 6))            # (N, C, H, W)
    w = g.standard_normal((4, 3, 3, 2))            # conv weights (F, C, kh, kw)
    y_shape = conv2d(x, w, np.zeros(4), stride=2, pad=1).shape
    y = g.standard_normal(y_shape)                 # any "upstream gradient" of the conv's shape
    # output_padding recovers the rows the stride-2 convolution dropped: 7 and 6 again
    op = tuple(int(n - transposed_output_size(m, k, 2, 1)) for n, m, k in zip((7, 6), y_shape[2:], (3, 2)))
    back = conv_transpose2d(y, w, np.zeros(3), stride=2, pad=1, output_padding=op)
    left = float((conv2d(x, w, np.zeros(4), stride=2, pad=1) * y).sum())
    right = float((x * back).sum())
    print(f"<conv2d(x), y> = {left:.10f}\n<x, conv_transpose2d(y)> = {right:.10f}")
    # the gradient of E(x) = <conv2d(x), y> at one input position, by central differences
    e = np.zeros_like(x)
    e[1, 2, 3, 4] = 1e-6
    numeric = ((conv2d(x + e, w, np.zeros(4), 2, 1) * y).sum() - (conv2d(x - e, w, np.zeros(4), 2, 1) * y).sum()) / 2e-6
    print(f"dE/dx[1,2,3,4]: numerically {numeric:.6f}, from the transposed convolution {back[1, 2, 3, 4]:.6f}")
except NotImplementedError as missing:
    print(f"Not yet: {str(missing) or 'a function above is still a stub'}. Implement it, then run this cell again.")

# %% [markdown]
# ### The matrix itself, and why "deconvolution" is a misnomer (not graded)
#
# The matrix $C$ is easy to build: its column $j$ is what the convolution makes of the image that
# is 0 everywhere except for a 1 at pixel $j$. For a 4×4 input and a 3×3 kernel at stride 1 the
# output is 2×2, so $C$ has 4 rows and 16 columns, and `conv_transpose2d(y, w)` must equal
# $C^\top \mathbf{y}$ reshaped to 4×4. The next cell checks it with your functions.
#
# In signal processing, **deconvolution** means *undoing* a convolution: given $\mathbf{y} = C\mathbf{x}$,
# find $\mathbf{x}$ again (deblurring a photograph, for instance). A transposed convolution does not
# do that. It multiplies by $C^\top$, not by an inverse of $C$ — and this $C$ has no inverse at all:
# 16 numbers went in, 4 came out, so many inputs give the same output and no layer can tell them apart.
# $C^\top C\mathbf{x}$ is not $\mathbf{x}$. What the transposed convolution shares with an inverse is only
# the **shape** (small to large), and in a network that is all that counts: its weights are learned,
# not derived from a forward convolution. So "transposed convolution" (转置卷积) is the accurate name;
# "deconvolution" (反卷积) stayed from the early papers and is the same misnomer in both languages.

# %%
try:
    g = np.random.default_rng(2)
    w = g.standard_normal((1, 1, 3, 3))
    units = np.eye(16).reshape(16, 1, 1, 4, 4)                  # unit image j: a single 1 at pixel j
    C = np.stack([conv2d(e, w, np.zeros(1)).ravel() for e in units], axis=1)
    y = g.standard_normal((1, 1, 2, 2))
    print("C has shape", C.shape, "and rank", np.linalg.matrix_rank(C), "(of 16 input pixels)")
    print("conv_transpose2d(y) == C.T @ y:", np.allclose(conv_transpose2d(y, w, np.zeros(1)),
                                                         (C.T @ y.ravel()).reshape(1, 1, 4, 4)))
    x = g.standard_normal((1, 1, 4, 4))
    back = conv_transpose2d(conv2d(x, w, np.zeros(1)), w, np.zeros(1))
    print("x comes back:", np.allclose(back, x), "; largest difference", float(np.abs(back - x).max()))
except NotImplementedError as missing:
    print(f"Not yet: {str(missing) or 'a function above is still a stub'}. Implement it, then run this cell again.")

# %% [markdown]
# ## 5. Checkerboards
#
# Look again at the stamps of section 2: with $k = 3$ and $s = 2$ the middle row got two stamps and
# its neighbours one. Whenever $k$ is not a multiple of $s$ the overlap is uneven, so even a
# constant input comes out striped in 1-D — and in 2-D, where the counts multiply (the map is the
# outer product of the two 1-D counts), as a **checkerboard**. Generated images show exactly this
# pattern (Odena, Dumoulin and Olah, *Deconvolution and Checkerboard Artifacts*, Distill 2016).
#
# Write `overlap_count(n, k, stride)`: for a 1-D transposed convolution of an $n$-long input, how
# many kernel taps land on each of the $(n-1)s + k$ output positions (input $i$'s tap $u$ lands on
# $i s + u$). Return int64 counts.

# %% solution grade_id="overlap_count"
def overlap_count(n, k, stride):
    """
    How many kernel taps of a 1-D transposed convolution reach each output position.

    Inputs:
    - n: int >= 1, input length
    - k: int >= 1, kernel size
    - stride: int >= 1

    Returns:
    - counts: int64 array of length (n - 1)*stride + k; counts[t] = number of (i, u) with
      i*stride + u == t. The 2-D map is np.outer(counts, counts).
    """
    ### BEGIN SOLUTION
    counts = np.zeros((n - 1) * stride + k, dtype=np.int64)
    for i in range(n):
        counts[i * stride:i * stride + k] += 1      # input i covers outputs i*s .. i*s + k - 1
    return counts
    ### END SOLUTION


# %% tests grade_id="test_overlap_count_visible" points=2
# Checks k=3 and k=4 at stride 2, a stride larger than the kernel, and stride 1.
check("test_overlap_count_visible", overlap_count)

# %% tests grade_id="test_overlap_count_hidden" points=3
# Hidden tests: other kernels and strides (even and uneven overlap), 1-tap kernels, a single input, k equal to the stride.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_overlap_count_hidden", overlap_count)
### END HIDDEN TESTS

# %% [markdown]
# ### See it: the checkerboard and its remedy
#
# Move the sliders. Left to right: your `overlap_count` (the most-reached positions in red), the
# 2-D overlap map, your `conv_transpose2d` applied to a **constant** image with random positive
# weights (the border is cropped: look at the interior), and the remedy — nearest upsampling
# (your `upsample_nearest`, 04) followed by an ordinary convolution (your `conv2d`, 03).
#
# Try: (a) $k=3, s=2$: stripes in both directions; (b) $k=4, s=2$: every interior pixel gets the
# same *number* of taps, yet the interior still alternates: neighbouring pixels add up different
# taps of the kernel, and equal counts are not equal *sums of weights* (it is flat only when the
# taps of each phase sum to the same value: exercise 6); (c) $k=2, s=3$: gaps that no tap reaches
# (zeros); (d) any $k$ with $s=1$: no artifact.
# Why does the remedy work? After copying, every output pixel is computed by the same $k\times k$
# window of taps, so nothing depends on where the copies started.

# %%
checkerboard_widget(overlap_count, conv_transpose2d, upsample_nearest, conv2d)

# %% [markdown]
# ### Bilinear upsampling beside nearest (not graded)
#
# The remedy needs a resize that is itself free of checkerboards. Nearest upsampling is one: it copies
# each value into its $s \times s$ block, which is a transposed convolution with a kernel of ones,
# $k = s$, so every output is reached exactly once. It leaves flat blocks with hard steps between
# them. **Bilinear interpolation** (双线性插值) is the other common choice: each new pixel lies on a
# straight line, in each direction, between its two nearest old pixels. At scale 2, with pixel
# centres lined up as in PyTorch's `interpolate(..., mode="bilinear", align_corners=False)`, a new
# pixel lies a quarter of a pixel from one old centre and three quarters from the next, so per axis
# it is $\tfrac34$ of the nearer value plus $\tfrac14$ of the other. That too is a transposed
# convolution with a fixed kernel: $t\,t^\top$ with $t = (\tfrac14, \tfrac34, \tfrac34, \tfrac14)$,
# stride 2, pad 3, on the input padded with one copy of its border (`np.pad(..., mode="edge")`, so
# that the edges are held, not pulled to 0). Here $k = 4$ is a multiple of $s = 2$, and at every
# output the taps that arrive add up to $\tfrac34 + \tfrac14 = 1$ per axis: a constant image stays constant.
#
# The cell runs your `conv_transpose2d` three ways on a constant image and on a small photo: a
# 3×3 kernel of equal weights at stride 2 (a learned layer's start), nearest, and bilinear, each
# doubling the size.

# %%
tent = np.array([0.25, 0.75, 0.75, 0.25])                  # bilinear weights along one axis, scale 2
upsamplers = {
    "transposed, 3x3 equal weights": lambda m: conv_transpose2d(m[None, None], np.full((1, 1, 3, 3), 1 / 2.25),
                                                                np.zeros(1), stride=2, pad=1, output_padding=1)[0, 0],
    "nearest, a kernel of ones (k = s = 2)": lambda m: conv_transpose2d(m[None, None], np.ones((1, 1, 2, 2)),
                                                                        np.zeros(1), stride=2)[0, 0],
    "bilinear, t tᵀ (k = 4, s = 2)": lambda m: conv_transpose2d(np.pad(m, 1, mode="edge")[None, None],
                                                                 np.outer(tent, tent)[None, None], np.zeros(1),
                                                                 stride=2, pad=3)[0, 0],
}
small = {"constant": np.ones((6, 6)), "photo": grayscale_photo(24)}
try:
    grown = {(name, kind): up(m) for name, up in upsamplers.items() for kind, m in small.items()}
    print("nearest as a transposed convolution == your upsample_nearest:",
          np.allclose(grown["nearest, a kernel of ones (k = s = 2)", "photo"], upsample_nearest(small["photo"], 2)))
    for name in upsamplers:
        const = grown[name, "constant"][2:-2, 2:-2]        # the interior of the constant image
        print(f"{name}: {small['photo'].shape} -> {grown[name, 'photo'].shape}; "
              f"a constant 1 comes out between {const.min():.3f} and {const.max():.3f}")
except NotImplementedError as missing:
    print(f"Not yet: {str(missing) or 'a function above is still a stub'}. Implement it, then run this cell again.")
else:
    fig, axes = plt.subplots(2, 3, figsize=(10, 6.5))
    for column, name in enumerate(upsamplers):
        for row, kind in enumerate(small):
            axes[row, column].imshow(grown[name, kind], cmap="gray", vmin=0, vmax=1.8 if kind == "constant" else 1)
            axes[row, column].set_title(f"{name}\n{kind}" if row == 0 else kind, fontsize=10)
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ### Down-sampling and up-sampling side by side
#
# Notebooks 01, 03, 04 and this one each met a way to make a map smaller (下采样) or larger (上采样).
# Side by side, for a 4×4 map and a factor of 2:
#
# | | operation | learns weights? | 4×4 → | what it keeps, what it loses |
# |---|---|---|---|---|
# | down | strided convolution (03, stride 2) | yes | 2×2 (with pad) | a learned summary of each window |
# | down | max pooling (04) | no | 2×2 | each window's largest value; *where* it was only in the switches |
# | down | mean pooling (04) | no | 2×2 | each window's average; every detail inside it |
# | up | max unpooling (04) | no | 4×4 | the pooled values back at their switches; zeros elsewhere |
# | up | nearest upsampling (04) | no | 4×4 | each value copied into its 2×2 block; no positions |
# | up | transposed convolution (here) | yes | 4×4 (k=4, p=1) | a learned kernel stamped per value; checkerboards unless the overlap and the phases agree |
#
# Down-sampling throws information away and no up-sampling gets it back: the up-sampled map has
# the right *size*, and the network must learn (or be told, by switches) what to fill in.

# %%
x_map = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 2.0, 8.0, 1.0], [0.0, 4.0, 1.0, 1.0], [6.0, 2.0, 3.0, 9.0]])
blocks = x_map.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)   # the four 2x2 windows, flattened
pooled_max, pooled_mean = blocks.max(axis=2), blocks.mean(axis=2)
unpooled_map = np.zeros((4, 4))
for bi in range(2):
    for bj in range(2):
        r, c = divmod(int(np.argmax(blocks[bi, bj])), 2)                  # the switch: first maximum, row-major
        unpooled_map[2 * bi + r, 2 * bj + c] = pooled_max[bi, bj]
copied = np.repeat(np.repeat(pooled_max, 2, axis=0), 2, axis=1)
for name, image in (("input", x_map), ("max pooled", pooled_max), ("mean pooled", pooled_mean),
                    ("max unpooled", unpooled_map), ("nearest upsampled", copied)):
    print(f"{name} {image.shape}:\n{image}")
print("values lost for good:", int(np.sum((unpooled_map != x_map) & (copied != x_map))), "of 16")

# %% [markdown]
# ## Exercises (not graded)
#
# 1. A decoder must turn a 7×7 map into 14×14 with a 3×3 kernel and stride 2. Which `pad` and
#    `output_padding` do it? Check with `transposed_output_size`.
# 2. For which kernel sizes does a stride-2 transposed convolution overlap evenly in the interior? Is an even
#    overlap enough for a constant input to come out flat?
# 3. Show with `overlap_count` that the 2-D overlap of $k=3, s=2$ has three different values. Which?
# 4. Why can `output_padding` not be as large as the stride?
# 5. Build $C$ for a 5×5 input, $k = 3$, stride 2, pad 1 (as in the cell of section 4, with `stride=2, pad=1`),
#    and check that `conv_transpose2d(y, w, np.zeros(1), stride=2, pad=1)` equals $C^\top\mathbf{y}$. What is
#    $C$'s shape? For which layers is $C^\top C$ the identity, so that the transposed convolution really undoes
#    the convolution?
# 6. Upsample the photo by 4 bilinearly with `conv_transpose2d`: which kernel $t$ (length 8) and which pad? Check
#    that a constant image stays constant. Then find 1-D weights $(w_0, w_1, w_2)$ for which a 3-tap kernel at
#    stride 2 turns a constant into a constant in the interior, although its overlap counts are uneven.
#
# <details><summary>Answers</summary>
#
# 1. $(7-1)\cdot 2 - 2p + 3 + \text{op} = 14$: $p = 1$, $\text{op} = 1$ (PyTorch's usual choice).
# 2. Even kernels ($k = 2, 4, 6, \dots$, $k \bmod 2 = 0$) overlap evenly: every interior pixel gets $k/2$ taps
#    per axis. That is not enough: each phase (every other pixel) sums a *different* half of the weights, so a
#    constant input comes out flat only when the halves have equal sums (the widget's random $k=4$ kernel
#    alternates). An even overlap removes the pattern that uneven counts cause; equal phase sums remove the rest.
# 3. The 1-D counts are 1s and 2s, so the products are 1, 2 and 4 (and 2 in two orientations):
#    corners of the pattern get 1, edges 2, the overlap of two rows and two columns 4.
# 4. A convolution with stride $s$ maps $s$ consecutive input sizes to the same output size; only
#    $s$ answers exist, $0 \dots s-1$ extra rows. An output_padding of $s$ would describe an input the
#    convolution would have mapped to a *larger* output.
# 5. $C$ is 9×25 (a 3×3 output from 25 pixels), and the two agree. $C^\top C = I$ needs orthonormal
#    columns, so at least as many outputs as inputs: a layer that shrinks the map never qualifies. With
#    stride 1 and no padding only $k = 1$ with $w = \pm 1$ works ($C = \pm I$); in general the transposed
#    convolution inverts the convolution only when $C$ has orthonormal columns, which learned kernels almost never give.
# 6. New pixels lie at offsets $\tfrac18, \tfrac38, \tfrac58, \tfrac78$ of a pixel between two old centres, so
#    $t = (1, 3, 5, 7, 7, 5, 3, 1)/8$ at stride 4, with pad 6 on the edge-padded input (its 1-pixel border
#    grows to 4, plus $(k - s)/2 = 2$; the output is then $4H$). The kernel's taps meeting at any output add up to 1, so a constant stays constant. For 3 taps,
#    even outputs receive $w_0 + w_2$ and odd ones $w_1$: any kernel with $w_1 = w_0 + w_2$, such as
#    $(\tfrac12, 1, \tfrac12)$ (linear interpolation), is balanced. The uneven counts make a checkerboard unless
#    the weights cancel them exactly; a fixed kernel is chosen so, a learned one must find it and rarely does.
# </details>
#
# ## Summary
#
# - Upsampling (上采样) raises resolution, down-sampling lowers it; a transposed convolution
#   (反卷积 / 转置卷积) is a *learned* upsampling: output $(n-1)s - 2p + k + \text{output\_padding}$.
# - Two ways to compute it: every input stamps the kernel (scatter-add, overlaps add up), or insert
#   zeros, pad by $k-1-p$ and run a valid cross-correlation (the layer's `conv2d`) with the kernel
#   rotated by 180° and its channels swapped (3×3 → 7×7 → 5×5). With stride 1 that is a full
#   convolution with the kernel as it is.
# - It multiplies by the transpose of the convolution's matrix: $\langle C x, y\rangle = \langle x, C^\top y\rangle$,
#   which makes it the input-gradient of a convolution.
# - Uneven overlap ($k \bmod s \ne 0$) paints checkerboards; resize-then-convolve avoids them. Nearest and
#   bilinear (双线性插值) resizing are transposed convolutions with fixed, evenly overlapping kernels.
# - These layers give networks outputs at the input's resolution, end to end (segmentation, U-Net decoders, GAN generators).
