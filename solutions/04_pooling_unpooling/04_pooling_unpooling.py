# %% [markdown]
# # 04 · Pooling and unpooling — 池化与上池化
#
# After a convolution layer a CNN usually shrinks its feature maps (特征图): it cuts each map
# into small windows and keeps one number per window. This is **pooling** (池化), and it is a
# **down-sampling** (下采样): the map gets a lower resolution, the layers after it have fewer
# positions to look at (and, when a fully-connected layer follows, far fewer weights), and a
# feature that moves a little inside its window still gives the same pooled value.
#
# Networks that must give an answer *per pixel* (segmentation, image generation) need the
# opposite too: **upsampling** (上采样) raises the resolution again. This notebook does it in
# two ways that look alike and are not: **max-unpooling** (上池化, also 反池化), which puts every value back
# at the position its maximum came from and zeros everywhere else, and **nearest-neighbour
# upsampling**, which copies every value into a whole block and needs no positions at all.
#
# **You will**
#
# 1. max-pool a 4×4 map by hand and see why pooling is a down-sampling;
# 2. work out the output size (the formula of notebook 02, without padding) and what a stride
#    smaller or larger than the window does;
# 3. remember where each maximum was (the **switches**) and settle ties with a rule;
# 4. implement `max_pool2d`, `mean_pool2d`, `max_unpool2d` and `upsample_nearest`, for whole
#    batches `(N, C, H, W)`, every channel on its own;
# 5. compare unpooling and upsampling side by side in a widget, with overlapping windows too.
#
# Each function has a visible test (2 points: run it as often as you like, it names typical
# mistakes) and a hidden test (3 points, used for grading; its cell only says what it covers).
# A test cell scores all of its points or none: every case in it must be right. 20 points in all.

# %% readonly grade_id="setup"
import numpy as np

from cnn_course.checks import check
from cnn_course.widgets.pooling import pooling_widget

# %% [markdown]
# ## 1. Max pooling on a 4×4 map
#
# Take a 4×4 feature map and cut it into four 2×2 windows (top-left, top-right, bottom-left,
# bottom-right). **Max pooling** (最大池化) keeps the largest value of each window; the four
# maxima, in the windows' order, form a 2×2 map. The visible tests use this map and the three
# others below (they are printed here because a test only shows the shapes of its arrays).

# %%
lesson_map = np.array([[1, 1, 2, 4],
                       [5, 6, 7, 8],
                       [3, 2, 1, 0],
                       [1, 2, 3, 4]], dtype=float)
ties_map = np.array([[3, 1, 2, 2],        # 3 twice in the first window; the second window is all 2s
                     [3, 0, 2, 2]], dtype=float)
wide_map = np.array([[0, 9, 2, 1, 4, 3],  # 4 rows, 6 columns: not square
                     [5, 1, 8, 7, 0, 2],
                     [6, 3, 1, 2, 9, 5],
                     [2, 7, 4, 0, 1, 8]], dtype=float)
peak_map = np.array([[1, 2, 1],           # every 2x2 window at stride 1 contains the 9
                     [3, 9, 0],
                     [2, 4, 5]], dtype=float)

pooled = np.zeros((2, 2))
for i in range(2):
    for j in range(2):
        window = lesson_map[2 * i:2 * i + 2, 2 * j:2 * j + 2]   # rows 2i, 2i+1 and columns 2j, 2j+1
        pooled[i, j] = window.max()
        print(f"window ({i}, {j}): {window.ravel()} -> max {window.max():g}")
print("max-pooled map:\n", pooled)

# %% [markdown]
# Sixteen numbers became four: the resolution dropped by 2 along each axis. Nothing was
# learned here: a pooling layer has **no weights**. And a strong response that moves by one
# pixel without leaving its window gives the same pooled map:

# %%
spot = np.zeros((4, 4))
spot[0, 0] = 9.0                      # a strong response in the top-left window
moved = np.zeros((4, 4))
moved[1, 1] = 9.0                     # the same response, one pixel down and right
for name, image in (("spot", spot), ("moved", moved)):
    print(name, "->", image.reshape(2, 2, 2, 2).max(axis=(1, 3)).ravel())   # 2x2 max pooling in one line

