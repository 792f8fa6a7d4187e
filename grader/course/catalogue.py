"""The catalogue of student implementations: deliberately wrong ones, and independent correct ones.

Every graded function has, in its notebook's package,

* at least two **wrong** implementations (:data:`WRONG`), each written the way a student
  would write it (loops, the wrong slice, ``=`` instead of ``+=``...), with a short label and,
  usually, a substring of the hint that ``grader.course.mistakes`` must give for it;
* one **correct** implementation (:data:`CORRECT`) written differently from
  ``grader.course.reference`` (mostly explicit loops), which must pass every test;
* a deterministic **battery** of calls (:func:`battery`) that exercises it: non-square shapes,
  stride > 1, pad > 0, overlapping pooling windows, ties, batch N > 1, output_padding > 0,
  dilation > 1 wherever the function has them.

How the implementations are stored (the choice, and why)
-------------------------------------------------------
Each implementation is kept as **source code in a string** (:class:`Impl`). That source is
exactly what a student would type into the graded cell: one top-level ``def`` named like the
graded function, using only ``np`` (``numpy as np``, as imported by the notebook's setup cell)
and the standard library (imported inside the function). :class:`Impl` checks this when the
catalogue is imported (parse with :mod:`ast`), and compiles the source with ``exec`` into a
fresh namespace holding only ``np``, so an implementation cannot lean on a helper of the test
suite or on another graded function. Strings rather than real functions because many
implementations of the same function must coexist under the same name, and a notebook-level
test needs the source text anyway: it pastes ``impl.source`` into a submission's solution cell
(no ``inspect.getsource`` of nested or renamed functions needed).

Each notebook's ``grader/course/notebooks/nbNN_topic/catalogue.py`` holds its ``WRONG``, ``CORRECT`` and
``battery()``; this module gathers them (found by that convention).
"""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np

from cnn_course.pairs import pair  # noqa: F401 - the notebooks' catalogues take it from here


@dataclass(frozen=True)
class Impl:
    """One implementation of graded function ``function``, as the source of a notebook cell."""
    function: str
    source: str = field(repr=False)

    def __post_init__(self) -> None:
        source = textwrap.dedent(self.source).strip() + "\n"
        object.__setattr__(self, "source", source)
        tree = ast.parse(source)
        defs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        if len(tree.body) != 1 or len(defs) != 1 or defs[0].name != self.function:
            raise ValueError(f"catalogue source must be exactly one top-level `def {self.function}(...)`:\n{source}")

    @property
    def compiled(self) -> Callable:
        return _compile(self.function, self.source)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.compiled(*args, **kwargs)


@lru_cache(maxsize=None)
def _compile(function: str, source: str) -> Callable:
    namespace: dict[str, Any] = {"np": np, "__name__": f"catalogue.{function}"}
    exec(compile(source, f"<catalogue {function}>", "exec"), namespace)
    return namespace[function]


@dataclass(frozen=True)
class WrongImpl:
    """A deliberately wrong implementation: which function, a short label, the code, the hint it must get."""
    function: str
    label: str
    impl: Impl = field(repr=False)
    hint: str | None = None  # a substring of the hint grader.course.mistakes must give (None: any hint)

    @property
    def source(self) -> str:
        return self.impl.source


def wrong(function: str, label: str, source: str, hint: str | None = None) -> WrongImpl:
    return WrongImpl(function, label, Impl(function, source), hint)


def correct(function: str, source: str) -> Impl:
    return Impl(function, source)


def out_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output size of a convolution, for shaping battery arguments."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _load():
    """Every notebook's ``catalogue`` module (``grader/course/notebooks/nbNN_topic/catalogue.py``)."""
    from . import notebooks

    return [m for m in (notebooks.module(a, "catalogue") for a in notebooks.assignments()) if m is not None]


WRONG: list[WrongImpl] = [w for module in _load() for w in module.WRONG]
CORRECT: dict[str, Impl] = {name: impl for module in _load() for name, impl in module.CORRECT.items()}


@lru_cache(maxsize=None)
def _batteries() -> dict[str, list[dict]]:
    calls: dict[str, list[dict]] = {}
    for module in _load():
        calls.update(module.battery())
    return calls


def battery(function: str) -> list[dict]:
    """The deterministic calls (keyword arguments) that test ``function``; fresh copies each time."""
    import copy
    return copy.deepcopy(_batteries()[function])


def wrong_for(function: str) -> list[WrongImpl]:
    return [w for w in WRONG if w.function == function]
