# %% [markdown]
# # 05 · Backpropagation through convolution and pooling — 卷积层与池化层的反向传播
#
# Training a CNN means nudging every weight against its gradient $\partial E / \partial w$,
# where $E$ is the loss. **Backpropagation** (反向传播) computes all these gradients in one
# sweep from the output back to the input: every layer receives the gradient of the loss with
# respect to its *outputs* and returns the gradients with respect to its *inputs* and its
# *parameters*. This notebook derives that backward pass for the layers of notebooks 03 and 04
# and checks every formula against plain finite differences.
#
# **You will**
#
# 1. start from a fully-connected layer: the error term (误差项) $\delta_j$ and
#    $\partial E/\partial w_{ji} = a_i\,\delta_j$ (`dense_backward`);
# 2. build the tool that catches every wrong gradient, the gradient check (梯度检验): central differences (`numerical_gradient`)
#    and a scale-free error measure (`relative_error`), with a threshold for each operation;
# 3. derive the backward pass of a convolution layer: the weight gradient is a cross-correlation
#    of the input with the **sensitivity map** (敏感度图), the bias gradient its sum, and the
#    input gradient a *full* convolution (完全卷积) with the kernel as it is — that is, a
#    cross-correlation of the zero-padded map with the kernel rotated by 180° — with zeros
#    inserted into the map (插零) for a stride > 1 (`conv2d_backward`);
# 4. route the error back through max pooling (to the remembered maximum) and mean pooling
#    (shared evenly), adding up where windows overlap (`max_pool2d_backward`, `mean_pool2d_backward`);
# 5. explore which output errors and which kernel taps make up each gradient, in a widget.
#
# **Points.** Six graded functions, each with a visible test (2 points: run it as often as you
# like, it names typical mistakes) and a hidden test (3 points, used for grading; its cell only
# says what it covers). A test cell scores all of its points or none: every case in it must be
# right. 30 points in all.

# %% readonly grade_id="setup"
import numpy as np
import matplotlib.pyplot as plt

from cnn_course.checks import check
from cnn_course.widgets.gradient_routing import gradient_routing_widget

# %% [markdown]
# ### Your functions from earlier notebooks
#
# The demonstrations and gradient checks below run the forward passes you wrote before:
# `pad2d` (02), `flip180`, `cross_correlate2d` and `conv2d` (03), `max_pool2d` and `mean_pool2d` (04).
# Run the next three cells: each copies *your own* code from that notebook (save it first).
# The graded functions of this notebook are tested on their own, so a mistake in an earlier
# function costs points only in its own notebook — but it would make the checks here disagree.

# %% earlier from="02_padding_stride"
from cnn_course.earlier import bring

pad2d = bring("02_padding_stride", "pad2d")


# %% earlier from="03_correlation_convolution"
from cnn_course.earlier import bring

flip180, cross_correlate2d, conv2d = bring("03_correlation_convolution", "flip180", "cross_correlate2d", "conv2d")


# %% earlier from="04_pooling_unpooling"
from cnn_course.earlier import bring

max_pool2d, mean_pool2d = bring("04_pooling_unpooling", "max_pool2d", "mean_pool2d")


# %% [markdown]
# ## 1. The fully-connected case: the error term
#
# A fully-connected layer computes, for each output neuron $j$, a weighted sum of the inputs
# $a_i$ (the activations of the layer below) plus a bias:
#
# $$\mathrm{net}_j = \sum_i w_{ji}\, a_i + b_j .$$
#
# Here $w_{ji}$ is the weight *from* neuron $i$ *to* neuron $j$. In code a whole batch goes
# through at once: `y = x @ w + b` with `x` of shape `(N, D)` (N samples, D inputs), `w` of shape
# `(D, M)` and `b` of shape `(M,)`, so `w[i, j]` $= w_{ji}$ and `y[n, j]` is $\mathrm{net}_j$ for sample $n$.
#
# **The error term** (误差项) of neuron $j$ is how much the loss changes when its weighted input
# changes:
#
# $$\delta_j = \frac{\partial E}{\partial \mathrm{net}_j}.$$
#
# The layer above hands it down to us: it is `dout`, the upstream gradient, of shape `(N, M)`.
# Everything else follows from the chain rule, because $\mathrm{net}_j$ depends on $w_{ji}$,
# $a_i$ and $b_j$ in the simplest possible way:
#
# | gradient | chain rule | in code (a batch) |
# |---|---|---|
# | weight | $\dfrac{\partial E}{\partial w_{ji}} = \dfrac{\partial E}{\partial \mathrm{net}_j}\dfrac{\partial \mathrm{net}_j}{\partial w_{ji}} = \delta_j\, a_i$ | `dw = x.T @ dout` — `dw[i, j]` $= \sum_n a_i^{(n)} \delta_j^{(n)}$ |
# | bias | $\dfrac{\partial E}{\partial b_j} = \delta_j$ | `db = dout.sum(axis=0)` |
# | input | $\dfrac{\partial E}{\partial a_i} = \sum_j \delta_j\, w_{ji}$ (every $j$ that $a_i$ feeds) | `dx = dout @ w.T` |
#
# Two things to keep in mind. **The batch adds up**: the loss of a batch is a sum over samples
# (if it is a mean, the $1/N$ is already inside `dout`), and a weight is shared by all samples, so
# its gradient is the *sum* of every sample's $a_i \delta_j$ — not the mean, and not the last one.
# **Shapes match**: a gradient has the shape of what it is the gradient of: `dw` like `w`, `db` like `b`, `dx` like `x`.
#
# The input gradient $\partial E/\partial a_i$ is what the layer below receives as *its* `dout`:
# that is how the error travels backwards, layer by layer.

# %% solution grade_id="dense_backward"
def dense_backward(dout, x, w):
    """
    Backward pass of a fully-connected layer y = x @ w + b.

    Inputs:
    - dout: upstream gradient dE/dy of shape (N, M): the error terms delta_j of each sample
    - x: the layer's input of shape (N, D): the activations a_i of each sample
    - w: weights of shape (D, M); w[i, j] connects input i to output j

    Returns a tuple of:
    - dx: gradient of shape (N, D), dx[n, i] = sum_j w[i, j] * dout[n, j]
    - dw: gradient of shape (D, M), dw[i, j] = sum_n x[n, i] * dout[n, j]   (a_i * delta_j)
    - db: gradient of shape (M,), db[j] = sum_n dout[n, j]
    """
    ### BEGIN SOLUTION
    dx = dout @ w.T            # dE/da_i = sum_j delta_j w_ji
    dw = x.T @ dout            # dE/dw_ji = sum over samples of a_i delta_j
    db = dout.sum(axis=0)      # dE/db_j = sum over samples of delta_j
    return dx, dw, db
    ### END SOLUTION