# %% [markdown]
# ## 2. Windows, stride and the output size
#
# A pooling window slides like a convolution filter, so the output size is the formula of
# notebook 02 with no padding (pooling never pads) and no dilation. With a window of
# $k_h \times k_w$ and a stride (步幅) of $(s_h, s_w)$ on an $H \times W$ map:
#
# $$H_o = \left\lfloor \frac{H - k_h}{s_h} \right\rfloor + 1, \qquad
#   W_o = \left\lfloor \frac{W - k_w}{s_w} \right\rfloor + 1$$
#
# Rows and columns left over at the bottom and at the right are **dropped** (a 5×5 map with 2×2
# windows gives 2×2; its last row and column are in no window), as PyTorch drops them.
#
# - **`stride=None` means stride = size**: the windows tile the map without overlapping, the
#   usual case (PyTorch's `nn.MaxPool2d(2)` is 2×2 windows at stride 2).
# - **stride < size**: neighbouring windows **overlap** (AlexNet pools 3×3 windows at stride 2).
#   A cell can be in two windows and be the maximum of both.
# - **stride > size**: **gaps**: some cells are in no window at all.
#
# | in the formula | in the code |
# |---|---|
# | window $k_h \times k_w$ | `kh, kw = (size, size) if np.ndim(size) == 0 else size` |
# | stride, default = window | `sh, sw = (kh, kw) if stride is None else ...` |
# | $\lfloor (H - k_h)/s_h \rfloor + 1$ | `(H - kh) // sh + 1` |
# | top-left corner of window $(i, j)$ | `r0, c0 = i * sh, j * sw` |

# %%
for H, W, size, stride in [(4, 4, 2, None), (5, 5, 2, None), (7, 6, 3, None), (3, 3, 2, 1), (8, 7, 2, 3)]:
    kh = kw = size
    sh, sw = (kh, kw) if stride is None else (stride, stride)
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    kind = "tiles" if (sh, sw) == (kh, kw) else ("overlap" if sh < kh else "gaps")
    print(f"{H}x{W} map, {size}x{size} windows, stride={stride}: {Ho}x{Wo} ({kind}; "
          f"{H - ((Ho - 1) * sh + kh)} row(s) dropped)")

# %% [markdown]
# ## 3. Switches: where was the maximum?
#
# Max pooling throws away *where* each maximum was. Two later steps need it: **unpooling**
# (section 6) puts each value back there, and the **backward pass** (notebook 05) sends each
# error to that one position. So `max_pool2d` also returns the positions, called **switches**
# (the name of Zeiler and Fergus, who used them to unpool).
#
# A switch is one integer per pooled value: the **flat index** of the maximum in the
# $H \times W$ plane of its own image and channel,
#
# $$s = r \cdot W + c \qquad\text{and back:}\qquad r = \lfloor s / W \rfloor,\; c = s \bmod W$$
#
# where $(r, c)$ are the row and column of the maximum **in the input** (not inside the window).
# This is PyTorch's convention (`max_pool2d(..., return_indices=True)`); the switches are
# `int64` and have the shape `(N, C, Ho, Wo)` of the pooled map. On the 4×4 map above, the 6
# sits at row 1, column 1: its switch is $1 \cdot 4 + 1 = 5$. The index restarts at 0 in every
# plane: channel 2 of image 1 uses the same numbering as channel 0 of image 0.
#
# ### Ties need a rule
#
# When two values of a window are both the maximum, the pooled *value* is the same whichever
# you pick, but the *switch* is not: unpooling would put the value in a different cell and the
# backward pass would send the error to a different neuron. Two correct-looking programs would
# disagree, and ties are common: after a ReLU many values are exactly 0, images have flat
# regions, and 8-bit pixels take only 256 values. So the course fixes a rule: **the first maximum
# in row-major order wins** (read the window row by row, top to bottom, each row left to right;
# replace the best only by a *strictly* larger value). It is what PyTorch's CPU code does today,
# not a rule PyTorch documents (its GPU code may pick another of the tied cells).
#
# `window.reshape(-1)` lists a window in exactly that order, and `np.argmax` returns the
# **first** position of the maximum, so together they apply the rule:

# %%
for j in range(2):
    window = ties_map[:, 2 * j:2 * j + 2]
    k = int(np.argmax(window.reshape(-1)))          # position inside the window, row-major; first maximum
    r, c = k // 2, 2 * j + k % 2                    # back to a row and column of the input
    print(f"window {j}: {window.reshape(-1)} -> first maximum at k={k}: input ({r}, {c}), switch {r * 4 + c}")

