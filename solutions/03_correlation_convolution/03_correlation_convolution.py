# %% [markdown]
# # 03 · Cross-correlation and convolution — 互相关与卷积
#
# Notebook 02 counted *where* a filter goes. This one is about *what it computes* at each
# position. The operation inside every "convolutional" layer of PyTorch, TensorFlow or this
# course is, strictly speaking, **cross-correlation** (互相关): lay the filter on the image,
# multiply the numbers that lie on top of each other, add them up. **Convolution** (卷积), the
# operation of signal processing that gave the layers their name, does the same after rotating
# the filter by 180 degrees. For a filter that looks the same upside down the two agree; for
# most filters they do not, and mixing them up silently flips every edge detector you write.
#
# **You will**
#
# 1. rotate a kernel by 180 degrees on its last two axes (`flip180`);
# 2. implement valid-mode cross-correlation, what a layer computes (`cross_correlate2d`);
# 3. implement true convolution from it and see where the two differ, on a photograph and on a
#    single bright pixel (`convolve2d`);
# 4. build the layer itself: many input channels, many filters, a bias per filter, stride and
#    padding, with your own `pad2d` from notebook 02 (`conv2d`).
#
# **Points.** Each function has a visible test cell (2 points: run it as often as you like, it
# names typical mistakes) and a hidden test cell (3 points: used for grading, its comment says
# what it covers). A test cell scores all of its points or none: every case in it must be
# right. 4 functions, 20 points in all.

# %% readonly grade_id="setup"
import numpy as np
import matplotlib.pyplot as plt

from cnn_course.checks import check
from cnn_course.data import grayscale_photo
from cnn_course.widgets.correlation import correlation_widget

# %% [markdown]
# ## 1. Rotating a kernel by 180 degrees
#
# A kernel (卷积核, also called a filter, 滤波器) is a small array `k` of shape `(kh, kw)`.
# Rotating it by 180 degrees is the same as flipping it up-down **and** left-right: the entry
# in row $i$, column $j$ moves to row $kh-1-i$, column $kw-1-j$:
#
# $$\mathrm{flip}(k)[i, j] = k[kh-1-i,\; kw-1-j]$$
#
# ```
# 1 2 3        6 5 4
# 4 5 6   ->   3 2 1
# ```
#
# The shape does not change (a transpose or a 90-degree turn would turn `(2, 3)` into `(3, 2)`).
# A layer's weights are 4-D, `(F, C, kh, kw)`: `F` filters, each with one `kh × kw` slice per
# input channel. Rotating them means rotating every slice and leaving the order of filters and
# channels alone, so `flip180` works on the **last two axes** whatever comes before them.
# Careful: `np.rot90(k, 2)` and `k[::-1, ::-1]` turn the *first* two axes, which is right only
# for a 2-D array; `np.flip(k)` without `axis` reverses every axis. Two tools that help: in an
# index, `...` (Ellipsis) stands for "all the axes before", so `k[..., 0]` is the first column
# of every slice; and most numpy functions take an `axis` or `axes` argument, where `-1` is the
# last axis and `-2` the one before it.

# %% solution grade_id="flip180"
def flip180(k):
    """
    Rotate the last two axes of an array by 180 degrees (flip up-down and left-right).

    Inputs:
    - k: array of shape (kh, kw), or (F, C, kh, kw) for a layer's weights (any ndim >= 2)

    Returns:
    - flipped: new float64 array of the same shape, flipped[..., i, j] = k[..., kh-1-i, kw-1-j];
      k itself is not modified.
    """
    ### BEGIN SOLUTION
    k = np.asarray(k, dtype=np.float64)
    return k[..., ::-1, ::-1].copy()      # rows reversed and columns reversed: flip[i, j] = k[kh-1-i, kw-1-j]
    ### END SOLUTION


# %% tests grade_id="test_flip180_visible" points=2
# Checks a 3x3 and a 2x3 kernel, a single 1 in a corner, a 1x4 row and 4-D weights (F=2, C=2).
check("test_flip180_visible", flip180)

