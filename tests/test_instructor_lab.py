"""An instructor runs a class on one machine with formgrader's own buttons, on a fresh copy of the course.

``make instructor`` is started in a copy of the course (tracked files only: no gradebook, no
exchange, nothing generated) and Chromium (through Playwright) clicks: Manage Assignments ->
Release; a student of the same machine fetches, solves and submits through the course's exchange
folder (nbgrader's exchange classes, as its commands run them); then Collect -> the assignment's submissions -> Autograde ->
the student's graded notebook -> Generate Feedback -> Release Feedback. Nobody clicks "Generate"
first: the course gradebook knows every assignment from the start
(``grader.config.configure_instructor``).
The student's notebook also carries every channel of student markup (``tests/test_html_safety.py``):
none of it runs in the grading view or the feedback, and formgrader's own page still works.
"""
from __future__ import annotations

import getpass
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.config import assignments as course_assignments
from grader.config import exchange_root
from tests.course_copies import fresh_copy, solved_notebook
from tests.lab_server import TOKEN, UI_TIMEOUT, browser_or_skip, chromium_page, get, make_lab
from tests.test_html_safety import KEPT, MARKER, hostile_cells, widget_state

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("instructor-lab")]  # its module fixture is made once
STUDENT = getpass.getuser()  # nbgrader submit files a submission under the user's name
ASSIGNMENT = course_assignments()[0]  # any course notebook will do; the first keeps the test quick


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A fresh copy of the course: no gradebook, no exchange, no submissions."""
    course = fresh_copy(tmp_path_factory.mktemp("course"))
    assert not (course / "gradebook.db").exists() and not exchange_root(course).exists()
    return course


def as_student(step: str, course: Path, home: Path, assignment: str = ASSIGNMENT, student: str | None = None) -> None:
    """A student of the same machine runs nbgrader's ``step`` (fetch_assignment, submit, fetch_feedback) in ``home``.

    In this process, with the exchange classes nbgrader's commands use (a command would cost seconds of start-up).
    nbgrader names the student by the account's name, or ``student`` (``--student``).
    """
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import default
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.course_id = "cnn-course"
    config.CourseDirectory.assignment_id = assignment
    if student:
        config.CourseDirectory.student_id = student
    config.Exchange.root = str(exchange_root(course))
    config.Exchange.assignment_dir = str(home)
    config.Exchange.cache = str(home / ".nbgrader-cache")  # a student's own (not this account's ~/.local)
    coursedir = CourseDirectory(config=config)
    kind = {"fetch_assignment": default.ExchangeFetchAssignment, "submit": default.ExchangeSubmit,
            "fetch_feedback": default.ExchangeFetchFeedback}[step]
    kind(coursedir=coursedir, authenticator=Authenticator(config=config), config=config).start()


@pytest.fixture(scope="module")
def instructor_lab(course, tmp_path_factory):
    with make_lab("instructor", tmp_path_factory.mktemp("instructor-lab"), root=course) as base:
        yield base


def test_the_instructor_face_has_formgrader_and_the_course_root(instructor_lab):
    listed = {item["name"] for item in json.loads(get(f"{instructor_lab}/api/contents/")[2])["content"]}
    assert {"solutions", "notebooks", "grader"} <= listed, listed
    status, _, body = get(f"{instructor_lab}/formgrader/api/assignments")
    assert status == 200, body[:300]
    assert ASSIGNMENT in {a["name"] for a in json.loads(body)}  # known before anyone clicked Generate
    # JupyterLab's news and update pop-up is off here too (lab/instructor/labconfig/page_config.json)
    page_config = json.loads(re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                       get(f"{instructor_lab}/lab")[2], re.S).group(1))
    assert "@jupyterlab/apputils-extension:announcements" in page_config["disabledExtensions"]
    assert "@jupyter/nbgrader:formgrader" not in page_config["disabledExtensions"]


def _log_modal(page, timeout=UI_TIMEOUT) -> str:
    """Wait for formgrader's result dialog; return its whole text (message, log, traceback) and close it."""
    modal = page.locator("#success-modal, #error-modal").first
    modal.wait_for(state="visible", timeout=timeout)
    text = modal.inner_text()
    assert modal.get_attribute("id") == "success-modal", text
    modal.locator(".modal-footer button").first.click()
    modal.wait_for(state="detached", timeout=UI_TIMEOUT)
    return text


