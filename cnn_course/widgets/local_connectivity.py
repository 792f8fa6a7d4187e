"""Notebook 01's pictures: who is connected to whom, and how many weights that costs.

:class:`ConnectionsWidget` — pick an output neuron (row and column sliders) and see which input
pixels it is connected to under a fully-connected, a locally-connected and a convolutional layer,
each weight drawn in its own colour: in the convolutional layer the colours are the same at
every position (weight sharing, 权值共享), in the locally-connected one every position has colours
of its own (local connection, 局部连接), in the fully-connected one every neuron sees every pixel.
Under each, what the layer has to *store*, at the same scale, so the areas are the parameter
counts. The counts are found by counting the stored cells and compared with the student's
``dense_param_count``, ``local_param_count`` and ``conv_param_count``.

:class:`ParamChartWidget` — the student's three counting functions drawn against the image size
(log scale) for a kernel size, filter count, input depth and stride chosen with sliders, with
AlexNet conv1's published numbers (34,944 with sharing, 105,705,600 without) marked.
"""
from __future__ import annotations

import html
from typing import Callable

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from ..checks import compare
from ..i18n import N_, tr
from . import BAD_COLOR, FigureWidget, NotReady, call_student, describe_error, ft, message_html, swatch_legend
from .conv_arithmetic import kernel_positions

__all__ = ["KINDS", "output_size", "weight_tables", "neuron_weights", "stored_counts", "judge_count",
           "draw_connections", "ConnectionsWidget", "connections_widget", "count_curves", "ParamChartWidget",
           "param_chart_widget", "ALEXNET", "ALEXNET_SHARED", "ALEXNET_UNSHARED", "demo"]

KINDS = ("dense", "local", "conv")
#: Figure titles stay ASCII (matplotlib's default font has no Chinese glyphs); the text under the figure has the terms.
TITLES = {"dense": N_("fully connected"), "local": N_("locally connected"), "conv": N_("convolution (weights shared)")}
TERMS = {"dense": N_("fully connected 全连接"), "local": N_("locally connected 局部连接"),
         "conv": N_("convolution 卷积, weights shared 权值共享")}
FUNCTIONS = {"dense": "dense_param_count", "local": "local_param_count", "conv": "conv_param_count"}
COLORS = {
    "idle": (0.96, 0.96, 0.96),      # an input pixel this neuron is not connected to
    "neuron": (0.80, 0.80, 0.80),    # output neurons
    "chosen": (0.84, 0.15, 0.16),    # the chosen output neuron
}
WEIGHT_MAP = "viridis"
#: AlexNet conv1: 3x227x227 input, 96 filters of 11x11, stride 4 (Krizhevsky et al., 2012).
ALEXNET = {"n": 227, "k": 11, "filters": 96, "channels": 3, "stride": 4}
ALEXNET_SHARED, ALEXNET_UNSHARED = 34_944, 105_705_600


# --- pure logic -----------------------------------------------------------------------------------


def output_size(n: int, k: int, stride: int = 1) -> int:
    """Output positions along one axis, found by sliding the k-wide window (no padding)."""
    return len(kernel_positions(n, k, stride))


