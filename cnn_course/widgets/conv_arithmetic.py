"""Notebook 02's picture: convolution arithmetic (input size, kernel, padding, stride, dilation).

In the spirit of Dumoulin & Visin's conv_arithmetic animations, but live: sliders for ``n``,
``k``, ``pad``, ``stride``, ``dilation`` and the kernel's position; the padded input (padding
shaded, the current kernel's taps highlighted, dilation gaps visible, pixels no kernel
position ever reaches marked) beside the output map (the current cell highlighted); the
output-size formula with the numbers filled in.

The picture counts the kernel positions by *sliding* the kernel (:func:`kernel_positions`),
not with the formula, and compares the student's ``conv_output_size`` with that count using
the course's own comparison (:func:`cnn_course.checks.compare`).
"""
from __future__ import annotations

import html
from typing import Callable

import numpy as np

from ..checks import compare
from ..i18n import N_, tr
from . import BAD_COLOR, FigureWidget, NotReady, call_student, describe_error, ft, message_html, remove_drawn, swatch_legend

__all__ = ["kernel_positions", "formula_text", "judge_output_size", "draw_conv_arithmetic",
           "ConvArithmeticWidget", "conv_arithmetic_widget"]

#: Cell colours (RGB in 0..1), shared by the picture and the legend.
COLORS = {
    "input": (0.85, 0.91, 0.97),    # pixels of the image
    "pad": (0.86, 0.86, 0.86),      # zero padding (填充)
    "unused": (0.98, 0.70, 0.70),   # image pixels no kernel position ever reaches
    "span": (1.00, 0.90, 0.74),     # inside the current window but between dilated taps
    "tap": (0.95, 0.56, 0.17),      # the current kernel's taps
    "out": (1.00, 1.00, 1.00),      # output cells not computed yet
    "done": (0.80, 0.91, 0.78),     # output cells already computed (earlier positions)
    "current": (0.35, 0.63, 0.31),  # the output cell of the current position
}


# --- pure logic -----------------------------------------------------------------------------------