# %% tests grade_id="test_dense_backward_visible" points=2
# Checks one sample (an outer product), a batch of three (sums, not means) and M != D (shapes and axes).
check("test_dense_backward_visible", dense_backward)

# %% tests grade_id="test_dense_backward_hidden" points=3
# Hidden tests: random batches of 1 to 16 samples, D = M = N (a transposed dw keeps its shape), a single input or output.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_dense_backward_hidden", dense_backward)
### END HIDDEN TESTS

# %% [markdown]
# For one sample, `dw` is the **outer product** of the input and the error terms: every weight
# $w_{ji}$ gets the product of what came in on its wire ($a_i$) and how wrong the neuron it
# feeds was ($\delta_j$). A weight on a wire that carried 0 does not change.

# %%
a = np.array([[2.0, 0.0, -1.0]])          # one sample, three inputs (the middle one is 0)
delta = np.array([[1.0, -0.5]])           # two output neurons
try:
    dx, dw, db = dense_backward(delta, a, np.ones((3, 2)))
    print("dw =\n", dw, "\nnp.outer(a, delta) =\n", np.outer(a, delta))
    print("the row of the input that was 0 is all zeros:", dw[1])
except NotImplementedError:
    print("Implement dense_backward above, then run this cell again.")

# %% [markdown]
# ## 2. Gradient checking: never trust a backward pass you have not checked
#
# A backward pass is easy to get *almost* right: a transposed index, a missing flip, `=` where
# `+=` was needed. The result has the right shape and the network even trains, just worse.
# The cure is to compare with a gradient computed from the definition of the derivative.
#
# **Central differences.** For each element $x_i$, nudge it by $\pm h$ and watch $f$:
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h}$$
#
# where $e_i$ is the array with a 1 at position $i$ and zeros elsewhere. Taylor's formula shows
# why the *central* difference is the one to use: the $f''$ terms cancel, so its error is
# $O(h^2)$, while the forward difference $(f(x + h e_i) - f(x))/h$ keeps an error of order $h$.
# With $h = 10^{-5}$ that is about $10^{-10}$ against $10^{-5}$. (A much smaller $h$ does not help:
# $f(x+h)$ and $f(x-h)$ then agree in almost all their digits and rounding takes over.)
#
# The cell below shows both errors for $f(x) = \sin x$ at $x = 1$ as $h$ shrinks:

