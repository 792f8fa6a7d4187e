"""How graded notebooks look as HTML: the feedback students get and formgrader's grading view.

nbgrader renders both with nbconvert's ``HTMLExporter``; ``grader.config.configure_html`` plugs in:

- :class:`RenderMaths`: formulas become MathML when the page is made, so they show without MathJax
  and without a network (nbconvert's templates would load MathJax from a CDN;
  ``templates/base/mathjax.html.j2`` replaces that macro with nothing);
- :class:`DropWidgetOutputs`: a widget's output needs a live kernel; in a file it is an empty
  ``Out[n]:``, so it is dropped, as is any output with nothing to show;
- :class:`FeedbackExporter`: nbgrader's feedback template with readable labels in its table of
  contents (:func:`test_label`) and hint lines that wrap instead of being cut off.
"""
from __future__ import annotations

import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# Code (fenced or inline) is left alone; outside it, $$display$$ and $inline$ formulas (not \$).
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_MATHS = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.S)


def maths_to_mathml(markdown: str) -> str:
    """``markdown`` with each ``$...$``/``$$...$$`` formula replaced by MathML (a formula that does not convert stays).

    Input: a markdown cell's source. Output: the same markdown, formulas as inline ``<math>`` HTML.
    """
    from latex2mathml.converter import convert

    def one(match: re.Match) -> str:
        display = match.group(1) is not None
        tex = match.group(1) if display else match.group(2)
        try:
            mathml = convert(tex.strip(), display="block" if display else "inline")
        except Exception:  # an unknown command: show the TeX as written rather than fail the page
            return match.group(0)
        return mathml.replace("\n", " ")

    parts = _CODE.split(markdown)
    return "".join(part if i % 2 else _MATHS.sub(one, part) for i, part in enumerate(parts))


class RenderMaths(Preprocessor):
    """Markdown cells' formulas as MathML, so that pages show maths offline."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = maths_to_mathml(cell.source)
        return cell, resources


def _shows_something(output) -> bool:
    """Whether an output has anything a static page can show (a widget view cannot: it needs a kernel)."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return True
    data = output.get("data", {})
    if WIDGET_VIEW in data:
        return False
    return any(str(value).strip() for value in data.values())


class DropWidgetOutputs(Preprocessor):
    """Drop widget views and empty displays (in HTML they are an empty ``Out[n]:``)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if _shows_something(o)]
        return cell, resources


def test_label(cell) -> str:
    """A test cell's name in the feedback's table of contents: its first comment line, else its grade_id.

    Input: a graded code cell. Output: e.g. "Hidden tests: ... (test_pad2d_hidden)".
    """
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("#") and not line.lstrip("#").strip().startswith(("BEGIN", "END")):
            return f"{line.lstrip('#').strip()} ({grade_id})"
        if line:
            break
    return grade_id or "Test cell"


test_label.__test__ = False  # a filter, not a pytest test (imported by test modules)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (template ``grader/templates/cnn_feedback``), with labels and wrapping hints."""

    def default_filters(self):
        yield from super().default_filters()
        yield "test_label", test_label
