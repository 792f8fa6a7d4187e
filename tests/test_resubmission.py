"""Resubmissions: the newest counts (nbgrader's rule), and a late one that replaces a graded on-time score says so;
``grade --keep-on-time`` keeps the on-time score instead (grader/engine/batch.py, grader/engine/grades.py, grader/instructor/report.py)."""
from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json

import nbformat
import pytest

from grader.cli import main as grader_main
from tests.accounts import unused_names
from tests.course_copies import fresh_copy, solved_notebook

pytestmark = pytest.mark.slow
A02, M02 = "02_padding_stride", 20


def test_a_late_resubmission_replacing_an_on_time_score_is_said_or_kept(tmp_path):
    """Bob's on-time 20/20 silently became 0 when he resubmitted late. The newest still counts, and the summary,
    grades.csv and the report say what it replaced; with ``--keep-on-time`` the on-time score stays."""
    from nbgrader.api import Gradebook

    from grader.instructor.report import report

    course, folder = fresh_copy(tmp_path / "course"), tmp_path / "submitted"
    newest, keeper = unused_names("erin", "finn")
    blank = nbformat.read(course / "notebooks" / A02 / f"{A02}.ipynb", as_version=4)

    def hand_in(notebooks: dict, at: str, *options: str) -> dict[str, str]:
        for student, notebook in notebooks.items():
            (folder / student / A02).mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, folder / student / A02 / f"{A02}.ipynb")
            (folder / student / A02 / "timestamp.txt").write_text(at)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            grader_main(["grade", str(folder), "--out", str(course), *options])
        return {line.split()[0]: line for line in printed.getvalue().splitlines() if line.split()[:1] in ([newest], [keeper])}

    solved = solved_notebook(course, A02)
    first = hand_in({newest: solved, keeper: solved}, "2026-12-01 10:00:00.000000 UTC")
    assert f" {M02} / {M02} " in first[newest] and f" {M02} / {M02} " in first[keeper]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(A02, duedate=datetime.datetime(2026, 12, 2, 12, 0))

    late = hand_in({newest: blank}, "2026-12-02 12:00:10.000000 UTC")  # 10 s late, nothing solved: the newest counts
    assert f" 0 / {M02} " in late[newest] and late[newest].endswith(
        f"graded (late by 10 s; replaced an on-time submission that scored {M02} / {M02})")
    kept = hand_in({keeper: blank}, "2026-12-02 13:00:00.000000 UTC", "--keep-on-time")
    assert kept[keeper].endswith(f"kept an on-time submission that scored {M02} / {M02}: the late resubmission is "
                                 f"not graded (--keep-on-time)") and f" {M02} / {M02} " in kept[keeper]

    table = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    assert table[newest][A02] == "0" and table[newest]["reason"] == (
        f"late by 10 s; replaced an on-time submission that scored {M02} / {M02}")
    assert table[keeper][A02] == str(M02) and table[keeper]["status"] == "graded"
    reported = json.loads(report(course, as_json_output=True)[1])["assignments"][A02]
    assert reported["scores"] == {newest: 0, keeper: M02}
    assert reported["replaced"] == {newest: f"replaced an on-time submission that scored {M02} / {M02}"}
