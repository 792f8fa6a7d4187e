"""Notebook 05's picture: where each gradient of a convolution or pooling layer comes from.

A gradient-routing explorer on one small single-channel example (a 6×7 input, a 3×3 kernel or
3×3 pooling windows, stride 1 or 2):

* **input pixel → dx** (first mode): pick an input pixel with the row and column sliders; the
  sensitivity map (dilated by the stride and zero-padded by k−1, the canvas of the full
  convolution) shows which output errors reach it, through which kernel taps of ``w`` (and of
  ``rot180(w)``, the kernel the full convolution slides); the input grid holds the student's ``dx``.
* **weight → dw**: pick a tap ``(u, v)``; the input pixels it touched (a grid with the stride's
  spacing) and the error map they are multiplied with, i.e. the input correlated with the map;
  the kernel grid holds the student's ``dw``.
* **max pooling / mean pooling**: the windows that contain the pixel, each window's maximum, and
  the errors routed to the pixel (max: only from the windows it won; mean: a ninth from each).

The routes are pure index logic (:func:`conv_routes`, :func:`tap_routes`, :func:`pool_routes`);
the numbers drawn are those of the student's ``conv2d_backward`` / ``max_pool2d_backward`` /
``mean_pool2d_backward``, called through :func:`call_student` and compared, with the course's
:func:`cnn_course.checks.compare`, to the sums the routes spell out.
"""
from __future__ import annotations

import html
from typing import Callable

import numpy as np

from ..checks import compare
from ..i18n import N_, tr
from . import FigureWidget, NotReady, call_student, describe_error, ft, message_html, swatch_legend

__all__ = ["conv_routes", "tap_routes", "pool_routes", "dilate", "first_max_switches", "routed_dx", "routed_dw",
           "routed_pool_dx", "EXAMPLE", "GradientRoutingWidget", "gradient_routing_widget", "demo"]

MODES = (N_("input pixel → dx"), N_("weight → dw"), N_("max pooling"), N_("mean pooling"))
K = 3                       # kernel and pooling window size of the example

COLORS = {
    "cell": (0.85, 0.91, 0.97),       # an entry of a map (input, sensitivity map, kernel)
    "route": (0.95, 0.56, 0.17),      # on a route to the selected gradient
    "near": (1.00, 0.90, 0.74),       # in a window containing the pixel, but not routed (max pooling)
    "inserted": (0.72, 0.72, 0.72),   # a zero inserted by the stride
    "pad": (0.93, 0.93, 0.93),        # zero padding of the full convolution
    "wrong": (0.98, 0.62, 0.62),      # the student's value disagrees with the routed sum
}
SELECTED = "#1f3b73"