def weight_tables(n: int, k: int, stride: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
    """The weights each layer stores, for a one-channel n x n input and one filter, values in [0, 1).

    - ``dense``: (Ho*Wo, n*n), one row per output neuron, one column per input pixel
    - ``local``: (Ho, Wo, k, k), a k x k weight set of its own at every output position
    - ``conv``: (k, k), one weight set for every position
    """
    o = output_size(n, k, stride)
    g = np.random.default_rng(seed)
    return {"dense": g.random((o * o, n * n)), "local": g.random((o, o, k, k)), "conv": g.random((k, k))}


def neuron_weights(kind: str, tables: dict, n: int, k: int, stride: int, row: int, col: int) -> np.ndarray:
    """The weight output neuron (row, col) puts on each input pixel, as an (n, n) array; NaN = not connected."""
    out = np.full((n, n), np.nan)
    o = tables["local"].shape[0]
    if kind == "dense":
        return tables["dense"][row * o + col].reshape(n, n).copy()
    r0, c0 = row * stride, col * stride
    out[r0:r0 + k, c0:c0 + k] = tables["local"][row, col] if kind == "local" else tables["conv"]
    return out


def stored_counts(tables: dict) -> dict[str, int]:
    """Parameters of each layer, counted on the stored tables: every weight cell, plus one bias per stored neuron.

    Dense and locally connected layers store a bias per output neuron; a convolution one per filter.
    """
    neurons = tables["dense"].shape[0]
    return {"dense": int(tables["dense"].size + neurons), "local": int(tables["local"].size + neurons),
            "conv": int(tables["conv"].size + 1)}


def count_call(kind: str, n: int, k: int, stride: int = 1, channels: int = 1, filters: int = 1) -> tuple[tuple, dict]:
    """How the notebook's counting function for ``kind`` is called for this layer: (args, kwargs)."""
    o = output_size(n, k, stride)
    if kind == "dense":  # as many outputs as the convolution layer: F feature maps of Ho x Wo
        return (channels * n * n, filters * o * o), {}
    if kind == "local":
        return ((channels, n, n), filters, k), {"stride": stride}
    return (channels, filters, k), {}


def _call_text(kind: str, args: tuple, kwargs: dict) -> str:
    parts = [repr(a) for a in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"{FUNCTIONS[kind]}({', '.join(parts)})"


def judge_count(function: Callable | None, kind: str, args: tuple, kwargs: dict, expected: int,
                source: str = N_("counted in the picture")) -> tuple[str, str]:
    """Compare the student's count with ``expected``; returns ``(level, message)``, never raises."""
    call = _call_text(kind, args, kwargs)
    source = tr(source)
    try:
        got = call_student(function, *args, name=FUNCTIONS[kind], **kwargs)
    except NotReady as note:
        return "note", tr("{note}: it will be compared with the {expected} {source}").format(
            note=note, expected=f"{expected:,}", source=source)
    except Exception as error:  # the student's bug is a message, never a traceback
        return "bad", tr("your {call} raised {error}").format(call=call, error=describe_error(error))
    problem = compare(got, expected, tr("your {call}").format(call=call))
    if problem:
        return "bad", f"{problem} ({source})"
    return "ok", tr("your {call} = {expected}, as {source}").format(call=call, expected=f"{expected:,}", source=source)


# --- the connections picture ----------------------------------------------------------------------


def _frame(ax, width: float, height: float) -> None:
    """Empty ``ax`` for a fresh grid picture: remove what was drawn (cheaper than ``ax.clear()``, which rebuilds ticks)."""
    for artist in list(ax.images) + list(ax.collections) + list(ax.patches) + list(ax.texts) + list(ax.lines):
        artist.remove()
    ax.set_axis_off()
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(height - 0.4, -0.6)
    ax.set_aspect("equal")


def _grid(ax, x0: float, y0: float, rows: int, cols: int, color: str = "white", lw: float = 1.0) -> None:
    from matplotlib.collections import LineCollection

    xs, ys = x0 - 0.5 + np.arange(cols + 1), y0 - 0.5 + np.arange(rows + 1)
    segments = [[(x, ys[0]), (x, ys[-1])] for x in xs] + [[(xs[0], y), (xs[-1], y)] for y in ys]
    ax.add_collection(LineCollection(segments, colors=color, linewidths=lw, zorder=2))


def _outline(ax, x0: float, y0: float, rows: float, cols: float, color, lw: float = 2.5) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), cols, rows, fill=False, edgecolor=color, lw=lw, zorder=5))


def _colored(values: np.ndarray, cmap) -> np.ndarray:
    picture = np.empty(values.shape + (3,))
    picture[...] = COLORS["idle"]
    seen = ~np.isnan(values)
    picture[seen] = cmap(values[seen])[:, :3]
    return picture