# %%
hs = np.logspace(-12, -1, 45)
exact = np.cos(1.0)
forward = np.abs((np.sin(1 + hs) - np.sin(1)) / hs - exact)
central = np.abs((np.sin(1 + hs) - np.sin(1 - hs)) / (2 * hs) - exact)
fig, ax = plt.subplots(figsize=(6.5, 3.4))
ax.loglog(hs, forward, "o-", ms=3, label="forward difference: error ~ h")
ax.loglog(hs, central, "s-", ms=3, label="central difference: error ~ h²")
ax.axvline(1e-5, color="grey", ls=":", label="h = 1e-5 (the default)")
ax.set_xlabel("step h", fontsize=11)
ax.set_ylabel("|estimate − cos(1)|", fontsize=11)
ax.set_title("Finite differences of sin at x = 1: central wins until rounding takes over", fontsize=11)
ax.legend(fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### `numerical_gradient`
#
# Write `numerical_gradient(f, x, h=1e-5)`: for every element of `x` (of any shape), evaluate `f`
# at `x` with that element raised by `h` and lowered by `h`, and store the central difference.
# `f` returns a number. Three rules:
#
# - **Put the element back** after probing it. Otherwise the next element is probed at a shifted
#   point, and every later answer is a little off.
# - **Do not change `x`**: work on a copy (`x.astype(np.float64)` makes one), as every function of the course.
# - **Use the `h` you are given.**
#
# `np.ndindex(x.shape)` lists every index of an array of any shape.
#
# *About the visible test.* The functions `f` it uses are **probes** (`cnn_course.probes`): named
# functions whose exact gradients are known, such as `Probe("sum_of_squares")`, $f(x) = \sum x^2$.
# Your code just calls `f(...)`, whatever `f` is.

# %% solution grade_id="numerical_gradient"
def numerical_gradient(f, x, h=1e-5):
    """
    Gradient of a scalar function by central differences.

    Inputs:
    - f: function taking an array shaped like x and returning a number
    - x: array of any shape, the point where the gradient is wanted (not modified)
    - h: float > 0, the step

    Returns:
    - grad: float64 array shaped like x,
      grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)  for every index i of x
    """
    ### BEGIN SOLUTION
    point = np.array(x, dtype=np.float64)      # a working copy: x itself is never touched
    grad = np.zeros_like(point)
    for i in np.ndindex(point.shape):
        kept = point[i]
        point[i] = kept + h                    # x + h e_i
        plus = f(point)
        point[i] = kept - h                    # x - h e_i
        minus = f(point)
        point[i] = kept                        # put it back before probing the next element
        grad[i] = (plus - minus) / (2 * h)     # central difference
    return grad
    ### END SOLUTION


# %% tests grade_id="test_numerical_gradient_visible" points=2
# Checks a quadratic (central differences are exact), a function coupling all elements, a given step h, and log-sum-exp.
check("test_numerical_gradient_visible", numerical_gradient)

# %% tests grade_id="test_numerical_gradient_hidden" points=3
# Hidden tests: 1-D to 4-D points, functions that couple every element, steps from 1e-6 to 1e-2, large values, a single element.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_numerical_gradient_hidden", numerical_gradient)
### END HIDDEN TESTS

# %% [markdown]
# ### `relative_error`
#
# How close is close enough? An absolute difference of $10^{-6}$ is excellent for gradients near
# 1000 and useless for gradients near $10^{-6}$. The **relative error** divides by the size of the
# numbers, element by element, and reports the worst element:
#
# $$\mathrm{rel}(a, b) = \max_i \frac{|a_i - b_i|}{\max\!\left(10^{-8},\ |a_i| + |b_i|\right)}$$
#
# The $10^{-8}$ keeps $0/0$ away when both are 0 (then the error is 0). The sum of the absolute
# values, not their signed sum: $a_i = 1, b_i = -1$ is as wrong as it gets (error 1), not a
# division by zero. Take the **maximum** over elements: a mean would hide one wrong entry among
# a thousand right ones. Return a Python `float`.

# %% solution grade_id="relative_error"
def relative_error(a, b):
    """
    Largest elementwise relative error between two arrays (or numbers) of the same shape.

    Inputs:
    - a, b: arrays of the same shape (or two numbers)

    Returns:
    - error: float, max over elements of |a - b| / max(1e-8, |a| + |b|)
    """
    ### BEGIN SOLUTION
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
    ### END SOLUTION


# %% tests grade_id="test_relative_error_visible" points=2
# Checks one differing element, the largest relative (not absolute) error, opposite signs, zeros and tiny values, and a < b.
check("test_relative_error_visible", relative_error)

# %% tests grade_id="test_relative_error_hidden" points=3
# Hidden tests: random 4-D arrays, equal arrays, all zeros, tiny opposite values, negative values, b = -a, single numbers.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_relative_error_hidden", relative_error)
### END HIDDEN TESTS

# %% [markdown]
# ### A threshold for each operation, and inputs without ties or kinks
#
# With float64, $h = 10^{-5}$ and inputs of size about 1, these are the relative errors to expect
# between a correct backward pass and `numerical_gradient`; anything above the threshold means a bug:
#
# | operation | why | expect | threshold used below |
# |---|---|---|---|
# | dense, convolution, mean pooling | linear in each input: the central difference is exact up to rounding | $10^{-10}$ – $10^{-7}$ | $10^{-6}$ |
# | max pooling, with no ties and every window's maximum ahead of the runner-up by more than $2h$ | piecewise linear; the nudge never changes which element wins | $10^{-10}$ – $10^{-7}$ | $10^{-6}$ |
# | smooth non-linear functions (tanh, softmax, log-sum-exp) | truncation error $O(h^2)$ on top of rounding | $10^{-9}$ – $10^{-6}$ | $10^{-5}$ |
# | anything at a **kink** (ReLU at 0, max pooling with a tie) | not differentiable there: the two sides disagree | up to 1 | — avoid such inputs |
#
# Why not $10^{-12}$ for a linear layer? The rounding error of $f$ (about $10^{-16} |f|$) is divided by $2h$:
# about $10^{-11}|f|$ in every entry. Relative to an entry that happens to be small, that is $10^{-8}$ or
# $10^{-7}$, and the relative error reports the worst entry. A real bug gives $10^{-2}$ to 1.
#
# So the inputs of a gradient check are **built**, not just drawn: for max pooling, a shuffled
# range of well-separated values (no two equal, no two within $2h$); for ReLU, values kept away from 0.
#
# The check of a layer works on a scalar: pick a random `dout` and let $E = \sum$ `layer(x) * dout`.
# Then $\partial E / \partial\, \mathrm{output} =$ `dout` exactly, so the backward pass called with this
# `dout` must give the gradient of $E$. Here is the check of your `dense_backward`:

# %%
g = np.random.default_rng(0)
x, w, b, dout = g.standard_normal((4, 5)), g.standard_normal((5, 3)), g.standard_normal(3), g.standard_normal((4, 3))
try:
    dx, dw, db = dense_backward(dout, x, w)
    checks = {
        "dx": (dx, numerical_gradient(lambda x_: np.sum((x_ @ w + b) * dout), x)),
        "dw": (dw, numerical_gradient(lambda w_: np.sum((x @ w_ + b) * dout), w)),
        "db": (db, numerical_gradient(lambda b_: np.sum((x @ w + b_) * dout), b)),
    }
    for name, (analytic, numeric) in checks.items():
        error = relative_error(analytic, numeric)
        print(f"dense {name}: relative error {error:.1e}  ->", "ok (< 1e-6)" if error < 1e-6 else "TOO LARGE: a bug")
except NotImplementedError as stub:
    print(f"Implement dense_backward, numerical_gradient and relative_error above, then run this cell again ({stub}).")

# %% [markdown]
# ## 3. The backward pass of a convolution layer
#
# ### One channel, stride 1, no padding
#
# Start small: one input channel, one filter, stride 1. The forward pass of notebook 03 is a
# cross-correlation:
#
# $$y_{i,j} = \sum_{u=0}^{k_h-1}\sum_{v=0}^{k_w-1} w_{u,v}\; x_{i+u,\, j+v} + b .$$
#
# The error terms of the outputs, $\delta_{i,j} = \partial E / \partial y_{i,j}$, form a map the size
# of the output: the **sensitivity map** (敏感度图). It is `dout`. Each output $y_{i,j}$ is one
# neuron's weighted input, so this is exactly the $\delta_j$ of section 1 — with one twist: the same
# weight $w_{u,v}$ is used at *every* position (weight sharing), and every input pixel feeds *several*
# outputs. Both show up as sums.
#
# **The weight gradient.** $w_{u,v}$ multiplies $x_{i+u,j+v}$ in output $(i, j)$, for every $(i, j)$:
#
# $$\frac{\partial E}{\partial w_{u,v}} = \sum_{i,j} \delta_{i,j}\; x_{i+u,\, j+v}$$
#
# Compare with the forward formula: this is the **cross-correlation of the input with the
# sensitivity map**, the map playing the part of the kernel: `dw = cross_correlate2d(x, delta)`.
# Its size is $(H - H_o + 1) \times (W - W_o + 1) = k_h \times k_w$, as it must be.
#
# **The bias gradient.** $b$ is added to every output, so $\partial E/\partial b = \sum_{i,j} \delta_{i,j}$:
# the sum of the sensitivity map.
#
# **The input gradient.** Pixel $x_{p,q}$ is used by output $(i, j)$ through tap $(u, v) = (p - i, q - j)$,
# whenever that tap exists:
#
# $$\frac{\partial E}{\partial x_{p,q}} = \sum_{i,j} \delta_{i,j}\; w_{p-i,\, q-j}
#   \qquad (0 \le p - i < k_h,\ 0 \le q - j < k_w).$$
#
# The index of $w$ runs *backwards* as $i$ runs forwards: this is a **convolution**, not a
# cross-correlation — and since $p$ runs over all $H = H_o + k_h - 1$ rows, it is the **full**
# convolution, which lets the kernel hang over the edges of $\delta$. Both facts turn into code we
# already have: pad $\delta$ with $k-1$ zeros on every side (the zero padding, 补零) and
# cross-correlate with the kernel rotated by 180°. Here and below, $a \star b$ is the **valid
# cross-correlation** of notebook 03 (`cross_correlate2d(a, b)`: slide $b$ over $a$, no flip), not
# the convolution $a * b$, which flips $b$ first:
#
# $$\frac{\partial E}{\partial x} = \mathrm{pad}(\delta,\ k-1) \star \mathrm{rot180}(w)
#   \qquad\text{in code: } \texttt{dx = cross\_correlate2d(pad2d(delta, (kh-1, kw-1)), flip180(w))}$$
#
# Why rotated? In the forward pass the top-left tap $w_{0,0}$ connects $x_{i,j}$ to $y_{i,j}$, i.e. it
# looks *down and right* from the output; going backwards the same tap must look *up and left* from
# the input. Rotating the kernel by 180° turns one direction into the other.
#
# Let us check all three formulas on a small example, with your own `pad2d`, `flip180`, `cross_correlate2d`
# and `conv2d`, against gradients computed by `numerical_gradient`:

# %%
g = np.random.default_rng(1)
x1 = g.standard_normal((5, 6))              # one channel, 5x6
w1 = g.standard_normal((3, 2))              # a non-square kernel: the flip matters
delta1 = g.standard_normal((3, 5))          # the sensitivity map: same size as the output


def loss_1ch(x_, w_, b_):
    """E = sum(y * delta1) for the one-channel layer, so that dE/dy = delta1."""
    return np.sum(conv2d(x_[None, None], w_[None, None], np.array([b_]))[0, 0] * delta1)


try:
    dw1 = cross_correlate2d(x1, delta1)                                        # dw: x correlated with delta
    db1 = delta1.sum()                                                         # db: the sum of the map
    dx1 = cross_correlate2d(pad2d(delta1, (2, 1)), flip180(w1))                # dx: full convolution with w1
    print("dw:", relative_error(dw1, numerical_gradient(lambda w_: loss_1ch(x1, w_, 0.0), w1)))
    print("db:", relative_error(db1, numerical_gradient(lambda b_: loss_1ch(x1, w1, b_), np.array(0.0))))
    print("dx:", relative_error(dx1, numerical_gradient(lambda x_: loss_1ch(x_, w1, 0.0), x1)))
    wrong = cross_correlate2d(pad2d(delta1, (2, 1)), w1)                       # forgot the rotation
    print("dx without the rotation:", relative_error(wrong, numerical_gradient(lambda x_: loss_1ch(x_, w1, 0.0), x1)))
except NotImplementedError as stub:
    print(f"This cell needs your earlier functions and numerical_gradient, relative_error: {stub}")

# %% [markdown]
# ### Channels, filters and a batch
#
# With $C$ input channels, $F$ filters and $N$ samples, nothing new happens, only more sums:
#
# - $\partial E/\partial w_{f,c}$: correlate channel $c$ of the input with map $f$ of the sensitivity, and
#   **sum over the batch**: $\sum_n x_{n,c} \star \delta_{n,f}$.
# - $\partial E/\partial b_f$: the sum of map $f$ over the batch and all positions: `dout.sum(axis=(0, 2, 3))`.
# - $\partial E/\partial x_{n,c}$: every filter $f$ read channel $c$, so **sum over the filters**:
#   $\sum_f \mathrm{pad}(\delta_{n,f}, k-1) \star \mathrm{rot180}(w_{f,c})$.
#
# ### Stride > 1: insert zeros into the sensitivity map
#
# With stride $s$, output $(i, j)$ reads the window starting at $(s\,i,\ s\,j)$:
# $y_{i,j} = \sum_{u,v} w_{u,v}\, x_{si+u,\ sj+v}$. Spread the sensitivity map out to the
# positions where the windows start — put $s - 1$ zeros between neighbouring entries — and the
# formulas of stride 1 hold unchanged on this **dilated** map $\tilde\delta$:
#
# $$\tilde\delta_{si,\, sj} = \delta_{i,j},\ \ \text{zeros elsewhere};\qquad
#   \frac{\partial E}{\partial w} = x \star \tilde\delta,\qquad
#   \frac{\partial E}{\partial x} = \mathrm{pad}(\tilde\delta,\ k-1) \star \mathrm{rot180}(w).$$
#
# A zero in $\tilde\delta$ is a window position the strided forward pass skipped: it contributes
# nothing, exactly as it should. Two details: the dilated map is $(H_o - 1)s + 1$ high, so when the
# stride did not divide $H - k$, the last rows of the input were never read and their gradient is 0
# (pad $\tilde\delta$ a little more at the bottom and right to reach the input's size); and in the
# correlation for `dw` only the first $k_h \times k_w$ results are kept.
#
# ### Padding
#
# The forward pass convolved the *padded* input. Compute `dw` and `dx` for the padded input, then
# cut `pad` rows and columns off each side of `dx`: the padding is not an input of the layer.
#
# | step | formula | code |
# |---|---|---|
# | dilate | $\tilde\delta_{si,sj} = \delta_{i,j}$ | `d = np.zeros((N, F, (Ho-1)*sh+1, (Wo-1)*sw+1)); d[:, :, ::sh, ::sw] = dout` |
# | bias | $\sum_{n,i,j} \delta$ | `db = dout.sum(axis=(0, 2, 3))` |
# | weights | $\sum_n x^{pad}_{n,c} \star \tilde\delta_{n,f}$ | for each tap $(u, v)$: `dw[:, :, u, v] = tensordot(d, xp[:, :, u:u+dh, v:v+dw_], ...)` |
# | input | $\sum_f \mathrm{pad}(\tilde\delta_{n,f}, k-1) \star \mathrm{rot180}(w_{f,c})$, then crop | for each tap of the flipped kernel: `dxp += einsum("nfhw,fc->nchw", ...)` |
#
# ### `conv2d_backward`
#
# Write it for `dout (N, F, Ho, Wo)`, `x (N, C, H, W)`, `w (F, C, kh, kw)`, with `stride` and `pad`
# as in `conv2d` (an `int` or an `(h, w)` pair; `pad` per side). Two good ways:
#
# 1. **the formulas above** (dilate, correlate, pad by $k-1$, correlate with the rotated kernel, crop),
#    written with numpy in this cell — loops over the $k_h k_w$ taps and array operations inside; or
# 2. **scatter**: loop over the outputs $(n, f, i, j)$ and send $\delta_{n,f,i,j}$ back along every
#    connection of the forward pass: `dxp[n, :, rows, cols] += delta * w[f]` and
#    `dw[f] += delta * xp[n, :, rows, cols]`. Slower, but hard to get wrong — with `+=`.
#
# Keep it self-contained (numpy only), so that it does not depend on the earlier notebooks' code. The
# hidden tests use non-square inputs and kernels, stride and padding pairs, and batches, channels and filters > 1.

# %% solution grade_id="conv2d_backward"
def conv2d_backward(dout, x, w, stride=1, pad=0):
    """
    Backward pass of conv2d(x, w, b, stride, pad).

    Inputs:
    - dout: upstream gradient, the sensitivity map, of shape (N, F, Ho, Wo)
    - x: the layer's input of shape (N, C, H, W)
    - w: filters of shape (F, C, kh, kw)
    - stride: int or (sh, sw), as in the forward pass
    - pad: int or (ph, pw), zeros added on EACH side in the forward pass

    Returns a tuple of:
    - dx: gradient of shape (N, C, H, W): the full convolution of the (stride-dilated)
      sensitivity map with the kernels as they are (= cross-correlation of the zero-padded map
      with the kernels rotated by 180 degrees), summed over filters, padding cut off;
      input rows/columns the forward pass never read get 0
    - dw: gradient of shape (F, C, kh, kw): the cross-correlation of the padded input with the
      (stride-dilated) sensitivity map, summed over the batch
    - db: gradient of shape (F,): the sensitivity map summed over the batch and all positions
    """
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    _, _, Ho, Wo = dout.shape
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    ph, pw = (pad, pad) if np.ndim(pad) == 0 else pad
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))         # the input the forward pass saw
    Hp, Wp = xp.shape[2:]

    d = np.zeros((N, F, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))  # dilated sensitivity map:
    d[:, :, ::sh, ::sw] = dout                                   # stride-1 zeros between entries
    dh, dwd = d.shape[2:]

    db = dout.sum(axis=(0, 2, 3))                                # sum over n, i, j

    dw = np.zeros((F, C, kh, kw))                                # x (padded) correlated with d
    for u in range(kh):
        for v in range(kw):
            dw[:, :, u, v] = np.tensordot(d, xp[:, :, u:u + dh, v:v + dwd], axes=([0, 2, 3], [0, 2, 3]))

    # full convolution with w = cross-correlation of d, padded by k-1 (and up to the padded input's size), with rot180(w)
    dfull = np.pad(d, ((0, 0), (0, 0), (kh - 1, Hp - dh), (kw - 1, Wp - dwd)))
    wr = w[:, :, ::-1, ::-1]                                     # flip180 of every kernel
    dxp = np.zeros((N, C, Hp, Wp))
    for u in range(kh):
        for v in range(kw):
            dxp += np.einsum("nfhw,fc->nchw", dfull[:, :, u:u + Hp, v:v + Wp], wr[:, :, u, v])
    dx = dxp[:, :, ph:ph + H, pw:pw + W]                          # the padding is not an input
    return dx, dw, db
    ### END SOLUTION


