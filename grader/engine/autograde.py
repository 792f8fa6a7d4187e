"""Running nbgrader's autograde on one submission, safely, and reading back what it decided.

Every grading job runs nbgrader's own ``Autograde`` in a *shard*: a course folder of its
own with a private gradebook copied from a template (the assignment's cells, made once
by ``generate_assignment``). Jobs therefore never share a sqlite file, and can run in
parallel processes; their results are merged into the instructor's gradebook one at a
time (:func:`merge_shard`). ``grader check`` is one shard in a temporary folder.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..config import COURSE_ROOT, assignments
from .converters import GradingError, run_converter
from .gradebook import solution_notebook
from .phases import phase
from .student_files import (
    CELL_ID,
    MAX_SUBMISSION_BYTES,
    NBGRADER_FILES,
    RefusedFile,
    make_folder_private,
    make_private,
    notebook_json_problem,
    open_regular,
    read_regular,
)

LEARNER = "learner"


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    message: str


@dataclass
class Result:
    student: str
    assignment: str
    score: float = 0.0  # after the late penalty (grader.engine.grades.final_score): the one score every surface shows
    max_score: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    raw_score: float = 0.0  # before the penalty: what nbgrader's own pages show
    late: str = ""  # "late by 10 s, penalty 15" when the submission is late

    def as_json(self, notebook: str) -> dict:
        return {"notebook": notebook, "score": self.score, "max_score": self.max_score,
                "tests": [vars(t) for t in self.tests]}


def assignment_of(notebook: nbformat.NotebookNode, file_name: str, source_root: Path = COURSE_ROOT) -> str:
    """Which course notebook a submission is: by its graded cells' ids, else by its file name."""
    ids = {grade_id_of(c) for c in notebook.cells} - {None}
    best, overlap = None, 0
    for stem, theirs in _graded_ids(Path(source_root)):
        if len(ids & theirs) > overlap:
            best, overlap = stem, len(ids & theirs)
    if best:
        return best
    stem = Path(file_name).stem
    if solution_notebook(stem, source_root).exists():
        return stem
    raise GradingError(f"{file_name} is not one of the course's notebooks (no graded cell matches)")


@functools.lru_cache(maxsize=4)
def _graded_ids(source_root: Path) -> tuple[tuple[str, frozenset], ...]:
    """(assignment, grade_ids of its source notebook) for each course notebook: read once per process."""
    return tuple((assignment, frozenset({c.metadata.get("nbgrader", {}).get("grade_id")
                                         for c in nbformat.read(solution_notebook(assignment, source_root),
                                                                as_version=4).cells} - {None}))
                 for assignment in assignments(source_root))


