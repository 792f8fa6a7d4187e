"""No student markup runs where the course shows a notebook: formgrader's grading view and the feedback.

A notebook carrying every channel a student controls (markdown and raw cells, HTML, JavaScript,
markdown, SVG and image outputs, metadata, cell ids, execution counts, widget state) is rendered
with the course's settings, as formgrader's grading view (nbconvert's HTMLExporter, template
``formgrade``) and as feedback (``grader.engine.feedback.FeedbackExporter``), and each page is searched for
anything that could run. Each payload would set a marker and forge a grade through formgrader's API;
``tests/test_instructor_lab.py`` opens the same channels, autograded, in Chromium.
"""
from __future__ import annotations

import base64
import copy
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output, new_raw_cell
from traitlets.config import Config

from grader.config import configure_html
from grader.engine.feedback import FeedbackExporter

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02_padding_stride"
MARKER = "pwned"
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
# What every payload does if it runs: mark the page, and zero every grade of the submission through
# formgrader's API with the page's XSRF cookie (as the script in the issue did). Single quotes only.
FORGE = ("fetch((window.base_url||'/formgrader')+'/api/grades?submission_id='+window.submission_id)"
         ".then(function(r){return r.json()}).then(function(grades){grades.forEach(function(g){"
         "fetch((window.base_url||'/formgrader')+'/api/grade/'+g.id,{method:'PUT',headers:{'X-XSRFToken':"
         "decodeURIComponent((document.cookie.match(/_xsrf=([^;]*)/)||['',''])[1])},"
         "body:JSON.stringify(Object.assign(g,{manual_score:0}))})})})")


def payload(channel: str) -> str:
    """JavaScript that records ``channel`` in ``window.pwned``, retitles the page and forges grades."""
    return (f"window.{MARKER}=(window.{MARKER}||[]).concat(['{channel}']);document.title='{MARKER}';"
            f"try{{{FORGE}}}catch(e){{}}")


def svg_with_scripts(channel: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="{payload(channel + "-onload")}">'
            f'<script>{payload(channel)}</script><rect width="20" height="20" fill="red"/></svg>')


#: Markdown and raw cells: what a student types into the notebook.
HOSTILE_CELLS = {
    "markdown-img": f'An answer <img src="x" onerror="{payload("markdown-img")}"> here.',
    "markdown-script": f"<script>{payload('markdown-script')}</script>\n\nSome text.",
    "markdown-link": f"[a link](javascript:{payload('markdown-link')}) and <a href=\"javascript:{payload('markdown-a')}\">one</a>",
    "markdown-code-then-link": f"```\n\n[after a blank line in code](javascript:{payload('markdown-code')})\n```",
    "markdown-style": f"<style>body{{background:url('javascript:{payload('markdown-style')}')}}</style>"
                      f"<iframe srcdoc=\"<script>{payload('markdown-iframe')}</script>\"></iframe>",
    "markdown-svg": svg_with_scripts("markdown-svg"),
    "markdown-mathml": f"<math><mtext><table><mglyph><style><img src=x onerror=\"{payload('markdown-mxss')}\">"
                       f"</style></mglyph></table></mtext></math>",
    "markdown-noscript": f"<noscript><p title=\"</noscript><img src=x onerror='{payload('markdown-noscript')}'>\"></noscript>"
                        f"<svg><p><style><img src=x onerror=\"{payload('markdown-svg-style')}\"></style></p></svg>",
    # pictures fetched as the page loads: a tracking pixel, or a GET to the instructor's own server with her cookies
    "markdown-remote-pictures": "![pixel](https://tracker.example/p.png?who=me) ![own](http://127.0.0.1:8888/api/kernels)"
                                ' <img src="HTTPS://tracker.example/q.png"> <img src=" http://localhost/r.png">'
                                ' <img src="//tracker.example/s.png"> <img srcset="https://tracker.example/t.png 2x">',
}
#: Outputs, as the kernel sends them: (data, metadata) of a display.
HOSTILE_OUTPUTS = {
    "html": ({"text/html": f'<img src="x" onerror="{payload("html")}"><b onmouseover="{payload("html-b")}">bold</b>',
              "text/plain": "<IPython.core.display.HTML object>"}, {}),
    "javascript": ({"application/javascript": payload("javascript"),
                    "text/plain": "<IPython.core.display.Javascript object>"}, {}),
    "markdown": ({"text/markdown": f"<img src=x onerror=\"{payload('md-output')}\"> `code`\n\n"
                                   f"[x](javascript:{payload('md-output-link')})"}, {}),
    "svg": ({"image/svg+xml": svg_with_scripts("svg")}, {}),
    "broken-png": ({"image/png": f'{PNG}"><img src=x onerror="{payload("broken-png")}', "text/plain": "<Figure>"}, {}),
    "png-size": ({"image/png": PNG, "text/plain": "<Figure>"},
                 {"image/png": {"width": f'1 onload="{payload("png-width")}"', "height": 20}}),
    "latex": ({"text/latex": f"$x$ </div><img src=x onerror=\"{payload('latex')}\">"}, {}),
    "html-isolated": ({"text/html": "<b>isolated</b>"}, {"text/html": {"isolated": True}}),
    "mermaid": ({"text/vnd.mermaid": "graph TD; A-->B", "text/plain": "mermaid"}, {}),
}
#: What a student may legitimately show, and must still see.
KEPT = {
    "maths": "## Padding $p$\n\nThe padding is $p = \\frac{k-1}{2}$.",
    "text": "plain text survives",
    "table": "<table><tr><td>cell one</td></tr></table>",
}


