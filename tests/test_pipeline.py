"""End to end: nbgrader validates and autogrades the notebooks, grader check / grade report and survive abuse.

Running every notebook top to bottom (untouched and solved) is test_bundle's, in a fresh venv with the bundle only.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.cli import main as grader_main
from tests.conftest import NOT_THEIR_OWN, SMALL_CLASS
from tests.course_copies import grade_rows, solved_notebook, with_sources

ROOT = Path(__file__).resolve().parent.parent
BUILT: Path
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True, scope="module")
def _built(built_course):
    global BUILT
    BUILT = built_course


def student(assignment):
    """The untouched student version, built from its source: a student's edits in notebooks/ do not count."""
    return BUILT / "notebooks" / assignment / f"{assignment}.ipynb"


def with_solution_cell(assignment: str, function_name: str, code: str) -> nbformat.NotebookNode:
    """The student version with the solution cell ``function_name`` replaced by ``code``."""
    return with_sources(nbformat.read(student(assignment), as_version=4), {function_name: code})


def solved(assignment: str) -> nbformat.NotebookNode:
    """The student version with every solution cell filled in from the solution notebook: a perfect student."""
    return solved_notebook(BUILT, assignment)


def run_check(path: Path, *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "check", str(path), *extra], cwd=cwd or path.parent,
                          capture_output=True, text=True, timeout=300)


def test_nbgrader_validate_reports_failing_checks_with_every_detail(tmp_path):
    """The Validate button (nbgrader's Validator) lists failing test cells with the report itself, hints included."""
    from nbgrader.validator import Validator

    nb = with_solution_cell("02_padding_stride", "conv_output_size", """
        import math
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if n < 1 or k < 1 or stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                raise ValueError(f"bad arguments: n={n}, k={k}, stride={stride}, pad={pad}, dilation={dilation}")
            return math.ceil((n + 2 * pad - dilation * (k - 1) - 1) / stride) + 1
        """)
    path = tmp_path / "02_padding_stride.ipynb"
    nbformat.write(nb, path)
    results = Validator().validate(str(path))
    failed = {re.search(r'check\("(\w+)"', cell["source"]).group(1): cell["raw_error"]
              for cell in results["failed"] if "check(" in cell["source"]}
    assert set(failed) == {f"test_{f}_visible" for f in ("conv_output_size", "pad2d", "same_padding", "receptive_field")}
    report = failed["test_conv_output_size_visible"]
    assert "this test cell scores 0 of 2 points: all its checks must pass" in report
    assert "Hint: you rounded up (ceil)" in report and "details above" not in report
    assert "File " not in report and "site-packages" not in report and "cnn_course" not in report
    assert "not implemented yet" in failed["test_pad2d_visible"]


# --- grader check ---------------------------------------------------------------------------------


def test_check_solution_full_marks_untouched_zero_file_untouched(tmp_path):
    # Every notebook's solution through `grade`: test_catalogue_notebooks; every released stub: test_catalogue.
    assignment = "02_padding_stride"
    mine = tmp_path / "somewhere" / "my copy.ipynb"
    mine.parent.mkdir()
    nbformat.write(solved(assignment), mine)
    before = hashlib.sha256(mine.read_bytes()).hexdigest()
    result = run_check(mine, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == report["max_score"] > 0
    assert set(report) == {"notebook", "score", "max_score", "tests"}
    assert all(set(t) == {"name", "score", "max_score", "message"} for t in report["tests"])
    assert hashlib.sha256(mine.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in mine.parent.iterdir()) == ["my copy.ipynb"]

    blank = run_check(student(assignment), cwd=tmp_path)
    assert blank.returncode == 0, blank.stderr
    assert blank.stdout.strip().splitlines()[-1].strip().startswith("Total: 0 /")
    assert "NotImplementedError" in blank.stdout


def test_check_table_names_the_mistake(tmp_path):
    nb = with_solution_cell("02_padding_stride", "conv_output_size", """
        import math
        def conv_output_size(n, k, stride=1, pad=0, dilation=1):
            if stride < 1 or pad < 0 or dilation < 1 or k < 1 or n < 1:
                raise ValueError("stride, pad, dilation, k and n must be positive")
            if n + 2 * pad < dilation * (k - 1) + 1:
                raise ValueError("kernel k larger than padded input")
            return math.ceil((n + 2 * pad - dilation * (k - 1) - 1) / stride) + 1
        """)
    path = tmp_path / "02_padding_stride.ipynb"
    nbformat.write(nb, path)
    result = run_check(path)
    assert result.returncode == 0
    assert "FAIL" in result.stdout and "ceil" in result.stdout
    assert "Total:" in result.stdout.splitlines()[-1]


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    ("this is not json", "not a notebook"),
    (json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])), "not one of the course's notebooks"),
    ("HUGE", "101 MB, larger than the 100 MB a submitted notebook may be"),
], ids=["missing", "not-json", "another-notebook", "huge"])  # fixed ids: every xdist worker must collect the same tests
def test_check_refuses_what_it_cannot_grade_in_one_line(tmp_path, content, words):
    path = tmp_path / "thing.ipynb"
    if content == "HUGE":
        with path.open("wb") as handle:  # sparse: nothing is written, the size is what counts
            handle.truncate(101 * 2**20)
    elif content is not None:
        path.write_text(content)
    result = run_check(path, cwd=tmp_path)
    assert result.returncode != 0
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- tampering: the verdict is not the kernel's to decide -------------------------------------------