def kernel_positions(n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> list[int]:
    """Where the kernel's first tap lands, along one axis, found by sliding (not by the formula).

    Coordinates are in the padded input (``0 .. n + 2*pad - 1``). A position fits when its
    last tap, ``start + dilation*(k-1)``, is still inside. Returns ``[]`` when nothing fits.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    size, reach = n + 2 * pad, dilation * (k - 1)
    starts, start = [], 0
    while start + reach <= size - 1:
        starts.append(start)
        start += stride
    return starts


def formula_text(n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1) -> str:
    """The output-size formula with these numbers filled in, as plain (unicode) text."""
    top = n + 2 * pad - dilation * (k - 1) - 1
    o = top // stride + 1
    text = (f"o = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊({n} + 2·{pad} − {dilation}·({k}−1) − 1)/{stride}⌋ + 1 "
            f"= ⌊{top}/{stride}⌋ + 1 = {top // stride} + 1 = {o}")
    if top < 0:  # the kernel is wider than the padded input: the formula's value means nothing
        return text + tr("  → the kernel does not fit: no output (invalid)")
    if top % stride:
        text += tr("   (remainder {rest} dropped: the last {rest} row(s)/column(s) are never a window's start)").format(
            rest=top % stride)
    return text


def judge_output_size(function: Callable | None, n: int, k: int, stride: int = 1, pad: int = 0,
                      dilation: int = 1) -> tuple[str, str]:
    """Compare ``function(n, k, stride=, pad=, dilation=)`` with the count found by sliding.

    Returns ``(level, message)`` with level ``"ok"``, ``"bad"`` or ``"note"``; never raises.
    When no position fits, the right answer is to raise ``ValueError``.
    """
    fits = len(kernel_positions(n, k, stride, pad, dilation))
    try:
        got = call_student(function, n, k, stride=stride, pad=pad, dilation=dilation, name="conv_output_size")
    except NotReady as note:
        return "note", tr("{note}: your conv_output_size will be compared with the picture").format(note=note)
    except Exception as error:  # the student's bug is a message, never a traceback
        said = describe_error(error)
        if not fits and isinstance(error, ValueError):
            return "ok", tr("your conv_output_size raises {error} — right, no position fits").format(error=said)
        if not fits:
            return "bad", tr("your conv_output_size raised {error}; when no position fits it should raise "
                             "ValueError").format(error=said)
        return "bad", tr("your conv_output_size raised {error}, but {fits} position(s) fit").format(error=said, fits=fits)
    if not fits:
        return "bad", tr("your conv_output_size says {got} but no position fits: it should raise ValueError").format(
            got=repr(got))
    problem = compare(got, fits, tr("your conv_output_size"))
    if problem:
        return "bad", problem + tr(" (the number of positions found by sliding)")
    return "ok", tr("your conv_output_size agrees with the picture: {fits}").format(fits=fits)


def _window_cells(start_row: int, start_col: int, k: int, dilation: int) -> tuple[np.ndarray, np.ndarray]:
    taps = np.arange(k) * dilation
    return start_row + taps, start_col + taps


def draw_conv_arithmetic(ax_in, ax_out, n: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1,
                         position: int = 0, input_label: str = N_("input"), output_label: str = N_("output")) -> dict:
    """Draw the padded input and the output map for one kernel position on two matplotlib axes.

    ``position`` is the output cell, row-major (clipped to the valid range). Both axes use the
    same cell size, so the output map is visibly smaller than the input. Returns what was drawn:
    ``{"positions": [...], "output": o, "row": i, "col": j, "taps": [(r, c), ...], "unused": count}``.
    """
    size = n + 2 * pad
    starts = kernel_positions(n, k, stride, pad, dilation)
    o = len(starts)
    extent = max(size, o, 1)

    used = np.zeros((size, size), dtype=bool)
    for r in starts:
        for c in starts:
            rows, cols = _window_cells(r, c, k, dilation)
            used[np.ix_(rows, cols)] = True
    image = np.zeros((size, size), dtype=bool)
    image[pad:pad + n, pad:pad + n] = True
    unused = image & ~used if o else np.zeros_like(image)

    picture = np.empty((size, size, 3))
    picture[...] = COLORS["pad"]
    picture[image] = COLORS["input"]
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
    picture[unused] = COLORS["unused"]  # last: a pixel never reached stays pink, also inside the current span

    for ax in (ax_in, ax_out):
        remove_drawn(ax)
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
    input_label, output_label = ft(input_label), ft(output_label)
    title = f"{input_label} {n}×{n}" + (ft(" + padding {pad} → {size}×{size}").format(pad=pad, size=size) if pad else "")
    ax_in.set_title(title, fontsize=12)

    if o:
        offset = (extent - o) / 2
        cells = np.empty((o, o, 3))
        cells[...] = COLORS["out"]
        cells[np.arange(o * o).reshape(o, o) < position] = COLORS["done"]
        cells[row, col] = COLORS["current"]
        ax_out.imshow(cells, extent=(offset - 0.5, offset + o - 0.5, offset + o - 0.5, offset - 0.5),
                      interpolation="nearest")
        _grid_lines(ax_out, offset, o, color="#9a9a9a")  # white cells need visible lines to be counted
        ax_out.add_patch(_rectangle(offset - 0.5, offset - 0.5, o, o, edgecolor="#333333", lw=1))
        ax_out.set_title(ft("{output} {o}×{o} — cell ({row}, {col})").format(output=output_label, o=o, row=row, col=col),
                         fontsize=12)
    else:
        ax_out.text(extent / 2 - 0.5, extent / 2 - 0.5, ft("no kernel position fits"), ha="center", va="center",
                    color=BAD_COLOR, fontsize=13)
        ax_out.set_title(ft("{output}: none").format(output=output_label), fontsize=12, color=BAD_COLOR)
    return {"positions": starts, "output": o, "row": row, "col": col, "taps": taps, "unused": int(unused.sum())}


def _grid_lines(ax, offset: float, cells: int, color: str = "white") -> None:
    from matplotlib.collections import LineCollection

    edges = offset - 0.5 + np.arange(cells + 1)
    low, high = edges[0], edges[-1]
    segments = [[(e, low), (e, high)] for e in edges] + [[(low, e), (high, e)] for e in edges]
    ax.add_collection(LineCollection(segments, colors=color, linewidths=1.0, zorder=2))


def _rectangle(x: float, y: float, w: float, h: float, **style):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, zorder=4, **style)


# --- the widget -----------------------------------------------------------------------------------

def legend() -> str:
    """The picture's legend, in the notebook's language."""
    return swatch_legend([(COLORS["input"], N_("image pixel")), (COLORS["pad"], N_("padding 填充 (zeros)")),
                          (COLORS["tap"], N_("kernel tap 卷积核")), (COLORS["span"], N_("gap between dilated taps")),
                          (COLORS["unused"], N_("pixel no position reaches")),
                          (COLORS["current"], N_("current output cell"))])


class ConvArithmeticWidget(FigureWidget):
    """Sliders (n, k, pad, stride, dilation, position) + picture + formula + the student's verdict.

    Attributes used by tests, besides :class:`FigureWidget`'s: ``sliders`` (the controls),
    ``play`` (slides the kernel), ``comparison`` (level and message of the last verdict).
    """

    def __init__(self, conv_output_size: Callable | None = None, n: int = 5, k: int = 3, stride: int = 1,
                 pad: int = 0, dilation: int = 1, position: int = 0):
        import ipywidgets as widgets

        self.function = conv_output_size
        layout, style = widgets.Layout(width="260px"), {"description_width": "80px"}
        spec = {"n": (N_("input n"), 1, 12, n), "k": (N_("kernel k"), 1, 7, k), "pad": (N_("padding p"), 0, 4, pad),
                "stride": (N_("stride s"), 1, 5, stride), "dilation": (N_("dilation d"), 1, 4, dilation),
                "position": (N_("position"), 0, 0, 0)}
        self.sliders = {key: widgets.IntSlider(value=v, min=lo, max=hi, description=tr(label), layout=layout, style=style)
                        for key, (label, lo, hi, v) in spec.items()}
        self.play = widgets.Play(value=0, min=0, max=0, interval=700, description=tr("slide the kernel"))
        widgets.jslink((self.play, "value"), (self.sliders["position"], "value"))
        self.comparison = ("note", "")
        self._initial_position: int | None = position
        super().__init__(self.sliders, figsize=(8.0, 4.0), rows=[["n", "k", "pad"], ["stride", "dilation", "position"]],
                         extra=[widgets.HBox([widgets.Label(tr("slide the kernel:")), self.play])], legend=legend())
        self.ax_in, self.ax_out = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.02, wspace=0.08)
        self.update()

    def before_draw(self, values: dict) -> dict:
        o = len(kernel_positions(values["n"], values["k"], values["stride"], values["pad"], values["dilation"]))
        position = self.sliders["position"]

        def clamp():
            position.max = self.play.max = max(o * o - 1, 0)
            position.disabled = o == 0
            if self._initial_position is not None:
                position.value, self._initial_position = min(max(self._initial_position, 0), position.max), None
            elif position.value > position.max:
                position.value = position.max
        self.quietly(clamp)
        return self.values()

    def draw(self, n, k, pad, stride, dilation, position) -> tuple[str, dict]:
        state = draw_conv_arithmetic(self.ax_in, self.ax_out, n, k, stride, pad, dilation, position)
        o, starts = state["output"], state["positions"]
        slid = (tr("sliding the kernel (step {stride}) finds {o} start(s) per axis: {starts} → a {o}×{o} feature map "
                   "(特征图)").format(stride=stride, o=o, starts=", ".join(map(str, starts))) if o else
                tr("sliding the kernel finds no position: the kernel spans d(k−1)+1 = {span} pixels, the padded input "
                   "only n+2p = {size}").format(span=dilation * (k - 1) + 1, size=n + 2 * pad))
        self.comparison = judge_output_size(self.function, n, k, stride, pad, dilation)
        invalid = "" if o else f"<div><b style='color:{BAD_COLOR}'>{html.escape(tr('invalid: no kernel position fits'))}</b></div>"
        text = (f"<div style='font-family:monospace;font-size:1.05em'>{html.escape(formula_text(n, k, stride, pad, dilation))}</div>"
                f"<div>{html.escape(slid)}</div>{invalid}<div>{message_html(*self.comparison)}</div>")
        return text, state


def conv_arithmetic_widget(conv_output_size: Callable | None = None, **initial) -> ConvArithmeticWidget:
    """Build the convolution-arithmetic widget; pass your ``conv_output_size`` to check it against the picture.

    ``initial`` sets the starting values (``n``, ``k``, ``stride``, ``pad``, ``dilation``, ``position``);
    the default is a 5x5 input and a 3x3 filter at stride 1.
    """
    return ConvArithmeticWidget(conv_output_size, **initial)


def demo(functions) -> ConvArithmeticWidget:
    """The widget as notebook 02 shows it, drawn with ``functions.conv_output_size`` (for benchmarks and tests)."""
    return conv_arithmetic_widget(functions.conv_output_size)