def hostile_code(name: str) -> str:
    """A code cell that makes the kernel display output ``name`` of HOSTILE_OUTPUTS (for a real, executed submission)."""
    data, metadata = HOSTILE_OUTPUTS[name]
    return f"from IPython.display import display\ndisplay({data!r}, metadata={metadata!r}, raw=True)"


def hostile_cells() -> list:
    """Cells a student can add to a submission: markdown, raw HTML, and code whose outputs carry every channel."""
    cells = [new_markdown_cell(source) for source in HOSTILE_CELLS.values()]
    cells.append(new_raw_cell(f"<b>raw</b><script>{payload('raw')}</script>", metadata={"raw_mimetype": "text/html"}))
    cells.append(new_raw_cell(f"<img src=x onerror=\"{payload('raw-bare')}\">"))
    cells += [new_code_cell(hostile_code(name)) for name in HOSTILE_OUTPUTS]
    cells.append(new_markdown_cell(KEPT["maths"] + "\n\n" + KEPT["table"]))
    cells.append(new_code_cell(f"print({KEPT['text']!r})\ndisplay({{'image/png': {PNG!r}, 'text/plain': 'png'}}, raw=True)"))
    return cells


def widget_state() -> dict:
    return {"application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0,
        "state": {"x": {"model_name": f"</script><script>{payload('widget-state')}</script>", "state": {}}}}}


def hostile_notebook() -> nbformat.NotebookNode:
    """The released notebook 02 with every channel added, outputs already there (as an autograded notebook has them)."""
    nb = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    tagged = new_code_cell("1 + 1")
    tagged.metadata = {"tags": [f'"><script>{payload("tag")}</script>'],  # set after: nbformat refuses such tags
                       "nbgrader": {"grade_id": f'x"><img src=x onerror="{payload("grade-id")}">', "grade": True, "points": 1}}
    added = [*hostile_cells(), tagged]
    outputs = iter(HOSTILE_OUTPUTS.values())
    for count, cell in enumerate(added, 1):
        if cell.cell_type != "code":
            continue
        if cell.source.startswith("from IPython.display"):
            data, metadata = next(outputs)
            cell.outputs = [new_output("display_data", data=data, metadata=metadata)]
        elif cell.source.startswith("print"):
            cell.outputs = [new_output("stream", name="stdout", text=KEPT["text"] + "\n"),
                            new_output("display_data", data={"image/png": PNG, "text/plain": "png"})]
        else:
            cell.outputs = [new_output("execute_result", data={"text/plain": "2"}, execution_count=count)]
        cell.execution_count = count
    # What only a hand-edited file has: a kernel does not send these.
    added[0].id = f'"><img src=x onerror="{payload("cell-id")}">'
    tagged.execution_count = f"<img src=x onerror=\"{payload('execution-count')}\">"
    tagged.outputs.append(new_output("stream", name=f'stdout"><img src=x onerror="{payload("stream-name")}">', text="stream\n"))
    tagged.outputs.append({"output_type": "error", "ename": f"<script>{payload('ename')}</script>",
                           "evalue": f"<img src=x onerror=\"{payload('evalue')}\">",
                           "traceback": [f"<script>{payload('traceback')}</script>"]})
    nb.cells += added
    nb.metadata.update(widgets=widget_state(), title=f"<script>{payload('title')}</script>")
    return nb


