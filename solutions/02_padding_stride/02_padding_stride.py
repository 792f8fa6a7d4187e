# %% [markdown]
# # 02 · Padding and stride — 填充与步幅
#
# A convolution layer slides a small **filter** (卷积核 / 滤波器) over an image and writes one
# number per position into a **feature map** (特征图). How big is that map? It is not a free
# choice: once the image size, the filter size and the step between positions are fixed, the
# size of the map follows from them. This notebook works out exactly how, and what padding,
# stride and dilation change.
#
# **You will**
#
# 1. count the positions of a 3×3 filter on a 5×5 image, at stride (步幅) 1 and 2;
# 2. derive and implement the output-size formula, with padding and dilation (`conv_output_size`);
# 3. see why maps shrink and edge pixels are under-used, and fix both with zero padding (填充) (`pad2d`);
# 4. choose the padding that keeps the size ("same" padding, `same_padding`);
# 5. compute how much of the input one output unit sees, its receptive field (感受野) (`receptive_field`).
#
# Each function you write has a visible test (run it as often as you like: it names typical
# mistakes) and a hidden test (used for grading; its cell only says what it covers).
#
# **Points.** Each of the four functions has a visible test cell worth 2 points and a hidden test
# cell worth 3 points: 20 points in all. A test cell scores **all of its points or none**: every
# check in it must pass. Eight checks right out of nine still score 0 for that cell, and the
# report's first line says so. A failing visible test shows its report in red and does not stop
# *Run All*: the pictures further down still appear.

# %% readonly grade_id="setup"
import numpy as np
import matplotlib.pyplot as plt
from matplotlib_inline.backend_inline import set_matplotlib_formats

set_matplotlib_formats("retina")  # figures drawn at twice the resolution: sharp text

from cnn_course.checks import check
from cnn_course.widgets.conv_arithmetic import conv_arithmetic_widget

# %% [markdown]
# ## 1. A 5×5 image, a 3×3 filter, two strides
#
# Put the 3×3 filter on the top-left corner of a 5×5 image, compute one dot product, then
# move it. The **stride** (步幅) is how far it moves each time. Along one axis the top-left
# corner of the filter can sit at column 0, 1 or 2 (at 3 the filter would stick out), so at
# stride 1 there are 3 positions per axis: a **3×3 feature map**. At stride 2 the filter jumps
# from column 0 straight to column 2, and the next jump (to 4) would stick out: only 2
# positions per axis are left, so the feature map shrinks to **2×2**.
#
# Let us count by sliding, with no formula yet:

# %%
def window_starts(n, k, stride):
    """Top-left corners of a k-wide window sliding over n pixels, found by trying them all."""
    starts, start = [], 0
    while start + k <= n:          # the window covers start .. start+k-1: it must end inside
        starts.append(start)
        start += stride            # the stride is the step between neighbouring windows
    return starts


for stride in (1, 2):
    starts = window_starts(5, 3, stride)
    print(f"5x5 image, 3x3 filter, stride {stride}: corners at {starts} -> {len(starts)}x{len(starts)} feature map")

# %% [markdown]
# ## 2. The output-size formula
#
# **Without padding.** Along one axis, a window starting at pixel $i$ covers $i, \dots, i+k-1$;
# it fits while $i + k - 1 \le n - 1$, i.e. $i \le n - k$. The starts are $0, s, 2s, \dots$, so
# there are $\lfloor (n-k)/s \rfloor + 1$ of them. When $s$ does not divide $n - k$ the
# **remainder is dropped**: the last few rows/columns are never the start of a window (PyTorch
# does the same). Example: $n = 6, k = 3, s = 2$ gives $\lfloor 3/2 \rfloor + 1 = 2$.
#
# **Padding** (填充) $p$ adds $p$ rows of zeros on top *and* $p$ at the bottom (and as many
# columns left and right): the input becomes $n + 2p$ wide. Careful: here and in PyTorch
# (`padding=p`) $p$ is **per side**; d2l's $p_h$ counts both sides together.
#
# **Dilation** $d$ (the dilation rate, 扩张率; a convolution with $d > 1$ is a dilated convolution,
# 空洞卷积) spreads the $k$ taps of the filter $d$ pixels
# apart, so the filter spans $d(k-1) + 1$ pixels (a 3-tap filter with $d = 2$ spans 5).
# Replacing $k$ by this effective size and $n$ by $n + 2p$:
#
# $$o = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1$$
#
# | in the formula | in the code |
# |---|---|
# | effective kernel $d(k-1) + 1$ | `span = dilation * (k - 1) + 1` |
# | padded input $n + 2p$ | `n + 2 * pad` |
# | $\lfloor \cdot / s \rfloor$ | `// stride` (integer division rounds down) |
#
# **Invalid arguments.** A size or kernel below 1, a stride below 1, a negative pad, a
# dilation below 1, or a (dilated) kernel wider than the padded input make no sense: raise
# `ValueError` with a message that names the argument, e.g.
# `raise ValueError(f"stride must be >= 1, got {stride}")`. Here this is graded, message
# included: the tests check that the message names the argument at fault, so a bare
# `raise ValueError()` fails them.

