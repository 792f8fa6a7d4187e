"""The bundle learner's hidden-test verdict (``cnn_course.selfcheck``), judged here from what the wheel would ship.

``grader.authoring.bundle.hidden_answers`` writes what the wheel holds; these tests judge the reference, a catalogued
mistake and nudged answers against it in this process. tests/test_bundle.py runs ``python -m cnn_course
check`` in the bundle's fresh venv.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest

from cnn_course import record, selfcheck
from grader.authoring.bundle import hidden_answers
from grader.config import assignments
from grader.course import reference
from grader.course.catalogue import wrong_for


@lru_cache(maxsize=None)
def shipped(assignment: str) -> dict:
    return json.loads(json.dumps(hidden_answers(assignment)))["case_sets"]  # as the wheel's JSON holds it


def outcomes_of(function, case_set: dict) -> list[dict]:
    return [record.run_case(function, record.decode(case["args"])) for case in case_set["cases"]]


@pytest.mark.parametrize("assignment", assignments())
def test_the_reference_is_never_judged_wrong(assignment):
    for case_set_id, case_set in shipped(assignment).items():
        if case_set.get("unverifiable"):
            continue
        verdict = selfcheck.judge_set(case_set, outcomes_of(getattr(reference, case_set["function"]), case_set))
        assert verdict["passed"] is not False, (case_set_id, verdict["lines"])


def test_a_typical_mistake_fails_with_its_hint_and_no_answer_is_shown():
    case_set = shipped("02_padding_stride")["test_pad2d_hidden"]
    mistake = next(w for w in wrong_for("pad2d") if w.label == "pad added at the bottom/right only")
    verdict = selfcheck.judge_set(case_set, outcomes_of(mistake.impl.compiled, case_set))
    assert verdict["passed"] is False
    text = "\n".join(verdict["lines"])
    assert "pad applied once in total" in text
    assert "expected" not in text or "shape" in text  # a shape at most, never an expected number


def test_an_answer_within_the_graders_tolerance_passes_and_a_wrong_digit_fails():
    case_set = shipped("03_correlation_convolution")["test_conv2d_hidden"]
    right = outcomes_of(reference.conv2d, case_set)
    nudged = [{"value": record.encode(record.decode(o["value"]) * (1 + 3e-10))} for o in right]
    assert selfcheck.judge_set(case_set, nudged)["passed"] is True
    off = [{"value": record.encode(record.decode(o["value"]) * (1 + 1e-4))} for o in right]
    verdict = selfcheck.judge_set(case_set, off)
    assert verdict["passed"] is False and "differs from the hidden answer" in "\n".join(verdict["lines"])


def test_small_integer_answers_are_not_shipped_because_a_hash_would_give_them_away():
    case_set = shipped("02_padding_stride")["test_conv_output_size_hidden"]
    assert all(case["answer"] is None for case in case_set["cases"])
    assert selfcheck.answer_bits(7, 6) < selfcheck.MIN_BITS  # 16 guesses
    verdict = selfcheck.judge_set(case_set, outcomes_of(reference.conv_output_size, case_set))
    assert verdict["passed"] is None and "cannot be checked here" in "\n".join(verdict["lines"])


def test_a_right_answer_is_never_a_mistakes_digest():
    """A mistake that rounds to the right answer (relu's abs on tiny values) is left out, not matched."""
    for assignment in assignments():
        for case_set in shipped(assignment).values():
            for case in case_set["cases"]:
                if case.get("args") is None:
                    continue
                right = record.run_case(getattr(reference, case_set["function"]), record.decode(case["args"]))
                for variant in case["variants"]:
                    text = selfcheck.outcome_text(right, variant["digits"])
                    assert selfcheck.digest(text, variant["salt"]) != variant["digest"], (case_set["function"], case["note"])


def test_rounding_that_would_straddle_a_boundary_is_refused():
    assert selfcheck.safe_digits(np.array([1.2345649999999])) != 6  # 6 digits: 1.23456 or 1.23457 by a hair
    assert selfcheck.safe_digits(np.array([5e-11])) is None  # next to what counts as 0


def test_a_case_the_bundle_cannot_check_does_not_tell_its_answer_in_its_description():
    from grader.authoring.bundle import hidden_answers

    for assignment in ("02_padding_stride", "06_transposed_convolution"):
        for case_set in hidden_answers(assignment)["case_sets"].values():
            for case in case_set["cases"]:
                if case.get("answer") is None:
                    assert "->" not in case["note"] and "→" not in case["note"], case["note"]


def test_the_bundle_readme_says_what_a_learner_on_their_own_needs():
    from grader.authoring.bundle import STUDENT_README

    for needed in ("--allow-root", "--json", "exits 0 whenever it\ncould check", "Finish and **save** the\nearlier notebook"):
        assert needed in STUDENT_README, needed
    assert "grader check" not in STUDENT_README and "repository" not in STUDENT_README  # nothing a learner lacks
