"""Generated files are fresh, clean and consistent with their sources (make notebooks)."""
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import committed_text, tracked_files

from cnn_course import record
from cnn_course.checks import compare
from cnn_course.i18n import mo_path
from grader import config
from grader.authoring import build, translate
from grader.cases import CASE_SETS, for_notebook

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = config.assignments()
#: The translated notebooks (grader/authoring/translate.py): (language, assignment).
TRANSLATED = [(language, a) for language in translate.LANGUAGES for a in translate.translated_assignments(language)]
NOTEBOOKS = [p for a in ASSIGNMENTS for p in (ROOT / "solutions" / a / f"{a}.ipynb", ROOT / "notebooks" / a / f"{a}.ipynb")] + [
    ROOT / language / folder / a / f"{a}.ipynb" for language, a in TRANSLATED for folder in ("solutions", "notebooks")]


def test_every_list_of_assignments_agrees():
    """The one list (grader.config.assignments: the sources solutions/NN/NN.py), the built notebooks, the
    notebooks' packages and their case modules (what the kernel side finds, without solutions/) name the same
    notebooks."""
    from grader.cases import CASE_SETS

    built = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name)
    assert ASSIGNMENTS, "no notebook source solutions/NN_topic/NN_topic.py found"
    assert built == ASSIGNMENTS, "a source has no built notebook (or the other way round): run `make notebooks`"
    packages = sorted(p.parent.name[2:] for p in (ROOT / "grader" / "course" / "notebooks").glob("nb*/__init__.py"))
    assert packages == ASSIGNMENTS, (
        "every notebook needs its package grader/course/notebooks/nbNN_topic/ (reference, mistakes, catalogue), "
        "and every package its source solutions/NN_topic/NN_topic.py")
    assert sorted({s.notebook for s in CASE_SETS.values()}) == ASSIGNMENTS, (
        "every notebook needs its case sets, grader/cases/nbNN_topic.py, and every case module its source")


@pytest.mark.parametrize("relative", [str(p.relative_to(ROOT)) for p in NOTEBOOKS]
                         + [f"cnn_course/fixtures/{a}.json" for a in ASSIGNMENTS]
                         + [str(mo_path(language, ROOT).relative_to(ROOT)) for language in translate.LANGUAGES])
def test_generated_files_are_fresh(built_course, relative):
    if relative.endswith(".mo"):  # compiled translations: the same messages give the same bytes
        fresh_bytes = (built_course / relative).read_bytes()
        assert (ROOT / relative).exists(), f"{relative} is missing: run `make notebooks`"
        assert fresh_bytes == (ROOT / relative).read_bytes(), f"{relative} is stale: run `make notebooks` and commit"
        return
    fresh = (built_course / relative).read_text()
    assert (ROOT / relative).exists(), f"{relative} is missing: run `make notebooks`"
    # The working file may hold a student's answers (notebooks/ is where students work): then the
    # committed version must be fresh. A maintainer who rebuilt but has not committed passes too.
    kept = [text for text in ((ROOT / relative).read_text(), committed_text(relative)) if text is not None]
    if relative.endswith(".json"):  # fixtures: numbers from BLAS may differ in their last bits (see below)
        problems = [fixture_difference(json.loads(fresh), json.loads(text)) for text in kept]
        assert None in problems, f"{relative} is stale ({problems[-1]}): run `make notebooks` and commit"
    else:
        assert fresh in kept, f"{relative} is stale: run `make notebooks` and commit"