def draw_connections(axes_top, axes_bottom, n: int, k: int, stride: int, row: int, col: int,
                     tables: dict | None = None) -> dict:
    """Draw the three layers (top: connections of neuron (row, col); bottom: the stored weights, same scale).

    Returns ``{"output": o, "row": r, "col": c, "connected": {kind: count}, "colors": {kind: (n, n, 3) array},
    "counts": {kind: int}}`` (row and col clipped into range).
    """
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection

    cmap = colormaps[WEIGHT_MAP]
    tables = tables if tables is not None else weight_tables(n, k, stride)
    o = tables["local"].shape[0]
    row, col = min(max(int(row), 0), o - 1), min(max(int(col), 0), o - 1)
    gap = 2.0
    width, height = n + gap + max(o, 1), float(n)
    state = {"output": o, "row": row, "col": col, "connected": {}, "colors": {}, "counts": stored_counts(tables)}
    for kind, ax in zip(KINDS, axes_top):
        _frame(ax, width, height)
        weights = neuron_weights(kind, tables, n, k, stride, row, col)
        picture = _colored(weights, cmap)
        state["colors"][kind] = picture
        state["connected"][kind] = int((~np.isnan(weights)).sum())
        ax.imshow(picture, extent=(-0.5, n - 0.5, n - 0.5, -0.5), interpolation="nearest")
        _grid(ax, 0, 0, n, n, color="#bbbbbb", lw=0.6)
        x_out = n - 0.5 + gap
        if kind == "dense":      # neurons in a line, taking the image as one long vector
            count = o * o
            step = height / count
            ys = -0.5 + step * (np.arange(count) + 0.5)
            xs = np.full(count, x_out + 0.5)
            chosen = row * o + col
            target = (xs[chosen], ys[chosen])
            ax.scatter(xs, ys, s=max(6.0, min(60.0, 900.0 / count)), color=COLORS["neuron"], zorder=3)
            ax.scatter([target[0]], [target[1]], s=90, color=COLORS["chosen"], zorder=4)
            ax.text(x_out + 1.0, (height - 1) / 2, ft("{count} neurons in a line").format(count=count), rotation=90,
                    ha="left", va="center",
                    fontsize=10)  # beside the column: below it, it would run into the weights' title
        else:                    # neurons on a grid, one per output position
            cells = np.empty((o, o, 3))
            cells[...] = COLORS["neuron"]
            cells[row, col] = COLORS["chosen"]
            top = (height - o) / 2
            ax.imshow(cells, extent=(x_out, x_out + o, top - 0.5 + o, top - 0.5), interpolation="nearest")
            _grid(ax, x_out + 0.5, top, o, o, color="white", lw=1.0)
            target = (x_out + col + 0.5, top + row)
        rows_, cols_ = np.nonzero(~np.isnan(weights))
        segments = [[(c, r), target] for r, c in zip(rows_, cols_)]
        ax.add_collection(LineCollection(segments, colors=cmap(weights[rows_, cols_]), linewidths=1.0,
                                         alpha=0.55, zorder=1))
        if kind != "dense":
            _outline(ax, col * stride, row * stride, k, k, COLORS["chosen"], lw=2.0)
        ax.set_title(ft(TITLES[kind]) + "\n" + ft("neuron ({row}, {col}) sees {count} pixel(s)").format(
            row=row, col=col, count=state["connected"][kind]), fontsize=11)

    # what each layer stores, all at the same cell size: areas compare the parameter counts
    dense, local, conv = tables["dense"], tables["local"], tables["conv"]
    wide, tall = max(dense.shape[1], o * k), max(dense.shape[0], o * k)
    tiles = local.transpose(0, 2, 1, 3).reshape(o * k, o * k)       # tile (i, j) at rows i*k.., cols j*k..
    for kind, ax, values in zip(KINDS, axes_bottom, (dense, tiles, conv)):
        _frame(ax, wide, tall)
        h, w = values.shape
        ax.imshow(cmap(values)[..., :3], extent=(-0.5, w - 0.5, h - 0.5, -0.5), interpolation="nearest")
        if kind == "dense":
            _outline(ax, 0, row * o + col, 1, w, COLORS["chosen"], lw=1.5)
        elif kind == "local":
            edges = -0.5 + k * np.arange(o + 1)          # white lines between the positions' weight sets
            ax.add_collection(LineCollection([[(e, edges[0]), (e, edges[-1])] for e in edges]
                                             + [[(edges[0], e), (edges[-1], e)] for e in edges],
                                             colors="white", linewidths=1.5, zorder=2))
            _outline(ax, col * k, row * k, k, k, COLORS["chosen"], lw=2.0)
        else:
            _outline(ax, 0, 0, k, k, COLORS["chosen"], lw=2.0)
        label = {"dense": ft("stores {h}×{w} weights + {h} biases"), "local": ft("stores {o}×{o} sets of {k}×{k} + {oo} biases"),
                 "conv": ft("stores one {k}×{k} set + 1 bias")}[kind].format(h=h, w=w, o=o, k=k, oo=o * o)
        ax.set_title(label + "\n" + ft("= {count} parameters").format(count=f"{state['counts'][kind]:,}"), fontsize=11)
    return state


