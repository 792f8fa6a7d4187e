"""Feedback HTML is readable offline: maths as MathML, each verdict once, wrapped hints, named tests, no empty outputs.

The class of ``conftest.graded_sequential`` (graded once with ``python -m grader grade``, which writes
feedback with the course's nbgrader settings) has a perfect student and one with a wrong ``pad2d``; the
assertions read the HTML it wrote.
The pieces (``grader.engine.feedback``) are also tested on their own.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from grader.config import assignments as course_assignments
from grader.engine.feedback import DropWidgetOutputs, maths_to_mathml, test_label
from tests.conftest import SMALL_CLASS

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02_padding_stride"  # the wrong pad2d below is this notebook's


# --- the pieces -------------------------------------------------------------------------------------


def test_formulas_become_mathml_and_code_stays_as_written():
    html = maths_to_mathml("Size $o = \\lfloor n/s \\rfloor + 1$ and\n$$p = \\frac{k-1}{2}$$\n"
                           "but `cost $5` and ```\nx = '$a$'\n``` and \\$3 stay.")
    assert html.count("<math") == 2 and 'display="block"' in html
    assert "`cost $5`" in html and "x = '$a$'" in html and "\\$3" in html
    assert "\\lfloor" not in html and "\\frac" not in html


def test_every_formula_of_every_notebook_converts():
    for assignment in course_assignments():
        nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                left = re.sub(r"`[^`]*`", "", maths_to_mathml(cell.source))
                assert not re.search(r"\$[^$\s][^$]*\\[a-z]+", left), (assignment, left[:300])


def test_every_cell_of_every_notebook_is_made_html_once_per_grading_process():
    """The course's own cells are the same on every student's page: each fits the caches' bounds (its highlighted code,
    its formulas, its markdown once they are MathML), so a class's pages make each of them once."""
    from grader.engine.feedback import CACHED_CELL, CACHED_MARKUP

    for assignment in course_assignments():
        nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        for index, cell in enumerate(nb.cells):
            assert len(cell.source) <= CACHED_CELL, (assignment, index)
            if cell.cell_type == "markdown":
                assert len(maths_to_mathml(cell.source)) <= CACHED_MARKUP, (assignment, index)


def test_a_test_cell_is_named_by_its_first_comment_line_and_grade_id():
    cell = nbformat.v4.new_code_cell("# Hidden tests: random sizes.\n### BEGIN HIDDEN TESTS\nx\n",
                                     metadata={"nbgrader": {"grade_id": "test_x_hidden"}})
    assert test_label(cell) == "Hidden tests: random sizes. (test_x_hidden)"
    bare = nbformat.v4.new_code_cell("check('t', f)\n", metadata={"nbgrader": {"grade_id": "t"}})
    assert test_label(bare) == "t"


def test_widget_views_and_empty_outputs_are_dropped_pictures_kept():
    widget = nbformat.v4.new_output("execute_result", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "1"}, "text/plain": "VBox(children=(...))"},
        execution_count=6)
    empty = nbformat.v4.new_output("display_data", data={"text/plain": "  "})
    picture = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})
    text = nbformat.v4.new_output("stream", name="stdout", text="ok\n")
    cell = nbformat.v4.new_code_cell("w", outputs=[widget, empty, picture, text])
    cell, _ = DropWidgetOutputs().preprocess_cell(cell, {}, 0)
    assert cell.outputs == [picture, text]


# --- the feedback a student gets ----------------------------------------------------------------------


