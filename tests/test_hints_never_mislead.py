"""Wrong answers a lecturer wrote in review, whose hints once stated something false (issue: hints that never
mislead). Each must lose points, must not be told the false thing again, and, where the mistake belongs to a
family the catalogue names (flat-index decoding, batch averaging, rotation count, a pair read as one number),
must be named by that family's one wording, in the visible and the hidden verdict alike.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from cnn_course.pairs import pair as _pair
from grader.course import reference as R
from grader.course.mistakes import (
    BATCH_AVERAGED,
    FLAT_INDEX_WITH_H,
    ONE_INSIDE_DIVISION,
    ROTATED_NEVER_OR_TWICE,
    one_number_of_pair,
)
from tests.diagnosis_helpers import hidden_verdict


def conv2d_size_pad_once(x, w, b, stride=1, pad=0):
    """Output size (H + 2p - k + 1) // s, the rest right: the map cut or padded to that size."""
    y = R.conv2d(x, w, b, stride, pad)
    (sh, sw), (ph, pw), (kh, kw) = _pair(stride), _pair(pad), w.shape[2:]
    size = ((x.shape[2] + 2 * ph - kh + 1) // sh, (x.shape[3] + 2 * pw - kw + 1) // sw)
    out = np.zeros(y.shape[:2] + size)
    h, wd = min(size[0], y.shape[2]), min(size[1], y.shape[3])
    out[:, :, :h, :wd] = y[:, :, :h, :wd]
    return out


def conv2d_stride_first_number(x, w, b, stride=1, pad=0):
    return R.conv2d(x, w, b, _pair(stride)[0], pad)


def softmax_cross_entropy_eps(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = len(scores)
    grad = p.copy()
    grad[np.arange(n), y] -= 1
    return -np.mean(np.log(p[np.arange(n), y] + 1e-12)), grad / n


def relative_error_of_norms(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def via_conv_rotated_twice(x, w, b, stride=1, pad=0, output_padding=0):
    return R.conv_transpose2d_via_conv(x, np.asarray(w)[:, :, ::-1, ::-1], b, stride, pad, output_padding)


def lc_bias_of_first_position(x, w, b, stride=1, pad=0):
    return R.locally_connected2d(x, w, np.zeros_like(b), stride, pad) + b[:, :1, :1]


def _decoded_with_h(values, switches, shape, add):
    out = np.zeros(shape)
    h, w = shape[2:]
    for index in np.ndindex(switches.shape):
        row, col = divmod(int(switches[index]), h)
        if row < h and col < w:
            out[index[:2] + (row, col)] = out[index[:2] + (row, col)] * add + values[index]
    return out


def unpool_decoded_with_h(y, switches, output_size):
    return _decoded_with_h(y, switches, y.shape[:2] + _pair(output_size), add=False)


def pool_backward_decoded_with_h(dout, switches, input_shape):
    return _decoded_with_h(dout, switches, tuple(input_shape), add=True)


def conv_backward_db_averaged(dout, x, w, stride=1, pad=0):
    dx, dw, db = R.conv2d_backward(dout, x, w, stride, pad)
    return dx, dw, db / len(dout)


def forward_relu_after_pooling(x, params):
    w1, b1, w2, b2 = params
    z = R.conv2d(x, w1, b1, 1, (w1.shape[2] // 2, w1.shape[3] // 2))
    pooled, switches = R.max_pool2d(z, 2)
    p = R.relu(pooled)
    return p.reshape(len(p), -1) @ w2 + b2, (z, R.relu(z), p, switches)


#: (function, wrong code, what it must never be told, what names it in both verdicts or None)
REVIEWED = [
    ("conv2d", conv2d_size_pad_once, ["pad applied once", "several samples (N > 1) and stride"], ONE_INSIDE_DIVISION),
    ("conv2d", conv2d_stride_first_number, ["b has negative entries"], one_number_of_pair("stride", "first")),
    ("softmax_cross_entropy", softmax_cross_entropy_eps, ["square", "off by the same amount"], None),
    ("relative_error", relative_error_of_norms, ["equal entries (ties)"], None),
    ("conv_transpose2d_via_conv", via_conv_rotated_twice, [], ROTATED_NEVER_OR_TWICE),
    ("locally_connected2d", lc_bias_of_first_position, ["bias forgotten"], "the bias of position (0, 0) used"),
    ("max_unpool2d", unpool_decoded_with_h, ["is not square", "some such cases pass"], FLAT_INDEX_WITH_H),
    ("max_pool2d_backward", pool_backward_decoded_with_h, ["when dout has several channels", "some such cases pass"], FLAT_INDEX_WITH_H),
    ("conv2d_backward", conv_backward_db_averaged, [], BATCH_AVERAGED),
    ("tiny_cnn_forward", forward_relu_after_pooling, ["the ReLU is missing"], "the ReLU comes before the pooling"),
]


@pytest.mark.parametrize("function, wrong, never, named", REVIEWED, ids=[r[1].__name__ for r in REVIEWED])
def test_a_reviewed_wrong_answer_is_never_told_something_false(function, wrong, never, named):
    wrong.__signature__ = inspect.signature(getattr(R, function))
    for visible in (True, False):
        verdict = hidden_verdict(function, wrong, visible)
        text = "\n".join(verdict.lines)
        if verdict.passed:
            assert visible, f"{wrong.__name__} passes the hidden test"
            continue
        for false in never:
            assert false not in text, text
        if named:
            assert named in text, text


def test_the_visible_check_names_first_a_failing_function_of_the_notebook_that_the_function_calls():
    """In the student's kernel: tiny_cnn_forward is right but calls a ReLU that is not."""
    from cnn_course import checks

    student = {"np": np, "conv2d": R.conv2d, "max_pool2d": R.max_pool2d}
    exec("def relu(x):\n"
         "    return np.abs(x)\n"
         "def tiny_cnn_forward(x, params):\n"
         "    w1, b1, w2, b2 = params\n"
         "    z = conv2d(x, w1, b1, 1, (w1.shape[2] // 2, w1.shape[3] // 2))\n"
         "    a = relu(z)\n"
         "    p, switches = max_pool2d(a, 2)\n"
         "    return p.reshape(len(p), -1) @ w2 + b2, (z, a, p, switches)\n", student)
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check("test_tiny_cnn_forward_visible", student["tiny_cnn_forward"])
    lines = str(failure.value).splitlines()
    assert lines[1] == ("  first: tiny_cnn_forward calls your relu, which fails its own test: fix relu first "
                        "(this test may fail only because of that)")
    with pytest.raises(checks.CheckFailed) as failure:  # its own check says nothing of the kind
        checks.check("test_relu_visible", student["relu"])
    assert "first:" not in str(failure.value)
    student["relu"] = R.relu  # once the ReLU is right, the forward pass passes (its bug was the ReLU's)
    checks.check("test_tiny_cnn_forward_visible", student["tiny_cnn_forward"])


def test_the_visible_and_the_hidden_test_name_the_same_mistake():
    """Every catalogued wrong implementation that fails both tests with hints gets a hint in common from them."""
    from grader.course.catalogue import WRONG

    def hints(verdict):
        return {line.strip() for line in "\n".join(verdict.lines).splitlines() if line.strip().startswith("Hint: ")}

    disagree = []
    for wrong in WRONG:
        visible, hidden = (hidden_verdict(wrong.function, wrong.impl.compiled, v) for v in (True, False))
        if not visible.passed and not hidden.passed and hints(visible) and hints(hidden) \
                and not hints(visible) & hints(hidden):
            disagree.append(f"{wrong.function} ({wrong.label}): {sorted(hints(visible))} / {sorted(hints(hidden))}")
    assert not disagree, disagree
