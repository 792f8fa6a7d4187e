"""How graded notebooks look as HTML: the feedback students get and formgrader's grading view.

nbgrader renders both with nbconvert's ``HTMLExporter``; ``grader.config.configure_html`` plugs in:

- :class:`RenderMaths`: formulas become MathML when the page is made, so they show without MathJax
  and without a network (nbconvert's templates would load MathJax from a CDN;
  ``templates/base/mathjax.html.j2`` replaces that macro with nothing);
- :class:`DropWidgetOutputs`: a widget's output needs a live kernel; in a file it is an empty
  ``Out[n]:``, so it is dropped, as is any output with nothing to show;
- :class:`FeedbackExporter`: nbgrader's feedback template with readable labels in its table of
  contents (:func:`test_label`) and hint lines that wrap instead of being cut off;
- :class:`DisarmStudentContent` (last): everything the student controls becomes inert before any
  template sees it, since nbgrader's and nbconvert's templates pass HTML, markdown, JavaScript and
  metadata through as they are (a ``<img onerror>`` in a markdown cell ran in formgrader's page and
  rewrote grades through its API). What is kept and how: :func:`clean_html`, :func:`inert_html`.

The sanitizer is nh3 (Python bindings of ammonia, a Rust HTML sanitizer built on html5ever, Servo's
parser that follows the HTML standard, so it reads markup as browsers do, MathML and SVG included):
it is maintained and fast, keeps MathML when told its tags, and filters URLs per attribute. bleach,
which nbconvert's own ``sanitize_html`` option uses, is deprecated, and that option's allowlist drops
MathML and keeps ``id`` and ``class`` attributes (an ``id`` lets markup overwrite the page's own
script variables). Pages also carry a Content-Security-Policy (``templates/``,
``grader/formgrader_csp.py``) in case anything got through.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import html
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import BytecodeCache
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.preprocessors import Preprocessor

from cnn_course.i18n import notebook_language, speaking, tr

from .. import translations
from .student_files import CELL_ID

translations.install()  # the grader's own words in the notebook's language

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: The fonts of the course's pages (feedback, the grading view, the class report), one CSS rule: Latin ones, then
#: each system's usual Chinese ones (a Chinese notebook's text), then the generic family. The templates include it.
PAGE_FONTS = (TEMPLATES / "base" / "page_fonts.css").read_text()
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: A cell up to this many characters is made HTML once per grading process (its formulas, its highlighted code, its
#: markdown: 30 ms and more of each page, pygments over half of it): every student's page shows the course's own cells,
#: unchanged (its longest has 5,800 characters; 184 code cells in all). Each cache keeps 256: at most about 50 MB,
#: whatever students hand in (a page of one-character tokens, each highlighted in a span of its own).
CACHED_CELL = 8_000
#: The same for a markdown cell once its formulas are MathML (RenderMaths), which makes it 2-4 times as long (the
#: course's longest: 11,200 characters).
CACHED_MARKUP = 3 * CACHED_CELL

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


@lru_cache(maxsize=256)
def _remembered_mathml(markdown: str) -> str:
    return maths_to_mathml(markdown)


class RenderMaths(Preprocessor):
    """Markdown cells' formulas as MathML, so that pages show maths offline (a course's cell converted once per
    process: :data:`CACHED_CELL`)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            source = cell.source
            cell.source = (_remembered_mathml(source) if isinstance(source, str) and len(source) <= CACHED_CELL
                           else maths_to_mathml(source))
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
    comment = test_comment(cell)
    if comment:
        return f"{tr(comment)} ({grade_id})"
    return grade_id or tr("Test cell")


def test_comment(cell) -> str | None:
    """The comment a test cell starts with (its label, untranslated), or None."""
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("#") and not line.lstrip("#").strip().startswith(("BEGIN", "END")):
            return line.lstrip("#").strip()
        if line:
            break
    return None


def say(text: str, **values) -> str:
    """A page's phrase in the notebook's language, its ``{placeholders}`` filled (the templates' filter ``say``)."""
    return tr(text).format(**values)


test_label.__test__ = False  # a filter, not a pytest test (imported by test modules)
test_comment.__test__ = False


#: The feedback page's Content-Security-Policy: it runs no script and loads nothing (styles and pictures are inline).
FEEDBACK_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'"


