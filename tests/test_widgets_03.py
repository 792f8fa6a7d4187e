"""Notebook 03's widget (cross-correlation versus convolution on a photo), headless (matplotlib Agg)."""
from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import draws_per_change  # noqa: E402

from cnn_course.data import grayscale_photo  # noqa: E402
from cnn_course.widgets import BAD_COLOR  # noqa: E402
from cnn_course.widgets.correlation import (  # noqa: E402
    CUSTOM,
    KERNELS,
    correlation_widget,
    demo,
    impulse,
    is_point_symmetric,
    slide,
)

EMBOSS = "emboss"
BLUR = "box blur (symmetric)"
DELTA = "shifted delta (5×5, a 1 top-left)"


def naive_correlate(x, k):
    kh, kw = k.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
    return out


def right_correlate(x, k):
    return slide(x, k)


def right_convolve(x, k):
    return slide(x, np.asarray(k)[::-1, ::-1])


def not_implemented(x, k):
    raise NotImplementedError()


def crashes(x, k):
    return x / undefined_name  # noqa: F821


def wrong_shape(x, k):
    return slide(x, k)[:-1]


# --- pure logic ------------------------------------------------------------------------------------


def test_slide_is_cross_correlation():
    g = np.random.default_rng(0)
    x, k = g.standard_normal((7, 9)), g.standard_normal((3, 2))
    assert np.allclose(slide(x, k), naive_correlate(x, k))
    assert slide(x, k).shape == (5, 8)


def test_impulse_and_symmetry():
    x = impulse(7)
    assert x.sum() == 1 and x[3, 3] == 1
    assert is_point_symmetric(KERNELS[BLUR])
    assert not is_point_symmetric(KERNELS[EMBOSS])
    assert not is_point_symmetric(KERNELS["Sobel x (vertical edges)"])   # it changes sign
    assert list(KERNELS)[:2] == ["Sobel x (vertical edges)", "Sobel y (horizontal edges)"]


def test_photo_is_grayscale_and_about_128_pixels():
    photo = grayscale_photo(128)
    assert photo.shape == (150, 128) and photo.dtype == np.float64
    assert 0.0 <= photo.min() < photo.max() <= 1.0


# --- the widget ------------------------------------------------------------------------------------


def test_builds_without_functions_and_says_what_to_do():
    w = correlation_widget()
    assert w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pass your cross_correlate2d" in w.text.value and "pass your convolve2d" in w.text.value
    assert w._repr_mimebundle_()


def test_stub_gets_a_note_and_the_widget_keeps_working():
    w = correlation_widget(not_implemented, not_implemented)
    assert "implement cross_correlate2d above, then run this cell again" in w.text.value
    assert "Traceback" not in w.text.value and w.verdicts["convolve2d"][0] == "note"
    image = w.image.value
    w.controls["zoom"].value = 3
    assert w.image.value != image
    w.controls["mode"].value = "impulse"
    assert "implement convolve2d above" in w.text.value


def test_right_functions_agree_and_differ_from_each_other():
    w = correlation_widget(right_correlate, right_convolve)
    assert w.verdicts == {name: ("ok", f"your {name} agrees with the picture's own sliding sum")
                          for name in ("cross_correlate2d", "convolve2d")}
    assert not w.state["symmetric"] and w.state["largest_difference"] > 1
    photo = grayscale_photo(128)
    sobel = KERNELS["Sobel x (vertical edges)"]
    assert np.allclose(w.state["difference"], -2 * slide(photo, sobel))   # Sobel x rotated is -Sobel x


def test_naive_loops_agree_too():
    w = correlation_widget(naive_correlate, lambda x, k: naive_correlate(x, k[::-1, ::-1]), kernel=EMBOSS)
    assert w.verdicts["cross_correlate2d"][0] == w.verdicts["convolve2d"][0] == "ok"


def test_missing_flip_and_extra_flip_are_named():
    w = correlation_widget(right_convolve, right_correlate, kernel=EMBOSS)
    assert w.verdicts["convolve2d"] == ("bad", "your convolve2d returns the cross-correlation: it does not flip "
                                               "the kernel (or flips it twice)")
    assert w.verdicts["cross_correlate2d"] == ("bad", "your cross_correlate2d returns the convolution: it flips the kernel")
    assert BAD_COLOR in w.text.value