def course_config() -> Config:
    return configure_html(Config())


def grading_view(nb, nonce: str | None = None) -> str:
    """``nb`` as formgrader's grading view renders it (its exporter, the course's settings, its resources)."""
    from nbconvert.exporters import HTMLExporter

    config = course_config()
    config.HTMLExporter.template_name = "formgrade"  # as formgrader's extension sets it
    resources = {"assignment_id": "02_padding_stride", "notebook_id": "02_padding_stride", "submission_id": "abc",
                 "index": 0, "total": 1, "base_url": "", "student": f"<img src=x onerror=\"{payload('student')}\">",
                 "last_name": None, "first_name": None, "notebook_path": "autograded/s/02/02.ipynb"}
    if nonce:
        resources["csp_nonce"] = nonce
    return HTMLExporter(config=config).from_notebook_node(nb, resources=resources)[0]


def feedback_page(nb) -> str:
    """``nb`` as the course's feedback (nbgrader's GenerateFeedback resources)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # as nbgrader's GetGrades leaves them
        if isinstance(cell.metadata.get("nbgrader", {}).get("points"), (int, float)):
            cell.metadata.nbgrader.score = 0
    resources = {"nbgrader": {"notebook": ASSIGNMENT, "score": 0, "max_score": 20, "late_penalty": 0}}
    return FeedbackExporter(config=course_config()).from_notebook_node(nb, resources=resources)[0]


def what_could_run(html: str) -> list[str]:
    """Every place in ``html`` where the payloads' marker could run: script bodies and sources, event
    handlers, javascript: URLs, frames, objects, inline SVG and widget state. Empty when nothing can."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for element in soup.find_all(True):
        for attribute, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.lower().startswith("on") and MARKER in value:
                found.append(f"<{element.name} {attribute}=...{MARKER}>")
            if re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                found.append(f"<{element.name} {attribute}={value[:40]}>")
            if attribute.lower() in ("src", "href", "srcdoc", "data") and MARKER in value \
                    and not value.startswith("data:image/svg+xml;base64,"):
                found.append(f"<{element.name} {attribute}={value[:60]}>")
        if element.name in ("script", "iframe", "object", "embed", "svg", "frame", "base", "form") \
                and (MARKER in str(element) or element.name != "script"):
            found.append(str(element)[:80])
        if element.name == "script" and "widget-state" in str(element.get("type", "")):
            found.append("widget state script")
    return found


@pytest.fixture(scope="module")
def pages():
    """The hostile notebook as formgrader's grading view and as feedback."""
    nb = hostile_notebook()
    return {"grading view": grading_view(nb), "feedback": feedback_page(nb)}


@pytest.mark.parametrize("page", ["grading view", "feedback"])
def test_no_student_markup_can_run_in_the_page(pages, page):
    assert what_could_run(pages[page]) == []


@pytest.mark.parametrize("page", ["grading view", "feedback"])
def test_what_a_student_legitimately_shows_is_kept(pages, page):
    html = pages[page]
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("math") and soup.find("mfrac"), "the MathML formula"
    assert any(heading.find("math") for heading in soup.find_all("h2")), "a formula in a heading"
    markdown = soup.select(".cnn-inert")
    assert len(markdown) > 20 and not any(link.find(["p", "h1", "h2", "h3", "pre", "table"])
                                          for cell in markdown for link in cell.find_all("a")), \
        "no link swallows the rest of its cell (as an empty <a/> after a heading would)"
    assert KEPT["text"] in soup.get_text() and "cell one" in [td.get_text() for td in soup.find_all("td")]
    pictures = [img["src"] for img in soup.find_all("img") if img.get("src", "").startswith("data:image/png;base64,")]
    assert f"data:image/png;base64,{PNG}" in pictures and len(pictures) == 2  # the broken one is dropped
    assert any(img.get("width") is None and img.get("height") == "20" for img in soup.find_all("img")
               if img.get("src", "").endswith(PNG))  # a numeric size is kept, a hostile one is not
    svg = [img["src"] for img in soup.find_all("img") if img.get("src", "").startswith("data:image/svg+xml;base64,")]
    assert len(svg) == 1 and "<rect" in base64.b64decode(svg[0].split(",", 1)[1]).decode()  # a picture, where scripts never run
    text = soup.get_text()
    assert "application/javascript output not shown" in text and "text/vnd.mermaid" in text
    assert "bold" in text and "isolated" in text and "$x$" in text and "stream" in text


