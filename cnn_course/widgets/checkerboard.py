"""Notebook 06's picture: why transposed convolutions paint checkerboards, and the remedy.

A transposed convolution (反卷积) with kernel size ``k`` and stride ``s`` lets every input value
stamp a ``k``-wide copy of the kernel, ``s`` pixels after the previous one. When ``k`` is not a
multiple of ``s`` the copies overlap unevenly: some output pixels receive more stamps than their
neighbours (:func:`overlap_count` in 1-D; the 2-D map is the outer product), and even a constant
input comes out striped. Resizing first (nearest-neighbour upsampling, 上采样) and then applying an
ordinary convolution gives every output pixel the same number of taps (Odena, Dumoulin and Olah,
"Deconvolution and Checkerboard Artifacts", Distill 2016).

The widget shows, for the chosen ``k``, ``s`` and input size: the student's 1-D overlap counts,
the 2-D overlap map, the output of the student's ``conv_transpose2d`` on a constant input with
random positive weights, and the output of nearest upsampling followed by a convolution (both
through the student's own functions where given).
"""
from __future__ import annotations

import html
from typing import Callable

import numpy as np

from ..checks import compare
from ..i18n import N_, tr
from . import FigureWidget, NotReady, call_student, describe_error, ft, in_picture, message_html, remove_drawn, wrap

#: Functions this picture uses that notebook 06 brings from earlier notebooks (cnn_course.earlier), not written here.
EARLIER = {"upsample_nearest": "04_pooling_unpooling", "conv2d": "03_correlation_convolution"}

__all__ = ["transposed_taps", "CheckerboardWidget", "checkerboard_widget", "demo"]


def transposed_taps(n: int, k: int, stride: int) -> np.ndarray:
    """Counts of kernel taps per output position in 1-D, found by listing every (input, tap) pair.

    This is the picture's own count (input ``i`` tap ``u`` lands at ``i*stride + u``), used to
    judge the student's ``overlap_count`` against.
    """
    counts = np.zeros((n - 1) * stride + k, dtype=np.int64)
    for i in range(n):
        for u in range(k):
            counts[i * stride + u] += 1
    return counts


def _weights(k: int) -> np.ndarray:
    """Random positive weights (fixed seed), shape (1, 1, k, k): any kernel shows the overlap pattern."""
    return np.random.default_rng(6).uniform(0.5, 1.5, size=(1, 1, k, k))


