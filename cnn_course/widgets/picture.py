"""A widget's picture in the browser: frames drawn ahead, shown the moment a control moves.

A matplotlib redraw, its PNG and the round trip to the kernel took 70-170 ms per key press; the picture now
answers from the browser. :class:`Picture` is a small front-end widget (``anywidget``: plain JavaScript, no build
step, installed with pip) that keeps the frames the kernel sent, each under the *key* of the control values it
was drawn for, and watches the controls itself: when a slider or list moves to values it has a frame for, it
shows that frame at once (about 1 ms), without waiting for the kernel. The kernel, while nobody presses anything,
draws the frames a next key press is likely to need (:func:`neighbours`: steps of the control that moved last,
the way it moved first, then one step either way of the others), with the same ``draw`` as always, so the
student's code and the reference still share one drawing path. A change with no frame yet is drawn and shown as
before. The kernel's side of it (when to draw ahead, the lock shared with ipykernel's widget thread, putting
everything back) is in :class:`cnn_course.widgets.FigureWidget`.

The key is made the same way on both sides (:func:`control_token`): an option's index for lists, a float in
millionths (no float formatting to agree on), the value for the rest; and a
*generation* that changes whenever the picture may depend on something else than the controls (the widget's
``update()`` was called directly: a drawn digit, a preset button), so that no old frame is ever shown for it.
"""
from __future__ import annotations

import contextlib
import json
import math
import threading
from collections import OrderedDict
from typing import Iterator

import anywidget
import ipywidgets as widgets
import traitlets

#: Frames kept per widget, in the kernel and in the browser (a frame is a PNG of 30-200 kB).
KEPT_FRAMES = 64

_ESM = r"""
const KEPT = %(kept)d;

function token(control) {
  if (Array.isArray(control.get('_options_labels'))) return control.get('index');
  const value = control.get('value');
  if ((control.get('_model_name') || '').includes('Float') && typeof value === 'number') return Math.round(value * 1e6);
  return value === undefined ? null : value;
}

function render({ model, el }) {
  // frames: key -> {url, html}, the newest last; latest: the kernel's current frame; controls: their models
  const state = { frames: new Map(), latest: null, controls: null, shown: null };
  el.classList.add('cnn-course-picture');
  // the look of ipywidgets' Image and HTML, which these replace
  const image = document.createElement('img');
  image.className = 'jupyter-widgets widget-image cnn-course-picture-image';
  image.alt = model.get('alt');
  image.style.cssText = `display:block;width:${model.get('width')}px;max-width:100%%;margin:0`;
  const words = document.createElement('div');
  words.className = 'jupyter-widgets widget-inline-hbox widget-html cnn-course-picture-text';
  const text = document.createElement('div');
  text.className = 'widget-html-content';
  words.append(text);
  el.append(image, words);

  const currentKey = () => state.controls
    ? model.get('generation') + ':' + JSON.stringify(state.controls.map(token)) : null;
  const show = () => {
    const key = currentKey();
    image.dataset.key = key === null ? '' : key;  // for tests: the browser's key, beside the kernel's
    const frame = (key !== null && state.frames.get(key)) || (state.shown === null ? state.latest : null);
    if (!frame) return;  // no frame for these values yet: the kernel is drawing it
    if (frame.url !== image.getAttribute('src')) image.src = frame.url;
    if (frame.html !== text.innerHTML) text.innerHTML = frame.html;
    state.shown = frame;
  };
  const remember = (key, frame) => {
    const old = state.frames.get(key);
    if (old && old.url !== frame.url) URL.revokeObjectURL(old.url);
    state.frames.delete(key);
    state.frames.set(key, frame);
    for (const [oldest, gone] of state.frames) {
      if (state.frames.size <= KEPT) break;
      if (gone === state.latest || gone === state.shown) continue;
      URL.revokeObjectURL(gone.url);
      state.frames.delete(oldest);
    }
  };
  const received = (message, buffers) => {
    if (message.kind !== 'frame') return;
    let frame = state.frames.get(message.key);
    if (buffers && buffers.length) {
      frame = { url: URL.createObjectURL(new Blob([buffers[0]], { type: 'image/png' })), html: message.html };
      remember(message.key, frame);
    } else if (frame) {
      frame.html = message.html;
    } else {
      model.send({ want: message.key });  // a frame this view no longer keeps: ask for it again
      return;
    }
    if (message.current) {
      state.latest = frame;
      image.dataset.kernelKey = message.key;
    }
    show();
  };
  model.on('msg:custom', received);
  model.on('change:generation', show);
  const listened = [];
  const refs = model.get('controls') || [];
  Promise.all(refs.map(ref => model.widget_manager.get_model(String(ref).replace(/^IPY_MODEL_/, ''))))
    .then(controls => {
      state.controls = controls;
      for (const control of controls) {
        control.on('change:value change:index', show);
        listened.push(control);
      }
      show();
    });
  // Lists answer their arrow keys: JupyterLab takes an arrow that no text field holds to move between cells,
  // unless an element on the way up says no (Lumino's data-lm-suppress-shortcuts), so every list of this widget does.
  let lists = null, tries = 0;
  const keepArrows = box => {
    for (const list of box.querySelectorAll('select')) list.setAttribute('data-lm-suppress-shortcuts', 'true');
  };
  const watchLists = () => {  // the widget's box, once the view is in the page
    const box = el.closest('.widget-vbox');
    if (!box) {
      if (++tries < 100) setTimeout(watchLists, 100);
      return;
    }
    lists = new MutationObserver(() => keepArrows(box));
    lists.observe(box, { childList: true, subtree: true });
    keepArrows(box);
  };
  watchLists();
  model.send({ ready: true });
  return () => {
    tries = 100;
    if (lists) lists.disconnect();
    model.off('msg:custom', received);
    model.off('change:generation', show);
    for (const control of listened) control.off('change:value change:index', show);
    for (const frame of state.frames.values()) URL.revokeObjectURL(frame.url);
  };
}

export default { render };
""" % {"kept": KEPT_FRAMES}