# %% tests grade_id="test_flip180_hidden" points=3
# Hidden tests: random non-square 2-D kernels, 1x1 and kx1 kernels, random 4-D weights with non-square kernels.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_flip180_hidden", flip180)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Cross-correlation: what a layer computes
#
# Put the kernel on the image with its top-left corner on pixel $(i, j)$, multiply each kernel
# entry by the pixel under it and add everything up. That number is output pixel $(i, j)$:
#
# $$y[i, j] = \sum_{u=0}^{kh-1} \sum_{v=0}^{kw-1} x[i+u,\; j+v]\; k[u, v]$$
#
# Kernel row $u$ meets image row $i+u$: the kernel is used **as written**, nothing is flipped.
# In **valid mode** (the default of this course, and of a layer without padding) the kernel
# stays inside the image, so (notebook 02, stride 1, no padding) the output has
# $H - kh + 1$ rows and $W - kw + 1$ columns.
#
# A tiny example, a 3×4 image and a kernel with a single 1 in its top-left corner:
#
# ```
# x =  1  2  3  4      k = 1 0      y = 1 2 3     each window's top-left pixel:
#      5  6  7  8          0 0          5 6 7     y = x[0:2, 0:3]
#      9 10 11 12
# ```
#
# Two ways to write the double sum, both fine:
#
# - loop over the **output** positions $(i, j)$ and take `np.sum(x[i:i+kh, j:j+kw] * k)`;
# - loop over the **kernel** entries $(u, v)$ and add `k[u, v] * x[u:u+Ho, v:v+Wo]`, a shifted
#   copy of the image, to the whole output at once. The sum is the same, only in another order,
#   and it needs $kh \cdot kw$ steps instead of $H_o W_o$: much faster on a photograph.

# %% solution grade_id="cross_correlate2d"
def cross_correlate2d(x, k):
    """
    Valid-mode 2-D cross-correlation (what a convolutional layer computes).

    Inputs:
    - x: image of shape (H, W)
    - k: kernel of shape (kh, kw), with kh <= H and kw <= W

    Returns:
    - y: new float64 array of shape (H - kh + 1, W - kw + 1),
      y[i, j] = sum over u < kh, v < kw of x[i + u, j + v] * k[u, v]
    """
    ### BEGIN SOLUTION
    x, k = np.asarray(x, dtype=np.float64), np.asarray(k, dtype=np.float64)
    (H, W), (kh, kw) = x.shape, k.shape
    Ho, Wo = H - kh + 1, W - kw + 1                  # valid mode: the kernel stays inside the image
    y = np.zeros((Ho, Wo))
    for u in range(kh):
        for v in range(kw):
            y += k[u, v] * x[u:u + Ho, v:v + Wo]     # term (u, v) of the sum, for every (i, j) at once
    return y
    ### END SOLUTION


# %% tests grade_id="test_cross_correlate2d_visible" points=2
# Checks a single-1 kernel, a 2x2 and a 2x3 kernel with no symmetry, a 1x2 difference and a kernel as large as the input.
check("test_cross_correlate2d_visible", cross_correlate2d)

