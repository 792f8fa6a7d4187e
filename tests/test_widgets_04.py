"""Notebook 04's pooling widget, headless (matplotlib Agg, no browser)."""
from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import draws_per_change  # noqa: E402

from cnn_course import widgets  # noqa: E402
from cnn_course.widgets import pooling  # noqa: E402
from cnn_course.widgets.pooling import (  # noqa: E402
    MAP_KINDS,
    judge_pooling,
    make_map,
    parse_map,
    pooling_widget,
    scan_windows,
    window_starts,
)
from grader.course.notebooks.nb04_pooling_unpooling import reference as R  # noqa: E402

RIGHT = dict(max_pool2d=R.max_pool2d, mean_pool2d=R.mean_pool2d, max_unpool2d=R.max_unpool2d,
             upsample_nearest=R.upsample_nearest)
LESSON = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)


def stub(*args, **kwargs):
    raise NotImplementedError()


def last_maximum(x, size=2, stride=None):
    """max_pool2d with the wrong tie rule: the last maximum in row-major order wins."""
    y, _ = R.max_pool2d(x, size, stride)
    _, switches = R.max_pool2d(x[..., ::-1, ::-1], size, stride)
    h, w = x.shape[2:]
    rows, cols = h - 1 - switches // w, w - 1 - switches % w
    return y, (rows * w + cols)[..., ::-1, ::-1].astype(np.int64)


def message(widget) -> str:
    return widget.text.value


# --- pure logic -----------------------------------------------------------------------------------


def test_window_starts_slides_and_drops_the_remainder():
    assert window_starts(4, 2, 2) == [0, 2]
    assert window_starts(5, 2, 2) == [0, 2]          # the last row is in no window
    assert window_starts(3, 2, 1) == [0, 1]          # overlap
    assert window_starts(8, 2, 3) == [0, 3, 6]       # gaps
    assert window_starts(2, 3, 1) == []
    with pytest.raises(ValueError):
        window_starts(4, 2, 0)


def test_scan_agrees_with_the_reference_on_random_maps_and_ties():
    g = np.random.default_rng(0)
    for _ in range(60):
        h, w = g.integers(2, 9, size=2)
        kh, kw = g.integers(1, h + 1), g.integers(1, w + 1)
        sh, sw = g.integers(1, 5, size=2)
        plane = g.integers(0, 3, size=(h, w)).astype(float)
        scan = scan_windows(plane, (int(kh), int(kw)), (int(sh), int(sw)))
        y, s = R.max_pool2d(plane[None, None], (int(kh), int(kw)), (int(sh), int(sw)))
        np.testing.assert_array_equal(scan["max"], y[0, 0])
        np.testing.assert_array_equal(scan["switches"], s[0, 0])
        np.testing.assert_allclose(scan["mean"], R.mean_pool2d(plane[None, None], (int(kh), int(kw)),
                                                               (int(sh), int(sw)))[0, 0])


def test_scan_counts_overlaps_and_gaps():
    overlap = scan_windows(np.zeros((3, 3)), 2, 1)
    assert overlap["cover"].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert overlap["switches"].tolist() == [[0, 1], [3, 4]]   # constant map: each window's top-left
    gaps = scan_windows(np.zeros((5, 5)), 2, 3)
    assert (gaps["cover"] == 0).sum() == 25 - 16
    assert gaps["owner"][2, 2] == -1


