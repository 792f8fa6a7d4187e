"""The widgets in a Chinese notebook: their controls, texts and pictures in Chinese, with no missing glyph.

A picture's words are drawn by matplotlib, which needs a font with Chinese characters (cnn_course.widgets.CJK_FONTS):
with one, each picture speaks Chinese (matplotlib warns of every glyph it cannot draw: none may be missing); without
one, the picture speaks English and says under itself how to install a font, instead of drawing empty boxes.
"""
from __future__ import annotations

import importlib
import os
import re
import warnings

import pytest

from cnn_course import widgets
from cnn_course.i18n import speaking
from grader.course import reference

CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")
MODULES = ["local_connectivity", "conv_arithmetic", "correlation", "pooling", "gradient_routing", "checkerboard",
           "tiny_cnn"]


def drawn(module: str, language: str):
    """The module's widget as its notebook shows it, drawn in ``language``; with the warnings it raised."""
    with speaking(language), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        widget = importlib.import_module(f"cnn_course.widgets.{module}").demo(reference)
    return widget, [str(w.message) for w in caught]


def figure_words(widget) -> str:
    return "\n".join(t.get_text() for t in widget.figure.findobj(lambda a: hasattr(a, "get_text")))


def control_words(widget) -> str:
    return "\n".join(str(getattr(c, "description", "")) for c in widget.controls.values())


def missing_glyphs(said: list[str]) -> list[str]:
    return [text for text in said if "missing from font" in text or "Glyph" in text]


@pytest.fixture(scope="module")
def chinese_font():
    if widgets.cjk_font() is None:
        if os.environ.get("CNN_COURSE_REQUIRE_BROWSER"):
            pytest.fail("no font with Chinese characters on this machine (.ci/run installs fonts-wqy-microhei)")
        pytest.skip("no font with Chinese characters here (Debian: apt-get install fonts-wqy-microhei)")
    return widgets.cjk_font()


@pytest.mark.parametrize("module", MODULES)
def test_a_chinese_notebooks_widget_speaks_chinese_with_no_missing_glyph(module, chinese_font):
    widget, said = drawn(module, "zh")
    assert not missing_glyphs(said), missing_glyphs(said)[:3]
    assert CJK.search(widget.text.value), widget.text.value[:300]
    assert CJK.search(control_words(widget)), control_words(widget)
    if module != "pooling":  # pooling writes its labels as paths (its picture's words are checked by the warnings)
        assert CJK.search(figure_words(widget)), figure_words(widget)[:300]
    assert not any("fonts-noto-cjk" in str(getattr(child, "value", "")) for child in widget.box.children)


@pytest.mark.parametrize("module", ["local_connectivity", "correlation", "checkerboard"])
def test_without_a_chinese_font_the_picture_speaks_english_and_says_why(module, monkeypatch):
    monkeypatch.setattr(widgets, "cjk_font", lambda: None)
    widget, said = drawn(module, "zh")
    assert not missing_glyphs(said)
    assert not CJK.search(figure_words(widget)), figure_words(widget)[:300]
    assert CJK.search(widget.text.value) and CJK.search(control_words(widget))  # the browser draws those
    notes = [child.value for child in widget.box.children if "fonts-noto-cjk" in str(getattr(child, "value", ""))]
    assert notes and CJK.search(notes[0]), "the widget must say why its picture is in English, and how to fix it"


@pytest.mark.parametrize("module", ["local_connectivity", "correlation", "gradient_routing"])
def test_an_english_notebooks_widget_has_no_chinese_but_its_terms(module):
    widget, said = drawn(module, "en")
    assert not missing_glyphs(said)
    assert not CJK.search(figure_words(widget)) and not CJK.search(control_words(widget))
    assert not any("fonts-noto-cjk" in str(getattr(child, "value", "")) for child in widget.box.children)


def test_a_font_installed_after_matplotlib_listed_its_fonts_is_found(monkeypatch, chinese_font):
    """matplotlib lists the system's fonts once (its cache): a font installed later is found by its file."""
    from matplotlib import font_manager

    kept = [entry for entry in font_manager.fontManager.ttflist if entry.name not in widgets.CJK_FONTS]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    widgets.cjk_font.cache_clear()
    try:
        assert widgets.cjk_font() in widgets.CJK_FONTS
    finally:
        widgets.cjk_font.cache_clear()


def test_text_wraps_between_chinese_characters_and_between_words():
    assert widgets.wrap("one two three four", 9) == ["one two", "three", "four"]
    lines = widgets.wrap("实现上面的 cross_correlate2d，然后再运行这个单元", 16)
    assert len(lines) > 1 and all(widgets._display_width(line) <= 16 or " " not in line for line in lines)
    assert "".join(lines).replace(" ", "") == "实现上面的cross_correlate2d，然后再运行这个单元"


#: In Chromium: which characters of ``text`` no font draws (each then shows the same empty box as a character no font
#: has, U+10FFFD), in the font ``font`` (a CSS font shorthand) or its fallbacks.
MISSING_GLYPHS = """([text, font]) => {
    const canvas = document.createElement('canvas');
    canvas.width = 48; canvas.height = 48;
    const g = canvas.getContext('2d', {willReadFrequently: true});
    const look = (ch) => { g.clearRect(0, 0, 48, 48); g.font = font; g.fillText(ch, 6, 36);
                           return g.getImageData(0, 0, 48, 48).data.join(','); };
    const none = look('\\u{10FFFD}');
    return [...new Set([...text])].filter(ch => ch.trim() && look(ch) === none);
}"""


def widget_page(widget) -> str:
    """A page with what a widget shows as HTML: its controls' labels, texts, legend and picture (as JupyterLab does,
    in JupyterLab's interface fonts)."""
    import base64
    import html

    parts = [f"<div>{html.escape(str(getattr(c, 'description', '')))} {html.escape(str(getattr(c, 'tooltip', '') or ''))}"
             f"</div>" for c in widget.controls.values()]
    parts += [child.value for child in widget.box.children if isinstance(getattr(child, "value", None), str)]
    picture = base64.b64encode(widget.image.value).decode()
    return ("<html><body style=\"font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif, "
            "'Apple Color Emoji', 'Segoe UI Emoji', 'Segoe UI Symbol'; font-size: 13px\">" + "".join(parts)
            + f"<img src='data:image/png;base64,{picture}'></body></html>")


@pytest.mark.slow
def test_every_chinese_widget_in_chromium_shows_no_missing_glyph(chinese_font, tmp_path):
    """Each widget's Chinese words as Chromium draws them: every character has a glyph; a screenshot of each is kept."""
    from tests.lab_server import browser_or_skip, chromium_page

    with chromium_page(browser_or_skip()) as page:
        page.set_content("<p>A</p>")
        control = page.evaluate(MISSING_GLYPHS, ["A\U0010fffd", "13px sans-serif"])
        assert control == ["\U0010fffd"], f"the glyph check itself does not work here: {control}"
        for module in MODULES:
            widget, _ = drawn(module, "zh")
            page.set_content(widget_page(widget))
            text = page.inner_text("body")
            font = page.evaluate("() => getComputedStyle(document.body).font")
            assert CJK.search(text), f"{module}: no Chinese on its page"
            missing = page.evaluate(MISSING_GLYPHS, [text, font])
            assert not missing, f"{module}: no glyph for {missing!r} in Chromium"
            page.screenshot(path=str(tmp_path / f"zh-{module}.png"), full_page=True)
        assert not page.errors, page.errors
