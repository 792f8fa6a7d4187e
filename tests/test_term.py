"""An instructor's term, end to end, on a fresh copy of the course: the shell and nbgrader share one gradebook truth.

Release 02 and 05 through the exchange; alice submits 02, bob submits 02 twice (a blank notebook, then a
solved one), carol submits 05 after its due date, dave (on the roll) never submits. The instructor collects and
grades from the shell (``grader grade submitted``), collects bob's newer submission and grades again (no
``--force``), releases feedback with nbgrader's own release_feedback, and the students fetch it. The grade
tables (grades.csv, Canvas's, Moodle's) and ``nbgrader export`` hold exactly the expected rows. Four notebooks
are graded in all.
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from grader.cli import main as grader_main
from grader.config import configure, configure_instructor
from tests.accounts import unused_names
from tests.course_copies import fresh_copy, solved_notebook
from tests.test_instructor_lab import as_student
from tests.test_submission_files import exchange_step

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("term")]  # its module fixture is made once
A02, A05 = "02_padding_stride", "05_backprop"
M02, M05 = 20, 30  # their points
#: The students (the instructor submits in their names: no unix account may have them). One suffix keeps their order.
ALICE, BOB, CAROL, DAVE = unused_names("alice", "bob", "carol", "dave")


def rows(path: Path) -> list[list[str]]:
    with path.open() as handle:
        return list(csv.reader(handle))


def stamp(course: Path, student: str, assignment: str) -> datetime.datetime:
    """The time nbgrader recorded for the collected submission (naive UTC, as the gradebook has it)."""
    from nbgrader.utils import parse_utc

    return parse_utc((course / "submitted" / student / assignment / "timestamp.txt").read_text().strip())


def iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The course folder after the term, and what happened in it."""
    from nbgrader.api import Gradebook

    course = fresh_copy(tmp_path_factory.mktemp("term") / "course")
    with (course / "nbgrader_config.py").open("a") as handle:  # the course's late rule: late work scores 0
        handle.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    config = configure_instructor(configure(Config(), course), course)
    config.ExchangeCollect.update = True  # as `nbgrader collect --update`: a newer submission replaces the older
    for assignment in (A02, A05):
        exchange_step("release_assignment", config, assignment_id=assignment)
    homes = {name: tmp_path_factory.mktemp(name) for name in (ALICE, BOB, CAROL, DAVE)}

    def hand_in(student: str, assignment: str, notebook: nbformat.NotebookNode | None) -> None:
        if not (homes[student] / assignment).exists():
            as_student("fetch_assignment", course, homes[student], assignment, student)
        if notebook is not None:
            nbformat.write(notebook, homes[student] / assignment / f"{assignment}.ipynb")
        as_student("submit", course, homes[student], assignment, student)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # the roll, as formgrader's Manage Students has it
        gb.update_or_create_student(ALICE, first_name="Alice", last_name="Liddell", email="alice@example.org",
                                    lms_user_id="1001")
        for name in (BOB, CAROL, DAVE):
            gb.update_or_create_student(name)
    hand_in(ALICE, A02, solved_notebook(course, A02))
    hand_in(BOB, A02, None)  # the fetched notebook, untouched
    hand_in(CAROL, A05, solved_notebook(course, A05))
    for assignment in (A02, A05):
        exchange_step("collect", config, assignment_id=assignment)
    carol_at = stamp(course, CAROL, A05)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # formgrader's Edit of each due date
        gb.update_or_create_assignment(A02, duedate=carol_at + datetime.timedelta(days=7))
        gb.update_or_create_assignment(A05, duedate=carol_at - datetime.timedelta(hours=2))

    formats = ["--format", "canvas", "--format", "moodle"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = grader_main(["grade", str(course / "submitted"), "--out", str(course), *formats])
    assert code == 0, printed.getvalue()
    first = {line.split()[0]: line for line in printed.getvalue().splitlines()[1:] if line.strip()}
    bob_first = stamp(course, BOB, A02)
    hand_in(BOB, A02, solved_notebook(course, A02))
    exchange_step("collect", config, assignment_id=A02)
    assert stamp(course, BOB, A02) > bob_first
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # no --force: bob's newer submission is graded, nothing else
        code = grader_main(["grade", str(course / "submitted"), "--out", str(course), *formats])
    assert code == 0, printed.getvalue()
    second = {line.split()[0]: line for line in printed.getvalue().splitlines()[1:] if line.strip()}

    for assignment in (A02, A05):
        exchange_step("release_feedback", config, assignment_id=assignment)
    for student, assignment in ((ALICE, A02), (BOB, A02), (CAROL, A05)):
        as_student("fetch_feedback", course, homes[student], assignment, student)
    exported = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "export"], cwd=course,
                              capture_output=True, text=True, timeout=300)
    assert exported.returncode == 0, exported.stderr[-2000:]
    return {"course": course, "homes": homes, "config": config, "printed": (first, second),
            "times": {(s, a): stamp(course, s, a) for s, a in ((ALICE, A02), (BOB, A02), (CAROL, A05))}}


