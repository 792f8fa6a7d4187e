"""Notebook 02's messages name the real cause: round vs ceil, the argument in a ValueError, where the image sits,
time limits and undefined functions (what a student hit when the course was tried)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from cnn_course import checks, record
from grader.cases import CASE_SETS
from grader.course.verdict import judge
from grader.engine.preprocessors import verdict_outputs


def judged(case_set_id: str, function) -> list[str]:
    """The report lines of ``function`` on a case set, judged as the grader judges."""
    cases = CASE_SETS[case_set_id].cases()
    payload = {"id": case_set_id, "outcomes": [record.run_case(function, case.args) for case in cases]}
    return judge(case_set_id, payload, show_calls=True).lines


def hints(lines: list[str]) -> set[str]:
    return {line.split("Hint: ", 1)[1] for line in lines if "Hint: " in line}


def _valid(n, k, stride, pad, dilation):
    if n < 1 or k < 1 or stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
        raise ValueError(f"invalid: n={n}, k={k}, stride={stride}, pad={pad}, dilation={dilation}")
    return n + 2 * pad - dilation * (k - 1) - 1


def rounded(n, k, stride=1, pad=0, dilation=1):
    return round(_valid(n, k, stride, pad, dilation) / stride) + 1


def ceiled(n, k, stride=1, pad=0, dilation=1):
    return math.ceil(_valid(n, k, stride, pad, dilation) / stride) + 1


@pytest.mark.parametrize("kind", ["visible", "hidden"])
def test_round_is_named_round_and_ceil_ceil(kind):
    for function, right, wrong in ((rounded, "(round)", "(ceil)"), (ceiled, "(ceil)", "(round)")):
        named = hints(judged(f"test_conv_output_size_{kind}", function))
        assert named and all(right in hint and wrong not in hint for hint in named), (function.__name__, named)


@pytest.mark.parametrize("kind", ["visible", "hidden"])
def test_the_off_by_one_hint_of_02_uses_only_its_own_symbols(kind):
    named = hints(judged(f"test_conv_output_size_{kind}", lambda n, k, stride=1, pad=0, dilation=1:
                         _valid(n, k, stride, pad, dilation) // stride))
    assert named and all("+ 1" in hint and "kh" not in hint for hint in named)


@pytest.mark.parametrize("function, case_set", [
    (lambda n, k, stride=1, pad=0, dilation=1: _valid(n, k, stride, pad, dilation) // stride + 1 if n > 0 and k > 0
     and stride > 0 and pad >= 0 and dilation > 0 and dilation * (k - 1) < n + 2 * pad else (_ for _ in ()).throw(ValueError()),
     "conv_output_size"),
    (lambda k, dilation=1: dilation * (k - 1) // 2 if k > 0 and dilation > 0 and dilation * (k - 1) % 2 == 0
     else (_ for _ in ()).throw(ValueError("no same padding for this kernel")), "same_padding"),
])
@pytest.mark.parametrize("kind", ["visible", "hidden"])
def test_a_value_error_must_name_the_argument(function, case_set, kind):
    lines = judged(f"test_{case_set}_{kind}", function)
    assert "0 of" in lines[0] and "all its checks must pass" in lines[0]
    failing = [line for line in lines if "FAIL" in line or "Hint" in line]
    assert failing and all("ValueError" in line or "FAIL" in line for line in failing)
    assert any("message should name the argument" in line for line in lines)


def _top_left(x, pad, value=0.0):
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), float(value))
    out[..., :h, :w] = x
    return out


def _minus_slice(x, pad, value=0.0):
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), float(value))
    out[..., ph:-ph, pw:-pw] = x
    return out


@pytest.mark.parametrize("function, words", [(_top_left, "the image must sit in the middle: rows p..p+H-1"),
                                             (_minus_slice, "the slice out[p:-p] is empty")])
@pytest.mark.parametrize("kind", ["visible", "hidden"])
def test_pad2d_placement_mistakes_are_named(function, words, kind):
    lines = judged(f"test_pad2d_{kind}", function)
    assert any(words in hint for hint in hints(lines)), lines


def test_the_visible_check_in_the_kernel_names_them_too(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for case_set, function, words in (("test_pad2d_visible", _top_left, "must sit in the middle"),
                                      ("test_pad2d_visible", _minus_slice, "out[p:-p] is empty"),
                                      ("test_conv_output_size_visible", rounded, "(round)")):
        with pytest.raises(checks.CheckFailed, match=r"scores 0 of 2 points: all its checks must pass") as failure:
            checks.check(case_set, function)
        assert words in str(failure.value)


def test_eight_of_nine_right_says_the_cell_scores_nothing():
    def almost(n, k, stride=1, pad=0, dilation=1):
        if (n, k, dilation) == (10, 3, 3):
            return 3
        return (_valid(n, k, stride, pad, dilation)) // stride + 1
    lines = judged("test_conv_output_size_visible", almost)
    total = len(CASE_SETS["test_conv_output_size_visible"].cases())
    assert lines[0] == (f"conv_output_size: {total - 1} of {total} checks passed — "
                        "this test cell scores 0 of 2 points: all its checks must pass")


def _error(ename, evalue):
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}


def test_a_timeout_and_an_undefined_function_are_explained():
    text = lambda outputs: "\n".join(outputs[0]["traceback"])  # noqa: E731 - a failed test: one error output
    stopped = verdict_outputs("test_pad2d_visible", [_error("KeyboardInterrupt", "")], 2, [], 60)
    assert "ran longer than the time limit (60 s) and was stopped: an endless loop?" in text(stopped)
    assert "KeyboardInterrupt" not in text(stopped) and stopped[-1]["output_type"] == "error"
    undefined = [_error("NameError", "name 'same_padding' is not defined")]
    syntax = verdict_outputs("test_same_padding_hidden", undefined, 3,
                             [("same_padding", _error("SyntaxError", "invalid syntax (1234.py, line 2)"))], 60)
    assert ("same_padding is not defined: the cell 'same_padding' stopped with SyntaxError: invalid syntax"
            in text(syntax))
    assert "scores 0 of 3 points" in text(syntax)
    looped = verdict_outputs("test_same_padding_hidden", undefined, 3, [("same_padding", _error("KeyboardInterrupt", ""))], 60)
    assert ("same_padding is not defined: the cell 'same_padding' ran longer than the time limit (60 s) and was "
            "stopped (an endless loop?), so same_padding was never defined") in text(looped)
    unknown = verdict_outputs("test_same_padding_hidden", undefined, 3, [], 60)
    assert "did its cell run without errors? (a SyntaxError there leaves it undefined)" in text(unknown)
