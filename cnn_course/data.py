"""Finding the course's data files from any working directory."""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The course's data folder.

    ``$CNN_COURSE_DATA`` if set; else the repository's ``data/`` (the editable install in a clone); else
    the copy inside the package (``course_data/``, what the student bundle's wheel installs).
    """
    if os.environ.get("CNN_COURSE_DATA"):
        return Path(os.environ["CNN_COURSE_DATA"])
    package = Path(__file__).resolve().parent
    repository = package.parent / "data"
    return repository if repository.is_dir() else package / "course_data"


def data_path(name: str) -> Path:
    """Absolute path of ``data/<name>``; a clear error when it is missing."""
    path = data_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"course data file {name!r} not found in {data_dir()} (set CNN_COURSE_DATA?)")
    return path