# %% [markdown]
# ### `max_pool2d`
#
# Write `max_pool2d(x, size=2, stride=None)` for a batch `x` of shape `(N, C, H, W)`. Pool
# **every channel of every image on its own**: a depth of $C$ stays $C$. Return the pooled map
# `y` and the `switches`, both `(N, C, Ho, Wo)`. A loop over the output positions `(i, j)`,
# with the `N` and `C` axes handled by numpy at once, is fast enough; slice the window,
# `reshape` it to `(N, C, kh * kw)`, and take `max` and `argmax` along the last axis. A position
# `k` inside the window is row `k // kw` and column `k % kw` of the window: add the window's
# corner to get the input's row and column. You may assume valid arguments (the window fits).

# %% solution grade_id="max_pool2d"
def max_pool2d(x, size=2, stride=None):
    """
    Max pooling of each channel on its own, with the positions of the maxima (switches).

    Inputs:
    - x: array of shape (N, C, H, W)
    - size: int or (kh, kw), the window (never padded)
    - stride: int or (sh, sw); None means stride = size (windows side by side)

    Returns a tuple of:
    - y: float64 array of shape (N, C, Ho, Wo), the maximum of each window, with
      Ho = (H - kh) // sh + 1 and Wo = (W - kw) // sw + 1
    - switches: int64 array of shape (N, C, Ho, Wo): the flat index r * W + c, in the
      H*W plane of its own image and channel, of the input cell holding each maximum;
      when several cells tie, the first one in row-major order inside the window wins
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    kh, kw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if np.ndim(stride) == 0 else stride)
    N, C, H, W = x.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1              # floor((H - kh) / sh) + 1
    y = np.empty((N, C, Ho, Wo))
    switches = np.empty((N, C, Ho, Wo), dtype=np.int64)
    for i in range(Ho):
        for j in range(Wo):
            r0, c0 = i * sh, j * sw                              # the window's top-left corner
            window = x[:, :, r0:r0 + kh, c0:c0 + kw].reshape(N, C, kh * kw)   # row-major order
            k = np.argmax(window, axis=2)                        # the FIRST maximum wins ties
            y[:, :, i, j] = np.max(window, axis=2)
            switches[:, :, i, j] = (r0 + k // kw) * W + (c0 + k % kw)         # s = r * W + c
    return y, switches
    ### END SOLUTION


# %% tests grade_id="test_max_pool2d_visible" points=2
# Checks the 4x4 map, ties, the 4x6 map with 2x2 and 2x3 windows, overlapping windows, a batch with 2 channels, a dropped remainder.
check("test_max_pool2d_visible", max_pool2d)

# %% tests grade_id="test_max_pool2d_hidden" points=3
# Hidden tests: non-square maps and windows, strides smaller and larger than the window, stride=None, ties everywhere (constant maps, repeated maxima), negative values, N and C > 1, remainders dropped.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_max_pool2d_hidden", max_pool2d)
### END HIDDEN TESTS

# %% [markdown]
# Your switches on the 4×4 map, turned back into rows and columns with `divmod(s, W)`:

# %%
try:
    y, switches = max_pool2d(lesson_map[None, None], 2)
except NotImplementedError:
    print("Implement max_pool2d above, then run this cell again.")
else:
    print("pooled:\n", y[0, 0])
    print("switches:\n", switches[0, 0])
    for s, value in zip(switches[0, 0].ravel(), y[0, 0].ravel()):
        print(f"switch {s} -> row, column {divmod(int(s), 4)} holds {lesson_map[divmod(int(s), 4)]:g} (pooled {value:g})")

# %% [markdown]
# ## 4. Mean pooling
#
# **Mean pooling** (平均池化, average pooling) keeps the average of each window instead of its
# maximum:
#
# $$y_{ij} = \frac{1}{k_h k_w} \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1} x_{\,i s_h + u,\; j s_w + v}$$
#
# Every cell of the window counts, so there is nothing to remember and no tie to settle. Same
# windows, same output size, same `stride=None` rule as `max_pool2d`.

# %% solution grade_id="mean_pool2d"
def mean_pool2d(x, size=2, stride=None):
    """
    Mean (average) pooling of each channel on its own.

    Inputs:
    - x: array of shape (N, C, H, W)
    - size: int or (kh, kw), the window (never padded)
    - stride: int or (sh, sw); None means stride = size

    Returns:
    - y: float64 array of shape (N, C, Ho, Wo), the mean of each window, with
      Ho = (H - kh) // sh + 1 and Wo = (W - kw) // sw + 1
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    kh, kw = (size, size) if np.ndim(size) == 0 else size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if np.ndim(stride) == 0 else stride)
    N, C, H, W = x.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    y = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            y[:, :, i, j] = window.sum(axis=(2, 3)) / (kh * kw)      # (1 / (kh kw)) * sum of the window
    return y
    ### END SOLUTION