def with_feedback_policy(head: str) -> str:
    """The feedback page's header (``<!DOCTYPE html>...</head>``) with the policy first in ``<head>`` and no script.

    The only script there is the MathJax stand-in formgrader's grading view needs; feedback needs none.
    """
    head = re.sub(r"<script\b.*?</script\s*>", "", head, flags=re.S | re.I)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_POLICY}">'
    return head.replace("<head>", f"<head>\n{meta}", 1)


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory by the process: every feedback page of a grading worker is made
    by a new exporter (one nbgrader converter per submission), which compiled the same ten templates again (about
    0.2 s a page). Jinja checks each template's source against the checksum stored with its code."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


@lru_cache(maxsize=256)
def _highlighted(source: str, lexer: str | None, language: str | None, magics_language: str | None) -> str:
    return Highlight2HTML(pygments_lexer=lexer)(source, language, {"magics_language": magics_language}
                                                if magics_language is not None else None)


class _RememberedHighlights:
    """nbconvert's ``highlight_code`` filter (the one HTMLExporter makes for a page), each cell's HTML made once
    per process (:func:`_highlighted`): it depends only on the source, the languages and the magics language."""

    def __init__(self, made: Highlight2HTML):
        self.made = made

    def __call__(self, source, language=None, metadata=None):
        magics = metadata.get("magics_language") if isinstance(metadata, dict) else None
        if (not isinstance(source, str) or len(source) > CACHED_CELL or self.made.extra_formatter_options
                or not all(isinstance(v, (str, type(None))) for v in (self.made.pygments_lexer, language, magics))):
            return self.made(source, language, metadata)
        return _highlighted(source, self.made.pygments_lexer, language, magics)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (template ``grader/templates/cnn_feedback``), with labels, wrapping hints and a CSP."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED_TEMPLATES
        return environment

    def register_filter(self, name, jinja_filter):
        if name == "highlight_code" and type(jinja_filter) is Highlight2HTML:
            jinja_filter = _RememberedHighlights(jinja_filter)
        return super().register_filter(name, jinja_filter)

    def default_filters(self):
        yield from super().default_filters()
        yield "test_label", test_label
        yield "with_feedback_policy", with_feedback_policy
        yield "say", say

    def from_notebook_node(self, nb, resources=None, **kw):
        """HTMLExporter's page without its BeautifulSoup pass (0.1 s a page, parsing and writing the whole page
        again). Of its accessibility edits, the one this template needs is made here: every picture without an
        ``alt`` text gets one, added right after the tag's name, where no attribute value can hold it (its
        others give JupyterLab's cell boxes a tab stop, and this template, nbgrader's, has none of them)."""
        from nbconvert.exporters import html as nbconvert_html

        with speaking(notebook_language(nb.get("metadata"))):
            if not hasattr(nbconvert_html, "BeautifulSoup"):  # another nbconvert: its own page, as it makes it
                return super().from_notebook_node(nb, resources, **kw)
            with _without_soup(nbconvert_html):
                page, resources = super().from_notebook_node(nb, resources, **kw)
            no_alt = html.escape(tr(NO_ALT), quote=True)
        page = _IMAGE_TAG.sub(lambda m: m.group(0) if _HAS_ALT.search(m.group(0)) else
                              m.group(0).replace("<img", f'<img alt="{no_alt}"', 1), page)
        return page, resources


#: The texts and tags of HTMLExporter's accessibility pass (nbconvert 7).
NO_ALT = "No description has been provided for this image"
_IMAGE_TAG = re.compile(r"<img\b[^>]*>", re.I)
_HAS_ALT = re.compile(r"\salt=", re.I)


class _Unchanged:
    """Stands in for BeautifulSoup in HTMLExporter.from_notebook_node: selects nothing, gives the page back."""

    def __init__(self, markup, features=None):
        self.markup = markup

    def select(self, selector):
        return []

    def __str__(self):
        return self.markup


@contextlib.contextmanager
def _without_soup(nbconvert_html):
    saved, nbconvert_html.BeautifulSoup = nbconvert_html.BeautifulSoup, _Unchanged
    try:
        yield
    finally:
        nbconvert_html.BeautifulSoup = saved


# --- Student content made inert (DisarmStudentContent) ----------------------------------------------

#: MathML as latex2mathml writes it (RenderMaths) and as a student may: presentation tags only.
MATHML_TAGS = {"math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msup", "msub",
               "msubsup", "mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mtable", "mtr", "mtd",
               "mstyle", "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none"}
