"""The grade tables of a course folder, from its gradebook: for a spreadsheet, for Canvas, for Moodle.

Only *released* assignments are in them: those in the exchange's ``outbound/`` (``nbgrader
release_assignment`` or formgrader's Release put them there) and those the gradebook holds a submission
of (a class graded from an LMS zip never went through the exchange, but its students had the notebook).
The other course notebooks, never handed out, would be columns of zeros that an LMS imports as grades.

* ``grades.csv``: one row per student, stable columns: ``student_id, status, reason, total, max_total``,
  then per released assignment ``<id>, <id>_status, <id>_submitted, <id>_late``. A status is one of
  :data:`STATUSES`; ``reason`` is the free text (why not graded, how late); missing work scores 0,
  work that could not be graded is left blank (an LMS then keeps what it had), and so is the total. A
  submission whose assignment is unknown (a link, a broken file) is not_graded for each released
  assignment the student has no graded work for.
  ``max_total`` is the released assignments' points, the same for every student.
* ``grades-detail.csv``: the same students, each released assignment's score and every test's score.
* ``grades-canvas.csv``, ``grades-moodle.csv`` (``--format``): the columns those systems import.

Scores are nbgrader's (manual grades over automatic ones) less the late penalty it assigned, as
``nbgrader export`` computes them; ``grader.instructor.nbgrader_export`` restricts ``nbgrader export`` itself to the
released assignments.
"""
from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

#: A student's status, per assignment and overall (the worst of hers: not_graded, missing, late, graded).
STATUSES = ("graded", "late", "missing", "not_graded")
FORMATS = ("csv", "canvas", "moodle")


def released_assignments(root: Path) -> list[str]:
    """The course folder ``root``'s released assignments, sorted: in the exchange's outbound, or submitted."""
    from nbgrader.api import Assignment, Gradebook, SubmittedAssignment

    from ..config import exchange_released

    released = exchange_released(root)
    db = Path(root) / "gradebook.db"
    if db.exists():
        with Gradebook(f"sqlite:///{db}") as gb:
            released |= {name for (name,) in gb.db.query(Assignment.name).join(SubmittedAssignment).distinct()}
    return sorted(released)


@dataclass
class Mark:
    """One student's result for one assignment."""

    status: str = "missing"
    score: float | None = 0.0  #: None: not graded (blank in the tables)
    submitted: datetime | None = None  #: UTC, as nbgrader records it
    late: bool = False
    reason: str = ""
    tests: dict[str, float] = field(default_factory=dict)


@dataclass
class Row:
    student: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    marks: dict[str, Mark] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  #: this run's, for no released assignment

    @property
    def status(self) -> str:
        mine = {m.status for m in self.marks.values()} | ({"not_graded"} if self.problems else set())
        return next((s for s in ("not_graded", "missing", "late") if s in mine), "graded")

    @property
    def reason(self) -> str:
        reasons = [f"{a}: {m.reason}" for a, m in self.marks.items() if m.reason]
        if len(reasons) == 1 and not self.problems:
            return reasons[0].split(": ", 1)[1]
        if not reasons and len(set(self.problems)) == 1:
            return self.problems[0]
        return "; ".join(reasons + self.problems)

    @property
    def total(self) -> float | None:
        scores = [m.score for m in self.marks.values()]
        return None if None in scores or self.problems else sum(scores)


