"""The course gradebook: which assignments it knows, with their cells and points, as generate_assignment records them.

nbgrader finds an assignment in the gradebook before it grades it; the course registers each released or
graded assignment from a template gradebook made once per version of its solution notebook, so nobody
has to click Generate. ``nbgrader_config.py`` calls :func:`register_course` after the course's settings.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from traitlets.config import Config

from ..config import COURSE_ROOT, SOURCE_DIRECTORY, exchange_released, use_alembic_head
from ..config import assignments as course_assignments
from .converters import run_converter


def solution_notebook(assignment: str, source_root: Path = COURSE_ROOT) -> Path:
    return Path(source_root) / SOURCE_DIRECTORY / assignment / f"{assignment}.ipynb"


def make_template(assignment: str, path: Path, source_root: Path = COURSE_ROOT) -> Path:
    """A gradebook that knows ``assignment`` (its cells, points, checksums), made by generate_assignment."""
    from nbgrader.converters import GenerateAssignment

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cnn-course-template-") as work:
        run_converter(GenerateAssignment, Path(work), assignment, source_root=source_root, db=Path(work) / "gradebook.db",
             force=True, create_assignment=True)
        shutil.copyfile(Path(work) / "gradebook.db", path)
    return path


def cached_template(assignment: str, source_root: Path = COURSE_ROOT) -> Path:
    """The template gradebook for ``assignment``, made once per version of its solution notebook."""
    import nbgrader

    key = solution_notebook(assignment, source_root).read_bytes() + nbgrader.__version__.encode()
    digest = hashlib.sha256(key).hexdigest()[:16]  # a new solution or nbgrader version: a new template
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cnn-course" / "gradebooks"
    path = cache / f"{assignment}-{digest}.db"
    recorded = path.with_name(path.name + ".sha256")
    # Kernels never see this folder (see grader/engine/sandbox.py); the checksum catches any other change.
    if not (path.exists() and recorded.exists() and recorded.read_text().strip() == _sha256(path)):
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        make_template(assignment, partial, source_root)
        partial_sum = recorded.with_suffix(f".{os.getpid()}.tmp")
        partial_sum.write_text(_sha256(partial) + "\n")
        os.replace(partial, path)  # atomic: parallel checks never see half a file
        os.replace(partial_sum, recorded)
    return path


def _cells_of(gb, assignment: str) -> dict:
    """What generate_assignment records of ``assignment`` in gradebook ``gb``, as comparable data."""
    from nbgrader.api import MissingEntry

    try:
        found = gb.find_assignment(assignment)
    except MissingEntry:
        return {}
    return {nb.name: {
        "grade": sorted((c.name, c.max_score, c.cell_type) for c in nb.grade_cells),
        "task": sorted((c.name, c.max_score, c.cell_type) for c in nb.task_cells),
        "solution": sorted(c.name for c in nb.solution_cells),
        "source": sorted((c.name, c.cell_type, c.locked, c.source, c.checksum) for c in nb.source_cells),
    } for nb in found.notebooks}


def _copy_assignment(template, gb, assignment: str) -> None:
    """Write ``assignment``'s notebooks and cells from gradebook ``template`` into gradebook ``gb``.

    Cells the template no longer has are removed only while nobody has submitted (as
    generate_assignment does: grades must never lose their cell).
    """
    gb.update_or_create_assignment(assignment, course_id=template.find_assignment(assignment).course_id)
    submitted = bool(gb.find_assignment(assignment).submissions)
    for nb in template.find_assignment(assignment).notebooks:
        gb.update_or_create_notebook(nb.name, assignment)
        for cell in nb.grade_cells:
            gb.update_or_create_grade_cell(cell.name, nb.name, assignment, max_score=cell.max_score,
                                           cell_type=cell.cell_type)
        for cell in nb.task_cells:
            gb.update_or_create_task_cell(cell.name, nb.name, assignment, max_score=cell.max_score,
                                          cell_type=cell.cell_type)
        for cell in nb.solution_cells:
            gb.update_or_create_solution_cell(cell.name, nb.name, assignment)
        for cell in nb.source_cells:
            gb.update_or_create_source_cell(cell.name, nb.name, assignment, cell_type=cell.cell_type,
                                            locked=cell.locked, source=cell.source, checksum=cell.checksum)
        if not submitted:
            mine = gb.find_notebook(nb.name, assignment)
            for kind in ("grade_cells", "task_cells", "solution_cells", "source_cells"):
                keep = {c.name for c in getattr(nb, kind)}
                for cell in getattr(mine, kind):
                    if cell.name not in keep:
                        gb.db.delete(cell)
    gb.db.commit()


#: (gradebook, its size and mtime after the last check, templates) already known to be up to date.
_REGISTERED: set[tuple] = set()


def register_assignments(db: Path, source_root: Path = COURSE_ROOT, assignments: Iterable[str] = ()) -> list[str]:
    """Make the gradebook ``db`` (created if missing) know ``assignments``, as generate_assignment would, and
    bring every course assignment it already knows up to date.

    Input: the sqlite file, the folder holding ``solutions/``, and the ids to add (what is released or
    graded: formgrader's Manage Students adds up every assignment of the gradebook, so one registered
    ahead of its release would count in each student's total; ids not of the course are ignored).
    Output: the ids that were added or brought up to date (``[]`` when all were known). Cells and
    points come from the cached template gradebooks (:func:`cached_template`). Cheap when nothing
    changed: nbgrader loads the course config many times per command and on formgrader requests, so
    the answer is remembered per process for an unchanged gradebook file, request and solution notebooks.
    """
    from nbgrader.api import Assignment, Gradebook

    use_alembic_head()  # a new gradebook: no `alembic heads` subprocess
    db = Path(db).resolve()
    templates = {a: cached_template(a, source_root) for a in course_assignments(source_root)}
    wanted = sorted(set(assignments) & set(templates))

    def key():
        stat = db.stat() if db.exists() else None
        return (str(db), stat and (stat.st_size, stat.st_mtime_ns), tuple(wanted),
                tuple(sorted(map(str, templates.values()))))

    if key() in _REGISTERED:
        return []
    if not db.exists():  # the gradebook is the instructor's alone (sqlite gives its journal the same mode)
        db.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    changed = []
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{db}") as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warnings from nbgrader's update_or_create_*
        known = {name for (name,) in gb.db.query(Assignment.name)}
        for assignment in sorted(set(wanted) | (known & set(templates))):
            with Gradebook(f"sqlite:///{templates[assignment]}") as tb:
                if _cells_of(gb, assignment) != _cells_of(tb, assignment):
                    _copy_assignment(tb, gb, assignment)
                    changed.append(assignment)
    _REGISTERED.add(key())
    return changed


def register_before_autograde(db: Path, source_root: Path = COURSE_ROOT) -> Callable[..., None]:
    """A ``pre_convert_hook`` for nbgrader's Autograde: the assignment about to be graded is registered first.

    nbgrader looks the assignment up in the gradebook before it grades; this hook runs just before, so
    ``nbgrader autograde`` (and formgrader's) works on a fresh course folder where nobody clicked Generate.
    The assignment is the folder of the notebooks (``submitted/<student>/<assignment>/``).
    """
    def hook(notebooks=(), **_):
        register_assignments(db, source_root, {Path(notebook).parent.name for notebook in notebooks})

    return hook


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def register_course(c: Config) -> Config:
    """Make the course gradebook of settings ``c`` know the released assignments, and nbgrader's Autograde
    register the one it grades just before (``nbgrader autograde`` on a fresh course folder works).

    Only released (or graded) assignments are registered: formgrader's Manage Students adds up every
    assignment of the gradebook, as ``grades.csv`` adds up the released ones. Another database than
    sqlite is the instructor's to set up. Output: ``c``.
    """
    if not c.CourseDirectory.db_url.startswith("sqlite:///"):
        return c
    db, root = Path(c.CourseDirectory.db_url.removeprefix("sqlite:///")), Path(c.CourseDirectory.root)
    register_assignments(db, root, exchange_released(root))
    if "pre_convert_hook" not in c.Autograde:  # an instructor's own hook wins (then release first)
        c.Autograde.pre_convert_hook = register_before_autograde(db, root)
    return c