MATHML_ATTRIBUTES = {"xmlns", "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace",
                     "accent", "accentunder", "form", "largeop", "movablelimits", "symmetric", "minsize", "maxsize",
                     "linethickness", "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines",
                     "rowlines", "frame", "width", "height", "depth", "notation", "displaystyle", "scriptlevel",
                     "encoding"}
#: Embedded pictures a page shows, in nbconvert's template and as <img src="data:...">.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
#: Output types the pages show, once made inert; any other (JavaScript, widget state, vendor JSON ...) is dropped.
SHOWN_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/svg+xml", *IMAGE_TYPES)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|gif|svg\+xml|webp));base64,(.*)", re.S | re.I)
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")  # a grade_id that needs no escaping anywhere
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.+ -]{1,100}")  # kernel and language names (they pick a lexer)


def strict_base64(payload) -> str | None:
    """``payload`` (str) without its whitespace if it is base64 and nothing else, else None.

    A ``"`` or ``>`` in an image's payload would end the ``src`` attribute nbconvert writes it into.
    """
    if not isinstance(payload, str):
        return None
    compact = re.sub(r"\s+", "", payload)
    if not _BASE64.fullmatch(compact):
        return None
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return compact


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    """nh3's last word on an attribute: ``data:`` URLs only as an image's source, with a clean payload; and an
    image's source only a ``data:`` URL. A picture from a URL is fetched as the page loads, unasked: a tracking
    pixel that tells a student when and where her work is read, or a request to the instructor's own Jupyter
    server with her cookies (a link, at least, must be clicked)."""
    if element == "img" and attribute == "src" and not value.lower().lstrip().startswith("data:"):
        return None
    if value.lower().lstrip().startswith("data:"):
        match = _DATA_URL.fullmatch(value.strip())
        if element != "img" or attribute != "src" or not match or strict_base64(match.group(2)) is None:
            return None
    return value


def clean_html(markup: str) -> str:
    """``markup`` with only what cannot run: no script, event handler, style, form, frame, id or class.

    Input: any HTML (a student's). Output: HTML of text, tables, lists, links to http(s)/mailto
    (no relative URL: it would reach the Jupyter server with the grader's cookies), images as
    ``data:`` URLs only (no remote picture) and MathML.
    """
    import nh3

    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes.update({tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS})
    return nh3.clean(str(markup), tags=set(nh3.ALLOWED_TAGS) | MATHML_TAGS, attributes=attributes,
                     url_schemes={"http", "https", "mailto", "data"}, url_relative="deny",
                     attribute_filter=_keep_attribute, clean_content_tags={"script", "style"})


def inert_html(markup: str) -> str:
    """Cleaned ``markup`` as one line of one ``<div>``, which markdown renders as it is.

    The templates run markdown over a markdown cell (and a ``text/markdown`` output) when they show it.
    A markdown HTML block runs to the first blank line: on one line, nothing in it is read as markdown
    again (no link, no code span turns back into markup). Newlines become ``&#10;``, the same character.
    """
    cleaned = clean_html(markup).replace("\r", "&#13;").replace("\n", "&#10;")
    return f'<div class="cnn-inert">{cleaned}</div>'