TAMPERING = """
import numpy.testing, cnn_course.checks, cnn_course.record
numpy.testing.assert_allclose = lambda *args, **kwargs: None
cnn_course.checks.compare = lambda *args, **kwargs: None
cnn_course.checks.judge_cases = lambda cases: [None] * len(cases)
cnn_course.checks.check = lambda *args, **kwargs: None
def conv_output_size(n, k, stride=1, pad=0, dilation=1):
    return 1
"""


def test_patching_the_test_tools_in_the_kernel_earns_nothing(tmp_path):
    path = tmp_path / "cheat.ipynb"
    nbformat.write(with_solution_cell("02_padding_stride", "conv_output_size", TAMPERING), path)
    report = json.loads(run_check(path, "--json").stdout)
    scores = {t["name"]: t["score"] for t in report["tests"] if "conv_output_size" in t["name"]}
    assert scores and all(score == 0 for score in scores.values())


# --- grader grade -----------------------------------------------------------------------------------


def grades(out: Path) -> dict[str, dict]:
    return grade_rows(out)


@SMALL_CLASS
def test_grade_writes_grades_per_student_and_test_and_survives_broken_submissions(graded_sequential, capsys):
    table = grades(graded_sequential)
    assert set(table) >= {"alice", "bob", "carol"}
    assert float(table["alice"]["total"]) == float(table["alice"]["max_total"]) > 0
    assert float(table["bob"]["total"]) == 0
    assert 0 < float(table["carol"]["total"]) < float(table["carol"]["max_total"])
    assert float(table["carol"]["02_padding_stride/test_pad2d_hidden"]) == 0
    assert "02_padding_stride/test_conv_output_size_visible" in table["alice"]


@SMALL_CLASS
def test_grade_reports_each_broken_submission_by_name(graded_sequential):
    out = (graded_sequential.parent / "printed.txt").read_text()
    for name, reason in (("dave", "not a notebook"), ("erin", "not one of the course's notebooks"),
                         ("gina", "no notebook in this student's folder")):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert "NOT GRADED" in line and reason in line
    frank = next(line for line in out.splitlines() if line.startswith("frank"))
    assert "NOT GRADED: the kernel died" in frank  # reported by name, never fatal to the others
    table = grades(graded_sequential)  # and each has a row saying why
    for name, reason in (("dave", "not a notebook"), ("erin", "not one of the course's notebooks"),
                         ("gina", "no notebook"), ("frank", "the kernel died")):
        assert table[name]["status"] == "not_graded" and reason in table[name]["reason"]
    assert table["alice"]["status"] == "graded" and not table["alice"]["reason"]


@SMALL_CLASS
def test_a_linked_or_fifo_notebook_scores_nothing_is_not_kept_and_what_is_kept_is_private(graded_sequential):
    # A link to the solution or to a classmate's notebook scored full marks, and was kept as the student's own.
    printed = (graded_sequential.parent / "printed.txt").read_text()
    table = grades(graded_sequential)
    for name, reason in NOT_THEIR_OWN.items():
        assert (table[name]["status"], table[name]["reason"]) == ("not_graded", reason) and not table[name]["total"]
        assert f"NOT GRADED: {reason}" in next(line for line in printed.splitlines() if line.startswith(name))
        for step in ("submitted", "autograded", "feedback"):
            assert not (graded_sequential / step / name).exists()
    for step in ("submitted", "autograded", "feedback"):  # folders 0700, files 0600 (tests/test_submission_files.py)
        tree = graded_sequential / step
        exposed = [p for p in [tree, *tree.rglob("*")] if p.stat().st_mode & 0o077]
        assert (tree / "alice").is_dir() and not exposed, exposed
    for name in ("grades.csv", "gradebook.db"):
        assert (graded_sequential / name).stat().st_mode & 0o077 == 0, name
    from grader.permissions import warning
    expected = warning(graded_sequential, ROOT)  # this checkout's solutions/ and grader/, as this machine has them
    said = (graded_sequential.parent / "stderr.txt").read_text()
    assert f"grader grade: {expected}" in said if expected else "other accounts on this machine" not in said