# %% tests grade_id="test_mean_pool2d_visible" points=2
# Checks the 4x4 map, a 2x3 window on the 4x6 map, overlapping windows, a dropped remainder, a batch with 3 channels.
check("test_mean_pool2d_visible", mean_pool2d)

# %% tests grade_id="test_mean_pool2d_hidden" points=3
# Hidden tests: non-square maps and windows, strides smaller and larger than the window, stride=None, a window as large as the map, N and C > 1, remainders dropped.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_mean_pool2d_hidden", mean_pool2d)
### END HIDDEN TESTS

# %% [markdown]
# ### Padded windows, and global average pooling (not graded)
#
# The pooling of this course never pads. Libraries can: PyTorch's `avg_pool2d(x, 3, 1, padding=1)`
# surrounds the map with zeros first, and then has to decide what an edge window's mean is. With
# `count_include_pad=True` (its default) every window is divided by $k_h k_w$, the padded zeros
# included, so edge values are pulled towards 0; with `count_include_pad=False` a window is divided
# by the number of *real* pixels in it, and a corner of a 3×3 window at pad 1 is the mean of 4 pixels.
# Your `mean_pool2d` gives both: pool the padded map (zeros included), and divide by the pooled
# padded map of ones (the fraction of each window that is real). Max pooling pads with $-\infty$
# instead, which never wins a window.
#
# **Global average pooling** (全局平均池化) is mean pooling with one window as large as the map:
# `mean_pool2d(x, size=(H, W))` turns each $H \times W$ plane into one number, `(N, C, 1, 1)`. Modern
# networks (ResNet, for example) use it instead of flattening: a 512×7×7 map becomes 512 numbers, so a
# dense layer to 1,000 classes needs 512,000 weights instead of 25,088,000, and any input size works.

# %%
x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)                  # the 4x4 map 1..16
try:
    zeros_around = ((0, 0), (0, 0), (1, 1), (1, 1))            # pad 1 on each side of H and W
    include = mean_pool2d(np.pad(x, zeros_around), 3, 1)       # count_include_pad=True
    real = mean_pool2d(np.pad(np.ones_like(x), zeros_around), 3, 1)   # the real fraction of each window
    exclude = include / real                                   # count_include_pad=False
    print("top-left window, 3x3 at pad 1:", f"{include[0, 0, 0, 0]:.4f} with the zeros counted,",
          f"{exclude[0, 0, 0, 0]:.4f} without (the mean of 1, 2, 5, 6)")
    gap = mean_pool2d(x, size=x.shape[2:])
    print("global average pooling:", x.shape, "->", gap.shape, "value", gap[0, 0, 0, 0], "= the mean", x.mean())
except NotImplementedError:
    print("Implement mean_pool2d above, then run this cell again.")

# %% [markdown]
# ## 5. Every channel on its own: a depth of D stays D
#
# A feature map of depth $D$ (one plane per filter of the layer before) is pooled plane by
# plane: pooling never mixes channels, unlike a convolution, whose filters span all of them.
# Only the height and the width shrink. For a VGG-style block, 2×2 windows at stride 2:

# %%
rng = np.random.default_rng(4)
x = rng.standard_normal((2, 64, 56, 56))          # 2 images, depth 64
try:
    y, switches = max_pool2d(x, 2)
    m = mean_pool2d(x, 2)
except NotImplementedError:
    print("Implement max_pool2d and mean_pool2d above, then run this cell again.")
