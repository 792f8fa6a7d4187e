"""Notebook 07's reference (the tiny CNN) against independent oracles, never against itself.

Oracles: the plain-loop layers of ``tests/oracle_naive.py`` composed by hand, and central finite
differences (``naive.finite_difference``) for every gradient and for one step of training.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.course import reference as R

try:                                 # tests/ as a package, or as a plain folder on sys.path
    from tests import oracle_naive as naive
except ImportError:                  # pragma: no cover
    import oracle_naive as naive

FD = dict(rtol=1e-5, atol=1e-7)


def tiny(seed: int, n: int = 3, c: int = 1, h: int = 4, w: int = 6, f: int = 2, k: int = 3):
    """Small images, labels and parameters of the tiny CNN (non-square images, K = 3 classes)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w))
    params = (rng.normal(size=(f, c, 3, 3)) * 0.5, rng.normal(size=f) * 0.1,
              rng.normal(size=(f * (h // 2) * (w // 2), k)) * 0.5, rng.normal(size=k) * 0.1)
    return x, rng.integers(0, k, size=n), params


def naive_scores(x, params):
    w1, b1, w2, b2 = params
    z = naive.conv2d(x, w1, b1, stride=1, pad=(w1.shape[2] // 2, w1.shape[3] // 2))
    pooled, _ = naive.max_pool2d(np.where(z > 0, z, 0.0), 2)
    return pooled.reshape(len(x), -1) @ w2 + b2


def naive_loss(scores, y):
    """-(1/N) sum_n log softmax(scores[n])[y_n], one row at a time with math's log and exp."""
    total = 0.0
    for row, label in zip(scores, y):
        top = max(row)
        total += top + math.log(sum(math.exp(v - top) for v in row)) - row[label]
    return total / len(scores)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=4, max_side=4), elements=st.floats(-1e6, 1e6)))
def test_relu_is_the_elementwise_maximum_with_zero(x):
    expected = np.array([v if v > 0 else 0.0 for v in x.ravel()]).reshape(x.shape)
    np.testing.assert_array_equal(R.relu(x), expected)


def test_relu_backward_is_the_finite_difference_away_from_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    x[np.abs(x) < 0.01] = 0.5  # the kink at 0 has no derivative
    dout = rng.normal(size=x.shape)
    numeric = naive.finite_difference(lambda v: float(np.sum(dout * np.where(v > 0, v, 0.0))), x)
    np.testing.assert_allclose(R.relu_backward(dout, x), numeric, **FD)


@pytest.mark.parametrize("seed", range(3))
def test_softmax_cross_entropy_loss_and_gradient(seed):
    rng = np.random.default_rng(seed)
    scores, y = rng.normal(size=(4, 5)) * 3, rng.integers(0, 5, size=4)
    loss, dscores = R.softmax_cross_entropy(scores, y)
    assert loss == pytest.approx(naive_loss(scores, y), rel=1e-12)
    np.testing.assert_allclose(dscores, naive.finite_difference(lambda s: naive_loss(s, y), scores), **FD)


@pytest.mark.parametrize("seed", range(2))
def test_tiny_cnn_forward_is_the_loop_layers_composed(seed):
    x, _, params = tiny(seed)
    scores, _ = R.tiny_cnn_forward(x, params)
    np.testing.assert_allclose(scores, naive_scores(x, params), rtol=1e-12, atol=1e-12)


def test_tiny_cnn_backward_is_the_finite_difference_of_the_loss():
    x, y, params = tiny(1)
    scores, cache = R.tiny_cnn_forward(x, params)
    _, dscores = R.softmax_cross_entropy(scores, y)
    grads = R.tiny_cnn_backward(dscores, x, params, cache)
    for i, (param, grad) in enumerate(zip(params, grads)):
        def loss_at(value, i=i):
            moved = list(params)
            moved[i] = value
            return naive_loss(naive_scores(x, moved), y)
        np.testing.assert_allclose(grad, naive.finite_difference(loss_at, param), **FD, err_msg=f"parameter {i}")


def test_sgd_step_moves_each_parameter_against_its_gradient_and_keeps_the_old_ones():
    _, _, params = tiny(2)
    grads = tuple(np.full_like(p, 2.0) for p in params)
    before = [p.copy() for p in params]
    moved = R.sgd_step(params, grads, 0.25)
    for old, kept, new in zip(before, params, moved):
        np.testing.assert_array_equal(kept, old)
        np.testing.assert_array_equal(new, old - 0.5)


def test_one_step_of_training_is_a_finite_difference_gradient_step():
    x, y, params = tiny(3, n=4)
    (trained, losses) = R.train_tiny_cnn(params, x, y, epochs=1, batch_size=len(x), lr=0.1, seed=0)
    assert losses.shape == (1,) and losses[0] == pytest.approx(naive_loss(naive_scores(x, params), y), rel=1e-10)
    for i, (param, new) in enumerate(zip(params, trained)):
        def loss_at(value, i=i):
            moved = list(params)
            moved[i] = value
            return naive_loss(naive_scores(x, moved), y)
        np.testing.assert_allclose(new, param - 0.1 * naive.finite_difference(loss_at, param), **FD,
                                   err_msg=f"parameter {i}")