def test_parse_map():
    np.testing.assert_array_equal(parse_map("1 2\n3, 4\n"), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(parse_map("-1.5 2"), [[-1.5, 2]])
    for bad in ("", "1 2\n3", "1 x", "1 nan"):
        with pytest.raises(ValueError):
            parse_map(bad)


def test_make_map_kinds():
    assert make_map(MAP_KINDS[0], 3, 5, 7).shape == (5, 7)
    assert set(np.unique(make_map(MAP_KINDS[1], 3, 6, 6))) <= {0.0, 1.0, 2.0}
    assert len(np.unique(make_map(MAP_KINDS[2], 3, 4, 4))) == 1
    np.testing.assert_array_equal(make_map(MAP_KINDS[3], 0, 2, 2, "1 2 3"), [[1, 2, 3]])
    assert not np.array_equal(make_map(MAP_KINDS[0], 1, 6, 8), make_map(MAP_KINDS[0], 2, 6, 8))


def test_judge_pooling_right_stub_and_wrong():
    right = judge_pooling(RIGHT, LESSON, 2)
    assert all(v["level"] == "ok" for v in right.values()), right
    stubs = judge_pooling({name: stub for name in RIGHT}, LESSON, 2)
    assert all(v["level"] == "note" and "implement" in v["message"] for v in stubs.values())
    ties = np.array([[3, 1, 2, 2], [3, 0, 2, 2]], dtype=float)
    wrong = judge_pooling(dict(RIGHT, max_pool2d=last_maximum), ties, 2)
    assert wrong["max_pool2d"]["level"] == "bad" and "differs" in wrong["max_pool2d"]["message"]
    assert wrong["max_pool2d"]["value"][1].tolist() == [[4, 7]]       # the student's switches are drawn


def test_judge_pooling_reports_crashes_and_float_switches():
    def crashes(x, size=2, stride=None):
        return undefined_name  # noqa: F821

    def float_switches(x, size=2, stride=None):
        y, s = R.max_pool2d(x, size, stride)
        return y, s.astype(float)

    verdicts = judge_pooling(dict(RIGHT, max_pool2d=crashes, mean_pool2d=crashes), LESSON, 2)
    assert verdicts["max_pool2d"]["level"] == "bad" and "NameError" in verdicts["max_pool2d"]["message"]
    verdicts = judge_pooling(dict(RIGHT, max_pool2d=float_switches), LESSON, 2)
    assert verdicts["max_pool2d"]["level"] == "bad" and "integers" in verdicts["max_pool2d"]["message"]


def test_judge_pooling_passes_none_as_the_default_stride():
    seen = []

    def spy(x, size=2, stride=None):
        seen.append((size, stride))
        return R.max_pool2d(x, size, stride)

    judge_pooling(dict(RIGHT, max_pool2d=spy), LESSON, 2, 2)
    judge_pooling(dict(RIGHT, max_pool2d=spy), LESSON, (2, 1), (1, 1))
    assert seen == [(2, None), ((2, 1), 1)]


# --- the widget ------------------------------------------------------------------------------------


def test_builds_without_functions():
    w = pooling_widget()
    assert w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert w.state["valid"] and w.state["output"] == (3, 4)
    assert "pass your max_pool2d" in message(w)
    assert w._repr_mimebundle_()
    assert list(w.controls)[0] == "seed"                     # the first control is the seed slider


def test_stubs_get_notes_and_the_picture_stays():
    w = pooling_widget(stub, stub, stub, stub)
    assert message(w).count("implement") == 4 and widgets.BAD_COLOR not in message(w)
    assert len(w.state["arrows"]) == 12                      # the picture's own switches are drawn
    assert not any(w.state["drawn"].values())
    image = w.image.value
    w.sliders["seed"].value = 9
    assert w.image.value != image


def test_right_functions_agree_and_are_drawn():
    w = pooling_widget(**RIGHT)
    assert all(v["level"] == "ok" for v in w.verdicts.values())
    assert all(w.state["drawn"].values())
    assert message(w).count("agrees with the picture") == 4


def test_wrong_function_is_shown_as_wrong():
    w = pooling_widget(**dict(RIGHT, max_pool2d=last_maximum), kind=MAP_KINDS[1], seed=3)
    assert w.verdicts["max_pool2d"]["level"] == "bad"
    assert widgets.BAD_COLOR in message(w)
    # the arrows follow the student's switches
    _, switches = last_maximum(w.state["plane"][None, None], 2)
    assert [r * w.state["plane"].shape[1] + c for _, (r, c) in w.state["arrows"]] == switches.ravel().tolist()


def test_controls_change_the_picture_and_the_text():
    w = pooling_widget(**RIGHT)
    for name, value in [("seed", 11), ("h", 7), ("w", 9), ("kh", 3), ("kw", 1), ("sh", 1), ("sw", 3)]:
        image, text = w.image.value, w.text.value
        w.sliders[name].value = value
        assert w.image.value != image, name
        assert w.text.value != text or name == "seed", name
    image = w.image.value
    w.kind.value = MAP_KINDS[1]
    assert w.image.value != image


def test_overlap_shares_switches_and_gaps_are_counted():
    w = pooling_widget(**RIGHT, kind=MAP_KINDS[2], h=4, w=4, kh=2, kw=2, sh=1, sw=1)
    assert w.state["output"] == (3, 3) and w.state["overlap"] == 16 - 4   # all but the corners
    assert "overlap" in message(w)
    w = pooling_widget(**RIGHT, kind=MAP_KINDS[3], text="1 2 1\n3 9 0\n2 4 5", kh=2, kw=2, sh=1, sw=1)
    assert w.state["shared"] == 3                              # all four windows remember the 9
    assert all(v["level"] == "ok" for v in w.verdicts.values())
    w = pooling_widget(**RIGHT, h=8, w=8, kh=2, kw=2, sh=3, sw=3)
    assert w.state["dropped"] == 64 - 36 and "gaps" in message(w)
    w = pooling_widget(**RIGHT, h=7, w=6, kh=2, kw=2, sh=2, sw=2)
    assert "1 row(s) at the bottom" in message(w)


def test_typed_map_disables_the_size_sliders_and_reads_the_text():
    w = pooling_widget(**RIGHT)
    w.kind.value = MAP_KINDS[3]
    assert w.sliders["h"].disabled and w.sliders["w"].disabled and not w.typed.disabled
    np.testing.assert_array_equal(w.state["plane"], LESSON)
    w.typed.value = "-1 -2\n-3 -4"
    assert w.state["output"] == (1, 1)
    assert "switches (flat r·W + c, W = 2): [[0]]" in message(w)
    w.kind.value = MAP_KINDS[0]
    assert not w.sliders["h"].disabled and w.typed.disabled


@pytest.mark.parametrize("functions", [{}, RIGHT, {name: stub for name in RIGHT}])
def test_invalid_combinations_are_flagged_without_exception(functions):
    w = pooling_widget(**functions)
    w.kind.value = MAP_KINDS[3]
    w.typed.value = "1 2\n3"                                    # ragged rows
    assert not w.state["valid"] and "invalid" in message(w) and widgets.BAD_COLOR in message(w)
    w.typed.value = "1 2\n3 4"
    w.sliders["kh"].value = 3                                   # window taller than the 2x2 map
    assert not w.state["valid"] and "does not fit" not in message(w) and "larger than" in message(w)
    w.sliders["kh"].value = 2
    assert w.state["valid"] and w.state["output"] == (1, 1)


def test_demo_uses_the_namespace():
    w = pooling.demo(types.SimpleNamespace(**RIGHT))
    assert all(v["level"] == "ok" for v in w.verdicts.values())


def test_each_move_of_a_slider_draws_once():  # the latency target (< 200 ms) is measured by `make benchmark`
    w = pooling_widget(**RIGHT)
    assert draws_per_change(w, w.sliders["seed"], range(1, 6)) == [1] * 5
