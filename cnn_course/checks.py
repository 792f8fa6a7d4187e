"""Comparing an outcome with the right answer, and naming the mistake when it is wrong.

Used twice with the same code: by the visible tests in the notebooks (against
fixtures baked from the reference by ``make notebooks``) and by the grading
process (``grader.verdict``, against the reference computed afresh).
"""
from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

import numpy as np

from . import record

#: Spec: results agree with PyTorch to 1e-10 relative error on float64 inputs.
RTOL = 1e-9
ATOL = 1e-11


def compare(got: Any, expected: Any, where: str = "the result") -> str | None:
    """``None`` when ``got`` equals ``expected`` (floats to RTOL); otherwise what differs, in words."""
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return f"{where} should be a tuple of {len(expected)} values, got {_kind(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"{where} should be a numpy array of shape {expected.shape}, got {_kind(got)}"
        if got.shape != expected.shape:
            return f"{where} has shape {got.shape}, expected {expected.shape}"
        if expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
            return f"{where} should hold integers ({expected.dtype}), got dtype {got.dtype}"
        if expected.dtype.kind == "f" and got.dtype.kind == "f" and got.dtype != expected.dtype:
            return f"{where} has dtype {got.dtype}, expected {expected.dtype}"
        if not np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
            bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            return (f"{where} differs at {int(bad.sum())} of {bad.size} positions; "
                    f"first at index {first}: got {got[first]!r}, expected {expected[first]!r}")
        return None
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return None if got == expected and type(got) is type(expected) else f"{where} is {got!r}, expected {expected!r}"
    if isinstance(expected, int):
        if isinstance(got, bool) or not isinstance(got, int):
            if isinstance(got, float) and got == expected:
                return f"{where} is the float {got!r}; return an int ({expected})"
            return f"{where} is {got!r}, expected the int {expected}"
        return None if got == expected else f"{where} is {got}, expected {expected}"
    if isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"{where} is {_kind(got)}, expected a number"
        ok = np.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
        return None if ok else f"{where} is {got!r}, expected {expected!r}"
    return None if got == expected else f"{where} is {got!r}, expected {expected!r}"


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:80]


def _raised(outcome: dict) -> str:
    error = outcome["error"]
    return f"raised {error['type']}" + (f": {error['message']}" if error.get("message") else "")


def outcome_problem(outcome: dict, expected: dict) -> str | None:
    """``None`` when a recorded outcome is right; otherwise what is wrong (without hints)."""
    if outcome.get("returned_input"):
        name = outcome["returned_input"][0]
        return f"the function returned its argument {name} itself; return a new array (e.g. {name}.copy())"
    if outcome.get("modified"):
        return f"the function modified its argument(s) {', '.join(outcome['modified'])}; return a new array instead"
    if "error" in expected:
        want = expected["error"]["type"]
        if "error" in outcome:
            if outcome["error"]["type"] == want:
                return None
            return f"{_raised(outcome)} (expected {want})"
        return f"returned {_kind(record.decode(outcome['value']))}; expected it to raise {want}"
    if "error" in outcome:
        return _raised(outcome)
    return compare(record.decode(outcome["value"]), record.decode(expected["value"]))


def matching_hints(outcome: dict, variants: list[tuple[str, dict]]) -> list[str]:
    """Hints of every typical mistake whose outcome matches this (wrong) outcome, in catalogue order."""
    return [hint for hint, variant in variants if outcome_problem(outcome, variant) is None]


def diagnose(outcome: dict, variants: list[tuple[str, dict]]) -> str | None:
    """The hint of the first typical mistake whose outcome matches this (wrong) outcome."""
    return next(iter(matching_hints(outcome, variants)), None)


def failure_message(outcome: dict, expected: dict, variants: list[tuple[str, dict]]) -> str | None:
    """``None`` when right; otherwise the problem followed by the hint that names the mistake."""
    return judge_cases([(outcome, expected, lambda: variants)])[0]


def judge_cases(cases: list[tuple[dict, dict, Callable[[], list[tuple[str, dict]]]]]) -> list[str | None]:
    """Messages for a whole case set: ``None`` for each right case, else its problem and hint.

    ``cases`` holds ``(outcome, expected, variants)`` with ``variants`` a function, called only for
    wrong outcomes. When several mistakes explain a case, the hint that explains the most failing
    cases of the set wins (ties: catalogue order): one consistent diagnosis, not a different guess
    per case.
    """
    problems, matches = [], []
    for outcome, expected, variants in cases:
        try:
            problem = outcome_problem(outcome, expected)
            hints = matching_hints(outcome, variants()) if problem else []
        except Exception:  # a record the kernel-side code did not write (tampered with): never a pass
            problem, hints = "the recorded result is malformed", []
        problems.append(problem)
        matches.append(hints)
    counts = Counter(hint for hints in matches for hint in hints)
    return [None if problem is None else f"{problem}. Hint: {max(hints, key=counts.__getitem__)}" if hints
            else problem for problem, hints in zip(problems, matches)]


def report(function_name: str, rows: list[tuple[str, str | None, dict, str | None]]) -> tuple[bool, list[str]]:
    """Lines for people from ``(note, call shown or None, outcome, failure message or None)`` rows.

    The first line is the summary; a function that only raised NotImplementedError gets one line.
    """
    failed = [row for row in rows if row[3] is not None]
    if rows and all(outcome.get("error", {}).get("type") == "NotImplementedError" for _, _, outcome, _ in rows):
        return False, [f"{function_name}: not implemented yet (replace `raise NotImplementedError()` with your code)"]
    lines = [f"{function_name}: {len(rows) - len(failed)} of {len(rows)} checks passed"]
    for note, call, _, message in rows:
        if message is None:
            lines.append(f"  ok    {note}")
        else:
            lines.append(f"  FAIL  {note}\n        {call + ': ' if call else ''}{message}")
    return not failed, lines


# --- visible tests --------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _fixtures() -> dict:
    case_sets = {}
    for entry in resources.files(__package__).joinpath("fixtures").iterdir():
        if entry.name.endswith(".json"):
            case_sets.update(json.loads(entry.read_text())["case_sets"])
    return case_sets


def check(case_set_id: str, function: Callable) -> None:
    """Run a visible test: call ``function`` on each case, print a line per case, fail with hints.

    Also records the outcomes, so the grader judges this cell outside the kernel.
    """
    case_set = _fixtures().get(case_set_id)
    if case_set is None:
        raise KeyError(f"no visible test called {case_set_id!r}: run `make notebooks` to rebuild the fixtures")
    name = case_set["function"]
    calls = [(case, record.decode(case["args"])) for case in case_set["cases"]]
    outcomes = [record.run_case(function, args) for _, args in calls]
    messages = judge_cases([(outcome, case["expected"], lambda case=case: [tuple(v) for v in case["variants"]])
                            for (case, _), outcome in zip(calls, outcomes)])
    rows = [(case["note"], f"{name}({record.describe_args(args)})", outcome, message)
            for (case, args), outcome, message in zip(calls, outcomes, messages)]
    record.emit(case_set_id, name, [outcome for _, _, outcome, _ in rows])
    passed, lines = report(name, rows)
    print("\n".join(lines))
    record.finish_recording()  # under autograde this raises: the grading process judges
    if not passed:
        raise AssertionError(f"{lines[0]} (details above)")
