"""Judging a graded function's hidden cases in this process, as ``grader check`` does, for the diagnosis tests."""
from __future__ import annotations

from typing import Callable

import numpy as np

from cnn_course import record
from cnn_course.diagnose import PREFIX
from grader.cases import CASE_SETS, test_id
from grader.course import reference as R
from grader.course.verdict import Verdict, judge


def hidden_verdict(function: str, implementation: Callable, visible: bool = False) -> Verdict:
    """The verdict of ``implementation`` on ``function``'s hidden (or visible) cases."""
    case_set = test_id(function, visible)
    with np.errstate(all="ignore"):
        outcomes = [record.run_case(implementation, case.args) for case in CASE_SETS[case_set].cases()]
    return judge(case_set, {"outcomes": outcomes})


def diagnosis(verdict: Verdict) -> str | None:
    """The verdict's "where it goes wrong" sentence, or None."""
    return next((line.strip()[len(PREFIX):] for line in verdict.lines if line.strip().startswith(PREFIX)), None)


def twist(function: str, change: Callable) -> Callable:
    """``change(reference_function, **args)``, under the graded function's own parameter names."""
    right = getattr(R, function)

    def wrong(**args):
        return change(right, **args)
    wrong.__signature__ = __import__("inspect").signature(right)
    return wrong
