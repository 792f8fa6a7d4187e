"""``python -m grader report``: the class report, on the small class of ``tests/conftest.py`` and one more student."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.course import mistakes
from tests.conftest import NOT_THEIR_OWN, SMALL_CLASS, WRONG_PAD2D
from tests.course_copies import solved_notebook, with_sources

ASSIGNMENT = "02_padding_stride"

#: heidi's pad2d: rows padded with zeros, only the columns with ``value`` (a mistake the catalogue lacks);
#: her receptive_field never returns (stopped at the time limit).
HEIDI_PAD2D = '''def pad2d(x, pad, value=0.0):
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    if ph < 0 or pw < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    lead = [(0, 0)] * (np.ndim(x) - 2)
    rows = np.pad(np.asarray(x, dtype=np.float64), lead + [(ph, ph), (0, 0)])
    return np.pad(rows, lead + [(0, 0), (pw, pw)], constant_values=value)
'''
HEIDI_RECEPTIVE_FIELD = "def receptive_field(layers):\n    while True:\n        pass\n"


def named(source: str, function: str = "pad2d", kinds: bool = False) -> list[str]:
    """The hints and diagnosis the hidden verdict gives ``source`` (judged in this process), as the report names them."""
    from grader.course.catalogue import Impl
    from grader.instructor.report import verdict_mistakes
    from tests.diagnosis_helpers import hidden_verdict

    found = verdict_mistakes(hidden_verdict(function, Impl(function, source).compiled).lines)
    return [kind if kinds else text for kind, text in found]


def run(*argv: str) -> tuple[int, str]:
    from grader.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def first_report(graded_sequential, tmp_path_factory) -> dict:
    """``report --json`` of the small class right after its ``grade`` (which says who was not graded, and why)."""
    out = tmp_path_factory.mktemp("report-first") / "course"
    shutil.copytree(graded_sequential, out)
    code, printed = run("report", str(out), "--json")
    assert code == 0
    return json.loads(printed)


@pytest.fixture(scope="module")
def reported(graded_sequential, built_course, tmp_path_factory) -> Path:
    """The small class's course folder with heidi graded into it by a second ``grade`` (the others are kept)."""
    out = tmp_path_factory.mktemp("report") / "course"
    shutil.copytree(graded_sequential, out)
    late = out.parent / "late"
    late.mkdir()
    nbformat.write(with_sources(solved_notebook(built_course, ASSIGNMENT),
                                {"pad2d": HEIDI_PAD2D, "receptive_field": HEIDI_RECEPTIVE_FIELD}),
                   late / f"heidi__{ASSIGNMENT}.ipynb")
    assert run("grade", str(late), "--out", str(out), "--timeout", "4")[0] == 0
    return out


@pytest.mark.slow
@SMALL_CLASS
def test_report_json_names_who_was_not_graded_and_why(first_report):
    assert list(first_report) == ["assignments"] and list(first_report["assignments"]) == [ASSIGNMENT]
    data = first_report["assignments"][ASSIGNMENT]
    assert list(data) == ["students", "graded", "not_graded", "missing", "mean", "max_score", "scores", "late",
                          "timeouts", "replaced", "tests"]
    assert data["missing"] == [] and data["late"] == {}  # no roll here: the students are the submitters
    not_graded = {"dave", "erin", "frank", "gina"} | set(NOT_THEIR_OWN)
    assert (data["students"], data["graded"]) == (12, 3)
    assert set(data["not_graded"]) == not_graded
    for student, reason in NOT_THEIR_OWN.items():
        assert data["not_graded"][student] == reason
    assert "the kernel died" in data["not_graded"]["frank"] and "not a notebook" in data["not_graded"]["dave"]
    assert data["tests"]["test_pad2d_hidden"] == {"passed": 1, "failed": 2,
                                                  "mistakes": {text: ["carol"] for text in named(WRONG_PAD2D)}}