# %% tests grade_id="test_cross_correlate2d_hidden" points=3
# Hidden tests: random non-square images and kernels (none symmetric), 1xk and kx1 kernels, kernels as tall/large as the image, 1x1.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_cross_correlate2d_hidden", cross_correlate2d)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Convolution: the same with the kernel rotated
#
# Signal processing defines the convolution of a signal $x$ with a kernel $k$ as
# $(x \ast k)[n] = \sum_m x[n - m]\, k[m]$: the kernel runs **backwards** over the signal. Write
# $m = kh - 1 - u$ to keep only positions where the kernel lies inside the image (valid mode) and
# shift the output so that it starts at 0, and in 2-D this becomes
#
# $$y[i, j] = \sum_{u=0}^{kh-1} \sum_{v=0}^{kw-1} x[i+u,\; j+v]\; k[kh-1-u,\; kw-1-v]$$
#
# which is the cross-correlation formula with $k$ replaced by $\mathrm{flip}(k)$:
#
# $$\text{convolve}(x, k) = \text{cross\_correlate}(x,\; \mathrm{flip180}(k))$$
#
# So **convolution is cross-correlation with the kernel rotated by 180 degrees**, and your
# `convolve2d` needs one line. Flip exactly once: forgetting the flip gives cross-correlation, and
# flipping twice (say, `flip180` and then the indices `k[kh-1-u, kw-1-v]` in your own loop)
# gives cross-correlation again.
#
# **When do they agree?** When the kernel equals its own rotation, $\mathrm{flip}(k) = k$: a box
# blur, a Gaussian, the Laplacian. **When do they differ?** For every other kernel: a Sobel
# edge detector comes out with the opposite sign, an emboss kernel lights the opposite side of
# every edge, a kernel with a single 1 off-centre shifts the image the opposite way.
#
# **Why layers do not care.** A layer *learns* its kernels. If a network trained with
# cross-correlation ends up with kernel $k$, the same network computing convolutions would have
# learnt $\mathrm{flip}(k)$: same outputs. The libraries pick cross-correlation because it has
# no flip to compute, and still call it convolution. Convolution proper comes back in the
# backward pass (notebook 05): the gradient with respect to a layer's input is the **full
# convolution** (完全卷积, also 宽卷积: every position where kernel and map overlap at all; not
# 全卷积, which names fully convolutional networks) of the
# output's gradient with the kernel as it is; in code, a cross-correlation of the zero-padded
# gradient with the kernel rotated by 180 degrees. Rotate once, not twice.
#
# **Other libraries.** SciPy names them as we do: `scipy.signal.correlate2d(x, k, mode="valid")`
# is our `cross_correlate2d` and `scipy.signal.convolve2d(x, k, mode="valid")` our `convolve2d`
# (their default mode is `"full"`, which zero-pads so that every partial overlap counts, giving
# $H + kh - 1$ rows). PyTorch's `torch.nn.functional.conv2d`, despite its name, is
# cross-correlation, like the `conv2d` you write below.

# %% solution grade_id="convolve2d"
def convolve2d(x, k):
    """
    Valid-mode 2-D true convolution: cross-correlation with the kernel rotated by 180 degrees.

    Inputs:
    - x: image of shape (H, W)
    - k: kernel of shape (kh, kw), with kh <= H and kw <= W

    Returns:
    - y: new float64 array of shape (H - kh + 1, W - kw + 1),
      y[i, j] = sum over u < kh, v < kw of x[i + u, j + v] * k[kh - 1 - u, kw - 1 - v]
    """
    ### BEGIN SOLUTION
    return cross_correlate2d(x, flip180(k))        # convolve(x, k) = cross_correlate(x, flip180(k))
    ### END SOLUTION


# %% tests grade_id="test_convolve2d_visible" points=2
# Checks a single-1 kernel, 2x2 and 2x3 kernels with no symmetry, a 1x2 difference and a symmetric kernel.
check("test_convolve2d_visible", convolve2d)

# %% tests grade_id="test_convolve2d_hidden" points=3
# Hidden tests: random non-square images and kernels, 1xk and kx1 kernels, a kernel as large as the image, emboss and Sobel kernels.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_convolve2d_hidden", convolve2d)
### END HIDDEN TESTS

# %% [markdown]
# ### The impulse test: which operation stamps the kernel upright?
#
# Feed both operations an **impulse** (单位冲激): a black image with a single 1. Around the 1,
# the output is a copy of the kernel. Which copy? In cross-correlation, output $(i, j)$ reads
# the 1 at $(p, q)$ through the kernel entry $k[p-i, q-j]$: moving the output *down* reaches
# kernel rows further *up*, so the copy is rotated by 180 degrees. Convolution rotates once more
# and stamps the kernel as written: this is why signal processing defines it that way (its
# response to an impulse *is* the kernel).

# %%
spot = np.zeros((5, 5))
spot[2, 2] = 1.0                                   # an impulse in the middle of a 5x5 image
kernel = np.array([[1.0, 2.0, 3.0],
                   [4.0, 5.0, 6.0],
                   [7.0, 8.0, 9.0]])
try:
    print("convolution of the impulse (the kernel, upright):\n", convolve2d(spot, kernel))
    print("cross-correlation of the impulse (the kernel rotated by 180 degrees):\n", cross_correlate2d(spot, kernel))
except NotImplementedError:
    print("Implement cross_correlate2d, convolve2d (and flip180) above, then run this cell again.")

