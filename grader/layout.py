"""Where the course's files are, and the one list of its assignments (derived from ``solutions/``).

The floor below every other: standard library only, so the course's knowledge finds its notebooks without
the settings, and the settings (:mod:`grader.config`) re-export what is here.
"""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "notebooks"
#: The languages the course is built in besides English, each in a folder of its own (``zh/notebooks/``,
#: ``zh/solutions/``: outside ``notebooks/`` and ``solutions/``, where nbgrader would take a folder for an
#: assignment), from its catalogues (grader/authoring/translate.py).
LANGUAGES = {"zh": "中文"}
#: What grading reads from a checkout: two checkouts whose copies of these agree grade alike (``locale``: the words of
#: the feedback and of ``grader check`` in each notebook's language).
GRADING_PARTS = ("grader", SOURCE_DIRECTORY, "cnn_course", "locale")


def assignments(source_root: str | Path = COURSE_ROOT) -> list[str]:
    """The course's assignments, in order: the ids (= folder = notebook name) with a source
    ``solutions/<id>/<id>.py``. The one list: the build, the gradebook and the tests all read it."""
    folder = Path(source_root) / SOURCE_DIRECTORY
    return sorted(p.parent.name for p in folder.glob("*/*.py") if p.stem == p.parent.name)


def assignment_named(name: str, source_root: str | Path = COURSE_ROOT) -> str:
    """The assignment ``name`` names: its id (``02_padding_stride``) or its number (``02``, ``2``). Raises
    ValueError naming the assignments when none or several match."""
    known = assignments(source_root)
    found = [a for a in known if a == name or (name.isdigit() and a.split("_", 1)[0].lstrip("0") == name.lstrip("0"))]
    if len(found) != 1:
        raise ValueError(f"no assignment {name!r}: the course has {', '.join(known)} (an id, or its number)")
    return found[0]


def checkout_fingerprint(root: str = str(COURSE_ROOT)) -> dict[str, str]:
    """``{"commit": ..., "grader": sha256, "solutions": ..., "cnn_course": ...}`` of a course checkout.

    Each part's digest covers every file's path and bytes (caches and compiled files aside), so two checkouts
    grade alike exactly when their digests agree. The commit is ``git rev-parse HEAD``, or "" without git.
    """
    root_path = Path(root)
    parts = {}
    for part in GRADING_PARTS:
        digest = hashlib.sha256()
        for path in sorted((root_path / part).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                digest.update(str(path.relative_to(root_path)).encode() + b"\0" + path.read_bytes() + b"\0")
        parts[part] = digest.hexdigest()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root_path, capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"commit": commit, **parts}
