"""Kernel side of a hidden test: call the student's function on the hidden cases and record the outcomes.

Nothing here decides right or wrong during grading: the outcomes are judged by
``grader.course.verdict`` in the grading process, after the kernel has finished, so nothing the
kernel does can change a verdict. This module does not import ``grader.course.reference`` while
grading; nothing checks that a submission does not import it itself (the reference is
importable from the kernel today: running the kernel in a sandbox that cannot see it is
what will close that door).
"""
from __future__ import annotations

from typing import Callable

from cnn_course import record

from .cases import CASE_SETS


def record_hidden(case_set_id: str, function: Callable) -> None:
    """Record ``function``'s outcomes on hidden case set ``case_set_id``.

    Under autograde it then raises ``VerdictPending`` (the grading process judges). Elsewhere
    (an instructor running the solution notebook) it judges at once and raises
    ``cnn_course.checks.CheckFailed`` with the whole report on a failure, so a solution that breaks shows.
    """
    case_set = CASE_SETS[case_set_id]
    outcomes = [record.run_case(function, case.args) for case in case_set.cases()]
    record.emit(case_set_id, case_set.function, outcomes)
    record.finish_recording()  # under autograde this raises: the grading process judges
    from cnn_course.checks import CheckFailed

    from .course import verdict  # instructor convenience only; never imported while grading
    result = verdict.judge(case_set_id, {"id": case_set_id, "outcomes": outcomes})
    if not result.passed:
        raise CheckFailed("\n".join(result.lines))
    print("\n".join(result.lines))
