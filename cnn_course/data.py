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


#: How many of the 1797 digits are held out for testing (the same ones every time).
DIGITS_TEST_SIZE = 500


def load_digits(test_size: int = DIGITS_TEST_SIZE, seed: int = 0):
    """The 8x8 UCI handwritten digits (``data/digits.npz``), split into a training and a test set.

    The split is fixed: a permutation from ``numpy.random.default_rng(seed)`` puts ``test_size``
    images in the test set and the rest in the training set, the same ones every time.

    Returns ``(x_train, y_train, x_test, y_test)``: images as float64 arrays of shape
    ``(N, 1, 8, 8)`` scaled from the pixel counts 0..16 to 0..1 (NCHW with one channel),
    labels as int64 arrays of shape ``(N,)`` holding the digit 0..9.
    """
    import numpy as np

    with np.load(data_path("digits.npz")) as data:
        x = data["X"].astype(np.float64)[:, None, :, :] / 16.0
        y = data["y"].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    test, train = order[:test_size], order[test_size:]
    return x[train], y[train], x[test], y[test]