# %% tests grade_id="test_conv2d_backward_visible" points=2
# Checks overlapping windows, a single error, stride 2, pad 1, a batch with channels and filters, and a 2x3 kernel with stride (2, 1), pad (1, 0).
check("test_conv2d_backward_visible", conv2d_backward)

# %% tests grade_id="test_conv2d_backward_hidden" points=3
# Hidden tests: random N, C, F > 1, non-square inputs and kernels, stride and pad pairs, unused rows, strides larger than the kernel, 1x1 and input-sized kernels.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_conv2d_backward_hidden", conv2d_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### Check it numerically, with strides and padding
#
# Your `conv2d_backward` against central differences of your own `conv2d`, for three layers
# (threshold $10^{-6}$: the layer is linear in `x`, `w` and `b`):

# %%
def check_conv_layer(N, C, H, W, F, kh, kw, stride, pad, seed=0):
    """Relative errors of conv2d_backward's dx, dw, db against numerical gradients of E = sum(conv2d(...) * dout)."""
    g = np.random.default_rng(seed)
    x, w, b = g.standard_normal((N, C, H, W)), g.standard_normal((F, C, kh, kw)), g.standard_normal(F)
    dout = g.standard_normal(conv2d(x, w, b, stride, pad).shape)
    dx, dw, db = conv2d_backward(dout, x, w, stride, pad)
    return {"dx": relative_error(dx, numerical_gradient(lambda x_: np.sum(conv2d(x_, w, b, stride, pad) * dout), x)),
            "dw": relative_error(dw, numerical_gradient(lambda w_: np.sum(conv2d(x, w_, b, stride, pad) * dout), w)),
            "db": relative_error(db, numerical_gradient(lambda b_: np.sum(conv2d(x, w, b_, stride, pad) * dout), b))}


