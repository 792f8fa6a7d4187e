"""Finding the course's data files from any working directory."""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The ``data/`` folder: ``$CNN_COURSE_DATA`` if set, else the repository's (editable install)."""
    if os.environ.get("CNN_COURSE_DATA"):
        return Path(os.environ["CNN_COURSE_DATA"])
    return Path(__file__).resolve().parent.parent / "data"


def data_path(name: str) -> Path:
    """Absolute path of ``data/<name>``; a clear error when it is missing."""
    path = data_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"course data file {name!r} not found in {data_dir()} (set CNN_COURSE_DATA?)")
    return path
