"""Notebook 03's picture: cross-correlation (互相关) versus convolution (卷积) on a real photograph.

A grayscale photo (or an impulse: one bright pixel on black) goes through the student's own
``cross_correlate2d`` and ``convolve2d`` with a kernel chosen from a list (Sobel x and y,
emboss, a shifted delta, a box blur, or the student's own 3x3). The picture shows the input,
the kernel as written and as it lies on the image while it slides (rotated by 180 degrees for
convolution), both outputs on the same grey scale and their difference. Asymmetric kernels
give different outputs; symmetric ones give a zero difference; on the impulse, convolution
stamps the kernel as written and cross-correlation stamps it rotated.

Outputs are drawn where their windows' centres lie on the input, so a shift shows as a shift.
The picture checks the student's outputs against its own sliding sum (:func:`slide`, nine
shifted copies of the image added up, not the student's loops) with the course's comparison
(:func:`cnn_course.checks.compare`) and says when a convolution is really a cross-correlation
(or the other way round).
"""
from __future__ import annotations

import html
from functools import lru_cache
from typing import Callable

import numpy as np

from ..checks import compare
from ..i18n import N_, tr
from . import BAD_COLOR, FigureWidget, NotReady, call_student, describe_error, ft, in_picture, message_html, swatch_legend, wrap

__all__ = ["KERNELS", "CUSTOM", "slide", "impulse", "is_point_symmetric", "judge_outputs",
           "CorrelationWidget", "correlation_widget", "demo"]

CUSTOM = N_("your own 3×3 (edit the boxes)")

#: The kernels of the dropdown, in order (CUSTOM last). Only the box blur is symmetric under a
#: 180-degree rotation: with it both operations agree.
KERNELS: dict[str, np.ndarray] = {
    N_("Sobel x (vertical edges)"): np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    N_("Sobel y (horizontal edges)"): np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    N_("emboss"): np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64),
    N_("shifted delta (5×5, a 1 top-left)"): np.eye(1, 25).reshape(5, 5),
    N_("box blur (symmetric)"): np.full((3, 3), 1 / 9),
}

#: Where the zoom looks, as a fraction of the photo's height and width (Grace Hopper's face).
PHOTO_CENTRE = (0.36, 0.5)
IMPULSE_SIZE = 25

DIFF_COLORS = {"conv": (0.70, 0.09, 0.17), "corr": (0.13, 0.40, 0.67)}


# --- pure logic -----------------------------------------------------------------------------------


