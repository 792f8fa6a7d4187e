"""Notebook 06's checkerboard widget, headless."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from cnn_course.widgets.checkerboard import checkerboard_widget, transposed_taps  # noqa: E402
from grader.course import reference as R  # noqa: E402


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_taps_counted_one_by_one_match_the_reference():
    for n in range(1, 6):
        for k in range(1, 7):
            for s in range(1, 5):
                assert np.array_equal(transposed_taps(n, k, s), R.overlap_count(n, k, s))


def test_stubs_get_notes_and_the_picture_still_draws():
    w = checkerboard_widget(stub, stub, stub, stub)
    assert w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert w.verdict[0] == "note" and "implement overlap_count above" in w.text.value
    assert w.state["transposed"] is None and w.state["resized"] is None
    w.sliders["k"].value = 4
    assert w.state["even"] and "same number of taps, not the same weights" in w.text.value
    assert "no checkerboard" not in w.text.value  # equal counts are not equal sums of weights


def test_right_functions_agree_and_show_the_checkerboard_and_its_remedy():
    w = checkerboard_widget(R.overlap_count, R.conv_transpose2d, R.upsample_nearest, R.conv2d, k=3, stride=2, n=6)
    assert w.verdict[0] == "ok"
    interior = w.state["transposed"][0, 0, 2:-2, 2:-2]
    assert interior.std() > 0.1 * interior.mean()               # uneven overlap: a pattern on a constant input
    resized = w.state["resized"][0, 0, 3:-3, 3:-3]
    assert np.allclose(resized, resized[0, 0])                   # resize-then-convolve: flat interior
    image = w.image.value
    w.sliders["stride"].value = 1
    assert w.image.value != image and w.state["even"]


def test_a_wrong_overlap_count_is_shown_as_wrong_and_a_crash_is_a_message():
    w = checkerboard_widget(lambda n, k, stride: np.minimum(R.overlap_count(n, k, stride), 1))
    assert w.verdict[0] == "bad" and "your overlap_count" in w.verdict[1]
    w = checkerboard_widget(lambda n, k, stride: undefined_name)  # noqa: F821
    assert w.verdict[0] == "bad" and "NameError" in w.verdict[1]


def test_functions_from_earlier_notebooks_say_which_notebook_they_come_from():
    w = checkerboard_widget(R.overlap_count, R.conv_transpose2d, R.upsample_nearest, stub)
    shown = "\n".join(t.get_text() for t in w.axes[3].texts)
    assert "conv2d comes from notebook 03_correlation_convolution" in " ".join(shown.split())
    assert "implement conv2d above" not in " ".join(shown.split())
    assert all(len(line) <= 24 or " " not in line for line in shown.splitlines())  # wrapped inside its panel


def test_an_even_overlap_is_not_a_flat_output_as_the_caption_says():
    """k=4, s=2 overlaps evenly, but the widget's random kernel still alternates on a constant image: equal counts
    of taps are not equal sums of weights (the notebook said "the interior is even")."""
    w = checkerboard_widget(R.overlap_count, R.conv_transpose2d, R.upsample_nearest, R.conv2d, k=4, stride=2, n=6)
    interior = w.state["transposed"][0, 0, 3:-3, 3:-3]
    assert w.state["even"] and interior.std() > 0.01 * interior.mean()
