"""Interactive visuals: convolution arithmetic (input size, kernel, padding, stride, dilation).

In the spirit of Dumoulin & Visin's conv_arithmetic animations, but live: sliders for
``n``, ``k``, ``pad``, ``stride``, ``dilation`` and the kernel's position, a picture of the
padded input (padding shaded, the current kernel's taps highlighted, dilation gaps
visible, pixels no kernel position ever reaches marked) beside the output map (the
current cell highlighted), and the output-size formula with the numbers filled in.

The picture counts the kernel positions by *sliding* the kernel (:func:`kernel_positions`),
not with the formula, so it can check a student's ``conv_output_size`` against it.

Everything that decides what to draw is a plain function, testable without a browser:
:func:`kernel_positions`, :func:`size_problem`, :func:`formula_text`,
:func:`compare_with_function` and :func:`draw_conv_arithmetic` (draws on two matplotlib
axes; later notebooks reuse it for pooling windows). The widget only wires sliders to them
and shows the figure as a PNG in an ``ipywidgets.Image``, updated in place.
"""
from __future__ import annotations

import html
import io
import time
from typing import Callable

import numpy as np

__all__ = [
    "kernel_positions",
    "size_problem",
    "formula_text",
    "compare_with_function",
    "draw_conv_arithmetic",
    "ConvArithmeticWidget",
    "conv_arithmetic_widget",
]

#: Cell colours (RGB in 0..1), shared by the picture and the legend.
COLORS = {
    "input": (0.85, 0.91, 0.97),    # pixels of the image
    "pad": (0.86, 0.86, 0.86),      # zero padding (填充)
    "unused": (0.98, 0.78, 0.78),   # image pixels no kernel position ever reaches
    "span": (1.00, 0.90, 0.74),     # inside the current window but between dilated taps
    "tap": (0.95, 0.56, 0.17),      # the current kernel's taps
    "out": (1.00, 1.00, 1.00),      # output cells not computed yet
    "done": (0.80, 0.91, 0.78),     # output cells already computed (earlier positions)
    "current": (0.35, 0.63, 0.31),  # the output cell of the current position
}
OK_COLOR, BAD_COLOR, NOTE_COLOR = "#2e7d32", "#c62828", "#555555"


# --- pure logic -----------------------------------------------------------------------------------


