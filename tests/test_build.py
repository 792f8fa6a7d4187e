"""Generated files are fresh, clean and consistent with their sources (make notebooks)."""
import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import committed_text

from grader import build
from grader.cases import CASE_SETS, for_notebook

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = build.assignments()
NOTEBOOKS = [p for a in ASSIGNMENTS for p in (ROOT / "solutions" / a / f"{a}.ipynb", ROOT / "notebooks" / a / f"{a}.ipynb")]


def test_there_are_notebooks():
    assert "02_padding_stride" in ASSIGNMENTS


@pytest.mark.parametrize("relative", [str(p.relative_to(ROOT)) for p in NOTEBOOKS]
                         + [f"cnn_course/fixtures/{a}.json" for a in ASSIGNMENTS])
def test_generated_files_are_fresh(built_course, relative):
    fresh = (built_course / relative).read_text()
    assert (ROOT / relative).exists(), f"{relative} is missing: run `make notebooks`"
    # The working file may hold a student's answers (notebooks/ is where students work): then the
    # committed version must be fresh. A maintainer who rebuilt but has not committed passes too.
    assert fresh in ((ROOT / relative).read_text(), committed_text(relative)), \
        f"{relative} is stale: run `make notebooks` and commit"


def test_no_stray_generated_files(built_course):
    for folder in ("notebooks", "cnn_course/fixtures"):
        committed = {p.relative_to(ROOT) for p in (ROOT / folder).rglob("*") if p.is_file()
                     and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
        fresh = {p.relative_to(built_course) for p in (built_course / folder).rglob("*") if p.is_file()}
        assert committed == fresh, "notebooks/ or fixtures hold files the build does not make"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_notebooks_have_no_outputs(path):
    text = committed_text(str(path.relative_to(ROOT))) or path.read_text()
    for cell in nbformat.reads(text, as_version=4).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: cell {cell.id} has outputs"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_unique_graded_cells_have_points_tests_have_cases(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    meta = [c.metadata.get("nbgrader") for c in nb.cells if "nbgrader" in c.metadata]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids))
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all(c.metadata.nbgrader["points"] > 0 for c in tests)
    for cell in tests:
        grade_id = cell.metadata.nbgrader["grade_id"]
        calls = re.findall(r"(?:check|record_hidden)\(\s*[\"']([^\"']+)[\"']", cell.source)
        assert calls == [grade_id], f"test cell {grade_id} must record its own case set, once"
        assert CASE_SETS[grade_id].notebook == assignment
        assert CASE_SETS[grade_id].visible == ("record_hidden" not in cell.source)
    assert {s.id for s in for_notebook(assignment)} == {c.metadata.nbgrader["grade_id"] for c in tests}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_has_stubs_and_no_solutions_or_hidden_tests(assignment):
    relative = f"notebooks/{assignment}/{assignment}.ipynb"
    text = committed_text(relative) or (ROOT / relative).read_text()  # what is released, not a student's copy
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "record_hidden", "from grader"):
        assert secret not in text
    assert "raise NotImplementedError()" in text
    assert sorted(p.name for p in (ROOT / "notebooks" / assignment).iterdir()
                  if p.name != ".ipynb_checkpoints") == [f"{assignment}.ipynb"]


def _source(tmp_path, text):
    path = tmp_path / "nb.py"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, words", [
    ('# %% answer grade_id="a"\nx = 1\n', "unknown cell kind 'answer'"),
    ('# %% tests grade_id="a"\nx = 1\n', "needs points=P"),
    ('# %% solution\nx = 1\n', 'needs grade_id'),
    ('# %% readonly grade_id="a"\nx = 1\n\n# %% readonly grade_id="a"\ny = 1\n', "used twice"),
    ('# %% grade_id="a"\nx = 1\n', "no cell kind"),
])
def test_authoring_mistakes_are_named(tmp_path, text, words):
    with pytest.raises(build.BuildError, match=re.escape(words)):
        build.notebook_from_source(_source(tmp_path, text))


def test_cells_get_nbgrader_metadata_and_stable_ids(tmp_path):
    path = _source(tmp_path, '# %% [markdown]\n# hi\n\n# %% tests grade_id="t" points=2\nassert 1\n')
    nb = build.notebook_from_source(path)
    assert [c.id for c in nb.cells] == ["markdown-0", "t"]
    assert nb.cells[1].metadata.nbgrader == {"grade": True, "solution": False, "locked": True, "grade_id": "t",
                                             "points": 2, "schema_version": 3, "task": False}
    assert build.notebook_from_source(path) == nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_fixtures_hold_only_visible_sets(assignment):
    fixture = json.loads((ROOT / "cnn_course" / "fixtures" / f"{assignment}.json").read_text())
    assert set(fixture["case_sets"]) == {s.id for s in for_notebook(assignment) if s.visible}


def _parameters(function) -> list[tuple[str, object]]:
    """Names and defaults of a function's parameters (annotations ignored)."""
    import inspect
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_stubs_have_the_spec_signatures(assignment, built_course):
    """Each stub defines its function exactly as grader.reference does (names and defaults are fixed by the spec)."""
    import ast

    from grader import reference

    nb = nbformat.read(built_course / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs
    for cell in stubs:
        name = cell.metadata.nbgrader["grade_id"]
        defs = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        assert [d.name for d in defs] == [name]
        namespace = {}
        exec(compile(ast.Module(body=defs, type_ignores=[]), "<stub>", "exec"), namespace)
        assert _parameters(namespace[name]) == _parameters(getattr(reference, name))