def fixture_difference(fresh, kept, where: str = "") -> str | None:
    """Where two fixture files differ, or None when they agree up to what grading can tell apart.

    Expected outcomes are computed by the references, whose matrix products go through BLAS. OpenBLAS
    picks its kernels by processor (and by ``OPENBLAS_CORETYPE``), so the same build gives floats that
    differ in their last bits from machine to machine. Committing either result would fail on the other
    machines. So floats are compared as grading compares a student's answer to them
    (``cnn_course.checks.compare``: relative 1e-9): a fixture that differs by less changes no verdict.
    Everything else (notes, hints, integers, shapes, dtypes, errors) must be identical.
    """
    if isinstance(fresh, dict) and isinstance(kept, dict) and ({"__ndarray__", "__float__"} & fresh.keys()):
        if fresh.keys() != kept.keys():
            return f"{where}: {sorted(kept)} where the build makes {sorted(fresh)}"
        made, held = record.decode(fresh), record.decode(kept)
        if isinstance(made, np.ndarray) and made.dtype != held.dtype:
            return f"{where}: dtype {held.dtype} where the build makes {made.dtype}"
        return compare(held, made, where or "the file")
    if isinstance(fresh, dict) and isinstance(kept, dict):
        if fresh.keys() != kept.keys():
            return f"{where}: keys {sorted(kept)} where the build makes {sorted(fresh)}"
        return next(filter(None, (fixture_difference(fresh[k], kept[k], f"{where}/{k}") for k in fresh)), None)
    if isinstance(fresh, list) and isinstance(kept, list):
        if len(fresh) != len(kept):
            return f"{where}: {len(kept)} items where the build makes {len(fresh)}"
        return next(filter(None, (fixture_difference(f, k, f"{where}/{i}") for i, (f, k) in enumerate(zip(fresh, kept)))),
                    None)
    return None if fresh == kept and type(fresh) is type(kept) else f"{where}: {kept!r:.80} where the build makes {fresh!r:.80}"


def test_fixture_comparison_forgives_blas_last_bits_and_nothing_else():
    """The freshness check of fixtures must still fail on any real change."""
    fixture = json.loads((ROOT / "cnn_course" / "fixtures" / "07_tiny_cnn.json").read_text())
    assert fixture_difference(fixture, fixture) is None

    def changed(change) -> dict:
        copy = json.loads(json.dumps(fixture))
        case = next(iter(copy["case_sets"].values()))["cases"][0]
        change(case)
        return copy

    def scaled(factor):
        def change(case):
            value = record.decode(case["expected"]["value"])
            case["expected"]["value"] = record.encode(value * factor)
        return change

    assert fixture_difference(fixture, changed(scaled(1 + 4e-16))) is None  # a few ulps: BLAS
    assert fixture_difference(fixture, changed(scaled(1 + 1e-6))) is not None
    assert fixture_difference(fixture, changed(lambda c: c.update(note=c["note"] + "!"))) is not None
    assert fixture_difference(fixture, changed(lambda c: c["expected"].update(
        value=record.encode(record.decode(c["expected"]["value"]).astype(np.float32))))) is not None
    assert fixture_difference(fixture, changed(lambda c: c["expected"].update(
        value=record.encode(record.decode(c["expected"]["value"])[:1])))) is not None
    assert fixture_difference(fixture, changed(lambda c: c["variants"].pop())) is not None


def _shipped(folder: str, root: Path = ROOT) -> set[Path]:
    """The files the repository ships under ``folder``: what git tracks (a student's copies are not)."""
    tracked = tracked_files(folder) if root == ROOT else None
    if tracked is not None:
        return {p for p in tracked if (root / p).is_file() or committed_text(str(p)) is not None}
    return {p.relative_to(root) for p in (root / folder).rglob("*") if p.is_file()
            and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}


def test_no_stray_generated_files(built_course):
    for folder in ("notebooks", "cnn_course/fixtures", *translate.LANGUAGES):
        fresh = {p.relative_to(built_course) for p in (built_course / folder).rglob("*") if p.is_file()}
        shipped = _shipped(folder)
        untracked = sorted(map(str, fresh - shipped))
        assert not untracked, f"the build makes files git does not track: `git add {' '.join(untracked)}`"
        stray = sorted(map(str, shipped - fresh))
        assert not stray, f"git tracks files the build no longer makes (a renamed or removed notebook?): `git rm {' '.join(stray)}`"


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
    assert sorted(p.name for p in _shipped(f"notebooks/{assignment}")) == [f"{assignment}.ipynb"]


