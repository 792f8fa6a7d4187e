"""A Jupyter server extension of the course: formgrader's grading view gets a strict Content-Security-Policy.

formgrader (nbgrader's) shows a student's autograded notebook as a page of the Jupyter server itself,
with the instructor's cookies: a script in it could use formgrader's API (change grades) and
Jupyter's (start kernels, write files). ``grader.engine.feedback.DisarmStudentContent`` makes the notebook
inert; this policy is the second wall, for anything that got through anyway:

- scripts run only if they carry this response's nonce (a fresh random one per page), which the
  course's ``templates/formgrade/index.html.j2`` gives to nbgrader's own scripts and nothing else;
  nbgrader's two inline ``onclick`` handlers (show or hide the student's name) are allowed by their
  hashes; no other inline handler, no ``javascript:`` URL, no script from the server's own files
  (``/files/`` serves what students handed in), no ``eval``;
- pictures only from the server and ``data:`` URLs; connections (formgrader's API calls) only to the
  server; no frames, plugins, forms or ``<base>``; the page cannot be framed by another site.

formgrader's other pages get no policy (their inline scripts carry no nonce), but their values are escaped:
nbgrader renders them with autoescape off, and a student id (from the URL or the gradebook) became script.

Enabled by ``make instructor`` (``lab/instructor/jupyter_server_config.py``). Input: the running
Jupyter server. Effect: nbgrader's ``SubmissionHandler`` (``/formgrader/submissions/<id>/``) sends the
policy and passes the nonce to the page's template (``resources["csp_nonce"]``).
"""
from __future__ import annotations

import base64
import hashlib
import secrets

#: The inline event handlers of nbgrader 0.9.6's grading view (templates/formgrade/formgrade_macros.html.j2).
NBGRADER_INLINE_HANDLERS = ("toggle_name(true);", "toggle_name(false);")


def source_hash(code: str) -> str:
    """A CSP source expression allowing exactly ``code`` (an inline handler's text)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def grading_view_policy(nonce: str, report_uri: str = "") -> str:
    """The Content-Security-Policy of one grading-view page whose own scripts carry ``nonce``."""
    scripts = " ".join([f"'nonce-{nonce}'", "'unsafe-hashes'", *map(source_hash, NBGRADER_INLINE_HANDLERS)])
    directives = ["default-src 'none'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
                  "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", "base-uri 'none'",
                  "form-action 'none'", "frame-ancestors 'self'"]
    if report_uri:  # Jupyter's own endpoint: violations appear in the server's log
        directives.append(f"report-uri {report_uri}")
    return "; ".join(directives)


def _nonce(handler) -> str:
    """This response's nonce, made on first use (a handler object serves one request)."""
    if "_cnn_course_csp_nonce" not in handler.__dict__:
        handler._cnn_course_csp_nonce = secrets.token_urlsafe(18)
    return handler._cnn_course_csp_nonce


class _ExporterWithNonce:
    """formgrader's HTMLExporter, giving the page's template the response's nonce among its resources."""

    def __init__(self, exporter, nonce: str):
        self._exporter, self._nonce = exporter, nonce

    def from_filename(self, filename, resources=None, **kwargs):
        return self._exporter.from_filename(filename, resources=dict(resources or {}, csp_nonce=self._nonce), **kwargs)

    def __getattr__(self, name):
        return getattr(self._exporter, name)


def _policy(handler) -> str:
    from jupyter_server.services.security import csp_report_uri
    from jupyter_server.utils import url_path_join

    return grading_view_policy(_nonce(handler), url_path_join(handler.base_url or "/", csp_report_uri))


#: formgrader's score columns show nbgrader's raw scores; grades.csv, the exports, the feedback, ``grade``'s summary
#: and the report show the score after the late penalty. Both add up the released (or graded) assignments: the
#: course registers no other in the gradebook (``configure_instructor``). The columns say so, so that nobody
#: quotes one for the other.
_RAW = "before late penalties; grades.csv has the final score"
SCORE_LABELS = {
    "manage_students.tpl": [('<th class="text-center">Overall Score</th>',
                             f'<th class="text-center">Overall Score<br><small>(released assignments, {_RAW})'
                             '</small></th>')],
    "manage_students_assignments.tpl": [('<th class="text-center">Overall Score</th>',
                                         f'<th class="text-center">Overall Score<br><small>({_RAW})</small></th>')],
    "manage_submissions.tpl": [('<th class="text-center">Score</th>',
                                f'<th class="text-center">Score<br><small>({_RAW})</small></th>')],
}


def _escaping_render(plain_render):
    """formgrader's ``BaseHandler.render``, its Jinja environment escaping every value (nbgrader's does not).

    Its other pages write values unescaped into HTML and into scripts, e.g. ``var student_id = "{{ student_id }}"``
    with the id from the URL (``/formgrader/manage_students/<id>``: a link a student sends the instructor) or
    a gradebook row; escaped, ``"`` and ``<`` cannot end the string or start a tag. Every value of those
    pages is text (their macros return markup, which is not escaped again). Set before a template compiles.
    """
    def render(handler, name, **namespace):
        handler.settings["nbgrader_jinja2_env"].autoescape = True
        page = plain_render(handler, name, **namespace)
        for plain, labelled in SCORE_LABELS.get(name, ()):
            page = page.replace(plain, labelled)
        return page

    render._cnn_course_escaping = True
    return render


def protect_grading_view() -> None:
    """Give nbgrader's SubmissionHandler the policy (its default headers) and its exporter the nonce,
    and formgrader's pages escaping (:func:`_escaping_render`). Idempotent."""
    from nbgrader.server_extensions.formgrader.base import BaseHandler
    from nbgrader.server_extensions.formgrader.handlers import SubmissionHandler

    if not getattr(BaseHandler.render, "_cnn_course_escaping", False):
        BaseHandler.render = _escaping_render(BaseHandler.render)
    SubmissionHandler.content_security_policy = property(_policy)
    SubmissionHandler.exporter = property(
        lambda handler: _ExporterWithNonce(handler.settings["nbgrader_exporter"], _nonce(handler)))


def _jupyter_server_extension_points():
    return [{"module": "grader.formgrader_csp"}]


def _load_jupyter_server_extension(serverapp) -> None:
    if not serverapp.jpserver_extensions.get("nbgrader.server_extensions.formgrader", False):
        return  # no formgrader here (the student face, make lab): nothing to protect, nbgrader's handlers not imported
    protect_grading_view()
    serverapp.log.info("cnn-course: formgrader's grading view is served with a strict Content-Security-Policy")
