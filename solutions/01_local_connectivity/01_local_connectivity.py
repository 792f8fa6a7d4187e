# %% [markdown]
# # 01 · Local connection and weight sharing — 局部连接与权值共享
#
# The neurons of an ordinary **fully-connected layer** (全连接层) sit in a line: each one takes
# the *whole* input as one long vector and has a weight for every entry of it. That is fine for
# 784 pixels of a handwritten digit. For a photograph it is hopeless: a 227×227 colour image is
# 154,587 numbers, and every neuron needs that many weights. A **convolutional neural network**
# (卷积神经网络, CNN) takes the image as an image, and cuts the weights down with three ideas:
#
# 1. **local connection** (局部连接): a neuron looks at a small patch of the image, not at all of it;
# 2. **weight sharing** (权值共享): one set of weights, a **filter** (卷积核 / 滤波器), is reused at every position;
# 3. **pooling** (池化): a down-sampling (下采样) that shrinks the maps, and with them every later layer.
#
# **You will**
#
# 1. count the parameters of a fully-connected layer on an image (`dense_param_count`);
# 2. count them again when each neuron sees only a patch (`local_param_count`);
# 3. compute such a locally connected layer (`locally_connected2d`);
# 4. count them once more when the weights are shared, and see why a filter is as deep as its input
#    and why F filters make F **feature maps** (特征图) (`conv_param_count`);
# 5. show that a convolution *is* a locally connected layer whose weights are tied (`tie_weights`);
# 6. reproduce AlexNet's first layer: **34,944** parameters with weight sharing, **105,705,600** without.
#
# **Points.** Each of the five functions has a visible test (2 points; run it as often as you like:
# it names typical mistakes) and a hidden test (3 points; used for grading, its cell only says what
# it covers): 25 points in all. A test cell scores all of its points or none: every case in it must be right.
#
# Conventions of the whole course: arrays are `float64`, images come in batches of shape
# `(N, C, H, W)` (number of images, channels, height, width), and a graded function never changes its
# arguments.

# %% readonly grade_id="setup"
import numpy as np

from cnn_course.checks import check
from cnn_course.widgets.local_connectivity import connections_widget, param_chart_widget

# %% [markdown]
# ## 1. Neurons in a line: the fully-connected layer
#
# A fully-connected layer with $n_\text{in}$ inputs and $n_\text{out}$ neurons computes
#
# $$y = W x + b, \qquad W \in \mathbb{R}^{n_\text{out} \times n_\text{in}},\; b \in \mathbb{R}^{n_\text{out}}$$
#
# Neuron $j$ has one weight $W_{ji}$ for each input $i$ and one bias $b_j$. Its input $x$ is a
# **vector**, so an image has to be flattened first: a 5×5 image becomes 25 numbers in a row.
# Flattening loses the picture. Pixel (0, 0) and its neighbour below, (1, 0), end up 5 places
# apart; the layer has no idea which pixels are neighbours. Shuffle the pixels (the same way for
# every image) and the columns of $W$ with them, and the layer computes exactly the same thing:

# %%
rng = np.random.default_rng(0)
image = rng.standard_normal((5, 5))
x = image.reshape(-1)                       # (25,): the image as a vector, row after row
W = rng.standard_normal((3, x.size))        # 3 neurons, one weight per pixel each: (n_out, n_in)
b = rng.standard_normal(3)                  # one bias per neuron
y = W @ x + b                               # y = W x + b

shuffle = rng.permutation(x.size)           # scramble the pixels...
y_shuffled = W[:, shuffle] @ x[shuffle] + b # ...and each neuron's weights the same way
print("pixel (1, 0) sits at index", np.ravel_multi_index((1, 0), image.shape), "of the vector")
print("same outputs after shuffling the pixels:", np.allclose(y, y_shuffled))

# %% [markdown]
# So a fully-connected layer cannot *use* the fact that nearby pixels belong together; it must
# learn it, with a separate weight for every (pixel, neuron) pair. The count is
#
# $$\#\text{params} = \underbrace{n_\text{in} \cdot n_\text{out}}_{\text{weights}} + \underbrace{n_\text{out}}_{\text{biases}}$$
#
# **Your turn.** Write `dense_param_count`. With `bias=False` the layer has no biases. Return a
# Python `int`.

