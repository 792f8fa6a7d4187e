"""`make lab` serves the student face of the course; a student uses every notebook's widgets in JupyterLab (a real browser).

The server is started exactly as the README tells a student (``make lab LAB_ARGS=...``, from the
repository root); the browser part drives Debian's Chromium through Playwright. Without
``/usr/bin/chromium`` or the playwright package the browser test is skipped (a student's laptop),
unless ``CNN_COURSE_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where it fails instead.

The student notebook is never saved: the lab runs with a throw-away user-settings folder that turns
autosave off, and the test checks the file's bytes are unchanged afterwards.

One lab server, one Chromium and one JupyterLab page serve every browser test (all on one pytest-xdist
worker): each test opens its notebook in that page and, when done, shuts its kernel down and closes it.
Loading JupyterLab costs 5-9 s on this 2-core machine, more than most notebooks' Run All.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.lab_server import ROOT, TOKEN, UI_TIMEOUT, browser_or_skip, chromium_page, get, make_lab, plain_jupyter_lab

NOTEBOOK = "02_padding_stride/02_padding_stride.ipynb"  # in the lab, whose root is notebooks/
SCREENSHOT_COPY = Path("/tmp/lab-widget.png")  # for a person to look at

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("student-lab")]  # one server and one browser


#: ``tools/widget_latency.py`` also times the widgets drawing a perfect student's functions: the lab then serves
#: solved copies of the student notebooks (plain ``jupyter lab`` in a temporary folder), not ``notebooks/``.
SOLVED = os.environ.get("CNN_COURSE_WIDGET_SOLVED") == "1"


def _solved_notebooks(folder: Path) -> Path:
    """Every student notebook's folder, copied into ``folder`` with each answer filled in from the solution."""
    import nbformat

    from tests.course_copies import solved_notebook

    for source in sorted((ROOT / "notebooks").iterdir()):
        if (source / f"{source.name}.ipynb").exists():
            shutil.copytree(source, folder / source.name)
            nbformat.write(solved_notebook(ROOT, source.name), folder / source.name / f"{source.name}.ipynb")
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a free port, as a student starts it; yields its base URL. Always torn down."""
    def digests():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "notebooks").glob("*/*.ipynb")}

    before = digests()
    home = tmp_path_factory.mktemp("lab")
    with (plain_jupyter_lab(home, _solved_notebooks(tmp_path_factory.mktemp("solved"))) if SOLVED
          else make_lab("lab", home)) as base:
        yield base
    changed = [name for name, digest in digests().items() if before.get(name) != digest]
    assert not changed, f"the lab session modified {changed}"


def test_make_lab_serves_the_course(lab):
    status, _, body = get(f"{lab}/api/contents/{NOTEBOOK}?content=1")
    assert status == 200, body[:500]
    model = json.loads(body)
    assert model["type"] == "notebook" and model["path"] == NOTEBOOK
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in model["content"]["cells"]]
    assert any(s.strip() == "conv_arithmetic_widget(conv_output_size)" for s in sources)

    # The lab's root is notebooks/: every student notebook is listed at the top.
    status, _, body = get(f"{lab}/api/contents/")
    listed = {item["name"] for item in json.loads(body)["content"]}
    assert status == 200 and {p.name for p in (ROOT / "notebooks").iterdir() if p.is_dir()} <= listed, listed


def test_the_student_face_has_no_instructor_panels_and_no_answers(lab):
    # Nothing above notebooks/ is reachable: not the solutions, not the grader, not the gradebook.
    listed = {item["name"] for item in json.loads(get(f"{lab}/api/contents/")[2])["content"]}
    assert not listed & {"solutions", "grader", "gradebook.db", "nbgrader_config.py"}, listed
    for path in ("solutions", "grader", "grader/course/reference.py", "../solutions", "..%2Fsolutions", "..%2Fgrader"):
        status, _, _ = get(f"{lab}/api/contents/{path}")
        assert status in (400, 403, 404), (path, status)
    # nbgrader's instructor server extensions are off (their pages and APIs are gone) ...
    for path in ("formgrader", "formgrader/api/assignments", "formgraders"):
        assert get(f"{lab}/{path}")[0] == 404, path
    # ... and so are its instructor lab plugins; the student's (validate, assignment list) stay.
    page_config = json.loads(re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                       get(f"{lab}/lab")[2], re.S).group(1))
    disabled = set(page_config["disabledExtensions"])
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:course-list"} <= disabled, disabled
    assert not {"@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:assignment-list"} & disabled


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_page(lab):
    """One Chromium page with JupyterLab loaded from the front page, as a student arrives; shared by the module."""
    with chromium_page(browser_or_skip()) as page:
        page.goto(f"{lab}/?token={TOKEN}", timeout=UI_TIMEOUT)
        page.wait_for_url("**/lab**", timeout=UI_TIMEOUT)
        page.wait_for_function("() => window.jupyterapp", timeout=UI_TIMEOUT)
        page.evaluate("async () => { await window.jupyterapp.restored; }")  # every plugin active, layout restored
        page.set_viewport_size(VIEWPORT)  # a laptop's window: every widget must fit it
        yield page


@pytest.fixture
def page(lab_page):
    """The shared page for one test: its errors counted from now; afterwards every notebook is shut down and closed."""
    lab_page.errors.clear()
    yield lab_page
    _close_dialogs(lab_page)
    # Shut the kernels down (they would keep the CPU busy with nothing) and close the tabs unsaved.
    lab_page.evaluate("""async () => {
        for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
            if (widget.sessionContext) await widget.sessionContext.shutdown();
            widget.dispose();
        }
    }""")


def _open(page, path: str):
    """Open ``path`` (relative to the lab's root) in the page, as a double click in the file browser would; its panel."""
    name = path.rsplit("/", 1)[-1]
    page.evaluate("path => window.jupyterapp.commands.execute('docmanager:open', {path})", path)
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name).first.wait_for(timeout=UI_TIMEOUT)
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=UI_TIMEOUT)
    return panel