class CheckerboardWidget(FigureWidget):
    """Sliders for kernel size, stride and input size; overlap counts, 2-D map, and both upsamplings.

    Inputs: the student's ``overlap_count``, ``conv_transpose2d`` and, for the remedy,
    ``upsample_nearest`` and ``conv2d`` (any may be None or a stub: a note is shown instead).
    Attributes: ``sliders`` (k, stride, n), ``verdict`` (level, message for overlap_count).
    """

    def __init__(self, overlap_count: Callable | None = None, conv_transpose2d: Callable | None = None,
                 upsample_nearest: Callable | None = None, conv2d: Callable | None = None,
                 k: int = 3, stride: int = 2, n: int = 6):
        import ipywidgets as widgets

        self.functions = dict(overlap_count=overlap_count, conv_transpose2d=conv_transpose2d,
                              upsample_nearest=upsample_nearest, conv2d=conv2d)
        layout, style = widgets.Layout(width="260px"), {"description_width": "90px"}
        self.sliders = {
            "k": widgets.IntSlider(value=k, min=1, max=7, description=tr("kernel k"), layout=layout, style=style),
            "stride": widgets.IntSlider(value=stride, min=1, max=4, description=tr("stride s"), layout=layout, style=style),
            "n": widgets.IntSlider(value=n, min=2, max=10, description=tr("input n×n"), layout=layout, style=style),
        }
        self.verdict = ("note", "")
        super().__init__(self.sliders, figsize=(10.0, 3.4))
        self.axes = self.figure.subplots(1, 4)
        self.figure.subplots_adjust(left=0.04, right=0.99, top=0.86, bottom=0.15, wspace=0.25)
        self.update()

    def _try(self, name: str, *args, **kwargs):
        """``(result, None)``, or ``(None, (level, message, the message as the picture says it))`` when the function
        is missing, a stub or raises."""
        try:
            return call_student(self.functions[name], *args, name=name, **kwargs), None
        except NotReady as note:
            if name in EARLIER:  # not written here: brought from an earlier notebook
                said = N_("{function} comes from notebook {notebook}: write it there, save it, then run the cell above "
                          "that brings it here")
                return None, ("note", tr(said).format(function=name, notebook=EARLIER[name]),
                              ft(said).format(function=name, notebook=EARLIER[name]))
            return None, ("note", str(note), in_picture(note))
        except Exception as error:  # a bug is a message, never a traceback
            said = N_("your {function} raised {error}")
            return None, ("bad", tr(said).format(function=name, error=describe_error(error)),
                          ft(said).format(function=name, error=describe_error(error)))

    def draw(self, k: int, stride: int, n: int) -> tuple[str, dict]:
        ax_counts, ax_map, ax_tconv, ax_resize = self.axes
        for ax in self.axes:
            remove_drawn(ax)
        taps = transposed_taps(n, k, stride)
        counts, note = self._try("overlap_count", n, k, stride)
        if note is None:
            problem = compare(counts, taps, tr("your overlap_count"))
            self.verdict = ("bad", problem) if problem else \
                ("ok", tr("your overlap_count agrees with the taps counted one by one"))
        else:
            self.verdict = note[:2]
        shown = taps if note is not None or self.verdict[0] == "bad" else counts
        ax_counts.bar(np.arange(len(shown)), shown, color=np.where(shown == shown.max(), "#c0504d", "#4f81bd"))
        ax_counts.set_title(ft("taps per output (1-D)"), fontsize=11)
        ax_counts.set_xlabel(ft("output position"), fontsize=10)
        ax_counts.set_yticks(range(0, int(shown.max()) + 1))
        grid = np.outer(shown, shown)
        ax_map.imshow(grid, cmap="viridis", interpolation="nearest")
        ax_map.set_title(ft("2-D: outer product"), fontsize=11)
        ax_map.set_xticks([])
        ax_map.set_yticks([])

        x = np.ones((1, 1, n, n))
        w = _weights(k)
        y, t_note = self._try("conv_transpose2d", x, w, np.zeros(1), stride=stride)
        up, u_note = self._try("upsample_nearest", x, stride)
        z, c_note = (None, u_note) if up is None else self._try("conv2d", up, w, np.zeros(1), pad=k // 2)
        crops = [_interior(image) for image in (y, z) if image is not None]
        top = max([float(np.max(c)) for c in crops if c.size] + [1.0])  # one colour scale: flat looks flat
        self._panel(ax_tconv, y, t_note, ft("transposed conv (k={k}, s={stride})").format(k=k, stride=stride), top)
        self._panel(ax_resize, z, c_note, ft("nearest ×{stride}, then conv").format(stride=stride), top)

        even = k % stride == 0
        lines = [f"k = {k}, s = {stride}: k % s = {k % stride} → " + (
            tr("every interior pixel gets the same number of taps, not the same weights: flat only if each phase's "
               "taps sum to the same value") if even else
            tr("neighbouring pixels get different numbers of taps: a checkerboard pattern")),
            tr("The remedy: upsample by copying (nearest), then convolve — every output pixel is reached by the same "
               "k×k taps.")]
        text = "".join(f"<div>{html.escape(line)}</div>" for line in lines) + f"<div>{message_html(*self.verdict)}</div>"
        return text, {"taps": taps, "even": even, "transposed": y, "resized": z}

    @staticmethod
    def _panel(ax, image, note, title, top) -> None:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=11)
        if image is None:
            ax.text(0.5, 0.5, "\n".join(wrap(note[2] if note else "", 24)), ha="center", va="center", fontsize=9,
                    color="#555555", transform=ax.transAxes)
            return
        ax.imshow(_interior(image), cmap="magma", vmin=0, vmax=top, interpolation="nearest")


def _interior(image) -> np.ndarray:
    """The first plane without a 2-pixel border (the border is always uneven: look at the interior)."""
    plane = np.asarray(image, dtype=float).reshape(np.shape(image)[-2:])
    margin = 2 if min(plane.shape) > 6 else 0
    return plane[margin:plane.shape[0] - margin, margin:plane.shape[1] - margin]


def checkerboard_widget(overlap_count: Callable | None = None, conv_transpose2d: Callable | None = None,
                        upsample_nearest: Callable | None = None, conv2d: Callable | None = None,
                        **initial) -> CheckerboardWidget:
    """Build the checkerboard widget from your functions (``initial``: ``k``, ``stride``, ``n``)."""
    return CheckerboardWidget(overlap_count, conv_transpose2d, upsample_nearest, conv2d, **initial)


def demo(functions) -> CheckerboardWidget:
    """The widget as notebook 06 shows it, drawn with ``functions`` (for benchmarks and tests)."""
    return checkerboard_widget(functions.overlap_count, functions.conv_transpose2d,
                               functions.upsample_nearest, functions.conv2d)