# %% solution grade_id="conv_output_size"
def conv_output_size(n, k, stride=1, pad=0, dilation=1):
    """
    Output size of a convolution along one axis (the same formula serves height and width).

    Inputs:
    - n: int >= 1, input size (e.g. the image height H)
    - k: int >= 1, kernel (filter) size
    - stride: int >= 1, step between neighbouring kernel positions
    - pad: int >= 0, zeros added on EACH side
    - dilation: int >= 1, spacing between kernel taps (1 = an ordinary kernel)

    Returns:
    - o: int, floor((n + 2*pad - dilation*(k-1) - 1) / stride) + 1

    Raises:
    - ValueError, naming the argument, when n < 1, k < 1, stride < 1, pad < 0,
      dilation < 1, or the effective kernel dilation*(k-1)+1 is larger than n + 2*pad.
    """
    ### BEGIN SOLUTION
    for name, value, low in (("n", n, 1), ("k", k, 1), ("stride", stride, 1), ("pad", pad, 0), ("dilation", dilation, 1)):
        if value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")
    span = dilation * (k - 1) + 1                 # effective kernel size d(k-1) + 1
    if span > n + 2 * pad:                        # it must fit in the padded input n + 2p
        raise ValueError(f"kernel k={k} (dilation {dilation}, spans {span}) is larger than "
                         f"the padded input n + 2*pad = {n + 2 * pad}")
    return (n + 2 * pad - span) // stride + 1     # floor((n + 2p - d(k-1) - 1) / s) + 1
    ### END SOLUTION


# %% tests grade_id="test_conv_output_size_visible" points=2
# Checks a 5x5 input with a 3x3 filter at stride 1 and 2, padding, dropped remainders, dilation and two invalid calls.
check("test_conv_output_size_visible", conv_output_size)

# %% tests grade_id="test_conv_output_size_hidden" points=3
# Hidden tests: random sizes with a remainder to drop, AlexNet and ResNet layers, floor vs round and ceil, dilation, and every kind of invalid argument (the message must name it).
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_conv_output_size_hidden", conv_output_size)
### END HIDDEN TESTS

# %% [markdown]
# ### See it: convolution arithmetic
#
# Move the sliders. Left: the input, with the padding in grey, the filter's taps in orange
# and the pixels that *no* position ever reaches in pink. Right: the feature map, the cell
# the current position computes in dark green. Under the picture, the formula with your
# numbers, the count found by sliding the filter, and whether your `conv_output_size` agrees.
#
# Try: (a) the 5×5 image and 3×3 filter of section 1, then stride 2; (b) `n=6, k=3, s=2`: a column is dropped (pink);
# (c) `d=2, s=2`: half the pixels are never seen; (d) `p=1`: a 3×3 filter keeps the size;
# (e) a kernel wider than the padded input (flagged in red). Press ▶ to slide the filter.

# %%
conv_arithmetic_widget(conv_output_size)

# %% [markdown]
# ## 3. Padding: why, and how
#
# Convolving without padding has two drawbacks:
#
# 1. **The map shrinks** with every layer: each 3×3 layer takes 2 pixels off the height and the
#    width, so an $n \times n$ image is used up after about $n/2$ layers (13 for a 28×28 image).
# 2. **Edge pixels (边缘像素) are under-used**: a corner pixel lies inside a single 3×3 window, a
#    central one inside nine, so what happens at the border of the image barely reaches the
#    next layer.
#
# The fix for both: **zero padding** (零填充) — surround the image with $p$ rows and columns
# of zeros before convolving. It lets us *choose* the output size (section 4) and gives the
# edge pixels more windows (the picture after `pad2d`).

# %%
try:
    sizes = [32]
    while sizes[-1] >= 3:
        sizes.append(conv_output_size(sizes[-1], 3))      # one more 3x3 layer, no padding
    print("32x32 image through 3x3 layers without padding:", " -> ".join(map(str, sizes)))
    print("with pad=1 every layer keeps it:", 32, "->", conv_output_size(32, 3, pad=1))
except NotImplementedError:
    print("Implement conv_output_size above, then run this cell again.")