def kernel_positions(n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> list[int]:
    """Where the kernel's first tap lands, along one axis, found by sliding (not by the formula).

    Coordinates are in the padded input (``0 .. n + 2*pad - 1``). A position fits when its
    last tap, ``start + dilation*(k-1)``, is still inside. Returns ``[]`` when nothing fits.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    size, reach = n + 2 * pad, dilation * (k - 1)
    if n < 1 or k < 1 or pad < 0 or dilation < 1:
        return []
    starts, start = [], 0
    while start + reach <= size - 1:
        starts.append(start)
        start += stride
    return starts


def size_problem(n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> str | None:
    """Why this combination is invalid (a sentence), or ``None`` when it is fine."""
    for name, value, low in (("n", n, 1), ("k", k, 1), ("stride", stride, 1), ("pad", pad, 0), ("dilation", dilation, 1)):
        if value < low:
            return f"{name} = {value} is invalid: it must be at least {low}"
    span = dilation * (k - 1) + 1
    if span > n + 2 * pad:
        return (f"the kernel spans d(k−1)+1 = {dilation}·({k}−1)+1 = {span} pixels but the padded input "
                f"has only n+2p = {n}+2·{pad} = {n + 2 * pad}: no position fits "
                f"(conv_output_size should raise ValueError)")
    return None


def formula_text(n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> str:
    """The output-size formula with these numbers filled in, as plain (unicode) text."""
    top = n + 2 * pad - dilation * (k - 1) - 1
    text = (f"o = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊({n} + 2·{pad} − {dilation}·({k}−1) − 1)/{stride}⌋ + 1 "
            f"= ⌊{top}/{stride}⌋ + 1")
    if top < 0:
        return text + " → negative: no output (invalid)"
    o = top // stride + 1
    text += f" = {top // stride} + 1 = {o}"
    if top % stride:
        text += f"   (remainder {top % stride} dropped: the last {top % stride} row(s)/column(s) are never a window's start)"
    return text


def compare_with_function(function: Callable | None, n: int, k: int, stride: int = 1, pad: int = 0,
                          dilation: int = 1, name: str = "conv_output_size") -> tuple[str, str]:
    """Compare ``function(n, k, stride=, pad=, dilation=)`` with the count found by sliding.

    Returns ``(level, message)`` with level ``"ok"``, ``"bad"`` or ``"note"``; never raises.
    """
    if function is None:
        return "note", f"pass your {name} to the widget to compare your formula with the picture"
    fits = len(kernel_positions(n, k, stride, pad, dilation)) if stride >= 1 else 0
    invalid = size_problem(n, k, stride, pad, dilation)
    try:
        got = function(n, k, stride=stride, pad=pad, dilation=dilation)
    except NotImplementedError:
        return "note", f"implement {name} above to compare your formula with the picture"
    except Exception as error:  # the student's bug is a message, never a traceback
        said = f"{type(error).__name__}: {error}".rstrip(": ")
        if invalid and isinstance(error, ValueError):
            return "ok", f"your {name} raises {said} — right, this combination is invalid"
        if invalid:
            return "bad", f"your {name} raised {said}; an invalid combination should raise ValueError"
        return "bad", f"your {name} raised {said}, but {fits} position(s) fit"
    if invalid:
        return "bad", f"your {name} says {got!r} but no position fits: it should raise ValueError"
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        if isinstance(got, (float, np.floating)) and got == fits:
            return "bad", f"your {name} says {got!r}, a float: return an int ({fits})"
        return "bad", f"your {name} says {got!r} but {fits} positions fit"
    if got != fits:
        return "bad", f"your {name} says {int(got)} but {fits} positions fit"
    if not isinstance(got, int):
        return "bad", f"your {name} says {got!r}: right number, but return a Python int ({fits})"
    return "ok", f"your {name} agrees with the picture: {fits}"


def _window_cells(start_row: int, start_col: int, k: int, dilation: int) -> tuple[np.ndarray, np.ndarray]:
    taps = np.arange(k) * dilation
    return start_row + taps, start_col + taps


def draw_conv_arithmetic(ax_in, ax_out, n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1,
                         position: int = 0, input_label: str = "input", output_label: str = "output") -> dict:
    """Draw the padded input and the output map for one kernel position on two matplotlib axes.

    ``position`` is the output cell, row-major (clipped to the valid range). Both axes use the
    same cell size, so the output map is visibly smaller than the input. Returns what was drawn:
    ``{"positions": [...], "output": o, "row": i, "col": j, "taps": [(r, c), ...], "problem": str|None}``.
    """
    size = n + 2 * pad
    starts = kernel_positions(n, k, stride, pad, dilation) if stride >= 1 else []
    o = len(starts)
    problem = size_problem(n, k, stride, pad, dilation)
    extent = max(size, o, 1)

    # input: padding, image, never-used pixels, the current window's span and taps
    picture = np.empty((size, size, 3))
    picture[...] = COLORS["pad"]
    picture[pad:pad + n, pad:pad + n] = COLORS["input"]
    used = np.zeros((size, size), dtype=bool)
    for r in starts:
        for c in starts:
            rows, cols = _window_cells(r, c, k, dilation)
            used[np.ix_(rows, cols)] = True
    unused = ~used
    unused[:pad, :] = unused[pad + n:, :] = False
    unused[:, :pad] = unused[:, pad + n:] = False
    if o:
        picture[unused] = COLORS["unused"]
    row = col = 0
    taps: list[tuple[int, int]] = []
    if o:
        position = min(max(int(position), 0), o * o - 1)
        row, col = divmod(position, o)
        span = dilation * (k - 1) + 1
        r0, c0 = starts[row], starts[col]
        picture[r0:r0 + span, c0:c0 + span] = COLORS["span"]
        rows, cols = _window_cells(r0, c0, k, dilation)
        picture[np.ix_(rows, cols)] = COLORS["tap"]
        taps = [(int(r), int(c)) for r in rows for c in cols]

    for ax in (ax_in, ax_out):
        ax.clear()
        ax.set_xlim(-0.5, extent - 0.5)
        ax.set_ylim(extent - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        for side in ax.spines.values():
            side.set_visible(False)

    ax_in.imshow(picture, extent=(-0.5, size - 0.5, size - 0.5, -0.5), interpolation="nearest")
    _grid_lines(ax_in, 0, size)
    if pad:
        ax_in.add_patch(_rectangle(pad - 0.5, pad - 0.5, n, n, edgecolor="#1f4e79", lw=2))
    if taps:
        rows, cols = zip(*taps)
        ax_in.scatter(cols, rows, s=max(8.0, 900.0 / extent ** 1.3), c="#7a3b00", marker="o", zorder=3)
    title = f"{input_label} {n}×{n}" + (f" + padding {pad} → {size}×{size}" if pad else "")
    ax_in.set_title(title, fontsize=10)

    if o:
        offset = (extent - o) / 2
        cells = np.empty((o, o, 3))
        cells[...] = COLORS["out"]
        done = np.arange(o * o).reshape(o, o) < position
        cells[done] = COLORS["done"]
        cells[row, col] = COLORS["current"]
        ax_out.imshow(cells, extent=(offset - 0.5, offset + o - 0.5, offset + o - 0.5, offset - 0.5),
                      interpolation="nearest")
        _grid_lines(ax_out, offset, o, color="#9a9a9a")  # white cells need visible lines to be counted
        ax_out.add_patch(_rectangle(offset - 0.5, offset - 0.5, o, o, edgecolor="#333333", lw=1))
        ax_out.set_title(f"{output_label} {o}×{o} — cell ({row}, {col})", fontsize=10)
    else:
        ax_out.text(extent / 2 - 0.5, extent / 2 - 0.5, "no kernel position fits", ha="center", va="center",
                    color=BAD_COLOR, fontsize=11)
        ax_out.set_title(f"{output_label}: none", fontsize=10, color=BAD_COLOR)
    return {"positions": starts, "output": o, "row": row, "col": col, "taps": taps, "problem": problem}


def _grid_lines(ax, offset: float, cells: int, color: str = "white") -> None:
    edges = offset - 0.5 + np.arange(cells + 1)
    low, high = edges[0], edges[-1]
    segments = [[(e, low), (e, high)] for e in edges] + [[(low, e), (high, e)] for e in edges]
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(segments, colors=color, linewidths=1.0, zorder=2))


def _rectangle(x: float, y: float, w: float, h: float, **style):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, zorder=4, **style)


# --- the widget -----------------------------------------------------------------------------------


def _legend_html() -> str:
    def swatch(key: str, label: str) -> str:
        r, g, b = (int(255 * c) for c in COLORS[key])
        return (f'<span style="display:inline-block;width:0.9em;height:0.9em;background:rgb({r},{g},{b});'
                f'border:1px solid #999;margin:0 0.3em 0 1em;vertical-align:middle"></span>{label}')
    return ("<div style='font-size:0.85em'>"
            + swatch("input", "image pixel") + swatch("pad", "padding 填充 (zeros)")
            + swatch("tap", "kernel tap 卷积核") + swatch("span", "gap between dilated taps")
            + swatch("unused", "pixel no position reaches") + swatch("current", "current output cell")
            + "</div>")


class ConvArithmeticWidget:
    """Sliders + picture + formula; display it in a notebook (it is shown as its ``box``).

    Attributes used by tests: ``sliders`` (dict of ``IntSlider`` by name: n, k, pad, stride,
    dilation, position), ``image`` (``ipywidgets.Image``, PNG bytes), ``formula`` and ``message``
    (``ipywidgets.HTML``), ``state`` (what the last update drew), ``last_update_ms``.
    """

    def __init__(self, conv_output_size: Callable | None = None, n: int = 5, k: int = 3, stride: int = 1,
                 pad: int = 0, dilation: int = 1, position: int = 0, controls=("n", "k", "pad", "stride", "dilation"),
                 name: str = "conv_output_size", dpi: int = 72):
        import ipywidgets as widgets
        from matplotlib.figure import Figure

        self.function, self.name = conv_output_size, name
        spec = {"n": ("input n", 1, 12, n), "k": ("kernel k", 1, 7, k), "pad": ("padding p", 0, 4, pad),
                "stride": ("stride s", 1, 5, stride), "dilation": ("dilation d", 1, 4, dilation)}
        layout = widgets.Layout(width="250px")
        style = {"description_width": "80px"}
        self.sliders = {key: widgets.IntSlider(value=v, min=lo, max=hi, description=label, layout=layout, style=style)
                        for key, (label, lo, hi, v) in spec.items()}
        self.sliders["position"] = widgets.IntSlider(value=0, min=0, max=0, description="position",
                                                     layout=layout, style=style)
        self.play = widgets.Play(value=0, min=0, max=0, interval=700, description="slide the kernel")
        widgets.jslink((self.play, "value"), (self.sliders["position"], "value"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="640px"))
        self.formula = widgets.HTML()
        self.message = widgets.HTML()
        self.figure = Figure(figsize=(8.0, 4.0), dpi=dpi)
        self.ax_in, self.ax_out = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.02, wspace=0.08)
        self.state: dict = {}
        self.last_update_ms = 0.0
        self._quiet = False
        self._initial_position = position

        shown = [self.sliders[key] for key in ("n", "k", "pad", "stride", "dilation") if key in controls]
        for key, slider in self.sliders.items():
            slider.observe(self._changed, names="value")
        controls_box = widgets.HBox([widgets.VBox(shown[:3]), widgets.VBox(shown[3:] + [self.sliders["position"]]),
                                     widgets.VBox([widgets.Label("slide the kernel:"), self.play])])
        self.box = widgets.VBox([controls_box, self.image, self.formula, self.message, widgets.HTML(_legend_html())])
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)

    def values(self) -> dict:
        return {key: slider.value for key, slider in self.sliders.items()}

    def _changed(self, change) -> None:
        if not self._quiet:
            self.update()

    def update(self) -> None:
        """Redraw everything from the sliders' values (called on every slider move)."""
        began = time.perf_counter()
        v = self.values()
        n, k, p, s, d = v["n"], v["k"], v["pad"], v["stride"], v["dilation"]
        o = len(kernel_positions(n, k, s, p, d))
        position = self.sliders["position"]
        self._quiet = True  # keep the position slider in range without a second redraw
        try:
            position.max = self.play.max = max(o * o - 1, 0)
            position.disabled = o == 0
            if self._initial_position is not None:
                position.value, self._initial_position = min(max(self._initial_position, 0), position.max), None
            elif position.value > position.max:
                position.value = position.max
        finally:
            self._quiet = False

        self.state = draw_conv_arithmetic(self.ax_in, self.ax_out, n, k, s, p, d, position.value)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()

        formula = html.escape(formula_text(n, k, s, p, d))
        starts = self.state["positions"]
        slid = (f"sliding the kernel (step {s}) finds {o} start(s) per axis: {', '.join(map(str, starts))}"
                f" → a {o}×{o} feature map (特征图)" if o else "sliding the kernel finds no position")
        self.formula.value = (f"<div style='font-family:monospace'>{formula}</div>"
                              f"<div>{html.escape(slid)}</div>")
        problem = self.state["problem"]
        lines = []
        if problem:
            lines.append(f"<b style='color:{BAD_COLOR}'>invalid: {html.escape(problem)}</b>")
        level, text = compare_with_function(self.function, n, k, s, p, d, self.name)
        color = {"ok": OK_COLOR, "bad": BAD_COLOR}.get(level, NOTE_COLOR)
        lines.append(f"<span style='color:{color}'>{html.escape(text)}</span>")
        self.message.value = "<br>".join(lines)
        self.comparison = (level, text)
        self.last_update_ms = (time.perf_counter() - began) * 1000


def conv_arithmetic_widget(conv_output_size: Callable | None = None, **initial) -> ConvArithmeticWidget:
    """Build the convolution-arithmetic widget; pass your ``conv_output_size`` to check it against the picture.

    ``initial`` sets the starting values (``n``, ``k``, ``stride``, ``pad``, ``dilation``, ``position``);
    the default is the seed's example, a 5x5 input and a 3x3 filter at stride 1.
    """
    return ConvArithmeticWidget(conv_output_size, **initial)
