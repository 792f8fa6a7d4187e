"""Starting the course's JupyterLab as the README tells people to (``make lab`` / ``make instructor``), for tests.

Shared by ``test_lab.py`` (the student face) and ``test_instructor_lab.py`` (formgrader). The server runs
on a free port with a random token, throw-away user settings (autosave off, no news pop-ups) and a
private runtime folder, so that teardown finds and stops every kernel it started.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "cnn-course-lab-test-" + os.urandom(8).hex()
START_TIMEOUT = 60  # seconds for make to answer (more if make has to (re)build .venv first)
UI_TIMEOUT = 60_000  # ms: generous, the machine has 2 cores

# JupyterLab user settings for the tests: never save a notebook, no news/update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # every cell in the page (no virtual scrolling), so a test can read every output after Run All
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5, method: str = "GET") -> tuple[int, dict, bytes]:
    """A request with the token, without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {TOKEN}"})
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


@contextlib.contextmanager
def make_lab(target: str, home: Path, root: Path = ROOT):
    """Run ``make <target>`` (``lab`` or ``instructor``) in ``root`` on a free port; yield its base URL.

    Inputs: the make target, an empty folder for settings, logs and runtime files, the course folder.
    Always torn down: a clean shutdown, then the process group, then any kernel left behind.
    """
    def command(lab_args: list[str]) -> list[str]:
        made = ["make", target, f"LAB_ARGS={' '.join(lab_args)}"]
        if Path(root).resolve() != ROOT:  # a copy of the course uses this checkout's environment, as it is
            made += [f"VENV={ROOT / '.venv'}", "-o", str(ROOT / ".venv" / ".installed-stamp")]
        return made

    with serve(command, f"make {target}", home, root) as base:
        yield base


@contextlib.contextmanager
def plain_jupyter_lab(home: Path, root: Path):
    """``jupyter lab`` of this checkout's environment, started in ``root`` with nothing of the course's Makefile (no
    ``lab/`` settings): how the README's conda and pip lines, or an instructor's habit, start it. Yields its URL."""
    with serve(lambda lab_args: [str(ROOT / ".venv" / "bin" / "jupyter"), "lab", *lab_args], "jupyter lab", home,
               root) as base:
        yield base


@contextlib.contextmanager
def serve(command, title: str, home: Path, root: Path):
    """Run ``command(lab_args)`` in ``root`` on a free port; yield its base URL (see :func:`make_lab`)."""
    for name, settings in LAB_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    runtime = home / "runtime"
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),      # not the developer's own lab settings
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(runtime))                    # kernels' connection files: found at teardown
    port = free_port()
    lab_args = ["--no-browser", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                "--ServerApp.open_browser=False", "--ServerApp.port_retries=0",
                "--LabApp.expose_app_in_browser=True"]  # window.jupyterapp: tests open and close notebooks in one page
    if os.geteuid() == 0:
        lab_args.append("--allow-root")
    log_path = home / f"{title.replace(' ', '-')}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command(lab_args), cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"`{title}` exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if get(f"{base}/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`{title}` did not answer within {START_TIMEOUT} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        try:  # a clean shutdown also stops the kernels it started
            get(f"{base}/api/shutdown", method="POST")
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


def browser_or_skip():
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


@contextlib.contextmanager
def chromium_page(sync_playwright):
    """A Chromium page (1300x1000) whose page errors are collected in ``page.errors``; closed after."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            yield page
        finally:
            browser.close()
