# %% [markdown]
# # 07 · Capstone: build and train a tiny CNN — 搭建并训练一个小卷积网络
#
# Six notebooks gave you the parts: padding (02), the convolution layer (03), max pooling (04) and
# the backward passes of all of them (05). Here you put **your own** parts together into a network
# that reads handwritten digits, check its gradient numerically, and train it until it gets at
# least 90 % of digits it has never seen right, in well under a minute on a laptop.
#
# **You will**
#
# 1. see why a network needs a non-linear **activation function** (激活函数) between its linear
#    layers, and write the ReLU and its backward pass (`relu`, `relu_backward`);
# 2. compare two losses, **cross-entropy** (交叉熵) and squared error (平方误差), see why classification uses
#    cross-entropy, and write it with its gradient (`softmax_cross_entropy`);
# 3. assemble conv → ReLU → max-pool → dense from your earlier functions (`tiny_cnn_forward`) and
#    its backward pass (`tiny_cnn_backward`), checked against a numerical gradient of the whole network
#    (a gradient check, 梯度检验);
# 4. train it with **stochastic gradient descent** (随机梯度下降) on mini-batches (小批量, `sgd_step`,
#    `train_tiny_cnn`), and look inside: loss and accuracy curves, the learned filters, the
#    feature maps of one digit, a confusion matrix, and a widget to explore the test digits;
# 5. time your loop convolution against vectorised ones (im2col, `sliding_window_view`).
#
# Each function you write has a visible test (2 points: run it as often as you like; it names
# typical mistakes) and a hidden test (3 points, used for grading; its cell only says what it
# covers). **A test cell scores all of its points or none: every case in it must be right.**
# 7 functions, 35 points in all. The hidden test of `train_tiny_cnn` trains your network on the
# digits with a fixed seed and is passed when the returned parameters get at least 90 % of the
# 500 held-out digits right.

# %% readonly grade_id="setup"
import time

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from cnn_course.checks import check
from cnn_course.data import load_digits
from cnn_course.widgets.tiny_cnn import mosaic, tiny_cnn_widget

# %% [markdown]
# ## 1. Your layers, from your earlier notebooks
#
# The network uses only functions you wrote. Each cell below copies **your** code from an earlier
# notebook (run it: it reads your saved notebook next to this one and pastes the code here, so
# this notebook carries its own copy). Nothing comes from the course's answers: if one of your
# earlier functions is wrong, the network built on it is wrong too, so make their tests pass first.
# If a notebook is missing, the cell says so and Run All goes on; the cells that need that
# function then say "implement ... first".

# %% earlier from="02_padding_stride"
from cnn_course.earlier import bring

pad2d = bring("02_padding_stride", "pad2d")


# %% earlier from="03_correlation_convolution"
from cnn_course.earlier import bring

conv2d = bring("03_correlation_convolution", "conv2d")


# %% earlier from="04_pooling_unpooling"
from cnn_course.earlier import bring

max_pool2d = bring("04_pooling_unpooling", "max_pool2d")


# %% earlier from="05_backprop"
from cnn_course.earlier import bring

dense_backward, numerical_gradient, relative_error, conv2d_backward, max_pool2d_backward = bring("05_backprop", "dense_backward", "numerical_gradient", "relative_error", "conv2d_backward", "max_pool2d_backward")


# %%
# Which of your earlier functions are here? (A missing one says what to do when it is called.)
for name in ["pad2d", "conv2d", "max_pool2d", "dense_backward", "numerical_gradient", "relative_error",
             "conv2d_backward", "max_pool2d_backward"]:
    try:
        {"pad2d": lambda: pad2d(np.ones((1, 1, 2, 2)), 1),
         "conv2d": lambda: conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1)),
         "max_pool2d": lambda: max_pool2d(np.ones((1, 1, 2, 2))),
         "dense_backward": lambda: dense_backward(np.ones((1, 2)), np.ones((1, 3)), np.ones((3, 2))),
         "numerical_gradient": lambda: numerical_gradient(lambda v: float(np.sum(v ** 2)), np.ones(2)),
         "relative_error": lambda: relative_error(np.ones(2), np.ones(2)),
         "conv2d_backward": lambda: conv2d_backward(np.ones((1, 1, 1, 1)), np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3))),
         "max_pool2d_backward": lambda: max_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1, 1), dtype=np.int64),
                                                            (1, 1, 2, 2))}[name]()
        print(f"  ok       {name}")
    except NotImplementedError as missing:
        print(f"  missing  {name}: {missing}")

# %% [markdown]
# ## 2. The model, and why it needs an activation function
#
# The simplest model of a neuron is the line
#
# $$y = w\,x + b$$
#
# with a **weight** $w$ (权重, how strongly the input counts) and a **bias** $b$ (偏置): the
# intercept (截距), the value of $y$ where the line crosses the $y$-axis ($x = 0$). A fully-connected
# layer does the same for vectors, $\mathbf{y} = \mathbf{x} W + \mathbf{b}$ (a row vector $\mathbf{x}$
# times $W$: notebook 01's $\mathbf{y} = W\mathbf{x} + \mathbf{b}$ transposed, the layout in which numpy
# stacks a batch as rows),
# and a convolution layer is one too: each output is a weighted sum of a patch plus a bias.
# Training means choosing $w$ and $b$ (start them small and random, then improve them).
#
# **A worked example: a line fitted by gradient descent.** Given points $(x_i, y_i)$, measure how
# wrong a line is with a **loss function** (损失函数); for a number to predict, the usual one is the
# **mean squared error** (均方误差)
#
# $$E(w, b) = \frac{1}{N}\sum_{i=1}^{N} (w\,x_i + b - y_i)^2 .$$
#
# Its gradient says which way $E$ grows fastest: $\partial E/\partial w = \frac{2}{N}\sum_i (w x_i + b - y_i)\,x_i$
# and $\partial E/\partial b = \frac{2}{N}\sum_i (w x_i + b - y_i)$. **Gradient descent** (梯度下降) steps the
# other way, by a small **learning rate** $\eta$ (学习率): $w \leftarrow w - \eta\,\partial E/\partial w$,
# $b \leftarrow b - \eta\,\partial E/\partial b$, and repeats. Every network in this course trains the
# same way; only the model and the loss grow (section 3: a loss for classes, not numbers; section 6:
# gradient descent on many parameters).