def _example() -> dict:
    g = np.random.default_rng(5)
    return {
        "x": g.integers(-2, 4, size=(6, 7)).astype(np.float64),
        "w": np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -2.0, 3.0]]),
        # no zero among the errors: every zero in the dilated map is one the stride inserted
        "dout": {s: g.choice([-2.0, -1.0, 1.0, 2.0, 3.0], size=((6 - K) // s + 1, (7 - K) // s + 1)) for s in (1, 2)},
        "x_pool": (g.permutation(42) + 1).reshape(6, 7).astype(np.float64),     # distinct: no ties
        "dout_pool": {s: g.integers(1, 10, size=((6 - K) // s + 1, (7 - K) // s + 1)).astype(np.float64) * 9
                      for s in (1, 2)},
    }


#: The example every mode draws (single channel; arrays are (H, W)).
EXAMPLE = _example()


# --- pure index logic ------------------------------------------------------------------------------


def conv_routes(p: int, q: int, shape: tuple[int, int], k: tuple[int, int], stride: int) -> list[tuple[int, int, int, int]]:
    """``(i, j, u, v)`` for every output (i, j) that read input pixel (p, q), through kernel tap (u, v).

    Forward pass (no padding): ``y[i, j] = sum_{u,v} w[u, v] x[s*i + u, s*j + v]``; so (p, q) is read
    by (i, j) through (u, v) = (p - s*i, q - s*j) whenever that tap exists.
    """
    (h, w), (kh, kw) = shape, k
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    return [(i, j, p - stride * i, q - stride * j) for i in range(ho) for j in range(wo)
            if 0 <= p - stride * i < kh and 0 <= q - stride * j < kw]


def tap_routes(u: int, v: int, shape: tuple[int, int], k: tuple[int, int], stride: int) -> list[tuple[int, int, int, int]]:
    """``(i, j, p, q)``: tap (u, v) multiplied input pixel (p, q) = (s*i + u, s*j + v) in output (i, j)."""
    (h, w), (kh, kw) = shape, k
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    return [(i, j, stride * i + u, stride * j + v) for i in range(ho) for j in range(wo)]


def pool_routes(p: int, q: int, shape: tuple[int, int], size: int, stride: int) -> list[tuple[int, int]]:
    """The pooling windows (i, j) that contain input pixel (p, q)."""
    h, w = shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    return [(i, j) for i in range(ho) for j in range(wo)
            if stride * i <= p < stride * i + size and stride * j <= q < stride * j + size]


def dilate(d: np.ndarray, stride: int) -> np.ndarray:
    """``stride - 1`` zeros between neighbouring entries of a 2-D map."""
    out = np.zeros(((d.shape[0] - 1) * stride + 1, (d.shape[1] - 1) * stride + 1))
    out[::stride, ::stride] = d
    return out


def first_max_switches(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """int64 ``(Ho, Wo)``: flat index (row * W + col) of each window's first maximum in row-major order."""
    h, w = x.shape
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            r, c = divmod(int(np.argmax(x[stride * i:stride * i + size, stride * j:stride * j + size])), size)
            out[i, j] = (stride * i + r) * w + stride * j + c
    return out


def routed_dx(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int) -> np.ndarray:
    """dx of the example, summed route by route (what the picture spells out)."""
    dx = np.zeros(x.shape)
    for p, q in np.ndindex(x.shape):
        dx[p, q] = sum(dout[i, j] * w[u, v] for i, j, u, v in conv_routes(p, q, x.shape, w.shape, stride))
    return dx


def routed_dw(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int) -> np.ndarray:
    dw = np.zeros(w.shape)
    for u, v in np.ndindex(w.shape):
        dw[u, v] = sum(dout[i, j] * x[p, q] for i, j, p, q in tap_routes(u, v, x.shape, w.shape, stride))
    return dw


def routed_pool_dx(x: np.ndarray, dout: np.ndarray, size: int, stride: int, kind: str) -> np.ndarray:
    switches = first_max_switches(x, size, stride)
    dx = np.zeros(x.shape)
    for p, q in np.ndindex(x.shape):
        for i, j in pool_routes(p, q, x.shape, size, stride):
            if kind == "mean":
                dx[p, q] += dout[i, j] / (size * size)
            elif switches[i, j] == p * x.shape[1] + q:
                dx[p, q] += dout[i, j]
    return dx


# --- calling the student's functions ----------------------------------------------------------------


def _student_grid(function: Callable | None, name: str, call: Callable, expected: np.ndarray,
                  pick: Callable) -> tuple[str, str, np.ndarray | None, np.ndarray | None]:
    """Call the student's function; return (level, message, their 2-D grid or None, mask of wrong cells)."""
    try:
        result = call_student(function, *call(), name=name)
        got = pick(result)
    except NotReady as note:
        return "note", tr("{note}: the numbers drawn will then be yours").format(note=note), None, None
    except Exception as error:  # a student's bug is a message, never a traceback
        return "bad", tr("your {function} raised {error}").format(function=name, error=describe_error(error)), None, None
    problem = compare(got, expected, tr("your {function}").format(function=name))
    if problem is None:
        return "ok", tr("your {function} agrees with the routed sums at all {count} positions").format(
            function=name, count=expected.size), got, np.zeros(expected.shape, bool)
    if not isinstance(got, np.ndarray) or got.shape != expected.shape:
        return "bad", problem, None, None
    wrong = ~np.isclose(got, expected, rtol=1e-9, atol=1e-11)
    return "bad", tr("your {function} differs from the routed sums at {count} position(s), in red").format(
        function=name, count=int(wrong.sum())), got, wrong


def _pick(index: int):
    def pick(result):
        part = result[index] if isinstance(result, tuple) else result
        return part[0, 0] if isinstance(part, np.ndarray) and part.ndim == 4 and part.shape[:2] == (1, 1) else part
    return pick


# --- drawing ------------------------------------------------------------------------------------------
#
# Many numbers are drawn on every update. Matplotlib lays out each ``Text`` artist on its own, which
# is slow; here the numbers of a grid are one ``PathCollection`` of cached glyph outlines (TextPath),
# drawn in a single call. Axes and artists are created once and updated in place.

_GLYPHS: dict[str, object] = {}


def _glyphs(label: str):
    """The outline of ``label`` at 11 pt, centred on (0, 0), in points (cached)."""
    if label not in _GLYPHS:
        from matplotlib.font_manager import FontProperties
        from matplotlib.path import Path
        from matplotlib.textpath import TextPath

        path = TextPath((0, 0), label, prop=FontProperties(size=11))
        box = path.get_extents()
        _GLYPHS[label] = Path(path.vertices - [box.x0 + box.width / 2, box.y0 + box.height / 2], path.codes)
    return _GLYPHS[label]


class _Grid:
    """One axes showing a grid of coloured cells with numbers, a selected cell and frames; updated in place."""

    def __init__(self, figure, spec):
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection
        from matplotlib.transforms import Affine2D

        self.ax = figure.add_subplot(spec)
        self.ax.set_axis_off()
        self.ax.set_aspect("equal")
        self.cells = PolyCollection([], edgecolors="none", zorder=1)   # vector squares: no image resampling
        self.ax.add_collection(self.cells)
        self.lines = LineCollection([], colors="white", linewidths=1.2, zorder=2)
        self.ax.add_collection(self.lines)
        self.numbers = PathCollection([], offsets=np.zeros((0, 2)), offset_transform=self.ax.transData,
                                      transform=Affine2D().scale(1 / 72) + figure.dpi_scale_trans,
                                      facecolor="black", edgecolor="none", zorder=3)
        self.ax.add_collection(self.numbers)
        self.dots = self.ax.scatter([], [], s=22, c="black", zorder=6)
        self.patches: list = []
        self.title = self.ax.set_title("", fontsize=11, y=1.0, pad=4)   # a fixed y: no costly auto-placement

    def show(self, colors: np.ndarray, labels, title: str, selected=None, frames=(), dots=None, wrong=None) -> None:
        """``labels``: (H, W) array of strings or numbers ('' or None: no label); ``frames``: (row, col, h, w, colour, lw)."""
        from matplotlib.patches import Rectangle

        h, w = colors.shape[:2]
        colors = colors.copy()
        if wrong is not None:
            colors[wrong] = COLORS["wrong"]
        rows, cols = np.mgrid[0:h, 0:w]
        corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])
        self.cells.set_verts(np.stack([cols.ravel(), rows.ravel()], axis=1)[:, None, :] + corners)
        self.cells.set_facecolors(colors.reshape(-1, 3))
        self.ax.set_xlim(-0.6, w - 0.4)
        self.ax.set_ylim(h - 0.4, -0.6)
        edges_x, edges_y = np.arange(w + 1) - 0.5, np.arange(h + 1) - 0.5
        self.lines.set_segments([[(e, -0.5), (e, h - 0.5)] for e in edges_x] + [[(-0.5, e), (w - 0.5, e)] for e in edges_y])
        paths, offsets = [], []
        if labels is not None:
            for (r, c), value in np.ndenumerate(labels):
                text = value if isinstance(value, str) else ("" if value is None else _short(value))
                if text:
                    paths.append(_glyphs(text))
                    offsets.append((c, r))
        self.numbers.set_paths(paths)
        self.numbers.set_offsets(np.array(offsets, dtype=float).reshape(-1, 2))
        for patch in self.patches:
            patch.remove()
        self.patches = []
        boxes = list(frames)
        if selected is not None:
            boxes.append((selected[0], selected[1], 1, 1, SELECTED, 3.0))
        for r, c, fh, fw, color, lw in boxes:
            patch = Rectangle((c - 0.5, r - 0.5), fw, fh, fill=False, edgecolor=color, lw=lw, zorder=5)
            self.ax.add_patch(patch)
            self.patches.append(patch)
        self.dots.set_offsets(np.zeros((0, 2)) if dots is None else np.asarray(dots, dtype=float).reshape(-1, 2))
        self.title.set_text(title)

    def set_visible(self, visible: bool) -> None:
        self.ax.set_visible(visible)


def _paint(shape, default="cell"):
    out = np.empty(tuple(shape) + (3,))
    out[...] = COLORS[default]
    return out


def _short(v: float) -> str:
    v = float(v)
    if v == int(v):
        return f"{int(v)}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _missing(shape):
    return np.full(shape, "·", dtype=object)


# --- the widget -------------------------------------------------------------------------------------

def legend() -> str:
    """The picture's legend, in the notebook's language."""
    return swatch_legend([(COLORS["cell"], N_("map entry")), (COLORS["route"], N_("on a route to the selected gradient")),
                          (COLORS["near"], N_("window contains the pixel, error not routed to it")),
                          (COLORS["inserted"], N_("zero inserted by the stride")),
                          (COLORS["pad"], N_("zero padding (k−1) of the full convolution")),
                          (COLORS["wrong"], N_("your value differs from the routed sum"))]) + (
        "<div style='font-size:0.9em'>" + html.escape(tr("thick dark-blue outline: the selected pixel or tap · "
                                                         "black dot: a pooling window's maximum (its switch)")) + "</div>")


class GradientRoutingWidget(FigureWidget):
    """Row/column sliders (input pixel), mode, stride, tap sliders (u, v); picture + routed sum + verdict.

    Attributes used by tests, besides :class:`FigureWidget`'s: ``sliders``, ``comparison`` (level and
    message of the last verdict of the student's function).
    """

    def __init__(self, conv2d_backward: Callable | None = None, max_pool2d_backward: Callable | None = None,
                 mean_pool2d_backward: Callable | None = None, mode: str = MODES[0], stride: int = 1,
                 row: int = 2, col: int = 3, u: int = 0, v: int = 0):
        import ipywidgets as widgets

        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.functions = {"conv": conv2d_backward, "max": max_pool2d_backward, "mean": mean_pool2d_backward}
        h, w = EXAMPLE["x"].shape
        layout, style = widgets.Layout(width="250px"), {"description_width": "90px"}
        self.sliders = {
            "row": widgets.IntSlider(value=row, min=0, max=h - 1, description=tr("pixel row p"), layout=layout, style=style),
            "col": widgets.IntSlider(value=col, min=0, max=w - 1, description=tr("pixel col q"), layout=layout, style=style),
            "mode": widgets.ToggleButtons(options=[(tr(m), m) for m in MODES], value=mode, description=tr("show"),
                                          style={"button_width": "130px", "description_width": "40px"}),
            "stride": widgets.ToggleButtons(options=[1, 2], value=stride, description=tr("stride s"),
                                            style={"button_width": "45px", "description_width": "60px"}),
            "u": widgets.IntSlider(value=u, min=0, max=K - 1, description=tr("tap row u"), layout=layout, style=style),
            "v": widgets.IntSlider(value=v, min=0, max=K - 1, description=tr("tap col v"), layout=layout, style=style),
        }
        self.comparison = ("note", "")
        super().__init__(self.sliders, figsize=(10.0, 4.0), rows=[["row", "col", "stride"], ["mode"], ["u", "v"]],
                         legend=legend())
        conv = self.figure.add_gridspec(2, 3, width_ratios=[7, 9, 3.2], left=0.01, right=0.99, top=0.92,
                                        bottom=0.02, wspace=0.12, hspace=0.3)
        self.conv_grids = [_Grid(self.figure, conv[:, 0]), _Grid(self.figure, conv[:, 1]),
                           _Grid(self.figure, conv[0, 2]), _Grid(self.figure, conv[1, 2])]
        pool = self.figure.add_gridspec(1, 3, width_ratios=[7, 5, 7], left=0.01, right=0.99, top=0.92,
                                        bottom=0.02, wspace=0.1)
        self.pool_grids = [_Grid(self.figure, pool[0, c]) for c in range(3)]
        self.update()

    def before_draw(self, values: dict) -> dict:
        weight_mode = values["mode"] == MODES[1]

        def enable():
            self.sliders["u"].disabled = self.sliders["v"].disabled = not weight_mode
            self.sliders["row"].disabled = self.sliders["col"].disabled = weight_mode
        self.quietly(enable)
        return values

    def draw(self, row, col, mode, stride, u, v) -> tuple[str, dict]:
        pooling = mode in MODES[2:]
        for grid in self.conv_grids:
            grid.set_visible(not pooling)
        for grid in self.pool_grids:
            grid.set_visible(pooling)
        if mode == MODES[0]:
            lines, state = self._draw_dx(row, col, stride)
        elif mode == MODES[1]:
            lines, state = self._draw_dw(u, v, stride)
        else:
            lines, state = self._draw_pool(row, col, stride, "max" if mode == MODES[2] else "mean")
        state.update(mode=mode, stride=stride, level=self.comparison[0])
        formula, explain = lines
        text = (f"<div style='font-family:monospace;font-size:1.0em'>{html.escape(formula)}</div>"
                f"<div>{html.escape(explain)}</div><div>{message_html(*self.comparison)}</div>")
        return text, state

    # -- convolution: dx -------------------------------------------------------------------------------

    def _draw_dx(self, p, q, stride):
        x, w, dout = EXAMPLE["x"], EXAMPLE["w"], EXAMPLE["dout"][stride]
        h, wd = x.shape
        routes = conv_routes(p, q, x.shape, w.shape, stride)
        expected = routed_dx(x, w, dout, stride)
        level, message, got, wrong = _student_grid(
            self.functions["conv"], "conv2d_backward",
            lambda: (dout[None, None], x[None, None], w[None, None], stride), expected, _pick(0))
        self.comparison = (level, message)
        g_x, g_d, g_w, g_r = self.conv_grids

        colors = _paint(x.shape)
        colors[p, q] = COLORS["route"]
        g_x.show(colors, got if got is not None else _missing(x.shape),
                 ft("input: dx of your conv2d_backward") if got is not None else ft("input pixel (your dx: not yet)"),
                 selected=(p, q), wrong=wrong)

        # the canvas of the full convolution: the dilated map, padded by k-1 (and up to the input's size)
        dil = dilate(dout, stride)
        canvas = (h + K - 1, wd + K - 1)
        colors = _paint(canvas, "pad")
        labels = np.full(canvas, "", dtype=object)
        for (a, b), value in np.ndenumerate(dil):
            original = a % stride == 0 and b % stride == 0
            colors[K - 1 + a, K - 1 + b] = COLORS["cell" if original else "inserted"]
            labels[K - 1 + a, K - 1 + b] = _short(value) if original else "0"
        for i, j, _, _ in routes:
            colors[K - 1 + stride * i, K - 1 + stride * j] = COLORS["route"]
        g_d.show(colors, labels, ft("sensitivity map δ, zeros inserted (s=2), padded by k−1") if stride > 1 else
                 ft("sensitivity map δ, padded by k−1"),
                 frames=[(p, q, K, K, SELECTED, 3.0)])

        used = {(a, b) for _, _, a, b in routes}
        colors = _paint(w.shape)
        flipped = _paint(w.shape)
        for a, b in used:
            colors[a, b] = COLORS["route"]
            flipped[K - 1 - a, K - 1 - b] = COLORS["route"]
        g_w.show(colors, w, ft("kernel w: taps used"))
        g_r.show(flipped, w[::-1, ::-1], ft("rot180(w) slides on δ"))

        terms = [f"δ[{i},{j}]·w[{a},{b}]" for i, j, a, b in routes]
        numbers = [f"({_short(dout[i, j])})·({_short(w[a, b])})" for i, j, a, b in routes]
        s = "" if stride == 1 else str(stride)  # w[2−i, 3−j] at stride 1, not w[2−1i, 3−1j]
        formula = (f"dx[{p},{q}] = Σ δ[i,j]·w[{p}−{s}i, {q}−{s}j] = "
                   + (" + ".join(terms) + f" = {' + '.join(numbers)} = {_short(expected[p, q])}" if terms
                      else tr("0: no output read this pixel")))
        explain = (tr("{count} output error(s) reach pixel ({p}, {q}), each through one kernel tap. Equivalently, "
                      "rot180(w) placed on the padded and dilated map at ({p}, {q}) (dark-blue square) picks up exactly "
                      "these errors: the full convolution.") if stride > 1 else
                   tr("{count} output error(s) reach pixel ({p}, {q}), each through one kernel tap. Equivalently, "
                      "rot180(w) placed on the padded map at ({p}, {q}) (dark-blue square) picks up exactly these "
                      "errors: the full convolution.")).format(count=len(routes), p=p, q=q)
        if stride > 1:
            explain += tr(" Grey zeros are window positions the stride skipped: they contribute nothing.")
        return (formula, explain), {"routes": routes, "expected": float(expected[p, q]), "pixel": (p, q)}

    # -- convolution: dw -------------------------------------------------------------------------------

    def _draw_dw(self, u, v, stride):
        x, w, dout = EXAMPLE["x"], EXAMPLE["w"], EXAMPLE["dout"][stride]
        routes = tap_routes(u, v, x.shape, w.shape, stride)
        expected = routed_dw(x, w, dout, stride)
        level, message, got, wrong = _student_grid(
            self.functions["conv"], "conv2d_backward",
            lambda: (dout[None, None], x[None, None], w[None, None], stride), expected, _pick(1))
        self.comparison = (level, message)
        g_x, g_d, g_w, g_r = self.conv_grids
        dil = dilate(dout, stride)

        colors = _paint(x.shape)
        for _, _, a, b in routes:
            colors[a, b] = COLORS["route"]
        g_x.show(colors, x, ft("input x: pixels tap ({u},{v}) touched").format(u=u, v=v),
                 frames=[(u, v, dil.shape[0], dil.shape[1], SELECTED, 3.0)])

        colors = _paint(dil.shape, "route")
        labels = np.full(dil.shape, "", dtype=object)
        for (a, b), value in np.ndenumerate(dil):
            original = a % stride == 0 and b % stride == 0
            if not original:
                colors[a, b] = COLORS["inserted"]
            labels[a, b] = _short(value) if original else "0"
        g_d.show(colors, labels, ft("sensitivity map δ, zeros inserted (s=2)") if stride > 1 else ft("sensitivity map δ"))
        g_w.show(_paint(w.shape), got if got is not None else _missing(w.shape),
                 ft("your dw") if got is not None else ft("your dw: not yet"), selected=(u, v), wrong=wrong)
        g_r.show(_paint(w.shape), w, ft("kernel w"), selected=(u, v))

        terms = [f"δ[{i},{j}]·x[{a},{b}]" for i, j, a, b in routes]
        numbers = [f"({_short(dout[i, j])})·({_short(x[a, b])})" for i, j, a, b in routes]
        formula = (f"dw[{u},{v}] = Σ δ[i,j]·x[{stride}i+{u}, {stride}j+{v}] = " + " + ".join(terms)
                   + f" = {' + '.join(numbers)} = {_short(expected[u, v])}")
        explain = (tr("Lay the dilated sensitivity map on the input at offset ({u}, {v}) (dark-blue frame), multiply "
                      "and add: the input cross-correlated with the error map. The bias gradient is the sum of the map: "
                      "db = {db}.") if stride > 1 else
                   tr("Lay the sensitivity map on the input at offset ({u}, {v}) (dark-blue frame), multiply and add: "
                      "the input cross-correlated with the error map. The bias gradient is the sum of the map: "
                      "db = {db}.")).format(u=u, v=v, db=_short(dout.sum()))
        return (formula, explain), {"routes": routes, "expected": float(expected[u, v]), "tap": (u, v)}

    # -- pooling ---------------------------------------------------------------------------------------

    def _draw_pool(self, p, q, stride, kind):
        x, dout = EXAMPLE["x_pool"], EXAMPLE["dout_pool"][stride]
        h, wd = x.shape
        switches = first_max_switches(x, K, stride)
        windows = pool_routes(p, q, x.shape, K, stride)
        won = [(i, j) for i, j in windows if switches[i, j] == p * wd + q]
        expected = routed_pool_dx(x, dout, K, stride, kind)
        if kind == "max":
            args = (dout[None, None], switches[None, None], (1, 1, h, wd))
        else:
            args = (dout[None, None], (1, 1, h, wd), K, stride)
        name = f"{kind}_pool2d_backward"
        level, message, got, wrong = _student_grid(self.functions[kind], name, lambda: args, expected, _pick(0))
        self.comparison = (level, message)
        g_x, g_d, g_g = self.pool_grids

        colors = _paint(x.shape)
        for i, j in windows:
            colors[stride * i:stride * i + K, stride * j:stride * j + K] = COLORS["near"]
        colors[p, q] = COLORS["route"] if (kind == "mean" or won) else COLORS["near"]
        frames = [(stride * i + 0.07 * (n % 4), stride * j + 0.07 * (n % 4), K - 0.14 * (n % 4), K - 0.14 * (n % 4),
                   COLORS["route"], 1.5) for n, (i, j) in enumerate(windows)]
        rows, cols = np.divmod(switches.ravel(), wd)
        g_x.show(colors, x, ft("input x: {k}×{k} windows holding ({p},{q})").format(k=K, p=p, q=q), selected=(p, q),
                 frames=frames,
                 dots=np.stack([cols + 0.32, rows - 0.3], axis=1) if kind == "max" else None)

        colors = _paint(dout.shape)
        for i, j in windows:
            colors[i, j] = COLORS["route"] if (kind == "mean" or (i, j) in won) else COLORS["near"]
        g_d.show(colors, dout, ft("errors δ of the pooled map (s={stride})").format(stride=stride))
        g_g.show(_paint(x.shape), got if got is not None else _missing(x.shape),
                 (ft("dx of your {function}") if got is not None else ft("your {function}: not yet")).format(function=name),
                 selected=(p, q), wrong=wrong)

        if kind == "max":
            formula = (f"dx[{p},{q}] = " + (" + ".join(f"δ[{i},{j}]" for i, j in won) + " = "
                                            + " + ".join(_short(dout[i, j]) for i, j in won) if won else "0")
                       + f" = {_short(expected[p, q])}")
            explain = tr("Pixel ({p}, {q}) is in {windows} window(s) and is the maximum (black dot) of {won} of them: it "
                         "receives the sum of those windows' errors (+=); the others send theirs to their own maximum."
                         ).format(p=p, q=q, windows=len(windows), won=len(won))
        else:
            formula = f"dx[{p},{q}] = " + (" + ".join(f"δ[{i},{j}]/9" for i, j in windows) or "0") + \
                f" = {_short(expected[p, q])}"
            explain = tr("Pixel ({p}, {q}) is in {windows} window(s); each shares its error evenly among its {inputs} "
                         "inputs, and the shares add up.").format(p=p, q=q, windows=len(windows), inputs=K * K)
        if not windows:
            explain += tr(" It is in no window (the stride skipped it): its gradient is 0.")
        return (formula, explain), {"windows": windows, "won": won, "expected": float(expected[p, q]), "pixel": (p, q)}


def gradient_routing_widget(conv2d_backward: Callable | None = None, max_pool2d_backward: Callable | None = None,
                            mean_pool2d_backward: Callable | None = None, **initial) -> GradientRoutingWidget:
    """Build the gradient-routing explorer; pass your backward functions to see their numbers drawn and checked.

    ``initial`` sets the starting values: ``mode`` (one of ``MODES``), ``stride`` (1 or 2), ``row``, ``col``, ``u``, ``v``.
    """
    return GradientRoutingWidget(conv2d_backward, max_pool2d_backward, mean_pool2d_backward, **initial)


def demo(functions) -> GradientRoutingWidget:
    """The widget as notebook 05 shows it first, drawn with ``functions.conv2d_backward`` and the pooling backward passes."""
    return gradient_routing_widget(functions.conv2d_backward, getattr(functions, "max_pool2d_backward", None),
                                   getattr(functions, "mean_pool2d_backward", None))
