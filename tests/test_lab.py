"""`make lab` serves the course, and a student can use notebook 02's widget in JupyterLab (a real browser).

The server is started exactly as the README tells a student (``make lab LAB_ARGS=...``, from the
repository root); the browser part drives Debian's Chromium through Playwright. Without
``/usr/bin/chromium`` or the playwright package the browser test is skipped (a student's laptop),
unless ``CNN_COURSE_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where it fails instead.

The student notebook is never saved: the lab runs with a throw-away user-settings folder that turns
autosave off, and the test checks the file's bytes are unchanged afterwards.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "notebooks/02_padding_stride/02_padding_stride.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT_COPY = Path("/tmp/lab-widget.png")  # for a person to look at
TOKEN = "cnn-course-lab-test-" + os.urandom(8).hex()
START_TIMEOUT = 60  # seconds for `make lab` to answer (more if make has to (re)build .venv first)
UI_TIMEOUT = 60_000  # ms: generous, the machine has 2 cores

pytestmark = pytest.mark.slow

# JupyterLab user settings for the test: never save the student notebook, no news/update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5) -> tuple[int, dict, bytes]:
    """GET with the token, without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _our_processes(marker: str) -> list[int]:
    """Pids whose command line mentions ``marker`` (our private runtime folder: the lab's kernels)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a free port, as a student starts it; yields its base URL. Always torn down."""
    home = tmp_path_factory.mktemp("lab")
    for name, settings in LAB_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    runtime = home / "runtime"
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),      # not the developer's own lab settings
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(runtime))                    # kernels' connection files: found at teardown
    port = _free_port()
    lab_args = ["--no-browser", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                "--ServerApp.open_browser=False", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        lab_args.append("--allow-root")
    log = (home / "make-lab.log").open("wb")
    before = hashlib.sha256((ROOT / NOTEBOOK).read_bytes()).hexdigest()
    process = subprocess.Popen(["make", "lab", f"LAB_ARGS={' '.join(lab_args)}"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"`make lab` exited with {process.returncode}:\n{(home / 'make-lab.log').read_text()[-3000:]}")
            try:
                if _get(f"{base}/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`make lab` did not answer within {START_TIMEOUT} s:\n"
                            f"{(home / 'make-lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        try:  # a clean shutdown also stops the kernels it started
            request = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                             headers={"Authorization": f"token {TOKEN}"})
            urllib.request.urlopen(request, timeout=5).close()
            process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)  # make and jupyter, started in their own session
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        for pid in _our_processes(str(runtime)):  # kernels run in sessions of their own
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        after = hashlib.sha256((ROOT / NOTEBOOK).read_bytes()).hexdigest()
        assert after == before, f"the lab session modified {NOTEBOOK}"


def test_make_lab_serves_the_course(lab):
    status, _, body = _get(f"{lab}/api/contents/{NOTEBOOK}?content=1")
    assert status == 200, body[:500]
    model = json.loads(body)
    assert model["type"] == "notebook" and model["path"] == NOTEBOOK
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in model["content"]["cells"]]
    assert any(s.strip() == "conv_arithmetic_widget(conv_output_size)" for s in sources)

    status, _, body = _get(f"{lab}/api/contents/notebooks")
    assert status == 200 and "02_padding_stride" in [item["name"] for item in json.loads(body)["content"]]

    # The lab's front page is the notebooks/ folder, not the repository root.
    status, headers, _ = _get(f"{lab}/")
    assert status in (301, 302, 303, 307), status
    assert headers["Location"].split("?")[0].rstrip("/").endswith("/lab/tree/notebooks"), headers["Location"]


# --- the browser ----------------------------------------------------------------------------------


def _browser_or_skip():
    """Playwright's sync API, or a skip (a failure when CNN_COURSE_REQUIRE_BROWSER=1, as in CI)."""
    required = os.environ.get("CNN_COURSE_REQUIRE_BROWSER", "") not in ("", "0")
    missing = []
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("the playwright package (pip install -e '.[test]')")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if required:
            pytest.fail(reason + "; CNN_COURSE_REQUIRE_BROWSER is set")
        pytest.skip(reason)
    return sync_playwright


def _code_cell(page, text: str):
    """The code cell whose source contains ``text`` (there must be exactly one)."""
    cells = page.locator(".jp-Notebook .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea .cm-content", has_text=text))
    cells.first.wait_for(state="attached", timeout=UI_TIMEOUT)
    assert cells.count() == 1, f"{cells.count()} code cells contain {text!r}"
    return cells.first


def _run(page, cell, kernel_idle) -> None:
    """Run one cell as a student does: click into it, Shift+Enter, wait until the kernel is idle again."""
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    prompt = cell.locator(".jp-InputPrompt")
    page.keyboard.press("Shift+Enter")
    # "[n]:" with a number once executed ("[*]:" while running, "[ ]:" before)
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(),
                           timeout=UI_TIMEOUT)
    kernel_idle.wait_for(timeout=UI_TIMEOUT)


def test_student_uses_the_widget_in_jupyterlab(lab, tmp_path):
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            # The front page opens on notebooks/, where the notebook's folder is listed.
            page.goto(f"{lab}/?token={TOKEN}", timeout=UI_TIMEOUT)
            page.wait_for_url("**/lab/tree/notebooks**", timeout=UI_TIMEOUT)
            page.locator(".jp-DirListing-item", has_text="02_padding_stride").first.wait_for(timeout=UI_TIMEOUT)

            page.goto(f"{lab}/lab/tree/{NOTEBOOK}?token={TOKEN}", timeout=UI_TIMEOUT)
            panel = page.locator(".jp-NotebookPanel:visible")
            kernel_idle = panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            kernel_idle.wait_for(timeout=UI_TIMEOUT)

            for text in ("from cnn_course.widgets.conv_arithmetic import conv_arithmetic_widget",  # setup
                         "def conv_output_size("):                                 # the stub
                _run(page, _code_cell(page, text), kernel_idle)
            widget_cell = _code_cell(page, "conv_arithmetic_widget(conv_output_size)")
            _run(page, widget_cell, kernel_idle)

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
            assert "⌊(5 + 2·0 − 1·(3−1) − 1)/1⌋ + 1" in formula.inner_text()  # the seed's 5x5, 3x3, stride 1
            old_text, old_src = formula.text_content(), picture.get_attribute("src")

            # The student moves the stride slider one step with the keyboard.
            stride = sliders.filter(has=page.locator(".widget-label", has_text="stride s"))
            stride.locator(".noUi-handle").click()
            page.keyboard.press("ArrowRight")
            page.wait_for_function("([el, old]) => el.textContent !== old",
                                   arg=[formula.element_handle(), old_text], timeout=UI_TIMEOUT)
            new_text = formula.inner_text()
            assert "/2⌋ + 1" in new_text and "2×2 feature map" in new_text, new_text  # seed: stride 2 → 2x2
            assert stride.locator(".widget-readout").inner_text().strip() == "2"
            page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                   arg=[picture.element_handle(), old_src], timeout=UI_TIMEOUT)
            assert note.count() == 1 and "Traceback" not in output.inner_text()

            widget_cell.scroll_into_view_if_needed()
            shot = tmp_path / "lab-widget.png"
            output.screenshot(path=str(shot))
            shutil.copyfile(shot, SCREENSHOT_COPY)
            page.screenshot(path=str(tmp_path / "lab-page.png"))
            assert shot.stat().st_size > 10_000
            assert not errors, errors
        finally:
            browser.close()
