"""Interactive pictures for the notebooks: one module per picture, on one small base.

Every widget of the course is *controls + one matplotlib figure + a few lines of text*.
:class:`FigureWidget` does the wiring once: it lays the controls out above the figure,
redraws on every control change, shows the figure as a crisp PNG (rendered at 1.25 times the
displayed size, so text stays sharp on any screen) and times each update. A notebook's
picture subclasses it and writes only its own logic, in :meth:`FigureWidget.draw`.

Widgets take the function they draw as an argument (the student's own, or any other
implementation), call it through :func:`call_student`, which turns a stub or a bug into a
message instead of a traceback, and judge it with :mod:`cnn_course.checks` where they must,
never with rules of their own. This package never imports ``grader`` (students do not have it).

Each picture module also defines ``demo(functions) -> FigureWidget``: the widget as its
notebook shows it, drawn with ``functions.<name>`` (any namespace holding the graded functions).
``make benchmark`` times slider moves on every module's ``demo``, and the browser test moves
the first slider of every widget a notebook displays: make the first control a slider that
changes the picture.
"""
from __future__ import annotations

import html
import time
from typing import Any, Callable

from matplotlib import rc_context

from ..record import under_autograde

OK_COLOR, BAD_COLOR, NOTE_COLOR = "#2e7d32", "#c62828", "#555555"
#: The text under a picture: lines as tall as text (ipywidgets makes each HTML line a 28 px control row), so a
#: widget's controls, picture and text fit a laptop's window together.
TEXT_STYLE = "line-height:1.35;margin:0.2em 0"


class NotReady(Exception):
    """The student's function is still a stub (raised ``NotImplementedError``)."""