# The tests below read the class graded once (conftest.graded_sequential): SMALL_CLASS keeps them on its worker.
@pytest.fixture(scope="module")
def feedback(graded_sequential) -> tuple[str, str]:
    """The feedback HTML of a perfect student (alice) and of one whose pad2d returns its input unpadded (carol)."""
    return tuple((graded_sequential / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
                 for s in ("alice", "carol"))


@pytest.mark.slow
@SMALL_CLASS
def test_feedback_shows_maths_without_mathjax_or_network(feedback):
    for html in feedback:
        assert html.count("<math") > 10
        assert not re.search(r"<script[^>]*src=", html), "no script is loaded from anywhere"
        assert "cdnjs" not in html and "\\lfloor" not in html


@pytest.mark.slow
@SMALL_CLASS
def test_feedback_has_no_script_and_forbids_any_first_in_its_head(feedback):
    """As `grader grade` writes it (tests/test_html_safety.py tries every channel of student markup)."""
    from bs4 import BeautifulSoup

    for html in feedback:
        soup = BeautifulSoup(html, "html.parser")
        first = soup.head.find(True)
        assert first.get("http-equiv") == "Content-Security-Policy" and first["content"].startswith("default-src 'none';")
        assert soup.find("script") is None


@pytest.mark.slow
@SMALL_CLASS
def test_feedback_names_each_test_in_its_table_of_contents(feedback):
    toc = re.search(r'<div id="toc">(.*?)</div>', feedback[0], re.S).group(1)
    assert "Test cell" not in toc
    names = re.findall(r'<a href="#(test_[a-z0-9_]+)">([^<]+)</a>', toc)
    assert names and all(grade_id in label and len(label) > len(grade_id) + 5 for grade_id, label in names)


@pytest.mark.slow
@SMALL_CLASS
def test_feedback_shows_each_verdict_once(feedback):
    text = re.sub(r"<[^>]+>", "", re.sub(r"<(style|script)[^>]*>.*?</\1>", "", feedback[1], flags=re.S))
    summaries = re.findall(r"pad2d: \d+ of \d+ checks passed", text)
    assert len(summaries) == 2 and len(set(summaries)) == 2, summaries  # visible and hidden test, once each
    assert "TestFailed" not in text and "Traceback" not in text


@pytest.mark.slow
@SMALL_CLASS
def test_feedback_wraps_long_lines_instead_of_cutting_them(feedback):
    css = re.findall(r"<style[^>]*>(.*?)</style>", feedback[1], re.S)
    assert any(re.search(r"div\.output_area pre[^{]*\{[^}]*white-space:\s*pre-wrap", block) for block in css)


@pytest.mark.slow
@SMALL_CLASS
def test_feedback_has_no_empty_output_for_the_widget(feedback):
    html = feedback[0]
    assert "widget-view+json" not in html and "VBox(children" not in html
    # Every Out[n] prompt left is followed by something to see.
    shown = re.findall(r'Out\[\d+\]:</div>\s*<div class="[^"]*output_subarea[^"]*">(.*?)</div>', html, re.S)
    assert all(re.sub(r"<[^>]+>", "", part).strip() or "<img" in part for part in shown), shown


def test_formgraders_grading_view_wraps_long_lines_too():
    from tests.test_html_safety import grading_view

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('x' * 500)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="hint " * 100)])])
    css = re.findall(r"<style[^>]*>(.*?)</style>", grading_view(nb), re.S)
    assert any(re.search(r"div\.output_area pre[^{]*\{[^}]*white-space:\s*pre-wrap", block) for block in css)


def test_feedback_preprocessors_take_nbconverts_settings_without_a_warning():
    """"Config option `display_data_priority` not recognized by `ClearHiddenTests`" was logged on every feedback."""
    import io
    import logging

    from nbconvert.exporters import HTMLExporter
    from nbgrader.preprocessors import ClearHiddenTests
    from traitlets.config import Config, LoggingConfigurable

    from grader.config import configure
    from grader.engine.preprocessors import ClearHiddenTestsQuietly

    settings = Config(HTMLExporter().default_config)  # NbConvertBase.display_data_priority, as feedback's exporter has it

    def warned(kind) -> str:
        """What making a ``kind`` logs, on a logger of this test's own (traitlets' shared one is any app's, as
        earlier tests left it), through a parent that lends it."""
        caught = io.StringIO()
        logger = logging.getLogger(f"cnn-course-test-{kind.__name__}")
        logger.propagate, logger.level = False, logging.WARNING
        logger.handlers = [logging.StreamHandler(caught)]
        kind(config=settings, parent=LoggingConfigurable(log=logger))
        return caught.getvalue()

    # why nbgrader's warns: the setting nbconvert gives every preprocessor is no setting of ClearHiddenTests
    assert "display_data_priority" in settings.NbConvertBase
    assert "display_data_priority" not in ClearHiddenTests.class_traits(config=True)
    assert "display_data_priority" in ClearHiddenTestsQuietly.class_traits(config=True)
    assert "not recognized" not in warned(ClearHiddenTestsQuietly)
    assert configure(Config()).GenerateFeedback.preprocessors[0] == "grader.engine.preprocessors.ClearHiddenTestsQuietly"


@pytest.mark.slow
@SMALL_CLASS
def test_a_worker_forked_after_the_warm_up_makes_only_the_students_own_cells(graded_sequential, tmp_path):
    """``grade`` forks its workers after making what every student's page of the class's assignments shares
    (``workers.warm_up``): a page made then highlights, and renders as markdown, the student's answers and nothing
    else (each worker's first page made every course cell again: 0.3-0.4 CPU-s of 07's)."""
    import shutil

    from nbgrader.converters import GenerateFeedback

    from grader.engine import feedback as pages
    from grader.engine import workers
    from grader.engine.converters import run_converter
    from grader.engine.gradebook import solution_notebook

    course = tmp_path / "course"
    shutil.copytree(graded_sequential, course)
    caches = (pages._highlighted, pages._rendered_markdown)
    for cache in caches:
        cache.cache_clear()
    workers.warm_up([ASSIGNMENT])
    before = [cache.cache_info().misses for cache in caches]
    run_converter(GenerateFeedback, course, ASSIGNMENT, "alice", force=True)
    made = [cache.cache_info().misses - earlier for cache, earlier in zip(caches, before)]
    answers = [cell for cell in nbformat.read(solution_notebook(ASSIGNMENT), as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("solution")]
    assert made == [sum(cell.cell_type == "code" for cell in answers),
                    sum(cell.cell_type == "markdown" for cell in answers)], made
    page = (course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert page == (graded_sequential / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
