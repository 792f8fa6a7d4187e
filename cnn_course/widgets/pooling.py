"""Notebook 04's picture: pooling windows, switches, unpooling beside nearest upsampling.

A small feature map (random digits, a map full of ties, a constant map, or one typed by the
student) with its pooling windows coloured, one colour per window; cells inside several
windows (stride < size) and cells inside none (gaps, dropped remainders) marked. To its
right the max-pooled map, with an arrow from every pooled cell to the input position its
switch remembers; beside it the mean-pooled map. Below, the pooled map brought back up two
ways: ``max_unpool2d`` (zeros except at the switches) and ``upsample_nearest`` with the
stride as scale (every value copied into its block, no positions used).

The picture slides the windows itself (:func:`window_starts`) and scans each window in
row-major order (:func:`scan_windows`) to colour the cells; it draws the *student's*
results when their functions are implemented (the picture's own otherwise, and says so),
and compares them with its own scan using the course's comparison
(:func:`cnn_course.checks.compare`).
"""
from __future__ import annotations

import html
from functools import lru_cache
from typing import Callable

import numpy as np

from ..checks import compare
from ..i18n import N_, Said, say, speaking, tr
from ..pairs import pair as _pair
from . import BAD_COLOR, FigureWidget, NotReady, call_student, describe_error, figure_language, ft, message_html, swatch_legend

__all__ = ["window_starts", "scan_windows", "parse_map", "make_map", "judge_pooling", "PoolingWidget",
           "pooling_widget", "demo"]

#: One colour per window (RGB in 0..1), cycled; cells get a light tint of it.
PALETTE = [(0.12, 0.47, 0.71), (1.00, 0.50, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16),
           (0.58, 0.40, 0.74), (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.09, 0.75, 0.81),
           (0.74, 0.74, 0.13)]
COLORS = {
    "overlap": (0.80, 0.76, 0.90),    # a cell inside two or more windows
    "dropped": (0.78, 0.78, 0.78),    # a cell inside no window (gap, or remainder dropped)
    "zero": (1.00, 1.00, 1.00),       # a zero of the unpooled map
}
MAP_KINDS = [N_("random digits"), N_("ties (0, 1, 2)"), N_("constant"), N_("typed below")]
DEFAULT_TEXT = "1 1 2 4\n5 6 7 8\n3 2 1 0\n1 2 3 4"


def _tint(color, amount: float = 0.72):
    return tuple(c + (1 - c) * amount for c in color)


# --- pure logic -----------------------------------------------------------------------------------


def window_starts(n: int, k: int, stride: int) -> list[int]:
    """First row (or column) of every window along one axis, found by sliding: a window fits while it ends inside."""
    if k < 1 or stride < 1:
        raise ValueError(f"window and stride must be at least 1, got {k} and {stride}")
    starts, start = [], 0
    while start + k <= n:
        starts.append(start)
        start += stride
    return starts


def scan_windows(plane: np.ndarray, size, stride=None) -> dict:
    """Scan every window of a 2-D map in row-major order, keeping the first strictly larger value.

    Returns ``{"rows": [...], "cols": [...], "max": (Ho, Wo), "switches": (Ho, Wo) int64 flat
    indices r * W + c, "mean": (Ho, Wo), "cover": (H, W) number of windows containing each cell,
    "owner": (H, W) index of the first window containing each cell (-1: none)}``.
    """
    plane = np.asarray(plane, dtype=np.float64)
    (kh, kw) = _pair(size)
    (sh, sw) = (kh, kw) if stride is None else _pair(stride)
    h, w = plane.shape
    rows, cols = window_starts(h, kh, sh), window_starts(w, kw, sw)
    ho, wo = len(rows), len(cols)
    best = np.zeros((ho, wo))
    switches = np.zeros((ho, wo), dtype=np.int64)
    mean = np.zeros((ho, wo))
    cover = np.zeros((h, w), dtype=int)
    owner = np.full((h, w), -1)
    for i, r0 in enumerate(rows):
        for j, c0 in enumerate(cols):
            where = None
            for r in range(r0, r0 + kh):              # row-major: a later equal value never replaces
                for c in range(c0, c0 + kw):
                    if where is None or plane[r, c] > plane[where]:
                        where = (r, c)
            best[i, j] = plane[where]
            switches[i, j] = where[0] * w + where[1]
            mean[i, j] = plane[r0:r0 + kh, c0:c0 + kw].sum() / (kh * kw)
            cover[r0:r0 + kh, c0:c0 + kw] += 1
            window = owner[r0:r0 + kh, c0:c0 + kw]
            window[window < 0] = i * wo + j
    return {"rows": rows, "cols": cols, "max": best, "switches": switches, "mean": mean, "cover": cover,
            "owner": owner, "size": (kh, kw), "stride": (sh, sw)}


