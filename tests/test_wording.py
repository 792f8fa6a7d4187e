"""The course's words about the central distinction hold: convolution rotates the kernel once, never twice.

By 03's definition convolution is cross-correlation with the kernel rotated by 180 degrees. So the
input gradient (05) and a stride-1 transposed convolution (06) are a full *convolution with the
kernel as it is*, or equally a full *cross-correlation with the rotated kernel*; "a convolution with
the rotated kernel" rotates twice. The numbers here check the claim with scipy, and the phrase
checks hold every text a student or instructor reads to one of the two right wordings.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from grader import config
from grader.cases import for_notebook
from grader.course import mistakes
from grader.course import reference as R

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = config.assignments()

#: "convolution ... rotated/flipped kernel" in one clause, unless the clause turns into the
#: cross-correlation (or says the kernel is used as it is) before the rotation is named.
DOUBLE_ROTATION = re.compile(
    r"\bconvolution\b(?:(?!correlat|as it is|as they are)[^.;:?!]){0,90}?"
    r"(?:\brotated\b|\bflipped\b|\brot180\b|180-degree|\brotation\b)", re.I)


def _flat(text: str) -> str:
    """Prose as one line: comment marks, emphasis and line breaks gone (a sentence may span lines)."""
    lines = [re.sub(r"^\s*#+ ?", "", line) for line in text.splitlines()]
    return " ".join(" ".join(lines).replace("*", "").split())


@cache
def _texts() -> dict[str, str]:
    """Everything that explains the course: notebook sources, the graded functions' docstrings, hints, case
    notes, the contract, the README."""
    sources = [*sorted((ROOT / "solutions").glob("*/*.py")), *sorted((ROOT / "grader" / "course" / "notebooks").glob("*/*.py")),
               *sorted((ROOT / "grader" / "cases").glob("nb*.py"))]
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in sources}
    for name in ("docs/course-spec.md", "README.md", "CONTRIBUTING.md"):
        texts[name] = (ROOT / name).read_text()
    for assignment in ASSIGNMENTS:
        words = []
        for case_set in for_notebook(assignment):
            words += [case.note for case in case_set.cases()]
            words += [hint for hint, _ in mistakes.variants_for(case_set.function)]
        texts[f"hints and case notes of {assignment}"] = ". ".join(words)
    return texts


@pytest.mark.parametrize("sentence", [
    "the input gradient a full convolution with the kernel rotated by 180° — zero padding",
    "dx: the full convolution of the (stride-dilated)\n      sensitivity map with the kernels rotated by 180 degrees",
    "# a stride-1\n# transposed convolution *is* a full convolution with the rotated kernel",
    "the \"full convolution with the flipped kernel\" of notebook 05",
    "dx is the FULL convolution with the 180-degree rotated kernel",
])
def test_the_phrase_check_catches_the_double_rotation(sentence):
    assert DOUBLE_ROTATION.search(_flat(sentence))


@pytest.mark.parametrize("sentence", [
    "Convolution is cross-correlation with the kernel rotated by 180 degrees",
    "dx is the full convolution of delta with the kernel as it is (= cross-correlation of the padded map "
    "with the kernel rotated by 180 degrees)",
    "a full convolution with the kernel as it is (equivalently, a full cross-correlation with the kernel rotated by 180°)",
    "Convolution rotates once more",
])
def test_the_phrase_check_lets_the_right_wordings_through(sentence):
    assert not DOUBLE_ROTATION.search(_flat(sentence))


@pytest.mark.parametrize("name", list(_texts()))
def test_no_text_rotates_the_kernel_twice(name):
    found = [m.group(0) for m in DOUBLE_ROTATION.finditer(_flat(_texts()[name]))]
    assert not found, (f"{name}: a convolution with the rotated kernel rotates twice; say 'convolution with the "
                       f"kernel as it is' or 'cross-correlation with the kernel rotated by 180°': {found}")


@pytest.mark.parametrize("assignment", ["05_backprop", "06_transposed_convolution"])
def test_the_full_convolution_is_named_with_the_kernel_as_it_is(assignment):
    text = _flat((ROOT / "solutions" / assignment / f"{assignment}.py").read_text())
    assert re.search(r"full convolution[^.;]{0,80}with the kernels? as (it is|they are)", text)


def test_the_input_gradient_is_a_full_convolution_with_the_kernel_as_it_is():
    """What 05 says, in scipy's words; and the double rotation gives different numbers."""
    g = np.random.default_rng(5)
    x, w = g.standard_normal((1, 1, 6, 7)), g.standard_normal((1, 1, 3, 2))   # a non-square, asymmetric kernel
    delta = g.standard_normal(R.conv2d(x, w, np.zeros(1)).shape)
    dx = R.conv2d_backward(delta, x, w)[0][0, 0]
    d, k = delta[0, 0], w[0, 0]
    np.testing.assert_allclose(dx, scipy.signal.convolve2d(d, k, mode="full"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, scipy.signal.correlate2d(d, k[::-1, ::-1], mode="full"), rtol=1e-12, atol=1e-12)
    assert not np.allclose(dx, scipy.signal.convolve2d(d, k[::-1, ::-1], mode="full"))


def test_a_stride_1_transposed_convolution_is_a_full_convolution_with_the_kernel_as_it_is():
    """What 06 says: the same identity, for conv_transpose2d."""
    g = np.random.default_rng(6)
    x, w = g.standard_normal((1, 1, 4, 5)), g.standard_normal((1, 1, 2, 3))
    y = R.conv_transpose2d(x, w, np.zeros(1))[0, 0]
    np.testing.assert_allclose(y, scipy.signal.convolve2d(x[0, 0], w[0, 0], mode="full"), rtol=1e-12, atol=1e-12)
    assert not np.allclose(y, scipy.signal.convolve2d(x[0, 0], w[0, 0, ::-1, ::-1], mode="full"))


def _sources() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "solutions").glob("*/*.py")))


@pytest.mark.parametrize("term", ["步长", "插零", "全卷积", "宽卷积", "棋盘效应", "小批量", "梯度检验", "反池化", "平方误差", "均方误差",
                                  "分组卷积", "深度可分离卷积", "空洞卷积", "扩张卷积", "双线性插值", "逐通道卷积", "梯度消失"])
def test_chinese_terms_are_given(term):
    assert term in _sources()


def test_squared_error_is_not_called_a_difference_of_squares():
    assert "平方差" not in _sources()   # 平方差 is a² − b²


def test_the_numbers_07_and_06_state_are_right():
    text = _flat((ROOT / "solutions" / "07_tiny_cnn" / "07_tiny_cnn.py").read_text())
    p = 1 / (1 + np.exp(10.0))                                  # softmax of the right class at margin -10
    assert f"about {1 / (2 * p * (1 - p)):,.0f}" in text        # cross-entropy's push over squared error's
    assert f"= {64 * 128 + 128 + 128 * 10 + 10:,}".replace(",", "{,}") in text   # the dense network's parameters
    assert f"{8 * 9 + 8 + 128 * 10 + 10:,} weights" in text
    from grader.course.notebooks.nb06_transposed_convolution.reference import overlap_count
    counts = overlap_count(5, 3, 2)
    distinct = len(set(np.outer(counts, counts).ravel()))
    assert f"has {['no', 'one', 'two', 'three', 'four'][distinct]} different values" in \
        _flat((ROOT / "solutions" / "06_transposed_convolution" / "06_transposed_convolution.py").read_text())