def test_symmetric_kernel_cannot_tell_them_apart():
    w = correlation_widget(right_correlate, right_convolve, kernel=BLUR)
    assert w.state["symmetric"] and w.state["largest_difference"] == pytest.approx(0, abs=1e-12)
    assert "same output" in w.text.value


def test_crash_and_wrong_shape_are_reported_not_raised():
    w = correlation_widget(crashes, wrong_shape)
    assert w.verdicts["cross_correlate2d"][0] == "bad" and "NameError" in w.text.value
    assert w.verdicts["convolve2d"][0] == "bad" and "shape" in w.verdicts["convolve2d"][1]
    assert w.state["difference"] is None          # no difference panel without two comparable outputs
    w.controls["kernel"].value = DELTA
    assert w.verdicts["cross_correlate2d"][0] == "bad"


def test_impulse_stamps_the_kernel_upright_for_convolution_and_rotated_for_correlation():
    w = correlation_widget(right_correlate, right_convolve, kernel=EMBOSS, mode="impulse")
    assert w.state["stamps"] == {"cross_correlate2d": "rotated", "convolve2d": "kernel"}
    assert "stamps the kernel" in w.text.value
    w.controls["zoom"].value = 4
    assert w.state["numbers"]                     # zoomed in far enough to print the values


def test_controls_change_the_picture_and_the_text():
    w = correlation_widget(right_correlate, right_convolve)
    image, text = w.image.value, w.text.value
    w.controls["zoom"].value = 2                  # the first control is a slider that changes the picture
    assert w.image.value != image and w.state["view"][0] > 0
    image = w.image.value
    w.controls["operation"].value = "cross-correlation"
    assert w.image.value != image and w.text.value != text and "what a CNN layer computes" in w.text.value
    assert np.array_equal(w.state["slid"], w.state["kernel"])
    w.controls["operation"].value = "convolution"
    assert np.array_equal(w.state["slid"], w.state["kernel"][::-1, ::-1])
    image = w.image.value
    w.controls["kernel"].value = DELTA
    assert w.image.value != image and w.state["kernel"].shape == (5, 5)


def test_choosing_a_kernel_fills_the_boxes_and_editing_a_box_switches_to_your_own():
    w = correlation_widget(right_correlate, right_convolve)
    w.controls["kernel"].value = EMBOSS
    assert [w.boxes[f"k0{j}"].value for j in range(3)] == [-2.0, -1.0, 0.0]
    w.boxes["k11"].value = 5.0
    assert w.controls["kernel"].value == CUSTOM
    assert w.state["kernel"][1, 1] == 5.0 and w.state["kernel"][0, 0] == -2.0
    w.controls["kernel"].value = BLUR             # back to a preset: boxes follow it
    assert w.boxes["k11"].value == pytest.approx(1 / 9, abs=1e-4)
    assert w.controls["kernel"].value == BLUR


def test_all_zero_custom_kernel_draws_without_error():
    w = correlation_widget(right_correlate, right_convolve, kernel=CUSTOM)
    for box in w.boxes.values():
        box.value = 0.0
    assert w.controls["kernel"].value == CUSTOM and not w.state["kernel"].any()
    assert w.state["largest_difference"] == 0


def test_zooming_reuses_the_outputs():
    calls = []

    def counting(x, k):
        calls.append(1)
        return slide(x, k)

    w = correlation_widget(counting, right_convolve)
    for zoom in (2, 3, 4, 5, 1):
        w.controls["zoom"].value = zoom
    assert len(calls) == 1


def test_demo_uses_the_namespace_and_draws_once_per_move():  # latency (< 200 ms): `make benchmark`
    w = demo(types.SimpleNamespace(cross_correlate2d=right_correlate, convolve2d=right_convolve))
    assert draws_per_change(w, w.controls["zoom"], (2, 3, 1)) == [1] * 3
    assert w.verdicts["convolve2d"][0] == "ok"


@pytest.mark.parametrize("functions", [(), (not_implemented, not_implemented), (crashes, wrong_shape),
                                       (right_correlate, right_convolve)], ids=["none", "stubs", "broken", "right"])
def test_no_placeholder_runs_past_its_panel_and_no_title_overlaps(functions):
    from conftest import layout_problems

    w = correlation_widget(*functions)
    assert layout_problems(w.figure) == []
