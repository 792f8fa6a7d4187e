"""One package per notebook: everything the grader knows about notebook ``NN_topic`` lives in
``grader/course/notebooks/nbNN_topic/`` (a Python package name cannot start with a digit):

- ``reference.py``: the notebook's graded functions, correct, validating, numpy only; its
  ``__all__`` lists them in the order the notebook teaches them (``grader.course.reference`` re-exports them);
- ``mistakes.py``: ``VARIANTS``, the typical wrong versions of each function with the hint that names them;
- ``catalogue.py``: deliberately wrong and independent correct student code, with a battery of calls.

Its test cases are not here: they run in the student's kernel, so they live apart, in
``grader/cases/nbNN_topic.py``, the one folder of ``grader/`` the sandbox binds (with ``grader/hidden.py``).

Nothing lists the notebooks or their functions by hand: the notebooks are the sources in ``solutions/``
(:func:`grader.layout.assignments`), and each one's functions are found here, by that convention.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from ...layout import assignments as course_assignments

PREFIX = "nb"
HERE = Path(__file__).resolve().parent


def package_name(assignment: str) -> str:
    """``02_padding_stride`` -> ``nb02_padding_stride``."""
    return PREFIX + assignment


@lru_cache(maxsize=None)
def assignments() -> tuple[str, ...]:
    """Every notebook, in course order: the one list, :func:`grader.layout.assignments` (the sources)."""
    return tuple(course_assignments())


def module(assignment: str, part: str) -> ModuleType | None:
    """``grader.course.notebooks.nbNN_topic.<part>``, or None when the notebook has no such module."""
    if not (HERE / package_name(assignment) / f"{part}.py").exists():
        return None
    return importlib.import_module(f"{__name__}.{package_name(assignment)}.{part}")


def functions(assignment: str) -> list[str]:
    """The graded functions of one notebook, in teaching order (its reference's ``__all__``)."""
    reference = module(assignment, "reference")
    return list(reference.__all__) if reference else []