# %% [markdown]
# ### See it: a photograph through both operations
#
# The photo is the 1984 portrait of the computer pioneer Grace Hopper (an official U.S. Navy
# photograph, in the public domain; matplotlib ships it as sample data), in grayscale and
# averaged down to 150×128 pixels. The widget runs **your** `cross_correlate2d` and
# `convolve2d` on it and draws: the input; the kernel as written; the kernel as it lies on the
# image while it slides for the operation you choose ("slide as": as written for
# cross-correlation, rotated by 180° for convolution); both outputs on the same grey scale
# (mid-grey is 0 for signed outputs), drawn where each window's centre lies; and their
# difference (red: convolution larger, blue: cross-correlation larger). The line under the
# picture says whether your outputs agree with the picture's own sliding sum.
#
# Try: (a) **Sobel x**: the two outputs are negatives of each other (the difference is twice
# the edge map); (b) **box blur**: symmetric, the difference is exactly 0; (c) the **shifted
# delta** at zoom 3: cross-correlation moves the face one way, convolution the other;
# (d) **impulse** input with **emboss**, zoom 4: read the stamps; (e) type your own 3×3 kernel
# into the boxes (a single 1 off-centre, or a kernel equal to its rotation) and predict the
# difference before you look.

# %%
correlation_widget(cross_correlate2d, convolve2d)

# %% [markdown]
# ### Dilated convolution: the same taps, spread out (not graded)
#
# Notebook 02 counted the output size of a **dilated convolution** (空洞卷积, also 扩张卷积; "atrous"
# or dilated convolution). Here is the operation itself. With dilation $d$ the taps of a
# $kh \times kw$ kernel lie $d$ pixels apart:
#
# $$y[i, j] = \sum_{u=0}^{kh-1} \sum_{v=0}^{kw-1} x[i + d\,u,\; j + d\,v]\; k[u, v]$$
#
# That is an ordinary cross-correlation with a **dilated kernel**: put $d - 1$ zeros between
# neighbouring taps (a 3×3 kernel at $d = 2$ becomes 5×5: its 9 entries and 16 zeros) and call your
# `cross_correlate2d`. The output has $H - d(kh-1)$ rows, 02's formula at stride 1 without padding.
# The weights stay the same, the view grows: three 3×3 layers with dilations 1, 2 and 4 (doubling, as
# WaveNet does; DeepLab uses dilated layers for segmentation) let a unit see 15×15 pixels, three ordinary
# 3×3 layers only 7×7, with 27 weights either way. The next cell checks the formula on a non-square kernel and then measures the view: it sends an
# impulse through each stack of all-ones kernels and draws where it arrives (the outputs that see it), centred.

# %%
def dilate_kernel(k, d):
    """The 2-D kernel k with d - 1 zeros between neighbouring taps: shape (d*(kh-1) + 1, d*(kw-1) + 1)."""
    kh, kw = k.shape
    spread = np.zeros((d * (kh - 1) + 1, d * (kw - 1) + 1))
    spread[::d, ::d] = k                            # tap (u, v) moves to (d*u, d*v)
    return spread


try:
    g = np.random.default_rng(0)
    image, taps, d = g.standard_normal((9, 10)), g.standard_normal((3, 2)), 2
    dilated = cross_correlate2d(image, dilate_kernel(taps, d))
    Ho, Wo = 9 - d * (3 - 1), 10 - d * (2 - 1)     # H - d(kh-1), W - d(kw-1)
    by_formula = sum(taps[u, v] * image[d * u:d * u + Ho, d * v:d * v + Wo] for u in range(3) for v in range(2))
    print(f"3x2 kernel at dilation 2 on a 9x10 image: output {dilated.shape}, equal to the formula:",
          np.allclose(dilated, by_formula))
    impulse = np.zeros((31, 31))
    impulse[15, 15] = 1.0
    footprints = {}
    for dilations in [(1, 1, 1), (1, 2, 4)]:
        arrived = impulse
        for d in dilations:                         # three 3x3 layers, one dilation each
            arrived = cross_correlate2d(arrived, dilate_kernel(np.ones((3, 3)), d))
        margin = (31 - arrived.shape[0]) // 2       # valid mode shrank the map: centre it on the 31x31 input
        footprints[dilations] = np.zeros((31, 31), dtype=bool)
        footprints[dilations][margin:31 - margin, margin:31 - margin] = arrived > 0   # the outputs that see the impulse
except NotImplementedError:
    print("Implement cross_correlate2d above, then run this cell again.")
