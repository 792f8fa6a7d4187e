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


def grayscale_photo(size: int = 128):
    """A real photograph in grayscale, about ``size`` pixels wide: float64 in [0, 1], shape (H, W).

    The photo is the official 1984 U.S. Navy portrait of Commodore Grace M. Hopper, a work of
    the U.S. federal government and so in the public domain; matplotlib ships it as sample data
    (``grace_hopper.jpg``, 512x600 RGB), so the course needs no copy of it. It is averaged down
    by whole blocks of pixels (``600 // size`` per side), which keeps it sharp and needs no
    interpolation library.
    """
    import numpy as np
    from matplotlib import cbook
    from matplotlib.image import imread

    with cbook.get_sample_data("grace_hopper.jpg") as file:
        rgb = np.asarray(imread(file, format="jpg"), dtype=np.float64)[..., :3] / 255.0
    gray = rgb @ np.array([0.299, 0.587, 0.114])              # ITU-R 601 luma weights
    block = max(1, min(gray.shape) // size)
    h, w = (gray.shape[0] // block) * block, (gray.shape[1] // block) * block
    return gray[:h, :w].reshape(h // block, block, w // block, block).mean(axis=(1, 3))
