"""Test cases, by case-set id (= the grade_id of the test cell that runs them).

A case set is a deterministic list of calls of one graded function. Visible case
sets are baked, with their expected outcomes and typical-mistake outcomes, into
``cnn_course/fixtures/<notebook>.json`` by ``make notebooks``; hidden ones are
only ever built here, by the kernel (to call the student's function) and by the
grading process (to judge the outcomes), from the same code.

Add cases for a notebook in ``grader/cases_<notebook>.py``: it registers its sets
with :func:`case_set`; every such module is imported at the bottom of this one.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call: keyword arguments, and what the call checks, in a student's words."""
    args: dict
    note: str


@dataclass(frozen=True)
class CaseSet:
    id: str
    notebook: str
    function: str
    visible: bool
    build: Callable[[], list[Case]] = field(repr=False)

    def cases(self) -> list[Case]:
        return self.build()


CASE_SETS: dict[str, CaseSet] = {}


def case_set(id: str, notebook: str, function: str, visible: bool = False):
    """Register the decorated zero-argument builder as case set ``id``."""
    def register(build: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
        if id in CASE_SETS:
            raise ValueError(f"case set {id!r} is registered twice")
        CASE_SETS[id] = CaseSet(id, notebook, function, visible, build)
        return build
    return register


def rng(seed: int) -> np.random.Generator:
    """The random generator every case set uses: same seed, same cases, in kernel and grader."""
    return np.random.default_rng(seed)


def for_notebook(notebook: str) -> list[CaseSet]:
    return [s for s in CASE_SETS.values() if s.notebook == notebook]


for _path in sorted(Path(__file__).parent.glob("cases_*.py")):
    importlib.import_module(f"{__package__}.{_path.stem}")