# %% solution grade_id="dense_param_count"
def dense_param_count(n_in, n_out, bias=True):
    """
    Number of parameters of a fully-connected layer y = W x + b.

    Inputs:
    - n_in: int >= 1, number of inputs (e.g. C*H*W for a flattened image)
    - n_out: int >= 1, number of output neurons
    - bias: bool, whether each output neuron has a bias

    Returns:
    - count: int, n_in * n_out weights, plus n_out biases when bias is True
    """
    ### BEGIN SOLUTION
    weights = n_in * n_out                  # one weight per (input, neuron) pair
    biases = n_out if bias else 0           # one bias per neuron
    return weights + biases
    ### END SOLUTION


# %% tests grade_id="test_dense_param_count_visible" points=2
# Checks small layers with and without bias, and a flattened 28x28 image.
check("test_dense_param_count_visible", dense_param_count)

# %% tests grade_id="test_dense_param_count_hidden" points=3
# Hidden tests: random sizes with and without bias, one input or one neuron, and image-sized layers (AlexNet's input).
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_dense_param_count_hidden", dense_param_count)
### END HIDDEN TESTS

# %% [markdown]
# How bad is it for real images? A 224×224 colour image has $3 \cdot 224 \cdot 224 = 150{,}528$ inputs.

# %%
try:
    for neurons in (10, 1000, 3 * 224 * 224):
        print(f"224x224x3 image -> {neurons:>7,} neurons: {dense_param_count(3 * 224 * 224, neurons):>17,} parameters")
except NotImplementedError:
    print("Implement dense_param_count above, then run this cell again.")

# %% [markdown]
# A hidden layer as large as the image would need 22.7 **billion** parameters: 181 GB of float64,
# for one layer. Most of those weights connect pixels that have nothing to do with each other.

# %% [markdown]
# ## 2. Local connection (局部连接): a neuron sees a patch
#
# What makes an edge, a corner or a dot is a few *neighbouring* pixels. So let each neuron look
# only at a small $k_h \times k_w$ **patch** of the image, through all its $C$ channels (red,
# green, blue), and keep one neuron for every position of the patch. The neurons are no longer in
# a line: they form a grid of $H_o \times W_o$ positions, and at each position we can put $F$
# neurons that look at the same patch. Each of the $F$ grids of neurons is a **feature map**
# (特征图), and the output has shape $(F, H_o, W_o)$.
#
# The patch starts at rows $0, s, 2s, \dots$ (the **stride** $s$, 步幅 or 步长, is the step between
# positions), on the image padded with $p$ rows of zeros on top and $p$ at the bottom
# (**padding** 填充, counted per side). On a 5×5 image a 3×3 patch fits at 3 positions per axis
# (3×3 positions); with stride 2 at 2 (2×2). In general (notebook 02 derives it):
#
# $$H_o = \left\lfloor \frac{H + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   W_o = \left\lfloor \frac{W + 2p_w - k_w}{s_w} \right\rfloor + 1$$
#
# In a **locally connected layer** every one of the $F \cdot H_o \cdot W_o$ output neurons has
# weights of its own: $C \cdot k_h \cdot k_w$ of them, plus its own bias:
#
# $$\#\text{params} = H_o \cdot W_o \cdot F \cdot (C \cdot k_h \cdot k_w + 1)$$
#
# | in the formula | in the code |
# |---|---|
# | $\lfloor (H + 2p_h - k_h)/s_h \rfloor + 1$ | `(H + 2 * ph - kh) // sh + 1` |
# | weights of one neuron $C k_h k_w$ | `C * kh * kw` |
# | number of neurons $F H_o W_o$ | `out_channels * Ho * Wo` |
#
# `kernel_size`, `stride` and `pad` are each an `int` (the same for height and width) or an
# `(h, w)` pair; the first number is always the height. One way to accept both:
# `kh, kw = (k, k) if isinstance(k, int) else k`.

