"""The grade tables (``grader.engine.grades``) from a gradebook, without grading anything: which assignments are
columns, each student's status, the blanks and zeros an LMS imports, and the Canvas and Moodle layouts.
The whole term, graded for real, is tests/test_term.py's."""
from __future__ import annotations

import csv
import datetime
import shutil
import warnings
from pathlib import Path

import pytest

from grader.config import exchange_root
from grader.engine.gradebook import _copy_assignment, cached_template
from grader.engine.grades import write_tables

A02, A05 = "02_padding_stride", "05_backprop"
DUE = datetime.datetime(2026, 12, 1, 12, 0)


def rows(path: Path) -> list[list[str]]:
    with path.open() as handle:
        return list(csv.reader(handle))


@pytest.fixture
def course(tmp_path):
    """A course folder whose gradebook knows 02 (submitted by alice on time, by carol 90 min late) and 05
    (released to the exchange, nobody submitted); dave is on the roll; every test of alice's scores 1."""
    from nbgrader.api import Gradebook

    shutil.copyfile(cached_template(A02), tmp_path / "gradebook.db")
    (exchange_root(tmp_path) / "cnn-course" / "outbound" / A05).mkdir(parents=True)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb, \
            Gradebook(f"sqlite:///{cached_template(A05)}") as tb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from nbgrader's add_submission
        _copy_assignment(tb, gb, A05)
        gb.update_or_create_assignment(A02, duedate=DUE)
        for student in ("alice", "carol", "dave"):
            gb.update_or_create_student(student)
        gb.add_submission(A02, "alice", timestamp=DUE - datetime.timedelta(days=1))
        gb.add_submission(A02, "carol", timestamp=DUE + datetime.timedelta(minutes=90))
        for grade in gb.find_submission(A02, "alice").notebooks[0].grades:
            grade.auto_score = 1
        gb.find_submission(A02, "carol").notebooks[0].late_submission_penalty = 0.0
        gb.db.commit()
    return tmp_path


def test_only_released_assignments_are_columns_and_each_student_has_a_status(course):
    write_tables(course, {("erin", "?"): "erin__x.ipynb: not a notebook"})
    table = rows(course / "grades.csv")
    assert table[0] == ["student_id", "status", "reason", "total", "max_total",
                        A02, f"{A02}_status", f"{A02}_submitted", f"{A02}_late",
                        A05, f"{A05}_status", f"{A05}_submitted", f"{A05}_late"]  # not 01, 03, 04, 06, 07
    assert table[1:] == [
        ["alice", "missing", "", "8", "50", "8", "graded", "2026-11-30T12:00:00Z", "0", "0", "missing", "", "0"],
        ["carol", "missing", "late by 1 h 30 min", "0", "50", "0", "late", "2026-12-01T13:30:00Z", "1",
         "0", "missing", "", "0"],
        ["dave", "missing", "", "0", "50", "0", "missing", "", "0", "0", "missing", "", "0"],
        # what could not be graded is no 0 (an LMS would import it): blank, and no total
        ["erin", "not_graded", f"{A02}: erin__x.ipynb: not a notebook; {A05}: erin__x.ipynb: not a notebook", "",
         "50", "", "not_graded", "", "0", "", "not_graded", "", "0"]]
    detail = rows(course / "grades-detail.csv")
    assert detail[0][:2] == ["student_id", A02] and len(detail[0]) == 1 + 1 + 8 + 1 + 12  # 02's 8 tests, 05's 12
    assert detail[1][:4] == ["alice", "8", "1", "1"]


def test_a_newer_submission_that_could_not_be_graded_leaves_no_old_score_behind(course):
    write_tables(course, {("alice", A02): "the kernel died"})
    alice = rows(course / "grades.csv")[1]
    assert alice[:9] == ["alice", "not_graded", "the kernel died", "", "50", "", "not_graded", "", "0"]


def test_canvas_and_moodle_get_their_import_columns(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_student("alice", first_name="Alice", last_name="Liddell", email="a@example.org",
                                    lms_user_id="1001")
    write_tables(course, formats=("canvas", "moodle"))
    assert rows(course / "grades-canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A02, A05],
        ["Points Possible", "", "", "", "", "20", "30"],
        ["Liddell, Alice", "1001", "alice", "alice", "", "8", "0"],
        ["carol", "", "carol", "carol", "", "0", "0"],
        ["dave", "", "dave", "dave", "", "0", "0"]]
    assert rows(course / "grades-moodle.csv") == [
        ["First name", "Last name", "ID number", "Email address", A02, A05],
        ["Alice", "Liddell", "alice", "a@example.org", "8", "0"],
        ["", "", "carol", "", "0", "0"],
        ["", "", "dave", "", "0", "0"]]
    for name in ("grades.csv", "grades-detail.csv", "grades-canvas.csv", "grades-moodle.csv"):
        assert (course / name).stat().st_mode & 0o077 == 0, name


def test_grader_export_writes_the_tables_from_the_gradebook(course, tmp_path, capsys):
    from grader.cli import main as grader_main

    assert grader_main(["export", "--out", str(course), "--format", "moodle"]) == 0
    assert capsys.readouterr().out.split() == ["wrote", str(course / "grades.csv"), "wrote",
                                               str(course / "grades-detail.csv"), "wrote", str(course / "grades-moodle.csv")]
    assert grader_main(["export", "--out", str(tmp_path / "none")]) == 2
    assert "no gradebook.db (nothing graded there yet)" in capsys.readouterr().err


def test_lateness_is_printed_exactly_and_never_as_zero():
    """A submission 10 s late that lost all its points was "late by 0 min"."""
    from grader.engine.grades import _late_by

    assert [_late_by(s) for s in (0.2, 10, 59.4, 65, 3599, 7200, 7530)] == [
        "late by 1 s", "late by 10 s", "late by 1 min 00 s", "late by 1 min 05 s", "late by 59 min 59 s",
        "late by 2 h 00 min", "late by 2 h 05 min"]


@pytest.mark.slow
def test_the_gradebook_knows_what_is_released_or_graded_and_nothing_else(tmp_path, monkeypatch):
    """register_course (nbgrader_config.py): formgrader's totals add up what the gradebook knows."""
    from nbgrader.api import Gradebook
    from traitlets.config import Config

    from grader.config import configure, configure_instructor
    from grader.engine.gradebook import register_course
    from tests.course_copies import fresh_copy

    course = fresh_copy(tmp_path / "course")
    c = configure_instructor(configure(Config(), course), course)

    def known() -> list[str]:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            return sorted(a.name for a in gb.assignments)

    register_course(c)
    assert known() == []  # nothing released yet: formgrader's totals are out of 0, as grades.csv's
    (exchange_root(course) / "cnn-course" / "outbound" / "02_padding_stride").mkdir(parents=True)
    register_course(c)
    assert known() == ["02_padding_stride"]
    c.Autograde.pre_convert_hook(assignment="*", student="*",  # nbgrader autograde of an unreleased notebook
                                 notebooks=[str(course / "submitted" / "zoe" / "05_backprop" / "05_backprop.ipynb")])
    assert known() == ["02_padding_stride", "05_backprop"]
    monkeypatch.setattr(Path, "iterdir", lambda self: (_ for _ in ()).throw(PermissionError(13, "denied")))
    register_course(c)  # an exchange it may not read stops no nbgrader command
    assert known() == ["02_padding_stride", "05_backprop"]