def legend() -> str:
    """The connections picture's legend, in the notebook's language."""
    return swatch_legend([(COLORS["idle"], N_("pixel not connected to the chosen neuron")),
                          (COLORS["chosen"], N_("the chosen output neuron / its weights")),
                          (COLORS["neuron"], N_("other output neurons"))]) + (
        "<div style='font-size:0.9em;margin-left:1em'>" + tr(
            "Connected pixels and stored weights are coloured by the weight's value (dark purple = small, yellow = "
            "large): <b>the same colour pattern is the same weights</b>.") + "</div>")


class ConnectionsWidget(FigureWidget):
    """Sliders (row, col, image n, kernel k, stride) + three layers' connections and stored weights + counts.

    Attributes used by tests, besides :class:`FigureWidget`'s: ``sliders``, ``verdicts`` (kind -> (level, message)).
    """

    def __init__(self, dense_param_count: Callable | None = None, local_param_count: Callable | None = None,
                 conv_param_count: Callable | None = None, n: int = 5, k: int = 3, stride: int = 1,
                 row: int = 0, col: int = 0):
        import ipywidgets as widgets

        self.functions = {"dense": dense_param_count, "local": local_param_count, "conv": conv_param_count}
        layout, style = widgets.Layout(width="270px"), {"description_width": "112px"}
        spec = {"row": (N_("neuron row"), 0, 8, row), "col": (N_("neuron column"), 0, 8, col),
                "n": (N_("image n×n"), 3, 9, n), "k": (N_("kernel k×k"), 1, 5, k), "stride": (N_("stride s"), 1, 3, stride)}
        self.sliders = {key: widgets.IntSlider(value=v, min=lo, max=hi, description=tr(label), layout=layout, style=style,
                                               continuous_update=True)
                        for key, (label, lo, hi, v) in spec.items()}
        self.verdicts: dict[str, tuple[str, str]] = {}
        self._initial = {"row": row, "col": col}
        self._tables_key: tuple | None = None
        self._tables: dict = {}
        super().__init__(self.sliders, figsize=(9.0, 4.7), rows=[["row", "col"], ["n", "k", "stride"]], legend=legend())
        self.axes = self.figure.subplots(2, 3, gridspec_kw={"height_ratios": [1.0, 0.8]})
        self.figure.subplots_adjust(left=0.01, right=0.99, top=0.8, bottom=0.01, wspace=0.06, hspace=0.3)
        for ax in self.axes[0]:
            ax.set_anchor("N")      # pictures right under their titles; spare room goes below
        for ax in self.axes[1]:
            ax.set_anchor("NW")     # stored weights from the same corner: their areas compare
        self.update()

    def before_draw(self, values: dict) -> dict:
        if values["k"] > values["n"]:
            self.quietly(lambda: setattr(self.sliders["k"], "value", values["n"]))
        values = self.values()
        o = output_size(values["n"], values["k"], values["stride"])

        def clamp():
            for key in ("row", "col"):
                slider = self.sliders[key]
                slider.max = max(o - 1, 0)
                if self._initial.get(key) is not None:
                    slider.value = min(self._initial.pop(key), slider.max)
                elif slider.value > slider.max:
                    slider.value = slider.max
        self.quietly(clamp)
        return self.values()

    def tables(self, n: int, k: int, stride: int) -> dict:
        key = (n, k, stride)
        if key != self._tables_key:
            self._tables_key, self._tables = key, weight_tables(n, k, stride, seed=n * 100 + k * 10 + stride)
        return self._tables

    def draw(self, row, col, n, k, stride) -> tuple[str, dict]:
        tables = self.tables(n, k, stride)
        state = draw_connections(self.axes[0], self.axes[1], n, k, stride, row, col, tables)
        o = state["output"]
        self.figure.suptitle(ft("one channel, one filter: a {n}×{n} image, {k}×{k} kernel, stride {stride} "
                                "→ {o}×{o} output neurons").format(n=n, k=k, stride=stride, o=o),
                             fontsize=12, y=0.995, va="top")
        lines = []
        for kind in KINDS:
            args, kwargs = count_call(kind, n, k, stride)
            self.verdicts[kind] = judge_count(self.functions[kind], kind, args, kwargs, state["counts"][kind])
            lines.append(f"<div><b>{html.escape(tr(TERMS[kind]))}</b>: "
                         + html.escape(tr("{count} parameters").format(count=f"{state['counts'][kind]:,}"))
                         + f" — {message_html(*self.verdicts[kind])}</div>")
        moved = tr("Move the neuron: in the convolution the colours stay the same (one shared weight set); "
                   "in the locally connected layer every position has colours of its own.")
        return f"<div>{html.escape(moved)}</div>" + "".join(lines), state


