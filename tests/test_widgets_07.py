"""Notebook 07's widget (what the tiny CNN sees), headless (matplotlib Agg, no browser)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnn_course.data import load_digits  # noqa: E402
from cnn_course.widgets import tiny_cnn  # noqa: E402
from cnn_course.widgets.tiny_cnn import forward_views, mosaic, softmax, tiny_cnn_widget  # noqa: E402
from grader.course import reference as R  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    x_train, y_train, x_test, y_test = load_digits()
    g = np.random.default_rng(0)
    params = (g.standard_normal((8, 1, 3, 3)) * np.sqrt(2 / 9), np.zeros(8),
              g.standard_normal((128, 10)) * np.sqrt(1 / 128), np.zeros(10))
    params, _ = R.train_tiny_cnn(params, x_train, y_train, epochs=2, batch_size=32, lr=0.2, seed=0)
    return params, x_test[:40], y_test[:40]


def stub(x, params):
    raise NotImplementedError()


def crashes(x, params):
    return x @ params  # a bug: ValueError from numpy


def no_cache(x, params):
    return R.tiny_cnn_forward(x, params)[0]  # forgot the cache


def test_mosaic_tiles_maps_with_gaps():
    maps = np.arange(8 * 2 * 3, dtype=float).reshape(8, 2, 3)
    tiled = mosaic(maps, columns=4)
    assert tiled.shape == (2 * 2 + 1, 4 * 3 + 3)
    assert np.array_equal(tiled[:2, :3], maps[0]) and np.array_equal(tiled[3:5, 12:15], maps[7])
    assert np.isnan(tiled[2]).all() and np.isnan(tiled[:, 3]).all()
    assert mosaic(maps[:5], columns=4).shape == (5, 15)    # a partly filled last row


def test_softmax_is_a_distribution_without_overflow():
    p = softmax(np.array([1000.0, 0.0, -1000.0]))
    assert np.isclose(p.sum(), 1) and p[0] == 1.0


def test_forward_views_are_the_students_cache(trained):
    params, x, _ = trained
    views = forward_views(R.tiny_cnn_forward, x[3], params)
    scores, (z, a, p, _) = R.tiny_cnn_forward(x[3:4], params)
    assert np.array_equal(views["relu"], a[0]) and np.array_equal(views["pool"], p[0])
    assert np.allclose(views["probs"], softmax(scores[0])) and np.isclose(views["probs"].sum(), 1)


def test_right_function_draws_maps_and_a_prediction(trained):
    params, x, y = trained
    widget = tiny_cnn_widget(R.tiny_cnn_forward, params, x, y)
    assert widget.state["ready"]
    scores = R.tiny_cnn_forward(x[:1], params)[0]
    assert widget.state["prediction"] == int(scores.argmax()) and widget.state["label"] == int(y[0])
    assert "prediction:" in widget.text.value and bytes(widget.image.value)[:4] == b"\x89PNG"
    first_wrong = next(i for i in range(len(y)) if R.tiny_cnn_forward(x[i:i + 1], params)[0].argmax() != y[i]) \
        if any(R.tiny_cnn_forward(x, params)[0].argmax(1) != y) else None
    if first_wrong is not None:
        widget.controls["index"].value = first_wrong
        assert "wrong (it is a" in widget.text.value and "#c62828" in widget.text.value


def test_stub_gets_a_note_not_a_traceback(trained):
    params, x, y = trained
    widget = tiny_cnn_widget(stub, params, x, y)
    assert not widget.state["ready"]
    assert "implement tiny_cnn_forward above" in widget.text.value
    widget.controls["index"].value = 5                      # moving the slider still works
    assert "test image 5" not in widget.text.value and widget.image.value


@pytest.mark.parametrize("wrong, words", [(crashes, "raised ValueError"), (no_cache, "returned something unexpected")])
def test_broken_function_is_shown_as_wrong(trained, wrong, words):
    params, x, y = trained
    widget = tiny_cnn_widget(wrong, params, x, y)
    assert not widget.state["ready"] and words in widget.text.value and "#c62828" in widget.text.value


def test_controls_change_the_picture_and_the_text(trained):
    params, x, y = trained
    widget = tiny_cnn_widget(R.tiny_cnn_forward, params, x, y)
    assert list(widget.controls)[0] == "index"            # the first control is the test-image slider
    before_image, before_probs = widget.image.value, widget.state["probs"]
    widget.controls["index"].value = 1
    assert widget.image.value != before_image and not np.allclose(widget.state["probs"], before_probs)
    after_index = widget.image.value
    widget.controls["noise"].value = 0.8                   # noise changes the image the network sees
    assert widget.image.value != after_index
    noisy = widget.image_at(1, 0.8)
    assert noisy.shape == x[1].shape and noisy.min() >= 0 and noisy.max() <= 1 and not np.array_equal(noisy, x[1])
    assert np.array_equal(widget.image_at(1, 0.8), noisy)  # the same noise each time (seeded by the index)


def test_demo_builds_the_notebooks_widget():
    widget = tiny_cnn.demo(R)
    assert widget.state["ready"] and widget.controls["index"].max == 499


def test_drawing_a_digit(trained):
    params, x, y = trained
    widget = tiny_cnn_widget(R.tiny_cnn_forward, params, x, y)
    assert len(widget.pixels) == 64 and not widget.drawn().any()
    # one layout and one style for the 64 pixels: the browser makes 98 widgets, not 161 (a style for each)
    assert len({id(p.layout) for p in widget.pixels}) == len({id(p.style) for p in widget.pixels}) == 1
    widget.controls["drawing"].value = True                 # an empty drawing: still a picture and a prediction
    assert widget.state["ready"] and "your drawing reads as a" in widget.text.value
    before = widget.image.value
    widget.pixels[3 * 8 + 4].value = True                   # pressing a button redraws at once
    assert widget.drawn()[0, 3, 4] == 1 and widget.image.value != before
    widget.set_drawing(x[5, 0] > 0.35)                      # copy a test image: one redraw, its prediction
    expected = int(R.tiny_cnn_forward(widget.drawn()[None], params)[0].argmax())
    assert widget.state["prediction"] == expected and widget.state["label"] is None
    widget.controls["drawing"].value = False                # back to the test images
    assert widget.state["label"] == int(y[widget.controls["index"].value])


def test_every_pixel_of_the_drawing_grid_says_where_it_is_and_whether_it_is_on(trained):
    params, x, y = trained
    widget = tiny_cnn_widget(R.tiny_cnn_forward, params, x, y)
    assert widget.pixels[0].tooltip == "pixel row 1, column 1: off"
    assert widget.pixels[9].tooltip == "pixel row 2, column 2: off"
    widget.pixels[9].value = True
    assert widget.pixels[9].tooltip == "pixel row 2, column 2: on"


def test_the_drawing_buttons_come_before_the_grid_and_its_cells_have_borders(trained):
    """Tab reaches "copy the test image" and "clear" first, not after 64 pixels; a cell is visible when off."""
    import ipywidgets

    params, x, y = trained
    widget = tiny_cnn_widget(R.tiny_cnn_forward, params, x, y)

    def in_order(box):
        for child in getattr(box, "children", ()):
            yield child
            yield from in_order(child)

    shown = list(in_order(widget.box))
    buttons = [i for i, c in enumerate(shown) if isinstance(c, ipywidgets.Button)]
    pixels = [i for i, c in enumerate(shown) if isinstance(c, ipywidgets.ToggleButton)]
    assert len(buttons) == 2 and len(pixels) == 64 and max(buttons) < min(pixels)
    assert widget.pixels[0].layout.border and "solid" in widget.pixels[0].layout.border


def test_before_the_forward_pass_exists_the_panels_to_come_are_framed_and_named(trained):
    from conftest import layout_problems

    params, x, y = trained
    widget = tiny_cnn_widget(None, params, x, y)
    assert [widget.axes[name].title.get_text() for name in ("relu", "pool", "probs")] == [
        "feature maps after conv + ReLU", "after 2x2 max-pooling", "softmax of the scores"]
    assert all("tiny_cnn_forward" in widget.axes[name].texts[0].get_text() for name in ("relu", "pool", "probs"))
    assert layout_problems(widget.figure) == []
    widget.forward = R.tiny_cnn_forward  # once it exists, the real panels replace them, solid frames and all
    widget.update()
    assert widget.axes["relu"].spines["left"].get_linestyle() in ("-", "solid") and not widget.axes["relu"].texts