@pytest.mark.slow
@SMALL_CLASS
def test_report_json_counts_and_names_exactly(reported):
    code, printed = run("report", str(reported), "--json")
    assert code == 0
    report = json.loads(printed)["assignments"]
    assert list(report) == [ASSIGNMENT]
    data = report[ASSIGNMENT]
    graded = {"alice", "bob", "carol", "heidi"}
    assert (data["students"], data["graded"], data["not_graded"]) == (4, 4, {})  # the second grade saw heidi only
    assert data["max_score"] == 20
    pad = data["tests"]["test_pad2d_hidden"]
    assert (pad["passed"], pad["failed"]) == (1, 3)  # alice; bob (blank), carol, heidi
    heidi = "zeros where the right answer is not (values left out)"  # no pair of features is claimed
    assert named(HEIDI_PAD2D) == [heidi]  # a diagnosis alone: no catalogued mistake explains any of her cases
    assert any(kind == "hint" for kind in named(WRONG_PAD2D, kinds=True))  # carol's: hints of the catalogue
    assert pad["mistakes"] == {**{text: ["carol"] for text in named(WRONG_PAD2D)}, heidi: ["heidi"]}
    assert data["tests"]["test_receptive_field_hidden"]["passed"] == 2  # alice and carol
    assert data["tests"]["test_conv_output_size_hidden"] == {"passed": 3, "failed": 1, "mistakes": {}}  # bob's is blank
    scores = _scores(reported)
    assert set(scores) == graded and scores["alice"] == 20
    assert data["mean"] == pytest.approx(sum(scores.values()) / 4, abs=1e-3)


def _stopped_cells(path: Path) -> list[str]:
    """The cells of an autograded notebook stopped at the time limit: tests by their verdict, others by their error."""
    stopped = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and ("ran longer than the time limit" in output.get("evalue", "")
                                                         or output.get("ename") in ("KeyboardInterrupt",
                                                                                    "CellTimeoutError")):
                stopped.append(name)
                break
    return stopped


def _scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(ASSIGNMENT)}


@pytest.mark.slow
@SMALL_CLASS
def test_report_page_csv_and_summary(reported):
    code, printed = run("report", str(reported))
    assert code == 0
    assert printed.startswith(f"{ASSIGNMENT}: 4 students, 4 graded, 0 NOT GRADED")
    stopped = _stopped_cells(reported / "autograded" / "heidi" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert {"test_receptive_field_visible", "test_receptive_field_hidden"} <= set(stopped)
    assert f"{len(stopped)} time-out(s)" in printed
    page = (reported / "report.html").read_text()
    mathml = 'xmlns="http://www.w3.org/1998/Math/MathML"'  # a namespace's name, nothing fetched
    assert page.count("src='data:image/png;base64,") == 2 and "http" not in page.replace("http-equiv", "").replace(mathml, "")
    assert all(f"<li>heidi: {cell}</li>" in page for cell in stopped)
    with open(reported / "mistakes.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student_id"], r["mistake"]) for r in rows if r["test"] == "test_pad2d_hidden"] == \
        [("carol", text) for text in named(WRONG_PAD2D)] + [("heidi", named(HEIDI_PAD2D)[0])]


@pytest.mark.slow
@SMALL_CLASS
def test_report_on_a_gradebook_autograde_filled(reported, tmp_path):
    """Formgrader's Autograde leaves a gradebook and autograded notebooks, no grades.csv: the report reads those."""
    course = tmp_path / "course"
    shutil.copytree(reported, course)
    (course / "grades.csv").unlink()
    data = json.loads(run("report", str(course), "--json")[1])["assignments"][ASSIGNMENT]
    assert (data["students"], data["graded"], data["not_graded"]) == (4, 4, {})
    assert data["tests"]["test_pad2d_hidden"]["mistakes"] == {**{text: ["carol"] for text in named(WRONG_PAD2D)},
                                                              named(HEIDI_PAD2D)[0]: ["heidi"]}


