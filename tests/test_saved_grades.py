"""The grades autograde saves and the scores feedback reads (``grader.engine.preprocessors``: ``SaveAutoGradesAtOnce``,
``GetGradesAtOnce``) are nbgrader's own: each is run beside nbgrader's ``SaveAutoGrades`` or ``GetGrades`` on copies of
one gradebook, for a perfect, a blank and a half-right submission of a graded class, one of them with an instructor's
manual grade and comment, and every row and every cell's metadata must be the same, in a few queries."""
from __future__ import annotations

import copy
import shutil

import nbformat
import pytest
from nbgrader.preprocessors import GetGrades, SaveAutoGrades

from grader.engine.preprocessors import GetGradesAtOnce, SaveAutoGradesAtOnce
from tests.conftest import SMALL_CLASS
from tests.gradebook_queries import statements_of

pytestmark = [pytest.mark.slow, SMALL_CLASS]  # the class graded once, by the test process that grades it for others

A = "02_padding_stride"
STUDENTS = ("alice", "bob", "carol")  # perfect, blank (its answer cells as released: "No response."), half-right


def rows(url: str, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        theirs = gb.find_submission_notebook(A, A, student)
        return {"grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in theirs.grades},
                "comments": {c.name: (c.auto_comment, c.manual_comment) for c in theirs.comments}}


@pytest.fixture(scope="module")
def gradebooks(graded_sequential, tmp_path_factory):
    """Two copies of the class's gradebook with every saved grade and comment made stale, and an instructor's
    manual grade and comment for alice: what SaveAutoGrades writes must come from the notebook again."""
    from nbgrader.api import Gradebook

    folder = tmp_path_factory.mktemp("gradebooks")
    stale = folder / "stale.db"
    shutil.copyfile(graded_sequential / "gradebook.db", stale)
    with Gradebook(f"sqlite:///{stale}") as gb:
        for student in STUDENTS:
            theirs = gb.find_submission_notebook(A, A, student)
            for grade in theirs.grades:
                grade.auto_score, grade.needs_manual_grade = -1.0, False
            for comment in theirs.comments:
                comment.auto_comment = "stale"
        alices = gb.find_submission_notebook(A, A, "alice")
        alices.grades[0].manual_score = 0.5
        alices.comments[0].manual_comment = "See me about this cell."
        gb.db.commit()
    made = {}
    for name in ("nbgrader", "ours"):
        shutil.copyfile(stale, folder / f"{name}.db")
        made[name] = f"sqlite:///{folder / name}.db"
    return made


def resources(url: str, student: str) -> dict:
    return {"nbgrader": {"notebook": A, "assignment": A, "student": student, "db_url": url}}


def autograded(course, student: str):
    return nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", as_version=4)


@pytest.mark.parametrize("student", STUDENTS)
def test_saved_grades_and_comments_are_nbgraders_in_a_few_queries(graded_sequential, gradebooks, student):
    notebook = autograded(graded_sequential, student)
    theirs = len(statements_of(lambda: SaveAutoGrades()(copy.deepcopy(notebook),
                                                        resources(gradebooks["nbgrader"], student)),
                               gradebooks["nbgrader"]))
    ours = len(statements_of(lambda: SaveAutoGradesAtOnce()(copy.deepcopy(notebook),
                                                            resources(gradebooks["ours"], student)),
                             gradebooks["ours"]))
    saved = rows(gradebooks["ours"], student)
    assert saved == rows(gradebooks["nbgrader"], student)
    graded = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    assert len(saved["grades"]) == len(graded) >= 6
    assert all(auto != -1.0 for auto, _, _ in saved["grades"].values())  # every grade written again
    if student == "bob":  # answers as released: nbgrader's "No response."
        assert {auto for auto, _ in saved["comments"].values()} == {"No response."}
    if student == "alice":  # a manual grade is for a person to review again
        assert sum(needs for _, manual, needs in saved["grades"].values() if manual is not None) == 1
    assert ours <= theirs / 3, (ours, theirs)


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_reads_nbgraders_scores_points_and_comments_in_a_few_queries(graded_sequential, student):
    url = f"sqlite:///{graded_sequential / 'gradebook.db'}"
    notebook = autograded(graded_sequential, student)
    made = {}
    theirs = len(statements_of(lambda: made.update(theirs=GetGrades()(copy.deepcopy(notebook), resources(url, student))),
                               url))
    ours = len(statements_of(lambda: made.update(ours=GetGradesAtOnce()(copy.deepcopy(notebook), resources(url, student))),
                             url))
    (theirs_nb, theirs_resources), (ours_nb, ours_resources) = made["theirs"], made["ours"]
    assert [cell.metadata for cell in ours_nb.cells] == [cell.metadata for cell in theirs_nb.cells]
    assert ours_resources == theirs_resources
    scored = [cell.metadata.nbgrader for cell in ours_nb.cells if "score" in cell.metadata.get("nbgrader", {})]
    assert len(scored) >= 6 and all(meta.points > 0 for meta in scored)
    assert ours <= theirs / 3, (ours, theirs)
