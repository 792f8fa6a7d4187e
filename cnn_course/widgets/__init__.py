"""Interactive pictures for the notebooks: one module per picture, on one small base.

Every widget of the course is *controls + one matplotlib figure + a few lines of text*.
:class:`FigureWidget` does the wiring once: it lays the controls out above the figure,
redraws on every control change, shows the figure as a crisp PNG (rendered at 1.25 times the
displayed size, so text stays sharp on any screen) and times each update. While nobody presses
anything, it draws the pictures a next key press is likely to ask for, and the browser shows one
the moment its control moves (:mod:`.picture`). A notebook's
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

import contextlib
import html
import logging
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from matplotlib import rc_context
from matplotlib.text import Text

from ..i18n import LANGUAGES, N_, Said, language, speaking, tr
from ..record import under_autograde

OK_COLOR, BAD_COLOR, NOTE_COLOR = "#2e7d32", "#c62828", "#555555"
#: The text under a picture: lines as tall as text (ipywidgets makes each HTML line a 28 px control row), so a
#: widget's controls, picture and text fit a laptop's window together.
TEXT_STYLE = "line-height:1.35;margin:0.2em 0"
#: Frames drawn ahead after each change, while the kernel is idle (a frame costs 20-50 ms of the kernel's time).
LOOK_AHEAD = 24
#: A frame that took longer than this (s) ends the look-ahead: a slow student function would hold key presses up.
SLOW_FRAME = 0.3
#: The widget drawing ahead now (the one changed last), if any: one at a time, so that the one in use comes first.
_DRAWING_AHEAD: list = [None]


#: Fonts with Chinese glyphs, each system's usual ones: Debian/Ubuntu (fonts-noto-cjk, fonts-wqy-*), macOS, Windows.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Microsoft YaHei", "SimHei",
             "Droid Sans Fallback", "AR PL UMing CN")
#: Said under a Chinese notebook's picture when matplotlib has no font for its words (they are then in English).
NO_FONT = N_("The words in this picture are in English: matplotlib found no Chinese font on this computer "
             "(Debian/Ubuntu: sudo apt-get install fonts-noto-cjk, then restart the kernel).")


#: Files of such fonts, by name: matplotlib's font list is made once, so one installed later is added from here.
_CJK_FILES = (r"(?i)(notosans.*cjk|notoserif.*cjk|sourcehan|wqy|wenquanyi|droidsansfallback|uming|ukai|pingfang|msyh|"
              r"simhei|hiragino|stheiti|heiti)")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` that matplotlib has, or None. A font installed after matplotlib made its font
    list (in its cache, once) is not in it: the system's font files are then looked through once, by name."""
    import re

    from matplotlib import font_manager

    def found() -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    if found() is None:
        for path in font_manager.findSystemFonts():
            if re.search(_CJK_FILES, Path(path).name.replace("-", "").replace("_", "")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read: not a font for us
                    continue
    return found()


def figure_language() -> str:
    """The language of a picture's words: the notebook's, when matplotlib has a font for it; else English (no empty
    boxes where characters should be)."""
    chosen = language()
    return chosen if chosen == LANGUAGES[0] or cjk_font() else LANGUAGES[0]


def ft(message: str) -> str:
    """``message`` as a picture says it (:func:`figure_language`); ``tr`` for the words around the picture."""
    with speaking(figure_language()):
        return tr(message)


def figure_settings() -> dict:
    """matplotlib settings a picture is drawn with: titles at the top of their axes, and the Chinese font behind
    the Latin one when the picture speaks Chinese (matplotlib takes each missing glyph from the next font)."""
    settings: dict = {"axes.titley": 1.0}
    if figure_language() != LANGUAGES[0]:
        settings["font.family"] = ["DejaVu Sans", cjk_font()]
    return settings


def _display_width(text: str) -> int:
    """How many Latin characters ``text`` is as wide as: a Chinese character takes about two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` Latin characters' width (one longer word stays whole): between words,
    and between any two Chinese characters (Chinese has no spaces between words)."""
    import re

    pieces = re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+", text)
    lines, line = [], ""
    for piece in pieces:
        if piece.isspace():
            line += " " if line else ""
            continue
        if line.strip() and _display_width(line) + _display_width(piece) > width:
            lines.append(line.rstrip())
            line = piece
        else:
            line += piece
    return lines + [line.rstrip()]


@contextlib.contextmanager
def _quiet_font_search(settings: dict):
    """With a second font, matplotlib looks each text's weight up in both and logs a warning when the Chinese one has
    no bold face (it then uses the regular one, as wanted): a line of red in the notebook for nothing."""
    if "font.family" not in settings:
        yield
        return
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class NotReady(Exception):
    """The student's function is still a stub (raised ``NotImplementedError``): what to do (``said``), in the
    notebook's language; :func:`in_picture` says it again in a picture's."""

    def __init__(self, said: Said):
        super().__init__(said.translated())
        self.said = said


def in_picture(note: NotReady) -> str:
    """What a stub's note says when drawn in a picture (in :func:`figure_language`)."""
    with speaking(figure_language()):
        return note.said.translated()


def call_student(function: Callable | None, *args: Any, name: str | None = None, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, with a stub turned into :class:`NotReady` (its message says what to do).

    Other exceptions propagate: the widget decides whether raising was right (invalid arguments) or a bug.
    """
    label = name or getattr(function, "__name__", "the function")
    if function is None:
        raise NotReady(Said("pass your {function} to the widget to see it drawn", function=label))
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise NotReady(Said("implement {function} above, then run this cell again", function=label)) from None


def describe_error(error: BaseException) -> str:
    """``ValueError: stride must be >= 1``: how a student's exception is shown in a widget."""
    return f"{type(error).__name__}: {error}".rstrip(": ")


def message_html(level: str, text: str) -> str:
    """One coloured line: ``level`` is ``"ok"``, ``"bad"`` or ``"note"``."""
    color = {"ok": OK_COLOR, "bad": BAD_COLOR}.get(level, NOTE_COLOR)
    return f"<span style='color:{color}'>{html.escape(text)}</span>"


#: How to work a list from the keyboard (the picture keeps JupyterLab from taking a list's arrow keys, see .picture).
KEYBOARD_HINT = N_("From the keyboard: ↑ and ↓ choose the next or previous item; Space opens the whole list")


def swatch_legend(items: list[tuple[tuple[float, float, float], str]]) -> str:
    """An HTML legend: a coloured square (RGB in 0..1) and its label, for each item."""
    parts = []
    for (r, g, b), label in items:
        # one unbreakable item: a narrow notebook wraps between items, never between a square and its label
        parts.append(f'<span style="white-space:nowrap;display:inline-block"><span style="display:inline-block;'
                     f'width:0.9em;height:0.9em;background:rgb({int(255 * r)},{int(255 * g)},{int(255 * b)});'
                     f'border:1px solid #999;margin:0 0.3em 0 1em;vertical-align:middle"></span>'
                     f'{html.escape(tr(label))}</span>')
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

    Attributes used by tests: ``controls``, ``image`` (:class:`.picture.Picture`: ``value``, the PNG bytes), ``text``
    (``value``, the HTML under the picture), ``state`` (what the last :meth:`draw` returned besides its HTML),
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

        from .picture import Frames, Picture, TextOf, every_widget, serialise_changes

        self.controls = dict(controls)
        # made at the PNG's resolution and drawn straight by Agg: savefig at another dpi re-scales every
        # artist and re-lays out every text on each update, which took most of an update's time
        self.figure = Figure(figsize=figsize, dpi=self.dpi * self.render_scale)
        self._canvas = FigureCanvasAgg(self.figure)
        width_px = int(figsize[0] * self.dpi)
        # no margin: a figure wider than the output area is scaled to its width, and not 4 px past it
        # the picture and its text, shown in the browser from frames drawn ahead (see .picture)
        self.image = Picture(controls=list(self.controls.values()), width=width_px,
                             alt=tr("the widget's picture; its text below says what it shows"))
        self.text = TextOf(self.image)
        self.image.on_msg(self._browser_said)
        self._frames = Frames()
        self._sent: set[str] = set()       # keys of the frames the browser was sent
        self._viewed = False               # a browser shows the picture: drawing ahead is worth it
        self._last_move: tuple[str, int] | None = None
        self._plan = 0                     # the look-ahead in progress (a newer change stops an older one)
        self._looking_ahead = False
        # held while drawing and while a browser change is applied: ipykernel may handle widget messages on a thread
        # of their own (a subshell), beside the one drawing ahead
        self._drawing = threading.RLock()
        self._waiting, self._counting = 0, threading.Lock()   # browser changes waiting for the lock
        self._stale = False                # the figure and what draw sets are another frame's (see settle)
        self.state: dict = {}
        self.last_update_ms = 0.0
        self._quiet = False
        groups = rows or [list(self.controls)]
        control_rows = [group if isinstance(group, widgets.Widget) else
                        widgets.HBox([self.controls[name] for name in group], layout=widgets.Layout(flex_flow="row wrap"))
                        for group in groups]
        for control in self.controls.values():  # said where the list is (its tooltip: the widget grows no taller)
            if isinstance(control, widgets.Dropdown) and not control.tooltip:
                control.tooltip = tr(KEYBOARD_HINT)
        parts = control_rows + list(extra or []) + [self.image]
        if figure_language() != language():
            parts.append(widgets.HTML(f"<div style='{TEXT_STYLE};font-size:0.85em;color:{NOTE_COLOR}'>"
                                      f"{html.escape(tr(NO_FONT))}</div>"))
        if legend:
            parts.append(widgets.HTML(legend))
        self.box = widgets.VBox(parts)
        serialise_changes(every_widget(self.box), self)
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
        if self._quiet or self._looking_ahead:
            return
        owner = change["owner"]
        name = next((key for key, control in self.controls.items() if control is owner), None)
        old, new = change.get("old"), change.get("new")
        if isinstance(getattr(owner, "_options_values", None), tuple):  # a list: which way its index went
            old, new = (owner._options_values.index(old) if old in owner._options_values else None), owner.index
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and new != old:
            self._last_move = (name, 1 if new > old else -1)
        self._redraw()

    def waiting(self, change: int) -> None:
        """A browser change starts (+1) or ends (-1) waiting for the drawing lock (see .picture.serialise_changes)."""
        with self._counting:
            self._waiting += change

    def settle(self) -> None:
        """The figure and the attributes ``draw`` sets as the controls' values have them, after frames drawn ahead
        (or a change shown from one) left them as another frame's (the kernel does it once the look-ahead ends;
        ``state`` and the controls are always right). Under the drawing lock."""
        if self._stale and not under_autograde():
            self._stale = False
            _, self.state = self._draw_values(self.before_draw(self.values()))

    def update(self) -> None:
        """Redraw the figure and the text from the controls' current values and whatever else the picture shows.

        Called by a widget when something beside its controls changed: frames drawn ahead are dropped.
        Under nbgrader's autograde nothing is drawn: grading runs every cell, nobody looks at the
        picture, and a widget is never graded, so it costs the instructor's machine nothing there.
        """
        with self._drawing:
            if self._looking_ahead:
                return
            self._frames.clear()
            self._sent.clear()
            self.image.generation += 1
            self._redraw()

    def _draw_values(self, values: dict) -> tuple[str, dict]:
        """``draw`` with the picture's settings (titles at the top of their axes, the picture's fonts)."""
        # titles set here sit at the top of their axes: matplotlib's automatic title position measures
        # every tick label's extent on each draw (a third of a redraw), to dodge top labels no widget has
        settings = figure_settings()
        with rc_context(settings), _quiet_font_search(settings):
            text, state = self.draw(**values)
            if "font.family" in settings:  # texts made before (titles come with their axes) keep the fonts they had
                for artist in self.figure.findobj(Text):
                    artist.set_fontfamily(settings["font.family"])
        return (f"<div style='{TEXT_STYLE}'>{text}</div>" if text else ""), state

    def _key(self) -> str:
        from .picture import frame_key

        return frame_key(list(self.controls.values()), self.image.generation)

    def _redraw(self) -> None:
        """The picture for the controls' values: drawn, or the frame drawn ahead for them (then not rasterised)."""
        if under_autograde():
            return
        with self._drawing:
            began = time.perf_counter()
            values = self.before_draw(self.values())
            key = self._key()
            frame = self._frames.get(key) if self._viewed else None
            if frame:  # drawn ahead, and the browser shows it already: the figure is drawn again once all is quiet
                png, html, self.state = frame
                self._stale = True
            else:
                html, self.state = self._draw_values(values)
                self._stale = False
                png = self.png()
            self._frames.put(key, png, html, self.state)
            self.image.value, self.image.html = png, html
            self.last_update_ms = (time.perf_counter() - began) * 1000
            if self._viewed:
                self._send(key, current=True)
                self._look_ahead()

    # -- the browser and drawing ahead -------------------------------------------------------------

    def _send(self, key: str, current: bool = False) -> None:
        png, html, _ = self._frames.get(key) or (self.image.value, self.image.html, None)
        fresh = key not in self._sent
        self._sent.add(key)
        self.image.send({"kind": "frame", "key": key, "html": html, "current": current}, [png] if fresh else None)

    def _browser_said(self, _, content, buffers) -> None:
        with self._drawing:
            if content.get("ready"):             # a view of the picture appeared (again: a new page knows no frame)
                self._viewed = True
                self._sent.clear()
                if self.image.value:
                    self._send(self._key(), current=True)
                self._look_ahead(changed=False)
            elif isinstance(content.get("want"), str) and content["want"] in self._frames:
                self._sent.discard(content["want"])
                self._send(content["want"])

    def _look_ahead(self, changed: bool = True) -> None:
        """Draw, while the kernel is idle, the frames a next key press is likely to need (one per turn of its loop).

        One widget draws ahead at a time: the one changed last (the one the student is using) goes first; widgets
        just shown take their turns in the order they appeared (top to bottom, as a student meets them).
        """
        import asyncio

        from .picture import neighbours

        self._plan += 1
        plan, unsorted, moves = self._plan, neighbours(self.controls, self._last_move)[:LOOK_AHEAD], []
        try:
            loop = asyncio.get_running_loop()   # the kernel's (none in a plain Python process: nothing to show)
        except RuntimeError:
            return
        if changed:
            _DRAWING_AHEAD[0] = self
        waited = [0]

        def next_frame() -> None:
            if plan != self._plan:
                return
            if _DRAWING_AHEAD[0] not in (None, self) or self._waiting:  # another widget's turn, or a key press
                waited[0] += 1
                if waited[0] < 600:                      # at most half a minute
                    loop.call_later(0.05, next_frame)
                return
            _DRAWING_AHEAD[0] = self
            began = time.perf_counter()
            while unsorted and time.perf_counter() - began < 0.01:  # first what costs no drawing (see _look_at)
                move = unsorted.pop(0)
                if self._look_at(*move, draw=False) == "drawing needed":
                    moves.append(move)
            if unsorted:
                loop.call_later(0.001, next_frame)
                return
            while moves:
                began = time.perf_counter()
                if self._look_at(*moves.pop(0)) == "drawn":
                    if time.perf_counter() - began > SLOW_FRAME:
                        moves.clear()                    # drawing ahead would hold key presses up
                    loop.call_later(0.001, next_frame)   # let a waiting message (a key press) in first
                    return
            with self._drawing:                          # all drawn: the figure as the controls have it
                self.settle()
            if _DRAWING_AHEAD[0] is self:
                _DRAWING_AHEAD[0] = None

        loop.call_later(0.001, next_frame)

    def look_ahead_once(self, name: str, trait: str, value) -> bool:
        """Draw the frame for the controls' values with ``controls[name].<trait> = value``, send it to the browser,
        and leave every control and the widget's state as they were (the figure and the attributes ``draw`` sets
        are put back by :meth:`settle`, once the look-ahead ends). False when it was there already."""
        return self._look_at(name, trait, value) in ("drawn", "the same as another")

    def _look_at(self, name: str, trait: str, value, draw: bool = True) -> str:
        """The frame for one control change: "there already", "the same as another" (``before_draw`` settles these
        values on those of a frame there already: 03's list back to a kernel whose boxes it then fills in, say),
        "drawn", "drawing needed" (``draw`` false) or "cut short" (a key press waits)."""
        from .picture import every_widget, restore, snapshot, unsynced

        with self._drawing:
            tracked = every_widget(self.box)
            saved = snapshot(tracked)
            self._looking_ahead = True
            try:
                with unsynced():
                    self.quietly(lambda: setattr(self.controls[name], trait, value))
                    key = self._key()
                    if key in self._frames:
                        self.quietly(lambda: restore(saved))
                        return "there already"
                    state, memory = self.state, dict(vars(self))
                    values = self.before_draw(self.values())
                    # what before_draw remembers of the controls (03: the kernel its boxes hold) is put back with them
                    remembered = {name: memory.get(name) for name, now in vars(self).items() if memory.get(name) is not now}
                    self._stale = True  # the figure and what draw sets: another frame's until settle()
                    settled = self._frames.get(self._key())
                    if settled or not draw:
                        if settled:
                            self._frames.put(key, *settled)
                        outcome = "the same as another" if settled else "drawing needed"
                    else:
                        html, drawn = self._draw_values(values)
                        if not self._waiting:  # a key press waiting: no rasterising
                            self._frames.put(key, self.png(), html, drawn)
                        outcome = "cut short" if self._waiting else "drawn"
                    self.quietly(lambda: restore(saved))
                    vars(self).update(remembered)
                    self.state = state
            finally:
                self._looking_ahead = False
            if self._viewed and outcome in ("drawn", "the same as another"):
                self._send(key)
            return outcome

    #: The artists :meth:`draw` changes, when a subclass names them (its axes, titles and legends never change):
    #: the rest of the figure is then rasterised once and kept, and each picture draws only these over it.
    moving: list = []

    def png(self) -> bytes:
        """The figure as PNG bytes, ``figsize * dpi * render_scale`` pixels, RGB."""
        import numpy as np

        if not self.moving:
            self._canvas.draw()
        elif getattr(self, "_background", None) is None:
            for artist in self.moving:
                artist.set_animated(True)   # left out of a full draw
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
        else:
            self._canvas.restore_region(self._background)
        for artist in self.moving:
            self.figure.draw_artist(artist)
        return png_bytes(np.asarray(self._canvas.buffer_rgba())[..., :3])

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)