class Picture(anywidget.AnyWidget):
    """The picture and the text under it, shown in the browser from frames (see the module's text).

    ``value`` (PNG bytes) and ``html`` are the current frame, in the kernel only: frames travel as messages.
    ``controls`` are the widgets whose values select a frame; ``generation`` changes when anything else does.
    """
    _esm = _ESM
    controls = traitlets.List(trait=traitlets.Instance(widgets.Widget)).tag(sync=True, **widgets.widget_serialization)
    generation = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(800).tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    value = traitlets.Bytes(b"")
    html = traitlets.Unicode("")


class TextOf:
    """``widget.text.value``: the HTML under the picture (the picture's ``html``)."""

    def __init__(self, picture: Picture):
        self._picture = picture

    @property
    def value(self) -> str:
        return self._picture.html


def control_token(control: widgets.Widget):
    """What of ``control`` selects a frame, as the browser computes it (see ``token`` in the JavaScript)."""
    if isinstance(getattr(control, "_options_labels", None), tuple):
        return control.index
    value = getattr(control, "value", None)
    if "Float" in getattr(control, "_model_name", "") and isinstance(value, (int, float)):
        return math.floor(value * 1e6 + 0.5)  # millionths: JSON writes 1.0 as "1.0", JavaScript as "1"
    return list(value) if isinstance(value, tuple) else value


def frame_key(controls: list[widgets.Widget], generation: int) -> str:
    """The key of the frame for these controls' values (the same string as the browser's ``currentKey``)."""
    tokens = [control_token(control) for control in controls]
    return f"{generation}:{json.dumps(tokens, separators=(',', ':'), ensure_ascii=False)}"


def neighbours(controls: dict[str, widgets.Widget], last: tuple[str, int] | None) -> list[tuple[str, str, object]]:
    """Single control changes a next key press is likely to make, most likely first: ``(name, trait, value)``.

    The control that moved last: one and two steps on the way it moved, one back, three and four on; then one step
    either way of every other enabled slider or list; then up to eight steps on (a key held down, or pressed again
    and again); then number boxes. With nothing moved yet, the first control is the one looked at furthest.
    Check boxes, text boxes and buttons are left to the kernel.
    """
    def move(name: str, steps: int):
        control = controls[name]
        if getattr(control, "disabled", False):
            return None
        if isinstance(getattr(control, "_options_labels", None), tuple):
            index = control.index
            if index is None or not 0 <= index + steps < len(control._options_labels):
                return None
            return name, "index", index + steps
        if not all(hasattr(control, attr) for attr in ("min", "max", "step")) or isinstance(control.value, bool) \
                or not isinstance(control.value, (int, float)) or not control.step:
            return None
        value = control.value + steps * control.step
        return (name, "value", value) if control.min <= value <= control.max else None

    names = list(controls)
    moved, way = last if last and last[0] in controls else (names[0] if names else None, 1)
    others = [name for name in names if name != moved]
    typed = [name for name in others if "Text" in getattr(controls[name], "_model_name", "")]  # number boxes
    planned = [(moved, steps * way) for steps in (1, 2, -1, 3, 4)]
    planned += [(name, steps) for name in others if name not in typed for steps in (1, -1)]
    planned += [(moved, steps * way) for steps in (5, 6, 7, 8, -2)]
    planned += [(name, steps) for name in typed for steps in (1, -1)]
    return [found for found in (move(name, steps) for name, steps in planned if name) if found]