def parse_map(text: str) -> np.ndarray:
    """A typed feature map: one row per line, numbers separated by spaces or commas. ValueError when malformed."""
    rows = []
    for line in text.strip().splitlines():
        line = line.replace(",", " ").strip()
        if not line:
            continue
        try:
            rows.append([float(v) for v in line.split()])
        except ValueError:
            raise ValueError(Said("not a number in the line {line}", line=repr(line))) from None
    if not rows:
        raise ValueError(Said("type at least one row of numbers"))
    if len({len(r) for r in rows}) != 1:
        raise ValueError(Said("every row must have the same number of values"))
    if len(rows) > 12 or len(rows[0]) > 12:
        raise ValueError(Said("at most 12 rows and 12 columns"))
    array = np.array(rows)
    if not np.isfinite(array).all():
        raise ValueError(Said("only finite numbers, please"))
    return array


def make_map(kind: str, seed: int, h: int, w: int, text: str = DEFAULT_TEXT) -> np.ndarray:
    """The feature map to pool: random digits 0-9, random 0/1/2 (ties everywhere), constant, or typed."""
    g = np.random.default_rng(seed)
    if kind == MAP_KINDS[0]:
        return g.integers(0, 10, size=(h, w)).astype(np.float64)
    if kind == MAP_KINDS[1]:
        return g.integers(0, 3, size=(h, w)).astype(np.float64)
    if kind == MAP_KINDS[2]:
        return np.full((h, w), float(g.integers(1, 10)))
    return parse_map(text)