# %% [markdown]
# ### `pad2d`
#
# Write `pad2d(x, pad, value=0.0)`: add `pad` rows on top and at the bottom and `pad` columns
# on the left and on the right of the **last two axes** (height, width). `x` is one image
# `(H, W)` or a batch `(N, C, H, W)` (NCHW, as everywhere in this course); `pad` is an `int` or a
# `(ph, pw)` pair; `value` is the constant (0 for zero padding; later, max pooling will want
# `-inf`). The output shape is
#
# $$(\dots,\; H + 2p_h,\; W + 2p_w)$$
#
# and the image sits at rows $p_h \dots p_h + H - 1$, columns $p_w \dots p_w + W - 1$. Return a
# **new** float64 array and never modify `x` — also when `pad` is 0. (Beware the slice
# `out[pad:-pad]`: for `pad = 0` it is empty, a classic bug.) `np.pad` is allowed, but
# `np.full` plus one slice assignment is just as short.

# %% solution grade_id="pad2d"
def pad2d(x, pad, value=0.0):
    """
    Pad the last two axes (height, width) of a 2-D or 4-D array with a constant.

    Inputs:
    - x: array of shape (H, W) or (N, C, H, W)
    - pad: int or (ph, pw) pair, rows added at the top AND at the bottom (ph),
      columns added at the left AND at the right (pw)
    - value: float, the constant written into the new rows and columns

    Returns:
    - xp: new float64 array of shape (H + 2*ph, W + 2*pw) or (N, C, H + 2*ph, W + 2*pw)
      with xp[..., ph:ph + H, pw:pw + W] equal to x; x itself is not modified.
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 4):
        raise ValueError(f"x must be 2-D (H, W) or 4-D (N, C, H, W), got shape {x.shape}")
    ph, pw = (pad, pad) if np.ndim(pad) == 0 else pad
    if ph < 0 or pw < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    H, W = x.shape[-2:]
    xp = np.full(x.shape[:-2] + (H + 2 * ph, W + 2 * pw), value, dtype=np.float64)  # (..., H + 2ph, W + 2pw)
    xp[..., ph:ph + H, pw:pw + W] = x                                               # the image in the middle
    return xp
    ### END SOLUTION


# %% tests grade_id="test_pad2d_visible" points=2
# Checks pad 1 on a 3x3 image, a (1, 2) pair, value -1, a 4-D batch, pad 0, and where the image sits.
check("test_pad2d_visible", pad2d)

# %% tests grade_id="test_pad2d_hidden" points=3
# Hidden tests: random 4-D batches with N, C > 1 and H != W, pads (0, 2) and (2, 0), other values (also -inf), wide pads, pad 0, unmodified input.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_pad2d_hidden", pad2d)
### END HIDDEN TESTS

# %% [markdown]
# ### See it: padding keeps edge pixels in play
#
# A 5×5 image of 0s and 1s, padded by your `pad2d`, and for every pixel **how many 3×3 windows
# (stride 1) contain it**, without and with one pixel of zero padding. Without padding the
# corners are used once and the centre nine times; with padding every corner is used four
# times and the map stays 5×5.

# %%
image = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]], dtype=float)


def coverage(n, k, pad):
    """How many k x k windows (stride 1) of the n x n image padded by pad contain each image pixel."""
    size = n + 2 * pad                               # the padded canvas the windows slide over
    counts = np.zeros((size, size))
    o = size - k + 1                                 # windows per axis: (n + 2p - k) + 1
    for i in range(o):
        for j in range(o):
            counts[i:i + k, j:j + k] += 1            # this window uses these pixels once
    return counts[pad:pad + n, pad:pad + n]          # the image's own pixels (drop the padding)


def show_grid(ax, values, title, cmap, vmax):
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=12,
                color="white" if v > 0.6 * vmax else "black")
    ax.set_title(title, fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])


without, with_pad = coverage(5, 3, 0), coverage(5, 3, 1)
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), dpi=100)
try:
    padded = pad2d(image, 1)
except NotImplementedError:
    axes[0].text(0.5, 0.5, "Implement pad2d above,\nthen run this cell again\nto see pad2d(image, 1) here",
                 ha="center", va="center", fontsize=12, transform=axes[0].transAxes)
    axes[0].set_title("pad2d(image, 1): not implemented yet", fontsize=12)
    axes[0].set_xticks([])
    axes[0].set_yticks([])
else:
    show_grid(axes[0], padded, "pad2d(image, 1): 7x7, padding in grey", "Blues", 2.0)
    border = np.ones_like(padded)
    border[1:-1, 1:-1] = np.nan                      # shade only the padding cells
    axes[0].imshow(border, cmap="Greys", vmin=0, vmax=3, alpha=0.5)
    axes[0].add_patch(plt.Rectangle((0.5, 0.5), 5, 5, fill=False, edgecolor="tab:orange", lw=2))
show_grid(axes[1], without, "windows per pixel, no padding (3x3 map)", "Oranges", 9)
show_grid(axes[2], with_pad, "windows per pixel, pad 1 (5x5 map)", "Oranges", 9)
fig.tight_layout()
plt.show()
print(f"corner pixel: {without[0, 0]:g} window(s) without padding, {with_pad[0, 0]:g} with; "
      f"centre: {without[2, 2]:g} and {with_pad[2, 2]:g}")

# %% [markdown]
# ## 4. "Same" padding
#
# Which pad keeps the size at stride 1? Set $o = n$ with $s = 1$ in the formula:
#
# $$n + 2p - d(k-1) - 1 + 1 = n \quad\Longrightarrow\quad p = \frac{d(k-1)}{2}$$
#
# This is a whole number only when $d(k-1)$ is even, i.e. when the effective kernel
# $d(k-1)+1$ is **odd** — one reason CNNs use 3×3, 5×5 and 7×7 filters: an odd filter has a
# centre pixel. For an even effective kernel no per-side pad works (PyTorch's `padding="same"`
# then pads one more pixel on one side); raise `ValueError` with a message naming `k` (and
# `dilation` when it is not 1): graded, message included. Note that $k = 2, d = 2$ is fine: its
# effective size is 3.

# %% solution grade_id="same_padding"
def same_padding(k, dilation=1):
    """
    Per-side padding that keeps the input size at stride 1 ("same" convolution).

    Inputs:
    - k: int >= 1, kernel size
    - dilation: int >= 1, spacing between kernel taps

    Returns:
    - pad: int, dilation*(k-1) / 2, so that conv_output_size(n, k, 1, pad, dilation) == n

    Raises:
    - ValueError when the effective kernel dilation*(k-1)+1 is even (no per-side pad
      keeps the size), or when k < 1 or dilation < 1.
    """
    ### BEGIN SOLUTION
    if k < 1 or dilation < 1:
        raise ValueError(f"k and dilation must be >= 1, got k={k}, dilation={dilation}")
    span = dilation * (k - 1) + 1                     # effective kernel d(k-1) + 1
    if span % 2 == 0:
        raise ValueError(f"k={k} with dilation={dilation} gives an even effective kernel ({span}): "
                         "no per-side pad keeps the size")
    return dilation * (k - 1) // 2                    # p = d(k-1) / 2
    ### END SOLUTION


# %% tests grade_id="test_same_padding_visible" points=2
# Checks k = 3, 5 and 1, a dilated 3x3 kernel, and that an even kernel raises ValueError.
check("test_same_padding_visible", same_padding)

# %% tests grade_id="test_same_padding_hidden" points=3
# Hidden tests: large kernels, several dilations, even k with odd effective kernel (allowed), and even effective kernels (ValueError).
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_same_padding_hidden", same_padding)
### END HIDDEN TESTS

# %% [markdown]
# With same padding a stack of 3×3 layers keeps a 224×224 image at 224×224 (VGG does this),
# and a stride-2 layer halves it:

# %%
try:
    p = same_padding(3)
    print(f"3x3, pad {p}, stride 1: 224 -> {conv_output_size(224, 3, pad=p)}")
    print(f"3x3, pad {p}, stride 2: 224 -> {conv_output_size(224, 3, stride=2, pad=p)}")
    print(f"7x7, pad {same_padding(7)}, stride 2 (ResNet's first layer): 224 -> "
          f"{conv_output_size(224, 7, stride=2, pad=same_padding(7))}")
except NotImplementedError:
    print("Implement conv_output_size and same_padding above, then run this cell again.")

# %% [markdown]
# ## 5. The receptive field (感受野)
#
# One output unit of a 3×3 layer depends on a 3×3 patch of its input: its **receptive field**
# is 3 pixels wide. Stack a second 3×3 layer: each of its units sees 3 units of layer 1, which
# together see $3 + 2 = 5$ input pixels. Strides make it grow faster: after a stride-2 layer,
# neighbouring units are 2 input pixels apart, so each extra tap of a later layer adds 2 pixels.
#
# Call $j_l$ the **jump**: the distance, in input pixels, between neighbouring units of layer $l$.
# Going from the input ($r_0 = 1$, $j_0 = 1$) to the output, layer $l$ with kernel $k_l$ and stride $s_l$ gives
#
# $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l$$
#
# or in one line $r = 1 + \sum_l (k_l - 1) \prod_{m<l} s_m$. Pooling layers count too (a 2×2
# pool with stride 2 is $(2, 2)$). Padding does not change the size of the receptive field, only
# where it sits; a dilated kernel counts with its effective size $d(k-1)+1$.

# %% solution grade_id="receptive_field"
def receptive_field(layers):
    """
    Receptive field (in input pixels, along one axis) of one unit of the last layer of a stack.

    Inputs:
    - layers: list of (k, s) pairs (kernel size, stride), from the input to the output;
      pooling layers are (size, stride) pairs too

    Returns:
    - r: int, 1 + sum over layers l of (k_l - 1) * (product of the strides before l);
      1 for an empty list (a pixel sees itself)
    """
    ### BEGIN SOLUTION
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump      # r_l = r_{l-1} + (k_l - 1) * j_{l-1}
        jump *= s                # j_l = j_{l-1} * s_l
    return r
    ### END SOLUTION


# %% tests grade_id="test_receptive_field_visible" points=2
# Checks one, two and three 3x3 layers, and stacks with stride 2 (two and three layers).
check("test_receptive_field_visible", receptive_field)

# %% tests grade_id="test_receptive_field_hidden" points=3
# Hidden tests: random stacks, AlexNet-like and VGG16-like networks, the order of layers, 1x1 layers, strides larger than kernels.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_receptive_field_hidden", receptive_field)
### END HIDDEN TESTS

# %% [markdown]
# Two 3×3 layers see as much as one 5×5 with $2 \cdot 9 = 18$ weights instead of 25 per
# channel pair (and an extra non-linearity): this is VGG's argument. Here is how the view of
# AlexNet (conv 11/4, pool 3/2, conv 5/1, pool 3/2, three conv 3/1, pool 3/2) grows, layer by layer:

# %%
alexnet = [("conv1", 11, 4), ("pool1", 3, 2), ("conv2", 5, 1), ("pool2", 3, 2),
           ("conv3", 3, 1), ("conv4", 3, 1), ("conv5", 3, 1), ("pool5", 3, 2)]
try:
    print("two 3x3 layers:", receptive_field([(3, 1), (3, 1)]), " one 5x5 layer:", receptive_field([(5, 1)]))
    for depth in range(1, len(alexnet) + 1):
        name = alexnet[depth - 1][0]
        print(f"after {name}: each unit sees {receptive_field([(k, s) for _, k, s in alexnet[:depth]])} pixels")
except NotImplementedError:
    print("Implement receptive_field above, then run this cell again.")

# %% [markdown]
# ## Exercises (not graded)
#
# 1. **AlexNet's first layer** takes a 227×227 image and an 11×11 filter and gives a 55×55
#    feature map without padding. What stride does it use? The paper says the input is 224×224:
#    what does the formula give for 224 at that stride, and what padding brings it back to 55?
# 2. A 28×28 image, a 5×5 filter, same padding, stride 2: what size comes out? Check with the widget.
# 3. Which dilation makes a 3×3 filter span as many pixels as a 7×7 one? How many weights does each have?
# 4. Why does `receptive_field` not need the padding?
#
# <details><summary>Answers</summary>
#
# 1. $(227 - 11)/s + 1 = 55$ gives $s = 4$. For 224: $\lfloor 213/4 \rfloor + 1 = 54$ (a remainder
#    of 1 is dropped); with $p = 2$: $\lfloor 217/4 \rfloor + 1 = 55$ — torchvision's AlexNet uses exactly that.
# 2. $p = 2$ and $\lfloor (28 + 4 - 4 - 1)/2 \rfloor + 1 = 14$.
# 3. $d = 3$: $3 \cdot 2 + 1 = 7$, with 9 weights instead of 49.
# 4. Padding moves where the window sits relative to the image, not how many pixels it spans.
# </details>
#
# ## Summary
#
# - The feature map's size follows from the image size $n$, the filter size $k$, the stride $s$,
#   the padding $p$ (per side) and the dilation $d$:
#   $o = \lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1$; the remainder is dropped.
#   A 5×5 image and a 3×3 filter give 3×3 at stride 1 and 2×2 at stride 2.
# - Without padding maps shrink and edge pixels are used by few windows; zero padding fixes
#   both. "Same" padding is $p = d(k-1)/2$, possible only for an odd effective kernel.
# - The receptive field grows by $(k_l - 1)$ times the product of the earlier strides per layer.
# - Next: what the filter computes at each position — cross-correlation versus convolution
#   (03, 互相关与卷积); pooling (04) reuses this formula with windows instead of filters.