def _late_by(seconds: float) -> str:
    """``late by 10 s``, ``late by 7 min 05 s``, ``late by 2 h 05 min``: exact, and never "0" for work that is late
    (seconds are rounded up)."""
    whole = math.ceil(seconds)
    if whole < 60:
        return f"late by {whole} s"
    if whole < 3600:
        return f"late by {whole // 60} min {whole % 60:02d} s"
    hours, minutes = divmod(whole // 60, 60)
    return f"late by {hours} h {minutes:02d} min"


def final_score(submission) -> float:
    """A submitted assignment's score as every surface of the course shows it: nbgrader's (manual grades over
    automatic ones) less the late penalty nbgrader assigned, never below 0. nbgrader's own pages show the score
    before the penalty."""
    return max(0.0, float(submission.score or 0.0) - float(submission.late_submission_penalty or 0.0))


def late_note(submission) -> str:
    """``late by 10 s, penalty 15`` for a late submitted assignment, else ``""``."""
    seconds, penalty = submission.total_seconds_late or 0.0, submission.late_submission_penalty or 0.0
    return _late_by(seconds) + (f", penalty {penalty:g}" if penalty else "") if seconds > 0 else ""


def table(root: Path, problems: dict[tuple[str, str], str] | None = None
          ) -> tuple[list[str], dict[str, float], dict[str, list[str]], list[Row]]:
    """(released assignments, their max scores, their tests, a row per student) of course folder ``root``.

    ``problems``: this run's submissions that could not be graded, ``{(student, assignment): why}``
    (assignment ``?`` when unknown, ``""`` for a problem that is no assignment's); they are ``not_graded``
    whatever the gradebook holds. The students are the gradebook's (``nbgrader db student add`` makes one
    who never submitted ``missing``) and those of ``problems``.
    """
    from nbgrader.api import Assignment, BaseCell, Grade, Gradebook, MissingEntry, Student, SubmittedAssignment, SubmittedNotebook

    problems = problems or {}
    released = released_assignments(root)
    replaced = replaced_on_time(root)
    rows: dict[str, Row] = {}
    maximum: dict[str, float] = {}
    tests: dict[str, list[str]] = {}
    db = Path(root) / "gradebook.db"
    if db.exists():
        with Gradebook(f"sqlite:///{db}") as gb:
            for student in gb.students:
                rows[student.id] = Row(student.id, student.first_name or "", student.last_name or "",
                                       student.email or "", student.lms_user_id or "")
            # One query for every test's grade (per-cell lookups cost O(students x cells) queries, each time
            # the tables are rewritten, which is after every student).
            scores: dict[tuple[str, str], dict[str, float]] = {}
            for student, name, cell, score in (
                    gb.db.query(Student.id, Assignment.name, BaseCell.name, Grade.score).select_from(Grade)
                    .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                    .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                    .join(Student, SubmittedAssignment.student_id == Student.id)
                    .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                    .join(BaseCell, Grade.cell_id == BaseCell.id)):
                scores.setdefault((student, name), {})[cell] = float(score or 0.0)
            for name in released:
                try:
                    assignment = gb.find_assignment(name)
                except MissingEntry:
                    continue
                maximum[name] = float(assignment.max_score)
                cells = tests[name] = [cell.name for nb in assignment.notebooks for cell in nb.grade_cells]
                for submission in assignment.submissions:
                    late = submission.total_seconds_late > 0
                    mark = Mark("late" if late else "graded", final_score(submission), submission.timestamp, late)
                    mark.reason = "; ".join(filter(None, (late_note(submission),
                                                          replaced.get((submission.student.id, name)))))
                    student = submission.student.id
                    mark.tests = {cell: scores.get((student, name), {}).get(cell, 0.0) for cell in cells}
                    rows.setdefault(student, Row(student)).marks[name] = mark
    for (student, assignment), why in problems.items():
        row = rows.setdefault(student, Row(student))
        # An unknown assignment (a link, a broken file) is any released one she has no graded work for: not a 0.
        unknown = [a for a in maximum if a not in row.marks] if assignment == "?" else []
        for name in ([assignment] if assignment in maximum else unknown):
            row.marks[name] = Mark("not_graded", None, reason=why)
        if assignment not in maximum and not unknown:
            row.problems.append(f"{assignment}: {why}" if assignment not in ("?", "") else why)
    for row in rows.values():
        row.marks = {a: row.marks.get(a, Mark()) for a in released if a in maximum}
    released = [a for a in released if a in maximum]
    return released, maximum, tests, [rows[s] for s in sorted(rows)]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""  # ISO 8601, UTC (nbgrader stores UTC)


def write_private(path: Path, text: str) -> None:
    """Written to a temporary file and renamed (never half written), readable by the instructor alone."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(partial, path)


#: The course folder's record of late resubmissions that replaced a graded on-time one (written by ``grade``):
#: ``{assignment: {student: "replaced an on-time submission that scored 10 / 20"}}``.
RESUBMISSIONS = "resubmissions.json"


def replaced_on_time(root: Path) -> dict[tuple[str, str], str]:
    """``{(student, assignment): note}`` of :data:`RESUBMISSIONS` (empty when there is none, or it is unreadable)."""
    try:
        data = json.loads((Path(root) / RESUBMISSIONS).read_text())
        return {(student, assignment): str(note) for assignment, notes in data.items() for student, note in notes.items()}
    except (OSError, ValueError, AttributeError):
        return {}


def record_replaced(root: Path, student: str, assignment: str, note: str) -> None:
    """Remember that ``student``'s late resubmission of ``assignment`` replaced an on-time one (``note`` says what)."""
    notes = replaced_on_time(root)
    notes[student, assignment] = note
    data: dict[str, dict[str, str]] = {}
    for (who, which), text in sorted(notes.items()):
        data.setdefault(which, {})[who] = text
    write_private(Path(root) / RESUBMISSIONS, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV the instructor alone reads (0600), every cell spreadsheet-safe, replaced whole (never half written)."""
    from ..text import spreadsheet_safe

    partial = path.with_name(f".{path.stem}.{os.getpid()}.csv")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_safe(cell) for cell in row])
    os.replace(partial, path)
    return path


def write_tables(root: Path, problems: dict[tuple[str, str], str] | None = None,
                 formats: tuple[str, ...] = ()) -> Path:
    """Write ``grades.csv`` and ``grades-detail.csv`` in ``root`` (and ``grades-<format>.csv`` for each of
    ``formats``: canvas, moodle); return the path of grades.csv."""
    released, maximum, tests, rows = table(root, problems)
    header = ["student_id", "status", "reason", "total", "max_total"]
    for a in released:
        header += [a, f"{a}_status", f"{a}_submitted", f"{a}_late"]
    max_total = _number(sum(maximum[a] for a in released))
    lines = []
    for row in rows:
        line = [row.student, row.status, row.reason, _number(row.total), max_total]
        for a in released:
            mark = row.marks[a]
            line += [_number(mark.score), mark.status, _time(mark.submitted), "1" if mark.late else "0"]
        lines.append(line)
    path = _write(Path(root) / "grades.csv", header, lines)
    detail = ["student_id"] + [c for a in released for c in [a] + [f"{a}/{t}" for t in tests[a]]]
    _write(Path(root) / "grades-detail.csv", detail,
           [[row.student] + [c for a in released for c in [_number(row.marks[a].score)]
                             + [_number(row.marks[a].tests.get(t)) for t in tests[a]]] for row in rows])
    for kind in formats:
        if kind != "csv":
            WRITERS[kind](Path(root) / f"grades-{kind}.csv", released, maximum, rows)
    return path


def write_canvas(path: Path, released: list[str], maximum: dict[str, float], rows: list[Row]) -> Path:
    """Canvas's gradebook import: ``Student, ID, SIS User ID, SIS Login ID, Section``, then a column per
    assignment, and a ``Points Possible`` row first, as Canvas's own gradebook export has them.

    Columns as in Canvas's guide "How do I import grades in the Gradebook?" and the Ohio State guide
    "Import a CSV file to Carmen grades" (teaching.resources.osu.edu): a student is matched by
    ``ID`` (Canvas's user id: nbgrader's ``lms_user_id``) or ``SIS User ID`` / ``SIS Login ID`` (here the
    nbgrader student id); a column with a new name makes a new assignment; a blank cell changes nothing
    (work that could not be graded), missing work is 0.
    """
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + released
    lines = [["Points Possible", "", "", "", ""] + [_number(maximum[a]) for a in released]]
    for row in rows:
        name = ", ".join(n for n in (row.last_name, row.first_name) if n) or row.student
        lines.append([name, row.lms_user_id, row.student, row.student, ""]
                     + [_number(row.marks[a].score) for a in released])
    return _write(path, header, lines)


def write_moodle(path: Path, released: list[str], maximum: dict[str, float], rows: list[Row]) -> Path:
    """Moodle's "Import grades from CSV": the columns of its own CSV grade export (``First name, Last name,
    ID number, Email address``), then a column per grade item.

    From MoodleDocs "Grade import" (docs.moodle.org/en/Grade_import): the import format is the export's;
    on import, map "ID number" to ``useridnumber`` (here the nbgrader student id) or "Email address" to
    ``useremail``, and each assignment's column to its grade item. A blank cell imports no grade.
    """
    header = ["First name", "Last name", "ID number", "Email address"] + released
    return _write(path, header, [[row.first_name, row.last_name, row.student, row.email]
                                 + [_number(row.marks[a].score) for a in released] for row in rows])


WRITERS = {"canvas": write_canvas, "moodle": write_moodle}