@SMALL_CLASS
def test_feedback_shows_hints_but_no_hidden_source_or_tracebacks(graded_sequential):
    html = (graded_sequential / "feedback" / "carol" / "02_padding_stride" / "02_padding_stride.html").read_text()
    assert "pad2d" in html and "checks passed" in html
    for secret in ("record_hidden", "BEGIN HIDDEN", "Traceback (most recent call last)", "grader.hidden",
                   "VerdictPending", "site-packages"):
        assert secret not in html


@SMALL_CLASS
def test_parallel_grading_matches_sequential_and_times_each_phase(class_folder, graded_sequential, tmp_path):
    from grader.engine.batch import grade
    from grader.engine.phases import PHASES

    out, profile = tmp_path / "par", []
    assert grade(str(class_folder), out, jobs=2, profile=profile) == 1
    assert grades(out) == grades(graded_sequential)
    # benchmark --profile's figures come from the grading code itself: every phase a graded student goes through
    graded = {p["student"]: p["phases"] for p in profile if p["graded"]}
    assert set(graded) == {"alice", "bob", "carol"} and {p["student"] for p in profile} >= {"frank"}
    for student, phases in graded.items():
        assert set(phases) <= set(PHASES), student
        ran = {name for name, seconds in phases.items() if seconds > 0}
        # ("tables" is not among them: the grade tables are rewritten after a student only while that is cheap)
        assert ran >= {"shard", "imports", "execution", "test cells", "judging", "kernel stop",
                       "nbgrader", "feedback", "merge"}, (student, phases)
        assert ran & {"kernel start", "kernel handover"}, (student, phases)  # a kernel started, or a warm one
    import sqlite3
    with sqlite3.connect(out / "gradebook.db") as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


@SMALL_CLASS
def test_regrading_keeps_results_and_manual_grades_unless_forced(class_folder, graded_sequential, tmp_path, capsys):
    from nbgrader.api import Gradebook
    out = tmp_path / "course"  # the class's course folder, carried on: carol and alice graded already
    shutil.copytree(graded_sequential, out)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        gb.find_grade("test_pad2d_hidden", "02_padding_stride", "02_padding_stride", "carol").manual_score = 1.5
        gb.db.commit()
    zipped = tmp_path / "late.zip"  # the class again, as an LMS zip, with one late submission
    with zipfile.ZipFile(zipped, "w") as archive:
        for name in ("alice", "carol"):
            archive.write(class_folder / f"{name}__02_padding_stride.ipynb", f"{name}__02_padding_stride.ipynb")
        archive.write(class_folder / "alice__02_padding_stride.ipynb", "zed__02_padding_stride.ipynb")
    capsys.readouterr()
    assert grader_main(["grade", str(zipped), "--out", str(out)]) == 0  # zed is new; alice and carol were graded
    printed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "already graded" in printed["carol"] and "already graded" in printed["alice"]
    assert "already graded" not in printed["zed"]
    table = grades(out)
    assert float(table["zed"]["total"]) == float(table["zed"]["max_total"]) > 0
    assert float(table["carol"]["02_padding_stride/test_pad2d_hidden"]) == 1.5
    assert float(table["bob"]["total"]) == 0 and table["bob"]["status"] == "graded"  # graded in the earlier run
    (tmp_path / "carol-again").mkdir()
    shutil.copy(class_folder / "carol__02_padding_stride.ipynb", tmp_path / "carol-again")
    assert grader_main(["grade", str(tmp_path / "carol-again"), "--out", str(out), "--force"]) == 0
    carol = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("carol"))
    assert "already graded" not in carol and "graded" in carol  # regraded ...
    assert float(grades(out)["carol"]["02_padding_stride/test_pad2d_hidden"]) == 1.5  # ... keeping the manual grade
    assert float(grades(out)["alice"]["total"]) == float(grades(out)["alice"]["max_total"])


def test_grade_grades_the_submitted_tree_of_its_own_course_folder_in_place(tmp_path):
    # nbgrader's own layout, submitted/<student>/<assignment>/, inside the course folder --out (it used
    # to raise SameFileError); grading it somewhere else is the ordinary case of the class tests.
    target = tmp_path / "submitted" / "zoe" / "02_padding_stride" / "02_padding_stride.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(solved("02_padding_stride"), target)
    before = target.read_bytes()
    assert grader_main(["grade", str(tmp_path / "submitted"), "--out", str(tmp_path)]) == 0
    assert target.read_bytes() == before
    row = grades(tmp_path)["zoe"]
    assert float(row["total"]) == float(row["max_total"]) > 0 and row["status"] == "graded"