def _code_cell(page, text: str):
    """The code cell whose source contains ``text`` (there must be exactly one)."""
    cells = page.locator(".jp-Notebook .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea .cm-content", has_text=text))
    cells.first.wait_for(state="attached", timeout=UI_TIMEOUT)
    assert cells.count() == 1, f"{cells.count()} code cells contain {text!r}"
    return cells.first


def test_student_uses_the_widget_in_jupyterlab(page, tmp_path):
    errors = page.errors

    # The front page opened on notebooks/, where the notebook's folder is listed (and not solutions/).
    folder = page.locator(".jp-DirListing-item", has_text="02_padding_stride").first
    folder.wait_for(timeout=UI_TIMEOUT)
    assert page.locator(".jp-DirListing-item", has_text="solutions").count() == 0

    # The student opens the folder, then the notebook, with double clicks.
    folder.dblclick()
    page.locator(".jp-DirListing-item", has_text="02_padding_stride.ipynb").first.dblclick()
    page.locator(".lm-TabBar-tab.lm-mod-current", has_text="02_padding_stride.ipynb").first.wait_for(
        timeout=UI_TIMEOUT)
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=UI_TIMEOUT)

    _run_all(page, panel, "02_padding_stride", tmp_path)  # this notebook's Run All test
    widget_cell = _code_cell(page, "conv_arithmetic_widget(conv_output_size)")
    widget_cell.scroll_into_view_if_needed()

    output = widget_cell.locator(".jp-OutputArea")
    sliders = output.locator(".jupyter-widgets.widget-slider")
    sliders.nth(4).wait_for(timeout=UI_TIMEOUT)
    assert sliders.count() >= 5
    picture = output.locator(".jupyter-widgets.widget-image, img.widget-image").first
    picture.wait_for(timeout=UI_TIMEOUT)
    formula = output.locator(".widget-html-content", has_text="o = ⌊").first
    formula.wait_for(timeout=UI_TIMEOUT)
    # The stub gets a note; a student who has already implemented it gets the comparison.
    note = output.locator(".widget-html-content",
                          has_text=re.compile(r"implement conv_output_size above|your conv_output_size"))
    note.wait_for(timeout=UI_TIMEOUT)

    shown = output.inner_text()
    assert "Traceback" not in shown and "NotImplementedError" not in shown, shown
    assert output.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    labels = output.locator(".widget-slider .widget-label").all_inner_texts()
    assert {"input n", "kernel k", "padding p", "stride s", "dilation d"} <= set(labels), labels
    assert "⌊(5 + 2·0 − 1·(3−1) − 1)/1⌋ + 1" in formula.inner_text()  # 5x5 input, 3x3 kernel, stride 1
    old_text, old_src = formula.text_content(), picture.get_attribute("src")

    # The student moves the stride slider one step with the keyboard.
    stride = sliders.filter(has=page.locator(".widget-label", has_text="stride s"))
    stride.locator(".noUi-handle").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([el, old]) => el.textContent !== old",
                           arg=[formula.element_handle(), old_text], timeout=UI_TIMEOUT)
    new_text = formula.inner_text()
    assert "/2⌋ + 1" in new_text and "2×2 feature map" in new_text, new_text  # stride 2 → 2x2
    assert stride.locator(".widget-readout").inner_text().strip() == "2"
    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                           arg=[picture.element_handle(), old_src], timeout=UI_TIMEOUT)
    assert note.count() == 1 and "Traceback" not in output.inner_text()

    problems = _fit_problems(widget_cell.locator(".jp-OutputArea-output:has(.widget-slider)"))
    assert not problems, problems
    widget_cell.scroll_into_view_if_needed()
    shot = tmp_path / "lab-widget.png"
    output.screenshot(path=str(shot))
    shutil.copyfile(shot, SCREENSHOT_COPY)
    page.screenshot(path=str(tmp_path / "lab-page.png"))
    assert shot.stat().st_size > 10_000
    assert not errors, errors