def call_student(function: Callable | None, *args: Any, name: str | None = None, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, with a stub turned into :class:`NotReady` (its message says what to do).

    Other exceptions propagate: the widget decides whether raising was right (invalid arguments) or a bug.
    """
    label = name or getattr(function, "__name__", "the function")
    if function is None:
        raise NotReady(f"pass your {label} to the widget to see it drawn")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise NotReady(f"implement {label} above, then run this cell again") from None


def describe_error(error: BaseException) -> str:
    """``ValueError: stride must be >= 1``: how a student's exception is shown in a widget."""
    return f"{type(error).__name__}: {error}".rstrip(": ")


def message_html(level: str, text: str) -> str:
    """One coloured line: ``level`` is ``"ok"``, ``"bad"`` or ``"note"``."""
    color = {"ok": OK_COLOR, "bad": BAD_COLOR}.get(level, NOTE_COLOR)
    return f"<span style='color:{color}'>{html.escape(text)}</span>"


#: How to work a list from the keyboard: JupyterLab takes the arrow keys of a closed list to move between cells.
KEYBOARD_HINT = "From the keyboard: Space opens the list, ↑ and ↓ choose, Enter takes (arrows alone go to the next cell)"


def swatch_legend(items: list[tuple[tuple[float, float, float], str]]) -> str:
    """An HTML legend: a coloured square (RGB in 0..1) and its label, for each item."""
    parts = []
    for (r, g, b), label in items:
        # one unbreakable item: a narrow notebook wraps between items, never between a square and its label
        parts.append(f'<span style="white-space:nowrap;display:inline-block"><span style="display:inline-block;'
                     f'width:0.9em;height:0.9em;background:rgb({int(255 * r)},{int(255 * g)},{int(255 * b)});'
                     f'border:1px solid #999;margin:0 0.3em 0 1em;vertical-align:middle"></span>'
                     f'{html.escape(label)}</span>')
    return "<div style='font-size:0.9em'>" + "".join(parts) + "</div>"


def remove_drawn(ax) -> None:
    """Empty ``ax`` for the next update: remove its data artists, reset its aspect and data limits.

    Keeps ticks, spines, titles and labels as they are (the caller sets them again if they change):
    ``ax.clear()`` rebuilds all of them and took most of a redraw's Python time.
    """
    for artist in [*ax.images, *ax.collections, *ax.patches, *ax.texts, *ax.lines]:
        artist.remove()
    ax.set_aspect("auto")
    ax.relim()
    ax.set_autoscale_on(True)


def png_bytes(rgb) -> bytes:
    """A PNG of ``rgb`` (uint8 array, height x width x 3): every row "Up"-filtered, zlib level 1.

    What users wait for is the encoding (the image travels over a local socket): Pillow's PNG
    encoder picks a filter per row and took 2-4 times as long for images of about the same size.
    """
    import struct
    import zlib

    import numpy as np

    height, width, _ = rgb.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 2  # PNG filter type "Up": each byte minus the one above it, modulo 256
    rows[:, 1:] = rgb.reshape(height, -1)
    rows[1:, 1:] -= rgb[:-1].reshape(height - 1, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, deflate, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


class FigureWidget:
    """Controls above a matplotlib figure, and HTML text under it; redrawn on every control change.

    Subclasses build their controls, pass them to ``__init__`` and implement :meth:`draw`.

    Inputs:
    - controls: dict name -> ipywidgets value widget (sliders, dropdowns, toggles...), in display order
    - figsize: (width, height) of the figure in inches; it is shown at ``figsize * dpi`` pixels
    - rows: optional list of lists of control names, one HBox per list (default: all in one wrapping row);
      an item may instead be a ready-made box of the controls (e.g. sliders beside a grid of boxes)
    - extra: optional ipywidgets placed under the controls (e.g. a Play button)

    Attributes used by tests: ``controls``, ``image`` (``ipywidgets.Image``, PNG bytes), ``text``
    (``ipywidgets.HTML``), ``state`` (what the last :meth:`draw` returned besides its HTML),
    ``last_update_ms``, ``box`` (what the notebook displays).
    """

    dpi = 100
    #: PNG pixels per displayed pixel: text stays sharp on high-density screens (1.5 drew and encoded 40% more
    #: pixels for every update, a third of its time, for no difference a 1x screen shows).
    render_scale = 1.25

    def __init__(self, controls: dict, figsize: tuple[float, float] = (8.0, 4.0),
                 rows: list[list[str]] | None = None, extra: list | None = None, legend: str = ""):
        import ipywidgets as widgets
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.controls = dict(controls)
        # made at the PNG's resolution and drawn straight by Agg: savefig at another dpi re-scales every
        # artist and re-lays out every text on each update, which took most of an update's time
        self.figure = Figure(figsize=figsize, dpi=self.dpi * self.render_scale)
        self._canvas = FigureCanvasAgg(self.figure)
        width_px = int(figsize[0] * self.dpi)
        # no margin: a figure wider than the output area is scaled to its width, and not 4 px past it
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width_px}px", max_width="100%",
                                                                       margin="0"))
        self.text = widgets.HTML()
        self.state: dict = {}
        self.last_update_ms = 0.0
        self._quiet = False
        groups = rows or [list(self.controls)]
        control_rows = [group if isinstance(group, widgets.Widget) else
                        widgets.HBox([self.controls[name] for name in group], layout=widgets.Layout(flex_flow="row wrap"))
                        for group in groups]
        for control in self.controls.values():  # said where the list is (its tooltip: the widget grows no taller)
            if isinstance(control, widgets.Dropdown) and not control.tooltip:
                control.tooltip = KEYBOARD_HINT
        parts = control_rows + list(extra or []) + [self.image, self.text]
        if legend:
            parts.append(widgets.HTML(legend))
        self.box = widgets.VBox(parts)
        for control in self.controls.values():
            control.observe(self._changed, names="value")

    # -- to implement ------------------------------------------------------------------------------

    def draw(self, **values) -> tuple[str, dict]:
        """Draw on ``self.figure`` for these control values; return (HTML for the text area, state)."""
        raise NotImplementedError

    def before_draw(self, values: dict) -> dict:
        """Adjust dependent controls (ranges, enabled) before drawing; return the values to draw."""
        return values

    # -- machinery ---------------------------------------------------------------------------------

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def quietly(self, change: Callable[[], None]) -> None:
        """Change controls without triggering a redraw for each change (e.g. clamping a range)."""
        self._quiet = True
        try:
            change()
        finally:
            self._quiet = False

    def _changed(self, change) -> None:
        if not self._quiet:
            self.update()

    def update(self) -> None:
        """Redraw the figure and the text from the controls' current values.

        Under nbgrader's autograde nothing is drawn: grading runs every cell, nobody looks at the
        picture, and a widget is never graded, so it costs the instructor's machine nothing there.
        """
        if under_autograde():
            return
        began = time.perf_counter()
        values = self.before_draw(self.values())
        # titles set here sit at the top of their axes: matplotlib's automatic title position measures
        # every tick label's extent on each draw (a third of a redraw), to dodge top labels no widget has
        with rc_context({"axes.titley": 1.0}):
            text, self.state = self.draw(**values)
        self.image.value = self.png()
        self.text.value = f"<div style='{TEXT_STYLE}'>{text}</div>" if text else ""
        self.last_update_ms = (time.perf_counter() - began) * 1000

    def png(self) -> bytes:
        """The figure as PNG bytes, ``figsize * dpi * render_scale`` pixels, RGB."""
        import numpy as np

        self._canvas.draw()
        return png_bytes(np.asarray(self._canvas.buffer_rgba())[..., :3])

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)