def connections_widget(dense_param_count: Callable | None = None, local_param_count: Callable | None = None,
                       conv_param_count: Callable | None = None, **initial) -> ConnectionsWidget:
    """Build the connections picture; pass your three counting functions to compare them with the picture.

    ``initial`` sets the starting values (``n``, ``k``, ``stride``, ``row``, ``col``).
    """
    return ConnectionsWidget(dense_param_count, local_param_count, conv_param_count, **initial)


# --- the parameter-count chart --------------------------------------------------------------------


def image_sizes(k: int, stride: int, largest: int = 512, points: int = 40) -> np.ndarray:
    """Image sizes from k (one position) to ``largest``, spaced evenly on a log scale."""
    return np.unique(np.geomspace(max(k, 2), largest, points).astype(int))


def count_curves(functions: dict, sizes, k: int, filters: int, channels: int, stride: int) -> tuple[dict, dict]:
    """Each student function's count at every image size: ({kind: list or None}, {kind: (level, message)}).

    A stub gives ``None`` and a note; an exception, a non-int or a non-positive count stops the curve with a message.
    """
    curves, notes = {}, {}
    for kind in KINDS:
        values = []
        try:
            for n in sizes:
                args, kwargs = count_call(kind, int(n), k, stride, channels, filters)
                got = call_student(functions.get(kind), *args, name=FUNCTIONS[kind], **kwargs)
                if isinstance(got, bool) or not isinstance(got, (int, np.integer)) or got <= 0:
                    raise TypeError(tr("returned {got} for {call}; expected a positive int").format(
                        got=repr(got), call=_call_text(kind, args, kwargs)))
                values.append(int(got))
        except NotReady as note:
            curves[kind], notes[kind] = None, ("note", tr("{note}: its line will appear here").format(note=note))
            continue
        except Exception as error:
            curves[kind], notes[kind] = None, ("bad", tr("your {function} {error}").format(
                function=FUNCTIONS[kind], error=describe_error(error)))
            continue
        curves[kind], notes[kind] = values, ("ok", "")
    return curves, notes


def _short(value: int) -> str:
    """A count for a bar label: exact up to a billion, then in billions (a label must fit over its bar)."""
    return f"{value:,}" if value < 10 ** 9 else ft("{count} billion").format(count=f"{value / 1e9:,.1f}")


def _power_label(value: float, _position=None) -> str:
    """Tick labels of the log axes: 1, 10, 100, 1k, 10k, 100k, 1M ... 1T, 10T (no mathtext: faster)."""
    if value <= 0:
        return ""
    exponent = int(round(np.log10(value)))
    if not np.isclose(value, 10.0 ** exponent):
        return ""
    names = {0: "1", 1: "10", 2: "100"}
    if exponent in names:
        return names[exponent]
    prefix, unit = divmod(exponent, 3)
    return f"{10 ** unit}{' kMGTPE'[prefix]}" if prefix < 7 else f"1e{exponent}"


LINE_STYLE = {"dense": ("#c62828", N_("fully connected (same outputs)")), "local": ("#ef6c00", N_("locally connected")),
              "conv": ("#1565c0", N_("convolution (weights shared)"))}