#: The window a student works in: a widget's controls and picture must fit it together, labels uncut.
VIEWPORT = {"width": 1400, "height": 900}

#: In the page: what of one widget (an output holding controls) does not fit. A label, readout, button or
#: HTML text whose content is wider than its box is cut (ipywidgets ends it with an ellipsis); the widget
#: must be no taller than the notebook's visible area and no wider than its output area; a button without
#: text (07's drawing grid) needs a name for keyboard and screen-reader users.
_FIT_PROBLEMS = """el => {
    const problems = [];
    const cut = e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
    for (const e of el.querySelectorAll('.widget-label, .widget-readout, .widget-label-basic, button, '
                                        + '.widget-html-content, .widget-inline-hbox')) {
        if (e.offsetParent !== null && cut(e)) problems.push(`cut off: "${(e.textContent || '').trim().slice(0, 60)}" `
                                                              + `(${e.scrollWidth} px in ${e.clientWidth} px)`);
    }
    const unnamed = [...el.querySelectorAll('button.widget-button, button.widget-toggle-button')].filter(b => !(b.textContent || '').trim()
        && !b.getAttribute('title') && !b.getAttribute('aria-label'));
    if (unnamed.length) problems.push(`${unnamed.length} button(s) with no label, title or aria-label`);
    const box = el.querySelector('.widget-vbox') || el;
    const scroller = el.closest('.jp-WindowedPanel-outer') || el.closest('.jp-Notebook');
    const height = box.getBoundingClientRect().height;
    if (height > scroller.clientHeight)
        problems.push(`widget ${Math.round(height)} px tall, the notebook shows ${scroller.clientHeight} px`);
    if (box.scrollWidth > el.clientWidth + 1) problems.push(`widget ${box.scrollWidth} px wide in ${el.clientWidth} px`);
    return problems;
}"""


def _fit_problems(widgets) -> list[str]:
    """What does not fit in each widget of a locator of widget outputs (empty when everything fits)."""
    return [f"widget {index + 1}: {problem}" for index in range(widgets.count())
            for problem in widgets.nth(index).evaluate(_FIT_PROBLEMS)]