# --- submissions students really make ---------------------------------------------------------------


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def test_a_copy_pasted_answer_cell_is_graded_and_a_deleted_test_cell_comes_back(tmp_path):
    # nbgrader #1083: a duplicated graded cell makes plain autograde abort with a misleading message.
    # nbgrader #1682: without add_missing_cells a deleted test cell silently scores nothing.
    nb = solved("02_padding_stride")
    index = next(i for i, c in enumerate(nb.cells) if _grade_id(c) == "pad2d")
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
    copy.id = "pasted-copy"
    nb.cells.insert(index + 1, copy)
    nb.cells = [c for c in nb.cells if _grade_id(c) != "test_pad2d_hidden"]
    path = tmp_path / "02_padding_stride.ipynb"
    nbformat.write(nb, path)
    report = json.loads(run_check(path, "--json").stdout)
    assert "test_pad2d_hidden" in [t["name"] for t in report["tests"]]
    assert report["score"] == report["max_score"]


def test_the_grader_console_script_is_python_m_grader():
    script = Path(sys.executable).parent / "grader"
    help_texts = [subprocess.run(command + ["--help"], capture_output=True, text=True, check=True).stdout
                  for command in ([str(script)], [sys.executable, "-m", "grader"])]
    assert help_texts[0].replace("grader", "") == help_texts[1].replace("grader", "") and "check" in help_texts[0]


def test_grading_messages_name_the_real_cause(tmp_path):
    """An endless loop, a syntax error, a bare ValueError and a misplaced image: each message says what happened."""
    nb = solved("02_padding_stride")
    sources = {
        # an endless loop that waits rather than spins: the same verdict, and the CPU stays free for other tests
        "receptive_field": "def receptive_field(layers):\n    import time\n    while True:\n        time.sleep(0.05)\n",
        "same_padding": "def same_padding(k, dilation=1):\n    return dilation * (k - 1) // 2 +\n",
        "conv_output_size": textwrap.dedent("""
            def conv_output_size(n, k, stride=1, pad=0, dilation=1):
                if n < 1 or k < 1 or stride < 1 or pad < 0 or dilation < 1 or dilation * (k - 1) + 1 > n + 2 * pad:
                    raise ValueError()
                return (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1
            """),
        "pad2d": textwrap.dedent("""
            def pad2d(x, pad, value=0.0):
                ph, pw = (pad, pad) if isinstance(pad, int) else pad
                H, W = x.shape[-2:]
                out = np.full(x.shape[:-2] + (H + 2 * ph, W + 2 * pw), float(value))
                out[..., :H, :W] = x
                return out
            """),
    }
    for cell in nb.cells:
        if _grade_id(cell) in sources:
            cell.source = sources[_grade_id(cell)]
    path = tmp_path / "02_padding_stride.ipynb"
    nbformat.write(nb, path)
    result = run_check(path, "--json", "--timeout", "4")
    assert result.returncode == 0, result.stderr
    tests = {t["name"]: t for t in json.loads(result.stdout)["tests"]}
    assert all(t["score"] == 0 for t in tests.values()), "every function is wrong"
    for kind in ("visible", "hidden"):
        loop = tests[f"test_receptive_field_{kind}"]["message"]
        assert "ran longer than the time limit (4 s) and was stopped: an endless loop?" in loop
        assert "KeyboardInterrupt" not in loop
        syntax = tests[f"test_same_padding_{kind}"]["message"]
        assert "same_padding is not defined: the cell 'same_padding' stopped with SyntaxError" in syntax
        assert "never defined" in syntax
        assert "message should name the argument" in tests[f"test_conv_output_size_{kind}"]["message"]
        assert "the image must sit in the middle" in tests[f"test_pad2d_{kind}"]["message"]
        assert "all its checks must pass" in tests[f"test_pad2d_{kind}"]["message"]


@SMALL_CLASS
def test_a_submission_without_its_time_gets_the_time_of_grading_so_its_feedback_can_be_released(graded_sequential):
    """The class's notebooks are loose files (an LMS zip): no ``timestamp.txt``. nbgrader's release_feedback died
    at the first feedback folder without one, and nobody's feedback was released."""
    for student in ("alice", "bob", "carol"):
        stamp = graded_sequential / "feedback" / student / "02_padding_stride" / "timestamp.txt"
        assert stamp.is_file() and not stamp.is_symlink() and stamp.read_text().endswith(" UTC"), student
