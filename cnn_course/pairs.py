"""An ``(h, w)`` pair from an int or a pair: the course's one helper for it (no checking: see
``grader.course.validation`` for the graded functions' own, which names a bad argument)."""
from __future__ import annotations

import numpy as np


def pair(value) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(2, 1)`` -> ``(2, 1)`` (numpy integers become ints)."""
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))