# %%
rng_line = np.random.default_rng(1)
x_line = rng_line.uniform(-2, 2, 40)
y_line = 1.5 * x_line - 0.5 + 0.3 * rng_line.standard_normal(40)       # a true line, w=1.5 and b=-0.5, plus noise
w_fit, b_fit, eta = 0.0, 0.0, 0.1
for step in range(101):
    error = w_fit * x_line + b_fit - y_line                              # prediction minus target, per point
    if step % 25 == 0:
        print(f"step {step:3d}: E = {np.mean(error ** 2):.4f}, w = {w_fit:.3f}, b = {b_fit:.3f}")
    w_fit -= eta * 2 * np.mean(error * x_line)                           # dE/dw
    b_fit -= eta * 2 * np.mean(error)                                    # dE/db
print("numpy's least squares (the exact minimum):", np.round(np.polyfit(x_line, y_line, 1), 3))

fig, ax = plt.subplots(figsize=(5, 3))
ax.scatter(x_line, y_line, s=12, label="data")
ax.plot([-2, 2], [w_fit * -2 + b_fit, w_fit * 2 + b_fit], color="C3", label=f"fitted: y = {w_fit:.2f}x {b_fit:+.2f}")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
plt.show()

# %% [markdown]
# Stack two such layers: $\mathbf{x} W_1 + \mathbf{b}_1$, then
# $(\mathbf{x} W_1 + \mathbf{b}_1) W_2 + \mathbf{b}_2 = \mathbf{x}\,(W_1 W_2) + (\mathbf{b}_1 W_2 + \mathbf{b}_2)$.
# That is **one** linear layer again, with
# weight $W_1 W_2$: a hundred linear layers can draw nothing but a straight line (a flat plane).
# Depth only helps when something **non-linear** sits between the layers: an **activation
# function** (激活函数) applied to every value. The one modern CNNs use most is the ReLU
# (rectified linear unit):
#
# $$\mathrm{relu}(z) = \max(0, z)$$
#
# It keeps positive values and sets negative ones to 0: a feature map after a ReLU says *where*
# a filter found its pattern, and nothing where it did not. Other choices (the sigmoid
# $1/(1+e^{-z})$, $\tanh$) flatten out for large $|z|$, which slows learning (section 3 shows why).

# %%
rng = np.random.default_rng(0)
W1, b1_demo = rng.standard_normal((1, 8)), rng.standard_normal(8)
W2, b2_demo = rng.standard_normal((8, 1)), rng.standard_normal(1)
xs = np.linspace(-3, 3, 200)[:, None]
two_linear = (xs @ W1 + b1_demo) @ W2 + b2_demo                    # two layers, no activation
one_linear = xs @ (W1 @ W2) + (b1_demo @ W2 + b2_demo)             # the single layer they collapse into
with_relu = np.maximum(xs @ W1 + b1_demo, 0) @ W2 + b2_demo         # the same weights with a ReLU between
print("two linear layers == one linear layer:", np.allclose(two_linear, one_linear))

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(xs, two_linear, lw=3, label="two linear layers (= one line)")
ax.plot(xs, with_relu, lw=2, label="the same layers with a ReLU between them")
ax.set_xlabel("input x", fontsize=11)
ax.set_ylabel("output y", fontsize=11)
ax.set_title("Without an activation, depth adds nothing: 8 hidden units, 1 input", fontsize=11)
ax.legend(fontsize=10)
plt.show()

# %% [markdown]
# ### `relu` and `relu_backward`
#
# `relu(x)` returns $\max(0, x)$ elementwise, as a new array of the same shape (do not change `x`).
#
# Its backward pass: the derivative of $\max(0, z)$ is 1 where $z > 0$ and 0 where $z < 0$. At
# $z = 0$ it has no derivative; like PyTorch we take 0 there. So by the chain rule
#
# $$\frac{\partial E}{\partial z} = \frac{\partial E}{\partial y} \cdot [z > 0]$$
#
# `relu_backward(dout, x)` gets the upstream gradient `dout` and the **input** `x` of the forward
# pass, and returns `dout * (x > 0)`. The mask comes from `x`, not from the sign of `dout`.

# %% solution grade_id="relu"
def relu(x):
    """
    Rectified linear unit, elementwise.

    Inputs:
    - x: array of any shape

    Returns:
    - y: new float64 array of x's shape, y = max(0, x); x is not modified
    """
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    ### END SOLUTION


# %% tests grade_id="test_relu_visible" points=2
# Checks negative, zero and positive values, a 2x2 array and an all-negative 4-D batch.
check("test_relu_visible", relu)

# %% tests grade_id="test_relu_hidden" points=3
# Hidden tests: random 1-D and 4-D arrays, zeros and tiny values, all-positive input (a new array).
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_relu_hidden", relu)
### END HIDDEN TESTS

# %% solution grade_id="relu_backward"
def relu_backward(dout, x):
    """
    Backward pass of relu.

    Inputs:
    - dout: upstream gradient dE/dy, same shape as x
    - x: the input relu was called on (any shape)

    Returns:
    - dx: float64 array of x's shape, dout where x > 0 and 0 elsewhere (also where x == 0)
    """
    ### BEGIN SOLUTION
    return np.where(np.asarray(x) > 0, np.asarray(dout, dtype=np.float64), 0.0)
    ### END SOLUTION


# %% tests grade_id="test_relu_backward_visible" points=2
# Checks the mask where x > 0 and x < 0, the slope 0 at x == 0, and negative upstream gradients.
check("test_relu_backward_visible", relu_backward)