layers = [dict(N=2, C=2, H=5, W=6, F=3, kh=3, kw=2, stride=1, pad=0),
          dict(N=1, C=2, H=7, W=6, F=2, kh=3, kw=3, stride=2, pad=1),
          dict(N=2, C=1, H=6, W=7, F=2, kh=2, kw=3, stride=(2, 3), pad=(1, 0))]
try:
    for layer in layers:
        errors = check_conv_layer(**layer)
        verdict = "ok (< 1e-6)" if max(errors.values()) < 1e-6 else "TOO LARGE: a bug"
        print(", ".join(f"{k}={v}" for k, v in layer.items()), "->",
              ", ".join(f"{name} {e:.1e}" for name, e in errors.items()), "->", verdict)
except NotImplementedError as stub:
    print(f"Implement conv2d_backward (and bring your conv2d), then run this cell again ({stub}).")

# %% [markdown]
# ### See it: where a gradient comes from
#
# Pick an **input pixel** with the row and column sliders: the picture shows the output errors
# (the cells of the sensitivity map) that reach it and, for each, the kernel tap that carried it —
# the full convolution with the kernel as it is, drawn as routes. Switch to **weight** mode and pick
# a tap $(u, v)$: its gradient is the sum of the sensitivity map times the input pixels that tap
# touched, i.e. the input correlated with the error map. The **stride** toggle shows the
# sensitivity map with zeros inserted. The numbers are those of *your* `conv2d_backward`, checked
# against the sum written out under the picture.
#
# Try: (a) a corner pixel at stride 1 (one route) and a central one (as many routes as kernel
# taps); (b) stride 2: some pixels get fewer routes, and the inserted zeros show why;
# (c) weight mode: the highlighted input pixels form a grid with the stride's spacing.