def submission_bytes(path: Path, below: Path | None = None) -> bytes:
    """The bytes of the submitted notebook at ``path``, or a one-line GradingError saying why it is not read.

    Only a regular file is read, never through a link: none at ``path`` itself, nor (with ``below``, the
    instructor's folder the submission was found in) in any folder between ``below`` and it, nor (with ``below``) a hard link.
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise GradingError(f"{path}: no such file")
    if path.is_dir() and not path.is_symlink():
        raise GradingError(f"{path}: is a folder, not a notebook")
    try:
        handle = os.fdopen(open_regular(path, below), "rb")
    except RefusedFile as refused:
        raise GradingError(str(refused)) from None
    with handle:
        info = os.fstat(handle.fileno())
        if below is not None and info.st_nlink > 1:  # a class's file with two names: the other may be the solution
            raise GradingError(f"{path.relative_to(below).as_posix()} is a hard link (the file has other names)")
        size = info.st_size
        data = handle.read(MAX_SUBMISSION_BYTES + 1) if size <= MAX_SUBMISSION_BYTES else b""
    if size > MAX_SUBMISSION_BYTES or len(data) > MAX_SUBMISSION_BYTES:  # (or it grew while read)
        raise GradingError(f"{path}: {max(size, len(data)) / 2**20:.0f} MB, larger than the "
                           f"{MAX_SUBMISSION_BYTES // 2**20} MB a submitted notebook may be")
    return data


def parse_submission(path: Path, data: bytes) -> nbformat.NotebookNode:
    """The notebook in ``data`` (the file ``path``'s bytes), or a one-line GradingError; never parsed past the
    bounds of :func:`~grader.engine.student_files.notebook_json_problem`."""
    too_big = notebook_json_problem(data)
    if too_big:
        raise GradingError(f"{path}: {too_big}")
    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:
        raise GradingError(f"{path}: not a notebook ({type(error).__name__}: {str(error).splitlines()[0][:120]})") from None


def read_submission(path: Path, below: Path | None = None) -> nbformat.NotebookNode:
    """The notebook at ``path``, or a one-line GradingError saying why it cannot be graded (see :func:`submission_bytes`)."""
    return parse_submission(Path(path), submission_bytes(path, below))


def grade_id_of(cell) -> str | None:
    """A cell's nbgrader grade_id, or None: a submission's metadata may be anything (a list, a number...)."""
    meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) and grade_id else None


def repair_cell_ids(notebook: nbformat.NotebookNode) -> bool:
    """Give each cell with a malformed, too long or repeated id a fresh one, as nbformat's own repair does for a
    repeated one; return whether any changed. A student's hand-edited id made nbgrader refuse her whole notebook
    (``NotebookValidationError: 'bad id!' does not match``). Ids mean nothing to grading (grade_ids do)."""
    if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) < (4, 5):
        return False  # no cell ids before nbformat 4.5
    seen, changed = set(), False
    for cell in notebook.cells:
        while not isinstance(cell.get("id"), str) or not CELL_ID.fullmatch(cell["id"]) or cell["id"] in seen:
            cell["id"], changed = uuid.uuid4().hex[:8], True
        seen.add(cell["id"])
    return changed


def repair_duplicates(notebook: nbformat.NotebookNode) -> list[str]:
    """Make a copy-pasted graded cell harmless; return the grade_ids that were repeated.

    nbgrader aborts the whole submission when two cells share a grade_id (#1083). The last copy
    stays the graded cell (it is the definition Python keeps when the notebook runs top to
    bottom); earlier copies become plain cells, whose code still runs.
    """
    last = {}
    for index, cell in enumerate(notebook.cells):
        grade_id = grade_id_of(cell)
        if grade_id:
            last[grade_id] = index
    repeated = []
    for index, cell in enumerate(notebook.cells):
        grade_id = grade_id_of(cell)
        if grade_id and last[grade_id] != index:
            del cell.metadata["nbgrader"]
            repeated.append(grade_id)
    return repeated


@contextlib.contextmanager
def quiet_stderr():
    """Hide what nbgrader, SQLAlchemy and the kernel process print to stderr while grading.

    Our own messages say what matters; the kernel is a child process, so this works on the
    file descriptor, not just ``sys.stderr``.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


#: Bytes one of nbgrader's files of a submission (a timestamp, a secret) may have: more is no such file.
MAX_RECORD_BYTES = 1024


def submission_record(path: Path, below: Path | None) -> dict[str, bytes]:
    """nbgrader's files of the submission whose notebook is ``path`` (``timestamp.txt``, ``submission_secret.txt``).

    They are the notebook's neighbours in its own folder (``submitted/<student>/<assignment>/``), never in
    ``below`` itself (a flat folder of many students' notebooks). Each a regular file reached without a
    link, at most :data:`MAX_RECORD_BYTES`; one that is not is left out (nbgrader then has no time for it).
    """
    path = Path(path)
    if below is None or Path(os.path.abspath(path.parent)) == Path(os.path.abspath(below)):
        return {}
    record = {}
    for name in NBGRADER_FILES:
        if not os.path.lexists(path.parent / name):
            continue
        try:
            data = read_regular(path.parent / name, below, limit=MAX_RECORD_BYTES)
        except RefusedFile:
            continue
        if len(data) <= MAX_RECORD_BYTES:
            record[name] = data
    return record


def submission_time(record: dict[str, bytes]):
    """The UTC time (naive, as nbgrader's gradebook has it) in a :func:`submission_record`, or None."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(record["timestamp.txt"].decode("utf-8").strip())
    except (KeyError, ValueError, UnicodeDecodeError, OverflowError):
        return None


def grade_shard(shard: Path, submission: Path, assignment: str, student: str, template: Path,
                source_root: Path = COURSE_ROOT, timeout: int | None = None, below: Path | None = None) -> Result:
    """Autograde one submission in folder ``shard`` (created; left in place for merging).

    ``timeout``: seconds a cell may run (default ``config.CELL_TIMEOUT``); a cell that runs
    longer is interrupted and its tests score 0. ``below``: see :func:`submission_bytes`. The
    submission is read once; the shard gets its bytes, nothing else of the student's folder.
    """
    from nbgrader.converters import Autograde

    with phase("shard"):
        data = submission_bytes(submission, below)
        notebook = parse_submission(submission, data)
        shard.mkdir(parents=True, exist_ok=True)
        make_folder_private(shard)  # a student's notebook and a gradebook while grading: the instructor's alone
        target = shard / "submitted" / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if repair_duplicates(notebook):
            repair_cell_ids(notebook)  # (nbformat.write refuses a malformed one; else RestoreGradingMetadata repairs)
            nbformat.write(notebook, target)
        else:
            target.write_bytes(data)
        for name, content in submission_record(submission, below).items():  # nbgrader's record: its time, its secret
            (target.parent / name).write_bytes(content)
    with phase("template copy"):
        shutil.copyfile(template, shard / "gradebook.db")
    with quiet_stderr(), phase("nbgrader"):
        run_converter(Autograde, shard, assignment, student, source_root=source_root, timeout=timeout, force=True,
             create_student=True)
        return read_result(shard / "gradebook.db", shard, assignment, student)


def verdict_message(cell) -> str:
    """The message a judged test cell shows: its failure lines, or its error's last line, or ''.

    A failed test's lines are its error's traceback (``preprocessors.verdict_outputs``); an ordinary
    nbgrader test cell may also have printed them.
    """
    texts = [o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return ""
    text = "".join(texts).strip() or "\n".join(errors[0].get("traceback", [])).strip()
    return text or f"{errors[0].get('ename')}: {errors[0].get('evalue')}"


#: Bytes of an autograded notebook :func:`read_result` reads messages from. Grading keeps at most
#: ``SandboxedExecute.output_budget`` bytes of outputs; a bigger file (graded by an older version)
#: is not parsed whole into memory: its scores are read, its messages are not.
MAX_AUTOGRADED_BYTES = 64 * 2**20


def read_result(db: Path, root: Path, assignment: str, student: str, messages: dict[str, str] | None = None) -> Result:
    """Scores from the gradebook, messages from the autograded notebook (or ``messages``, by test name).

    ``messages`` given (a grading worker sent them), the notebook is not read.
    """
    from nbgrader.api import Grade, Gradebook

    autograded = Path(root) / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not autograded.exists():
        raise GradingError("nbgrader produced no autograded notebook")
    missing = "cell missing"
    if messages is None:
        size = autograded.stat().st_size
        if size > MAX_AUTOGRADED_BYTES:
            messages, missing = {}, f"messages not read: the autograded notebook is {size >> 20} MB"
        else:
            messages = {c.metadata.get("nbgrader", {}).get("grade_id"): verdict_message(c)
                        for c in nbformat.read(autograded, as_version=4).cells}
    order = list(messages)
    result = Result(student, assignment)
    with Gradebook(f"sqlite:///{db}") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        grades = by_cell_name(gb, Grade, notebook.id, Grade.score, Grade.max_score)
        for name in sorted(grades, key=lambda name: order.index(name) if name in order else 0):
            score, max_score = grades[name]
            result.tests.append(TestResult(name, float(score or 0.0), float(max_score), messages.get(name, missing)))
        result.raw_score = result.score = float(notebook.score)
        result.max_score = float(notebook.max_score)
        submission = notebook.assignment
        if submission.total_seconds_late:  # nbgrader's penalty is the assignment's (a course assignment is one notebook)
            from .grades import final_score, late_note
            result.score, result.late = final_score(submission), late_note(submission)
    return result


def _links(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if os.path.islink(os.path.join(folder, name))]


def merge_shard(shard: Path, root: Path, assignment: str, student: str) -> None:
    """Copy a shard's autograded notebook, feedback (if made) and scores into the course folder ``root``.

    Manual grades and comments already in the gradebook are kept: only auto scores and auto
    comments are written (:func:`merge_scores`, a :class:`GradingError` when they do not fit the gradebook).
    """
    merge_scores(shard_scores(shard, assignment, student), root, assignment, student)
    for step in ("autograded", "feedback"):
        source, target = shard / step / student / assignment, Path(root) / step / student / assignment
        if source.exists():
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source, target, symlinks=True, ignore=_links)  # a link is never followed, nor kept
            make_private(target)  # the instructor's alone, as nbgrader's own autograde leaves them (student_files)
            for folder in (target.parent, target.parent.parent):
                make_folder_private(folder)


def shard_scores(shard: Path, assignment: str, student: str) -> dict:
    """A shard's scores as plain data: ``{"timestamp": ISO or None, "notebooks": {notebook: {"grades": {name:
    [auto_score, needs_manual_grade]}, "comments": {name: auto_comment}}}}``."""
    from nbgrader.api import Comment, Grade, Gradebook

    with Gradebook(f"sqlite:///{shard / 'gradebook.db'}") as gb:
        theirs = gb.find_submission(assignment, student)
        return {"timestamp": theirs.timestamp.isoformat() if theirs.timestamp else None,
                "notebooks": {nb.name: {"grades": {name: [auto, bool(manual)] for name, (auto, manual) in by_cell_name(
                                            gb, Grade, nb.id, Grade.auto_score, Grade.needs_manual_grade).items()},
                                        "comments": {name: text for name, (text,) in by_cell_name(
                                            gb, Comment, nb.id, Comment.auto_comment).items()}}
                              for nb in theirs.notebooks}}


def by_cell_name(gb, table, notebook_id: int, *columns) -> dict:
    """``{cell name: row}`` of a submitted notebook's grades or comments (``table``: nbgrader's ``Grade`` or
    ``Comment``), in one query: ``columns``, or the row itself. (Each row's ``name`` and ``max_score`` are a query
    of their own: 50 of each submission's merge.)"""
    from nbgrader.api import BaseCell

    query = gb.db.query(BaseCell.name, *(columns or (table,))).join(BaseCell, BaseCell.id == table.cell_id)
    return {name: row if columns else row[0] for name, *row in query.filter(table.notebook_id == notebook_id)}


def submitted_rows(gb, notebook: str, assignment: str, student: str) -> tuple[dict, dict]:
    """A student's submitted notebook's grade rows and comment rows, each ``{cell name: row}``, in a query each."""
    from nbgrader.api import Comment, Grade

    theirs = gb.find_submission_notebook(notebook, assignment, student).id
    return by_cell_name(gb, Grade, theirs), by_cell_name(gb, Comment, theirs)


def merge_scores(scores: dict, root: Path, assignment: str, student: str) -> None:
    """Write :func:`shard_scores`' data into the course gradebook of ``root``, then the late penalty.

    Every name must be one the course gradebook has, every score a number from 0 to the test's points, every
    comment a string: else a :class:`GradingError`, and nothing is written.
    """
    from datetime import datetime

    from nbgrader.api import Gradebook, GradeCell, MissingEntry, SolutionCell, TaskCell

    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from nbgrader's add_submission
        try:
            timestamp = datetime.fromisoformat(scores["timestamp"]) if scores.get("timestamp") else None
            updates = []
            for notebook, parts in scores["notebooks"].items():
                ours = gb.find_notebook(notebook, assignment).id  # its cells in one query a kind, not one a name
                graded = {cell: points for table in (TaskCell, GradeCell)
                          for cell, points in gb.db.query(table.name, table.max_score).filter(table.notebook_id == ours)}
                commented = {cell for table in (SolutionCell, TaskCell)
                             for (cell,) in gb.db.query(table.name).filter(table.notebook_id == ours)}
                for name, (auto_score, needs_manual) in parts["grades"].items():
                    max_score = graded[name]
                    if auto_score is not None and not (isinstance(auto_score, (int, float))
                                                       and 0 <= auto_score <= max_score):
                        raise GradingError(f"the score of {name} is not one from 0 to {max_score}")
                    updates.append(("grade", name, notebook, (auto_score, bool(needs_manual))))
                for name, comment in parts["comments"].items():
                    if comment is not None and not isinstance(comment, str):
                        raise GradingError(f"the comment of {name} is not text")
                    if name not in commented:
                        raise KeyError(name)
                    updates.append(("comment", name, notebook, comment))
        except (MissingEntry, KeyError, TypeError, ValueError, AttributeError) as error:
            raise GradingError(f"its scores do not fit the course gradebook ({type(error).__name__})") from None
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student).timestamp = timestamp
        except MissingEntry:
            gb.add_submission(assignment, student, timestamp=timestamp)
        submitted: dict[str, tuple[dict, dict]] = {}  # notebook -> (grades, comments) by name: one query each
        try:
            for kind, name, notebook, value in updates:
                if notebook not in submitted:  # (a grade's name is its cell's: loaded with it, not once per grade)
                    submitted[notebook] = submitted_rows(gb, notebook, assignment, student)
                grades, comments = submitted[notebook]
                if kind == "grade":
                    mine = grades[name]
                    mine.auto_score = value[0]
                    mine.needs_manual_grade = value[1] if mine.manual_score is None else False
                else:
                    comments[name].auto_comment = value
        except (MissingEntry, KeyError):
            gb.db.rollback()
            raise GradingError("its scores do not fit the course gradebook (MissingEntry)") from None
        gb.db.commit()
        assign_late_penalties(gb, assignment, student, nbgrader_settings(Path(root)))


