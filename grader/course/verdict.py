"""Judging recorded outcomes against the reference, outside the student's kernel."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from cnn_course import record
from cnn_course.checks import MALFORMED, POINTS, judge_set, report
from cnn_course.i18n import tr

from .. import translations
from ..cases import CASE_SETS, Case, CaseSet, for_notebook
from . import mistakes, notebooks, reference

translations.install()  # the grader's own words in the notebook's language


def expected_outcome(function: str, args: dict, names: tuple[str, ...] = ()) -> dict:
    """What the reference does with ``args``: ``{"value": ...}`` or ``{"error": {...}}``.

    ``names``: words the message of an expected error must contain (the arguments at fault, see
    ``grader.cases.Case.names``); stored in the expected error as ``"names"``.
    """
    outcome = record.run_case(getattr(reference, function), args)
    if names:
        if "error" not in outcome:
            raise ValueError(f"{function}({record.describe_args(args)}): names={names!r} given, "
                             "but the reference does not raise")
        outcome["error"]["names"] = list(names)
    return outcome


@functools.lru_cache(maxsize=None)
def judged_cases(case_set_id: str) -> tuple[Case, ...]:
    """A case set's calls, built once per grading process (the same for every submission); their arrays read-only:
    what judges one student cannot change what judges the next (the reference gets copies: ``record.run_case``)."""
    cases = tuple(CASE_SETS[case_set_id].cases())
    for case in cases:
        for value in case.args.values():
            for array in record.arrays_in(value):
                array.setflags(write=False)
    return cases


@functools.lru_cache(maxsize=None)
def expected_outcomes(case_set_id: str) -> tuple[dict, ...]:
    """What the reference does with each call of a case set (:func:`expected_outcome`), once per grading process."""
    case_set = CASE_SETS[case_set_id]
    return tuple(expected_outcome(case_set.function, case.args, case.names) for case in judged_cases(case_set_id))


@functools.lru_cache(maxsize=None)
def shown_calls(case_set_id: str) -> tuple[str, ...]:
    """Each call of a case set as a visible test shows it, ``pad2d(x=array(...), p=1)``, once per grading process."""
    function = CASE_SETS[case_set_id].function
    return tuple(f"{function}({record.describe_args(case.args)})" for case in judged_cases(case_set_id))


def prepare(notebook: str) -> None:
    """Build now what :func:`judge` keeps per process for each of ``notebook``'s case sets (a process forked after it
    has it): the calls, the reference's outcomes where they decide, the calls a visible test shows."""
    for case_set in for_notebook(notebook):
        judged_cases(case_set.id)
        if custom_judge(case_set) is None:
            expected_outcomes(case_set.id)
        if case_set.visible:
            shown_calls(case_set.id)


def variant_outcomes(function: str, args: dict) -> list[tuple[str, dict]]:
    """Outcomes of the typical mistakes for this call, each with its hint; those equal to the right one dropped.

    A mistake that raises is kept only where the right answer does not raise: it then names a
    student's error that has the same type and message (``cnn_course.checks.matching_hints``).
    """
    right = expected_outcome(function, args)
    found = []
    for hint, wrong in mistakes.variants_for(function):
        outcome = record.run_case(wrong, args)
        if outcome == right or ("error" in outcome and "error" in right):
            continue
        found.append((hint, outcome))
    return found


def custom_judge(case_set: CaseSet):
    """The judge of a case set not decided by equality with the reference, or None.

    A notebook may define ``JUDGES = {case_set_id: judge}`` in ``grader/course/notebooks/nbNN_topic/judges.py``
    with ``judge(case, outcome) -> None | problem`` (hidden sets only: visible ones are baked as outcomes).
    """
    module = notebooks.module(case_set.notebook, "judges")
    return getattr(module, "JUDGES", {}).get(case_set.id) if module else None


def _custom_messages(judge, cases: list[Case], outcomes: list[dict]) -> list[str | None]:
    messages = []
    for case, outcome in zip(cases, outcomes):
        try:
            messages.append(judge(case, outcome))
        except Exception:  # a record the kernel-side code did not write (tampered with): never a pass
            messages.append(tr(MALFORMED))
    return messages


@dataclass
class Verdict:
    passed: bool
    summary: str
    lines: list[str]


def judge(case_set_id: str, payload: dict | None, show_calls: bool = False, points: float | None = None) -> Verdict:
    """Judge a record (``payload`` from a cell's outputs) of case set ``case_set_id``.

    Hidden cases are named by their note only; ``show_calls`` adds the arguments (visible tests).
    ``points``: what the test cell is worth (default: the course's rule, ``cnn_course.checks.POINTS``),
    said in the summary line.
    """
    case_set = CASE_SETS.get(case_set_id)
    if case_set is None:
        return Verdict(False, f"unknown test {case_set_id!r}", [f"unknown test {case_set_id!r}"])
    name = case_set.function
    if points is None:
        points = POINTS["visible" if case_set.visible else "hidden"]
    cases = judged_cases(case_set_id)
    outcomes = (payload or {}).get("outcomes")
    if not isinstance(outcomes, list) or len(outcomes) != len(cases):
        reason = tr("{function}: the test did not record the {count} expected calls, so it could not be judged").format(
            function=name, count=len(cases))
        return Verdict(False, reason, [reason])
    outcomes = [outcome if isinstance(outcome, dict) else {"error": {"type": "Malformed", "message": ""}}
                for outcome in outcomes]
    judge_by = custom_judge(case_set)
    messages, diagnosis = (_custom_messages(judge_by, cases, outcomes), None) if judge_by else judge_set(
        [(outcome, expected, lambda case=case: variant_outcomes(name, case.args),
          record.with_defaults(getattr(reference, name), case.args))
         for case, outcome, expected in zip(cases, outcomes, expected_outcomes(case_set_id))])
    calls = shown_calls(case_set_id) if show_calls else (None,) * len(cases)
    rows = [(case.note, call, outcome, message) for case, call, outcome, message in zip(cases, calls, outcomes, messages)]
    passed, lines = report(name, rows, points, diagnosis)
    return Verdict(passed, lines[0], lines)