def test_shell_grading_keeps_nbgraders_record_and_formgrader_agrees(term):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    course, config = term["course"], term["config"]
    for student, assignment in term["times"]:
        for step in ("autograded", "feedback"):
            folder = course / step / student / assignment
            assert (folder / "timestamp.txt").read_text() == \
                (course / "submitted" / student / assignment / "timestamp.txt").read_text()
            assert (folder / "submission_secret.txt").is_file()
    api = NbGraderAPI(CourseDirectory(config=config), Authenticator(config=config), config=config)
    assert api.get_autograded_students(A02) == {ALICE, BOB}  # formgrader: none "needs autograding"
    assert api.get_autograded_students(A05) == {CAROL}
    shown = {(s["student"], a): (s["score"], s["timestamp"]) for a in (A02, A05) for s in api.get_submissions(a)
             if s["autograded"]}
    times = {key: moment.isoformat() for key, moment in term["times"].items()}
    assert shown == {(ALICE, A02): (M02, times[ALICE, A02]), (BOB, A02): (M02, times[BOB, A02]),
                     (CAROL, A05): (M05, times[CAROL, A05])}  # bob's newer, solved submission


def test_formgraders_totals_add_up_the_released_assignments_as_grades_csv_does(term):
    """Manage Students: each total is out of the released points (not the 7 notebooks'), its raw score labelled."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    course, config = term["course"], term["config"]
    api = NbGraderAPI(CourseDirectory(config=config), Authenticator(config=config), config=config)
    listed = {s["id"]: (s["score"], s["max_score"]) for s in api.get_students()}
    table = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    assert {student: total for student, (_, total) in listed.items()} == \
        {student: float(row["max_total"]) for student, row in table.items()} == dict.fromkeys(table, M02 + M05)
    # the raw score (the column says so: grader/formgrader_csp.py): carol's late 05 before its penalty
    assert {student: score for student, (score, _) in listed.items()} == {ALICE: M02, BOB: M02, CAROL: M05, DAVE: 0}


def test_students_fetch_the_feedback_of_what_they_last_submitted(term):
    course, homes = term["course"], term["homes"]
    for student, assignment in ((ALICE, A02), (BOB, A02), (CAROL, A05)):
        fetched = list((homes[student] / assignment / "feedback").glob(f"*/{assignment}.html"))
        assert len(fetched) == 1, fetched
        assert fetched[0].read_text() == (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    scores = {student: re.search(r"<h4>[^<]*\(Score: ([^)]*)\)</h4>",
                                 (course / "feedback" / student / assignment / f"{assignment}.html").read_text()).group(1)
              for student, assignment in ((ALICE, A02), (BOB, A02), (CAROL, A05))}
    assert scores == {ALICE: f"{M02}.0 / {M02}.0", BOB: f"{M02}.0 / {M02}.0",  # the score grades.csv has
                      CAROL: f"0.0 / {M05}.0, after the late penalty of {M05}.0: {M05}.0 before it"}
    bob = next((homes[BOB] / A02 / "feedback").iterdir()).name  # named by the submission's time
    assert bob == (course / "submitted" / BOB / A02 / "timestamp.txt").read_text().strip()


def test_the_grade_tables_hold_the_released_assignments_exactly(term):
    course, times = term["course"], term["times"]
    alice, bob, carol = iso(times[ALICE, A02]), iso(times[BOB, A02]), iso(times[CAROL, A05])
    late = f"{A05}: late by 2 h 00 min, penalty {M05}"
    assert rows(course / "grades.csv") == [
        ["student_id", "status", "reason", "total", "max_total", A02, f"{A02}_status", f"{A02}_submitted",
         f"{A02}_late", A05, f"{A05}_status", f"{A05}_submitted", f"{A05}_late"],
        [ALICE, "missing", "", "20", "50", "20", "graded", alice, "0", "0", "missing", "", "0"],
        [BOB, "missing", "", "20", "50", "20", "graded", bob, "0", "0", "missing", "", "0"],
        [CAROL, "missing", late.split(": ", 1)[1], "0", "50", "0", "missing", "", "0", "0", "late", carol, "1"],
        [DAVE, "missing", "", "0", "50", "0", "missing", "", "0", "0", "missing", "", "0"]]
    assert rows(course / "grades-canvas.csv") == [  # as Canvas imports them
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A02, A05],
        ["Points Possible", "", "", "", "", "20", "30"],
        ["Liddell, Alice", "1001", ALICE, ALICE, "", "20", "0"],
        [BOB, "", BOB, BOB, "", "20", "0"],
        [CAROL, "", CAROL, CAROL, "", "0", "0"],
        [DAVE, "", DAVE, DAVE, "", "0", "0"]]
    assert rows(course / "grades-moodle.csv") == [  # as Moodle's "Import grades from CSV" reads them
        ["First name", "Last name", "ID number", "Email address", A02, A05],
        ["Alice", "Liddell", ALICE, "alice@example.org", "20", "0"],
        ["", "", BOB, "", "20", "0"],
        ["", "", CAROL, "", "0", "0"],
        ["", "", DAVE, "", "0", "0"]]
    detail = rows(course / "grades-detail.csv")
    assert detail[0][:2] == ["student_id", A02] and f"{A02}/test_pad2d_hidden" in detail[0]
    assert A05 in detail[0] and not [c for c in detail[0] if c.startswith("01_")]  # released only


def test_nbgrader_export_lists_the_released_assignments_with_the_late_penalty(term):
    course, times = term["course"], term["times"]
    assert not (course / "grades.csv").read_text().startswith("assignment,")  # ours, not overwritten
    exported = {(r["assignment"], r["student_id"]): (r["timestamp"], r["raw_score"], r["late_submission_penalty"],
                                                     r["score"], r["max_score"])
                for r in csv.DictReader((course / "nbgrader-grades.csv").open())}
    assert exported == {
        (A02, ALICE): (str(times[ALICE, A02]), "20.0", "0.0", "20.0", "20.0"),
        (A02, BOB): (str(times[BOB, A02]), "20.0", "0.0", "20.0", "20.0"),
        (A02, CAROL): ("", "0.0", "0.0", "0.0", "20.0"),
        (A02, DAVE): ("", "0.0", "0.0", "0.0", "20.0"),
        (A05, ALICE): ("", "0.0", "0.0", "0.0", "30.0"),
        (A05, BOB): ("", "0.0", "0.0", "0.0", "30.0"),
        (A05, CAROL): (str(times[CAROL, A05]), "30.0", "30.0", "0.0", "30.0"),
        (A05, DAVE): ("", "0.0", "0.0", "0.0", "30.0")}


def test_grade_says_what_is_late_and_grades_only_the_newer_submission_again(term):
    first, second = term["printed"]
    assert first[CAROL].endswith(f"graded (late by 2 h 00 min, penalty {M05}: {M05} before it)")
    assert f" 0 / {M05} " in first[CAROL]  # the score after the penalty, as grades.csv has it
    assert first[BOB].split()[-1] == "graded" and "0 / 20" in first[BOB]
    assert "already graded" in second[ALICE] and "already graded" in second[CAROL] and f" 0 / {M05} " in second[CAROL]
    assert second[BOB].split()[-1] == "graded" and "20 / 20" in second[BOB]


def test_every_surface_shows_one_score_per_student_and_assignment(term):
    """grades.csv, the exports, grade's summary and the report (JSON) agree, the late penalty taken off everywhere."""
    import json

    from grader.instructor.report import report

    course = term["course"]
    table = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    code, printed = report(course, as_json_output=True)
    assert code == 0
    reported = json.loads(printed)["assignments"]
    for assignment in (A02, A05):
        for student, score in reported[assignment]["scores"].items():
            assert float(table[student][assignment]) == score, (student, assignment)
    assert reported[A05]["scores"][CAROL] == 0 and reported[A05]["late"] == {CAROL: f"late by 2 h 00 min, penalty {M05}"}
    # the whole class: who never handed in a released assignment is there, with 0, as in grades.csv
    assert reported[A02]["missing"] == [CAROL, DAVE] and reported[A05]["missing"] == [ALICE, BOB, DAVE]
    assert set(reported[A02]["scores"]) == set(reported[A05]["scores"]) == {ALICE, BOB, CAROL, DAVE}
    assert reported[A02]["mean"] == 10 and reported[A05]["mean"] == 0  # (20 + 20 + 0 + 0) / 4, as the exports'
    assert "<h3>Missing (no submission, 0)</h3><p>" + f"{CAROL}, {DAVE}</p>" in (course / "report.html").read_text()
    _, latest = term["printed"]  # the second run: bob's newer submission graded, the others already graded
    lines = {student: line for student, line in latest.items() if student in (ALICE, BOB, CAROL, DAVE)}
    assert set(lines) == {ALICE, BOB, CAROL}
    for student, line in lines.items():
        _, assignment, score, *_ = line.split()
        assert float(score) == float(table[student][assignment]), line