def _assignments() -> list[str]:
    """Every notebook but 02, whose Run All is part of test_student_uses_the_widget_in_jupyterlab (for
    ``tools/widget_latency.py``, which sets ``CNN_COURSE_WIDGET_TIMES``, 02 too)."""
    every = os.environ.get("CNN_COURSE_WIDGET_TIMES")
    return sorted(p.name for p in (ROOT / "notebooks").iterdir()
                  if (p / f"{p.name}.ipynb").exists() and (every or p.name != "02_padding_stride"))


def _close_dialogs(page) -> list[str]:
    """Close any modal dialog (a busy machine can make JupyterLab report a slow server); return their texts."""
    texts = []
    for _ in range(3):
        dialog = page.locator(".jp-Dialog")
        if dialog.count() == 0:
            break
        texts.append(" ".join(dialog.first.inner_text().split())[:300])
        accept = dialog.first.locator(".jp-Dialog-button.jp-mod-accept")
        if accept.count():
            accept.first.click()
        else:
            page.keyboard.press("Escape")
        dialog.first.wait_for(state="detached", timeout=UI_TIMEOUT)
    return texts


def _run_all(page, panel, assignment: str, tmp_path: Path) -> None:
    """Run > Run All Cells on the open notebook; wait until every code cell has run; no traceback anywhere."""
    cells = sum(c["cell_type"] == "code" for c in json.loads((ROOT / "notebooks" / assignment /
                                                              f"{assignment}.ipynb").read_text())["cells"])
    # "done": every code cell of the visible notebook shows "[n]:" (no "[*]:" running or queued, no
    # "[ ]:"), looked up afresh at each poll (JupyterLab may re-create cell nodes as it scrolls).
    # "stalled": cells left unrun while the kernel has been idle for 5 s (a Run All that JupyterLab
    # cut short, seen on a loaded machine): run all again at once instead of waiting out the timeout.
    progress = """count => {
        const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        const prompts = panel ? [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')] : [];
        if (prompts.length === count && prompts.every(el => /\\[\\d+\\]/.test(el.textContent))) return "done";
        const idle = panel && panel.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
        if (!idle || prompts.some(el => el.textContent.includes('*'))) { window.__idleSince = null; return false; }
        window.__idleSince = window.__idleSince || Date.now();
        return Date.now() - window.__idleSince > 5000 ? "stalled" : false;
    }"""
    dialogs, state = [], None
    for attempt in (1, 2, 3):  # again only if a Run All stalled
        dialogs += _close_dialogs(page)
        page.evaluate("window.__idleSince = null")
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        state = page.wait_for_function(progress, arg=cells, timeout=2 * UI_TIMEOUT).json_value()
        if state == "done":
            break
        page.screenshot(path=str(tmp_path / f"run-all-{assignment}-{attempt}.png"))
        print(f"{assignment}: Run All stalled (attempt {attempt}); running all again")
    shown = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert state == "done", (f"Run All did not reach the end; stderr: {shown.all_inner_texts()[:3]}; "
                             f"dialogs: {dialogs + _close_dialogs(page)}")
    if dialogs:
        print(f"{assignment}: dialogs closed on the way: {dialogs}")
    outputs = panel.locator(".jp-OutputArea-output")
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] >> text=Traceback")
    assert errors.count() == 0, errors.first.inner_text()
    assert outputs.count() > 0


