"""Frames drawn ahead (cnn_course/widgets/picture.py): the same picture a real change draws, and no trace left.

A widget's picture answers a key press from a frame the kernel drew while idle. That is only right if the frame is
exactly what the change would have drawn, if drawing it changed nothing the student sees or the kernel keeps (the
controls, their ranges, the widget's state, what the browser was told), and if the browser's key and the kernel's
agree. Each demo widget of the course is checked with the reference functions; the browser's side in tests/test_lab.py.
"""
from __future__ import annotations

import importlib
import pkgutil

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import pytest  # noqa: E402

import cnn_course.widgets as package  # noqa: E402
from cnn_course.widgets import picture  # noqa: E402
from grader.course import reference  # noqa: E402

MODULES = sorted(info.name for info in pkgutil.iter_modules(package.__path__)
                 if hasattr(importlib.import_module(f"{package.__name__}.{info.name}"), "demo"))


def demo(name: str):
    return importlib.import_module(f"{package.__name__}.{name}").demo(reference)


def set_quietly(widget, control: str, trait: str, value) -> None:
    widget.quietly(lambda: setattr(widget.controls[control], trait, value))


def traits(widget) -> list:
    return [(type(w).__name__, sorted((k, repr(v)) for k, v in saved.items()))
            for w, saved in picture.snapshot(picture.every_widget(widget.box))]


def test_every_widget_module_is_checked():
    assert len(MODULES) == 7, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_a_frame_drawn_ahead_is_the_picture_the_change_draws_and_leaves_no_trace(name, monkeypatch):
    widget, fresh = demo(name), demo(name)
    sent_states = []
    monkeypatch.setattr(ipywidgets.Widget, "send_state", lambda self, key=None: sent_states.append(key))
    before, state, image, html = traits(widget), repr(widget.state), widget.image.value, widget.text.value
    moves = picture.neighbours(widget.controls, None)[:5]
    assert moves, "no control to look ahead on"
    for control, trait, value in moves:
        assert widget.look_ahead_once(control, trait, value)
        assert not widget.look_ahead_once(control, trait, value), "drawn twice"
    assert not sent_states, "a look-ahead told the browser of a control change"
    assert traits(widget) == before and repr(widget.state) == state
    assert (widget.image.value, widget.text.value) == (image, html)
    widget.settle()  # once the look-ahead ends: the figure is the controls' values' again
    assert widget.png() == image and repr(widget.state) == state
    monkeypatch.undo()
    for control, trait, value in moves:  # each change, now made for real: the frame is what a fresh widget draws
        was = getattr(widget.controls[control], trait)
        for other in (widget, fresh):
            set_quietly(other, control, trait, value)
        ahead = widget._frames.get(widget._key())
        assert ahead is not None, (control, value)
        fresh.update()
        assert ahead[:2] == (fresh.image.value, fresh.text.value), f"{name}: {control} = {value}"
        assert repr(ahead[2]) == repr(fresh.state), f"{name}: {control} = {value}"
        for other in (widget, fresh):
            set_quietly(other, control, trait, was)


def test_a_change_to_a_frame_the_browser_shows_draws_nothing_until_all_is_quiet(monkeypatch):
    widget, fresh = demo("conv_arithmetic"), demo("conv_arithmetic")
    widget._viewed = True  # a browser shows the picture
    monkeypatch.setattr(widget.image, "send", lambda content, buffers=None: None)
    control, trait, value = picture.neighbours(widget.controls, None)[0]
    widget.look_ahead_once(control, trait, value)
    drawn, draw = [], widget.draw
    monkeypatch.setattr(widget, "draw", lambda **values: drawn.append(values) or draw(**values))
    setattr(widget.controls[control], trait, value)
    setattr(fresh.controls[control], trait, value)
    assert drawn == [] and widget.image.value == fresh.image.value and repr(widget.state) == repr(fresh.state)
    widget.settle()  # what the kernel does once the look-ahead has nothing left to draw
    assert len(drawn) == 1 and widget.png() == fresh.image.value
    setattr(widget.controls[control], trait, value + 2 if trait == "value" else value)
    assert len(drawn) == 2  # no frame for that one: drawn at once