# %%
gradient_routing_widget(conv2d_backward, max_pool2d_backward=None, mean_pool2d_backward=None)

# %% [markdown]
# ## 4. Pooling layers
#
# A pooling layer has no weights, so its backward pass only routes the error from each output
# back to the inputs of its window.
#
# ### Max pooling: to the remembered maximum
#
# $y = \max(x_{\text{window}})$ depends only on the element that won: nudging it by $h$ moves $y$ by
# $h$, nudging any other element (a little) leaves $y$ unchanged. So
#
# $$\frac{\partial y}{\partial x_k} = \begin{cases}1 & k = \text{the maximum of the window}\\ 0 & \text{otherwise}\end{cases}
#   \qquad\Longrightarrow\qquad \frac{\partial E}{\partial x_k} = \sum_{\text{windows whose maximum is } k} \delta_{\text{window}} .$$
#
# The error of each output passes unchanged to the one input that won, every other input of the
# window gets 0. Which one won was **remembered** in the forward pass: the `switches` of notebook
# 04 (int64 flat indices into each $H \times W$ plane, the first maximum in row-major order on ties).
# So `max_pool2d_backward(dout, switches, input_shape)` needs no `x` at all: for every output
# `(n, c, i, j)`, `r, col = divmod(switches[n, c, i, j], W)` and `dx[n, c, r, col] += dout[n, c, i, j]`.
#
# **`+=`, not `=`.** When windows overlap (stride < size), one input can be the maximum of several
# windows: it receives the *sum* of their errors. With `=` only the last window's error survives —
# and tests that only use 2×2 windows with stride 2 (no overlap) never notice.
#
# On a **tie** the maximum is not differentiable; the switch decides who gets the gradient (PyTorch
# does the same), and a gradient check must avoid ties.

# %% solution grade_id="max_pool2d_backward"
def max_pool2d_backward(dout, switches, input_shape):
    """
    Backward pass of max_pool2d: each error goes to the maximum of its window.

    Inputs:
    - dout: upstream gradient of shape (N, C, Ho, Wo)
    - switches: int64 array of shape (N, C, Ho, Wo) from max_pool2d: for each output, the flat
      index (row * W + col) of its window's maximum within its own H x W plane
    - input_shape: (N, C, H, W), the shape of the pooled input

    Returns:
    - dx: float64 array of shape (N, C, H, W); zero except at the maxima; where several
      windows share a maximum, their errors add up
    """
    ### BEGIN SOLUTION
    N, C, H, W = input_shape
    dx = np.zeros((N, C, H * W))
    for n in range(N):
        for c in range(C):
            np.add.at(dx[n, c], switches[n, c].ravel(), dout[n, c].ravel())   # += also for repeated indices
    return dx.reshape(N, C, H, W)
    ### END SOLUTION


# %% tests grade_id="test_max_pool2d_backward_visible" points=2
# Checks 2x2 windows, four overlapping windows sharing one maximum, ties, two images x two channels, and a 2x3 window.
check("test_max_pool2d_backward_visible", max_pool2d_backward)

# %% tests grade_id="test_max_pool2d_backward_hidden" points=3
# Hidden tests: overlapping windows with ties, stride pairs, non-square windows, unused rows, size 1, a window as large as the input, N and C > 1.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_max_pool2d_backward_hidden", max_pool2d_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### Mean pooling: shared evenly
#
# $y = \frac{1}{k_h k_w}\sum x_{\text{window}}$ is linear: every input of the window has slope
# $1/(k_h k_w)$, so each gets that share of the error — all $k_h k_w$ of them, divided by the number
# of elements, not by one side. Again, overlapping windows **add up**, and inputs in no window get 0:
#
# $$\frac{\partial E}{\partial x_{p,q}} = \sum_{\text{windows containing } (p,q)} \frac{\delta_{\text{window}}}{k_h k_w}.$$
#
# `mean_pool2d_backward(dout, input_shape, size=2, stride=None)` takes `size` and `stride` as
# `mean_pool2d` does (an `int` or an `(h, w)` pair; `stride=None` means `stride = size`).