# %% tests grade_id="test_relu_backward_hidden" points=3
# Hidden tests: random 2-D and 4-D arrays with exact zeros, and all-negative inputs.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_relu_backward_hidden", relu_backward)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Losses: how wrong is a prediction?
#
# The network ends with a dense layer that gives $K = 10$ **scores** $s_1, \dots, s_K$ (one per
# digit; also called logits). The **softmax** turns them into probabilities,
#
# $$p_k = \frac{e^{s_k}}{\sum_j e^{s_j}},$$
#
# positive and summing to 1. A **loss function** (损失函数) measures, with one number, how far the
# prediction is from the truth $y$ (the right class); training makes it small. Two candidates:
#
# - **cross-entropy** (交叉熵): $E = -\log p_y$, the surprise at the right answer. It is 0 when
#   $p_y = 1$ and grows without bound as $p_y \to 0$.
# - **squared error** (平方误差; its mean over the batch is the mean squared error, 均方误差): $E = \tfrac12 \sum_k (p_k - t_k)^2$ with $t$ the one-hot vector of $y$
#   ($t_y = 1$, the others 0), as in regression.
#
# **Why cross-entropy for classification.** Both losses are smallest at the right answer; what
# differs is the **gradient**, which is all that gradient descent sees. For cross-entropy with
# softmax the chain rule collapses to
#
# $$\frac{\partial E}{\partial s_k} = p_k - t_k,$$
#
# so a **confident wrong answer** ($p_y \approx 0$) gets a gradient of size about 1: a strong push.
# For squared error the gradient goes through the softmax's derivative
# $\partial p_j/\partial s_k = p_j([j = k] - p_k)$:
#
# $$\frac{\partial E}{\partial s_k} = \sum_j (p_j - t_j)\, p_j\, ([j=k] - p_k),$$
#
# and every term carries a factor $p_j$ or $p_k$: when the network is confidently wrong, $p_y \approx 0$
# and the wrong class has $p \approx 1$, so $p(1-p) \approx 0$ everywhere and **the gradient
# vanishes**: the worse the mistake, the less squared error does about it. Let us see it, with
# two classes and the score margin $m = s_{\text{right}} - s_{\text{wrong}}$ going from confidently
# wrong ($m = -10$) to confidently right:

# %%
margins = np.linspace(-10, 10, 201)
p_right = 1 / (1 + np.exp(-margins))                          # softmax of (m, 0) for two classes
ce_loss = -np.log(p_right)                                     # cross-entropy
ce_grad = p_right - 1                                          # dE/ds_right = p_right - t_right
se_loss = 0.5 * ((p_right - 1) ** 2 + (1 - p_right) ** 2)      # squared error, both classes
se_grad = 2 * (p_right - 1) * p_right * (1 - p_right)          # through the softmax's derivative

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].plot(margins, ce_loss, label="cross-entropy")
axes[0].plot(margins, se_loss, label="squared error")
axes[0].set_title("loss", fontsize=11)
axes[1].plot(margins, np.abs(ce_grad), label="cross-entropy")
axes[1].plot(margins, np.abs(se_grad), label="squared error")
axes[1].set_title("|gradient| with respect to the right class's score", fontsize=11)
for ax in axes:
    ax.set_xlabel("score margin m (negative: confidently wrong)", fontsize=11)
    ax.axvline(0, color="grey", lw=0.5)
    ax.legend(fontsize=10)
fig.tight_layout()
plt.show()
for m in (-10, -5, 0):
    i = np.argmin(np.abs(margins - m))
    print(f"margin {m:+3d}: cross-entropy gradient {abs(ce_grad[i]):.4f}, squared-error gradient {abs(se_grad[i]):.6f}")

# %% [markdown]
# At $m = -10$ squared error pushes about 11,000 times less than cross-entropy (the ratio of the two
# gradients is $1/(2p(1-p))$ with $p = \sigma(-10)$, about 11,014): a network that
# starts out confidently wrong would hardly move. (The same happens to a sigmoid activation deep
# inside a network, which is one reason the ReLU replaced it.)
#
# ### `softmax_cross_entropy`
#
# For a batch of $N$ examples the loss is the **mean** over the batch, so its gradient is divided
# by $N$:
#
# $$E = -\frac1N \sum_{n} \log p_{n, y_n}, \qquad \frac{\partial E}{\partial s_{n,k}} = \frac{p_{n,k} - [k = y_n]}{N}$$
#
# | in the formula | in the code |
# |---|---|
# | $s - \max_j s_j$ (softmax does not change when all scores shift) | `shifted = scores - scores.max(axis=1, keepdims=True)` |
# | $\log p_{n,k} = s_{n,k} - \log\sum_j e^{s_{n,j}}$ | `log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))` |
# | $-\frac1N\sum_n \log p_{n,y_n}$ | `-log_p[np.arange(N), y].mean()` |
# | $(p - \text{onehot}(y))/N$ | `p[np.arange(N), y] -= 1`, then `/ N` |
#
# Subtracting each row's maximum first matters: `np.exp(1000)` is `inf`, and `inf / inf` is `nan`.

# %% solution grade_id="softmax_cross_entropy"
def softmax_cross_entropy(scores, y):
    """
    Softmax followed by the cross-entropy loss, averaged over the batch, and its gradient.

    Inputs:
    - scores: array of shape (N, K), one row of class scores per example
    - y: int array of shape (N,), the right class of each example, in 0..K-1

    Returns a tuple of:
    - loss: float, -(1/N) * sum_n log p[n, y[n]], with p the row-wise softmax of scores
    - dscores: array of shape (N, K), (p - onehot(y)) / N
    """
    ### BEGIN SOLUTION
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)               # no overflow in exp
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -float(log_p[np.arange(n), y].mean())                       # mean of -log p_y
    dscores = np.exp(log_p)                                            # p
    dscores[np.arange(n), y] -= 1.0                                    # p - onehot(y)
    return loss, dscores / n
    ### END SOLUTION


# %% tests grade_id="test_softmax_cross_entropy_visible" points=2
# Checks equal scores (loss log 3), a batch of two (averaged), and huge scores (no overflow).
check("test_softmax_cross_entropy_visible", softmax_cross_entropy)

# %% tests grade_id="test_softmax_cross_entropy_hidden" points=3
# Hidden tests: random batches (1 to 8 examples, 2 to 10 classes), very large and very negative scores, a confident wrong answer.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_softmax_cross_entropy_hidden", softmax_cross_entropy)
### END HIDDEN TESTS