def markdown_to_html(source: str, attachments=None) -> str:
    """A markdown cell's ``source`` as HTML, rendered as nbconvert's ``markdown2html`` filter renders it."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    # No heading anchors: their links are relative (dropped by clean_html), and making them re-serializes the
    # heading through ElementTree (MathML in it becomes ns0:math, an empty <a/> swallows the rest of the cell).
    renderer = IPythonRenderer(escape=False, attachments=attachments if isinstance(attachments, dict) else {},
                               exclude_anchor_links=True)
    return MarkdownWithMath(renderer=renderer).render(str(source))


#: Characters of markdown rendered per cell and per page: mistune takes 3-20 s and ~300 MB per MB of it
#: (5 MB: 44 s, 1.7 GB), in formgrader's server process; a course notebook has under 100 kB in all.
#: Past either, a cell (or ``text/markdown`` output) is shown as plain text, cut at the cell limit.
MARKDOWN_CELL_LIMIT = 100_000
MARKDOWN_PAGE_LIMIT = 1_000_000


@lru_cache(maxsize=256)
def _rendered_markdown(source: str) -> str:
    return inert_html(markdown_to_html(source))


class MarkdownBudget:
    """Renders markdown as inert HTML (:func:`inert_html`) up to the limits above; plain text past them."""

    def __init__(self):
        self.used = 0

    def render(self, source: str, attachments=None) -> str:
        if len(source) <= MARKDOWN_CELL_LIMIT and self.used + len(source) <= MARKDOWN_PAGE_LIMIT:
            self.used += len(source)
            if not attachments and len(source) <= CACHED_MARKUP:
                return _rendered_markdown(source)
            return inert_html(markdown_to_html(source, attachments))
        note = (f"[{len(source):,} characters of markdown, shown as text: a page renders at most "
                f"{MARKDOWN_CELL_LIMIT:,} per cell and {MARKDOWN_PAGE_LIMIT:,} in all]")
        return inert_html(f"<p>{html.escape(note)}</p><pre>{html.escape(source[:MARKDOWN_CELL_LIMIT])}</pre>")


def _text(value) -> str:
    """A notebook text field (a string or a list of lines) as a string; anything else as an empty one."""
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def _count(value) -> int | None:
    """An execution count: an int (not a bool) or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _nbgrader_metadata(meta) -> dict:
    """The part of a cell's nbgrader metadata the pages read, typed; {} if its grade_id is not a plain name."""
    if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str) or not _SAFE_ID.fullmatch(meta["grade_id"]):
        return {}
    kept = {"grade_id": meta["grade_id"]}
    kept.update({key: meta[key] for key in ("grade", "solution", "locked", "task") if isinstance(meta.get(key), bool)})
    kept.update({key: meta[key] for key in ("points", "score", "schema_version") if _number(meta.get(key))})
    if isinstance(meta.get("comment"), str):
        kept["comment"] = meta["comment"]
    return kept


def _output_data(data, output_metadata, markdown: MarkdownBudget | None = None) -> tuple[dict, dict]:
    """An output's representations and metadata made inert: (data, metadata). ``markdown``: the page's budget.

    Dropped types leave a one-line note where they would have been the only thing shown.
    """
    from nbformat import NotebookNode

    data = data if isinstance(data, dict) else {}
    kept, dropped = {}, sorted(f"{str(mime)[:80]} output" for mime in data if mime not in SHOWN_TYPES)
    for mime in SHOWN_TYPES:
        value = data.get(mime)
        if mime in IMAGE_TYPES:
            payload = strict_base64(value)
            if payload is None:
                dropped += [f"{mime} picture (not plain base64)"] if mime in data else []
            else:
                kept[mime] = payload
        elif isinstance(value, (str, list)):
            kept[mime] = _text(value)
    if "text/html" in kept:
        kept["text/html"] = clean_html(kept["text/html"])
    if "text/markdown" in kept:
        kept["text/markdown"] = (markdown or MarkdownBudget()).render(kept["text/markdown"])
    if "image/svg+xml" in kept:  # an SVG may hold scripts: shown as a picture, where none run
        svg = base64.b64encode(kept.pop("image/svg+xml").encode()).decode()
        kept.setdefault("text/html", f'<img src="data:image/svg+xml;base64,{svg}">')
    if dropped and set(kept) <= {"text/plain"}:
        note = f"[{', '.join(dropped)} not shown here: this page shows text, pictures and plain HTML only]"
        kept["text/plain"] = note + ("\n" + kept["text/plain"] if kept.get("text/plain", "").strip() else "")
    metadata = {}
    output_metadata = output_metadata if isinstance(output_metadata, dict) else {}
    for mime in IMAGE_TYPES:  # a picture's size: numbers only (nbconvert writes them into the <img> tag)
        size = output_metadata.get(mime)
        size = {key: size[key] for key in ("width", "height") if isinstance(size, dict) and _number(size.get(key))}
        if mime in kept and size:
            metadata[mime] = size
    return NotebookNode(kept), NotebookNode(metadata)


def disarm_output(output, markdown: MarkdownBudget | None = None):
    """A code cell's output rebuilt from its shown fields, made inert; None for an unknown kind of output."""
    from nbformat import NotebookNode

    kind = output.get("output_type") if isinstance(output, dict) else None
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return NotebookNode(output_type="stream", name=name, text=_text(output.get("text")))
    if kind == "error":
        traceback = output.get("traceback")
        traceback = [line for line in traceback if isinstance(line, str)] if isinstance(traceback, list) else []
        return NotebookNode(output_type="error", ename=_text(output.get("ename")), evalue=_text(output.get("evalue")),
                            traceback=traceback)
    if kind in ("display_data", "execute_result"):
        data, metadata = _output_data(output.get("data"), output.get("metadata"), markdown)
        disarmed = NotebookNode(output_type=kind, data=data, metadata=metadata)
        if kind == "execute_result":
            disarmed.execution_count = _count(output.get("execution_count"))
        return disarmed
    return None


