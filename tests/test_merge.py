"""Scores merged into the course gradebook (``grader.engine.autograde.merge_scores``): the one writer's checks of what a
grading worker (a local one, or a Dask worker on another machine) says a submission scored. Scores that do not fit the
gradebook are refused before anything is written; manual grades an instructor gave are kept."""
from __future__ import annotations

import datetime
import shutil

import pytest

from grader.engine.autograde import merge_scores
from grader.engine.converters import GradingError
from grader.engine.gradebook import cached_template
from tests.gradebook_queries import statements_of

A = "02_padding_stride"


@pytest.fixture
def course(tmp_path):
    shutil.copyfile(cached_template(A), tmp_path / "gradebook.db")
    return tmp_path


def gradebook(course):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


def full_marks(course) -> dict:
    """What a worker sends for a submission that passed everything: every graded cell's points, a comment per cell."""
    with gradebook(course) as gb:
        notebook = gb.find_notebook(A, A)
        grades = {cell.name: [cell.max_score, False] for cell in notebook.grade_cells}
        comments = {cell.name: f"well done on {cell.name}" for cell in notebook.solution_cells}
    return {"timestamp": "2026-12-01T10:00:00", "notebooks": {A: {"grades": grades, "comments": comments}}}


def scores_of(course, student: str) -> dict:
    with gradebook(course) as gb:
        theirs = gb.find_submission_notebook(A, A, student)
        return {"grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in theirs.grades},
                "comments": {c.name: c.auto_comment for c in theirs.comments}, "score": theirs.score,
                "timestamp": theirs.assignment.timestamp}


def test_a_workers_scores_are_written_whole_and_a_regrade_replaces_them_keeping_manual_grades(course):
    sent = full_marks(course)
    merge_scores(sent, course, A, "ada")
    mine = scores_of(course, "ada")
    assert {name: auto for name, (auto, _, _) in mine["grades"].items()} == {
        name: points for name, (points, _) in sent["notebooks"][A]["grades"].items()}
    assert mine["comments"] == sent["notebooks"][A]["comments"]
    assert mine["timestamp"] == datetime.datetime(2026, 12, 1, 10, 0)
    first = next(iter(sent["notebooks"][A]["grades"]))
    with gradebook(course) as gb:  # the instructor gives a manual grade
        gb.find_grade(first, A, A, "ada").manual_score = 0.5
        gb.db.commit()
    again = {**sent, "notebooks": {A: {**sent["notebooks"][A], "grades": {
        name: [0.0, True] for name in sent["notebooks"][A]["grades"]}}}}
    merge_scores(again, course, A, "ada")
    grades = scores_of(course, "ada")["grades"]
    assert grades[first] == (0.0, 0.5, False)  # kept, and not asked for again
    assert all(value == (0.0, None, True) for name, value in grades.items() if name != first)


@pytest.mark.parametrize("spoil, why", [
    (lambda n: n["grades"].update({next(iter(n["grades"])): [1e9, False]}), "is not one from 0 to"),
    (lambda n: n["grades"].update({next(iter(n["grades"])): [-1, False]}), "is not one from 0 to"),
    (lambda n: n["grades"].update({next(iter(n["grades"])): ["full", False]}), "is not one from 0 to"),
    (lambda n: n["grades"].update({"test_not_in_this_notebook": [0, False]}), "do not fit the course gradebook"),
    (lambda n: n["comments"].update({"no_such_cell": "hello"}), "do not fit the course gradebook"),
    (lambda n: n["comments"].update({next(iter(n["comments"])): 42}), "is not text"),
    (lambda n: n.update({"grades": {next(iter(n["grades"])): [1]}}), "do not fit the course gradebook"),
])
def test_scores_that_do_not_fit_the_gradebook_are_refused_and_nothing_is_written(course, spoil, why):
    sent = full_marks(course)
    spoil(sent["notebooks"][A])
    with pytest.raises(GradingError, match=why):
        merge_scores(sent, course, A, "eve")
    from nbgrader.api import MissingEntry

    with gradebook(course) as gb, pytest.raises(MissingEntry):
        gb.find_student("eve")


def test_scores_of_another_notebook_are_refused(course):
    sent = full_marks(course)
    sent["notebooks"] = {"07_tiny_cnn": sent["notebooks"][A]}
    with pytest.raises(GradingError, match="do not fit the course gradebook"):
        merge_scores(sent, course, A, "eve")


def test_reading_a_submissions_scores_back_takes_a_few_queries_however_many_tests_it_has(course):
    """The main process reads each submission's scores twice (the shard's to merge, the course's for the summary):
    one query per kind of row, not one per test for its name and another for its points (50 of a 07 submission)."""
    import nbformat

    from grader.engine.autograde import read_result, shard_scores

    sent = full_marks(course)
    merge_scores(sent, course, A, "ada")
    autograded = course / "autograded" / "ada" / A / f"{A}.ipynb"
    autograded.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), autograded)

    url = f"sqlite:///{course / 'gradebook.db'}"
    found = {}
    shard_queries = statements_of(lambda: found.update(scores=shard_scores(course, A, "ada")), url)
    result_queries = statements_of(lambda: found.update(result=read_result(course / "gradebook.db", course, A, "ada",
                                                                           messages={})), url)
    assert found["scores"] == sent
    result = found["result"]
    assert {t.name: t.score for t in result.tests} == {name: points for name, (points, _) in
                                                      sent["notebooks"][A]["grades"].items()}
    assert result.score == result.max_score == sum(t.max_score for t in result.tests) > 0
    grades = len(sent["notebooks"][A]["grades"])
    assert grades >= 6 and len(shard_queries) <= 6 and len(result_queries) <= 6, (shard_queries, result_queries)