@pytest.mark.parametrize("page", ["grading view", "feedback"])
def test_no_picture_is_fetched_from_a_url(pages, page):
    """Only embedded (``data:``) pictures: no request leaves the page as it loads (markdown images and <img> alike)."""
    soup = BeautifulSoup(pages[page], "html.parser")
    fetched = [str(img) for img in soup.find_all("img") if not img.get("src", "data:").startswith("data:")
               or img.get("srcset")]
    assert fetched == [] and "tracker.example" not in pages[page] and "127.0.0.1:8888" not in pages[page]


def test_markdown_as_rendered_is_not_read_as_markdown_again():
    """The templates run markdown over a cell's source: on a disarmed cell that must change nothing."""
    from nbconvert.exporters import HTMLExporter

    from grader.engine.feedback import inert_html, markdown_to_html

    render = HTMLExporter().markdown2html
    for source in [*HOSTILE_CELLS.values(), KEPT["maths"], "```\n\n[x](javascript:alert(1))\n\n```\n\n  * a\n\n    b\n"]:
        inert = inert_html(markdown_to_html(source))
        assert render({}, inert).strip() == inert
        assert "\n" not in inert


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="<>/=\"'`[]()!*_#$&;:\n -|ajvscriptmgohef1", max_size=120))
def test_no_markdown_makes_markup_after_cleaning(source):
    """Whatever the markdown, the cleaned block renders as itself, with no handler and no script URL."""
    from nbconvert.exporters import HTMLExporter

    from grader.engine.feedback import inert_html, markdown_to_html

    inert = inert_html(markdown_to_html(source))
    assert HTMLExporter().markdown2html({}, inert).strip() == inert
    soup = BeautifulSoup(inert, "html.parser")
    assert not any(name.startswith("on") or "script:" in str(value).lower()
                   for element in soup.find_all(True) for name, value in element.attrs.items())
    assert soup.find("script") is None


def test_the_grading_views_own_scripts_carry_the_nonce_and_the_policy_allows_its_inline_handlers(pages):
    from grader.formgrader_csp import grading_view_policy, source_hash

    nonce = "n0nce-for-the-test"
    html = grading_view(hostile_notebook(), nonce=nonce)
    soup = BeautifulSoup(html, "html.parser")
    scripts = soup.find_all("script")
    assert len(scripts) > 10 and all(script.get("nonce") == nonce for script in scripts)
    assert any(script.get("src", "").endswith("formgrade.js") for script in scripts)
    policy = grading_view_policy(nonce)
    handlers = [value for element in soup.find_all(True) for name, value in element.attrs.items() if name.startswith("on")]
    assert handlers and all(source_hash(handler) in policy for handler in handlers)
    assert "'self'" not in re.search(r"script-src ([^;]*)", policy).group(1)  # /files/ serves students' files
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy
    assert "nonce=" not in pages["grading view"]  # without the extension, the page is as before


def test_feedback_carries_a_content_security_policy_before_anything_else_and_no_script(pages):
    soup = BeautifulSoup(pages["feedback"], "html.parser")
    first = soup.head.find(True)
    assert first.name == "meta" and first.get("http-equiv") == "Content-Security-Policy"
    policy = first["content"]
    assert "default-src 'none'" in policy and "img-src data:" in policy and "script-src" not in policy
    assert soup.find("script") is None


