"""Running one of nbgrader's converters (GenerateAssignment, Autograde, GenerateFeedback) on a course folder.

Used by the gradebook (templates), the grading engine (shards) and ``grader check``: one place that
builds the settings, quiets nbgrader's log and turns its failure into a one-line :class:`GradingError`.
"""
from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from ..config import COURSE_ROOT, course_config


@lru_cache(maxsize=1)
def check_schemas_once() -> None:
    """Give nbgrader's cell-metadata check a ``jsonschema.validate`` that checks each schema once, not once per cell.

    nbgrader validates every cell's metadata with ``jsonschema.validate(metadata, schema)``, which checks the schema
    itself first (1.7 ms): 26 cells, 45 ms of each submission's grading, for nbgrader's own, unchanging schema file.
    The same errors are raised (the best match of the same validator's errors). Made when a converter first runs:
    importing nbgrader costs every command that does not grade half a second (``grader check`` asking its server).
    """
    import jsonschema
    from nbgrader.nbgraderformat import common

    validators: dict[int, tuple[dict, object]] = {}

    class CheckedSchemas:
        ValidationError = jsonschema.ValidationError

        @staticmethod
        def validate(instance, schema) -> None:
            kept = validators.get(id(schema))
            if kept is None or kept[0] is not schema:
                validator_class = jsonschema.validators.validator_for(schema)
                validator_class.check_schema(schema)
                kept = validators[id(schema)] = (schema, validator_class(schema))
            error = jsonschema.exceptions.best_match(kept[1].iter_errors(instance))
            if error is not None:
                raise error

    common.jsonschema = CheckedSchemas


#: Engines :func:`one_engine_per_gradebook` keeps: the course's gradebook and a few shards'.
KEPT_ENGINES = 4


@contextlib.contextmanager
def one_engine_per_gradebook(scratch: bool = False):
    """Within this block, nbgrader's ``Gradebook`` opens of one database share one SQLAlchemy engine (disposed after).

    Every step of nbgrader opens the gradebook anew (a dozen times per submission graded), and each open made an
    engine of its own; SQLAlchemy keeps compiled SQL per engine, so every open compiled the same queries again (30 ms
    of a submission's 0.3 s in a worker). Each ``Gradebook.close`` still closes its connections (``dispose``).
    For one process's sequential work: not for threads sharing nbgrader. ``scratch``: the databases opened are
    scratch copies (a shard's, merged into the course's gradebook, then removed): SQLite waits for no disk write
    (nbgrader commits each score: 48 commits a submission, each one a sync to disk).
    """
    import nbgrader.api as api

    made: OrderedDict[tuple, object] = OrderedDict()  # the latest few: a grading run opens a shard per submission
    original = api.create_engine

    def create_engine(url, **options):
        try:
            key = (str(url), tuple(sorted(options.items())))
            hash(key)
        except TypeError:  # an option that is no plain value: an engine of its own
            return original(url, **options)
        if key not in made:
            made[key] = original(url, **options)
            if scratch:
                _no_durability(made[key])
            if len(made) > KEPT_ENGINES:
                made.popitem(last=False)[1].dispose()
        made.move_to_end(key)
        return made[key]

    api.create_engine = create_engine
    try:
        yield
    finally:
        api.create_engine = original
        for engine in made.values():
            engine.dispose()


def _no_durability(engine) -> None:
    """Each connection of ``engine`` keeps its journal in memory and does not sync: a crash may lose the database."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def connect(connection, record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.close()


class GradingError(RuntimeError):
    """A submission could not be graded; the message says why, in one line."""


class _ErrorLog(logging.Handler):
    """Keeps nbgrader's error messages, to say in one line why a submission could not be graded."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.text = []

    def emit(self, record):
        self.text.append(record.getMessage())

    def reason(self) -> str:
        text = "\n".join(self.text)
        if "DeadKernelError" in text or "Kernel died" in text:
            return ("the kernel died while running the notebook (a crash, os._exit, more memory or processes than "
                    "the sandbox allows, or the notebook's wall-clock cap)")
        if "CellTimeoutError" in text or "TimeoutError" in text:
            return "a cell ran longer than the time limit per cell"
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith(" ")]
        informative = [line for line in lines if "Error" in line and "Please see" not in line]
        return (informative or lines or ["unknown error"])[-1][:300]


def run_converter(converter_class, root: Path, assignment: str, student: str = ".", source_root: Path = COURSE_ROOT,
         db: Path | None = None, timeout: int | None = None, **attributes) -> None:
    from nbgrader.coursedir import CourseDirectory

    check_schemas_once()
    config = course_config(root, source_root=source_root, db_url=f"sqlite:///{db or Path(root) / 'gradebook.db'}")
    if timeout:
        config.Execute.timeout = timeout
    config.CourseDirectory.release_directory = str(Path(root) / "release")
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.student_id = student
    coursedir = CourseDirectory(config=config)
    app = converter_class(coursedir=coursedir, config=config)
    app.log.setLevel(logging.ERROR)
    errors = _ErrorLog()
    app.log.addHandler(errors)
    for name, value in attributes.items():
        setattr(app, name, value)
    try:
        app.start()
    except Exception as error:
        raise GradingError(errors.reason() if errors.text else f"{type(error).__name__}: {error}") from None
    finally:
        app.log.removeHandler(errors)
