"""The catalogue, through real grading: wrong code loses points with a message; independent correct code scores full.

Submission ``r`` of a notebook carries wrong implementation ``r`` of *every* graded function of
that notebook (each test cell tests one function, so a lost point is attributed to it), and one
more submission carries the independent correct implementation of every function. All are graded
by ``grader grade`` (nbgrader autograde, the judging preprocessor, hidden tests), as a class would be.
A notebook joins this test by having catalogue entries for its functions.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader import build, catalogue
from grader.autograde import read_result
from grader.cases import CASE_SETS, for_notebook
from grader.cli import main as grader_main

pytestmark = pytest.mark.slow


def submission(built: Path, assignment: str, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The student version (built from source) with each function's solution cell replaced by the given source."""
    nb = nbformat.read(built / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = sources.pop(grade_id)
    assert not sources, f"no solution cell for {sorted(sources)}"
    return nb


@pytest.mark.parametrize("assignment", build.assignments())
def test_grading_catches_every_catalogued_mistake_and_passes_correct_code(assignment, tmp_path, built_course):
    functions = sorted({s.function for s in for_notebook(assignment)})
    wrong = {f: catalogue.wrong_for(f) for f in functions}
    assert all(len(w) >= 2 for w in wrong.values()), "at least two wrong implementations per graded function"
    rounds = max(len(w) for w in wrong.values())
    folder = tmp_path / "class"
    folder.mkdir()
    used: dict[str, dict[str, catalogue.WrongImpl]] = {}
    for r in range(rounds):
        picks = {f: wrong[f][r] for f in functions if r < len(wrong[f])}
        sources = {f: (picks[f].source if f in picks else catalogue.CORRECT[f].source) for f in functions}
        used[f"wrong{r}"] = picks
        nbformat.write(submission(built_course, assignment, sources), folder / f"wrong{r}__{assignment}.ipynb")
    nbformat.write(submission(built_course, assignment, {f: catalogue.CORRECT[f].source for f in functions}),
                   folder / f"correct__{assignment}.ipynb")
    out = tmp_path / "grading"
    assert grader_main(["grade", str(folder), "--out", str(out), "--jobs", "2"]) == 0

    results = {s: read_result(out / "gradebook.db", out, assignment, s) for s in ["correct", *used]}
    correct = results["correct"]
    assert correct.score == correct.max_score > 0, [t for t in correct.tests if t.score < t.max_score]

    missed, unnamed = [], []
    for student, picks in used.items():
        for function, impl in picks.items():
            tests = [t for t in results[student].tests if CASE_SETS[t.name].function == function]
            lost = [t for t in tests if t.score < t.max_score]
            if not lost or not all(t.message for t in lost):
                missed.append(f"{function}: {impl.label}")
            elif impl.hint and not any(impl.hint in t.message for t in lost):
                unnamed.append(f"{function}: {impl.label} (expected a hint containing {impl.hint!r})")
    assert not missed, f"wrong implementations that kept all points or got no message: {missed}"
    assert not unnamed, f"wrong implementations whose mistake was not named: {unnamed}"
