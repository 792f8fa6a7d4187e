"""formgrader's pages are safe however Jupyter is started in the course folder: here plain ``jupyter lab``, as the
README's conda and pip lines start it, with nothing of the Makefile's settings (``grader.config.configure_instructor``
protects formgrader wherever it reads the course's nbgrader_config.py)."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.course_copies import fresh_copy
from tests.lab_server import TOKEN, UI_TIMEOUT, browser_or_skip, chromium_page, get, plain_jupyter_lab

pytestmark = pytest.mark.slow


def test_a_students_link_to_formgraders_pages_runs_no_script_under_plain_jupyter_lab(tmp_path):
    """Under plain ``jupyter lab`` (the README's conda and pip lines), nbgrader's ``manage_students/<id>`` page wrote
    the id from the URL into ``var student_id = "..."``: a link in a student's markdown, clicked by the instructor
    in the grading view, ran script with her cookies (it set its author's scores to full marks and started a
    kernel through /api/kernels)."""
    course = fresh_copy(tmp_path / "course")
    slash = "String.fromCharCode(47)"  # no "/" in the id: it would be another path
    payload = f'x";window.cnnPwned=1;document.title="pwned";fetch({slash}+"api"+{slash}+"kernels",{{method:"POST"}});"'
    with plain_jupyter_lab(tmp_path / "home", course) as base, chromium_page(browser_or_skip()) as page:
        page.goto(f"{base}/lab?token={TOKEN}", timeout=UI_TIMEOUT)  # the instructor is logged in (her cookies)
        page.goto(f"{base}/formgrader/manage_students/{urllib.parse.quote(payload)}", timeout=UI_TIMEOUT)
        page.wait_for_load_state("load", timeout=UI_TIMEOUT)
        page.wait_for_timeout(1000)  # the page's own scripts have run, and any fetch they started has left
        assert page.evaluate("window.cnnPwned") is None and page.title() != "pwned"
        assert json.loads(get(f"{base}/api/kernels")[2]) == []
        status, _, body = get(f"{base}/formgrader/manage_students/{urllib.parse.quote(payload)}")
        assert status == 200 and b'var student_id = "x";' not in body and b"x&#34;;window.cnnPwned=1;" in body