#: Key presses per widget in the browser measure below (its median is what the lab test prints);
#: ``tools/widget_latency.py`` asks for more (``CNN_COURSE_WIDGET_PRESSES``) and collects every time
#: (``CNN_COURSE_WIDGET_TIMES``: a file that gets one JSON line per widget).
PRESSES = int(os.environ.get("CNN_COURSE_WIDGET_PRESSES", "5"))
#: In the page: from the next key press to the picture's new ``src`` (the PNG in place), in ms, as ``window.__pictureMs``.
_TIME_NEXT_PICTURE = """img => {
    window.__pictureMs = null;
    let pressed = null;
    document.addEventListener('keydown', () => { pressed = performance.now(); }, {capture: true, once: true});
    new MutationObserver((changes, observer) => {
        if (pressed === null) return;
        window.__pictureMs = performance.now() - pressed;
        observer.disconnect();
    }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def _record_times(assignment: str, index: int, label, times: list[float]) -> None:
    """One line of ``CNN_COURSE_WIDGET_TIMES`` (``tools/widget_latency.py``), when it is set: the control's label
    (a locator) and its times."""
    if os.environ.get("CNN_COURSE_WIDGET_TIMES"):
        with open(os.environ["CNN_COURSE_WIDGET_TIMES"], "a") as record:
            record.write(json.dumps({"notebook": assignment, "widget": index + 1, "control": label.inner_text().strip(),
                                     "ms": times}) + "\n")


def _arrow_keys_on_a_list(page, select, picture) -> list[float]:
    """↓ then ↑ on a focused list: each chooses the next option and redraws the picture, and the focus stays on the
    list (JupyterLab would take a bare arrow key to move to another cell); the time of each, as a slider's."""
    select.scroll_into_view_if_needed()
    select.focus()
    cell = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")
    times = []
    for key in ("ArrowDown", "ArrowUp") if select.evaluate("s => s.selectedIndex < s.options.length - 1") \
            else ("ArrowUp", "ArrowDown"):
        chosen = select.evaluate("s => s.selectedIndex")
        picture.evaluate(_TIME_NEXT_PICTURE)
        page.keyboard.press(key)
        times.append(page.wait_for_function("window.__pictureMs", timeout=UI_TIMEOUT).json_value())
        assert select.evaluate("s => s.selectedIndex") == chosen + (1 if key == "ArrowDown" else -1), key
        assert select.evaluate("s => document.activeElement === s"), f"{key} took the focus off the list"
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex") == cell
    return times


@pytest.mark.parametrize("assignment", _assignments())
def test_run_all_then_every_widget_answers_a_slider_move(page, assignment, tmp_path):
    """Run All on the untouched student notebook reaches the end; each widget's first slider redraws its picture."""
    panel = _open(page, f"{assignment}/{assignment}.ipynb")
    _run_all(page, panel, assignment, tmp_path)
    widgets = panel.locator(".jp-OutputArea-output:has(.widget-slider)")
    assert widgets.count() >= 1, "no widget rendered"
    medians = []
    for index in range(widgets.count()):
        widget = widgets.nth(index)
        picture = widget.locator("img").first
        picture.wait_for(timeout=UI_TIMEOUT)
        slider = widget.locator(".widget-slider").first
        slider.scroll_into_view_if_needed()
        handle = slider.locator(".noUi-handle")
        handle.click()
        times = []
        for _ in range(PRESSES):
            key = "ArrowRight" if handle.get_attribute("aria-valuenow") != handle.get_attribute("aria-valuemax") \
                else "ArrowLeft"
            picture.evaluate(_TIME_NEXT_PICTURE)
            page.keyboard.press(key)
            times.append(page.wait_for_function("window.__pictureMs", timeout=UI_TIMEOUT).json_value())
        medians.append(sorted(times)[len(times) // 2])
        # the browser's key of the controls' values is the kernel's: frames drawn ahead are found (and no other)
        page.wait_for_function("img => img.dataset.key && img.dataset.key === img.dataset.kernelKey",
                               arg=picture.element_handle(), timeout=UI_TIMEOUT)
        _record_times(assignment, index, slider.locator(".widget-label").first, times)
        lists = widget.locator("select:enabled")
        for number in range(lists.count()):  # every list answers ↓ and ↑ without leaving the widget
            label = lists.nth(number).locator("xpath=..").locator(".widget-label").first
            _record_times(assignment, index, label, _arrow_keys_on_a_list(page, lists.nth(number), picture))
    page.screenshot(path=str(tmp_path / f"{assignment}.png"), full_page=True)
    for index in range(widgets.count()):  # for a person to look at
        widgets.nth(index).screenshot(path=str(tmp_path / f"{assignment}-widget{index + 1}.png"))
    print(f"{assignment}: {len(medians)} widget(s), key press to new picture, median of {PRESSES}: "
          + ", ".join(f"{t:.0f} ms" for t in medians))
    assert not page.errors, page.errors
    problems = _fit_problems(widgets)
    assert not problems, f"{assignment} in a {VIEWPORT['width']}x{VIEWPORT['height']} window: {problems}"
