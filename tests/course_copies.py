"""Copies of the course and of its notebooks that tests grade: a fresh clone's files, a perfect student."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def fresh_copy(target: Path) -> Path:
    """The course as a fresh clone has it (tracked and new, not ignored, files of this checkout) in ``target``."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def python_for(tree: Path, venv: Path) -> Path:
    """A Python whose ``grader`` and ``cnn_course`` are ``tree``'s: this checkout's venv, hard-linked (copied
    where links cannot be made) to ``venv``, its editable install pointed at ``tree``. Grading workers and the
    sandbox's launcher run ``python -I``, so PYTHONPATH would not reach them; and the sandbox binds only the
    venv and the course, so the new venv holds every package itself.
    """
    import os
    import sys

    def link(source, target):
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(Path(sys.prefix), venv, symlinks=True, copy_function=link)
    for finder in (venv / "lib").glob("python3*/site-packages/__editable__*finder.py"):
        text = finder.read_text().replace(str(ROOT), str(tree))
        finder.unlink()  # a hard link: writing through it would change this checkout's venv
        finder.write_text(text)
    return venv / "bin" / "python"


def solved_notebook(course: Path, assignment: str) -> nbformat.NotebookNode:
    """The student version in ``course`` with every answer cell filled in from the solution: a perfect student.

    Hidden tests stay absent, as in what students hand in.
    """
    nb = nbformat.read(Path(course) / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    solution_cells = nbformat.read(Path(course) / "solutions" / assignment / f"{assignment}.ipynb", as_version=4).cells
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in solution_cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    # a perfect student has also brought their earlier functions in (cnn_course.earlier.bring)
    brought = {c.id: c.source for c in solution_cells if c.metadata.get("cnn_course", {}).get("earlier")}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]  # the solution markers are plain comments
        elif cell.get("id") in brought:
            cell.source = brought[cell.id]
    return nb


def with_sources(nb: nbformat.NotebookNode, sources: dict[str, str]) -> nbformat.NotebookNode:
    """``nb`` with the cells whose grade_id is a key of ``sources`` given that source (dedented); every key must match."""
    import textwrap

    missing = set(sources)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = textwrap.dedent(sources[grade_id])
            missing.discard(grade_id)
    if missing:
        raise KeyError(f"no cell with grade_id {sorted(missing)}")
    return nb


def grade_rows(course: Path) -> dict[str, dict[str, str]]:
    """``{student_id: row}`` of a course folder's grades.csv, each row with its grades-detail.csv columns too
    (``<assignment>/<test>``)."""
    import csv

    rows: dict[str, dict[str, str]] = {}
    for name in ("grades.csv", "grades-detail.csv"):
        with (Path(course) / name).open() as handle:
            for row in csv.DictReader(handle):
                rows.setdefault(row["student_id"], {}).update(row)
    return rows