else:
    print(f"input {x.shape} -> max-pooled {y.shape}, mean-pooled {m.shape}: depth {x.shape[1]} stays {y.shape[1]}")
    print(f"values per image: {x[0].size:,} -> {y[0].size:,} (4 times fewer); weights of the pooling layer: 0")
    print(f"a dense layer with 100 outputs after it needs {x[0].size * 100:,} weights without pooling, "
          f"{y[0].size * 100:,} with")
    channel = 7
    alone = max_pool2d(x[:, channel:channel + 1], 2)[0]
    print("channel 7 pooled alone gives the same values:", np.array_equal(alone[:, 0], y[:, channel]))

# %% [markdown]
# ## 6. Unpooling: back to the positions of the maxima
#
# **Max-unpooling** (上池化) goes the other way: from the pooled map `y` and its switches to a
# map of the input's size, **zeros everywhere except at the switches**, where the pooled
# values go back. Decoders of segmentation networks (SegNet) and the "deconvnet" pictures of
# what a CNN has learned (Zeiler and Fergus) use it. It does not undo pooling: the values that
# were not the maximum are lost for good, and zeros stand in their place.
#
# Three details:
#
# - **`output_size = (H, W)` is needed**: a 4×4 and a 5×5 map both pool to 2×2 with 2×2
#   windows, so the pooled map cannot tell. And $W$ is what decodes a switch:
#   $r = \lfloor s / W \rfloor$, $c = s \bmod W$ (not $H$).
# - **Plane by plane**: switch $s$ of image $n$, channel $c$ goes into plane $(n, c)$ only.
# - **Assign, do not add**: with overlapping windows two pooled cells can hold the same
#   switch. Both carry the same value (it was the maximum of both windows), and it goes back
#   once: the result has that value there, not twice that value. This is what PyTorch's
#   `max_unpool2d` does. (The backward pass of notebook 05 is different: there the errors of
#   the two windows *add up*.)
#
# Flatten each plane to `H * W` values, and `x_plane[switches] = values` does the placing.

# %% solution grade_id="max_unpool2d"
def max_unpool2d(y, switches, output_size):
    """
    Max unpooling: put each pooled value back at the position of its maximum, zeros elsewhere.

    Inputs:
    - y: pooled values, array of shape (N, C, Ho, Wo)
    - switches: int array of shape (N, C, Ho, Wo), flat indices r * W + c into the H*W plane
      of each image and channel (as max_pool2d returns them)
    - output_size: (H, W), the size of the map to rebuild

    Returns:
    - x: float64 array of shape (N, C, H, W): x[n, c].flat[switches[n, c, i, j]] = y[n, c, i, j],
      zeros everywhere else; a switch shared by several pooled cells gets the value (not a sum)
    """
    ### BEGIN SOLUTION
    y = np.asarray(y, dtype=np.float64)
    N, C = y.shape[:2]
    H, W = output_size
    x = np.zeros((N, C, H * W))                          # each (n, c) plane flattened: index r * W + c
    values = y.reshape(N, C, -1)
    where = np.asarray(switches).reshape(N, C, -1)
    for n in range(N):
        for c in range(C):
            x[n, c, where[n, c]] = values[n, c]          # assign (=): a shared switch gets its value once
    return x.reshape(N, C, H, W)
    ### END SOLUTION


# %% tests grade_id="test_max_unpool2d_visible" points=2
# Checks the 4x4 map unpooled, a 4x6 map, an output larger than the pooled extent, a shared switch, a batch with 2 channels.
check("test_max_unpool2d_visible", max_unpool2d)

# %% tests grade_id="test_max_unpool2d_hidden" points=3
# Hidden tests: non-square maps and windows, overlapping windows and gaps, shared switches, ties, N and C > 1, odd output sizes larger than the pooled extent.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_max_unpool2d_hidden", max_unpool2d)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Nearest-neighbour upsampling: copies, no positions
#
# **Nearest-neighbour upsampling** (上采样) raises the resolution by copying: every value fills
# a whole $s_h \times s_w$ block,
#
# $$x_{ij} = y_{\lfloor i / s_h \rfloor,\ \lfloor j / s_w \rfloor}, \qquad
#   x \text{ has shape } (\dots, H s_h, W s_w)$$
#
# It needs no switches: it does not know where the maxima were, so it cannot put them back;
# it copies each value, whole, into every cell of its block instead, and no cell is zero unless a
# value was. PyTorch calls
# it `interpolate(y, scale_factor=s, mode="nearest")`; U-Net-style decoders use it before a
# convolution. `y` is one map `(H, W)` or a batch `(N, C, H, W)`; only the last two axes grow;
# `scale` is an `int` or an `(s_h, s_w)` pair. `np.repeat` copies along one axis at a time.