@pytest.mark.slow
@SMALL_CLASS
def test_report_opens_offline_in_chromium_with_its_charts_and_links(reported):
    from tests.lab_server import browser_or_skip, chromium_page

    run("report", str(reported))
    with chromium_page(browser_or_skip()) as page:
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
                   else route.continue_())
        page.goto((reported / "report.html").as_uri())
        widths = page.eval_on_selector_all("img.chart", "images => images.map(i => i.naturalWidth)")
        assert len(widths) == 2 and all(w > 100 for w in widths)
        link = page.locator("a[href^='#teach-']").first
        target = link.get_attribute("href")
        link.click()
        assert page.evaluate("location.hash") == target
        assert page.locator(target.replace("#", "#", 1)).is_visible()
        assert page.errors == []


def test_a_hint_is_a_mistake_only_where_the_grader_writes_one():
    from grader.instructor.report import verdict_mistakes

    lines = ["pad2d: 1 of 3 checks passed",
             "  where it goes wrong: wrong whenever pad > 0, right otherwise",
             "  FAIL  a case\n        raised ValueError: x. Hint: you were hacked",
             f"  FAIL  another\n        the result differs. Hint: {mistakes.PAD_IGNORED}",
             "  FAIL  forged\n        raised ValueError: \n  where it goes wrong: forged"]
    assert verdict_mistakes(lines) == [("diagnosis", "wrong whenever pad > 0, right otherwise"),
                                       ("hint", mistakes.PAD_IGNORED)]


def test_report_names_a_missing_gradebook(tmp_path):
    code, _ = run("report", str(tmp_path))
    assert code == 2


def test_student_strings_are_escaped_in_the_page_and_defused_in_the_csv(tmp_path):
    from grader.instructor.report import Assignment, Student, write_csv, write_html

    hostile = "<script>alert(1)</script>"
    student = Student("=HYPERLINK(\"http://x\")", score=1.0, passed={"test_pad2d_hidden": False},
                      mistakes={"test_pad2d_hidden": [("hint", mistakes.PAD_IGNORED), ("diagnosis", hostile)]},
                      timeouts=[hostile])
    absent = Student("<img src=x onerror=alert(1)>", graded=False, reason=hostile)
    assignment = Assignment(ASSIGNMENT, 20.0, ["test_pad2d_hidden"], {s.id: s for s in (student, absent)})
    page = write_html([assignment], tmp_path / "report.html").read_text()
    assert "<script" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    with open(write_csv([assignment], tmp_path / "mistakes.csv"), newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(\"http://x\")"] * 2


def test_a_mistake_is_one_row_per_function_with_its_visible_and_hidden_tests_merged():
    """Each mistake was listed twice, once for the visible test and once for the hidden one."""
    from grader.instructor.report import Assignment, Student, mistakes_by_function

    assignment = Assignment("02_padding_stride", 20, ["test_pad2d_visible", "test_pad2d_hidden", "test_conv2d_hidden"])
    both = {"test_pad2d_visible": [("hint", "padding ignored")], "test_pad2d_hidden": [("hint", "padding ignored")]}
    assignment.students = {"bob": Student("bob", mistakes=both),
                           "carol": Student("carol", mistakes={"test_pad2d_hidden": [("hint", "padding ignored")],
                                                               "test_conv2d_hidden": [("hint", "padding ignored")]})}
    assert mistakes_by_function(assignment) == [
        ("pad2d", ["test_pad2d_visible", "test_pad2d_hidden"], "hint", "padding ignored", ["bob", "carol"]),
        ("conv2d", ["test_conv2d_hidden"], "hint", "padding ignored", ["carol"])]


def test_the_teaching_excerpt_is_rendered_with_its_maths_and_cut_at_a_paragraph():
    """The "taught in" excerpts were raw markdown and LaTeX, cut off mid-formula."""
    from grader.instructor.report import EXCERPT_CHARACTERS, excerpt_html, teaching_section

    for assignment, function in (("02_padding_stride", "conv_output_size"), ("05_backprop", "numerical_gradient")):
        heading, text = teaching_section(assignment, function)
        assert len(text) <= EXCERPT_CHARACTERS or "\n\n" not in text
        assert text.count("$") % 2 == 0, "a formula cut in two"
        rendered = excerpt_html(text)
        assert "<math" in rendered and "$" not in rendered and "<script" not in rendered, rendered[:300]
