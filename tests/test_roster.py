"""The class roll from an LMS roster (grader/instructor/roster.py): Canvas's, Moodle's and nbgrader's columns."""
from __future__ import annotations

import csv
import stat

from nbgrader.api import Gradebook

from grader.cli import main as grader_main
from grader.instructor.roster import import_roster, read_roster


def write(path, header, rows, bom=False):
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def roll(course) -> dict[str, tuple]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students}


def test_a_canvas_roster_as_excel_saves_it_fills_the_roll_and_names_each_line_it_skips(tmp_path):
    roster = write(tmp_path / "canvas.csv", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW 1"], [
        ["Points Possible", "", "", "", "", "20"],
        ["Liddell, Alice", "1001", "a-sis", "alice", "A", ""],
        ["Hatter, Bob", "1002", "bob", "", "A", ""],  # no login id: the SIS user id is his
        ["Nobody", "1003", "", "", "A", ""],
        ["Evil, Eve", "1004", "<img src=x>", "<img src=x>", "A", ""],
        ["Again, Alice", "1005", "alice", "alice", "A", ""],
        [],
    ], bom=True)
    code, printed = import_roster(tmp_path, roster)
    assert code == 1 and "a canvas roster; 2 student(s) added, 0 updated, 3 line(s) skipped" in printed
    assert "line 5: no student id" in printed and "line 6: the student id '<img src=x>' holds" in printed
    assert "line 7: the student id 'alice' is on an earlier line too" in printed
    assert roll(tmp_path) == {"alice": ("Alice", "Liddell", None, "1001"), "bob": ("Bob", "Hatter", None, "1002")}
    assert stat.S_IMODE((tmp_path / "gradebook.db").stat().st_mode) == 0o600  # grades: the instructor's alone


def test_moodle_and_nbgrader_rosters_add_and_update_and_a_blank_cell_changes_nothing(tmp_path, capsys):
    moodle = write(tmp_path / "moodle.csv", ["First name", "Last name", "ID number", "Email address"],
                   [["Alice", "Liddell", "alice", "alice@example.org"], ["Bob", "", "bob", ""]])
    assert grader_main(["roster", str(moodle), "--course", str(tmp_path)]) == 0
    assert "a moodle roster; 2 student(s) added, 0 updated, 0 line(s) skipped" in capsys.readouterr().out
    nbgrader = write(tmp_path / "roll.csv", ["id", "first_name", "last_name", "email", "lms_user_id"],
                     [["bob", "", "Hatter", "bob@example.org", "7"], ["carol", "Carol", "", "", ""]])
    assert grader_main(["roster", str(nbgrader), "--course", str(tmp_path)]) == 0
    assert "a nbgrader roster; 1 student(s) added, 1 updated" in capsys.readouterr().out
    assert roll(tmp_path) == {"alice": ("Alice", "Liddell", "alice@example.org", None),
                              "bob": ("Bob", "Hatter", "bob@example.org", "7"), "carol": ("Carol", None, None, None)}


def test_the_canvas_export_reads_back_as_the_same_roll(tmp_path):
    """What ``grade --format canvas`` writes is a roster too: the same ids, names and Canvas ids."""
    from grader.engine.grades import Row, write_canvas

    rows = [Row("alice", first_name="Alice", last_name="Liddell", lms_user_id="1001"), Row("bob")]
    write_canvas(tmp_path / "grades-canvas.csv", [], {}, rows)
    kind, students, skipped = read_roster(tmp_path / "grades-canvas.csv")
    assert (kind, skipped) == ("canvas", [])
    assert students == [{"id": "alice", "first_name": "Alice", "last_name": "Liddell", "lms_user_id": "1001"},
                        {"id": "bob"}]


def test_a_roster_that_is_no_roster_says_why(tmp_path, capsys):
    (tmp_path / "x.csv").write_bytes(b"name,score\nalice,3\n")
    assert grader_main(["roster", str(tmp_path / "x.csv"), "--course", str(tmp_path)]) == 2
    assert "no column of student ids: expected one of SIS Login ID" in capsys.readouterr().err
    (tmp_path / "y.csv").write_bytes(b"id\n\xff\xfe\n")
    assert grader_main(["roster", str(tmp_path / "y.csv"), "--course", str(tmp_path)]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