def test_formgrader_sends_the_policy_with_its_grading_view():
    """The server extension makes nbgrader's SubmissionHandler send the policy and give its page the nonce."""
    from nbgrader.server_extensions.formgrader.handlers import SubmissionHandler

    from grader.formgrader_csp import protect_grading_view

    protect_grading_view()

    class Exporter:
        def from_filename(self, filename, resources=None):
            return resources, {}

    handler = SubmissionHandler.__new__(SubmissionHandler)  # its properties only: no request
    handler.application = type("App", (), {"settings": {"nbgrader_exporter": Exporter(), "base_url": "/"}})()
    handler.__dict__["_cnn_course_csp_nonce"] = "abc"
    assert "'nonce-abc'" in handler.content_security_policy and "default-src 'none'" in handler.content_security_policy
    assert handler.exporter.from_filename("x.ipynb", resources={"a": 1})[0] == {"a": 1, "csp_nonce": "abc"}


def test_every_picture_of_the_feedback_has_a_text_and_the_page_is_made_without_a_second_parse(pages, monkeypatch):
    """HTMLExporter's BeautifulSoup pass is skipped (it parsed and wrote the whole page again, 0.1 s a page); the
    alt text it gave every picture is still given, and the student's own alt texts are kept."""
    soup = BeautifulSoup(pages["feedback"], "html.parser")
    pictures = soup.find_all("img")
    assert len(pictures) >= 3 and all(img.get("alt") for img in pictures)
    import nbconvert.exporters.html as nbconvert_html

    parsed = []
    monkeypatch.setattr(nbconvert_html, "BeautifulSoup", lambda *a, **k: parsed.append(1))
    feedback_page(nbformat.v4.new_notebook(cells=[new_code_cell("1")]))
    assert parsed == [] and nbconvert_html.BeautifulSoup is not None



def test_code_and_formulas_made_once_per_process_give_the_page_made_afresh(monkeypatch):
    """A feedback page's code cells are highlighted, and its formulas converted, once per grading process (every
    student's page shows the course's cells): the page is the one nbconvert's own filter and a fresh conversion make,
    and each cell gets its own, by source, language and magics language."""
    from grader.engine import feedback

    nb = nbformat.v4.new_notebook(cells=[
        new_code_cell("x = 1  # one"), new_code_cell("x = 2  # two"), new_code_cell("x = 1  # one"),
        nbformat.v4.new_markdown_cell("Output size $n + 2p - k$ and $$a^2$$")])
    feedback._highlighted.cache_clear()
    feedback._remembered_mathml.cache_clear()
    first, again = feedback_page(nb), feedback_page(nb)
    assert feedback._highlighted.cache_info()[:2] == (4, 2) and feedback._remembered_mathml.cache_info().hits >= 1
    monkeypatch.setattr(feedback._RememberedHighlights, "__call__",
                        lambda self, source, language=None, metadata=None: self.made(source, language, metadata))
    monkeypatch.setattr(feedback, "_remembered_mathml", feedback.maths_to_mathml)
    afresh = feedback_page(nb)
    assert first == again == afresh
    codes = BeautifulSoup(first, "html.parser").select("div.highlight")
    assert [c.get_text() for c in codes[:3]] == ["x = 1  # one\n", "x = 2  # two\n", "x = 1  # one\n"]
    assert "<math" in first
    kept = feedback._highlighted.cache_info().currsize  # a student's long cell is made afresh, never kept
    feedback_page(nbformat.v4.new_notebook(cells=[new_code_cell("x = 1\n" * (feedback.CACHED_CELL // 6 + 1))]))
    assert feedback._highlighted.cache_info().currsize == kept
    from nbconvert.filters.highlight import Highlight2HTML

    for lexer, language, metadata in [("python3", None, None), ("text", None, None), ("ipython3", "bash", None),
                                      ("ipython3", None, {"magics_language": "bash"})]:
        made = Highlight2HTML(pygments_lexer=lexer)
        assert feedback._RememberedHighlights(made)("if x: y", language, metadata) == made("if x: y", language, metadata)


def test_pages_name_chinese_fonts_before_the_generic_family(pages):
    """A Chinese notebook's text: each system's usual Chinese fonts are named, so none falls back to one without them."""
    from grader.engine.feedback import PAGE_FONTS

    assert "Noto Sans CJK SC" in PAGE_FONTS and PAGE_FONTS.index("Microsoft YaHei") < PAGE_FONTS.index("sans-serif")
    for page in pages.values():
        assert PAGE_FONTS.strip() in page
