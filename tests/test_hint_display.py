"""How hints read (``cnn_course.checks.render``): each distinct hint once per test, plain numbers, word-boundary
wrapping in the red box; and 06's messages that go beyond a shape (overlap_count's length, a flipped kernel)."""
from __future__ import annotations

import pytest

from cnn_course import checks
from grader.course.catalogue import wrong_for


def visible_report(case_set_id: str, function_name: str, label: str) -> str:
    """The whole report of a visible test on a catalogued mistake, as the notebook's check shows it."""
    mistake = next(w for w in wrong_for(function_name) if w.label == label)
    with pytest.raises(checks.CheckFailed) as failed:  # outside IPython a failing check raises with every line
        checks.check(case_set_id, mistake.impl.compiled)
    return str(failed.value)


def test_a_hint_is_given_once_per_test_and_later_cases_point_back_to_it():
    report = visible_report("test_pad2d_visible", "pad2d", "pad added at the bottom/right only")
    assert report.count("FAIL") >= 3
    assert report.count("Hint: pad applied once in total") == 1
    assert report.count(checks.SAME_HINT) == report.count("FAIL") - 1
    hint_line = next(line for line in report.splitlines() if "Hint:" in line)
    assert hint_line.startswith("        Hint: "), hint_line  # a line of its own, under its case


def test_numbers_read_as_numbers_not_numpy_reprs():
    report = visible_report("test_mean_pool2d_visible", "mean_pool2d", "sum instead of mean")
    assert "np.float64" not in report and "got " in report
    assert checks.plain_numbers("got np.float64(1.0), expected np.int64(-3) at np.True_") == \
        "got 1.0, expected -3 at np.True_"


def test_rendering_leaves_hint_choice_and_passing_lines_alone():
    lines = ["f: 1 of 3 checks passed", "  ok    a",
             "  FAIL  b\n        f(x=1): the result is 2, expected 3. Hint: off by one",
             "  FAIL  c\n        f(x=2): the result is 3, expected 4. Hint: off by one"]
    shown = checks.render(lines)
    assert shown[:2] == lines[:2]
    assert shown[2] == "  FAIL  b\n        f(x=1): the result is 2, expected 3.\n        Hint: off by one"
    assert shown[3] == f"  FAIL  c\n        f(x=2): the result is 3, expected 4. {checks.SAME_HINT}"


def test_the_red_box_wraps_at_word_boundaries():
    box = checks.failure_html(["f: 0 of 1 checks passed", "  FAIL  a\n        " + "word " * 60])
    assert "word-break:normal" in box and "overflow-wrap:break-word" in box  # JupyterLab's outputs use break-all


def test_overlap_count_of_the_wrong_length_says_how_long_it_should_be():
    report = visible_report("test_overlap_count_visible", "overlap_count", "length n * stride")
    assert "has shape" in report and "(n-1)*stride + k positions" in report


@pytest.mark.parametrize("function", ["conv_transpose2d", "conv_transpose2d_via_conv"])
def test_a_flipped_kernel_fails_most_visible_checks_of_the_transposed_convolution(function):
    label = {"conv_transpose2d": "kernel flipped", "conv_transpose2d_via_conv": "kernel not flipped"}[function]
    report = visible_report(f"test_{function}_visible", function, label)
    checks_run = report.count("FAIL") + report.count("  ok  ")
    assert report.count("FAIL") >= checks_run - 1, report  # only the kernel of ones cannot tell
