"""Where the course's files are, and the one list of its assignments (derived from ``solutions/``).

The floor below every other: standard library only, so the course's knowledge finds its notebooks without
the settings, and the settings (:mod:`grader.config`) re-export what is here.
"""
from __future__ import annotations

from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRECTORY = "solutions"
RELEASE_DIRECTORY = "notebooks"


def assignments(source_root: str | Path = COURSE_ROOT) -> list[str]:
    """The course's assignments, in order: the ids (= folder = notebook name) with a source
    ``solutions/<id>/<id>.py``. The one list: the build, the gradebook and the tests all read it."""
    folder = Path(source_root) / SOURCE_DIRECTORY
    return sorted(p.parent.name for p in folder.glob("*/*.py") if p.stem == p.parent.name)