def test_update_called_directly_drops_the_frames_drawn_ahead():
    widget = demo("conv_arithmetic")
    control, trait, value = picture.neighbours(widget.controls, None)[0]
    widget.look_ahead_once(control, trait, value)
    generation = widget.image.generation
    widget.update()  # something beside the controls changed: no old frame may be shown for it
    assert widget.image.generation == generation + 1
    assert widget.look_ahead_once(control, trait, value)


def test_the_key_is_what_the_browser_computes():
    """The JavaScript ``token``: an option's index, a float in millionths, any other value."""
    dropdown = ipywidgets.Dropdown(options=[("a", 10), ("b", 20)], value=20)
    floats = ipywidgets.FloatSlider(value=0.3, min=0, max=1, step=0.1)
    box = ipywidgets.FloatText(value=0.1111, step=0.5)  # a typed value is on no step's grid
    ints = ipywidgets.IntSlider(value=4, min=0, max=9)
    tick = ipywidgets.Checkbox(value=True)
    assert picture.frame_key([dropdown, floats, box, ints, tick], 7) == "7:[1,300000,111100,4,true]"
    floats.value = 0.1 + 0.2  # 0.30000000000000004: the same frame as 0.3
    box.value = 0.2
    assert picture.frame_key([floats, box], 0) == "0:[300000,200000]"


def test_neighbours_look_the_way_the_last_move_went_first():
    sliders = {"a": ipywidgets.IntSlider(value=5, min=0, max=9), "b": ipywidgets.IntSlider(value=0, min=0, max=9),
               "c": ipywidgets.IntSlider(value=3, min=0, max=9, disabled=True),
               "d": ipywidgets.Dropdown(options=["x", "y", "z"], value="z"), "e": ipywidgets.Checkbox()}
    assert picture.neighbours(sliders, None) == [("a", "value", 6), ("a", "value", 7), ("a", "value", 4),
                                                 ("a", "value", 8), ("a", "value", 9), ("b", "value", 1),
                                                 ("d", "index", 1), ("a", "value", 3)]
    assert picture.neighbours(sliders, ("b", -1)) == [("b", "value", 1), ("a", "value", 6), ("a", "value", 4),
                                                      ("d", "index", 1), ("b", "value", 2)]
    assert picture.neighbours(sliders, ("a", -1))[:6] == [("a", "value", 4), ("a", "value", 3), ("a", "value", 6),
                                                          ("a", "value", 2), ("a", "value", 1), ("b", "value", 1)]
    boxes = {"a": sliders["a"], "box": ipywidgets.BoundedFloatText(value=1.0, min=0, max=2, step=0.5), "b": sliders["b"]}
    assert picture.neighbours(boxes, None)[-3:] == [("a", "value", 3), ("box", "value", 1.5), ("box", "value", 0.5)]


def test_frames_kept_are_bounded():
    frames = picture.Frames()
    for index in range(picture.KEPT_FRAMES + 10):
        frames.put(str(index), b"png", "", {})
    assert "0" not in frames and str(picture.KEPT_FRAMES + 9) in frames


def while_drawing_ahead(widget, move: tuple, browser_message) -> None:
    """``browser_message()`` sent while ``widget`` draws the frame for ``move`` ahead on another thread (slowly)."""
    import threading
    import time

    draw, drawing = widget.draw, threading.Event()

    def slow_draw(**values):
        drawing.set()
        time.sleep(0.2)
        return draw(**values)

    widget.draw = slow_draw
    ahead = threading.Thread(target=widget.look_ahead_once, args=move)
    ahead.start()
    assert drawing.wait(5)
    browser_message()
    ahead.join()
    widget.draw = draw


def test_a_browser_change_on_another_thread_waits_for_the_frame_being_drawn_ahead():
    """ipykernel may handle widget messages on a thread of their own (a subshell): a change from the browser that
    arrives while a frame is drawn ahead is applied after it, never undone by it, and drawn."""
    widget = demo("checkerboard")
    control = widget.controls["k"]
    start = control.value
    # as ipywidgets applies a browser message: it waits for the frame being drawn ahead
    while_drawing_ahead(widget, ("k", "value", start + 1), lambda: control.set_state({"value": start + 2}))
    fresh = demo("checkerboard")
    fresh.controls["k"].value = start + 2
    assert control.value == start + 2 and widget.image.value == fresh.image.value  # drawn for the browser's value
    widget.controls["k"].value = start + 1  # and the frame drawn ahead is still that of its own values
    fresh.controls["k"].value = start + 1
    assert widget.image.value == fresh.image.value