# %% [markdown]
# ## 4. The network
#
# Our tiny CNN reads an $8\times8$ grey image (one channel) and has two layers with weights:
#
# | step | what | shape for a batch of N digits, F = 8 filters |
# |---|---|---|
# | input | `x` | (N, 1, 8, 8) |
# | 3×3 convolution, same padding, stride 1 | `z = conv2d(x, w1, b1, stride=1, pad=(kh//2, kw//2))` | (N, 8, 8, 8) |
# | activation | `a = relu(z)` | (N, 8, 8, 8) |
# | 2×2 max pooling (下采样) | `p, switches = max_pool2d(a, 2)` | (N, 8, 4, 4) |
# | flatten | `flat = p.reshape(N, -1)` | (N, 128) |
# | dense (fully connected) | `scores = flat @ w2 + b2` | (N, 10) |
#
# The parameters travel together as the tuple `params = (w1, b1, w2, b2)` with `w1` (F, C, kh, kw),
# `b1` (F,), `w2` (F·(H//2)·(W//2), K), `b2` (K,). The forward pass also returns a **cache**, the
# tuple `(z, a, p, switches)`: what the backward pass needs (and what we will plot). Flatten with
# `p.reshape(N, -1)` on the (N, F, H, W) array as it is (filter, then row, then column), so that row
# `f*(H//2)*(W//2) + i*(W//2) + j` of `w2` belongs to pooled unit $(f, i, j)$.
#
# Use your own `conv2d` and `max_pool2d` (they are defined above) and your `relu`. Nothing here
# is square by necessity: the hidden tests use 7×6 images (pooling drops the last row), several
# input channels and 5×5 or 1×1 filters.