# %% solution grade_id="local_param_count"
def local_param_count(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    """
    Number of parameters of a locally connected layer: every output neuron has its own weights and bias.

    Inputs:
    - in_shape: (C, H, W), the shape of one input image
    - out_channels: int F >= 1, neurons per output position (the number of feature maps)
    - kernel_size: int k or (kh, kw) pair, the patch each neuron sees
    - stride: int or (sh, sw) pair, the step between neighbouring patches
    - pad: int or (ph, pw) pair, zeros added on EACH side
    - bias: bool, whether each output neuron has a bias

    Returns:
    - count: int, Ho * Wo * F * (C * kh * kw) weights, plus Ho * Wo * F biases when bias is True,
      with Ho = (H + 2*ph - kh) // sh + 1 and Wo = (W + 2*pw - kw) // sw + 1
    """
    ### BEGIN SOLUTION
    C, H, W = in_shape
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    Ho = (H + 2 * ph - kh) // sh + 1          # positions down:   floor((H + 2p - kh) / s) + 1
    Wo = (W + 2 * pw - kw) // sw + 1          # positions across: floor((W + 2p - kw) / s) + 1
    neurons = Ho * Wo * out_channels          # F neurons at each of the Ho x Wo positions
    per_neuron = C * kh * kw + (1 if bias else 0)
    return neurons * per_neuron
    ### END SOLUTION


# %% tests grade_id="test_local_param_count_visible" points=2
# Checks the 5x5 image with a 3x3 patch (stride 1 and 2, pad 1 and 2), 3 channels and 2 filters, no bias, a non-square case and AlexNet conv1.
check("test_local_param_count_visible", local_param_count)

# %% tests grade_id="test_local_param_count_hidden" points=3
# Hidden tests: random non-square inputs with (h, w) pairs for kernel, stride and pad, remainders to drop, 1x1 and whole-image kernels, bias=False, AlexNet conv1.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_local_param_count_hidden", local_param_count)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Computing a locally connected layer
#
# Output neuron $(f, i, j)$ takes the patch whose top-left corner is at row $i s_h$, column
# $j s_w$ of the padded input $\tilde x$, multiplies it entry by entry with **its own** weights
# `w[i, j, f]` (shape $(C, k_h, k_w)$), sums, and adds its bias:
#
# $$y_{n,f,i,j} = \sum_{c=0}^{C-1} \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
#     \tilde x_{n,\,c,\,i s_h + u,\, j s_w + v}\; w_{i,j,f,c,u,v} \;+\; b_{f,i,j}$$
#
# So the weights have shape `(Ho, Wo, F, C, kh, kw)`: first *where*, then *which neuron*, then
# the patch. The biases have shape `(F, Ho, Wo)`, like one output image.
#
# | in the formula | in the code |
# |---|---|
# | $\tilde x$ (zeros around, $p$ per side) | `np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))` |
# | the patch of position $(i, j)$, all $c, u, v$ | `xp[:, :, i*sh:i*sh + kh, j*sw:j*sw + kw]`, shape `(N, C, kh, kw)` |
# | $\sum_{c,u,v}$ patch $\times$ `w[i, j, f]` for every $f$ | `np.tensordot(patch, w[i, j], axes=([1, 2, 3], [1, 2, 3]))`, shape `(N, F)` |
#
# Read $H_o, W_o, F, k_h, k_w$ from `w.shape`. Two loops (over $i$ and $j$) are fine; if you prefer,
# loop over $n$ and $f$ too and use `np.sum(patch * w[i, j, f])`.

# %% solution grade_id="locally_connected2d"
def locally_connected2d(x, w, b, stride=1, pad=0):
    """
    Forward pass of a locally connected layer (a different weight set at every output position).

    Inputs:
    - x: input images of shape (N, C, H, W)
    - w: weights of shape (Ho, Wo, F, C, kh, kw); w[i, j] holds the F weight sets used at output position (i, j)
    - b: biases of shape (F, Ho, Wo)
    - stride: int or (sh, sw) pair, the step between neighbouring patches
    - pad: int or (ph, pw) pair, zeros added on EACH side of the height and width of x

    Returns:
    - y: output of shape (N, F, Ho, Wo), with
      y[n, f, i, j] = sum over c, u, v of xpad[n, c, i*sh + u, j*sw + v] * w[i, j, f, c, u, v] + b[f, i, j]
    """
    ### BEGIN SOLUTION
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    Ho, Wo, F, C, kh, kw = w.shape
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))             # zeros, p per side
    y = np.empty((x.shape[0], F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]   # (N, C, kh, kw)
            y[:, :, i, j] = np.tensordot(patch, w[i, j], axes=([1, 2, 3], [1, 2, 3])) + b[:, i, j]
    return y
    ### END SOLUTION


# %% tests grade_id="test_locally_connected2d_visible" points=2
# Checks a 3x3 image with a 2x2 kernel, a non-square image and kernel, stride 2, pad 1, 2 channels and 3 filters, a batch of 2.
check("test_locally_connected2d_visible", locally_connected2d)

# %% tests grade_id="test_locally_connected2d_hidden" points=3
# Hidden tests: random batches with several channels and filters, non-square inputs and kernels, (h, w) strides and pads, remainders, 1x1 and whole-image kernels, tied weights.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_locally_connected2d_hidden", locally_connected2d)
### END HIDDEN TESTS

# %% [markdown]
# **A fully-connected layer is a locally connected one whose patch is the whole image.** Then
# there is a single position ($H_o = W_o = 1$) and each of the $F$ neurons has a weight for every
# pixel of every channel: exactly $W x + b$ on the flattened image. Let us check with your function:

# %%
C, H, W_, F = 3, 4, 5, 2
x_batch = rng.standard_normal((1, C, H, W_))
w_full = rng.standard_normal((1, 1, F, C, H, W_))           # one position, F neurons that see everything
b_full = rng.standard_normal((F, 1, 1))
W_dense = w_full[0, 0].reshape(F, C * H * W_)               # the same weights as a (n_out, n_in) matrix
try:
    y_local = locally_connected2d(x_batch, w_full, b_full)
except NotImplementedError:
    print("Implement locally_connected2d above, then run this cell again.")
else:
    y_dense = W_dense @ x_batch.reshape(-1) + b_full.reshape(-1)   # y = W x + b on the flattened image
    print("locally connected, patch = whole image:", y_local.reshape(-1))
    print("fully connected on the flattened image:", y_dense)
    print("equal:", np.allclose(y_local.reshape(-1), y_dense))

# %% [markdown]
# ## 4. Weight sharing (权值共享): one filter for every position
#
# A detector of vertical edges is as useful in the top-left corner as in the middle. So instead
# of a weight set per position, use **one** weight set at all positions: slide it over the image.
# This weight set is a **filter** (卷积核 / 滤波器) and the layer is a **convolutional layer**
# (卷积层).
#
# - **A filter is as deep as its input.** On an RGB image ($C = 3$) a 3×3 filter is $3 \times 3 \times 3$:
#   it reads all channels of the patch at once and gives *one* number per position. On the output
#   of a layer with 96 feature maps, the next layer's filters are 96 deep.
# - **F filters give F feature maps.** Each filter, slid over the image, fills one map; the
#   layer's output has depth $F$, and that depth is what the next layer's filters must match.
#
# The weights are stored as `(F, C, kh, kw)` (the order PyTorch uses) with one bias per filter,
# `(F,)`. The count no longer depends on the image size at all:
#
# $$\#\text{params} = F \cdot (C \cdot k_h \cdot k_w + 1)$$

# %% solution grade_id="conv_param_count"
def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
    """
    Number of parameters of a convolutional layer: one weight set (filter) shared by all positions.

    Inputs:
    - in_channels: int C >= 1, depth of the input (and so of every filter)
    - out_channels: int F >= 1, number of filters (= number of output feature maps)
    - kernel_size: int k or (kh, kw) pair
    - bias: bool, whether each filter has a bias

    Returns:
    - count: int, F * C * kh * kw weights, plus F biases when bias is True
    """
    ### BEGIN SOLUTION
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    per_filter = in_channels * kh * kw + (1 if bias else 0)   # a C x kh x kw filter and its bias
    return out_channels * per_filter                          # F filters
    ### END SOLUTION


# %% tests grade_id="test_conv_param_count_visible" points=2
# Checks one 3x3 filter, 3-channel filters, bias=False, a non-square 3x1 kernel and AlexNet conv1.
check("test_conv_param_count_visible", conv_param_count)

# %% tests grade_id="test_conv_param_count_hidden" points=3
# Hidden tests: random channel counts with non-square kernels, 1x5 and 5x2 kernels, 1x1 convolutions, bias=False, VGG, LeNet, ResNet and AlexNet layers.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_conv_param_count_hidden", conv_param_count)
### END HIDDEN TESTS

# %% [markdown]
# ### AlexNet's first layer
#
# AlexNet (Krizhevsky, Sutskever and Hinton, 2012) starts with 96 filters of 11×11 at stride 4 on
# a 3×227×227 image, giving 96 feature maps of $\lfloor (227 - 11)/4 \rfloor + 1 = 55$ by 55.
# The same layer three ways:

# %%
try:
    conv1 = conv_param_count(3, 96, 11)                                   # shared: one 3x11x11 filter per map
    local1 = local_param_count((3, 227, 227), 96, 11, stride=4)           # own weights at each of 55x55 positions
    dense1 = dense_param_count(3 * 227 * 227, 96 * 55 * 55)               # every pixel to every output neuron
except NotImplementedError:
    print("Implement dense_param_count, local_param_count and conv_param_count above, then run this cell again.")
else:
    print(f"fully connected (same 96x55x55 outputs): {dense1:>16,}")
    print(f"locally connected (局部连接):              {local1:>16,}   {dense1 / local1:,.0f}x fewer")
    print(f"convolution (局部连接 + 权值共享):        {conv1:>16,}   {local1 / conv1:,.0f}x fewer again")
    print("the published numbers:", "34,944 and 105,705,600 ->", (conv1, local1) == (34_944, 105_705_600))

# %% [markdown]
# Local connection divides the count by about 425 (each neuron sees 363 of 154,587 inputs); weight
# sharing divides it by another $55 \cdot 55 = 3025$ (one weight set instead of one per position).
# The depths chain: conv1 outputs 96 maps, so a second layer's filters are 96 deep. With 256
# filters of 5×5 that layer has `conv_param_count(96, 256, 5)` $= 256 \cdot (96 \cdot 25 + 1) = 614{,}656$
# parameters, whatever the size of the image.

# %% [markdown]
# ### See it: who is connected to whom
#
# Pick an output neuron with the **row** and **column** sliders. Top: the pixels it is connected
# to, each coloured by the weight it puts on that pixel, under the three layers (one channel and
# one filter, to keep the picture flat). Bottom: everything each layer has to **store**, drawn at
# the same scale, so the areas are the parameter counts. Under the picture, the counts found by
# counting those cells, compared with your three functions.
#
# Try: (a) move the neuron: in the convolution the colours are the same at every position (one
# shared filter), in the locally connected layer they change (weights of its own), and the
# fully-connected neuron sees every pixel; (b) make the image bigger: what the fully-connected and the
# locally connected layers store (bottom left and bottom middle) grows, the convolution's (bottom right) does not; (c) a kernel as large as the image: the locally
# connected layer becomes the fully-connected one; (d) stride 2: fewer positions, fewer weight sets.

# %%
connections_widget(dense_param_count, local_param_count, conv_param_count)

# %% [markdown]
# ### See it: parameter counts as the image grows
#
# Your three counting functions, drawn against the image size $n$ (an $n \times n$ image, log
# scales) for the kernel size, number of filters, input depth and stride of the sliders; the
# fully-connected layer produces as many outputs as the convolution ($F H_o W_o$). The stars are
# AlexNet conv1's published numbers: at $k = 11$, $F = 96$, $C = 3$, $s = 4$ (the button) your
# lines must pass through them at $n = 227$. The convolution's line is flat.

# %%
param_chart_widget(dense_param_count, local_param_count, conv_param_count)

# %% [markdown]
# ## 5. A convolution is a locally connected layer with tied weights
#
# Weight sharing is a *constraint* on a locally connected layer: all positions must use the same
# weights, `w_local[i, j] = w` for every $(i, j)$, and the same bias, `b_local[f, i, j] = b[f]`.
# The weights are then said to be **tied**. Write `tie_weights`, which builds such a `w_local`
# from a convolution weight `w` of shape `(F, C, kh, kw)`: the result has shape
# `(Ho, Wo, F, C, kh, kw)`, positions first. Return a new array that can be written to
# (`np.broadcast_to` alone gives a read-only view; `np.array(...)` of it, or `np.tile` /
# `np.repeat` after adding two new axes with `w[None, None]`, make a copy).

# %% solution grade_id="tie_weights"
def tie_weights(w, out_hw):
    """
    Copy a convolution weight to every output position: the weights of a locally connected layer with tied weights.

    Inputs:
    - w: convolution weights of shape (F, C, kh, kw)
    - out_hw: (Ho, Wo) pair, the number of output positions down and across

    Returns:
    - w_local: new array of shape (Ho, Wo, F, C, kh, kw) with w_local[i, j] equal to w for every i, j,
      so that locally_connected2d(x, tie_weights(w, (Ho, Wo)), b_local) is a convolution layer
    """
    ### BEGIN SOLUTION
    Ho, Wo = (out_hw, out_hw) if isinstance(out_hw, int) else out_hw
    w = np.asarray(w, dtype=np.float64)
    return np.tile(w[None, None], (Ho, Wo, 1, 1, 1, 1))      # (1, 1, F, C, kh, kw) repeated Ho x Wo times
    ### END SOLUTION


# %% tests grade_id="test_tie_weights_visible" points=2
# Checks one 2x2 filter at 2x3 positions, several filters and channels, a 2x1 kernel at 3x1 positions, and a single weight.
check("test_tie_weights_visible", tie_weights)

# %% tests grade_id="test_tie_weights_hidden" points=3
# Hidden tests: random filter banks with several filters and channels, non-square kernels, more rows than columns of positions and the other way round.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_tie_weights_hidden", tie_weights)
### END HIDDEN TESTS

# %% [markdown]
# ### Check it: tied weights compute a convolution
#
# Here is a convolution layer written as plainly as possible: slide each filter over the image
# and take dot products (notebook 03 builds the real `conv2d`). We compare it with your
# `locally_connected2d` fed with tied weights and a bias repeated at every position.

# %%
def convolution_by_loops(x, w, b, stride=1):
    """A convolution layer, no padding: y[n, f, i, j] = sum(x[n, :, i*s:i*s+kh, j*s:j*s+kw] * w[f]) + b[f]."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    Ho, Wo = (H - kh) // stride + 1, (W - kw) // stride + 1
    y = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):                  # one filter -> one feature map
            for i in range(Ho):
                for j in range(Wo):
                    patch = x[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    y[n, f, i, j] = np.sum(patch * w[f]) + b[f]     # the SAME w[f] at every (i, j)
    return y


x_demo = rng.standard_normal((2, 3, 7, 9))      # 2 images, 3 channels, 7x9
w_conv = rng.standard_normal((4, 3, 3, 2))      # 4 filters, each 3 deep, 3x2
b_conv = rng.standard_normal(4)
Ho, Wo = (7 - 3) // 2 + 1, (9 - 2) // 2 + 1     # stride 2: 3x4 positions
b_local = np.repeat(b_conv[:, None, None], Ho, axis=1).repeat(Wo, axis=2)   # (F, Ho, Wo): b[f] everywhere

try:
    y_tied = locally_connected2d(x_demo, tie_weights(w_conv, (Ho, Wo)), b_local, stride=2)
except NotImplementedError:
    print("Implement locally_connected2d and tie_weights above, then run this cell again.")
else:
    y_conv = convolution_by_loops(x_demo, w_conv, b_conv, stride=2)
    print("output shapes:", y_tied.shape, y_conv.shape)
    print(f"largest difference: {np.max(np.abs(y_tied - y_conv)):.2e}")
    print("a locally connected layer with tied weights is a convolution:", np.allclose(y_tied, y_conv))

# %% [markdown]
# **Why sharing is the right constraint for images.** A convolution does the same thing
# everywhere, so when the object moves, its feature map moves with it (the layer is
# *translation-equivariant*). A locally connected layer with untied weights has no such
# property: move the input and its output changes in an unrelated way.

# %%
x_shift = np.roll(x_demo, 2, axis=3)            # the images moved 2 pixels to the right (stride 2: 1 output column)
try:
    w_untied = rng.standard_normal((Ho, Wo) + w_conv.shape)
    b_untied = rng.standard_normal((4, Ho, Wo))
    untied, untied_shift = (locally_connected2d(v, w_untied, b_untied, stride=2) for v in (x_demo, x_shift))
except NotImplementedError:
    print("Implement locally_connected2d above, then run this cell again.")
else:
    conv, conv_shift = (convolution_by_loops(v, w_conv, b_conv, stride=2) for v in (x_demo, x_shift))
    # output column j of the original against column j + 1 of the shifted images
    print("convolution: output moved by one column:", np.allclose(conv[..., :-1], conv_shift[..., 1:]))
    print("untied locally connected: output moved by one column:", np.allclose(untied[..., :-1], untied_shift[..., 1:]))

# %% [markdown]
# ## 6. Pooling (池化): the third cut
#
# **Pooling** replaces each small window of a feature map, e.g. 2×2, by one number: its maximum
# (max pooling) or its mean (mean pooling). It is a **down-sampling** (下采样): a 4×4 map becomes
# 2×2. It has no parameters itself, it pools every feature map on its own (a depth of $D$ stays
# $D$), and it makes everything after it smaller: a later layer that depends on the map size (a
# fully-connected or locally connected layer) needs 4 times fewer weights after a 2×2 pooling. A
# small shift of the input also barely changes a maximum: the network becomes roughly invariant to
# small local shifts (approximate local translation invariance, 局部平移不变性).
# Notebook 04 builds it properly; here the 4×4 example with numpy's reshape:

# %%
fmap = np.array([[1, 3, 2, 1],
                 [4, 2, 0, 1],
                 [1, 1, 5, 6],
                 [0, 2, 7, 8]], dtype=float)
pooled = fmap.reshape(2, 2, 2, 2).max(axis=(1, 3))     # blocks (rows 2i..2i+1, cols 2j..2j+1) -> their maximum
print("4x4 feature map -> 2x2 after 2x2 max pooling:\n", pooled)

try:
    before = dense_param_count(96 * 55 * 55, 4096)     # a 4096-neuron layer on conv1's 96 maps of 55x55
    after = dense_param_count(96 * 27 * 27, 4096)      # the same after AlexNet's 3x3 pooling at stride 2: 27x27
    print(f"a fully-connected layer of 4096 neurons on conv1's output: {before:,} parameters; "
          f"after pooling: {after:,} ({before / after:.1f}x fewer)")
except NotImplementedError:
    print("Implement dense_param_count above, then run this cell again.")

# %% [markdown]
# ## Exercises (not graded)
#
# 1. A CIFAR-10 image is 3×32×32. A layer of 64 filters of 5×5 with stride 1 and padding 2: how many
#    parameters as a convolution, and as a locally connected layer? Check with your functions.
# 2. Why does `conv_param_count` have no argument for the image size, when `local_param_count` needs it?
# 3. Show that `local_param_count((C, H, W), F, (H, W))` equals `dense_param_count(C * H * W, F)`. What is the layer?
# 4. Face-recognition networks such as DeepFace (2014) used locally connected layers after aligning
#    every face to the same position. Why could untied weights help there, when they hurt for general photos?
# 5. How many parameters does a 2×2 max-pooling layer have? And how does a 2×2 pooling before it change
#    the count of a later convolution layer?
#
# <details><summary>Answers</summary>
#
# 1. Convolution: $64 \cdot (3 \cdot 25 + 1) = 4{,}864$. Padding 2 keeps 32×32 positions, so locally connected:
#    $32 \cdot 32 \cdot 64 \cdot 76 = 4{,}980{,}736$, 1024 times more.
# 2. Shared weights are used at every position, however many positions there are; untied weights are stored once per position.
# 3. The patch is the whole image: one position, each neuron sees all $C H W$ inputs, with one bias each — a fully-connected layer.
# 4. After alignment the eyes are always in the same place, so different regions can afford different
#    detectors (an eye detector where the eyes are); in general photos an object can be anywhere, and a
#    detector learned at one position should work at all of them.
# 5. None: the maximum has nothing to learn. It does not change a convolution's count either (that does not
#    depend on the map size); it shrinks the maps, so the convolution computes 4 times fewer outputs, and the
#    layers that do depend on the size (fully-connected, locally connected) need 4 times fewer weights.
# </details>
#
# ## Summary
#
# - A fully-connected layer (全连接层) takes the image as a flat vector: $n_\text{in} n_\text{out} + n_\text{out}$
#   parameters, and no notion of which pixels are neighbours.
# - **Local connection** (局部连接): each neuron sees a $k_h \times k_w$ patch through all $C$ channels;
#   $H_o W_o F (C k_h k_w + 1)$ parameters. With a patch as large as the image it is the fully-connected layer.
# - **Weight sharing** (权值共享): one filter (卷积核) per output map, used at every position;
#   $F (C k_h k_w + 1)$ parameters, whatever the image size. A filter is as deep as its input; F filters
#   give F feature maps (特征图).
# - A convolution is a locally connected layer with tied weights (`tie_weights`), and it is
#   translation-equivariant.
# - AlexNet conv1: **34,944** parameters with sharing, **105,705,600** without (and about 45 billion fully connected).
# - **Pooling** (池化), a down-sampling (下采样) without parameters, shrinks the maps and every layer that depends on their size.
# - Next: 02 (填充与步幅) works out the output size with padding and stride; 03 (互相关与卷积) builds the convolution itself.