def test_a_frame_cut_short_by_a_browser_change_that_draws_nothing_is_undone():
    """The frame drawn ahead stops before rasterising when a browser change waits; if that change draws nothing
    (here: a slider renamed), the widget's state is the controls' values', and its figure once settled."""
    widget = demo("conv_arithmetic")
    state = repr(widget.state)
    move = picture.neighbours(widget.controls, None)[0]
    other = next(control for key, control in widget.controls.items() if key != move[0])
    while_drawing_ahead(widget, move, lambda: other.set_state({"description": "renamed"}))  # changes no value
    assert repr(widget.state) == state
    fresh = demo("conv_arithmetic")
    widget.settle()  # what the kernel does when the look-ahead ends
    assert widget.png() == fresh.png()  # the figure shows the controls' values again


def test_the_look_ahead_draws_one_frame_per_turn_of_the_kernel_loop_and_stops_at_a_slow_one(monkeypatch):
    import asyncio

    widget = demo("checkerboard")
    widget.image.send = lambda content, buffers=None: None  # no browser here
    planned = min(len(picture.neighbours(widget.controls, None)), package.LOOK_AHEAD)

    async def look(slow_frame: float, frames: int) -> int:
        """Frames drawn ahead once ``frames`` are there (or 60 s passed), then 0.2 s more."""
        monkeypatch.setattr(package, "SLOW_FRAME", slow_frame)
        widget.update()  # new generation: nothing drawn ahead yet
        widget._look_ahead()
        drawn = 0
        for _ in range(3000):
            await asyncio.sleep(0.02)
            drawn = sum(key.startswith(f"{widget.image.generation}:") for key in widget._frames._frames) - 1
            if drawn >= frames:
                break
        await asyncio.sleep(0.2)
        return sum(key.startswith(f"{widget.image.generation}:") for key in widget._frames._frames) - 1

    assert asyncio.run(look(1e9, planned)) == planned
    assert asyncio.run(look(0.0, 1)) == 1  # every frame slower than SLOW_FRAME: one, then the look-ahead stops


def test_a_list_chosen_in_the_browser_after_its_frame_was_drawn_ahead_keeps_the_choice(monkeypatch):
    """03's kernel list remembers what it last filled the boxes with (``before_draw``): a frame drawn ahead must not
    leave that memory behind, or choosing the kernel for real reads as an edit of the boxes ("custom")."""
    widget, fresh = demo("correlation"), demo("correlation")
    widget._viewed = True
    monkeypatch.setattr(widget.image, "send", lambda content, buffers=None: None)
    kernel = widget.controls["kernel"]
    widget.look_ahead_once("kernel", "index", kernel.index + 1)
    kernel.set_state({"index": kernel.index + 1})  # as ipywidgets applies the browser's message
    fresh.controls["kernel"].index += 1
    assert kernel.value == fresh.controls["kernel"].value != importlib.import_module(f"{package.__name__}.correlation").CUSTOM
    assert widget.image.value == fresh.image.value and widget._box_values() == fresh._box_values()


def test_values_that_settle_on_a_frame_there_already_reuse_it(monkeypatch):
    """Back to the first kernel in 03's list, the boxes still hold the second's: ``before_draw`` fills them in again,
    so the picture is the first one's, and the look-ahead takes that frame instead of drawing it again."""
    widget = demo("correlation")
    widget._viewed = True
    monkeypatch.setattr(widget.image, "send", lambda content, buffers=None: None)
    kernel = widget.controls["kernel"]
    first = widget.image.value
    kernel.set_state({"index": kernel.index + 1})
    drawn, draw = [], widget.draw
    monkeypatch.setattr(widget, "draw", lambda **values: drawn.append(values) or draw(**values))
    assert widget._look_at("kernel", "index", kernel.index - 1) == "the same as another" and drawn == []
    monkeypatch.undo()
    widget.image.send = lambda content, buffers=None: None
    kernel.set_state({"index": kernel.index - 1})
    assert widget.image.value == first
