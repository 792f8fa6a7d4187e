"""The course's nbgrader configuration, in one place.

``nbgrader_config.py`` at the repository root applies it for nbgrader's own
command line and JupyterLab's formgrader; ``python -m grader`` applies it to the
temporary or instructor course folders it grades in.
"""
from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

from traitlets.config import Config

from .layout import COURSE_ROOT, LANGUAGES, RELEASE_DIRECTORY, SOURCE_DIRECTORY, assignments  # noqa: F401 - re-exported

#: nbgrader's course id: the exchange's folder for the course.
COURSE_ID = "cnn-course"
#: Seconds one cell may run under autograde before it is interrupted (and scores 0).
CELL_TIMEOUT = 60

# nbgrader runs the `alembic` command by name when it creates a gradebook: make sure the one
# installed beside this Python is found even when .venv/bin is not on PATH (make, CI, IDEs).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


@functools.cache
def alembic_head() -> str:
    """The newest revision of nbgrader's gradebook schema, read from its migration files.

    nbgrader asks a subprocess (``alembic heads``) for it each time it creates a gradebook: 3.5 s
    here, for a line that its revision files state (``revision = ...``, ``down_revision = ...``).
    The head is the one revision no other revision comes after.
    """
    from nbgrader import dbutil

    revisions, parents = set(), set()
    for script in Path(dbutil.ALEMBIC_DIR, "versions").glob("*.py"):
        text = script.read_text()
        revision = re.search(r"^revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        parent = re.search(r"^down_revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        revisions |= {revision.group(1)} if revision else set()
        parents |= {parent.group(1)} if parent else set()
    heads = revisions - parents
    if len(heads) != 1:  # a branched history: what `alembic heads` prints first, as nbgrader takes it
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory

        settings = AlembicConfig()
        settings.set_main_option("script_location", dbutil.ALEMBIC_DIR)
        return ScriptDirectory.from_config(settings).get_heads()[0]
    return heads.pop()


def use_alembic_head() -> None:
    """Make nbgrader create gradebooks with :func:`alembic_head` instead of its subprocess."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head


#: The repository (the course folder): solutions/, notebooks/, grader/, data/ ...
def configure(c: Config, root: str | Path = COURSE_ROOT, source_root: str | Path | None = None,
              db_url: str | None = None) -> Config:
    """Apply the course settings to ``c``.

    ``root`` holds nbgrader's working folders (submitted/, autograded/, feedback/);
    ``source_root`` the folder with ``solutions/`` (the repository by default).
    """
    root = Path(root).resolve()
    source_root = Path(source_root or root).resolve()
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = str(source_root / SOURCE_DIRECTORY)
    c.CourseDirectory.release_directory = str(source_root / RELEASE_DIRECTORY)
    c.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    # The jupytext sources (*.py, with solutions) must never be copied next to a student notebook.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
    c.Execute.timeout = CELL_TIMEOUT
    c.Execute.interrupt_on_timeout = True
    c.Execute.store_widget_state = False
    use_alembic_head()
    # A student who deleted a test cell gets it back instead of a silent 0 (nbgrader #1682).
    c.OverwriteCells.add_missing_cells = True
    # A student's links, FIFOs and extra files never reach autograded/, the sandbox or feedback/.
    from .engine.student_files import guard_nbgrader
    guard_nbgrader()
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute, GetGrades, OverwriteCells, SaveAutoGrades

    from .engine.sandbox import KERNEL_NAME

    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    # Student code runs only in the sandbox kernel (grader/engine/sandbox.py), for every way of grading:
    # grader grade/check and nbgrader's own autograde and formgrader (through nbgrader_config.py).
    # By name: nbconvert imports them when autograde runs (JudgeRecords needs the reference).
    c.Execute.kernel_name = KERNEL_NAME
    steps[steps.index(Execute)] = "grader.engine.execute.SandboxedExecute"
    steps.insert(steps.index("grader.engine.execute.SandboxedExecute") + 1, "grader.engine.preprocessors.JudgeRecords")
    steps[steps.index(SaveAutoGrades)] = "grader.engine.preprocessors.SaveAutoGradesAtOnce"  # the same rows, fewer queries
    c.Autograde.autograde_preprocessors = steps
    # The notebook is checked against nbformat's schema once per pass, after its last step, not after each (15 checks
    # of every submission's grading: 15 ms), as feedback's is (configure_html).
    c.NotebookExporter.optimistic_validation = True
    # Restoring the hidden tests is by design: no warning per hidden-test cell in formgrader's dialog.
    sanitize = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    sanitize[sanitize.index(OverwriteCells)] = "grader.engine.preprocessors.RestoreLockedCells"
    # What a student added to or changed in nbgrader's metadata is not trusted: the release's comes back first.
    sanitize.insert(0, "grader.engine.preprocessors.RestoreGradingMetadata")
    c.Autograde.sanitize_preprocessors = sanitize
    # Feedback shows the student's code, visible tests and verdicts, never hidden test source.
    from nbgrader.converters.generate_feedback import GenerateFeedback
    feedback = list(GenerateFeedback.class_traits()["preprocessors"].default())
    feedback[feedback.index(GetGrades)] = "grader.engine.preprocessors.GetGradesAtOnce"  # the same metadata, fewer queries
    c.GenerateFeedback.preprocessors = ["grader.engine.preprocessors.ClearHiddenTestsQuietly"] + feedback
    configure_html(c)
    return c


# --- HTML: the feedback students get and formgrader's grading view (grader/engine/feedback.py) --------------

def configure_html(c: Config) -> Config:
    """Make nbgrader's HTML pages readable offline and safe to open; input and output: the config ``c``.

    Formulas become MathML (no MathJax from a CDN), widget views and empty outputs are dropped (an
    empty ``Out[n]:`` otherwise), everything the student controls is made inert (``DisarmStudentContent``),
    and feedback uses ``grader/templates/cnn_feedback`` (test cells named in its table of contents, long
    hint lines wrapped, a Content-Security-Policy). HTMLExporter settings reach both formgrader's
    exporter and feedback's; the FeedbackExporter ones only feedback.
    """
    import nbgrader

    from .engine.feedback import TEMPLATES

    formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    # DisarmStudentContent last: whatever the others leave, no student markup reaches a template.
    c.HTMLExporter.preprocessors = ["grader.engine.feedback.RenderMaths", "grader.engine.feedback.DropWidgetOutputs",
                                    "grader.engine.feedback.DisarmStudentContent"]
    # The notebook is checked against nbformat's schema once, after DisarmStudentContent: a hostile cell id or
    # execution count is then made plain and shown, instead of failing the page after the first preprocessor.
    c.HTMLExporter.optimistic_validation = True
    # Ours first: templates/base/mathjax.html.j2 (no MathJax) hides nbconvert's, templates/formgrade/ nbgrader's
    # grading view (its scripts get the page's CSP nonce); then nbgrader's (formgrade, feedback).
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(formgrader / "templates")]
    # nbgrader's templates folder, so that ours can extend 'formgrade/index.html.j2'.
    c.HTMLExporter.extra_template_paths = [str(formgrader / "templates")]
    c.GenerateFeedback.exporter_class = "grader.engine.feedback.FeedbackExporter"
    c.FeedbackExporter.template_name = "cnn_feedback"
    # nbgrader's templates folder, so that ours can extend 'feedback/index.html.j2'; bootstrap's CSS, as nbgrader has it.
    c.FeedbackExporter.extra_template_paths = [str(formgrader / "templates"),
                                               str(formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    return c


def course_config(root: str | Path = COURSE_ROOT, **kwargs) -> Config:
    return configure(Config(), root, **kwargs)


# --- The instructor's course folder (nbgrader_config.py at the repository root) ----------------------
# nbgrader's own commands and formgrader read these on top of configure(); `python -m grader` does not
# need them (it grades in shards of its own).

#: Environment variable naming the language of the notebooks nbgrader releases: en (default) or a translation
#: (``zh``: ``zh/notebooks/``). ``make instructor LANGUAGE=zh`` sets it.
LANGUAGE_ENV = "CNN_COURSE_LANGUAGE"
#: Environment variable naming a shared exchange folder (a JupyterHub's, e.g. /srv/nbgrader/exchange).
EXCHANGE_ENV = "CNN_COURSE_EXCHANGE"


def exchange_root(root: str | Path = COURSE_ROOT) -> Path:
    """nbgrader's exchange folder: ``$CNN_COURSE_EXCHANGE`` if set, else ``<course folder>-exchange`` beside the
    course folder (``/home/prof/cnn-course`` -> ``/home/prof/cnn-course-exchange``).

    Outside the course folder: students must reach the exchange, and so would reach the course folder (its
    hidden tests, reference and git history) if it were inside; beside it, the course folder can be closed
    (``chmod go-rwx``, what ``grader.permissions`` asks for). Input: the course root. Output: the folder (not
    created here).
    """
    course = Path(root).resolve()
    return Path(os.environ.get(EXCHANGE_ENV) or course.parent / f"{course.name}-exchange").resolve()


def exchange_released(root: str | Path = COURSE_ROOT) -> set[str]:
    """The assignments released to students: the folders of the exchange's outbound for the course."""
    outbound = exchange_root(root) / COURSE_ID / "outbound"
    try:  # read on every settings load (nbgrader_config.py): an unreadable exchange must not stop nbgrader
        return {p.name for p in outbound.iterdir() if p.is_dir()}
    except OSError:
        return set()


#: Imported by formgrader's server extension before it reads the course's settings (nbgrader_config.py).
FORMGRADER_HANDLERS = "nbgrader.server_extensions.formgrader.handlers"


def configure_instructor(c: Config, root: str | Path = COURSE_ROOT) -> Config:
    """Settings for nbgrader's commands and formgrader in the course root, applied after ``configure``.

    Release hands out the notebooks in the language ``CNN_COURSE_LANGUAGE`` names (:data:`LANGUAGE_ENV`).
    Inputs: the config to change and the course root. Output: ``c``. Side effect, cheap and idempotent:
    the exchange folder is created (world-writable with the sticky bit, as nbgrader needs for students
    who are other users of the same machine). Settings only: the gradebook is
    ``grader.engine.gradebook.register_course``'s, which ``nbgrader_config.py`` calls next.
    Collect and release_feedback are the course's (``grader/instructor/exchange.py``: no student's link is
    followed, collected folders are the instructor's alone). In a Jupyter server whose formgrader reads these
    settings (``make instructor``, plain ``jupyter lab`` or ``jupyter server`` in the course root, from .venv or
    conda), formgrader's pages are escaped and its grading view gets its policy (``grader/formgrader_csp.py``):
    nbgrader's own pages took a student's link as script under any Jupyter but ``make instructor``'s.
    """
    language = os.environ.get(LANGUAGE_ENV) or "en"
    if language != "en":  # Release hands out the notebooks of this language (the same cells: one gradebook)
        if language not in LANGUAGES:
            raise ValueError(f"{LANGUAGE_ENV} must be en or one of the course's translations "
                             f"({', '.join(LANGUAGES)}), got {language!r}")
        c.CourseDirectory.release_directory = str(Path(c.CourseDirectory.release_directory).parent / language
                                                  / RELEASE_DIRECTORY)
    exchange = exchange_root(root)
    if not exchange.exists():
        try:
            exchange.mkdir(parents=True)
            exchange.chmod(0o1777)  # sticky: everyone may submit, nobody may delete another's files
        except OSError:
            pass  # e.g. a hub's shared folder only an admin may create: nbgrader says it is missing when used
    c.Exchange.root = str(exchange)
    # Collect copies only the assignment's notebooks, never through a student's link, into private folders.
    c.ExchangeFactory.collect = "grader.instructor.exchange.SafeCollect"
    c.ExchangeFactory.release_feedback = "grader.instructor.exchange.SafeReleaseFeedback"
    # `nbgrader export`: the released assignments only, to nbgrader-grades.csv (grades.csv is `grader grade`'s).
    c.ExportApp.plugin_class = "grader.instructor.nbgrader_export.ReleasedCsvExport"
    if FORMGRADER_HANDLERS in sys.modules:  # formgrader is loading this course in a Jupyter server, however started
        from .formgrader_csp import protect_grading_view
        protect_grading_view()
    return c