# %% solution grade_id="upsample_nearest"
def upsample_nearest(y, scale=2):
    """
    Nearest-neighbour upsampling: copy each value into its scale_h x scale_w block (no positions used).

    Inputs:
    - y: array of shape (H, W) or (N, C, H, W)
    - scale: int or (scale_h, scale_w), each >= 1

    Returns:
    - x: float64 array of shape (..., H * scale_h, W * scale_w) with
      x[..., i, j] = y[..., i // scale_h, j // scale_w]
    """
    ### BEGIN SOLUTION
    y = np.asarray(y, dtype=np.float64)
    sh, sw = (scale, scale) if np.ndim(scale) == 0 else scale
    return np.repeat(np.repeat(y, sh, axis=-2), sw, axis=-1)     # rows copied sh times, then columns sw times
    ### END SOLUTION


# %% tests grade_id="test_upsample_nearest_visible" points=2
# Checks the pooled 2x2 map at scale 2, scale 3, a (2, 3) scale pair, a 4-D batch, scale 1.
check("test_upsample_nearest_visible", upsample_nearest)

# %% tests grade_id="test_upsample_nearest_hidden" points=3
# Hidden tests: random 4-D batches with N and C > 1, scale pairs (h, w) including (3, 1) and (1, 2), 2-D maps, 1x1 planes, scale 1.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_upsample_nearest_hidden", upsample_nearest)
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Unpooling beside upsampling
#
# The 4×4 map pooled to 2×2, then brought back to 4×4 both ways. Unpooling: four values in
# their old places, twelve zeros. Upsampling: sixteen values, each pooled value four times.

# %%
try:
    y, switches = max_pool2d(lesson_map[None, None], 2)
    unpooled = max_unpool2d(y, switches, (4, 4))
    upsampled = upsample_nearest(y, 2)
except NotImplementedError:
    print("Implement max_pool2d, max_unpool2d and upsample_nearest above, then run this cell again.")
else:
    print("input:\n", lesson_map)
    print("max-pooled:\n", y[0, 0])
    print("max_unpool2d (zeros except at the switches):\n", unpooled[0, 0])
    print("upsample_nearest (copies):\n", upsampled[0, 0])
    print("pooling the unpooled map again gives back y:", np.array_equal(max_pool2d(unpooled, 2)[0], y))

# %% [markdown]
# ### See it: windows, switches, unpooling and upsampling
#
# Move the controls. Top: the feature map with each pooling window in its own colour
# (lavender cells are inside two or more windows, grey cells inside none), the max-pooled map
# with an **arrow from every pooled cell to the input cell its switch remembers** (those cells
# in bold), and the mean-pooled map. Bottom: `max_unpool2d` back to the input's size beside
# `upsample_nearest` with the stride as scale. Your four functions draw the picture when they
# are implemented (the titles then say "yours"); under the picture, whether each agrees with
# what the picture finds by scanning the windows itself. Unpooling and upsampling are given the
# right pooled map and switches, so each of your functions is judged on its own.
#
# Try: (a) change the random seed; (b) the "ties" map: the arrows go to the first maximum of each
# window; a "constant" map: every arrow goes to a window's top-left cell; (c) window 2×2 at
# stride 1: windows overlap and several arrows end on the same cell ("switches shared"), and
# the unpooled map holds that value once; (d) window 2, stride 3: gaps; (e) 7 rows with 2×2
# windows: the last row is dropped, and the upsampled map has 6 rows, not 7; (f) choose "typed
# below" and type a map with negative numbers.

# %%
pooling_widget(max_pool2d, mean_pool2d, max_unpool2d, upsample_nearest)

