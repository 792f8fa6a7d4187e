"""Every notebook through real grading: the solution scores full marks, wrong code loses points with its hint.

One class is graded once, by ``grader grade --jobs 2`` (nbgrader autograde in the sandbox, the judging
preprocessor, hidden tests), as an instructor grades: for each notebook, student ``solved`` hands in
the student version with the solution's answers, and ``wrong`` the first wrong implementation of
*every* graded function from the catalogue (each test cell tests one function, so a lost point is
attributed to it). test_catalogue.py judges every other wrong implementation, the independent correct
ones and the released stubs against the same test cells in-process; the untouched student version of
02 scores zero through real grading in test_pipeline and test_instructor_lab.
A notebook joins this test by existing (and having catalogue entries for its functions).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader import config
from grader.cases import CASE_SETS, for_notebook
from grader.cli import main as grader_main
from grader.course import catalogue
from grader.engine.autograde import read_result
from tests.course_copies import solved_notebook, with_sources

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course-class")]
ASSIGNMENTS = config.assignments()
#: A notebook, a graded function with a bug, and those of its graded functions that call it.
UPSTREAM = ("07_tiny_cnn", "relu", {"tiny_cnn_forward": "tiny_cnn_forward calls your relu",
                                    "train_tiny_cnn": "train_tiny_cnn calls your tiny_cnn_forward"})


def submission(built: Path, assignment: str, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The student version (built from source) with each function's solution cell replaced by the given source."""
    return with_sources(nbformat.read(built / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4), sources)


def functions_of(assignment: str) -> list[str]:
    return sorted({s.function for s in for_notebook(assignment)})


@pytest.fixture(scope="module")
def graded(tmp_path_factory, built_course) -> Path:
    """The course folder of the class graded once; every notebook has a solved and a wrong submission."""
    folder = tmp_path_factory.mktemp("class")
    for assignment in ASSIGNMENTS:
        nbformat.write(solved_notebook(built_course, assignment), folder / f"solved__{assignment}.ipynb")
        wrong = {f: catalogue.wrong_for(f)[0].source for f in functions_of(assignment)}
        nbformat.write(submission(built_course, assignment, wrong), folder / f"wrong__{assignment}.ipynb")
    # everything right but the ReLU, which tiny_cnn_forward (and through it train_tiny_cnn) calls
    nbformat.write(with_sources(solved_notebook(built_course, UPSTREAM[0]), {"relu": catalogue.wrong_for("relu")[0].source}),
                   folder / f"upstream__{UPSTREAM[0]}.ipynb")
    out = tmp_path_factory.mktemp("grading")
    assert grader_main(["grade", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_scores_full_marks(assignment, graded):
    solved = read_result(graded / "gradebook.db", graded, assignment, "solved")
    assert solved.score == solved.max_score > 0, [t for t in solved.tests if t.score < t.max_score]
    assert {t.name for t in solved.tests} == {s.id for s in for_notebook(assignment)}  # every test cell counted


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grading_catches_a_wrong_implementation_of_every_function_and_names_it(assignment, graded):
    wrong = read_result(graded / "gradebook.db", graded, assignment, "wrong")
    missed, unnamed = [], []
    for function in functions_of(assignment):
        impl = catalogue.wrong_for(function)[0]
        tests = [t for t in wrong.tests if CASE_SETS[t.name].function == function]
        lost = [t for t in tests if t.score < t.max_score]
        if not lost or not all(t.message for t in lost):
            missed.append(f"{function}: {impl.label}")
        elif impl.hint and not any(impl.hint in t.message for t in lost):
            unnamed.append(f"{function}: {impl.label} (expected a hint containing {impl.hint!r})")
    assert not missed, f"wrong implementations that kept all points or got no message: {missed}"
    assert not unnamed, f"wrong implementations whose mistake was not named: {unnamed}"


def test_a_bug_is_named_as_the_first_fix_in_the_tests_of_the_functions_that_call_it(graded):
    """One bug costs points in the tests it breaks; each of those says which function to fix first."""
    assignment, buggy, callers = UPSTREAM
    result = read_result(graded / "gradebook.db", graded, assignment, "upstream")
    lost = {CASE_SETS[t.name].function: t.message for t in result.tests if t.score < t.max_score}
    assert buggy in lost and "first:" not in lost[buggy]
    for caller, named in callers.items():
        if caller in lost:  # the forward pass always breaks; training may still reach its accuracy
            assert f"first: {named}, which fails its own test: fix" in lost[caller], lost[caller]
    assert "tiny_cnn_forward" in lost
    assert set(lost) <= {buggy, *callers}  # nothing that does not call it
