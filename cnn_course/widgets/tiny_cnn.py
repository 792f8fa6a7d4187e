"""Notebook 07's picture: what the tiny CNN sees, layer by layer, for one test digit.

A slider picks a held-out digit (the first control); the picture shows the image, the feature
maps after the convolution and ReLU (one per filter), the pooled maps, and the predicted
probabilities of the ten classes, the right one in green and a wrong prediction in red. A
second slider fades in noise, to see how the maps and the prediction react; a grid of toggle
buttons lets the student draw a digit of their own (or copy a test image and change it).

Everything is computed by the student's own ``tiny_cnn_forward`` (via :func:`call_student`):
the maps shown are the ``cache`` it returns, the probabilities the softmax of its scores.
"""
from __future__ import annotations

import html
from typing import Callable

import numpy as np

from ..i18n import N_, tr
from . import FigureWidget, NotReady, call_student, describe_error, ft, message_html, swatch_legend

__all__ = ["mosaic", "softmax", "forward_views", "TinyCnnWidget", "tiny_cnn_widget", "demo"]

RIGHT, WRONG, OTHER = (0.18, 0.49, 0.20), (0.78, 0.16, 0.16), (0.62, 0.70, 0.80)
DRAWN = (0.13, 0.40, 0.67)
LOW, HIGH = (0.267, 0.005, 0.329), (0.993, 0.906, 0.144)  # the ends of matplotlib's viridis, used for the maps


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def mosaic(maps: np.ndarray, columns: int = 4, gap: int = 1) -> np.ndarray:
    """Tile ``maps`` of shape (F, h, w) into one 2-D image, ``columns`` per row, NaN gaps between them."""
    f, h, w = maps.shape
    rows = -(-f // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), np.nan)
    for index in range(f):
        r, c = divmod(index, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = maps[index]
    return out


class Unexpected(Exception):
    """The student's forward pass returned something of the wrong form."""


def forward_views(forward: Callable, image: np.ndarray, params) -> dict:
    """Run ``forward`` on one image (C, H, W); return its maps and probabilities.

    Raises NotReady on a stub, Unexpected when the result is not ``(scores (1, K), (z, a, p, switches))``
    with maps of shape (1, F, h, w); the student's own exceptions propagate.
    """
    result = call_student(forward, image[None], params, name="tiny_cnn_forward")
    try:
        scores, (z, a, p, switches) = result
        scores, a, p = (np.asarray(v, dtype=float) for v in (scores, a, p))
    except (TypeError, ValueError) as error:
        raise Unexpected(tr("it should return (scores, (z, a, p, switches)): {error}").format(error=error)) from None
    if scores.ndim != 2 or scores.shape[0] != 1 or a.ndim != 4 or p.ndim != 4 or a.shape[:2] != p.shape[:2]:
        raise Unexpected(tr("scores should be (1, K) and a, p (1, F, h, w); got {scores}, {a}, {p}").format(
            scores=scores.shape, a=a.shape, p=p.shape))
    return {"relu": a[0], "pool": p[0], "probs": softmax(scores[0])}


def pixel_label(row: int, col: int, on: bool) -> str:
    """A drawing pixel's name (its tooltip, which browsers give screen readers): where it is, whether it is on."""
    return (tr("pixel row {row}, column {col}: on") if on else tr("pixel row {row}, column {col}: off")).format(
        row=row + 1, col=col + 1)


class TinyCnnWidget(FigureWidget):
    """Pick a test digit; see its feature maps, pooled maps and predicted probabilities."""

    def __init__(self, forward: Callable | None, params, images: np.ndarray, labels: np.ndarray):
        import ipywidgets as widgets

        self.forward, self.params = forward, params
        self.images, self.labels = np.asarray(images, dtype=float), np.asarray(labels)
        style = {"description_width": "initial"}
        controls = {
            "index": widgets.IntSlider(value=0, min=0, max=len(self.images) - 1, description=tr("test image"),
                                       continuous_update=False, style=style),
            "noise": widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description=tr("noise"),
                                         continuous_update=False, style=style),
            "drawing": widgets.Checkbox(value=False, description=tr("use my drawing (the grid below)"), indent=False),
        }
        h, w = self.images.shape[-2:]
        # one layout and one style for all the pixels: each of its own was a widget more for the browser to make
        cell = widgets.Layout(width="24px", height="24px", padding="0", margin="0", border="1px solid #8a8a8a")
        look = widgets.ToggleButton.class_traits()["style"].klass()  # ToggleButtonStyle (not exported by ipywidgets)
        self.pixels = [widgets.ToggleButton(value=False, layout=cell, style=look, tooltip=pixel_label(i, j, False))
                       for i in range(h) for j in range(w)]
        for pixel in self.pixels:
            pixel.observe(self._pixel_changed, names="value")
        wide = widgets.Layout(width="auto")  # the default button width cuts "copy the test image"
        copy = widgets.Button(description=tr("copy the test image"), layout=wide)
        clear = widgets.Button(description=tr("clear"), layout=wide)
        copy.on_click(lambda _: self.set_drawing(self.images[self.controls["index"].value, 0] > 0.35))
        clear.on_click(lambda _: self.set_drawing(np.zeros((h, w), dtype=bool)))
        grid = widgets.GridBox(self.pixels, layout=widgets.Layout(
            grid_template_columns=f"repeat({w}, 24px)", grid_gap="1px", width=f"{w * 25}px"))
        # Named for keyboard and screen-reader users: each pixel says where it is and whether it is on.
        heading = widgets.HTML(html.escape(tr("your drawing, {h}×{w} pixels: Tab to a pixel, Space turns it on or off"
                                              ).format(h=h, w=w)))
        # the two buttons first: Tab reaches them before the 64 pixels, not after
        extra = [heading, widgets.HBox([widgets.VBox([copy, clear]), grid])]
        legend = swatch_legend([(LOW, N_("map value 0 (the ReLU cut it)")),
                                (HIGH, N_("the strongest response of this digit")),
                                (RIGHT, N_("the right digit")), (WRONG, N_("a wrong prediction")),
                                (DRAWN, N_("the prediction for your drawing")), (OTHER, N_("other classes"))])
        super().__init__(controls, figsize=(11.0, 3.4), legend=legend, extra=extra)
        axes = self.figure.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1.9, 1.9, 1.6]})
        self._artists: dict | None = None
        self.axes = dict(zip(("image", "relu", "pool", "probs"), axes))
        self.update()

    def drawn(self) -> np.ndarray:
        """The grid as an image (1, H, W): 1 where a button is pressed, 0 elsewhere."""
        h, w = self.images.shape[-2:]
        return np.array([pixel.value for pixel in self.pixels], dtype=float).reshape(1, h, w)

    def set_drawing(self, on: np.ndarray) -> None:
        """Press the grid's buttons where ``on`` (H, W) is true, then redraw once."""
        def press():
            for pixel, value in zip(self.pixels, np.asarray(on, dtype=bool).ravel()):
                pixel.value = bool(value)
        self.quietly(press)
        if self.controls["drawing"].value:
            self.update()
        else:
            self.controls["drawing"].value = True      # drawing on: shows it

    def _pixel_changed(self, change) -> None:
        index = self.pixels.index(change["owner"])
        change["owner"].tooltip = pixel_label(*divmod(index, self.images.shape[-1]), bool(change["new"]))
        if not self._quiet and self.controls["drawing"].value:
            self.update()

    def image_at(self, index: int, noise: float, drawing: bool = False) -> np.ndarray:
        """The image shown: test image ``index`` or the drawing, with ``noise`` added (seeded: the same each time)."""
        image = self.drawn() if drawing else self.images[index]
        if noise:
            g = np.random.default_rng(index)
            image = np.clip(image + noise * g.standard_normal(image.shape) * 0.5, 0.0, 1.0)
        return image

    def draw(self, index: int, noise: float, drawing: bool = False):
        image = self.image_at(index, noise, drawing)
        label = None if drawing else int(self.labels[index])
        try:
            views = forward_views(self.forward, image, self.params)
        except NotReady as note:
            self._blank(image, index, label)
            return message_html("note", tr("{note}: then the maps and probabilities of this digit appear here").format(
                note=note)), {"ready": False}
        except Exception as error:  # the student's bug is a message, never a traceback
            self._blank(image, index, label)
            said = tr("your tiny_cnn_forward returned something unexpected: {error}").format(error=error) \
                if isinstance(error, Unexpected) else \
                tr("your tiny_cnn_forward raised {error}").format(error=describe_error(error))
            return message_html("bad", said), {"ready": False, "error": str(error)}
        relu_maps, pooled, probs = views["relu"], views["pool"], views["probs"]
        top = max(float(np.nanmax(relu_maps)), 1e-9)
        guess = int(np.argmax(probs))
        if label is None:
            colors = [DRAWN if k == guess else OTHER for k in range(len(probs))]
        else:
            colors = [RIGHT if k == label else WRONG if k == guess else OTHER for k in range(len(probs))]
        shapes = (relu_maps.shape, pooled.shape, probs.shape)
        if self._artists is None or self._artists["shapes"] != shapes:
            self._build(image, relu_maps, pooled, probs, shapes)      # first picture: make the artists
        art, ax = self._artists, self.axes
        art["image"].set_data(image[0])                                # later pictures: only new data
        art["relu"].set_data(mosaic(relu_maps))
        art["pool"].set_data(mosaic(pooled))
        for artist in (art["relu"], art["pool"]):
            artist.set_clim(0, top)
        for bar, value, color in zip(art["bars"], probs, colors):
            bar.set_width(value)
            bar.set_color(color)
        ax["image"].set_title(self._title(index, label), fontsize=11)
        if label is None:
            text = message_html("note", tr("your drawing reads as a {guess} (probability {probability})").format(
                guess=guess, probability=f"{probs[guess]:.1%}"))
        else:
            level = "ok" if guess == label else "bad"
            verdict = tr("right") if guess == label else tr("wrong (it is a {label})").format(label=label)
            text = message_html(level, tr("prediction: {guess} with probability {probability} — {verdict}").format(
                guess=guess, probability=f"{probs[guess]:.1%}", verdict=verdict))
        return text, {"ready": True, "prediction": guess, "label": label, "probs": probs}

    def _build(self, image, relu_maps, pooled, probs, shapes) -> None:
        ax = self.axes
        for axis in ax.values():
            axis.clear()  # keeps the spines' style: the placeholder's dashed grey frame is undone here
            axis.set_axis_on()
            for side in axis.spines.values():
                side.set_edgecolor("black")
                side.set_linestyle("-")
        self._artists = {
            "shapes": shapes,
            "image": ax["image"].imshow(image[0], cmap="gray_r", vmin=0, vmax=1),
            "relu": ax["relu"].imshow(mosaic(relu_maps), cmap="viridis", vmin=0, vmax=1),
            "pool": ax["pool"].imshow(mosaic(pooled), cmap="viridis", vmin=0, vmax=1),
            "bars": ax["probs"].barh(np.arange(len(probs)), probs, color=OTHER),
        }
        ax["relu"].set_title(ft("{count} feature maps after conv + ReLU ({h}x{w})").format(
            count=len(relu_maps), h=relu_maps.shape[1], w=relu_maps.shape[2]), fontsize=11)
        ax["pool"].set_title(ft("after 2x2 max-pooling ({h}x{w})").format(h=pooled.shape[1], w=pooled.shape[2]),
                             fontsize=11)
        ax["probs"].set_yticks(np.arange(len(probs)))
        ax["probs"].invert_yaxis()
        ax["probs"].set_xlim(0, 1)
        ax["probs"].set_xlabel(ft("probability"), fontsize=11)
        ax["probs"].set_title(ft("softmax of the scores"), fontsize=11)
        ax["probs"].tick_params(labelsize=11)
        for name in ("image", "relu", "pool"):
            ax[name].set_xticks([])
            ax[name].set_yticks([])
        self._finish()

    @staticmethod
    def _title(index: int, label: int | None) -> str:
        return ft("your drawing") if label is None else ft("test image {index}: a {label}").format(index=index, label=label)

    def _blank(self, image, index: int, label: int | None) -> None:
        """Only the image (the student's function gave nothing to draw)."""
        self._artists = None
        for axis in self.axes.values():
            axis.clear()
        # the panels to come, framed and named, instead of white space
        for name, title in (("relu", ft("feature maps after conv + ReLU")), ("pool", ft("after 2x2 max-pooling")),
                            ("probs", ft("softmax of the scores"))):
            axis = self.axes[name]
            axis.set_xticks([])
            axis.set_yticks([])
            for side in axis.spines.values():
                side.set_edgecolor("#bbbbbb")
                side.set_linestyle((0, (4, 3)))
            axis.set_title(title, fontsize=11, color="#777777")
            axis.text(0.5, 0.5, ft("drawn by your\ntiny_cnn_forward"), ha="center", va="center", fontsize=10,
                      color="#777777", transform=axis.transAxes)
        self.axes["image"].imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
        self.axes["image"].set_title(self._title(index, label), fontsize=11)
        self.axes["image"].set_xticks([])
        self.axes["image"].set_yticks([])
        self._finish()

    def _finish(self) -> None:
        self.figure.subplots_adjust(left=0.02, right=0.98, bottom=0.16, top=0.86, wspace=0.18)


def tiny_cnn_widget(forward: Callable | None, params, images, labels) -> TinyCnnWidget:
    """The widget: pass your ``tiny_cnn_forward``, trained ``params`` and test images (N, 1, H, W) with labels."""
    return TinyCnnWidget(forward, params, images, labels)


def demo(functions) -> TinyCnnWidget:
    """The widget as notebook 07 shows it, after a short training with ``functions.train_tiny_cnn``."""
    from ..data import load_digits

    x_train, y_train, x_test, y_test = load_digits()
    g = np.random.default_rng(0)
    params = (g.standard_normal((8, 1, 3, 3)) * np.sqrt(2 / 9), np.zeros(8),
              g.standard_normal((128, 10)) * np.sqrt(1 / 128), np.zeros(10))
    params, _ = functions.train_tiny_cnn(params, x_train, y_train, epochs=2, batch_size=32, lr=0.2, seed=0)
    return tiny_cnn_widget(functions.tiny_cnn_forward, params, x_test, y_test)