# %% [markdown]
# ## Exercises (not graded)
#
# 1. A VGG feature map of 224×224 with depth 64 goes through 2×2 max pooling at stride 2. What
#    shape comes out, how many values are left of the 3,211,264, and how many weights does the
#    pooling layer have?
# 2. AlexNet pools 55×55 maps with 3×3 windows at stride 2. What size comes out? In how many
#    windows at most can one cell be?
# 3. Pool the 4×4 map with 2×2 windows at **stride 1**. Write down `y` and the switches. How
#    many switches are shared, and what does `max_unpool2d` put at a shared one? Check with the
#    widget (type the map).
# 4. The last cell of section 8 printed `True`: pooling the unpooled map gives `y` back. Find a
#    2×2 map, pooled with one 2×2 window, for which it does not. (Hint: what is larger than a
#    negative maximum?)
# 5. With the rule "the **last** maximum wins", what switches would the `ties_map` give? Which
#    function of notebook 05 would then send its errors to different neurons?
# 6. Why can `upsample_nearest` not replace `max_unpool2d` in a SegNet-style decoder, and why
#    does `max_unpool2d` need `output_size` while `upsample_nearest` needs only a scale?
# 7. Write `mean_pool2d_padded(x, size, stride, pad, count_include_pad=True)` from your `mean_pool2d`
#    and `np.pad` (as in the cell after section 4). On the 4×4 map 1..16 with 3×3 windows, stride 1,
#    pad 1, which output cells differ between the two settings? Why must max pooling not pad with 0?
#
# <details><summary>Answers</summary>
#
# 1. $(N, 64, 112, 112)$: $112 \cdot 112 \cdot 64 = 802{,}816$ values, four times fewer; 0 weights.
# 2. $\lfloor (55 - 3)/2 \rfloor + 1 = 27$. Windows start every 2 cells and are 3 wide, so a cell
#    is in at most 2 windows along each axis: 4 windows.
# 3. $y = [[6, 7, 8], [6, 7, 8], [3, 3, 4]]$, switches $[[5, 6, 7], [5, 6, 7], [8, 14, 15]]$.
#    Switches 5, 6 and 7 are each used twice; unpooling puts 6, 7 and 8 there once each (not 12,
#    14, 16), because it assigns.
# 4. $[[-1, -2], [-3, -4]]$: $y = -1$ with switch 0; unpooled $[[-1, 0], [0, 0]]$; pooling that
#    gives 0, not $-1$: the zeros that unpooling puts in are larger than a negative maximum.
# 5. $[4, 7]$ instead of $[0, 2]$: the 3 at row 1 and the 2 at the bottom-right corner.
#    `max_pool2d_backward` would send the error of these windows to those cells instead.
# 6. Upsampling has no switches: it copies each value over the whole block, so the fine
#    position of a strong response (an edge, say) is blurred over the block. Unpooling keeps it.
#    The pooled size does not determine the input size (4×4 and 5×5 both pool to 2×2), and
#    unpooling must rebuild the input's size to decode $s = rW + c$; upsampling just multiplies
#    the size by the scale.
# 7. Only the 12 border cells: the 4 interior windows hold no padding. With zeros counted a corner
#    window is divided by 9 instead of 4 (14/9 instead of 3.5), an edge window by 9 instead of 6.
#    A zero pad would win every edge window whose real values are all negative; $-\infty$ never wins.
# </details>
#
# ## Summary
#
# - Pooling (池化) slides a window over every channel on its own and keeps one number per
#   window: the maximum (max pooling) or the average (mean pooling). It is a down-sampling
#   (下采样): the resolution drops, the depth $D$ stays $D$, and there are no weights.
# - Output size: $\lfloor (H - k_h)/s_h \rfloor + 1$ by $\lfloor (W - k_w)/s_w \rfloor + 1$, the
#   formula of notebook 02 without padding; `stride=None` means stride = size; leftover rows and
#   columns are dropped; stride < size makes windows overlap, stride > size leaves gaps.
# - Max pooling remembers its switches: `int64` flat indices $rW + c$ into each plane
#   (PyTorch's `return_indices`); on a tie the first maximum in row-major order wins.
# - Max-unpooling (上池化) puts the values back at their switches, zeros elsewhere (assigned,
#   never added); nearest upsampling (上采样) copies every value into its block and uses no
#   positions. Both raise the resolution; neither undoes pooling.
# - Next: notebook 05 sends errors backwards through these layers: max pooling routes each error
#   to its switch, mean pooling shares it evenly over the window.
