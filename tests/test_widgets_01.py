"""Notebook 01's pictures (connections, parameter chart), headless (matplotlib Agg, no browser)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import draws_per_change, layout_problems  # noqa: E402

from cnn_course import widgets  # noqa: E402
from cnn_course.widgets import local_connectivity as L  # noqa: E402

# --- independent counts (written out here, not taken from grader) ----------------------------------


def dense(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)


def local(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    c, h, w = in_shape
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    units = ((h + 2 * ph - kh) // sh + 1) * ((w + 2 * pw - kw) // sw + 1) * out_channels
    return units * (c * kh * kw + (1 if bias else 0))


def conv(in_channels, out_channels, kernel_size, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels * kh * kw + (1 if bias else 0))


def stub(*args, **kwargs):
    raise NotImplementedError()


def conv_without_bias(in_channels, out_channels, kernel_size, bias=True):
    return conv(in_channels, out_channels, kernel_size, bias=False)


def local_shared(in_shape, out_channels, kernel_size, stride=1, pad=0, bias=True):
    return conv(in_shape[0], out_channels, kernel_size, bias)


def crashes(*args, **kwargs):
    return undefined_name  # noqa: F821


RIGHT = (dense, local, conv)
STUBS = (stub, stub, stub)


# --- pure logic ------------------------------------------------------------------------------------


def test_output_size_by_sliding():
    assert L.output_size(5, 3) == 3 and L.output_size(5, 3, 2) == 2      # the 5x5 / 3x3 example
    assert L.output_size(227, 11, 4) == 55                               # AlexNet conv1
    assert L.output_size(4, 4) == 1


def test_weight_tables_shapes_and_counts_agree_with_the_formulas():
    for n in range(3, 10):
        for k in range(1, n + 1):
            for s in (1, 2, 3):
                tables = L.weight_tables(n, k, s)
                o = (n - k) // s + 1
                assert tables["dense"].shape == (o * o, n * n)
                assert tables["local"].shape == (o, o, k, k)
                assert tables["conv"].shape == (k, k)
                counts = L.stored_counts(tables)
                assert counts == {"dense": dense(n * n, o * o), "local": local((1, n, n), 1, k, s),
                                  "conv": conv(1, 1, k)}


def test_neuron_weights_share_in_conv_and_not_in_local():
    n, k, s = 6, 3, 1
    tables = L.weight_tables(n, k, s)
    for kind in L.KINDS:
        a = L.neuron_weights(kind, tables, n, k, s, 0, 0)
        b = L.neuron_weights(kind, tables, n, k, s, 2, 3)
        assert a.shape == (n, n)
        if kind == "dense":
            assert not np.isnan(a).any() and not np.allclose(a, b)                  # every pixel, own weights
        else:
            assert (~np.isnan(a)).sum() == k * k and (~np.isnan(b)).sum() == k * k  # a k x k patch
            patch_a, patch_b = a[0:3, 0:3], b[2:5, 3:6]
            assert np.isnan(b[0, 0]) and not np.isnan(patch_b).any()
            assert np.array_equal(patch_a, patch_b) == (kind == "conv")             # shared only in conv


def test_stride_moves_the_patch():
    tables = L.weight_tables(7, 3, 2)
    w = L.neuron_weights("local", tables, 7, 3, 2, 1, 2)
    rows, cols = np.nonzero(~np.isnan(w))
    assert (rows.min(), cols.min(), rows.max(), cols.max()) == (2, 4, 4, 6)


def test_judge_count_levels():
    assert L.judge_count(conv, "conv", (3, 96, 11), {}, 34_944)[0] == "ok"
    level, message = L.judge_count(conv_without_bias, "conv", (3, 96, 11), {}, 34_944)
    assert level == "bad" and "34848" in message.replace(",", "")
    level, message = L.judge_count(stub, "conv", (3, 96, 11), {}, 34_944)
    assert level == "note" and "implement conv_param_count above" in message
    level, message = L.judge_count(None, "conv", (3, 96, 11), {}, 34_944)
    assert level == "note" and "pass your conv_param_count" in message
    level, message = L.judge_count(crashes, "conv", (3, 96, 11), {}, 34_944)
    assert level == "bad" and "NameError" in message
    level, message = L.judge_count(lambda *a: 34944.0, "conv", (3, 96, 11), {}, 34_944)
    assert level == "bad" and "float" in message


def test_count_curves_with_right_stub_and_crashing_functions():
    sizes = L.image_sizes(11, 4)
    curves, notes = L.count_curves(dict(zip(L.KINDS, (dense, stub, crashes))), sizes, 11, 96, 3, 4)
    assert curves["dense"][-1] == dense(3 * 512 * 512, 96 * 126 * 126)
    assert curves["local"] is None and notes["local"][0] == "note"
    assert curves["conv"] is None and notes["conv"][0] == "bad" and "NameError" in notes["conv"][1]


def test_power_labels_are_plain_text():
    assert [L._power_label(v) for v in (1, 10, 100, 1e3, 1e6, 1e9, 1e12, 3e4)] == \
        ["1", "10", "100", "1k", "1M", "1G", "1T", ""]


# --- the connections widget ------------------------------------------------------------------------


def test_connections_first_control_is_a_slider_that_changes_the_picture():
    w = L.connections_widget(*RIGHT)
    first = next(iter(w.controls.values()))
    assert isinstance(first, ipywidgets.IntSlider)
    image = w.image.value
    first.value = 1
    assert w.image.value != image and w.state["row"] == 1


def test_connections_builds_without_functions_and_with_stubs():
    w = L.connections_widget()
    assert w.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pass your dense_param_count" in w.text.value
    w = L.connections_widget(*STUBS)
    assert all(level == "note" for level, _ in w.verdicts.values())
    for name in ("dense_param_count", "local_param_count", "conv_param_count"):
        assert f"implement {name} above, then run this cell again" in w.text.value
    w.sliders["n"].value = 8                       # still works, still notes
    assert w.state["output"] == 6
    assert w._repr_mimebundle_()


def test_connections_right_functions_agree_with_the_picture():
    w = L.connections_widget(*RIGHT, n=6, k=3)
    assert all(level == "ok" for level, _ in w.verdicts.values()), w.verdicts
    assert w.state["counts"] == {"dense": dense(36, 16), "local": local((1, 6, 6), 1, 3), "conv": conv(1, 1, 3)}
    w.sliders["stride"].value = 2
    assert all(level == "ok" for level, _ in w.verdicts.values())


def test_connections_wrong_functions_are_shown_as_wrong():
    w = L.connections_widget(dense, local_shared, conv_without_bias)
    assert w.verdicts["dense"][0] == "ok"
    assert w.verdicts["local"][0] == "bad" and "your local_param_count" in w.verdicts["local"][1]
    assert w.verdicts["conv"][0] == "bad" and widgets.BAD_COLOR in w.text.value
    w = L.connections_widget(crashes, crashes, crashes)
    assert all(level == "bad" and "NameError" in message for level, message in w.verdicts.values())


def test_connections_neuron_sliders_follow_the_output_size():
    w = L.connections_widget(*RIGHT, n=9, k=3, row=6, col=5)
    assert (w.state["row"], w.state["col"]) == (6, 5) and w.sliders["row"].max == 6
    w.sliders["stride"].value = 3                  # 9x9, 3x3, stride 3 -> 3x3 neurons
    assert w.state["output"] == 3 and w.sliders["row"].max == 2
    assert (w.sliders["row"].value, w.sliders["col"].value) == (2, 2) == (w.state["row"], w.state["col"])


def test_connections_a_kernel_larger_than_the_image_is_clamped_not_raised():
    w = L.connections_widget(*RIGHT, n=5, k=3)
    w.sliders["n"].value = 3
    w.sliders["k"].value = 5                       # larger than the 3x3 image: brought back to 3
    assert w.sliders["k"].value == 3 and w.state["output"] == 1
    assert w.state["connected"] == {"dense": 9, "local": 9, "conv": 9}   # whole-image kernel = fully connected
    assert all(level == "ok" for level, _ in w.verdicts.values())


def test_connections_colours_move_with_the_neuron_only_when_untied():
    w = L.connections_widget(*RIGHT, n=6, k=3)
    before = {kind: w.state["colors"][kind][0:3, 0:3].copy() for kind in ("local", "conv")}
    w.sliders["row"].value, w.sliders["col"].value = 2, 1
    after = {kind: w.state["colors"][kind][2:5, 1:4] for kind in ("local", "conv")}
    assert np.array_equal(before["conv"], after["conv"])
    assert not np.array_equal(before["local"], after["local"])


# --- the parameter chart ---------------------------------------------------------------------------


def test_chart_starts_at_alexnet_and_right_functions_match_the_published_numbers():
    c = L.param_chart_widget(*RIGHT)
    assert c.state["at_alexnet"] and c.state["here"] == [dense(154587, 290400), 105_705_600, 34_944]
    assert all(level == "ok" for level, _ in c.alexnet_verdicts.values())
    assert "3,025× fewer" in c.text.value


def test_chart_stubs_get_notes_and_the_picture_still_moves():
    c = L.param_chart_widget(*STUBS)
    assert all(curve is None for curve in c.state["curves"].values())
    assert "implement conv_param_count above" in c.text.value
    assert c.missing.get_text().startswith("not drawn yet")
    image = c.image.value
    first = next(iter(c.controls.values()))
    assert isinstance(first, ipywidgets.IntSlider)
    first.value = 64
    assert c.image.value != image


def test_chart_wrong_functions_are_shown_as_wrong():
    c = L.param_chart_widget(dense, local_shared, conv_without_bias)
    assert c.alexnet_verdicts["conv"][0] == "bad" and c.alexnet_verdicts["local"][0] == "bad"
    assert widgets.BAD_COLOR in c.text.value
    c = L.param_chart_widget(crashes, crashes, crashes)
    assert "NameError" in c.text.value


def test_chart_sliders_change_picture_and_text_and_the_button_goes_back_to_alexnet():
    c = L.param_chart_widget(*RIGHT)
    for name, value in (("n", 32), ("k", 3), ("filters", 8), ("channels", 16), ("stride", 1)):
        image, text = c.image.value, c.text.value
        c.sliders[name].value = value
        assert c.image.value != image and c.text.value != text, name
    assert not c.state["at_alexnet"] and c.state["here"][2] == conv(16, 8, 3)
    c.sliders["k"].value = 15
    c.sliders["n"].value = 8                       # kernel larger than the image: clamped, no exception
    assert c.sliders["k"].value == 8 and c.state["here"][1] == local((16, 8, 8), 8, 8)
    c.set_alexnet()
    assert c.values() == L.ALEXNET and c.state["at_alexnet"]


@pytest.mark.parametrize("build", [L.connections_widget, L.param_chart_widget])
def test_each_move_of_a_control_draws_once(build):  # the latency target (< 200 ms median): `make benchmark`
    w = build(*RIGHT)
    first = next(iter(w.controls.values()))
    draws = draws_per_change(w, first, [min(v + first.min, first.max) for v in (1, 2, 0, 1)])
    assert draws and set(draws) == {1}


def test_demo_uses_the_namespace_functions():
    import types

    w = L.demo(types.SimpleNamespace(dense_param_count=dense, local_param_count=local, conv_param_count=conv))
    assert all(level == "ok" for level, _ in w.verdicts.values())


def test_the_not_drawn_yet_note_stays_inside_the_figure():
    c = L.param_chart_widget(*STUBS)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(c.figure).get_renderer()
    box = c.missing.get_window_extent(renderer)
    assert c.missing.get_text().startswith("not drawn yet")
    assert box.x0 >= 0 and box.x1 <= c.figure.bbox.width, box


@pytest.mark.parametrize("n, k, stride", [(4, 2, 1), (8, 3, 2), (12, 5, 3)])
def test_the_connections_titles_and_labels_stand_clear_of_each_other(n, k, stride):
    w = L.connections_widget(*RIGHT, n=n, k=k, stride=stride)
    assert layout_problems(w.figure) == []