def assign_late_penalties(gb, assignment: str, student: str, settings) -> None:
    """Each notebook's late penalty in gradebook ``gb``, as nbgrader's ``AssignLatePenalties`` sets it.

    The course gradebook has the due date (``nbgrader db assignment add --duedate``, formgrader's Edit) and
    the student's extension; a shard's is given them by :func:`late_rule`. ``settings``: the plugin and its
    settings, the course's (``LateSubmissionPlugin.penalty_method`` in its nbgrader_config.py,
    :func:`nbgrader_settings`).
    """
    from nbgrader.preprocessors import AssignLatePenalties

    judge = AssignLatePenalties(config=settings)
    judge.init_plugin()
    submission = gb.find_submission(assignment, student)
    seconds = submission.total_seconds_late
    for notebook in submission.notebooks:
        gb.db.refresh(notebook)  # its score, with the grades just written
        notebook.late_submission_penalty = None  # on time (or newly so: an extension, a newer submission)
        if seconds > 0:
            penalty = judge.plugin_inst.late_submission_penalty(student, notebook.score, seconds)
            if penalty is not None:
                notebook.late_submission_penalty = judge._check_late_penalty(notebook, penalty)
    gb.db.commit()


def nbgrader_settings(root: Path):
    """The settings nbgrader's own commands read in course folder ``root``: the ``nbgrader_config.py`` of
    Jupyter's config path (``~/.jupyter``, ``/etc/jupyter`` ...), then ``root``'s own, the later winning."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    files = [Path(folder) / "nbgrader_config.py" for folder in [*reversed(jupyter_config_path()), str(root)]]
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files if f.is_file())
    if key not in _SETTINGS:  # read once per grading run (once per merged submission otherwise)
        settings = Config()
        for file in files:
            if file.is_file():
                settings.merge(PyFileConfigLoader(file.name, path=str(file.parent)).load_config())
        _SETTINGS[key] = settings
    return _SETTINGS[key]


_SETTINGS: dict[tuple, object] = {}
#: The sections of the course's settings that decide a late penalty.
LATE_SECTIONS = ("LateSubmissionPlugin", "AssignLatePenalties")


def late_rule(gb, root: Path, assignment: str, student: str) -> dict:
    """What a worker needs to give a late submission its penalty in its shard, as JSON data:
    ``{"due": the student's due date (ISO, extension included) or None, "settings": the late sections}``.

    The course gradebook ``gb`` is read; the penalty itself is computed again when the shard is merged.
    """
    from nbgrader.api import MissingEntry

    try:
        due = gb.find_assignment(assignment).duedate
    except MissingEntry:
        due = None
    if due is not None:
        try:
            extension = gb.find_submission(assignment, student).extension
        except MissingEntry:
            extension = None
        due = due + extension if extension else due
    settings = nbgrader_settings(Path(root))
    sections = {name: {key: value for key, value in settings[name].items()
                       if isinstance(value, (str, int, float, bool, type(None)))}
                for name in LATE_SECTIONS if name in settings}
    return {"due": due.isoformat() if due is not None else None, "settings": sections}


def give_late_penalty(shard: Path, assignment: str, student: str, rule: dict) -> None:
    """In a shard's gradebook, the due date of ``rule`` (:func:`late_rule`) and the penalty it gives."""
    from datetime import datetime

    from nbgrader.api import Gradebook
    from traitlets.config import Config

    if not rule or not rule.get("due"):
        return
    with Gradebook(f"sqlite:///{Path(shard) / 'gradebook.db'}") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gb.find_assignment(assignment).duedate = datetime.fromisoformat(rule["due"])
        gb.db.commit()
        assign_late_penalties(gb, assignment, student, Config(rule.get("settings") or {}))