def slide(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The picture's own valid cross-correlation: ``sum_{u,v} k[u, v] * x[u:u+Ho, v:v+Wo]``.

    One shifted copy of the image per kernel tap, added up (independent of the student's code).
    """
    x, k = np.asarray(x, dtype=np.float64), np.asarray(k, dtype=np.float64)
    ho, wo = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    y = np.zeros((ho, wo))
    for (u, v), weight in np.ndenumerate(k):
        if weight:
            y += weight * x[u:u + ho, v:v + wo]
    return y


def impulse(size: int = IMPULSE_SIZE) -> np.ndarray:
    """A ``size`` x ``size`` black image with a single 1 in the middle (an impulse, 单位冲激)."""
    x = np.zeros((size, size))
    x[size // 2, size // 2] = 1.0
    return x


def is_point_symmetric(k: np.ndarray) -> bool:
    """Whether the kernel equals itself rotated by 180 degrees (then correlation = convolution)."""
    k = np.asarray(k, dtype=np.float64)
    return bool(np.allclose(k, k[::-1, ::-1]))


@lru_cache(maxsize=2)
def _photo() -> np.ndarray:
    from ..data import grayscale_photo

    return grayscale_photo(128)


def judge_outputs(name: str, got, right: np.ndarray, other: np.ndarray, other_name: str) -> tuple[str, str]:
    """``(level, message)`` for the student's output ``got`` of ``name``; ``other`` is the other operation's answer."""
    problem = compare(got, right, tr("your {function}").format(function=name))
    if problem is None:
        return "ok", tr("your {function} agrees with the picture's own sliding sum").format(function=name)
    if isinstance(got, np.ndarray) and not np.allclose(right, other) and compare(got, other) is None:
        said = tr("your {function} returns the {other}: it does not flip the kernel (or flips it twice)") \
            if name == "convolve2d" else tr("your {function} returns the {other}: it flips the kernel")
        return "bad", said.format(function=name, other=tr(other_name))
    return "bad", problem


# --- the widget -----------------------------------------------------------------------------------

def legend() -> str:
    """The picture's legend, in the notebook's language."""
    return swatch_legend([((0.0, 0.0, 0.0), N_("low / negative output")), ((0.5, 0.5, 0.5), N_("0 (signed outputs)")),
                          ((1.0, 1.0, 1.0), N_("high / positive output")),
                          (DIFF_COLORS["conv"], N_("difference > 0: convolution larger")),
                          (DIFF_COLORS["corr"], N_("difference < 0: cross-correlation larger")),
                          ((0.95, 0.56, 0.17), N_("frame: the output of the chosen operation"))])


class CorrelationWidget(FigureWidget):
    """Zoom, kernel, operation and input controls + six panels + the student's verdicts.

    Attributes used by tests, besides :class:`FigureWidget`'s: ``boxes`` (the nine FloatTexts of
    the editable kernel), ``verdicts`` (``{"cross_correlate2d": (level, message), "convolve2d": ...}``).
    """

    def __init__(self, cross_correlate2d: Callable | None = None, convolve2d: Callable | None = None,
                 kernel: str = "Sobel x (vertical edges)", operation: str = "convolution", mode: str = "photo",
                 zoom: int = 1):
        import ipywidgets as widgets

        self.functions = {"cross_correlate2d": cross_correlate2d, "convolve2d": convolve2d}
        style = {"description_width": "70px"}
        controls = {
            "zoom": widgets.IntSlider(value=zoom, min=1, max=5, description=tr("zoom ×"), style=style,
                                      layout=widgets.Layout(width="260px")),
            "kernel": widgets.Dropdown(options=[(tr(name), name) for name in [*KERNELS, CUSTOM]], value=kernel,
                                       description=tr("kernel"),
                                       style=style, layout=widgets.Layout(width="340px")),
            # buttons as wide as their labels (ipywidgets' default width cuts "cross-correlation 互相关")
            "operation": widgets.ToggleButtons(options=[(tr("cross-correlation 互相关"), "cross-correlation"),
                                                        (tr("convolution 卷积"), "convolution")],
                                               value=operation, description=tr("slide as"),
                                               style={**style, "button_width": "190px"}),
            "mode": widgets.ToggleButtons(options=[(tr("photo"), "photo"), (tr("impulse 冲激"), "impulse")], value=mode,
                                          description=tr("input"), style={**style, "button_width": "120px"}),
        }
        self.boxes = {}
        for i in range(3):
            for j in range(3):  # no descriptions: a 3x3 grid of equal boxes; the tooltip names the tap
                self.boxes[f"k{i}{j}"] = widgets.FloatText(
                    value=0.0, step=0.5, tooltip=tr("kernel row {i}, column {j}").format(i=i, j=j),
                    layout=widgets.Layout(width="64px", margin="1px"))
        controls.update(self.boxes)
        self.verdicts: dict[str, tuple[str, str]] = {}
        self._cache: dict = {}
        self._shown_kernel: str | None = None
        self._boxes_seen: tuple | None = None
        self._fill_boxes(KERNELS.get(kernel, np.zeros((3, 3))))
        line = widgets.Layout(flex_flow="row wrap")
        left = widgets.VBox([widgets.HBox([controls["zoom"], controls["kernel"]], layout=line),
                             widgets.HBox([controls["operation"]], layout=line),
                             widgets.HBox([controls["mode"]], layout=line)])
        grid = widgets.VBox([widgets.HTML(html.escape(tr("your 3×3 kernel"))),
                             widgets.GridBox([self.boxes[f"k{i}{j}"] for i in range(3) for j in range(3)],
                                             layout=widgets.Layout(grid_template_columns="repeat(3, 66px)"))],
                            layout=widgets.Layout(margin="0 0 0 16px"))
        super().__init__(controls, figsize=(8.0, 4.8), rows=[widgets.HBox([left, grid])], legend=legend())
        self._make_panels()
        self.update()

    # -- controls ------------------------------------------------------------------------------------

    def _box_values(self) -> tuple:
        return tuple(float(self.boxes[f"k{i}{j}"].value) for i in range(3) for j in range(3))

    def _fill_boxes(self, k: np.ndarray) -> None:
        if k.shape == (3, 3):
            for (i, j), value in np.ndenumerate(k):
                self.boxes[f"k{i}{j}"].value = round(float(value), 4)
        self._boxes_seen = self._box_values()

    def before_draw(self, values: dict) -> dict:
        def adjust():
            boxes = self._box_values()
            if values["kernel"] != self._shown_kernel and values["kernel"] != CUSTOM:
                self._fill_boxes(KERNELS[values["kernel"]])      # start editing from the chosen kernel
            elif boxes != self._boxes_seen and values["kernel"] != CUSTOM:
                self.controls["kernel"].value = CUSTOM            # a box was edited: use the student's kernel
            self._boxes_seen = self._box_values()
            self._shown_kernel = self.controls["kernel"].value
        self.quietly(adjust)
        return self.values()

    def kernel(self, values: dict | None = None) -> np.ndarray:
        """The kernel the controls select, as a float64 array."""
        values = values or self.values()
        if values["kernel"] == CUSTOM:
            return np.array([values[f"k{i}{j}"] for i in range(3) for j in range(3)], dtype=np.float64).reshape(3, 3)
        return KERNELS[values["kernel"]].copy()

    # -- computing -----------------------------------------------------------------------------------

    def _outputs(self, x: np.ndarray, k: np.ndarray, mode: str) -> dict:
        """The student's two outputs (or the exception/note instead), cached: zooming recomputes nothing."""
        key = (mode, k.tobytes(), k.shape, id(self.functions["cross_correlate2d"]), id(self.functions["convolve2d"]))
        if key not in self._cache:
            self._cache.clear()
            right = {"cross_correlate2d": slide(x, k), "convolve2d": slide(x, k[::-1, ::-1])}
            results = {}
            for name, function in self.functions.items():
                try:
                    results[name] = call_student(function, x.copy(), k.copy(), name=name)
                except NotReady as note:
                    results[name] = note
                except Exception as error:  # the student's bug is a message, never a traceback
                    results[name] = error
            self._cache[key] = (results, right)
        return self._cache[key]

    # -- drawing -------------------------------------------------------------------------------------

    def draw(self, zoom, kernel, operation, mode, **boxes) -> tuple[str, dict]:
        k = self.kernel({"kernel": kernel, **boxes})
        x = _photo() if mode == "photo" else impulse()
        kh, kw = k.shape
        results, right = self._outputs(x, k, mode)
        other = {"cross_correlate2d": N_("convolution"), "convolve2d": N_("cross-correlation")}
        self.verdicts = {}
        for name, result in results.items():
            if isinstance(result, NotReady):
                self.verdicts[name] = ("note", tr("{note} (your {function} is drawn in the picture)").format(
                    note=result, function=name))
            elif isinstance(result, Exception):
                self.verdicts[name] = ("bad", tr("your {function} raised {error}").format(
                    function=name, error=describe_error(result)))
            else:
                twin = "convolve2d" if name == "cross_correlate2d" else "cross_correlate2d"
                self.verdicts[name] = judge_outputs(name, result, right[name], right[twin], other[name])

        # the view: a square window around the face (photo) or the impulse, shrunk by the zoom
        height, width = x.shape
        centre = (PHOTO_CENTRE[0] * height, PHOTO_CENTRE[1] * width) if mode == "photo" else (height // 2, width // 2)
        half = max(min(height, width) / (2 * zoom), 3.5 if mode == "impulse" else 8)
        if zoom == 1:
            view = (-0.5, width - 0.5, height - 0.5, -0.5)
        else:
            view = (centre[1] - half, centre[1] + half, centre[0] + half, centre[0] - half)
        numbers = mode == "impulse" and 2 * half <= 13

        for texts in self._texts.values():       # numbers and messages of the last drawing
            for text in texts:
                text.remove()
        self._texts = {name: [] for name in self._images}

        self._show("input", x, (0.0, 1.0), self._extent(x.shape, (0, 0)),
                   ft("input: photo (grayscale)") if mode == "photo" else ft("input: impulse, one 1"), numbers)

        slid = k if operation == "cross-correlation" else k[::-1, ::-1]
        spread = max(float(np.abs(k).max()), 1e-12)
        for name, kernel_shown, title in (("kernel", k, ft("kernel k as written")),
                                          ("slid", slid, ft("k as it slides: as written") if operation == "cross-correlation"
                                           else ft("k as it slides: rotated 180°"))):
            self._show(name, kernel_shown, (-spread, spread), self._extent(kernel_shown.shape, (0, 0)), title,
                       kernel_shown.size <= 25, fontsize=12 if kernel_shown.size <= 9 else 10)
            self._axes[name].set_xlim(-0.5, kernel_shown.shape[1] - 0.5)
            self._axes[name].set_ylim(kernel_shown.shape[0] - 0.5, -0.5)

        # outputs on one grey scale, drawn where their windows' centres lie on the input
        offset = ((kh - 1) / 2, (kw - 1) / 2)
        arrays = [r for r in results.values() if isinstance(r, np.ndarray) and r.ndim == 2 and r.size]
        top = 99.5 if mode == "photo" else 100                  # a photo's few extreme pixels would wash it out
        scale = max([float(np.percentile(np.abs(a), top)) for a in arrays] + [1e-12])
        signed = any(float(a.min()) < -1e-12 for a in arrays)
        limits = (-scale, scale) if signed else (0.0, scale)
        drawn = {}
        for name, title in (("cross_correlate2d", ft("cross-correlation")), ("convolve2d", ft("convolution"))):
            result = results[name]
            chosen = (name == "cross_correlate2d") == (operation == "cross-correlation")
            self._frame(name, chosen)
            if isinstance(result, np.ndarray) and result.ndim == 2 and result.size:
                self._show(name, result, limits, self._extent(result.shape, offset),
                           f"{title} {result.shape[0]}×{result.shape[1]}", numbers, offset=offset)
                drawn[name] = result
            else:
                message = (in_picture(result) if isinstance(result, NotReady) else describe_error(result)
                           if isinstance(result, Exception) else
                           ft("not a 2-D array: {kind}").format(kind=type(result).__name__))
                self._message(name, message, title, bad=not isinstance(result, NotReady))

        difference, largest = None, None
        if len(drawn) == 2 and drawn["convolve2d"].shape == drawn["cross_correlate2d"].shape:
            difference = drawn["convolve2d"] - drawn["cross_correlate2d"]
            largest = float(np.abs(difference).max())
            spread = max(largest, scale, 1e-12)
            self._show("difference", difference, (-spread, spread), self._extent(difference.shape, offset),
                       ft("difference conv − corr (max {largest})").format(largest=f"{largest:.3g}"), numbers,
                       offset=offset)
        else:
            self._message("difference", ft("needs both outputs, of the same shape"),
                          ft("convolution − cross-correlation"))
        for name in ("input", "cross_correlate2d", "convolve2d", "difference"):
            self._axes[name].set_xlim(view[0], view[1])
            self._axes[name].set_ylim(view[2], view[3])

        symmetric = is_point_symmetric(k)
        state = {"kernel": k, "slid": slid, "symmetric": symmetric, "difference": difference,
                 "largest_difference": largest, "view": view, "numbers": numbers, "mode": mode}
        if mode == "impulse":
            state["stamps"] = self._stamps(x, k, right)
        return self._text(operation, mode, k, symmetric, largest, state), state

    def _make_panels(self) -> None:
        """One image per panel, made once: a redraw only changes data, limits and titles (clearing axes is slow)."""
        axes = self.figure.subplots(2, 3)
        names = [["input", "kernel", "slid"], ["cross_correlate2d", "convolve2d", "difference"]]
        cmaps = {"input": "gray", "kernel": "PuOr_r", "slid": "PuOr_r", "cross_correlate2d": "gray",
                 "convolve2d": "gray", "difference": "RdBu_r"}
        self._axes, self._images, self._texts = {}, {}, {}
        for row_names, row_axes in zip(names, axes):
            for name, ax in zip(row_names, row_axes):
                ax.set_xticks([])
                ax.set_yticks([])
                self._axes[name] = ax
                self._images[name] = ax.imshow(np.zeros((2, 2)), cmap=cmaps[name], interpolation="nearest",
                                                interpolation_stage="rgba")
                self._texts[name] = []
        self._frame("slid", True)
        self.figure.subplots_adjust(left=0.02, right=0.98, top=0.93, bottom=0.02, wspace=0.12, hspace=0.2)

    def _show(self, name, values, limits, extent, title, numbers=False, offset=(0, 0), fontsize=10) -> None:
        image = self._images[name]
        image.set_data(values)
        image.set_clim(*limits)
        image.set_extent(extent)
        image.set_visible(True)
        self._axes[name].set_title(title, fontsize=11)
        if numbers:
            colours = image.cmap(image.norm(values))                 # what each cell looks like
            light = colours[..., :3] @ np.array([0.299, 0.587, 0.114]) > 0.5
            for (i, j), v in np.ndenumerate(values):
                if abs(v) > 1e-12 or values.size <= 25:
                    self._texts[name].append(self._axes[name].text(
                        j + offset[1], i + offset[0], f"{v:.3g}", ha="center", va="center", fontsize=fontsize,
                        color="black" if light[i, j] else "white", clip_on=True))

    def _message(self, name, message, title, bad=False) -> None:
        self._images[name].set_visible(False)
        ax = self._axes[name]
        ax.set_title(title, fontsize=11)
        # as many characters a line as the drawn panel is wide: square (aspect 1), so its smaller side; DejaVu Sans
        # takes about 0.62 em a character
        box = ax.get_window_extent()
        chars = max(8, int(0.9 * min(box.width, box.height) / (0.62 * 11 * ax.figure.dpi / 72)))
        self._texts[name].append(ax.text(0.5, 0.5, "\n".join(wrap(message, chars)), ha="center", va="center",
                                         fontsize=11, color=BAD_COLOR if bad else "#555555", transform=ax.transAxes))

    def _frame(self, name, on) -> None:
        for side in self._axes[name].spines.values():
            side.set_edgecolor((0.95, 0.56, 0.17) if on else "black")
            side.set_linewidth(3 if on else 0.8)

    @staticmethod
    def _extent(shape, offset) -> tuple[float, float, float, float]:
        return (offset[1] - 0.5, offset[1] + shape[1] - 0.5, offset[0] + shape[0] - 0.5, offset[0] - 0.5)

    @staticmethod
    def _stamps(x, k, right) -> dict:
        """Where the impulse's copy of the kernel sits in each output, and whether it is k or k rotated."""
        p, q = np.argwhere(x == 1)[0]
        kh, kw = k.shape
        top, left = p - kh + 1, q - kw + 1                       # the stamp's top-left corner in the outputs
        found = {}
        for name, y in right.items():
            stamp = y[top:top + kh, left:left + kw]
            found[name] = "kernel" if np.allclose(stamp, k) else "rotated" if np.allclose(stamp, k[::-1, ::-1]) else "other"
        return found

    def _text(self, operation, mode, k, symmetric, largest, state) -> str:
        if operation == "cross-correlation":
            formula = tr("cross-correlation 互相关: y[i, j] = Σ_u Σ_v x[i+u, j+v] · k[u, v]   (what a CNN layer computes)")
        else:
            formula = tr("convolution 卷积: y[i, j] = Σ_u Σ_v x[i+u, j+v] · k[kh−1−u, kw−1−v]"
                         "   = cross-correlation with k rotated by 180°")
        lines = [f"<div style='font-family:monospace'>{html.escape(formula)}</div>"]
        if symmetric:
            lines.append("<div>" + tr("This kernel equals its 180° rotation: both operations give the same output.")
                         + "</div>")
        else:
            size = tr(" (largest difference {largest})").format(largest=f"{largest:.3g}") if largest is not None else ""
            lines.append("<div>" + tr("This kernel changes under a 180° rotation: the two outputs differ{size}.").format(
                size=size) + "</div>")
        if mode == "impulse":
            lines.append("<div>" + (tr("On an impulse, convolution stamps the kernel <b>as written</b>, cross-correlation "
                                       "stamps it <b>rotated by 180°</b>.") if state["numbers"] else
                                    tr("On an impulse, convolution stamps the kernel <b>as written</b>, cross-correlation "
                                       "stamps it <b>rotated by 180°</b> (zoom in to read the numbers).")) + "</div>")
        for name in ("cross_correlate2d", "convolve2d"):
            lines.append(f"<div>{message_html(*self.verdicts[name])}</div>")
        return "".join(lines)


def correlation_widget(cross_correlate2d: Callable | None = None, convolve2d: Callable | None = None,
                       **initial) -> CorrelationWidget:
    """Build the widget; pass your ``cross_correlate2d`` and ``convolve2d`` to see them drawn and checked.

    ``initial`` sets the starting controls: ``kernel`` (a name of :data:`KERNELS` or :data:`CUSTOM`),
    ``operation`` (``"cross-correlation"`` or ``"convolution"``), ``mode`` (``"photo"`` or ``"impulse"``), ``zoom``.
    """
    return CorrelationWidget(cross_correlate2d, convolve2d, **initial)


def demo(functions) -> CorrelationWidget:
    """The widget as notebook 03 shows it, drawn with ``functions.cross_correlate2d`` and ``functions.convolve2d``."""
    return correlation_widget(functions.cross_correlate2d, functions.convolve2d)