def _unpool(values: np.ndarray, switches: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    out = np.zeros(out_hw[0] * out_hw[1])
    out[switches.ravel()] = values.ravel()
    return out.reshape(out_hw)


def judge_pooling(functions: dict, plane: np.ndarray, size, stride=None) -> dict:
    """Call the student's four functions on this map and compare with the picture's own scan.

    ``functions`` maps names (``max_pool2d``, ``mean_pool2d``, ``max_unpool2d``, ``upsample_nearest``)
    to callables or None. Returns, per name, ``{"level", "message", "value"}``: ``value`` is the
    student's (2-D) result to draw, or None (not implemented, crashed, wrong shape: draw the
    picture's own). Unpooling and upsampling get the right pooled values and switches as input,
    so each function is judged on its own. Never raises.
    """
    scan = scan_windows(plane, size, stride)
    kh, kw = scan["size"]
    sh, sw = scan["stride"]
    x = plane[None, None].astype(np.float64)
    size_arg = kh if kh == kw else (kh, kw)
    stride_arg = None if (sh, sw) == (kh, kw) else (sh if sh == sw else (sh, sw))
    scale_arg = sh if sh == sw else (sh, sw)
    y4, s4 = scan["max"][None, None], scan["switches"][None, None]
    upsampled = np.repeat(np.repeat(scan["max"], sh, axis=0), sw, axis=1)
    calls = {
        "max_pool2d": ((x, size_arg, stride_arg), (y4, s4), "pooled"),
        "mean_pool2d": ((x, size_arg, stride_arg), scan["mean"][None, None], "pooled"),
        "max_unpool2d": ((y4.copy(), s4.copy(), plane.shape), _unpool(scan["max"], scan["switches"], plane.shape)[None, None],
                         "unpooled"),
        "upsample_nearest": ((y4.copy(), scale_arg), upsampled[None, None], "upsampled"),
    }
    verdicts = {}
    for name, (args, expected, _) in calls.items():
        function = functions.get(name)
        shown = ", ".join(_show_arg(a) for a in args)
        try:
            got = call_student(function, *args, name=name)
        except NotReady as note:
            verdicts[name] = {"level": "note", "message": tr("{note}: the picture shows its own result").format(note=note),
                              "value": None}
            continue
        except Exception as error:  # a bug in the student's code is a message, never a traceback
            verdicts[name] = {"level": "bad", "message": tr("your {call} raised {error}").format(
                call=f"{name}({shown})", error=describe_error(error)), "value": None}
            continue
        problem = compare(got, expected, tr("your {function}").format(function=name))
        value = _drawable(name, got, expected)
        if problem:
            verdicts[name] = {"level": "bad", "message": tr("{problem} — call: {call}").format(
                problem=problem, call=f"{name}({shown})"), "value": value}
        else:
            verdicts[name] = {"level": "ok", "message": tr("your {call} agrees with the picture").format(
                call=f"{name}({shown})"), "value": value}
    return verdicts


def _show_arg(value) -> str:
    if isinstance(value, np.ndarray):
        return "<" + "x".join(map(str, value.shape)) + ">"
    return repr(value)


def _drawable(name: str, got, expected):
    """The student's result as 2-D arrays to draw, when it has the expected shapes; else None."""
    if name == "max_pool2d":
        if not (isinstance(got, tuple) and len(got) == 2):
            return None
        y, s = (np.asarray(v) for v in got)
        if y.shape != expected[0].shape or s.shape != expected[1].shape:
            return None
        if not np.all(np.isfinite(s)) or not np.all(s == np.round(s)):
            return (y[0, 0].astype(float), None)
        return (y[0, 0].astype(float), s[0, 0].astype(np.int64))
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return got[0, 0] if got.shape == expected.shape else None


# --- drawing --------------------------------------------------------------------------------------


def _empty(ax) -> None:
    """Remove what the last update drew (cheaper than ``ax.clear()``, which rebuilds ticks and spines)."""
    for artist in list(ax.images) + list(ax.texts) + list(ax.patches) + list(ax.collections):
        artist.remove()
    if ax.get_title():
        ax.set_title("")


def _frame(ax, width: float, height: float, top: float = 0.0) -> None:
    """Data limits for a picture of ``width`` x ``height`` cells (cell (0, 0) centred at the origin), ``top`` rows of room above."""
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(height - top - 0.4, -0.6 - top)
    ax.set_aspect("equal")


def _cells(ax, colors: np.ndarray, values: np.ndarray | None, left: float = 0.0, fontsize: float = 11,
           faint: np.ndarray | None = None, bold: np.ndarray | None = None, zorder: float = 1) -> None:
    """A grid of coloured cells with their values, its top-left cell centred at (left, 0)."""
    from matplotlib.collections import PolyCollection

    h, w = colors.shape[:2]
    rows, cols = np.indices((h, w))
    x0, y0 = (left + cols - 0.5).ravel(), (rows - 0.5).ravel()
    squares = np.stack([np.column_stack([x0, y0]), np.column_stack([x0 + 1, y0]),
                        np.column_stack([x0 + 1, y0 + 1]), np.column_stack([x0, y0 + 1])], axis=1)
    ax.add_collection(PolyCollection(squares, facecolors=colors.reshape(-1, 3), edgecolors="#8a8a8a",
                                     linewidths=0.8, zorder=zorder), autolim=False)
    if values is None:
        return
    rows, cols = np.indices(values.shape)
    _numbers(ax, (left + cols).ravel(), rows.ravel(), [_number(v) for v in values.ravel()], fontsize,
             None if faint is None else faint.ravel(), None if bold is None else bold.ravel(), zorder + 0.5)


@lru_cache(maxsize=512)
def _label_path(label: str, fontsize: float, bold: bool):
    """The outline of ``label`` in points, centred on (0, 0) (cached: the same digits come back every update)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), label, size=fontsize, prop=FontProperties(weight="bold" if bold else "normal"))
    box = path.get_extents()
    return path.transformed(_shift(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2))


def _shift(dx: float, dy: float):
    from matplotlib.transforms import Affine2D

    return Affine2D().translate(dx, dy)


def _numbers(ax, xs, ys, labels, fontsize: float = 11, faint=None, bold=None, zorder: float = 1.5) -> None:
    """Many numbers centred on data points, drawn as ONE collection of glyph outlines.

    Hundreds of ``ax.text`` calls take most of an update's time; one ``PathCollection`` takes a few ms.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.transforms import Affine2D

    if not len(labels):
        return
    paths = [_label_path(label, fontsize, bool(bold is not None and bold[k])) for k, label in enumerate(labels)]
    colors = ["#b0b0b0" if faint is not None and faint[k] else "black" for k in range(len(labels))]
    figure = ax.figure
    numbers = PathCollection(paths, offsets=np.column_stack([xs, ys]), offset_transform=ax.transData,
                             transform=Affine2D().scale(1 / 72) + figure.dpi_scale_trans,
                             facecolors=colors, edgecolors="none", zorder=zorder)
    ax.add_collection(numbers, autolim=False)


def _write(ax, x: float, y: float, text: str, fontsize: float = 12, below: bool = False, axes_fraction: bool = False,
           color: str = "black") -> None:
    """Left-aligned lines of text at (x, y) drawn as glyph outlines (one collection, like :func:`_numbers`).

    The lines stand on (x, y) (``below=False``: the last line just above the point) or hang from it
    (``below=True``); (x, y) are data coordinates, or axes fractions with ``axes_fraction``.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.transforms import Affine2D

    lines = text.split("\n")
    step = 1.45 * fontsize
    paths, offsets = [], []
    for k, line in enumerate(lines):
        if not line:
            continue
        rise = (len(lines) - 1 - k) * step + 0.3 * fontsize if not below else -(k + 1) * step + 0.3 * fontsize
        paths.append(_line_path(line, fontsize, rise))
        offsets.append((x, y))
    if not paths:
        return
    ax.add_collection(PathCollection(paths, offsets=offsets, offset_transform=ax.transAxes if axes_fraction else ax.transData,
                                     transform=Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans,
                                     facecolors=color, edgecolors="none", zorder=9, clip_on=False), autolim=False)


@lru_cache(maxsize=512)
def _line_path(line: str, fontsize: float, rise: float):
    """One line of text as an outline in points: left end at x = 0, baseline at y = ``rise``."""
    from matplotlib.textpath import TextPath

    return TextPath((0, rise), line, size=fontsize)


def _number(v: float) -> str:
    if v == int(v) and abs(v) < 1000:
        return f"{int(v)}"
    return f"{v:.1f}" if abs(v) < 10 else f"{v:.0f}"


def _window_color(index: int):
    return PALETTE[index % len(PALETTE)]


class PoolingWidget(FigureWidget):
    """Seed, map kind, map size, window and stride controls; the picture; the verdicts on the student's functions.

    Attributes used by tests, besides :class:`FigureWidget`'s: ``sliders``, ``kind``, ``typed``
    (the Textarea), ``verdicts`` (per function: level, message, value).
    """

    def __init__(self, max_pool2d: Callable | None = None, mean_pool2d: Callable | None = None,
                 max_unpool2d: Callable | None = None, upsample_nearest: Callable | None = None,
                 seed: int = 4, kind: str = MAP_KINDS[0], h: int = 6, w: int = 8, kh: int = 2, kw: int = 2,
                 sh: int = 2, sw: int = 2, text: str = DEFAULT_TEXT):
        import ipywidgets as widgets

        self.functions = {"max_pool2d": max_pool2d, "mean_pool2d": mean_pool2d, "max_unpool2d": max_unpool2d,
                          "upsample_nearest": upsample_nearest}
        layout, style = widgets.Layout(width="235px"), {"description_width": "90px"}
        spec = {"seed": (N_("random seed"), 0, 99, seed), "h": (N_("map rows H"), 2, 8, h),
                "w": (N_("map cols W"), 2, 10, w), "kh": (N_("window kh"), 1, 4, kh), "kw": (N_("window kw"), 1, 4, kw),
                "sh": (N_("stride sh"), 1, 4, sh), "sw": (N_("stride sw"), 1, 4, sw)}
        self.sliders = {key: widgets.IntSlider(value=v, min=lo, max=hi, description=tr(label), layout=layout,
                                               style=style, continuous_update=False)
                        for key, (label, lo, hi, v) in spec.items()}
        self.kind = widgets.Dropdown(options=[(tr(name), name) for name in MAP_KINDS], value=kind,
                                     description=tr("feature map"), layout=layout, style=style)
        self.typed = widgets.Textarea(value=text, description=tr("typed map"), continuous_update=False,
                                      placeholder=tr("one row per line, e.g.\n1 1 2 4\n5 6 7 8"),
                                      layout=widgets.Layout(width="235px", height="100px"), style=style)
        self.verdicts: dict = {}
        controls = {"seed": self.sliders["seed"], "kind": self.kind, "typed": self.typed}
        controls.update({key: self.sliders[key] for key in ("h", "w", "kh", "kw", "sh", "sw")})
        line = widgets.Layout(flex_flow="row wrap")
        sliders = widgets.VBox([widgets.HBox([controls[name] for name in names], layout=line)
                                for names in (["seed", "kind", "h"], ["w", "kh", "kw"], ["sh", "sw"])])
        super().__init__(controls, figsize=(9.2, 4.7), rows=[widgets.HBox([sliders, self.typed])], legend=legend())
        grid = self.figure.add_gridspec(2, 5, height_ratios=[1, 1])
        self.ax_pool = self.figure.add_subplot(grid[0, :])       # input, max-pooled, mean-pooled
        self.ax_unpool = self.figure.add_subplot(grid[1, :2])
        self.ax_up = self.figure.add_subplot(grid[1, 2:4])
        self.ax_note = self.figure.add_subplot(grid[1, 4])
        self.axes = (self.ax_pool, self.ax_unpool, self.ax_up, self.ax_note)
        for ax in self.axes:
            ax.set_axis_off()
        self.figure.subplots_adjust(left=0.01, right=0.99, top=0.97, bottom=0.01, wspace=0.1, hspace=0.12)
        self.update()

    def before_draw(self, values: dict) -> dict:
        typed = values["kind"] == MAP_KINDS[3]

        def enable():
            self.sliders["h"].disabled = self.sliders["w"].disabled = typed
            self.sliders["seed"].disabled = typed
            self.typed.disabled = not typed
        self.quietly(enable)
        return values

    def draw(self, seed, kind, typed, h, w, kh, kw, sh, sw) -> tuple[str, dict]:
        for ax in self.axes:
            _empty(ax)
        try:
            plane = make_map(kind, seed, h, w, typed)
        except ValueError as error:
            self.verdicts = {}
            said = N_("the typed map cannot be read: {why}")
            with speaking(figure_language()):
                shown = tr(said).format(why=say(error.args[0]) if error.args else "")
            self.ax_pool.text(0.5, 0.5, shown, ha="center", va="center", color=BAD_COLOR, fontsize=13,
                              transform=self.ax_pool.transAxes, wrap=True)
            message = tr(said).format(why=say(error.args[0]) if error.args else "")
            return (f"<div><b style='color:{BAD_COLOR}'>" + html.escape(tr("invalid: {why}").format(why=message))
                    + "</b></div>", {"valid": False})
        h, w = plane.shape
        if kh > h or kw > w:
            self.verdicts = {}
            _frame(self.ax_pool, w, h)
            _cells(self.ax_pool, np.full((h, w, 3), COLORS["dropped"]), plane)
            self.ax_pool.set_title(ft("feature map {h}×{w}: a {kh}×{kw} window does not fit").format(h=h, w=w, kh=kh, kw=kw),
                                   fontsize=12, color=BAD_COLOR)
            text = (f"<div><b style='color:{BAD_COLOR}'>" + html.escape(tr(
                "invalid: the {kh}×{kw} window is larger than the {h}×{w} map (max pooling never pads), so no window "
                "fits").format(h=h, w=w, kh=kh, kw=kw)) + "</b></div>")
            return text, {"valid": False, "plane": plane}
        scan = scan_windows(plane, (kh, kw), (sh, sw))
        self.verdicts = judge_pooling(self.functions, plane, (kh, kw), (sh, sw))
        state = self._draw_valid(plane, scan)
        state.update(valid=True, plane=plane, scan=scan)
        return self._text(plane, scan), state

    def _draw_valid(self, plane: np.ndarray, scan: dict) -> dict:
        from matplotlib.patches import FancyArrowPatch, Rectangle

        h, w = plane.shape
        (kh, kw), (sh, sw) = scan["size"], scan["stride"]
        ho, wo = scan["max"].shape
        colors = np.empty((h, w, 3))
        colors[...] = COLORS["dropped"]
        for (r, c), owner in np.ndenumerate(scan["owner"]):
            if owner >= 0:
                colors[r, c] = _tint(_window_color(owner)) if scan["cover"][r, c] == 1 else COLORS["overlap"]
        pooled_colors = _tint_grid(ho, wo, 0.72)

        # top: input | max-pooled (arrows = switches) | mean-pooled, one cell size for all three
        mine = self.verdicts["max_pool2d"]["value"]
        y, switches = (scan["max"], scan["switches"]) if mine is None else mine
        at_max = w + 2.2
        at_mean = at_max + max(wo + 1.6, 7.4)                    # room for the label "max-pooled 3×3 (yours)"
        ax = self.ax_pool
        _frame(ax, at_mean + max(wo, 5.5), max(h, ho) + 0.9, top=0.9)
        drawable = switches is not None and switches.min() >= 0 and switches.max() < h * w
        bold = np.zeros((h, w), dtype=bool)
        if drawable:
            bold.flat[np.unique(switches)] = True
        _cells(ax, colors, plane, bold=bold)
        _cells(ax, pooled_colors, y, left=at_max, zorder=8)   # above the arrows' tails
        mean = self.verdicts["mean_pool2d"]["value"]
        _cells(ax, pooled_colors, scan["mean"] if mean is None else mean, left=at_mean)
        for index in range(ho * wo):
            i, j = divmod(index, wo)
            inset = 0.06 + 0.08 * ((i + j) % 2)
            ax.add_patch(Rectangle((scan["cols"][j] - 0.5 + inset, scan["rows"][i] - 0.5 + inset),
                                   kw - 2 * inset, kh - 2 * inset, fill=False, lw=2.2,
                                   edgecolor=_window_color(index), zorder=3))
        arrows = []
        if drawable:
            for index in range(ho * wo):
                i, j = divmod(index, wo)
                r, c = divmod(int(switches[i, j]), w)
                # from under the pooled cell (drawn above it) to the remembered input cell
                ax.add_patch(FancyArrowPatch((at_max + j, i), (c + 0.3, r + 0.1), arrowstyle="-|>",
                                             mutation_scale=12, lw=1.5, color=_window_color(index), alpha=0.9,
                                             zorder=6, connectionstyle="arc3,rad=0.12", shrinkA=0, shrinkB=0))
                arrows.append(((i, j), (r, c)))
        yours = ft(" (yours)")
        _write(ax, -0.5, -0.6, ft("feature map {h}×{w}").format(h=h, w=w))
        _write(ax, at_max - 0.5, -0.6, ft("max-pooled {ho}×{wo}").format(ho=ho, wo=wo) + ("" if mine is None else yours))
        _write(ax, at_mean - 0.5, -0.6, ft("mean-pooled {ho}×{wo}").format(ho=ho, wo=wo) + ("" if mean is None else yours))

        # bottom left: unpooling puts each value back at its switch, zeros elsewhere
        unpooled = self.verdicts["max_unpool2d"]["value"]
        values = _unpool(scan["max"], scan["switches"], (h, w)) if unpooled is None else unpooled
        cells = np.empty((h, w, 3))
        cells[...] = COLORS["zero"]
        for index, flat in enumerate(scan["switches"].ravel()):
            r, c = divmod(int(flat), w)
            cells[r, c] = _tint(_window_color(index), 0.55)
        up = self.verdicts["upsample_nearest"]["value"]
        copied = np.repeat(np.repeat(scan["max"], sh, axis=0), sw, axis=1) if up is None else up
        tall, wide = max(h, copied.shape[0]), max(w, copied.shape[1])
        _frame(self.ax_unpool, wide, tall + 1.7, top=1.7)
        _cells(self.ax_unpool, cells, values, faint=values == 0)
        _write(self.ax_unpool, -0.5, -0.6, f"max_unpool2d → {h}×{w}\n" + ft("zeros except at the switches")
               + ("" if unpooled is None else yours))

        # bottom middle: nearest upsampling copies each value into its block, positions unknown
        blocks = np.repeat(np.repeat(_tint_grid(ho, wo, 0.55), sh, axis=0), sw, axis=1)
        _frame(self.ax_up, wide, tall + 1.7, top=1.7)
        _cells(self.ax_up, blocks[:copied.shape[0], :copied.shape[1]] if blocks.shape[:2] >= copied.shape else
               np.ones(copied.shape + (3,)), copied)
        _write(self.ax_up, -0.5, -0.6, f"upsample_nearest ×({sh}, {sw}) → {copied.shape[0]}×{copied.shape[1]}"
               + "\n" + ft("copies, no positions") + ("" if up is None else yours))

        overlap = int((scan["cover"] > 1).sum())
        dropped = int((scan["cover"] == 0).sum())
        shared = ho * wo - len(np.unique(scan["switches"]))
        lines = [ft("{ho}×{wo} = {count} windows").format(ho=ho, wo=wo, count=ho * wo),
                 ft("in 2+ windows: {count}").format(count=overlap), ft("in no window: {count}").format(count=dropped),
                 ft("switches shared: {count}").format(count=shared), ft("down-sampling:"), f"   {h}×{w} → {ho}×{wo}",
                 ft("upsampling:"), f"   {ho}×{wo} → {copied.shape[0]}×{copied.shape[1]}", ft("depth: 1 → 1")]
        _write(self.ax_note, 0.02, 0.98, "\n".join(lines), fontsize=11, below=True, axes_fraction=True)
        return {"output": (ho, wo), "arrows": arrows, "overlap": overlap, "dropped": dropped, "shared": shared,
                "drawn": {name: verdict["value"] is not None for name, verdict in self.verdicts.items()}}

    def _text(self, plane: np.ndarray, scan: dict) -> str:
        h, w = plane.shape
        (kh, kw), (sh, sw) = scan["size"], scan["stride"]
        ho, wo = scan["max"].shape
        formula = (f"Ho = ⌊(H − kh)/sh⌋ + 1 = ⌊({h} − {kh})/{sh}⌋ + 1 = {ho},   "
                   f"Wo = ⌊(W − kw)/sw⌋ + 1 = ⌊({w} − {kw})/{sw}⌋ + 1 = {wo}")
        notes = []
        if (sh, sw) == (kh, kw):
            notes.append(tr("stride = size (what stride=None means): the windows tile the map without overlap"))
        if sh < kh or sw < kw:
            notes.append(tr("stride < size: windows overlap; two windows can remember the same switch"))
        if sh > kh or sw > kw:
            notes.append(tr("stride > size: gaps, some cells are in no window"))
        left_rows, left_cols = h - (scan["rows"][-1] + kh), w - (scan["cols"][-1] + kw)
        if left_rows or left_cols:
            notes.append(tr("left over (dropped): {rows} row(s) at the bottom, {cols} column(s) at the right").format(
                rows=left_rows, cols=left_cols))
        listed = np.array2string(scan["switches"], separator=", ").replace("\n", "")
        switches = tr("switches (flat r·W + c, W = {w}): {listed}").format(w=w, listed=listed)
        verdicts = "".join(f"<div>{message_html(v['level'], v['message'])}</div>" for v in self.verdicts.values())
        return (f"<div style='font-family:monospace;font-size:1.05em'>{html.escape(formula)}</div>"
                f"<div>{html.escape(tr('; ').join(notes))}</div>"
                f"<div style='font-family:monospace'>{html.escape(switches)}</div>{verdicts}")


def _tint_grid(ho: int, wo: int, amount: float) -> np.ndarray:
    return np.array([[_tint(_window_color(i * wo + j), amount) for j in range(wo)] for i in range(ho)])


def legend() -> str:
    """The picture's legend, in the notebook's language."""
    return swatch_legend([(_tint(PALETTE[0]), N_("one window 池化窗口 (each its own colour)")),
                          (COLORS["overlap"], N_("cell in 2+ windows (stride < size)")),
                          (COLORS["dropped"], N_("cell in no window (gap or dropped remainder)")),
                          (COLORS["zero"], N_("zero put in by unpooling"))]) + (
        "<div style='font-size:0.9em'>" + html.escape(tr(
            "Bold numbers: positions some switch points to. An arrow goes from each max-pooled cell to the input cell "
            "its switch remembers, in its window's colour.")) + "</div>")


def pooling_widget(max_pool2d: Callable | None = None, mean_pool2d: Callable | None = None,
                   max_unpool2d: Callable | None = None, upsample_nearest: Callable | None = None,
                   **initial) -> PoolingWidget:
    """Build the pooling widget; pass your four functions to see them drawn and compared with the picture.

    ``initial`` sets the starting values: ``seed``, ``kind`` (one of ``MAP_KINDS``), ``h``, ``w``,
    ``kh``, ``kw``, ``sh``, ``sw``, ``text`` (the typed map).
    """
    return PoolingWidget(max_pool2d, mean_pool2d, max_unpool2d, upsample_nearest, **initial)


def demo(functions) -> PoolingWidget:
    """The widget as notebook 04 shows it, drawn with ``functions.<name>`` (for benchmarks and tests)."""
    return pooling_widget(functions.max_pool2d, functions.mean_pool2d, functions.max_unpool2d,
                          functions.upsample_nearest)