# %% solution grade_id="tiny_cnn_forward"
def tiny_cnn_forward(x, params):
    """
    Forward pass of the tiny CNN: conv (same padding, stride 1) -> ReLU -> 2x2 max-pool -> flatten -> dense.

    Inputs:
    - x: images of shape (N, C, H, W)
    - params: tuple (w1, b1, w2, b2): w1 (F, C, kh, kw) with odd kh, kw; b1 (F,);
      w2 (F * (H//2) * (W//2), K); b2 (K,)

    Returns a tuple of:
    - scores: array of shape (N, K)
    - cache: tuple (z, a, p, switches) with
        z = conv2d(x, w1, b1, stride=1, pad=(kh//2, kw//2)), shape (N, F, H, W)
        a = relu(z), shape (N, F, H, W)
        p, switches = max_pool2d(a, 2), each of shape (N, F, H//2, W//2)
      and scores = p.reshape(N, -1) @ w2 + b2
    """
    ### BEGIN SOLUTION
    w1, b1, w2, b2 = params
    kh, kw = w1.shape[2:]
    z = conv2d(x, w1, b1, stride=1, pad=(kh // 2, kw // 2))   # (N, F, H, W): same padding keeps H x W
    a = relu(z)
    p, switches = max_pool2d(a, 2)                            # (N, F, H//2, W//2)
    scores = p.reshape(p.shape[0], -1) @ w2 + b2              # (N, K)
    return scores, (z, a, p, switches)
    ### END SOLUTION


# %% tests grade_id="test_tiny_cnn_forward_visible" points=2
# Checks scores and cache for one image with one filter, two images with two filters, and a 5x3 filter (pad (2, 1)).
check("test_tiny_cnn_forward_visible", tiny_cnn_forward)

# %% tests grade_id="test_tiny_cnn_forward_hidden" points=3
# Hidden tests: several channels and filters, 7x6 images (pooling drops a row), 5x5, 1x1, 3x1 and 1x5 filters, ties in pooling, 10 classes.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_tiny_cnn_forward_hidden", tiny_cnn_forward)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. The backward pass, and a gradient check of the whole network
#
# Backpropagation runs the forward steps in reverse, each with the backward pass you wrote in 05
# (or above), passing the error term (误差项) $\delta$ from layer to layer:
#
# | backward step | your function | gives |
# |---|---|---|
# | dense | `dflat, dw2, db2 = dense_backward(dscores, p.reshape(N, -1), w2)` | `dw2`, `db2` |
# | un-flatten | `dp = dflat.reshape(p.shape)` | |
# | max pooling: to the maxima only | `da = max_pool2d_backward(dp, switches, a.shape)` | |
# | ReLU | `dz = relu_backward(da, z)` | the sensitivity map (敏感度图) of the conv layer |
# | convolution | `_, dw1, db1 = conv2d_backward(dz, x, w1, stride=1, pad=(kh//2, kw//2))` | `dw1`, `db1` |
#
# Return `grads = (dw1, db1, dw2, db2)`, in the order of `params`. The input gradient `dx` is not
# needed (nobody updates the image).

# %% solution grade_id="tiny_cnn_backward"
def tiny_cnn_backward(dscores, x, params, cache):
    """
    Backward pass of tiny_cnn_forward.

    Inputs:
    - dscores: upstream gradient dE/dscores of shape (N, K)
    - x: the images tiny_cnn_forward was called with, (N, C, H, W)
    - params: the tuple (w1, b1, w2, b2) it was called with
    - cache: the tuple (z, a, p, switches) it returned

    Returns:
    - grads: tuple (dw1, db1, dw2, db2), shaped like (w1, b1, w2, b2)
    """
    ### BEGIN SOLUTION
    w1, b1, w2, b2 = params
    z, a, p, switches = cache
    kh, kw = w1.shape[2:]
    dflat, dw2, db2 = dense_backward(dscores, p.reshape(p.shape[0], -1), w2)
    da = max_pool2d_backward(dflat.reshape(p.shape), switches, a.shape)     # to the maxima only
    dz = relu_backward(da, z)                                               # through the ReLU
    _, dw1, db1 = conv2d_backward(dz, x, w1, stride=1, pad=(kh // 2, kw // 2))
    return dw1, db1, dw2, db2
    ### END SOLUTION


# %% tests grade_id="test_tiny_cnn_backward_visible" points=2
# Checks the four gradients for one image with one filter, two images with two filters, and a 5x3 filter.
check("test_tiny_cnn_backward_visible", tiny_cnn_backward)

# %% tests grade_id="test_tiny_cnn_backward_hidden" points=3
# Hidden tests: several channels and filters, a 7x6 image (a row dropped by pooling), 5x5, 1x1, 3x1 and 1x5 filters, 10 classes.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_tiny_cnn_backward_hidden", tiny_cnn_backward)
### END HIDDEN TESTS

# %% [markdown]
# ### The gradient check
#
# Is every gradient right, through all the layers at once? Compare each with central differences
# of the loss, $\frac{E(\theta + h) - E(\theta - h)}{2h}$, computed by your `numerical_gradient`,
# on a few random 6×5 images with 2 channels, 3 filters and 4 classes (small, so the check is quick;
# not square, so swapped axes would show). A relative error below about $10^{-7}$ means the
# gradients agree.

# %%
def init_params(filters=8, channels=1, k=3, hidden=128, classes=10, seed=0):
    """Small random weights (He scaling for the conv: the ReLU halves the variance) and zero biases."""
    g = np.random.default_rng(seed)
    w1 = g.standard_normal((filters, channels, k, k)) * np.sqrt(2 / (channels * k * k))
    w2 = g.standard_normal((hidden, classes)) * np.sqrt(1 / hidden)
    return w1, np.zeros(filters), w2, np.zeros(classes)


g = np.random.default_rng(5)
x_check, y_check = g.standard_normal((3, 2, 6, 5)), np.array([0, 3, 1])
params_check = tuple(v + 0.1 * g.standard_normal(v.shape)          # nonzero biases too
                     for v in init_params(filters=3, channels=2, hidden=3 * 3 * 2, classes=4, seed=1))
names = ("w1", "b1", "w2", "b2")
try:
    scores, cache = tiny_cnn_forward(x_check, params_check)
    loss, dscores = softmax_cross_entropy(scores, y_check)
    grads = tiny_cnn_backward(dscores, x_check, params_check, cache)
    for i, name in enumerate(names):
        def loss_of(value, i=i):
            trial = list(params_check)
            trial[i] = value
            return softmax_cross_entropy(tiny_cnn_forward(x_check, tuple(trial))[0], y_check)[0]
        numeric = numerical_gradient(loss_of, params_check[i])
        print(f"{name}: shape {str(params_check[i].shape):14s} relative error {relative_error(grads[i], numeric):.1e}")
except NotImplementedError as missing:
    print(f"Implement the functions above first ({missing}), then run this cell again.")

# %% [markdown]
# ## 6. Gradient descent, stochastic gradient descent
#
# The gradient points to where the loss grows fastest, so a small step the other way lowers it.
# **Gradient descent** (梯度下降) repeats
#
# $$\theta \leftarrow \theta - \eta\, \frac{\partial E}{\partial \theta}$$
#
# for every parameter $\theta$, with a **learning rate** $\eta$ (学习率, `lr`): too small and
# training crawls, too large and it overshoots and blows up. Computing $E$ over all training images
# for every step is exact but slow: one step per pass over the data. **Stochastic gradient
# descent** (随机梯度下降, SGD) estimates the gradient from a small random **mini-batch** of
# examples (here 32) and steps after each one: the estimate is noisy, but one pass over the data
# (an **epoch**) now makes dozens of steps. Shuffling the order every epoch makes each epoch's
# batches different, so that the network does not see the same batches in the same order again
# and again.
#
# `sgd_step(params, grads, lr)` returns the new tuple of `param - lr * grad` (new arrays: do not
# change `params` in place; the caller keeps the old ones).

# %% solution grade_id="sgd_step"
def sgd_step(params, grads, lr):
    """
    One step of gradient descent.

    Inputs:
    - params: tuple of arrays, e.g. (w1, b1, w2, b2)
    - grads: tuple of arrays of the same shapes, in the same order
    - lr: float > 0, the learning rate

    Returns:
    - new_params: a new tuple, param - lr * grad for each pair; params is not modified
    """
    ### BEGIN SOLUTION
    return tuple(p - lr * g for p, g in zip(params, grads))
    ### END SOLUTION


# %% tests grade_id="test_sgd_step_visible" points=2
# Checks a step of two parameters and of one 2x2 weight.
check("test_sgd_step_visible", sgd_step)

# %% tests grade_id="test_sgd_step_hidden" points=3
# Hidden tests: the tiny CNN's four parameters (not modified), lr 1, a zero gradient.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_sgd_step_hidden", sgd_step)
### END HIDDEN TESTS

# %% [markdown]
# ### `train_tiny_cnn`
#
# Mini-batch SGD, exactly in this order (so that a fixed seed gives the same training everywhere,
# and your result can be checked):
#
# ```
# rng = np.random.default_rng(seed)            # once, before the epochs
# for each epoch:
#     order = rng.permutation(N)               # a new order every epoch
#     for start in range(0, N, batch_size):    # the last batch may be smaller: use it too
#         batch = order[start:start + batch_size]
#         forward on x[batch] -> softmax_cross_entropy with y[batch] -> backward -> sgd_step
#         remember the batch's loss (computed before the step)
# ```
#
# Return `(params, losses)`, `losses` a float array with one loss per step.

# %% solution grade_id="train_tiny_cnn"
def train_tiny_cnn(params, x, y, epochs=1, batch_size=32, lr=0.1, seed=0):
    """
    Train the tiny CNN with mini-batch stochastic gradient descent on softmax cross-entropy.

    Inputs:
    - params: tuple (w1, b1, w2, b2), the starting point (not modified)
    - x: training images of shape (N, C, H, W)
    - y: int labels of shape (N,)
    - epochs: int, passes over the training set
    - batch_size: int, examples per step (the last batch of an epoch may be smaller)
    - lr: float, the learning rate
    - seed: int; rng = np.random.default_rng(seed) is made once, and each epoch visits
      the examples in the order rng.permutation(N)

    Returns a tuple of:
    - params: the trained tuple (w1, b1, w2, b2)
    - losses: float64 array of shape (number of steps,), each batch's loss before its step
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            scores, cache = tiny_cnn_forward(x[batch], params)
            loss, dscores = softmax_cross_entropy(scores, y[batch])
            grads = tiny_cnn_backward(dscores, x[batch], params, cache)
            params = sgd_step(params, grads, lr)
            losses.append(loss)
    return params, np.array(losses, dtype=np.float64)
    ### END SOLUTION


# %% tests grade_id="test_train_tiny_cnn_visible" points=2
# Checks one full-batch step, two shuffled epochs of batches of 2 (the last batch smaller), and 3x1 filters, against the same steps done right.
check("test_train_tiny_cnn_visible", train_tiny_cnn)

# %% tests grade_id="test_train_tiny_cnn_hidden" points=3
# Hidden test: 5 epochs with 5x3 filters on the 1297 training digits (fixed seed, batches of 32, lr 0.2); needs 90% of 500 held-out digits right.
### BEGIN HIDDEN TESTS
from grader.hidden import record_hidden
record_hidden("test_train_tiny_cnn_hidden", train_tiny_cnn)
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Training on handwritten digits
#
# The data: 1797 handwritten digits of 13 people, scanned and reduced to $8\times8$ pixels
# that count ink from 0 to 16 (the UCI "Optical Recognition of Handwritten Digits" set, by
# E. Alpaydin and C. Kaynak, CC BY 4.0; see `data/README.md`). `load_digits()` scales them to
# 0..1 and always holds out the same 500 (`x_test`, `y_test`): the network never trains on them,
# so its accuracy there says how well it **generalises** to new handwriting.
#
# We split those 500 in two. The first 250 are a **validation set** (验证集): we watch its accuracy
# after each epoch, and choose settings such as the learning rate by it. The other 250 stay the
# **test set** (测试集), looked at once, at the very end. Had we chosen the learning rate by the test
# accuracy, that accuracy would flatter the network: the choice itself would have fitted those 250 digits.

# %%
x_train, y_train, x_test, y_test = load_digits()
# Half of the held-out digits to watch during training and to choose settings with, half to look at once.
x_val, y_val, x_test, y_test = x_test[:250], y_test[:250], x_test[250:], y_test[250:]
print(f"training set {x_train.shape}, validation set {x_val.shape}, test set {x_test.shape}; "
      f"digits per class in the test set: {np.bincount(y_test)}")
fig, axes = plt.subplots(1, 10, figsize=(10, 1.5))
for digit, ax in enumerate(axes):
    ax.imshow(x_train[np.flatnonzero(y_train == digit)[0], 0], cmap="gray_r")
    ax.set_title(str(digit), fontsize=11)
    ax.axis("off")
plt.show()

# %% [markdown]
# **Gradient descent versus SGD, for the same work.** Two passes over the training set: full-batch
# gradient descent makes 2 steps; SGD with batches of 32 makes 82. (With your functions.)

# %%
try:
    start = init_params()
    _, sgd_losses = train_tiny_cnn(start, x_train, y_train, epochs=2, batch_size=32, lr=0.2, seed=0)
    _, gd_losses = train_tiny_cnn(start, x_train, y_train, epochs=2, batch_size=len(x_train), lr=0.2, seed=0)
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(np.linspace(0, 2, len(sgd_losses)), sgd_losses, label=f"SGD, batches of 32 ({len(sgd_losses)} steps)")
    ax.plot(np.linspace(0, 2, len(gd_losses)), gd_losses, "o-",
            label=f"gradient descent, all {len(x_train)} ({len(gd_losses)} steps)")
    ax.set_xlabel("epochs (passes over the training set)", fontsize=11)
    ax.set_ylabel("training loss", fontsize=11)
    ax.set_title("Same work, many more steps: SGD learns far faster per epoch", fontsize=11)
    ax.legend(fontsize=10)
    plt.show()
except NotImplementedError as missing:
    print(f"Implement train_tiny_cnn and the functions it uses first ({missing}), then run this cell again.")

# %% [markdown]
# **The real run.** Eight epochs, a new shuffle each epoch (`seed=epoch`), the validation accuracy
# after each, the test accuracy once at the end, and a progress bar. On a laptop CPU this takes a few seconds when your `conv2d` and
# `conv2d_backward` loop over the kernel taps (9 steps) and let numpy do the images and positions; a
# version with Python loops over every image and pixel is hundreds of times slower (section 9), too
# slow for the hidden test, which trains 5 epochs in a test cell that may run at most 60 s.

# %%
def accuracy(params, x, y):
    """Fraction of images whose highest score is the right digit."""
    return float(np.mean(tiny_cnn_forward(x, params)[0].argmax(axis=1) == y))


EPOCHS, BATCH, LR = 8, 32, 0.2
params, losses, train_acc, val_acc = init_params(), [], [], []
began = time.perf_counter()
try:
    for epoch in tqdm(range(EPOCHS), desc="training (epochs)"):
        params, epoch_losses = train_tiny_cnn(params, x_train, y_train, epochs=1, batch_size=BATCH, lr=LR, seed=epoch)
        losses.extend(epoch_losses)
        train_acc.append(accuracy(params, x_train, y_train))
        val_acc.append(accuracy(params, x_val, y_val))
    seconds = time.perf_counter() - began
    print(f"{EPOCHS} epochs in {seconds:.1f} s: {val_acc[-1]:.1%} of the {len(y_val)} validation digits right "
          f"({train_acc[-1]:.1%} of the training digits); once, at the end: "
          f"{accuracy(params, x_test, y_test):.1%} of the {len(y_test)} test digits")
    if seconds / EPOCHS * 5 > 45:  # the hidden test trains 5 epochs, and a test cell may run 60 s at most
        print("Warning: that is slow. The hidden test of train_tiny_cnn trains 5 epochs within a 60 s limit: "
              "vectorise your conv2d and conv2d_backward (loop over kernel taps, not over images and pixels; section 9).")
    trained = True
except NotImplementedError as missing:
    print(f"Implement the functions above first ({missing}), then run this cell again.")
    trained = False

# %%
if trained:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    steps_per_epoch = len(losses) / EPOCHS
    axes[0].plot(np.arange(len(losses)) / steps_per_epoch, losses, lw=0.8, label="each mini-batch")
    smooth = np.convolve(losses, np.ones(20) / 20, mode="valid")
    axes[0].plot((np.arange(len(smooth)) + 19) / steps_per_epoch, smooth, lw=2, label="mean of 20 batches")
    axes[0].set_xlabel("epoch", fontsize=11)
    axes[0].set_ylabel("cross-entropy", fontsize=11)
    axes[0].set_title("training loss", fontsize=11)
    axes[0].legend(fontsize=10)
    axes[1].plot(np.arange(1, EPOCHS + 1), train_acc, "o-", label="training digits")
    axes[1].plot(np.arange(1, EPOCHS + 1), val_acc, "s-", label="validation digits")
    axes[1].axhline(0.9, color="grey", ls="--", lw=1, label="90 %")
    axes[1].set_xlabel("epoch", fontsize=11)
    axes[1].set_ylabel("accuracy", fontsize=11)
    axes[1].set_title("accuracy after each epoch", fontsize=11)
    axes[1].legend(fontsize=10)
    fig.tight_layout()
    plt.show()
else:
    print("Train the network above first.")

# %% [markdown]
# The mini-batch loss is noisy (each batch is a different sample), but its mean falls steadily.
# When the training accuracy climbs well above the validation one, the network starts to memorise
# its training digits (overfitting, 过拟合); with 1,370 weights and 1,297 images it barely does.
#
# ### What did it learn?
#
# The eight learned 3×3 filters of the first layer (red: positive weights, blue: negative), and
# what each one makes of a test digit: the feature maps after the convolution and ReLU, and after
# pooling. Each filter answers "is my pattern here?": edges of some orientation, ends of strokes.

# %%
if trained:
    w1 = params[0]
    limit = np.abs(w1).max()
    digit = x_test[:1]
    _, (z, a, p, _) = tiny_cnn_forward(digit, params)
    fig, axes = plt.subplots(1, 4, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1, 2.2, 2.2, 2.2]})
    panels = [(digit[0, 0], f"input: a {y_test[0]}", "gray_r", 0, 1),
              (mosaic(w1[:, 0]), "8 learned 3x3 filters (red +, blue -)", "RdBu_r", -limit, limit),
              (mosaic(a[0]), "8 feature maps, conv + ReLU (8x8)", "viridis", 0, a.max()),
              (mosaic(p[0]), "after 2x2 max-pooling (4x4)", "viridis", 0, a.max())]
    for ax, (picture, title, cmap, low, high) in zip(axes, panels):
        ax.imshow(picture, cmap=cmap, vmin=low, vmax=high)
        ax.set_title(title, fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("What the first layer learned, and one digit's maps at each layer (same order: filter 0 top left)",
                 fontsize=12)
    fig.tight_layout()
    plt.show()
else:
    print("Train the network above first.")

# %% [markdown]
# ### Which digits does it confuse?
#
# The **confusion matrix** counts, for each true digit (row), how often each digit was predicted
# (column). The diagonal holds the right answers; anything off it is a confusion.

# %%
if trained:
    predicted = tiny_cnn_forward(x_test, params)[0].argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, predicted), 1)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    image = ax.imshow(confusion, cmap="Blues")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=10,
                    color="white" if count > confusion.max() / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit", fontsize=11)
    ax.set_ylabel("true digit", fontsize=11)
    ax.set_title(f"confusion matrix on the {len(y_test)} test digits", fontsize=11)
    fig.colorbar(image, ax=ax, label="count")
    plt.show()
    off = confusion - np.diag(np.diag(confusion))
    i, j = np.unravel_index(off.argmax(), off.shape)
    print(f"most frequent confusion: a {i} read as a {j} ({off[i, j]} times)")
else:
    print("Train the network above first.")

# %% [markdown]
# ## 8. See it: what the network sees
#
# Move the **test image** slider to walk through the held-out digits: the picture shows the image,
# the eight feature maps after your convolution and ReLU, the pooled maps and the probabilities
# your network gives each digit (the right one green, a wrong prediction red). Everything is
# computed by your `tiny_cnn_forward` with the parameters you just trained. The **noise** slider
# adds random noise to the image: how much does it take to fool the network? Tick **use my drawing**
# and click the 8×8 grid of buttons to draw a digit of your own (or **copy the test image** and
# change a few pixels).
#
# Try: find a digit it gets wrong (the confusion matrix says which pairs to look for); compare the
# maps of a 1 and a 7; watch which filters stay dark for a given digit; turn a 1 into a 7 one
# pixel at a time and see where the prediction flips.

# %%
tiny_cnn_widget(tiny_cnn_forward, params, x_test, y_test)

# %% [markdown]
# ## 9. Speed: loops against vectorised convolution
#
# Training spends nearly all its time in the convolutions. A convolution written with Python loops
# over every image, filter and position runs millions of tiny steps; numpy is fast only when one
# call does a lot of work. Two ways to hand the whole convolution to one matrix product:
#
# - **im2col** copies every $k_h \times k_w$ window (all $C$ channels) into a row of a matrix of shape
#   $(N H_o W_o,\; C k_h k_w)$; the convolution is then one product with the filters reshaped to
#   $(C k_h k_w, F)$. The price is memory: each pixel is copied up to $k_h k_w$ times.
# - **`sliding_window_view`** (`numpy.lib.stride_tricks`) gives the same windows as a *view*,
#   an array of shape $(N, C, H_o, W_o, k_h, k_w)$ that shares the image's memory (no copy);
#   `np.tensordot` or `np.einsum` then sums over $C, k_h, k_w$.
#
# Below: a plain six-loop convolution (what a first version looks like), your `conv2d`, and an
# im2col version, timed on a batch of 64 digits with 8 filters. Your exercise: write
# `conv2d_windows` with `sliding_window_view` (ungraded; the answer is at the end).

# %%
from numpy.lib.stride_tricks import sliding_window_view


def zero_pad(x, pad):
    """numpy's own padding of the last two axes (this section does not depend on your pad2d)."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def conv2d_loops(x, w, b, pad=0):
    """Six nested loops: one multiply-add per step (stride 1)."""
    xp = zero_pad(x, pad)
    N, C, H, W = xp.shape
    F, _, kh, kw = w.shape
    y = np.zeros((N, F, H - kh + 1, W - kw + 1))
    for n in range(N):
        for f in range(F):
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    total = b[f]
                    for c in range(C):
                        for u in range(kh):
                            for v in range(kw):
                                total += xp[n, c, i + u, j + v] * w[f, c, u, v]
                    y[n, f, i, j] = total
    return y


def im2col(x, kh, kw):
    """Every kh x kw window of x (N, C, H, W) as a row: shape (N*Ho*Wo, C*kh*kw), a copy."""
    N, C, H, W = x.shape
    Ho, Wo = H - kh + 1, W - kw + 1
    cols = np.empty((N, Ho, Wo, C, kh, kw))
    for u in range(kh):
        for v in range(kw):
            cols[:, :, :, :, u, v] = x[:, :, u:u + Ho, v:v + Wo].transpose(0, 2, 3, 1)
    return cols.reshape(N * Ho * Wo, C * kh * kw)


def conv2d_im2col(x, w, b, pad=0):
    """Convolution (stride 1) as one matrix product of the im2col matrix with the filters."""
    xp = zero_pad(x, pad)
    N, C, H, W = xp.shape
    F, _, kh, kw = w.shape
    Ho, Wo = H - kh + 1, W - kw + 1
    out = im2col(xp, kh, kw) @ w.reshape(F, -1).T + b              # (N*Ho*Wo, F)
    return out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)


def conv2d_windows(x, w, b, pad=0):
    """Convolution (stride 1) with sliding_window_view and one tensordot: your exercise."""
    raise NotImplementedError("write conv2d_windows (the answer is at the end of the notebook)")


def best_time(function, *args, repeat=3):
    """The fastest of a few runs, in seconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - began)
    return min(times)


g = np.random.default_rng(9)
xb, wb, bb = x_train[:64], g.standard_normal((8, 1, 3, 3)), g.standard_normal(8)
right = conv2d_im2col(xb, wb, bb, pad=1)
t_loops = best_time(conv2d_loops, xb[:8], wb, bb, 1, repeat=1) * 8      # 8 images, scaled to 64
print(f"six loops      {t_loops * 1000:8.1f} ms (estimated from 8 images)")
timings = {"six loops": t_loops}
for name, function in [("your conv2d", lambda: conv2d(xb, wb, bb, stride=1, pad=1)),
                       ("im2col", lambda: conv2d_im2col(xb, wb, bb, pad=1)),
                       ("sliding windows", lambda: conv2d_windows(xb, wb, bb, pad=1))]:
    try:
        same = np.allclose(function(), right)
        timings[name] = best_time(function)
        print(f"{name:14s} {timings[name] * 1000:8.1f} ms  {timings['six loops'] / timings[name]:7.0f}x faster than six loops"
              f"{'' if same else '  (but its result differs from im2col!)'}")
    except NotImplementedError as missing:
        print(f"{name:14s} not written yet ({missing})")
    except Exception as error:  # e.g. your conv2d from notebook 03 with a bug
        print(f"{name:14s} failed: {type(error).__name__}: {error}")

# %% [markdown]
# **The memory price of im2col.** For a batch of $N$ images the matrix has $N H_o W_o$ rows of
# $C k_h k_w$ numbers: about $k_h k_w$ times the input. For our digits that is 9 times a small
# number; for a 224×224 RGB batch of 64 with 3×3 filters it is
# $64 \cdot 224^2 \cdot 27 \cdot 8$ bytes ≈ 0.7 GB, and 11×11 filters make it 13 times more. This is
# why libraries compute it in tiles, or use the view (no copy) where they can.

# %%
for (n, c, h, k) in [(64, 1, 8, 3), (64, 3, 224, 3), (64, 3, 224, 11)]:
    input_bytes = n * c * h * h * 8
    cols_bytes = n * h * h * c * k * k * 8                           # same padding: Ho = H, Wo = W
    print(f"N={n:3d}, C={c}, {h}x{h}, {k}x{k} filters: input {input_bytes / 2**20:8.1f} MiB, "
          f"im2col matrix {cols_bytes / 2**20:9.1f} MiB ({cols_bytes / input_bytes:.0f}x)")
view = sliding_window_view(zero_pad(xb, 1), (3, 3), axis=(2, 3))
print(f"sliding_window_view: shape {view.shape}, shares memory with its input: {np.shares_memory(view, view.base)}")

# %% [markdown]
# ## Exercises (not graded)
#
# 1. **Learning rate.** Train with `LR = 0.02` and with `LR = 2.0` (section 7). What do the loss
#    curves look like? Why? Which of the three would you keep, judged by the validation accuracy?
# 2. **No activation.** Replace `relu` by the identity in `tiny_cnn_forward` (keep a copy!). The
#    network is now linear in its input up to the pooling. What validation accuracy do you reach?
# 3. **Squared error.** Start from weights scaled by 20 (confident, mostly wrong answers) and train
#    one epoch with cross-entropy, then with the squared-error gradient of section 3. Which one moves?
# 4. **Write `conv2d_windows`** with `sliding_window_view` and `np.tensordot`, and add it to the timing.
# 5. How many weights does the network have? How many would a dense layer from the 64 pixels to 128
#    hidden units and then to 10 classes have?
#
# <details><summary>Answers</summary>
#
# 1. With 0.02 the loss falls slowly: after 8 epochs the accuracy is still lower. With 2.0 the
#    steps overshoot: the loss jumps around or becomes `nan`, and the accuracy drops to chance (10 %).
#    Keep 0.2, the best validation accuracy; its test accuracy, read once, is then a fair estimate.
# 2. Without the ReLU, conv and dense are linear; only the max-pooling bends anything. It still
#    learns something, but usually several points less accurate, and slower.
# 3. Cross-entropy: gradients of size about 1 for the wrong answers, the loss falls at once.
#    Squared error: the softmax is saturated, gradients are tiny, the loss hardly moves.
# 4. ```python
#    def conv2d_windows(x, w, b, pad=0):
#        windows = sliding_window_view(zero_pad(x, pad), w.shape[2:], axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
#        y = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))              # (N, Ho, Wo, F)
#        return y.transpose(0, 3, 1, 2) + b[:, None, None]
#    ```
# 5. Conv: $8 \cdot 9 + 8 = 80$; dense: $128 \cdot 10 + 10 = 1290$; in all 1,370. The dense network:
#    $64 \cdot 128 + 128 + 128 \cdot 10 + 10 = 9{,}610$, seven times more, and it would not know that
#    neighbouring pixels belong together.
# </details>
#
# ## Summary
#
# - A neuron computes $y = wx + b$; stacked linear layers collapse into one, so a non-linear
#   **activation function** (激活函数) such as the ReLU, $\max(0, z)$, goes between them. Its
#   gradient passes where $z > 0$.
# - A **loss** measures how wrong the prediction is. For classification, softmax with
#   **cross-entropy** (交叉熵) gives the gradient $(p - \text{onehot}(y))/N$, which stays large for
#   confident wrong answers; **squared error** through a softmax vanishes exactly there.
# - The tiny CNN — conv, ReLU, max-pool, dense — is assembled from your own layers; its backward
#   pass chains your backward passes, and a numerical gradient of the whole network checks them all.
# - **Gradient descent** steps against the gradient, $\theta \leftarrow \theta - \eta\,\partial E/\partial\theta$;
#   **stochastic gradient descent** (随机梯度下降) estimates it from shuffled mini-batches and makes
#   many more steps per epoch. A few epochs get over 90 % of new handwritten digits right.
# - Loops in Python are slow; im2col turns a convolution into one matrix product at the cost of
#   $k_h k_w$ times the memory, and `sliding_window_view` gets the windows without copying.
