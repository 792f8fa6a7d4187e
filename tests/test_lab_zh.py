"""`make lab LANGUAGE=zh`: a student reading Chinese first opens the Chinese notebooks in JupyterLab (Chromium).

As tests/test_lab.py does for the English ones, with its own server (rooted at ``zh/notebooks/``) and browser,
on the same pytest-xdist worker (two lab servers and browsers at once would slow the rest of the suite).
"""
from __future__ import annotations

import pytest

from tests.lab_server import ROOT, TOKEN, UI_TIMEOUT, browser_or_skip, chromium_page, serve
from tests.test_lab import VIEWPORT, _fit_problems, _open, _run_all
from tests.test_widgets_zh import CJK, MISSING_GLYPHS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("student-lab")]


def test_run_all_on_a_chinese_notebook_in_jupyterlab_shows_its_text_and_widgets(tmp_path):
    assignment = "01_local_connectivity"
    home = tmp_path / "home"
    home.mkdir()
    command = lambda lab_args: ["make", "lab", "LANGUAGE=zh", f"LAB_ARGS={' '.join(lab_args)}"]  # noqa: E731
    with serve(command, "make lab LANGUAGE=zh", home, ROOT) as base, chromium_page(browser_or_skip()) as page:
        page.goto(f"{base}/?token={TOKEN}", timeout=UI_TIMEOUT)
        page.wait_for_url("**/lab**", timeout=UI_TIMEOUT)
        page.wait_for_function("() => window.jupyterapp", timeout=UI_TIMEOUT)
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        page.set_viewport_size(VIEWPORT)
        panel = _open(page, f"{assignment}/{assignment}.ipynb")
        _run_all(page, panel, assignment, tmp_path)
        assert "局部连接与权值共享" in panel.locator(".jp-MarkdownCell h1").first.inner_text()
        assert "全连接层" in panel.locator(".jp-MarkdownCell").nth(1).inner_text()
        # the kernel speaks the notebook's language (JupyterLab names the notebook, the kernel reads its metadata):
        # the visible tests of the functions not written yet say so in Chinese
        said = "\n".join(panel.locator(".jp-CodeCell .jp-OutputArea-output").all_inner_texts())
        assert "还没有实现" in said and "not implemented yet" not in said, said[-1500:]
        widgets = panel.locator(".jp-OutputArea-output:has(.widget-slider)")
        assert widgets.count() == 2 and not page.errors, page.errors
        assert not _fit_problems(widgets)
        for index in range(widgets.count()):  # every character of the widgets' words has a glyph, as drawn here
            text = widgets.nth(index).inner_text()
            assert CJK.search(text), text[:200]
            font = widgets.nth(index).evaluate("(node) => getComputedStyle(node).font")
            missing = page.evaluate(MISSING_GLYPHS, [text, font])
            assert not missing, f"no glyph for {missing!r} in the Chinese widget {index + 1}"
        page.screenshot(path=str(tmp_path / f"zh-{assignment}.png"))
