"""Kernel side of a hidden test: call the student's function on the hidden cases and record the outcomes.

Nothing here decides right or wrong during grading: the outcomes are judged by
``grader.verdict`` in the grading process, which the student's kernel cannot patch.
This module must not import ``grader.reference`` (the grading process checks that
the kernel never loaded it, so a submission cannot call the reference itself).
"""
from __future__ import annotations

from typing import Callable

from cnn_course import record

from .cases import CASE_SETS


def record_hidden(case_set_id: str, function: Callable) -> None:
    """Record ``function``'s outcomes on hidden case set ``case_set_id``.

    Under autograde it then raises ``VerdictPending`` (the grading process judges). Elsewhere
    (an instructor running the solution notebook) it judges at once and raises
    ``AssertionError`` on a failure, so a solution that breaks shows.
    """
    case_set = CASE_SETS[case_set_id]
    outcomes = [record.run_case(function, case.args) for case in case_set.cases()]
    record.emit(case_set_id, case_set.function, outcomes)
    record.finish_recording()  # under autograde this raises: the grading process judges
    from . import verdict  # instructor convenience only; never imported while grading
    result = verdict.judge(case_set_id, {"id": case_set_id, "outcomes": outcomes})
    print("\n".join(result.lines))
    if not result.passed:
        raise AssertionError(result.summary)