class ParamChartWidget(FigureWidget):
    """Sliders (image n, kernel k, filters F, input depth C, stride s) + log-scale counts + AlexNet check.

    Attributes used by tests: ``sliders``, ``alexnet`` (the button), ``notes`` and ``alexnet_verdicts``.
    """

    def __init__(self, dense_param_count: Callable | None = None, local_param_count: Callable | None = None,
                 conv_param_count: Callable | None = None, **initial):
        import ipywidgets as widgets

        self.functions = {"dense": dense_param_count, "local": local_param_count, "conv": conv_param_count}
        start = {**ALEXNET, **initial}
        layout, style = widgets.Layout(width="300px"), {"description_width": "110px"}
        spec = {"n": (N_("image n×n"), 8, 512, start["n"]), "k": (N_("kernel k×k"), 1, 15, start["k"]),
                "filters": (N_("filters F"), 1, 256, start["filters"]),
                "channels": (N_("input depth C"), 1, 64, start["channels"]), "stride": (N_("stride s"), 1, 8, start["stride"])}
        self.sliders = {key: widgets.IntSlider(value=v, min=lo, max=hi, description=tr(label), layout=layout, style=style)
                        for key, (label, lo, hi, v) in spec.items()}
        self.alexnet = widgets.Button(description="AlexNet conv1", tooltip=tr("3×227×227, 96 filters 11×11, stride 4"))
        self.alexnet.on_click(lambda _: self.set_alexnet())
        self.notes: dict = {}
        self.alexnet_verdicts: dict = {}
        super().__init__(self.sliders, figsize=(9.0, 4.0), rows=[["n", "k", "filters"], ["channels", "stride"]],
                         extra=[self.alexnet])
        self.ax_lines, self.ax_bars = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1.0]})
        self.figure.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.16, wspace=0.28)
        self._build_chart()
        self.update()

    def set_alexnet(self) -> None:
        def apply():
            for key, value in ALEXNET.items():
                self.sliders[key].value = value
        self.quietly(apply)
        self.update()

    def before_draw(self, values: dict) -> dict:
        if values["k"] > values["n"]:
            self.quietly(lambda: setattr(self.sliders["k"], "value", values["n"]))
        return self.values()

    def _build_chart(self) -> None:
        """The chart's artists, made once; :meth:`draw` only moves them (fast, and the axes keep their ticks)."""
        ax, bars = self.ax_lines, self.ax_bars
        self.lines = {kind: ax.plot([], [], color=LINE_STYLE[kind][0], lw=2.2, label=ft(LINE_STYLE[kind][1]))[0]
                      for kind in KINDS}
        ax.scatter([227, 227], [ALEXNET_UNSHARED, ALEXNET_SHARED], marker="*", s=220, color="black", zorder=5,
                   label=ft("AlexNet conv1 (published)"))
        for value in (ALEXNET_UNSHARED, ALEXNET_SHARED):
            ax.annotate(f"{value:,}", (227, value), xytext=(-8, 8), textcoords="offset points", ha="right", fontsize=11)
        self.marker = ax.axvline(227, color="#777777", ls="--", lw=1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        bars.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis, bars.yaxis):   # plain labels: mathtext (10^k) costs ~50 ms per redraw
            axis.set_major_formatter(FuncFormatter(_power_label))
            axis.set_minor_formatter(NullFormatter())
        ax.set_xlim(1.8, 560)
        ax.set_ylim(1, 1e14)
        ax.set_xlabel(ft("image size n (an n×n image)"), fontsize=11)
        ax.set_ylabel(ft("parameters (log scale)"), fontsize=11)
        ax.tick_params(labelsize=11)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=10, loc="upper left")
        self.missing = ax.text(0.98, 0.04, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=10,
                               color=BAD_COLOR)  # one function per line: inside the axes, however many are missing
        self.bar_rects = bars.bar(range(3), [1, 1, 1], color=[LINE_STYLE[kind][0] for kind in KINDS]).patches
        self.bar_labels = [bars.text(i, 1, "", ha="center", va="bottom", fontsize=11) for i in range(3)]
        bars.set_ylim(1, 1e15)
        bars.set_xticks(range(3), [ft("fully\nconn."), ft("locally\nconn."), ft("conv")], fontsize=11)
        bars.tick_params(axis="y", labelsize=11)
        # what draw() changes; the axes, ticks, legend and stars are rasterised once (a full draw took 50 ms)
        self.moving = [*self.lines.values(), self.marker, self.missing, *self.bar_rects, *self.bar_labels,
                       ax.title, bars.title]

    def draw(self, n, k, filters, channels, stride) -> tuple[str, dict]:
        sizes = image_sizes(k, stride)
        curves, self.notes = count_curves(self.functions, sizes, k, filters, channels, stride)
        here, _ = count_curves(self.functions, [n], k, filters, channels, stride)
        for kind in KINDS:
            self.lines[kind].set_data(sizes, curves[kind] if curves[kind] is not None else np.full(len(sizes), np.nan))
        self.marker.set_xdata([n, n])
        missing = [FUNCTIONS[kind] for kind in KINDS if curves[kind] is None]
        self.missing.set_text(ft("not drawn yet:") + "\n" + "\n".join(missing) if missing else "")
        at_alexnet = {key: value for key, value in ALEXNET.items() if key != "n"} == \
            {"k": k, "filters": filters, "channels": channels, "stride": stride}
        self.ax_lines.set_title(ft("C={channels}, F={filters} filters of {k}×{k}, stride {stride}").format(
            channels=channels, filters=filters, k=k, stride=stride) + ("  (AlexNet conv1)" if at_alexnet else ""),
            fontsize=12)

        values = [here[kind][0] if here[kind] else None for kind in KINDS]
        for rect, label, value in zip(self.bar_rects, self.bar_labels, values):
            rect.set_height(value if value else 1)
            label.set_position((label.get_position()[0], (value or 1) * 1.6))
            label.set_text(_short(value) if value else ft("not yet"))
        o = output_size(n, k, stride)
        self.ax_bars.set_title(ft("at n = {n}: output {filters}×{o}×{o}").format(n=n, filters=filters, o=o), fontsize=12)

        self.alexnet_verdicts = {
            "conv": judge_count(self.functions["conv"], "conv", *count_call("conv", 227, 11, 4, 3, 96),
                                ALEXNET_SHARED, N_("AlexNet conv1's published count")),
            "local": judge_count(self.functions["local"], "local", *count_call("local", 227, 11, 4, 3, 96),
                                 ALEXNET_UNSHARED, N_("AlexNet conv1's published count without sharing")),
        }
        rows = [f"<div>{message_html(*self.alexnet_verdicts[kind])}</div>" for kind in ("conv", "local")]
        rows += [f"<div>{message_html(*self.notes[kind])}</div>" for kind in KINDS if self.notes[kind][0] != "ok"]
        if all(values):
            dense, local, conv = values
            rows.insert(0, "<div>" + tr("at n = {n}: {dense} parameters fully connected, {local} locally connected, "
                                        "{conv} as a convolution.").format(n=n, dense=f"{dense:,}", local=f"{local:,}",
                                                                           conv=f"{conv:,}") + "</div>")
            rows.insert(1, "<div>" + tr("weight sharing needs {local}× fewer parameters than a locally connected layer, "
                                        "{dense}× fewer than a fully-connected one; the convolution's count does not "
                                        "depend on n.").format(local=f"{local / conv:,.0f}", dense=f"{dense / conv:,.0f}")
                           + "</div>")
        return "".join(rows), {"curves": curves, "sizes": sizes, "here": values, "at_alexnet": at_alexnet}


def param_chart_widget(dense_param_count: Callable | None = None, local_param_count: Callable | None = None,
                       conv_param_count: Callable | None = None, **initial) -> ParamChartWidget:
    """Build the parameter-count chart from your three counting functions; starts at AlexNet conv1.

    ``initial`` sets the starting values (``n``, ``k``, ``filters``, ``channels``, ``stride``).
    """
    return ParamChartWidget(dense_param_count, local_param_count, conv_param_count, **initial)


def demo(functions) -> ConnectionsWidget:
    """The connections picture as notebook 01 shows it, drawn with the namespace's counting functions."""
    return connections_widget(functions.dense_param_count, functions.local_param_count, functions.conv_param_count)