# %% solution grade_id="mean_pool2d_backward"
def mean_pool2d_backward(dout, input_shape, size=2, stride=None):
    """
    Backward pass of mean_pool2d: each error is shared evenly by the kh*kw inputs of its window.

    Inputs:
    - dout: upstream gradient of shape (N, C, Ho, Wo)
    - input_shape: (N, C, H, W), the shape of the pooled input
    - size: int or (kh, kw), the window
    - stride: int, (sh, sw) or None (None: stride = size)

    Returns:
    - dx: float64 array of shape (N, C, H, W); dx[n, c, p, q] is the sum, over the windows that
      contain (p, q), of their error divided by kh*kw (0 for inputs in no window)
    """
    ### BEGIN SOLUTION
    kh, kw = (size, size) if np.ndim(size) == 0 else size
    if stride is None:
        stride = (kh, kw)
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    _, _, Ho, Wo = dout.shape
    dx = np.zeros(input_shape)
    share = dout / (kh * kw)                                    # every input's slope is 1/(kh*kw)
    for i in range(Ho):
        for j in range(Wo):
            dx[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += share[:, :, i:i + 1, j:j + 1]   # += : overlaps add
    return dx
    ### END SOLUTION


# %% tests grade_id="test_mean_pool2d_backward_visible" points=2
# Checks 2x2 windows, overlapping 3x3 windows, a 2x3 window (divide by 6), a batch with channels, and rows in no window.
check("test_mean_pool2d_backward_visible", mean_pool2d_backward)

# %% tests grade_id="test_mean_pool2d_backward_hidden" points=3
# Hidden tests: overlapping windows, stride pairs, gaps between windows, non-square windows, a window as large as the input, size 1, N and C > 1.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_mean_pool2d_backward_hidden", mean_pool2d_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### Check both numerically — with inputs built for it
#
# For max pooling the input is a shuffled range of values 0.1 apart: no ties, and a nudge of
# $h = 10^{-5}$ never changes a window's winner. With overlapping 3×3 windows at stride 2:

# %%
g = np.random.default_rng(2)
shape = (2, 2, 7, 6)
x_pool = (g.permutation(np.prod(shape)) * 0.1).reshape(shape)     # distinct, well separated
try:
    y, switches = max_pool2d(x_pool, 3, 2)
    dout = g.standard_normal(y.shape)
    numeric = numerical_gradient(lambda x_: np.sum(max_pool2d(x_, 3, 2)[0] * dout), x_pool)
    error = relative_error(max_pool2d_backward(dout, switches, shape), numeric)
    print(f"max pooling 3x3 / stride 2: relative error {error:.1e} ->", "ok (< 1e-6)" if error < 1e-6 else "TOO LARGE")
    g_mean = g.standard_normal(mean_pool2d(x_pool, (3, 2), (2, 1)).shape)
    numeric = numerical_gradient(lambda x_: np.sum(mean_pool2d(x_, (3, 2), (2, 1)) * g_mean), x_pool)
    error = relative_error(mean_pool2d_backward(g_mean, shape, (3, 2), (2, 1)), numeric)
    print(f"mean pooling 3x2 / stride (2, 1): relative error {error:.1e} ->", "ok (< 1e-6)" if error < 1e-6 else "TOO LARGE")
    tied = np.zeros((1, 1, 4, 4))                                      # every value ties: a kink everywhere
    y, switches = max_pool2d(tied, 2)
    numeric = numerical_gradient(lambda x_: np.sum(max_pool2d(x_, 2)[0]), tied)
    print("with ties, the numerical gradient splits:\n", numeric[0, 0],
          "\n...while the backward pass sends everything to the switch:\n", max_pool2d_backward(np.ones(y.shape), switches, tied.shape)[0, 0])
except NotImplementedError as stub:
    print(f"Implement the pooling backward passes (and bring max_pool2d, mean_pool2d), then run this cell again ({stub}).")

# %% [markdown]
# ### See it: max versus mean routing
#
# The same widget in **max pooling** mode (3×3 windows): pick an input pixel; the windows that
# contain it are outlined, a dot marks each window's maximum. Its gradient is the sum of the
# errors of the windows it won (max) — or a ninth of the errors of all windows containing it
# (switch the mode to mean). Toggle the stride: at stride 1 windows overlap a lot, and a single
# maximum can collect the errors of up to nine windows.

# %%
gradient_routing_widget(conv2d_backward, max_pool2d_backward, mean_pool2d_backward, mode="max pooling")

# %% [markdown]
# ## 5. Putting it together: conv → max-pool
#
# The backward pass of a network is the backward passes of its layers, from the last to the
# first, each one's `dx` being the next one's `dout`. For $E = \sum \mathrm{maxpool}(\mathrm{conv}(x)) \cdot g$:

# %%
g = np.random.default_rng(3)
x_net, w_net, b_net = g.standard_normal((2, 2, 5, 4)), g.standard_normal((3, 2, 3, 2)), g.standard_normal(3)


def forward(x_):
    y_conv = conv2d(x_, w_net, b_net, 1, 1)         # (2, 3, 5, 5)
    return y_conv, max_pool2d(y_conv, 2)            # pooled (2, 3, 2, 2) and switches


try:
    y_conv, (pooled, switches) = forward(x_net)
    g_out = g.standard_normal(pooled.shape)
    d_conv = max_pool2d_backward(g_out, switches, y_conv.shape)            # pooling: route to the maxima
    dx_net, dw_net, db_net = conv2d_backward(d_conv, x_net, w_net, 1, 1)   # then the convolution
    numeric = numerical_gradient(lambda x_: np.sum(forward(x_)[1][0] * g_out), x_net)
    error = relative_error(dx_net, numeric)
    print(f"conv -> max-pool, dx: relative error {error:.1e} ->", "ok (< 1e-6)" if error < 1e-6 else "TOO LARGE")
except NotImplementedError as stub:
    print(f"This cell needs all your functions: {stub}")

# %% [markdown]
# (Random conv outputs have no ties, and the chance that a nudge of $10^{-5}$ swaps a window's winner is
# tiny; if it ever happened, one entry would show an error near 1 — a kink, not a bug.)

# %% [markdown]
# ### The δ recursion: through the activation's derivative (not graded)
#
# Real networks put an **activation function** (激活函数) $f$ between their layers: layer $l$ computes its
# net input $z_l$ (a dense layer's $\mathrm{net}$ of section 1, or a convolution's output) and passes on
# $a_l = f(z_l)$, elementwise. Its error term is $\delta_l = \partial E/\partial z_l$, and the chain rule
# reaches it in two steps. The layer above returns $\partial E/\partial a_l$ as its input gradient (the
# `dx` of `dense_backward` or `conv2d_backward`). Then, because $a_l = f(z_l)$ entry by entry, each
# entry is multiplied by the slope of $f$ at that entry:
#
# $$\delta^{(l)}_i = f'\!\left(z^{(l)}_i\right) \sum_j w^{(l+1)}_{ji}\, \delta^{(l+1)}_j
#   \qquad\text{or, as vectors,}\qquad
#   \delta_l = \left(W_{l+1}^\top \delta_{l+1}\right) \odot f'(z_l)$$
#
# where $\odot$ is the elementwise product (逐元素乘积, the Hadamard product). This is the **δ recursion**
# (误差项的递推): in code, `delta = dense_backward(delta_next, a, w_next)[0] * f_prime(z)` for a dense
# layer, and for a convolutional one `conv2d_backward(delta_next, a, w_next, ...)[0] * f_prime(z)`: the
# transposed weights become the full convolution with the kernel as it is, the derivative stays an
# elementwise product. With $\delta_l$ in hand, the layer's own gradients follow as before
# (`conv2d_backward(delta, a_below, w)` gives `dw` and `db`). The slopes: $\tanh'(z) = 1 - \tanh^2 z$;
# the sigmoid's $\sigma'(z) = \sigma(z)(1 - \sigma(z)) \le 1/4$; the ReLU's is 1 where $z > 0$ and 0
# elsewhere (notebook 07's `relu_backward`). The next cell runs the recursion through two convolutions
# with a tanh between them, and checks $\delta_1$ and the first layer's `dw` with your gradient check.

# %%
g = np.random.default_rng(6)                          # small weights: tanh is far from flat (no tiny slopes)
x_in, w1, b1 = g.standard_normal((2, 2, 6, 5)), 0.2 * g.standard_normal((3, 2, 3, 3)), 0.1 * g.standard_normal(3)
w2, b2 = 0.5 * g.standard_normal((2, 3, 3, 1)), g.standard_normal(2)
g_top = g.standard_normal((2, 2, 4, 5))               # E = sum(z2 * g_top), so delta2 = g_top


def loss_from_z1(z1):
    """E as a function of the first layer's net input: tanh, then the second convolution."""
    return np.sum(conv2d(np.tanh(z1), w2, b2) * g_top)


try:
    z1 = conv2d(x_in, w1, b1, 1, 1)                       # layer 1's net input, (2, 3, 6, 5)
    a1 = np.tanh(z1)                                      # its activation
    delta2 = g_top                                        # layer 2's error term
    back = conv2d_backward(delta2, a1, w2)[0]             # dE/da1: through layer 2's weights
    delta1 = back * (1 - a1 ** 2)                         # times tanh'(z1), elementwise: dE/dz1
    dw1 = conv2d_backward(delta1, x_in, w1, 1, 1)[1]      # layer 1's weight gradient, from delta1
    error_delta = relative_error(delta1, numerical_gradient(loss_from_z1, z1))
    error_dw = relative_error(dw1, numerical_gradient(lambda w_: loss_from_z1(conv2d(x_in, w_, b1, 1, 1)), w1))
    print(f"delta1 = (back-propagated error) * tanh'(z1): relative error {error_delta:.1e}")
    print(f"dw1 from delta1: relative error {error_dw:.1e} ->", "ok (< 1e-6)" if max(error_delta, error_dw) < 1e-6 else "TOO LARGE")
    print(f"without the derivative the error would be {relative_error(back, numerical_gradient(loss_from_z1, z1)):.1e}")
except NotImplementedError as stub:
    print(f"This cell needs all your functions: {stub}")

# %% [markdown]
# ## Exercises (not graded)
#
# 1. A 1×1 layer ($k = 1$): what do the padding by $k - 1$ and the 180° rotation in `dx` do? Write `dx` and `dw`
#    as matrix products, and compare with `dense_backward`.
# 2. Why does `dw` of a stride-2 layer never need the dilated map's zeros *multiplied*? How many
#    multiplications does the loop over taps in the solution waste on them, and how would you avoid it?
# 3. In the stride-2 widget example, which input pixels get a gradient from only one output? Why does a
#    layer with $k = 3$, $s = 2$ treat neighbouring pixels so unevenly (notebook 06 meets this again
#    as checkerboard artifacts, 棋盘效应)?
# 4. A max-pooling layer with 3×3 windows and stride 1 on a 5×5 input: at most how many windows can
#    one input win, so how large can its gradient be compared with one error?
# 5. Backward of `relu(x) = max(x, 0)`: what is it, and why does a gradient check at $x = 0$ fail?
# 6. In a chain of 10 dense layers with a sigmoid after each, by at most what factor can the derivatives
#    alone shrink the error term on its way from the top to the bottom? And with ReLUs?
#
# <details><summary>Answers</summary>
#
# 1. Nothing: a 1×1 kernel rotated is itself, and padding by $k - 1 = 0$ adds nothing. Per pixel the layer is
#    `y = w @ x` over channels, so `dx[n, :, p, q] = w.T @ dout[n, :, p, q]` and `dw = sum over n, p, q of
#    outer(dout, x)`: `dense_backward` with every pixel of every image as a sample.
# 2. The zeros contribute 0 to every sum. The loop correlates with the whole dilated map, so a fraction
#    $1 - 1/(s_h s_w)$ of its products (3/4 at stride 2) are with zeros; slicing the input with a step
#    (`xp[:, :, u:u + (Ho-1)*sh + 1:sh, v:v + (Wo-1)*sw + 1:sw]`) reads only the pixels a window started at.
# 3. With $k = 3, s = 2$ neighbouring windows share one row (and one column): the pixels where two windows
#    meet are read by two windows per axis, their neighbours by one. So per axis the number of routes goes
#    1, 1, 2, 1, 2, 1, ... and in 2-D a pixel collects 1, 2 or 4 errors: an uneven pattern, the checkerboard.
# 4. Nine (every window that contains it, when it is the largest value in all of them); its gradient is
#    then the sum of nine errors.
# 5. `dx = dout * (x > 0)`: the error passes where the input was positive and stops elsewhere. At $x = 0$
#    the two one-sided slopes are 0 and 1, and the central difference gives 1/2: a kink, so checks keep
#    inputs away from 0.
# 6. Each layer multiplies $\delta$ by $\sigma'(z) \le 1/4$, so by at most $4^{-10} \approx 9.5 \cdot 10^{-7}$ over
#    ten layers (the weights may shrink or grow it further): the vanishing gradient (梯度消失) that made deep
#    sigmoid networks hard to train. A ReLU's slope is 1 or 0: an error term passes at full size where $z > 0$
#    and stops elsewhere.
# </details>
#
# ## Summary
#
# - The **error term** (误差项) $\delta_j = \partial E/\partial \mathrm{net}_j$ is what a layer receives from above;
#   a weight's gradient is $a_i\,\delta_j$, summed over the batch (`dw = x.T @ dout`), a bias's the sum of $\delta$,
#   and the input's $\sum_j w_{ji}\delta_j$, which becomes the error term of the layer below.
# - Check every backward pass with **central differences** ($O(h^2)$) and the largest elementwise
#   **relative error**: $10^{-10}$ to $10^{-7}$ for linear layers (threshold $10^{-6}$), on inputs without ties or kinks.
# - **Convolution layer**, with the **sensitivity map** (敏感度图) $\delta$ = `dout`: `dw` is the cross-correlation
#   of the (padded) input with $\delta$; `db` is the sum of $\delta$ over batch and positions; `dx` is the **full
#   convolution** of $\delta$ with the kernel as it is — in code, pad $\delta$ by $k - 1$ zeros and cross-correlate
#   with the kernel rotated by 180°, `flip180(w)` — then the padding is cut off. A stride $s$ inserts $s - 1$ zeros between the entries of $\delta$.
# - **Pooling**: max pooling sends each error to its window's remembered maximum, mean pooling shares it
#   evenly ($1/(k_h k_w)$ each); where windows overlap, gradients **add up** (`+=`).
# - Between layers, the **δ recursion**: $\delta_l = (W_{l+1}^\top \delta_{l+1}) \odot f'(z_l)$, the input gradient of
#   the layer above times the activation's slope, elementwise.
# - Next: the input gradient of a convolution *is* a layer of its own — the transposed convolution, or
#   deconvolution (06, 反卷积), used to go from low to high resolution.
