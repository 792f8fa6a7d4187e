"""What a student can put in a notebook's metadata or a file name costs them nothing and misleads nobody.

nbgrader trusts a notebook's cell metadata: an added cell with nbgrader metadata and no grade_id, an old
schema_version, or a solution cell marked as a test stopped the whole submission with an internal error,
so its correct answers were lost. ``grader.engine.preprocessors.RestoreGradingMetadata`` gives every cell the
release's metadata back. Names become cells of grades.csv and lines of the summary table: they must not
run as spreadsheet formulas or print fake lines.
"""
from __future__ import annotations

import copy
import csv
from pathlib import Path

import nbformat
import pytest

from grader.engine.autograde import grade_id_of
from grader.engine.batch import _summary
from grader.engine.gradebook import cached_template
from grader.engine.grades import write_tables
from grader.engine.preprocessors import RestoreGradingMetadata
from grader.text import printable, spreadsheet_safe
from tests.course_copies import solved_notebook

A = "02_padding_stride"
ROOT = Path(__file__).resolve().parent.parent


def _with_added_cell(nb, metadata) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell("added = 1")
    cell.metadata["nbgrader"] = metadata
    nb.cells.insert(3, cell)
    return nb


def _first_graded(nb, key: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get(key))


#: The students of :func:`tampered` (graded in tests/test_sandbox.py's hostile class: each must score 20 of 20).
TAMPERED = ("nogradeid", "unknownid", "oddtypes", "oldschema", "solutionastest", "testassolution")


def tampered(built_course) -> dict[str, nbformat.NotebookNode]:
    """Solved notebooks of 02, each with one kind of metadata a student could write (names: TAMPERED)."""
    solved = solved_notebook(built_course, A)
    old_schema = copy.deepcopy(solved)
    _first_graded(old_schema, "grade_id").metadata.nbgrader["schema_version"] = 1
    solution_as_test = copy.deepcopy(solved)
    _first_graded(solution_as_test, "solution").metadata.nbgrader.update(grade=True, points=10)
    test_as_solution = copy.deepcopy(solved)  # an editable test cell would escape the restore
    test = _first_graded(test_as_solution, "grade")
    test.metadata.nbgrader.update(solution=True, locked=False)
    test.source = "pass  # the student's own test"
    return {
        "nogradeid": _with_added_cell(solved, {"grade": True, "points": 5, "solution": False, "schema_version": 3}),
        "unknownid": _with_added_cell(solved, {"grade": True, "grade_id": "bonus", "points": 50, "solution": False}),
        "oddtypes": _with_added_cell(_with_added_cell(solved, "grade me"), {"grade_id": ["x"], "grade": True}),
        "oldschema": old_schema,
        "solutionastest": solution_as_test,
        "testassolution": test_as_solution,
    }


def _restored(nb) -> nbformat.NotebookNode:
    resources = {"nbgrader": {"db_url": f"sqlite:///{cached_template(A)}", "notebook": A, "assignment": A}}
    nb, _ = RestoreGradingMetadata().preprocess(copy.deepcopy(nb), resources)
    return nb


def test_every_cell_gets_the_release_metadata_and_added_cells_lose_theirs(built_course):
    release = nbformat.read(built_course / "notebooks" / A / f"{A}.ipynb", as_version=4)
    expected = {grade_id_of(c): c.metadata.nbgrader for c in release.cells if grade_id_of(c)}
    for name, nb in tampered(built_course).items():
        restored = _restored(nb)
        graded = [c for c in restored.cells if "nbgrader" in c.metadata]
        assert [grade_id_of(c) for c in graded] == list(expected), name
        for cell in graded:
            mine = {k: v for k, v in cell.metadata.nbgrader.items() if k != "checksum"}
            theirs = {k: v for k, v in expected[grade_id_of(cell)].items() if k != "checksum"}
            assert mine == theirs, (name, grade_id_of(cell))
        assert sum("added = 1" in c.source for c in restored.cells) == sum("added = 1" in c.source for c in nb.cells)


def test_grade_ids_of_any_type_are_read_without_error():
    cells = [nbformat.v4.new_code_cell() for _ in range(4)]
    cells[0].metadata["nbgrader"] = "text"
    cells[1].metadata["nbgrader"] = {"grade_id": ["a", "list"]}
    cells[2].metadata["nbgrader"] = {"grade_id": "pad2d"}
    assert [grade_id_of(c) for c in cells] == [None, None, "pad2d", None]


# --- names: grades.csv and the summary ---------------------------------------------------------------


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0",
                                  "-2+3", "\tx", "\rx", "\t1", "-inf", "+1"])
def test_a_name_that_a_spreadsheet_would_run_is_quoted(name):
    safe = spreadsheet_safe(name)
    assert safe.startswith("'") and not any(ch in safe for ch in "\t\r\n")


def test_numbers_and_plain_names_are_left_as_they_are():
    assert [spreadsheet_safe(x) for x in ("20", "0.5", "3", "alice", "zhang_wei", "")] == \
        ["20", "0.5", "3", "alice", "zhang_wei", ""]


def test_grades_csv_quotes_formulas_in_names_and_statuses(tmp_path):
    problems = {('=HYPERLINK("http://evil","click")', "?"): "not a notebook", ("bob", ""): "second notebook @SUM(1).ipynb",
                ("carol", "?"): "=1+1"}
    write_tables(tmp_path, problems, formats=("canvas", "moodle"))
    for name in ("grades.csv", "grades-detail.csv", "grades-canvas.csv", "grades-moodle.csv"):
        with (tmp_path / name).open() as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert '=HYPERLINK("http://evil","click")' not in cells and "'=HYPERLINK(\"http://evil\",\"click\")" in cells
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], (name, cells)


def test_the_summary_prints_control_characters_escaped():
    fake = "mallory\n" + f"{'alice':<9}  {A:<24} {'20 / 20':>13}  graded"
    table = _summary([(fake, A, None, "NOT GRADED: \x1b[2Jcleared"), ("bob\u202e", A, None, "graded")])
    assert len(table.splitlines()) == 3  # the header and two rows: no fake line
    assert "\x1b" not in table and "\u202e" not in table
    assert printable("mallory\n") == "mallory\\n"
