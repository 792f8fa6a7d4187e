"""formgrader's pages are safe however Jupyter is started: here plain ``jupyter lab``, as the README's conda and pip
lines start it, with nothing of the Makefile's lab settings, in the course folder (``grader.config.configure_instructor``
protects formgrader wherever it reads the course's nbgrader_config.py) and in the folder above it (the server
extension every Jupyter server of .venv loads, ``lab/server/cnn_course.json``)."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.course_copies import fresh_copy
from tests.lab_server import TOKEN, UI_TIMEOUT, browser_or_skip, chromium_page, get, plain_jupyter_lab

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("started_in", ["the course folder", "the folder above it"])
def test_a_students_link_to_formgraders_pages_runs_no_script_under_plain_jupyter_lab(tmp_path, started_in):
    """Under plain ``jupyter lab`` (the README's conda and pip lines), nbgrader's ``manage_students/<id>`` page wrote
    the id from the URL into ``var student_id = "..."``: a link in a student's markdown, clicked by the instructor
    in the grading view, ran script with her cookies (it set its author's scores to full marks and started a
    kernel through /api/kernels)."""
    course = fresh_copy(tmp_path / "course")
    slash = "String.fromCharCode(47)"  # no "/" in the id: it would be another path
    payload = f'x";window.cnnPwned=1;document.title="pwned";fetch({slash}+"api"+{slash}+"kernels",{{method:"POST"}});"'
    folder = course if started_in == "the course folder" else tmp_path
    with plain_jupyter_lab(tmp_path / "home", folder) as base, chromium_page(browser_or_skip()) as page:
        page.goto(f"{base}/lab?token={TOKEN}", timeout=UI_TIMEOUT)  # the instructor is logged in (her cookies)
        page.goto(f"{base}/formgrader/manage_students/{urllib.parse.quote(payload)}", timeout=UI_TIMEOUT)
        page.wait_for_load_state("load", timeout=UI_TIMEOUT)
        page.wait_for_timeout(1000)  # the page's own scripts have run, and any fetch they started has left
        assert page.evaluate("window.cnnPwned") is None and page.title() != "pwned"
        assert json.loads(get(f"{base}/api/kernels")[2]) == []
        status, _, body = get(f"{base}/formgrader/manage_students/{urllib.parse.quote(payload)}")
        assert status == 200 and b'var student_id = "x";' not in body and b"x&#34;;window.cnnPwned=1;" in body