def _source(tmp_path, text):
    path = tmp_path / "nb.py"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, words", [
    ('# %% answer grade_id="a"\nx = 1\n', "unknown cell kind 'answer'"),
    ('# %% tests grade_id="a"\nx = 1\n', "needs points=P"),
    ('# %% tests grade_id="a" points=0\nx = 1\n', "needs points=P with P > 0"),  # a cell that can score nothing
    ('# %% tests grade_id="a" points=-2\nx = 1\n', "needs points=P with P > 0"),
    ('# %% tests grade_id="a" points="2"\nx = 1\n', "needs points=P with P > 0"),
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
def test_points_follow_the_all_or_nothing_rule_and_the_notebook_states_it(assignment):
    """Visible test cells are worth 2 points, hidden ones 3 (docs/course-spec.md); the notebook says a cell scores all or none."""
    from cnn_course.checks import POINTS

    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            kind = "visible" if CASE_SETS[meta["grade_id"]].visible else "hidden"
            assert meta["points"] == POINTS[kind], f"{meta['grade_id']}: a {kind} test cell is worth {POINTS[kind]} points"
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").replace("\n#", " ").replace("\n", " ")
    assert "all of its points or none" in " ".join(prose.replace("*", "").split()), \
        "state the scoring rule where the points are announced: a test cell scores all of its points or none"


@pytest.mark.slow
def test_a_students_copy_in_notebooks_does_not_break_the_tests(tmp_path):
    """JupyterLab's "Duplicate" leaves NN_topic-Copy1.ipynb beside the notebook: the build tests still pass."""
    import shutil
    import subprocess
    import sys

    clone = tmp_path / "clone"
    for relative in subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                   check=True).stdout.splitlines():
        if (ROOT / relative).is_file():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, clone / relative)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=clone, check=True)
    subprocess.run(git + ["add", "-A"], cwd=clone, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "course"], cwd=clone, check=True)
    for assignment in ASSIGNMENTS:
        folder = clone / "notebooks" / assignment
        shutil.copy(folder / f"{assignment}.ipynb", folder / f"{assignment}-Copy1.ipynb")
        (folder / ".ipynb_checkpoints").mkdir()
        shutil.copy(folder / f"{assignment}.ipynb", folder / ".ipynb_checkpoints" / f"{assignment}-checkpoint.ipynb")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("PYTEST_XDIST")}
    env["PYTHONPATH"] = str(clone)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                             "tests/test_build.py", "-k", "not a_students_copy"], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


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
    """Each stub defines its function exactly as grader.course.reference does (names and defaults are fixed by the spec)."""
    import ast

    from grader.course import reference

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


def _rendered_prose(source: str) -> str:
    """A markdown cell as a reader sees it: maths and code left out, emphasis applied, tags removed."""
    from markdown_it import MarkdownIt

    # JupyterLab sets maths aside before rendering markdown: a placeholder word keeps `**$F$ maps**` bold
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", "MATH", source, flags=re.S)
    html = MarkdownIt("commonmark").render(text)
    html = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


#: How a text points at the notes the course grew from (a random seed is fine: `seed=0`, "the seed slider").
NOTES_NEVER_SEEN = r"\bseed notes?\b|\bthe seed's\b|\bseed's (example|notes?)\b|\bthe notes\b"


@pytest.mark.parametrize("assignment", ASSIGNMENTS + [f"{language}/{a}" for language, a in TRANSLATED])
def test_prose_stands_on_its_own_and_renders_cleanly(assignment):
    """No reference to notes students never saw; no `*` left over by broken emphasis (`*…2*2了*` showed "22了*")."""
    language, _, assignment = assignment.rpartition("/")
    nb = nbformat.read(ROOT / language / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        assert not re.search(NOTES_NEVER_SEEN, cell.source, re.I), f"{cell.id}: speaks of notes students never saw"
        if cell.cell_type == "markdown":
            stray = [line for line in _rendered_prose(cell.source).splitlines() if "*" in line]
            assert not stray, f"{cell.id}: a `*` survives rendering (use × or $2 \\times 2$): {stray}"
    from grader.course import mistakes

    for case_set in for_notebook(assignment):
        words = [case.note for case in case_set.cases()] + [hint for hint, _ in mistakes.variants_for(case_set.function)]
        assert not [w for w in words if re.search(NOTES_NEVER_SEEN, w, re.I)]