else:
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, (dilations, seen) in zip(axes, footprints.items()):
        rows, cols = np.nonzero(seen)
        size = f"{np.ptp(rows) + 1}x{np.ptp(cols) + 1}"
        print(f"three 3x3 layers, dilations {dilations}: 27 weights, a unit sees {size} pixels")
        ax.imshow(seen, cmap="gray")
        ax.set_title(f"dilations {dilations}: a unit sees {size}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## 4. The layer: channels, filters, bias, stride, padding
#
# A real layer reads a batch of images with several **channels** (an RGB photo has 3, the
# output of a previous layer has as many as that layer had filters), in NCHW order:
# `x` is `(N, C, H, W)`. Its weights `w` are `(F, C, kh, kw)`:
#
# - **each filter spans all input channels**: filter $f$ has one $kh \times kw$ slice per input
#   channel, so a filter's depth equals the depth $C$ of its input. It cross-correlates each
#   channel with its own slice and **adds the $C$ results** into one map (not one map per channel);
# - **$F$ filters give $F$ feature maps** (特征图): the output is `(N, F, Ho, Wo)`;
# - each filter has **one bias** $b[f]$, added to every position of its map;
# - the window moves by the **stride** $(s_h, s_w)$ and the input is first zero-padded by
#   $(p_h, p_w)$ **on each side**, exactly as in notebook 02.
#
# $$y[n, f, i, j] = b[f] + \sum_{c=0}^{C-1} \sum_{u=0}^{kh-1} \sum_{v=0}^{kw-1}
#   x_{\text{pad}}[n, c,\; i s_h + u,\; j s_w + v]\; w[f, c, u, v]$$
#
# $$H_o = \left\lfloor \frac{H + 2p_h - kh}{s_h} \right\rfloor + 1, \qquad
#   W_o = \left\lfloor \frac{W + 2p_w - kw}{s_w} \right\rfloor + 1$$
#
# | in the formula | in the code |
# |---|---|
# | $x_{\text{pad}}$ | `xp = pad2d(x, (ph, pw))` (your function from notebook 02, below) |
# | window of output $(i, j)$ | `xp[n, :, i*sh : i*sh + kh, j*sw : j*sw + kw]`, shape `(C, kh, kw)` |
# | $\sum_c \sum_u \sum_v \dots w[f, c, u, v]$ | `np.sum(window * w[f])`: all channels at once |
# | remainder dropped | `//` in $H_o$, $W_o$: windows that would stick out are never computed |
#
# No flip anywhere: the layer cross-correlates. `stride` and `pad` are an `int` or an
# `(h, w)` pair (the first number is for the rows). The straightforward version loops over
# `n`, `f`, `i`, `j`; a faster one loops over the kernel taps $(u, v)$ as in section 2 and
# mixes channels with `np.einsum("nchw,fc->nfhw", ...)` or `np.tensordot`. Either is fine.
# A channel mismatch (`x` has $C$ channels, `w` expects another number) is a bug in the caller;
# raising `ValueError` there is good practice, but it is not graded in this notebook.
#
# The next cell holds **your `pad2d` from notebook 02**: run it and it copies your own code from
# `../02_padding_stride/02_padding_stride.ipynb` (save that notebook first).

# %% earlier from="02_padding_stride"
from cnn_course.earlier import bring

pad2d = bring("02_padding_stride", "pad2d")


# %% solution grade_id="conv2d"
def conv2d(x, w, b, stride=1, pad=0):
    """
    Forward pass of a convolutional layer: cross-correlation of every filter with all input channels.

    Inputs:
    - x: batch of images, shape (N, C, H, W)
    - w: filters, shape (F, C, kh, kw): each of the F filters spans all C input channels
    - b: biases, shape (F,): b[f] is added to every position of feature map f
    - stride: int or (sh, sw) pair, step between neighbouring windows (rows, columns)
    - pad: int or (ph, pw) pair, zeros added on EACH side before sliding (use your pad2d)

    Returns:
    - y: new float64 array of shape (N, F, Ho, Wo) with Ho = (H + 2*ph - kh) // sh + 1,
      Wo = (W + 2*pw - kw) // sw + 1, and
      y[n, f, i, j] = b[f] + sum over c, u, v of xpad[n, c, i*sh + u, j*sw + v] * w[f, c, u, v]
    """
    ### BEGIN SOLUTION
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    N, C, H, W = x.shape
    F, Cw, kh, kw = w.shape
    if C != Cw:
        raise ValueError(f"channel mismatch: x has C={C} channels but w expects {Cw}")
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    ph, pw = (pad, pad) if np.ndim(pad) == 0 else pad
    xp = pad2d(x, (ph, pw))                                   # (N, C, H + 2ph, W + 2pw)
    Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    y = np.zeros((N, F, Ho, Wo))
    for u in range(kh):
        for v in range(kw):
            # input pixel (i*sh + u, j*sw + v) for every output (i, j): a strided slice, (N, C, Ho, Wo)
            taps = xp[:, :, u:u + sh * (Ho - 1) + 1:sh, v:v + sw * (Wo - 1) + 1:sw]
            y += np.einsum("nchw,fc->nfhw", taps, w[:, :, u, v])   # sum over the channels c
    return y + b[None, :, None, None]                          # one bias per filter
    ### END SOLUTION


# %% tests grade_id="test_conv2d_visible" points=2
# Checks one filter, two input channels, three filters with biases, a batch at stride 2, pad 1, a dropped remainder and (h, w) pairs.
check("test_conv2d_visible", conv2d)

# %% tests grade_id="test_conv2d_hidden" points=3
# Hidden tests: random batches with N, C, F > 1, non-square images and filters, unequal stride and pad pairs, remainders, 1x1 filters.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_conv2d_hidden", conv2d)
### END HIDDEN TESTS

# %% [markdown]
# ### Your layer on the photo: two filters, two feature maps
#
# One grayscale photo is a batch `(1, 1, 150, 128)`. Give the layer two filters, Sobel x and
# Sobel y, with biases 0, stride 2 and padding 1: the output has shape `(1, 2, 75, 64)`, one
# feature map per filter, each half the size. Then turn the same photo into three channels
# (the photo, its negative, and a constant 0.5) and use a single filter whose three slices are
# Sobel x, Sobel x and all ones: the first two channels cancel (a negative image has the
# opposite edges), the third is constant and adds the same number everywhere. One filter, three
# channels, **one** map.

# %%
photo = grayscale_photo(128)
sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
filters = np.stack([sobel_x, sobel_x.T])[:, None]                  # (F=2, C=1, 3, 3)
three = np.stack([photo, 1.0 - photo, np.full_like(photo, 0.5)])[None]   # (N=1, C=3, 150, 128)
mixer = np.stack([sobel_x, sobel_x, np.ones((3, 3))])[None]         # (F=1, C=3, 3, 3)
try:
    maps = conv2d(photo[None, None], filters, np.zeros(2), stride=2, pad=1)
    mixed = conv2d(three, mixer, np.zeros(1))
except NotImplementedError:
    print("Implement conv2d above (and bring your pad2d), then run this cell again.")
else:
    print("input", photo[None, None].shape, "-> feature maps", maps.shape, "| three channels", three.shape,
          "-> one map", mixed.shape)
    print(f"the one map runs from {mixed.min():.3f} to {mixed.max():.3f}: the edges of the photo and of its "
          "negative cancel, and 9 * 0.5 = 4.5 remains everywhere")
    fig, axes = plt.subplots(1, 3, figsize=(10, 4))
    for ax, image, title in zip(axes, [photo, maps[0, 0], maps[0, 1]],
                                ["input (1 channel)", "feature map 0: Sobel x (stride 2)",
                                 "feature map 1: Sobel y (stride 2)"]):
        ax.imshow(image, cmap="gray")
        ax.set_title(f"{title}\n{image.shape[0]}×{image.shape[1]}", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ### Groups: filters that see only some of the channels (not graded)
#
# In `conv2d` every filter spans all $C$ input channels. A **grouped convolution** (分组卷积) with
# $g$ groups splits the input channels into $g$ blocks of $C/g$ and the filters into $g$ blocks of
# $F/g$; filter block $j$ sees channel block $j$ only. It is $g$ ordinary layers side by side (your
# `conv2d` on each block, the outputs stacked), with weights of shape `(F, C/g, kh, kw)`: $g$ times
# fewer. $g$ must divide both $C$ and $F$. It is also `conv2d` with a full `(F, C, kh, kw)` weight
# whose entries outside the diagonal blocks are 0, which the next cell checks.
#
# **AlexNet's conv2** used two groups for a practical reason: the network was trained on two GPUs
# of 3 GB each, each GPU held half of the filters, and those saw only the 48 channels on their own
# GPU. Its 256 filters of 5×5 over 96 channels have $256 \cdot 48 \cdot 25 = 307{,}200$ weights and
# 256 biases, **307,456** parameters; without groups it would have $256 \cdot 96 \cdot 25 + 256 =$
# **614,656**. On its 27×27 maps (pad 2) the multiplications halve too: 223,948,800 instead of 447,897,600.
#
# With $g = C$ each filter sees a single channel: a **depthwise convolution** (逐通道卷积, also
# 深度卷积). Followed by a 1×1 convolution that mixes the channels (a pointwise convolution, 逐点卷积),
# it makes the **depthwise separable convolution** (深度可分离卷积) of Xception and MobileNet. In
# conv2's shape that is $96 \cdot 25 + 96 \cdot 256 = 26{,}976$ weights instead of 614,400, a fraction
# $1/256 + 1/25 \approx 4.4\%$. It is a smaller family of layers, not a faster way to compute the same
# one: as a full layer its weight is $w[f, c] = p[f, c]\, k_c$, one spatial kernel $k_c$ per channel,
# scaled by a pointwise weight $p[f, c]$ for each filter.

# %%
def grouped_conv2d(x, w, b, groups, stride=1, pad=0):
    """conv2d in groups: x (N, C, H, W), w (F, C // groups, kh, kw), b (F,); filter block j sees channel block j."""
    C, F = x.shape[1], w.shape[0]
    if C % groups or F % groups:
        raise ValueError(f"groups={groups} must divide both the C={C} channels and the F={F} filters")
    c, f = C // groups, F // groups
    return np.concatenate([conv2d(x[:, j * c:(j + 1) * c], w[j * f:(j + 1) * f], b[j * f:(j + 1) * f], stride, pad)
                           for j in range(groups)], axis=1)


try:
    g = np.random.default_rng(1)
    xg, wg, bg = g.standard_normal((2, 4, 6, 5)), g.standard_normal((6, 2, 3, 2)), g.standard_normal(6)
    block_diagonal = np.zeros((6, 4, 3, 2))
    block_diagonal[:3, :2], block_diagonal[3:, 2:] = wg[:3], wg[3:]     # zero outside the two blocks
    print("2 groups == conv2d with block-diagonal weights:",
          np.allclose(grouped_conv2d(xg, wg, bg, 2, 1, 1), conv2d(xg, block_diagonal, bg, 1, 1)))
    spatial, pointwise = g.standard_normal((4, 1, 3, 3)), g.standard_normal((6, 4, 1, 1))
    separable = conv2d(grouped_conv2d(xg, spatial, np.zeros(4), groups=4, pad=1), pointwise, np.zeros(6))
    as_one_layer = pointwise * spatial[:, 0]                              # w[f, c] = p[f, c] * k_c, (6, 4, 3, 3)
    print("depthwise then pointwise == conv2d with w[f, c] = p[f, c] k_c:",
          np.allclose(separable, conv2d(xg, as_one_layer, np.zeros(6), pad=1)))
except NotImplementedError:
    print("Implement conv2d above (and bring your pad2d), then run this cell again.")
for name, shapes in [("conv2, one group", [(256, 96, 5, 5), (256,)]), ("conv2, two groups", [(256, 48, 5, 5), (256,)]),
                     ("depthwise separable, no biases", [(96, 1, 5, 5), (256, 96, 1, 1)])]:
    print(f"AlexNet {name}: {sum(int(np.prod(s)) for s in shapes):,} parameters")

# %% [markdown]
# ## Exercises (not graded)
#
# 1. Without running code: what is `convolve2d(x, k)` when `k` is `[[0, 0, 0], [0, 0, 1], [0, 0, 0]]`,
#    and what is `cross_correlate2d(x, k)`? Check with the widget's own 3×3 kernel.
# 2. Show that `convolve2d(x, flip180(k)) == cross_correlate2d(x, k)` for every `k`. Which
#    kernels give `convolve2d(x, k) == cross_correlate2d(x, k)` for every `x`?
# 3. How many multiplications does `conv2d` do for `N = 1`, `C = 3`, `H = W = 227`, `F = 96`,
#    11×11 filters, stride 4 (AlexNet's first layer)? How many weights does it have?
# 4. You trained a layer with `conv2d` and want the same outputs from a library that computes
#    true convolutions. What do you do with the weights?
# 5. In `scipy.signal.correlate2d(x, k)` without a mode, what shape comes out for a 5×5 `x`
#    and a 3×3 `k`? Which zero padding `pad` makes our `conv2d` give that shape?
# 6. Send the impulse of the dilation cell through three 3×3 layers with dilations (2, 2, 2). How wide is
#    the region that sees it, and how many of its pixels are reached? What goes wrong?
# 7. AlexNet's conv4 maps 384 channels to 384 with 3×3 filters in two groups. How many parameters
#    does it have, how many would it have without groups, and how many weights as a depthwise separable layer?
#
# <details><summary>Answers</summary>
#
# 1. The kernel reads the pixel to the right of the window's centre. Cross-correlation: output
#    $(i, j)$ (centre $(i+1, j+1)$) is $x[i+1, j+2]$: the image moves one pixel **left**.
#    Convolution is cross-correlation with the rotated kernel, whose 1 is left of the centre: $x[i+1, j]$, the image
#    moves one pixel **right**.
# 2. Apply $\mathrm{convolve}(x, k') = \mathrm{cross}(x, \mathrm{flip}(k'))$ to $k' = \mathrm{flip}(k)$
#    and use $\mathrm{flip}(\mathrm{flip}(k)) = k$. They agree for every `x` exactly when
#    $\mathrm{flip}(k) = k$: kernels symmetric about their centre (box blur, Gaussian, Laplacian).
# 3. $55 \times 55$ positions (notebook 02), each $96 \times 3 \times 11 \times 11 = 34{,}848$
#    multiplications: $105{,}415{,}200$ in all. Weights: $96 \cdot 3 \cdot 121 = 34{,}848$ plus 96 biases
#    $= 34{,}944$ (notebook 01).
# 4. Rotate every kernel slice by 180 degrees: `flip180(w)` (last two axes only; filters and
#    channels keep their order). Biases stay.
# 5. `"full"` mode: $(5 + 3 - 1) \times (5 + 3 - 1) = 7 \times 7$; `pad = kh - 1 = 2` per side
#    gives $5 + 4 - 3 + 1 = 7$.
# 6. The offsets add up to even numbers $0, 2, \dots, 12$ only: the region is 13×13, but only its even rows and
#    columns are reached, 49 of 169 pixels. The unit is blind between them (the "gridding" problem of
#    dilated stacks), which is why dilations such as 1, 2, 4 that fill every gap are chosen.
# 7. $384 \cdot 192 \cdot 9 + 384 = 663{,}936$ with two groups, $384 \cdot 384 \cdot 9 + 384 = 1{,}327{,}488$
#    without; depthwise separable: $384 \cdot 9 + 384 \cdot 384 = 150{,}912$ weights.
# </details>
#
# ## Summary
#
# - A convolutional layer computes **cross-correlation** (互相关),
#   $y[i, j] = \sum_{u,v} x[i+u, j+v]\, k[u, v]$: the kernel is used as written.
# - **Convolution** (卷积) is cross-correlation with the kernel rotated by 180 degrees
#   (`flip180`: last two axes, both flipped). For kernels equal to their rotation the two agree;
#   for asymmetric ones (Sobel, emboss, an off-centre 1) they differ. On an impulse, convolution
#   stamps the kernel upright, cross-correlation stamps it rotated.
# - A layer `conv2d`: each filter spans all $C$ input channels and sums them into one map;
#   $F$ filters give $F$ feature maps (特征图); one bias per filter; stride and per-side
#   padding as in notebook 02; output `(N, F, Ho, Wo)`.
# - Not graded: a dilated convolution is a cross-correlation with $d - 1$ zeros between the kernel's taps
#   (same weights, a wider view); a grouped convolution (分组卷积) lets each block of filters see one block of
#   channels ($g$ times fewer weights: AlexNet conv2 307,456 instead of 614,656), and depthwise plus pointwise
#   is the depthwise separable convolution (深度可分离卷积).
# - Next: pooling (04, 池化) shrinks the maps; the backward pass (05) brings convolution proper
#   back: the input gradient is a full convolution with the kernel as it is.