class Frames:
    """The frames a widget sent or drew: key -> (PNG, HTML, state), the newest last, at most :data:`KEPT_FRAMES`."""

    def __init__(self):
        self._frames: OrderedDict[str, tuple[bytes, str, dict]] = OrderedDict()

    def get(self, key: str) -> tuple[bytes, str, dict] | None:
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
        return frame

    def put(self, key: str, png: bytes, html: str, state: dict) -> None:
        self._frames[key] = (png, html, state)
        self._frames.move_to_end(key)
        while len(self._frames) > KEPT_FRAMES:
            self._frames.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        return key in self._frames

    def clear(self) -> None:
        self._frames.clear()


_MUTED = threading.local()


@contextlib.contextmanager
def unsynced() -> Iterator[None]:
    """Widget changes this thread makes inside reach no browser (they are undone before the block ends). Other
    threads' are sent as ever: ipykernel may handle widget messages on a thread of their own."""
    if not getattr(widgets.Widget.send_state, "_mutable", False):
        send_state = widgets.Widget.send_state

        def muted_send_state(self, key=None):
            if not getattr(_MUTED, "on", False):
                send_state(self, key)
        muted_send_state._mutable = True
        widgets.Widget.send_state = muted_send_state
    _MUTED.on = True
    try:
        yield
    finally:
        _MUTED.on = False


def serialise_changes(tracked: list[widgets.Widget], owner) -> None:
    """Handle each browser message to these widgets (a change, a click) while holding ``owner._drawing``: ipykernel
    may handle widget messages on a thread of their own, and a frame drawn ahead on another must never see, or undo,
    half a change. ``owner.waiting`` counts the messages waiting (a frame drawn ahead stops early for them)."""
    def serialised(handle):
        def handled(*args, **kwargs):
            owner.waiting(+1)
            try:
                with owner._drawing:
                    handle(*args, **kwargs)
            finally:
                owner.waiting(-1)
        return handled

    for widget in tracked:
        widget.set_state = serialised(widget.set_state)
        widget._handle_custom_msg = serialised(widget._handle_custom_msg)


#: Traits set back first when undoing: a value is checked against its range and options.
_RANGES = ("options", "_options_labels", "min", "max", "step")
_SKIPPED = {"layout", "style", "children", "comm", "keys", "log", "_dom_classes", "tabbable", "tooltip"}


def snapshot(tracked: list[widgets.Widget]) -> list[tuple[widgets.Widget, dict]]:
    """Every synced trait of each widget, to undo a look-ahead with :func:`restore`."""
    return [(widget, {name: getattr(widget, name) for name in widget.keys
                      if name not in _SKIPPED and not name.startswith(("_model_", "_view_"))}) for widget in tracked]


def restore(saved: list[tuple[widgets.Widget, dict]]) -> None:
    """Set back each trait :func:`snapshot` saved that has changed since (ranges and options before values)."""
    for widget, traits in saved:
        names = sorted(traits, key=lambda name: name not in _RANGES)
        for name in names:
            with contextlib.suppress(traitlets.TraitError):
                if getattr(widget, name) != traits[name]:
                    setattr(widget, name, traits[name])


def every_widget(root: widgets.Widget) -> list[widgets.Widget]:
    """``root`` and every widget inside it (boxes' children), each once."""
    found, todo = {}, [root]
    while todo:
        widget = todo.pop()
        if id(widget) in found or not isinstance(widget, widgets.Widget):
            continue
        found[id(widget)] = widget
        todo.extend(getattr(widget, "children", ()) or ())
    return list(found.values())
