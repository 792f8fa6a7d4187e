"""The class roll from an LMS roster: ``python -m grader roster ROSTER.csv [--course DIR]``.

A student on the gradebook's roll who hands in nothing is *missing* (0) in ``grades.csv``, the exports and
the class report; one who is not on it simply does not appear. nbgrader adds students one command at a
time (``nbgrader db student add``, about 17 s each here, as every command loads the course's settings: 85
minutes for 300). This reads the roster an LMS gives and writes every student in one gradebook session.

The roster's kind is read from its header:

- Canvas (its gradebook export, the columns of ``grades-canvas.csv``): ``Student`` ("Last, First"), ``ID``
  (Canvas's user id, kept as nbgrader's ``lms_user_id``), ``SIS Login ID`` or else ``SIS User ID`` (the
  student id); its ``Points Possible`` row is skipped;
- Moodle (its grade export or participants list, the columns of ``grades-moodle.csv``): ``First name``,
  ``Last name``, ``ID number`` or else ``Username`` (the student id), ``Email address``;
- nbgrader's own import file (``nbgrader db student import``): ``id``, ``first_name``, ``last_name``,
  ``email``, ``lms_user_id``.

Ids are checked as ``grade`` checks them (``grader.engine.batch.student_id_problem``): a row whose id could not be
a student's is skipped and named. Existing students are updated (a blank cell changes nothing).
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

#: Column names of each kind of roster, by what nbgrader calls them; the first present of a list is used.
KINDS = {
    "canvas": {"id": ["SIS Login ID", "SIS User ID"], "name": ["Student"], "lms_user_id": ["ID"]},
    "moodle": {"id": ["ID number", "Username"], "first_name": ["First name"], "last_name": ["Last name"],
               "email": ["Email address"]},
    "nbgrader": {"id": ["id"], "first_name": ["first_name"], "last_name": ["last_name"], "email": ["email"],
                 "lms_user_id": ["lms_user_id"]},
}
#: Bytes a roster may have: 100 000 students with long names and emails.
MAX_ROSTER_BYTES = 50 * 2**20


class RosterError(Exception):
    """A roster that cannot be read at all; the message says why, in one line."""


def _kind(header: list[str]) -> tuple[str, dict[str, list[str]]]:
    """The roster's kind and, for each field, the columns that may hold it (a row's first non-blank one counts)."""
    for kind, fields in KINDS.items():
        columns = {name: [c for c in candidates if c in header] for name, candidates in fields.items()}
        if columns["id"]:
            return kind, {name: present for name, present in columns.items() if present}
    raise RosterError(f"no column of student ids: expected one of {', '.join(c for f in KINDS.values() for c in f['id'])}"
                      f" (Canvas, Moodle or nbgrader's columns), found {', '.join(header[:8]) or 'none'}")


def read_roster(path: Path) -> tuple[str, list[dict[str, str]], list[str]]:
    """``(kind, students, skipped)``: each student as nbgrader's fields (``id``, ``first_name``, ``last_name``,
    ``email``, ``lms_user_id``; blank ones left out), and each row skipped, with why."""
    from ..engine.batch import student_id_problem
    from ..text import printable

    data = Path(path).read_bytes()[:MAX_ROSTER_BYTES + 1]
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError(f"larger than the {MAX_ROSTER_BYTES // 2**20} MB a roster may be")
    try:
        text = data.decode("utf-8-sig")  # Excel's CSV starts with a byte-order mark
    except UnicodeDecodeError as error:
        raise RosterError(f"not UTF-8 text ({error.reason} at byte {error.start}): save it as CSV UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise RosterError("empty")
    header = [column.strip() for column in rows[0]]
    kind, columns = _kind(header)
    students, skipped, seen = [], [], set()
    for number, row in enumerate(rows[1:], 2):
        cells = dict(zip(header, (cell.strip() for cell in row)))
        student = {name: next((cells[c] for c in present if cells.get(c)), "") for name, present in columns.items()}
        if kind == "canvas" and cells.get("Student", "").startswith("Points Possible"):
            continue
        if not any(row):
            continue
        if kind == "canvas" and "name" in student:  # "Last, First"; the id itself where Canvas knows no name
            name = student.pop("name")
            last, _, first = ("" if name == student["id"] else name).partition(",")
            student["last_name"], student["first_name"] = last.strip(), first.strip()
        why = student_id_problem(student["id"]) if student["id"] else "no student id"
        if not why and student["id"] in seen:
            why = f"the student id '{printable(student['id'])}' is on an earlier line too"
        if why:
            skipped.append(f"line {number}: {why}")
            continue
        seen.add(student["id"])
        students.append({name: value for name, value in student.items() if value})
    return kind, students, skipped


def import_roster(course: Path, path: Path) -> tuple[int, str]:
    """Add or update every student of the roster ``path`` in ``course``'s gradebook; ``(exit code, what to print)``."""
    from nbgrader.api import Gradebook, MissingEntry

    from ..config import use_alembic_head

    use_alembic_head()  # a new gradebook without nbgrader's `alembic heads` subprocess (seconds)
    try:
        kind, students, skipped = read_roster(path)
    except (OSError, RosterError) as error:
        return 2, f"grader roster: {path}: {error}"
    added = updated = 0
    db = Path(course) / "gradebook.db"
    created = not db.exists()
    with Gradebook(f"sqlite:///{db}") as gb:
        for student in students:
            fields = {name: value for name, value in student.items() if name != "id"}
            try:
                gb.find_student(student["id"])
                updated += 1
            except MissingEntry:
                added += 1
            gb.update_or_create_student(student["id"], **fields)
    if created:
        os.chmod(db, 0o600)  # grades: the instructor's alone, as grading makes a gradebook it creates
    lines = [f"{path}: a {kind} roster; {added} student(s) added, {updated} updated, {len(skipped)} line(s) skipped"]
    lines += [f"  {line}" for line in skipped]
    return (1 if skipped else 0), "\n".join(lines)