def test_instructor_grades_with_formgraders_buttons(course, instructor_lab, tmp_path):
    base, row_of = instructor_lab, None
    with chromium_page(browser_or_skip()) as page:
        # Manage Assignments: the assignment is listed and can be released to the exchange.
        page.goto(f"{base}/formgrader?token={TOKEN}", timeout=UI_TIMEOUT)
        row_of = page.locator("tr", has=page.locator("td.name", has_text=ASSIGNMENT))
        row_of.wait_for(timeout=UI_TIMEOUT)
        row_of.locator("td.release a").click()
        assert ASSIGNMENT in _log_modal(page)
        assert (exchange_root(course) / "cnn-course" / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()

        # A student fetches it, solves it and submits; the instructor collects.
        as_student("fetch_assignment", course, tmp_path)
        fetched = tmp_path / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.read_text() == (course / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
        solved = solved_notebook(course, ASSIGNMENT)
        solved.cells += hostile_cells()  # markup that would mark the page and zero the grades if it ran
        solved.metadata["widgets"] = widget_state()
        nbformat.write(solved, fetched)
        as_student("submit", course, tmp_path)
        page.reload()
        row_of.locator("td.collect a").click()
        _log_modal(page)
        assert (course / "submitted" / STUDENT / ASSIGNMENT / "timestamp.txt").exists()

        # Its submissions: autograde the collected one (no "Generate" clicked before).
        page.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}?token={TOKEN}", timeout=UI_TIMEOUT)
        row = page.locator("tr", has=page.locator("td", has_text=STUDENT))
        row.locator("td.autograde a").wait_for(timeout=UI_TIMEOUT)
        row.locator("td.autograde a").click()
        log = _log_modal(page, timeout=120_000)
        assert "Successfully autograded" in log
        for noise in ("[DEBUG]", "checksum", "has changed", "Traceback"):
            assert noise not in log, log
        score = row.locator("td", has_text=" / ")
        score.wait_for(timeout=UI_TIMEOUT)
        got, total = (float(x) for x in score.inner_text().split(" / "))
        assert got == total > 0, score.inner_text()

        # View/grade: the student's page, then the graded notebook in formgrader's grading view.
        row.locator("a", has_text="None").first.click()  # the student's name (unknown here: "None, None")
        page.wait_for_url(f"**/manage_students/{STUDENT}/{ASSIGNMENT}**", timeout=UI_TIMEOUT)
        page.locator("a", has_text=ASSIGNMENT).last.click()
        page.wait_for_url("**/formgrader/submissions/**", timeout=UI_TIMEOUT)
        page.locator(".cell").first.wait_for(timeout=UI_TIMEOUT)
        assert page.locator("text=checks passed").count() > 0  # the verdicts, judged outside the kernel
        # Maths without a network: MathML in the page, no MathJax from a CDN.
        assert page.locator("math").count() > 0
        assert page.locator("script[src*='mathjax' i]").count() == 0 and "cdnjs" not in page.content()
        page.screenshot(path=str(tmp_path / "grading-view.png"))
        submission_id = _no_student_script_ran_and_formgrader_works(page, base)

        # Generate feedback, then release it to the student through the exchange.
        page.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}?token={TOKEN}", timeout=UI_TIMEOUT)

        row.locator("td.generate-feedback a").click()
        _log_modal(page, timeout=120_000)
        feedback = course / "feedback" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert feedback.exists() and "BEGIN HIDDEN" not in feedback.read_text()
        _no_student_script_runs_in_the_feedback(page.context.browser.new_page(), feedback)
        assert _manual_scores(base, submission_id) == {None}, "no grade was changed by the student's markup"
        row.locator("td.release-feedback a").click()
        _log_modal(page)
        as_student("fetch_feedback", course, tmp_path)
        assert list((tmp_path / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert not page.errors, page.errors


def _manual_scores(base: str, submission_id: str) -> set:
    status, _, body = get(f"{base}/formgrader/api/grades?submission_id={submission_id}")
    assert status == 200, body[:300]
    return {grade["manual_score"] for grade in json.loads(body)}


def _comments(base: str, submission_id: str) -> set:
    return {comment["manual_comment"] for comment in json.loads(get(f"{base}/formgrader/api/comments?submission_id={submission_id}")[2])}


def _no_student_script_ran_and_formgrader_works(page, base: str) -> str:
    """In the open grading view: no payload ran, the page has its policy, formgrader's own scripts work.

    Returns the submission's id (the page's own variable). formgrader's scripts fill each score box from its
    API (as a placeholder) and save a comment typed into a comment box: both need its scripts, its XSRF cookie and its API.
    """
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.reload()  # with the console listened to from the start
    page.locator(".cell").first.wait_for(timeout=UI_TIMEOUT)
    # (predicates as functions: an expression would be eval'ed in the page, which its policy forbids)
    page.wait_for_function("() => document.querySelector('input.score') && document.querySelector('input.score').placeholder !== ''",
                           timeout=UI_TIMEOUT)  # formgrade.js loaded the grades: the autograder's score in each score box
    page.wait_for_load_state("networkidle", timeout=UI_TIMEOUT)  # any payload's image error or fetch has happened
    assert page.evaluate(f"window.{MARKER}") is None and page.title() != MARKER
    submission_id = page.evaluate("submission_id")
    policy = get(page.url)[1].get("Content-Security-Policy", "")
    assert "default-src 'none'" in policy and "'nonce-" in policy, policy
    assert KEPT["text"] in page.inner_text("body") and page.locator("img[src^='data:image/png']").count() > 0

    comment = page.locator("textarea.comment").first
    comment.fill("Checked by the instructor.")
    comment.press("Tab")  # formgrader saves on change
    deadline = time.monotonic() + UI_TIMEOUT / 1000
    while "Checked by the instructor." not in _comments(base, submission_id):
        assert time.monotonic() < deadline, "formgrader did not save the comment typed in its grading view"
        time.sleep(0.5)
    assert _manual_scores(base, submission_id) == {None}
    assert not violations, violations  # nbgrader's own scripts all ran; nothing of the student's tried to
    return submission_id


def _no_student_script_runs_in_the_feedback(page, feedback: Path) -> None:
    """The feedback file, opened as a student opens it (no server, no server's policy): nothing runs, all shows."""
    page.goto(feedback.as_uri(), timeout=UI_TIMEOUT)
    page.wait_for_load_state("load", timeout=UI_TIMEOUT)
    assert page.evaluate(f"window.{MARKER}") is None and page.title() != MARKER
    assert page.locator("meta[http-equiv='Content-Security-Policy']").count() == 1
    assert page.locator("math").count() > 0 and page.locator("img[src^='data:image/png']").count() > 0
    assert KEPT["text"] in page.inner_text("body")
    page.close()


def test_nbgrader_autograde_works_on_a_fresh_copy_and_warns_only_about_real_changes(tmp_path):
    """`nbgrader autograde` from the shell, before anyone ran generate_assignment: graded, and quiet.

    The submission is the released notebook, solved, with one locked (read-only) cell edited: nbgrader
    must restore it and say so, but must not warn about the hidden-test cells it restores by design.
    """
    from nbgrader.api import Gradebook

    course = fresh_copy(tmp_path / "course")
    nb = solved_notebook(course, ASSIGNMENT)
    edited = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("locked")
                  and not c.metadata["nbgrader"].get("grade"))
    edited.source += "\n# a student's edit of a read-only cell"
    for student, notebook in (("zoe", nb), ("blank", nbformat.read(course / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                                                                    as_version=4))):
        submission = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        submission.parent.mkdir(parents=True)
        nbformat.write(notebook, submission)
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT], cwd=course,
                          capture_output=True, text=True, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "DEBUG" not in log and "does not exist in the database" not in log
    changed = [line for line in log.splitlines() if "has changed" in line]
    assert len(changed) == 1 and edited.metadata.nbgrader["grade_id"] in changed[0], changed
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        graded = gb.find_submission(ASSIGNMENT, "zoe")
        assert graded.score == graded.max_score > 0
        assert gb.find_submission(ASSIGNMENT, "blank").score == 0  # the released version earns nothing
        assert [a.name for a in gb.assignments] == [ASSIGNMENT]  # registered as it was graded, no other
