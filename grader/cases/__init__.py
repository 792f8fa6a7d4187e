"""Test cases, by case-set id (= the grade_id of the test cell that runs them): the part of
``grader/`` the student's kernel sees, with ``grader/hidden.py``.

A case set is a deterministic list of calls of one graded function. Visible case
sets are baked, with their expected outcomes and typical-mistake outcomes, into
``cnn_course/fixtures/<notebook>.json`` by ``make notebooks``; hidden ones are
only ever built here, by the kernel (to call the student's function) and by the
grading process (to judge the outcomes), from the same code.

A notebook's cases live in this folder, in ``nbNN_topic.py`` (the name of the notebook's package
in ``grader/course/notebooks/``): each graded function ``f`` gets a visible set (decorated
``@visible("f")``, id ``test_f_visible``) and a hidden one (``@hidden("f")``, id
``test_f_hidden``); the id is also the grade_id of the test cell that runs it. Every such module
is imported at the bottom of this one. This folder runs in the student's kernel (hidden cells
rebuild their cases there) and the sandbox binds it whole, so what is here imports only numpy,
the standard library, ``cnn_course`` and this package: never a reference, a mistake or a verdict.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

#: A notebook's case module: ``nb02_padding_stride.py`` holds the cases of ``02_padding_stride``.
PREFIX = "nb"
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    """One call: keyword arguments, and what the call checks, in a student's words.

    ``names``: for a call that must raise, the words its error message must contain (the argument
    at fault, e.g. ``("stride",)``): a bare ``raise ValueError()`` then fails the case, with a hint.
    Use it where the contract grades the message (docs/course-spec.md).
    """
    args: dict
    note: str
    names: tuple[str, ...] = ()


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


def assignment_of_module(module_name: str) -> str:
    """``grader.cases.nb02_padding_stride`` -> ``02_padding_stride``."""
    return module_name.rsplit(".", 1)[1][len(PREFIX):]


def test_id(function: str, visible: bool) -> str:
    """The id of a function's case set, and the grade_id of its test cell: ``test_pad2d_visible``."""
    return f"test_{function}_{'visible' if visible else 'hidden'}"


def _register(function: str, visible: bool):
    def register(build: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
        id = test_id(function, visible)
        if id in CASE_SETS:
            raise ValueError(f"case set {id!r} is registered twice")
        CASE_SETS[id] = CaseSet(id, assignment_of_module(build.__module__), function, visible, build)
        return build
    return register


def visible(function: str):
    """Register the decorated zero-argument builder as the visible cases of ``function``."""
    return _register(function, visible=True)


def hidden(function: str):
    """Register the decorated zero-argument builder as the hidden cases of ``function``."""
    return _register(function, visible=False)


def rng(seed: int) -> np.random.Generator:
    """The random generator every case set uses: same seed, same cases, in kernel and grader."""
    return np.random.default_rng(seed)


def for_notebook(notebook: str) -> list[CaseSet]:
    return [s for s in CASE_SETS.values() if s.notebook == notebook]


for _module in sorted(HERE.glob(f"{PREFIX}*.py")):
    importlib.import_module(f"{__name__}.{_module.stem}")