def disarm_cell(cell, index: int, ids: set, markdown: MarkdownBudget | None = None):
    """A cell made inert: markdown and HTML cleaned and pre-rendered, outputs rebuilt, metadata cut to what pages read.

    ``ids`` holds the ids of the cells before it (an id must be a plain name and unique; a bad one is replaced).
    ``markdown``: the page's markdown budget (:class:`MarkdownBudget`).
    """
    markdown = markdown or MarkdownBudget()
    from nbformat import NotebookNode

    cell_id = cell.get("id")
    if "id" in cell and not (isinstance(cell_id, str) and CELL_ID.fullmatch(cell_id) and cell_id not in ids):
        cell.id = f"cnn-cell-{index}"
    ids.add(cell.get("id"))
    nbgrader = _nbgrader_metadata(cell.get("metadata", {}).get("nbgrader"))
    metadata = NotebookNode(nbgrader=NotebookNode(nbgrader)) if nbgrader else NotebookNode()
    kind = cell.get("cell_type")
    if kind == "markdown":
        cell.source = markdown.render(_text(cell.get("source")), cell.get("attachments"))
        cell.pop("attachments", None)
    elif kind == "raw":
        mimetype = cell.get("metadata", {}).get("raw_mimetype", "")
        if isinstance(mimetype, str) and mimetype.lower() in ("text/html", ""):  # the ones HTMLExporter shows
            cell.source, metadata.raw_mimetype = clean_html(_text(cell.get("source"))), "text/html"
        else:
            cell.source, metadata.raw_mimetype = _text(cell.get("source")), "text/plain"  # not shown
    elif kind == "code":
        cell.source = _text(cell.get("source"))
        cell.execution_count = _count(cell.get("execution_count"))
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        cell.outputs = [kept for kept in (disarm_output(output, markdown) for output in outputs) if kept is not None]
    else:  # an unknown kind of cell: nothing of it is shown
        cell.cell_type, cell.source = "raw", ""
        metadata.raw_mimetype = "text/plain"
    cell.metadata = metadata
    return cell


def _disarm_notebook_metadata(metadata) -> dict:
    """Only the kernel's and language's plain names (they choose the code highlighter); no widget state, title ..."""
    from nbformat import NotebookNode

    kept = NotebookNode()
    for key, fields, required in (("kernelspec", ("name", "display_name", "language"), {"name", "display_name"}),
                                  ("language_info", ("name", "pygments_lexer", "version", "file_extension", "mimetype"),
                                   {"name"})):
        part = metadata.get(key) if isinstance(metadata, dict) else None
        if isinstance(part, dict):
            part = {field: part[field] for field in fields
                    if isinstance(part.get(field), str) and _SAFE_NAME.fullmatch(part[field])}
            if required <= set(part):  # nbformat's schema: else the page would fail instead of showing
                kept[key] = NotebookNode(part)
    return kept


class DisarmStudentContent(Preprocessor):
    """The last preprocessor of both pages: nothing a student controls can run or break out of its place.

    Markdown cells become one cleaned HTML block (:func:`inert_html`; plain text past :class:`MarkdownBudget`);
    raw HTML cells and ``text/html`` outputs are cleaned; ``text/markdown`` as markdown cells; SVG becomes an ``<img>`` (where scripts never
    run); images keep strict base64 only; JavaScript and every other type are dropped with a note.
    Execution counts are ints, stream names stdout/stderr, cell ids and grade_ids plain names;
    metadata keeps only what the pages read (typed nbgrader fields, picture sizes, kernel names).
    The formgrader's page fields that come from the student's folder name are escaped.
    """

    def preprocess(self, nb, resources):
        nb.metadata = _disarm_notebook_metadata(nb.get("metadata"))
        ids, markdown = set(), MarkdownBudget()
        nb.cells = [disarm_cell(cell, index, ids, markdown) for index, cell in enumerate(nb.cells)]
        for key in ("student", "first_name", "last_name", "notebook_path"):  # formgrader's SubmissionHandler
            if isinstance(resources.get(key), str):
                resources[key] = html.escape(resources[key])
        return nb, resources
